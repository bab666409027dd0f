//! The requests an offline model received, kept in memory that grows with the messages sent, not
//! with their square: a request that continues an earlier one stores only what it added.

use std::sync::Arc;

use serde_json::Value;

use crate::conversation::{AssistantMessage, Message};
use crate::model::ModelRequest;
use crate::tool::Arguments;

/// A request an [`OfflineModel`](super::OfflineModel) received.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// The system prompt.
    pub system: Option<String>,
    /// The conversation, as sent.
    pub messages: Vec<Message>,
    /// The names of the tools offered.
    pub tools: Vec<String>,
    /// Whether parallel tool calls were allowed.
    pub parallel_tool_calls: bool,
    /// The schema the final answer was asked to follow ([`ModelRequest::output`]).
    pub output: Option<Value>,
}

/// How many recent requests a new one is compared with to find the one it continues (runs
/// interleave when an agent serves several conversations at once).
const CANDIDATES: usize = 64;

/// Every request received, oldest first.
#[derive(Debug, Default)]
pub(super) struct Log {
    entries: Vec<Entry>,
}

#[derive(Debug)]
struct Entry {
    system: Option<String>,
    tools: Arc<[String]>,
    parallel_tool_calls: bool,
    output: Option<Value>,
    /// The earlier request whose messages open this one's.
    base: Option<usize>,
    /// How many messages the request had.
    len: usize,
    /// Roughly how many tokens they are.
    tokens: usize,
    /// The messages after the base's.
    added: Vec<Message>,
}

impl Log {
    /// Records `request`, sharing what it has in common with the request it continues, and
    /// returns roughly how many tokens its messages are.
    pub(super) fn record(&mut self, request: &ModelRequest<'_>) -> usize {
        let messages = request.messages;
        let base = self
            .entries
            .iter()
            .enumerate()
            .rev()
            .take(CANDIDATES)
            .filter(|(_, entry)| entry.len <= messages.len())
            .map(|(index, _)| index)
            .find(|&index| self.opens(index, messages));
        let (shared, shared_tokens) = base.map_or((0, 0), |index| {
            let entry = &self.entries[index];
            (entry.len, entry.tokens)
        });
        let added = &messages[shared..];
        let tokens = shared_tokens + added.iter().map(approximate_tokens).sum::<usize>();
        let tools = match self.entries.last() {
            Some(last) if names_equal(&last.tools, request) => last.tools.clone(),
            _ => request
                .tools
                .iter()
                .map(|tool| tool.name().to_owned())
                .collect(),
        };
        self.entries.push(Entry {
            system: request.system.map(str::to_owned),
            tools,
            parallel_tool_calls: request.parallel_tool_calls,
            output: request.output.map(|output| output.schema().value().clone()),
            base,
            len: messages.len(),
            tokens,
            added: added.to_vec(),
        });
        tokens
    }

    /// Every request, whole.
    pub(super) fn requests(&self) -> Vec<RecordedRequest> {
        (0..self.entries.len())
            .map(|index| self.request(index))
            .collect()
    }

    fn request(&self, index: usize) -> RecordedRequest {
        let entry = &self.entries[index];
        let mut messages = Vec::with_capacity(entry.len);
        let mut chain = vec![index];
        let mut at = entry.base;
        while let Some(base) = at {
            chain.push(base);
            at = self.entries[base].base;
        }
        for &link in chain.iter().rev() {
            messages.extend_from_slice(&self.entries[link].added);
        }
        RecordedRequest {
            system: entry.system.clone(),
            messages,
            tools: entry.tools.to_vec(),
            parallel_tool_calls: entry.parallel_tool_calls,
            output: entry.output.clone(),
        }
    }

    /// Whether the messages of entry `index` are exactly the first ones of `messages`.
    fn opens(&self, index: usize, messages: &[Message]) -> bool {
        let mut at = Some(index);
        while let Some(link) = at {
            let entry = &self.entries[link];
            let start = entry.len - entry.added.len();
            let sent = &messages[start..entry.len];
            if !sent.iter().zip(&entry.added).all(|(a, b)| same(a, b)) {
                return false;
            }
            at = entry.base;
        }
        true
    }
}

/// Whether two messages are equal, as `==` says, comparing JSON objects key by key in order
/// first: a transcript's copy has the keys of the original in the same order, and looking each
/// key up in the other object (as `Value`'s equality does) costs a hash per key.
fn same(a: &Message, b: &Message) -> bool {
    match (a, b) {
        (Message::Assistant(a), Message::Assistant(b)) => {
            a.text == b.text
                && a.tool_calls.len() == b.tool_calls.len()
                && a.tool_calls.iter().zip(&b.tool_calls).all(|(a, b)| {
                    a.id == b.id
                        && a.name == b.name
                        && match (&a.arguments, &b.arguments) {
                            (Arguments::Json(a), Arguments::Json(b)) => same_value(a, b),
                            (a, b) => a == b,
                        }
                })
                && match (&a.raw, &b.raw) {
                    (Some(a), Some(b)) => a.format == b.format && same_value(&a.value, &b.value),
                    (a, b) => a == b,
                }
        }
        (a, b) => a == b,
    }
}

/// `a == b`, with objects compared in order first.
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && (a
                    .iter()
                    .zip(b)
                    .all(|((ka, va), (kb, vb))| ka == kb && same_value(va, vb))
                    || a == b)
        }
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same_value(a, b))
        }
        (a, b) => a == b,
    }
}

/// About four characters a token, as the providers' rule of thumb goes, and a flat
/// [`MEDIA_TOKENS`] per image or document.
fn approximate_tokens(message: &Message) -> usize {
    let (chars, media) = match message {
        Message::User { text, attachments } => (text.len(), attachments.len()),
        Message::Assistant(assistant) => return assistant_tokens(assistant),
        Message::ToolResults { results } => results
            .iter()
            .map(|result| match &result.outcome {
                Ok(output) if output.has_media() => {
                    let blocks = output.blocks();
                    let media = blocks.iter().filter(|block| block.media().is_some());
                    (output.as_str().len(), media.count())
                }
                Ok(output) => (output.as_str().len(), 0),
                Err(error) => (error.to_string().len(), 0),
            })
            .fold((0, 0), |(c, m), (chars, media)| (c + chars, m + media)),
    };
    chars.div_ceil(4) + media * MEDIA_TOKENS
}

/// What an image or a document counts for in the offline model's usage (a small image costs
/// a few hundred tokens on the real APIs).
const MEDIA_TOKENS: usize = 256;

/// Roughly how many tokens an assistant message is.
pub(super) fn assistant_tokens(assistant: &AssistantMessage) -> usize {
    let calls: usize = assistant
        .tool_calls
        .iter()
        .map(|call| call.name.len() + call.arguments.json_len())
        .sum();
    (assistant.text.as_ref().map_or(0, String::len) + calls).div_ceil(4)
}

fn names_equal(names: &[String], request: &ModelRequest<'_>) -> bool {
    names.len() == request.tools.len()
        && names
            .iter()
            .zip(request.tools)
            .all(|(name, tool)| name == tool.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(text: &str) -> Message {
        Message::user(text)
    }

    #[test]
    fn continued_conversations_share_their_openings() {
        let mut log = Log::default();
        let a1 = [user("a")];
        let b1 = [user("b")];
        let a2 = [user("a"), user("a2")];
        let b2 = [user("b"), user("b2")];
        let edited = [user("x"), user("a2"), user("a3")];
        for messages in [&a1[..], &b1, &a2, &b2, &edited] {
            log.record(&ModelRequest::new(messages));
        }
        let stored: Vec<usize> = log.entries.iter().map(|entry| entry.added.len()).collect();
        assert_eq!(stored, [1, 1, 1, 1, 3]);
        assert_eq!(log.entries[2].base, Some(0));
        assert_eq!(log.entries[3].base, Some(1));
        let requests = log.requests();
        for (request, messages) in requests.iter().zip([&a1[..], &b1, &a2, &b2, &edited]) {
            assert_eq!(request.messages, messages);
        }
    }
}
