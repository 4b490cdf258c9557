//! Engine errors.

use std::path::{Path, PathBuf};

/// An error that stops a run (or stops it from starting).
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The suite is invalid.
    #[error(transparent)]
    Suite(#[from] trustgen_config::SuiteErrors),
    /// Plugins could not be found or loaded.
    #[error(transparent)]
    Host(#[from] trustgen_host::HostError),
    /// A model could not be configured (e.g. a missing API key variable).
    #[error(transparent)]
    Config(#[from] trustgen_providers::ConfigError),
    /// A model failed in a way that will not get better (bad key, bad model,
    /// unreachable endpoint).
    #[error(transparent)]
    Fatal(#[from] trustgen_providers::FatalError),
    /// Models the run will use are not ready (keys, endpoints, model files), found before
    /// anything was sent.
    #[error(transparent)]
    Preflight(#[from] crate::preflight::PreflightError),
    /// The request cache could not be opened.
    #[error(transparent)]
    Cache(#[from] trustgen_providers::CacheError),
    /// The run directory could not be read or written.
    #[error(transparent)]
    RunDir(#[from] trustgen_rundir::RunDirError),
    /// A file could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done.
        action: &'static str,
        /// The OS error.
        source: std::io::Error,
    },
    /// A data file a task needs is missing or malformed.
    #[error("{0}")]
    Data(String),
    /// A plugin failed in a way that stops the run (e.g. it keeps timing out).
    #[error("{0}")]
    Plugin(String),
    /// The run directory cannot be resumed.
    #[error("{0}")]
    Resume(String),
    /// A resume found inputs that differ from the ones the run started with.
    #[error(
        "cannot resume {}: {} input(s) differ from the ones the run started with, so it would mix cases of \
         both versions:\n{}\nhint: restore the original inputs, or start a new run; \
         `trustgen run --resume <run directory> --allow-changed-data` continues anyway and records these \
         differences in manifest.json",
        dir.display(),
        changes.len(),
        changes.iter().map(|c| format!("  - {c}")).collect::<Vec<_>>().join("\n")
    )]
    ChangedInputs {
        /// The run directory.
        dir: PathBuf,
        /// What differs.
        changes: Vec<trustgen_rundir::InputChange>,
    },
    /// Anything else that stops a run before it starts.
    #[error("{0}")]
    Invalid(String),
}

impl EngineError {
    pub(crate) fn io(path: &Path, action: &'static str, source: std::io::Error) -> EngineError {
        EngineError::Io { path: path.to_owned(), action, source }
    }
}
