//! What each provider sends (asserted on what the test server received) and how replies are read.

use base64::Engine as _;
use expect_test::{Expect, expect};
use trustgen_plugin_api::{
    ChatRole, EmbedRequest, GenParams, Image, ImageRequest, ImageSource, Message, ModelRequest, ModelRole, RequestKind,
};
use trustgen_testserver::{RequestRecord, Rule, redact};

use super::{KEY, ok_one, server, spec};
use crate::{Executed, ProviderKind};

/// A 1x1 PNG.
const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";

/// System prompt, a user turn with an image, the assistant's earlier answer, and a second user turn.
fn conversation(params: GenParams) -> ModelRequest {
    let image = Image::new("image/png".to_owned(), ImageSource::Base64(PNG.to_owned()));
    ModelRequest::chat(
        ModelRole::Target,
        vec![
            Message::system("You are terse."),
            Message::new(ChatRole::User, "What is in this picture?".to_owned()).with_images(vec![image]),
            Message::assistant("A red dot."),
            Message::user("And what colour is it?"),
        ],
    )
    .with_params(params)
}

fn all_params(json: bool) -> GenParams {
    GenParams::new()
        .with_temperature(0.2)
        .with_top_p(0.9)
        .with_max_tokens(64)
        .with_seed(7)
        .with_stop(vec!["END".to_owned()])
        .with_json(json)
}

/// The request line, the headers that matter (credentials as the server's redacted hashes) and the body.
fn render_request(record: &RequestRecord) -> String {
    let mut out = format!("{} {}", record.method, record.path);
    if !record.query.is_empty() {
        let query: Vec<String> = record.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
        out.push_str(&format!("?{}", query.join("&")));
    }
    out.push('\n');
    for name in ["authorization", "api-key", "x-api-key", "x-goog-api-key", "anthropic-version", "content-type"] {
        if let Some(value) = record.headers.get(name) {
            let value = value.replace(&redact(KEY), "<KEY>");
            out.push_str(&format!("{name}: {value}\n"));
        }
    }
    let body = record.body.as_ref().map_or_else(String::new, |b| serde_json::to_string_pretty(b).unwrap_or_default());
    out.push_str(&body);
    out
}

fn render_reply(executed: &Executed) -> String {
    let reply = &executed.reply;
    format!(
        "status: {:?}\ntext: {:?}\nfinish: {:?}\nerror: {:?}\nusage: {} + {}\nattempts: {}",
        reply.status,
        reply.text,
        reply.finish_reason,
        reply.error,
        reply.usage.prompt_tokens,
        reply.usage.completion_tokens,
        executed.attempts,
    )
}

/// Sends `request` to `provider`'s model on a fresh server that answers "Scripted answer." and checks
/// what was received and what was read back.
#[track_caller]
fn check(provider: ProviderKind, model: &str, request: ModelRequest, sent: Expect, read: Expect) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap_or_else(|e| panic!("{e}"));
    let server = server(vec![Rule::new().reply("Scripted answer.")]);
    let (executed, records) = runtime.block_on(ok_one(&server, spec(&server, provider, model), &request));
    assert_eq!(records.len(), 1, "one request reaches the server");
    sent.assert_eq(&render_request(&records[0]));
    read.assert_eq(&render_reply(&executed));
}

#[test]
fn openai_chat_sends_real_roles_images_and_params() {
    check(
        ProviderKind::OpenAi,
        "gpt-4o-mini",
        conversation(all_params(true)),
        expect![[r#"
            POST /v1/chat/completions
            authorization: Bearer <KEY>
            content-type: application/json
            {
              "max_tokens": 64,
              "messages": [
                {
                  "content": "You are terse.",
                  "role": "system"
                },
                {
                  "content": [
                    {
                      "text": "What is in this picture?",
                      "type": "text"
                    },
                    {
                      "image_url": {
                        "url": "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
                      },
                      "type": "image_url"
                    }
                  ],
                  "role": "user"
                },
                {
                  "content": "A red dot.",
                  "role": "assistant"
                },
                {
                  "content": "And what colour is it?",
                  "role": "user"
                }
              ],
              "model": "gpt-4o-mini",
              "response_format": {
                "type": "json_object"
              },
              "seed": 7,
              "stop": [
                "END"
              ],
              "temperature": 0.2,
              "top_p": 0.9
            }"#]],
        expect![[r#"
            status: Ok
            text: Some("Scripted answer.")
            finish: Some("stop")
            error: None
            usage: 105 + 3
            attempts: 1"#]],
    );
}

#[test]
fn azure_chat_uses_the_deployment_url_and_api_key_header() {
    check(
        ProviderKind::Azure,
        "gpt4o-prod",
        ModelRequest::user(ModelRole::Target, "Hello"),
        expect![[r#"
            POST /openai/deployments/gpt4o-prod/chat/completions?api-version=2024-10-21
            api-key: <KEY>
            content-type: application/json
            {
              "messages": [
                {
                  "content": "Hello",
                  "role": "user"
                }
              ],
              "model": "gpt4o-prod",
              "seed": 885476720
            }"#]],
        expect![[r#"
            status: Ok
            text: Some("Scripted answer.")
            finish: Some("stop")
            error: None
            usage: 1 + 3
            attempts: 1"#]],
    );
}

#[test]
fn anthropic_sends_system_on_top_image_blocks_and_default_max_tokens() {
    check(
        ProviderKind::Anthropic,
        "claude-3-5-haiku-latest",
        conversation(all_params(false).with_max_tokens(None)),
        expect![[r#"
            POST /v1/messages
            x-api-key: <KEY>
            anthropic-version: 2023-06-01
            content-type: application/json
            {
              "max_tokens": 1024,
              "messages": [
                {
                  "content": [
                    {
                      "source": {
                        "data": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==",
                        "media_type": "image/png",
                        "type": "base64"
                      },
                      "type": "image"
                    },
                    {
                      "text": "What is in this picture?",
                      "type": "text"
                    }
                  ],
                  "role": "user"
                },
                {
                  "content": "A red dot.",
                  "role": "assistant"
                },
                {
                  "content": "And what colour is it?",
                  "role": "user"
                }
              ],
              "model": "claude-3-5-haiku-latest",
              "stop_sequences": [
                "END"
              ],
              "system": "You are terse.",
              "temperature": 0.2,
              "top_p": 0.9
            }"#]],
        expect![[r#"
            status: Ok
            text: Some("Scripted answer.")
            finish: Some("stop")
            error: None
            usage: 105 + 3
            attempts: 1"#]],
    );
}

#[test]
fn gemini_sends_contents_system_instruction_and_generation_config() {
    check(
        ProviderKind::Gemini,
        "gemini-2.0-flash",
        conversation(all_params(true)),
        expect![[r#"
        POST /v1beta/models/gemini-2.0-flash:generateContent
        x-goog-api-key: <KEY>
        content-type: application/json
        {
          "contents": [
            {
              "parts": [
                {
                  "inlineData": {
                    "data": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==",
                    "mimeType": "image/png"
                  }
                },
                {
                  "text": "What is in this picture?"
                }
              ],
              "role": "user"
            },
            {
              "parts": [
                {
                  "text": "A red dot."
                }
              ],
              "role": "model"
            },
            {
              "parts": [
                {
                  "text": "And what colour is it?"
                }
              ],
              "role": "user"
            }
          ],
          "generationConfig": {
            "maxOutputTokens": 64,
            "responseMimeType": "application/json",
            "seed": 7,
            "stopSequences": [
              "END"
            ],
            "temperature": 0.2,
            "topP": 0.9
          },
          "systemInstruction": {
            "parts": [
              {
                "text": "You are terse."
              }
            ]
          }
        }"#]],
        expect![[r#"
        status: Ok
        text: Some("Scripted answer.")
        finish: Some("stop")
        error: None
        usage: 105 + 3
        attempts: 1"#]],
    );
}

#[test]
fn suite_defaults_fill_unset_params_and_request_params_win() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap_or_else(|e| panic!("{e}"));
    let server = server(vec![]);
    let mut spec = spec(&server, ProviderKind::OpenAi, "m");
    spec.defaults = GenParams::new().with_temperature(0.5).with_max_tokens(100).with_stop(vec!["S".to_owned()]);
    let request = ModelRequest::user(ModelRole::Target, "hi").with_params(GenParams::new().with_temperature(0.0));
    let (_, records) = runtime.block_on(ok_one(&server, spec, &request));
    let body = records[0].body.clone().unwrap_or_default();
    expect![[r#"0.0 100 ["S"]"#]]
        .assert_eq(&format!("{} {} {}", body["temperature"], body["max_tokens"], body["stop"]));
}

#[test]
fn openai_image_generation_returns_inline_images_from_b64_and_from_urls() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap_or_else(|e| panic!("{e}"));
    let server = server(vec![]);
    let request = |n| {
        ModelRequest::new(
            ModelRole::Target,
            RequestKind::Image(ImageRequest { prompt: "a red apple".to_owned(), size: Some("64x64".to_owned()), n }),
        )
    };
    // dall-e models are asked for b64_json; others get the server's default (URLs), which are fetched.
    let (b64, _) = runtime.block_on(ok_one(&server, spec(&server, ProviderKind::OpenAi, "dall-e-3"), &request(1)));
    let (url, records) =
        runtime.block_on(ok_one(&server, spec(&server, ProviderKind::OpenAi, "gpt-image-1"), &request(2)));
    let describe = |executed: &Executed| -> Vec<String> {
        executed
            .reply
            .images
            .iter()
            .map(|image| match &image.source {
                ImageSource::Base64(data) => {
                    let bytes = base64::engine::general_purpose::STANDARD.decode(data).unwrap_or_default();
                    format!("{} {} bytes, png magic: {}", image.media_type, bytes.len(), bytes.starts_with(b"\x89PNG"))
                }
                other => format!("not inline: {other:?}"),
            })
            .collect()
    };
    let sent: Vec<String> = records
        .iter()
        .map(|r| format!("{} {} {}", r.method, r.path, r.body.as_ref().map(|b| b.to_string()).unwrap_or_default()))
        .collect();
    expect![[r#"
        (
            [
                "image/png 346 bytes, png magic: true",
            ],
            [
                "image/png 346 bytes, png magic: true",
                "image/png 347 bytes, png magic: true",
            ],
            [
                "POST /v1/images/generations {\"model\":\"dall-e-3\",\"n\":1,\"prompt\":\"a red apple\",\"response_format\":\"b64_json\",\"size\":\"64x64\"}",
                "POST /v1/images/generations {\"model\":\"gpt-image-1\",\"n\":2,\"prompt\":\"a red apple\",\"size\":\"64x64\"}",
                "GET /files/68483781545e94e3-64x64.png ",
                "GET /files/b429895489dbd633-64x64.png ",
            ],
        )
    "#]].assert_debug_eq(&(describe(&b64), describe(&url), sent));
    // The image download must not carry the key.
    let fetches: Vec<&RequestRecord> = records.iter().filter(|r| r.method == "GET").collect();
    assert_eq!(fetches.len(), 2);
    assert!(fetches.iter().all(|r| !r.headers.contains_key("authorization")));
}

#[test]
fn openai_embeddings_are_ordered_unit_vectors() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap_or_else(|e| panic!("{e}"));
    let server = server(vec![]);
    let request = ModelRequest::new(
        ModelRole::Target,
        RequestKind::Embed(EmbedRequest {
            texts: vec!["the cat sat".to_owned(), "the cat sat".to_owned(), "stock prices fell".to_owned()],
        }),
    );
    let (executed, records) =
        runtime.block_on(ok_one(&server, spec(&server, ProviderKind::OpenAi, "text-embedding-3-small"), &request));
    let e = &executed.reply.embeddings;
    let dot = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>();
    let summary = format!(
        "{} vectors of {}; norms {:.3} {:.3} {:.3}; same text {:.3}; different text < 0.5: {}; body {}",
        e.len(),
        e[0].len(),
        dot(&e[0], &e[0]).sqrt(),
        dot(&e[1], &e[1]).sqrt(),
        dot(&e[2], &e[2]).sqrt(),
        dot(&e[0], &e[1]),
        dot(&e[0], &e[2]) < 0.5,
        records[0].body.as_ref().map(|b| b.to_string()).unwrap_or_default(),
    );
    expect![[r#"3 vectors of 384; norms 1.000 1.000 1.000; same text 1.000; different text < 0.5: true; body {"input":["the cat sat","the cat sat","stock prices fell"],"model":"text-embedding-3-small"}"#]].assert_eq(&summary);
}
