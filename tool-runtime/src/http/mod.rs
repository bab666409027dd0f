//! One HTTP client for every wire protocol: sending with retries until a response head is
//! accepted, reading whole bodies under a size limit, and reading streams of server-sent events
//! under a limit per event and per wait.

mod events;
mod key;
mod retry;
mod sse;
#[cfg(feature = "rustls")]
mod tls;

use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use serde_json::Value;

pub(crate) use events::EventStream;
pub(crate) use key::ApiKey;
pub use retry::RetryPolicy;
#[cfg(test)]
pub(crate) use sse::SseDecoder;
pub(crate) use sse::SseEvent;

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
pub(crate) struct Post {
    /// Who the errors name, e.g. `openai`.
    pub(crate) provider: &'static str,
    pub(crate) url: String,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

/// What a request for a stream of events got.
pub(crate) enum Opened {
    /// The events, as they come.
    Events(Box<EventStream>),
    /// A whole body (a server that does not stream answers so): its status and bytes.
    Whole(u16, Vec<u8>),
}

/// What became of reading a whole body.
enum Whole {
    /// The status and the body.
    Body(u16, Vec<u8>),
    /// It broke off, and may be asked for again.
    Retry,
}

/// A body that could not be read whole.
enum Unread {
    /// The connection broke, or the time ran out, after this much had arrived.
    Cut(reqwest::Error, Vec<u8>),
    /// It is larger than the limit; this much was read.
    TooLarge(Vec<u8>),
    /// Nothing more came within the time limit; this much had.
    Stalled(Vec<u8>),
}

/// A reqwest client with this crate's TLS set up (rustls with the platform's roots).
pub(crate) fn reqwest_client() -> Result<reqwest::Client, String> {
    let builder = reqwest::Client::builder();
    #[cfg(feature = "rustls")]
    let builder = builder.tls_backend_preconfigured(tls::config());
    builder.build().map_err(|error| error.to_string())
}

impl HttpClient {
    pub(crate) fn new() -> Self {
        Self {
            client: reqwest_client(),
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
    pub(crate) async fn post_json(&self, post: &Post) -> Result<(u16, Vec<u8>), Error> {
        let mut attempt = 0;
        loop {
            let response = self.send(post, &mut attempt, false).await?;
            if let Whole::Body(status, body) = self.whole(post, response, attempt, false).await? {
                return Ok((status, body));
            }
        }
    }

    /// A request for a stream of events: retried as [`post_json`](Self::post_json) is until a
    /// success arrives, whose events are then read as they come. The time limit applies to the
    /// response head, then to each wait for more of the stream. A server that answers with a
    /// whole body instead (not `text/event-stream`: it does not stream, or it is an error page)
    /// is read as one.
    pub(crate) async fn open_stream(
        &self,
        post: &Post,
        attempt: &mut u32,
    ) -> Result<Opened, Error> {
        loop {
            let response = self.send(post, attempt, true).await?;
            let events = response
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|value| value.to_str().ok())
                .is_some_and(|value| value.contains("event-stream"));
            if response.status().is_success() && events {
                return Ok(Opened::Events(Box::new(EventStream::new(
                    response,
                    post.provider,
                    self.timeout,
                    self.max_response_bytes,
                ))));
            }
            if let Whole::Body(status, body) = self.whole(post, response, *attempt, true).await? {
                return Ok(Opened::Whole(status, body));
            }
        }
    }

    /// Reads a whole body: a success's, or an error status's (then an [`Error`] with the
    /// provider's message). A body cut off is asked for again while retries are left. For a
    /// `stream` request (which has no time limit of its own), each wait for more of the body is
    /// limited.
    async fn whole(
        &self,
        post: &Post,
        response: reqwest::Response,
        attempt: u32,
        stream: bool,
    ) -> Result<Whole, Error> {
        let status = response.status();
        let body = match self.read(response, stream).await {
            Ok(body) => body,
            Err(Unread::Stalled(partial)) => {
                if attempt <= self.retry.max_retries {
                    let wait = self.retry.wait(attempt - 1, None);
                    tracing::warn!(
                        provider = post.provider,
                        attempt,
                        ?wait,
                        "response body stalled; retrying"
                    );
                    tokio::time::sleep(wait).await;
                    return Ok(Whole::Retry);
                }
                return Err(
                    Error::timed_out(post.provider, "response body", self.timeout)
                        .with_status(status.as_u16())
                        .with_body(String::from_utf8_lossy(&partial).into_owned())
                        .with_attempts(attempt),
                );
            }
            Err(Unread::Cut(error, partial)) => {
                if attempt <= self.retry.max_retries {
                    let wait = self.retry.wait(attempt - 1, None);
                    tracing::warn!(provider = post.provider, attempt, ?wait, %error, "response cut off; retrying");
                    tokio::time::sleep(wait).await;
                    return Ok(Whole::Retry);
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
        Ok(Whole::Body(status.as_u16(), body))
    }

    /// Sends the request, retrying until a response head arrives that is worth reading: a
    /// success, or an error status that is final. `attempt` counts every request sent.
    ///
    /// The time limit covers the whole exchange, body included; for a `stream`, only the wait
    /// for the response head (the stream's reader limits each wait after it).
    pub(crate) async fn send(
        &self,
        post: &Post,
        attempt: &mut u32,
        stream: bool,
    ) -> Result<reqwest::Response, Error> {
        let client = self
            .client
            .as_ref()
            .map_err(|reason| Error::client_unavailable(post.provider, reason))?;
        loop {
            *attempt += 1;
            let may_retry = *attempt <= self.retry.max_retries;
            let request = client
                .post(&post.url)
                .headers(post.headers.clone())
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .body(post.body.clone());
            let sent = if stream {
                match tokio::time::timeout(self.timeout, request.send()).await {
                    Ok(sent) => sent,
                    Err(_) if may_retry => {
                        let wait = self.retry.wait(*attempt - 1, None);
                        tracing::warn!(
                            provider = post.provider,
                            attempt = *attempt,
                            ?wait,
                            "no response head in time; retrying"
                        );
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    Err(_) => {
                        return Err(Error::timed_out(post.provider, "response", self.timeout)
                            .with_attempts(*attempt));
                    }
                }
            } else {
                request.timeout(self.timeout).send().await
            };
            match sent {
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
                    let _ = self.read(response, stream).await;
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

    /// The whole body, up to the size limit; each wait for more of it limited when `idle`.
    async fn read(&self, mut response: reqwest::Response, idle: bool) -> Result<Vec<u8>, Unread> {
        let limit = self.max_response_bytes;
        let announced = response.content_length().unwrap_or(0);
        let mut body = Vec::with_capacity(announced.min(limit as u64) as usize);
        loop {
            let chunk = if idle {
                match tokio::time::timeout(self.timeout, response.chunk()).await {
                    Ok(chunk) => chunk,
                    Err(_) => return Err(Unread::Stalled(body)),
                }
            } else {
                response.chunk().await
            };
            match chunk {
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
