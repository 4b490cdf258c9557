//! Errors of report generation.

use std::path::PathBuf;

use trustgen_rundir::RunDirError;

/// An error building or writing a report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A run directory could not be read, or an output could not be written.
    #[error(transparent)]
    RunDir(#[from] RunDirError),
    /// A directory given as a run has no readable manifest.
    #[error("{dir} is not a run directory ({message}); pass a directory written by `trustgen run`, e.g. runs/<run-id>")]
    NotARun {
        /// The directory.
        dir: PathBuf,
        /// What failed.
        message: String,
    },
    /// No run directory was given.
    #[error("no run to report on; pass one or more run directories, e.g. `trustgen report runs/<run-id>`")]
    NoRuns,
    /// A `--fail-under` threshold is malformed or names nothing in the runs.
    #[error("bad threshold `{threshold}`: {message}")]
    Threshold {
        /// The threshold as given.
        threshold: String,
        /// What is wrong, with a hint.
        message: String,
    },
    /// Two runs to compare were graded by different judges on some tasks.
    #[error(
        "cannot compare runs graded by different judges:\n{}\nhint: grade both runs alike (the same [models.judge], or none, and the same embedder), or pass --allow-different-judges to compare anyway, flagged in every output",
        tasks.iter().map(|t| format!("  - {t}")).collect::<Vec<_>>().join("\n")
    )]
    DifferentJudges {
        /// Per task: `dimension/task: <run> used <judges>; <run> used <judges>`.
        tasks: Vec<String>,
    },
    /// An output file could not be written.
    #[error("cannot write {path}: {message}")]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// The OS message.
        message: String,
    },
    /// A template failed to render (a bug in trustgen-report).
    #[error("cannot render {output}: {message}")]
    Render {
        /// The output (`report.html`, `report.csv`, ...).
        output: &'static str,
        /// The renderer's message.
        message: String,
    },
}
