//! [`RetryPolicy`] and the one retry loop: each failed attempt is classified where it fails
//! ([`Failure`]: final, transient, or a refusal of an optional part of the request), the policy
//! turns that into an action (retry after a wait, resend without the optional part, give up),
//! and [`retrying`] performs it.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use crate::error::Error;

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

/// A failed attempt, and what trying again could do about it.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) error: Error,
    pub(crate) advice: Advice,
}

/// What the place an attempt failed says about trying again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Advice {
    /// Trying again would fail the same way.
    Final,
    /// It may work next time: after the policy's wait, or the one the server asked for.
    Transient(Option<Duration>),
    /// The server refuses an optional part of the request: send it again at once, without.
    WithoutOptional,
}

/// What the retry loop does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// Send the request again after this wait.
    Retry(Duration),
    /// Send it again at once, without its optional parts, with a fresh budget of retries.
    Resend,
    /// The failure is the answer.
    GiveUp,
}

impl Failure {
    /// A failure trying again would not mend.
    pub(crate) fn fatal(error: Error) -> Self {
        Self {
            error,
            advice: Advice::Final,
        }
    }

    /// A failure that may pass: retried after the policy's wait, or `told`.
    pub(crate) fn transient(error: Error, told: Option<Duration>) -> Self {
        Self {
            error,
            advice: Advice::Transient(told),
        }
    }
}

impl From<Error> for Failure {
    /// A failure classified by the error alone: transient when it says it is retryable.
    fn from(error: Error) -> Self {
        if error.is_retryable() {
            Self::transient(error, None)
        } else {
            Self::fatal(error)
        }
    }
}

impl RetryPolicy {
    /// What to do after attempt number `attempt` (counting from 1) failed as `advice` says.
    pub(crate) fn action(&self, attempt: u32, advice: Advice) -> Action {
        match advice {
            Advice::WithoutOptional => Action::Resend,
            Advice::Transient(told) if attempt <= self.max_retries => {
                Action::Retry(self.wait(attempt - 1, told))
            }
            Advice::Transient(_) | Advice::Final => Action::GiveUp,
        }
    }

    /// Whether the attempt with this number may be followed by a retry.
    pub(crate) fn may_retry(&self, attempt: u32) -> bool {
        attempt <= self.max_retries
    }
}

/// One attempt at a request that may be sent again: what the [retry loop](retrying) runs.
pub(crate) trait Attempt {
    /// What a successful attempt gives.
    type Output;

    /// Attempt number `number` (counting from 1).
    fn attempt(
        &mut self,
        number: u32,
    ) -> impl Future<Output = Result<Self::Output, Failure>> + Send;
}

/// The retry loop: runs `attempt` until it succeeds or a failure is final, doing what the
/// policy says between attempts. The error given up on says how many requests were sent.
pub(crate) async fn retrying<A: Attempt>(
    policy: &RetryPolicy,
    provider: &'static str,
    mut attempt: A,
) -> Result<A::Output, Error> {
    let mut sent = 0;
    loop {
        sent += 1;
        let Failure { error, advice } = match attempt.attempt(sent).await {
            Ok(value) => return Ok(value),
            Err(failure) => failure,
        };
        match policy.action(sent, advice) {
            Action::Retry(wait) => {
                tracing::warn!(provider, attempt = sent, ?wait, %error, "request failed; retrying");
                tokio::time::sleep(wait).await;
            }
            Action::Resend => {
                tracing::warn!(
                    provider,
                    %error,
                    "the server refuses an optional part of the request; sending it without"
                );
                sent = 0;
            }
            Action::GiveUp => return Err(error.with_attempts(sent)),
        }
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
    fn actions_follow_the_advice_and_the_budget() {
        let policy = RetryPolicy {
            max_retries: 2,
            base: Duration::from_millis(100),
            max: Duration::from_secs(1),
        };
        assert_eq!(policy.action(1, Advice::Final), Action::GiveUp);
        assert!(matches!(
            policy.action(1, Advice::Transient(None)),
            Action::Retry(wait) if wait <= Duration::from_millis(100)
        ));
        let told = Some(Duration::from_secs(3));
        assert_eq!(
            policy.action(2, Advice::Transient(told)),
            Action::Retry(Duration::from_secs(3))
        );
        // The budget is two retries: the third attempt's failure is the answer.
        assert_eq!(policy.action(3, Advice::Transient(told)), Action::GiveUp);
        // A refusal of optional parts is sent again at once, whatever the budget.
        assert_eq!(policy.action(9, Advice::WithoutOptional), Action::Resend);
        assert!(RetryPolicy::none().action(1, Advice::Transient(None)) == Action::GiveUp);
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
