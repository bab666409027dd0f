//! Reading a streamed Chat Completions response (`stream: true`): `data:` chunks whose
//! `choices[0].delta` carries text and tool-call fragments, usage in a last chunk of its own,
//! then `data: [DONE]`.
//!
//! There is no event for a finished call: a call is complete when a later one has begun and its
//! arguments are a whole JSON value (fragments of parallel calls may interleave), or when the
//! message ends. Calls are told apart by `index`, and where servers get that wrong (Gemini sends
//! every call at `index: 0`, some send no index at all) by a new `id`, or a name arriving for a
//! call that already has its name and arguments.

use std::collections::VecDeque;

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::Value;

use super::response::{CompletionUsage, PROVIDER, stop_reason, usage};
use crate::conversation::{StopReason, ToolCall, Usage};
use crate::error::{Damage, Error};
use crate::http::SseEvent;
use crate::model::wire::sealed::StreamDecoder;
use crate::model::{ModelEvent, ResponseEnd, ToolCallDelta};
use crate::tool::Arguments;

#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Vec<ChunkChoice>,
    #[serde(default)]
    usage: Option<CompletionUsage>,
    #[serde(default)]
    error: Option<Value>,
}

#[derive(Deserialize)]
struct ChunkChoice {
    #[serde(default)]
    index: u32,
    #[serde(default)]
    delta: Option<Delta>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize, Default)]
struct Delta {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    refusal: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<CallDelta>>,
}

#[derive(Deserialize)]
struct CallDelta {
    #[serde(default)]
    index: Option<i64>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    function: Option<FunctionDelta>,
    #[serde(default)]
    extra_content: Option<Value>,
}

#[derive(Deserialize)]
struct FunctionDelta {
    #[serde(default)]
    name: Option<String>,
    /// A piece of JSON text per the API; some compatible servers send the whole object.
    #[serde(default)]
    arguments: Option<Value>,
}

/// A call being assembled.
#[derive(Debug, Default)]
struct Partial {
    /// The `index` the server gave it, if any.
    wire_index: Option<i64>,
    id: Option<String>,
    name: String,
    arguments: String,
    /// Arguments a server sent as an object rather than as text.
    object: Option<Value>,
    /// A server's own additions to the call, sent back with it.
    extra: Option<Value>,
}

impl Partial {
    /// Whether its arguments can take no more fragments: a whole JSON value.
    /// (Empty arguments are not whole: with interleaved fragments, they may still come. A call
    /// that has none waits for the end of the message.)
    fn is_whole(&self) -> bool {
        self.object.is_some() || serde_json::from_str::<IgnoredAny>(&self.arguments).is_ok()
    }

    fn has_arguments(&self) -> bool {
        !self.arguments.is_empty() || self.object.is_some()
    }

    /// Its id, for the `position`-th call of the message: a server that leaves the id out still
    /// gets every call answered (as when the response comes whole).
    fn id_at(&self, position: usize) -> String {
        self.id
            .clone()
            .unwrap_or_else(|| format!("call_{position}"))
    }

    /// The call, for the `position`-th call of the message.
    fn to_call(&self, position: usize) -> ToolCall {
        let arguments = match &self.object {
            Some(object) => Arguments::Json(object.clone()),
            None => Arguments::Text(self.arguments.clone()),
        };
        ToolCall {
            id: self.id_at(position),
            name: self.name.clone(),
            arguments,
        }
    }
}

/// The state of one streamed Chat Completions response.
#[derive(Debug, Default)]
pub struct ChatStream {
    calls: Vec<Partial>,
    /// How many calls, from the first, have been handed on.
    emitted: usize,
    finish_reason: Option<String>,
    usage: Option<Usage>,
    /// Whether a first choice was seen at all.
    choice_seen: bool,
    text_seen: bool,
    content_seen: bool,
}

impl StreamDecoder for ChatStream {
    fn event(&mut self, event: SseEvent, out: &mut VecDeque<ModelEvent>) -> Result<bool, Error> {
        let data = event.data.trim();
        if data == "[DONE]" {
            self.end_response(out)?;
            return Ok(true);
        }
        if data.is_empty() {
            return Ok(false);
        }
        let chunk: Chunk = serde_json::from_str(data)
            .map_err(|error| Error::unreadable(PROVIDER, error).with_body(data))?;
        if let Some(error) = chunk.error {
            let retryable = error["type"] == "server_error";
            let error = Error::stream_error(PROVIDER, provider_message(&error), data);
            // A server error before anything was used is sent again, as a 500 is.
            return Err(if retryable { error.retryable() } else { error });
        }
        if let Some(wire) = chunk.usage {
            self.usage = Some(usage(wire));
        }
        // Only the first choice is read, as when the response comes whole.
        for choice in chunk.choices.into_iter().filter(|choice| choice.index == 0) {
            self.choice_seen = true;
            let delta = choice.delta.unwrap_or_default();
            // The text is the content, or the refusal when there is no content (as when the
            // response comes whole).
            let text = match (delta.content, delta.refusal) {
                (Some(content), _) => {
                    self.content_seen = true;
                    Some(content)
                }
                (None, Some(refusal)) if !self.content_seen => Some(refusal),
                _ => None,
            };
            // An empty first piece still counts: the message has a text (`""`), as when it
            // comes whole with `"content": ""`.
            if let Some(text) = text
                && (!text.is_empty() || !self.text_seen)
            {
                self.text_seen = true;
                out.push_back(ModelEvent::TextDelta(text));
            }
            for call in delta.tool_calls.unwrap_or_default() {
                self.fragment(call, out);
            }
            if let Some(reason) = choice.finish_reason {
                self.finish_reason = Some(reason);
            }
        }
        self.emit_whole(out);
        Ok(false)
    }

    fn end(&mut self, out: &mut VecDeque<ModelEvent>) -> Result<(), Error> {
        // Some servers end without `[DONE]`; the message is whole once its finish reason came.
        if self.finish_reason.is_none() {
            return Err(Error::stream_incomplete(PROVIDER.to_owned()));
        }
        self.end_response(out)
    }
}

impl ChatStream {
    /// Adds a call fragment: to the call it continues, or as a new call.
    fn fragment(&mut self, delta: CallDelta, out: &mut VecDeque<ModelEvent>) {
        // Empty ids (some servers send them) are kept for the echo but tell no call apart.
        let wire_id = delta.id;
        let extra = delta.extra_content.filter(|extra| !extra.is_null());
        let id = wire_id.clone().filter(|id| !id.is_empty());
        let (name, arguments) = match delta.function {
            Some(function) => (
                function.name.filter(|name| !name.is_empty()),
                function.arguments,
            ),
            None => (None, None),
        };
        // The call this fragment would continue: the last one at its index, or the last one.
        let candidate = match delta.index {
            Some(index) => self
                .calls
                .iter()
                .rposition(|call| call.wire_index == Some(index)),
            None => self.calls.len().checked_sub(1),
        };
        // A call whose arguments are not whole yet cannot have ended: some servers send a fresh
        // id with every fragment (LM Studio), or the name again in every one (MiniMax).
        let continues = candidate.filter(|&position| {
            let call = &self.calls[position];
            let other_id =
                matches!((&id, &call.id), (Some(new), Some(old)) if !old.is_empty() && new != old)
                    && (name.is_some() || call.is_whole());
            let name_again = id.is_none()
                && name.as_ref().is_some_and(|name| {
                    !call.name.is_empty() && (call.is_whole() || *name != call.name)
                });
            !other_id && !name_again
        });
        let position = match continues {
            Some(position) if position < self.emitted => {
                // More for a call already handed on (a server bug): the call stays as it was.
                if arguments.is_some_and(|piece| piece != Value::Null && piece != "") {
                    tracing::debug!("dropping a fragment of a tool call that was already complete");
                }
                return;
            }
            Some(position) => position,
            None => {
                self.calls.push(Partial {
                    wire_index: delta.index,
                    ..Partial::default()
                });
                self.calls.len() - 1
            }
        };
        let call = &mut self.calls[position];
        let begun = call.name.is_empty() && !call.has_arguments();
        if call.id.as_deref().is_none_or(str::is_empty) && wire_id.is_some() {
            call.id = wire_id;
        }
        if let Some(name) = name
            && call.name.is_empty()
        {
            call.name = name;
        }
        if extra.is_some() {
            call.extra = extra;
        }
        let piece = match arguments {
            Some(Value::String(text)) => {
                call.arguments.push_str(&text);
                text
            }
            Some(Value::Null) | None => String::new(),
            Some(object) => {
                let text = object.to_string();
                call.object = Some(object);
                text
            }
        };
        if begun || !piece.is_empty() {
            out.push_back(ModelEvent::ToolCallDelta(ToolCallDelta::new(
                position,
                call.name.clone(),
                piece,
            )));
        }
    }

    /// Hands on, in order, every call that a later call follows and whose arguments are whole.
    fn emit_whole(&mut self, out: &mut VecDeque<ModelEvent>) {
        while self.emitted + 1 < self.calls.len() && self.calls[self.emitted].is_whole() {
            self.emit_next(out);
        }
    }

    fn emit_next(&mut self, out: &mut VecDeque<ModelEvent>) {
        let position = self.emitted;
        let call = self.calls[position].to_call(position);
        out.push_back(ModelEvent::ToolCall(call));
        self.emitted += 1;
    }

    /// The message is complete: every call left, then the end.
    fn end_response(&mut self, out: &mut VecDeque<ModelEvent>) -> Result<(), Error> {
        if !self.choice_seen {
            return Err(Error::damaged(PROVIDER, Damage::NoChoices));
        }
        while self.emitted < self.calls.len() {
            self.emit_next(out);
        }
        let stop_reason = stop_reason(self.finish_reason.as_deref());
        if stop_reason == StopReason::ToolUse && self.calls.is_empty() {
            return Err(Error::damaged(PROVIDER, Damage::ToolUseWithoutCalls));
        }
        let usage = self.usage.take().unwrap_or_default();
        let mut finish = ResponseEnd::new(stop_reason, usage);
        let extras = (self.calls.iter_mut().enumerate())
            .map(|(position, call)| (call.id_at(position), call.extra.take()))
            .collect();
        finish.raw = super::call_extras(extras);
        out.push_back(ModelEvent::End(finish));
        Ok(())
    }
}

/// `{"message": "…"}` inside an `error` member.
fn provider_message(error: &Value) -> Option<String> {
    error
        .get("message")
        .and_then(Value::as_str)
        .or_else(|| error.as_str())
        .map(str::to_owned)
}
