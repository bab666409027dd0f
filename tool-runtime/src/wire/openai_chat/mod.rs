//! OpenAI Chat Completions (`POST {base}/chat/completions`), and every server that speaks it
//! (vLLM, llama.cpp, Ollama, Groq…).

mod repair;
pub(super) mod request;
mod response;
mod stream;

use reqwest::header::{AUTHORIZATION, HeaderMap};

pub use repair::repair;
pub use request::tools;

use super::sealed::{Options, Protocol};
use crate::error::Error;
use crate::http::ApiKey;
use crate::model::{ModelRequest, ModelResponse};

/// The OpenAI Chat Completions wire protocol: what [`OpenAi`](crate::OpenAi) speaks.
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
        let mut headers = HeaderMap::new();
        if let Some(key) = key {
            headers.insert(AUTHORIZATION, key.header(Self::PROVIDER, "Bearer ")?);
        }
        Ok(headers)
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

    fn lean(&self) -> Option<Self> {
        self.stream_usage.then(|| Self {
            stream_usage: false,
            ..self.clone()
        })
    }

    fn refuses_extras(&self, message: &str) -> bool {
        message.contains("stream_options")
    }

    /// `response_format` takes any object schema: strict when the schema allows it.
    fn native_output(&self, _output: &crate::ToolDefinition) -> bool {
        true
    }
}
