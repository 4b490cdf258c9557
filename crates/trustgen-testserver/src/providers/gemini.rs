//! Gemini `generateContent`: request parsing (camelCase and snake_case), replies, safety blocks and errors.

use serde_json::{Value, json};

use super::{
    Api, ApiError, ChatParams, GEMINI_MAX_REQUEST_BYTES, Incoming, Kind, Object, Parsed, body_object, decode_image,
    field, opt_float, opt_seed, opt_str, opt_uint, reject_unknown, reply_id, string_list, type_error,
};
use crate::conversation::{Completion, Conversation, Finish, Message, Role};
use crate::script::{Endpoint, FilterStage};

const FIELDS: [&str; 12] = [
    "contents",
    "systemInstruction",
    "system_instruction",
    "generationConfig",
    "generation_config",
    "safetySettings",
    "safety_settings",
    "tools",
    "toolConfig",
    "tool_config",
    "cachedContent",
    "cached_content",
];

const CONFIG_FIELDS: [&str; 34] = [
    "temperature",
    "maxOutputTokens",
    "max_output_tokens",
    "topP",
    "top_p",
    "topK",
    "top_k",
    "seed",
    "stopSequences",
    "stop_sequences",
    "candidateCount",
    "candidate_count",
    "responseMimeType",
    "response_mime_type",
    "responseSchema",
    "response_schema",
    "responseJsonSchema",
    "response_json_schema",
    "presencePenalty",
    "presence_penalty",
    "frequencyPenalty",
    "frequency_penalty",
    "responseLogprobs",
    "response_logprobs",
    "logprobs",
    "thinkingConfig",
    "thinking_config",
    "responseModalities",
    "response_modalities",
    "mediaResolution",
    "media_resolution",
    "speechConfig",
    "speech_config",
    "routingConfig",
];

fn unknown_name(key: &str) -> String {
    format!("Invalid JSON payload received. Unknown name \"{key}\": Cannot find field.")
}

/// Parses a `generateContent` request for `model` (from the path).
pub(super) fn parse(request: &Incoming<'_>, model: &str) -> Result<Parsed, ApiError> {
    if request.body_len > GEMINI_MAX_REQUEST_BYTES {
        return Err(ApiError::BadRequest(format!(
            "Request payload size exceeds the limit: {GEMINI_MAX_REQUEST_BYTES} bytes."
        )));
    }
    let body = body_object(request, "Invalid JSON payload received. Unexpected token.")?;
    reject_unknown(body, &FIELDS, unknown_name)?;
    let contents = match field(body, &["contents"]) {
        None => {
            return Err(ApiError::BadRequest(
                "* GenerateContentRequest.contents: contents is not specified".to_owned(),
            ));
        }
        Some(Value::Array(contents)) if contents.is_empty() => {
            return Err(ApiError::BadRequest(
                "* GenerateContentRequest.contents: contents is not specified".to_owned(),
            ));
        }
        Some(Value::Array(contents)) => contents,
        Some(other) => return Err(type_error("contents", "an array", other)),
    };
    let mut conversation = Conversation::default();
    match field(body, &["systemInstruction", "system_instruction"]) {
        None => {}
        Some(Value::Object(instruction)) => {
            let mut system = Message::new(Role::System);
            parse_parts(instruction, "systemInstruction", &mut system)?;
            conversation.messages.push(system);
        }
        Some(other) => return Err(type_error("systemInstruction", "an object", other)),
    }
    for (index, content) in contents.iter().enumerate() {
        let at = format!("contents[{index}]");
        let Value::Object(content) = content else {
            return Err(type_error(&at, "an object", content));
        };
        let role = match opt_str(content, &["role"])? {
            None | Some("user") => Role::User,
            Some("model") => Role::Assistant,
            Some(other) => {
                return Err(ApiError::BadRequest(format!(
                    "Please use a valid role: user, model. (got '{other}' at {at}.role)"
                )));
            }
        };
        let mut message = Message::new(role);
        parse_parts(content, &at, &mut message)?;
        conversation.messages.push(message);
    }
    let mut params = ChatParams { n: 1, ..ChatParams::default() };
    match field(body, &["generationConfig", "generation_config"]) {
        None => {}
        Some(Value::Object(config)) => {
            reject_unknown(config, &CONFIG_FIELDS, |key| unknown_name(&format!("generation_config.{key}")))?;
            opt_float(config, &["temperature"], 0.0, 2.0)?;
            opt_float(config, &["topP", "top_p"], 0.0, 1.0)?;
            conversation.seed = opt_seed(config, &["seed"])?;
            params.max_tokens =
                opt_uint(config, &["maxOutputTokens", "max_output_tokens"], 1, u64::from(u32::MAX))?.map(|n| n as u32);
            params.n = opt_uint(config, &["candidateCount", "candidate_count"], 1, 8)?.unwrap_or(1) as u32;
            params.stop = string_list(config, &["stopSequences", "stop_sequences"], 5)?;
            params.json = opt_str(config, &["responseMimeType", "response_mime_type"])? == Some("application/json");
        }
        Some(other) => return Err(type_error("generationConfig", "an object", other)),
    }
    Ok(Parsed { endpoint: Endpoint::Gemini, model: model.to_owned(), conversation, kind: Kind::Chat(params) })
}

fn parse_parts(content: &Object, at: &str, message: &mut Message) -> Result<(), ApiError> {
    let parts = match field(content, &["parts"]) {
        Some(Value::Array(parts)) if !parts.is_empty() => parts,
        Some(Value::Array(_)) | None => {
            return Err(ApiError::BadRequest(format!("* {at}.parts: contents.parts must not be empty.")));
        }
        Some(other) => return Err(type_error(&format!("{at}.parts"), "an array", other)),
    };
    for (index, part) in parts.iter().enumerate() {
        let part_at = format!("{at}.parts[{index}]");
        let Value::Object(part) = part else {
            return Err(type_error(&part_at, "an object", part));
        };
        if let Some(text) = opt_str(part, &["text"])? {
            message.push_text(text);
        } else if let Some(data) = field(part, &["inlineData", "inline_data"]) {
            let Value::Object(data) = data else {
                return Err(type_error(&format!("{part_at}.inlineData"), "an object", data));
            };
            let mime = opt_str(data, &["mimeType", "mime_type"])?.unwrap_or("");
            let bytes = opt_str(data, &["data"])?.unwrap_or("");
            message.images.push(decode_image(Api::Gemini, mime, bytes, &part_at)?);
        } else if let Some(file) = field(part, &["fileData", "file_data"]) {
            let Value::Object(file) = file else {
                return Err(type_error(&format!("{part_at}.fileData"), "an object", file));
            };
            let uri = opt_str(file, &["fileUri", "file_uri"])?.unwrap_or("");
            message.images.push(crate::conversation::ReceivedImage::by_url(uri));
        } else {
            return Err(ApiError::BadRequest(format!(
                "{part_at}: a part needs text, inlineData or fileData (other part kinds are not supported by trustgen-testserver)"
            )));
        }
    }
    Ok(())
}

fn usage(prompt: u32, candidates: u32) -> Value {
    json!({"promptTokenCount": prompt, "candidatesTokenCount": candidates, "totalTokenCount": prompt + candidates})
}

/// A `GenerateContentResponse` with one candidate per completion.
pub(super) fn reply(parsed: &Parsed, completions: &[Completion]) -> Value {
    let candidates: Vec<Value> = completions
        .iter()
        .enumerate()
        .map(|(index, completion)| {
            let reason = match completion.finish {
                Finish::Length => "MAX_TOKENS",
                Finish::Stop | Finish::StopSequence(_) => "STOP",
            };
            json!({
                "content": {"parts": [{"text": completion.text}], "role": "model"},
                "finishReason": reason,
                "index": index,
            })
        })
        .collect();
    let tokens = completions.iter().map(|completion| completion.tokens).sum();
    json!({
        "candidates": candidates,
        "usageMetadata": usage(parsed.conversation.prompt_tokens(), tokens),
        "modelVersion": parsed.model,
        "responseId": reply_id("", parsed),
    })
}

fn blocked_ratings() -> Value {
    json!([
        {"category": "HARM_CATEGORY_HATE_SPEECH", "probability": "NEGLIGIBLE"},
        {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": true},
        {"category": "HARM_CATEGORY_HARASSMENT", "probability": "NEGLIGIBLE"},
        {"category": "HARM_CATEGORY_SEXUALLY_EXPLICIT", "probability": "NEGLIGIBLE"},
    ])
}

/// A safety block: `promptFeedback.blockReason` without candidates for the prompt, a candidate with
/// `finishReason: SAFETY` and no content for the output.
pub(super) fn blocked(parsed: &Parsed, stage: FilterStage) -> Value {
    let prompt = parsed.conversation.prompt_tokens();
    match stage {
        FilterStage::Prompt => json!({
            "promptFeedback": {"blockReason": "SAFETY", "safetyRatings": blocked_ratings()},
            "usageMetadata": {"promptTokenCount": prompt, "totalTokenCount": prompt},
            "modelVersion": parsed.model,
        }),
        FilterStage::Output => json!({
            "candidates": [{"finishReason": "SAFETY", "index": 0, "safetyRatings": blocked_ratings()}],
            "usageMetadata": {"promptTokenCount": prompt, "totalTokenCount": prompt},
            "modelVersion": parsed.model,
        }),
    }
}

fn status_name(status: u16) -> &'static str {
    match status {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        409 => "ABORTED",
        413 => "INVALID_ARGUMENT",
        429 => "RESOURCE_EXHAUSTED",
        499 => "CANCELLED",
        500 => "INTERNAL",
        501 => "UNIMPLEMENTED",
        503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        _ if status < 500 => "FAILED_PRECONDITION",
        _ => "UNKNOWN",
    }
}

fn google_error(status: u16, message: &str) -> Value {
    json!({"error": {"code": status, "message": message, "status": status_name(status)}})
}

/// An error in Google's shape.
pub(super) fn error(error: &ApiError, model: &str, version: &str) -> (u16, Value) {
    match error {
        ApiError::BadRequest(message) | ApiError::InvalidImage { message, .. } => (400, google_error(400, message)),
        ApiError::MissingKey => (
            403,
            google_error(
                403,
                "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
            ),
        ),
        ApiError::WrongKey => {
            let mut body = google_error(400, "API key not valid. Please pass a valid API key.");
            body["error"]["details"] = json!([{
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
                "metadata": {"service": "generativelanguage.googleapis.com"},
            }]);
            (400, body)
        }
        ApiError::ModelNotFound(_) => (
            404,
            google_error(
                404,
                &format!(
                    "models/{model} is not found for API version {version}, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods."
                ),
            ),
        ),
        ApiError::UnknownRoute => (404, google_error(404, "Requested entity was not found.")),
        ApiError::TooLarge => (413, google_error(413, "Request payload size exceeds the limit.")),
        ApiError::Injected(status) => {
            let status = *status;
            let message = match status {
                429 => "Resource has been exhausted (e.g. check quota). (injected by trustgen-testserver)".to_owned(),
                503 => "The model is overloaded. Please try again later. (injected by trustgen-testserver)".to_owned(),
                500 => "An internal error has occurred. Please retry. (injected by trustgen-testserver)".to_owned(),
                _ => format!("Request failed with status {status} (injected by trustgen-testserver)."),
            };
            (status, google_error(status, &message))
        }
    }
}
