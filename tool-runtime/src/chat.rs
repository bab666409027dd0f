//! The provider-neutral conversation: messages, model responses, usage, and the [`Provider`]
//! trait that OpenAI, Anthropic and the offline model implement.

use std::future::Future;
use std::ops::{Add, AddAssign};
use std::pin::Pin;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Toolbox;
use crate::provider::Error;
use crate::run::{ToolCall, ToolResult};

/// One message of a conversation, in no provider's dialect.
///
/// A transcript (`Vec<Message>`) serializes with serde, so it can be saved and fed back to
/// continue the conversation, with the same provider or another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Message {
    /// Something the user said.
    User {
        /// The text.
        text: String,
    },
    /// What the model answered: text, tool calls, or both.
    Assistant(AssistantMessage),
    /// The answers to the tool calls of the assistant message before it, one per call.
    ToolResults {
        /// The answers, in the calls' order.
        results: Vec<ToolReply>,
    },
}

impl Message {
    /// A user message.
    pub fn user(text: impl Into<String>) -> Self {
        Self::User { text: text.into() }
    }

    /// The tool calls, if this is an assistant message that made some.
    pub fn tool_calls(&self) -> &[ToolCall] {
        match self {
            Self::Assistant(assistant) => &assistant.tool_calls,
            _ => &[],
        }
    }
}

/// The model's side of a turn.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AssistantMessage {
    /// The text the model wrote, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The tools the model asked to call, in its order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// The message exactly as the provider sent it, echoed back unchanged to the same provider
    /// (Anthropic asks for that: thinking blocks and fields newer than this library survive).
    /// When it is set, it is what that provider is sent: edit `text` or `tool_calls` and clear
    /// `raw` to change what the model sees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raw: Option<RawMessage>,
}

/// A provider's own form of a message, kept so it can be sent back unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RawMessage {
    /// Which wire format `value` is in, e.g. `"anthropic"`.
    pub format: String,
    /// The message (for Anthropic, its `content` array).
    pub value: Value,
}

/// The answer to one tool call, as kept in a transcript.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolReply {
    /// The id of the call this answers.
    pub call_id: String,
    /// The tool that was called.
    pub name: String,
    /// The text the model reads.
    pub content: String,
    /// Whether it is an error result.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub is_error: bool,
}

impl From<&ToolResult> for ToolReply {
    fn from(result: &ToolResult) -> Self {
        Self {
            call_id: result.call_id.clone(),
            name: result.name.clone(),
            content: result.content(),
            is_error: result.is_error(),
        }
    }
}

impl From<ToolResult> for ToolReply {
    fn from(result: ToolResult) -> Self {
        Self::from(&result)
    }
}

/// Tokens used, summed over a run's turns with `+`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Usage {
    /// Tokens the model read.
    pub input_tokens: u64,
    /// Tokens the model wrote.
    pub output_tokens: u64,
    /// Input tokens read from the provider's prompt cache. OpenAI counts them in `input_tokens`
    /// too; Anthropic does not (there, the prompt's size is `input_tokens` plus both cache
    /// counts), so `total_tokens` is not comparable across the two.
    pub cache_read_tokens: u64,
    /// Input tokens written to the provider's prompt cache (Anthropic).
    pub cache_creation_tokens: u64,
}

impl Usage {
    /// Input plus output tokens.
    pub fn total_tokens(&self) -> u64 {
        self.input_tokens.saturating_add(self.output_tokens)
    }
}

impl Add for Usage {
    type Output = Usage;

    fn add(self, other: Usage) -> Usage {
        Usage {
            input_tokens: self.input_tokens.saturating_add(other.input_tokens),
            output_tokens: self.output_tokens.saturating_add(other.output_tokens),
            cache_read_tokens: self
                .cache_read_tokens
                .saturating_add(other.cache_read_tokens),
            cache_creation_tokens: self
                .cache_creation_tokens
                .saturating_add(other.cache_creation_tokens),
        }
    }
}

impl AddAssign for Usage {
    fn add_assign(&mut self, other: Usage) {
        *self = *self + other;
    }
}

/// Why the model stopped writing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum StopReason {
    /// It finished its answer (`stop`, `end_turn`).
    EndTurn,
    /// It wants tool results (`tool_calls`, `tool_use`).
    ToolUse,
    /// It ran out of tokens (`length`, `max_tokens`).
    MaxTokens,
    /// Anything else, as the provider said it.
    Other(String),
}

/// One answer from a model.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelResponse {
    /// The assistant message.
    pub message: AssistantMessage,
    /// Why it stopped.
    pub stop_reason: StopReason,
    /// Tokens used by this request.
    pub usage: Usage,
}

/// Whether and which tools the model must call.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ToolChoice {
    /// The model decides (the default).
    #[default]
    Auto,
    /// The model must call at least one tool.
    Required,
    /// The model must call this tool.
    Tool(String),
    /// The model must not call tools.
    None,
}

/// Everything a [`Provider`] needs for one request.
#[derive(Debug, Clone, Copy)]
pub struct ChatRequest<'a> {
    /// The system prompt.
    pub system: Option<&'a str>,
    /// The conversation so far.
    pub messages: &'a [Message],
    /// The tools the model may call.
    pub toolbox: &'a Toolbox,
    /// Whether and which tools it must call.
    pub tool_choice: &'a ToolChoice,
    /// Whether it may ask for several calls in one response.
    pub parallel_tool_calls: bool,
}

/// The future a [`Provider`] returns.
pub type ProviderFuture<'a> =
    Pin<Box<dyn Future<Output = Result<ModelResponse, Error>> + Send + 'a>>;

/// A model behind an API: OpenAI Chat Completions, Anthropic Messages, any OpenAI-compatible
/// server, or the offline model.
///
/// Object safe, so a program can choose one at run time (`Box<dyn Provider>`).
pub trait Provider: Send + Sync {
    /// A short name for logs and progress lines, e.g. `openai/gpt-4o`.
    fn name(&self) -> String;

    /// Sends one request and returns the model's answer.
    fn complete<'a>(&'a self, request: ChatRequest<'a>) -> ProviderFuture<'a>;
}

impl<P: Provider + ?Sized> Provider for Box<P> {
    fn name(&self) -> String {
        (**self).name()
    }

    fn complete<'a>(&'a self, request: ChatRequest<'a>) -> ProviderFuture<'a> {
        (**self).complete(request)
    }
}

impl<P: Provider + ?Sized> Provider for std::sync::Arc<P> {
    fn name(&self) -> String {
        (**self).name()
    }

    fn complete<'a>(&'a self, request: ChatRequest<'a>) -> ProviderFuture<'a> {
        (**self).complete(request)
    }
}
