//! Google Gemini: `POST {base_url}/v1beta/models/{model}:generateContent`, key in `x-goog-api-key`.
//!
//! System messages become `systemInstruction`; user and assistant messages become `contents` with the
//! roles `user` and `model`; images are `inlineData` parts (URL images are downloaded first, without
//! the key, then checked like the others: see `vision`). `generationConfig` carries `temperature`, `topP`, `maxOutputTokens`, `seed` (the API takes a
//! 32-bit integer: the seed is reduced modulo 2^31), `stopSequences`, and `responseMimeType:
//! application/json` when JSON is asked for.
//!
//! Safety settings are left at the provider's defaults (the original toolkit silently set every
//! category to `BLOCK_NONE`); what the filters block is recorded: `promptFeedback.blockReason`, or a
//! candidate whose `finishReason` is `SAFETY`, `PROHIBITED_CONTENT`, `BLOCKLIST`, `SPII`,
//! `IMAGE_SAFETY` or `RECITATION`, becomes a `content_filtered` reply naming the reason and the
//! blocked categories. Thought parts of thinking models are not part of the text (their tokens are
//! counted as completion tokens, as they are billed).

use reqwest::Client;
use serde_json::{Map, Value, json};
use trustgen_plugin_api::{ChatRole, GenParams, Image, ImageSource, Message, ModelReply, ReplyStatus, Usage};

use crate::error::Failure;
use crate::http;
use crate::openai::{fetch_image, u64_at, unresolved_blob};
use crate::secret::ApiKey;

/// Finish reasons that mean a safety or policy filter blocked the candidate.
const FILTER_REASONS: [&str; 6] = ["SAFETY", "PROHIBITED_CONTENT", "BLOCKLIST", "SPII", "IMAGE_SAFETY", "RECITATION"];

/// A Gemini client for one model.
#[derive(Debug)]
pub(crate) struct Gemini {
    pub(crate) client: Client,
    pub(crate) base_url: String,
    pub(crate) model: String,
    pub(crate) key: Option<ApiKey>,
    /// The reply byte limits.
    pub(crate) limits: crate::spec::Limits,
}

impl Gemini {
    pub(crate) async fn chat(&self, messages: &[Message], params: &GenParams) -> Result<ModelReply, Failure> {
        // URL images must be sent inline: download them first.
        let mut owned: Option<Vec<Message>> = None;
        if messages.iter().any(|m| m.images.iter().any(|i| matches!(i.source, ImageSource::Url(_)))) {
            let mut copy = messages.to_vec();
            for message in &mut copy {
                for image in &mut message.images {
                    if let ImageSource::Url(url) = &image.source {
                        *image = fetch_image(&self.client, url, self.limits.image_reply_bytes()).await?;
                    }
                }
            }
            owned = Some(copy);
        }
        let messages = owned.as_deref().unwrap_or(messages);
        crate::vision::check_images(&crate::vision::GEMINI, messages)?;
        let body = serde_json::to_vec(&body(messages, params)?)
            .map_err(|e| Failure::PerCase(format!("cannot serialize the request: {e}")))?;
        crate::vision::check_request_size(&crate::vision::GEMINI, body.len())?;
        let model = self.model.strip_prefix("models/").unwrap_or(&self.model);
        let mut builder = self
            .client
            .post(format!("{}/v1beta/models/{model}:generateContent", self.base_url))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        if let Some(key) = &self.key {
            let (name, value) = http::secret_header("x-goog-api-key", "", key)?;
            builder = builder.header(name, value);
        }
        let response = http::send(builder, self.key.as_ref(), self.limits.reply_bytes()).await?;
        if !response.status.is_success() {
            return Err(http::classify_status(&response, self.key.as_ref()));
        }
        parse(&http::json_body(&response)?)
    }
}

fn inline(image: &Image) -> Result<Value, Failure> {
    match &image.source {
        ImageSource::Base64(data) => Ok(json!({"inlineData": {"mimeType": image.media_type, "data": data}})),
        ImageSource::Url(url) => Err(Failure::PerCase(format!("image {url} was not downloaded"))),
        ImageSource::Blob { .. } | ImageSource::File(_) | ImageSource::Stored { .. } => Err(unresolved_blob()),
        _ => Err(crate::openai::unknown_source()),
    }
}

/// The request body.
pub(crate) fn body(messages: &[Message], params: &GenParams) -> Result<Value, Failure> {
    let system: Vec<&str> =
        messages.iter().filter(|m| m.role == ChatRole::System).map(|m| m.content.as_str()).collect();
    let mut contents = Vec::with_capacity(messages.len());
    for message in messages.iter().filter(|m| m.role != ChatRole::System) {
        let role = if message.role == ChatRole::Assistant { "model" } else { "user" };
        let mut parts = Vec::with_capacity(message.images.len() + 1);
        for image in &message.images {
            parts.push(inline(image)?);
        }
        parts.push(json!({"text": message.content}));
        contents.push(json!({"role": role, "parts": parts}));
    }
    let mut config = Map::new();
    if let Some(t) = params.temperature {
        config.insert("temperature".into(), json!(t));
    }
    if let Some(p) = params.top_p {
        config.insert("topP".into(), json!(p));
    }
    if let Some(n) = params.max_tokens {
        config.insert("maxOutputTokens".into(), json!(n));
    }
    if let Some(seed) = params.seed {
        config.insert("seed".into(), json!(seed % (1 << 31)));
    }
    if !params.stop.is_empty() {
        config.insert("stopSequences".into(), json!(params.stop));
    }
    if params.json {
        config.insert("responseMimeType".into(), json!("application/json"));
    }
    let mut body = Map::new();
    body.insert("contents".into(), Value::Array(contents));
    if !system.is_empty() {
        body.insert("systemInstruction".into(), json!({"parts": [{"text": system.join("\n\n")}]}));
    }
    if !config.is_empty() {
        body.insert("generationConfig".into(), Value::Object(config));
    }
    Ok(Value::Object(body))
}

/// Reads a `generateContent` reply.
pub(crate) fn parse(value: &Value) -> Result<ModelReply, Failure> {
    let usage = value.get("usageMetadata").map_or_else(Usage::default, |u| {
        Usage::new(u64_at(u, "promptTokenCount"), u64_at(u, "candidatesTokenCount") + u64_at(u, "thoughtsTokenCount"))
    });
    let filtered = |error: String, finish: Option<String>| {
        let mut reply = ModelReply::new(ReplyStatus::ContentFiltered).with_error(error).with_usage(usage);
        reply.finish_reason = finish;
        reply
    };
    if let Some(feedback) = value.get("promptFeedback")
        && let Some(reason) = feedback.get("blockReason").and_then(Value::as_str)
    {
        let categories = blocked_categories(feedback.get("safetyRatings"));
        return Ok(filtered(format!("Gemini blocked the prompt (blockReason {reason}{categories})"), None));
    }
    let Some(candidate) = value.get("candidates").and_then(|c| c.get(0)) else {
        return Err(Failure::retry("the reply has no candidates and no block reason"));
    };
    let finish = candidate.get("finishReason").and_then(Value::as_str).unwrap_or_default();
    if FILTER_REASONS.contains(&finish) {
        let categories = blocked_categories(candidate.get("safetyRatings"));
        return Ok(filtered(
            format!("Gemini blocked the reply (finishReason {finish}{categories})"),
            Some(finish.to_lowercase()),
        ));
    }
    let text: String = candidate
        .get("content")
        .and_then(|c| c.get("parts"))
        .and_then(Value::as_array)
        .map(|parts| {
            parts
                .iter()
                .filter(|p| p.get("thought").and_then(Value::as_bool) != Some(true))
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    let finish = match finish {
        "STOP" => "stop".to_owned(),
        "MAX_TOKENS" => "length".to_owned(),
        other => other.to_lowercase(),
    };
    let mut reply = ModelReply::new(ReplyStatus::Ok).with_text(text).with_usage(usage);
    reply.finish_reason = (!finish.is_empty()).then_some(finish);
    Ok(reply)
}

/// `; categories: HARM_CATEGORY_...` for safety ratings marked `blocked` (or rated `HIGH`).
fn blocked_categories(ratings: Option<&Value>) -> String {
    let Some(ratings) = ratings.and_then(Value::as_array) else { return String::new() };
    let names: Vec<&str> = ratings
        .iter()
        .filter(|r| {
            r.get("blocked").and_then(Value::as_bool) == Some(true)
                || r.get("probability").and_then(Value::as_str) == Some("HIGH")
        })
        .filter_map(|r| r.get("category").and_then(Value::as_str))
        .collect();
    if names.is_empty() { String::new() } else { format!("; categories: {}", names.join(", ")) }
}
