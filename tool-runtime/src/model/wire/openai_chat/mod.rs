//! OpenAI Chat Completions (`POST {base}/chat/completions`), and every server that speaks it
//! (vLLM, llama.cpp, Ollama, Groq…).

mod repair;
pub(super) mod request;
mod response;
mod stream;

use reqwest::header::{AUTHORIZATION, HeaderMap};

pub use repair::repair;
pub use request::tools;

use serde_json::Value;

use super::sealed::{Options, Protocol};
use crate::conversation::RawMessage;
use crate::error::Error;
use crate::http::ApiKey;
use crate::model::{ModelRequest, ModelResponse};

/// The format name of what a Chat Completions answer keeps in
/// [`RawMessage`](crate::conversation::RawMessage): `{"tool_calls": [{"id": …, "extra_content": …}, …]}`,
/// the fields a server put on its calls beyond the API's and wants back (Gemini 3's
/// `extra_content.google.thought_signature`), by call id. Only kept when there are some.
pub(crate) const FORMAT: &str = "openai_chat";

/// What a server's calls carry beyond the API's fields, by call id, kept to be sent back with
/// them: `None` when none does.
pub(crate) fn call_extras(extras: Vec<(String, Option<Value>)>) -> Option<RawMessage> {
    if extras.iter().all(|(_, extra)| extra.is_none()) {
        return None;
    }
    let calls = extras
        .into_iter()
        .filter_map(|(id, extra)| Some(serde_json::json!({ "id": id, "extra_content": extra? })))
        .collect();
    Some(RawMessage {
        format: FORMAT.to_owned(),
        value: serde_json::json!({ "tool_calls": Value::Array(calls) }),
    })
}

/// `Authorization: Bearer <key>`, when there is a key: OpenAI's headers, for both its APIs.
pub(super) fn bearer(provider: &'static str, key: Option<&ApiKey>) -> Result<HeaderMap, Error> {
    let mut headers = HeaderMap::new();
    if let Some(key) = key {
        headers.insert(AUTHORIZATION, key.header(provider, "Bearer ")?);
    }
    Ok(headers)
}

/// The OpenAI Chat Completions wire protocol: what [`OpenAi`](crate::OpenAi) speaks.
///
/// A tool's images and documents cannot go in a `tool` message (text only): they follow the
/// turn's tool messages in one user message, each result's after a line naming its call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenAiChat {
    /// Tools in the strict flavour where their schema allows it.
    pub(crate) strict: bool,
    /// `max_tokens` rather than `max_completion_tokens`, for servers that predate the latter.
    pub(crate) legacy_max_tokens: bool,
    /// `stream_options.include_usage` in streamed requests (some compatible servers refuse it).
    pub(crate) stream_usage: bool,
}

impl Default for OpenAiChat {
    fn default() -> Self {
        Self {
            strict: true,
            legacy_max_tokens: false,
            stream_usage: true,
        }
    }
}

impl Protocol for OpenAiChat {
    const PROVIDER: &'static str = "openai";
    const PATH: &'static str = "/chat/completions";

    fn headers(&self, key: Option<&ApiKey>) -> Result<HeaderMap, Error> {
        bearer(Self::PROVIDER, key)
    }

    type Decoder = stream::ChatStream;

    fn write_request(
        &self,
        request: &ModelRequest<'_>,
        options: &Options,
        stream: bool,
        out: &mut Vec<u8>,
    ) -> serde_json::Result<()> {
        request::write(self, request, options, stream, out)
    }

    fn read_response(&self, body: &[u8]) -> Result<ModelResponse, Error> {
        response::read(body)
    }

    fn decoder(&self) -> stream::ChatStream {
        stream::ChatStream::default()
    }

    fn without_optional(&self) -> Option<Self> {
        self.stream_usage.then(|| Self {
            stream_usage: false,
            ..self.clone()
        })
    }

    fn refuses_optional(&self, message: &str) -> bool {
        message.contains("stream_options")
    }

    /// `response_format` takes any object schema: strict when the schema allows it.
    fn native_output(&self, _output: &crate::model::OutputFormat) -> bool {
        true
    }
}
