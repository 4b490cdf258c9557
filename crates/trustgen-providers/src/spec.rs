//! What one configured model is: provider, endpoint, defaults, limits and price, read from a suite's
//! `[models.<role>]` table.

use std::path::{Path, PathBuf};
use std::time::Duration;

use trustgen_host::suite::ModelConfig;
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
/// Seconds one HTTP request may take unless the suite says otherwise.
pub const DEFAULT_TIMEOUT_SECS: u64 = 120;
/// Retries of a retryable failure unless the suite says otherwise.
pub const DEFAULT_MAX_RETRIES: u32 = 5;

/// The kinds of provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProviderKind {
    /// Any OpenAI-compatible endpoint (`POST {base_url}/chat/completions`).
    OpenAi,
    /// Azure OpenAI (`/openai/deployments/{deployment}/...`).
    Azure,
    /// Anthropic Messages API.
    Anthropic,
    /// Google Gemini `generateContent`.
    Gemini,
    /// The in-process SmolLM2 / MiniLM models.
    Embedded,
    /// BM25 over a local JSONL corpus (retriever).
    Corpus,
    /// A generic JSON search API (retriever).
    HttpSearch,
}

impl ProviderKind {
    /// Every kind, in a fixed order.
    pub const ALL: [ProviderKind; 7] = [
        ProviderKind::OpenAi,
        ProviderKind::Azure,
        ProviderKind::Anthropic,
        ProviderKind::Gemini,
        ProviderKind::Embedded,
        ProviderKind::Corpus,
        ProviderKind::HttpSearch,
    ];

    /// The name used in suite files.
    pub const fn as_str(self) -> &'static str {
        match self {
            ProviderKind::OpenAi => "openai",
            ProviderKind::Azure => "azure",
            ProviderKind::Anthropic => "anthropic",
            ProviderKind::Gemini => "gemini",
            ProviderKind::Embedded => "embedded",
            ProviderKind::Corpus => "corpus",
            ProviderKind::HttpSearch => "http",
        }
    }

    /// Parses [`ProviderKind::as_str`].
    pub fn parse(name: &str) -> Option<ProviderKind> {
        ProviderKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// True for the retrieval sources (the retriever role).
    pub const fn is_retriever(self) -> bool {
        matches!(self, ProviderKind::Corpus | ProviderKind::HttpSearch)
    }

    /// True when requests go over HTTP (and the endpoint is checked at preflight).
    pub const fn is_http(self) -> bool {
        !matches!(self, ProviderKind::Embedded | ProviderKind::Corpus)
    }
}

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
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            concurrency: None,
            requests_per_minute: None,
            tokens_per_minute: None,
            timeout: Duration::from_secs(DEFAULT_TIMEOUT_SECS),
            max_retries: DEFAULT_MAX_RETRIES,
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

    /// Reads `[models.<role>]`. Relative paths are resolved against `suite_dir`.
    ///
    /// Defaults: `openai` talks to api.openai.com with `OPENAI_API_KEY` unless `base_url` is set (an
    /// OpenAI-compatible server such as vLLM or Ollama needs no key unless `api_key_env` says so);
    /// `anthropic`, `gemini` and `azure` read `ANTHROPIC_API_KEY`, `GEMINI_API_KEY` and
    /// `AZURE_OPENAI_API_KEY` unless `api_key_env` names another variable; `azure` needs `base_url` and
    /// `deployment` and uses api-version [`AZURE_API_VERSION`]; `embedded` defaults to
    /// `smollm2-135m-instruct` (`all-minilm-l6-v2` for the embedder role); `corpus` needs `path`; `http`
    /// needs `base_url`.
    pub fn from_config(role: ModelRole, cfg: &ModelConfig, suite_dir: &Path) -> Result<ModelSpec, ConfigError> {
        let role_name = role.as_str().to_owned();
        let provider_name = cfg.provider.get_ref().as_str();
        let allowed: &[ProviderKind] = if role == ModelRole::Retriever {
            &[ProviderKind::Corpus, ProviderKind::HttpSearch]
        } else {
            &[
                ProviderKind::OpenAi,
                ProviderKind::Azure,
                ProviderKind::Anthropic,
                ProviderKind::Gemini,
                ProviderKind::Embedded,
            ]
        };
        let allowed_list = || allowed.iter().map(|k| format!("`{}`", k.as_str())).collect::<Vec<_>>().join(", ");
        let provider = match ProviderKind::parse(provider_name) {
            Some(kind) if allowed.contains(&kind) => kind,
            Some(_) => {
                return Err(ConfigError::WrongRole {
                    role: role_name,
                    provider: provider_name.to_owned(),
                    allowed: allowed_list(),
                });
            }
            None => {
                let mut known = allowed_list();
                if provider_name.eq_ignore_ascii_case("bing") {
                    known
                        .push_str(" (the Bing Search API was retired on 2025-08-11; `http` takes any JSON search API)");
                }
                return Err(ConfigError::UnknownProvider {
                    role: role_name,
                    provider: provider_name.to_owned(),
                    known,
                });
            }
        };
        let missing = |field: &'static str, hint: &str| ConfigError::MissingField {
            role: role_name.clone(),
            provider: provider.as_str().to_owned(),
            field,
            hint: hint.to_owned(),
        };
        let unused = |field: &'static str| ConfigError::UnusedField {
            role: role_name.clone(),
            provider: provider.as_str().to_owned(),
            field,
        };

        // Fields a provider has no use for are errors: a silently ignored key is a misconfiguration.
        let http = provider.is_http();
        if !http && cfg.base_url.is_some() {
            return Err(unused("base_url"));
        }
        if !http && cfg.api_key_env.is_some() {
            return Err(unused("api_key_env"));
        }
        if provider != ProviderKind::Azure && cfg.api_version.is_some() {
            return Err(unused("api_version"));
        }
        if provider != ProviderKind::Azure && cfg.deployment.is_some() {
            return Err(unused("deployment"));
        }
        if !matches!(provider, ProviderKind::Embedded | ProviderKind::Corpus) && cfg.path.is_some() {
            return Err(unused("path"));
        }

        let base_url = cfg.base_url.as_deref().map(|u| u.trim().trim_end_matches('/').to_owned());
        if let Some(url) = &base_url {
            match reqwest::Url::parse(url) {
                Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some() => {}
                _ => {
                    return Err(ConfigError::Invalid {
                        role: role_name,
                        field: "base_url",
                        problem: format!("`{url}` is not an http(s) URL, e.g. https://api.example.com/v1"),
                    });
                }
            }
        }
        let path = cfg.path.as_ref().map(|p| if p.is_absolute() { p.clone() } else { suite_dir.join(p) });

        let model = match provider {
            ProviderKind::OpenAi | ProviderKind::Anthropic | ProviderKind::Gemini => match &cfg.model {
                Some(m) if !m.trim().is_empty() => m.trim().to_owned(),
                _ => {
                    let example = match provider {
                        ProviderKind::Anthropic => "claude-3-5-haiku-latest",
                        ProviderKind::Gemini => "gemini-2.0-flash",
                        _ => "gpt-4o-mini",
                    };
                    return Err(missing("model", &format!("add e.g. `model = \"{example}\"`")));
                }
            },
            ProviderKind::Azure => {
                let Some(deployment) = cfg.deployment.as_deref().filter(|d| !d.trim().is_empty()) else {
                    return Err(missing("deployment", "add `deployment = \"<your deployment name>\"`"));
                };
                cfg.model.clone().unwrap_or_else(|| deployment.to_owned())
            }
            ProviderKind::Embedded => cfg.model.clone().unwrap_or_else(|| default_embedded_model(role).to_owned()),
            ProviderKind::Corpus => {
                let Some(path) = &path else {
                    return Err(missing(
                        "path",
                        "add `path = \"corpus.jsonl\"` (one {title, text, url} object per line)",
                    ));
                };
                cfg.model.clone().unwrap_or_else(|| {
                    path.file_name().map_or_else(|| "corpus".to_owned(), |n| n.to_string_lossy().into_owned())
                })
            }
            ProviderKind::HttpSearch => cfg.model.clone().unwrap_or_else(|| "search".to_owned()),
        };
        if provider == ProviderKind::Azure && base_url.is_none() {
            return Err(missing("base_url", "add `base_url = \"https://<resource>.openai.azure.com\"`"));
        }
        if provider == ProviderKind::HttpSearch && base_url.is_none() {
            return Err(missing(
                "base_url",
                "add the search endpoint, e.g. `base_url = \"https://search.example.com/api\"`",
            ));
        }
        if provider == ProviderKind::Embedded && !cfg!(feature = "embedded") {
            return Err(ConfigError::EmbeddedNotCompiled { role: role_name });
        }

        let api_key_env = cfg.api_key_env.clone().or_else(|| default_key_env(provider, base_url.is_some()));
        let api_version = match provider {
            ProviderKind::Azure => Some(cfg.api_version.clone().unwrap_or_else(|| AZURE_API_VERSION.to_owned())),
            _ => None,
        };

        let invalid =
            |field: &'static str, problem: String| ConfigError::Invalid { role: role_name.clone(), field, problem };
        if let Some(t) = cfg.temperature
            && !(0.0..=2.0).contains(&t)
        {
            return Err(invalid("temperature", format!("{t} is outside 0..=2")));
        }
        if let Some(p) = cfg.top_p
            && !(p > 0.0 && p <= 1.0)
        {
            return Err(invalid("top_p", format!("{p} is outside (0, 1]")));
        }
        if cfg.max_tokens == Some(0) {
            return Err(invalid("max_tokens", "must be at least 1".to_owned()));
        }
        if cfg.concurrency == Some(0) {
            return Err(invalid("concurrency", "must be at least 1".to_owned()));
        }
        if cfg.requests_per_minute == Some(0) {
            return Err(invalid("requests_per_minute", "must be at least 1 (remove it for no limit)".to_owned()));
        }
        if cfg.tokens_per_minute == Some(0) {
            return Err(invalid("tokens_per_minute", "must be at least 1 (remove it for no limit)".to_owned()));
        }
        for (field, price) in [
            ("input_price_per_million", cfg.input_price_per_million),
            ("output_price_per_million", cfg.output_price_per_million),
        ] {
            if let Some(p) = price
                && !(p.is_finite() && p >= 0.0)
            {
                return Err(invalid(field, format!("{p} is not a price")));
            }
        }

        let timeout = match cfg.timeout_secs {
            Some(secs) => Duration::from_secs(secs),
            None if http => Duration::from_secs(DEFAULT_TIMEOUT_SECS),
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
            model,
            model_type: cfg.model_type.get_ref().clone(),
            base_url,
            api_key_env,
            api_version,
            deployment: cfg.deployment.clone(),
            path,
            defaults: GenParams {
                temperature: cfg.temperature,
                top_p: cfg.top_p,
                max_tokens: cfg.max_tokens,
                seed: cfg.seed,
                stop: cfg.stop.clone(),
                json: false,
            },
            limits: Limits {
                concurrency: cfg.concurrency,
                requests_per_minute: cfg.requests_per_minute,
                tokens_per_minute: cfg.tokens_per_minute,
                timeout,
                max_retries: cfg.max_retries.unwrap_or(DEFAULT_MAX_RETRIES),
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

/// The embedded model a role gets when the suite names none.
pub fn default_embedded_model(role: ModelRole) -> &'static str {
    match role {
        ModelRole::Embedder => "all-minilm-l6-v2",
        _ => "smollm2-135m-instruct",
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
