//! [`HttpModel`]: one model type for every HTTP API. [`OpenAi`] and [`Anthropic`] say who
//! (the key, the base URL, the environment variables) and which wire protocol they speak.

mod anthropic;
mod openai;
mod stream;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use serde_json::Value;

pub use anthropic::Anthropic;
pub use openai::OpenAi;

use crate::error::{Error, Result};
use crate::http::{ApiKey, Attempt, Failure, HttpClient, Post, RetryPolicy, retrying};
use crate::model::wire::Wire;
use crate::model::wire::sealed::Options;
use crate::model::{Model, ModelFuture, ModelRequest, ModelResponse, ModelStream};

/// A model behind an HTTP API, speaking the wire protocol `W`: authentication, base URL, retries,
/// time and size limits, and an API key that never shows.
///
/// Made by [`OpenAi`] (Chat Completions, and any OpenAI-compatible server) and [`Anthropic`]
/// (Messages); the builder methods here are shared by both.
///
/// ```
/// use std::time::Duration;
/// use tool_runtime::{Anthropic, OpenAi};
///
/// let openai = OpenAi::new("sk-…")
///     .model("gpt-4o")
///     .max_tokens(1024)
///     .temperature(0.2)
///     .timeout(Duration::from_secs(60))
///     .max_retries(3);
/// assert!(!format!("{openai:?}").contains("sk-…"));
///
/// let claude = Anthropic::new("sk-ant-…").model("claude-haiku-4-5").max_tokens(1024);
/// assert_eq!(claude.model_name(), "claude-haiku-4-5");
/// ```
#[derive(Clone, Debug)]
pub struct HttpModel<W: Wire> {
    wire: W,
    http: HttpClient,
    base_url: String,
    api_key: Option<ApiKey>,
    options: Options,
    /// Whether the server refused a request's optional parts (OpenAI's `stream_options`,
    /// Anthropic's strict tools): sent without them since (shared by clones).
    optional_refused: Arc<AtomicBool>,
    /// Whether typed answers are asked for with the API's structured output.
    structured_output: bool,
}

impl<W: Wire> HttpModel<W> {
    fn with_wire(wire: W, base_url: &str, model: &str, api_key: Option<ApiKey>) -> Self {
        Self {
            wire,
            http: HttpClient::new(),
            base_url: base_url.to_owned(),
            api_key,
            options: Options {
                model: model.to_owned(),
                max_tokens: None,
                temperature: None,
            },
            optional_refused: Arc::default(),
            structured_output: true,
        }
    }

    /// This model speaking another wire protocol (the refusals seen so far are forgotten).
    fn rewire<V: Wire>(self, wire: V) -> HttpModel<V> {
        HttpModel {
            wire,
            http: self.http,
            base_url: self.base_url,
            api_key: self.api_key,
            options: self.options,
            optional_refused: Arc::default(),
            structured_output: self.structured_output,
        }
    }

    /// Whether a typed final answer ([`RunRequest::output`](crate::agent::RunRequest::output)) is asked
    /// for with the API's structured output (default: yes): OpenAI's `response_format` (strict
    /// when the schema allows it), Anthropic's `output_config.format` (when the schema has a
    /// strict flavour and [`Anthropic::strict`] is on). `false` offers the model a final tool to
    /// call with the answer instead, for servers without structured output.
    ///
    /// ```
    /// use tool_runtime::OpenAi;
    ///
    /// let local = OpenAi::compatible("http://127.0.0.1:8080/v1", "local").structured_output(false);
    /// # let _ = local;
    /// ```
    #[must_use]
    pub fn structured_output(mut self, enabled: bool) -> Self {
        self.structured_output = enabled;
        self
    }

    /// The model, e.g. `gpt-4o` or `claude-haiku-4-5`.
    #[must_use]
    pub fn model(mut self, model: impl Into<String>) -> Self {
        self.options.model = model.into();
        self
    }

    /// The base URL: for OpenAI up to and including `/v1`, for Anthropic without it (as in the
    /// official SDKs and their `*_BASE_URL` variables).
    #[must_use]
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into().trim_end_matches('/').to_owned();
        self
    }

    /// The API key.
    #[must_use]
    pub fn api_key(mut self, api_key: impl Into<String>) -> Self {
        self.api_key = Some(ApiKey::new(api_key));
        self
    }

    /// The most tokens the model may write per response.
    #[must_use]
    pub fn max_tokens(mut self, max_tokens: u32) -> Self {
        self.options.max_tokens = Some(max_tokens);
        self
    }

    /// The sampling temperature (a value that is not finite is ignored).
    #[must_use]
    pub fn temperature(mut self, temperature: f64) -> Self {
        self.options.temperature = temperature.is_finite().then_some(temperature);
        self
    }

    /// The time limit for one HTTP request, answer included (default: 10 minutes). When the
    /// answer streams, it limits the wait for the response head, then each wait for the next
    /// piece of the stream: a stream that stalls longer ends with a timeout error.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
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
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.http.retry = policy;
        self
    }

    /// The largest response body read (default: 32 MiB), and, when the answer streams, the
    /// largest event; a larger one is an error.
    #[must_use]
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.http.max_response_bytes = limit;
        self
    }

    /// The model's name, as sent in requests.
    pub fn model_name(&self) -> &str {
        &self.options.model
    }

    /// The wire protocol.
    pub fn wire(&self) -> &W {
        &self.wire
    }

    /// The JSON body this model sends for `request`, for inspection and tests (requests are
    /// written straight to bytes, not through a JSON tree).
    pub fn request_body(&self, request: ModelRequest<'_>) -> Result<Value> {
        let body = self.write(&request, false)?;
        serde_json::from_slice(&body).map_err(|error| Error::unwritable_request(W::PROVIDER, error))
    }

    /// Reads a response body as this model's wire protocol defines it.
    pub fn parse_response(&self, body: &[u8]) -> Result<ModelResponse> {
        self.wire
            .read_response(body)
            .map_err(|error| error.or_body(body))
    }

    /// This model configured from the environment: the API key from `vars.key` (required), the
    /// base URL and the model from the others when they are set.
    fn configured_from(vars: &EnvVars, new: impl FnOnce(String) -> Self) -> Result<Self> {
        let key = env_var(vars.key).ok_or_else(|| Error::missing_env(W::PROVIDER, vars.key))?;
        let mut model = new(key);
        if let Some(base_url) = env_var(vars.base_url) {
            model = model.base_url(base_url);
        }
        if let Some(name) = env_var(vars.model) {
            model = model.model(name);
        }
        Ok(model)
    }

    fn write(&self, request: &ModelRequest<'_>, stream: bool) -> Result<Vec<u8>> {
        self.write_with(&self.wire, request, stream)
    }

    fn write_with(&self, wire: &W, request: &ModelRequest<'_>, stream: bool) -> Result<Vec<u8>> {
        let mut body = Vec::with_capacity(1024);
        wire.write_request(request, &self.options, stream, &mut body)
            .map_err(|error| Error::unwritable_request(W::PROVIDER, error))?;
        Ok(body)
    }

    /// The POST for `request`: without the optional parts once the server refused them.
    fn post(&self, request: &ModelRequest<'_>, stream: bool) -> Result<Post> {
        let wire = self.wire_now();
        Ok(Post {
            provider: W::PROVIDER,
            url: self.url(),
            headers: wire.headers(self.api_key.as_ref())?,
            body: Bytes::from(self.write_with(&wire, request, stream)?),
        })
    }

    /// The wire as requests are written now: without the optional parts once the server
    /// refused them.
    fn wire_now(&self) -> std::borrow::Cow<'_, W> {
        match self.wire.without_optional() {
            Some(bare) if self.optional_refused.load(Ordering::Relaxed) => {
                std::borrow::Cow::Owned(bare)
            }
            _ => std::borrow::Cow::Borrowed(&self.wire),
        }
    }

    /// `failure`, told apart as the server refusing the request's optional parts when it is
    /// one (they are left out from now on).
    fn optional_refusal(&self, failure: Failure) -> Failure {
        let error = &failure.error;
        let refused = matches!(error.status(), Some(400 | 422))
            && self.wire.without_optional().is_some()
            && !self.optional_refused.load(Ordering::Relaxed)
            && [Some(error.message()), error.raw_body()]
                .into_iter()
                .flatten()
                .any(|text| self.wire.refuses_optional(text));
        if !refused {
            return failure;
        }
        self.optional_refused.store(true, Ordering::Relaxed);
        Failure {
            advice: crate::http::Advice::WithoutOptional,
            ..failure
        }
    }

    fn url(&self) -> String {
        format!("{}{}", self.base_url, W::PATH)
    }
}

impl<W: Wire> Model for HttpModel<W> {
    fn name(&self) -> String {
        format!("{}/{}", W::PROVIDER, self.options.model)
    }

    fn complete<'a>(&'a self, request: ModelRequest<'a>) -> ModelFuture<'a> {
        Box::pin(async move {
            let whole = Whole {
                model: self,
                request: &request,
            };
            let (status, body) = retrying(&self.http.retry, W::PROVIDER, whole).await?;
            self.parse_response(&body)
                .map_err(|error| error.with_status(status))
        })
    }

    /// Asks for the answer as a stream of server-sent events (`"stream": true`), and hands on
    /// each text delta as it arrives and each tool call the moment its arguments are complete.
    ///
    /// The request is sent again (as [`complete`](Self::complete) does) until a response
    /// arrives, and when the stream breaks before its first event; never after an event was
    /// handed on, since tools may have started.
    fn stream<'a>(&'a self, request: ModelRequest<'a>) -> ModelStream<'a> {
        stream::events(self, request)
    }

    fn native_output(&self, output: &crate::model::OutputFormat) -> bool {
        if !self.structured_output {
            return false;
        }
        self.wire_now().native_output(output)
    }
}

/// One attempt at a whole answer.
struct Whole<'a, W: Wire> {
    model: &'a HttpModel<W>,
    request: &'a ModelRequest<'a>,
}

impl<W: Wire> Attempt for Whole<'_, W> {
    type Output = (u16, Vec<u8>);

    async fn attempt(&mut self, _: u32) -> std::result::Result<(u16, Vec<u8>), Failure> {
        let model = self.model;
        let post = model.post(self.request, false).map_err(Failure::fatal)?;
        let answer = model.http.attempt_json(&post).await;
        answer.map_err(|failure| model.optional_refusal(failure))
    }
}

/// The environment variables a provider's official SDK reads.
struct EnvVars {
    key: &'static str,
    base_url: &'static str,
    model: &'static str,
}

/// Reads an environment variable, treating empty as unset.
fn env_var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}
