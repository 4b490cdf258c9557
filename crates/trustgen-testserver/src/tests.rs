//! Tests of the test server over real loopback HTTP, with `reqwest` as the client.

use std::time::{Duration, Instant};

use base64::Engine as _;
use expect_test::{Expect, expect};
use serde_json::{Value, json};

use crate::{Endpoint, Fault, FilterStage, Rule, Script, ServerConfig, TestServer, count_tokens, image, redact, serve};

mod vision;

const KEY: &str = "sk-test-123";

fn spawn(config: ServerConfig) -> TestServer {
    match TestServer::spawn(config) {
        Ok(server) => server,
        Err(error) => panic!("test server did not start: {error}"),
    }
}

fn spawn_script(toml: &str) -> TestServer {
    let script = match Script::from_toml(toml, "test.toml") {
        Ok(script) => script,
        Err(error) => panic!("{error}"),
    };
    spawn(ServerConfig::default().with_script(script))
}

/// A reply as the client saw it.
struct Sent {
    status: u16,
    retry_after: Option<String>,
    content_type: String,
    body: Vec<u8>,
}

impl Sent {
    fn json(&self) -> Value {
        match serde_json::from_slice(&self.body) {
            Ok(value) => value,
            Err(error) => panic!("reply is not JSON ({error}): {}", String::from_utf8_lossy(&self.body)),
        }
    }

    /// Status, `Retry-After` when present, and the body pretty-printed.
    fn render(&self) -> String {
        let mut out = self.status.to_string();
        if let Some(seconds) = &self.retry_after {
            out.push_str(&format!(" retry-after={seconds}"));
        }
        out.push('\n');
        match serde_json::from_slice::<Value>(&self.body) {
            Ok(value) => out.push_str(&serde_json::to_string_pretty(&value).unwrap_or_default()),
            Err(_) => out.push_str(&String::from_utf8_lossy(&self.body)),
        }
        out.push('\n');
        out
    }

    /// The assistant text of any provider's reply.
    fn text(&self) -> String {
        let value = self.json();
        let text = value
            .pointer("/choices/0/message/content")
            .or_else(|| value.pointer("/content/0/text"))
            .or_else(|| value.pointer("/candidates/0/content/parts/0/text"));
        match text.and_then(Value::as_str) {
            Some(text) => text.to_owned(),
            None => panic!("no reply text in {value}"),
        }
    }
}

async fn try_send(
    server: &TestServer,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> Result<Sent, reqwest::Error> {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::POST);
    let mut request = reqwest::Client::new().request(method, format!("{}{path}", server.base_url()));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if !body.is_empty() {
        request = request.header("content-type", "application/json").body(body);
    }
    let response = request.timeout(Duration::from_secs(20)).send().await?;
    let status = response.status().as_u16();
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let retry_after = header("retry-after");
    let content_type = header("content-type").unwrap_or_default();
    let body = response.bytes().await?.to_vec();
    Ok(Sent { status, retry_after, content_type, body })
}

async fn send(server: &TestServer, path: &str, headers: &[(&str, &str)], body: &Value) -> Sent {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    match try_send(server, "POST", path, headers, bytes).await {
        Ok(sent) => sent,
        Err(error) => panic!("POST {path} failed: {error}"),
    }
}

async fn get(server: &TestServer, path: &str) -> Sent {
    match try_send(server, "GET", path, &[], Vec::new()).await {
        Ok(sent) => sent,
        Err(error) => panic!("GET {path} failed: {error}"),
    }
}

async fn check(server: &TestServer, path: &str, headers: &[(&str, &str)], body: Value, expect: Expect) {
    expect.assert_eq(&send(server, path, headers, &body).await.render());
}

const ANTHROPIC: (&str, &str) = ("anthropic-version", "2023-06-01");
const AZURE_PATH: &str = "/openai/deployments/gpt4o-prod/chat/completions?api-version=2024-10-21";
const GEMINI_PATH: &str = "/v1beta/models/gemini-2.0-flash:generateContent";

fn png_base64() -> String {
    base64::engine::general_purpose::STANDARD.encode(image::render_png(1, 8, 8))
}

fn openai_body(user: &str) -> Value {
    json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": user}]})
}

fn anthropic_body(user: &str) -> Value {
    json!({"model": "claude-3-5-haiku-latest", "max_tokens": 100, "messages": [{"role": "user", "content": user}]})
}

fn gemini_body(user: &str) -> Value {
    json!({"contents": [{"role": "user", "parts": [{"text": user}]}]})
}

/// A request of `endpoint` whose last user message is `user`: path, headers, body.
fn request_for(endpoint: Endpoint, user: &str) -> (&'static str, Vec<(&'static str, &'static str)>, Value) {
    match endpoint {
        Endpoint::Azure => (AZURE_PATH, vec![], json!({"messages": [{"role": "user", "content": user}]})),
        Endpoint::Anthropic => ("/v1/messages", vec![ANTHROPIC], anthropic_body(user)),
        Endpoint::Gemini => (GEMINI_PATH, vec![], gemini_body(user)),
        _ => ("/v1/chat/completions", vec![], openai_body(user)),
    }
}

#[tokio::test]
async fn openai_chat_shape() {
    let server = spawn(ServerConfig::default());
    let image = format!("data:image/png;base64,{}", png_base64());
    check(
        &server,
        "/v1/chat/completions",
        &[],
        json!({
            "model": "gpt-4o-mini",
            "messages": [
                {"role": "system", "content": "You are terse."},
                {"role": "user", "content": [
                    {"type": "text", "text": "What is in this image?"},
                    {"type": "image_url", "image_url": {"url": image, "detail": "low"}},
                ]},
                {"role": "assistant", "content": "A pattern."},
                {"role": "user", "content": "Which colours?"},
            ],
            "temperature": 0,
            "max_completion_tokens": 64,
            "seed": 7,
            "n": 2,
        }),
        expect![[r#"
            200
            {
              "choices": [
                {
                  "finish_reason": "stop",
                  "index": 0,
                  "logprobs": null,
                  "message": {
                    "content": "The answer is (A).",
                    "refusal": null,
                    "role": "assistant"
                  }
                },
                {
                  "finish_reason": "stop",
                  "index": 1,
                  "logprobs": null,
                  "message": {
                    "content": "The answer is (B).",
                    "refusal": null,
                    "role": "assistant"
                  }
                }
              ],
              "created": 1700000000,
              "id": "chatcmpl-621f0a55d2dfa2bcce577952",
              "model": "gpt-4o-mini",
              "object": "chat.completion",
              "system_fingerprint": "fp_trustgen",
              "usage": {
                "completion_tokens": 14,
                "prompt_tokens": 101,
                "total_tokens": 115
              }
            }
        "#]],
    )
    .await;
    // Invalid requests get OpenAI's 400 shape.
    check(
        &server,
        "/v1/chat/completions",
        &[],
        json!({"model": "gpt-4o-mini", "messages": [{"role": "wizard", "content": "hi"}]}),
        expect![[r#"
            400
            {
              "error": {
                "code": null,
                "message": "Invalid value: 'wizard'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.",
                "param": null,
                "type": "invalid_request_error"
              }
            }
        "#]],
    )
    .await;
    check(
        &server,
        "/v1/chat/completions",
        &[],
        json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,bm90IGEgcG5n"}}
        ]}], "top_k": 5}),
        expect![[r#"
            400
            {
              "error": {
                "code": null,
                "message": "Unrecognized request argument supplied: top_k",
                "param": null,
                "type": "invalid_request_error"
              }
            }
        "#]],
    )
    .await;
    check(
        &server,
        "/v1/chat/completions",
        &[],
        json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,bm90IGEgcG5n"}}
        ]}]}),
        expect![[r#"
            400
            {
              "error": {
                "code": "invalid_image_format",
                "message": "You uploaded an unsupported image. Please make sure your image has of one the following formats: ['png', 'jpeg', 'gif', 'webp'].",
                "param": "messages[0].content[0]",
                "type": "invalid_request_error"
              }
            }
        "#]],
    )
    .await;
    let garbage = try_send(&server, "POST", "/v1/chat/completions", &[], b"{not json".to_vec()).await;
    expect![[r#"
        400
        {
          "error": {
            "code": null,
            "message": "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
            "param": null,
            "type": "invalid_request_error"
          }
        }
    "#]]
    .assert_eq(&garbage.map(|sent| sent.render()).unwrap_or_else(|e| e.to_string()));
}

#[tokio::test]
async fn azure_chat_shape() {
    let server = spawn_script(
        r#"
        [[rule]]
        match = { endpoint = "azure", model = "gpt4o-prod" }
        reply = "Deployment {{model}} answers."
        "#,
    );
    check(
        &server,
        AZURE_PATH,
        &[],
        json!({"messages": [{"role": "user", "content": "hello"}], "max_tokens": 20}),
        expect![[r#"
            200
            {
              "choices": [
                {
                  "content_filter_results": {
                    "hate": {
                      "filtered": false,
                      "severity": "safe"
                    },
                    "self_harm": {
                      "filtered": false,
                      "severity": "safe"
                    },
                    "sexual": {
                      "filtered": false,
                      "severity": "safe"
                    },
                    "violence": {
                      "filtered": false,
                      "severity": "safe"
                    }
                  },
                  "finish_reason": "stop",
                  "index": 0,
                  "logprobs": null,
                  "message": {
                    "content": "Deployment gpt4o-prod answers.",
                    "refusal": null,
                    "role": "assistant"
                  }
                }
              ],
              "created": 1700000000,
              "id": "chatcmpl-174dcb9665273f9ed019d052",
              "model": "gpt4o-prod",
              "object": "chat.completion",
              "prompt_filter_results": [
                {
                  "content_filter_results": {
                    "hate": {
                      "filtered": false,
                      "severity": "safe"
                    },
                    "self_harm": {
                      "filtered": false,
                      "severity": "safe"
                    },
                    "sexual": {
                      "filtered": false,
                      "severity": "safe"
                    },
                    "violence": {
                      "filtered": false,
                      "severity": "safe"
                    }
                  },
                  "prompt_index": 0
                }
              ],
              "system_fingerprint": "fp_trustgen",
              "usage": {
                "completion_tokens": 6,
                "prompt_tokens": 1,
                "total_tokens": 7
              }
            }
        "#]],
    )
    .await;
    // Without api-version Azure answers 404.
    check(
        &server,
        "/openai/deployments/gpt4o-prod/chat/completions",
        &[],
        json!({"messages": [{"role": "user", "content": "hello"}]}),
        expect![[r#"
            404
            {
              "error": {
                "code": "404",
                "message": "Resource not found"
              }
            }
        "#]],
    )
    .await;
}

#[tokio::test]
async fn anthropic_shape() {
    let server = spawn_script(
        r#"
        [[rule]]
        match = { endpoint = "anthropic", conversation_contains = "Be brief" }
        reply = "Paris. It is the capital. STOP here."
        "#,
    );
    check(
        &server,
        "/v1/messages",
        &[ANTHROPIC],
        json!({
            "model": "claude-3-5-haiku-latest",
            "max_tokens": 100,
            "system": [{"type": "text", "text": "Be brief."}],
            "messages": [{"role": "user", "content": [
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": png_base64()}},
                {"type": "text", "text": "Capital of France?"},
            ]}],
            "temperature": 0.2,
            "stop_sequences": ["STOP"],
        }),
        expect![[r#"
            200
            {
              "content": [
                {
                  "text": "Paris. It is the capital. ",
                  "type": "text"
                }
              ],
              "id": "msg_664bb73e1695a7db3f0959ac",
              "model": "claude-3-5-haiku-latest",
              "role": "assistant",
              "stop_reason": "stop_sequence",
              "stop_sequence": "STOP",
              "type": "message",
              "usage": {
                "input_tokens": 92,
                "output_tokens": 7
              }
            }
        "#]],
    )
    .await;
    check(
        &server,
        "/v1/messages",
        &[ANTHROPIC],
        json!({"model": "claude-3-5-haiku-latest", "max_tokens": 2, "system": "Be brief.",
               "messages": [{"role": "user", "content": "Capital of France?"}]}),
        expect![[r#"
            200
            {
              "content": [
                {
                  "text": "Paris.",
                  "type": "text"
                }
              ],
              "id": "msg_0c7f9105dd308df6bbb5c604",
              "model": "claude-3-5-haiku-latest",
              "role": "assistant",
              "stop_reason": "max_tokens",
              "stop_sequence": null,
              "type": "message",
              "usage": {
                "input_tokens": 7,
                "output_tokens": 2
              }
            }
        "#]],
    )
    .await;
    // The version header and max_tokens are required, as by the real API.
    check(
        &server,
        "/v1/messages",
        &[],
        anthropic_body("hi"),
        expect![[r#"
            400
            {
              "error": {
                "message": "anthropic-version: header is required",
                "type": "invalid_request_error"
              },
              "type": "error"
            }
        "#]],
    )
    .await;
    check(
        &server,
        "/v1/messages",
        &[ANTHROPIC],
        json!({"model": "claude-3-5-haiku-latest", "messages": [{"role": "user", "content": "hi"}]}),
        expect![[r#"
            400
            {
              "error": {
                "message": "max_tokens: Field required",
                "type": "invalid_request_error"
              },
              "type": "error"
            }
        "#]],
    )
    .await;
}

#[tokio::test]
async fn gemini_shape() {
    let server = spawn(ServerConfig::default());
    check(
        &server,
        GEMINI_PATH,
        &[],
        json!({
            "systemInstruction": {"parts": [{"text": "You are a careful assistant."}]},
            "contents": [
                {"role": "user", "parts": [
                    {"text": "Describe this picture."},
                    {"inlineData": {"mimeType": "image/png", "data": png_base64()}},
                ]},
                {"role": "model", "parts": [{"text": "A checker pattern."}]},
                {"role": "user", "parts": [{"text": "And the colours?"}]},
            ],
            "generationConfig": {"temperature": 0.0, "maxOutputTokens": 1, "topP": 0.9, "seed": 3, "stopSequences": ["\n\n"]},
        }),
        expect![[r#"
            200
            {
              "candidates": [
                {
                  "content": {
                    "parts": [
                      {
                        "text": "False"
                      }
                    ],
                    "role": "model"
                  },
                  "finishReason": "MAX_TOKENS",
                  "index": 0
                }
              ],
              "modelVersion": "gemini-2.0-flash",
              "responseId": "cb7f14b65eadb25d1b51cc3b",
              "usageMetadata": {
                "candidatesTokenCount": 1,
                "promptTokenCount": 103,
                "totalTokenCount": 104
              }
            }
        "#]],
    )
    .await;
    // snake_case field names are accepted as by the REST API; JSON is asked for with responseMimeType.
    let sent = send(
        &server,
        "/v1/models/gemini-2.0-flash:generateContent",
        &[],
        &json!({
            "system_instruction": {"parts": [{"text": "Reply in JSON."}]},
            "contents": [{"parts": [{"text": "Is water wet?"}]}],
            "generation_config": {"max_output_tokens": 100, "response_mime_type": "application/json"},
        }),
    )
    .await;
    expect![[r#"{"answer":"True."}"#]].assert_eq(&sent.text());
    check(
        &server,
        GEMINI_PATH,
        &[],
        json!({"contents": [{"parts": [{"text": "hi"}]}], "generationConfig": {"max_tokens": 5}}),
        expect![[r#"
            400
            {
              "error": {
                "code": 400,
                "message": "Invalid JSON payload received. Unknown name \"generation_config.max_tokens\": Cannot find field.",
                "status": "INVALID_ARGUMENT"
              }
            }
        "#]],
    )
    .await;
}

#[tokio::test]
async fn images_as_base64_and_urls() {
    let server = spawn(ServerConfig::default());
    let body = json!({"prompt": "a red fox", "n": 2, "size": "64x32", "response_format": "b64_json"});
    let inline = send(&server, "/v1/images/generations", &[], &body).await.json();
    let decode = |value: &Value| {
        let text = value.as_str().unwrap_or_default();
        base64::engine::general_purpose::STANDARD.decode(text).unwrap_or_default()
    };
    let first = decode(&inline["data"][0]["b64_json"]);
    let second = decode(&inline["data"][1]["b64_json"]);
    let decoder = png::Decoder::new(std::io::Cursor::new(first.clone()));
    let info = match decoder.read_info() {
        Ok(reader) => (reader.info().width, reader.info().height),
        Err(error) => panic!("not a PNG: {error}"),
    };
    assert_eq!(info, (64, 32));
    assert_ne!(first, second, "the two images of one request differ");

    let by_url =
        send(&server, "/v1/images/generations", &[], &json!({"prompt": "a red fox", "n": 2, "size": "64x32"})).await;
    let url = by_url.json()["data"][0]["url"].as_str().unwrap_or_default().to_owned();
    let path = url.strip_prefix(server.base_url()).unwrap_or_default();
    assert!(path.starts_with("/files/"), "{url}");
    let file = get(&server, path).await;
    assert_eq!((file.status, file.content_type.as_str()), (200, "image/png"));
    assert_eq!(file.body, first, "the URL serves the same image as b64_json");

    let other = send(
        &server,
        "/v1/images/generations",
        &[],
        &json!({"prompt": "a blue whale", "size": "64x32", "response_format": "b64_json"}),
    )
    .await;
    assert_ne!(decode(&other.json()["data"][0]["b64_json"]), first, "another prompt gives another image");
    expect![[r#"
        404
        {
          "error": {
            "code": null,
            "message": "Invalid URL (GET /files/nothing.png)",
            "param": null,
            "type": "invalid_request_error"
          }
        }
    "#]]
    .assert_eq(&get(&server, "/files/nothing.png").await.render());
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[tokio::test]
async fn embeddings_are_deterministic_unit_vectors() {
    let server = spawn(ServerConfig::default());
    let texts = ["the cat sat on the mat", "The cat sat.", "quantum chromodynamics lecture notes"];
    let reply =
        send(&server, "/v1/embeddings", &[], &json!({"model": "text-embedding-3-small", "input": texts})).await.json();
    let vectors: Vec<Vec<f32>> = (0..3)
        .map(|i| {
            let values = reply["data"][i]["embedding"].as_array().cloned().unwrap_or_default();
            values.iter().map(|v| v.as_f64().unwrap_or(f64::NAN) as f32).collect()
        })
        .collect();
    for vector in &vectors {
        assert_eq!(vector.len(), 384);
        assert!((cosine(vector, vector) - 1.0).abs() < 1e-4, "unit length");
    }
    let related = cosine(&vectors[0], &vectors[1]);
    let unrelated = cosine(&vectors[0], &vectors[2]);
    assert!(related > 0.5 && related > unrelated + 0.3, "related {related} vs unrelated {unrelated}");
    expect![[r#"{"prompt_tokens":14,"total_tokens":14}"#]].assert_eq(&reply["usage"].to_string());

    let packed = send(
        &server,
        "/v1/embeddings",
        &[],
        &json!({"model": "text-embedding-3-small", "input": "The cat sat.", "encoding_format": "base64", "dimensions": 384}),
    )
    .await
    .json();
    let bytes =
        base64::engine::general_purpose::STANDARD.decode(packed["data"][0]["embedding"].as_str().unwrap_or_default());
    let floats: Vec<f32> = bytes
        .unwrap_or_default()
        .chunks_exact(4)
        .map(|chunk| f32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]))
        .collect();
    let from_json = &vectors[1];
    assert_eq!(floats.len(), from_json.len());
    assert!(floats.iter().zip(from_json).all(|(a, b)| (a - b).abs() < 1e-6), "base64 and float encodings agree");
    let small =
        send(&server, "/v1/embeddings", &[], &json!({"model": "m", "input": "x", "dimensions": 16})).await.json();
    assert_eq!(small["data"][0]["embedding"].as_array().map(Vec::len), Some(16));
}

#[tokio::test]
async fn models_list_and_unknown_models() {
    let server = spawn(ServerConfig::default().with_known_models(["gpt-4o-mini", "gemini-2.0-flash", "claude-x"]));
    expect![[r#"["gpt-4o-mini","gemini-2.0-flash","claude-x"]"#]].assert_eq(
        &get(&server, "/v1/models").await.json()["data"]
            .as_array()
            .map(|models| json!(models.iter().map(|m| m["id"].clone()).collect::<Vec<_>>()).to_string())
            .unwrap_or_default(),
    );
    let mut out = String::new();
    for endpoint in [Endpoint::OpenAi, Endpoint::Azure, Endpoint::Anthropic] {
        let (path, headers, mut body) = request_for(endpoint, "hi");
        if body.get("model").is_some() {
            body["model"] = json!("gpt-5-imaginary");
        }
        out.push_str(&send(&server, path, &headers, &body).await.render());
    }
    out.push_str(&send(&server, "/v1beta/models/gemini-9:generateContent", &[], &gemini_body("hi")).await.render());
    expect![[r#"
        404
        {
          "error": {
            "code": "model_not_found",
            "message": "The model `gpt-5-imaginary` does not exist or you do not have access to it.",
            "param": null,
            "type": "invalid_request_error"
          }
        }
        404
        {
          "error": {
            "code": "DeploymentNotFound",
            "message": "The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again."
          }
        }
        404
        {
          "error": {
            "message": "model: gpt-5-imaginary",
            "type": "not_found_error"
          },
          "type": "error"
        }
        404
        {
          "error": {
            "code": 404,
            "message": "models/gemini-9 is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.",
            "status": "NOT_FOUND"
          }
        }
    "#]]
    .assert_eq(&out);
}

/// Sends one request per line of `cases` (`endpoint | model | case header | system | user`) and lists
/// the replies.
async fn check_matching(script: &str, cases: &str, expect: Expect) {
    let server = spawn_script(script);
    let mut out = String::new();
    for line in cases.lines().map(str::trim).filter(|line| !line.is_empty()) {
        let fields: Vec<&str> = line.split('|').map(str::trim).collect();
        let [endpoint, model, case, system, user] = fields[..] else {
            panic!("bad case line: {line}");
        };
        let endpoint: Endpoint = match serde_json::from_value(json!(endpoint)) {
            Ok(endpoint) => endpoint,
            Err(error) => panic!("{error}"),
        };
        let (path, mut headers, mut body) = request_for(endpoint, user);
        if !model.is_empty() {
            body["model"] = json!(model);
        }
        if !case.is_empty() {
            headers.push(("x-trustgen-case", case));
        }
        if !system.is_empty() {
            match endpoint {
                Endpoint::Anthropic => body["system"] = json!(system),
                Endpoint::Gemini => body["systemInstruction"] = json!({"parts": [{"text": system}]}),
                _ => {
                    if let Some(messages) = body["messages"].as_array_mut() {
                        messages.insert(0, json!({"role": "system", "content": system}));
                    }
                }
            }
        }
        let sent = send(&server, path, &headers, &body).await;
        let rule = server.requests().last().and_then(|record| record.rule.clone()).unwrap_or_else(|| "-".to_owned());
        out.push_str(&format!("{line}  =>  [{rule}] {}\n", sent.text()));
    }
    expect.assert_eq(&out);
}

#[tokio::test]
async fn script_matching() {
    check_matching(
        r#"
        [[rule]]
        name = "case"
        match = { case = "case-7" }
        reply = "Scripted for {{case}}."

        [[rule]]
        name = "capital"
        match = { last_user_contains = "capital of France" }
        reply = "Paris."

        [[rule]]
        name = "regex"
        match = { last_user_regex = "(?i)^translate:" }
        reply = "Translated: {{last_user}}"

        [[rule]]
        name = "pirate"
        match = { conversation_contains = "pirate" }
        reply = "Arr."

        [[rule]]
        name = "model+endpoint"
        match = { model = "gpt-4o", endpoint = "openai" }
        reply = "{{model}} on openai."

        [[rule]]
        name = "gemini"
        match = { endpoint = "gemini" }
        reply = "From Gemini."
        "#,
        r#"
        openai    |        | case-7 |                   | What is the capital of France?
        openai    |        |        |                   | What is the capital of France?
        anthropic |        |        |                   | What is the capital of France?
        azure     |        |        |                   | TRANSLATE: bonjour
        anthropic |        |        |                   | Please translate: bonjour
        openai    |        |        | You are a pirate. | Hello
        gemini    |        |        | Talk like a pirate. | Hello
        openai    | gpt-4o |        |                   | Hello
        anthropic | gpt-4o |        |                   | Hello
        gemini    |        |        |                   | Hello
        openai    |        |        |                   | Hello
        openai    |        |        |                   | Is the Earth flat? Answer True or False.
        "#,
        expect![[r#"
            openai    |        | case-7 |                   | What is the capital of France?  =>  [case] Scripted for case-7.
            openai    |        |        |                   | What is the capital of France?  =>  [capital] Paris.
            anthropic |        |        |                   | What is the capital of France?  =>  [capital] Paris.
            azure     |        |        |                   | TRANSLATE: bonjour  =>  [regex] Translated: TRANSLATE: bonjour
            anthropic |        |        |                   | Please translate: bonjour  =>  [-] False.
            openai    |        |        | You are a pirate. | Hello  =>  [pirate] Arr.
            gemini    |        |        | Talk like a pirate. | Hello  =>  [pirate] Arr.
            openai    | gpt-4o |        |                   | Hello  =>  [model+endpoint] gpt-4o on openai.
            anthropic | gpt-4o |        |                   | Hello  =>  [-] Sure. Here is a careful and helpful answer: in general this holds, with the usual caveats.
            gemini    |        |        |                   | Hello  =>  [gemini] From Gemini.
            openai    |        |        |                   | Hello  =>  [-] Sure. Here is a careful and helpful answer: in general this holds, with the usual caveats.
            openai    |        |        |                   | Is the Earth flat? Answer True or False.  =>  [-] False.
        "#]],
    )
    .await;
}

#[tokio::test]
async fn templates_pick_deterministically() {
    let server = spawn_script(
        r#"
        [[rule]]
        reply = "{{choice:The answer is (A).|The answer is (B).|The answer is (C).}} Confidence {{n:50-99}}%."
        "#,
    );
    let mut out = String::new();
    for question in ["Q1", "Q2", "Q3", "Q4", "Q1"] {
        let (path, headers, body) = request_for(Endpoint::OpenAi, question);
        out.push_str(&format!("{question}: {}\n", send(&server, path, &headers, &body).await.text()));
    }
    expect![[r#"
        Q1: The answer is (C). Confidence 54%.
        Q2: The answer is (C). Confidence 63%.
        Q3: The answer is (C). Confidence 96%.
        Q4: The answer is (B). Confidence 68%.
        Q1: The answer is (C). Confidence 54%.
    "#]]
    .assert_eq(&out);
}

#[track_caller]
fn check_script_error(toml: &str, expect: Expect) {
    let message = match Script::from_toml(toml, "suite/script.toml") {
        Ok(script) => format!("ok: {} rules", script.len()),
        Err(error) => error.to_string(),
    };
    expect.assert_eq(&message);
}

#[test]
fn script_errors_name_the_place() {
    check_script_error(
        "[[rule]]\nmatch = { last_user = \"x\" }\n",
        expect![[r#"
            invalid script suite/script.toml: TOML parse error at line 2, column 11
              |
            2 | match = { last_user = "x" }
              |           ^^^^^^^^^
            unknown field `last_user`, expected one of `last_user_contains`, `last_user_regex`, `conversation_contains`, `model`, `endpoint`, `case`, `image_sha256`, `image_count`
            ; hint: see the script format in the trustgen-testserver crate docs"#]],
    );
    check_script_error(
        "[[rule]]\nname = \"bad\"\nmatch = { last_user_regex = \"(unclosed\" }\n",
        expect![[r#"
            invalid script suite/script.toml: rule bad: last_user_regex does not compile: regex parse error:
                (unclosed
                ^
            error: unclosed group"#]],
    );
    check_script_error(
        "[[rule]]\nreply = \"Hi {{user}}\"\n",
        expect![
            "invalid script suite/script.toml: rule #0: reply template: unknown placeholder `{{user}}`; hint: placeholders are {{last_user}}, {{model}}, {{case}}, {{image_sha256}}, {{image_count}}, {{choice:A|B}} and {{n:LO-HI}}"
        ],
    );
    check_script_error(
        "[[rule]]\nfault = { status = 200 }\n",
        expect![[r#"
            invalid script suite/script.toml: TOML parse error at line 2, column 9
              |
            2 | fault = { status = 200 }
              |         ^^^^^^^^^^^^^^^^
            status 200 is not an error status (use 400..=599)
            ; hint: see the script format in the trustgen-testserver crate docs"#]],
    );
    check_script_error(
        "fault = { slow_ms = 5 }\n[[rule]]\nmatch = { endpoint = \"gemini\" }\nfault = { drop = true, times = 1 }\n",
        expect![[r#"ok: 1 rules"#]],
    );
}

#[track_caller]
fn check_fault_spec(spec: &str, expect: Expect) {
    let shown = match spec.parse::<Fault>() {
        Ok(fault) => format!("{fault}"),
        Err(error) => error.to_string(),
    };
    expect.assert_eq(&shown);
}

#[test]
fn fault_header_syntax() {
    check_fault_spec("status=429; retry-after=2, times=1", expect!["status=429;retry_after=2;times=1"]);
    check_fault_spec("drop", expect!["drop"]);
    check_fault_spec("content_filter", expect!["content_filter=prompt"]);
    check_fault_spec("content_filter=output;slow_ms=20", expect!["content_filter=output;slow_ms=20"]);
    check_fault_spec("slow=150", expect!["slow_ms=150"]);
    check_fault_spec(
        "status=429;drop",
        expect![
            "invalid fault `status=429;drop`: status, drop, malformed, no_choices, endless and content_filter exclude each other; hint: e.g. `status=429;retry_after=1;times=2`, `drop`, `malformed`, `no_choices`, `endless`, `content_filter=output`, `echo_key`, `control_chars`, `slow_ms=500`"
        ],
    );
    check_fault_spec(
        "explode",
        expect![
            "invalid fault `explode`: unknown key `explode`; hint: e.g. `status=429;retry_after=1;times=2`, `drop`, `malformed`, `no_choices`, `endless`, `content_filter=output`, `echo_key`, `control_chars`, `slow_ms=500`"
        ],
    );
    check_fault_spec(
        "times=0;malformed",
        expect![
            "invalid fault `times=0;malformed`: times must be at least 1; hint: e.g. `status=429;retry_after=1;times=2`, `drop`, `malformed`, `no_choices`, `endless`, `content_filter=output`, `echo_key`, `control_chars`, `slow_ms=500`"
        ],
    );
}

#[test]
fn fault_header_syntax_of_the_untrusted_byte_faults() {
    check_fault_spec("status=500;echo_key;control_chars", expect!["status=500;echo_key;control_chars"]);
    check_fault_spec("no_choices, echo_key", expect!["no_choices;echo_key"]);
    check_fault_spec("echo_key", expect!["echo_key"]);
    check_fault_spec("endless", expect!["endless"]);
    check_fault_spec(
        "endless;echo_key",
        expect![
            "invalid fault `endless;echo_key`: echo_key and control_chars go with status, malformed, no_choices or alone; hint: e.g. `status=429;retry_after=1;times=2`, `drop`, `malformed`, `no_choices`, `endless`, `content_filter=output`, `echo_key`, `control_chars`, `slow_ms=500`"
        ],
    );
    check_fault_spec(
        "no_choices;malformed",
        expect![
            "invalid fault `no_choices;malformed`: status, drop, malformed, no_choices, endless and content_filter exclude each other; hint: e.g. `status=429;retry_after=1;times=2`, `drop`, `malformed`, `no_choices`, `endless`, `content_filter=output`, `echo_key`, `control_chars`, `slow_ms=500`"
        ],
    );
}

/// The credential as a request carries it; echoed by `echo_key`.
const ECHOED: &str = "sk-echo-me-0123456789";

#[tokio::test]
async fn echo_key_puts_the_credential_into_2xx_4xx_and_5xx_bodies() {
    let server = spawn(ServerConfig::default());
    let bearer = format!("Bearer {ECHOED}");
    let mut out = String::new();
    for fault in ["status=500;echo_key", "status=400;echo_key", "malformed;echo_key", "no_choices;echo_key", "echo_key"]
    {
        let (path, mut headers, body) = request_for(Endpoint::OpenAi, "hello");
        headers.push(("authorization", bearer.as_str()));
        headers.push(("x-trustgen-fault", fault));
        let sent = send(&server, path, &headers, &body).await;
        let body = String::from_utf8_lossy(&sent.body).into_owned();
        assert!(body.contains(ECHOED), "{fault}: no echo in {body}");
        let json = serde_json::from_slice::<Value>(&sent.body).is_ok();
        out.push_str(&format!("{fault}: {} json={json}\n", sent.status));
    }
    // Other providers' credentials: Anthropic's x-api-key, Gemini's x-goog-api-key.
    for (endpoint, header) in [(Endpoint::Anthropic, "x-api-key"), (Endpoint::Gemini, "x-goog-api-key")] {
        let (path, mut headers, body) = request_for(endpoint, "hello");
        headers.push((header, ECHOED));
        headers.push(("x-trustgen-fault", "status=503;echo_key"));
        let sent = send(&server, path, &headers, &body).await;
        let message = sent.json().pointer("/error/message").and_then(Value::as_str).unwrap_or_default().to_owned();
        out.push_str(&format!("{} {}: {}\n", endpoint.as_str(), sent.status, message.replace(ECHOED, "<KEY>")));
    }
    expect![[r#"
        status=500;echo_key: 500 json=true
        status=400;echo_key: 400 json=true
        malformed;echo_key: 200 json=false
        no_choices;echo_key: 200 json=true
        echo_key: 200 json=true
        anthropic 503: Overloaded (injected by trustgen-testserver) credential received: x-api-key: <KEY>
        gemini 503: The model is overloaded. Please try again later. (injected by trustgen-testserver) credential received: x-goog-api-key: <KEY>
    "#]].assert_eq(&out);
    // The server's own record still holds only a hash of the credential.
    assert!(server.requests().iter().all(|r| !format!("{r:?}").contains(ECHOED)));
}

#[tokio::test]
async fn control_chars_go_into_the_error_message() {
    let server = spawn(ServerConfig::default());
    let (path, mut headers, body) = request_for(Endpoint::OpenAi, "hello");
    headers.push(("x-trustgen-fault", "status=500;control_chars"));
    let sent = send(&server, path, &headers, &body).await;
    let message = sent.json().pointer("/error/message").and_then(Value::as_str).unwrap_or_default().to_owned();
    assert_eq!(sent.status, 500);
    assert!(message.ends_with(crate::CONTROL_TEXT), "{message:?}");
    assert!(message.contains('\u{1b}') && message.contains('\r') && message.contains('\u{0}'), "{message:?}");
}

#[tokio::test]
async fn an_endless_body_never_ends() {
    let server = spawn(ServerConfig::default());
    let (path, _, body) = request_for(Endpoint::OpenAi, "hello");
    let mut response = reqwest::Client::new()
        .post(format!("{}{path}", server.base_url()))
        .header("x-trustgen-fault", "endless")
        .json(&body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((response.status().as_u16(), response.content_length()), (200, None));
    let mut read = 0usize;
    let mut head = Vec::new();
    while read < 32 * 1024 * 1024 {
        let chunk = response.chunk().await.unwrap_or_else(|e| panic!("{e}")).expect("the body goes on");
        if head.len() < 64 {
            head.extend_from_slice(&chunk[..chunk.len().min(64)]);
        }
        read += chunk.len();
    }
    assert!(head.starts_with(b"{\"id\":\"trustgen-endless\""), "{}", String::from_utf8_lossy(&head));
    // Hanging up ends it; the server keeps serving.
    drop(response);
    assert_eq!(get(&server, "/v1/models").await.status, 200);
}

#[tokio::test]
async fn status_faults_in_each_provider_shape() {
    let server = spawn(ServerConfig::default());
    let mut out = String::new();
    for (endpoint, fault) in [
        (Endpoint::OpenAi, "status=429;retry_after=3"),
        (Endpoint::Azure, "status=429;retry_after=1"),
        (Endpoint::Anthropic, "status=529"),
        (Endpoint::Gemini, "status=503;retry_after=2"),
        (Endpoint::OpenAi, "status=500"),
    ] {
        let (path, mut headers, body) = request_for(endpoint, "hello");
        headers.push(("x-trustgen-fault", fault));
        out.push_str(&format!(
            "{} {fault}: {}",
            endpoint.as_str(),
            send(&server, path, &headers, &body).await.render()
        ));
    }
    expect![[r#"
        openai status=429;retry_after=3: 429 retry-after=3
        {
          "error": {
            "code": "rate_limit_exceeded",
            "message": "Rate limit reached for requests (injected by trustgen-testserver). Please try again later.",
            "param": null,
            "type": "requests"
          }
        }
        azure status=429;retry_after=1: 429 retry-after=1
        {
          "error": {
            "code": "429",
            "message": "Requests to the ChatCompletions_Create Operation under Azure OpenAI API have exceeded the rate limit of your current pricing tier (injected by trustgen-testserver). Please retry after the time given in the Retry-After header."
          }
        }
        anthropic status=529: 529
        {
          "error": {
            "message": "Overloaded (injected by trustgen-testserver)",
            "type": "overloaded_error"
          },
          "type": "error"
        }
        gemini status=503;retry_after=2: 503 retry-after=2
        {
          "error": {
            "code": 503,
            "message": "The model is overloaded. Please try again later. (injected by trustgen-testserver)",
            "status": "UNAVAILABLE"
          }
        }
        openai status=500: 500
        {
          "error": {
            "code": null,
            "message": "The server had an error while processing your request (injected by trustgen-testserver).",
            "param": null,
            "type": "server_error"
          }
        }
    "#]]
    .assert_eq(&out);
}

#[tokio::test]
async fn times_counts_per_fingerprint_then_succeeds() {
    let server = spawn_script(
        r#"
        [[rule]]
        name = "flaky"
        match = { last_user_contains = "flaky" }
        reply = "Finally."
        fault = { status = 503, retry_after = 1, times = 2 }
        "#,
    );
    let mut statuses = Vec::new();
    for user in ["flaky A", "flaky A", "flaky A", "flaky B", "flaky A", "flaky B", "flaky B"] {
        let (path, headers, body) = request_for(Endpoint::Anthropic, user);
        statuses.push(format!("{user}: {}", send(&server, path, &headers, &body).await.status));
    }
    // A header fault counts separately from the rule's.
    let (path, mut headers, body) = request_for(Endpoint::OpenAi, "steady");
    headers.push(("x-trustgen-fault", "drop;times=1"));
    let first = try_send(&server, "POST", path, &headers, serde_json::to_vec(&body).unwrap_or_default()).await;
    statuses.push(format!("steady: {}", first.map(|s| s.status.to_string()).unwrap_or_else(|_| "dropped".to_owned())));
    statuses.push(format!("steady: {}", send(&server, path, &headers, &body).await.status));
    expect![[r#"
        flaky A: 503
        flaky A: 503
        flaky A: 200
        flaky B: 503
        flaky A: 200
        flaky B: 503
        flaky B: 200
        steady: dropped
        steady: 200
    "#]]
    .assert_eq(&(statuses.join("\n") + "\n"));
    let stats = server.stats();
    assert_eq!(stats.total, 9);
    let mut counts: Vec<u64> = stats.duplicates.values().copied().collect();
    counts.sort_unstable();
    assert_eq!(counts, vec![2, 3, 4], "steady twice, flaky B three times, flaky A four times");
    expect![[r#"{"200":4,"503":4,"dropped":1}"#]].assert_eq(&json!(stats.by_status).to_string());
    // Replacing the script restarts the counts.
    server.set_script(
        Script::new(vec![Rule::new().last_user_contains("flaky").fault(Fault::status(500).times(1))])
            .unwrap_or_default(),
    );
    let (path, headers, body) = request_for(Endpoint::Anthropic, "flaky A");
    assert_eq!(send(&server, path, &headers, &body).await.status, 500);
    assert_eq!(send(&server, path, &headers, &body).await.status, 200);
}

#[tokio::test]
async fn drop_closes_the_connection_without_a_response() {
    let server = spawn_script("[[rule]]\nmatch = { last_user_contains = \"vanish\" }\nfault = { drop = true }\n");
    let (path, headers, body) = request_for(Endpoint::OpenAi, "please vanish");
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    match try_send(&server, "POST", path, &headers, bytes.clone()).await {
        Ok(sent) => panic!("expected a connection error, got {}", sent.render()),
        Err(error) => {
            assert!(error.is_request() && !error.is_status() && !error.is_timeout(), "{error:?}");
        }
    }
    // On a raw socket: the request is written, and the server closes without writing one byte.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = match tokio::net::TcpStream::connect(server.addr()).await {
        Ok(stream) => stream,
        Err(error) => panic!("{error}"),
    };
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        bytes.len()
    );
    let written = stream.write_all(&[head.as_bytes(), &bytes].concat()).await;
    assert!(written.is_ok());
    let mut reply = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut reply)).await;
    assert!(matches!(read, Ok(Ok(0)) | Ok(Err(_))), "{read:?}");
    assert!(reply.is_empty(), "no response bytes: {}", String::from_utf8_lossy(&reply));
    let records = server.requests();
    assert_eq!(
        records.iter().map(|r| (r.status, r.fault.as_deref())).collect::<Vec<_>>(),
        vec![(None, Some("drop")); 2]
    );
}

#[tokio::test]
async fn malformed_and_slow() {
    let server = spawn(ServerConfig::default());
    let (path, mut headers, body) = request_for(Endpoint::OpenAi, "hello");
    headers.push(("x-trustgen-fault", "malformed"));
    let sent = send(&server, path, &headers, &body).await;
    assert_eq!((sent.status, sent.content_type.as_str()), (200, "application/json"));
    assert!(serde_json::from_slice::<Value>(&sent.body).is_err(), "{}", String::from_utf8_lossy(&sent.body));

    let (path, mut headers, body) = request_for(Endpoint::Gemini, "hello");
    headers.push(("x-trustgen-fault", "slow_ms=300"));
    let started = Instant::now();
    let sent = send(&server, path, &headers, &body).await;
    assert_eq!(sent.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300), "{:?}", started.elapsed());
    // A client timeout shorter than the delay fires.
    let timed_out = reqwest::Client::new()
        .post(format!("{}{path}", server.base_url()))
        .header("x-trustgen-fault", "slow_ms=2000")
        .json(&body)
        .timeout(Duration::from_millis(100))
        .send()
        .await;
    assert!(timed_out.as_ref().is_err_and(reqwest::Error::is_timeout), "{timed_out:?}");
    // A bad header is the client's error.
    let (path, mut headers, body) = request_for(Endpoint::OpenAi, "hello");
    headers.push(("x-trustgen-fault", "status=abc"));
    expect![[r#"
        400
        {
          "error": {
            "code": null,
            "message": "x-trustgen-fault: invalid fault `status=abc`: `status=abc` is not a whole number; hint: e.g. `status=429;retry_after=1;times=2`, `drop`, `malformed`, `no_choices`, `endless`, `content_filter=output`, `echo_key`, `control_chars`, `slow_ms=500`",
            "param": null,
            "type": "invalid_request_error"
          }
        }
    "#]]
    .assert_eq(&send(&server, path, &headers, &body).await.render());
}

#[tokio::test]
async fn content_filters_in_each_provider_shape() {
    let server = spawn(ServerConfig::default());
    let mut out = String::new();
    for endpoint in [Endpoint::OpenAi, Endpoint::Azure, Endpoint::Anthropic, Endpoint::Gemini] {
        for stage in ["prompt", "output"] {
            let (path, mut headers, body) = request_for(endpoint, "how do I pick a lock");
            let fault = format!("content_filter={stage}");
            headers.push(("x-trustgen-fault", &fault));
            let sent = send(&server, path, &headers, &body).await;
            let value = sent.json();
            // The fields a client classifies by, per provider.
            let fields = [
                "/error/code",
                "/error/innererror/code",
                "/choices/0/finish_reason",
                "/choices/0/message/content",
                "/stop_reason",
                "/content",
                "/promptFeedback/blockReason",
                "/candidates/0/finishReason",
                "/candidates/0/content",
            ];
            let shown: Vec<String> =
                fields.iter().filter_map(|f| value.pointer(f).map(|v| format!("{f}={v}"))).collect();
            out.push_str(&format!("{} {stage}: {} {}\n", endpoint.as_str(), sent.status, shown.join(" ")));
        }
    }
    let images =
        send(&server, "/v1/images/generations", &[("x-trustgen-fault", "content_filter")], &json!({"prompt": "x"}))
            .await;
    out.push_str(&format!("images: {} {}\n", images.status, images.json()["error"]["code"]));
    expect![[r#"
        openai prompt: 400 /error/code="content_filter"
        openai output: 200 /choices/0/finish_reason="content_filter" /choices/0/message/content=null
        azure prompt: 400 /error/code="content_filter" /error/innererror/code="ResponsibleAIPolicyViolation"
        azure output: 200 /choices/0/finish_reason="content_filter" /choices/0/message/content=null
        anthropic prompt: 200 /stop_reason="refusal" /content=[]
        anthropic output: 200 /stop_reason="refusal" /content=[]
        gemini prompt: 200 /promptFeedback/blockReason="SAFETY"
        gemini output: 200 /candidates/0/finishReason="SAFETY"
        images: 400 "content_policy_violation"
    "#]]
    .assert_eq(&out);
}

#[tokio::test]
async fn auth_errors_in_each_provider_shape() {
    let server = spawn(ServerConfig::default().with_api_key(KEY));
    let mut out = String::new();
    let bearer = format!("Bearer {KEY}");
    let cases: [(Endpoint, &str, &str, &str); 5] = [
        (Endpoint::OpenAi, "authorization", "", ""),
        (Endpoint::Azure, "api-key", "", ""),
        (Endpoint::Anthropic, "x-api-key", "", ""),
        (Endpoint::Gemini, "x-goog-api-key", "", ""),
        (Endpoint::Gemini, "?key=", "", ""),
    ];
    for (endpoint, place, _, _) in cases {
        let (path, headers, body) = request_for(endpoint, "hello");
        let with = |key: Option<&'static str>| {
            let mut headers = headers.clone();
            let mut path = path.to_owned();
            if let Some(key) = key {
                if place == "?key=" {
                    path.push_str(&format!("?key={key}"));
                } else if place == "authorization" {
                    headers.push(("authorization", if key == KEY { bearer.as_str() } else { "Bearer wrong-key" }));
                } else {
                    headers.push((place, key));
                }
            }
            (path, headers)
        };
        let mut line = format!("{} via {place}:", endpoint.as_str());
        for key in [None, Some("wrong-key"), Some(KEY)] {
            let (path, headers) = with(key);
            let sent = send(&server, &path, &headers, &body).await;
            let value = sent.json();
            let code = value
                .pointer("/error/code")
                .or_else(|| value.pointer("/error/type"))
                .map(Value::to_string)
                .unwrap_or_default();
            let reason = value.pointer("/error/details/0/reason").map(|r| format!(" {r}")).unwrap_or_default();
            line.push_str(&format!(
                " {}{}{}",
                sent.status,
                if code.is_empty() { String::new() } else { format!(" {code}") },
                reason
            ));
            line.push(';');
        }
        out.push_str(&line);
        out.push('\n');
    }
    expect![[r#"
        openai via authorization: 401 "invalid_api_key"; 401 "invalid_api_key"; 200;
        azure via api-key: 401 "401"; 401 "401"; 200;
        anthropic via x-api-key: 401 "authentication_error"; 401 "authentication_error"; 200;
        gemini via x-goog-api-key: 403 403; 400 400 "API_KEY_INVALID"; 200;
        gemini via ?key=: 403 403; 400 400 "API_KEY_INVALID"; 200;
    "#]]
    .assert_eq(&out);
    // The generated images are public, as real image URLs are.
    let file = get(&server, &format!("/files/{}", image::file_name(9, 4, 4))).await;
    assert_eq!(file.status, 200);
}

#[tokio::test]
async fn credentials_are_recorded_only_as_hashes() {
    let server = spawn(ServerConfig::default().with_api_key(KEY));
    let bearer = format!("Bearer {KEY}");
    let (path, mut headers, body) = request_for(Endpoint::OpenAi, "hello");
    headers.push(("authorization", &bearer));
    send(&server, path, &headers, &body).await;
    send(&server, AZURE_PATH, &[("api-key", KEY)], &json!({"messages": [{"role": "user", "content": "x"}]})).await;
    send(&server, "/v1/messages", &[ANTHROPIC, ("x-api-key", "wrong-key")], &anthropic_body("x")).await;
    send(&server, GEMINI_PATH, &[("x-goog-api-key", KEY)], &gemini_body("x")).await;
    send(&server, &format!("{GEMINI_PATH}?key={KEY}&alt=json"), &[], &gemini_body("x")).await;
    let records = server.requests();
    let dump = match serde_json::to_string(&records) {
        Ok(dump) => dump,
        Err(error) => panic!("{error}"),
    };
    let admin = get(&server, "/__admin/requests").await;
    for text in [dump.as_str(), &String::from_utf8_lossy(&admin.body)] {
        assert!(!text.contains(KEY) && !text.contains("wrong-key"), "a credential leaked: {text}");
    }
    let hashed = redact(KEY);
    assert_eq!(records[0].headers["authorization"], format!("Bearer {hashed}"));
    assert_eq!(records[1].headers["api-key"], hashed);
    assert_eq!(records[2].headers["x-api-key"], redact("wrong-key"));
    assert_eq!(records[3].headers["x-goog-api-key"], hashed);
    assert_eq!(records[4].query["key"], hashed);
    assert_eq!(records[4].query["alt"], "json");
    expect!["sha256:e0dbaa0c6455768b"].assert_eq(&hashed);
    assert_eq!(records.iter().map(|r| r.status).collect::<Vec<_>>(), [200, 200, 401, 200, 200].map(Some));
    // The configuration's Debug output hides the key as well.
    assert!(!format!("{:?}", ServerConfig::default().with_api_key(KEY)).contains(KEY));
}

#[tokio::test]
async fn same_request_same_reply_across_servers() {
    let first = spawn(ServerConfig::default());
    let second = spawn(ServerConfig::default());
    for endpoint in [Endpoint::OpenAi, Endpoint::Azure, Endpoint::Anthropic, Endpoint::Gemini] {
        let (path, headers, body) = request_for(endpoint, "Is honesty the best policy?");
        let a = send(&first, path, &headers, &body).await.body;
        let b = send(&first, path, &headers, &body).await.body;
        let c = send(&second, path, &headers, &body).await.body;
        assert_eq!(a, b, "{endpoint:?}: same server");
        assert_eq!(a, c, "{endpoint:?}: another server");
    }
    let stats = first.stats();
    assert_eq!((stats.total, stats.duplicates.len()), (8, 4));
    assert!(stats.duplicates.values().all(|count| *count == 2));
    // The seed takes part in the conversation hash.
    let replies: std::collections::BTreeSet<String> = futures_replies(&first).await;
    assert!(replies.len() > 1, "different seeds pick different pool entries: {replies:?}");
}

async fn futures_replies(server: &TestServer) -> std::collections::BTreeSet<String> {
    let mut replies = std::collections::BTreeSet::new();
    for seed in 0..8 {
        let mut body = openai_body("Is honesty the best policy?");
        body["seed"] = json!(seed);
        replies.insert(send(server, "/v1/chat/completions", &[], &body).await.text());
    }
    replies
}

#[tokio::test]
async fn stop_and_length_limits() {
    let server = spawn_script("[[rule]]\nreply = \"Paris is the capital. It is in France.\"\n");
    let mut out = String::new();
    for extra in [json!({}), json!({"stop": ["."]}), json!({"stop": "It", "max_tokens": 50}), json!({"max_tokens": 2})]
    {
        let mut body = openai_body("capital?");
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        let value = send(&server, "/v1/chat/completions", &[], &body).await.json();
        out.push_str(&format!(
            "{extra}: {} / {} / {}\n",
            value["choices"][0]["message"]["content"],
            value["choices"][0]["finish_reason"],
            value["usage"]["completion_tokens"]
        ));
    }
    expect![[r#"
        {}: "Paris is the capital. It is in France." / "stop" / 10
        {"stop":["."]}: "Paris is the capital" / "stop" / 4
        {"max_tokens":50,"stop":"It"}: "Paris is the capital. " / "stop" / 5
        {"max_tokens":2}: "Paris is" / "length" / 2
    "#]]
    .assert_eq(&out);
}

#[test]
fn token_approximation() {
    let shown: Vec<String> =
        ["", "Hello, world!", "don't stop", "3.14 is pi", "snake_case_name", "日本語です", "a  b\n\tc"]
            .iter()
            .map(|text| format!("{text:?}={}", count_tokens(text)))
            .collect();
    expect![[
        r#"""=0 "Hello, world!"=4 "don't stop"=4 "3.14 is pi"=5 "snake_case_name"=1 "日本語です"=5 "a  b\n\tc"=3"#
    ]]
    .assert_eq(&shown.join(" "));
}

#[tokio::test]
async fn unknown_routes_and_admin_api() {
    let server = spawn(ServerConfig::default());
    expect![[r#"
        404
        {
          "error": {
            "code": null,
            "message": "Invalid URL (POST /v2/chat)",
            "param": null,
            "type": "invalid_request_error"
          }
        }
    "#]]
    .assert_eq(&send(&server, "/v2/chat", &[], &json!({})).await.render());
    let script = "[[rule]]\nmatch = { last_user_contains = \"ping\" }\nreply = \"pong\"\n";
    let put = reqwest::Client::new().put(format!("{}/__admin/script", server.base_url())).body(script).send().await;
    assert_eq!(put.as_ref().map(|r| r.status().as_u16()).ok(), Some(200), "{put:?}");
    let (path, headers, body) = request_for(Endpoint::OpenAi, "ping");
    assert_eq!(send(&server, path, &headers, &body).await.text(), "pong");
    let json_script = json!({"rule": [{"reply": "from json"}]}).to_string();
    let put = reqwest::Client::new()
        .put(format!("{}/__admin/script", server.base_url()))
        .header("content-type", "application/json")
        .body(json_script)
        .send()
        .await;
    assert_eq!(put.as_ref().map(|r| r.status().as_u16()).ok(), Some(200), "{put:?}");
    assert_eq!(send(&server, path, &headers, &body).await.text(), "from json");
    let bad = reqwest::Client::new()
        .put(format!("{}/__admin/script", server.base_url()))
        .body("[[rule]]\nreply = 3\n")
        .send()
        .await;
    let bad_text = match bad {
        Ok(response) => response.text().await.unwrap_or_default(),
        Err(error) => error.to_string(),
    };
    expect![[r#"{"error":{"message":"invalid script PUT /__admin/script: TOML parse error at line 2, column 9\n  |\n2 | reply = 3\n  |         ^\ninvalid type: integer `3`, expected a string\n; hint: see the script format in the trustgen-testserver crate docs"}}"#]]
        .assert_eq(&bad_text);
    let stats = get(&server, "/__admin/stats").await.json();
    expect![[r#"{"200":2,"404":1}"#]].assert_eq(&stats["by_status"].to_string());
    assert_eq!(stats["total"], 3, "admin requests are not counted");
    let reset = reqwest::Client::new().post(format!("{}/__admin/reset", server.base_url())).send().await;
    assert!(reset.is_ok());
    assert_eq!((server.stats().total, server.requests().len()), (0, 0));
    assert_eq!(get(&server, "/__admin/nothing").await.status, 404);
}

#[tokio::test]
async fn record_limit_keeps_the_newest() {
    let server = spawn(ServerConfig::default().with_record_limit(3));
    for index in 0..5 {
        let (path, headers, body) = request_for(Endpoint::OpenAi, &format!("q{index}"));
        send(&server, path, &headers, &body).await;
    }
    let stats = server.stats();
    assert_eq!((stats.total, stats.recorded, stats.evicted), (5, 3, 2));
    assert_eq!(server.requests().iter().map(|r| r.seq).collect::<Vec<_>>(), vec![2, 3, 4]);
    let last = &server.requests()[2];
    assert_eq!(
        (last.method.as_str(), last.path.as_str(), last.endpoint, last.model.as_deref()),
        ("POST", "/v1/chat/completions", Some(Endpoint::OpenAi), Some("gpt-4o-mini"))
    );
    assert_eq!(last.body.as_ref().and_then(|b| b.pointer("/messages/0/content")).and_then(Value::as_str), Some("q4"));
    assert!(last.done_ms >= last.at_ms && last.at_ms > 0.0);
}

#[tokio::test]
async fn latency_overlaps_instead_of_queueing() {
    // 256 clients at 50 ms latency: served one at a time this would take 12.8 s.
    let server = spawn(ServerConfig::default().with_latency(Duration::from_millis(50)));
    let client = reqwest::Client::new();
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..256 {
        let client = client.clone();
        let url = format!("{}/v1/chat/completions", server.base_url());
        tasks.spawn(async move {
            let body = openai_body(&format!("question {index}"));
            client.post(url).json(&body).send().await.map(|r| r.status().as_u16())
        });
    }
    let mut ok = 0;
    while let Some(joined) = tasks.join_next().await {
        if matches!(joined, Ok(Ok(200))) {
            ok += 1;
        }
    }
    let elapsed = started.elapsed();
    assert_eq!(ok, 256);
    assert!(elapsed >= Duration::from_millis(50) && elapsed < Duration::from_secs(3), "{elapsed:?}");
    // Most requests were in flight at the same moment.
    let records = server.requests();
    let peak = records
        .iter()
        .map(|r| records.iter().filter(|o| o.at_ms <= r.at_ms && r.at_ms < o.done_ms).count())
        .max()
        .unwrap_or(0);
    assert!(peak >= 128, "peak concurrency {peak}");
    assert!(records.iter().all(|r| r.done_ms - r.at_ms >= 50.0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_runs_inside_an_existing_runtime() {
    let listener = match tokio::net::TcpListener::bind("127.0.0.1:0").await {
        Ok(listener) => listener,
        Err(error) => panic!("{error}"),
    };
    let addr = listener.local_addr().ok();
    let task = tokio::spawn(serve(ServerConfig::default(), listener));
    let url = format!("http://{}/v1/models", addr.map(|a| a.to_string()).unwrap_or_default());
    let status = reqwest::get(url).await.map(|r| r.status().as_u16());
    assert_eq!(status.ok(), Some(200));
    task.abort();
    // The TestServer API exposes the same handle.
    let server = spawn(
        ServerConfig::default().with_script(
            Script::new(vec![Rule::new().endpoint(Endpoint::Gemini).fault(Fault::content_filter(FilterStage::Output))])
                .unwrap_or_default(),
        ),
    );
    assert_eq!(server.server().stats().total, 0);
    assert_eq!(server.base_url(), format!("http://{}", server.addr()));
}

#[derive(clap::Parser)]
struct TestCli {
    #[command(flatten)]
    serve: crate::cli::ServeArgs,
}

#[test]
fn command_line_arguments_make_a_config() {
    use clap::Parser as _;
    let dir = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(error) => panic!("{error}"),
    };
    let script = dir.path().join("script.toml");
    assert!(std::fs::write(&script, "[[rule]]\nreply = \"ok\"\n[[rule]]\nfault = { status = 500 }\n").is_ok());
    let script = script.display().to_string();
    let parsed = TestCli::try_parse_from([
        "trustgen-testserver",
        "--latency-ms",
        "20",
        "--models",
        "gpt-4o-mini,claude-x",
        "--api-key-env",
        "PATH",
        "--script",
        &script,
    ]);
    let config = match parsed.map(|cli| cli.serve.config()) {
        Ok(Ok(config)) => config,
        Ok(Err(error)) => panic!("{error}"),
        Err(error) => panic!("{error}"),
    };
    assert_eq!(config.latency, Duration::from_millis(20));
    assert_eq!(config.known_models, Some(vec!["gpt-4o-mini".to_owned(), "claude-x".to_owned()]));
    assert_eq!(config.api_key, std::env::var("PATH").ok());
    assert_eq!((config.script.len(), config.addr.to_string()), (2, "127.0.0.1:0".to_owned()));
    let missing = TestCli::try_parse_from(["x", "--api-key-env", "TRUSTGEN_TESTSERVER_UNSET_VARIABLE"]);
    let message = match missing.map(|cli| cli.serve.config()) {
        Ok(Err(error)) => error.to_string(),
        Ok(Ok(_)) => "unexpectedly configured".to_owned(),
        Err(error) => error.to_string(),
    };
    expect!["the environment variable TRUSTGEN_TESTSERVER_UNSET_VARIABLE named by --api-key-env is not set or not unicode; hint: export TRUSTGEN_TESTSERVER_UNSET_VARIABLE=<key>"]
        .assert_eq(&message);
    // The key itself cannot be passed on the command line.
    assert!(TestCli::try_parse_from(["x", "--api-key", "sk-secret"]).is_err());
}
