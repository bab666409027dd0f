//! Repairing a Chat Completions `messages` array saved as JSON.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::tool::ToolError;

/// Repairs an OpenAI Chat Completions `messages` array in place.
///
/// Each assistant message with `tool_calls` is followed by exactly one `tool` message per call
/// id; `tool` messages that answer no call are dropped.
///
/// ```
/// use serde_json::json;
/// use tool_runtime::wire::openai_chat;
///
/// let mut messages = vec![
///     json!({"role": "assistant", "content": null, "tool_calls": [
///         {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
///     ]}),
///     json!({"role": "tool", "tool_call_id": "call_9", "content": "orphan"}),
/// ];
/// openai_chat::repair(&mut messages);
/// assert_eq!(messages[1], json!({"role": "tool", "tool_call_id": "call_1", "content": "Cancelled"}));
/// assert_eq!(messages.len(), 2);
/// ```
pub fn repair(messages: &mut Vec<Value>) {
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
                    .push(json!({"role": "tool", "tool_call_id": id, "content": ToolError::Cancelled.to_string()}));
            }
        }
    }
}
