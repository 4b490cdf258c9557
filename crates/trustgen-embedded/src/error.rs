//! The one error type of the crate.

use std::path::PathBuf;

/// Everything that can go wrong while finding, downloading, loading or running an embedded model.
///
/// Messages name the file, key or parameter at fault and, where there is one, the command that fixes it.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    /// The model name is not in the registry.
    #[error("unknown embedded model `{name}`; known models: {known}")]
    UnknownModel {
        /// The name asked for.
        name: String,
        /// The names the registry knows, comma separated.
        known: String,
    },
    /// A file of a known model is not in the cache (or not at the explicit path).
    #[error("model file {} of `{model}` is missing; run `trustgen models pull {model}` to download it", path.display())]
    Missing {
        /// The registry name of the model.
        model: String,
        /// The file that was looked for.
        path: PathBuf,
    },
    /// A cached file does not have the expected sha256 (truncated, flipped bits or a different version).
    #[error(
        "model file {} of `{model}` is corrupt: sha256 {actual}, expected {expected}; \
         run `trustgen models pull {model}` to download it again",
        path.display()
    )]
    Corrupt {
        /// The registry name of the model.
        model: String,
        /// The file that failed the check.
        path: PathBuf,
        /// The sha256 found, hex.
        actual: String,
        /// The sha256 the registry pins, hex.
        expected: String,
    },
    /// Neither `TRUSTGEN_CACHE_DIR` nor a home directory is available to keep models in.
    #[error(
        "cannot find a cache directory for models (no home directory); set TRUSTGEN_CACHE_DIR to a writable directory"
    )]
    NoCacheDir,
    /// A file system operation failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done, e.g. "cannot read".
        action: &'static str,
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Every download route failed.
    #[error("cannot download model `{model}`: {reason}")]
    Download {
        /// The registry name of the model.
        model: String,
        /// What each route said, and how to fix it.
        reason: String,
    },
    /// A model file could be read but is not a usable model (bad GGUF, missing tensor, bad config).
    #[error("cannot load {}: {reason}", path.display())]
    Load {
        /// The file that could not be loaded.
        path: PathBuf,
        /// What was wrong with it.
        reason: String,
    },
    /// Tokenizing or detokenizing text failed.
    #[error("tokenizer error: {0}")]
    Tokenizer(String),
    /// The rendered prompt does not fit in the context window.
    #[error(
        "the prompt is {tokens} tokens but the model context holds {context}; \
         shorten the messages (one token is about four characters of English)"
    )]
    PromptTooLong {
        /// Tokens in the rendered chat prompt.
        tokens: usize,
        /// The usable context of the model.
        context: usize,
    },
    /// A generation parameter is out of range.
    #[error("invalid generation parameter `{name}`: {problem}")]
    InvalidParam {
        /// The parameter name, as in [`crate::GenerateParams`].
        name: &'static str,
        /// What is wrong and what is allowed.
        problem: String,
    },
    /// The tensor runtime failed during inference.
    #[error("inference failed in {stage}: {source}")]
    Inference {
        /// What the model was doing.
        stage: &'static str,
        /// The candle error.
        source: candle_core::Error,
    },
    /// The CPU cannot run this build.
    #[error(
        "this CPU lacks {missing}, but trustgen was built for x86-64-v3 (AVX2, FMA, F16C) so the embedded \
         model runs fast; for a portable build remove the `rustflags` line in .cargo/config.toml and rebuild \
         (the embedded model is then about 15x slower)"
    )]
    UnsupportedCpu {
        /// The missing features, comma separated.
        missing: String,
    },
}

impl EmbeddedError {
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        EmbeddedError::Io { action, path: path.into(), source }
    }

    pub(crate) fn inference(stage: &'static str) -> impl FnOnce(candle_core::Error) -> Self {
        move |source| EmbeddedError::Inference { stage, source }
    }
}
