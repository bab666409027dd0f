//! OpenAI Chat Completions: its row of the wire table, and canned responses in the shape of the
//! recorded real traffic.

use serde_json::{Value, json};
use tool_runtime::OpenAi;

use crate::wire::{Calls, Seen, Wire, tools};
use crate::{OPENAI_PATH, Recorded, protocol};

/// The OpenAI key the tests use: distinctive, so a leak is easy to spot.
pub const OPENAI_KEY: &str = "sk-proj-TESTKEY-openai-5ecret-0123456789abcdef";

impl Wire {
    /// OpenAI Chat Completions.
    pub const OPENAI: Wire = Wire {
        name: "openai",
        provider: "openai",
        path: OPENAI_PATH,
        base_path: "/v1",
        key: OPENAI_KEY,
        calls_kind: "assistant",
        results_kind: "tool",
        marks_errors: false,
        results_carry_media: false,
        calls_end_on_their_own: false,
        names_answer_format: true,
        id_prefix: "call_",
        model: |model| model.apply(OpenAi::new(OPENAI_KEY)),
        calls: Calls::Text(tool_calls),
        text,
        sse: to_sse,
        error: |message| error(message, "server_error"),
        invalid_request: |message| error(message, "invalid_request_error"),
        overloaded: || {
            let message = "The server is overloaded or not ready yet.";
            (503, error(message, "server_error"))
        },
        key_refused: || {
            let message = "Incorrect API key provided: sk-proj-********cdef.";
            error(message, "invalid_request_error")
        },
        error_event: |message| {
            let event = json!({"error": {"message": message, "type": "server_error"}});
            format!("data: {event}\n\n")
        },
        wrong_shape: || json!({"choices": "none"}),
        unusable_calls,
        user_message: |text| json!({"role": "user", "content": text}),
        answer_echoed: |text| json!({"role": "assistant", "content": text}),
        text_part: |text| json!({"type": "text", "text": text}),
        image_part: |media_type, base64| {
            let url = data_url(media_type, base64);
            json!({"type": "image_url", "image_url": {"url": url}})
        },
        file_part: |name, media_type, base64| {
            json!({"type": "file", "file": {"filename": name,
                   "file_data": data_url(media_type, base64)}})
        },
        // Chat Completions takes no document by URL: a note of it stands in.
        document_url_part: |url| json!({"type": "text", "text": format!("(A document: {url})")}),
        parallel_calls_off: || json!({"parallel_tool_calls": false}),
        required_tool_choice: || json!("required"),
        stream_fields: || json!({"stream": true, "stream_options": {"include_usage": true}}),
        results: |request| {
            tool_messages(request)
                .iter()
                .map(|message| Seen {
                    id: message["tool_call_id"].as_str().unwrap().to_owned(),
                    content: message["content"].as_str().unwrap().to_owned(),
                    is_error: None,
                })
                .collect()
        },
        result_contents: |request| {
            // The results' media follow them in a user message.
            let messages = request.messages();
            let after = messages
                .iter()
                .rposition(|message| message["role"] == "assistant")
                .map_or(0, |last| last + 1);
            messages[after..]
                .iter()
                .filter(|message| message["role"] == "tool")
                .map(|message| message["content"].clone())
                .collect()
        },
        echoed_arguments: |request| {
            request
                .messages()
                .iter()
                .flat_map(|message| message["tool_calls"].as_array().into_iter().flatten())
                .map(|call| call["function"]["arguments"].clone())
                .collect()
        },
        tool_names: |body| {
            tools(body)
                .iter()
                .map(|tool| tool["function"]["name"].as_str().unwrap())
                .collect()
        },
        answer_format: |body| {
            let format = &body["response_format"];
            let mut flat = format["json_schema"].clone();
            flat["type"] = format["type"].clone();
            flat
        },
        user_text: |message| message["content"].as_str().unwrap(),
        protocol: protocol::openai,
    };
}

/// The `tool` messages at the end of a request's conversation.
fn tool_messages(request: &Recorded) -> &[Value] {
    let messages = request.messages();
    let tail = messages
        .iter()
        .rev()
        .take_while(|message| message["role"] == "tool")
        .count();
    &messages[messages.len() - tail..]
}

/// A `data:` URL of base64 data.
pub(crate) fn data_url(media_type: &str, base64: &str) -> String {
    format!("data:{media_type};base64,{base64}")
}

/// Responses that stop to call tools but hold no call to carry out, and the error each gives.
fn unusable_calls() -> [(Value, &'static str); 2] {
    let mut no_calls = text("", 5, 5);
    no_calls["choices"][0]["finish_reason"] = json!("tool_calls");
    no_calls["choices"][0]["message"]["content"] = Value::Null;
    let damaged = tool_call_values(
        vec![
            call("call_1", "get_weather", r#"{"city": "Oslo"}"#),
            json!({"id": "call_2", "type": "function"}),
        ],
        5,
        5,
    );
    [
        (
            no_calls,
            "the model stopped to call tools but the response holds no tool call",
        ),
        (damaged, "a tool call has no function"),
    ]
}

/// One `tool_calls` entry; `arguments` is sent as the JSON text it is (valid or not).
pub fn call(id: &str, name: &str, arguments: &str) -> Value {
    json!({
        "id": id,
        "type": "function",
        "function": {"name": name, "arguments": arguments},
    })
}

fn usage(prompt: u64, completion: u64) -> Value {
    json!({
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0
        }
    })
}

fn completion(message: Value, finish_reason: &str, prompt: u64, completion: u64) -> Value {
    json!({
        "id": "chatcmpl-mock0000000000000000000000",
        "object": "chat.completion",
        "created": 1771458769,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [{
            "index": 0,
            "message": message,
            "logprobs": null,
            "finish_reason": finish_reason
        }],
        "usage": usage(prompt, completion),
        "service_tier": "default",
        "system_fingerprint": "fp_414ba99a04"
    })
}

/// A response asking for these calls (`(id, name, arguments text)`).
pub fn tool_calls(calls: &[(&str, &str, &str)], prompt: u64, completion: u64) -> Value {
    let calls: Vec<Value> = calls
        .iter()
        .map(|(id, name, arguments)| call(id, name, arguments))
        .collect();
    tool_call_values(calls, prompt, completion)
}

/// A response asking for these calls (each built with [`call`]).
pub fn tool_call_values(calls: Vec<Value>, prompt: u64, completion: u64) -> Value {
    let message = json!({
        "role": "assistant",
        "content": null,
        "tool_calls": calls,
        "refusal": null,
        "annotations": []
    });
    self::completion(message, "tool_calls", prompt, completion)
}

/// A final answer.
pub fn text(text: &str, prompt: u64, completion: u64) -> Value {
    let message = json!({
        "role": "assistant",
        "content": text,
        "refusal": null,
        "annotations": []
    });
    self::completion(message, "stop", prompt, completion)
}

/// An error body: `{"error": {"message", "type", "param", "code"}}`.
pub fn error(message: &str, kind: &str) -> Value {
    json!({"error": {"message": message, "type": kind, "param": null, "code": null}})
}

/// The stream (`stream: true`) of a completion built by [`tool_calls`] or [`text`]: the
/// role, the text and each call's arguments in pieces of `piece` characters, the finish reason,
/// the usage in a chunk of its own, then `[DONE]` — as the API streams it.
pub fn to_sse(completion: &Value, piece: usize) -> String {
    to_sse_chunks(&stream_chunks(completion, piece))
}

/// The chunks of [`to_sse`], before they are written as events.
pub fn stream_chunks(completion: &Value, piece: usize) -> Vec<Value> {
    let chunk = |choices: Value| {
        json!({
            "id": completion["id"],
            "object": "chat.completion.chunk",
            "created": completion["created"],
            "model": completion["model"],
            "system_fingerprint": completion["system_fingerprint"],
            "choices": choices,
        })
    };
    let delta = |delta: Value| {
        chunk(json!([{"index": 0, "delta": delta, "logprobs": null, "finish_reason": null}]))
    };
    let choice = &completion["choices"][0];
    let message = &choice["message"];
    let mut chunks = vec![delta(
        json!({"role": "assistant", "content": null, "refusal": null}),
    )];
    if let Some(text) = message["content"].as_str() {
        for part in pieces(text, piece) {
            chunks.push(delta(json!({"content": part})));
        }
    }
    for (index, call) in message["tool_calls"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        chunks.push(delta(json!({"tool_calls": [{
            "index": index,
            "id": call["id"],
            "type": "function",
            "function": {"name": call["function"]["name"], "arguments": ""},
        }]})));
        let arguments = call["function"]["arguments"].as_str().unwrap_or_default();
        for part in pieces(arguments, piece) {
            chunks.push(delta(
                json!({"tool_calls": [{"index": index, "function": {"arguments": part}}]}),
            ));
        }
    }
    chunks.push(chunk(json!([{
        "index": 0,
        "delta": {},
        "logprobs": null,
        "finish_reason": choice["finish_reason"],
    }])));
    let mut usage = chunk(json!([]));
    usage["usage"] = completion["usage"].clone();
    chunks.push(usage);
    chunks
}

/// Chunks as server-sent events, then `data: [DONE]`.
pub fn to_sse_chunks(chunks: &[Value]) -> String {
    let mut text: String = chunks
        .iter()
        .map(|chunk| format!("data: {chunk}\n\n"))
        .collect();
    text.push_str("data: [DONE]\n\n");
    text
}

/// `text` in pieces of at most `size` characters.
pub(crate) fn pieces(text: &str, size: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars
        .chunks(size.max(1))
        .map(|chunk| chunk.iter().collect())
        .collect()
}
