//! History repair: make a transcript sendable again after a crash or a cancellation.
//!
//! Both APIs reject a conversation in which a tool call has no result, or a result has no call.
//! These functions fix both: a call without a result gets a `Cancelled` error result, and a
//! result without a call is dropped. They exist for the neutral [`Message`] model and for each
//! provider's own wire shape (for transcripts saved as raw request JSON).

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::chat::{Message, ToolReply};
use crate::error::ToolError;

fn cancelled_text() -> String {
    ToolError::Cancelled.to_string()
}

/// Repairs a neutral transcript in place.
///
/// After every assistant message with tool calls comes exactly one [`Message::ToolResults`]
/// holding one reply per call, in call order; replies to calls that do not exist are dropped.
///
/// ```
/// use tool_runtime::{AssistantMessage, Message, ToolCall, repair_messages};
///
/// let mut messages = vec![
///     Message::user("Weather in Oslo?"),
///     Message::Assistant(AssistantMessage {
///         tool_calls: vec![ToolCall::new("call_1", "get_weather", r#"{"city":"Oslo"}"#)],
///         ..AssistantMessage::default()
///     }),
///     // The program crashed here: no results were saved.
/// ];
/// repair_messages(&mut messages);
/// let Message::ToolResults { results } = &messages[2] else { panic!() };
/// assert_eq!(results[0].call_id, "call_1");
/// assert_eq!(results[0].content, "Cancelled");
/// assert!(results[0].is_error);
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
                        replies.extend(results);
                    }
                }
                let mut replies: Vec<Option<ToolReply>> = replies.into_iter().map(Some).collect();
                let answered = assistant
                    .tool_calls
                    .iter()
                    .map(|call| {
                        replies
                            .iter_mut()
                            .find(|reply| reply.as_ref().is_some_and(|r| r.call_id == call.id))
                            .and_then(Option::take)
                            .unwrap_or_else(|| ToolReply {
                                call_id: call.id.clone(),
                                name: call.name.clone(),
                                content: cancelled_text(),
                                is_error: true,
                            })
                    })
                    .collect();
                messages.push(Message::Assistant(assistant));
                messages.push(Message::ToolResults { results: answered });
            }
            other => messages.push(other),
        }
    }
}

/// Repairs an OpenAI Chat Completions `messages` array in place.
///
/// Each assistant message with `tool_calls` is followed by exactly one `tool` message per call
/// id; `tool` messages that answer no call are dropped.
///
/// ```
/// use serde_json::json;
/// use tool_runtime::repair_openai_messages;
///
/// let mut messages = vec![
///     json!({"role": "assistant", "content": null, "tool_calls": [
///         {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
///     ]}),
///     json!({"role": "tool", "tool_call_id": "call_9", "content": "orphan"}),
/// ];
/// repair_openai_messages(&mut messages);
/// assert_eq!(messages[1], json!({"role": "tool", "tool_call_id": "call_1", "content": "Cancelled"}));
/// assert_eq!(messages.len(), 2);
/// ```
pub fn repair_openai_messages(messages: &mut Vec<Value>) {
    let input = std::mem::take(messages);
    let mut index = 0;
    while index < input.len() {
        let message = &input[index];
        index += 1;
        if message["role"] == "tool" {
            continue; // Not right after an assistant message with calls: an orphan.
        }
        messages.push(message.clone());
        let Some(calls) = message["tool_calls"]
            .as_array()
            .filter(|_| message["role"] == "assistant")
        else {
            continue;
        };
        let ids: Vec<&str> = calls
            .iter()
            .filter_map(|call| call["id"].as_str())
            .collect();
        let mut answered: HashSet<&str> = HashSet::new();
        while index < input.len() && input[index]["role"] == "tool" {
            let result = &input[index];
            index += 1;
            if let Some(id) = result["tool_call_id"].as_str()
                && ids.contains(&id)
                && answered.insert(id)
            {
                messages.push(result.clone());
            }
        }
        for id in ids {
            if !answered.contains(id) {
                messages
                    .push(json!({"role": "tool", "tool_call_id": id, "content": cancelled_text()}));
            }
        }
    }
}

/// Repairs an Anthropic Messages `messages` array in place.
///
/// Each assistant message with `tool_use` blocks is followed by ONE user message whose content
/// starts with a `tool_result` block for every id (missing ones are added as `Cancelled` errors,
/// in call order); `tool_result` blocks that answer no call are dropped.
///
/// ```
/// use serde_json::json;
/// use tool_runtime::repair_anthropic_messages;
///
/// let mut messages = vec![
///     json!({"role": "assistant", "content": [
///         {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}
///     ]}),
///     json!({"role": "user", "content": [{"type": "text", "text": "go on"}]}),
/// ];
/// repair_anthropic_messages(&mut messages);
/// assert_eq!(messages[1]["content"][0]["tool_use_id"], "toolu_1");
/// assert_eq!(messages[1]["content"][1]["text"], "go on");
/// ```
pub fn repair_anthropic_messages(messages: &mut Vec<Value>) {
    let input = std::mem::take(messages);
    let mut pending: Option<Vec<String>> = None;
    for mut message in input {
        let is_user = message["role"] == "user";
        if let Some(ids) = pending.take() {
            let (mut results, rest) = if is_user {
                split_results(&mut message)
            } else {
                (Vec::new(), Vec::new())
            };
            let mut content: Vec<Value> = ids
                .iter()
                .map(|id| {
                    let found = results
                        .iter()
                        .position(|block| block["tool_use_id"] == id.as_str());
                    match found {
                        Some(at) => results.swap_remove(at),
                        None => json!({
                            "type": "tool_result",
                            "tool_use_id": id,
                            "content": cancelled_text(),
                            "is_error": true,
                        }),
                    }
                })
                .collect();
            content.extend(rest);
            messages.push(json!({"role": "user", "content": content}));
            if is_user {
                continue;
            }
        } else if is_user {
            // A user message not right after tool use: any tool_result in it is an orphan.
            if let Some(blocks) = message["content"].as_array_mut() {
                blocks.retain(|block| block["type"] != "tool_result");
                if blocks.is_empty() {
                    continue;
                }
            }
            messages.push(message);
            continue;
        }
        if message["role"] == "assistant"
            && let Some(blocks) = message["content"].as_array()
        {
            let ids: Vec<String> = blocks
                .iter()
                .filter(|block| block["type"] == "tool_use")
                .filter_map(|block| block["id"].as_str().map(str::to_owned))
                .collect();
            if !ids.is_empty() {
                pending = Some(ids);
            }
        }
        messages.push(message);
    }
    if let Some(ids) = pending {
        let content: Vec<Value> = ids
            .iter()
            .map(|id| {
                json!({"type": "tool_result", "tool_use_id": id, "content": cancelled_text(), "is_error": true})
            })
            .collect();
        messages.push(json!({"role": "user", "content": content}));
    }
}

/// Splits a user message's content into its `tool_result` blocks and the rest.
fn split_results(message: &mut Value) -> (Vec<Value>, Vec<Value>) {
    match message["content"].take() {
        Value::Array(blocks) => blocks
            .into_iter()
            .partition(|block| block["type"] == "tool_result"),
        Value::String(text) => (Vec::new(), vec![json!({"type": "text", "text": text})]),
        _ => (Vec::new(), Vec::new()),
    }
}
