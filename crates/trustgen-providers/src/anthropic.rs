//! The Anthropic Messages API: `POST {base_url}/v1/messages`.
//!
//! Headers `x-api-key` and `anthropic-version: 2023-06-01`. System messages are joined (blank line
//! between them) into the top-level `system`; user and assistant messages keep their roles; a message
//! with images becomes `image` blocks (base64 or URL sources) followed by a `text` block. `max_tokens` is
//! required by the API: when neither the request nor the suite sets it, [`DEFAULT_MAX_TOKENS`] is sent.
//! `temperature`, `top_p` and `stop_sequences` are passed on. The API has no sampling seed and no JSON
//! mode, so `seed` and `json` are not sent (judge templates ask for JSON in the prompt).
//!
//! `stop_reason: refusal` (the safety system stopped the reply) becomes a `content_filtered` reply.
//! Finish reasons are normalised: `end_turn` and `stop_sequence` are `stop`, `max_tokens` is `length`.

use reqwest::Client;
use serde_json::{Map, Value, json};
use trustgen_plugin_api::{ChatRole, GenParams, ImageSource, Message, ModelReply, ReplyStatus, Usage};

use crate::error::Failure;
use crate::http;
use crate::openai::{u64_at, unresolved_blob};
use crate::secret::ApiKey;

/// `max_tokens` sent when neither the request nor the suite sets one.
pub const DEFAULT_MAX_TOKENS: u32 = 1024;
/// The API version header value.
pub const API_VERSION: &str = "2023-06-01";

/// An Anthropic client for one model.
#[derive(Debug)]
pub(crate) struct Anthropic {
    pub(crate) client: Client,
    pub(crate) base_url: String,
    pub(crate) model: String,
    pub(crate) key: Option<ApiKey>,
    /// The reply byte limits.
    pub(crate) limits: crate::spec::Limits,
}

impl Anthropic {
    pub(crate) async fn chat(&self, messages: &[Message], params: &GenParams) -> Result<ModelReply, Failure> {
        crate::vision::check_images(&crate::vision::ANTHROPIC, messages)?;
        let body = serde_json::to_vec(&body(&self.model, messages, params)?)
            .map_err(|e| Failure::PerCase(format!("cannot serialize the request: {e}")))?;
        crate::vision::check_request_size(&crate::vision::ANTHROPIC, body.len())?;
        let mut builder = self
            .client
            .post(format!("{}/v1/messages", self.base_url))
            .header("anthropic-version", API_VERSION)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        if let Some(key) = &self.key {
            let (name, value) = http::secret_header("x-api-key", "", key)?;
            builder = builder.header(name, value);
        }
        let response = http::send(builder, self.key.as_ref(), self.limits.reply_bytes()).await?;
        if !response.status.is_success() {
            return Err(http::classify_status(&response, self.key.as_ref()));
        }
        parse(&http::json_body(&response)?)
    }
}

/// The request body.
pub(crate) fn body(model: &str, messages: &[Message], params: &GenParams) -> Result<Value, Failure> {
    let system: Vec<&str> =
        messages.iter().filter(|m| m.role == ChatRole::System).map(|m| m.content.as_str()).collect();
    let mut out = Vec::with_capacity(messages.len());
    for message in messages.iter().filter(|m| m.role != ChatRole::System) {
        let role = if message.role == ChatRole::Assistant { "assistant" } else { "user" };
        let content = if message.images.is_empty() {
            json!(message.content)
        } else {
            let mut blocks = Vec::with_capacity(message.images.len() + 1);
            for image in &message.images {
                let source = match &image.source {
                    ImageSource::Base64(data) => {
                        // `image/jpg` (which Anthropic refuses) is sent as `image/jpeg`.
                        json!({"type": "base64", "media_type": crate::vision::canonical(&image.media_type), "data": data})
                    }
                    ImageSource::Url(url) => json!({"type": "url", "url": url}),
                    ImageSource::Blob { .. } | ImageSource::File(_) | ImageSource::Stored { .. } => {
                        return Err(unresolved_blob());
                    }
                    _ => return Err(crate::openai::unknown_source()),
                };
                blocks.push(json!({"type": "image", "source": source}));
            }
            blocks.push(json!({"type": "text", "text": message.content}));
            Value::Array(blocks)
        };
        out.push(json!({"role": role, "content": content}));
    }
    let mut body = Map::new();
    body.insert("model".into(), json!(model));
    body.insert("max_tokens".into(), json!(params.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS)));
    if !system.is_empty() {
        body.insert("system".into(), json!(system.join("\n\n")));
    }
    body.insert("messages".into(), Value::Array(out));
    if let Some(t) = params.temperature {
        body.insert("temperature".into(), json!(t));
    }
    if let Some(p) = params.top_p {
        body.insert("top_p".into(), json!(p));
    }
    if !params.stop.is_empty() {
        body.insert("stop_sequences".into(), json!(params.stop));
    }
    Ok(Value::Object(body))
}

/// Reads a Messages reply.
pub(crate) fn parse(value: &Value) -> Result<ModelReply, Failure> {
    let usage = value.get("usage").map_or_else(Usage::default, |u| {
        Usage::new(
            u64_at(u, "input_tokens") + u64_at(u, "cache_creation_input_tokens") + u64_at(u, "cache_read_input_tokens"),
            u64_at(u, "output_tokens"),
        )
    });
    let stop_reason = value.get("stop_reason").and_then(Value::as_str).unwrap_or_default();
    if stop_reason == "refusal" {
        return Ok(ModelReply::new(ReplyStatus::ContentFiltered)
            .with_error("Anthropic's safety system stopped the reply (stop_reason refusal)".to_owned())
            .with_finish_reason("refusal".to_owned())
            .with_usage(usage));
    }
    let content = value
        .get("content")
        .and_then(Value::as_array)
        .ok_or_else(|| Failure::retry("the reply has no `content` array"))?;
    let text: String = content
        .iter()
        .filter(|block| block.get("type").and_then(Value::as_str) == Some("text"))
        .filter_map(|block| block.get("text").and_then(Value::as_str))
        .collect();
    let finish = match stop_reason {
        "end_turn" | "stop_sequence" => "stop",
        "max_tokens" => "length",
        other => other,
    };
    let mut reply = ModelReply::new(ReplyStatus::Ok).with_text(text).with_usage(usage);
    reply.finish_reason = (!finish.is_empty()).then(|| finish.to_owned());
    Ok(reply)
}
