//! History repair for the neutral transcript and both wire shapes: dangling calls get a
//! `Cancelled` error result, orphan results are dropped, and sound histories are left alone.

use serde_json::{Value, json};
use tool_runtime::Message;
use tool_runtime::conversation::{AssistantMessage, ToolCall, ToolResult, repair_messages};
use tool_runtime::tool::{ToolError, ToolOutput};
use tool_runtime::wire::{anthropic, openai_chat};

fn assistant(calls: &[&str]) -> Message {
    Message::Assistant(AssistantMessage::calls(
        calls.iter().map(|id| ToolCall::new(*id, "f", "{}")),
    ))
}

fn reply(id: &str, content: &str) -> ToolResult {
    ToolResult::new(id, "f", Ok(ToolOutput::text(content)))
}

fn cancelled(id: &str) -> ToolResult {
    ToolResult::new(id, "f", Err(ToolError::Failed("Cancelled".into())))
}

#[test]
fn neutral_dangling_calls_get_cancelled_results_in_call_order() {
    let mut messages = vec![
        Message::user("go"),
        assistant(&["a", "b", "c"]),
        Message::ToolResults {
            results: vec![reply("c", "3"), reply("zzz", "orphan"), reply("a", "1")],
        },
        Message::user("and?"),
    ];
    repair_messages(&mut messages);
    assert_eq!(
        messages,
        vec![
            Message::user("go"),
            assistant(&["a", "b", "c"]),
            Message::ToolResults {
                results: vec![reply("a", "1"), cancelled("b"), reply("c", "3")]
            },
            Message::user("and?"),
        ]
    );
}

#[test]
fn neutral_orphan_results_are_dropped_and_a_trailing_call_is_answered() {
    let mut messages = vec![
        Message::ToolResults {
            results: vec![reply("x", "orphan")],
        },
        Message::user("go"),
        assistant(&["a"]),
    ];
    repair_messages(&mut messages);
    assert_eq!(
        messages,
        vec![
            Message::user("go"),
            assistant(&["a"]),
            Message::ToolResults {
                results: vec![cancelled("a")]
            },
        ]
    );
}

#[test]
fn neutral_results_split_over_several_messages_are_merged() {
    let mut messages = vec![
        assistant(&["a", "b"]),
        Message::ToolResults {
            results: vec![reply("a", "1")],
        },
        Message::ToolResults {
            results: vec![reply("b", "2")],
        },
    ];
    repair_messages(&mut messages);
    assert_eq!(
        messages,
        vec![
            assistant(&["a", "b"]),
            Message::ToolResults {
                results: vec![reply("a", "1"), reply("b", "2")]
            },
        ]
    );
}

#[test]
fn neutral_sound_history_is_unchanged() {
    let sound = vec![
        Message::user("go"),
        assistant(&["a"]),
        Message::ToolResults {
            results: vec![reply("a", "1")],
        },
        Message::Assistant(AssistantMessage::text("done")),
    ];
    let mut messages = sound.clone();
    repair_messages(&mut messages);
    assert_eq!(messages, sound);
}

fn openai_assistant(ids: &[&str]) -> Value {
    let calls: Vec<Value> = ids
        .iter()
        .map(|id| json!({"id": id, "type": "function", "function": {"name": "f", "arguments": "{}"}}))
        .collect();
    json!({"role": "assistant", "content": null, "tool_calls": calls})
}

fn openai_tool(id: &str, content: &str) -> Value {
    json!({"role": "tool", "tool_call_id": id, "content": content})
}

#[test]
fn openai_wire_repair() {
    let mut messages = vec![
        json!({"role": "system", "content": "s"}),
        openai_tool("early", "orphan before any call"),
        json!({"role": "user", "content": "go"}),
        openai_assistant(&["a", "b"]),
        openai_tool("b", "2"),
        openai_tool("b", "2 again"),
        openai_tool("x", "orphan"),
        json!({"role": "user", "content": "more"}),
        openai_assistant(&["c"]),
    ];
    openai_chat::repair(&mut messages);
    assert_eq!(
        messages,
        vec![
            json!({"role": "system", "content": "s"}),
            json!({"role": "user", "content": "go"}),
            openai_assistant(&["a", "b"]),
            openai_tool("b", "2"),
            openai_tool("a", "Cancelled"),
            json!({"role": "user", "content": "more"}),
            openai_assistant(&["c"]),
            openai_tool("c", "Cancelled"),
        ]
    );
}

fn anthropic_assistant(ids: &[&str]) -> Value {
    let mut content = vec![json!({"type": "text", "text": "calling"})];
    content.extend(
        ids.iter()
            .map(|id| json!({"type": "tool_use", "id": id, "name": "f", "input": {}})),
    );
    json!({"role": "assistant", "content": content})
}

fn result(id: &str, content: &str) -> Value {
    json!({"type": "tool_result", "tool_use_id": id, "content": content})
}

fn cancelled_result(id: &str) -> Value {
    json!({"type": "tool_result", "tool_use_id": id, "content": "Cancelled", "is_error": true})
}

#[test]
fn anthropic_wire_repair() {
    let mut messages = vec![
        json!({"role": "user", "content": [result("orphan", "x"), {"type": "text", "text": "hi"}]}),
        anthropic_assistant(&["a", "b"]),
        // Results out of order, one missing, text before them, an orphan among them.
        json!({"role": "user", "content": [
            {"type": "text", "text": "also"},
            result("b", "2"),
            result("zzz", "orphan"),
        ]}),
        anthropic_assistant(&["c"]),
        // No user message after this tool use at all.
        json!({"role": "assistant", "content": [{"type": "text", "text": "hmm"}]}),
        json!({"role": "user", "content": "plain text"}),
        anthropic_assistant(&["d"]),
    ];
    anthropic::repair(&mut messages);
    assert_eq!(
        messages,
        vec![
            json!({"role": "user", "content": [{"type": "text", "text": "hi"}]}),
            anthropic_assistant(&["a", "b"]),
            json!({"role": "user", "content": [
                cancelled_result("a"),
                result("b", "2"),
                {"type": "text", "text": "also"},
            ]}),
            anthropic_assistant(&["c"]),
            json!({"role": "user", "content": [cancelled_result("c")]}),
            json!({"role": "assistant", "content": [{"type": "text", "text": "hmm"}]}),
            json!({"role": "user", "content": "plain text"}),
            anthropic_assistant(&["d"]),
            json!({"role": "user", "content": [cancelled_result("d")]}),
        ]
    );
}

#[test]
fn a_user_message_of_only_orphan_results_is_dropped() {
    let mut messages = vec![
        json!({"role": "user", "content": "go"}),
        json!({"role": "user", "content": [result("x", "orphan")]}),
    ];
    anthropic::repair(&mut messages);
    assert_eq!(messages, vec![json!({"role": "user", "content": "go"})]);
}
