//! Reading a streamed Messages response (`stream: true`): `message_start`, then per content block
//! `content_block_start`, `content_block_delta`s and `content_block_stop` (a `tool_use` block's
//! stop completes that call), then `message_delta` (stop reason, usage) and `message_stop`, with
//! `ping`s anywhere and `error` ending it all.
//!
//! The blocks are rebuilt as they were sent, so that the message can be echoed back exactly as
//! when it comes whole. Each event is read into its own type ([`Event`]); only a block's start,
//! which is echoed back, becomes a `Value`.

use std::borrow::Cow;
use std::collections::{BTreeMap, VecDeque};

use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny};
use serde_json::{Map, Value};

use super::FORMAT;
use super::response::{PROVIDER, TEXT_BLOCK_SEPARATOR, WireUsage, stop_reason};
use crate::conversation::{RawMessage, StopReason, ToolCall};
use crate::error::{Damage, Error};
use crate::http::SseEvent;
use crate::model::wire::event::{self, Tagged};
use crate::model::wire::sealed::StreamDecoder;
use crate::model::{ModelEvent, ResponseEnd, ToolCallDelta};
use crate::tool::Arguments;

/// One event, by its `type`.
enum Event<'a> {
    MessageStart(MessageStart),
    BlockStart(BlockStart),
    BlockDelta(BlockDelta<'a>),
    BlockStop(BlockStop),
    MessageDelta(MessageDelta<'a>),
    MessageStop,
    Error(ErrorEvent<'a>),
    /// `ping`, and events newer than this library.
    Other,
}

impl<'de> Tagged<'de> for Event<'de> {
    fn read<D: Deserializer<'de>>(kind: &str, fields: D) -> Result<Self, D::Error> {
        Ok(match kind {
            "message_start" => Self::MessageStart(Deserialize::deserialize(fields)?),
            "content_block_start" => Self::BlockStart(Deserialize::deserialize(fields)?),
            "content_block_delta" => Self::BlockDelta(Deserialize::deserialize(fields)?),
            "content_block_stop" => Self::BlockStop(Deserialize::deserialize(fields)?),
            "message_delta" => Self::MessageDelta(Deserialize::deserialize(fields)?),
            "message_stop" => {
                IgnoredAny::deserialize(fields)?;
                Self::MessageStop
            }
            "error" => Self::Error(Deserialize::deserialize(fields)?),
            _ => {
                IgnoredAny::deserialize(fields)?;
                Self::Other
            }
        })
    }
}

#[derive(Deserialize)]
struct MessageStart {
    #[serde(default, deserialize_with = "event::object")]
    message: Option<MessageHead>,
}

#[derive(Deserialize)]
struct MessageHead {
    #[serde(default, deserialize_with = "event::object")]
    usage: Option<UsageUpdate>,
}

/// The usage a message reports so far: `message_start` gives it, `message_delta` updates it.
#[derive(Deserialize, Default, Debug)]
struct UsageUpdate {
    #[serde(default, deserialize_with = "event::number")]
    input_tokens: Option<u64>,
    #[serde(default, deserialize_with = "event::number")]
    output_tokens: Option<u64>,
    #[serde(default, deserialize_with = "event::number")]
    cache_read_input_tokens: Option<u64>,
    #[serde(default, deserialize_with = "event::number")]
    cache_creation_input_tokens: Option<u64>,
}

#[derive(Deserialize)]
struct BlockStart {
    #[serde(default, deserialize_with = "event::number")]
    index: Option<u64>,
    /// The block as it is echoed back, its deltas added to it.
    #[serde(default)]
    content_block: Value,
}

#[derive(Deserialize)]
struct BlockDelta<'a> {
    #[serde(default, deserialize_with = "event::number")]
    index: Option<u64>,
    #[serde(borrow, default)]
    delta: Delta<'a>,
}

/// A piece of a content block, by its `type`.
#[derive(Default)]
enum Delta<'a> {
    Text(Cow<'a, str>),
    Thinking(Cow<'a, str>),
    /// Set as it came, whatever it is.
    Signature(Option<Value>),
    Citation(Option<Value>),
    InputJson(Cow<'a, str>),
    /// Deltas newer than this library, and a delta that is not an object.
    #[default]
    Other,
}

/// The fields of a delta: its type says which one counts.
#[derive(Deserialize)]
struct DeltaFields<'a> {
    #[serde(rename = "type", borrow, default, deserialize_with = "event::string")]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "event::string")]
    text: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "event::string")]
    thinking: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "present")]
    signature: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    citation: Option<Value>,
    #[serde(borrow, default, deserialize_with = "event::string")]
    partial_json: Option<Cow<'a, str>>,
}

impl<'de: 'a, 'a> Deserialize<'de> for Delta<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let Some(fields) = event::object::<_, DeltaFields<'a>>(deserializer)? else {
            return Ok(Self::Other);
        };
        Ok(match fields.kind.as_deref() {
            Some("text_delta") => Self::Text(fields.text.unwrap_or_default()),
            Some("thinking_delta") => Self::Thinking(fields.thinking.unwrap_or_default()),
            Some("signature_delta") => Self::Signature(fields.signature),
            Some("citations_delta") => Self::Citation(fields.citation),
            Some("input_json_delta") => Self::InputJson(fields.partial_json.unwrap_or_default()),
            _ => Self::Other,
        })
    }
}

/// A member that is present, even as `null`.
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

#[derive(Deserialize)]
struct BlockStop {
    #[serde(default, deserialize_with = "event::number")]
    index: Option<u64>,
}

#[derive(Deserialize)]
struct MessageDelta<'a> {
    #[serde(borrow, default, deserialize_with = "event::object")]
    delta: Option<MessageDeltaFields<'a>>,
    #[serde(default, deserialize_with = "event::object")]
    usage: Option<UsageUpdate>,
}

#[derive(Deserialize)]
struct MessageDeltaFields<'a> {
    #[serde(borrow, default, deserialize_with = "event::string")]
    stop_reason: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct ErrorEvent<'a> {
    #[serde(borrow, default, deserialize_with = "event::object")]
    error: Option<event::Failure<'a>>,
}

/// A `tool_use` block being written.
#[derive(Debug)]
struct Call {
    /// Its position among the message's calls.
    position: usize,
    id: String,
    name: String,
}

/// The state of one streamed Messages response.
#[derive(Debug, Default)]
pub struct MessagesStream {
    /// The content blocks by their index, as sent so far.
    blocks: BTreeMap<u64, Value>,
    /// The JSON text of the blocks that take `input_json_delta`s, by index.
    inputs: BTreeMap<u64, String>,
    /// The `tool_use` blocks, by index.
    calls: BTreeMap<u64, Call>,
    call_count: usize,
    /// Whether a text block was seen (the next one's text follows a separator).
    text_seen: bool,
    stop_reason: Option<String>,
    /// Usage as `message_start` gave it, updated by `message_delta`.
    usage: UsageUpdate,
}

impl StreamDecoder for MessagesStream {
    fn event(&mut self, event: SseEvent, out: &mut VecDeque<ModelEvent>) -> Result<bool, Error> {
        let data = event::read::<Event<'_>>(&event.data, &event.event)
            .map_err(|error| Error::unreadable(PROVIDER, error).with_body(&*event.data))?;
        match data {
            Event::MessageStart(start) => {
                if let Some(usage) = start.message.and_then(|message| message.usage) {
                    self.usage = usage;
                }
            }
            Event::BlockStart(start) => {
                self.block_start(start.index.unwrap_or_default(), start.content_block, out)?
            }
            Event::BlockDelta(delta) => {
                self.block_delta(delta.index.unwrap_or_default(), delta.delta, out)
            }
            Event::BlockStop(stop) => self.block_stop(stop.index.unwrap_or_default(), out),
            Event::MessageDelta(delta) => {
                if let Some(reason) = delta.delta.and_then(|delta| delta.stop_reason) {
                    self.stop_reason = Some(reason.into_owned());
                }
                if let Some(usage) = delta.usage {
                    self.usage.update(usage);
                }
            }
            Event::MessageStop => {
                self.end_response(out)?;
                return Ok(true);
            }
            Event::Error(error) => {
                let error = error.error.unwrap_or_default();
                let message = error.message.map(Cow::into_owned);
                let failure = Error::stream_error(PROVIDER, message, &*event.data);
                // The streamed forms of 529 and 500: sent again while nothing was used.
                return Err(match error.kind.as_deref() {
                    Some("overloaded_error" | "api_error") => failure.retryable(),
                    _ => failure,
                });
            }
            Event::Other => {}
        }
        Ok(false)
    }

    fn end(&mut self, _out: &mut VecDeque<ModelEvent>) -> Result<(), Error> {
        Err(Error::stream_incomplete(PROVIDER.to_owned()))
    }
}

impl MessagesStream {
    fn block_start(
        &mut self,
        index: u64,
        block: Value,
        out: &mut VecDeque<ModelEvent>,
    ) -> Result<(), Error> {
        match block["type"].as_str() {
            Some("text") => {
                if std::mem::replace(&mut self.text_seen, true) {
                    out.push_back(ModelEvent::TextDelta(TEXT_BLOCK_SEPARATOR.to_owned()));
                }
                // Even an empty start: the message has a text, as when it comes whole.
                let text = block["text"].as_str().unwrap_or_default();
                out.push_back(ModelEvent::TextDelta(text.to_owned()));
            }
            Some("tool_use") => {
                let (Some(id), Some(name)) = (block["id"].as_str(), block["name"].as_str()) else {
                    return Err(Error::damaged(PROVIDER, Damage::ToolUseWithoutIdOrName));
                };
                let position = self.call_count;
                self.call_count += 1;
                out.push_back(ModelEvent::ToolCallDelta(ToolCallDelta::new(
                    position, name, "",
                )));
                self.calls.insert(
                    index,
                    Call {
                        position,
                        id: id.to_owned(),
                        name: name.to_owned(),
                    },
                );
            }
            _ => {}
        }
        self.blocks.insert(index, block);
        Ok(())
    }

    fn block_delta(&mut self, index: u64, delta: Delta<'_>, out: &mut VecDeque<ModelEvent>) {
        let Some(block) = self.blocks.get_mut(&index) else {
            return;
        };
        let mut append = |field: &str, piece: &str| {
            if let Some(Value::String(text)) = block.get_mut(field) {
                text.push_str(piece);
            } else if let Some(object) = block.as_object_mut() {
                object.insert(field.to_owned(), Value::String(piece.to_owned()));
            }
        };
        match delta {
            Delta::Text(text) => {
                append("text", &text);
                if !text.is_empty() {
                    out.push_back(ModelEvent::TextDelta(text.into_owned()));
                }
            }
            Delta::Thinking(thinking) => append("thinking", &thinking),
            Delta::Signature(signature) => {
                if let (Some(object), Some(signature)) = (block.as_object_mut(), signature) {
                    object.insert("signature".to_owned(), signature);
                }
            }
            Delta::Citation(citation) => {
                if let (Some(object), Some(citation)) = (block.as_object_mut(), citation) {
                    let citations = object
                        .entry("citations")
                        .or_insert_with(|| Value::Array(Vec::new()));
                    if !citations.is_array() {
                        *citations = Value::Array(Vec::new());
                    }
                    if let Value::Array(citations) = citations {
                        citations.push(citation);
                    }
                }
            }
            Delta::InputJson(piece) => {
                self.inputs.entry(index).or_default().push_str(&piece);
                if let Some(call) = self.calls.get(&index)
                    && !piece.is_empty()
                {
                    out.push_back(ModelEvent::ToolCallDelta(ToolCallDelta::new(
                        call.position,
                        call.name.clone(),
                        piece,
                    )));
                }
            }
            Delta::Other => {}
        }
    }

    /// A block is complete: its input is whole, and a `tool_use` block's call can start.
    fn block_stop(&mut self, index: u64, out: &mut VecDeque<ModelEvent>) {
        let input = self.inputs.remove(&index).map(|text| {
            if text.trim().is_empty() {
                Ok(Value::Object(Map::new()))
            } else {
                serde_json::from_str::<Value>(&text).map_err(|_| text)
            }
        });
        if let (Some(input), Some(block)) = (&input, self.blocks.get_mut(&index))
            && let Some(object) = block.as_object_mut()
        {
            // Echoed back as an object, whatever was received.
            let value = match input {
                Ok(value @ Value::Object(_)) => value.clone(),
                _ => Value::Object(Map::new()),
            };
            object.insert("input".to_owned(), value);
        }
        if let Some(call) = self.calls.remove(&index) {
            let arguments = match input {
                Some(Ok(value)) => Arguments::Json(value),
                // The model's text as it came: the call gets an argument error the model reads.
                Some(Err(text)) => Arguments::Text(text),
                None => match self.blocks.get(&index).and_then(|block| block.get("input")) {
                    Some(input) => Arguments::Json(input.clone()),
                    None => Arguments::Json(Value::Object(Map::new())),
                },
            };
            out.push_back(ModelEvent::ToolCall(ToolCall::new(
                call.id, call.name, arguments,
            )));
        }
    }

    fn end_response(&mut self, out: &mut VecDeque<ModelEvent>) -> Result<(), Error> {
        // A block left open (no stop before the message's): its call still counts.
        let open: Vec<u64> = self.calls.keys().copied().collect();
        for index in open {
            self.block_stop(index, out);
        }
        let stop_reason = stop_reason(self.stop_reason.as_deref());
        if stop_reason == StopReason::ToolUse && self.call_count == 0 {
            return Err(Error::damaged(PROVIDER, Damage::ToolUseWithoutCalls));
        }
        let usage = std::mem::take(&mut self.usage).into_wire().into_usage();
        let mut finish = ResponseEnd::new(stop_reason, usage);
        finish.raw = Some(RawMessage {
            format: FORMAT.to_owned(),
            value: Value::Array(std::mem::take(&mut self.blocks).into_values().collect()),
        });
        out.push_back(ModelEvent::End(finish));
        Ok(())
    }
}

impl UsageUpdate {
    /// Takes what `update` reports.
    fn update(&mut self, update: UsageUpdate) {
        let fields = [
            (&mut self.input_tokens, update.input_tokens),
            (&mut self.output_tokens, update.output_tokens),
            (
                &mut self.cache_read_input_tokens,
                update.cache_read_input_tokens,
            ),
            (
                &mut self.cache_creation_input_tokens,
                update.cache_creation_input_tokens,
            ),
        ];
        for (field, value) in fields {
            if value.is_some() {
                *field = value;
            }
        }
    }

    fn into_wire(self) -> WireUsage {
        WireUsage {
            input_tokens: self.input_tokens.unwrap_or_default(),
            output_tokens: self.output_tokens.unwrap_or_default(),
            cache_read_input_tokens: self.cache_read_input_tokens,
            cache_creation_input_tokens: self.cache_creation_input_tokens,
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::ModelResponse;

    /// The response these events (SSE `event:` name, data) stream, up to `message_stop`.
    fn read(events: &[(&str, &str)]) -> Result<ModelResponse, Error> {
        crate::model::wire::stream_tests::read_events::<MessagesStream>(events)
    }

    const START: (&str, &str) = ("", r#"{"type": "message_start", "message": {"usage": {}}}"#);
    const TEXT: (&str, &str) = (
        "",
        r#"{"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}"#,
    );
    const STOP: (&str, &str) = ("", r#"{"type": "message_stop"}"#);

    fn text_delta(text: &str) -> String {
        json!({"type": "content_block_delta", "index": 0,
               "delta": {"type": "text_delta", "text": text}})
        .to_string()
    }

    #[test]
    fn events_and_deltas_newer_than_this_library_are_ignored_whatever_their_fields() {
        let hi = text_delta("Hi");
        let response = read(&[
            START,
            TEXT,
            ("", &hi),
            ("", r#"{"type": "content_block_flourish", "index": {"a": [1]}, "delta": 5}"#),
            (
                "",
                r#"{"type": "content_block_delta", "index": 0, "delta": {"type": "sparkle_delta", "text": {"x": 1}}}"#,
            ),
            ("", r#"{"type": "content_block_delta", "index": 0, "delta": "x"}"#),
            ("", r#"{"type": "content_block_delta", "index": 0, "delta": {"text": "no type"}}"#),
            ("", r#"{"type": "content_block_delta", "index": 0}"#),
            ("ping", r#"{"type": "ping"}"#),
            ("", r#"{"type": "content_block_stop", "index": 0}"#),
            STOP,
        ])
        .unwrap();
        assert_eq!(response.message.text.as_deref(), Some("Hi"));
        let raw = response.message.raw.unwrap().value;
        assert_eq!(raw, json!([{"type": "text", "text": "Hi"}]));
    }

    #[test]
    fn the_type_may_come_last_or_only_in_the_event_name() {
        let response = read(&[
            START,
            (
                "",
                r#"{"index": 0, "content_block": {"text": "", "type": "text"}, "type": "content_block_start"}"#,
            ),
            (
                "content_block_delta",
                r#"{"index": 0, "delta": {"text": "Hi", "type": "text_delta"}}"#,
            ),
            ("content_block_delta", r#"{"type": 7, "delta": {"type": "text_delta", "text": "!"}}"#),
            ("message_stop", "{}"),
        ])
        .unwrap();
        assert_eq!(response.message.text.as_deref(), Some("Hi!"));
    }

    #[test]
    fn missing_members_and_members_of_another_shape_are_absent() {
        let response = read(&[
            (
                "",
                r#"{"type": "message_start", "message": {"usage": {"input_tokens": null, "output_tokens": 2, "cache_read_input_tokens": "1"}}}"#,
            ),
            // No index: the first block.
            (
                "",
                r#"{"type": "content_block_start", "content_block": {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}}"#,
            ),
            ("", r#"{"type": "content_block_delta", "delta": {"type": "input_json_delta"}}"#),
            (
                "",
                r#"{"type": "content_block_delta", "delta": {"type": "input_json_delta", "partial_json": 5}}"#,
            ),
            ("", r#"{"type": "content_block_stop", "index": "0"}"#),
            (
                "",
                r#"{"type": "message_delta", "delta": "x", "usage": {"output_tokens": 9, "input_tokens": {}}}"#,
            ),
            (
                "",
                r#"{"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": null}"#,
            ),
            STOP,
        ])
        .unwrap();
        // An index that is not a number is the first block's, as a missing one is; no input
        // came: `{}`.
        assert_eq!(response.message.tool_calls.len(), 1);
        assert_eq!(response.message.tool_calls[0].id, "toolu_1");
        assert_eq!(
            response.message.tool_calls[0].arguments,
            Arguments::Json(json!({}))
        );
        assert_eq!(response.stop_reason, StopReason::ToolUse);
        // Each count on its own: one that is not a number does not lose the others.
        assert_eq!(
            (response.usage.input_tokens, response.usage.output_tokens),
            (0, 9)
        );
        assert_eq!(response.usage.cache_read_tokens, 0);
    }

    #[test]
    fn an_error_event_of_any_shape_is_an_error() {
        let retryable = read(&[
            START,
            (
                "error",
                r#"{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded", "code": 529}}"#,
            ),
        ])
        .unwrap_err();
        assert!(retryable.is_retryable() && retryable.is_status());
        assert_eq!(retryable.message(), "Overloaded");
        for data in [
            r#"{"type": "error", "error": "Overloaded"}"#,
            r#"{"type": "error", "error": {"type": 529, "message": ["Overloaded"]}}"#,
            r#"{"type": "error"}"#,
        ] {
            let error = read(&[START, ("", data)]).unwrap_err();
            assert!(error.is_status() && !error.is_retryable(), "{data}");
            assert_eq!(error.message(), "the stream reported an error");
            assert_eq!(error.raw_body(), Some(data));
        }
    }

    #[test]
    fn an_event_that_is_not_json_is_unreadable_whatever_its_type() {
        for data in [
            r#"{"type": "ping", "x": }"#,
            r#"{"type": "content_block_delta""#,
        ] {
            let error = read(&[START, ("", data)]).unwrap_err();
            assert!(error.is_decode(), "{data}");
            assert_eq!(error.raw_body(), Some(data));
        }
    }
}
