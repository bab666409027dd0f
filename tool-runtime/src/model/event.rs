//! [`ModelEvent`]: what a model's response is made of, as it arrives.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

use super::{ModelFuture, ModelResponse};
use crate::conversation::{RawMessage, StopReason, ToolCall, Usage};
use crate::error::Error;

/// One piece of a model's response, as [`Model::stream`](super::Model::stream) delivers it.
///
/// A response is: any number of [`TextDelta`](Self::TextDelta)s and
/// [`ToolCall`](Self::ToolCall)s, in the order the model wrote them, then one
/// [`End`](Self::End). A streaming model also reports each call as it is being
/// written ([`ToolCallDelta`](Self::ToolCallDelta)), for progress displays.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ModelEvent {
    /// The next piece of the answer's text.
    TextDelta(String),
    /// A tool call being written: informative only, the complete call follows as
    /// [`ToolCall`](Self::ToolCall).
    ToolCallDelta(ToolCallDelta),
    /// A tool call whose arguments are complete: it can start now, while the model goes on.
    ToolCall(ToolCall),
    /// The response is complete: why it ended, and what it cost.
    End(ResponseEnd),
}

/// A piece of a tool call as the model writes it (see [`ModelEvent::ToolCallDelta`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ToolCallDelta {
    /// The call's position among the calls of this response (0 for the first).
    pub index: usize,
    /// The tool's name (empty while the provider has not sent it).
    pub name: String,
    /// The next piece of the arguments' JSON text (empty when the call has just begun).
    pub arguments: String,
}

impl ToolCallDelta {
    /// A piece of the call at `index`.
    pub fn new(index: usize, name: impl Into<String>, arguments: impl Into<String>) -> Self {
        Self {
            index,
            name: name.into(),
            arguments: arguments.into(),
        }
    }
}

/// How a response ended: the last [`ModelEvent`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ResponseEnd {
    /// Why the model stopped.
    pub stop_reason: StopReason,
    /// Tokens used by the request.
    pub usage: Usage,
    /// The message exactly as the provider sent it, when it must be echoed back (see
    /// [`AssistantMessage::raw`](crate::conversation::AssistantMessage::raw)).
    pub raw: Option<RawMessage>,
}

impl ResponseEnd {
    /// The end of a response.
    pub fn new(stop_reason: StopReason, usage: Usage) -> Self {
        Self {
            stop_reason,
            usage,
            raw: None,
        }
    }
}

/// The events of a whole response, in order.
pub(super) struct ResponseEvents {
    text: Option<String>,
    calls: std::vec::IntoIter<ToolCall>,
    finish: Option<ResponseEnd>,
}

impl ResponseEvents {
    pub(super) fn new(response: ModelResponse) -> Self {
        let ModelResponse {
            message,
            stop_reason,
            usage,
        } = response;
        let mut finish = ResponseEnd::new(stop_reason, usage);
        finish.raw = message.raw;
        Self {
            text: message.text,
            calls: message.tool_calls.into_iter(),
            finish: Some(finish),
        }
    }
}

impl Iterator for ResponseEvents {
    type Item = ModelEvent;

    fn next(&mut self) -> Option<ModelEvent> {
        if let Some(text) = self.text.take() {
            return Some(ModelEvent::TextDelta(text));
        }
        if let Some(call) = self.calls.next() {
            return Some(ModelEvent::ToolCall(call));
        }
        self.finish.take().map(ModelEvent::End)
    }
}

/// The default stream: waits for the whole response, then replays it as events.
pub(super) enum StreamOf<'a> {
    Waiting(ModelFuture<'a>),
    Replaying(ResponseEvents),
    Done,
}

impl<'a> StreamOf<'a> {
    pub(super) fn new(response: ModelFuture<'a>) -> Self {
        Self::Waiting(response)
    }
}

impl Stream for StreamOf<'_> {
    type Item = Result<ModelEvent, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if let Self::Waiting(response) = this {
            match response.as_mut().poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(response)) => *this = Self::Replaying(ResponseEvents::new(response)),
                Poll::Ready(Err(error)) => {
                    *this = Self::Done;
                    return Poll::Ready(Some(Err(error)));
                }
            }
        }
        match this {
            Self::Replaying(events) => match events.next() {
                Some(event) => Poll::Ready(Some(Ok(event))),
                None => {
                    *this = Self::Done;
                    Poll::Ready(None)
                }
            },
            _ => Poll::Ready(None),
        }
    }
}
