//! OpenAI Responses: its row of the wire table, and canned answers in the shapes of the recorded
//! traffic (`tests/fixtures/responses_*.json`).

use serde_json::{Value, json};
use tool_runtime::OpenAi;

use crate::openai::{data_url, pieces};
use crate::wire::{Calls, Seen, Wire, named_tools};
use crate::{OPENAI_KEY, RESPONSES_PATH, Recorded, protocol};

impl Wire {
    /// OpenAI Responses.
    pub const RESPONSES: Wire = Wire {
        name: "responses",
        provider: "openai",
        path: RESPONSES_PATH,
        base_path: "/v1",
        key: OPENAI_KEY,
        // Each call and each output an item of its own.
        calls_kind: "function_call",
        results_kind: "function_call_output",
        marks_errors: false,
        results_carry_media: true,
        calls_end_on_their_own: true,
        names_answer_format: true,
        id_prefix: "call_",
        model: |model| model.apply(OpenAi::new(OPENAI_KEY).responses()),
        calls: Calls::Text(tool_calls),
        text,
        sse: to_sse,
        error: |message| error(message, "server_error"),
        // OpenAI's own refusals, whichever of its APIs is asked.
        invalid_request: Wire::OPENAI.invalid_request,
        overloaded: Wire::OPENAI.overloaded,
        key_refused: Wire::OPENAI.key_refused,
        error_event: |message| {
            let event = json!({"type": "error", "code": "server_error", "message": message,
                               "param": null, "sequence_number": 0});
            format!("event: error\ndata: {event}\n\n")
        },
        wrong_shape: || json!({"output": "none"}),
        unusable_calls,
        user_message: |text| json!({"role": "user", "content": text}),
        // The answer's output item, echoed as it came but for its id.
        answer_echoed: |text| {
            let mut item = message(text);
            item.as_object_mut().unwrap().remove("id");
            item
        },
        text_part: |text| json!({"type": "input_text", "text": text}),
        image_part: |media_type, base64| {
            json!({"type": "input_image", "image_url": data_url(media_type, base64),
                   "detail": "auto"})
        },
        file_part: |name, media_type, base64| {
            json!({"type": "input_file", "filename": name,
                   "file_data": data_url(media_type, base64)})
        },
        document_url_part: |url| json!({"type": "input_file", "file_url": url}),
        parallel_calls_off: || json!({"parallel_tool_calls": false}),
        required_tool_choice: || json!("required"),
        stream_fields: || json!({"stream": true}),
        results: |request| {
            outputs(request)
                .iter()
                .map(|item| Seen {
                    id: item["call_id"].as_str().unwrap().to_owned(),
                    content: item["output"].as_str().unwrap().to_owned(),
                    is_error: None,
                })
                .collect()
        },
        result_contents: |request| {
            outputs(request)
                .iter()
                .map(|item| item["output"].clone())
                .collect()
        },
        echoed_arguments: |request| {
            request
                .input()
                .iter()
                .filter(|item| item["type"] == "function_call")
                .map(|item| item["arguments"].clone())
                .collect()
        },
        tool_names: named_tools,
        answer_format: |body| body["text"]["format"].clone(),
        user_text: |message| message["content"].as_str().unwrap(),
        protocol: protocol::responses,
    };
}

/// The `function_call_output` items at the end of a request's input.
fn outputs(request: &Recorded) -> &[Value] {
    let input = request.input();
    let tail = input
        .iter()
        .rev()
        .take_while(|item| item["type"] == "function_call_output")
        .count();
    &input[input.len() - tail..]
}

/// Responses that ask for calls but hold none to carry out, and the error each gives.
fn unusable_calls() -> [(Value, &'static str); 2] {
    // The API has no "stopped to call tools" of its own: a call without its id instead.
    let no_calls = response(
        vec![json!({"type": "function_call", "name": "get_weather", "arguments": "{}"})],
        5,
        5,
    );
    let damaged = response(
        vec![
            call("call_1", "get_weather", r#"{"city": "Oslo"}"#),
            json!({"type": "function_call", "call_id": "call_2", "arguments": "{}"}),
        ],
        5,
        5,
    );
    [
        (no_calls, "a function_call item has no call_id or name"),
        (damaged, "a function_call item has no call_id or name"),
    ]
}

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
