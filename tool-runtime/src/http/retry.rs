//! [`RetryPolicy`]: which failures are tried again, and how long to wait before each retry.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

/// When and how often a failed request is tried again.
///
/// Retried: HTTP 429, 500, 502, 503, 504 and 529, connection failures and timeouts. Waits grow
/// exponentially from `base` up to `max`, each with random jitter (between half and all of the
/// step), unless the provider says how long to wait (`retry-after-ms` or `retry-after`), which
/// is honoured up to one minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (default 2, as in the official SDKs).
    pub max_retries: u32,
    /// The first wait (default 500 ms).
    pub base: Duration,
    /// The longest computed wait (default 8 s).
    pub max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 2,
            base: Duration::from_millis(500),
            max: Duration::from_secs(8),
        }
    }
}

const RETRY_AFTER_CAP: Duration = Duration::from_secs(60);

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    pub(crate) fn wait(&self, retry: u32, told: Option<Duration>) -> Duration {
        if let Some(told) = told {
            return told.min(RETRY_AFTER_CAP);
        }
        let step = self
            .base
            .saturating_mul(2u32.saturating_pow(retry))
            .min(self.max);
        // Jitter between half and all of the step, so clients that failed together spread out.
        let fraction = (RandomState::new().hash_one(retry) % 1000) as f64 / 1000.0;
        step.mul_f64(0.5 + 0.5 * fraction)
    }
}

pub(super) fn retryable(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 500 | 502 | 503 | 504 | 529)
}

/// `retry-after-ms: 250` or `retry-after: 2` (seconds; an HTTP date is ignored).
pub(super) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let read = |name: &str| headers.get(name)?.to_str().ok()?.trim().parse::<f64>().ok();
    let wait = read("retry-after-ms")
        .map(|ms| ms / 1000.0)
        .or_else(|| read("retry-after"))?;
    // Clamped before converting: a huge value must not overflow `Duration`.
    (wait.is_finite() && wait >= 0.0)
        .then(|| Duration::from_secs_f64(wait.min(RETRY_AFTER_CAP.as_secs_f64())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn waits_grow_exponentially_with_jitter_and_a_ceiling() {
        let policy = RetryPolicy {
            max_retries: 5,
            base: Duration::from_millis(100),
            max: Duration::from_millis(1000),
        };
        for (retry, step) in [(0, 100), (1, 200), (2, 400), (3, 800), (4, 1000), (9, 1000)] {
            for _ in 0..50 {
                let wait = policy.wait(retry, None).as_millis();
                assert!(wait >= step / 2 && wait <= step, "retry {retry}: {wait}ms");
            }
        }
        assert_eq!(
            policy.wait(0, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
        assert_eq!(
            policy.wait(0, Some(Duration::from_secs(999))),
            RETRY_AFTER_CAP
        );
    }

    #[test]
    fn retry_after_headers() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(2)));
        headers.insert("retry-after-ms", HeaderValue::from_static("250"));
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(250)));
        headers.insert("retry-after-ms", HeaderValue::from_static("1e25"));
        assert_eq!(retry_after(&headers), Some(RETRY_AFTER_CAP));
        headers.insert("retry-after-ms", HeaderValue::from_static("-5"));
        headers.insert("retry-after", HeaderValue::from_static("NaN"));
        assert_eq!(retry_after(&headers), None);
        let mut date = HeaderMap::new();
        date.insert(
            "retry-after",
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&date), None);
    }
}
