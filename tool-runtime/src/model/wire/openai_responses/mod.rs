//! The OpenAI Responses API (`POST {base}/responses`): input and output items, flat function
//! tools, calls paired with their results by `call_id`, and reasoning items sent back beside the
//! calls they came with.
//!
//! Stateless by default: `store: false`, the whole conversation sent each turn, and reasoning
//! items asked for with their encrypted content (`include: ["reasoning.encrypted_content"]`) so
//! that they can be sent back. With [`store`](crate::model::HttpModel::store) the server keeps the
//! responses, and each request names the last one (`previous_response_id`) and sends only what
//! came after it.

mod repair;
mod request;
mod response;
mod stream;

use reqwest::header::HeaderMap;

pub use repair::repair;
pub use request::tools;

use super::sealed::{Options, Protocol};
use crate::error::Error;
use crate::http::ApiKey;
use crate::model::{ModelRequest, ModelResponse};

/// The format name of a Responses answer kept in [`RawMessage`](crate::conversation::RawMessage): its value is
/// `{"id": <response id>, "output": [<output items>]}`.
pub(crate) const FORMAT: &str = "openai_responses";

/// The OpenAI Responses wire protocol: what [`OpenAi::responses`](crate::OpenAi::responses)
/// speaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenAiResponses {
    /// Tools in the strict flavour where their schema allows it.
    pub(crate) strict: bool,
    /// Responses kept by the server, and requests chained by `previous_response_id`.
    pub(crate) store: bool,
    /// `include: ["reasoning.encrypted_content"]` in stateless requests (some models and
    /// compatible servers refuse it).
    pub(crate) encrypted_reasoning: bool,
}

impl Default for OpenAiResponses {
    fn default() -> Self {
        Self {
            strict: true,
            store: false,
            encrypted_reasoning: true,
        }
    }
}

impl Protocol for OpenAiResponses {
    const PROVIDER: &'static str = "openai";
    const PATH: &'static str = "/responses";

    fn headers(&self, key: Option<&ApiKey>) -> Result<HeaderMap, Error> {
        super::openai_chat::bearer(Self::PROVIDER, key)
    }

    type Decoder = stream::ResponsesStream;

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

    fn decoder(&self) -> stream::ResponsesStream {
        stream::ResponsesStream::default()
    }

    fn without_optional(&self) -> Option<Self> {
        (self.encrypted_reasoning && !self.store).then(|| Self {
            encrypted_reasoning: false,
            ..self.clone()
        })
    }

    fn refuses_optional(&self, message: &str) -> bool {
        // "Encrypted content is not supported with this model.", or `include` refused as an
        // unknown parameter; not an echoed item's content that "could not be verified".
        let about_it = message.contains("ncrypted content") || message.contains("include");
        let refused = [
            "not supported",
            "nknown parameter",
            "nrecognized",
            "not allowed",
        ]
        .iter()
        .any(|refusal| message.contains(refusal));
        about_it && refused
    }

    /// `text.format` takes any object schema: strict when the schema allows it.
    fn native_output(&self, _output: &crate::model::OutputFormat) -> bool {
        true
    }
}
