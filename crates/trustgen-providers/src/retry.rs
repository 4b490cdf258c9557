//! Backoff between retries (exponential, full jitter, seeded by the request key) and the server's
//! `Retry-After` / `retry-after-ms` headers.

use std::time::{Duration, SystemTime};

use reqwest::header::HeaderMap;
use sha2::{Digest, Sha256};

/// The longest wait a `Retry-After` header can impose; a longer one (a daily quota) is capped, and the
/// request is then retried or given up like any other.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(600);

/// Exponential backoff with full jitter: before retry `n` (from 0) wait a uniformly drawn time in
/// `[0, min(cap, base * 2^n))`. The draw comes from the request key and `n`, so a re-run waits exactly
/// as long.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    /// The first retry waits up to this long.
    pub base: Duration,
    /// No wait is longer than this.
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Backoff {
        Backoff { base: Duration::from_millis(1000), cap: Duration::from_secs(60) }
    }
}

impl Backoff {
    /// The wait before retry `retry` (0 for the first retry) of the request with this key.
    pub fn delay(&self, key: &str, retry: u32) -> Duration {
        let ceiling = self.base.saturating_mul(1u32.checked_shl(retry.min(30)).unwrap_or(u32::MAX)).min(self.cap);
        let digest = Sha256::new().chain_update(key.as_bytes()).chain_update(retry.to_le_bytes()).finalize();
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&digest[..8]);
        // 53 random bits give a uniform fraction in [0, 1).
        let fraction = (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64;
        ceiling.mul_f64(fraction)
    }
}

/// The wait a response asks for: `retry-after-ms` (milliseconds, as OpenAI sends), else `Retry-After`
/// in seconds or as an HTTP date. Capped at [`MAX_RETRY_AFTER`]; `None` when absent or unreadable.
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let wait = if let Some(ms) = value("retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        seconds(ms / 1000.0)?
    } else {
        let raw = value("retry-after")?;
        match raw.parse::<f64>() {
            Ok(secs) => seconds(secs)?,
            Err(_) => {
                let at = httpdate::parse_http_date(raw).ok()?;
                at.duration_since(now).unwrap_or(Duration::ZERO)
            }
        }
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

fn seconds(secs: f64) -> Option<Duration> {
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(MAX_RETRY_AFTER.as_secs_f64())))
}
