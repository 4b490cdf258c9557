//! Failures: retries (with the server's `Retry-After`, timed by the server's clock), dropped
//! connections, malformed bodies, timeouts, content filters, and the errors that stop a run.

use std::time::Duration;

use expect_test::expect;
use trustgen_plugin_api::{ModelRequest, ModelRole, ReplyStatus};
use trustgen_testserver::{Fault, FilterStage, Rule, ServerConfig};

use super::{KEY, KEY_VAR, clients, ok_one, run_one, server, server_with, spec};
use crate::{Cache, ClientOptions, FatalError, FatalKind, ProviderKind, RetryWait};

fn ask(text: &str) -> ModelRequest {
    ModelRequest::user(ModelRole::Target, text)
}

/// Milliseconds between the end of one recorded request and the arrival of the next (server clock).
fn gaps(records: &[trustgen_testserver::RequestRecord]) -> Vec<f64> {
    records.windows(2).map(|w| w[1].at_ms - w[0].done_ms).collect()
}

#[tokio::test]
async fn retry_after_on_429_and_503_is_honoured() {
    let server = server(vec![
        Rule::new().last_user_contains("busy").fault(Fault::status(429).retry_after(1).times(1)),
        Rule::new().last_user_contains("down").fault(Fault::status(503).retry_after(1).times(1)),
    ]);
    let clients = clients(vec![spec(&server, ProviderKind::OpenAi, "m")], ClientOptions::default());
    let (busy, down) = (ask("busy"), ask("down"));
    let (busy, down) = tokio::join!(clients.execute(&busy), clients.execute(&down));
    for executed in [busy, down] {
        let executed = executed.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((executed.reply.status, executed.attempts), (ReplyStatus::Ok, 2));
    }
    for needle in ["busy", "down"] {
        let records: Vec<_> = server
            .requests()
            .into_iter()
            .filter(|r| r.body.as_ref().is_some_and(|b| b.to_string().contains(needle)))
            .collect();
        let statuses: Vec<Option<u16>> = records.iter().map(|r| r.status).collect();
        assert_eq!(statuses.len(), 2, "{needle}: {statuses:?}");
        assert_eq!(statuses[1], Some(200));
        let gap = gaps(&records)[0];
        assert!(gap >= 1000.0, "{needle}: the retry came {gap} ms after the {:?}, before Retry-After: 1", statuses[0]);
        assert!(gap < 2000.0, "{needle}: the retry waited {gap} ms, much longer than Retry-After");
    }
}

#[tokio::test]
async fn server_errors_are_retried_with_backoff_until_they_pass() {
    let server = server(vec![Rule::new().fault(Fault::status(500).times(2))]);
    let (executed, records) = ok_one(&server, spec(&server, ProviderKind::OpenAi, "m"), &ask("x")).await;
    assert_eq!((executed.reply.status, executed.attempts), (ReplyStatus::Ok, 3));
    let statuses: Vec<Option<u16>> = records.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [Some(500), Some(500), Some(200)]);
}

#[tokio::test]
async fn anthropic_overloaded_529_is_retried() {
    let server = server(vec![Rule::new().fault(Fault::status(529).times(1))]);
    let (executed, _) = ok_one(&server, spec(&server, ProviderKind::Anthropic, "claude"), &ask("x")).await;
    assert_eq!((executed.reply.status, executed.attempts), (ReplyStatus::Ok, 2));
}

#[tokio::test]
async fn dropped_connections_and_malformed_bodies_are_retried() {
    let server = server(vec![
        Rule::new().last_user_contains("drop").fault(Fault::drop_connection().times(1)),
        Rule::new().last_user_contains("garbled").fault(Fault::malformed().times(1)),
    ]);
    let clients = clients(vec![spec(&server, ProviderKind::OpenAi, "m")], ClientOptions::default());
    for text in ["drop", "garbled"] {
        let executed = clients.execute(&ask(text)).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((executed.reply.status, executed.attempts), (ReplyStatus::Ok, 2), "{text}: {:?}", executed.reply);
    }
    let by_status = server.stats().by_status;
    expect![[r#"{"200": 3, "dropped": 1}"#]].assert_eq(&format!("{by_status:?}"));
}

#[tokio::test]
async fn a_slow_reply_times_out_and_is_retried() {
    let server = server(vec![Rule::new().fault(Fault::slow(2000).times(1))]);
    let mut spec = spec(&server, ProviderKind::OpenAi, "m");
    spec.limits.timeout = Duration::from_millis(300);
    let (executed, records) = ok_one(&server, spec, &ask("x")).await;
    assert_eq!((executed.reply.status, executed.attempts), (ReplyStatus::Ok, 2));
    // The abandoned first request is still sleeping on the server, so only its arrival is counted yet.
    assert_eq!((server.stats().total, records.len()), (2, 1));
    let retry_at = records[0].at_ms;
    assert!((300.0..1500.0).contains(&retry_at), "the retry arrived {retry_at} ms after the server started");
}

#[tokio::test]
async fn retryable_failures_become_a_case_error_after_the_last_retry() {
    let server = server(vec![Rule::new().fault(Fault::status(502))]);
    let mut spec = spec(&server, ProviderKind::OpenAi, "m");
    spec.limits.max_retries = 2;
    let (executed, records) = ok_one(&server, spec, &ask("x")).await;
    assert_eq!((executed.reply.status, executed.attempts, records.len()), (ReplyStatus::Error, 3, 3));
    let error = executed.reply.error.unwrap_or_default();
    assert!(error.starts_with("gave up after 3 attempts; last: HTTP 502"), "{error}");
}

#[tokio::test]
async fn every_wait_before_a_retry_is_reported_to_the_retry_observer() {
    let server = server(vec![Rule::new().fault(Fault::status(503).times(2))]);
    let mut spec = spec(&server, ProviderKind::OpenAi, "m");
    spec.limits.max_retries = 3;
    let waits = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = waits.clone();
    let clients = clients(vec![spec], ClientOptions::default())
        .with_retry_observer(std::sync::Arc::new(move |wait: RetryWait| seen.lock().unwrap().push(wait)));
    let executed = clients.execute(&ask("x")).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((executed.reply.status, executed.attempts), (ReplyStatus::Ok, 3));
    let waits = waits.lock().unwrap().clone();
    assert_eq!(
        waits.iter().map(|w| (w.role, w.attempt)).collect::<Vec<_>>(),
        [(ModelRole::Target, 1), (ModelRole::Target, 2)],
        "{waits:?}"
    );
}

#[tokio::test]
async fn content_filters_are_a_status_never_text() {
    let cases = [
        (ProviderKind::OpenAi, FilterStage::Prompt),
        (ProviderKind::OpenAi, FilterStage::Output),
        (ProviderKind::Azure, FilterStage::Prompt),
        (ProviderKind::Azure, FilterStage::Output),
        (ProviderKind::Anthropic, FilterStage::Output),
        (ProviderKind::Gemini, FilterStage::Prompt),
        (ProviderKind::Gemini, FilterStage::Output),
    ];
    let mut out = String::new();
    for (provider, stage) in cases {
        let server = server(vec![Rule::new().fault(Fault::content_filter(stage))]);
        let (executed, records) = ok_one(&server, spec(&server, provider, "m"), &ask("something risky")).await;
        let reply = &executed.reply;
        assert_eq!(records.len(), 1, "a content filter is not retried");
        assert_eq!(reply.text, None);
        out.push_str(&format!(
            "{} {stage:?}: {:?} {:?} {:?}\n",
            provider.as_str(),
            reply.status,
            reply.finish_reason,
            reply.error
        ));
    }
    expect![[r#"
        openai Prompt: ContentFiltered None Some("the provider's content filter blocked the prompt: Your request was rejected as a result of our safety system.")
        openai Output: ContentFiltered Some("content_filter") Some("the provider's content filter blocked the output (finish_reason content_filter)")
        azure Prompt: ContentFiltered None Some("the provider's content filter blocked the prompt (categories: violence): The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry.")
        azure Output: ContentFiltered Some("content_filter") Some("the provider's content filter blocked the output (categories: violence) (finish_reason content_filter)")
        anthropic Output: ContentFiltered Some("refusal") Some("Anthropic's safety system stopped the reply (stop_reason refusal)")
        gemini Prompt: ContentFiltered None Some("Gemini blocked the prompt (blockReason SAFETY; categories: HARM_CATEGORY_DANGEROUS_CONTENT)")
        gemini Output: ContentFiltered Some("safety") Some("Gemini blocked the reply (finishReason SAFETY; categories: HARM_CATEGORY_DANGEROUS_CONTENT)")
    "#]].assert_eq(&out);
}

#[tokio::test]
async fn a_rejected_key_is_fatal_names_model_and_variable_and_leaks_the_key_nowhere() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let cache_path = dir.path().join("cache.sqlite");
    let good = server_with(ServerConfig::default().with_api_key(KEY), vec![]);
    let bad = server_with(ServerConfig::default().with_api_key("sk-the-right-one-that-we-do-not-have"), vec![]);
    let mut judge = spec(&bad, ProviderKind::OpenAi, "gpt-judge");
    judge.role = ModelRole::Judge;
    let cache = Cache::open(&cache_path).unwrap_or_else(|e| panic!("{e}"));
    let clients = clients(
        vec![spec(&good, ProviderKind::OpenAi, "gpt-target"), judge],
        ClientOptions { cache: Some(cache.clone()), ..ClientOptions::default() },
    );

    let answered = clients.execute(&ask("hello")).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(answered.reply.status, ReplyStatus::Ok);
    let error = clients.execute(&ModelRequest::user(ModelRole::Judge, "grade this")).await;
    let Err(error) = error else { panic!("a 401 must be fatal: {error:?}") };
    assert!(
        matches!(&error, FatalError::Provider(p) if p.kind == FatalKind::Auth && p.status == Some(401)),
        "{error:?}"
    );
    let text = error.to_string();
    assert!(text.contains("gpt-judge") && text.contains(KEY_VAR), "{text}");
    expect!["[models.judge] openai model `gpt-judge` rejected the API key (HTTP 401, key from `TRUSTGEN_TEST_API_KEY`): Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys. [invalid_api_key invalid_request_error]; hint: check that `TRUSTGEN_TEST_API_KEY` holds a valid key for this endpoint"].assert_eq(&text);
    assert_eq!(bad.requests().len(), 1, "a fatal error is not retried");

    cache.flush().unwrap_or_else(|e| panic!("{e}"));
    let mut stored = Vec::new();
    for suffix in ["", "-wal"] {
        stored.extend(std::fs::read(format!("{}{suffix}", cache_path.display())).unwrap_or_default());
    }
    assert!(!stored.is_empty());
    for (what, haystack) in [
        ("the error", text.into_bytes()),
        ("the error's Debug", format!("{error:?}").into_bytes()),
        ("Debug of Clients", format!("{clients:?}").into_bytes()),
        ("the cache file", stored),
    ] {
        assert!(!haystack.windows(KEY.len()).any(|w| w == KEY.as_bytes()), "the key leaked into {what}");
    }
    assert!(format!("{clients:?}").contains("[redacted]"));
}

#[tokio::test]
async fn an_unknown_model_and_a_bad_request_are_fatal() {
    let server = server_with(
        ServerConfig::default().with_known_models(["gpt-4o-mini"]),
        vec![Rule::new().last_user_contains("shape").fault(Fault::status(400))],
    );
    let (missing, _) = run_one(&server, spec(&server, ProviderKind::OpenAi, "gpt-5-imaginary"), &ask("x")).await;
    let (shape, _) = run_one(&server, spec(&server, ProviderKind::OpenAi, "gpt-4o-mini"), &ask("bad shape")).await;
    let kinds: Vec<String> = [missing, shape]
        .into_iter()
        .map(|r| match r {
            Err(FatalError::Provider(p)) => format!("{:?} {:?}", p.kind, p.status),
            other => format!("not fatal: {other:?}"),
        })
        .collect();
    expect![[r#"
        [
            "UnknownModel Some(404)",
            "BadRequest Some(400)",
        ]
    "#]]
    .assert_debug_eq(&kinds);
}

#[tokio::test]
async fn a_missing_key_variable_is_a_config_error_naming_it() {
    let mut spec = crate::ModelSpec::new(ModelRole::Judge, ProviderKind::Anthropic, "claude-x");
    spec.api_key_env = Some("TRUSTGEN_TEST_SURELY_UNSET_8D2F".to_owned());
    let error = crate::Clients::new(vec![spec], ClientOptions::default()).map(|_| ()).unwrap_err();
    expect!["[models.judge] (anthropic model `claude-x`): the API key variable `TRUSTGEN_TEST_SURELY_UNSET_8D2F` (api_key_env) is not set; hint: export TRUSTGEN_TEST_SURELY_UNSET_8D2F=... before the run, or point api_key_env at the variable that holds the key"].assert_eq(&error.to_string());
}

#[tokio::test]
async fn preflight_names_an_unreachable_endpoint() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(9);
    let mut spec = crate::ModelSpec::new(ModelRole::Generator, ProviderKind::OpenAi, "gen-model");
    spec.base_url = Some(format!("http://127.0.0.1:{port}/v1"));
    let clients = clients(vec![spec], ClientOptions::default());
    let error = clients.preflight().await.map(|_| ()).unwrap_err().to_string().replace(&port.to_string(), "PORT");
    expect!["[models.generator] openai model `gen-model`: cannot connect to http://127.0.0.1:PORT/v1: 127.0.0.1:PORT: Connection refused (os error 111); hint: check `base_url` and that the server is running and reachable from here"].assert_eq(&error);

    let server = server(vec![]);
    let reachable = clients_for(&server);
    reachable.preflight().await.unwrap_or_else(|e| panic!("{e}"));
}

fn clients_for(server: &trustgen_testserver::TestServer) -> crate::Clients {
    clients(vec![spec(server, ProviderKind::Gemini, "gemini-x")], ClientOptions::default())
}
