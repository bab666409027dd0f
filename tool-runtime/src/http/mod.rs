//! One HTTP client for every wire protocol: sending with retries until a response head is
//! accepted, and reading whole bodies under a size limit. (A reader of server-sent events goes
//! beside [`HttpClient::post_json`], on top of [`HttpClient::send`].)

mod key;
mod retry;
#[cfg(feature = "rustls")]
mod tls;

use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use serde_json::Value;

pub(crate) use key::ApiKey;
pub use retry::RetryPolicy;

use crate::error::Error;
use retry::{retry_after, retryable};

/// The default limit on a response body: far above any real answer, far below what would hurt.
pub(crate) const DEFAULT_MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;

/// One pooled client, with the retry policy, time limit and size limit of its requests.
#[derive(Clone, Debug)]
pub(crate) struct HttpClient {
    /// The client, or why it could not be built (reported by the first request).
    client: Result<reqwest::Client, String>,
    pub(crate) retry: RetryPolicy,
    pub(crate) timeout: Duration,
    pub(crate) max_response_bytes: usize,
}

/// A JSON POST, ready to be sent (and sent again).
pub(crate) struct Post<'a> {
    /// Who the errors name, e.g. `openai`.
    pub(crate) provider: &'static str,
    pub(crate) url: &'a str,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

/// A body that could not be read whole.
enum Unread {
    /// The connection broke, or the time ran out, after this much had arrived.
    Cut(reqwest::Error, Vec<u8>),
    /// It is larger than the limit; this much was read.
    TooLarge(Vec<u8>),
}

impl HttpClient {
    pub(crate) fn new() -> Self {
        let builder = reqwest::Client::builder();
        #[cfg(feature = "rustls")]
        let builder = builder.tls_backend_preconfigured(tls::config());
        Self {
            client: builder.build().map_err(|error| error.to_string()),
            retry: RetryPolicy::default(),
            timeout: Duration::from_secs(600),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        }
    }

    /// One JSON exchange: POSTs the body and returns the response's status and whole body.
    ///
    /// Failures before the response head and retryable statuses are retried by
    /// [`send`](Self::send); a body cut off mid-way is a transport failure too, and is retried
    /// like one (nothing of it was used). An error status is an [`Error`] with the provider's
    /// message and the body as received.
    pub(crate) async fn post_json(&self, post: &Post<'_>) -> Result<(u16, Vec<u8>), Error> {
        let mut attempt = 0;
        loop {
            let response = self.send(post, &mut attempt).await?;
            let status = response.status();
            let body = match self.read(response).await {
                Ok(body) => body,
                Err(Unread::Cut(error, partial)) => {
                    if attempt <= self.retry.max_retries {
                        let wait = self.retry.wait(attempt - 1, None);
                        tracing::warn!(provider = post.provider, attempt, ?wait, %error, "response cut off; retrying");
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    let partial = String::from_utf8_lossy(&partial).into_owned();
                    return Err(
                        Error::body_cut(post.provider, status.as_u16(), partial, error)
                            .with_attempts(attempt),
                    );
                }
                Err(Unread::TooLarge(partial)) if !status.is_success() => partial,
                Err(Unread::TooLarge(_)) => {
                    return Err(Error::body_too_large(
                        post.provider,
                        status.as_u16(),
                        self.max_response_bytes,
                    )
                    .with_attempts(attempt));
                }
            };
            if !status.is_success() {
                let text = String::from_utf8_lossy(&body).into_owned();
                let message = provider_message(&text);
                return Err(
                    Error::from_status(post.provider, status.as_u16(), message, text)
                        .with_attempts(attempt),
                );
            }
            return Ok((status.as_u16(), body));
        }
    }

    /// Sends the request, retrying until a response head arrives that is worth reading: a
    /// success, or an error status that is final. `attempt` counts every request sent.
    pub(crate) async fn send(
        &self,
        post: &Post<'_>,
        attempt: &mut u32,
    ) -> Result<reqwest::Response, Error> {
        let client = self
            .client
            .as_ref()
            .map_err(|reason| Error::client_unavailable(post.provider, reason))?;
        loop {
            *attempt += 1;
            let may_retry = *attempt <= self.retry.max_retries;
            let request = client
                .post(post.url)
                .timeout(self.timeout)
                .headers(post.headers.clone())
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .body(post.body.clone());
            match request.send().await {
                Ok(response) => {
                    let status = response.status();
                    if status.is_success() || !retryable(status) || !may_retry {
                        return Ok(response);
                    }
                    let wait = self
                        .retry
                        .wait(*attempt - 1, retry_after(response.headers()));
                    tracing::warn!(
                        provider = post.provider,
                        attempt = *attempt,
                        status = status.as_u16(),
                        ?wait,
                        "retrying"
                    );
                    // Read the body so the connection goes back to the pool.
                    let _ = self.read(response).await;
                    tokio::time::sleep(wait).await;
                }
                Err(error)
                    if may_retry
                        && (error.is_timeout() || error.is_connect() || error.is_request()) =>
                {
                    let wait = self.retry.wait(*attempt - 1, None);
                    tracing::warn!(provider = post.provider, attempt = *attempt, ?wait, %error, "request failed; retrying");
                    tokio::time::sleep(wait).await;
                }
                Err(error) => {
                    return Err(Error::transport(post.provider, error).with_attempts(*attempt));
                }
            }
        }
    }

    /// The whole body, up to the size limit.
    async fn read(&self, mut response: reqwest::Response) -> Result<Vec<u8>, Unread> {
        let limit = self.max_response_bytes;
        let announced = response.content_length().unwrap_or(0);
        let mut body = Vec::with_capacity(announced.min(limit as u64) as usize);
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) if body.len() + chunk.len() > limit => {
                    let room = limit - body.len();
                    body.extend_from_slice(&chunk[..room]);
                    return Err(Unread::TooLarge(body));
                }
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                Ok(None) => return Ok(body),
                Err(error) => return Err(Unread::Cut(error, body)),
            }
        }
    }
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
    fn the_client_builds() {
        let client = HttpClient::new();
        assert!(client.client.is_ok(), "{:?}", client.client);
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
}
