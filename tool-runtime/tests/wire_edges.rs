//! Edge cases of the wire formats that the APIs are known to reject, and how requests avoid them.

use serde_json::json;
use tool_runtime::conversation::{AssistantMessage, ToolCall, ToolResult};
use tool_runtime::model::ModelRequest;
use tool_runtime::tool::{Arguments, ToolError, ToolOutput};
use tool_runtime::{Anthropic, Message, OpenAi, tool, tools};

/// Fail without saying why.
#[tool]
fn mute() -> Result<String, String> {
    Err(String::new())
}

fn request(messages: &[Message]) -> ModelRequest<'_> {
    ModelRequest::new(messages)
}

#[test]
fn openai_never_sends_a_null_content_without_tool_calls() {
    let messages = [
        Message::user("hi"),
        Message::Assistant(AssistantMessage::default()),
    ];
    let body = OpenAi::new("k").request_body(request(&messages)).unwrap();
    assert_eq!(
        body["messages"][1],
        json!({"role": "assistant", "content": ""})
    );
}

#[test]
fn openai_echoes_empty_arguments_as_an_empty_object() {
    let messages = [Message::Assistant(AssistantMessage::calls([
        ToolCall::new("call_1", "ping", ""),
    ]))];
    let body = OpenAi::new("k").request_body(request(&messages)).unwrap();
    assert_eq!(
        body["messages"][0]["tool_calls"][0]["function"]["arguments"],
        "{}"
    );
}

#[test]
fn temperatures_are_sent_as_written() {
    let messages = [Message::user("hi")];
    let openai = OpenAi::new("k")
        .temperature(0.2)
        .request_body(request(&messages))
        .unwrap();
    assert_eq!(openai["temperature"].to_string(), "0.2");
    let anthropic = Anthropic::new("k")
        .temperature(0.7)
        .request_body(request(&messages))
        .unwrap();
    assert_eq!(anthropic["temperature"].to_string(), "0.7");
    let ignored = OpenAi::new("k")
        .temperature(f64::NAN)
        .request_body(request(&messages))
        .unwrap();
    assert_eq!(ignored.get("temperature"), None);
}

#[test]
fn openai_calls_without_an_id_or_with_object_arguments_are_still_read() {
    let body = json!({
        "choices": [{
            "message": {"role": "assistant", "content": null, "tool_calls": [
                {"type": "function", "function": {"name": "a", "arguments": {"x": 1}}},
                {"id": "call_9", "type": "function", "function": {"name": "b"}}
            ]},
            "finish_reason": "tool_calls"
        }]
    });
    let response = OpenAi::new("k")
        .parse_response(body.to_string().as_bytes())
        .unwrap();
    let calls = &response.message.tool_calls;
    assert_eq!(calls[0].id, "call_0");
    assert_eq!(calls[0].arguments, Arguments::Json(json!({"x": 1})));
    assert_eq!(calls[1].id, "call_9");
    assert_eq!(calls[1].arguments, Arguments::Text(String::new()));
}

/// Chat Completions' `function.arguments` is JSON text: calls whose arguments came as an object
/// (some compatible servers send one) or as nothing go back as text (the echo is built from the
/// message's calls, however they were read).
#[test]
fn openai_echoes_object_arguments_as_json_text() {
    let body = json!({
        "choices": [{
            "message": {"role": "assistant", "content": null, "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "a", "arguments": {"x": 1}}},
                {"id": "call_2", "type": "function", "function": {"name": "b"}}
            ]},
            "finish_reason": "tool_calls"
        }]
    });
    let openai = OpenAi::new("k");
    let response = openai.parse_response(body.to_string().as_bytes()).unwrap();
    let messages = [
        Message::user("go"),
        Message::Assistant(response.message),
        Message::ToolResults {
            results: vec![
                ToolResult::new("call_1", "a", Ok(ToolOutput::text("1"))),
                ToolResult::new("call_2", "b", Ok(ToolOutput::text("2"))),
            ],
        },
    ];
    let sent = openai.request_body(request(&messages)).unwrap();
    let calls = &sent["messages"][1]["tool_calls"];
    assert_eq!(calls[0]["function"]["arguments"], r#"{"x":1}"#);
    assert_eq!(calls[1]["function"]["arguments"], "{}");
}

#[test]
fn anthropic_skips_empty_text_and_empty_result_content() {
    let messages = [
        Message::user(""),
        Message::Assistant(AssistantMessage::calls([ToolCall::new(
            "toolu_1",
            "mute",
            json!({}),
        )])),
        Message::ToolResults {
            results: vec![ToolResult::new(
                "toolu_1",
                "mute",
                Err(ToolError::Failed(String::new())),
            )],
        },
    ];
    let body = Anthropic::new("k")
        .request_body(request(&messages))
        .unwrap();
    assert_eq!(
        body["messages"],
        json!([
            {"role": "assistant", "content": [
                {"type": "tool_use", "id": "toolu_1", "name": "mute", "input": {}}
            ]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "is_error": true}
            ]}
        ])
    );
}

#[tokio::test]
async fn an_error_without_a_message_still_says_something() {
    let results = tools![mute].run(&[ToolCall::new("a", "mute", "")]).await;
    assert_eq!(
        results[0].content(),
        "The tool `mute` failed without an error message."
    );
}
