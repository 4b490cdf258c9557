//! Tests of the providers over real loopback HTTP against `trustgen-testserver`, plus the pure parts
//! (key, backoff, rate buckets, BM25, configuration) and the embedded models.

mod cache;
mod config;
#[cfg(feature = "embedded")]
mod embedded;
mod faults;
mod formats;
mod images;
mod layers;
mod units;
mod untrusted;
mod vision;

use std::time::Duration;

use trustgen_plugin_api::{ModelRequest, ModelRole};
use trustgen_testserver::{RequestRecord, Rule, Script, ServerConfig, TestServer};

use crate::{Backoff, ClientOptions, Clients, Executed, FatalError, ModelSpec, ProviderKind};

/// `Clients` is shared across tasks and threads, and its futures can be spawned.
#[test]
fn clients_are_send_and_sync_and_execute_can_be_spawned() {
    fn send_sync<T: Send + Sync>() {}
    fn spawnable<F: std::future::Future + Send + 'static>(_: F) {}
    send_sync::<Clients>();
    send_sync::<crate::Cache>();
    let clients = std::sync::Arc::new(clients(vec![], ClientOptions::default()));
    let shared = std::sync::Arc::clone(&clients);
    spawnable(async move { shared.execute(&ModelRequest::user(ModelRole::Target, "x")).await });
}

/// The key the test clients send.
pub(crate) const KEY: &str = "sk-test-5f0c1e2d3b4a69788796a5b4c3d2e1f0";
/// The variable the test clients read it from (through a lookup, never the process environment).
pub(crate) const KEY_VAR: &str = "TRUSTGEN_TEST_API_KEY";

/// A test server with these rules.
pub(crate) fn server(rules: Vec<Rule>) -> TestServer {
    server_with(ServerConfig::default(), rules)
}

pub(crate) fn server_with(config: ServerConfig, rules: Vec<Rule>) -> TestServer {
    let script = Script::new(rules).unwrap_or_else(|e| panic!("{e}"));
    TestServer::spawn(config.with_script(script)).unwrap_or_else(|e| panic!("{e}"))
}

/// The base URL a provider uses against the test server.
pub(crate) fn base_url(server: &TestServer, provider: ProviderKind) -> String {
    match provider {
        ProviderKind::OpenAi => format!("{}/v1", server.base_url()),
        _ => server.base_url().to_owned(),
    }
}

/// A target spec for `provider` on the test server, keyed with [`KEY_VAR`].
pub(crate) fn spec(server: &TestServer, provider: ProviderKind, model: &str) -> ModelSpec {
    let mut spec = ModelSpec::new(ModelRole::Target, provider, model);
    spec.base_url = Some(base_url(server, provider));
    spec.api_key_env = Some(KEY_VAR.to_owned());
    if provider == ProviderKind::Azure {
        spec.deployment = Some(model.to_owned());
        spec.api_version = Some(crate::AZURE_API_VERSION.to_owned());
    }
    spec
}

/// Clients whose key lookup knows only [`KEY_VAR`], with a short backoff.
pub(crate) fn clients(specs: Vec<ModelSpec>, options: ClientOptions) -> Clients {
    Clients::with_key_lookup(specs, options, |var| (var == KEY_VAR).then(|| KEY.to_owned()))
        .unwrap_or_else(|e| panic!("{e}"))
        .with_backoff(Backoff { base: Duration::from_millis(5), cap: Duration::from_millis(50) })
}

/// Runs one request with default options against one spec and returns it with the server's records.
pub(crate) async fn run_one(
    server: &TestServer,
    spec: ModelSpec,
    request: &ModelRequest,
) -> (Result<Executed, FatalError>, Vec<RequestRecord>) {
    let clients = clients(vec![spec], ClientOptions::default());
    let result = clients.execute(request).await;
    (result, server.requests())
}

/// Runs one request that must succeed.
pub(crate) async fn ok_one(
    server: &TestServer,
    spec: ModelSpec,
    request: &ModelRequest,
) -> (Executed, Vec<RequestRecord>) {
    let (result, records) = run_one(server, spec, request).await;
    (result.unwrap_or_else(|e| panic!("{e}")), records)
}
