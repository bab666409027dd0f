//! Talking to models over HTTP: [`OpenAi`], [`Anthropic`], the shared [`Error`], retries and the
//! secrecy of API keys.

/// The builder methods every HTTP provider has, over its `http`, `base_url`, `model` and
/// `temperature` fields.
macro_rules! shared_builder_methods {
    () => {
        /// The model, e.g. `gpt-4o` or `claude-haiku-4-5`.
        #[must_use]
        pub fn model(mut self, model: impl Into<String>) -> Self {
            self.model = model.into();
            self
        }

        /// The base URL: for OpenAI up to and including `/v1`, for Anthropic without it (as in
        /// the official SDKs and their `*_BASE_URL` variables).
        #[must_use]
        pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
            self.base_url = base_url.into().trim_end_matches('/').to_owned();
            self
        }

        /// The sampling temperature (a value that is not finite is ignored).
        #[must_use]
        pub fn temperature(mut self, temperature: f64) -> Self {
            self.temperature = temperature.is_finite().then_some(temperature);
            self
        }

        /// The time limit for one HTTP request (default: 10 minutes).
        #[must_use]
        pub fn timeout(mut self, timeout: std::time::Duration) -> Self {
            self.http.timeout = timeout;
            self
        }

        /// How many times a failed request is retried (default: 2).
        #[must_use]
        pub fn max_retries(mut self, max_retries: u32) -> Self {
            self.http.retry.max_retries = max_retries;
            self
        }

        /// The whole retry policy.
        #[must_use]
        pub fn retry_policy(mut self, policy: $crate::RetryPolicy) -> Self {
            self.http.retry = policy;
            self
        }
    };
}
use shared_builder_methods;

mod anthropic;
mod http;
mod openai;

pub use anthropic::Anthropic;
pub use http::RetryPolicy;
pub use openai::OpenAi;

pub(crate) use http::{ApiKey, HttpClient};

use std::fmt;

/// What went wrong talking to a model, or running the loop around it.
///
/// Opaque, with accessors for what a program may act on (as `reqwest::Error` is). Its `Display`
/// and `Debug` never contain an API key.
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    provider: String,
    message: String,
    status: Option<u16>,
    body: Option<String>,
    attempts: u32,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

/// The kind of an [`Error`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Missing or invalid configuration, e.g. no API key.
    Config,
    /// The connection failed.
    Connect,
    /// The request timed out.
    Timeout,
    /// The provider answered with an error status.
    Status,
    /// The provider's answer could not be read.
    Decode,
    /// The loop reached its turn limit before the model answered.
    MaxTurns,
}

impl Error {
    pub(crate) fn new(
        kind: ErrorKind,
        provider: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            inner: Box::new(Inner {
                kind,
                provider: provider.into(),
                message: message.into(),
                status: None,
                body: None,
                attempts: 1,
                source: None,
            }),
        }
    }

    pub(crate) fn with_status(mut self, status: u16) -> Self {
        self.inner.status = Some(status);
        self
    }

    pub(crate) fn with_body(mut self, body: impl Into<String>) -> Self {
        self.inner.body = Some(body.into());
        self
    }

    pub(crate) fn with_attempts(mut self, attempts: u32) -> Self {
        self.inner.attempts = attempts;
        self
    }

    pub(crate) fn with_source(
        mut self,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        self.inner.source = Some(source.into());
        self
    }

    /// What kind of error this is.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The provider it came from, e.g. `openai`.
    pub fn provider(&self) -> &str {
        &self.inner.provider
    }

    /// The HTTP status, when the provider answered with an error status.
    pub fn status(&self) -> Option<u16> {
        self.inner.status
    }

    /// The provider's own error message (or ours, when there is none).
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The raw response body, when there was one: kept for error statuses and for responses that
    /// could not be parsed.
    pub fn raw_body(&self) -> Option<&str> {
        self.inner.body.as_deref()
    }

    /// How many HTTP attempts were made (retries included).
    pub fn attempts(&self) -> u32 {
        self.inner.attempts
    }

    /// Whether the request timed out.
    pub fn is_timeout(&self) -> bool {
        self.inner.kind == ErrorKind::Timeout
    }

    /// Whether the loop ran out of turns.
    pub fn is_max_turns(&self) -> bool {
        self.inner.kind == ErrorKind::MaxTurns
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        write!(f, "{}: ", inner.provider)?;
        if let Some(status) = inner.status {
            write!(f, "HTTP {status}: ")?;
        }
        f.write_str(&inner.message)?;
        if inner.attempts > 1 {
            write!(f, " (after {} attempts)", inner.attempts)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        f.debug_struct("Error")
            .field("kind", &inner.kind)
            .field("provider", &inner.provider)
            .field("status", &inner.status)
            .field("message", &inner.message)
            .field("attempts", &inner.attempts)
            .finish_non_exhaustive()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|source| source as &(dyn std::error::Error + 'static))
    }
}

/// Reads an environment variable, treating empty as unset.
pub(crate) fn env_var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}
