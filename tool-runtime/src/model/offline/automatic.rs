//! The automatic model's policy: every tool in one parallel batch after the user speaks, with
//! arguments from its schema; then an answer that quotes the results.

use std::fmt::Write as _;

use super::rng::Rng;
use super::sample::sample_valid;
use super::words::PromptWords;
use crate::conversation::{AssistantMessage, ContentBlock, Message, ToolCall, ToolResult};
use crate::model::{ModelRequest, ToolChoice};
use crate::tool::ToolDefinition;

/// The automatic model's answer to `request`.
pub(super) fn respond(request: &ModelRequest<'_>, seed: u64) -> AssistantMessage {
    // What happened since the user last spoke: which tools were called, what came back.
    let since_user = request
        .messages
        .iter()
        .rposition(|message| matches!(message, Message::User { .. }))
        .map_or(request.messages, |at| &request.messages[at..]);
    let prompt = match since_user.first() {
        Some(Message::User { text, .. }) => text.as_str(),
        _ => "",
    };
    let called: Vec<&str> = since_user
        .iter()
        .flat_map(Message::tool_calls)
        .map(|call| call.name.as_str())
        .collect();
    let uncalled: Vec<&ToolDefinition> = request
        .tools
        .iter()
        .copied()
        .filter(|tool| !called.contains(&tool.name()))
        .collect();
    let first_turn = called.is_empty();
    let more_to_call = !request.parallel_tool_calls && !first_turn;
    if !uncalled.is_empty()
        && (first_turn || more_to_call)
        && *request.tool_choice != ToolChoice::None
    {
        let take = if request.parallel_tool_calls {
            uncalled.len()
        } else {
            1
        };
        let mut rng = Rng::new(seed ^ (since_user.len() as u64).wrapping_mul(0x9E37));
        let mut words = PromptWords::new(prompt);
        let offset = request
            .messages
            .iter()
            .map(|message| message.tool_calls().len())
            .sum::<usize>();
        let mut calls: Vec<ToolCall> = Vec::new();
        for tool in uncalled.iter().take(take) {
            let schema = tool.parameters();
            let checks = tool.schema().checks();
            // A tool that takes a name is called once per name the prompt mentions
            // ("Tokyo and London" → two calls), as a model would.
            let repeat = if request.parallel_tool_calls {
                words.names_for(schema).clamp(1, 4)
            } else {
                1
            };
            for _ in 0..repeat {
                let arguments = sample_valid(schema, checks, &mut |_| true, &mut rng, &mut words)
                    .unwrap_or_default();
                let id = format!("call_{}", offset + calls.len() + 1);
                calls.push(ToolCall::new(id, tool.name(), arguments.to_string()));
            }
        }
        return AssistantMessage::calls(calls);
    }
    if let Some(output) = request.output {
        // A typed answer: a value of its schema, strings taken from the prompt.
        let mut rng = Rng::new(seed ^ 0xA11);
        let mut words = PromptWords::new(prompt);
        let answer = sample_valid(
            output.schema().value(),
            output.schema().checks(),
            &mut |_| true,
            &mut rng,
            &mut words,
        )
        .unwrap_or_default();
        return AssistantMessage::text(answer.to_string());
    }
    AssistantMessage::text(summary(since_user))
}

/// "Here is what the tools returned: …", or an echo when there was nothing to call.
fn summary(since_user: &[Message]) -> String {
    let results: Vec<&ToolResult> = since_user.iter().flat_map(Message::tool_results).collect();
    if results.is_empty() {
        return match since_user.first() {
            Some(Message::User { text, .. }) => format!("(offline model) You said: {text}"),
            _ => "(offline model) Nothing to answer.".to_owned(),
        };
    }
    quote(&results)
}

/// "Here is what the tools returned: …".
fn quote(results: &[&ToolResult]) -> String {
    let mut text = String::from("(offline model) Here is what the tools returned:");
    for result in results {
        let marker = if result.is_error() { " (error)" } else { "" };
        let _ = write!(text, "\n- {}{marker}: {}", result.name, result.content());
        if let Ok(output) = &result.outcome
            && output.has_media()
        {
            let media: Vec<&str> = output
                .blocks()
                .iter()
                .filter(|block| block.media().is_some())
                .map(ContentBlock::describe)
                .collect();
            let _ = write!(text, " (with {})", media.join(", "));
        }
    }
    text
}
