//! Repairing a Responses `input` array saved as JSON.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::tool::ToolError;

/// Repairs an OpenAI Responses `input` array in place.
///
/// Every `function_call` item is answered by exactly one `function_call_output` with its
/// `call_id`: a missing one is added (`Cancelled`) right after the run of output items the call
/// stands in; an output that answers no earlier call, or a call already answered, is dropped.
///
/// ```
/// use serde_json::json;
/// use tool_runtime::wire::openai_responses;
///
/// let mut input = vec![
///     json!({"role": "user", "content": "hi"}),
///     json!({"type": "function_call", "call_id": "call_1", "name": "f", "arguments": "{}"}),
///     json!({"type": "function_call_output", "call_id": "call_9", "output": "orphan"}),
///     json!({"role": "user", "content": "and?"}),
/// ];
/// openai_responses::repair(&mut input);
/// assert_eq!(
///     input[2],
///     json!({"type": "function_call_output", "call_id": "call_1", "output": "Cancelled"})
/// );
/// assert_eq!(input.len(), 4);
///
/// // An output saved before its call answers nothing: the call gets its own.
/// let mut input = vec![
///     json!({"type": "function_call_output", "call_id": "c", "output": "early"}),
///     json!({"type": "function_call", "call_id": "c", "name": "f", "arguments": "{}"}),
/// ];
/// openai_responses::repair(&mut input);
/// assert_eq!(input[0]["type"], "function_call");
/// assert_eq!(input[1]["output"], "Cancelled");
/// ```
pub fn repair(input: &mut Vec<Value>) {
    let items = std::mem::take(input);
    // The calls an output answers somewhere after them.
    let mut answered: HashSet<String> = HashSet::new();
    let mut outputs_after: HashSet<&str> = HashSet::new();
    for item in items.iter().rev() {
        let call_id = item["call_id"].as_str().unwrap_or("");
        match item["type"].as_str() {
            Some("function_call_output") => {
                outputs_after.insert(call_id);
            }
            Some("function_call") if outputs_after.contains(call_id) => {
                answered.insert(call_id.to_owned());
            }
            _ => {}
        }
    }
    let mut open: Vec<String> = Vec::new();
    let mut called: HashSet<String> = HashSet::new();
    let mut answered_once: HashSet<String> = HashSet::new();
    for item in items {
        let kind = item["type"].as_str().unwrap_or("");
        let call_id = item["call_id"].as_str().unwrap_or("").to_owned();
        // A message (or anything but calls, their outputs and reasoning) ends the run: calls
        // left without an output are answered before it.
        let in_run = matches!(kind, "function_call" | "function_call_output" | "reasoning");
        if !in_run {
            close(input, &mut open);
        }
        match kind {
            "function_call" => {
                called.insert(call_id.clone());
                if !answered.contains(&call_id) {
                    open.push(call_id.clone());
                    answered.insert(call_id);
                }
                input.push(item);
            }
            "function_call_output" => {
                if called.contains(&call_id) && answered_once.insert(call_id) {
                    input.push(item);
                }
            }
            _ => input.push(item),
        }
    }
    close(input, &mut open);
}

/// Answers the calls left open with `Cancelled`.
fn close(input: &mut Vec<Value>, open: &mut Vec<String>) {
    for call_id in open.drain(..) {
        input.push(json!({
            "type": "function_call_output",
            "call_id": call_id,
            "output": ToolError::Cancelled.to_string(),
        }));
    }
}
