//! [`OpenAi`]: the OpenAI Chat Completions API, and any server that speaks it.

use super::{EnvVars, HttpModel};
use crate::error::Result;
use crate::http::ApiKey;
use crate::wire::OpenAiChat;

const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";
const DEFAULT_MODEL: &str = "gpt-4o-mini";
const ENV: EnvVars = EnvVars {
    key: "OPENAI_API_KEY",
    base_url: "OPENAI_BASE_URL",
    model: "OPENAI_MODEL",
};

/// The OpenAI Chat Completions API (`POST {base}/chat/completions`), or any OpenAI-compatible
/// server (vLLM, llama.cpp, Ollama, Groq…) through its base URL.
///
/// Tools are sent in OpenAI's strict flavour where their schema allows it (see
/// [`strict`](HttpModel::strict)). The builder methods every HTTP model has are on
/// [`HttpModel`].
///
/// ```
/// use tool_runtime::OpenAi;
///
/// let openai = OpenAi::new("sk-…").model("gpt-4o").max_tokens(1024);
/// // A local OpenAI-compatible server needs no key.
/// let local = OpenAi::compatible("http://127.0.0.1:8000/v1", "llama-3.1-8b");
/// # let _ = (openai, local);
/// ```
pub type OpenAi = HttpModel<OpenAiChat>;

impl HttpModel<OpenAiChat> {
    /// OpenAI with this API key, the default base URL and model (`gpt-4o-mini`).
    pub fn new(api_key: impl Into<String>) -> Self {
        Self::with_wire(
            OpenAiChat::default(),
            DEFAULT_BASE_URL,
            DEFAULT_MODEL,
            Some(ApiKey::new(api_key)),
        )
    }

    /// Configured from the environment, as the official SDK is: `OPENAI_API_KEY` (required),
    /// `OPENAI_BASE_URL` (optional, includes `/v1`), and `OPENAI_MODEL` (optional).
    pub fn from_env() -> Result<Self> {
        Self::configured_from(&ENV, Self::new)
    }

    /// An OpenAI-compatible server at `base_url` (the part before `/chat/completions`), with no
    /// API key, sending `max_tokens` rather than `max_completion_tokens`.
    pub fn compatible(base_url: impl Into<String>, model: impl Into<String>) -> Self {
        let wire = OpenAiChat {
            legacy_max_tokens: true,
            ..OpenAiChat::default()
        };
        Self::with_wire(wire, DEFAULT_BASE_URL, DEFAULT_MODEL, None)
            .base_url(base_url)
            .model(model)
    }

    /// Whether streamed requests ask for the usage in a last chunk (`stream_options:
    /// {"include_usage": true}`; default: yes). Without it, streamed answers count no tokens.
    /// A server that refuses the field (400 or 422 naming `stream_options`: Mistral, Azure AI
    /// Foundry, some gateways) is asked again without it, and no more for this model.
    #[must_use]
    pub fn stream_usage(mut self, include: bool) -> Self {
        self.wire.stream_usage = include;
        self
    }

    /// Whether tools are sent in the strict flavour when their schema allows (default: yes).
    #[must_use]
    pub fn strict(mut self, strict: bool) -> Self {
        self.wire.strict = strict;
        self
    }
}
