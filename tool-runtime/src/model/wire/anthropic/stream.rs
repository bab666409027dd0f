//! Reading a streamed Messages response (`stream: true`): `message_start`, then per content block
//! `content_block_start`, `content_block_delta`s and `content_block_stop` (a `tool_use` block's
//! stop completes that call), then `message_delta` (stop reason, usage) and `message_stop`, with
//! `ping`s anywhere and `error` ending it all.
//!
//! The blocks are rebuilt as they were sent, so that the message can be echoed back exactly as
//! when it comes whole.

use std::collections::{BTreeMap, VecDeque};

use serde_json::{Map, Value};

use super::FORMAT;
use super::response::{PROVIDER, TEXT_BLOCK_SEPARATOR, WireUsage, stop_reason};
use crate::conversation::{RawMessage, StopReason, ToolCall};
use crate::error::{Damage, Error};
use crate::http::SseEvent;
use crate::model::wire::sealed::StreamDecoder;
use crate::model::{Finish, ModelEvent, ToolCallDelta};
use crate::tool::Arguments;

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
    usage: Map<String, Value>,
}

impl StreamDecoder for MessagesStream {
    fn event(&mut self, event: SseEvent, out: &mut VecDeque<ModelEvent>) -> Result<bool, Error> {
        let data: Value = serde_json::from_str(&event.data)
            .map_err(|error| Error::unreadable(PROVIDER, error).with_body(&*event.data))?;
        let kind = data["type"].as_str().unwrap_or(event.event.as_str());
        match kind {
            "message_start" => {
                if let Some(usage) = data["message"]["usage"].as_object() {
                    self.usage.clone_from(usage);
                }
            }
            "content_block_start" => self.block_start(&data, out)?,
            "content_block_delta" => self.block_delta(&data, out),
            "content_block_stop" => self.block_stop(&data, out),
            "message_delta" => {
                if let Some(reason) = data["delta"]["stop_reason"].as_str() {
                    self.stop_reason = Some(reason.to_owned());
                }
                if let Some(usage) = data["usage"].as_object() {
                    for (key, value) in usage {
                        if !value.is_null() {
                            self.usage.insert(key.clone(), value.clone());
                        }
                    }
                }
            }
            "message_stop" => {
                self.finish(out)?;
                return Ok(true);
            }
            "error" => {
                let message = data["error"]["message"].as_str().map(str::to_owned);
                let error = Error::stream_error(PROVIDER, message, &event.data);
                // The streamed forms of 529 and 500: sent again while nothing was used.
                return Err(match data["error"]["type"].as_str() {
                    Some("overloaded_error" | "api_error") => error.retryable(),
                    _ => error,
                });
            }
            // `ping`, and events newer than this library.
            _ => {}
        }
        Ok(false)
    }

    fn end(&mut self, _out: &mut VecDeque<ModelEvent>) -> Result<(), Error> {
        Err(Error::stream_incomplete(PROVIDER.to_owned()))
    }
}

impl MessagesStream {
    fn block_start(&mut self, data: &Value, out: &mut VecDeque<ModelEvent>) -> Result<(), Error> {
        let index = data["index"].as_u64().unwrap_or_default();
        let block = data["content_block"].clone();
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

    fn block_delta(&mut self, data: &Value, out: &mut VecDeque<ModelEvent>) {
        let index = data["index"].as_u64().unwrap_or_default();
        let delta = &data["delta"];
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
        match delta["type"].as_str() {
            Some("text_delta") => {
                let text = delta["text"].as_str().unwrap_or_default();
                append("text", text);
                if !text.is_empty() {
                    out.push_back(ModelEvent::TextDelta(text.to_owned()));
                }
            }
            Some("thinking_delta") => {
                append("thinking", delta["thinking"].as_str().unwrap_or_default())
            }
            Some("signature_delta") => {
                if let (Some(object), Some(signature)) =
                    (block.as_object_mut(), delta.get("signature"))
                {
                    object.insert("signature".to_owned(), signature.clone());
                }
            }
            Some("citations_delta") => {
                if let (Some(object), Some(citation)) =
                    (block.as_object_mut(), delta.get("citation"))
                {
                    let citations = object
                        .entry("citations")
                        .or_insert_with(|| Value::Array(Vec::new()));
                    if !citations.is_array() {
                        *citations = Value::Array(Vec::new());
                    }
                    if let Value::Array(citations) = citations {
                        citations.push(citation.clone());
                    }
                }
            }
            Some("input_json_delta") => {
                let piece = delta["partial_json"].as_str().unwrap_or_default();
                self.inputs.entry(index).or_default().push_str(piece);
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
            _ => {}
        }
    }

    /// A block is complete: its input is whole, and a `tool_use` block's call can start.
    fn block_stop(&mut self, data: &Value, out: &mut VecDeque<ModelEvent>) {
        let index = data["index"].as_u64().unwrap_or_default();
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

    fn finish(&mut self, out: &mut VecDeque<ModelEvent>) -> Result<(), Error> {
        // A block left open (no stop before the message's): its call still counts.
        let open: Vec<u64> = self.calls.keys().copied().collect();
        for index in open {
            self.block_stop(&serde_json::json!({ "index": index }), out);
        }
        let stop_reason = stop_reason(self.stop_reason.as_deref());
        if stop_reason == StopReason::ToolUse && self.call_count == 0 {
            return Err(Error::damaged(PROVIDER, Damage::ToolUseWithoutCalls));
        }
        let usage =
            serde_json::from_value::<WireUsage>(Value::Object(std::mem::take(&mut self.usage)))
                .unwrap_or_default()
                .into_usage();
        let mut finish = Finish::new(stop_reason, usage);
        finish.raw = Some(RawMessage {
            format: FORMAT.to_owned(),
            value: Value::Array(std::mem::take(&mut self.blocks).into_values().collect()),
        });
        out.push_back(ModelEvent::Finished(finish));
        Ok(())
    }
}
