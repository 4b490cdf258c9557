//! The pure parts: `Retry-After` parsing, backoff, token buckets, request keys, BM25, reply parsing of
//! shapes the test server does not produce, and the http retriever against a one-shot local server.

use std::time::{Duration, SystemTime};

use expect_test::expect;
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::json;
use trustgen_plugin_api::{GenParams, ModelRequest, ModelRole, RequestKind, RetrieveRequest};

use super::clients;
use crate::limit::Bucket;
use crate::retriever::{Bm25, parse_search};
use crate::{Backoff, ClientOptions, ModelSpec, ProviderKind, merge_params, retry_after};

#[test]
fn retry_after_reads_milliseconds_seconds_and_http_dates() {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    let check = |pairs: &[(&'static str, &str)]| {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, HeaderValue::from_str(value).unwrap_or_else(|e| panic!("{e}")));
        }
        retry_after(&headers, now)
    };
    let in_30s = httpdate::fmt_http_date(now + Duration::from_secs(30));
    let past = httpdate::fmt_http_date(now - Duration::from_secs(30));
    let results = [
        check(&[("retry-after", "2")]),
        check(&[("retry-after", "1.5")]),
        check(&[("retry-after-ms", "250"), ("retry-after", "9")]),
        check(&[("retry-after", &in_30s)]),
        check(&[("retry-after", &past)]),
        check(&[("retry-after", "86400")]),
        check(&[("retry-after", "soon")]),
        check(&[("retry-after", "-3")]),
        check(&[]),
    ];
    expect![[r#"
        [
            Some(
                2s,
            ),
            Some(
                1.5s,
            ),
            Some(
                250ms,
            ),
            Some(
                30s,
            ),
            Some(
                0ns,
            ),
            Some(
                600s,
            ),
            None,
            None,
            None,
        ]
    "#]]
    .assert_debug_eq(&results);
}

#[test]
fn backoff_is_seeded_by_the_key_bounded_and_growing() {
    let backoff = Backoff { base: Duration::from_millis(100), cap: Duration::from_millis(1000) };
    let a: Vec<Duration> = (0..6).map(|n| backoff.delay("key-a", n)).collect();
    let again: Vec<Duration> = (0..6).map(|n| backoff.delay("key-a", n)).collect();
    let b: Vec<Duration> = (0..6).map(|n| backoff.delay("key-b", n)).collect();
    assert_eq!(a, again, "the same key waits the same");
    assert_ne!(a, b, "another key waits differently");
    for (n, d) in a.iter().chain(&b).enumerate() {
        let ceiling = Duration::from_millis(100 * (1 << (n % 6))).min(Duration::from_millis(1000));
        assert!(*d < ceiling, "retry {} waited {d:?}, above {ceiling:?}", n % 6);
    }
    // Full jitter over many keys covers the range: the mean is near half the ceiling.
    let mean = (0..1000).map(|i| backoff.delay(&format!("k{i}"), 0).as_secs_f64()).sum::<f64>() / 1000.0;
    assert!((0.045..0.055).contains(&mean), "mean first wait {mean}");
}

#[test]
fn token_buckets_allow_one_second_then_pace_and_take_corrections() {
    // 600 per minute: 10 per second, bursts of 10.
    let bucket = Bucket::per_minute(600);
    let waits: Vec<u128> = (0..13).map(|_| bucket.reserve(1.0).as_millis()).collect();
    assert!(waits[..10].iter().all(|&w| w == 0), "{waits:?}");
    for (i, &w) in waits[10..].iter().enumerate() {
        let expected = 100 * (i as u128 + 1);
        assert!(w + 5 >= expected && w <= expected, "wait {w} ms, expected about {expected}: {waits:?}");
    }
    // Giving back 3 units repays the debt of the last three reservations.
    bucket.adjust(3.0);
    assert!(bucket.reserve(1.0).as_millis() <= 100);

    // Tokens: a 5000-token request on a 60000 TPM bucket (1000 per second) waits for its excess.
    let tokens = Bucket::per_minute(60_000);
    let wait = tokens.reserve(5000.0).as_millis();
    assert!((3990..=4000).contains(&wait), "{wait}");
    // The real usage was 1000 tokens: the next request does not pay for the estimate.
    tokens.adjust(4000.0);
    assert!(tokens.reserve(1.0) <= Duration::from_millis(2));
}

#[test]
fn merged_params_take_request_fields_first() {
    let defaults = GenParams::new()
        .with_temperature(0.7)
        .with_top_p(0.9)
        .with_max_tokens(100)
        .with_seed(1)
        .with_stop(vec!["S".into()]);
    let request = GenParams::new().with_temperature(0.0).with_json(true);
    expect![[r#"
        GenParams {
            temperature: Some(
                0.0,
            ),
            top_p: Some(
                0.9,
            ),
            max_tokens: Some(
                100,
            ),
            seed: Some(
                1,
            ),
            stop: [
                "S",
            ],
            json: true,
        }
    "#]]
    .assert_debug_eq(&merge_params(&request, &defaults));
}

#[test]
fn request_keys_are_stable_and_cover_what_changes_a_reply() {
    let spec = |model: &str, base_url: &str| {
        let mut spec = ModelSpec::new(ModelRole::Target, ProviderKind::OpenAi, model);
        spec.base_url = Some(base_url.to_owned());
        spec
    };
    let mut with_default = spec("m", "http://a/v1");
    with_default.defaults.temperature = Some(0.0);
    let clients = clients(vec![spec("m", "http://a/v1")], ClientOptions::default());
    let ask = |text: &str| ModelRequest::user(ModelRole::Target, text);
    let key = |c: &crate::Clients, r: &ModelRequest| c.key(r).unwrap_or_default();
    let base = key(&clients, &ask("hello"));
    // The key format is part of the cache: a change invalidates every user's cache, so it is pinned.
    expect!["b67f55a9ebb1baaaddbe50fce6bbd1525135aaec2e90162dea35fe315b1613d1"].assert_eq(&base);
    let variants = [
        ("other text", key(&clients, &ask("hello!"))),
        ("other params", key(&clients, &ask("hello").with_params(GenParams::greedy()))),
        ("other model", key(&super::clients(vec![spec("n", "http://a/v1")], ClientOptions::default()), &ask("hello"))),
        (
            "other endpoint",
            key(&super::clients(vec![spec("m", "http://b/v1")], ClientOptions::default()), &ask("hello")),
        ),
    ];
    for (what, other) in &variants {
        assert_ne!(&base, other, "{what} must change the key");
    }
    // A suite default equal to the request's own setting gives the same key.
    let defaulted = super::clients(vec![with_default], ClientOptions::default());
    assert_eq!(key(&defaulted, &ask("hello")), key(&clients, &ask("hello").with_params(GenParams::greedy())));
}

#[test]
fn bm25_ranks_by_rare_matching_terms_and_keeps_file_order_on_ties() {
    let docs = [
        "The Eiffel Tower is in Paris, the capital of France.",
        "Paris Hilton is a media personality.",
        "Berlin is the capital of Germany.",
        "The tower of London is a castle.",
        "Paris Hilton is a media personality.",
    ];
    // By hand for "Tower": N = 5, df = 2, idf = ln(1 + 3.5 / 2.5) = ln 2.4 = 0.8755; the average length is 7
    // tokens, so document 3 (7 tokens) scores exactly idf and document 0 (10 tokens)
    // 0.8755 * 2.2 / (1 + 1.2 * (0.25 + 0.75 * 10 / 7)) = 0.745.
    let index = Bm25::new(docs);
    let show = |query: &str, k: usize| -> Vec<String> {
        index.search(query, k).into_iter().map(|(d, s)| format!("{d} {s:.3}")).collect()
    };
    expect![[r#"
        (
            [
                "0 2.383",
                "2 1.502",
                "3 0.539",
            ],
            [
                "1 1.502",
                "4 1.502",
                "0 0.459",
            ],
            [
                "3 0.875",
                "0 0.745",
            ],
            [],
        )
    "#]]
    .assert_debug_eq(&(show("capital of France", 3), show("paris hilton", 3), show("Tower", 5), show("zebra", 3)));
}

#[test]
fn search_replies_of_common_shapes_become_documents() {
    let shapes = [
        json!({"results": [{"title": "A", "snippet": "alpha", "url": "https://a"}, {"title": "no text"}]}),
        json!({"web": {"results": [{"title": "B", "description": "beta", "url": "https://b"}]}}),
        json!({"organic": [{"title": "C", "snippet": "gamma", "link": "https://c"}, {"title": "D", "snippet": "delta"}]}),
        json!({"answer": "no results array"}),
    ];
    let parsed: Vec<_> = shapes.iter().map(|v| parse_search(v, 1)).collect();
    expect![[r#"
        [
            Some(
                [
                    Document {
                        title: "A",
                        text: "alpha",
                        url: Some(
                            "https://a",
                        ),
                    },
                ],
            ),
            Some(
                [
                    Document {
                        title: "B",
                        text: "beta",
                        url: Some(
                            "https://b",
                        ),
                    },
                ],
            ),
            Some(
                [
                    Document {
                        title: "C",
                        text: "gamma",
                        url: Some(
                            "https://c",
                        ),
                    },
                ],
            ),
            None,
        ]
    "#]]
    .assert_debug_eq(&parsed);
}

#[test]
fn gemini_and_anthropic_replies_parse_usage_thoughts_and_blocks() {
    let gemini = crate::gemini::parse(&json!({
        "candidates": [{"content": {"parts": [{"text": "thinking...", "thought": true}, {"text": "Answer."}]}, "finishReason": "MAX_TOKENS"}],
        "usageMetadata": {"promptTokenCount": 5, "candidatesTokenCount": 2, "thoughtsTokenCount": 3}
    }));
    let blocked = crate::gemini::parse(&json!({
        "candidates": [{"finishReason": "PROHIBITED_CONTENT", "safetyRatings": [
            {"category": "HARM_CATEGORY_HARASSMENT", "probability": "HIGH", "blocked": true},
            {"category": "HARM_CATEGORY_HATE_SPEECH", "probability": "LOW"}
        ]}]
    }));
    let anthropic = crate::anthropic::parse(&json!({
        "content": [{"type": "text", "text": "Hi "}, {"type": "text", "text": "there"}],
        "stop_reason": "max_tokens",
        "usage": {"input_tokens": 3, "cache_read_input_tokens": 4, "output_tokens": 2}
    }));
    expect![[r#"
        (
            Ok(
                ModelReply {
                    status: Ok,
                    text: Some(
                        "Answer.",
                    ),
                    images: [],
                    embeddings: [],
                    documents: [],
                    error: None,
                    finish_reason: Some(
                        "length",
                    ),
                    usage: Usage {
                        prompt_tokens: 5,
                        completion_tokens: 5,
                    },
                },
            ),
            Ok(
                ModelReply {
                    status: ContentFiltered,
                    text: None,
                    images: [],
                    embeddings: [],
                    documents: [],
                    error: Some(
                        "Gemini blocked the reply (finishReason PROHIBITED_CONTENT; categories: HARM_CATEGORY_HARASSMENT)",
                    ),
                    finish_reason: Some(
                        "prohibited_content",
                    ),
                    usage: Usage {
                        prompt_tokens: 0,
                        completion_tokens: 0,
                    },
                },
            ),
            Ok(
                ModelReply {
                    status: Ok,
                    text: Some(
                        "Hi there",
                    ),
                    images: [],
                    embeddings: [],
                    documents: [],
                    error: None,
                    finish_reason: Some(
                        "length",
                    ),
                    usage: Usage {
                        prompt_tokens: 7,
                        completion_tokens: 2,
                    },
                },
            ),
        )
    "#]].assert_debug_eq(&(gemini, blocked, anthropic));
}

/// Serves one HTTP request on loopback with `body`, and returns the request head it received.
async fn one_shot_json_server(body: String) -> (String, tokio::task::JoinHandle<String>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
    let url = format!("http://{}/search", listener.local_addr().unwrap_or_else(|e| panic!("{e}")));
    let handle = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap_or_else(|e| panic!("{e}"));
        let mut head = Vec::new();
        let mut buf = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = socket.read(&mut buf).await.unwrap_or(0);
            if n == 0 {
                break;
            }
            head.extend_from_slice(&buf[..n]);
        }
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = socket.write_all(response.as_bytes()).await;
        String::from_utf8_lossy(&head).into_owned()
    });
    (url, handle)
}

#[tokio::test]
async fn the_http_retriever_sends_query_count_and_key_and_reads_results() {
    let body = json!({"results": [
        {"title": "Eiffel Tower", "snippet": "A tower in Paris.", "url": "https://example.org/eiffel"},
        {"title": "Louvre", "text": "A museum in Paris.", "url": "https://example.org/louvre"},
        {"title": "Extra", "snippet": "Beyond the count."}
    ]})
    .to_string();
    let (url, head) = one_shot_json_server(body).await;
    let mut spec = ModelSpec::new(ModelRole::Retriever, ProviderKind::HttpSearch, "search");
    spec.base_url = Some(url);
    spec.api_key_env = Some(super::KEY_VAR.to_owned());
    let clients = clients(vec![spec], ClientOptions::default());
    let request = ModelRequest::new(
        ModelRole::Retriever,
        RequestKind::Retrieve(RetrieveRequest { query: "paris landmarks".to_owned(), max_results: 2 }),
    );
    let executed = clients.execute(&request).await.unwrap_or_else(|e| panic!("{e}"));
    let head = head.await.unwrap_or_else(|e| panic!("{e}"));
    let request_line = head.lines().next().unwrap_or_default().to_owned();
    let bearer = head.lines().any(|l| l.eq_ignore_ascii_case(&format!("authorization: Bearer {}", super::KEY)));
    assert!(bearer, "the key goes in a bearer header: {head}");
    expect![[r#"
        (
            "GET /search?q=paris+landmarks&count=2 HTTP/1.1",
            [
                Document {
                    title: "Eiffel Tower",
                    text: "A tower in Paris.",
                    url: Some(
                        "https://example.org/eiffel",
                    ),
                },
                Document {
                    title: "Louvre",
                    text: "A museum in Paris.",
                    url: Some(
                        "https://example.org/louvre",
                    ),
                },
            ],
        )
    "#]]
    .assert_debug_eq(&(request_line, executed.reply.documents));
}

#[tokio::test]
async fn the_corpus_retriever_ranks_a_jsonl_file_and_reports_bad_lines() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let good = dir.path().join("corpus.jsonl");
    std::fs::write(
        &good,
        concat!(
            "{\"title\": \"Berlin\", \"text\": \"Berlin is the capital of Germany.\", \"url\": \"https://example.org/berlin\"}\n",
            "\n",
            "{\"title\": \"Paris\", \"text\": \"Paris is the capital of France.\"}\n",
            "{\"text\": \"Bread is baked in an oven.\"}\n",
        ),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(&bad, "{\"text\": \"fine\"}\n{\"title\": \"no text\"}\n").unwrap_or_else(|e| panic!("{e}"));
    let corpus = |path: &std::path::Path| {
        let mut spec = ModelSpec::new(ModelRole::Retriever, ProviderKind::Corpus, "corpus.jsonl");
        spec.path = Some(path.to_owned());
        clients(vec![spec], ClientOptions::default())
    };
    let request = ModelRequest::new(
        ModelRole::Retriever,
        RequestKind::Retrieve(RetrieveRequest { query: "What is the capital of France?".to_owned(), max_results: 2 }),
    );
    let clients = corpus(&good);
    clients.preflight().await.unwrap_or_else(|e| panic!("{e}"));
    let executed = clients.execute(&request).await.unwrap_or_else(|e| panic!("{e}"));
    let error = corpus(&bad)
        .preflight()
        .await
        .map(|_| ())
        .unwrap_err()
        .to_string()
        .replace(&dir.path().display().to_string(), "DIR");
    expect![[r#"
        (
            [
                Document {
                    title: "Paris",
                    text: "Paris is the capital of France.",
                    url: None,
                },
                Document {
                    title: "Berlin",
                    text: "Berlin is the capital of Germany.",
                    url: Some(
                        "https://example.org/berlin",
                    ),
                },
            ],
            "[models.retriever] corpus DIR/bad.jsonl: line 2: no `text` string; each line is {\"title\", \"text\", \"url\"}",
        )
    "#]].assert_debug_eq(&(executed.reply.documents, error));
}

#[test]
fn error_replies_are_classified_retryable_per_case_or_fatal() {
    use crate::error::Failure;
    use crate::http::{Response, classify_status};
    let key = crate::secret::ApiKey::new("sk-secret-value-123".to_owned());
    let check = |status: u16, headers: &[(&'static str, &str)], body: &str| -> String {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(*name, HeaderValue::from_str(value).unwrap_or_else(|e| panic!("{e}")));
        }
        let response = Response {
            status: reqwest::StatusCode::from_u16(status).unwrap_or_else(|e| panic!("{e}")),
            headers: map,
            body: body.as_bytes().to_vec(),
        };
        match classify_status(&response, Some(&key)) {
            Failure::Retryable { reason, retry_after } => format!("{status} retry after {retry_after:?}: {reason}"),
            Failure::PerCase(message) => format!("{status} per case: {message}"),
            Failure::Fatal { kind, message, .. } => format!("{status} fatal {kind:?}: {message}"),
            Failure::Stop(error) => format!("{status} stop: {error}"),
        }
    };
    let rows = [
        check(429, &[("retry-after", "3")], r#"{"error": {"message": "Rate limit reached", "type": "requests"}}"#),
        check(429, &[], r#"{"error": {"message": "You exceeded your current quota", "code": "insufficient_quota"}}"#),
        check(
            429,
            &[],
            r#"{"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "message": "You exceeded your current quota, please check your plan and billing details.", "details": [{"retryDelay": "13s"}]}}"#,
        ),
        check(529, &[], r#"{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}"#),
        check(502, &[], "<html>Bad gateway</html>"),
        check(401, &[], r#"{"error": {"message": "Incorrect API key provided: sk-secret-value-123"}}"#),
        check(
            400,
            &[],
            r#"{"error": {"code": 400, "status": "INVALID_ARGUMENT", "message": "API key not valid.", "details": [{"reason": "API_KEY_INVALID"}]}}"#,
        ),
        check(
            400,
            &[],
            r#"{"error": {"message": "This model's maximum context length is 8192 tokens", "code": "context_length_exceeded"}}"#,
        ),
        check(
            400,
            &[],
            r#"{"error": {"message": "Unsupported parameter: 'max_tokens'", "code": "unsupported_parameter"}}"#,
        ),
        check(404, &[], r#"{"error": {"message": "The model `gpt-9` does not exist", "code": "model_not_found"}}"#),
        check(413, &[], ""),
    ];
    expect![[r#"
        429 retry after Some(3s): HTTP 429: Rate limit reached
        429 fatal Quota: You exceeded your current quota [insufficient_quota]
        429 retry after Some(13s): HTTP 429: You exceeded your current quota, please check your plan and billing details.
        529 retry after None: HTTP 529: Overloaded
        502 retry after None: HTTP 502: <html>Bad gateway</html>
        401 fatal Auth: Incorrect API key provided: [redacted]
        400 fatal Auth: API key not valid. [400 INVALID_ARGUMENT API_KEY_INVALID]
        400 per case: HTTP 400: This model's maximum context length is 8192 tokens
        400 fatal BadRequest: Unsupported parameter: 'max_tokens' [unsupported_parameter]
        404 fatal UnknownModel: The model `gpt-9` does not exist [model_not_found]
        413 per case: HTTP 413: the request is too large: (empty body)"#]].assert_eq(&rows.join("\n"));
}
