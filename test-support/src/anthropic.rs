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

/// The stream (`stream: true`) of a message built by [`tool_calls`] or [`text`]:
/// `message_start`, each block's start, deltas of `piece` characters and stop (a `ping` after
/// the first start), `message_delta` and `message_stop` — as the API streams it.
pub fn to_sse(message: &Value, piece: usize) -> String {
    let mut events = Vec::new();
    let mut start = message.clone();
    start["content"] = json!([]);
    start["stop_reason"] = Value::Null;
    start["usage"]["output_tokens"] = json!(1);
    events.push((
        "message_start",
        json!({"type": "message_start", "message": start}),
    ));
    for (index, block) in message["content"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let mut skeleton = block.clone();
        match block["type"].as_str() {
            Some("text") => skeleton["text"] = json!(""),
            Some("tool_use") => skeleton["input"] = json!({}),
            _ => {}
        }
        events.push((
            "content_block_start",
            json!({"type": "content_block_start", "index": index, "content_block": skeleton}),
        ));
        if index == 0 {
            events.push(("ping", json!({"type": "ping"})));
        }
        let deltas: Vec<Value> = match block["type"].as_str() {
            Some("text") => {
                crate::openai::pieces(block["text"].as_str().unwrap_or_default(), piece)
                    .into_iter()
                    .map(|part| json!({"type": "text_delta", "text": part}))
                    .collect()
            }
            Some("tool_use") => {
                let input = block["input"].to_string();
                std::iter::once(String::new())
                    .chain(crate::openai::pieces(&input, piece))
                    .map(|part| json!({"type": "input_json_delta", "partial_json": part}))
                    .collect()
            }
            _ => Vec::new(),
        };
        for delta in deltas {
            events.push((
                "content_block_delta",
                json!({"type": "content_block_delta", "index": index, "delta": delta}),
            ));
        }
        events.push((
            "content_block_stop",
            json!({"type": "content_block_stop", "index": index}),
        ));
    }
    events.push((
        "message_delta",
        json!({
            "type": "message_delta",
            "delta": {"stop_reason": message["stop_reason"], "stop_sequence": null},
            "usage": {"output_tokens": message["usage"]["output_tokens"]},
        }),
    ));
    events.push(("message_stop", json!({"type": "message_stop"})));
    events
        .into_iter()
        .map(|(name, data)| format!("event: {name}\ndata: {data}\n\n"))
        .collect()
}
