//! What one configured model is: provider, endpoint, defaults, limits and price, read from a suite's
//! checked `[models.<role>]` table (trustgen-config checks the table; this module only adds what
//! calling the provider needs: default endpoints and key variables, limits and price).

use std::path::{Path, PathBuf};
use std::time::Duration;

use trustgen_config::ModelConfig;
pub use trustgen_config::{ProviderKind, default_embedded_model};
use trustgen_plugin_api::{GenParams, ModelRole};

use crate::error::ConfigError;

/// Default endpoint of the `openai` provider.
pub const OPENAI_BASE_URL: &str = "https://api.openai.com/v1";
/// Default endpoint of the `anthropic` provider.
pub const ANTHROPIC_BASE_URL: &str = "https://api.anthropic.com";
/// Default endpoint of the `gemini` provider.
pub const GEMINI_BASE_URL: &str = "https://generativelanguage.googleapis.com";
/// Azure OpenAI `api-version` used when the suite sets none (the GA version of 2024-10-21).
pub const AZURE_API_VERSION: &str = "2024-10-21";
/// The sampling temperature a chat request is sent with when neither it nor the suite's
/// `[models.<role>]` table sets one: 0 (greedy), so an evaluation does not inherit a server's own
/// default (llama.cpp's is 0.8) and two runs of a suite get the same replies.
pub const DEFAULT_TEMPERATURE: f64 = 0.0;
/// Seconds one HTTP request may take unless the suite says otherwise.
pub const DEFAULT_TIMEOUT_SECS: u64 = 120;
/// Retries of a retryable failure unless the suite says otherwise.
pub const DEFAULT_MAX_RETRIES: u32 = 5;
/// The most one request waits in total between its retries unless the suite says otherwise.
pub const DEFAULT_MAX_RETRY_WAIT_SECS: u64 = 300;
/// The largest reply body read from a chat, embeddings or search endpoint unless the suite sets
/// `max_reply_bytes` (8 MiB: a long chat completion is well under 1 MiB).
pub const DEFAULT_MAX_REPLY_BYTES: u64 = 8 * 1024 * 1024;
/// The largest reply body read from an image endpoint (or an image download) unless the suite sets
/// `max_reply_bytes` (64 MiB: several large base64 images).
pub const DEFAULT_MAX_IMAGE_REPLY_BYTES: u64 = 64 * 1024 * 1024;

/// Limits of one configured model.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Requests in flight at once for this model (the global limit applies too).
    pub concurrency: Option<usize>,
    /// Requests started per minute.
    pub requests_per_minute: Option<u32>,
    /// Tokens per minute (estimated before sending, corrected with the real usage).
    pub tokens_per_minute: Option<u32>,
    /// How long one attempt may take; `Duration::ZERO` means no limit (the embedded default).
    pub timeout: Duration,
    /// Retries of a retryable failure (429, 5xx, timeouts, dropped connections, malformed bodies).
    pub max_retries: u32,
    /// The most one request waits in total between its retries, `Retry-After` included: when the
    /// next wait would pass it, the request ends as an error instead.
    pub max_retry_wait: Duration,
    /// The largest reply body read, in bytes; `None`: [`DEFAULT_MAX_REPLY_BYTES`], and
    /// [`DEFAULT_MAX_IMAGE_REPLY_BYTES`] for image generation and downloads. A larger reply is a
    /// per-case error stating its size; the body is read in chunks and never past the limit.
    pub max_reply_bytes: Option<u64>,
}

impl Limits {
    /// The byte limit of a chat, embeddings or search reply.
    pub fn reply_bytes(&self) -> u64 {
        self.max_reply_bytes.unwrap_or(DEFAULT_MAX_REPLY_BYTES)
    }

    /// The byte limit of an image generation reply or image download.
    pub fn image_reply_bytes(&self) -> u64 {
        self.max_reply_bytes.unwrap_or(DEFAULT_MAX_IMAGE_REPLY_BYTES)
    }
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            concurrency: None,
            requests_per_minute: None,
            tokens_per_minute: None,
            timeout: Duration::from_secs(DEFAULT_TIMEOUT_SECS),
            max_retries: DEFAULT_MAX_RETRIES,
            max_retry_wait: Duration::from_secs(DEFAULT_MAX_RETRY_WAIT_SECS),
            max_reply_bytes: None,
        }
    }
}

/// Price per million tokens (any currency; reports say "cost").
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Price {
    /// Per million prompt tokens.
    pub input_per_million: f64,
    /// Per million completion tokens.
    pub output_per_million: f64,
}

impl Price {
    /// The cost of these token counts.
    pub fn cost(&self, prompt_tokens: u64, completion_tokens: u64) -> f64 {
        (prompt_tokens as f64 * self.input_per_million + completion_tokens as f64 * self.output_per_million) / 1e6
    }
}

/// One configured model: everything needed to call it.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSpec {
    /// The role it serves.
    pub role: ModelRole,
    /// The provider.
    pub provider: ProviderKind,
    /// Model identifier (embedded: the registry name; corpus: the file name; http: `search` unless set).
    pub model: String,
    /// Model type (`llm`, `vlm`, `t2i`).
    pub model_type: String,
    /// Endpoint base URL; `None` means the provider's default (or no endpoint).
    pub base_url: Option<String>,
    /// The environment variable holding the API key (never the key).
    pub api_key_env: Option<String>,
    /// Azure `api-version`.
    pub api_version: Option<String>,
    /// Azure deployment.
    pub deployment: Option<String>,
    /// Embedded model weights or the corpus file (absolute, or relative to the working directory).
    pub path: Option<PathBuf>,
    /// Suite-level generation parameters; a request's own parameters win field by field.
    pub defaults: GenParams,
    /// Concurrency, rate limits, timeout and retries.
    pub limits: Limits,
    /// Token prices, when the suite gives them.
    pub price: Option<Price>,
    /// Whether the model can follow judge templates (`None`: true except for the embedded provider).
    pub capable: Option<bool>,
}

impl ModelSpec {
    /// A spec with the provider's defaults, for programmatic use and tests.
    pub fn new(role: ModelRole, provider: ProviderKind, model: impl Into<String>) -> ModelSpec {
        let mut limits = Limits::default();
        if !provider.is_http() {
            limits.timeout = Duration::ZERO;
        }
        ModelSpec {
            role,
            provider,
            model: model.into(),
            model_type: "llm".to_owned(),
            base_url: None,
            api_key_env: None,
            api_version: None,
            deployment: None,
            path: None,
            defaults: GenParams::default(),
            limits,
            price: None,
            capable: None,
        }
    }

    /// Reads a checked `[models.<role>]` table. Relative paths are resolved against `suite_dir`.
    ///
    /// Defaults: `openai` talks to api.openai.com with `OPENAI_API_KEY` unless `base_url` is set (an
    /// OpenAI-compatible server such as vLLM or Ollama needs no key unless `api_key_env` says so);
    /// `anthropic`, `gemini` and `azure` read `ANTHROPIC_API_KEY`, `GEMINI_API_KEY` and
    /// `AZURE_OPENAI_API_KEY` unless `api_key_env` names another variable; `azure` uses api-version
    /// [`AZURE_API_VERSION`] unless `api_version` is set. The only error is a table this build cannot
    /// serve: `embedded` without the `embedded` feature.
    pub fn from_config(cfg: &ModelConfig, suite_dir: &Path) -> Result<ModelSpec, ConfigError> {
        let role = cfg.role.model_role();
        let provider = cfg.provider;
        if provider == ProviderKind::Embedded && !cfg!(feature = "embedded") {
            return Err(ConfigError::EmbeddedNotCompiled { role: role.as_str().to_owned() });
        }
        let path = cfg.path.as_ref().map(|p| if p.is_absolute() { p.clone() } else { suite_dir.join(p) });
        let api_key_env = cfg.api_key_env.clone().or_else(|| default_key_env(provider, cfg.base_url.is_some()));
        let api_version = match provider {
            ProviderKind::Azure => Some(cfg.api_version.clone().unwrap_or_else(|| AZURE_API_VERSION.to_owned())),
            _ => None,
        };
        let timeout = match cfg.timeout_secs {
            Some(secs) => Duration::from_secs(secs),
            None if provider.is_http() => Duration::from_secs(DEFAULT_TIMEOUT_SECS),
            None => Duration::ZERO,
        };
        let price = match (cfg.input_price_per_million, cfg.output_price_per_million) {
            (None, None) => None,
            (input, output) => {
                Some(Price { input_per_million: input.unwrap_or(0.0), output_per_million: output.unwrap_or(0.0) })
            }
        };
        Ok(ModelSpec {
            role,
            provider,
            model: cfg.model.clone(),
            model_type: cfg.model_type.get_ref().clone(),
            base_url: cfg.base_url.clone(),
            api_key_env,
            api_version,
            deployment: cfg.deployment.clone(),
            path,
            defaults: GenParams::new()
                .with_temperature(cfg.temperature.unwrap_or(DEFAULT_TEMPERATURE))
                .with_top_p(cfg.top_p)
                .with_max_tokens(cfg.max_tokens)
                .with_seed(cfg.seed)
                .with_stop(cfg.stop.clone()),
            limits: Limits {
                concurrency: cfg.concurrency,
                requests_per_minute: cfg.requests_per_minute,
                tokens_per_minute: cfg.tokens_per_minute,
                timeout,
                max_retries: cfg.max_retries.unwrap_or(DEFAULT_MAX_RETRIES),
                max_retry_wait: Duration::from_secs(cfg.max_retry_wait_secs.unwrap_or(DEFAULT_MAX_RETRY_WAIT_SECS)),
                max_reply_bytes: cfg.max_reply_bytes,
            },
            price,
            capable: cfg.capable,
        })
    }

    /// The endpoint actually used: the configured base URL or the provider's default.
    pub fn effective_base_url(&self) -> Option<&str> {
        self.base_url.as_deref().or(match self.provider {
            ProviderKind::OpenAi => Some(OPENAI_BASE_URL),
            ProviderKind::Anthropic => Some(ANTHROPIC_BASE_URL),
            ProviderKind::Gemini => Some(GEMINI_BASE_URL),
            _ => None,
        })
    }

    /// Whether the model can follow judge templates.
    pub fn is_capable(&self) -> bool {
        self.capable.unwrap_or(self.provider != ProviderKind::Embedded)
    }
}

/// The conventional key variable of a provider.
fn default_key_env(provider: ProviderKind, custom_base_url: bool) -> Option<String> {
    let var = match provider {
        ProviderKind::OpenAi if !custom_base_url => "OPENAI_API_KEY",
        ProviderKind::Azure => "AZURE_OPENAI_API_KEY",
        ProviderKind::Anthropic => "ANTHROPIC_API_KEY",
        ProviderKind::Gemini => "GEMINI_API_KEY",
        _ => return None,
    };
    Some(var.to_owned())
}
