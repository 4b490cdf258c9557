//! The engine: runs a suite from plan to metrics.
//!
//! ```text
//! suite.toml ─► plan ─► build cases ─► vary ─► ask target ─► judge ─► aggregate
//!               (host)  (dimension     (contextual (model-type  (dimension  (report
//!                        plugins)       variator)   plugin)      plugins)    crate)
//! ```
//!
//! The contextual variator is its own pure crate, `trustgen-variator`,
//! driven like a plugin.
//!
//! tokio owns all I/O. Plugins run on blocking threads ([`drive`]); the model
//! requests they return run concurrently through [`exec::Executor`], which
//! journals every reply into the run directory ([`store`]) before anyone
//! uses it. A killed run resumes by running again over its own directory:
//! recorded replies are served from the journal, finished cases are skipped,
//! and the metrics come out the same as an uninterrupted run's.
//!
//! **Architecture invariant:** a result is never lost: what was paid for is
//! on disk before it is counted.

mod drive;
mod error;
mod exec;
mod pipeline;
mod plan;
mod store;

pub use error::EngineError;
pub use pipeline::{CacheChoice, RunOutcome, RunRequest, run};
pub use store::{RequestRecord, RunStore};
