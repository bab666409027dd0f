//! The offline model's answers as a stream: word-sized pieces of text, each tool call's
//! argument fragments then the call, and the end, `pacing` apart.

use std::collections::VecDeque;
use std::time::Duration;

use crate::conversation::ToolCall;
use crate::model::{
    ModelEvent, ModelFuture, ModelResponse, ModelStream, ResponseEnd, ToolCallDelta,
};

/// The most bytes in one fragment of a call's arguments.
const FRAGMENT: usize = 16;

/// The events of `response`, one piece every `pacing`.
pub(super) fn paced(response: ModelFuture<'_>, pacing: Duration) -> ModelStream<'_> {
    let state = State::Waiting(response);
    Box::pin(futures_util::stream::unfold(
        state,
        move |state| async move {
            match state {
                State::Waiting(response) => match response.await {
                    Ok(response) => next(Pieces::of(response), pacing, true).await,
                    Err(error) => Some((Err(error), State::Done)),
                },
                State::Writing(pieces) => next(pieces, pacing, false).await,
                State::Done => None,
            }
        },
    ))
}

enum State<'a> {
    Waiting(ModelFuture<'a>),
    Writing(Pieces),
    Done,
}

/// What is left to write: the current piece's events, then the pieces after it.
struct Pieces {
    current: VecDeque<ModelEvent>,
    rest: std::vec::IntoIter<Vec<ModelEvent>>,
}

impl Pieces {
    fn of(response: ModelResponse) -> Self {
        let ModelResponse {
            message,
            stop_reason,
            usage,
        } = response;
        let mut pieces = Vec::new();
        if let Some(text) = &message.text {
            pieces.extend(words(text).map(|word| vec![ModelEvent::TextDelta(word.to_owned())]));
            if text.is_empty() {
                pieces.push(vec![ModelEvent::TextDelta(String::new())]);
            }
        }
        for (index, call) in message.tool_calls.into_iter().enumerate() {
            pieces.push(call_events(index, call));
        }
        let mut finish = ResponseEnd::new(stop_reason, usage);
        finish.raw = message.raw;
        pieces.push(vec![ModelEvent::End(finish)]);
        Self {
            current: VecDeque::new(),
            rest: pieces.into_iter(),
        }
    }
}

/// The next event: of the current piece, or, after `pacing`, of the next one.
async fn next(
    mut pieces: Pieces,
    pacing: Duration,
    first: bool,
) -> Option<(crate::error::Result<ModelEvent>, State<'static>)> {
    if pieces.current.is_empty() {
        pieces.current = pieces.rest.next()?.into();
        if !first && !pacing.is_zero() {
            tokio::time::sleep(pacing).await;
        }
    }
    let event = pieces.current.pop_front()?;
    Some((Ok(event), State::Writing(pieces)))
}

/// A call as it would be written: its name, its arguments in fragments, then the call.
fn call_events(index: usize, call: ToolCall) -> Vec<ModelEvent> {
    let arguments = call.arguments.to_json_string();
    let mut events = vec![ModelEvent::ToolCallDelta(ToolCallDelta::new(
        index,
        call.name.clone(),
        "",
    ))];
    let mut rest = arguments.as_str();
    while !rest.is_empty() {
        let mut end = rest.len().min(FRAGMENT);
        while !rest.is_char_boundary(end) {
            end += 1;
        }
        let (fragment, after) = rest.split_at(end);
        events.push(ModelEvent::ToolCallDelta(ToolCallDelta::new(
            index,
            call.name.clone(),
            fragment,
        )));
        rest = after;
    }
    events.push(ModelEvent::ToolCall(call));
    events
}

/// `text` in word-sized pieces, each word with the spaces before it.
fn words(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let start = rest.len() - rest.trim_start().len();
        let end = rest[start..]
            .find(char::is_whitespace)
            .map_or(rest.len(), |end| start + end);
        let (word, after) = rest.split_at(end);
        rest = after;
        Some(word)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_keep_every_character() {
        for text in [
            "",
            "one",
            "  two words ",
            "line\nbreak\ttab",
            "\u{e9}t\u{e9} \u{1f600}",
        ] {
            let pieces: Vec<&str> = words(text).collect();
            assert_eq!(pieces.concat(), text);
            assert!(pieces.iter().all(|piece| !piece.is_empty()));
        }
        assert_eq!(
            words("Hello big world").collect::<Vec<_>>(),
            ["Hello", " big", " world"]
        );
    }

    #[test]
    fn a_call_is_written_in_fragments_that_make_its_arguments() {
        let call = ToolCall::new(
            "c",
            "f",
            r#"{"city": "Z\u00fcrich, \u00e9t\u00e9 and more text"}"#,
        );
        let events = call_events(2, call.clone());
        let text: String = events
            .iter()
            .filter_map(|event| match event {
                ModelEvent::ToolCallDelta(delta) => {
                    assert_eq!((delta.index, delta.name.as_str()), (2, "f"));
                    Some(delta.arguments.as_str())
                }
                _ => None,
            })
            .collect();
        assert_eq!(text, call.arguments.to_json_string());
        assert_eq!(events.last(), Some(&ModelEvent::ToolCall(call)));
    }
}
