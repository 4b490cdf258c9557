//! The HTTP plumbing: the accept loop, the per-request pipeline (route, key, parse, script, fault,
//! reply, record) and the admin routes.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, RwLock};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Either, Full, LengthLimitError, Limited};
use hyper::body::{Bytes, Incoming as Body};
use hyper::header::{CONTENT_TYPE, HOST, HeaderValue, RETRY_AFTER};
use hyper::http::request::Parts;
use hyper::service::service_fn;
use hyper::{HeaderMap, Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::config::ServerConfig;
use crate::conversation::{Completion, ReceivedImage, finish, hash_u64, mix};
use crate::providers::{self, ApiError, ChatParams, DEFAULT_POOL, Incoming, Kind, Parsed, Route};
use crate::record::{Recorder, RequestRecord, SECRET_HEADERS, SECRET_QUERY, Stats, redact, redact_header};
use crate::script::{
    CONTROL_TEXT, Endpoint, Fault, FaultAction, FaultSource, RenderContext, Script, Subject, Template,
};
use crate::{TestServerError, image};

/// The largest request body accepted (images travel as base64 inside JSON): room for OpenAI's 50 MB
/// of images per request, base64-encoded, so that limit answers in OpenAI's words.
const MAX_BODY: usize = 80 * 1024 * 1024;

/// Images with more pixels than this (over all `n`) are rendered on the blocking pool.
const INLINE_PIXELS: u64 = 256 * 256 * 2;

/// The body of a `malformed` fault: a JSON reply cut off in the middle of a string.
const MALFORMED: &str = r#"{"id":"trustgen-malformed","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"This reply is cut o"#;

type Reply = Response<Either<Full<Bytes>, Endless>>;

/// The chunk an `endless` body repeats.
static ENDLESS_CHUNK: [u8; 64 * 1024] = [b'a'; 64 * 1024];
/// What an `endless` body starts with: a chat completion whose content never closes.
const ENDLESS_HEAD: &str = r#"{"id":"trustgen-endless","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":""#;

/// A response body that never ends: [`ENDLESS_HEAD`], then [`ENDLESS_CHUNK`] again and again. hyper
/// asks for the next frame only when the previous one was written, and every frame shares the same
/// static bytes, so memory stays flat however long the client reads; the body is dropped when the
/// client hangs up.
pub(crate) struct Endless {
    started: bool,
}

impl hyper::body::Body for Endless {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
        let data = if self.started {
            Bytes::from_static(&ENDLESS_CHUNK)
        } else {
            self.started = true;
            Bytes::from_static(ENDLESS_HEAD.as_bytes())
        };
        std::task::Poll::Ready(Some(Ok(hyper::body::Frame::data(data))))
    }

    fn is_end_stream(&self) -> bool {
        false
    }
}

/// The credential a request carried, as received: `name: value` of every auth header and the `key`
/// query parameter, for the `echo_key` fault.
fn credential_text(incoming: &Incoming<'_>) -> String {
    let mut parts = Vec::new();
    for name in ["authorization", "api-key", "x-api-key", "x-goog-api-key"] {
        for value in incoming.headers.get_all(name) {
            parts.push(format!("{name}: {}", String::from_utf8_lossy(value.as_bytes())));
        }
    }
    for (name, value) in incoming.query {
        if name == "key" {
            parts.push(format!("key={value}"));
        }
    }
    if parts.is_empty() { "(no credential)".to_owned() } else { parts.join("; ") }
}

/// What the `echo_key` and `control_chars` modifiers of `fault` add, if any.
fn modifier_text(fault: &Fault, incoming: &Incoming<'_>) -> Option<String> {
    let mut parts = Vec::new();
    if fault.echo_key {
        parts.push(format!("credential received: {}", credential_text(incoming)));
    }
    if fault.control_chars {
        parts.push(CONTROL_TEXT.to_owned());
    }
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// The shared state of one server.
pub(crate) struct State {
    latency: Duration,
    api_key: Option<String>,
    known_models: Option<Vec<String>>,
    script: RwLock<Arc<Script>>,
    recorder: Mutex<Recorder>,
    seq: AtomicU64,
    default_temperature: f64,
    /// The seeds drawn for sampled requests that send none.
    unseeded: AtomicU64,
    start: Instant,
    base_url: OnceLock<String>,
}

impl State {
    pub(crate) fn new(config: ServerConfig) -> State {
        State {
            latency: config.latency,
            api_key: config.api_key,
            known_models: config.known_models,
            script: RwLock::new(Arc::new(config.script)),
            recorder: Mutex::new(Recorder::new(config.record_limit)),
            seq: AtomicU64::new(0),
            default_temperature: config.default_temperature,
            unseeded: AtomicU64::new(0),
            start: Instant::now(),
            base_url: OnceLock::new(),
        }
    }

    fn recorder(&self) -> MutexGuard<'_, Recorder> {
        // A panic while holding the lock cannot leave the counters half-updated in a harmful way.
        self.recorder.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn script(&self) -> Arc<Script> {
        Arc::clone(&self.script.read().unwrap_or_else(|poisoned| poisoned.into_inner()))
    }

    pub(crate) fn requests(&self) -> Vec<RequestRecord> {
        self.recorder().requests()
    }

    pub(crate) fn stats(&self) -> Stats {
        self.recorder().stats()
    }

    pub(crate) fn set_script(&self, script: Script) {
        *self.script.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(script);
        self.recorder().clear_fault_uses();
    }

    pub(crate) fn reset(&self) {
        self.recorder().reset();
        self.seq.store(0, Ordering::Relaxed);
    }

    /// Milliseconds since the server started, with microsecond resolution.
    fn now_ms(&self) -> f64 {
        self.start.elapsed().as_micros() as f64 / 1000.0
    }
}

/// The error a service returns to make hyper close the connection without a response.
#[derive(Debug)]
struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped on purpose (drop fault)")
    }
}

impl std::error::Error for DropConnection {}

/// Accepts connections until `shutdown` completes; each connection is served on its own task.
pub(crate) async fn run(
    state: Arc<State>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()>,
) -> Result<(), TestServerError> {
    let local = listener.local_addr().map_err(|source| TestServerError::Listener { addr: "?".to_owned(), source })?;
    let _ = state.base_url.set(format!("http://{local}"));
    tracing::info!(addr = %local, "trustgen-testserver listening");
    let builder = auto::Builder::new(TokioExecutor::new());
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            () = &mut shutdown => return Ok(()),
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    // Usually out of file descriptors: back off briefly instead of spinning.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let state = Arc::clone(&state);
        let builder = builder.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| handle(Arc::clone(&state), request));
            if let Err(error) = builder.serve_connection(TokioIo::new(stream), service).await {
                tracing::debug!(%error, "connection closed with an error");
            }
        });
    }
}

fn json_reply(status: u16, body: &Value) -> Reply {
    bytes_reply(status, "application/json", serde_json::to_vec(body).unwrap_or_default())
}

fn bytes_reply(status: u16, content_type: &'static str, bytes: Vec<u8>) -> Reply {
    let mut reply = Response::new(Either::Left(Full::new(Bytes::from(bytes))));
    *reply.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    reply.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    reply
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

/// Hex SHA-256 of method, path and body.
fn fingerprint(method: &Method, path: &str, body: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(method.as_str().as_bytes());
    hasher.update(b" ");
    hasher.update(path.as_bytes());
    hasher.update(b"\n");
    hasher.update(body);
    hex::encode(hasher.finalize())
}

fn redacted_headers(headers: &HeaderMap) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in headers {
        let name = name.as_str();
        let value = String::from_utf8_lossy(value.as_bytes());
        let value = if SECRET_HEADERS.contains(&name) { redact_header(name, &value) } else { value.into_owned() };
        out.entry(name.to_owned()).and_modify(|joined| *joined = format!("{joined}, {value}")).or_insert(value);
    }
    out
}

fn redacted_query(query: &[(String, String)]) -> BTreeMap<String, String> {
    query
        .iter()
        .map(|(name, value)| {
            let value = if SECRET_QUERY.contains(&name.as_str()) { redact(value) } else { value.clone() };
            (name.clone(), value)
        })
        .collect()
}

/// Serves one request: admin routes directly, everything else through the recorded pipeline.
async fn handle(state: Arc<State>, request: Request<Body>) -> Result<Reply, DropConnection> {
    let (parts, body) = request.into_parts();
    if parts.uri.path().starts_with("/__admin/") {
        return Ok(admin(&state, &parts, body).await);
    }
    let at_ms = state.now_ms();
    let seq = state.seq.fetch_add(1, Ordering::Relaxed);
    let (bytes, too_large) = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => (collected.to_bytes(), false),
        Err(error) if error.is::<LengthLimitError>() => (Bytes::new(), true),
        // The client went away while sending: there is nobody to answer.
        Err(_) => return Err(DropConnection),
    };
    let path = parts.uri.path();
    let fingerprint = fingerprint(&parts.method, path, &bytes);
    state.recorder().arrive(&fingerprint);
    let query: Vec<(String, String)> = parts
        .uri
        .query()
        .map(|query| form_urlencoded::parse(query.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let json: Option<Value> = if bytes.is_empty() { None } else { serde_json::from_slice(&bytes).ok() };
    let incoming = Incoming {
        method: &parts.method,
        path,
        headers: &parts.headers,
        query: &query,
        json: json.as_ref(),
        body_len: bytes.len(),
    };
    let outcome = respond(&state, &incoming, &fingerprint, too_large).await;
    let delay = state.latency + Duration::from_millis(outcome.slow_ms);
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let status = outcome.reply.as_ref().map(|reply| reply.status().as_u16());
    tracing::debug!(seq, method = %parts.method, path, ?status, rule = ?outcome.rule, fault = ?outcome.fault, "request");
    let record = RequestRecord {
        seq,
        at_ms,
        done_ms: state.now_ms(),
        method: parts.method.to_string(),
        path: path.to_owned(),
        query: redacted_query(&query),
        headers: redacted_headers(&parts.headers),
        body: json,
        body_bytes: bytes.len(),
        fingerprint,
        endpoint: outcome.endpoint,
        model: outcome.model,
        rule: outcome.rule,
        fault: outcome.fault,
        status,
        images: outcome.images,
    };
    state.recorder().record(record);
    outcome.reply.ok_or(DropConnection)
}

/// What the pipeline decided for one request.
#[derive(Default)]
struct Outcome {
    endpoint: Option<Endpoint>,
    model: Option<String>,
    rule: Option<String>,
    fault: Option<String>,
    slow_ms: u64,
    /// The images of the parsed request.
    images: Vec<ReceivedImage>,
    /// `None` drops the connection.
    reply: Option<Reply>,
}

impl Outcome {
    fn error(mut self, route: Option<&Route>, error: &ApiError, incoming: &Incoming<'_>) -> Outcome {
        let (status, body) = providers::error(route, error, incoming);
        self.reply = Some(json_reply(status, &body));
        self
    }

    fn json(mut self, status: u16, body: &Value) -> Outcome {
        self.reply = Some(json_reply(status, body));
        self
    }
}

async fn respond(state: &State, incoming: &Incoming<'_>, fingerprint: &str, too_large: bool) -> Outcome {
    let outcome = Outcome::default();
    let Some(route) = Route::find(incoming.method, incoming.path) else {
        return outcome.error(None, &ApiError::UnknownRoute, incoming);
    };
    let mut outcome = Outcome { endpoint: Some(route.endpoint()), ..outcome };
    if too_large {
        return outcome.error(Some(&route), &ApiError::TooLarge, incoming);
    }
    if let Some(key) = &state.api_key
        && route.needs_key()
    {
        match route.credential(incoming) {
            None => return outcome.error(Some(&route), &ApiError::MissingKey, incoming),
            Some(given) if given != *key => return outcome.error(Some(&route), &ApiError::WrongKey, incoming),
            Some(_) => {}
        }
    }
    let mut parsed = match providers::parse(&route, incoming) {
        Ok(parsed) => parsed,
        Err(error) => return outcome.error(Some(&route), &error, incoming),
    };
    // A sampled OpenAI-style chat request without a seed gets a fresh one, as from a real server
    // (only the OpenAI-compatible parsers read the temperature).
    if matches!(parsed.kind, Kind::Chat(_))
        && matches!(parsed.endpoint, Endpoint::OpenAi | Endpoint::Azure)
        && parsed.conversation.seed.is_none()
        && parsed.conversation.temperature.unwrap_or(state.default_temperature) > 0.0
    {
        let drawn = state.unseeded.fetch_add(1, Ordering::Relaxed);
        parsed.conversation.seed = Some(i64::MIN + drawn as i64);
    }
    if !parsed.model.is_empty() {
        outcome.model = Some(parsed.model.clone());
        if let Some(known) = &state.known_models
            && !known.contains(&parsed.model)
        {
            return outcome.error(Some(&route), &ApiError::ModelNotFound(parsed.model.clone()), incoming);
        }
    }

    let images = parsed.conversation.images();
    outcome.images = images.clone();
    let script = state.script();
    let case = header_str(incoming.headers, "x-trustgen-case");
    let texts = parsed.conversation.texts();
    let image_hashes: Vec<&str> = images.iter().map(|image| image.sha256.as_str()).collect();
    let subject = Subject {
        endpoint: parsed.endpoint,
        model: &parsed.model,
        case,
        last_user: parsed.conversation.last_user(),
        texts: &texts,
        images: &image_hashes,
    };
    let decision = script.decide(&subject);
    outcome.rule = decision.rule.map(|(_, label)| label.to_owned());
    let header_fault = match header_str(incoming.headers, "x-trustgen-fault").map(str::parse::<Fault>) {
        None => None,
        Some(Ok(fault)) => Some(fault),
        Some(Err(error)) => {
            return outcome.error(Some(&route), &ApiError::BadRequest(format!("x-trustgen-fault: {error}")), incoming);
        }
    };
    let chosen = match &header_fault {
        Some(fault) => Some((FaultSource::Header(fault.to_string()), fault)),
        None => decision.fault.clone(),
    };
    let fault = chosen.and_then(|(source, fault)| match fault.times {
        Some(times) => (state.recorder().use_fault(source, fingerprint) <= times).then_some(fault),
        None => Some(fault),
    });
    let mut modifier = None;
    if let Some(fault) = fault {
        outcome.fault = Some(fault.to_string());
        outcome.slow_ms = fault.slow_ms;
        modifier = modifier_text(fault, incoming);
        match fault.action {
            Some(FaultAction::Status { code, retry_after }) => {
                let (status, mut body) = providers::error(Some(&route), &ApiError::Injected(code), incoming);
                if let Some(extra) = &modifier
                    && let Some(message) = body.pointer_mut("/error/message")
                {
                    *message = json!(format!("{} {extra}", message.as_str().unwrap_or_default()));
                }
                let mut outcome = outcome.json(status, &body);
                if let (Some(seconds), Some(reply)) = (retry_after, outcome.reply.as_mut()) {
                    reply.headers_mut().insert(RETRY_AFTER, HeaderValue::from(seconds));
                }
                return outcome;
            }
            Some(FaultAction::Drop) => return outcome,
            Some(FaultAction::Malformed) => {
                let mut body = MALFORMED.to_owned();
                if let Some(extra) = &modifier {
                    // Still cut off inside the content string, now after the modifier's text.
                    let quoted = serde_json::to_string(extra).unwrap_or_default();
                    body.push_str(quoted.strip_prefix('"').and_then(|q| q.strip_suffix('"')).unwrap_or(&quoted));
                }
                outcome.reply = Some(bytes_reply(200, "application/json", body.into_bytes()));
                return outcome;
            }
            Some(FaultAction::NoChoices) => {
                let mut body = providers::no_choices(&parsed);
                if let Some(extra) = &modifier {
                    body["warning"] = json!(extra);
                }
                return outcome.json(200, &body);
            }
            Some(FaultAction::Endless) => {
                let mut reply = Response::new(Either::Right(Endless { started: false }));
                reply.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                outcome.reply = Some(reply);
                return outcome;
            }
            Some(FaultAction::ContentFilter(stage)) => {
                let (status, body) = providers::content_filtered(&route, &parsed, stage);
                return outcome.json(status, &body);
            }
            None => {}
        }
    }

    match &parsed.kind {
        Kind::Chat(params) => {
            let mut completions = completions(&parsed, params, decision.template, case.unwrap_or(""), &image_hashes);
            if let Some(text) = modifier {
                // The modifier's text is the reply.
                for completion in &mut completions {
                    *completion = finish(text.clone(), &[], None);
                }
            }
            let body = providers::chat_reply(&parsed, &completions);
            outcome.json(200, &body)
        }
        Kind::Images(params) => {
            let base_url = match header_str(incoming.headers, HOST.as_str()) {
                Some(host) => format!("http://{host}"),
                None => state.base_url.get().cloned().unwrap_or_default(),
            };
            let pixels = u64::from(params.width) * u64::from(params.height) * u64::from(params.n);
            let body = if params.b64 && pixels > INLINE_PIXELS {
                let params = params.clone();
                match tokio::task::spawn_blocking(move || providers::images_reply(&params, &base_url)).await {
                    Ok(body) => body,
                    Err(_) => return outcome.error(Some(&route), &ApiError::Injected(500), incoming),
                }
            } else {
                providers::images_reply(params, &base_url)
            };
            outcome.json(200, &with_echo(body, modifier))
        }
        Kind::Embeddings(params) => {
            let body = providers::embeddings_reply(&parsed, params);
            outcome.json(200, &with_echo(body, modifier))
        }
        Kind::Models => outcome.json(200, &providers::models_reply(state.known_models.as_deref())),
        &Kind::File { seed, width, height } => {
            let png = if u64::from(width) * u64::from(height) > INLINE_PIXELS {
                tokio::task::spawn_blocking(move || image::render_png(seed, width, height)).await.unwrap_or_default()
            } else {
                image::render_png(seed, width, height)
            };
            outcome.reply = Some(bytes_reply(200, "image/png", png));
            outcome
        }
    }
}

/// A non-chat reply with the modifier's text in an `echo` field.
fn with_echo(mut body: Value, modifier: Option<String>) -> Value {
    if let Some(text) = modifier {
        body["echo"] = json!(text);
    }
    body
}

/// One completion per choice: the rule's template, or the default pool (as JSON when asked for).
fn completions(
    parsed: &Parsed,
    params: &ChatParams,
    template: Option<&Template>,
    case: &str,
    images: &[&str],
) -> Vec<Completion> {
    let base = hash_u64(&parsed.conversation.hash());
    (0..params.n)
        .map(|index| {
            let hash = if index == 0 { base } else { mix(base, 1_000 + u64::from(index)) };
            let text = match template {
                Some(template) => template.render(&RenderContext {
                    last_user: parsed.conversation.last_user(),
                    model: &parsed.model,
                    case,
                    images,
                    hash,
                }),
                None => {
                    let pick = DEFAULT_POOL[(hash % DEFAULT_POOL.len() as u64) as usize];
                    if params.json { json!({"answer": pick}).to_string() } else { pick.to_owned() }
                }
            };
            finish(text, &params.stop, params.max_tokens)
        })
        .collect()
}

async fn admin(state: &State, parts: &Parts, body: Body) -> Reply {
    let path = parts.uri.path();
    match (&parts.method, path) {
        (&Method::GET, "/__admin/requests") => json_reply(200, &json!(state.requests())),
        (&Method::GET, "/__admin/stats") => json_reply(200, &json!(state.stats())),
        (&Method::POST, "/__admin/reset") => {
            state.reset();
            json_reply(200, &json!({"ok": true}))
        }
        (&Method::PUT, "/__admin/script") => {
            let bytes = match Limited::new(body, MAX_BODY).collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(error) => {
                    return json_reply(400, &json!({"error": {"message": format!("cannot read the script: {error}")}}));
                }
            };
            let text = String::from_utf8_lossy(&bytes);
            let is_json =
                header_str(&parts.headers, CONTENT_TYPE.as_str()).is_some_and(|t| t.starts_with("application/json"));
            let origin = "PUT /__admin/script";
            let script = if is_json { Script::from_json(&text, origin) } else { Script::from_toml(&text, origin) };
            match script {
                Ok(script) => {
                    let rules = script.len();
                    state.set_script(script);
                    json_reply(200, &json!({"ok": true, "rules": rules}))
                }
                Err(error) => json_reply(400, &json!({"error": {"message": error.to_string()}})),
            }
        }
        _ => json_reply(
            404,
            &json!({"error": {"message": format!(
                "unknown admin route {} {path}; hint: GET /__admin/requests, GET /__admin/stats, POST /__admin/reset, PUT /__admin/script",
                parts.method
            )}}),
        ),
    }
}
