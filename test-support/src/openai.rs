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
