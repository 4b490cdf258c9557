//! OpenAI and Azure OpenAI: chat completions, image generation, embeddings and their errors.

use base64::Engine as _;
use serde_json::{Value, json};

use super::{
    ApiError, ChatParams, EmbeddingParams, ImageParams, Incoming, Kind, OPENAI_MAX_REQUEST_IMAGE_BYTES, Parsed,
    body_object, field, image_url_digest, opt_float, opt_seed, opt_str, opt_uint, reject_unknown, reply_id,
    required_str, string_list, type_error,
};
use sha2::{Digest, Sha256};

use crate::conversation::{Completion, Conversation, Finish, Message, Role, count_tokens, hash_u64, mix};
use crate::image::{file_name, parse_size, render_png};
use crate::script::{Endpoint, FilterStage};

const UNPARSABLE: &str = "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)";

const CHAT_FIELDS: [&str; 33] = [
    "model",
    "messages",
    "temperature",
    "top_p",
    "n",
    "stream",
    "stream_options",
    "stop",
    "max_tokens",
    "max_completion_tokens",
    "presence_penalty",
    "frequency_penalty",
    "logit_bias",
    "logprobs",
    "top_logprobs",
    "user",
    "seed",
    "response_format",
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "functions",
    "function_call",
    "service_tier",
    "store",
    "metadata",
    "reasoning_effort",
    "modalities",
    "audio",
    "prediction",
    "web_search_options",
    "verbosity",
    "safety_identifier",
];

fn unrecognized(key: &str) -> String {
    format!("Unrecognized request argument supplied: {key}")
}

/// Parses an OpenAI chat completion request; `deployment` is the Azure deployment (no `model` needed).
pub(super) fn parse_chat(request: &Incoming<'_>, deployment: Option<&str>) -> Result<Parsed, ApiError> {
    let endpoint = if deployment.is_some() { Endpoint::Azure } else { Endpoint::OpenAi };
    if deployment.is_some() && !request.query.iter().any(|(name, _)| name == "api-version") {
        return Err(ApiError::UnknownRoute);
    }
    let body = body_object(request, UNPARSABLE)?;
    reject_unknown(body, &CHAT_FIELDS, unrecognized)?;
    if field(body, &["stream"]) == Some(&Value::Bool(true)) {
        return Err(ApiError::BadRequest(
            "stream=true is not supported by trustgen-testserver; send stream=false".to_owned(),
        ));
    }
    let model = match deployment {
        Some(deployment) => deployment.to_owned(),
        None => required_str(body, "model")?.to_owned(),
    };
    let messages = match field(body, &["messages"]) {
        None => return Err(ApiError::BadRequest("Missing required parameter: 'messages'.".to_owned())),
        Some(Value::Array(messages)) if messages.is_empty() => {
            return Err(ApiError::BadRequest(
                "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead."
                    .to_owned(),
            ));
        }
        Some(Value::Array(messages)) => messages,
        Some(other) => return Err(type_error("messages", "an array", other)),
    };
    let mut conversation = Conversation::default();
    for (index, message) in messages.iter().enumerate() {
        conversation.messages.push(parse_message(message, index)?);
    }
    conversation.temperature = opt_float(body, &["temperature"], 0.0, 2.0)?;
    opt_float(body, &["top_p"], 0.0, 1.0)?;
    conversation.seed = opt_seed(body, &["seed"])?;
    let max_tokens =
        opt_uint(body, &["max_completion_tokens", "max_tokens"], 1, u64::from(u32::MAX))?.map(|n| n as u32);
    let n = opt_uint(body, &["n"], 1, 128)?.unwrap_or(1) as u32;
    let stop = string_list(body, &["stop"], 4)?;
    let json = match field(body, &["response_format"]) {
        None => false,
        Some(Value::Object(format)) => match opt_str(format, &["type"])? {
            Some("text") => false,
            Some("json_object" | "json_schema") => true,
            Some(other) => {
                return Err(ApiError::BadRequest(format!(
                    "Invalid value: '{other}'. Supported values are: 'text', 'json_object', and 'json_schema'."
                )));
            }
            None => return Err(ApiError::BadRequest("Missing required parameter: 'response_format.type'.".to_owned())),
        },
        Some(other) => return Err(type_error("response_format", "an object", other)),
    };
    let image_bytes: usize = conversation.images().iter().map(|image| image.bytes).sum();
    if image_bytes > OPENAI_MAX_REQUEST_IMAGE_BYTES {
        return Err(ApiError::InvalidImage {
            message: format!(
                "The request carries {image_bytes} bytes of images; the limit is {OPENAI_MAX_REQUEST_IMAGE_BYTES} bytes (50 MB) per request."
            ),
            param: "messages".to_owned(),
        });
    }
    Ok(Parsed { endpoint, model, conversation, kind: Kind::Chat(ChatParams { max_tokens, stop, json, n }) })
}

fn parse_message(message: &Value, index: usize) -> Result<Message, ApiError> {
    let at = format!("messages[{index}]");
    let Value::Object(message) = message else {
        return Err(type_error(&at, "an object", message));
    };
    let role = match message.get("role").and_then(Value::as_str) {
        Some("system" | "developer") => Role::System,
        Some("user") => Role::User,
        Some("assistant") => Role::Assistant,
        Some("tool" | "function") => Role::Tool,
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "Invalid value: '{other}'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'."
            )));
        }
        None => return Err(ApiError::BadRequest(format!("Missing required parameter: '{at}.role'."))),
    };
    let mut parsed = Message::new(role);
    match message.get("content") {
        Some(Value::String(text)) => parsed.push_text(text),
        Some(Value::Array(parts)) => {
            for (part_index, part) in parts.iter().enumerate() {
                parse_part(part, &format!("{at}.content[{part_index}]"), &mut parsed)?;
            }
        }
        None | Some(Value::Null) if role == Role::Assistant => {}
        None | Some(Value::Null) => {
            return Err(ApiError::BadRequest(format!("Missing required parameter: '{at}.content'.")));
        }
        Some(other) => return Err(type_error(&format!("{at}.content"), "a string or an array", other)),
    }
    Ok(parsed)
}

fn parse_part(part: &Value, at: &str, message: &mut Message) -> Result<(), ApiError> {
    let Value::Object(part) = part else {
        return Err(type_error(at, "an object", part));
    };
    match part.get("type").and_then(Value::as_str) {
        Some("text") => message.push_text(required_str(part, "text")?),
        Some("refusal") => message.push_text(required_str(part, "refusal")?),
        Some("image_url") => {
            let url = match part.get("image_url") {
                Some(Value::Object(image)) => required_str(image, "url")?,
                Some(Value::String(url)) => url,
                _ => return Err(ApiError::BadRequest(format!("Missing required parameter: '{at}.image_url'."))),
            };
            message.images.push(image_url_digest(url, at)?);
        }
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "{at}: content part type '{other}' is not supported by trustgen-testserver; use 'text' or 'image_url'"
            )));
        }
        None => return Err(ApiError::BadRequest(format!("Missing required parameter: '{at}.type'."))),
    }
    Ok(())
}

fn finish_reason(finish: &Finish) -> &'static str {
    match finish {
        Finish::Length => "length",
        Finish::Stop | Finish::StopSequence(_) => "stop",
    }
}

fn safe_filter_results() -> Value {
    let safe = json!({"filtered": false, "severity": "safe"});
    json!({"hate": safe, "self_harm": safe, "sexual": safe, "violence": safe})
}

fn usage(prompt: u32, completion: u32) -> Value {
    json!({"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion})
}

/// A `chat.completion` object; Azure adds its content-filter annotations.
pub(super) fn chat_reply(parsed: &Parsed, completions: &[Completion], azure: bool) -> Value {
    let choices: Vec<Value> = completions
        .iter()
        .enumerate()
        .map(|(index, completion)| {
            let mut choice = json!({
                "index": index,
                "message": {"role": "assistant", "content": completion.text, "refusal": null},
                "logprobs": null,
                "finish_reason": finish_reason(&completion.finish),
            });
            if azure {
                choice["content_filter_results"] = safe_filter_results();
            }
            choice
        })
        .collect();
    let prompt = parsed.conversation.prompt_tokens();
    let completion = completions.iter().map(|c| c.tokens).sum();
    let mut reply = json!({
        "id": reply_id("chatcmpl-", parsed),
        "object": "chat.completion",
        "created": super::CREATED,
        "model": parsed.model,
        "choices": choices,
        "usage": usage(prompt, completion),
        "system_fingerprint": "fp_trustgen",
    });
    if azure {
        reply["prompt_filter_results"] = json!([{"prompt_index": 0, "content_filter_results": safe_filter_results()}]);
    }
    reply
}

/// The content-filter refusal of a chat request: a 400 for the prompt, `finish_reason: content_filter`
/// for the output.
pub(super) fn chat_filtered(parsed: &Parsed, stage: FilterStage, azure: bool) -> (u16, Value) {
    let mut flagged = safe_filter_results();
    flagged["violence"] = json!({"filtered": true, "severity": "high"});
    match stage {
        FilterStage::Prompt if azure => (
            400,
            json!({"error": {
                "message": "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry.",
                "type": null,
                "param": "prompt",
                "code": "content_filter",
                "status": 400,
                "innererror": {"code": "ResponsibleAIPolicyViolation", "content_filter_result": flagged},
            }}),
        ),
        FilterStage::Prompt => (
            400,
            json!({"error": {
                "message": "Your request was rejected as a result of our safety system.",
                "type": "invalid_request_error",
                "param": "prompt",
                "code": "content_filter",
            }}),
        ),
        FilterStage::Output => {
            let mut choice = json!({
                "index": 0,
                "message": {"role": "assistant", "content": null, "refusal": null},
                "logprobs": null,
                "finish_reason": "content_filter",
            });
            if azure {
                choice["content_filter_results"] = flagged;
            }
            let prompt = parsed.conversation.prompt_tokens();
            let mut reply = json!({
                "id": reply_id("chatcmpl-", parsed),
                "object": "chat.completion",
                "created": super::CREATED,
                "model": parsed.model,
                "choices": [choice],
                "usage": usage(prompt, 0),
                "system_fingerprint": "fp_trustgen",
            });
            if azure {
                reply["prompt_filter_results"] =
                    json!([{"prompt_index": 0, "content_filter_results": safe_filter_results()}]);
            }
            (200, reply)
        }
    }
}

/// The image API's safety rejection.
pub(super) fn images_policy_violation() -> Value {
    json!({"error": {
        "message": "Your request was rejected as a result of our safety system. Your prompt may contain text that is not allowed by our safety system.",
        "type": "invalid_request_error",
        "param": null,
        "code": "content_policy_violation",
    }})
}

fn openai_error(message: &str, kind: &str, param: Option<&str>, code: Option<&str>) -> Value {
    json!({"error": {"message": message, "type": kind, "param": param, "code": code}})
}

/// An error in OpenAI's shape.
pub(super) fn error(error: &ApiError, request: &Incoming<'_>) -> (u16, Value) {
    match error {
        ApiError::BadRequest(message) => (400, openai_error(message, "invalid_request_error", None, None)),
        ApiError::InvalidImage { message, param } => {
            (400, openai_error(message, "invalid_request_error", Some(param), Some("invalid_image_format")))
        }
        ApiError::MissingKey => (
            401,
            openai_error(
                "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                "invalid_request_error",
                None,
                Some("invalid_api_key"),
            ),
        ),
        ApiError::WrongKey => (
            401,
            openai_error(
                "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.",
                "invalid_request_error",
                None,
                Some("invalid_api_key"),
            ),
        ),
        ApiError::ModelNotFound(model) => (
            404,
            openai_error(
                &format!("The model `{model}` does not exist or you do not have access to it."),
                "invalid_request_error",
                None,
                Some("model_not_found"),
            ),
        ),
        ApiError::UnknownRoute => (
            404,
            openai_error(
                &format!("Invalid URL ({} {})", request.method, request.path),
                "invalid_request_error",
                None,
                None,
            ),
        ),
        ApiError::TooLarge => {
            (413, openai_error("The request body is too large.", "invalid_request_error", None, None))
        }
        ApiError::Injected(status) => {
            let status = *status;
            let body = match status {
                429 => openai_error(
                    "Rate limit reached for requests (injected by trustgen-testserver). Please try again later.",
                    "requests",
                    None,
                    Some("rate_limit_exceeded"),
                ),
                401 => openai_error(
                    "Incorrect API key provided (injected by trustgen-testserver).",
                    "invalid_request_error",
                    None,
                    Some("invalid_api_key"),
                ),
                404 => openai_error(
                    "The model does not exist or you do not have access to it (injected by trustgen-testserver).",
                    "invalid_request_error",
                    None,
                    Some("model_not_found"),
                ),
                503 => openai_error(
                    "The engine is currently overloaded, please try again later (injected by trustgen-testserver).",
                    "server_error",
                    None,
                    None,
                ),
                500..=599 => openai_error(
                    "The server had an error while processing your request (injected by trustgen-testserver).",
                    "server_error",
                    None,
                    None,
                ),
                _ => openai_error(
                    &format!("Request failed with status {status} (injected by trustgen-testserver)."),
                    "invalid_request_error",
                    None,
                    None,
                ),
            };
            (status, body)
        }
    }
}

fn azure_error_body(code: &str, message: &str) -> Value {
    json!({"error": {"code": code, "message": message}})
}

/// An error in Azure OpenAI's shape (validation errors are passed through in OpenAI's shape, as Azure does).
pub(super) fn azure_error(error: &ApiError, request: &Incoming<'_>) -> (u16, Value) {
    const ACCESS_DENIED: &str = "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.";
    match error {
        ApiError::MissingKey | ApiError::WrongKey => (401, azure_error_body("401", ACCESS_DENIED)),
        ApiError::ModelNotFound(_) => (
            404,
            azure_error_body(
                "DeploymentNotFound",
                "The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.",
            ),
        ),
        ApiError::UnknownRoute => (404, azure_error_body("404", "Resource not found")),
        ApiError::Injected(429) => (
            429,
            azure_error_body(
                "429",
                "Requests to the ChatCompletions_Create Operation under Azure OpenAI API have exceeded the rate limit of your current pricing tier (injected by trustgen-testserver). Please retry after the time given in the Retry-After header.",
            ),
        ),
        ApiError::Injected(401) => (401, azure_error_body("401", ACCESS_DENIED)),
        ApiError::Injected(status @ 500..=599) => (
            *status,
            azure_error_body(
                "InternalServerError",
                "The service encountered an internal error (injected by trustgen-testserver). Please retry.",
            ),
        ),
        ApiError::Injected(status) => (
            *status,
            azure_error_body(
                &status.to_string(),
                &format!("Request failed with status {status} (injected by trustgen-testserver)."),
            ),
        ),
        ApiError::BadRequest(_) | ApiError::InvalidImage { .. } | ApiError::TooLarge => self::error(error, request),
    }
}

const IMAGE_FIELDS: [&str; 12] = [
    "prompt",
    "model",
    "n",
    "size",
    "response_format",
    "quality",
    "style",
    "user",
    "background",
    "moderation",
    "output_format",
    "output_compression",
];

/// Parses an image generation request; the prompt becomes the conversation's only user message.
pub(super) fn parse_images(request: &Incoming<'_>) -> Result<Parsed, ApiError> {
    let body = body_object(request, UNPARSABLE)?;
    reject_unknown(body, &IMAGE_FIELDS, unrecognized)?;
    let prompt = required_str(body, "prompt")?;
    if prompt.is_empty() {
        return Err(ApiError::BadRequest("Invalid 'prompt': empty string.".to_owned()));
    }
    let model = opt_str(body, &["model"])?.unwrap_or("dall-e-2").to_owned();
    let n = opt_uint(body, &["n"], 1, 10)?.unwrap_or(1) as u32;
    let (width, height) = match opt_str(body, &["size"])? {
        None | Some("auto") => (256, 256),
        Some(size) => parse_size(size).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "Invalid value: '{size}'. Expected a size like '256x256' with sides up to {}.",
                crate::image::MAX_SIDE
            ))
        })?,
    };
    let b64 = match opt_str(body, &["response_format"])? {
        None | Some("url") => false,
        Some("b64_json") => true,
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "Invalid value: '{other}'. Supported values are: 'url' and 'b64_json'."
            )));
        }
    };
    let conversation =
        Conversation { messages: vec![Message::text(Role::User, prompt)], temperature: None, seed: None };
    Ok(Parsed {
        endpoint: Endpoint::Images,
        model,
        conversation,
        kind: Kind::Images(ImageParams { prompt: prompt.to_owned(), n, width, height, b64 }),
    })
}

/// The seed of image `index` for `prompt`.
fn image_seed(prompt: &str, index: u32) -> u64 {
    mix(seed_of(prompt), u64::from(index))
}

/// A 64-bit seed from the SHA-256 of a text.
fn seed_of(text: &str) -> u64 {
    hash_u64(&Sha256::digest(text.as_bytes()).into())
}

/// An images reply: `b64_json` PNGs, or URLs of `GET /files/<id>.png` under `base_url`.
pub(super) fn images_reply(params: &ImageParams, base_url: &str) -> Value {
    let data: Vec<Value> = (0..params.n)
        .map(|index| {
            let seed = image_seed(&params.prompt, index);
            if params.b64 {
                let png = render_png(seed, params.width, params.height);
                json!({"b64_json": base64::engine::general_purpose::STANDARD.encode(png)})
            } else {
                json!({"url": format!("{base_url}/files/{}", file_name(seed, params.width, params.height))})
            }
        })
        .collect();
    json!({"created": super::CREATED, "data": data})
}

const EMBEDDING_FIELDS: [&str; 5] = ["input", "model", "dimensions", "encoding_format", "user"];

/// Parses an embeddings request; each input becomes a user message.
pub(super) fn parse_embeddings(request: &Incoming<'_>) -> Result<Parsed, ApiError> {
    let body = body_object(request, UNPARSABLE)?;
    reject_unknown(body, &EMBEDDING_FIELDS, unrecognized)?;
    let model = required_str(body, "model")?.to_owned();
    let token_text = |tokens: &[Value]| -> Result<String, ApiError> {
        let ids: Option<Vec<String>> = tokens.iter().map(|t| t.as_u64().map(|id| id.to_string())).collect();
        ids.map(|ids| ids.join(" "))
            .ok_or_else(|| type_error("input", "strings or token arrays", &Value::Array(tokens.to_vec())))
    };
    let inputs: Vec<String> = match field(body, &["input"]) {
        None => return Err(ApiError::BadRequest("Missing required parameter: 'input'.".to_owned())),
        Some(Value::String(text)) => vec![text.clone()],
        Some(Value::Array(items)) if items.iter().all(Value::is_number) && !items.is_empty() => {
            vec![token_text(items)?]
        }
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(text) => Ok(text.clone()),
                Value::Array(tokens) => token_text(tokens),
                other => Err(type_error("input", "strings or token arrays", other)),
            })
            .collect::<Result<_, _>>()?,
        Some(other) => return Err(type_error("input", "a string or an array", other)),
    };
    if inputs.is_empty() || inputs.len() > 2048 {
        return Err(ApiError::BadRequest("Invalid 'input': expected between 1 and 2048 inputs.".to_owned()));
    }
    if inputs.iter().any(String::is_empty) {
        return Err(ApiError::BadRequest("Invalid 'input': empty string.".to_owned()));
    }
    let dimensions = opt_uint(body, &["dimensions"], 1, 3072)?.map_or(super::EMBEDDING_DIM, |d| d as usize);
    let base64 = match opt_str(body, &["encoding_format"])? {
        None | Some("float") => false,
        Some("base64") => true,
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "Invalid value: '{other}'. Supported values are: 'float' and 'base64'."
            )));
        }
    };
    let conversation =
        Conversation { messages: vec![Message::text(Role::User, inputs.join("\n"))], temperature: None, seed: None };
    Ok(Parsed {
        endpoint: Endpoint::Embeddings,
        model,
        conversation,
        kind: Kind::Embeddings(EmbeddingParams { inputs, dimensions, base64 }),
    })
}

/// A deterministic unit vector: every lower-cased word adds eight signed, hash-placed weights, so texts
/// that share words point in similar directions.
pub(crate) fn embed(text: &str, dimensions: usize) -> Vec<f32> {
    let mut vector = vec![0f32; dimensions];
    for word in text.split(|c: char| !c.is_alphanumeric()).filter(|word| !word.is_empty()) {
        let seed = seed_of(&word.to_lowercase());
        for k in 0..8 {
            let bits = mix(seed, k);
            let weight = 1.0 + ((bits >> 32) & 0xff) as f32 / 255.0;
            let sign = if bits >> 63 == 1 { 1.0 } else { -1.0 };
            vector[(bits % dimensions as u64) as usize] += sign * weight;
        }
    }
    let mut norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm == 0.0 {
        // No words (punctuation only, emoji, ...): a pseudo-random direction from the whole text.
        let seed = seed_of(text);
        for (index, value) in vector.iter_mut().enumerate() {
            *value = (mix(seed, index as u64) >> 40) as f32 / (1u64 << 23) as f32 - 1.0;
        }
        norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt().max(f32::MIN_POSITIVE);
    }
    vector.iter_mut().for_each(|x| *x /= norm);
    vector
}

/// An embeddings reply.
pub(super) fn embeddings_reply(parsed: &Parsed, params: &EmbeddingParams) -> Value {
    let data: Vec<Value> = params
        .inputs
        .iter()
        .enumerate()
        .map(|(index, input)| {
            let vector = embed(input, params.dimensions);
            let embedding = if params.base64 {
                let bytes: Vec<u8> = vector.iter().flat_map(|x| x.to_le_bytes()).collect();
                json!(base64::engine::general_purpose::STANDARD.encode(bytes))
            } else {
                json!(vector)
            };
            json!({"object": "embedding", "index": index, "embedding": embedding})
        })
        .collect();
    let tokens: u32 = params.inputs.iter().map(|input| count_tokens(input)).sum();
    json!({
        "object": "list",
        "data": data,
        "model": parsed.model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    })
}
