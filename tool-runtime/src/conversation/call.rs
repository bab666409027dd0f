//! [`ToolCall`] and [`ToolResult`]: a call a model asked for, and its answer.

use std::borrow::Cow;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::ContentBlock;
use crate::tool::{Arguments, ToolError, ToolOutput};

/// One tool call a model asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    /// The provider's id for the call; its result must carry the same id.
    pub id: String,
    /// The tool's name.
    pub name: String,
    /// The raw arguments, as the provider sent them.
    pub arguments: Arguments,
}

impl ToolCall {
    /// A call from its id, tool name and arguments.
    ///
    /// ```
    /// use tool_runtime::conversation::ToolCall;
    /// let call = ToolCall::new("call_1", "get_weather", r#"{"city":"Tokyo"}"#);
    /// assert_eq!(call.name, "get_weather");
    /// ```
    pub fn new(
        id: impl Into<String>,
        name: impl Into<String>,
        arguments: impl Into<Arguments>,
    ) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
            arguments: arguments.into(),
        }
    }
}

/// The answer to one [`ToolCall`]: its id, and the output or the error the model reads.
///
/// A turn produces one per call ([`Toolbox::run`](crate::Toolbox::run), [`Turn`](crate::turn::Turn)),
/// and a transcript keeps them ([`Message::ToolResults`](crate::Message::ToolResults)).
///
/// In a transcript it serializes as what the model reads: `{"call_id", "name", "content",
/// "is_error"}`. A loaded error result is [`ToolError::Failed`] with the text it had, and the
/// duration is not kept. Two results are equal when they answer the same call with the same
/// text and the same error flag: how long the call ran, and which kind of error produced the
/// text, do not count.
///
/// ```
/// use tool_runtime::conversation::ToolResult;
/// use tool_runtime::tool::{ToolError, ToolOutput};
///
/// let ok = ToolResult::new("call_1", "get_weather", Ok(ToolOutput::text("Sunny")));
/// assert_eq!(ok.content(), "Sunny");
/// let timed_out = ToolResult::new("call_2", "slow", Err(ToolError::TimedOut(std::time::Duration::from_secs(5))));
/// assert_eq!(timed_out.content(), "Timed out after 5s");
/// assert!(timed_out.is_error());
///
/// let saved = serde_json::to_string(&timed_out).unwrap();
/// assert_eq!(saved, r#"{"call_id":"call_2","name":"slow","content":"Timed out after 5s","is_error":true}"#);
/// let loaded: ToolResult = serde_json::from_str(&saved).unwrap();
/// assert_eq!(loaded, timed_out);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ToolResult {
    /// The id of the call this answers.
    pub call_id: String,
    /// The tool that was called.
    pub name: String,
    /// The output, or why there is none.
    pub outcome: Result<ToolOutput, ToolError>,
    /// How long the call ran (zero when it never started, or was loaded from a transcript).
    pub duration: Duration,
}

impl ToolResult {
    /// A result for the call with this id.
    pub fn new(
        call_id: impl Into<String>,
        name: impl Into<String>,
        outcome: Result<ToolOutput, ToolError>,
    ) -> Self {
        Self {
            call_id: call_id.into(),
            name: name.into(),
            outcome,
            duration: Duration::ZERO,
        }
    }

    /// An error result for `call`.
    pub fn error(call: &ToolCall, error: ToolError) -> Self {
        Self::new(call.id.as_str(), call.name.as_str(), Err(error))
    }

    /// The result for a call that never finished: the error result `Cancelled`.
    pub fn cancelled(call: &ToolCall) -> Self {
        Self::error(call, ToolError::Cancelled)
    }

    /// This result, saying how long the call ran.
    #[must_use]
    pub fn with_duration(mut self, duration: Duration) -> Self {
        self.duration = duration;
        self
    }

    /// The text sent to the model: the output, or the error's model-facing message.
    pub fn content(&self) -> Cow<'_, str> {
        match &self.outcome {
            Ok(output) => Cow::Borrowed(output.as_str()),
            Err(error) => Cow::Owned(error.to_string()),
        }
    }

    /// Whether this is an error result (`is_error: true` on Anthropic).
    pub fn is_error(&self) -> bool {
        self.outcome.is_err()
    }
}

impl PartialEq for ToolResult {
    fn eq(&self, other: &Self) -> bool {
        let same_content = match (&self.outcome, &other.outcome) {
            (Ok(mine), Ok(theirs)) => mine == theirs,
            // Equal errors read the same; different kinds may still (a loaded transcript's
            // errors are all `Failed`).
            (Err(mine), Err(theirs)) => mine == theirs || mine.to_string() == theirs.to_string(),
            _ => false,
        };
        same_content && self.call_id == other.call_id && self.name == other.name
    }
}

/// How a result looks in a saved transcript: what the model reads.
#[derive(Serialize)]
struct Saved<'a> {
    call_id: &'a str,
    name: &'a str,
    /// The text, or the blocks of an output with images or documents.
    content: SavedContent<'a>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    is_error: bool,
}

#[derive(Serialize)]
#[serde(untagged)]
enum SavedContent<'a> {
    Text(Cow<'a, str>),
    Output(&'a ToolOutput),
}

#[derive(Deserialize)]
struct Loaded {
    call_id: String,
    name: String,
    content: LoadedContent,
    #[serde(default)]
    is_error: bool,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum LoadedContent {
    Text(String),
    Blocks(Vec<ContentBlock>),
}

impl Serialize for ToolResult {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let content = match &self.outcome {
            Ok(output) => SavedContent::Output(output),
            Err(_) => SavedContent::Text(self.content()),
        };
        Saved {
            call_id: &self.call_id,
            name: &self.name,
            content,
            is_error: self.is_error(),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for ToolResult {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let saved = Loaded::deserialize(deserializer)?;
        let outcome = match (saved.content, saved.is_error) {
            (LoadedContent::Text(text), false) => Ok(ToolOutput::text(text)),
            (LoadedContent::Blocks(blocks), false) => Ok(ToolOutput::content(blocks)),
            (LoadedContent::Text(text), true) => Err(ToolError::Failed(text)),
            (LoadedContent::Blocks(blocks), true) => {
                Err(ToolError::Failed(ToolOutput::content(blocks).into_string()))
            }
        };
        Ok(Self::new(saved.call_id, saved.name, outcome))
    }
}

/// One result per call, in the calls' order: each call's own result where it has one (by
/// place), the error result `Cancelled` where it has none. Every transcript this crate hands on
/// is completed here, so that no call goes unanswered.
pub(crate) fn answer_every_call(
    calls: &[ToolCall],
    results: impl IntoIterator<Item = Option<ToolResult>>,
) -> Vec<ToolResult> {
    let mut results = results.into_iter();
    calls
        .iter()
        .map(|call| {
            results
                .next()
                .flatten()
                .unwrap_or_else(|| ToolResult::cancelled(call))
        })
        .collect()
}
