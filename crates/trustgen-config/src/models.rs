//! `[models.<role>]`: typed roles and providers, and the one place a model table is checked.

use std::ops::Range;
use std::path::PathBuf;

use serde::Deserialize;
use toml::Spanned;
use trustgen_plugin_api::ModelRole;

use crate::bounds;
use crate::error::suggestion;

/// A model role a suite configures: `[models.<role>]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// The model under evaluation.
    Target,
    /// The model that writes test cases and variations.
    Generator,
    /// The model that grades answers.
    Judge,
    /// The sentence-embedding model.
    Embedder,
    /// The retrieval source.
    Retriever,
    /// The text-to-image model that draws generated cases' images.
    ImageGenerator,
}

impl Role {
    /// Every role, in a fixed order.
    pub const ALL: [Role; 6] =
        [Role::Target, Role::Generator, Role::Judge, Role::Embedder, Role::Retriever, Role::ImageGenerator];

    /// The name used in suite files.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Target => "target",
            Role::Generator => "generator",
            Role::Judge => "judge",
            Role::Embedder => "embedder",
            Role::Retriever => "retriever",
            Role::ImageGenerator => "image_generator",
        }
    }

    /// Parses [`Role::as_str`].
    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// The plugin API's role (what plugins name in their requests).
    pub const fn model_role(self) -> ModelRole {
        match self {
            Role::Target => ModelRole::Target,
            Role::Generator => ModelRole::Generator,
            Role::Judge => ModelRole::Judge,
            Role::Embedder => ModelRole::Embedder,
            Role::Retriever => ModelRole::Retriever,
            Role::ImageGenerator => ModelRole::ImageGenerator,
        }
    }

    /// The providers that can serve this role.
    pub fn providers(self) -> &'static [ProviderKind] {
        match self {
            Role::Retriever => &[ProviderKind::Corpus, ProviderKind::HttpSearch],
            // Image generation is an HTTP images API; the embedded models draw nothing.
            Role::ImageGenerator => &[ProviderKind::OpenAi, ProviderKind::Azure],
            _ => &[
                ProviderKind::OpenAi,
                ProviderKind::Azure,
                ProviderKind::Anthropic,
                ProviderKind::Gemini,
                ProviderKind::Embedded,
            ],
        }
    }

    /// Whether the role names a model-type plugin (`type = "llm"`); the embedder, the
    /// retriever and the image generator (which answers raw image requests) do not.
    pub const fn has_model_type(self) -> bool {
        !matches!(self, Role::Embedder | Role::Retriever | Role::ImageGenerator)
    }
}

impl From<Role> for ModelRole {
    fn from(role: Role) -> ModelRole {
        role.model_role()
    }
}

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

/// The embedded model a role gets when the suite names none.
pub fn default_embedded_model(role: ModelRole) -> &'static str {
    match role {
        ModelRole::Embedder => "all-minilm-l6-v2",
        _ => "smollm2-135m-instruct",
    }
}

/// A checked `[models.<role>]` table.
///
/// Every rule about which keys a provider needs, which it does not use and which values are in
/// range was applied when the suite was parsed; a `ModelConfig` is a table that can work.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelConfig {
    /// The role.
    pub role: Role,
    /// Where the role's name is in the suite text.
    pub span: Range<usize>,
    /// Model type (`llm`, `vlm`, `t2i`): names a model-type plugin (checked against the registry).
    pub model_type: Spanned<String>,
    /// The provider (allowed for the role).
    pub provider: ProviderKind,
    /// Model identifier: as written, or the provider's default (azure: the deployment; embedded:
    /// the role's default model; corpus: the file name; http: `search`).
    pub model: String,
    /// Endpoint base URL (an http(s) URL without a trailing slash); `None`: the provider's default.
    pub base_url: Option<String>,
    /// Name of the environment variable holding the API key (never the key).
    pub api_key_env: Option<String>,
    /// Azure API version.
    pub api_version: Option<String>,
    /// Azure deployment name (set for azure).
    pub deployment: Option<String>,
    /// The embedded model's weights or the corpus file, as written (relative to the suite file).
    pub path: Option<PathBuf>,
    /// Sampling temperature (0..=2).
    pub temperature: Option<f64>,
    /// Nucleus sampling (0, 1].
    pub top_p: Option<f64>,
    /// Maximum tokens to generate ([`bounds::MAX_TOKENS`]).
    pub max_tokens: Option<u32>,
    /// Provider sampling seed.
    pub seed: Option<u64>,
    /// Stop sequences.
    pub stop: Vec<String>,
    /// Requests in flight at once for this model ([`bounds::MODEL_CONCURRENCY`]).
    pub concurrency: Option<usize>,
    /// Requests-per-minute limit ([`bounds::REQUESTS_PER_MINUTE`]).
    pub requests_per_minute: Option<u32>,
    /// Tokens-per-minute limit ([`bounds::TOKENS_PER_MINUTE`]).
    pub tokens_per_minute: Option<u32>,
    /// Seconds one request may take ([`bounds::TIMEOUT_SECS`]).
    pub timeout_secs: Option<u64>,
    /// Retries of a retryable failure ([`bounds::MAX_RETRIES`]).
    pub max_retries: Option<u32>,
    /// The most one request may wait in total between its retries (`Retry-After` included), in
    /// seconds (1 to [`MAX_RETRY_WAIT_SECS`]).
    pub max_retry_wait_secs: Option<u64>,
    /// The largest reply body read from the provider, in bytes (at least 1; HTTP providers only).
    pub max_reply_bytes: Option<u64>,
    /// Price per million input tokens (any currency; reports say "cost").
    pub input_price_per_million: Option<f64>,
    /// Price per million output tokens.
    pub output_price_per_million: Option<f64>,
    /// Whether the model can follow judge templates (defaults to true except for the embedded
    /// model).
    pub capable: Option<bool>,
}

/// The largest `max_retry_wait_secs` (one day): a longer budget is a mistake, not a plan.
pub const MAX_RETRY_WAIT_SECS: u64 = 86_400;

/// `[models.<role>]` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawModel {
    #[serde(rename = "type", default = "default_type")]
    model_type: Spanned<String>,
    provider: Spanned<String>,
    #[serde(default)]
    model: Option<Spanned<String>>,
    #[serde(default)]
    base_url: Option<Spanned<String>>,
    #[serde(default)]
    api_key_env: Option<Spanned<String>>,
    #[serde(default)]
    api_version: Option<Spanned<String>>,
    #[serde(default)]
    deployment: Option<Spanned<String>>,
    #[serde(default)]
    path: Option<Spanned<PathBuf>>,
    #[serde(default)]
    temperature: Option<Spanned<f64>>,
    #[serde(default)]
    top_p: Option<Spanned<f64>>,
    #[serde(default)]
    max_tokens: Option<Spanned<u32>>,
    #[serde(default)]
    seed: Option<u64>,
    #[serde(default)]
    stop: Vec<String>,
    #[serde(default)]
    concurrency: Option<Spanned<usize>>,
    #[serde(default)]
    requests_per_minute: Option<Spanned<u32>>,
    #[serde(default)]
    tokens_per_minute: Option<Spanned<u32>>,
    #[serde(default)]
    timeout_secs: Option<Spanned<u64>>,
    #[serde(default)]
    max_retries: Option<Spanned<u32>>,
    #[serde(default)]
    max_retry_wait_secs: Option<Spanned<u64>>,
    #[serde(default)]
    max_reply_bytes: Option<Spanned<u64>>,
    #[serde(default)]
    input_price_per_million: Option<Spanned<f64>>,
    #[serde(default)]
    output_price_per_million: Option<Spanned<f64>>,
    #[serde(default)]
    capable: Option<bool>,
}

fn default_type() -> Spanned<String> {
    Spanned::new(0..0, "llm".to_string())
}

/// A problem found in a model table: where, what, and a hint.
pub(crate) type Problem = (Range<usize>, String, Option<String>);

fn value<T: Clone>(field: &Option<Spanned<T>>) -> Option<T> {
    field.as_ref().map(|s| s.get_ref().clone())
}

/// Checks one `[models.<role>]` table (the role's name at `role_span`) and resolves its defaults;
/// every problem is reported, not just the first.
pub(crate) fn check_model(role: Role, role_span: Range<usize>, raw: &RawModel) -> Result<ModelConfig, Vec<Problem>> {
    let table = format!("[models.{}]", role.as_str());
    let mut problems: Vec<Problem> = Vec::new();
    let allowed = role.providers();
    let allowed_names: Vec<&str> = allowed.iter().map(|k| k.as_str()).collect();
    let name = raw.provider.get_ref().as_str();
    let provider = match ProviderKind::parse(name) {
        Some(kind) if allowed.contains(&kind) => kind,
        Some(_) => {
            problems.push((
                raw.provider.span(),
                format!("provider `{name}` cannot serve the {} role in {table}", role.as_str()),
                suggestion("", &allowed_names),
            ));
            return Err(problems);
        }
        None => {
            let mut hint = suggestion(name, &allowed_names);
            if name.eq_ignore_ascii_case("bing") {
                hint = Some(format!(
                    "{} (the Bing Search API was retired on 2025-08-11; `http` takes any JSON search API)",
                    hint.unwrap_or_default()
                ));
            }
            problems.push((raw.provider.span(), format!("unknown provider `{name}` for {table}"), hint));
            return Err(problems);
        }
    };
    let p = provider.as_str();

    // Keys a provider has no use for are errors: a silently ignored key is a misconfiguration.
    let http = provider.is_http();
    let mut unused = |span: Option<Range<usize>>, key: &str, used: bool| {
        if let Some(span) = span
            && !used
        {
            problems.push((span, format!("provider `{p}` does not use `{key}` in {table}"), Some("remove it".into())));
        }
    };
    unused(raw.base_url.as_ref().map(Spanned::span), "base_url", http);
    unused(raw.api_key_env.as_ref().map(Spanned::span), "api_key_env", http);
    unused(raw.max_reply_bytes.as_ref().map(Spanned::span), "max_reply_bytes", http);
    unused(raw.api_version.as_ref().map(Spanned::span), "api_version", provider == ProviderKind::Azure);
    unused(raw.deployment.as_ref().map(Spanned::span), "deployment", provider == ProviderKind::Azure);
    unused(
        raw.path.as_ref().map(Spanned::span),
        "path",
        matches!(provider, ProviderKind::Embedded | ProviderKind::Corpus),
    );

    let mut missing = |key: &str, hint: &str| {
        problems.push((role_span.clone(), format!("provider `{p}` needs `{key}` in {table}"), Some(hint.to_owned())));
    };
    let base_url = raw.base_url.as_ref().map(|u| u.get_ref().trim().trim_end_matches('/').to_owned());
    let model_given = raw.model.as_ref().map(|m| m.get_ref().trim().to_owned()).filter(|m| !m.is_empty());
    let deployment = value(&raw.deployment).filter(|d| !d.trim().is_empty());
    let model = match provider {
        ProviderKind::OpenAi | ProviderKind::Anthropic | ProviderKind::Gemini => {
            model_given.clone().unwrap_or_else(|| {
                let example = match provider {
                    ProviderKind::Anthropic => "claude-3-5-haiku-latest",
                    ProviderKind::Gemini => "gemini-2.0-flash",
                    _ => "gpt-4o-mini",
                };
                missing("model", &format!("add e.g. `model = \"{example}\"`"));
                String::new()
            })
        }
        ProviderKind::Azure => {
            if deployment.is_none() {
                missing("deployment", "add `deployment = \"<your deployment name>\"`");
            }
            if base_url.is_none() {
                missing("base_url", "add `base_url = \"https://<resource>.openai.azure.com\"`");
            }
            model_given.clone().or_else(|| deployment.clone()).unwrap_or_default()
        }
        ProviderKind::Embedded => {
            model_given.clone().unwrap_or_else(|| default_embedded_model(role.model_role()).to_owned())
        }
        ProviderKind::Corpus => match &raw.path {
            None => {
                missing("path", "add `path = \"corpus.jsonl\"` (one {title, text, url} object per line)");
                String::new()
            }
            Some(path) => model_given.clone().unwrap_or_else(|| {
                path.get_ref().file_name().map_or_else(|| "corpus".to_owned(), |n| n.to_string_lossy().into_owned())
            }),
        },
        ProviderKind::HttpSearch => {
            if base_url.is_none() {
                missing("base_url", "add the search endpoint, e.g. `base_url = \"https://search.example.com/api\"`");
            }
            model_given.clone().unwrap_or_else(|| "search".to_owned())
        }
    };

    let mut invalid = |span: Range<usize>, key: &str, problem: String| {
        problems.push((span, format!("invalid `{key}` in {table}: {problem}"), None));
    };
    if let (Some(url), Some(spanned)) = (&base_url, &raw.base_url) {
        let ok = url::Url::parse(url)
            .is_ok_and(|parsed| matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some());
        if !ok {
            invalid(
                spanned.span(),
                "base_url",
                format!("`{url}` is not an http(s) URL, e.g. https://api.example.com/v1"),
            );
        }
    }
    if let Some(t) = &raw.temperature
        && !(0.0..=2.0).contains(t.get_ref())
    {
        invalid(t.span(), "temperature", format!("{} is outside 0..=2", t.get_ref()));
    }
    if let Some(top_p) = &raw.top_p {
        let v = *top_p.get_ref();
        if !(v > 0.0 && v <= 1.0) {
            invalid(top_p.span(), "top_p", format!("{v} is outside (0, 1]"));
        }
    }
    if let Some(wait) = &raw.max_retry_wait_secs
        && !(1..=MAX_RETRY_WAIT_SECS).contains(wait.get_ref())
    {
        invalid(
            wait.span(),
            "max_retry_wait_secs",
            format!("{} is outside 1..={MAX_RETRY_WAIT_SECS} (one day)", wait.get_ref()),
        );
    }
    if let Some(m) = &raw.max_reply_bytes
        && *m.get_ref() == 0
    {
        invalid(m.span(), "max_reply_bytes", "must be at least 1 (e.g. 8388608 for 8 MiB)".to_owned());
    }
    for (key, price) in [
        ("input_price_per_million", &raw.input_price_per_million),
        ("output_price_per_million", &raw.output_price_per_million),
    ] {
        if let Some(price) = price {
            let v = *price.get_ref();
            if !(v.is_finite() && v >= 0.0) {
                invalid(price.span(), key, format!("{v} is not a price"));
            }
        }
    }
    for problem in [
        bounds::check(&bounds::MAX_TOKENS, &table, raw.max_tokens.as_ref()),
        bounds::check(&bounds::MODEL_CONCURRENCY, &table, raw.concurrency.as_ref()),
        bounds::check(&bounds::REQUESTS_PER_MINUTE, &table, raw.requests_per_minute.as_ref()),
        bounds::check(&bounds::TOKENS_PER_MINUTE, &table, raw.tokens_per_minute.as_ref()),
        bounds::check(&bounds::TIMEOUT_SECS, &table, raw.timeout_secs.as_ref()),
        bounds::check(&bounds::MAX_RETRIES, &table, raw.max_retries.as_ref()),
    ]
    .into_iter()
    .flatten()
    {
        problems.push(problem);
    }
    if !problems.is_empty() {
        problems.sort_by_key(|(span, _, _)| span.start);
        return Err(problems);
    }
    Ok(ModelConfig {
        role,
        span: role_span,
        model_type: raw.model_type.clone(),
        provider,
        model,
        base_url,
        api_key_env: value(&raw.api_key_env),
        api_version: value(&raw.api_version),
        deployment,
        path: value(&raw.path),
        temperature: value(&raw.temperature),
        top_p: value(&raw.top_p),
        max_tokens: value(&raw.max_tokens),
        seed: raw.seed,
        stop: raw.stop.clone(),
        concurrency: value(&raw.concurrency),
        requests_per_minute: value(&raw.requests_per_minute),
        tokens_per_minute: value(&raw.tokens_per_minute),
        timeout_secs: value(&raw.timeout_secs),
        max_retries: value(&raw.max_retries),
        max_retry_wait_secs: value(&raw.max_retry_wait_secs),
        max_reply_bytes: value(&raw.max_reply_bytes),
        input_price_per_million: value(&raw.input_price_per_million),
        output_price_per_million: value(&raw.output_price_per_million),
        capable: raw.capable,
    })
}
