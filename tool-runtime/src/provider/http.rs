//! The HTTP exchange shared by the providers: one pooled client, retries with backoff and jitter,
//! `retry-after`, and API keys that never show.

use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::BuildHasher;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;

use super::{Error, ErrorKind};
use crate::chat::ModelResponse;

/// An API key. Its `Debug` is redacted, and it only ever leaves as a sensitive header.
#[derive(Clone)]
pub(crate) struct ApiKey(String);

impl ApiKey {
    /// A key, without the whitespace a key file or variable often ends with.
    pub(crate) fn new(key: impl Into<String>) -> Self {
        let key: String = key.into();
        Self(key.trim().to_owned())
    }

    /// The key as a header value marked sensitive (hidden from logs by `http`/`reqwest`), or a
    /// configuration error that does not quote the key.
    pub(crate) fn header(&self, provider: &str, prefix: &str) -> Result<HeaderValue, Error> {
        let mut value = HeaderValue::from_str(&format!("{prefix}{}", self.0)).map_err(|_| {
            Error::new(
                ErrorKind::Config,
                provider,
                "the API key contains characters that cannot go in an HTTP header",
            )
        })?;
        value.set_sensitive(true);
        Ok(value)
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

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

    fn wait(&self, retry: u32, told: Option<Duration>) -> Duration {
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

fn retryable(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 500 | 502 | 503 | 504 | 529)
}

/// `retry-after-ms: 250` or `retry-after: 2` (seconds; an HTTP date is ignored).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let read = |name: &str| headers.get(name)?.to_str().ok()?.trim().parse::<f64>().ok();
    let wait = read("retry-after-ms")
        .map(|ms| ms / 1000.0)
        .or_else(|| read("retry-after"))?;
    // Clamped before converting: a huge value must not overflow `Duration`.
    (wait.is_finite() && wait >= 0.0)
        .then(|| Duration::from_secs_f64(wait.min(RETRY_AFTER_CAP.as_secs_f64())))
}

/// One pooled client, shared by all requests of a provider.
#[derive(Clone, Debug)]
pub(crate) struct HttpClient {
    client: reqwest::Client,
    pub(crate) retry: RetryPolicy,
    pub(crate) timeout: Duration,
}

impl HttpClient {
    pub(crate) fn new() -> Self {
        Self {
            client: reqwest::Client::new(),
            retry: RetryPolicy::default(),
            timeout: Duration::from_secs(600),
        }
    }

    /// One model request: POSTs `body`, then reads the answer with `parse`. An answer of the
    /// wrong shape keeps its text exactly as received in the error.
    pub(crate) async fn exchange(
        &self,
        provider: &str,
        url: &str,
        headers: &[(HeaderName, HeaderValue)],
        body: &Value,
        parse: fn(&Value) -> Result<ModelResponse, Error>,
    ) -> Result<ModelResponse, Error> {
        let (answer, raw) = self.post_json(provider, url, headers, body).await?;
        parse(&answer).map_err(|error| error.with_body(raw))
    }

    /// POSTs `body` as JSON and returns the parsed JSON answer with its text as received,
    /// retrying what can be retried.
    async fn post_json(
        &self,
        provider: &str,
        url: &str,
        headers: &[(HeaderName, HeaderValue)],
        body: &Value,
    ) -> Result<(Value, String), Error> {
        let body = serde_json::to_vec(body).map_err(|error| {
            Error::new(
                ErrorKind::Decode,
                provider,
                "the request could not be serialized",
            )
            .with_source(error)
        })?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let may_retry = attempt <= self.retry.max_retries;
            let mut request = self
                .client
                .post(url)
                .timeout(self.timeout)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone());
            for (name, value) in headers {
                request = request.header(name, value);
            }
            let mut response = match request.send().await {
                Ok(response) => response,
                Err(error) => {
                    let kind = if error.is_timeout() {
                        ErrorKind::Timeout
                    } else {
                        ErrorKind::Connect
                    };
                    if may_retry && (error.is_timeout() || error.is_connect() || error.is_request())
                    {
                        let wait = self.retry.wait(attempt - 1, None);
                        tracing::warn!(provider, attempt, ?wait, %error, "request failed; retrying");
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    let error = error.without_url();
                    let message = format!("request failed: {}", error_chain(&error));
                    return Err(Error::new(kind, provider, message)
                        .with_attempts(attempt)
                        .with_source(error));
                }
            };
            let status = response.status();
            if !status.is_success() && retryable(status) && may_retry {
                let wait = self
                    .retry
                    .wait(attempt - 1, retry_after(response.headers()));
                tracing::warn!(
                    provider,
                    attempt,
                    status = status.as_u16(),
                    ?wait,
                    "retrying"
                );
                // Drain the body so the connection goes back to the pool.
                let _ = response.bytes().await;
                tokio::time::sleep(wait).await;
                continue;
            }
            let text = match read_body(&mut response).await {
                Ok(text) => text,
                Err((error, partial)) => {
                    // The answer was cut off: a transport failure, retried like one.
                    if may_retry {
                        let wait = self.retry.wait(attempt - 1, None);
                        tracing::warn!(provider, attempt, ?wait, %error, "response cut off; retrying");
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    let kind = if error.is_timeout() {
                        ErrorKind::Timeout
                    } else {
                        ErrorKind::Decode
                    };
                    return Err(
                        Error::new(kind, provider, "the response body could not be read")
                            .with_status(status.as_u16())
                            .with_body(partial)
                            .with_attempts(attempt)
                            .with_source(error.without_url()),
                    );
                }
            };
            if !status.is_success() {
                let message = provider_message(&text).unwrap_or_else(|| {
                    status
                        .canonical_reason()
                        .unwrap_or("error status")
                        .to_owned()
                });
                return Err(Error::new(ErrorKind::Status, provider, message)
                    .with_status(status.as_u16())
                    .with_body(text)
                    .with_attempts(attempt));
            }
            return match serde_json::from_str(&text) {
                Ok(value) => Ok((value, text)),
                Err(error) => Err(Error::new(
                    ErrorKind::Decode,
                    provider,
                    format!("the response is not valid JSON: {error}"),
                )
                .with_status(status.as_u16())
                .with_body(text)
                .with_attempts(attempt)
                .with_source(error)),
            };
        }
    }
}

/// The whole body as text; on failure, the error and whatever arrived before it.
async fn read_body(response: &mut reqwest::Response) -> Result<String, (reqwest::Error, String)> {
    let mut bytes = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            Ok(None) => return Ok(String::from_utf8_lossy(&bytes).into_owned()),
            Err(error) => return Err((error, String::from_utf8_lossy(&bytes).into_owned())),
        }
    }
}

/// An error and its causes, `: `-separated (reqwest's own message alone is vague).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// `{"error": {"message": "…"}}`, the shape both OpenAI and Anthropic use.
fn provider_message(body: &str) -> Option<String> {
    let value: Value = serde_json::from_str(body).ok()?;
    let error = value.get("error")?;
    error
        .get("message")
        .and_then(Value::as_str)
        .or_else(|| error.as_str())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn provider_messages_from_both_shapes() {
        let openai = r#"{"error":{"message":"Invalid schema","type":"invalid_request_error"}}"#;
        let anthropic =
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;
        assert_eq!(provider_message(openai).as_deref(), Some("Invalid schema"));
        assert_eq!(provider_message(anthropic).as_deref(), Some("Overloaded"));
        assert_eq!(provider_message("<html>"), None);
    }

    #[test]
    fn keys_are_redacted() {
        let key = ApiKey::new("sk-secret");
        assert_eq!(format!("{key:?}"), "ApiKey(<redacted>)");
        assert!(key.header("openai", "Bearer ").unwrap().is_sensitive());
        assert_eq!(ApiKey::new(" sk-x\n").header("openai", "").unwrap(), "sk-x");
        let error = ApiKey::new("sk-\u{1}secret")
            .header("openai", "")
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Config);
        assert!(!error.to_string().contains("secret"));
    }
}
