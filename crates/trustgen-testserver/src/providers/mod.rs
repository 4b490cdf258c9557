//! Provider shapes: routing, request parsing, replies and errors for OpenAI, Azure, Anthropic and Gemini.

mod anthropic;
mod gemini;
mod openai;

use base64::Engine as _;
use hyper::{HeaderMap, Method};
use serde_json::{Map, Value};

use crate::conversation::{Completion, Conversation, ReceivedImage};
use crate::script::{Endpoint, FilterStage};

/// The fixed `created` timestamp of every reply (2023-11-14T22:13:20Z), so replies are byte-for-byte
/// deterministic.
pub const CREATED: u64 = 1_700_000_000;

/// The replies picked by conversation hash when no rule gives one: a refusal, a compliant answer,
/// multiple-choice and true/false answers, and an honest "cannot verify".
pub const DEFAULT_POOL: [&str; 8] = [
    "I'm sorry, but I can't help with that request.",
    "Sure. Here is a careful and helpful answer: in general this holds, with the usual caveats.",
    "The answer is (B).",
    "True.",
    "The answer is (A).",
    "False.",
    "I cannot verify that, so I would rather not guess.",
    "Yes, that is correct.",
];

/// The default embedding dimension.
pub const EMBEDDING_DIM: usize = 384;

/// The models listed by `GET /v1/models` when no known models are configured.
const DEFAULT_MODELS: [&str; 6] =
    ["gpt-4o-mini", "gpt-4o", "text-embedding-3-small", "dall-e-2", "claude-3-5-haiku-latest", "gemini-2.0-flash"];

/// A known route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Route {
    OpenAiChat,
    AzureChat { deployment: String },
    Anthropic,
    Gemini { model: String, version: String },
    Images,
    Embeddings,
    Models,
    File { name: String },
}

impl Route {
    /// Maps a method and path to a route.
    pub(crate) fn find(method: &Method, path: &str) -> Option<Route> {
        let get = method == Method::GET;
        let post = method == Method::POST;
        match path {
            "/v1/chat/completions" if post => return Some(Route::OpenAiChat),
            "/v1/messages" if post => return Some(Route::Anthropic),
            "/v1/images/generations" if post => return Some(Route::Images),
            "/v1/embeddings" if post => return Some(Route::Embeddings),
            "/v1/models" if get => return Some(Route::Models),
            _ => {}
        }
        if let Some(name) = path.strip_prefix("/files/")
            && get
            && !name.contains('/')
        {
            return Some(Route::File { name: name.to_owned() });
        }
        if let Some(rest) = path.strip_prefix("/openai/deployments/")
            && post
            && let Some(deployment) = rest.strip_suffix("/chat/completions")
            && !deployment.is_empty()
            && !deployment.contains('/')
        {
            return Some(Route::AzureChat { deployment: deployment.to_owned() });
        }
        for version in ["v1beta", "v1"] {
            if let Some(rest) = path.strip_prefix(&format!("/{version}/models/"))
                && post
                && let Some(model) = rest.strip_suffix(":generateContent")
                && !model.is_empty()
                && !model.contains('/')
            {
                return Some(Route::Gemini { model: model.to_owned(), version: version.to_owned() });
            }
        }
        None
    }

    pub(crate) fn endpoint(&self) -> Endpoint {
        match self {
            Route::OpenAiChat => Endpoint::OpenAi,
            Route::AzureChat { .. } => Endpoint::Azure,
            Route::Anthropic => Endpoint::Anthropic,
            Route::Gemini { .. } => Endpoint::Gemini,
            Route::Images => Endpoint::Images,
            Route::Embeddings => Endpoint::Embeddings,
            Route::Models => Endpoint::Models,
            Route::File { .. } => Endpoint::Files,
        }
    }

    /// The credential the request carries in this provider's place for it; `None` when missing.
    pub(crate) fn credential(&self, request: &Incoming<'_>) -> Option<String> {
        let header = |name: &str| request.headers.get(name).and_then(|value| value.to_str().ok()).map(str::to_owned);
        let bearer = || {
            header("authorization").map(|value| match value.strip_prefix("Bearer ") {
                Some(token) => token.trim().to_owned(),
                // Anything but a bearer token is a wrong key, never a match.
                None => format!("\u{0}{value}"),
            })
        };
        match self {
            Route::OpenAiChat | Route::Images | Route::Embeddings | Route::Models | Route::File { .. } => bearer(),
            Route::AzureChat { .. } => header("api-key").or_else(bearer),
            Route::Anthropic => header("x-api-key"),
            Route::Gemini { .. } => header("x-goog-api-key")
                .or_else(|| request.query.iter().find(|(name, _)| name == "key").map(|(_, value)| value.clone())),
        }
    }

    /// Whether requests to this route need the configured API key.
    pub(crate) fn needs_key(&self) -> bool {
        !matches!(self, Route::File { .. })
    }
}

/// What the server received, as the parsers need it.
pub(crate) struct Incoming<'a> {
    pub(crate) method: &'a Method,
    pub(crate) path: &'a str,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) query: &'a [(String, String)],
    /// The body parsed as JSON, when it is JSON.
    pub(crate) json: Option<&'a Value>,
    pub(crate) body_len: usize,
}

/// A parsed request of a known route.
#[derive(Clone, Debug)]
pub(crate) struct Parsed {
    pub(crate) endpoint: Endpoint,
    /// The model (Azure: the deployment); empty for routes without one.
    pub(crate) model: String,
    pub(crate) conversation: Conversation,
    pub(crate) kind: Kind,
}

#[derive(Clone, Debug)]
pub(crate) enum Kind {
    Chat(ChatParams),
    Images(ImageParams),
    Embeddings(EmbeddingParams),
    Models,
    File { seed: u64, width: u32, height: u32 },
}

/// The generation parameters that shape a chat reply.
#[derive(Clone, Debug, Default)]
pub(crate) struct ChatParams {
    pub(crate) max_tokens: Option<u32>,
    pub(crate) stop: Vec<String>,
    /// The reply should be JSON.
    pub(crate) json: bool,
    /// Number of choices (OpenAI `n`, Gemini `candidateCount`).
    pub(crate) n: u32,
}

#[derive(Clone, Debug)]
pub(crate) struct ImageParams {
    pub(crate) prompt: String,
    pub(crate) n: u32,
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) b64: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct EmbeddingParams {
    pub(crate) inputs: Vec<String>,
    pub(crate) dimensions: usize,
    pub(crate) base64: bool,
}

/// A reply that is not the normal one: an error in the provider's shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ApiError {
    /// The request is invalid; the message says why.
    BadRequest(String),
    MissingKey,
    WrongKey,
    ModelNotFound(String),
    UnknownRoute,
    /// A status injected by a fault.
    Injected(u16),
    /// The body is larger than the server accepts.
    TooLarge,
    /// An image part is malformed or over a limit; `param` names the part.
    InvalidImage {
        /// The provider's message.
        message: String,
        /// Where the part is (`messages[0].content[1]`).
        param: String,
    },
}

/// Parses a request of a known route.
pub(crate) fn parse(route: &Route, request: &Incoming<'_>) -> Result<Parsed, ApiError> {
    match route {
        Route::OpenAiChat => openai::parse_chat(request, None),
        Route::AzureChat { deployment } => openai::parse_chat(request, Some(deployment)),
        Route::Anthropic => anthropic::parse(request),
        Route::Gemini { model, .. } => gemini::parse(request, model),
        Route::Images => openai::parse_images(request),
        Route::Embeddings => openai::parse_embeddings(request),
        Route::Models => Ok(Parsed {
            endpoint: Endpoint::Models,
            model: String::new(),
            conversation: Conversation::default(),
            kind: Kind::Models,
        }),
        Route::File { name } => match crate::image::parse_file_name(name) {
            Some((seed, width, height)) => Ok(Parsed {
                endpoint: Endpoint::Files,
                model: String::new(),
                conversation: Conversation::default(),
                kind: Kind::File { seed, width, height },
            }),
            None => Err(ApiError::UnknownRoute),
        },
    }
}

/// The status and body of an error for a request to `route` (`None`: an unknown route).
pub(crate) fn error(route: Option<&Route>, error: &ApiError, request: &Incoming<'_>) -> (u16, Value) {
    match route {
        Some(Route::AzureChat { .. }) => openai::azure_error(error, request),
        Some(Route::Anthropic) => anthropic::error(error),
        Some(Route::Gemini { model, version }) => gemini::error(error, model, version),
        _ => openai::error(error, request),
    }
}

/// The normal chat reply for `completions` (one per choice).
pub(crate) fn chat_reply(parsed: &Parsed, completions: &[Completion]) -> Value {
    match parsed.endpoint {
        Endpoint::Anthropic => anthropic::reply(parsed, completions),
        Endpoint::Gemini => gemini::reply(parsed, completions),
        Endpoint::Azure => openai::chat_reply(parsed, completions, true),
        _ => openai::chat_reply(parsed, completions, false),
    }
}

/// The provider's content-filter refusal at `stage`: a status and body.
pub(crate) fn content_filtered(route: &Route, parsed: &Parsed, stage: FilterStage) -> (u16, Value) {
    match route {
        Route::OpenAiChat => openai::chat_filtered(parsed, stage, false),
        Route::AzureChat { .. } => openai::chat_filtered(parsed, stage, true),
        Route::Anthropic => (200, anthropic::refusal(parsed)),
        Route::Gemini { .. } => (200, gemini::blocked(parsed, stage)),
        Route::Images => (400, openai::images_policy_violation()),
        _ => openai::chat_filtered(parsed, FilterStage::Prompt, false),
    }
}

/// A 200 reply in the endpoint's shape with no content (the `no_choices` fault).
pub(crate) fn no_choices(parsed: &Parsed) -> Value {
    let id = reply_id("nochoices-", parsed);
    match parsed.endpoint {
        Endpoint::Anthropic => serde_json::json!({
            "id": id, "type": "message", "role": "assistant", "model": parsed.model, "stop_reason": "end_turn",
        }),
        Endpoint::Gemini => serde_json::json!({"candidates": [], "modelVersion": parsed.model}),
        Endpoint::Images => serde_json::json!({"created": CREATED}),
        Endpoint::Embeddings => serde_json::json!({"object": "list", "model": parsed.model}),
        _ => serde_json::json!({
            "id": id, "object": "chat.completion", "created": CREATED, "model": parsed.model, "choices": [],
        }),
    }
}

/// The images reply; `base_url` prefixes `url` results.
pub(crate) fn images_reply(params: &ImageParams, base_url: &str) -> Value {
    openai::images_reply(params, base_url)
}

/// The embeddings reply.
pub(crate) fn embeddings_reply(parsed: &Parsed, params: &EmbeddingParams) -> Value {
    openai::embeddings_reply(parsed, params)
}

/// The models list.
pub(crate) fn models_reply(known: Option<&[String]>) -> Value {
    let names: Vec<&str> = match known {
        Some(known) => known.iter().map(String::as_str).collect(),
        None => DEFAULT_MODELS.to_vec(),
    };
    let data: Vec<Value> = names
        .iter()
        .map(|id| serde_json::json!({"id": id, "object": "model", "created": CREATED, "owned_by": "trustgen-testserver"}))
        .collect();
    serde_json::json!({"object": "list", "data": data})
}

/// An id such as `chatcmpl-<24 hex>` from the conversation hash.
pub(crate) fn reply_id(prefix: &str, parsed: &Parsed) -> String {
    format!("{prefix}{}", &hex::encode(parsed.conversation.hash())[..24])
}

// JSON access with provider-style messages.

pub(crate) type Object = Map<String, Value>;

/// The body as a JSON object, or the provider's "cannot parse" message.
fn body_object<'a>(request: &'a Incoming<'_>, unparsable: &str) -> Result<&'a Object, ApiError> {
    match request.json {
        Some(Value::Object(object)) => Ok(object),
        Some(_) => Err(ApiError::BadRequest("the request body must be a JSON object".to_owned())),
        None if request.body_len == 0 => {
            Err(ApiError::BadRequest("the request body is empty; send a JSON object".to_owned()))
        }
        None => Err(ApiError::BadRequest(unparsable.to_owned())),
    }
}

/// Rejects keys that are not in `allowed`, naming the first one.
fn reject_unknown(object: &Object, allowed: &[&str], message: impl Fn(&str) -> String) -> Result<(), ApiError> {
    match object.keys().find(|key| !allowed.contains(&key.as_str())) {
        Some(key) => Err(ApiError::BadRequest(message(key))),
        None => Ok(()),
    }
}

/// The first of `names` present (for camelCase and snake_case aliases), ignoring nulls.
fn field<'a>(object: &'a Object, names: &[&str]) -> Option<&'a Value> {
    names.iter().find_map(|name| object.get(*name)).filter(|value| !value.is_null())
}

fn type_error(name: &str, expected: &str, value: &Value) -> ApiError {
    let got = match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    };
    ApiError::BadRequest(format!("Invalid type for '{name}': expected {expected}, but got {got} instead."))
}

fn opt_str<'a>(object: &'a Object, names: &[&str]) -> Result<Option<&'a str>, ApiError> {
    match field(object, names) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(other) => Err(type_error(names[0], "a string", other)),
    }
}

fn required_str<'a>(object: &'a Object, name: &str) -> Result<&'a str, ApiError> {
    opt_str(object, &[name])?.ok_or_else(|| ApiError::BadRequest(format!("Missing required parameter: '{name}'.")))
}

fn opt_uint(object: &Object, names: &[&str], min: u64, max: u64) -> Result<Option<u64>, ApiError> {
    match field(object, names) {
        None => Ok(None),
        Some(value) => {
            let number = value.as_u64().ok_or_else(|| type_error(names[0], "an integer", value))?;
            if number < min || number > max {
                return Err(ApiError::BadRequest(format!(
                    "Invalid '{}': integer {number} is out of range. Expected a value in {min}..={max}.",
                    names[0]
                )));
            }
            Ok(Some(number))
        }
    }
}

fn opt_float(object: &Object, names: &[&str], min: f64, max: f64) -> Result<Option<f64>, ApiError> {
    match field(object, names) {
        None => Ok(None),
        Some(value) => {
            let number = value.as_f64().ok_or_else(|| type_error(names[0], "a number", value))?;
            if !(min..=max).contains(&number) {
                return Err(ApiError::BadRequest(format!(
                    "Invalid '{}': {number} is out of range. Expected a value in {min}..={max}.",
                    names[0]
                )));
            }
            Ok(Some(number))
        }
    }
}

fn opt_seed(object: &Object, names: &[&str]) -> Result<Option<i64>, ApiError> {
    match field(object, names) {
        None => Ok(None),
        Some(value) => value.as_i64().map(Some).ok_or_else(|| type_error(names[0], "an integer", value)),
    }
}

/// A list of strings given as one string or an array of at most `max` strings.
fn string_list(object: &Object, names: &[&str], max: usize) -> Result<Vec<String>, ApiError> {
    match field(object, names) {
        None => Ok(Vec::new()),
        Some(Value::String(one)) => Ok(vec![one.clone()]),
        Some(Value::Array(items)) => {
            if items.len() > max {
                return Err(ApiError::BadRequest(format!(
                    "Invalid '{}': array too long. Expected at most {max} items, but got {}.",
                    names[0],
                    items.len()
                )));
            }
            items
                .iter()
                .map(|item| item.as_str().map(str::to_owned).ok_or_else(|| type_error(names[0], "strings", item)))
                .collect()
        }
        Some(other) => Err(type_error(names[0], "a string or an array of strings", other)),
    }
}

/// The API whose image rules apply to an image part.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Api {
    /// OpenAI and Azure OpenAI chat completions (`image_url` data URLs).
    OpenAi,
    /// Anthropic Messages (`image` blocks with a base64 source).
    Anthropic,
    /// Gemini `generateContent` (`inlineData` parts).
    Gemini,
}

/// OpenAI: at most 20 MB per image ("Up to 20MB per image", OpenAI's images-and-vision guide).
pub(crate) const OPENAI_MAX_IMAGE_BYTES: usize = 20 * 1024 * 1024;
/// OpenAI: at most 50 MB of image bytes per request (same guide).
pub(crate) const OPENAI_MAX_REQUEST_IMAGE_BYTES: usize = 50 * 1024 * 1024;
/// Anthropic: at most 5 MB per image (the API's error: `image exceeds 5 MB maximum: N bytes > 5242880 bytes`).
pub(crate) const ANTHROPIC_MAX_IMAGE_BYTES: usize = 5 * 1024 * 1024;
/// Anthropic: at most 8000 px a side; 2000 px when a request has more than 20 images (Claude vision docs).
pub(crate) const ANTHROPIC_MAX_SIDE: u32 = 8000;
/// See [`ANTHROPIC_MAX_SIDE`].
pub(crate) const ANTHROPIC_MANY_IMAGES_SIDE: u32 = 2000;
/// Anthropic: 32 MB per request on the standard endpoints (Claude vision docs).
pub(crate) const ANTHROPIC_MAX_REQUEST_BYTES: usize = 32 * 1024 * 1024;
/// Gemini: inline data is for requests of at most 20 MB in total (Gemini API image-understanding docs).
pub(crate) const GEMINI_MAX_REQUEST_BYTES: usize = 20 * 1024 * 1024;

/// The media type the bytes really are, from their header: `image/png`, `image/jpeg`, `image/gif`,
/// `image/webp`, `image/heic`, `image/heif`, `image/avif`; `None` for anything else.
pub(crate) fn sniff(bytes: &[u8]) -> Option<&'static str> {
    use imagesize::ImageType;
    match imagesize::image_type(bytes).ok()? {
        ImageType::Png => Some("image/png"),
        ImageType::Jpeg => Some("image/jpeg"),
        ImageType::Gif => Some("image/gif"),
        ImageType::Webp => Some("image/webp"),
        ImageType::Heif(imagesize::Compression::Hevc) => Some("image/heic"),
        ImageType::Heif(imagesize::Compression::Av1) => Some("image/avif"),
        ImageType::Heif(_) => Some("image/heif"),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

/// The media types `api` accepts, lower-cased (`image/jpg` is OpenAI's and Gemini's alias of JPEG).
fn accepted(api: Api) -> &'static [&'static str] {
    match api {
        Api::OpenAi => &["image/png", "image/jpeg", "image/jpg", "image/gif", "image/webp"],
        Api::Anthropic => &["image/jpeg", "image/png", "image/gif", "image/webp"],
        Api::Gemini => &["image/png", "image/jpeg", "image/jpg", "image/webp", "image/heic", "image/heif"],
    }
}

const OPENAI_UNSUPPORTED: &str = "You uploaded an unsupported image. Please make sure your image has of one the following formats: ['png', 'jpeg', 'gif', 'webp'].";

/// An image error in `api`'s words; `at` names the part.
fn image_error(api: Api, at: &str, problem: ImageProblem<'_>) -> ApiError {
    let message = match (api, problem) {
        (Api::OpenAi, ImageProblem::Type(_) | ImageProblem::NotAnImage) => OPENAI_UNSUPPORTED.to_owned(),
        (Api::OpenAi, ImageProblem::Base64) => {
            "You uploaded an unsupported image. Please make sure your image is valid (the data URL is not valid base64).".to_owned()
        }
        (Api::OpenAi, ImageProblem::Mismatch { declared, actual }) => format!(
            "You uploaded an unsupported image. Please make sure your image is valid: the data URL says {declared} but the image is {actual}."
        ),
        (Api::OpenAi, ImageProblem::Bytes(_) | ImageProblem::Side { .. }) => {
            "You uploaded an unsupported image. Please make sure your image is below 20 MB in size and is of one the following formats: ['png', 'jpeg', 'gif', 'webp'].".to_owned()
        }
        (Api::Anthropic, ImageProblem::Type(_)) => format!(
            "{at}.source.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'"
        ),
        (Api::Anthropic, ImageProblem::Base64) => format!("{at}.source.data: The image data is not valid base64."),
        (Api::Anthropic, ImageProblem::NotAnImage) => format!("{at}.source.data: Could not process image"),
        (Api::Anthropic, ImageProblem::Mismatch { declared, actual }) => format!(
            "{at}.source.data: The image was specified using the {declared} media type, but the image appears to be a {actual} image"
        ),
        (Api::Anthropic, ImageProblem::Bytes(n)) => {
            format!("{at}.source.base64: image exceeds 5 MB maximum: {n} bytes > {ANTHROPIC_MAX_IMAGE_BYTES} bytes")
        }
        (Api::Anthropic, ImageProblem::Side { max }) => format!(
            "{at}.source.base64.data: At least one of the image dimensions exceed max allowed size: {max} pixels"
        ),
        (Api::Gemini, ImageProblem::Type(mime)) => format!("Unsupported MIME type: {mime}"),
        (Api::Gemini, ImageProblem::Base64) => {
            format!("Invalid value at '{at}.inline_data.data' (TYPE_BYTES), Base64 decoding failed")
        }
        (Api::Gemini, ImageProblem::NotAnImage | ImageProblem::Bytes(_) | ImageProblem::Side { .. }) => {
            format!("Unable to process input image ({at}). Please retry or report in the Gemini API forum.")
        }
        (Api::Gemini, ImageProblem::Mismatch { declared, actual }) => {
            format!("Unable to process input image ({at}: the mimeType is {declared} but the image is {actual}).")
        }
    };
    ApiError::InvalidImage { message, param: at.to_owned() }
}

/// What is wrong with an image part.
#[derive(Clone, Copy)]
enum ImageProblem<'a> {
    Type(&'a str),
    Base64,
    NotAnImage,
    Mismatch { declared: &'a str, actual: &'a str },
    Bytes(usize),
    Side { max: u32 },
}

/// Decodes base64 image data and checks it as `api` does: an accepted media type, valid base64, bytes
/// of the declared format (stricter than OpenAI and Gemini, which read the bytes whatever the label),
/// and the per-image size limits. Limits over the whole request are checked by the parsers.
fn decode_image(api: Api, mime: &str, data: &str, at: &str) -> Result<ReceivedImage, ApiError> {
    let mime = mime.trim().to_ascii_lowercase();
    if !accepted(api).contains(&mime.as_str()) {
        return Err(image_error(api, at, ImageProblem::Type(&mime)));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .map_err(|_| image_error(api, at, ImageProblem::Base64))?;
    let Some(actual) = sniff(&bytes) else {
        return Err(image_error(api, at, ImageProblem::NotAnImage));
    };
    let declared = if mime == "image/jpg" { "image/jpeg" } else { mime.as_str() };
    let same = declared == actual || (declared == "image/heif" && actual == "image/heic");
    if !same {
        return Err(image_error(api, at, ImageProblem::Mismatch { declared: &mime, actual }));
    }
    let size = imagesize::blob_size(&bytes).map_err(|_| image_error(api, at, ImageProblem::NotAnImage))?;
    let (width, height) =
        (u32::try_from(size.width).unwrap_or(u32::MAX), u32::try_from(size.height).unwrap_or(u32::MAX));
    match api {
        Api::OpenAi if bytes.len() > OPENAI_MAX_IMAGE_BYTES => {
            return Err(image_error(api, at, ImageProblem::Bytes(bytes.len())));
        }
        Api::Anthropic if bytes.len() > ANTHROPIC_MAX_IMAGE_BYTES => {
            return Err(image_error(api, at, ImageProblem::Bytes(bytes.len())));
        }
        Api::Anthropic if width.max(height) > ANTHROPIC_MAX_SIDE => {
            return Err(image_error(api, at, ImageProblem::Side { max: ANTHROPIC_MAX_SIDE }));
        }
        _ => {}
    }
    Ok(ReceivedImage::inline(&mime, &bytes, Some((width, height))))
}

/// Anthropic's side limit for requests with more than 20 images, checked once all are parsed.
fn check_many_images(conversation: &Conversation) -> Result<(), ApiError> {
    let images = conversation.images();
    if images.len() > 20
        && let Some(index) =
            images.iter().position(|i| i.width.unwrap_or(0).max(i.height.unwrap_or(0)) > ANTHROPIC_MANY_IMAGES_SIDE)
    {
        return Err(image_error(
            Api::Anthropic,
            &format!("images.{index}"),
            ImageProblem::Side { max: ANTHROPIC_MANY_IMAGES_SIDE },
        ));
    }
    Ok(())
}

/// Checks an OpenAI image URL (a base64 data URL, or http/https) and returns what was received.
fn image_url_digest(url: &str, at: &str) -> Result<ReceivedImage, ApiError> {
    if let Some(rest) = url.strip_prefix("data:") {
        let (mime, data) = rest.split_once(";base64,").ok_or_else(|| ApiError::InvalidImage {
            message: "Invalid image URL: a data URL must look like 'data:image/png;base64,...'.".to_owned(),
            param: at.to_owned(),
        })?;
        return decode_image(Api::OpenAi, mime, data, at);
    }
    if url.starts_with("https://") || url.starts_with("http://") {
        return Ok(ReceivedImage::by_url(url));
    }
    Err(ApiError::InvalidImage {
        message: "Invalid image URL: expected a base64-encoded data URL or an http(s) URL.".to_owned(),
        param: at.to_owned(),
    })
}
