//! Reading a streamed Responses answer (`stream: true`): `response.created`, then per output item
//! `response.output_item.added`, its deltas (`response.output_text.delta`,
//! `response.function_call_arguments.delta`) and `response.output_item.done` (a `function_call`
//! item's completes that call), then `response.completed` (or `response.incomplete`) with the
//! whole response; `response.failed` and `error` end it all.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde_json::Value;

use super::response::{PROVIDER, TEXT_PART_SEPARATOR, WireResponse, call_of, finish, text_of_part};
use crate::error::Error;
use crate::http::SseEvent;
use crate::model::wire::sealed::StreamDecoder;
use crate::model::{Finish, ModelEvent, ToolCallDelta};

/// A `function_call` item being written.
#[derive(Debug)]
struct Call {
    /// Its position among the response's calls.
    position: usize,
    name: String,
    /// Whether its complete call was handed on.
    done: bool,
}

/// The state of one streamed Responses answer.
#[derive(Debug, Default)]
pub struct ResponsesStream {
    /// The output items completed so far, by output index.
    items: BTreeMap<u64, Value>,
    /// The `function_call` items, by output index.
    calls: BTreeMap<u64, Call>,
    /// The text parts begun, as (output index, content index).
    parts: BTreeSet<(u64, u64)>,
    /// Output indexes given to items by their id, for servers that leave `output_index` out.
    by_item_id: BTreeMap<String, u64>,
    /// The `call_id`s of the calls handed on: none is handed on twice.
    handed_on: BTreeSet<String>,
}

impl StreamDecoder for ResponsesStream {
    fn event(&mut self, event: SseEvent, out: &mut VecDeque<ModelEvent>) -> Result<bool, Error> {
        let data: Value = serde_json::from_str(&event.data)
            .map_err(|error| Error::unreadable(PROVIDER, error).with_body(&*event.data))?;
        let kind = data["type"].as_str().unwrap_or(event.event.as_str());
        let output_index = self.output_index(&data);
        match kind {
            "response.output_item.added" => self.item_added(output_index, &data["item"], out),
            "response.content_part.added" if text_of_part(&data["part"]).is_some() => {
                let content_index = data["content_index"].as_u64().unwrap_or_default();
                self.begin_part(output_index, content_index, out);
                // Even an empty start: the message has a text, as when it comes whole.
                let text = text_of_part(&data["part"]).unwrap_or_default();
                out.push_back(ModelEvent::TextDelta(text.to_owned()));
            }
            "response.output_text.delta" | "response.refusal.delta" => {
                let content_index = data["content_index"].as_u64().unwrap_or_default();
                if self.begin_part(output_index, content_index, out) {
                    out.push_back(ModelEvent::TextDelta(String::new()));
                }
                let delta = data["delta"].as_str().unwrap_or_default();
                if !delta.is_empty() {
                    out.push_back(ModelEvent::TextDelta(delta.to_owned()));
                }
            }
            "response.function_call_arguments.delta" => {
                let delta = data["delta"].as_str().unwrap_or_default();
                if let Some(call) = self.calls.get(&output_index)
                    && !delta.is_empty()
                {
                    out.push_back(ModelEvent::ToolCallDelta(ToolCallDelta::new(
                        call.position,
                        call.name.clone(),
                        delta,
                    )));
                }
            }
            "response.output_item.done" => self.item_done(output_index, &data["item"], out)?,
            "response.completed" | "response.incomplete" | "response.failed" => {
                let response: WireResponse = serde_json::from_value(data["response"].clone())
                    .map_err(|error| Error::unreadable(PROVIDER, error).with_body(&*event.data))?;
                self.finish(response, out)?;
                return Ok(true);
            }
            "error" => {
                let error = if data["error"].is_object() {
                    &data["error"]
                } else {
                    &data
                };
                let message = error["message"].as_str().map(str::to_owned);
                let failure = Error::stream_error(PROVIDER, message, &event.data);
                // A server error before anything was used is sent again.
                return Err(match error["code"].as_str().or(error["type"].as_str()) {
                    Some("server_error" | "internal_error") => failure.retryable(),
                    _ => failure,
                });
            }
            // `response.created`, `response.in_progress`, `*.done` of parts and texts, and
            // events newer than this library.
            _ => {}
        }
        Ok(false)
    }

    fn end(&mut self, _out: &mut VecDeque<ModelEvent>) -> Result<(), Error> {
        Err(Error::stream_incomplete(PROVIDER.to_owned()))
    }
}

impl ResponsesStream {
    /// The output index an event is about: its own, or one given by its item's id.
    fn output_index(&mut self, data: &Value) -> u64 {
        if let Some(index) = data["output_index"].as_u64() {
            return index;
        }
        let item_id = data["item_id"].as_str().or(data["item"]["id"].as_str());
        let Some(item_id) = item_id else {
            return 0;
        };
        let next = self.by_item_id.len() as u64 + (1 << 32);
        *self.by_item_id.entry(item_id.to_owned()).or_insert(next)
    }

    fn item_added(&mut self, output_index: u64, item: &Value, out: &mut VecDeque<ModelEvent>) {
        if item["type"] != "function_call" {
            return;
        }
        let position = self.calls.len();
        let name = item["name"].as_str().unwrap_or_default().to_owned();
        out.push_back(ModelEvent::ToolCallDelta(ToolCallDelta::new(
            position,
            name.clone(),
            "",
        )));
        self.calls.insert(
            output_index,
            Call {
                position,
                name,
                done: false,
            },
        );
    }

    /// Begins a text part (after a separator if another came before); `false` if it had begun.
    fn begin_part(
        &mut self,
        output_index: u64,
        content_index: u64,
        out: &mut VecDeque<ModelEvent>,
    ) -> bool {
        if self.parts.contains(&(output_index, content_index)) {
            return false;
        }
        if !self.parts.is_empty() {
            out.push_back(ModelEvent::TextDelta(TEXT_PART_SEPARATOR.to_owned()));
        }
        self.parts.insert((output_index, content_index));
        true
    }

    /// An item is complete: a `function_call`'s call can start now.
    fn item_done(
        &mut self,
        output_index: u64,
        item: &Value,
        out: &mut VecDeque<ModelEvent>,
    ) -> Result<(), Error> {
        if let Some(call) = call_of(item)? {
            if !self.calls.contains_key(&output_index) {
                // No `output_item.added` came for it.
                self.item_added(output_index, item, out);
            }
            if let Some(state) = self.calls.get_mut(&output_index)
                && !std::mem::replace(&mut state.done, true)
                && self.handed_on.insert(call.id.clone())
            {
                out.push_back(ModelEvent::ToolCall(call));
            }
        }
        self.items.insert(output_index, item.clone());
        Ok(())
    }

    fn finish(
        &mut self,
        mut response: WireResponse,
        out: &mut VecDeque<ModelEvent>,
    ) -> Result<(), Error> {
        if response.output.as_ref().is_none_or(Vec::is_empty) {
            // Some servers leave the final response's output out: the items as they came.
            response.output = Some(std::mem::take(&mut self.items).into_values().collect());
        }
        // A call whose item never said it was done still counts, and a text that never
        // streamed is still the message's.
        let output = response.output.as_deref().unwrap_or_default();
        for (output_index, item) in output.iter().enumerate() {
            let output_index = output_index as u64;
            let handed_on = item["call_id"]
                .as_str()
                .is_some_and(|id| self.handed_on.contains(id));
            if item["type"] == "function_call"
                && !handed_on
                && self.calls.get(&output_index).is_none_or(|call| !call.done)
            {
                self.item_done(output_index, item, out)?;
            }
            let parts = item["content"]
                .as_array()
                .filter(|_| item["type"] == "message");
            for (content_index, part) in parts.into_iter().flatten().enumerate() {
                if let Some(text) = text_of_part(part)
                    && self.begin_part(output_index, content_index as u64, out)
                {
                    out.push_back(ModelEvent::TextDelta(text.to_owned()));
                }
            }
        }
        // The calls handed on, not those begun and never finished (as when read whole).
        let has_calls = !self.handed_on.is_empty();
        let (stop_reason, usage, raw) = finish(response, has_calls)?;
        let mut finish = Finish::new(stop_reason, usage);
        finish.raw = Some(raw);
        out.push_back(ModelEvent::Finished(finish));
        Ok(())
    }
}
