//! The engine: runs a suite from plan to the last verdict.
//!
//! ```text
//! suite.toml ─► plan ─► build cases ─► vary ─► ask target ─► judge
//!               (host)  (dimension     (contextual (model-type  (dimension
//!                        plugins)       variator)   plugin)      plugins)
//! ```
//!
//! The contextual variator is its own pure crate, `trustgen-variator`,
//! driven like a plugin.
//!
//! tokio owns all I/O. Plugins run on blocking threads ([`drive`]); the model
//! requests they return run concurrently through [`exec::Executor`], which
//! journals every reply into the run directory (trustgen-rundir) before
//! anyone uses it. A killed run resumes by running again over its own
//! directory: recorded replies are served from the journal, finished cases
//! are skipped, and the verdicts come out the same as an uninterrupted run's.
//!
//! The engine computes no metrics and draws nothing: the caller computes
//! `metrics.json` from the records (trustgen-report) once [`run`] returns,
//! and shows progress from the [`Event`]s sent to the [`Observer`] it passes
//! in the [`RunRequest`].
//!
//! **Architecture invariant:** a result is never lost: what was paid for is
//! on disk before it is counted.

mod drive;
mod error;
mod event;
mod exec;
mod images;
mod pipeline;
mod plan;
mod preflight;
pub mod rows;

pub use error::EngineError;
pub use event::{Event, Observer, ReplySource, Stage};
pub use pipeline::{BUILD_WINDOW, CacheChoice, RunOutcome, RunRequest, check, run};
pub use preflight::PreflightError;
