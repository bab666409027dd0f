//! Assembling a response from its events: the one path from a model's answer to the transcript,
//! whether the answer was streamed or arrived whole.

use super::{ModelEvent, ModelResponse, ResponseEnd};
use crate::conversation::{AssistantMessage, ToolCall};
use crate::error::Error;

/// Collects [`ModelEvent`]s into the [`ModelResponse`] they make up.
#[derive(Debug, Default)]
pub(crate) struct Assembler {
    text: Option<String>,
    calls: Vec<ToolCall>,
    finish: Option<ResponseEnd>,
}

impl Assembler {
    /// Takes the next event.
    pub(crate) fn push(&mut self, event: ModelEvent) {
        match event {
            ModelEvent::TextDelta(delta) => match &mut self.text {
                Some(text) => text.push_str(&delta),
                None => self.text = Some(delta),
            },
            ModelEvent::ToolCallDelta(_) => {}
            ModelEvent::ToolCall(call) => self.calls.push(call),
            ModelEvent::End(finish) => self.finish = Some(finish),
        }
    }

    /// Whether the response's last event arrived.
    pub(crate) fn is_complete(&self) -> bool {
        self.finish.is_some()
    }

    /// What arrived before the events stopped short: the text so far and the calls handed on.
    pub(crate) fn into_partial(self) -> AssistantMessage {
        let mut message = AssistantMessage::calls(self.calls);
        message.text = self.text;
        message
    }

    /// The response, or an error naming `model` when the events stopped before its end.
    pub(crate) fn into_response(self, model: &str) -> Result<ModelResponse, Error> {
        let Some(finish) = self.finish else {
            return Err(Error::stream_incomplete(model.to_owned()));
        };
        let mut message = AssistantMessage::calls(self.calls);
        message.text = self.text;
        message.raw = finish.raw;
        Ok(ModelResponse::new(
            message,
            finish.stop_reason,
            finish.usage,
        ))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::conversation::{RawMessage, StopReason, Usage};

    fn assemble(response: &ModelResponse) -> ModelResponse {
        let mut assembler = Assembler::default();
        for event in response.clone().into_events() {
            assembler.push(event);
        }
        assembler.into_response("test").unwrap()
    }

    #[test]
    fn every_response_survives_its_events() {
        let usage = Usage {
            input_tokens: 7,
            ..Usage::default()
        };
        let calls = [
            ToolCall::new("a", "f", "{}"),
            ToolCall::new("b", "g", json!({"x": 1})),
        ];
        let raw = RawMessage {
            format: "anthropic".into(),
            value: json!([{"type": "text", "text": "hi"}]),
        };
        let cases = [
            AssistantMessage::default(),
            AssistantMessage::text(""),
            AssistantMessage::text("hello"),
            AssistantMessage::calls(calls.clone()),
            AssistantMessage::text("let me see").with_raw(raw),
            {
                let mut both = AssistantMessage::calls(calls);
                both.text = Some("two calls".into());
                both
            },
        ];
        for message in cases {
            for stop_reason in [StopReason::EndTurn, StopReason::Other("pause_turn".into())] {
                let response = ModelResponse::new(message.clone(), stop_reason, usage);
                assert_eq!(assemble(&response), response);
            }
        }
    }

    #[test]
    fn deltas_concatenate_and_a_missing_end_is_an_error() {
        let mut assembler = Assembler::default();
        assembler.push(ModelEvent::TextDelta("Hel".into()));
        assembler.push(ModelEvent::TextDelta("lo".into()));
        let error = assembler.into_response("m").unwrap_err();
        assert!(error.is_decode());
        let mut assembler = Assembler::default();
        assembler.push(ModelEvent::TextDelta("Hel".into()));
        assembler.push(ModelEvent::TextDelta("lo".into()));
        assembler.push(ModelEvent::End(ResponseEnd::new(
            StopReason::EndTurn,
            Usage::default(),
        )));
        let response = assembler.into_response("m").unwrap();
        assert_eq!(response.message.text.as_deref(), Some("Hello"));
    }
}
