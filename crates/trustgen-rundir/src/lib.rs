//! The run directory: its file names, its record types, and the only code
//! that writes or reads them.
//!
//! ```text
//! runs/<run-id>/
//!   manifest.json    what ran: suite text and hash, models (no secrets), plugins
//!                    and their manifests, data file hashes, seed, versions, times, usage
//!   cases.jsonl      one built (and varied) test case per line
//!   requests.jsonl   every model request and its reply, written before it counts
//!   outputs.jsonl    the target's answers, one case per line
//!   verdicts.jsonl   the grades, one case per line
//!   skipped.jsonl    items a builder dropped, with the reason
//!   images/          every image of a case or request once: <sha256>.<ext>
//!   metrics.json     per-task and per-dimension scores with intervals
//! ```
//!
//! - [`record`] and [`metrics`]: one serde type per file or line.
//! - [`RunDir`] and [`Appender`]: JSONL files are append-only; each line is
//!   written with one `write` call and flushed before it counts. Opening
//!   repairs an unfinished last line ([`Repair`]) before appending after it,
//!   and a failed append is cut back, so no half line sits between records.
//!   [`write_atomic`] replaces whole files (`manifest.json`, `metrics.json`,
//!   the reports) through a temporary file of its own and a rename;
//!   [`remove_stray_temps`] removes the ones an interrupted write left.
//! - [`JsonlReader`]: records with their line numbers; a bad line is an
//!   error naming the file and line, a torn last line (a run killed
//!   mid-write) is reported, never yielded. [`Resume`] is what the engine
//!   resumes from; [`RunData`] is what a report reads.
//!
//! The engine writes run directories and trustgen-report reads them; both
//! depend on this crate and neither on the other.
//!
//! **Architecture invariant:** nothing here is async or touches the network,
//! and no other crate knows a run directory's file names or line format.

mod error;
pub mod images;
pub mod metrics;
mod read;
pub mod record;
mod write;

pub use error::RunDirError;
pub use images::{ImageError, ImageFormat, ImageStore, StoredImage};
pub use metrics::{
    Counts, DataProvenance, DimensionMetric, Estimate, Excluded, IntervalMethod, JudgeAgreement, Metrics,
    SourceProvenance, TaskMetric,
};
pub use read::{
    JsonlReader, Line, Resume, RunData, Torn, TornTail, read_json, read_jsonl, read_jsonl_tail, read_manifest,
};
pub use record::{
    CaseRecord, DataFileRecord, DimensionRecord, InputChange, InputKind, JudgeValidityRecord, ModelRecord,
    OutputRecord, PluginRecord, RepairRecord, RequestRecord, RunManifest, RunStatus, SampleRecord, SkippedRecord,
    SuiteRecord, UsageRecord, VerdictRecord,
};
pub use write::{
    Appender, Repair, RepairAction, RunDir, remove_stray_temps, temp_path, write_atomic, write_json_atomic,
    write_manifest, write_metrics,
};

/// File names inside a run directory.
pub mod files {
    /// The run manifest.
    pub const MANIFEST: &str = "manifest.json";
    /// Built cases.
    pub const CASES: &str = "cases.jsonl";
    /// Model requests and replies.
    pub const REQUESTS: &str = "requests.jsonl";
    /// Target outputs.
    pub const OUTPUTS: &str = "outputs.jsonl";
    /// Verdicts.
    pub const VERDICTS: &str = "verdicts.jsonl";
    /// Items dropped by builders.
    pub const SKIPPED: &str = "skipped.jsonl";
    /// Metrics.
    pub const METRICS: &str = "metrics.json";
    /// The image store (a folder): `images/<sha256>.<ext>`.
    pub const IMAGES: &str = "images";
}

#[cfg(test)]
mod tests;
