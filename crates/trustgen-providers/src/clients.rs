//! [`Clients`]: one client per configured role, behind the layers every request goes through.
//!
//! For each request, in order: the role's model is looked up; the request's parameters are merged with
//! the suite defaults and the request key computed; the cache is consulted (a hit costs nothing); in a
//! dry run a placeholder reply is returned and the estimated tokens and cost are counted; identical
//! requests already in flight are joined rather than sent twice (only with a cache, whose semantics
//! this is); then the model's concurrency permit is taken and, for each attempt, the rate limits are
//! waited on, a global concurrency permit taken, and the request sent under the timeout. Retryable
//! failures are retried with backoff (or after `Retry-After`) while the global permit is released; a
//! per-case failure, or a retryable one after the last retry, becomes a reply with status `error`; a
//! fatal one is returned as [`FatalError`] and should stop the run.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OnceCell, Semaphore};
use trustgen_plugin_api::{
    ChatRole, GenParams, Image, ImageSource, ModelInfo, ModelReply, ModelRequest, ModelRole, ReplyStatus, RequestKind,
    Usage,
};

use crate::anthropic::{self, Anthropic};
use crate::cache::Cache;
use crate::error::{ConfigError, Failure, FatalError, ProviderFatal};
use crate::gemini::Gemini;
use crate::http;
use crate::limit::RateLimits;
use crate::openai::{Flavor, OpenAi};
use crate::request_key::{merge_params, request_key};
use crate::retriever::{Corpus, HttpSearch};
use crate::retry::Backoff;
use crate::secret::{ApiKey, Secrets};
use crate::spec::{ModelSpec, ProviderKind};

/// `max_tokens` assumed for estimates when neither the request nor the suite sets one (the
/// embedded model's default; Anthropic's is [`anthropic::DEFAULT_MAX_TOKENS`]).
pub const ESTIMATE_MAX_TOKENS: u32 = 256;
/// How long the preflight TCP connect to an endpoint may take.
pub const PREFLIGHT_TIMEOUT: Duration = Duration::from_secs(5);
/// The text of dry-run replies.
pub const DRY_RUN_TEXT: &str = "[dry run]";

/// A request about to wait before its next attempt (see [`Clients::with_retry_observer`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryWait {
    /// The role asked.
    pub role: ModelRole,
    /// The attempt that failed (1-based).
    pub attempt: u32,
    /// The wait before the next attempt.
    pub wait: Duration,
    /// The wait is the server's (`Retry-After` or `retry-after-ms`), not the backoff's.
    pub retry_after: bool,
}

/// Called with every [`RetryWait`] (a progress display counts them).
pub type RetryObserver = Arc<dyn Fn(RetryWait) + Send + Sync>;

/// Options shared by all clients.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Requests in flight at once over all models (at least 1).
    pub global_concurrency: usize,
    /// The response cache; `None` sends every request.
    pub cache: Option<Cache>,
    /// Never send: reply with placeholders and count estimated tokens and cost.
    pub dry_run: bool,
    /// The `User-Agent` of HTTP requests.
    pub user_agent: String,
    /// The run seed: a chat request to a provider that takes a sampling seed, whose request and
    /// suite set none, is sent a seed derived from this and the request's content
    /// ([`derive_seed`]), so two runs with the same seed send the same seeds in any order.
    pub seed: u64,
}

impl Default for ClientOptions {
    fn default() -> ClientOptions {
        ClientOptions {
            global_concurrency: 32,
            cache: None,
            dry_run: false,
            user_agent: concat!("trustgen/", env!("CARGO_PKG_VERSION")).to_owned(),
            seed: 0,
        }
    }
}

/// The result of [`Clients::execute`].
#[derive(Debug, Clone, PartialEq)]
pub struct Executed {
    /// The reply (status `ok`, `content_filtered` or `error`). A cached reply carries the usage of the
    /// request that produced it; nothing was spent on it now (see [`Clients::usage`]).
    pub reply: ModelReply,
    /// The request key (hex SHA-256).
    pub key: String,
    /// True when the reply came from the cache (or from an identical request in flight).
    pub cached: bool,
    /// HTTP attempts made (0 for cached and dry-run replies).
    pub attempts: u32,
    /// Milliseconds the final attempt took, from sending to the parsed reply (0 when nothing was sent).
    pub latency_ms: u64,
}

/// Usage of one role's model since the clients were created.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageSnapshot {
    /// The role.
    pub role: ModelRole,
    /// The provider.
    pub provider: ProviderKind,
    /// The model.
    pub model: String,
    /// Requests that went to the provider (or would have, in a dry run), each counted once however
    /// many attempts it took.
    pub requests: u64,
    /// Requests answered from the cache or by joining an identical request in flight.
    pub cached: u64,
    /// HTTP attempts, retries included.
    pub attempts: u64,
    /// Requests that ended with status `error`.
    pub errors: u64,
    /// Requests that ended with status `content_filtered`.
    pub content_filtered: u64,
    /// Prompt tokens of the requests sent (estimated in a dry run).
    pub prompt_tokens: u64,
    /// Completion tokens of the requests sent (estimated in a dry run).
    pub completion_tokens: u64,
    /// Cost of those tokens, when the suite gives prices.
    pub cost: Option<f64>,
    /// True when the token counts are dry-run estimates.
    pub estimated: bool,
}

#[derive(Debug, Default)]
struct Counters {
    requests: AtomicU64,
    cached: AtomicU64,
    attempts: AtomicU64,
    errors: AtomicU64,
    filtered: AtomicU64,
    prompt_tokens: AtomicU64,
    completion_tokens: AtomicU64,
}

impl Counters {
    fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    fn finished(&self, reply: &ModelReply) {
        Counters::add(&self.requests, 1);
        Counters::add(&self.prompt_tokens, reply.usage.prompt_tokens);
        Counters::add(&self.completion_tokens, reply.usage.completion_tokens);
        match reply.status {
            ReplyStatus::Ok => {}
            ReplyStatus::ContentFiltered => Counters::add(&self.filtered, 1),
            _ => Counters::add(&self.errors, 1),
        }
    }
}

/// The provider behind a role.
enum Backend {
    OpenAi(OpenAi),
    Anthropic(Anthropic),
    Gemini(Gemini),
    #[cfg(feature = "embedded")]
    Embedded(crate::embedded::Embedded),
    #[cfg(feature = "embedded")]
    Ocr(crate::ocr::Ocr),
    Corpus(Corpus),
    HttpSearch(HttpSearch),
}

fn kind_name(kind: &RequestKind) -> &'static str {
    match kind {
        RequestKind::Chat(_) => "chat",
        RequestKind::Image(_) => "image",
        RequestKind::Embed(_) => "embed",
        RequestKind::Retrieve(_) => "retrieve",
        _ => "unknown",
    }
}

impl Backend {
    fn supports(&self, kind: &RequestKind) -> bool {
        match self {
            Backend::OpenAi(_) => !matches!(kind, RequestKind::Retrieve(_)),
            Backend::Anthropic(_) | Backend::Gemini(_) => matches!(kind, RequestKind::Chat(_)),
            #[cfg(feature = "embedded")]
            Backend::Embedded(_) => matches!(kind, RequestKind::Chat(_) | RequestKind::Embed(_)),
            #[cfg(feature = "embedded")]
            Backend::Ocr(_) => matches!(kind, RequestKind::Chat(_)),
            Backend::Corpus(_) | Backend::HttpSearch(_) => matches!(kind, RequestKind::Retrieve(_)),
        }
    }

    async fn call(&self, kind: &RequestKind, params: &GenParams, key: &str) -> Result<ModelReply, Failure> {
        let _ = key;
        match (self, kind) {
            (Backend::OpenAi(c), RequestKind::Chat(chat)) => c.chat(&chat.messages, params).await,
            (Backend::OpenAi(c), RequestKind::Image(image)) => c.image(image).await,
            (Backend::OpenAi(c), RequestKind::Embed(embed)) => c.embed(embed).await,
            (Backend::Anthropic(c), RequestKind::Chat(chat)) => c.chat(&chat.messages, params).await,
            (Backend::Gemini(c), RequestKind::Chat(chat)) => c.chat(&chat.messages, params).await,
            #[cfg(feature = "embedded")]
            (Backend::Embedded(c), RequestKind::Chat(chat)) => c.chat(&chat.messages, params, key).await,
            #[cfg(feature = "embedded")]
            (Backend::Embedded(c), RequestKind::Embed(embed)) => c.embed(&embed.texts).await,
            #[cfg(feature = "embedded")]
            (Backend::Ocr(c), RequestKind::Chat(chat)) => c.read(&chat.messages).await,
            (Backend::Corpus(c), RequestKind::Retrieve(r)) => c.retrieve(&r.query, r.max_results).await,
            (Backend::HttpSearch(c), RequestKind::Retrieve(r)) => c.retrieve(&r.query, r.max_results).await,
            _ => Err(Failure::PerCase(format!("{} requests are not supported here", kind_name(kind)))),
        }
    }
}

/// One configured role.
struct RoleClient {
    spec: ModelSpec,
    backend: Backend,
    concurrency: Option<Semaphore>,
    rates: RateLimits,
    counters: Counters,
    key: Option<ApiKey>,
    /// The run seed ([`ClientOptions::seed`]).
    run_seed: u64,
}

impl RoleClient {
    fn fatal(&self, kind: crate::error::FatalKind, status: Option<u16>, message: String) -> FatalError {
        FatalError::Provider(ProviderFatal {
            kind,
            role: self.spec.role,
            provider: self.spec.provider,
            model: self.spec.deployment.clone().unwrap_or_else(|| self.spec.model.clone()),
            key_env: self.spec.api_key_env.clone(),
            status,
            message,
        })
    }

    fn unsupported(&self, kind: &RequestKind) -> FatalError {
        FatalError::Unsupported {
            role: self.spec.role.as_str().to_owned(),
            provider: self.spec.provider.as_str().to_owned(),
            model: self.spec.model.clone(),
            request: kind_name(kind),
        }
    }

    /// Local corpora are cheap and may change under the same path: they are never cached.
    fn cacheable(&self) -> bool {
        self.spec.provider != ProviderKind::Corpus
    }

    /// The parameters a request is sent with: its own, then the suite's, then (for a provider that
    /// takes a sampling seed, when neither sets one) a seed derived from the run seed and the
    /// request's content, so it does not depend on the order requests are made in. A seed a plugin
    /// or the suite set is reduced below 2^31 ([`SEED_RANGE`]) for such a provider, here, so the
    /// run directory records the seed as sent.
    fn merged(&self, request: &ModelRequest) -> GenParams {
        match &request.kind {
            RequestKind::Chat(chat) => {
                let params = merge_params(&chat.params, &self.spec.defaults);
                if !takes_seed(self.spec.provider) {
                    return params;
                }
                if let Some(seed) = params.seed {
                    return params.with_seed(seed % SEED_RANGE);
                }
                // The model and what is asked, not the endpoint: the same suite against the same
                // model on another host or port sends the same seeds.
                let content = serde_json::to_string(&(&self.spec.model, &chat.messages, &params)).unwrap_or_default();
                params.with_seed(derive_seed(self.run_seed, &content))
            }
            _ => GenParams::default(),
        }
    }

    /// Tokens a request is expected to use: prompt characters / 4 and the completion limit.
    fn estimate(&self, kind: &RequestKind, params: &GenParams) -> Usage {
        let chars = |text: &str| text.chars().count() as u64;
        match kind {
            RequestKind::Chat(chat) => {
                let prompt: u64 = chat.messages.iter().map(|m| chars(&m.content)).sum();
                let default = if self.spec.provider == ProviderKind::Anthropic {
                    anthropic::DEFAULT_MAX_TOKENS
                } else {
                    ESTIMATE_MAX_TOKENS
                };
                Usage::new(prompt.div_ceil(4), u64::from(params.max_tokens.unwrap_or(default)))
            }
            RequestKind::Image(image) => Usage::new(chars(&image.prompt).div_ceil(4), 0),
            RequestKind::Embed(embed) => Usage::new(embed.texts.iter().map(|t| chars(t)).sum::<u64>().div_ceil(4), 0),
            _ => Usage::default(),
        }
    }

    fn snapshot(&self, estimated: bool) -> UsageSnapshot {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let prompt_tokens = load(&self.counters.prompt_tokens);
        let completion_tokens = load(&self.counters.completion_tokens);
        UsageSnapshot {
            role: self.spec.role,
            provider: self.spec.provider,
            model: self.spec.model.clone(),
            requests: load(&self.counters.requests),
            cached: load(&self.counters.cached),
            attempts: load(&self.counters.attempts),
            errors: load(&self.counters.errors),
            content_filtered: load(&self.counters.filtered),
            prompt_tokens,
            completion_tokens,
            cost: self.spec.price.map(|p| p.cost(prompt_tokens, completion_tokens)),
            estimated,
        }
    }
}

type Shared = Arc<OnceCell<Result<Executed, FatalError>>>;

/// The model clients of a run. `Send + Sync`; share it with `Arc`.
pub struct Clients {
    roles: BTreeMap<ModelRole, RoleClient>,
    global: Semaphore,
    cache: Option<Cache>,
    dry_run: bool,
    backoff: Backoff,
    retry_observer: Option<RetryObserver>,
    inflight: Mutex<HashMap<String, Shared>>,
    /// Every configured key: the one choke point every provider outcome and cached reply passes.
    secrets: Secrets,
    /// The first fatal error: once set, nothing more is sent (requests
    /// already on the wire finish; queued ones stop before spending more).
    halted: std::sync::OnceLock<FatalError>,
    /// Where stored images are loaded from right before sending.
    images: Option<crate::images::SharedImageLoader>,
}

impl std::fmt::Debug for Clients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut list = f.debug_list();
        for client in self.roles.values() {
            list.entry(&format_args!(
                "{} {} `{}` at {} (key from {:?}, key {:?})",
                client.spec.role.as_str(),
                client.spec.provider.as_str(),
                client.spec.model,
                client.spec.effective_base_url().unwrap_or("-"),
                client.spec.api_key_env,
                client.key,
            ));
        }
        list.finish()
    }
}

impl Clients {
    /// Builds one client per spec, reading the API keys from the environment now: a missing or empty
    /// variable is a [`ConfigError::MissingKey`] naming the role, model and variable.
    pub fn new(specs: Vec<ModelSpec>, options: ClientOptions) -> Result<Clients, ConfigError> {
        Clients::with_key_lookup(specs, options, |var| std::env::var(var).ok())
    }

    /// [`Clients::new`] with keys looked up by `lookup` instead of the process environment.
    pub fn with_key_lookup(
        specs: Vec<ModelSpec>,
        options: ClientOptions,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Clients, ConfigError> {
        let global_concurrency = options.global_concurrency.max(1);
        let mut roles = BTreeMap::new();
        for spec in specs {
            let role = spec.role.as_str().to_owned();
            if roles.contains_key(&spec.role) {
                return Err(ConfigError::DuplicateRole { role });
            }
            let key = match &spec.api_key_env {
                Some(var) => match lookup(var) {
                    Some(value) if !value.trim().is_empty() => Some(ApiKey::new(value.trim().to_owned())),
                    found => {
                        return Err(ConfigError::MissingKey {
                            role,
                            provider: spec.provider.as_str().to_owned(),
                            model: spec.model.clone(),
                            var: var.clone(),
                            state: if found.is_some() { "empty" } else { "not set" },
                        });
                    }
                },
                None => None,
            };
            let pool = spec.limits.concurrency.unwrap_or(global_concurrency).min(global_concurrency);
            let client = || {
                http::build_client(&options.user_agent, pool)
                    .map_err(|e| ConfigError::HttpClient { role: role.clone(), reason: e.to_string() })
            };
            let base_url = spec.effective_base_url().unwrap_or_default().to_owned();
            let backend = match spec.provider {
                ProviderKind::OpenAi => Backend::OpenAi(OpenAi {
                    client: client()?,
                    flavor: Flavor::OpenAi { base_url },
                    model: spec.model.clone(),
                    key: key.clone(),
                    limits: spec.limits.clone(),
                }),
                ProviderKind::Azure => Backend::OpenAi(OpenAi {
                    client: client()?,
                    flavor: Flavor::Azure {
                        base_url,
                        deployment: spec.deployment.clone().unwrap_or_else(|| spec.model.clone()),
                        api_version: spec
                            .api_version
                            .clone()
                            .unwrap_or_else(|| crate::spec::AZURE_API_VERSION.to_owned()),
                    },
                    model: spec.model.clone(),
                    key: key.clone(),
                    limits: spec.limits.clone(),
                }),
                ProviderKind::Anthropic => Backend::Anthropic(Anthropic {
                    client: client()?,
                    base_url,
                    model: spec.model.clone(),
                    key: key.clone(),
                    limits: spec.limits.clone(),
                }),
                ProviderKind::Gemini => Backend::Gemini(Gemini {
                    client: client()?,
                    base_url,
                    model: spec.model.clone(),
                    key: key.clone(),
                    limits: spec.limits.clone(),
                }),
                #[cfg(feature = "embedded")]
                ProviderKind::Embedded if spec.role == ModelRole::Ocr => Backend::Ocr(crate::ocr::Ocr::new(&spec)?),
                #[cfg(feature = "embedded")]
                ProviderKind::Embedded => Backend::Embedded(crate::embedded::Embedded::new(&spec)?),
                #[cfg(not(feature = "embedded"))]
                ProviderKind::Embedded => return Err(ConfigError::EmbeddedNotCompiled { role }),
                ProviderKind::Corpus => {
                    let Some(path) = spec.path.clone() else {
                        return Err(ConfigError::MissingField {
                            role,
                            provider: "corpus".to_owned(),
                            field: "path",
                            hint: "add `path = \"corpus.jsonl\"`".to_owned(),
                        });
                    };
                    Backend::Corpus(Corpus::new(path, role.clone()))
                }
                ProviderKind::HttpSearch => Backend::HttpSearch(HttpSearch {
                    client: client()?,
                    base_url,
                    key: key.clone(),
                    limits: spec.limits.clone(),
                }),
            };
            let rates = RateLimits::new(spec.limits.requests_per_minute, spec.limits.tokens_per_minute);
            let concurrency = spec.limits.concurrency.map(|n| Semaphore::new(n.max(1)));
            roles.insert(
                spec.role,
                RoleClient {
                    spec,
                    backend,
                    concurrency,
                    rates,
                    counters: Counters::default(),
                    key,
                    run_seed: options.seed,
                },
            );
        }
        let secrets = Secrets::new(roles.values().filter_map(|c: &RoleClient| c.key.as_ref()));
        Ok(Clients {
            secrets,
            roles,
            global: Semaphore::new(global_concurrency),
            cache: options.cache,
            dry_run: options.dry_run,
            backoff: Backoff::default(),
            retry_observer: None,
            inflight: Mutex::new(HashMap::new()),
            halted: std::sync::OnceLock::new(),
            images: None,
        })
    }

    /// Replaces the retry backoff (tests use a short one).
    pub fn with_backoff(mut self, backoff: Backoff) -> Clients {
        self.backoff = backoff;
        self
    }

    /// Loads the stored images of a request ([`ImageSource::Stored`]) from `loader` right before it
    /// is sent; the cache key and the recorded request keep naming them by hash.
    pub fn with_images(mut self, loader: crate::images::SharedImageLoader) -> Clients {
        self.images = Some(loader);
        self
    }

    /// Tells `observer` about every wait before a retry.
    pub fn with_retry_observer(mut self, observer: RetryObserver) -> Clients {
        self.retry_observer = Some(observer);
        self
    }

    /// The cache, if any.
    pub fn cache(&self) -> Option<&Cache> {
        self.cache.as_ref()
    }

    /// The spec of a role.
    pub fn spec(&self, role: ModelRole) -> Option<&ModelSpec> {
        self.roles.get(&role).map(|c| &c.spec)
    }

    /// Checks, before any model request, that every HTTP endpoint accepts a TCP connection (within
    /// [`PREFLIGHT_TIMEOUT`]), that the embedded models' files are in place, and that corpora parse.
    pub async fn preflight(&self) -> Result<(), FatalError> {
        let mut checked = HashSet::new();
        for client in self.roles.values() {
            let spec = &client.spec;
            match &client.backend {
                #[cfg(feature = "embedded")]
                Backend::Embedded(embedded) => check_files(spec, embedded.preflight_check()).await?,
                #[cfg(feature = "embedded")]
                Backend::Ocr(ocr) => check_files(spec, ocr.preflight_check()).await?,
                Backend::Corpus(corpus) => {
                    corpus.loaded().await?;
                }
                _ => {
                    let url = spec.effective_base_url().unwrap_or_default();
                    if checked.insert(url.to_owned()) {
                        connect(url).await.map_err(|reason| FatalError::Unreachable {
                            role: spec.role.as_str().to_owned(),
                            provider: spec.provider.as_str().to_owned(),
                            model: spec.model.clone(),
                            url: url.to_owned(),
                            reason,
                        })?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Like [`Clients::preflight`], but checks every role and returns every problem instead of
    /// stopping at the first one.
    pub async fn preflight_all(&self) -> Vec<(ModelRole, FatalError)> {
        let mut problems = Vec::new();
        let mut checked: HashMap<String, Option<String>> = HashMap::new();
        for client in self.roles.values() {
            let spec = &client.spec;
            let result = match &client.backend {
                #[cfg(feature = "embedded")]
                Backend::Embedded(embedded) => check_files(spec, embedded.preflight_check()).await,
                #[cfg(feature = "embedded")]
                Backend::Ocr(ocr) => check_files(spec, ocr.preflight_check()).await,
                Backend::Corpus(corpus) => corpus.loaded().await.map(|_| ()),
                _ => {
                    let url = spec.effective_base_url().unwrap_or_default().to_owned();
                    let reason = match checked.get(&url) {
                        Some(reason) => reason.clone(),
                        None => {
                            let reason = connect(&url).await.err();
                            checked.insert(url.clone(), reason.clone());
                            reason
                        }
                    };
                    match reason {
                        None => Ok(()),
                        Some(reason) => Err(FatalError::Unreachable {
                            role: spec.role.as_str().to_owned(),
                            provider: spec.provider.as_str().to_owned(),
                            model: spec.model.clone(),
                            url,
                            reason,
                        }),
                    }
                }
            };
            if let Err(error) = result {
                problems.push((spec.role, error));
            }
        }
        problems
    }

    /// The request as it is sent: a chat request carries the merged parameters (its own, the suite's,
    /// and the derived seed), which is what the run directory records.
    pub fn prepared(&self, request: &ModelRequest) -> ModelRequest {
        let Some(client) = self.roles.get(&request.role) else {
            return request.clone();
        };
        let mut prepared = request.clone();
        if let RequestKind::Chat(chat) = &mut prepared.kind {
            chat.params = client.merged(request);
        }
        prepared
    }

    /// The cache key of `request` for its role's model; `None` if the role is not configured.
    pub fn key(&self, request: &ModelRequest) -> Option<String> {
        let client = self.roles.get(&request.role)?;
        let merged = client.merged(request);
        Some(request_key(&client.spec, &request.kind, Some(&merged)))
    }

    /// What plugins see of a role's model.
    pub fn info(&self, role: ModelRole) -> Option<ModelInfo> {
        let spec = &self.roles.get(&role)?.spec;
        Some(
            ModelInfo::new(spec.model_type.clone(), spec.provider.as_str().to_owned(), spec.model.clone())
                .with_capable(spec.is_capable()),
        )
    }

    /// Usage per role, in role order.
    pub fn usage(&self) -> Vec<UsageSnapshot> {
        self.roles.values().map(|c| c.snapshot(self.dry_run)).collect()
    }

    /// Runs one request through the cache, limits, retries and the provider.
    ///
    /// `Ok` carries replies of every status (a per-case failure is a reply with status `error`);
    /// `Err` means the run should stop.
    pub async fn execute(&self, request: &ModelRequest) -> Result<Executed, FatalError> {
        let Some(client) = self.roles.get(&request.role) else {
            return Err(FatalError::NotConfigured { role: request.role.as_str().to_owned() });
        };
        if !client.backend.supports(&request.kind) {
            return Err(client.unsupported(&request.kind));
        }
        let params = client.merged(request);
        let key = request_key(&client.spec, &request.kind, Some(&params));
        if let Some(reply) = trivial_reply(&request.kind) {
            return Ok(Executed { reply, key, cached: false, attempts: 0, latency_ms: 0 });
        }
        let cache = self.cache.as_ref().filter(|_| client.cacheable());
        if let Some(mut reply) = cache.and_then(|c| c.get(&key)) {
            // Written scrubbed; scrubbed again in case an older version cached a key.
            self.secrets.scrub_reply(&mut reply);
            Counters::add(&client.counters.cached, 1);
            return Ok(Executed { reply, key, cached: true, attempts: 0, latency_ms: 0 });
        }
        if self.dry_run {
            let reply = dry_run_reply(client, &request.kind, &params);
            client.counters.finished(&reply);
            return Ok(Executed { reply, key, cached: false, attempts: 0, latency_ms: 0 });
        }
        if cache.is_none() {
            return self.send(client, request, &params, key).await;
        }

        // Join an identical request in flight instead of paying for it twice.
        let cell: Shared =
            Arc::clone(self.inflight.lock().unwrap_or_else(|p| p.into_inner()).entry(key.clone()).or_default());
        let mut led = false;
        let result = cell
            .get_or_init(|| {
                led = true;
                self.send(client, request, &params, key.clone())
            })
            .await
            .clone();
        {
            let mut inflight = self.inflight.lock().unwrap_or_else(|p| p.into_inner());
            if inflight.get(&key).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
                inflight.remove(&key);
            }
        }
        if led {
            return result;
        }
        let executed = result?;
        Counters::add(&client.counters.cached, 1);
        Ok(Executed { cached: true, attempts: 0, latency_ms: 0, ..executed })
    }

    async fn send(
        &self,
        client: &RoleClient,
        request: &ModelRequest,
        params: &GenParams,
        key: String,
    ) -> Result<Executed, FatalError> {
        let _model_permit = match &client.concurrency {
            // The semaphores are never closed, so acquiring cannot fail.
            Some(semaphore) => semaphore.acquire().await.ok(),
            None => None,
        };
        let estimate = client.estimate(&request.kind, params);
        let estimated_tokens = estimate.prompt_tokens + estimate.completion_tokens;
        let timeout = client.spec.limits.timeout;
        let mut attempts = 0u32;
        let mut waited = Duration::ZERO;
        loop {
            attempts += 1;
            client.rates.acquire(estimated_tokens).await;
            let (outcome, latency) = {
                let _permit = self.global.acquire().await.ok();
                if let Some(fatal) = self.halted.get() {
                    return Err(fatal.clone());
                }
                // Stored images become bytes only now, under the permit, for this attempt, and
                // are dropped with it: memory holds the images of the requests being sent (at
                // most the global concurrency), not of every request waiting for a permit.
                let resolved = if crate::images::has_stored(&request.kind) {
                    match crate::images::resolve(&request.kind, self.images.as_ref()).await {
                        Ok(kind) => Some(kind),
                        Err(failure) => {
                            let message = match failure {
                                Failure::PerCase(message) => message,
                                other => format!("{other:?}"),
                            };
                            let reply = error_reply(message);
                            client.counters.finished(&reply);
                            return Ok(Executed { reply, key, cached: false, attempts: 0, latency_ms: 0 });
                        }
                    }
                } else {
                    None
                };
                let kind = resolved.as_ref().unwrap_or(&request.kind);
                let started = Instant::now();
                let call = client.backend.call(kind, params, &key);
                let outcome = if timeout.is_zero() {
                    call.await
                } else {
                    match tokio::time::timeout(timeout, call).await {
                        Ok(outcome) => outcome,
                        Err(_) => Err(Failure::retry(format!("no reply within {} ms", timeout.as_millis()))),
                    }
                };
                // The choke point: nothing a provider sent leaves this crate unscrubbed.
                (self.secrets.scrub_outcome(outcome), started.elapsed())
            };
            Counters::add(&client.counters.attempts, 1);
            let latency_ms = latency.as_millis() as u64;
            let done = |reply: ModelReply| {
                client.counters.finished(&reply);
                Ok(Executed { reply, key: key.clone(), cached: false, attempts, latency_ms })
            };
            match outcome {
                Ok(reply) => {
                    let used = reply.usage.prompt_tokens + reply.usage.completion_tokens;
                    client.rates.correct_tokens(estimated_tokens, used);
                    if let Some(cache) = self.cache.as_ref().filter(|_| client.cacheable())
                        && matches!(reply.status, ReplyStatus::Ok | ReplyStatus::ContentFiltered)
                    {
                        let model = client.spec.deployment.as_deref().unwrap_or(&client.spec.model);
                        cache.put(&key, client.spec.provider.as_str(), model, &reply);
                    }
                    return done(reply);
                }
                Err(Failure::Retryable { reason, retry_after }) => {
                    client.rates.correct_tokens(estimated_tokens, 0);
                    if attempts > client.spec.limits.max_retries {
                        let message = if attempts == 1 {
                            reason
                        } else {
                            format!("gave up after {attempts} attempts; last: {reason}")
                        };
                        return done(error_reply(message));
                    }
                    let wait = retry_after.unwrap_or_else(|| self.backoff.delay(&key, attempts - 1));
                    let budget = client.spec.limits.max_retry_wait;
                    if waited + wait > budget {
                        // A per-case error, like running out of retries: other requests may still
                        // succeed, and a run in which none does fails (nothing measured).
                        let source = if retry_after.is_some() { "Retry-After from the server" } else { "backoff" };
                        let what = if waited.is_zero() {
                            format!("the wait before a retry ({}, {source}) is", seconds(wait))
                        } else {
                            format!(
                                "another wait ({}, {source}) would make this request's total wait {},",
                                seconds(wait),
                                seconds(waited + wait)
                            )
                        };
                        return done(error_reply(format!(
                            "gave up after {attempts} attempt{}: {what} over its budget of {} \
                             (max_retry_wait_secs in [models.{}]); last: {reason}; hint: raise \
                             max_retry_wait_secs, or lower requests_per_minute or concurrency",
                            if attempts == 1 { "" } else { "s" },
                            seconds(budget),
                            client.spec.role.as_str(),
                        )));
                    }
                    waited += wait;
                    tracing::debug!(
                        role = client.spec.role.as_str(),
                        model = %client.spec.model,
                        attempt = attempts,
                        wait_ms = wait.as_millis() as u64,
                        "retrying: {reason}"
                    );
                    if let Some(observer) = &self.retry_observer {
                        observer(RetryWait {
                            role: client.spec.role,
                            attempt: attempts,
                            wait,
                            retry_after: retry_after.is_some(),
                        });
                    }
                    tokio::time::sleep(wait).await;
                }
                Err(Failure::PerCase(message)) => {
                    client.rates.correct_tokens(estimated_tokens, 0);
                    return done(error_reply(message));
                }
                Err(Failure::Fatal { kind, status, message }) => {
                    let fatal = client.fatal(kind, status, message);
                    let _ = self.halted.set(fatal.clone());
                    return Err(fatal);
                }
                Err(Failure::Stop(error)) => {
                    let _ = self.halted.set(error.clone());
                    return Err(error);
                }
            }
        }
    }
}

/// `30 s`, or `1.5 s` for a wait with a fraction.
fn seconds(wait: Duration) -> String {
    if wait.subsec_millis() == 0 { format!("{} s", wait.as_secs()) } else { format!("{:.1} s", wait.as_secs_f64()) }
}

fn error_reply(message: String) -> ModelReply {
    ModelReply::new(ReplyStatus::Error).with_error(message)
}

/// Requests that need no model: empty inputs (which some providers reject with a 400 that would
/// otherwise stop the run).
fn trivial_reply(kind: &RequestKind) -> Option<ModelReply> {
    match kind {
        RequestKind::Chat(chat) if chat.messages.is_empty() => {
            Some(error_reply("the chat request has no messages (a plugin bug)".to_owned()))
        }
        // Values from a newer plugin API: no provider can send them.
        RequestKind::Chat(chat) if chat.messages.iter().any(|m| m.role == ChatRole::Unknown) => Some(error_reply(
            "a chat message has a role this trustgen does not know; hint: upgrade trustgen".to_owned(),
        )),
        RequestKind::Chat(chat)
            if chat.messages.iter().flat_map(|m| &m.images).any(|i| i.source == ImageSource::Unknown) =>
        {
            Some(error_reply("an image has a source this trustgen does not know; hint: upgrade trustgen".to_owned()))
        }
        RequestKind::Unknown => {
            Some(error_reply("a kind of request this trustgen does not know; hint: upgrade trustgen".to_owned()))
        }
        RequestKind::Embed(embed) if embed.texts.is_empty() => Some(ModelReply::default()),
        RequestKind::Retrieve(r) if r.max_results == 0 => Some(ModelReply::default()),
        RequestKind::Image(image) if image.n == 0 => Some(ModelReply::default()),
        _ => None,
    }
}

/// A 1x1 transparent PNG, the image of dry-run replies.
const DRY_RUN_PNG: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

/// Length of the embeddings of a model, for dry-run placeholders.
/// Runs the file check of a host-run model (embedded or OCR) off the async threads: checking
/// the files may hash them (the first time).
#[cfg(feature = "embedded")]
async fn check_files(
    spec: &ModelSpec,
    check: impl FnOnce() -> Result<(), FatalError> + Send + 'static,
) -> Result<(), FatalError> {
    tokio::task::spawn_blocking(check).await.map_err(|e| FatalError::Embedded {
        role: spec.role.as_str().to_owned(),
        model: spec.model.clone(),
        message: format!("the preflight check failed: {e}"),
    })?
}

fn embedding_dim(spec: &ModelSpec) -> usize {
    match spec.model.as_str() {
        "text-embedding-3-large" => 3072,
        "text-embedding-3-small" | "text-embedding-ada-002" => 1536,
        _ => 384,
    }
}

fn dry_run_reply(client: &RoleClient, kind: &RequestKind, params: &GenParams) -> ModelReply {
    let usage = client.estimate(kind, params);
    let mut reply = ModelReply::new(ReplyStatus::Ok).with_text(DRY_RUN_TEXT.to_owned()).with_usage(usage);
    match kind {
        RequestKind::Image(image) => {
            reply.images = (0..image.n)
                .map(|_| Image::new("image/png".to_owned(), ImageSource::Base64(DRY_RUN_PNG.to_owned())))
                .collect();
        }
        RequestKind::Embed(embed) => {
            let dim = embedding_dim(&client.spec);
            let unit = 1.0 / (dim as f32).sqrt();
            reply.embeddings = embed.texts.iter().map(|_| vec![unit; dim]).collect();
        }
        _ => {}
    }
    reply
}

/// The proxy reqwest will use for `url`, from `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY` (either case),
/// unless `NO_PROXY` names the host (or a domain suffix of it, or `*`).
fn proxy_for(url: &reqwest::Url) -> Option<reqwest::Url> {
    let env = |name: &str| {
        std::env::var(name).ok().or_else(|| std::env::var(name.to_lowercase()).ok()).filter(|v| !v.trim().is_empty())
    };
    let host = url.host_str().unwrap_or_default();
    let bypass = env("NO_PROXY").is_some_and(|list| {
        list.split(',').map(str::trim).filter(|e| !e.is_empty()).any(|entry| {
            let entry = entry.trim_start_matches('.');
            entry == "*" || host == entry || host.ends_with(&format!(".{entry}"))
        })
    });
    if bypass {
        return None;
    }
    let scheme_var = if url.scheme() == "https" { "HTTPS_PROXY" } else { "HTTP_PROXY" };
    let proxy = env(scheme_var).or_else(|| env("ALL_PROXY"))?;
    let proxy = if proxy.contains("://") { proxy } else { format!("http://{proxy}") };
    reqwest::Url::parse(&proxy).ok()
}

/// Opens (and drops) a TCP connection to the host of `url`, or to the proxy that requests to it go
/// through.
async fn connect(url: &str) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
    let (parsed, via) = match proxy_for(&parsed) {
        Some(proxy) => (proxy, " (the proxy from the environment)"),
        None => (parsed, ""),
    };
    let host = parsed.host_str().ok_or("the URL has no host")?.trim_start_matches('[').trim_end_matches(']').to_owned();
    let port = parsed.port_or_known_default().ok_or("the URL has no port")?;
    let attempt = async {
        let addrs: Vec<_> = tokio::net::lookup_host((host.as_str(), port))
            .await
            .map_err(|e| format!("cannot resolve {host}: {e}"))?
            .collect();
        let mut last = format!("{host} has no address");
        for addr in addrs {
            match tokio::net::TcpStream::connect(addr).await {
                Ok(_) => return Ok(()),
                Err(e) => last = format!("{addr}{via}: {e}"),
            }
        }
        Err(last)
    };
    match tokio::time::timeout(PREFLIGHT_TIMEOUT, attempt).await {
        Ok(result) => result,
        Err(_) => Err(format!("no connection within {} s", PREFLIGHT_TIMEOUT.as_secs())),
    }
}

/// Whether a provider's chat API takes a sampling seed (OpenAI-compatible servers such as vLLM,
/// llama.cpp and Ollama, Azure OpenAI, and Gemini do; Anthropic does not; the embedded model derives
/// its own from the request key).
fn takes_seed(provider: ProviderKind) -> bool {
    matches!(provider, ProviderKind::OpenAi | ProviderKind::Azure | ProviderKind::Gemini)
}

/// Sampling seeds sent to a provider are below this: llama.cpp's seed is 32-bit and Gemini's a
/// signed int32, so a builder's 64-bit seed (its run seed, say) would be refused or wrapped.
pub(crate) const SEED_RANGE: u64 = 1 << 31;

/// The sampling seed of one request: the first bytes of SHA-256(run seed, the request's content:
/// its model, messages and merged parameters without a seed, as JSON; never its endpoint),
/// kept below 2^31 so every provider takes it (llama.cpp's seed is 32-bit, Gemini's a signed int32).
pub fn derive_seed(run_seed: u64, content: &str) -> u64 {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(b"trustgen-request-seed");
    hasher.update(run_seed.to_le_bytes());
    hasher.update(content.as_bytes());
    let digest = hasher.finalize();
    let mut bytes = [0; 8];
    bytes.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(bytes) % SEED_RANGE
}
