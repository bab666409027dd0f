//! Reading a Chat Completions response, leniently: unknown and missing optional fields are fine,
//! but nothing that would lose or invent a call.

use serde::Deserialize;
use serde_json::Value;

use super::OpenAiChat;
use crate::conversation::{AssistantMessage, StopReason, ToolCall, Usage};
use crate::error::{Damage, Error};
use crate::model::ModelResponse;
use crate::model::wire::sealed::Protocol;
use crate::tool::Arguments;

#[derive(Deserialize)]
struct Completion {
    #[serde(default)]
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Option<CompletionUsage>,
}

#[derive(Deserialize)]
struct Choice {
    message: ChoiceMessage,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct ChoiceMessage {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    refusal: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<WireCall>>,
}

#[derive(Deserialize)]
struct WireCall {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    function: Option<WireFunction>,
    /// A server's own additions, sent back with the call (Gemini 3's thought signature).
    #[serde(default)]
    extra_content: Option<Value>,
}

#[derive(Deserialize)]
struct WireFunction {
    name: String,
    /// A JSON string per the API; some compatible servers send an object.
    #[serde(default)]
    arguments: Option<Value>,
}

#[derive(Deserialize, Default)]
pub(super) struct CompletionUsage {
    #[serde(default)]
    prompt_tokens: u64,
    #[serde(default)]
    completion_tokens: u64,
    #[serde(default)]
    prompt_tokens_details: Option<PromptDetails>,
}

#[derive(Deserialize, Default)]
pub(super) struct PromptDetails {
    #[serde(default)]
    cached_tokens: Option<u64>,
}

pub(super) const PROVIDER: &str = OpenAiChat::PROVIDER;

pub(super) fn read(body: &[u8]) -> Result<ModelResponse, Error> {
    let completion: Completion =
        serde_json::from_slice(body).map_err(|error| Error::unreadable(PROVIDER, error))?;
    let Some(choice) = completion.choices.into_iter().next() else {
        return Err(Error::damaged(PROVIDER, Damage::NoChoices));
    };
    let mut extras = Vec::new();
    let tool_calls = choice
        .message
        .tool_calls
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(index, call)| {
            let extra = call.extra_content.filter(|extra| !extra.is_null());
            let function = call
                .function
                .ok_or_else(|| Error::damaged(PROVIDER, Damage::CallWithoutFunction))?;
            let arguments = match function.arguments {
                Some(Value::String(text)) => Arguments::Text(text),
                None | Some(Value::Null) => Arguments::Text(String::new()),
                Some(value) => Arguments::Json(value),
            };
            // A server that leaves the id out still gets every call answered.
            let id = call.id.unwrap_or_else(|| format!("call_{index}"));
            extras.push((id.clone(), extra));
            Ok(ToolCall {
                id,
                name: function.name,
                arguments,
            })
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let stop_reason = stop_reason(choice.finish_reason.as_deref());
    if stop_reason == StopReason::ToolUse && tool_calls.is_empty() {
        return Err(Error::damaged(PROVIDER, Damage::ToolUseWithoutCalls));
    }
    let usage = usage(completion.usage.unwrap_or_default());
    let mut message = AssistantMessage::calls(tool_calls);
    message.text = choice.message.content.or(choice.message.refusal);
    message.raw = super::call_extras(extras);
    Ok(ModelResponse::new(message, stop_reason, usage))
}

/// Why the model stopped, from `finish_reason`.
pub(super) fn stop_reason(finish_reason: Option<&str>) -> StopReason {
    match finish_reason {
        Some("stop") | None => StopReason::EndTurn,
        Some("tool_calls") | Some("function_call") => StopReason::ToolUse,
        Some("length") => StopReason::MaxTokens,
        Some(other) => StopReason::Other(other.to_owned()),
    }
}

pub(super) fn usage(wire: CompletionUsage) -> Usage {
    Usage {
        input_tokens: wire.prompt_tokens,
        output_tokens: wire.completion_tokens,
        cache_read_tokens: wire
            .prompt_tokens_details
            .and_then(|details| details.cached_tokens)
            .unwrap_or(0),
        cache_creation_tokens: 0,
    }
}
