//! The errors of this crate: configuration, fatal run errors, cache errors, and the internal
//! classification of a failed attempt.

use std::path::PathBuf;
use std::time::Duration;

use trustgen_plugin_api::ModelRole;

use crate::spec::ProviderKind;

/// A model configuration that cannot work in this process (a key variable that is not set, a
/// provider this build lacks). Raised before any request is sent; what a suite's `[models.<role>]`
/// table says is checked when trustgen-config parses it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    /// A key the provider needs is missing.
    #[error("[models.{role}]: provider `{provider}` needs `{field}`; hint: {hint}")]
    MissingField {
        /// The role's table.
        role: String,
        /// The provider.
        provider: String,
        /// The missing key.
        field: &'static str,
        /// What to write.
        hint: String,
    },
    /// A value is out of range or malformed.
    #[error("[models.{role}]: invalid `{field}`: {problem}")]
    Invalid {
        /// The role's table.
        role: String,
        /// The key.
        field: &'static str,
        /// What is wrong and what is allowed.
        problem: String,
    },
    /// The environment variable that should hold the API key is not set (or empty).
    #[error(
        "[models.{role}] ({provider} model `{model}`): the API key variable `{var}` (api_key_env) is {state}; \
         hint: export {var}=... before the run, or point api_key_env at the variable that holds the key"
    )]
    MissingKey {
        /// The role's table.
        role: String,
        /// The provider.
        provider: String,
        /// The model.
        model: String,
        /// The variable's name (never its value).
        var: String,
        /// `not set` or `empty`.
        state: &'static str,
    },
    /// Two specs for the same role.
    #[error("[models.{role}] is configured twice; hint: keep one table per role")]
    DuplicateRole {
        /// The role.
        role: String,
    },
    /// The embedded provider was asked for but this build has no embedded models.
    #[error(
        "[models.{role}]: provider `embedded` is not compiled into this build; \
         hint: rebuild with the `embedded` cargo feature of trustgen-providers"
    )]
    EmbeddedNotCompiled {
        /// The role's table.
        role: String,
    },
    /// The HTTP client could not be built (TLS roots, proxy settings).
    #[error("[models.{role}]: cannot build the HTTP client: {reason}")]
    HttpClient {
        /// The role's table.
        role: String,
        /// The underlying error.
        reason: String,
    },
}

/// What kind of provider answer stops the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FatalKind {
    /// 401/403 or an invalid-key error: every request will fail the same way.
    Auth,
    /// 404: the model or deployment does not exist.
    UnknownModel,
    /// 400/422 that is not a content filter: the request shape is wrong for this provider.
    BadRequest,
    /// No credit or quota left (402, 429 `insufficient_quota`).
    Quota,
}

impl FatalKind {
    fn describe(self) -> &'static str {
        match self {
            FatalKind::Auth => "rejected the API key",
            FatalKind::UnknownModel => "does not know the model",
            FatalKind::BadRequest => "rejected the request as malformed",
            FatalKind::Quota => "has no quota left",
        }
    }

    fn hint(self, provider: ProviderKind, key_env: Option<&str>) -> String {
        match self {
            FatalKind::Auth => match key_env {
                Some(var) => format!("check that `{var}` holds a valid key for this endpoint"),
                None => "this endpoint needs a key: set api_key_env to the variable that holds it".to_owned(),
            },
            FatalKind::UnknownModel => match provider {
                ProviderKind::Azure => "check `deployment`, `base_url` and `api_version`".to_owned(),
                _ => "check `model` and `base_url` (list the endpoint's models to see the exact name)".to_owned(),
            },
            FatalKind::BadRequest => "the provider's message above names the field; fix the parameter in the \
                 suite (e.g. a parameter this model does not accept)"
                .to_owned(),
            FatalKind::Quota => {
                "add credit or raise the quota, then resume the run with `trustgen run --resume`".to_owned()
            }
        }
    }
}

/// A provider answer that means every further request would fail too.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderFatal {
    /// What went wrong.
    pub kind: FatalKind,
    /// The role whose model failed.
    pub role: ModelRole,
    /// The provider.
    pub provider: ProviderKind,
    /// The model (Azure: the deployment).
    pub model: String,
    /// The variable the key came from (never the key).
    pub key_env: Option<String>,
    /// The HTTP status.
    pub status: Option<u16>,
    /// The provider's message, with the key scrubbed out.
    pub message: String,
}

impl std::fmt::Display for ProviderFatal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let status = self.status.map_or_else(|| "-".to_owned(), |s| s.to_string());
        let key = self.key_env.as_deref().map_or_else(|| "no key variable".to_owned(), |v| format!("key from `{v}`"));
        write!(
            f,
            "[models.{}] {} model `{}` {} (HTTP {status}, {key}): {}; hint: {}",
            self.role.as_str(),
            self.provider.as_str(),
            self.model,
            self.kind.describe(),
            self.message,
            self.kind.hint(self.provider, self.key_env.as_deref()),
        )
    }
}

impl std::error::Error for ProviderFatal {}

/// An error that stops the run early (nothing after it could succeed).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FatalError {
    /// The provider rejected the key, the model, the request shape, or has no quota.
    #[error(transparent)]
    Provider(#[from] ProviderFatal),
    /// An HTTP endpoint cannot be reached (preflight).
    #[error(
        "[models.{role}] {provider} model `{model}`: cannot connect to {url}: {reason}; \
         hint: check `base_url` and that the server is running and reachable from here"
    )]
    Unreachable {
        /// The role.
        role: String,
        /// The provider.
        provider: String,
        /// The model.
        model: String,
        /// The base URL.
        url: String,
        /// What failed (DNS, refused, timeout).
        reason: String,
    },
    /// The embedded model cannot be found or loaded (the message carries the fix command).
    #[error("[models.{role}] embedded model `{model}`: {message}")]
    Embedded {
        /// The role.
        role: String,
        /// The registry name of the model.
        model: String,
        /// The embedded crate's error, e.g. with `trustgen models pull <name>`.
        message: String,
    },
    /// The retriever's corpus cannot be read.
    #[error("[models.{role}] corpus {}: {message}", path.display())]
    Corpus {
        /// The role.
        role: String,
        /// The corpus file.
        path: PathBuf,
        /// What is wrong, with the line number.
        message: String,
    },
    /// A plugin asked for a role the suite does not configure.
    #[error(
        "a plugin asked for the {role} model, but the suite has no [models.{role}]; hint: add that table to the suite"
    )]
    NotConfigured {
        /// The role.
        role: String,
    },
    /// The provider cannot serve this kind of request (e.g. image generation from Anthropic).
    #[error(
        "[models.{role}] {provider} model `{model}` cannot serve {request} requests; \
         hint: configure a provider that can (see the trustgen-providers docs)"
    )]
    Unsupported {
        /// The role.
        role: String,
        /// The provider.
        provider: String,
        /// The model.
        model: String,
        /// `chat`, `image`, `embed` or `retrieve`.
        request: &'static str,
    },
}

/// The response cache cannot be opened, read or written.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// No cache directory: no `TRUSTGEN_CACHE_DIR` and no home directory.
    #[error("cannot find a cache directory (no home directory); hint: set TRUSTGEN_CACHE_DIR to a writable directory")]
    NoCacheDir,
    /// A directory or file operation failed.
    #[error("cache {}: {action}: {source}; hint: check permissions or set TRUSTGEN_CACHE_DIR", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What was attempted.
        action: &'static str,
        /// The OS error.
        source: std::io::Error,
    },
    /// SQLite refused.
    #[error("cache {}: {action}: {source}; hint: delete the file to start an empty cache", path.display())]
    Sql {
        /// The database file.
        path: PathBuf,
        /// What was attempted.
        action: &'static str,
        /// The SQLite error.
        source: rusqlite::Error,
    },
    /// The writer thread is gone (it panicked or the cache is shutting down).
    #[error("cache {}: the writer thread has stopped", path.display())]
    WriterGone {
        /// The database file.
        path: PathBuf,
    },
}

/// How one attempt at a request failed, which decides what happens next.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Failure {
    /// Transient (429, 5xx, timeout, dropped connection, malformed body): try again, after
    /// `retry_after` when the server said so.
    Retryable {
        /// What happened.
        reason: String,
        /// The server's `Retry-After` / `retry-after-ms`.
        retry_after: Option<Duration>,
    },
    /// This request cannot succeed, but others may (prompt too long, unreadable image).
    PerCase(String),
    /// Nothing will succeed: stop the run.
    Fatal {
        /// Which kind.
        kind: FatalKind,
        /// The HTTP status.
        status: Option<u16>,
        /// The provider's message (key scrubbed).
        message: String,
    },
    /// Already a complete fatal error (embedded load, unsupported request).
    Stop(FatalError),
}

impl Failure {
    pub(crate) fn retry(reason: impl Into<String>) -> Failure {
        Failure::Retryable { reason: reason.into(), retry_after: None }
    }
}
