//! Canned OpenAI Responses answers, in the shapes of the recorded traffic
//! (`tests/fixtures/responses_*.json`).

use serde_json::{Value, json};

use crate::openai::pieces;

/// A `function_call` output item.
pub fn call(call_id: &str, name: &str, arguments: &str) -> Value {
    json!({
        "arguments": arguments,
        "call_id": call_id,
        "id": format!("fc_{call_id}"),
        "name": name,
        "status": "completed",
        "type": "function_call",
    })
}

/// A `reasoning` output item, as reasoning models return it with encrypted content.
pub fn reasoning(id: &str) -> Value {
    json!({
        "encrypted_content": format!("gAAAA-encrypted-{id}"),
        "id": format!("rs_{id}"),
        "summary": [],
        "type": "reasoning",
    })
}

/// An assistant `message` output item with one `output_text` part.
pub fn message(text: &str) -> Value {
    json!({
        "content": [{"annotations": [], "text": text, "type": "output_text"}],
        "id": "msg_0001",
        "role": "assistant",
        "status": "completed",
        "type": "message",
    })
}

/// A whole response holding these output items.
pub fn response(output: Vec<Value>, input: u64, output_tokens: u64) -> Value {
    json!({
        "created_at": 1743079364,
        "error": null,
        "id": "resp_67e547c48c9481918c5c4394",
        "incomplete_details": null,
        "instructions": null,
        "max_output_tokens": null,
        "metadata": {},
        "model": "gpt-4o-2024-08-06",
        "object": "response",
        "output": output,
        "parallel_tool_calls": true,
        "previous_response_id": null,
        "reasoning": {"effort": null, "summary": null},
        "status": "completed",
        "store": false,
        "temperature": 1.0,
        "text": {"format": {"type": "text"}},
        "tool_choice": "auto",
        "tools": [],
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": {
            "input_tokens": input,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": output_tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": input + output_tokens,
        },
        "user": null,
    })
}

/// A response asking for these calls, `(call_id, name, arguments as JSON text)`.
pub fn tool_calls(calls: &[(&str, &str, &str)], input: u64, output: u64) -> Value {
    let items = calls
        .iter()
        .map(|(id, name, arguments)| call(id, name, arguments))
        .collect();
    response(items, input, output)
}

/// A final answer.
pub fn text(text: &str, input: u64, output: u64) -> Value {
    response(vec![message(text)], input, output)
}

/// An error body.
pub fn error(message: &str, kind: &str) -> Value {
    json!({"error": {"message": message, "type": kind, "param": null, "code": kind}})
}

/// The stream (`stream: true`) of a response built by [`response`]: `response.created`, each
/// output item added, its text or arguments in pieces of `piece` characters, done, then
/// `response.completed` with the whole response — as the API streams it, with sequence numbers.
pub fn to_sse(response: &Value, piece: usize) -> String {
    let mut events: Vec<Value> = Vec::new();
    let mut in_progress = response.clone();
    in_progress["status"] = json!("in_progress");
    in_progress["output"] = json!([]);
    in_progress["usage"] = Value::Null;
    events.push(json!({"type": "response.created", "response": in_progress}));
    events.push(json!({"type": "response.in_progress", "response": in_progress}));
    for (index, item) in response["output"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let item_id = item["id"].clone();
        let mut added = item.clone();
        added["status"] = json!("in_progress");
        match item["type"].as_str() {
            Some("message") => added["content"] = json!([]),
            Some("function_call") => added["arguments"] = json!(""),
            _ => {}
        }
        events.push(
            json!({"type": "response.output_item.added", "output_index": index, "item": added}),
        );
        match item["type"].as_str() {
            Some("message") => {
                for (content_index, part) in
                    item["content"].as_array().into_iter().flatten().enumerate()
                {
                    let text = part["text"].as_str().unwrap_or_default();
                    let mut empty = part.clone();
                    empty["text"] = json!("");
                    events.push(
                        json!({"type": "response.content_part.added", "item_id": item_id,
                        "output_index": index, "content_index": content_index, "part": empty}),
                    );
                    for delta in pieces(text, piece) {
                        events.push(
                            json!({"type": "response.output_text.delta", "item_id": item_id,
                            "output_index": index, "content_index": content_index,
                            "delta": delta, "logprobs": []}),
                        );
                    }
                    events.push(
                        json!({"type": "response.output_text.done", "item_id": item_id,
                        "output_index": index, "content_index": content_index, "text": text,
                        "logprobs": []}),
                    );
                    events.push(
                        json!({"type": "response.content_part.done", "item_id": item_id,
                        "output_index": index, "content_index": content_index, "part": part}),
                    );
                }
            }
            Some("function_call") => {
                let arguments = item["arguments"].as_str().unwrap_or_default();
                for delta in pieces(arguments, piece) {
                    events.push(json!({"type": "response.function_call_arguments.delta",
                        "item_id": item_id, "output_index": index, "delta": delta}));
                }
                events.push(json!({"type": "response.function_call_arguments.done",
                    "item_id": item_id, "output_index": index, "arguments": arguments}));
            }
            _ => {}
        }
        events.push(
            json!({"type": "response.output_item.done", "output_index": index, "item": item}),
        );
    }
    events.push(json!({"type": "response.completed", "response": response}));
    to_sse_events(&events)
}

/// Events as server-sent events, each named by its type and numbered.
pub fn to_sse_events(events: &[Value]) -> String {
    events
        .iter()
        .enumerate()
        .map(|(number, event)| {
            let mut event = event.clone();
            event["sequence_number"] = json!(number);
            format!(
                "event: {}\ndata: {event}\n\n",
                event["type"].as_str().unwrap_or_default()
            )
        })
        .collect()
}
