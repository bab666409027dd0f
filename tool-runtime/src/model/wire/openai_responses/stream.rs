//! Reading a streamed Responses answer (`stream: true`): `response.created`, then per output item
//! `response.output_item.added`, its deltas (`response.output_text.delta`,
//! `response.function_call_arguments.delta`) and `response.output_item.done` (a `function_call`
//! item's completes that call), then `response.completed` (or `response.incomplete`) with the
//! whole response; `response.failed` and `error` end it all.
//!
//! Each event is read into its own type ([`Event`]): the items that are only kept in case the
//! final response leaves its output out stay raw JSON text until then.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny};
use serde_json::Value;
use serde_json::value::RawValue;

use super::response::{
    PROVIDER, TEXT_PART_SEPARATOR, WireResponse, call, call_of, ending, text_of_part,
};
use crate::conversation::ToolCall;
use crate::error::Error;
use crate::http::SseEvent;
use crate::model::wire::event::{self, Failure, Tagged};
use crate::model::wire::sealed::StreamDecoder;
use crate::model::{ModelEvent, ResponseEnd, ToolCallDelta};

/// One event, by its `type`. The large and rare ones are boxed: the deltas are many, and each
/// event is moved a few times on its way.
enum Event<'a> {
    ItemAdded(Box<ItemAdded<'a>>),
    PartAdded(PartAdded<'a>),
    /// `response.output_text.delta` and `response.refusal.delta`.
    TextDelta(Delta<'a>),
    ArgumentsDelta(Delta<'a>),
    ItemDone(ItemDone<'a>),
    /// `response.completed`, `response.incomplete` and `response.failed`: the whole response.
    Completed(Box<Completed>),
    Error(Box<ErrorEvent<'a>>),
    /// `response.created`, `response.in_progress`, `*.done` of parts and texts, and events
    /// newer than this library.
    Other,
}

impl<'de> Tagged<'de> for Event<'de> {
    fn read<D: Deserializer<'de>>(kind: &str, fields: D) -> Result<Self, D::Error> {
        Ok(match kind {
            "response.output_item.added" => Self::ItemAdded(Deserialize::deserialize(fields)?),
            "response.content_part.added" => Self::PartAdded(Deserialize::deserialize(fields)?),
            "response.output_text.delta" | "response.refusal.delta" => {
                Self::TextDelta(Deserialize::deserialize(fields)?)
            }
            "response.function_call_arguments.delta" => {
                Self::ArgumentsDelta(Deserialize::deserialize(fields)?)
            }
            "response.output_item.done" => Self::ItemDone(Deserialize::deserialize(fields)?),
            "response.completed" | "response.incomplete" | "response.failed" => {
                Self::Completed(Deserialize::deserialize(fields)?)
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
struct ItemAdded<'a> {
    #[serde(default, deserialize_with = "event::number")]
    output_index: Option<u64>,
    #[serde(borrow, default, deserialize_with = "event::string")]
    item_id: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    item: Item<'a>,
}

#[derive(Deserialize)]
struct PartAdded<'a> {
    #[serde(default, deserialize_with = "event::number")]
    output_index: Option<u64>,
    #[serde(borrow, default, deserialize_with = "event::string")]
    item_id: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "event::number")]
    content_index: Option<u64>,
    #[serde(borrow, default)]
    part: Part<'a>,
}

/// A piece of a text or of a call's arguments.
#[derive(Deserialize)]
struct Delta<'a> {
    #[serde(default, deserialize_with = "event::number")]
    output_index: Option<u64>,
    #[serde(borrow, default, deserialize_with = "event::string")]
    item_id: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "event::number")]
    content_index: Option<u64>,
    #[serde(borrow, default, deserialize_with = "event::string")]
    delta: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct ItemDone<'a> {
    #[serde(default, deserialize_with = "event::number")]
    output_index: Option<u64>,
    #[serde(borrow, default, deserialize_with = "event::string")]
    item_id: Option<Cow<'a, str>>,
    /// Read as an [`Item`], and kept as it came.
    #[serde(borrow, default)]
    item: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct Completed {
    response: WireResponse,
}

/// An `error` event: its own `message` and `code`, or those of its `error` object.
#[derive(Deserialize)]
struct ErrorEvent<'a> {
    #[serde(borrow, default, deserialize_with = "event::object")]
    error: Option<Failure<'a>>,
    #[serde(borrow, default, deserialize_with = "event::string")]
    message: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "event::string")]
    code: Option<Cow<'a, str>>,
}

/// An output item, by its `type`: of the others, only the id is read.
enum Item<'a> {
    FunctionCall {
        id: Option<Cow<'a, str>>,
        call_id: Option<Cow<'a, str>>,
        name: Option<Cow<'a, str>>,
        /// JSON text per the API; some compatible servers send an object.
        arguments: Option<Value>,
    },
    /// Items of other types, and an item that is not an object.
    Other { id: Option<Cow<'a, str>> },
}

impl Default for Item<'_> {
    fn default() -> Self {
        Self::Other { id: None }
    }
}

/// The fields of an item: only a `function_call`'s count, and any item's id.
#[derive(Deserialize)]
struct ItemFields<'a> {
    #[serde(rename = "type", borrow, default, deserialize_with = "event::string")]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "event::string")]
    id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "event::string")]
    call_id: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "event::string")]
    name: Option<Cow<'a, str>>,
    #[serde(default)]
    arguments: Option<Value>,
}

impl<'de: 'a, 'a> Deserialize<'de> for Item<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let Some(fields) = event::object::<_, ItemFields<'a>>(deserializer)? else {
            return Ok(Self::default());
        };
        Ok(match fields.kind.as_deref() {
            Some("function_call") => Self::FunctionCall {
                id: fields.id,
                call_id: fields.call_id,
                name: fields.name,
                arguments: fields.arguments,
            },
            _ => Self::Other { id: fields.id },
        })
    }
}

impl Item<'_> {
    fn id(&self) -> Option<&str> {
        match self {
            Self::FunctionCall { id, .. } | Self::Other { id } => id.as_deref(),
        }
    }
}

/// A content part, by its `type`: only a text's is read.
#[derive(Default)]
enum Part<'a> {
    /// An `output_text`'s text or a `refusal`'s refusal.
    Text(Option<Cow<'a, str>>),
    /// Parts of other types, and a part that is not an object.
    #[default]
    Other,
}

/// The fields of a part: its type says which one counts.
#[derive(Deserialize)]
struct PartFields<'a> {
    #[serde(rename = "type", borrow, default, deserialize_with = "event::string")]
    kind: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "event::string")]
    text: Option<Cow<'a, str>>,
    #[serde(borrow, default, deserialize_with = "event::string")]
    refusal: Option<Cow<'a, str>>,
}

impl<'de: 'a, 'a> Deserialize<'de> for Part<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let Some(fields) = event::object::<_, PartFields<'a>>(deserializer)? else {
            return Ok(Self::Other);
        };
        Ok(match fields.kind.as_deref() {
            Some("output_text") => Self::Text(fields.text),
            Some("refusal") => Self::Text(fields.refusal),
            _ => Self::Other,
        })
    }
}

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
    /// The output items completed so far, by output index, as they came (`None`: no item).
    items: BTreeMap<u64, Option<Box<RawValue>>>,
    /// The `function_call` items, by output index.
    calls: BTreeMap<u64, Call>,
    /// The text parts begun, as (output index, content index).
    parts: BTreeSet<(u64, u64)>,
    /// Output indexes given to items by their id, for servers that leave `output_index` out
    /// (each beyond any real index; an id used again by a later item is given a new one).
    by_item_id: BTreeMap<String, u64>,
    /// How many output indexes were made up so far.
    made_up: u64,
    /// How many calls were handed on, by `call_id`: the final response's items are matched
    /// against them (some servers give several calls one `call_id`; each is a call of its own).
    handed_on: BTreeMap<String, usize>,
}

impl StreamDecoder for ResponsesStream {
    fn event(&mut self, event: SseEvent, out: &mut VecDeque<ModelEvent>) -> Result<bool, Error> {
        let unreadable = |error| Error::unreadable(PROVIDER, error).with_body(&*event.data);
        match event::read::<Event<'_>>(&event.data, &event.event).map_err(unreadable)? {
            Event::ItemAdded(added) => {
                let item_id = added.item_id.as_deref().or(added.item.id());
                let output_index =
                    self.new_item_index(added.output_index, item_id, |stream, at| {
                        stream.calls.contains_key(&at) || stream.items.contains_key(&at)
                    });
                if let Item::FunctionCall { name, .. } = &added.item {
                    self.call_added(output_index, name.as_deref().unwrap_or_default(), out);
                }
            }
            Event::PartAdded(added) => {
                let output_index = self.output_index(added.output_index, added.item_id.as_deref());
                if let Part::Text(Some(text)) = added.part {
                    let content_index = added.content_index.unwrap_or_default();
                    self.begin_part(output_index, content_index, out);
                    // Even an empty start: the message has a text, as when it comes whole.
                    out.push_back(ModelEvent::TextDelta(text.into_owned()));
                }
            }
            Event::TextDelta(delta) => {
                let output_index = self.output_index(delta.output_index, delta.item_id.as_deref());
                let content_index = delta.content_index.unwrap_or_default();
                if self.begin_part(output_index, content_index, out) {
                    out.push_back(ModelEvent::TextDelta(String::new()));
                }
                if let Some(delta) = delta.delta.filter(|delta| !delta.is_empty()) {
                    out.push_back(ModelEvent::TextDelta(delta.into_owned()));
                }
            }
            Event::ArgumentsDelta(delta) => {
                let output_index = self.output_index(delta.output_index, delta.item_id.as_deref());
                if let Some(call) = self.calls.get(&output_index)
                    && let Some(delta) = delta.delta.filter(|delta| !delta.is_empty())
                {
                    out.push_back(ModelEvent::ToolCallDelta(ToolCallDelta::new(
                        call.position,
                        call.name.clone(),
                        delta,
                    )));
                }
            }
            Event::ItemDone(done) => {
                let item = match done.item {
                    Some(raw) => serde_json::from_str(raw.get()).map_err(unreadable)?,
                    None => Item::default(),
                };
                let item_id = done.item_id.as_deref().or(item.id());
                let output_index = self.new_item_index(done.output_index, item_id, |stream, at| {
                    stream.items.contains_key(&at)
                });
                if let Item::FunctionCall {
                    call_id,
                    name,
                    arguments,
                    ..
                } = item
                {
                    let arguments = arguments.unwrap_or(Value::Null);
                    let call = call(call_id.as_deref(), name.as_deref(), arguments)?;
                    self.call_done(output_index, call, out);
                }
                self.items
                    .insert(output_index, done.item.map(ToOwned::to_owned));
            }
            Event::Completed(completed) => {
                self.end_response(completed.response, out)?;
                return Ok(true);
            }
            Event::Error(error) => {
                // Its `error` object, or the event itself.
                let error = error.error.unwrap_or(Failure {
                    message: error.message,
                    code: error.code,
                    kind: None,
                });
                let message = error.message.map(Cow::into_owned);
                let failure = Error::stream_error(PROVIDER, message, &*event.data);
                // A server error before anything was used is sent again.
                return Err(match error.code.or(error.kind).as_deref() {
                    Some("server_error" | "internal_error") => failure.retryable(),
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

impl ResponsesStream {
    /// The output index an event is about: its own, or one given by its item's id.
    fn output_index(&mut self, output_index: Option<u64>, item_id: Option<&str>) -> u64 {
        if let Some(index) = output_index {
            return index;
        }
        let Some(item_id) = item_id else {
            return 0;
        };
        if let Some(&index) = self.by_item_id.get(item_id) {
            return index;
        }
        self.make_up_index(item_id)
    }

    /// The output index of an item that begins (or ends) with this event: as
    /// [`output_index`](Self::output_index) says, unless the event has no `output_index` and
    /// its item's id already names an item that is `taken` there (a server that gives two
    /// items one id): then a new one.
    fn new_item_index(
        &mut self,
        output_index: Option<u64>,
        item_id: Option<&str>,
        taken: impl Fn(&Self, u64) -> bool,
    ) -> u64 {
        let index = self.output_index(output_index, item_id);
        match item_id {
            Some(item_id) if output_index.is_none() && taken(self, index) => {
                self.make_up_index(item_id)
            }
            _ => index,
        }
    }

    /// A new output index for the item with this id, beyond any real one.
    fn make_up_index(&mut self, item_id: &str) -> u64 {
        let index = self.made_up_index();
        self.by_item_id.insert(item_id.to_owned(), index);
        index
    }

    /// A new output index, beyond any real one.
    fn made_up_index(&mut self) -> u64 {
        let index = self.made_up + (1 << 32);
        self.made_up += 1;
        index
    }

    /// A `function_call` item has begun.
    fn call_added(&mut self, output_index: u64, name: &str, out: &mut VecDeque<ModelEvent>) {
        let position = self.calls.len();
        out.push_back(ModelEvent::ToolCallDelta(ToolCallDelta::new(
            position, name, "",
        )));
        self.calls.insert(
            output_index,
            Call {
                position,
                name: name.to_owned(),
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

    /// A `function_call` item is complete: its call can start now.
    fn call_done(&mut self, output_index: u64, call: ToolCall, out: &mut VecDeque<ModelEvent>) {
        if !self.calls.contains_key(&output_index) {
            // No `output_item.added` came for it.
            self.call_added(output_index, &call.name, out);
        }
        if let Some(state) = self.calls.get_mut(&output_index)
            && !std::mem::replace(&mut state.done, true)
        {
            *self.handed_on.entry(call.id.clone()).or_default() += 1;
            out.push_back(ModelEvent::ToolCall(call));
        }
    }

    fn end_response(
        &mut self,
        mut response: WireResponse,
        out: &mut VecDeque<ModelEvent>,
    ) -> Result<(), Error> {
        if response.output.as_ref().is_none_or(Vec::is_empty) {
            // Some servers leave the final response's output out: the items as they came.
            let items = std::mem::take(&mut self.items).into_values();
            let items = items.map(|item| match item {
                Some(item) => serde_json::from_str(item.get()),
                None => Ok(Value::Null),
            });
            let items = items.collect::<Result<_, _>>();
            response.output = Some(items.map_err(|error| Error::unreadable(PROVIDER, error))?);
        }
        // A call whose item never said it was done still counts, and a text that never
        // streamed is still the message's. Each of the response's items is matched to where it
        // streamed (its output index: its position, or its id's index when the stream gave
        // none): a call handed on there is not handed on again, one begun there and never
        // finished is finished now. An item that did not stream at its index is matched by
        // `call_id` and count: the n-th call with an id is handed on here only if fewer than n
        // calls with that id were (some servers give several calls one id).
        let output = response.output.as_deref().unwrap_or_default();
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for (position, item) in output.iter().enumerate() {
            let output_index = item["id"]
                .as_str()
                .and_then(|id| self.by_item_id.get(id))
                .copied()
                .unwrap_or(position as u64);
            let streamed = self.calls.get(&output_index).map(|call| call.done);
            if item["type"] == "function_call" && streamed == Some(true) {
                // Handed on as it streamed (its final copy is not read again).
                *seen
                    .entry(item["call_id"].as_str().unwrap_or_default())
                    .or_default() += 1;
            } else if let Some(call) = call_of(item)? {
                let seen = seen
                    .entry(item["call_id"].as_str().unwrap_or_default())
                    .or_default();
                *seen += 1;
                let begun_here = streamed == Some(false);
                if begun_here || self.handed_on.get(&call.id).copied().unwrap_or_default() < *seen {
                    // Begun at that index and never finished, or new.
                    self.call_done(output_index, call, out);
                }
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
        let has_calls = self.calls.values().any(|call| call.done);
        let (stop_reason, usage, raw) = ending(response, has_calls)?;
        let mut finish = ResponseEnd::new(stop_reason, usage);
        finish.raw = Some(raw);
        out.push_back(ModelEvent::End(finish));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::conversation::StopReason;
    use crate::model::ModelResponse;
    use crate::tool::Arguments;

    /// The response these events (SSE `event:` name, data) stream, up to the final response.
    fn read(events: &[(&str, &str)]) -> Result<ModelResponse, Error> {
        crate::model::wire::stream_tests::read_events::<ResponsesStream>(events)
    }

    fn call_item(call_id: &str, arguments: &str) -> Value {
        json!({"arguments": arguments, "call_id": call_id, "id": format!("fc_{call_id}"),
               "name": "f", "status": "completed", "type": "function_call"})
    }

    fn completed(output: Option<Vec<Value>>) -> String {
        let mut response = json!({"id": "resp_1", "status": "completed"});
        if let Some(output) = output {
            response["output"] = Value::Array(output);
        }
        json!({"type": "response.completed", "response": response}).to_string()
    }

    #[test]
    fn events_newer_than_this_library_are_ignored_whatever_their_fields() {
        let done = json!({"type": "response.output_item.done", "output_index": 0,
                          "item": call_item("call_1", "{}")})
        .to_string();
        let end = completed(None);
        let response = read(&[
            (
                "",
                r#"{"type": "response.created", "response": {"output": 5, "usage": "lots"}}"#,
            ),
            (
                "",
                r#"{"type": "response.sparkle.delta", "output_index": "x", "delta": {}}"#,
            ),
            (
                "",
                r#"{"output_index": [0], "type": "response.sparkle.done"}"#,
            ),
            ("", &done),
            ("", &end),
        ])
        .unwrap();
        assert_eq!(response.message.tool_calls.len(), 1);
        assert_eq!(response.stop_reason, StopReason::ToolUse);
    }

    #[test]
    fn items_parts_and_deltas_of_any_shape_are_read_as_far_as_they_go() {
        let response = read(&[
            // An item that is not an object, or has no type: no call.
            ("", r#"{"type": "response.output_item.added", "output_index": 0, "item": 5}"#),
            ("", r#"{"type": "response.output_item.done", "output_index": 0, "item": [1]}"#),
            (
                "",
                r#"{"type": "response.output_item.done", "output_index": 1, "item": {"call_id": "x"}}"#,
            ),
            // A part that is not text, a delta without text, then text.
            (
                "",
                r#"{"type": "response.content_part.added", "output_index": 2, "content_index": 0, "part": {"type": "sparkle", "text": "no"}}"#,
            ),
            (
                "",
                r#"{"type": "response.output_text.delta", "output_index": 2, "content_index": 0, "delta": 5}"#,
            ),
            (
                "response.output_text.delta",
                r#"{"output_index": 2, "content_index": 0, "delta": "Hi", "type": null}"#,
            ),
            // The arguments of a call that never began.
            (
                "",
                r#"{"type": "response.function_call_arguments.delta", "output_index": 3, "delta": "{}"}"#,
            ),
            ("", &completed(Some(Vec::new()))),
        ])
        .unwrap();
        assert_eq!(response.message.text.as_deref(), Some("Hi"));
        assert!(response.message.tool_calls.is_empty());
        // The items as they were done, for a final response without output.
        let raw = response.message.raw.unwrap().value;
        assert_eq!(raw["output"], json!([[1], {"call_id": "x"}]));
    }

    #[test]
    fn a_function_call_item_without_its_id_or_name_is_damaged() {
        let done = json!({"type": "response.output_item.done", "output_index": 0,
                          "item": {"type": "function_call", "name": "f", "call_id": 7}})
        .to_string();
        let error = read(&[("", &done)]).unwrap_err();
        assert!(error.is_decode());
        assert!(error.message().contains("call_id"), "{error}");
    }

    #[test]
    fn arguments_sent_as_an_object_are_kept() {
        let mut item = call_item("call_1", "");
        item["arguments"] = json!({"x": 1});
        let done = json!({"type": "response.output_item.done", "item": item}).to_string();
        let response = read(&[("", &done), ("", &completed(None))]).unwrap();
        assert_eq!(
            response.message.tool_calls[0].arguments,
            Arguments::Json(json!({"x": 1}))
        );
    }

    /// The events of `items` streamed, each call's arguments in one delta; `output_index` left
    /// out when `indexes` is false; then `response.completed`, with the output when `whole`.
    fn stream_of(items: &[Value], indexes: bool, whole: bool) -> Vec<String> {
        let mut events = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let mut added = item.clone();
            added["arguments"] = json!("");
            events.push(
                json!({"type": "response.output_item.added", "output_index": index,
                               "item": added}),
            );
            events.push(json!({"type": "response.function_call_arguments.delta",
                               "output_index": index, "item_id": item["id"],
                               "delta": item["arguments"]}));
            events.push(
                json!({"type": "response.output_item.done", "output_index": index,
                               "item": item}),
            );
        }
        if !indexes {
            for event in &mut events {
                event.as_object_mut().unwrap().remove("output_index");
            }
        }
        let mut events: Vec<String> = events.iter().map(Value::to_string).collect();
        events.push(completed(whole.then(|| items.to_vec())));
        events
    }

    fn calls_read(events: &[String]) -> Vec<(String, String)> {
        let events: Vec<(&str, &str)> = events.iter().map(|data| ("", data.as_str())).collect();
        let response = read(&events).unwrap();
        assert_eq!(response.stop_reason, StopReason::ToolUse);
        let calls = response.message.tool_calls;
        calls
            .into_iter()
            .map(|call| (call.id, call.arguments.to_json_string()))
            .collect()
    }

    /// A server that gives several `function_call` items one `call_id` (distinct items,
    /// distinct arguments): each is a call, handed on once, as when the answer is read whole —
    /// with or without output indexes, with or without the final output.
    #[test]
    fn calls_that_share_a_call_id_are_each_handed_on() {
        let mut first = call_item("call_1", r#"{"n":1}"#);
        first["id"] = json!("fc_a");
        let mut second = call_item("call_1", r#"{"n":2}"#);
        second["id"] = json!("fc_b");
        let third = call_item("call_2", r#"{"n":3}"#);
        let items = [first, second, third];
        let expected = [
            ("call_1".to_owned(), r#"{"n":1}"#.to_owned()),
            ("call_1".to_owned(), r#"{"n":2}"#.to_owned()),
            ("call_2".to_owned(), r#"{"n":3}"#.to_owned()),
        ];
        for (indexes, whole) in [(true, true), (true, false), (false, true), (false, false)] {
            let events = stream_of(&items, indexes, whole);
            assert_eq!(
                calls_read(&events),
                expected,
                "indexes {indexes}, whole {whole}"
            );
        }
        // Only in the final response (no item was said to be done): each once too.
        let end = completed(Some(items.to_vec()));
        assert_eq!(calls_read(&[end]), expected);
        // Two done, the last only in the final response.
        let mut events = stream_of(&items[..2], true, false);
        events.pop();
        events.push(completed(Some(items.to_vec())));
        assert_eq!(calls_read(&events), expected);
    }

    /// Calls that share a `call_id` and finish out of order: the one that finished is not
    /// handed on again, the one that did not is finished by the final response.
    #[test]
    fn calls_that_share_a_call_id_finish_out_of_order() {
        let mut first = call_item("call_1", r#"{"n":1}"#);
        first["id"] = json!("fc_a");
        let mut second = call_item("call_1", r#"{"n":2}"#);
        second["id"] = json!("fc_b");
        let mut events = Vec::new();
        for (index, item) in [&first, &second].into_iter().enumerate() {
            let mut added = item.clone();
            added["arguments"] = json!("");
            events.push(
                json!({"type": "response.output_item.added", "output_index": index, "item": added})
                    .to_string(),
            );
        }
        events.push(
            json!({"type": "response.output_item.done", "output_index": 1, "item": second})
                .to_string(),
        );
        events.push(completed(Some(vec![first, second])));
        let mut calls = calls_read(&events);
        calls.sort();
        assert_eq!(
            calls,
            [
                ("call_1".to_owned(), r#"{"n":1}"#.to_owned()),
                ("call_1".to_owned(), r#"{"n":2}"#.to_owned()),
            ]
        );
    }

    /// A call handed on as it streamed is not read again from the final response, which may
    /// repeat its item in a shape of its own (here without `call_id` and `name`).
    #[test]
    fn a_call_handed_on_is_not_read_again_from_the_final_response() {
        let item = call_item("call_1", "{}");
        let mut events = stream_of(std::slice::from_ref(&item), true, false);
        events.pop();
        let bare = json!({"type": "function_call", "id": "fc_call_1", "arguments": "{}"});
        events.push(completed(Some(vec![bare])));
        assert_eq!(
            calls_read(&events),
            [("call_1".to_owned(), "{}".to_owned())]
        );
    }

    /// Items that even share their item id, in a stream without output indexes: still one call
    /// each (a new item begins with each `output_item.added`).
    #[test]
    fn items_that_share_an_id_are_each_a_call_without_output_indexes() {
        let items = [
            call_item("call_1", r#"{"n":1}"#),
            call_item("call_1", r#"{"n":2}"#),
        ];
        assert_eq!(items[0]["id"], items[1]["id"]);
        for whole in [true, false] {
            let events = stream_of(&items, false, whole);
            assert_eq!(
                calls_read(&events),
                [
                    ("call_1".to_owned(), r#"{"n":1}"#.to_owned()),
                    ("call_1".to_owned(), r#"{"n":2}"#.to_owned()),
                ],
                "whole {whole}"
            );
        }
    }

    #[test]
    fn an_error_event_of_any_shape_is_an_error() {
        let cases = [
            (
                r#"{"type": "error", "code": "server_error", "message": "m"}"#,
                "m",
                true,
            ),
            (
                r#"{"type": "error", "error": {"type": "server_error", "message": "m", "code": null}}"#,
                "m",
                true,
            ),
            (
                r#"{"type": "error", "error": "oops", "code": "internal_error", "message": "m"}"#,
                "m",
                true,
            ),
            (
                r#"{"type": "error", "code": 500, "message": "m"}"#,
                "m",
                false,
            ),
            (
                r#"{"message": ["m"], "type": "error"}"#,
                "the stream reported an error",
                false,
            ),
        ];
        for (data, message, retryable) in cases {
            let error = read(&[("", data)]).unwrap_err();
            assert!(error.is_status(), "{data}");
            assert_eq!(error.message(), message, "{data}");
            assert_eq!(error.is_retryable(), retryable, "{data}");
            assert_eq!(error.raw_body(), Some(data));
        }
    }

    #[test]
    fn an_event_that_is_not_json_or_a_final_response_that_is_not_one_is_unreadable() {
        for data in [
            r#"{"type": "response.created", "response": {"id": }}"#,
            r#"{"type": "response.completed"}"#,
            r#"{"type": "response.completed", "response": {"output": 5}}"#,
        ] {
            let error = read(&[("", data)]).unwrap_err();
            assert!(error.is_decode(), "{data}");
            assert_eq!(error.raw_body(), Some(data));
        }
    }
}
