//! The Anthropic Messages API (`POST {base}/v1/messages`).

mod repair;
mod request;
mod response;
mod stream;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

pub use repair::repair;
pub use request::tools;

use super::sealed::{Options, Protocol};
use crate::error::Error;
use crate::http::ApiKey;
use crate::model::{ModelRequest, ModelResponse};

/// The `format` of Anthropic messages kept in a transcript's
/// [`RawMessage`](crate::conversation::RawMessage).
pub(crate) const FORMAT: &str = "anthropic";
/// The API version every request names.
const API_VERSION: &str = "2023-06-01";

/// The Anthropic Messages wire protocol: what [`Anthropic`](crate::Anthropic) speaks.
///
/// Assistant turns that came from Anthropic are echoed back exactly as received (thinking
/// blocks and fields newer than this library survive); tool results go into ONE user message
/// per turn, `tool_result` blocks first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnthropicMessages {
    /// Tools in Anthropic's strict flavour (`"strict": true`) where their schema allows it.
    pub(crate) strict: bool,
}

impl Default for AnthropicMessages {
    fn default() -> Self {
        Self { strict: true }
    }
}

impl Protocol for AnthropicMessages {
    const PROVIDER: &'static str = "anthropic";
    const PATH: &'static str = "/v1/messages";

    fn headers(&self, key: Option<&ApiKey>) -> Result<HeaderMap, Error> {
        let mut headers = HeaderMap::new();
        headers.insert(
            HeaderName::from_static("anthropic-version"),
            HeaderValue::from_static(API_VERSION),
        );
        if let Some(key) = key {
            headers.insert(
                HeaderName::from_static("x-api-key"),
                key.header(Self::PROVIDER, "")?,
            );
        }
        Ok(headers)
    }

    type Decoder = stream::MessagesStream;

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

    fn decoder(&self) -> stream::MessagesStream {
        stream::MessagesStream::default()
    }

    fn without_optional(&self) -> Option<Self> {
        self.strict.then_some(Self { strict: false })
    }

    fn refuses_optional(&self, message: &str) -> bool {
        // "The compiled grammar is too large…", or a model without strict tools or structured
        // output.
        message.contains("grammar")
            || message.contains("strict")
            || message.contains("output_config")
    }

    /// `output_config.format` constrains the answer with the same grammar as strict tools: the
    /// schema must be one Anthropic's strict flavour takes, and strict mode on.
    fn native_output(&self, output: &crate::model::OutputFormat) -> bool {
        self.strict && output.schema().anthropic_strict().is_ok()
    }
}
