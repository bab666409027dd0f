//! Wire protocols: pure translation between the neutral conversation and each API's JSON.
//!
//! A wire turns a [`ModelRequest`](crate::model::ModelRequest) into the body of a request, the body of a
//! response into a [`ModelResponse`](crate::model::ModelResponse), tool definitions into its `tools`
//! entries, and repairs a transcript saved in its own shape. It never sees a toolbox, a turn or
//! an agent; an [`HttpModel`](crate::model::HttpModel) sends what it writes.
//!
//! - [`openai_chat`]: OpenAI Chat Completions, and every OpenAI-compatible server.
//! - [`anthropic`]: the Anthropic Messages API.
//! - [`openai_responses`]: the OpenAI Responses API.

pub mod anthropic;
mod event;
pub mod openai_chat;
pub mod openai_responses;
#[cfg(test)]
mod stream_tests;

use std::fmt;

pub use anthropic::AnthropicMessages;
pub use openai_chat::OpenAiChat;
pub use openai_responses::OpenAiResponses;

/// A wire protocol an [`HttpModel`](crate::model::HttpModel) speaks: [`OpenAiChat`],
/// [`OpenAiResponses`] or [`AnthropicMessages`]. Sealed: the protocols are this crate's.
pub trait Wire: sealed::Protocol + Clone + fmt::Debug + Send + Sync + 'static {}

impl Wire for OpenAiChat {}
impl Wire for AnthropicMessages {}
impl Wire for OpenAiResponses {}

pub(crate) mod sealed {
    use std::collections::VecDeque;

    use reqwest::header::HeaderMap;

    use crate::error::Error;
    use crate::http::{ApiKey, SseEvent};
    use crate::model::{ModelEvent, ModelRequest, ModelResponse};

    /// What every request of an [`HttpModel`](crate::model::HttpModel) carries besides the
    /// conversation.
    #[derive(Debug, Clone, PartialEq)]
    pub struct Options {
        /// The model, e.g. `gpt-4o-mini`.
        pub model: String,
        /// The most tokens the model may write per response.
        pub max_tokens: Option<u32>,
        /// The sampling temperature.
        pub temperature: Option<f64>,
    }

    /// The translation a wire does.
    pub trait Protocol {
        /// The provider its errors name, e.g. `openai`.
        const PROVIDER: &'static str;
        /// The path of the endpoint, after the base URL.
        const PATH: &'static str;

        /// The headers of every request: authentication and protocol version.
        fn headers(&self, key: Option<&ApiKey>) -> Result<HeaderMap, Error>;

        /// How its streamed responses are read.
        type Decoder: StreamDecoder;

        /// Writes the body of a request, asking for a stream of events when `stream` is set.
        fn write_request(
            &self,
            request: &ModelRequest<'_>,
            options: &Options,
            stream: bool,
            out: &mut Vec<u8>,
        ) -> serde_json::Result<()>;

        /// Reads the body of a response.
        fn read_response(&self, body: &[u8]) -> Result<ModelResponse, Error>;

        /// A reader for one streamed response.
        fn decoder(&self) -> Self::Decoder;

        /// This protocol without the optional parts of a request that some servers or models
        /// refuse (`None` when it sends none): OpenAI's `stream_options`, Anthropic's strict
        /// tools.
        fn without_optional(&self) -> Option<Self>
        where
            Self: Sized;

        /// Whether an error status's text says the server refuses those parts.
        fn refuses_optional(&self, message: &str) -> bool;

        /// Whether requests can ask for a final answer in the shape of `output` natively.
        fn native_output(&self, output: &crate::model::OutputFormat) -> bool;
    }

    /// Reads a streamed response, one server-sent event at a time, into [`ModelEvent`]s that
    /// assemble into what [`Protocol::read_response`] gives for the same answer sent whole.
    pub trait StreamDecoder: Send + 'static {
        /// Reads one event and pushes the model events it completes; `true` once the response
        /// is complete (its last event was read).
        fn event(&mut self, event: SseEvent, out: &mut VecDeque<ModelEvent>)
        -> Result<bool, Error>;

        /// The server ended the stream before the response's last event: pushes what remains
        /// if the response is complete all the same, or says why it is not.
        fn end(&mut self, out: &mut VecDeque<ModelEvent>) -> Result<(), Error>;
    }
}

/// `arguments` as the JSON object a call's input must be: an object stays as it is, anything
/// else (text that does not parse, a non-object) becomes `{}`.
pub(crate) fn arguments_object(arguments: &crate::tool::Arguments) -> serde_json::Value {
    match arguments.to_value() {
        Ok(value @ serde_json::Value::Object(_)) => value,
        _ => serde_json::Value::Object(serde_json::Map::new()),
    }
}

/// Serializes a tool result's content (the output, or the error's message) without first
/// rendering it into a `String` of its own.
pub(crate) struct Content<'a>(pub(crate) &'a crate::conversation::ToolResult);

impl serde::Serialize for Content<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.0.outcome {
            Ok(output) => serializer.serialize_str(output.as_str()),
            Err(error) => serializer.collect_str(error),
        }
    }
}

/// The text of a result's content is empty.
pub(crate) fn content_is_empty(result: &crate::conversation::ToolResult) -> bool {
    match &result.outcome {
        Ok(output) => output.as_str().is_empty(),
        Err(error) => error.to_string().is_empty(),
    }
}
