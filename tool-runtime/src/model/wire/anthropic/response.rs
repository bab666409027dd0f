//! Reading a Messages response, leniently: unknown block types and fields are kept for the echo,
//! but nothing that would lose or invent a call.

use serde::Deserialize;
use serde_json::Value;

use super::{AnthropicMessages, FORMAT};
use crate::conversation::{AssistantMessage, RawMessage, StopReason, ToolCall, Usage};
use crate::error::{Damage, Error};
use crate::model::ModelResponse;
use crate::model::wire::sealed::Protocol;
use crate::tool::Arguments;

#[derive(Deserialize)]
struct WireResponse {
    content: Vec<Value>,
    #[serde(default)]
    stop_reason: Option<String>,
    #[serde(default)]
    usage: WireUsage,
}

#[derive(Deserialize, Default)]
pub(super) struct WireUsage {
    #[serde(default)]
    pub(super) input_tokens: u64,
    #[serde(default)]
    pub(super) output_tokens: u64,
    #[serde(default)]
    pub(super) cache_read_input_tokens: Option<u64>,
    #[serde(default)]
    pub(super) cache_creation_input_tokens: Option<u64>,
}

pub(super) const PROVIDER: &str = AnthropicMessages::PROVIDER;

pub(super) fn read(body: &[u8]) -> Result<ModelResponse, Error> {
    let response: WireResponse =
        serde_json::from_slice(body).map_err(|error| Error::unreadable(PROVIDER, error))?;
    let mut texts = Vec::new();
    let mut tool_calls = Vec::new();
    for block in &response.content {
        match block["type"].as_str() {
            Some("text") => {
                if let Some(text) = block["text"].as_str() {
                    texts.push(text);
                }
            }
            Some("tool_use") => {
                let (Some(id), Some(name)) = (block["id"].as_str(), block["name"].as_str()) else {
                    return Err(Error::damaged(PROVIDER, Damage::ToolUseWithoutIdOrName));
                };
                let input = block
                    .get("input")
                    .cloned()
                    .unwrap_or_else(|| Value::Object(Default::default()));
                tool_calls.push(ToolCall::new(id, name, Arguments::Json(input)));
            }
            _ => {}
        }
    }
    let stop_reason = stop_reason(response.stop_reason.as_deref());
    if stop_reason == StopReason::ToolUse && tool_calls.is_empty() {
        return Err(Error::damaged(PROVIDER, Damage::ToolUseWithoutCalls));
    }
    let text = (!texts.is_empty()).then(|| texts.join(TEXT_BLOCK_SEPARATOR));
    let usage = response.usage.into_usage();
    let mut message = AssistantMessage::calls(tool_calls).with_raw(RawMessage {
        format: FORMAT.to_owned(),
        value: Value::Array(response.content),
    });
    message.text = text;
    Ok(ModelResponse::new(message, stop_reason, usage))
}

/// What goes between the texts of two text blocks in the message's text.
pub(super) const TEXT_BLOCK_SEPARATOR: &str = "\n";

/// Why the model stopped, from `stop_reason`.
pub(super) fn stop_reason(stop_reason: Option<&str>) -> StopReason {
    match stop_reason {
        Some("end_turn") | Some("stop_sequence") | None => StopReason::EndTurn,
        Some("tool_use") => StopReason::ToolUse,
        Some("max_tokens") => StopReason::MaxTokens,
        Some(other) => StopReason::Other(other.to_owned()),
    }
}

impl WireUsage {
    pub(super) fn into_usage(self) -> Usage {
        Usage {
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens,
            cache_read_tokens: self.cache_read_input_tokens.unwrap_or(0),
            cache_creation_tokens: self.cache_creation_input_tokens.unwrap_or(0),
        }
    }
}
