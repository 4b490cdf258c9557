//! A deterministic, OpenAI-, Azure-, Anthropic- and Gemini-compatible HTTP server for tests and dry runs.
//!
//! The server speaks real HTTP on loopback with the request and reply shapes of each provider, answers
//! from a script of ordered rules (or from a small fixed pool chosen by a hash of the conversation), can
//! inject every kind of failure a client must survive, and records every request so that tests can
//! assert what a client sent (credentials are recorded only as hashes).
//!
//! # Endpoints
//!
//! | endpoint kind | route |
//! |---|---|
//! | `openai` | `POST /v1/chat/completions` |
//! | `azure` | `POST /openai/deployments/{deployment}/chat/completions?api-version=...` |
//! | `anthropic` | `POST /v1/messages` |
//! | `gemini` | `POST /v1beta/models/{model}:generateContent` (also under `/v1/`) |
//! | `images` | `POST /v1/images/generations` (`response_format` `url` or `b64_json`) |
//! | `embeddings` | `POST /v1/embeddings` (unit vectors, 384 dimensions unless `dimensions` is set) |
//! | `models` | `GET /v1/models` |
//! | `files` | `GET /files/{id}.png` (the images behind `url` replies; no key needed) |
//!
//! Admin routes (never recorded, never delayed, no key needed): `GET /__admin/requests`,
//! `GET /__admin/stats`, `POST /__admin/reset` (clears records and counters, keeps the script) and
//! `PUT /__admin/script` (a TOML script, or the same structure as JSON with `content-type:
//! application/json`).
//!
//! Streaming (`stream: true`) is not supported and is answered with a 400 in the provider's shape.
//!
//! # Images in chat requests
//!
//! OpenAI/Azure `image_url` parts (base64 `data:` URLs or `http(s)` URLs), Anthropic `image` blocks
//! (`base64` or `url` sources) and Gemini `inlineData`/`inline_data` (and `fileData`) parts are decoded
//! and checked as the real API does, answering a malformed or oversized image with a 400 in the
//! provider's words (OpenAI: `code: invalid_image_format`): a media type the API does not take
//! (Anthropic: jpeg, png, gif, webp; OpenAI: also `image/jpg`; Gemini: png, jpeg, webp, heic, heif),
//! invalid base64, bytes that are no image or not of the declared type (stricter than OpenAI and
//! Gemini, which read the bytes whatever the label), OpenAI images over 20 MB or 50 MB of images per
//! request, Anthropic images over 5 MB or 8000 px a side (2000 px when a request has more than 20
//! images) and requests over 32 MB (413), Gemini requests over 20 MB.
//!
//! # Replies
//!
//! Replies are deterministic: the same request gets the same bytes back. Ids are derived from the
//! conversation hash and `created` is a fixed timestamp ([`CREATED`]). When no rule gives a reply, the
//! text is picked from [`DEFAULT_POOL`] by a hash of the conversation (the roles, texts and images of all
//! messages, plus `seed` when the request sets one); when the request asks for JSON (OpenAI
//! `response_format` `json_object`/`json_schema`, Gemini `responseMimeType: application/json`) that text
//! is wrapped as `{"answer": "..."}`. Stop sequences cut the reply before their first occurrence
//! (`finish_reason` `stop`, Anthropic `stop_sequence`) and a token limit cuts it after that many tokens
//! (`length`, `max_tokens`, `MAX_TOKENS`).
//!
//! Token counts are an approximation, documented so tests can compute them: every maximal run of
//! letters, digits and `_` is one token, every other non-space character (punctuation, symbols) is one
//! token, every CJK ideograph, kana or hangul syllable is one token on its own, and every image is
//! [`IMAGE_TOKENS`] tokens. Prompt tokens count the text of all messages, including the system prompt.
//!
//! Embeddings hash each lower-cased word to eight signed coordinates and normalise the sum, so texts
//! that share words have a positive cosine similarity and identical texts get identical vectors.
//!
//! Generated images are RGB PNGs (256x256 unless `size` says otherwise) with two colours and a stripe,
//! checker or diagonal pattern derived from a hash of the prompt and the image index.
//!
//! # Script format
//!
//! A script is an ordered list of rules; the first rule whose `match` holds decides the reply. Every
//! condition in `match` must hold (an empty `match` matches everything). A TOML script:
//!
//! ```toml
//! # Optional global default fault, used when neither the header nor the matching rule sets one.
//! # fault = { slow_ms = 20 }
//!
//! [[rule]]
//! name = "capital"                              # optional; shown in recorded requests
//! match = { last_user_contains = "capital of France" }
//! reply = "The capital of France is Paris."
//!
//! [[rule]]
//! name = "echo"
//! match = { last_user_regex = "(?i)^repeat:", endpoint = "anthropic" }
//! reply = "You said: {{last_user}}"
//!
//! [[rule]]
//! name = "flaky"
//! match = { case = "retry-1" }                  # the request header `x-trustgen-case: retry-1`
//! reply = "{{choice:The answer is (A).|The answer is (B).}} Confidence {{n:50-99}}%."
//! fault = { status = 429, retry_after = 1, times = 2 }
//!
//! [[rule]]
//! match = { conversation_contains = "pirate", model = "gpt-4o-mini" }
//! fault = { content_filter = "output" }
//! ```
//!
//! Match keys: `last_user_contains` (substring of the last user message), `last_user_regex` (a
//! [`regex`] on it), `conversation_contains` (substring of any message, the system prompt included),
//! `model` (exact; the Azure deployment name, the Gemini model from the path), `endpoint` (one of the
//! endpoint kinds above), `case` (exact value of the `x-trustgen-case` request header),
//! `image_sha256` (a hex SHA-256 of an image's decoded bytes, or a list of them: every one must be
//! among the request's images, in any message; URL images hash their URL text) and `image_count` (the
//! exact number of images in the request; `0` matches text-only requests). For image generation the
//! last user message is the prompt; for embeddings it is the inputs joined by newlines.
//!
//! Vision answers are scripted by image and text together, in every chat shape alike:
//!
//! ```toml
//! [[rule]]
//! name = "red-square"
//! match = { image_sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", last_user_contains = "colour" }
//! reply = "The square is red."
//!
//! [[rule]]
//! name = "judge-without-image"                  # a judge request that lost its image
//! match = { image_count = 0, last_user_contains = "Does the answer match the image" }
//! reply = "I cannot see any image."
//! ```
//!
//! `reply` is a template: `{{last_user}}`, `{{model}}`, `{{case}}`, `{{image_sha256}}` (the SHA-256 of
//! every image of the request, comma-separated, in order), `{{image_count}}`, `{{choice:A|B|C}}` (one
//! alternative picked by the conversation hash) and `{{n:LO-HI}}` (an integer in `LO..=HI` picked the
//! same way).
//! Anything else inside `{{ }}` is an error when the script is loaded. A rule without `reply` answers
//! from the default pool, so a rule can inject a fault and otherwise behave normally.
//!
//! # Faults
//!
//! A fault is chosen from, in order: the request header `x-trustgen-fault`, the matching rule's
//! `fault`, the script's global `fault`. In TOML it is a table; in the header it is the same keys as
//! `key=value` items separated by `;` or `,` (a bare key means `true`, a bare `content_filter` means
//! `prompt`), e.g. `x-trustgen-fault: status=503;retry_after=2;times=1` or
//! `x-trustgen-fault: status=500;echo_key;control_chars`. In TOML, e.g.
//! `fault = { malformed = true, echo_key = true }` or `fault = { endless = true }`.
//!
//! `status`, `drop`, `malformed`, `no_choices`, `endless` and `content_filter` exclude each other;
//! `echo_key` and `control_chars` modify `status`, `malformed`, `no_choices` or the normal reply.
//! The echo exists to test that a client never stores or prints what a server sends back; the
//! server itself still records credentials only as hashes (see Recording).
//!
//! | key | effect |
//! |---|---|
//! | `status = 429` | that HTTP status with the provider's error body (`400..=599`) |
//! | `retry_after = 2` | with `status`: a `Retry-After: 2` header |
//! | `drop = true` | close the connection without writing a response (over HTTP/2: reset the stream) |
//! | `malformed = true` | a 200 reply whose body is invalid JSON |
//! | `content_filter = "prompt"` | OpenAI 400 `code: content_filter` (Azure adds `innererror.code = ResponsibleAIPolicyViolation`), Anthropic `stop_reason: refusal`, Gemini `promptFeedback.blockReason: SAFETY` without candidates, images 400 `content_policy_violation` (a scripted refusal of an image prompt: `match = { endpoint = "images", last_user_contains = "..." }` with this fault) |
//! | `content_filter = "output"` | OpenAI/Azure `finish_reason: content_filter` with `content: null`, Anthropic `stop_reason: refusal`, Gemini `finishReason: SAFETY` |
//! | `no_choices = true` | a 200 reply in the endpoint's shape without content: `choices: []` (OpenAI, Azure), no `content` (Anthropic), `candidates: []` (Gemini), no `data` (images, embeddings) |
//! | `endless = true` | a 200 reply whose body never ends: a chat completion whose `content` string is streamed in 64 KiB chunks until the client hangs up (the same static chunk each time, so the server's memory stays flat) |
//! | `echo_key = true` | echo the credential the request carried (`authorization`, `api-key`, `x-api-key`, `x-goog-api-key` headers and the `key` query parameter, as received, as `credential received: authorization: Bearer ...`): with `status`, appended to the error's `message` (every shape has one); with `malformed`, inside the cut-off body; with `no_choices`, in a `warning` field; alone, as the text of a chat reply (an `echo` field of image and embedding replies) |
//! | `control_chars = true` | [`CONTROL_TEXT`] (ANSI colour and title escapes, BEL, backspace, CR, NUL, DEL, C1 controls): with `status`, appended to the error's `message`; alone, as the text of a chat reply; combines with `echo_key` |
//! | `slow_ms = 1500` | wait that long before replying; alone it delays the normal reply, with another key it delays that fault |
//! | `times = 2` | apply the fault to the first 2 requests with the same fingerprint (sha256 of method, path and body), then reply normally |
//!
//! The `times` counters are kept per fault source and fingerprint; [`Server::set_script`] and
//! [`Server::reset`] clear them.
//!
//! # Authentication and models
//!
//! With [`ServerConfig::api_key`] set, a request without the key, or with another key, gets the
//! provider's real authentication error: OpenAI 401 `invalid_api_key` (`Authorization: Bearer`), Azure
//! 401 (`api-key` header or a bearer token), Anthropic 401 `authentication_error` (`x-api-key`),
//! Gemini 403 `PERMISSION_DENIED` when the key is missing and 400 `API_KEY_INVALID` when it is wrong
//! (`x-goog-api-key` header or `key` query parameter). With [`ServerConfig::known_models`] set, other
//! models get the provider's 404 (`model_not_found`, `DeploymentNotFound`, `not_found_error`,
//! `NOT_FOUND`).
//!
//! # Recording
//!
//! Each request is kept as a [`RequestRecord`] (sequence number, monotonic timestamps, method, path,
//! query, headers, JSON body, fingerprint, endpoint, rule, fault, status, and the chat request's
//! images as [`ReceivedImage`]s: message index, SHA-256 of the decoded bytes, declared media type,
//! byte size, width and height, or the URL of an image sent by reference). The values of
//! `authorization`, `proxy-authorization`, `x-api-key`, `api-key` and `x-goog-api-key` and the `key`
//! query parameter are stored only as [`redact`]ed hashes (`sha256:<16 hex>`; an `Authorization` value
//! keeps its scheme: `Bearer sha256:<16 hex>`). At most [`ServerConfig::record_limit`] records are kept
//! (the oldest are evicted); the counters in [`Stats`] cover every request.

pub mod cli;
mod config;
mod conversation;
mod image;
mod providers;
mod record;
mod script;
mod server;

#[cfg(test)]
mod tests;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;

pub use crate::config::ServerConfig;
pub use crate::conversation::{IMAGE_TOKENS, ReceivedImage, count_tokens};
pub use crate::providers::{CREATED, DEFAULT_POOL, EMBEDDING_DIM};
pub use crate::record::{RequestRecord, Stats, redact};
pub use crate::script::{
    CONTROL_TEXT, Endpoint, Fault, FaultAction, FaultParseError, FilterStage, Matcher, Rule, Script, ScriptError,
};

/// Errors of starting or running the test server.
#[derive(Debug, thiserror::Error)]
pub enum TestServerError {
    /// The listening socket could not be bound.
    #[error("cannot bind the test server to {addr}: {source}; hint: use port 0 for an ephemeral port")]
    Bind {
        /// The address that was asked for.
        addr: SocketAddr,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The listener could not be prepared or accepted from.
    #[error("test server listener on {addr} failed: {source}")]
    Listener {
        /// The listening address.
        addr: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The server thread or its tokio runtime could not be started.
    #[error("cannot start the test server thread or runtime: {0}")]
    Runtime(std::io::Error),
    /// The script could not be loaded.
    #[error(transparent)]
    Script(#[from] ScriptError),
    /// The environment variable that should hold the API key is missing.
    #[error(
        "the environment variable {var} named by --api-key-env is not set or not unicode; hint: export {var}=<key>"
    )]
    ApiKeyEnv {
        /// The variable's name.
        var: String,
    },
}

/// A cheap, cloneable handle on one server's state: its script, records and counters.
///
/// Create it with [`Server::new`], run it with [`Server::run`] inside a tokio runtime, and keep a clone
/// to inspect or change it while it runs. [`TestServer`] does both on a thread of its own.
#[derive(Clone)]
pub struct Server {
    state: Arc<server::State>,
}

impl Server {
    /// A server with this configuration; it serves nothing until [`Server::run`].
    pub fn new(config: ServerConfig) -> Server {
        Server { state: Arc::new(server::State::new(config)) }
    }

    /// Serves HTTP/1.1 (keep-alive) and HTTP/2 (prior knowledge) on `listener` until `shutdown`
    /// completes. Connections still open then are left to finish on their own tasks.
    pub async fn run(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), TestServerError> {
        server::run(self.state, listener, shutdown).await
    }

    /// The recorded requests, oldest first (by sequence number).
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.state.requests()
    }

    /// Request counters since the start or the last reset.
    pub fn stats(&self) -> Stats {
        self.state.stats()
    }

    /// Replaces the script; the `times` counters of faults start again from zero.
    pub fn set_script(&self, script: Script) {
        self.state.set_script(script);
    }

    /// Forgets all records and counters (the script stays).
    pub fn reset(&self) {
        self.state.reset();
    }
}

/// Serves `config` on `listener` inside the current tokio runtime, until the returned future is dropped.
pub async fn serve(config: ServerConfig, listener: tokio::net::TcpListener) -> Result<(), TestServerError> {
    Server::new(config).run(listener, std::future::pending()).await
}

/// A test server running on its own thread with its own tokio runtime; it shuts down when dropped.
pub struct TestServer {
    server: Server,
    addr: SocketAddr,
    base_url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl TestServer {
    /// Binds `config.addr` (127.0.0.1 and an ephemeral port by default), starts the server and returns
    /// once it is listening.
    pub fn spawn(config: ServerConfig) -> Result<TestServer, TestServerError> {
        let wanted = config.addr;
        let workers = config.worker_threads.max(1);
        let listener =
            std::net::TcpListener::bind(wanted).map_err(|source| TestServerError::Bind { addr: wanted, source })?;
        let listener_error = |source| TestServerError::Listener { addr: wanted.to_string(), source };
        listener.set_nonblocking(true).map_err(listener_error)?;
        let addr = listener.local_addr().map_err(listener_error)?;
        let server = Server::new(config);
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<Result<(), TestServerError>>();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let running = server.clone();
        let thread = std::thread::Builder::new()
            .name(format!("trustgen-testserver-{}", addr.port()))
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(workers)
                    .thread_name("trustgen-testserver-worker")
                    .enable_all()
                    .build();
                let runtime = match runtime {
                    Ok(runtime) => runtime,
                    Err(error) => {
                        let _ = ready_tx.send(Err(TestServerError::Runtime(error)));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(listener) => listener,
                        Err(source) => {
                            let _ = ready_tx.send(Err(TestServerError::Listener { addr: addr.to_string(), source }));
                            return;
                        }
                    };
                    let _ = ready_tx.send(Ok(()));
                    let stopped = async {
                        let _ = stop_rx.await;
                    };
                    if let Err(error) = running.run(listener, stopped).await {
                        tracing::error!("{error}");
                    }
                });
                // Dropping the runtime cancels the connection tasks that are still open.
                drop(runtime);
            })
            .map_err(TestServerError::Runtime)?;
        match ready_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(error)) => {
                let _ = thread.join();
                return Err(error);
            }
            Err(_) => {
                let _ = thread.join();
                return Err(TestServerError::Runtime(std::io::Error::other("the test server thread exited early")));
            }
        }
        Ok(TestServer { server, addr, base_url: format!("http://{addr}"), stop: Some(stop_tx), thread: Some(thread) })
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The handle on the running server's state.
    pub fn server(&self) -> &Server {
        &self.server
    }

    /// The recorded requests, oldest first.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.server.requests()
    }

    /// Request counters since the start or the last reset.
    pub fn stats(&self) -> Stats {
        self.server.stats()
    }

    /// Replaces the script; the `times` counters of faults start again from zero.
    pub fn set_script(&self, script: Script) {
        self.server.set_script(script);
    }

    /// Forgets all records and counters (the script stays).
    pub fn reset(&self) {
        self.server.reset();
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
