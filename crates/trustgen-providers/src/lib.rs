//! The async model clients of trustgen: every [`ModelRequest`](trustgen_plugin_api::ModelRequest) a
//! plugin asks for is executed here, whatever the provider, and answered with one
//! [`ModelReply`](trustgen_plugin_api::ModelReply) shape.
//!
//! # Providers
//!
//! | `provider` | requests | endpoint |
//! |---|---|---|
//! | `openai` | chat, image, embed | any OpenAI-compatible server, `{base_url}/chat/completions`, `/images/generations`, `/embeddings` |
//! | `azure` | chat, image, embed | `{base_url}/openai/deployments/{deployment}/...?api-version=...` |
//! | `anthropic` | chat | `{base_url}/v1/messages` |
//! | `gemini` | chat | `{base_url}/v1beta/models/{model}:generateContent` |
//! | `embedded` | chat, embed | in process: SmolLM2-135M-Instruct and all-MiniLM-L6-v2 |
//! | `corpus` | retrieve | BM25 over a local JSONL file |
//! | `http` | retrieve | a generic JSON search API (Bing, which the original toolkit used, was retired in 2025) |
//!
//! The request formats, defaults and refusal shapes of each provider are documented in its module.
//! Images in chat requests are checked before sending against each provider's formats and size
//! limits, and their media type against their bytes (see `vision`): a failed check is a per-case
//! error naming the image, the limit and what to do; nothing is downscaled.
//! Defaults that change what is sent: Anthropic gets `max_tokens = 1024` and the embedded model
//! generates at most 256 tokens when neither the request nor the suite sets `max_tokens`.
//!
//! # Layers
//!
//! [`Clients::execute`] runs a request through the cache, the dry-run short cut, a per-model and a
//! global concurrency limit, requests- and tokens-per-minute buckets, a per-attempt timeout and
//! retries with seeded, fully jittered exponential backoff that honour `Retry-After` and
//! `retry-after-ms` (see `clients`, `limit`, `retry`).
//!
//! # Errors
//!
//! Every failed attempt is classified:
//!
//! - **retryable**: 408, 409, 425, 429, 5xx (529 included), timeouts, connection errors (dropped
//!   connections), and 2xx bodies that are not the expected JSON; after `max_retries` retries the
//!   request ends as a reply with status `error`;
//! - **per case**: a reply with status `error` at once: a prompt over the context length, an
//!   unreadable image or one over the provider's limits (checked before sending), a 413,
//!   embedded-model inference errors;
//! - **fatal** ([`FatalError`]; the run should stop): 401/403 and invalid keys, 404 (unknown model or
//!   deployment), other 400/422s (a request shape that will fail every time), 402 and
//!   `insufficient_quota`, unreachable endpoints at preflight, missing embedded model files.
//!
//! Content-filter refusals are neither: they are replies with status `content_filtered` and an
//! `error` saying what the provider blocked, never text.
//!
//! API keys are read from the environment variables the suite names, held in a type whose `Debug`
//! and `Display` print `[redacted]`, sent in headers marked sensitive, scrubbed from provider error
//! messages, and never part of cache keys or cached replies.
//!
//! # Cache
//!
//! [`Cache`] is a SQLite file shared across runs (`$TRUSTGEN_CACHE_DIR/cache.sqlite` or the user cache
//! directory), keyed by the SHA-256 of provider, model, endpoint, merged parameters and request (see
//! `request_key`). Only `ok` and `content_filtered` replies are stored.

mod anthropic;
mod cache;
mod clients;
#[cfg(feature = "embedded")]
mod embedded;
mod error;
mod gemini;
mod http;
mod images;
mod limit;
#[cfg(feature = "embedded")]
mod ocr;
mod openai;
mod request_key;
mod retriever;
mod retry;
mod secret;
mod spec;
mod vision;

pub use crate::anthropic::DEFAULT_MAX_TOKENS as ANTHROPIC_DEFAULT_MAX_TOKENS;

/// The model of the host's `ocr` role (`trustgen-ocr`; `trustgen models pull ppocrv5-mobile`).
pub const OCR_MODEL: &str = "ppocrv5-mobile";
pub use crate::cache::{Cache, CacheStats, FILE_NAME as CACHE_FILE_NAME, default_cache_dir};
pub use crate::clients::{
    ClientOptions, Clients, DRY_RUN_TEXT, ESTIMATE_MAX_TOKENS, Executed, PREFLIGHT_TIMEOUT, RetryObserver, RetryWait,
    UsageSnapshot, derive_seed,
};
#[cfg(feature = "embedded")]
pub use crate::embedded::DEFAULT_MAX_TOKENS as EMBEDDED_DEFAULT_MAX_TOKENS;
pub use crate::error::{CacheError, ConfigError, FatalError, FatalKind, ProviderFatal};
pub use crate::images::{ImageLoader, SharedImageLoader};
pub use crate::request_key::merge_params;
pub use crate::retry::{Backoff, MAX_RETRY_AFTER, retry_after};
pub use crate::spec::{
    ANTHROPIC_BASE_URL, AZURE_API_VERSION, DEFAULT_MAX_IMAGE_REPLY_BYTES, DEFAULT_MAX_REPLY_BYTES, DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_RETRY_WAIT_SECS, DEFAULT_TEMPERATURE, DEFAULT_TIMEOUT_SECS, GEMINI_BASE_URL, Limits, ModelSpec,
    OPENAI_BASE_URL, Price, ProviderKind, default_embedded_model,
};

#[cfg(test)]
mod tests;
