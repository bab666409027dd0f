//! [`OpenAi`]: the OpenAI Chat Completions API, and any server that speaks it.

use super::{EnvVars, HttpModel};
use crate::error::Result;
use crate::http::ApiKey;
use crate::model::wire::{OpenAiChat, OpenAiResponses};

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

    /// This model through the Responses API (`POST {base}/responses`) instead of Chat
    /// Completions: same key, base URL, model and limits.
    ///
    /// Chat Completions stays the default: every OpenAI-compatible server speaks it, while the
    /// Responses API is OpenAI's (and a few servers'). Choose Responses for what only it has:
    /// reasoning kept across tool calls (reasoning models think better with it, and the
    /// library sends it back beside its calls), and server-side state
    /// ([`store`](HttpModel::store)).
    ///
    /// ```
    /// use tool_runtime::OpenAi;
    ///
    /// let model = OpenAi::new("sk-…").model("gpt-5-mini").responses();
    /// assert_eq!(model.model_name(), "gpt-5-mini");
    /// ```
    pub fn responses(self) -> HttpModel<OpenAiResponses> {
        let strict = self.wire.strict;
        self.rewire(OpenAiResponses {
            strict,
            ..OpenAiResponses::default()
        })
    }
}

/// The Responses API ([`OpenAi::responses`]).
impl HttpModel<OpenAiResponses> {
    /// Whether tools are sent in the strict flavour when their schema allows (default: yes);
    /// the others are sent with `"strict": false`.
    #[must_use]
    pub fn strict(mut self, strict: bool) -> Self {
        self.wire.strict = strict;
        self
    }

    /// Whether the server keeps each response (`store: true`) and each request names the last
    /// one it kept (`previous_response_id`), sending only what came after it (default: no: the
    /// whole conversation is sent, and nothing is kept). Stored responses cost fewer bytes per
    /// turn, but the conversation then lives on OpenAI's side: only answers the server said it
    /// stored are named (a conversation begun without `store`, or on another wire, is sent
    /// whole), and a transcript moved to another account or deployment fails there ("previous
    /// response not found") — send it on a model without `store`.
    #[must_use]
    pub fn store(mut self, store: bool) -> Self {
        self.wire.store = store;
        self
    }

    /// Whether stateless requests ask for reasoning in its encrypted form
    /// (`include: ["reasoning.encrypted_content"]`, default: yes), so that it can be sent back
    /// beside its calls. A server that refuses it (400 naming encrypted content or `include`:
    /// some models and compatible servers) is asked again without it, and no more for this
    /// model.
    #[must_use]
    pub fn encrypted_reasoning(mut self, include: bool) -> Self {
        self.wire.encrypted_reasoning = include;
        self
    }
}
