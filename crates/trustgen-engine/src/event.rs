//! What a run reports while it runs, for a progress display.
//!
//! The engine draws nothing: it sends [`Event`]s to the [`Observer`] given in
//! the [`RunRequest`](crate::RunRequest) (the CLI draws bars on a terminal and
//! prints periodic summary lines elsewhere). Events carry counts, ids and
//! statuses, never model text.

use std::time::Duration;

use trustgen_plugin_api::{ModelRole, VerdictStatus};

/// A stage of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    /// Building test cases (counted in tasks).
    Build,
    /// Asking the target (counted in cases).
    Target,
    /// Judging (counted in cases).
    Judge,
}

/// Where a model reply came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReplySource {
    /// Sent to the model (`attempts` HTTP attempts, retries included).
    Sent {
        /// Attempts made.
        attempts: u32,
    },
    /// The request cache.
    Cache,
    /// This run directory's journal (a resumed run), or an identical request
    /// of this run.
    Journal,
    /// Nothing was asked: a dry run's placeholder or an empty input.
    Local,
}

/// Something that happened in a run.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// A stage's total is known: tasks to build, cases to answer or judge.
    StageStarted {
        /// The stage.
        stage: Stage,
        /// Units of work in it.
        total: usize,
    },
    /// A task was built (`failed` when its builder failed and it has no cases).
    TaskBuilt {
        /// The dimension plugin.
        dimension: String,
        /// The task.
        task: String,
        /// Cases built.
        cases: usize,
        /// The builder failed (the failure is in `skipped.jsonl`).
        failed: bool,
    },
    /// The target's answer to a case is on disk (or the target failed and the
    /// case goes on to a `missing` verdict).
    CaseAnswered {
        /// The case.
        case_id: String,
        /// Recorded by an earlier session of the run directory.
        resumed: bool,
    },
    /// A case has its verdict.
    CaseFinished {
        /// The case.
        case_id: String,
        /// The verdict's status (anything but `scored` is a failed case).
        status: VerdictStatus,
        /// Recorded by an earlier session of the run directory.
        resumed: bool,
    },
    /// A model request was answered.
    Request {
        /// The role asked.
        role: ModelRole,
        /// Where the reply came from.
        source: ReplySource,
    },
    /// A request failed in a retryable way and waits before its next attempt.
    RetryWait {
        /// The role asked.
        role: ModelRole,
        /// The model of that role.
        model: String,
        /// The attempt that failed (1-based).
        attempt: u32,
        /// The wait before the next one.
        wait: Duration,
        /// The wait is the server's `Retry-After`, not the backoff's.
        retry_after: bool,
    },
}

/// Receives a run's events. Called from many tasks and threads at once; it
/// must return quickly (hand work to another thread, or update counters).
pub trait Observer: Send + Sync {
    /// One event.
    fn event(&self, event: Event);
}

impl Observer for std::sync::mpsc::Sender<Event> {
    fn event(&self, event: Event) {
        // A receiver that went away just stops listening.
        let _ = self.send(event);
    }
}

impl<F: Fn(Event) + Send + Sync> Observer for F {
    fn event(&self, event: Event) {
        self(event)
    }
}
