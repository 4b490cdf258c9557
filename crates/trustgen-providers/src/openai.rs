//! OpenAI-compatible endpoints (OpenAI, vLLM, Ollama, llama.cpp, LM Studio, TGI, OpenRouter, ...)
//! and Azure OpenAI: chat completions, image generation and embeddings.
//!
//! Chat: `POST {base_url}/chat/completions` with real `system`/`user`/`assistant` messages; a user
//! message with images becomes an array of `text` and `image_url` parts (images as `data:` URLs);
//! `temperature`, `top_p`, `max_tokens` (`max_completion_tokens` on api.openai.com, where newer models
//! refuse `max_tokens`), `seed`, `stop`, and `response_format: {"type": "json_object"}` when JSON is
//! asked for. Images: `POST {base_url}/images/generations`; `b64_json` results are used as they are,
//! `url` results are downloaded (without the API key) and returned inline. `dall-e-*` models are asked
//! for `b64_json` directly; others (`gpt-image-1` rejects `response_format`) get the server default.
//! Embeddings: `POST {base_url}/embeddings`.
//!
//! Azure uses `{base_url}/openai/deployments/{deployment}/{endpoint}?api-version={api_version}` and the
//! `api-key` header; OpenAI uses `Authorization: Bearer`.
//!
//! Content filters become `content_filtered` replies: a 400 with code `content_filter` (Azure:
//! `innererror.code` `ResponsibleAIPolicyViolation`) or `content_policy_violation` (images), and a
//! choice with `finish_reason: content_filter`.

use base64::Engine as _;
use reqwest::Client;
use serde_json::{Map, Value, json};
use trustgen_plugin_api::{
    ChatRole, EmbedRequest, GenParams, Image, ImageRequest, ImageSource, Message, ModelReply, ReplyStatus, Usage,
};

use crate::error::Failure;
use crate::http::{self, Response};
use crate::secret::ApiKey;
use crate::spec::Limits;

/// Where an OpenAI-style request goes.
#[derive(Debug, Clone)]
pub(crate) enum Flavor {
    /// `{base_url}/{endpoint}` with a bearer token.
    OpenAi { base_url: String },
    /// Azure deployments with the `api-key` header.
    Azure { base_url: String, deployment: String, api_version: String },
}

/// An OpenAI-compatible or Azure client for one model.
#[derive(Debug)]
pub(crate) struct OpenAi {
    pub(crate) client: Client,
    pub(crate) flavor: Flavor,
    pub(crate) model: String,
    pub(crate) key: Option<ApiKey>,
    /// The reply byte limits.
    pub(crate) limits: Limits,
}

impl OpenAi {
    fn url(&self, endpoint: &str) -> String {
        match &self.flavor {
            Flavor::OpenAi { base_url } => format!("{base_url}/{endpoint}"),
            Flavor::Azure { base_url, deployment, api_version } => {
                format!("{base_url}/openai/deployments/{deployment}/{endpoint}?api-version={api_version}")
            }
        }
    }

    fn post(&self, endpoint: &str, body: &Value) -> Result<reqwest::RequestBuilder, Failure> {
        let mut builder = self.client.post(self.url(endpoint)).json(body);
        if let Some(key) = &self.key {
            let (name, value) = match self.flavor {
                Flavor::OpenAi { .. } => http::secret_header("authorization", "Bearer ", key)?,
                Flavor::Azure { .. } => http::secret_header("api-key", "", key)?,
            };
            builder = builder.header(name, value);
        }
        Ok(builder)
    }

    /// The field that carries the token limit: api.openai.com wants `max_completion_tokens`.
    fn max_tokens_field(&self) -> &'static str {
        match &self.flavor {
            Flavor::OpenAi { base_url } if base_url.starts_with("https://api.openai.com") => "max_completion_tokens",
            _ => "max_tokens",
        }
    }

    pub(crate) async fn chat(&self, messages: &[Message], params: &GenParams) -> Result<ModelReply, Failure> {
        let limits = match self.flavor {
            Flavor::OpenAi { .. } => &crate::vision::OPENAI,
            Flavor::Azure { .. } => &crate::vision::AZURE,
        };
        crate::vision::check_images(limits, messages)?;
        let body = chat_body(&self.model, messages, params, self.max_tokens_field())?;
        let response =
            http::send(self.post("chat/completions", &body)?, self.key.as_ref(), self.limits.reply_bytes()).await?;
        if !response.status.is_success() {
            return error_reply(&response, self.key.as_ref());
        }
        parse_chat(&http::json_body(&response)?)
    }

    pub(crate) async fn image(&self, request: &ImageRequest) -> Result<ModelReply, Failure> {
        let mut body = json!({"model": self.model, "prompt": request.prompt, "n": request.n});
        if let Some(size) = &request.size {
            body["size"] = json!(size);
        }
        if self.model.starts_with("dall-e") {
            body["response_format"] = json!("b64_json");
        }
        let response =
            http::send(self.post("images/generations", &body)?, self.key.as_ref(), self.limits.image_reply_bytes())
                .await?;
        if !response.status.is_success() {
            return error_reply(&response, self.key.as_ref());
        }
        let value = http::json_body(&response)?;
        let data = value.get("data").and_then(Value::as_array).ok_or_else(|| {
            Failure::retry(format!("the images reply has no `data` array: {}", http::snippet(&response.body)))
        })?;
        let mut images = Vec::with_capacity(data.len());
        for item in data {
            if let Some(b64) = item.get("b64_json").and_then(Value::as_str) {
                images.push(Image::new(sniff_media_type(b64), ImageSource::Base64(b64.to_owned())));
            } else if let Some(url) = item.get("url").and_then(Value::as_str) {
                images.push(fetch_image(&self.client, url, self.limits.image_reply_bytes()).await?);
            } else {
                return Err(Failure::retry("an images reply item has neither `b64_json` nor `url`"));
            }
        }
        let usage = value
            .get("usage")
            .map_or_else(Usage::default, |u| Usage::new(u64_at(u, "input_tokens"), u64_at(u, "output_tokens")));
        Ok(ModelReply::new(ReplyStatus::Ok).with_images(images).with_usage(usage))
    }

    pub(crate) async fn embed(&self, request: &EmbedRequest) -> Result<ModelReply, Failure> {
        let body = json!({"model": self.model, "input": request.texts});
        let response =
            http::send(self.post("embeddings", &body)?, self.key.as_ref(), self.limits.reply_bytes()).await?;
        if !response.status.is_success() {
            return error_reply(&response, self.key.as_ref());
        }
        let value = http::json_body(&response)?;
        parse_embeddings(&value, request.texts.len())
    }
}

/// Downloads an image URL returned by an image API (never with the API key: it may be another host).
pub(crate) async fn fetch_image(client: &Client, url: &str, limit: u64) -> Result<Image, Failure> {
    let response = http::send(client.get(url), None, limit).await?;
    if !response.status.is_success() {
        return Err(match response.status.as_u16() {
            404 | 410 | 403 => Failure::PerCase(format!("cannot download the image {url}: HTTP {}", response.status)),
            code => Failure::retry(format!("cannot download the image {url}: HTTP {code}")),
        });
    }
    let media_type = response
        .headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or(v).trim().to_owned())
        .filter(|v| v.starts_with("image/"))
        .unwrap_or_else(|| "image/png".to_owned());
    let data = base64::engine::general_purpose::STANDARD.encode(&response.body);
    Ok(Image::new(media_type, ImageSource::Base64(data)))
}

/// The media type of base64 image data from its magic bytes (PNG unless it looks like JPEG or WebP).
fn sniff_media_type(b64: &str) -> String {
    let head = b64.get(..16).unwrap_or(b64);
    let media = if head.starts_with("/9j/") {
        "image/jpeg"
    } else if head.starts_with("UklGR") {
        "image/webp"
    } else {
        "image/png"
    };
    media.to_owned()
}

/// An image as a URL the chat APIs accept: a `data:` URL for inline data.
pub(crate) fn image_url(image: &Image) -> Result<String, Failure> {
    match &image.source {
        ImageSource::Base64(data) => Ok(format!("data:{};base64,{data}", image.media_type)),
        ImageSource::Url(url) => Ok(url.clone()),
        ImageSource::Blob { .. } | ImageSource::File(_) | ImageSource::Stored { .. } => Err(unresolved_blob()),
        _ => Err(unknown_source()),
    }
}

/// An image source from a newer plugin API (the clients answer these with an error first).
pub(crate) fn unknown_source() -> Failure {
    Failure::PerCase("an image has a source this trustgen does not know; hint: upgrade trustgen".to_owned())
}

pub(crate) fn unresolved_blob() -> Failure {
    Failure::PerCase(
        "an image still refers to a plugin-call blob or a data file; the engine must store it first".to_owned(),
    )
}

fn role_name(role: ChatRole) -> &'static str {
    match role {
        ChatRole::System => "system",
        ChatRole::User => "user",
        ChatRole::Assistant => "assistant",
        // Unknown roles are answered with an error before any provider.
        _ => "user",
    }
}

/// The chat completions request body.
pub(crate) fn chat_body(
    model: &str,
    messages: &[Message],
    params: &GenParams,
    max_tokens_field: &str,
) -> Result<Value, Failure> {
    let mut out = Vec::with_capacity(messages.len());
    for message in messages {
        let content = if message.images.is_empty() {
            json!(message.content)
        } else {
            let mut parts = vec![json!({"type": "text", "text": message.content})];
            for image in &message.images {
                parts.push(json!({"type": "image_url", "image_url": {"url": image_url(image)?}}));
            }
            Value::Array(parts)
        };
        out.push(json!({"role": role_name(message.role), "content": content}));
    }
    let mut body = Map::new();
    body.insert("model".into(), json!(model));
    body.insert("messages".into(), Value::Array(out));
    if let Some(t) = params.temperature {
        body.insert("temperature".into(), json!(t));
    }
    if let Some(p) = params.top_p {
        body.insert("top_p".into(), json!(p));
    }
    if let Some(n) = params.max_tokens {
        body.insert(max_tokens_field.into(), json!(n));
    }
    if let Some(seed) = params.seed {
        body.insert("seed".into(), json!(seed));
    }
    if !params.stop.is_empty() {
        body.insert("stop".into(), json!(params.stop));
    }
    if params.json {
        body.insert("response_format".into(), json!({"type": "json_object"}));
    }
    Ok(Value::Object(body))
}

/// Reads a chat completion.
pub(crate) fn parse_chat(value: &Value) -> Result<ModelReply, Failure> {
    let choice = value.get("choices").and_then(|c| c.get(0)).ok_or_else(|| {
        Failure::retry(format!("the chat reply has no choices: {}", http::snippet(value.to_string().as_bytes())))
    })?;
    let usage = value
        .get("usage")
        .map_or_else(Usage::default, |u| Usage::new(u64_at(u, "prompt_tokens"), u64_at(u, "completion_tokens")));
    let finish = choice.get("finish_reason").and_then(Value::as_str).map(str::to_owned);
    if finish.as_deref() == Some("content_filter") {
        let categories = filtered_categories(choice.get("content_filter_results"));
        let mut reply = ModelReply::new(ReplyStatus::ContentFiltered)
            .with_error(format!(
                "the provider's content filter blocked the output{categories} (finish_reason content_filter)"
            ))
            .with_usage(usage);
        reply.finish_reason = finish;
        return Ok(reply);
    }
    let message = choice.get("message").ok_or_else(|| Failure::retry("the chat reply's choice has no message"))?;
    // A model's own refusal (structured outputs) is the model's answer, so it is kept as text.
    let text = message
        .get("content")
        .and_then(Value::as_str)
        .or_else(|| message.get("refusal").and_then(Value::as_str))
        .unwrap_or_default();
    let mut reply = ModelReply::new(ReplyStatus::Ok).with_text(text).with_usage(usage);
    reply.finish_reason = finish;
    Ok(reply)
}

/// Reads an embeddings reply with `expected` vectors, ordered by `index`.
pub(crate) fn parse_embeddings(value: &Value, expected: usize) -> Result<ModelReply, Failure> {
    let data = value
        .get("data")
        .and_then(Value::as_array)
        .ok_or_else(|| Failure::retry("the embeddings reply has no `data` array"))?;
    let mut rows: Vec<(u64, Vec<f32>)> = Vec::with_capacity(data.len());
    for (i, item) in data.iter().enumerate() {
        let index = item.get("index").and_then(Value::as_u64).unwrap_or(i as u64);
        let vector = item
            .get("embedding")
            .and_then(Value::as_array)
            .ok_or_else(|| Failure::retry("an embeddings item has no `embedding` array (base64 is not requested)"))?
            .iter()
            .map(|x| x.as_f64().map(|x| x as f32))
            .collect::<Option<Vec<f32>>>()
            .ok_or_else(|| Failure::retry("an embedding holds a value that is not a number"))?;
        rows.push((index, vector));
    }
    if rows.len() != expected {
        return Err(Failure::retry(format!("asked for {expected} embeddings, got {}", rows.len())));
    }
    rows.sort_by_key(|(index, _)| *index);
    let usage = Usage::new(value.get("usage").map_or(0, |u| u64_at(u, "prompt_tokens")), 0);
    Ok(ModelReply::new(ReplyStatus::Ok).with_embeddings(rows.into_iter().map(|(_, v)| v).collect()).with_usage(usage))
}

/// A non-2xx reply: a content-filter refusal, else the common classification.
pub(crate) fn error_reply(response: &Response, key: Option<&ApiKey>) -> Result<ModelReply, Failure> {
    if matches!(response.status.as_u16(), 400 | 403 | 422)
        && let Ok(value) = serde_json::from_slice::<Value>(&response.body)
        && let Some(error) = value.get("error")
    {
        let code = |v: &Value| v.get("code").and_then(Value::as_str).unwrap_or_default().to_owned();
        let codes = [code(error), error.get("innererror").map(code).unwrap_or_default()];
        if codes.iter().any(|c| {
            matches!(c.as_str(), "content_filter" | "ResponsibleAIPolicyViolation" | "content_policy_violation")
        }) {
            let message = http::error_message(&response.body, key);
            let categories = filtered_categories(error.get("innererror").and_then(|i| i.get("content_filter_result")));
            return Ok(ModelReply::new(ReplyStatus::ContentFiltered)
                .with_error(format!("the provider's content filter blocked the prompt{categories}: {message}")));
        }
    }
    Err(http::classify_status(response, key))
}

/// ` (categories: hate, violence)` for Azure's filter results with `filtered: true`.
fn filtered_categories(results: Option<&Value>) -> String {
    let Some(Value::Object(results)) = results else { return String::new() };
    let names: Vec<&str> = results
        .iter()
        .filter(|(_, v)| v.get("filtered").and_then(Value::as_bool) == Some(true))
        .map(|(k, _)| k.as_str())
        .collect();
    if names.is_empty() { String::new() } else { format!(" (categories: {})", names.join(", ")) }
}

pub(crate) fn u64_at(value: &Value, field: &str) -> u64 {
    value.get(field).and_then(Value::as_u64).unwrap_or(0)
}
