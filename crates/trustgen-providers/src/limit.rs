//! Requests-per-minute and tokens-per-minute limits: token buckets with reservations.
//!
//! A bucket holds at most one second's worth of its per-minute rate (at least one unit) and refills
//! continuously. Taking `n` units always succeeds immediately but may leave the bucket in debt; the
//! caller then sleeps until the debt is repaid. Callers are therefore served in the order they
//! reserved, and the long-run rate never exceeds the limit. A reservation can be corrected later
//! ([`Bucket::adjust`]), which is how estimated token counts are replaced by the real usage.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// One token bucket.
#[derive(Debug)]
pub(crate) struct Bucket {
    per_sec: f64,
    capacity: f64,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    /// Units available (negative: debt).
    level: f64,
    /// When `level` was last brought up to date.
    at: Instant,
}

impl Bucket {
    /// A bucket for `per_minute` units per minute.
    pub(crate) fn per_minute(per_minute: u32) -> Bucket {
        let per_sec = f64::from(per_minute.max(1)) / 60.0;
        let capacity = per_sec.max(1.0);
        Bucket { per_sec, capacity, state: Mutex::new(State { level: capacity, at: Instant::now() }) }
    }

    /// Takes `units` and returns how long the caller must wait before using them.
    pub(crate) fn reserve(&self, units: f64) -> Duration {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let refill = now.saturating_duration_since(state.at).as_secs_f64() * self.per_sec;
        state.level = (state.level + refill).min(self.capacity) - units;
        state.at = now;
        if state.level >= 0.0 { Duration::ZERO } else { Duration::from_secs_f64(-state.level / self.per_sec) }
    }

    /// Gives back `units` (negative: takes more), e.g. when the real token count differs from the estimate.
    pub(crate) fn adjust(&self, units: f64) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.level = (state.level + units).min(self.capacity);
    }
}

/// The rate limits of one model.
#[derive(Debug, Default)]
pub(crate) struct RateLimits {
    pub(crate) requests: Option<Bucket>,
    pub(crate) tokens: Option<Bucket>,
}

impl RateLimits {
    pub(crate) fn new(requests_per_minute: Option<u32>, tokens_per_minute: Option<u32>) -> RateLimits {
        RateLimits {
            requests: requests_per_minute.map(Bucket::per_minute),
            tokens: tokens_per_minute.map(Bucket::per_minute),
        }
    }

    /// Waits until one request of about `tokens` tokens may start.
    pub(crate) async fn acquire(&self, tokens: u64) {
        let mut wait = Duration::ZERO;
        if let Some(bucket) = &self.requests {
            wait = wait.max(bucket.reserve(1.0));
        }
        if let Some(bucket) = &self.tokens {
            wait = wait.max(bucket.reserve(tokens as f64));
        }
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }

    /// Replaces an estimate of `estimated` tokens by the `actual` count.
    pub(crate) fn correct_tokens(&self, estimated: u64, actual: u64) {
        if let Some(bucket) = &self.tokens {
            bucket.adjust(estimated as f64 - actual as f64);
        }
    }
}
