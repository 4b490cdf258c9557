//! Run records, statistics and report outputs.
//!
//! - [`record`]: the files of a run directory (`manifest.json`,
//!   `cases.jsonl`, `outputs.jsonl`, `verdicts.jsonl`, `metrics.json`) as
//!   serde types, and a reader for them. The engine writes them; reports read
//!   them, so a report needs no plugin and no model.
//!
//! **Architecture invariant:** nothing here is async and nothing does network
//! I/O; a report is a pure function of run directories.

pub mod record;
