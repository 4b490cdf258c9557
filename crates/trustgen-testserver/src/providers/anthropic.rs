//! Anthropic Messages API: request parsing, replies, refusals and errors.

use serde_json::{Value, json};

use super::{
    ANTHROPIC_MAX_REQUEST_BYTES, Api, ApiError, ChatParams, Incoming, Kind, Parsed, body_object, check_many_images,
    decode_image, field, opt_float, opt_uint, reject_unknown, reply_id, required_str, string_list, type_error,
};
use crate::conversation::{Completion, Conversation, Finish, Message, ReceivedImage, Role};
use crate::script::Endpoint;

const FIELDS: [&str; 16] = [
    "model",
    "messages",
    "max_tokens",
    "system",
    "temperature",
    "top_p",
    "top_k",
    "stop_sequences",
    "stream",
    "metadata",
    "tools",
    "tool_choice",
    "thinking",
    "service_tier",
    "container",
    "mcp_servers",
];

/// Parses a Messages API request (the `anthropic-version` header is required, as by the real API).
pub(super) fn parse(request: &Incoming<'_>) -> Result<Parsed, ApiError> {
    if request.headers.get("anthropic-version").is_none() {
        return Err(ApiError::BadRequest("anthropic-version: header is required".to_owned()));
    }
    if request.body_len > ANTHROPIC_MAX_REQUEST_BYTES {
        return Err(ApiError::TooLarge);
    }
    let body = body_object(request, "There was an error parsing the body of your request: it is not valid JSON.")?;
    reject_unknown(body, &FIELDS, |key| format!("{key}: Extra inputs are not permitted"))?;
    if field(body, &["stream"]) == Some(&Value::Bool(true)) {
        return Err(ApiError::BadRequest(
            "stream: true is not supported by trustgen-testserver; send stream: false".to_owned(),
        ));
    }
    let model = required_str(body, "model").map_err(|_| field_required("model"))?.to_owned();
    let max_tokens =
        opt_uint(body, &["max_tokens"], 1, u64::from(u32::MAX))?.ok_or_else(|| field_required("max_tokens"))?;
    let messages = match field(body, &["messages"]) {
        None => return Err(field_required("messages")),
        Some(Value::Array(messages)) if messages.is_empty() => {
            return Err(ApiError::BadRequest("messages: at least one message is required".to_owned()));
        }
        Some(Value::Array(messages)) => messages,
        Some(other) => return Err(type_error("messages", "an array", other)),
    };
    let mut conversation = Conversation::default();
    match field(body, &["system"]) {
        None => {}
        Some(Value::String(text)) => conversation.messages.push(Message::text(Role::System, text.as_str())),
        Some(Value::Array(blocks)) => {
            let mut system = Message::new(Role::System);
            for (index, block) in blocks.iter().enumerate() {
                parse_block(block, &format!("system.{index}"), &mut system)?;
            }
            conversation.messages.push(system);
        }
        Some(other) => return Err(type_error("system", "a string or an array of text blocks", other)),
    }
    for (index, message) in messages.iter().enumerate() {
        let at = format!("messages.{index}");
        let Value::Object(message) = message else {
            return Err(type_error(&at, "an object", message));
        };
        let role = match message.get("role").and_then(Value::as_str) {
            Some("user") => Role::User,
            Some("assistant") => Role::Assistant,
            Some(other) => {
                return Err(ApiError::BadRequest(format!(
                    "{at}.role: Input should be 'user' or 'assistant' (got '{other}')"
                )));
            }
            None => return Err(field_required(&format!("{at}.role"))),
        };
        let mut parsed = Message::new(role);
        match message.get("content") {
            Some(Value::String(text)) => parsed.push_text(text),
            Some(Value::Array(blocks)) => {
                for (block_index, block) in blocks.iter().enumerate() {
                    parse_block(block, &format!("{at}.content.{block_index}"), &mut parsed)?;
                }
            }
            None => return Err(field_required(&format!("{at}.content"))),
            Some(other) => return Err(type_error(&format!("{at}.content"), "a string or an array of blocks", other)),
        }
        conversation.messages.push(parsed);
    }
    check_many_images(&conversation)?;
    opt_float(body, &["temperature"], 0.0, 1.0)?;
    opt_float(body, &["top_p"], 0.0, 1.0)?;
    let stop = string_list(body, &["stop_sequences"], 8191)?;
    let params = ChatParams { max_tokens: Some(max_tokens as u32), stop, json: false, n: 1 };
    Ok(Parsed { endpoint: Endpoint::Anthropic, model, conversation, kind: Kind::Chat(params) })
}

fn field_required(at: &str) -> ApiError {
    ApiError::BadRequest(format!("{at}: Field required"))
}

fn parse_block(block: &Value, at: &str, message: &mut Message) -> Result<(), ApiError> {
    let Value::Object(block) = block else {
        return Err(type_error(at, "an object", block));
    };
    match block.get("type").and_then(Value::as_str) {
        Some("text") => {
            message.push_text(required_str(block, "text").map_err(|_| field_required(&format!("{at}.text")))?)
        }
        Some("image") => {
            let Some(Value::Object(source)) = block.get("source") else {
                return Err(field_required(&format!("{at}.source")));
            };
            let digest = match source.get("type").and_then(Value::as_str) {
                Some("base64") => {
                    let mime = required_str(source, "media_type")
                        .map_err(|_| field_required(&format!("{at}.source.media_type")))?;
                    let data =
                        required_str(source, "data").map_err(|_| field_required(&format!("{at}.source.data")))?;
                    decode_image(Api::Anthropic, mime, data, at)?
                }
                Some("url") => {
                    let url = required_str(source, "url").map_err(|_| field_required(&format!("{at}.source.url")))?;
                    if !(url.starts_with("https://") || url.starts_with("http://")) {
                        return Err(ApiError::BadRequest(format!("{at}.source.url: Input should be an http(s) URL")));
                    }
                    ReceivedImage::by_url(url)
                }
                _ => {
                    return Err(ApiError::BadRequest(format!("{at}.source.type: Input should be 'base64' or 'url'")));
                }
            };
            message.images.push(digest);
        }
        Some("tool_result") => match block.get("content") {
            Some(Value::String(text)) => message.push_text(text),
            Some(Value::Array(inner)) => {
                for (index, inner_block) in inner.iter().enumerate() {
                    parse_block(inner_block, &format!("{at}.content.{index}"), message)?;
                }
            }
            _ => {}
        },
        Some("tool_use" | "thinking" | "redacted_thinking") => {}
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "{at}.type: block type '{other}' is not supported by trustgen-testserver; use 'text' or 'image'"
            )));
        }
        None => return Err(field_required(&format!("{at}.type"))),
    }
    Ok(())
}

fn usage(input: u32, output: u32) -> Value {
    json!({"input_tokens": input, "output_tokens": output})
}

/// A `message` reply.
pub(super) fn reply(parsed: &Parsed, completions: &[Completion]) -> Value {
    let text = completions.first().map_or("", |completion| completion.text.as_str());
    let tokens = completions.first().map_or(0, |completion| completion.tokens);
    let (stop_reason, stop_sequence) = match completions.first().map(|completion| &completion.finish) {
        Some(Finish::Length) => ("max_tokens", Value::Null),
        Some(Finish::StopSequence(sequence)) => ("stop_sequence", json!(sequence)),
        _ => ("end_turn", Value::Null),
    };
    json!({
        "id": reply_id("msg_", parsed),
        "type": "message",
        "role": "assistant",
        "model": parsed.model,
        "content": [{"type": "text", "text": text}],
        "stop_reason": stop_reason,
        "stop_sequence": stop_sequence,
        "usage": usage(parsed.conversation.prompt_tokens(), tokens),
    })
}

/// A refusal: `stop_reason: refusal` with no content.
pub(super) fn refusal(parsed: &Parsed) -> Value {
    json!({
        "id": reply_id("msg_", parsed),
        "type": "message",
        "role": "assistant",
        "model": parsed.model,
        "content": [],
        "stop_reason": "refusal",
        "stop_sequence": null,
        "usage": usage(parsed.conversation.prompt_tokens(), 0),
    })
}

fn anthropic_error(kind: &str, message: &str) -> Value {
    json!({"type": "error", "error": {"type": kind, "message": message}})
}

/// An error in Anthropic's shape.
pub(super) fn error(error: &ApiError) -> (u16, Value) {
    match error {
        ApiError::BadRequest(message) | ApiError::InvalidImage { message, .. } => {
            (400, anthropic_error("invalid_request_error", message))
        }
        ApiError::MissingKey => (401, anthropic_error("authentication_error", "x-api-key header is required")),
        ApiError::WrongKey => (401, anthropic_error("authentication_error", "invalid x-api-key")),
        ApiError::ModelNotFound(model) => (404, anthropic_error("not_found_error", &format!("model: {model}"))),
        ApiError::UnknownRoute => (404, anthropic_error("not_found_error", "Not Found")),
        ApiError::TooLarge => (413, anthropic_error("request_too_large", "Request exceeds the maximum allowed size.")),
        ApiError::Injected(status) => {
            let status = *status;
            let kind = match status {
                400 => "invalid_request_error",
                401 => "authentication_error",
                402 => "billing_error",
                403 => "permission_error",
                404 => "not_found_error",
                413 => "request_too_large",
                429 => "rate_limit_error",
                503 | 529 => "overloaded_error",
                500..=599 => "api_error",
                _ => "invalid_request_error",
            };
            let message = match kind {
                "rate_limit_error" => {
                    "Number of requests has exceeded your rate limit (injected by trustgen-testserver).".to_owned()
                }
                "overloaded_error" => "Overloaded (injected by trustgen-testserver)".to_owned(),
                _ => format!("Request failed with status {status} (injected by trustgen-testserver)."),
            };
            (status, anthropic_error(kind, &message))
        }
    }
}
