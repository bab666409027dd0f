//! Repairing a Messages `messages` array saved as JSON.

use serde_json::{Value, json};

use crate::tool::ToolError;

/// Repairs an Anthropic Messages `messages` array in place.
///
/// Each assistant message with `tool_use` blocks is followed by ONE user message whose content
/// starts with a `tool_result` block for every id (missing ones are added as `Cancelled` errors,
/// in call order); `tool_result` blocks that answer no call are dropped.
///
/// ```
/// use serde_json::json;
/// use tool_runtime::wire::anthropic;
///
/// let mut messages = vec![
///     json!({"role": "assistant", "content": [
///         {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}
///     ]}),
///     json!({"role": "user", "content": [{"type": "text", "text": "go on"}]}),
/// ];
/// anthropic::repair(&mut messages);
/// assert_eq!(messages[1]["content"][0]["tool_use_id"], "toolu_1");
/// assert_eq!(messages[1]["content"][1]["text"], "go on");
/// ```
pub fn repair(messages: &mut Vec<Value>) {
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
                            "content": ToolError::Cancelled.to_string(),
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
                json!({"type": "tool_result", "tool_use_id": id, "content": ToolError::Cancelled.to_string(), "is_error": true})
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
