//! [`Error`]: what went wrong talking to a model.

use std::borrow::Cow;
use std::fmt;

/// A `Result` whose error is this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong talking to a model: its configuration, the connection, an error status, or an
/// answer that could not be read.
///
/// Opaque, with queries for what a program may act on (as `reqwest::Error` is): [`status`],
/// [`is_timeout`], [`raw_body`]… Its `Display` and `Debug` never contain an API key. Errors of
/// the loop around the model (running out of turns) are [`RunError`](crate::RunError)s, not this.
///
/// ```
/// use tool_runtime::OpenAi;
///
/// // Without `OPENAI_API_KEY` in the environment:
/// # unsafe { std::env::remove_var("OPENAI_API_KEY") };
/// let error = OpenAi::from_env().unwrap_err();
/// assert!(error.is_config());
/// assert_eq!(error.to_string(), "openai: OPENAI_API_KEY is not set");
/// ```
///
/// [`status`]: Error::status
/// [`is_timeout`]: Error::is_timeout
/// [`raw_body`]: Error::raw_body
pub struct Error {
    inner: Box<Inner>,
}

type Source = Box<dyn std::error::Error + Send + Sync>;

struct Inner {
    kind: Kind,
    provider: Cow<'static, str>,
    message: String,
    status: Option<u16>,
    body: Option<String>,
    attempts: u32,
    /// A provider's error that asking again may cure (overloaded), reported in a stream.
    retryable: bool,
    source: Option<Source>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Config,
    Connect,
    Timeout,
    Status,
    Decode,
}

impl Kind {
    /// What a failure while reading a response body is: its time ran out, or it broke off.
    fn of_body_error(source: &reqwest::Error) -> Self {
        if source.is_timeout() {
            Self::Timeout
        } else {
            Self::Decode
        }
    }
}

/// Ways a response can be damaged beyond what lenient parsing forgives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Damage {
    /// OpenAI: an empty `choices` array.
    NoChoices,
    /// OpenAI: a `tool_calls` entry without its `function`.
    CallWithoutFunction,
    /// Anthropic: a `tool_use` block without an `id` or a `name`.
    ToolUseWithoutIdOrName,
    /// The model stopped to use tools, but sent no tool call.
    ToolUseWithoutCalls,
    /// OpenAI Responses: a `function_call` item without its `call_id` or `name`.
    FunctionCallWithoutIdOrName,
    /// OpenAI Responses: no `output` (what came is not a response).
    NoOutput,
}

impl fmt::Display for Damage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NoChoices => "the response has no choices",
            Self::CallWithoutFunction => "a tool call has no function",
            Self::ToolUseWithoutIdOrName => "a tool_use block has no id or name",
            Self::ToolUseWithoutCalls => {
                "the model stopped to call tools but the response holds no tool call"
            }
            Self::FunctionCallWithoutIdOrName => "a function_call item has no call_id or name",
            Self::NoOutput => "the response has no output",
        })
    }
}

impl Error {
    fn new(kind: Kind, provider: impl Into<Cow<'static, str>>, message: String) -> Self {
        Self {
            inner: Box::new(Inner {
                kind,
                provider: provider.into(),
                message,
                status: None,
                body: None,
                attempts: 1,
                retryable: false,
                source: None,
            }),
        }
    }

    /// A required environment variable is missing or empty.
    pub(crate) fn missing_env(provider: &'static str, variable: &str) -> Self {
        Self::new(Kind::Config, provider, format!("{variable} is not set"))
    }

    /// An environment variable has a value this crate does not know.
    pub(crate) fn bad_env(variable: &str, value: &str, known: &str) -> Self {
        let message = format!("{variable} is {value:?}; use one of: {known}");
        Self::new(Kind::Config, "environment", message)
    }

    /// The API key cannot be sent as a header (never quoted).
    pub(crate) fn unusable_key(provider: &'static str) -> Self {
        Self::new(
            Kind::Config,
            provider,
            "the API key contains characters that cannot go in an HTTP header".to_owned(),
        )
    }

    /// The offline model's script has no turn left.
    pub(crate) fn script_exhausted() -> Self {
        Self::new(
            Kind::Config,
            "offline",
            "the scripted model has no turns left".to_owned(),
        )
    }

    /// The HTTP client could not be built.
    pub(crate) fn client_unavailable(provider: &'static str, reason: &str) -> Self {
        Self::new(
            Kind::Config,
            provider,
            format!("the HTTP client could not be built: {reason}"),
        )
    }

    /// The request body could not be written.
    pub(crate) fn unwritable_request(provider: &'static str, source: serde_json::Error) -> Self {
        Self::new(
            Kind::Config,
            provider,
            format!("the request could not be serialized: {source}"),
        )
        .with_source(source)
    }

    /// The request failed before a response arrived.
    pub(crate) fn transport(provider: &'static str, source: reqwest::Error) -> Self {
        let kind = if source.is_timeout() {
            Kind::Timeout
        } else {
            Kind::Connect
        };
        let source = source.without_url();
        Self::new(
            kind,
            provider,
            format!("request failed: {}", error_chain(&source)),
        )
        .with_source(source)
    }

    /// The response body broke off (or timed out) while it was being read.
    pub(crate) fn body_cut(
        provider: &'static str,
        status: u16,
        partial: String,
        source: reqwest::Error,
    ) -> Self {
        Self::new(
            Kind::of_body_error(&source),
            provider,
            "the response body could not be read".to_owned(),
        )
        .with_status(status)
        .with_body(partial)
        .with_source(source.without_url())
    }

    /// The response body is larger than the configured limit.
    pub(crate) fn body_too_large(provider: &'static str, status: u16, limit: usize) -> Self {
        Self::new(
            Kind::Decode,
            provider,
            format!("the response body is larger than the limit of {limit} bytes"),
        )
        .with_status(status)
    }

    /// The provider answered with an error status; `message` is its own, when it gave one.
    pub(crate) fn from_status(
        provider: &'static str,
        status: u16,
        message: Option<String>,
        body: String,
    ) -> Self {
        let message = message.unwrap_or_else(|| {
            reqwest::StatusCode::from_u16(status)
                .ok()
                .and_then(|status| status.canonical_reason())
                .unwrap_or("error status")
                .to_owned()
        });
        Self::new(Kind::Status, provider, message)
            .with_status(status)
            .with_body(body)
    }

    /// The response could not be read: not JSON, or JSON of another shape.
    pub(crate) fn unreadable(provider: &'static str, source: serde_json::Error) -> Self {
        let message = if source.is_data() {
            format!("unexpected response shape: {source}")
        } else {
            format!("the response is not valid JSON: {source}")
        };
        Self::new(Kind::Decode, provider, message).with_source(source)
    }

    /// The provider reported an error in the middle of a stream of events (an `error` event);
    /// `message` is its own, when it gave one.
    pub(crate) fn stream_error(
        provider: &'static str,
        message: Option<String>,
        event: impl Into<String>,
    ) -> Self {
        let message = message.unwrap_or_else(|| "the stream reported an error".to_owned());
        Self::new(Kind::Status, provider, message).with_body(event)
    }

    /// A stream of events broke off while it was being read.
    pub(crate) fn stream_cut(provider: &'static str, status: u16, source: reqwest::Error) -> Self {
        Self::new(
            Kind::of_body_error(&source),
            provider,
            format!("the stream broke off: {}", error_chain(&source)),
        )
        .with_status(status)
        .with_source(source.without_url())
    }

    /// Nothing arrived for longer than the time limit: the response head, or the next piece of
    /// a stream.
    pub(crate) fn timed_out(
        provider: &'static str,
        what: &str,
        limit: std::time::Duration,
    ) -> Self {
        Self::new(
            Kind::Timeout,
            provider,
            format!("no {what} within {}", crate::tool::DisplayDuration(limit)),
        )
    }

    /// A stream of events could not be read: an event larger than the limit, or bytes that are
    /// not text.
    pub(crate) fn unreadable_stream(provider: &'static str, status: u16, why: String) -> Self {
        Self::new(Kind::Decode, provider, why).with_status(status)
    }

    /// A stream of events ended before the response was complete.
    pub(crate) fn stream_incomplete(model: String) -> Self {
        Self::new(
            Kind::Decode,
            model,
            "the response ended before it was complete".to_owned(),
        )
    }

    /// The response parsed, but is damaged in a way that would lose or invent a call.
    pub(crate) fn damaged(provider: &'static str, damage: Damage) -> Self {
        Self::new(Kind::Decode, provider, damage.to_string())
    }

    pub(crate) fn with_status(mut self, status: u16) -> Self {
        self.inner.status = Some(status);
        self
    }

    /// Keeps the response body as received (for errors about it).
    pub(crate) fn with_body(mut self, body: impl Into<String>) -> Self {
        self.inner.body = Some(body.into());
        self
    }

    /// Keeps the response body unless one is kept already.
    pub(crate) fn or_body(self, body: &[u8]) -> Self {
        if self.inner.body.is_some() {
            self
        } else {
            self.with_body(String::from_utf8_lossy(body))
        }
    }

    /// Marks a provider's error as one that asking again may cure.
    pub(crate) fn retryable(mut self) -> Self {
        self.inner.retryable = true;
        self
    }

    /// Whether asking again may cure it (see [`retryable`](Self::retryable)).
    pub(crate) fn is_retryable(&self) -> bool {
        self.inner.retryable
    }

    pub(crate) fn with_attempts(mut self, attempts: u32) -> Self {
        self.inner.attempts = attempts;
        self
    }

    fn with_source(mut self, source: impl Into<Source>) -> Self {
        self.inner.source = Some(source.into());
        self
    }

    /// The provider it came from: `openai`, `anthropic` or `offline` (or, for a stream of
    /// events that ended too early, the model's [name](crate::model::Model::name)).
    pub fn provider(&self) -> &str {
        &self.inner.provider
    }

    /// The HTTP status, when the provider answered with one.
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

    /// Whether the configuration is missing or unusable (no API key, a key that cannot be sent,
    /// an offline script that ran out).
    pub fn is_config(&self) -> bool {
        self.inner.kind == Kind::Config
    }

    /// Whether the connection failed (refused, reset, closed before an answer).
    pub fn is_connect(&self) -> bool {
        self.inner.kind == Kind::Connect
    }

    /// Whether the request or the reading of its answer timed out.
    pub fn is_timeout(&self) -> bool {
        self.inner.kind == Kind::Timeout
    }

    /// Whether the provider answered with an error: an error status (see
    /// [`status`](Self::status)), or an `error` event in the middle of a stream (no status).
    pub fn is_status(&self) -> bool {
        self.inner.kind == Kind::Status
    }

    /// Whether the answer could not be read: not JSON, of another shape, cut off, too large, or
    /// damaged (see [`raw_body`](Self::raw_body)).
    pub fn is_decode(&self) -> bool {
        self.inner.kind == Kind::Decode
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &self.inner;
        write!(f, "{}: ", inner.provider)?;
        if let (Some(status), Kind::Status) = (inner.status, inner.kind) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_small_and_shareable() {
        fn send_sync<T: Send + Sync + 'static>() {}
        send_sync::<Error>();
        assert_eq!(size_of::<Error>(), size_of::<usize>());
        assert_eq!(size_of::<Result<()>>(), size_of::<usize>());
    }

    #[test]
    fn each_constructor_has_its_kind() {
        assert!(Error::missing_env("openai", "OPENAI_API_KEY").is_config());
        assert!(Error::unusable_key("openai").is_config());
        assert!(Error::script_exhausted().is_config());
        let status = Error::from_status("openai", 503, None, "<html>".into());
        assert!(status.is_status());
        assert_eq!(status.message(), "Service Unavailable");
        assert_eq!(status.to_string(), "openai: HTTP 503: Service Unavailable");
        let not_json = serde_json::from_str::<serde_json::Value>("<html>").unwrap_err();
        let shape = serde_json::from_str::<Vec<u8>>("{}").unwrap_err();
        assert!(
            Error::unreadable("anthropic", not_json)
                .message()
                .starts_with("the response is not valid JSON")
        );
        assert!(
            Error::unreadable("anthropic", shape)
                .message()
                .starts_with("unexpected response shape")
        );
        let damaged = Error::damaged("openai", Damage::ToolUseWithoutCalls);
        assert!(damaged.is_decode());
        let large = Error::body_too_large("openai", 200, 10);
        assert!(large.is_decode());
        assert_eq!(large.status(), Some(200));
        assert_eq!(
            large.to_string(),
            "openai: the response body is larger than the limit of 10 bytes"
        );
    }
}
