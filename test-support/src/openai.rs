//! Canned OpenAI Chat Completions responses, in the shape of the recorded real traffic.

use serde_json::{Value, json};

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
