//! The layers: rate limits, concurrency limits, the cache, joining identical requests, dry runs and
//! usage accounting.

use std::sync::Arc;
use std::time::Duration;

use expect_test::expect;
use trustgen_plugin_api::{EmbedRequest, GenParams, ModelRequest, ModelRole, RequestKind};
use trustgen_testserver::{RequestRecord, ServerConfig, TestServer};

use super::{clients, server, server_with, spec};
use crate::{Cache, ClientOptions, Clients, Price, ProviderKind};

fn ask(text: impl Into<String>) -> ModelRequest {
    ModelRequest::user(ModelRole::Target, text)
}

/// Runs `n` distinct requests at once.
async fn burst(clients: &Arc<Clients>, n: usize) {
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..n {
        let clients = Arc::clone(clients);
        tasks.spawn(async move { clients.execute(&ask(format!("question {i}"))).await });
    }
    while let Some(done) = tasks.join_next().await {
        let executed = done.unwrap_or_else(|e| panic!("{e}")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(executed.reply.status, trustgen_plugin_api::ReplyStatus::Ok, "{:?}", executed.reply);
    }
}

/// The most requests the server was handling at the same moment.
fn max_in_flight(records: &[RequestRecord]) -> usize {
    let mut events: Vec<(f64, i32)> = records.iter().flat_map(|r| [(r.at_ms, 1), (r.done_ms, -1)]).collect();
    // At equal times, count departures first so back-to-back requests do not look concurrent.
    events.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let (mut now, mut most) = (0i32, 0i32);
    for (_, delta) in events {
        now += delta;
        most = most.max(now);
    }
    most as usize
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_per_minute_spaces_requests_after_the_burst() {
    let server = server(vec![]);
    let mut spec = spec(&server, ProviderKind::OpenAi, "m");
    // 20 per second, bursts of one second's worth.
    spec.limits.requests_per_minute = Some(1200);
    let clients = Arc::new(clients(vec![spec], ClientOptions { global_concurrency: 64, ..ClientOptions::default() }));
    burst(&clients, 40).await;
    let mut arrivals: Vec<f64> = server.requests().iter().map(|r| r.at_ms).collect();
    arrivals.sort_by(f64::total_cmp);
    assert_eq!(arrivals.len(), 40);
    for (i, at) in arrivals.iter().enumerate().skip(20) {
        // Request i may start (i - 19) / 20 s after the first; 20 ms of slack for scheduling.
        let earliest = (i as f64 - 19.0) * 50.0 - 20.0;
        assert!(
            at - arrivals[0] >= earliest,
            "request {i} arrived {} ms after the first, before {earliest}",
            at - arrivals[0]
        );
    }
    let span = arrivals[39] - arrivals[0];
    assert!(span < 1600.0, "the limiter waited longer than needed: {span} ms");
    let burst_end = arrivals[19] - arrivals[0];
    assert!(burst_end < 600.0, "the first second's worth should go at once: {burst_end} ms");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn global_and_per_model_concurrency_hold_and_are_reached() {
    let server = server_with(ServerConfig::default().with_latency(Duration::from_millis(60)), vec![]);
    let clients = Arc::new(clients(
        vec![spec(&server, ProviderKind::OpenAi, "m")],
        ClientOptions { global_concurrency: 8, ..ClientOptions::default() },
    ));
    burst(&clients, 32).await;
    assert_eq!(max_in_flight(&server.requests()), 8);

    let other = server_with(ServerConfig::default().with_latency(Duration::from_millis(60)), vec![]);
    let mut limited = spec(&other, ProviderKind::OpenAi, "m");
    limited.limits.concurrency = Some(3);
    let clients = Arc::new(clients_of(limited, 64));
    burst(&clients, 12).await;
    assert_eq!(max_in_flight(&other.requests()), 3);
}

fn clients_of(spec: crate::ModelSpec, global: usize) -> Clients {
    clients(vec![spec], ClientOptions { global_concurrency: global, ..ClientOptions::default() })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hundreds_of_connections_are_open_at_once_no_pool_ceiling() {
    let server = server_with(ServerConfig::default().with_latency(Duration::from_millis(300)), vec![]);
    let clients = Arc::new(clients_of(spec(&server, ProviderKind::OpenAi, "m"), 256));
    burst(&clients, 512).await;
    let most = max_in_flight(&server.requests());
    assert!(most > 200 && most <= 256, "{most} requests in flight at most, with a limit of 256");
}

#[tokio::test]
async fn a_cache_hit_sends_nothing_even_in_a_later_run() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("cache.sqlite");
    let server = server(vec![]);
    let request = ask("what is 2 + 2?");
    let first = {
        let cache = Cache::open(&path).unwrap_or_else(|e| panic!("{e}"));
        let clients = clients(
            vec![spec(&server, ProviderKind::OpenAi, "m")],
            ClientOptions { cache: Some(cache), ..ClientOptions::default() },
        );
        let first = clients.execute(&request).await.unwrap_or_else(|e| panic!("{e}"));
        let again = clients.execute(&request).await.unwrap_or_else(|e| panic!("{e}"));
        assert!(!first.cached && again.cached);
        assert_eq!(first.reply, again.reply);
        let usage = &clients.usage()[0];
        assert_eq!((usage.requests, usage.cached), (1, 1));
        first
    };
    assert_eq!(server.stats().total, 1);

    // A new run: a new cache handle on the same file, new clients.
    let cache = Cache::open(&path).unwrap_or_else(|e| panic!("{e}"));
    let clients = clients(
        vec![spec(&server, ProviderKind::OpenAi, "m")],
        ClientOptions { cache: Some(cache), ..ClientOptions::default() },
    );
    let later = clients.execute(&request).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(later.cached);
    assert_eq!(later.reply, first.reply);
    assert_eq!(later.key, first.key);
    assert_eq!(server.stats().total, 1, "the cached reply was not sent again");
    // Other parameters are another request.
    let colder = request.clone().with_params(GenParams::new().with_temperature(1.0));
    assert!(!clients.execute(&colder).await.unwrap_or_else(|e| panic!("{e}")).cached);
    assert_eq!(server.stats().total, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identical_requests_in_flight_are_sent_once() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let server = server_with(ServerConfig::default().with_latency(Duration::from_millis(100)), vec![]);
    let cache = Cache::open(&dir.path().join("c.sqlite")).unwrap_or_else(|e| panic!("{e}"));
    let clients = Arc::new(clients(
        vec![spec(&server, ProviderKind::OpenAi, "m")],
        ClientOptions { cache: Some(cache), ..ClientOptions::default() },
    ));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let clients = Arc::clone(&clients);
        tasks.spawn(async move { clients.execute(&ask("the same question")).await });
    }
    let mut cached = 0;
    while let Some(done) = tasks.join_next().await {
        cached += usize::from(done.unwrap_or_else(|e| panic!("{e}")).unwrap_or_else(|e| panic!("{e}")).cached);
    }
    assert_eq!((server.stats().total, cached), (1, 9));
    let usage = &clients.usage()[0];
    assert_eq!((usage.requests, usage.cached), (1, 9));
}

#[tokio::test]
async fn a_dry_run_sends_nothing_and_estimates_tokens_and_cost() {
    let server = server(vec![]);
    let mut target = spec(&server, ProviderKind::OpenAi, "gpt-x");
    target.price = Some(Price { input_per_million: 2.0, output_per_million: 8.0 });
    let mut embedder = spec(&server, ProviderKind::OpenAi, "text-embedding-3-small");
    embedder.role = ModelRole::Embedder;
    let clients = clients(vec![target, embedder], ClientOptions { dry_run: true, ..ClientOptions::default() });
    // 40 characters -> 10 prompt tokens; no max_tokens -> 256 completion tokens.
    let chat = clients.execute(&ask("a".repeat(40))).await.unwrap_or_else(|e| panic!("{e}"));
    let limited = ask("b".repeat(9)).with_params(GenParams::new().with_max_tokens(10));
    clients.execute(&limited).await.unwrap_or_else(|e| panic!("{e}"));
    let embed = ModelRequest::new(
        ModelRole::Embedder,
        RequestKind::Embed(EmbedRequest { texts: vec!["x".repeat(8), "y".repeat(8)] }),
    );
    let embedded = clients.execute(&embed).await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(server.stats().total, 0);
    assert_eq!(chat.reply.text.as_deref(), Some(crate::DRY_RUN_TEXT));
    let dims: Vec<usize> = embedded.reply.embeddings.iter().map(Vec::len).collect();
    assert_eq!(dims, [1536, 1536]);
    expect![[r#"
        [
            UsageSnapshot {
                role: Target,
                provider: OpenAi,
                model: "gpt-x",
                requests: 2,
                cached: 0,
                attempts: 0,
                errors: 0,
                content_filtered: 0,
                prompt_tokens: 13,
                completion_tokens: 266,
                cost: Some(
                    0.002154,
                ),
                estimated: true,
            },
            UsageSnapshot {
                role: Embedder,
                provider: OpenAi,
                model: "text-embedding-3-small",
                requests: 1,
                cached: 0,
                attempts: 0,
                errors: 0,
                content_filtered: 0,
                prompt_tokens: 4,
                completion_tokens: 0,
                cost: None,
                estimated: true,
            },
        ]
    "#]]
    .assert_debug_eq(&clients.usage());
}

#[tokio::test]
async fn usage_counts_real_tokens_of_sent_requests_only() {
    let server = server(vec![]);
    let mut target = spec(&server, ProviderKind::Anthropic, "claude");
    target.price = Some(Price { input_per_million: 1.0, output_per_million: 5.0 });
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let cache = Cache::open(&dir.path().join("c.sqlite")).unwrap_or_else(|e| panic!("{e}"));
    let clients = clients(vec![target], ClientOptions { cache: Some(cache), ..ClientOptions::default() });
    let first = clients.execute(&ask("one two three")).await.unwrap_or_else(|e| panic!("{e}"));
    clients.execute(&ask("one two three")).await.unwrap_or_else(|e| panic!("{e}"));
    let usage = &clients.usage()[0];
    assert_eq!(usage.prompt_tokens, first.reply.usage.prompt_tokens, "the cached repeat adds no tokens");
    assert_eq!(usage.completion_tokens, first.reply.usage.completion_tokens);
    assert!(usage.prompt_tokens > 0 && usage.completion_tokens > 0);
    let cost = (usage.prompt_tokens as f64 * 1.0 + usage.completion_tokens as f64 * 5.0) / 1e6;
    assert_eq!(usage.cost, Some(cost));
    assert_eq!((usage.requests, usage.cached, usage.attempts, usage.estimated), (1, 1, 1, false));
}

#[tokio::test]
async fn key_and_info_describe_the_configured_roles() {
    let server: TestServer = server(vec![]);
    let mut judge = spec(&server, ProviderKind::OpenAi, "m");
    judge.role = ModelRole::Judge;
    let target = spec(&server, ProviderKind::OpenAi, "m");
    let clients = clients(vec![target, judge], ClientOptions::default());
    let as_target = ask("same");
    let as_judge = ModelRequest::user(ModelRole::Judge, "same").with_purpose("judge:x@1");
    // The role and the purpose are not part of the key: the same model shares its cache entries.
    assert_eq!(clients.key(&as_target), clients.key(&as_judge));
    assert_eq!(clients.key(&ModelRequest::user(ModelRole::Generator, "same")), None);
    expect![[r#"
        (
            Some(
                ModelInfo {
                    model_type: "llm",
                    provider: "openai",
                    model: "m",
                    capable: true,
                },
            ),
            None,
        )
    "#]]
    .assert_debug_eq(&(clients.info(ModelRole::Judge), clients.info(ModelRole::Embedder)));
}

#[test]
fn a_builder_seed_beyond_32_bits_is_sent_reduced_and_recorded_as_sent() {
    let server: TestServer = server(vec![]);
    let seeds = |provider| {
        let clients = clients(vec![spec(&server, provider, "m")], ClientOptions::default());
        let asked =
            ModelRequest::user(ModelRole::Target, "q").with_params(GenParams::new().with_seed(Some(u64::MAX - 6)));
        let RequestKind::Chat(chat) = clients.prepared(&asked).kind else { panic!("not a chat request") };
        chat.params.seed
    };
    // (2^64 - 7) mod 2^31 = 2^31 - 7: in range for llama.cpp and Gemini, and what requests.jsonl records.
    assert_eq!(seeds(ProviderKind::OpenAi), Some((1 << 31) - 7));
    assert_eq!(seeds(ProviderKind::Gemini), Some((1 << 31) - 7));
    // Anthropic takes no seed: the request's own passes through untouched (and is not sent).
    assert_eq!(seeds(ProviderKind::Anthropic), Some(u64::MAX - 6));
}
