//! One HTTP client for every wire protocol: one attempt at an exchange at a time, its failure
//! classified for [the one retry loop](retry), whole bodies read under a size limit, streams of
//! server-sent events under a limit per event and per wait.

mod events;
mod key;
mod retry;
mod sse;

use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use serde_json::Value;

pub(crate) use events::EventStream;
pub(crate) use key::ApiKey;
pub use retry::RetryPolicy;
pub(crate) use retry::{Advice, Attempt, Failure, retrying};
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

/// A body that could not be read whole.
enum Unread {
    /// The connection broke, or the time ran out, after this much had arrived.
    Cut(reqwest::Error, Vec<u8>),
    /// It is larger than the limit; this much was read.
    TooLarge(Vec<u8>),
    /// Nothing more came within the time limit; this much had.
    Stalled(Vec<u8>),
}

/// A reqwest client: with the `rustls` feature, HTTPS through rustls with its own crypto provider,
/// verifying servers against the platform's trust store (reqwest's own default TLS).
pub(crate) fn reqwest_client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .build()
        .map_err(|error| error.to_string())
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

    /// One attempt at a JSON exchange: POSTs the body and returns the response's status and
    /// whole body, or the failure classified (see [`retrying`], which runs the attempts).
    ///
    /// An error status is an [`Error`] with the provider's message and the body as received;
    /// a retryable one (429, 5xx, 529) is transient, after the wait the server asks for. A
    /// failure before the response head, or a body cut off or stalled mid-way, is transient
    /// too (nothing of it was used). The time limit covers the whole exchange, body included.
    pub(crate) async fn attempt_json(&self, post: &Post) -> Result<(u16, Vec<u8>), Failure> {
        let response = self.send(post, false).await?;
        self.whole(post, response, false).await
    }

    /// One attempt at a request for a stream of events: the events, read as they come, once a
    /// success arrives; failures as [`attempt_json`](Self::attempt_json) classifies them. The
    /// time limit applies to the response head, then to each wait for more of the stream. A
    /// server that answers with a whole body instead (not `text/event-stream`: it does not
    /// stream, or it is an error page) is read as one.
    pub(crate) async fn attempt_stream(&self, post: &Post) -> Result<Opened, Failure> {
        let response = self.send(post, true).await?;
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
        let (status, body) = self.whole(post, response, true).await?;
        Ok(Opened::Whole(status, body))
    }

    /// Sends the request and returns the response head: a success, or an error status (a
    /// retryable one already read into a transient failure).
    async fn send(&self, post: &Post, stream: bool) -> Result<reqwest::Response, Failure> {
        let client = self
            .client
            .as_ref()
            .map_err(|reason| Failure::fatal(Error::client_unavailable(post.provider, reason)))?;
        let request = client
            .post(&post.url)
            .headers(post.headers.clone())
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .body(post.body.clone());
        let sent = if stream {
            // A stream has no time limit of its own: the wait for its head has one.
            match tokio::time::timeout(self.timeout, request.send()).await {
                Ok(sent) => sent,
                Err(_) => {
                    let error = Error::timed_out(post.provider, "response", self.timeout);
                    return Err(Failure::transient(error, None));
                }
            }
        } else {
            request.timeout(self.timeout).send().await
        };
        let response = match sent {
            Ok(response) => response,
            Err(error) => {
                let transient = error.is_timeout() || error.is_connect() || error.is_request();
                let error = Error::transport(post.provider, error);
                return Err(match transient {
                    true => Failure::transient(error, None),
                    false => Failure::fatal(error),
                });
            }
        };
        if response.status().is_success() || !retryable(response.status()) {
            return Ok(response);
        }
        // Read whole, so the connection goes back to the pool and the error has the
        // provider's message.
        let told = retry_after(response.headers());
        let failure = match self.whole(post, response, stream).await {
            Err(failure) => failure,
            Ok((status, body)) => Failure::fatal(Error::from_status(
                post.provider,
                status,
                None,
                String::from_utf8_lossy(&body).into_owned(),
            )),
        };
        Err(Failure::transient(failure.error, told))
    }

    /// Reads a whole body: a success's, or an error status's (then an [`Error`] with the
    /// provider's message). For a `stream` request (which has no time limit of its own), each
    /// wait for more of the body is limited.
    async fn whole(
        &self,
        post: &Post,
        response: reqwest::Response,
        stream: bool,
    ) -> Result<(u16, Vec<u8>), Failure> {
        let status = response.status();
        let body = match self.read(response, stream).await {
            Ok(body) => body,
            Err(Unread::Stalled(partial)) => {
                let error = Error::timed_out(post.provider, "response body", self.timeout)
                    .with_status(status.as_u16())
                    .with_body(String::from_utf8_lossy(&partial).into_owned());
                return Err(Failure::transient(error, None));
            }
            Err(Unread::Cut(error, partial)) => {
                let partial = String::from_utf8_lossy(&partial).into_owned();
                let error = Error::body_cut(post.provider, status.as_u16(), partial, error);
                return Err(Failure::transient(error, None));
            }
            Err(Unread::TooLarge(partial)) if !status.is_success() => partial,
            Err(Unread::TooLarge(_)) => {
                let limit = self.max_response_bytes;
                let error = Error::body_too_large(post.provider, status.as_u16(), limit);
                return Err(Failure::fatal(error));
            }
        };
        if !status.is_success() {
            let text = String::from_utf8_lossy(&body).into_owned();
            let message = provider_message(&text);
            let error = Error::from_status(post.provider, status.as_u16(), message, text);
            return Err(Failure::fatal(error));
        }
        Ok((status.as_u16(), body))
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
