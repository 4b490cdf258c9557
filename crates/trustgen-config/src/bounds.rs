//! The allowed range of every integer setting of a suite file, checked when the suite is parsed.
//!
//! A number out of range is an error at its line and column naming the key, the range and what
//! the key does, never a panic later: a `concurrency` of 2^61 used to reach tokio's semaphore
//! (whose maximum is `usize::MAX >> 3`) and panic in the middle of a run. The maxima are far above
//! any useful value and far below what the engine's arithmetic and tokio accept.

use std::fmt::Display;
use std::ops::Range;

use toml::Spanned;

/// The range of one integer setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bound {
    /// The key.
    pub key: &'static str,
    /// The smallest allowed value.
    pub min: u64,
    /// The largest allowed value.
    pub max: u64,
    /// What the key does (the error's hint).
    pub hint: &'static str,
}

/// The most requests (or plugin calls) in flight at once that any concurrency setting allows.
pub const MAX_CONCURRENCY: u64 = 65_536;

/// `[run] concurrency`.
pub const RUN_CONCURRENCY: Bound = Bound {
    key: "concurrency",
    min: 1,
    max: MAX_CONCURRENCY,
    hint: "it is the number of requests in flight at once over all models (default 32)",
};

/// `[run] plugin_concurrency`: plugin calls run on tokio's blocking threads, at most 512 of them.
pub const PLUGIN_CONCURRENCY: Bound = Bound {
    key: "plugin_concurrency",
    min: 1,
    max: 512,
    hint: "it is the number of plugin calls running at once on blocking threads (default: twice the cores)",
};

/// `[run] plugin_timeout_secs`.
pub const PLUGIN_TIMEOUT_SECS: Bound = Bound {
    key: "plugin_timeout_secs",
    min: 1,
    max: 86_400,
    hint: "it is the seconds one plugin call may take (default 120)",
};

/// `[[dimension]] limit`.
pub const LIMIT: Bound = Bound {
    key: "limit",
    min: 1,
    max: 1_000_000,
    hint: "it is the most cases per task; remove it for each task's default",
};

/// `[models.<role>] concurrency`.
pub const MODEL_CONCURRENCY: Bound = Bound {
    key: "concurrency",
    min: 1,
    max: MAX_CONCURRENCY,
    hint: "it is the number of requests in flight at once for this model; remove it to use [run] concurrency",
};

/// `[models.<role>] requests_per_minute`.
pub const REQUESTS_PER_MINUTE: Bound =
    Bound { key: "requests_per_minute", min: 1, max: 1_000_000, hint: "remove it for no limit" };

/// `[models.<role>] tokens_per_minute`.
pub const TOKENS_PER_MINUTE: Bound =
    Bound { key: "tokens_per_minute", min: 1, max: 1_000_000_000, hint: "remove it for no limit" };

/// `[models.<role>] timeout_secs`.
pub const TIMEOUT_SECS: Bound = Bound {
    key: "timeout_secs",
    min: 1,
    max: 86_400,
    hint: "it is the seconds one request may take; remove it for the default (120 over HTTP, none for the embedded model)",
};

/// `[models.<role>] max_retries`.
pub const MAX_RETRIES: Bound =
    Bound { key: "max_retries", min: 0, max: 100, hint: "it is the retries of a retryable failure (default 5)" };

/// `[models.<role>] max_tokens`.
pub const MAX_TOKENS: Bound =
    Bound { key: "max_tokens", min: 1, max: 1_000_000, hint: "it is the most tokens one reply may have" };

/// Every bound, for documentation and tests.
pub const ALL: [Bound; 10] = [
    RUN_CONCURRENCY,
    PLUGIN_CONCURRENCY,
    PLUGIN_TIMEOUT_SECS,
    LIMIT,
    MODEL_CONCURRENCY,
    REQUESTS_PER_MINUTE,
    TOKENS_PER_MINUTE,
    TIMEOUT_SECS,
    MAX_RETRIES,
    MAX_TOKENS,
];

/// The problem with `value` of `bound.key` in `table`, if it is out of range: its span, the
/// message and the hint.
pub(crate) fn check<T>(
    bound: &Bound,
    table: &str,
    value: Option<&Spanned<T>>,
) -> Option<(Range<usize>, String, Option<String>)>
where
    T: Copy + Display + TryInto<u64>,
{
    let value = value?;
    let v = *value.get_ref();
    let inside = v.try_into().is_ok_and(|n: u64| (bound.min..=bound.max).contains(&n));
    if inside {
        return None;
    }
    Some((
        value.span(),
        format!("invalid `{}` in {table}: {v} is outside {}..={}", bound.key, bound.min, bound.max),
        Some(bound.hint.to_owned()),
    ))
}
