//! The tool-call protocol of each provider, checked on every request the mock server receives.

use std::collections::HashSet;

use serde_json::Value;

use crate::Wire;
use crate::server::Recorded;

/// Checks one request against its wire's tool-call protocol (the wire chosen by path).
///
/// - OpenAI: each assistant message with `tool_calls` is immediately followed by exactly one
///   `tool` message per call id (no more, no less), and no `tool` message stands anywhere else.
/// - Anthropic: each assistant message with `tool_use` blocks is followed by ONE user message
///   whose content starts with `tool_result` blocks answering every id exactly once (and nothing
///   else); no `tool_result` stands anywhere else; roles alternate, starting with the user.
/// - Responses: each `function_call_output` answers an earlier `function_call` by its `call_id`
///   (the API's "No tool call found for function call output with call_id …"), once; every
///   `function_call` is answered; `call_id`s are unique and non-empty. With
///   `previous_response_id`, outputs at the start answer calls the server keeps.
pub fn check_protocol(request: &Recorded) -> Result<(), String> {
    check_protocol_with(request, false)
}

/// [`check_protocol`], allowing one call id for several calls (servers that repeat or leave
/// empty the ids they issue are answered with those same ids).
pub fn check_protocol_with(request: &Recorded, repeated_ids: bool) -> Result<(), String> {
    match Wire::serving(&request.path) {
        Some(wire) => wire.check_protocol(request, repeated_ids),
        None => Ok(()),
    }
}

/// OpenAI Chat Completions' protocol.
pub(crate) fn openai(request: &Recorded, repeated_ids: bool) -> Result<(), String> {
    let messages = request.messages();
    let mut index = 0;
    while index < messages.len() {
        let message = &messages[index];
        index += 1;
        if message["role"] == "tool" {
            return Err(format!(
                "messages[{}]: a tool message that follows no assistant tool_calls",
                index - 1
            ));
        }
        let Some(calls) = message["tool_calls"]
            .as_array()
            .filter(|calls| !calls.is_empty())
        else {
            continue;
        };
        if message["role"] != "assistant" {
            return Err(format!(
                "messages[{}]: tool_calls on a non-assistant",
                index - 1
            ));
        }
        let ids: Vec<&str> = calls
            .iter()
            .map(|call| call["id"].as_str().unwrap_or(""))
            .collect();
        let unique: HashSet<&str> = ids.iter().copied().collect();
        if unique.len() != ids.len() && !repeated_ids {
            return Err(format!(
                "messages[{}]: duplicate tool call ids {ids:?}",
                index - 1
            ));
        }
        let mut answered = Vec::new();
        while index < messages.len() && messages[index]["role"] == "tool" {
            answered.push(messages[index]["tool_call_id"].as_str().unwrap_or(""));
            index += 1;
        }
        let mut sorted_ids = ids.clone();
        let mut sorted_answered = answered.clone();
        sorted_ids.sort_unstable();
        sorted_answered.sort_unstable();
        if sorted_ids != sorted_answered {
            return Err(format!(
                "assistant tool_calls {ids:?} are answered by tool messages {answered:?}"
            ));
        }
    }
    Ok(())
}

/// OpenAI Responses' protocol.
pub(crate) fn responses(request: &Recorded, repeated_ids: bool) -> Result<(), String> {
    let input = request.input();
    let chained = request.body["previous_response_id"].is_string();
    // Each call id and how many outputs answered it so far.
    let mut calls: Vec<(&str, usize)> = Vec::new();
    let mut seen_other = false;
    for (index, item) in input.iter().enumerate() {
        match item["type"].as_str() {
            Some("function_call") => {
                let id = item["call_id"].as_str().unwrap_or("");
                if id.is_empty() && !repeated_ids {
                    return Err(format!("input[{index}]: a function_call without a call_id"));
                }
                if calls.iter().any(|(known, _)| *known == id) && !repeated_ids {
                    return Err(format!("input[{index}]: duplicate call_id {id:?}"));
                }
                calls.push((id, 0));
                seen_other = true;
            }
            Some("function_call_output") => {
                let id = item["call_id"].as_str().unwrap_or("");
                // The first call with that id still unanswered; with repeated ids allowed, an
                // answered one too (the API pairs by id alone).
                let unanswered = calls
                    .iter()
                    .position(|(known, answers)| *known == id && *answers == 0);
                let answered = calls.iter().position(|(known, _)| *known == id);
                let at = unanswered.or(answered.filter(|_| repeated_ids));
                match at.map(|at| &mut calls[at]) {
                    Some((_, answers)) => *answers += 1,
                    // Answers to the calls of the stored response this request follows.
                    None if chained && !seen_other => {}
                    None => {
                        return Err(format!(
                            "input[{index}]: No tool call found for function call output with call_id {id}"
                        ));
                    }
                }
            }
            _ => seen_other = true,
        }
    }
    let unanswered: Vec<&str> = calls
        .iter()
        .filter(|(_, answers)| *answers == 0)
        .map(|(id, _)| *id)
        .collect();
    if unanswered.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "function_call items without output: {unanswered:?}"
        ))
    }
}

/// Anthropic Messages' protocol (ids are never repeated: Anthropic issues them).
pub(crate) fn anthropic(request: &Recorded, _repeated_ids: bool) -> Result<(), String> {
    let messages = request.messages();
    let mut pending: Option<Vec<&str>> = None;
    for (index, message) in messages.iter().enumerate() {
        let role = message["role"].as_str().unwrap_or("");
        let expected_role = if index % 2 == 0 { "user" } else { "assistant" };
        if role != expected_role {
            return Err(format!(
                "messages[{index}]: role {role:?}, expected {expected_role:?}"
            ));
        }
        let blocks: &[Value] = message["content"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let results: Vec<&str> = blocks
            .iter()
            .take_while(|block| block["type"] == "tool_result")
            .map(|block| block["tool_use_id"].as_str().unwrap_or(""))
            .collect();
        let stray = blocks
            .iter()
            .skip(results.len())
            .any(|block| block["type"] == "tool_result");
        if stray {
            return Err(format!(
                "messages[{index}]: a tool_result after other blocks"
            ));
        }
        match pending.take() {
            Some(ids) => {
                let mut sorted_ids = ids.clone();
                let mut sorted_results = results.clone();
                sorted_ids.sort_unstable();
                sorted_results.sort_unstable();
                if sorted_ids != sorted_results {
                    return Err(format!(
                        "messages[{index}]: tool_use ids {ids:?} answered by tool_result {results:?}"
                    ));
                }
            }
            None if !results.is_empty() => {
                return Err(format!(
                    "messages[{index}]: tool_result blocks that answer no tool_use"
                ));
            }
            None => {}
        }
        if role == "assistant" {
            let ids: Vec<&str> = blocks
                .iter()
                .filter(|block| block["type"] == "tool_use")
                .map(|block| block["id"].as_str().unwrap_or(""))
                .collect();
            let unique: HashSet<&str> = ids.iter().copied().collect();
            if unique.len() != ids.len() {
                return Err(format!("messages[{index}]: duplicate tool_use ids {ids:?}"));
            }
            if !ids.is_empty() {
                pending = Some(ids);
            }
        }
    }
    match pending {
        Some(ids) => Err(format!(
            "the last message's tool_use ids {ids:?} have no results"
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use serde_json::{Value, json};

    use super::*;
    use crate::server::{ANTHROPIC_PATH, OPENAI_PATH, RESPONSES_PATH};

    fn recorded(path: &str, messages: Value) -> Recorded {
        Recorded {
            at: Instant::now(),
            method: "POST".to_owned(),
            path: path.to_owned(),
            headers: Vec::new(),
            raw_body: Vec::new(),
            body: json!({"messages": messages}),
            handled: Duration::ZERO,
        }
    }

    /// The checker every request goes through accepts the right shapes and catches each violation.
    #[test]
    fn the_protocol_checker_is_not_vacuous() {
        let call = |id: &str| json!({"id": id, "type": "function", "function": {"name": "f", "arguments": "{}"}});
        let assistant =
            json!({"role": "assistant", "content": null, "tool_calls": [call("a"), call("b")]});
        let tool = |id: &str| json!({"role": "tool", "tool_call_id": id, "content": "x"});
        let user = json!({"role": "user", "content": "hi"});
        let openai_cases = [
            (json!([user, assistant, tool("b"), tool("a"), user]), true),
            (json!([user, assistant, tool("a")]), false),
            (
                json!([user, assistant, tool("a"), tool("b"), tool("b")]),
                false,
            ),
            (json!([user, assistant, tool("a"), user, tool("b")]), false),
            (json!([user, tool("a")]), false),
            (json!([user, assistant]), false),
        ];
        for (messages, ok) in openai_cases {
            let verdict = check_protocol(&recorded(OPENAI_PATH, messages.clone()));
            assert_eq!(verdict.is_ok(), ok, "{messages}: {verdict:?}");
        }

        let text = |t: &str| json!({"type": "text", "text": t});
        let result = |id: &str| json!({"type": "tool_result", "tool_use_id": id, "content": "x"});
        let uses = json!({"role": "assistant", "content": [
            text("calling"),
            {"type": "tool_use", "id": "a", "name": "f", "input": {}},
            {"type": "tool_use", "id": "b", "name": "f", "input": {}}
        ]});
        let user = |blocks: Value| json!({"role": "user", "content": blocks});
        let anthropic_cases = [
            (
                json!([
                    user(json!([text("hi")])),
                    uses,
                    user(json!([result("a"), result("b"), text("go on")]))
                ]),
                true,
            ),
            (
                json!([
                    user(json!([text("hi")])),
                    uses,
                    user(json!([result("a")])),
                    user(json!([result("b")]))
                ]),
                false,
            ),
            (
                json!([user(json!([text("hi")])), uses, user(json!([result("a")]))]),
                false,
            ),
            (
                json!([
                    user(json!([text("hi")])),
                    uses,
                    user(json!([text("first"), result("a"), result("b")]))
                ]),
                false,
            ),
            (json!([user(json!([text("hi")])), uses]), false),
            (json!([user(json!([result("z")]))]), false),
            (
                json!([
                    user(json!([text("hi")])),
                    uses,
                    user(json!([result("a"), result("b"), result("b")]))
                ]),
                false,
            ),
        ];
        for (messages, ok) in anthropic_cases {
            let verdict = check_protocol(&recorded(ANTHROPIC_PATH, messages.clone()));
            assert_eq!(verdict.is_ok(), ok, "{messages}: {verdict:?}");
        }

        let user = json!({"role": "user", "content": "hi"});
        let call = |id: &str| json!({"type": "function_call", "call_id": id, "name": "f", "arguments": "{}"});
        let output =
            |id: &str| json!({"type": "function_call_output", "call_id": id, "output": "x"});
        let reasoning = json!({"type": "reasoning", "encrypted_content": "e", "summary": []});
        let responses_cases = [
            (
                json!([
                    user,
                    reasoning,
                    call("a"),
                    call("b"),
                    output("b"),
                    output("a"),
                    user
                ]),
                false,
                true,
            ),
            (
                json!([user, call("a"), call("b"), output("a")]),
                false,
                false,
            ),
            (json!([user, output("a"), call("a")]), false, false),
            (
                json!([user, call("a"), output("a"), output("a")]),
                false,
                false,
            ),
            (
                json!([user, call("a"), call("a"), output("a"), output("a")]),
                false,
                false,
            ),
            (json!([output("z"), user]), true, true),
            (json!([user, output("z")]), true, false),
        ];
        for (input, chained, ok) in responses_cases {
            let mut request = recorded(RESPONSES_PATH, json!([]));
            request.body = json!({"input": input});
            if chained {
                request.body["previous_response_id"] = json!("resp_1");
            }
            let verdict = check_protocol(&request);
            assert_eq!(verdict.is_ok(), ok, "{input}: {verdict:?}");
        }
        // With repeated ids allowed, each call with the id still needs an output of its own.
        let repeated_cases = [
            (
                json!([user, call("a"), call("a"), output("a"), output("a")]),
                true,
            ),
            (json!([user, call("a"), call("a"), output("a")]), false),
        ];
        for (input, ok) in repeated_cases {
            let mut request = recorded(RESPONSES_PATH, json!([]));
            request.body = json!({"input": input});
            let verdict = check_protocol_with(&request, true);
            assert_eq!(verdict.is_ok(), ok, "{input}: {verdict:?}");
        }
    }
}
