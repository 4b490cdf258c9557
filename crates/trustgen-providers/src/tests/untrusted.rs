//! Untrusted replies: a server that echoes the key in every kind of reply (2xx not JSON, 2xx without
//! content, 4xx, 5xx, the reply text itself) on every path (chat of each provider, images,
//! embeddings, the http retriever), and replies larger than `max_reply_bytes`.

use std::fmt::Write as _;

use expect_test::expect;
use trustgen_plugin_api::{
    EmbedRequest, ImageRequest, ModelRequest, ModelRole, ReplyStatus, RequestKind, RetrieveRequest,
};
use trustgen_testserver::{Fault, Rule};

use super::{KEY, clients, server, spec};
use crate::{ClientOptions, ModelSpec, ProviderKind};

/// The faults that put the key into a reply: 5xx, 4xx, 2xx not JSON, 2xx without content, the normal reply.
fn echoing_faults() -> Vec<(&'static str, Fault)> {
    vec![
        ("5xx", Fault::status(500).echoing_key()),
        ("4xx", Fault::status(400).echoing_key()),
        ("2xx not json", Fault::malformed().echoing_key()),
        ("2xx no choices", Fault::no_choices().echoing_key()),
        ("2xx echo", Fault::modifier().echoing_key()),
    ]
}

/// One path: a name, the spec (pointing at `server`) and the request.
type Path = (&'static str, ModelSpec, ModelRequest);

fn paths(server: &trustgen_testserver::TestServer) -> Vec<Path> {
    let chat = |text: &str| ModelRequest::user(ModelRole::Target, text);
    let image = ModelRequest::new(
        ModelRole::Target,
        RequestKind::Image(ImageRequest { prompt: "an apple".to_owned(), size: Some("64x64".to_owned()), n: 1 }),
    );
    let embed = ModelRequest::new(ModelRole::Target, RequestKind::Embed(EmbedRequest { texts: vec!["x".to_owned()] }));
    // The test server has no search endpoint; `GET /v1/models` takes the faults just as well.
    let mut search = ModelSpec::new(ModelRole::Retriever, ProviderKind::HttpSearch, "search");
    search.base_url = Some(format!("{}/v1/models", server.base_url()));
    search.api_key_env = Some(super::KEY_VAR.to_owned());
    let retrieve = ModelRequest::new(
        ModelRole::Retriever,
        RequestKind::Retrieve(RetrieveRequest { query: "q".to_owned(), max_results: 2 }),
    );
    vec![
        ("openai chat", spec(server, ProviderKind::OpenAi, "m"), chat("hi")),
        ("azure chat", spec(server, ProviderKind::Azure, "dep"), chat("hi")),
        ("anthropic chat", spec(server, ProviderKind::Anthropic, "claude"), chat("hi")),
        ("gemini chat", spec(server, ProviderKind::Gemini, "gemini"), chat("hi")),
        ("openai images", spec(server, ProviderKind::OpenAi, "dall-e-3"), image),
        ("openai embeddings", spec(server, ProviderKind::OpenAi, "text-embedding-3-small"), embed),
        ("http retriever", search, retrieve),
    ]
}

/// Every path under every echoing fault: the key never appears in the outcome (reply or error), and
/// the table says where the echo arrived and was replaced by `[redacted]`.
#[track_caller]
fn check(expected: expect_test::Expect) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap_or_else(|e| panic!("{e}"));
    let mut table = String::new();
    for (fault_name, fault) in echoing_faults() {
        let server = server(vec![Rule::new().fault(fault)]);
        for (path, mut spec, request) in paths(&server) {
            spec.limits.max_retries = 0;
            let clients = clients(vec![spec], ClientOptions::default());
            let outcome = runtime.block_on(clients.execute(&request));
            let text = match &outcome {
                Ok(executed) => format!("{:?}", executed.reply),
                Err(fatal) => format!("{fatal} {fatal:?}"),
            };
            assert!(!text.contains(KEY), "{path} / {fault_name}: the key leaked: {text}");
            assert!(!text.contains(&KEY[..KEY.len() - 3]), "{path} / {fault_name}: a key prefix leaked: {text}");
            let status = match &outcome {
                Ok(executed) => format!("{:?}", executed.reply.status),
                Err(_) => "Fatal".to_owned(),
            };
            let redacted = text.contains("[redacted]");
            let _ = writeln!(table, "{fault_name:<15} {path:<18} {status:<6} redacted: {redacted}");
        }
        let echoed = server.requests().iter().filter(|r| r.fault.is_some()).count();
        assert!(echoed >= 7, "{fault_name}: the server applied the fault to {echoed} requests");
    }
    expected.assert_eq(&table);
}

#[test]
fn a_key_echoed_in_any_reply_on_any_path_is_scrubbed() {
    check(expect![[r#"
        5xx             openai chat        Error  redacted: true
        5xx             azure chat         Error  redacted: true
        5xx             anthropic chat     Error  redacted: true
        5xx             gemini chat        Error  redacted: true
        5xx             openai images      Error  redacted: true
        5xx             openai embeddings  Error  redacted: true
        5xx             http retriever     Error  redacted: true
        4xx             openai chat        Fatal  redacted: true
        4xx             azure chat         Fatal  redacted: true
        4xx             anthropic chat     Fatal  redacted: true
        4xx             gemini chat        Fatal  redacted: true
        4xx             openai images      Fatal  redacted: true
        4xx             openai embeddings  Fatal  redacted: true
        4xx             http retriever     Fatal  redacted: true
        2xx not json    openai chat        Error  redacted: true
        2xx not json    azure chat         Error  redacted: true
        2xx not json    anthropic chat     Error  redacted: true
        2xx not json    gemini chat        Error  redacted: true
        2xx not json    openai images      Error  redacted: true
        2xx not json    openai embeddings  Error  redacted: true
        2xx not json    http retriever     Error  redacted: true
        2xx no choices  openai chat        Error  redacted: true
        2xx no choices  azure chat         Error  redacted: true
        2xx no choices  anthropic chat     Error  redacted: false
        2xx no choices  gemini chat        Error  redacted: false
        2xx no choices  openai images      Error  redacted: true
        2xx no choices  openai embeddings  Error  redacted: false
        2xx no choices  http retriever     Error  redacted: true
        2xx echo        openai chat        Ok     redacted: true
        2xx echo        azure chat         Ok     redacted: true
        2xx echo        anthropic chat     Ok     redacted: true
        2xx echo        gemini chat        Ok     redacted: true
        2xx echo        openai images      Ok     redacted: false
        2xx echo        openai embeddings  Ok     redacted: false
        2xx echo        http retriever     Error  redacted: false
    "#]]);
}

/// A reply that never ends is cut off at `max_reply_bytes` and becomes a case error stating the
/// limit and how much was read; one that declares a larger `Content-Length` is not read at all.
#[test]
fn an_endless_reply_is_a_case_error_stating_its_size() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap_or_else(|e| panic!("{e}"));
    let server = server(vec![
        Rule::new().last_user_contains("endless").fault(Fault::endless()),
        Rule::new().last_user_contains("normal").reply(
            "a normal reply that is longer than one hundred bytes once wrapped in the JSON of a chat completion",
        ),
    ]);
    let mut endless = spec(&server, ProviderKind::OpenAi, "m");
    endless.limits.max_reply_bytes = Some(1024 * 1024);
    endless.limits.max_retries = 3;
    let clients = clients(vec![endless], ClientOptions::default());
    let started = std::time::Instant::now();
    let executed = runtime
        .block_on(clients.execute(&ModelRequest::user(ModelRole::Target, "endless")))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "took {:?}", started.elapsed());
    let error = executed.reply.error.clone().unwrap_or_default();
    assert_eq!((executed.reply.status, executed.attempts), (ReplyStatus::Error, 1), "{error}");
    // The bytes read are the limit plus at most one chunk.
    let read: u64 = error
        .split("(read ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no size in {error}"));
    assert!((1024 * 1024..1024 * 1024 + 512 * 1024).contains(&read), "{error}");
    expect![[r#"reply exceeds 1 MiB limit (read N bytes, HTTP 200); hint: the rest was not read; raise `max_reply_bytes` in the model's [models.<role>] table if replies this large are expected"#]]
        .assert_eq(&error.replace(&read.to_string(), "N"));

    let mut small = spec(&server, ProviderKind::OpenAi, "m");
    small.limits.max_reply_bytes = Some(100);
    let clients = super::clients(vec![small], ClientOptions::default());
    let executed = runtime
        .block_on(clients.execute(&ModelRequest::user(ModelRole::Target, "normal")))
        .unwrap_or_else(|e| panic!("{e}"));
    let error = executed.reply.error.clone().unwrap_or_default();
    assert_eq!(executed.reply.status, ReplyStatus::Error, "{error}");
    assert!(error.starts_with("reply exceeds 100 bytes limit (Content-Length "), "{error}");
}
