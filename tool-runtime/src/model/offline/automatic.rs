//! The automatic model's policy: every tool in one parallel batch after the user speaks (but
//! those that need approval or are marked destructive, unless asked to), with arguments from its
//! schema; then an answer that quotes the results. A tool choice is followed: a named tool is
//! called whatever it is (again, if it was), a required call calls the tools not called yet at
//! any turn, and none is called when none is allowed.

use std::fmt::Write as _;

use serde_json::Value;

use super::rng::Rng;
use super::sample::sample_valid;
use super::words::PromptWords;
use crate::conversation::{AssistantMessage, ContentBlock, Message, ToolCall, ToolResult};
use crate::model::{ModelRequest, ToolChoice};
use crate::tool::{Approval, Arguments, ToolDefinition};

/// How the automatic model plays: its seed, and whether it calls every tool.
#[derive(Debug, Clone, Copy)]
pub(super) struct Settings {
    pub(super) seed: u64,
    /// Whether tools that need approval or are marked destructive are called too.
    pub(super) call_every_tool: bool,
}

/// The automatic model's answer to `request`.
pub(super) fn respond(request: &ModelRequest<'_>, settings: Settings) -> AssistantMessage {
    let seed = settings.seed;
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
    // A tool the request names must be called (again, if it was), as asked.
    let forced = match request.tool_choice {
        ToolChoice::Tool(name) => Some(name.as_str()),
        _ => None,
    };
    let uncalled: Vec<&ToolDefinition> = request
        .tools
        .iter()
        .copied()
        .filter(|tool| match forced {
            Some(name) => tool.name() == name,
            None => !called.contains(&tool.name()),
        })
        .collect();
    let first_turn = called.is_empty();
    let more_to_call = !request.parallel_tool_calls && !first_turn;
    let required = forced.is_some() || *request.tool_choice == ToolChoice::Required;
    if !uncalled.is_empty()
        && (first_turn || more_to_call || required)
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
        let mut tools_called = 0;
        for tool in &uncalled {
            if tools_called == take {
                break;
            }
            if !settings.call_every_tool && forced.is_none() && left_alone(tool).is_some() {
                continue;
            }
            let schema = tool.parameters();
            let checks = tool.schema().checks();
            let policy = tool.policy();
            // Arguments for which the call would wait for a person are drawn again.
            let mut accept = |value: &Value| {
                settings.call_every_tool
                    || forced.is_some()
                    || !policy.needs_approval(&Arguments::Json(value.clone()))
            };
            // A tool that takes a name is called once per name the prompt mentions
            // ("Tokyo and London" → two calls), as a model would.
            let repeat = if request.parallel_tool_calls {
                words.names_for(schema).clamp(1, 4)
            } else {
                1
            };
            let before = calls.len();
            for _ in 0..repeat {
                let Some(arguments) =
                    sample_valid(schema, checks, &mut accept, &mut rng, &mut words)
                else {
                    break;
                };
                let id = format!("call_{}", offset + calls.len() + 1);
                calls.push(ToolCall::new(id, tool.name(), arguments.to_string()));
            }
            if calls.len() > before {
                tools_called += 1;
            }
        }
        if !calls.is_empty() {
            return AssistantMessage::calls(calls);
        }
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
    let left: Vec<(&str, &str)> =
        if settings.call_every_tool || *request.tool_choice == ToolChoice::None {
            Vec::new()
        } else {
            uncalled
                .iter()
                .filter_map(|tool| Some((tool.name(), left_alone_now(tool)?)))
                .collect()
        };
    AssistantMessage::text(summary(since_user, &left))
}

/// Why the automatic model does not call `tool` whatever its arguments, if it does not: it is
/// marked destructive (and not read-only), or every call of it needs approval.
fn left_alone(tool: &ToolDefinition) -> Option<&'static str> {
    let policy = tool.policy();
    let hints = policy.hints();
    if hints.destructive == Some(true) && hints.read_only != Some(true) {
        return Some("marked destructive");
    }
    matches!(policy.approval(), Approval::Always).then_some("needs approval")
}

/// Why `tool`, still uncalled when the model answers, was not called: [`left_alone`], or it
/// needs approval for the arguments it would have taken.
fn left_alone_now(tool: &ToolDefinition) -> Option<&'static str> {
    left_alone(tool).or_else(|| {
        matches!(tool.policy().approval(), Approval::When(_))
            .then_some("needs approval for the arguments tried")
    })
}

/// "Here is what the tools returned: …", or an echo when there was nothing to call; and which
/// tools were `left` alone, and why.
fn summary(since_user: &[Message], left: &[(&str, &str)]) -> String {
    let results: Vec<&ToolResult> = since_user.iter().flat_map(Message::tool_results).collect();
    let mut text = if results.is_empty() {
        match since_user.first() {
            Some(Message::User { text, .. }) => format!("(offline model) You said: {text}"),
            _ => "(offline model) Nothing to answer.".to_owned(),
        }
    } else {
        quote(&results)
    };
    if !left.is_empty() {
        let names: Vec<String> = left
            .iter()
            .map(|(name, why)| format!("`{name}` ({why})"))
            .collect();
        let _ = write!(
            text,
            "\nNot called: {}. The offline model calls tools that need approval or are marked \
             destructive only when built with `OfflineModel::call_every_tool(true)`.",
            names.join(", ")
        );
    }
    text
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
