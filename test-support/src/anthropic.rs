//! Canned Anthropic Messages responses, in the shape of the recorded real traffic.

use serde_json::{Value, json};

/// One `tool_use` block.
pub fn tool_use(id: &str, name: &str, input: Value) -> Value {
    json!({"type": "tool_use", "id": id, "name": name, "input": input})
}

fn usage(input: u64, output: u64) -> Value {
    json!({
        "input_tokens": input,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
        "output_tokens": output,
        "service_tier": "standard"
    })
}

/// A message with these content blocks.
pub fn message(content: Vec<Value>, stop_reason: &str, input: u64, output: u64) -> Value {
    json!({
        "model": "claude-sonnet-4-5-20250929",
        "id": "msg_01MockMockMockMockMockMock",
        "type": "message",
        "role": "assistant",
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": null,
        "usage": usage(input, output)
    })
}

/// A response asking for these calls (`(id, name, input)`), after an optional text block.
pub fn tool_calls(
    text: Option<&str>,
    calls: &[(&str, &str, Value)],
    input: u64,
    output: u64,
) -> Value {
    let mut content: Vec<Value> = text
        .map(|text| json!({"type": "text", "text": text}))
        .into_iter()
        .collect();
    content.extend(
        calls
            .iter()
            .map(|(id, name, arguments)| tool_use(id, name, arguments.clone())),
    );
    message(content, "tool_use", input, output)
}

/// A final answer.
pub fn text(text: &str, input: u64, output: u64) -> Value {
    message(
        vec![json!({"type": "text", "text": text})],
        "end_turn",
        input,
        output,
    )
}

/// An error body: `{"type": "error", "error": {"type", "message"}}`.
pub fn error(kind: &str, message: &str) -> Value {
    json!({"type": "error", "error": {"type": kind, "message": message}})
}
