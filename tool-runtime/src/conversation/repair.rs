//! History repair: make a transcript sendable again after a crash or a cancellation.
//!
//! Every API rejects a conversation in which a tool call has no result, or a result has no call.
//! [`repair_messages`] fixes both in a neutral transcript: a call without a result gets a
//! `Cancelled` error result, and a result without a call is dropped. Each wire module has the same
//! repair for transcripts saved in its own shape (e.g.
//! [`wire::anthropic::repair`](crate::model::wire::anthropic::repair)).

use super::{Message, answer_every_call};

/// Repairs a neutral transcript in place.
///
/// After every assistant message with tool calls comes exactly one [`Message::ToolResults`]
/// holding one reply per call, in call order; replies to calls that do not exist are dropped.
///
/// ```
/// use tool_runtime::conversation::{AssistantMessage, ToolCall, repair_messages};
/// use tool_runtime::Message;
///
/// let mut messages = vec![
///     Message::user("Weather in Oslo?"),
///     Message::Assistant(AssistantMessage::calls([ToolCall::new(
///         "call_1",
///         "get_weather",
///         r#"{"city":"Oslo"}"#,
///     )])),
///     // The program crashed here: no results were saved.
/// ];
/// repair_messages(&mut messages);
/// let Message::ToolResults { results } = &messages[2] else { panic!() };
/// assert_eq!(results[0].call_id, "call_1");
/// assert_eq!(results[0].content(), "Cancelled");
/// assert!(results[0].is_error());
/// ```
pub fn repair_messages(messages: &mut Vec<Message>) {
    let input = std::mem::take(messages);
    let mut input = input.into_iter().peekable();
    while let Some(message) = input.next() {
        match message {
            Message::ToolResults { .. } => {
                tracing::debug!("dropping tool results that answer no call");
            }
            Message::Assistant(assistant) if !assistant.tool_calls.is_empty() => {
                // Every result message right after the call (one, or several after a crash and
                // resume) answers it.
                let mut replies = Vec::new();
                while let Some(Message::ToolResults { .. }) = input.peek() {
                    if let Some(Message::ToolResults { results }) = input.next() {
                        replies.extend(results.into_iter().map(Some));
                    }
                }
                let found = assistant.tool_calls.iter().map(|call| {
                    replies
                        .iter_mut()
                        .find(|reply| reply.as_ref().is_some_and(|r| r.call_id == call.id))
                        .and_then(Option::take)
                });
                let answered = answer_every_call(&assistant.tool_calls, found);
                messages.push(Message::Assistant(assistant));
                messages.push(Message::ToolResults { results: answered });
            }
            other => messages.push(other),
        }
    }
}
