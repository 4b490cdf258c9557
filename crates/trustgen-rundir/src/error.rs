//! Errors reading and writing a run directory.

use std::path::{Path, PathBuf};

/// An error reading or writing a run directory. Every variant names the
/// file; a bad record names its line too.
#[derive(Debug, thiserror::Error)]
pub enum RunDirError {
    /// A file or directory could not be opened, read, written or renamed.
    #[error("cannot {action} {path}: {error}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What was being done (`read`, `write`, `create`, ...).
        action: &'static str,
        /// The OS error.
        error: std::io::Error,
    },
    /// Appending a record failed part-way (e.g. a full disk). The file was cut
    /// back to its length before the write, unless `rollback` says why not.
    #[error(
        "cannot write {path}: {error}; {}; hint: fix the cause (e.g. free disk space), then continue the run \
         with `trustgen run --resume <run directory>`",
        match rollback {
            None => "the unfinished record was removed, the file holds every earlier record".to_string(),
            Some(e) => format!("removing the unfinished record failed too ({e}); resuming removes it"),
        }
    )]
    Append {
        /// The file.
        path: PathBuf,
        /// The OS error of the write.
        error: std::io::Error,
        /// The OS error of cutting the file back, if that failed too.
        rollback: Option<std::io::Error>,
    },
    /// A line (JSONL) or a whole file (JSON) is not a record of the expected
    /// shape.
    #[error(
        "{path}:{line}: {message}; hint: run directory files are written by trustgen only; \
         restore the file from a copy or start a new run"
    )]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line (the parser's line for whole-file JSON).
        line: usize,
        /// The parser's message.
        message: String,
    },
    /// A record could not be turned into JSON (a bug, or a non-finite number
    /// in a place JSON cannot hold it).
    #[error("cannot serialize a record for {path}: {message}")]
    Serialize {
        /// The file it was meant for.
        path: PathBuf,
        /// The serializer's message.
        message: String,
    },
}

impl RunDirError {
    pub(crate) fn io(path: &Path, action: &'static str, error: std::io::Error) -> RunDirError {
        RunDirError::Io { path: path.to_owned(), action, error }
    }

    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            RunDirError::Io { path, .. }
            | RunDirError::Append { path, .. }
            | RunDirError::Parse { path, .. }
            | RunDirError::Serialize { path, .. } => path,
        }
    }
}
