//! [`Message`]: one message of a conversation, in no provider's dialect.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{ContentBlock, ToolCall, ToolResult};

/// One message of a conversation, in no provider's dialect.
///
/// A transcript (`Vec<Message>`) serializes with serde, so it can be saved and fed back to
/// continue the conversation, with the same provider or another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Message {
    /// Something the user said, with any images and documents attached.
    User {
        /// The text.
        text: String,
        /// Images and documents, after the text (see [`ContentBlock`]).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attachments: Vec<ContentBlock>,
    },
    /// What the model answered: text, tool calls, or both.
    Assistant(AssistantMessage),
    /// The answers to the tool calls of the assistant message before it, one per call.
    ToolResults {
        /// The answers, in the calls' order.
        results: Vec<ToolResult>,
    },
}

impl Message {
    /// A user message.
    pub fn user(text: impl Into<String>) -> Self {
        Self::user_with(text, [])
    }

    /// A user message with images or documents attached.
    ///
    /// ```
    /// use tool_runtime::conversation::ContentBlock;
    /// use tool_runtime::Message;
    ///
    /// let message = Message::user_with(
    ///     "What does this receipt say?",
    ///     [ContentBlock::image("image/jpeg", [0xff, 0xd8, 0xff])],
    /// );
    /// let saved = serde_json::to_value(&message).unwrap();
    /// assert_eq!(saved["attachments"][0]["media_type"], "image/jpeg");
    /// ```
    pub fn user_with(
        text: impl Into<String>,
        attachments: impl IntoIterator<Item = ContentBlock>,
    ) -> Self {
        Self::User {
            text: text.into(),
            attachments: attachments.into_iter().collect(),
        }
    }

    /// The tool calls, if this is an assistant message that made some.
    pub fn tool_calls(&self) -> &[ToolCall] {
        match self {
            Self::Assistant(assistant) => &assistant.tool_calls,
            _ => &[],
        }
    }

    /// The tools' answers, if this message carries some.
    ///
    /// Every result a conversation holds, e.g. in an
    /// [`OfflineModel::responder`](crate::OfflineModel::responder):
    ///
    /// ```
    /// use tool_runtime::conversation::ToolResult;
    /// use tool_runtime::tool::ToolOutput;
    /// use tool_runtime::Message;
    ///
    /// let answer = ToolResult::new("call_1", "answer", Ok(ToolOutput::text("42")));
    /// let messages = vec![
    ///     Message::user("hi"),
    ///     Message::ToolResults { results: vec![answer] },
    /// ];
    /// let results: Vec<&ToolResult> = messages.iter().flat_map(Message::tool_results).collect();
    /// assert_eq!(results[0].content(), "42");
    /// ```
    pub fn tool_results(&self) -> &[ToolResult] {
        match self {
            Self::ToolResults { results } => results,
            _ => &[],
        }
    }
}

/// The model's side of a turn.
///
/// ```
/// use tool_runtime::conversation::{AssistantMessage, ToolCall};
///
/// let answer = AssistantMessage::text("It is sunny in Tokyo.");
/// let calls = AssistantMessage::calls([ToolCall::new("call_1", "get_weather", r#"{"city":"Tokyo"}"#)]);
/// assert_eq!(calls.tool_calls.len(), 1);
/// assert!(answer.tool_calls.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[non_exhaustive]
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

impl AssistantMessage {
    /// An assistant message that is only text.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: Some(text.into()),
            ..Self::default()
        }
    }

    /// An assistant message that only calls tools.
    pub fn calls(calls: impl IntoIterator<Item = ToolCall>) -> Self {
        Self {
            tool_calls: calls.into_iter().collect(),
            ..Self::default()
        }
    }

    /// The provider's own form of this message, if it is in `format`.
    pub(crate) fn raw_in(&self, format: &str) -> Option<&Value> {
        self.raw
            .as_ref()
            .filter(|raw| raw.format == format)
            .map(|raw| &raw.value)
    }

    /// This message with the provider's own form of it kept beside (see [`raw`](Self::raw)).
    #[must_use]
    pub fn with_raw(mut self, raw: RawMessage) -> Self {
        self.raw = Some(raw);
        self
    }
}

/// A provider's own form of a message, kept so it can be sent back unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RawMessage {
    /// Which wire format `value` is in, e.g. `"anthropic"`.
    pub format: String,
    /// The message (for Anthropic, its `content` array).
    pub value: Value,
}
