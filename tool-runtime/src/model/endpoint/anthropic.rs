//! [`Anthropic`]: the Anthropic Messages API.

use super::{EnvVars, HttpModel};
use crate::error::Result;
use crate::http::ApiKey;
use crate::model::wire::AnthropicMessages;

const DEFAULT_BASE_URL: &str = "https://api.anthropic.com";
const DEFAULT_MODEL: &str = "claude-sonnet-4-5";
const ENV: EnvVars = EnvVars {
    key: "ANTHROPIC_API_KEY",
    base_url: "ANTHROPIC_BASE_URL",
    model: "ANTHROPIC_MODEL",
};

/// The Anthropic Messages API (`POST {base}/v1/messages`).
///
/// `max_tokens` is 4096 unless set (the API requires one). The builder methods every HTTP model
/// has are on [`HttpModel`].
///
/// ```
/// use tool_runtime::Anthropic;
///
/// let claude = Anthropic::new("sk-ant-…").model("claude-haiku-4-5").max_tokens(1024);
/// assert!(!format!("{claude:?}").contains("sk-ant-…"));
/// ```
pub type Anthropic = HttpModel<AnthropicMessages>;

impl HttpModel<AnthropicMessages> {
    /// Anthropic with this API key, the default base URL and model (`claude-sonnet-4-5`).
    pub fn new(api_key: impl Into<String>) -> Self {
        Self::with_wire(
            AnthropicMessages::default(),
            DEFAULT_BASE_URL,
            DEFAULT_MODEL,
            Some(ApiKey::new(api_key)),
        )
    }

    /// Configured from the environment, as the official SDK is: `ANTHROPIC_API_KEY` (required),
    /// `ANTHROPIC_BASE_URL` (optional, without `/v1`), and `ANTHROPIC_MODEL` (optional).
    pub fn from_env() -> Result<Self> {
        Self::configured_from(&ENV, Self::new)
    }

    /// Whether tools are sent in Anthropic's strict flavour (`"strict": true`) when their
    /// schema allows (default: yes). A request the API refuses for it (a schema set too large
    /// to compile, a model without strict tools: 400 naming the grammar or `strict`) is sent
    /// again without it, and no more for this model.
    #[must_use]
    pub fn strict(mut self, strict: bool) -> Self {
        self.wire.strict = strict;
        self
    }
}
