//! One behaviour, tested once per wire protocol. Each wire is one row of a table ([`Wire`]): how
//! its server is reached, what its server answers, how its requests are read, and each way it
//! differs from the others, as a field named for what differs. [`Wire::ALL`] lists the rows and
//! [`each_wire!`] runs a test on each; both are made from the one list in [`with_wires!`].
//!
//! A fourth wire costs a row (a `Wire` constant in a module of its own, beside its canned
//! answers) and an entry in that list.

use std::fmt;
use std::time::Duration;

use serde_json::Value;
use tool_runtime::Agent;
use tool_runtime::model::{HttpModel, Model, RetryPolicy};
use tool_runtime::{Toolbox, wire};

use crate::{MockServer, Recorded, fast_retries, weather_tools};

/// One wire protocol, as the tests see it: a row of the table the per-wire tests run over.
///
/// Its fields say how it differs from the others; its methods build what its server answers and
/// read what its client sends.
#[derive(Clone, Copy)]
pub struct Wire {
    /// Its name, also the name of its test in every [`each_wire!`](crate::each_wire) module,
    /// e.g. `openai`.
    pub name: &'static str,
    /// The provider its errors name (`Error::provider`).
    pub provider: &'static str,
    /// The path of its endpoint, as the server sees it.
    pub path: &'static str,
    /// What its base URL holds after the host: `/v1` for OpenAI, nothing for Anthropic.
    pub base_path: &'static str,
    /// The API key its provider is given.
    pub key: &'static str,
    /// What a request calls the item that holds the model's calls: its role, or for Responses
    /// the type of each call's item.
    pub calls_kind: &'static str,
    /// What a request calls the item that holds the tools' results, the same way.
    pub results_kind: &'static str,
    /// Whether a tool result says it is an error (Anthropic's `is_error`); elsewhere an error is
    /// its text alone.
    pub marks_errors: bool,
    /// Whether a tool result carries its images and documents itself; Chat Completions' tool
    /// messages are text only, so the media follow in a user message of their own.
    pub results_carry_media: bool,
    /// Whether a streamed call is complete at an end event of its own (Anthropic's
    /// `content_block_stop`, Responses' `output_item.done`); a Chat Completions call is complete
    /// only when the next begins or the message ends.
    pub calls_end_on_their_own: bool,
    /// Whether a request for a typed answer names the format and says it is strict (OpenAI's
    /// `json_schema`), rather than give the schema alone (Anthropic's `output_config`).
    pub names_answer_format: bool,

    /// How call ids begin: `call_`, `toolu_`.
    pub(crate) id_prefix: &'static str,
    /// Its model, set up.
    pub(crate) model: fn(&ModelBuilder) -> Box<dyn Model>,

    // What its server answers.
    /// A response asking for calls, and how it carries their arguments.
    pub(crate) calls: Calls,
    /// A final answer.
    pub(crate) text: fn(&str, u64, u64) -> Value,
    /// A whole response as the stream of events it comes in, in pieces of so many characters.
    pub(crate) sse: fn(&Value, usize) -> String,
    /// An error body: a server error.
    pub(crate) error: fn(&str) -> Value,
    /// An error body: a request the API refuses.
    pub(crate) invalid_request: fn(&str) -> Value,
    /// The status and body of "overloaded".
    pub(crate) overloaded: fn() -> (u16, Value),
    /// The body of a refused key, echoing it masked.
    pub(crate) key_refused: fn() -> Value,
    /// An `error` event of its stream.
    pub(crate) error_event: fn(&str) -> String,
    /// JSON of the wrong shape for a response.
    pub(crate) wrong_shape: fn() -> Value,
    /// Responses that ask for calls it cannot carry out, with the error each gives.
    pub(crate) unusable_calls: fn() -> [(Value, &'static str); 2],

    // How its requests are written.
    /// A user's text.
    pub(crate) user_message: fn(&str) -> Value,
    /// The model's text answer, sent back.
    pub(crate) answer_echoed: fn(&str) -> Value,
    /// Content: text, an image (media type, base64), a named file (name, media type, base64),
    /// a document by URL.
    pub(crate) text_part: fn(&str) -> Value,
    pub(crate) image_part: fn(&str, &str) -> Value,
    pub(crate) file_part: fn(&str, &str, &str) -> Value,
    pub(crate) document_url_part: fn(&str) -> Value,
    /// The fields that turn parallel calls off.
    pub(crate) parallel_calls_off: fn() -> Value,
    /// The tool choice that requires a call.
    pub(crate) required_tool_choice: fn() -> Value,
    /// The fields a streamed request adds.
    pub(crate) stream_fields: fn() -> Value,

    // How its requests are read.
    /// The tool results at the end of the conversation.
    pub(crate) results: fn(&Recorded) -> Vec<Seen>,
    /// The content of each tool result at the end of the conversation.
    pub(crate) result_contents: fn(&Recorded) -> Vec<Value>,
    /// The arguments of every call the conversation carries back.
    pub(crate) echoed_arguments: fn(&Recorded) -> Vec<Value>,
    /// The names of the tools offered.
    pub(crate) tool_names: fn(&Value) -> Vec<&str>,
    /// The format asked for a typed answer.
    pub(crate) answer_format: fn(&Value) -> Value,
    /// The text of a user message.
    pub(crate) user_text: fn(&Value) -> &str,
    /// Its tool-call protocol, checked on every request.
    pub(crate) protocol: fn(&Recorded, bool) -> Result<(), String>,
}

/// How a wire carries a call's arguments, with its response asking for calls.
#[derive(Clone, Copy)]
pub(crate) enum Calls {
    /// As JSON text, sent as it is, valid or not (Chat Completions, Responses).
    Text(fn(&[Call<'_, &str>], u64, u64) -> Value),
    /// As a JSON value (Anthropic's `input`): text that is not JSON cannot be sent.
    Json(fn(&[Call<'_, Value>], u64, u64) -> Value),
}

/// A request body's `tools` (empty when there are none).
pub(crate) fn tools(body: &Value) -> &[Value] {
    body["tools"].as_array().map(Vec::as_slice).unwrap_or(&[])
}

/// The names of a request body's tools, each entry flat: `{"name", …}` (Anthropic, Responses).
pub(crate) fn named_tools(body: &Value) -> Vec<&str> {
    tools(body)
        .iter()
        .map(|tool| tool["name"].as_str().unwrap())
        .collect()
}

/// A call as a test gives it: `(id, name, arguments)`.
pub(crate) type Call<'a, A> = (&'a str, &'a str, A);

/// A tool result as it appears in a request.
#[derive(Debug, Clone, PartialEq)]
pub struct Seen {
    /// The call id it answers.
    pub id: String,
    /// The content.
    pub content: String,
    /// Anthropic's `is_error` (absent: `None`; OpenAI has no such field).
    pub is_error: Option<bool>,
}

impl Wire {
    /// The wire whose endpoint is at `path`.
    pub fn serving(path: &str) -> Option<Wire> {
        Wire::ALL.into_iter().find(|wire| wire.path == path)
    }

    /// The server's base URL for this wire.
    pub fn url(self, server: &MockServer) -> String {
        format!("http://{}{}", server.addr(), self.base_path)
    }

    /// This wire's model at `base_url`, to be set up, every setting at the library's default.
    pub fn model(self, base_url: impl Into<String>) -> ModelBuilder {
        ModelBuilder {
            wire: self,
            base_url: base_url.into(),
            retry: None,
            timeout: None,
            max_response_bytes: None,
            structured_output: None,
        }
    }

    /// The provider at `url` with this retry policy and a 10 s request timeout.
    pub fn provider(self, url: String, retry: RetryPolicy) -> Box<dyn Model> {
        self.provider_with_timeout(url, retry, Duration::from_secs(10))
    }

    /// The provider at `url` with this retry policy and request timeout.
    pub fn provider_with_timeout(
        self,
        url: String,
        retry: RetryPolicy,
        timeout: Duration,
    ) -> Box<dyn Model> {
        self.model(url).retry_policy(retry).timeout(timeout).build()
    }

    /// An agent for `toolbox` against the server, with fast retries.
    pub fn agent(self, server: &MockServer, toolbox: Toolbox) -> Agent {
        Agent::new(self.provider(self.url(server), fast_retries(2)), toolbox)
    }

    /// An agent for the seed's tools against the server, with `retries` fast retries.
    pub fn agent_with_retries(self, server: &MockServer, retries: u32) -> Agent {
        Agent::new(
            self.provider(self.url(server), fast_retries(retries)),
            weather_tools(),
        )
    }

    /// A call id in the wire's style.
    pub fn id(self, n: impl fmt::Display) -> String {
        format!("{}{n}", self.id_prefix)
    }

    // -----------------------------------------------------------------------------------------
    // What its server answers.
    // -----------------------------------------------------------------------------------------

    /// Whether the wire carries a call's arguments as JSON text (which may be malformed), not
    /// as a JSON value.
    pub fn arguments_are_text(self) -> bool {
        matches!(self.calls, Calls::Text(_))
    }

    /// A response asking for these calls, `(id, name, arguments)`.
    pub fn calls(self, calls: &[(&str, &str, Value)], input: u64, output: u64) -> Value {
        match self.calls {
            Calls::Text(build) => {
                let texts: Vec<String> =
                    calls.iter().map(|(_, _, args)| args.to_string()).collect();
                let calls: Vec<(&str, &str, &str)> = calls
                    .iter()
                    .zip(&texts)
                    .map(|((id, name, _), text)| (*id, *name, text.as_str()))
                    .collect();
                build(&calls, input, output)
            }
            Calls::Json(build) => build(calls, input, output),
        }
    }

    /// A response asking for these calls, `(id, name, arguments text)`: the text sent as it is
    /// where the wire carries text ([`arguments_are_text`](Self::arguments_are_text)), parsed
    /// where it carries JSON (there, text that is not JSON cannot be sent: panics).
    pub fn calls_text(self, calls: &[(&str, &str, &str)], input: u64, output: u64) -> Value {
        match self.calls {
            Calls::Text(build) => build(calls, input, output),
            Calls::Json(build) => {
                let calls: Vec<(&str, &str, Value)> = calls
                    .iter()
                    .map(|(id, name, text)| {
                        let arguments = serde_json::from_str(text).unwrap_or_else(|error| {
                            panic!(
                                "{} carries arguments as JSON, not {text:?}: {error}",
                                self.name
                            )
                        });
                        (*id, *name, arguments)
                    })
                    .collect();
                build(&calls, input, output)
            }
        }
    }

    /// A final answer.
    pub fn text(self, text: &str, input: u64, output: u64) -> Value {
        (self.text)(text, input, output)
    }

    /// The stream of a whole response built by [`calls`](Self::calls) or [`text`](Self::text),
    /// in the wire's event format, text and arguments in pieces of `piece` characters.
    pub fn sse(self, response: &Value, piece: usize) -> String {
        (self.sse)(response, piece)
    }

    /// An error body in the wire's own shape: a server error.
    pub fn error(self, message: &str) -> Value {
        (self.error)(message)
    }

    /// An error body in the wire's own shape: a request the API refuses.
    pub fn invalid_request(self, message: &str) -> Value {
        (self.invalid_request)(message)
    }

    /// How the API says it is overloaded: its status and body.
    pub fn overloaded(self) -> (u16, Value) {
        (self.overloaded)()
    }

    /// The body of the `401` for a wrong key, which echoes the key masked, as the real APIs do.
    pub fn key_refused(self) -> Value {
        (self.key_refused)()
    }

    /// An `error` event in the wire's stream, saying the server is overloaded, with `message`.
    pub fn error_event(self, message: &str) -> String {
        (self.error_event)(message)
    }

    /// JSON of the wrong shape for one of the wire's responses: its main field of another type.
    pub fn wrong_shape(self) -> Value {
        (self.wrong_shape)()
    }

    /// Responses that say the model stopped to call tools but hold no call the library can
    /// carry out (none at all; one damaged beside a good one), each with the error it gives.
    pub fn unusable_calls(self) -> [(Value, &'static str); 2] {
        (self.unusable_calls)()
    }

    // -----------------------------------------------------------------------------------------
    // How its requests are written.
    // -----------------------------------------------------------------------------------------

    /// A user's text, as a request carries it.
    pub fn user_message(self, text: &str) -> Value {
        (self.user_message)(text)
    }

    /// The model's text answer, as the next request carries it back.
    pub fn answer_echoed(self, text: &str) -> Value {
        (self.answer_echoed)(text)
    }

    /// A piece of text in content.
    pub fn text_part(self, text: &str) -> Value {
        (self.text_part)(text)
    }

    /// An image in content, from its media type and base64 data.
    pub fn image_part(self, media_type: &str, base64: &str) -> Value {
        (self.image_part)(media_type, base64)
    }

    /// A named file in content, from its name, media type and base64 data.
    pub fn file_part(self, name: &str, media_type: &str, base64: &str) -> Value {
        (self.file_part)(name, media_type, base64)
    }

    /// A document given by its URL, in content.
    pub fn document_url_part(self, url: &str) -> Value {
        (self.document_url_part)(url)
    }

    /// The fields of a request that turn parallel calls off, as an object.
    pub fn parallel_calls_off(self) -> Value {
        (self.parallel_calls_off)()
    }

    /// The `tool_choice` that requires the model to call a tool.
    pub fn required_tool_choice(self) -> Value {
        (self.required_tool_choice)()
    }

    /// The fields a request asking for a stream has that the same request asking for a whole
    /// answer has not, as an object.
    pub fn stream_fields(self) -> Value {
        (self.stream_fields)()
    }

    /// A tool result as the wire's request carries it: flagged as an error only where the wire
    /// [marks errors](Self::marks_errors).
    pub fn seen(self, id: &str, content: &str, is_error: bool) -> Seen {
        Seen {
            id: id.to_owned(),
            content: content.to_owned(),
            is_error: (self.marks_errors && is_error).then_some(true),
        }
    }

    // -----------------------------------------------------------------------------------------
    // How its requests are read.
    // -----------------------------------------------------------------------------------------

    /// The tool results at the end of a request's conversation, their content as text.
    pub fn results(self, request: &Recorded) -> Vec<Seen> {
        (self.results)(request)
    }

    /// The content of each tool result at the end of a request's conversation, as sent: text,
    /// or a list of parts.
    pub fn result_contents(self, request: &Recorded) -> Vec<Value> {
        (self.result_contents)(request)
    }

    /// The arguments of every call a request's conversation carries back, in order, as the
    /// wire carries them: JSON text, or Anthropic's `input`.
    pub fn echoed_arguments(self, request: &Recorded) -> Vec<Value> {
        (self.echoed_arguments)(request)
    }

    /// The names of the tools a request's body offers.
    pub fn tool_names(self, body: &Value) -> Vec<&str> {
        (self.tool_names)(body)
    }

    /// The format a request's body asks a typed answer in, as one object: its `type`, its
    /// `schema`, and where the wire [names it](Self::names_answer_format) its `name`, `strict`
    /// and `description`.
    pub fn answer_format(self, body: &Value) -> Value {
        (self.answer_format)(body)
    }

    /// The text of a user message in a request.
    pub fn user_text(self, message: &Value) -> &str {
        (self.user_text)(message)
    }

    /// Checks a request against the wire's tool-call protocol.
    pub fn check_protocol(self, request: &Recorded, repeated_ids: bool) -> Result<(), String> {
        (self.protocol)(request, repeated_ids)
    }
}

impl fmt::Debug for Wire {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

impl PartialEq for Wire {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for Wire {}

/// A wire's model, being set up: the settings every HTTP model has, each at the library's
/// default unless given. [`build`](Self::build) makes the wire's own model with them.
#[derive(Debug, Clone)]
pub struct ModelBuilder {
    wire: Wire,
    base_url: String,
    retry: Option<RetryPolicy>,
    timeout: Option<Duration>,
    max_response_bytes: Option<usize>,
    structured_output: Option<bool>,
}

impl ModelBuilder {
    /// The whole retry policy.
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = Some(retry);
        self
    }

    /// The time limit for one HTTP request.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The largest response body (and streamed event) read.
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = Some(limit);
        self
    }

    /// Whether a typed answer is asked for with the API's structured output.
    pub fn structured_output(mut self, enabled: bool) -> Self {
        self.structured_output = Some(enabled);
        self
    }

    /// The wire's model, set up.
    pub fn build(self) -> Box<dyn Model> {
        (self.wire.model)(&self)
    }

    /// `model` with these settings: what each wire's row does with its own model.
    pub(crate) fn apply<W: wire::Wire>(&self, model: HttpModel<W>) -> Box<dyn Model> {
        let mut model = model.base_url(self.base_url.clone());
        if let Some(retry) = self.retry {
            model = model.retry_policy(retry);
        }
        if let Some(timeout) = self.timeout {
            model = model.timeout(timeout);
        }
        if let Some(limit) = self.max_response_bytes {
            model = model.max_response_bytes(limit);
        }
        if let Some(enabled) = self.structured_output {
            model = model.structured_output(enabled);
        }
        Box::new(model)
    }
}

/// The list of wires, written once: each entry is a test's name and the [`Wire`] row it runs
/// on. Hands the list to the macro `$then` (exported by this crate), after `$input`:
/// [`Wire::ALL`] and [`each_wire!`] are both made this way.
#[doc(hidden)]
#[macro_export]
macro_rules! with_wires {
    ($then:ident! $input:tt) => {
        $crate::$then! { $input [openai OPENAI, anthropic ANTHROPIC, responses RESPONSES] }
    };
}

/// [`Wire::ALL`], from the list of wires; each row's name checked against its test's.
#[doc(hidden)]
#[macro_export]
macro_rules! __wire_table {
    ([] [$($name:ident $row:ident),*]) => {
        impl Wire {
            /// Every wire, in the order of the list their tests are made from.
            pub const ALL: [Wire; [$(stringify!($row)),*].len()] = [$(Wire::$row),*];
        }

        // A row's name is its test's name: failures name the test that ran.
        const _: () = {$(
            assert!(
                same(Wire::$row.name, stringify!($name)),
                concat!("the row ", stringify!($row), " is not named ", stringify!($name)),
            );
        )*};
    };
}

with_wires!(__wire_table![]);

/// Whether two strings are the same, at compile time.
const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Runs each `async fn(Wire)` test once per wire of [`Wire::ALL`]: `each_wire!(name)` makes a
/// module `name` with a `#[tokio::test]` per wire, `name::openai`, `name::anthropic`,
/// `name::responses`.
#[macro_export]
macro_rules! each_wire {
    ($($test:ident),* $(,)?) => {
        $crate::with_wires! { __each_wire! [$($test)*] }
    };
}

/// [`each_wire!`], given the list of wires.
#[doc(hidden)]
#[macro_export]
macro_rules! __each_wire {
    ([$($test:ident)*] $wires:tt) => {$(
        $crate::__each_wire_module! { $test $wires }
    )*};
}

/// One test module of [`each_wire!`].
#[doc(hidden)]
#[macro_export]
macro_rules! __each_wire_module {
    ($test:ident [$($name:ident $row:ident),*]) => {
        mod $test {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$test($crate::Wire::$row).await
                }
            )*
        }
    };
}
