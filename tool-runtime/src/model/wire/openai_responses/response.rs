//! Reading a Responses answer, leniently: unknown item types and fields are kept for the echo,
//! but nothing that would lose or invent a call.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{FORMAT, OpenAiResponses};
use crate::conversation::{AssistantMessage, RawMessage, StopReason, ToolCall, Usage};
use crate::error::{Damage, Error};
use crate::model::ModelResponse;
use crate::model::wire::sealed::Protocol;
use crate::tool::Arguments;

#[derive(Deserialize, Default)]
pub(super) struct WireResponse {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    status: Option<String>,
    /// Whether the server kept the response (a later request may then name it).
    #[serde(default)]
    store: Option<bool>,
    /// Absent from what is not a response (an error body sent with 200).
    #[serde(default)]
    pub(super) output: Option<Vec<Value>>,
    #[serde(default)]
    usage: Option<WireUsage>,
    #[serde(default)]
    incomplete_details: Option<Value>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Deserialize, Default)]
struct WireUsage {
    #[serde(default)]
    input_tokens: u64,
    #[serde(default)]
    output_tokens: u64,
    #[serde(default)]
    input_tokens_details: Option<InputDetails>,
}

#[derive(Deserialize, Default)]
struct InputDetails {
    #[serde(default)]
    cached_tokens: Option<u64>,
}

pub(super) const PROVIDER: &str = OpenAiResponses::PROVIDER;

/// What goes between the texts of two text parts in the message's text.
pub(super) const TEXT_PART_SEPARATOR: &str = "\n";

pub(super) fn read(body: &[u8]) -> Result<ModelResponse, Error> {
    let response: WireResponse =
        serde_json::from_slice(body).map_err(|error| Error::unreadable(PROVIDER, error))?;
    let Some(output) = &response.output else {
        return Err(Error::damaged(PROVIDER, Damage::NoOutput));
    };
    let mut message = AssistantMessage::default();
    let mut texts = Vec::new();
    for item in output {
        texts.extend(texts_of(item));
        if let Some(call) = call_of(item)? {
            message.tool_calls.push(call);
        }
    }
    message.text = (!texts.is_empty()).then(|| texts.join(TEXT_PART_SEPARATOR));
    let (stop_reason, usage, raw) = ending(response, !message.tool_calls.is_empty())?;
    Ok(ModelResponse::new(
        message.with_raw(raw),
        stop_reason,
        usage,
    ))
}

/// The texts of an output item: each `output_text` (or `refusal`) part of a `message`.
pub(super) fn texts_of(item: &Value) -> impl Iterator<Item = &str> {
    let parts = match item["type"].as_str() {
        Some("message") => item["content"].as_array().map(Vec::as_slice),
        _ => None,
    };
    parts.unwrap_or_default().iter().filter_map(text_of_part)
}

/// The text of a content part, if it is text.
pub(super) fn text_of_part(part: &Value) -> Option<&str> {
    match part["type"].as_str() {
        Some("output_text") => part["text"].as_str(),
        Some("refusal") => part["refusal"].as_str(),
        _ => None,
    }
}

/// The call an output item asks for, if it is a `function_call`.
pub(super) fn call_of(item: &Value) -> Result<Option<ToolCall>, Error> {
    if item["type"] != "function_call" {
        return Ok(None);
    }
    let arguments = item["arguments"].clone();
    call(item["call_id"].as_str(), item["name"].as_str(), arguments).map(Some)
}

/// The call of a `function_call` item with this `call_id`, `name` and `arguments`.
pub(super) fn call(
    id: Option<&str>,
    name: Option<&str>,
    arguments: Value,
) -> Result<ToolCall, Error> {
    let (Some(id), Some(name)) = (id, name) else {
        return Err(Error::damaged(
            PROVIDER,
            Damage::FunctionCallWithoutIdOrName,
        ));
    };
    let arguments = match arguments {
        Value::String(text) => Arguments::Text(text),
        Value::Null => Arguments::Text(String::new()),
        // Some compatible servers send an object.
        value => Arguments::Json(value),
    };
    Ok(ToolCall::new(id, name, arguments))
}

/// Why the model stopped, the usage, and the response kept for the echo; a failed response is
/// an error.
pub(super) fn ending(
    response: WireResponse,
    has_calls: bool,
) -> Result<(StopReason, Usage, RawMessage), Error> {
    if response.status.as_deref() == Some("failed")
        || response.error.as_ref().is_some_and(|e| !e.is_null())
    {
        let message = response
            .error
            .as_ref()
            .and_then(|error| error["message"].as_str());
        let error = Error::stream_error(
            PROVIDER,
            Some(format!(
                "the response failed: {}",
                message.unwrap_or("no reason given")
            )),
            json!({"error": response.error}).to_string(),
        );
        return Err(
            match response.error.as_ref().and_then(|e| e["code"].as_str()) {
                Some("server_error" | "rate_limit_exceeded") => error.retryable(),
                _ => error,
            },
        );
    }
    let stop_reason = match response.status.as_deref() {
        Some("incomplete") => match response
            .incomplete_details
            .as_ref()
            .and_then(|details| details["reason"].as_str())
        {
            Some("max_output_tokens") => StopReason::MaxTokens,
            Some(reason) => StopReason::Other(reason.to_owned()),
            None => StopReason::Other("incomplete".to_owned()),
        },
        _ if has_calls => StopReason::ToolUse,
        _ => StopReason::EndTurn,
    };
    let usage = response.usage.unwrap_or_default();
    let usage = Usage {
        input_tokens: usage.input_tokens,
        output_tokens: usage.output_tokens,
        cache_read_tokens: usage
            .input_tokens_details
            .and_then(|details| details.cached_tokens)
            .unwrap_or(0),
        cache_creation_tokens: 0,
    };
    let mut kept = Map::new();
    if let Some(id) = response.id {
        kept.insert("id".to_owned(), Value::String(id));
    }
    if response.store == Some(true) {
        kept.insert("store".to_owned(), Value::Bool(true));
    }
    kept.insert(
        "output".to_owned(),
        Value::Array(response.output.unwrap_or_default()),
    );
    let raw = RawMessage {
        format: FORMAT.to_owned(),
        value: Value::Object(kept),
    };
    Ok((stop_reason, usage, raw))
}
