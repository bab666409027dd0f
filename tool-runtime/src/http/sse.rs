//! Server-sent events: the framing both APIs stream in, read from chunks that split anything
//! anywhere (lines, CRLF pairs, UTF-8 characters), with a cap on the size of one event.
//!
//! Follows the WHATWG rules: lines end in LF, CR or CRLF; a blank line dispatches the event;
//! `:` starts a comment (a keep-alive); `field: value` loses one leading space; `data` lines
//! join with LF; unknown fields are ignored.

use std::collections::VecDeque;

/// One event: its type (`event:`, empty when not given) and its data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SseEvent {
    pub(crate) event: String,
    pub(crate) data: String,
}

/// Why a stream of events cannot be read on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SseError {
    /// One event is larger than the cap.
    TooLarge(usize),
    /// A line is not UTF-8.
    NotUtf8,
}

/// Turns chunks of bytes into events.
#[derive(Debug)]
pub(crate) struct SseDecoder {
    /// The current line, not yet ended.
    line: Vec<u8>,
    /// The event being built.
    event: SseEvent,
    /// Whether the event has a `data` field (an event without one is not dispatched).
    has_data: bool,
    /// The last chunk ended in CR: an LF first in the next one ends nothing more.
    after_cr: bool,
    /// Whether the first line was seen (a byte order mark before it is dropped).
    started: bool,
    /// The bytes of the event so far, lines included.
    size: usize,
    cap: usize,
}

impl SseDecoder {
    /// A decoder refusing events larger than `cap` bytes.
    pub(crate) fn new(cap: usize) -> Self {
        Self {
            line: Vec::new(),
            event: SseEvent::default(),
            has_data: false,
            after_cr: false,
            started: false,
            size: 0,
            cap,
        }
    }

    /// Reads a chunk, pushing every event it completes.
    pub(crate) fn feed(
        &mut self,
        mut chunk: &[u8],
        out: &mut VecDeque<SseEvent>,
    ) -> Result<(), SseError> {
        if chunk.is_empty() {
            return Ok(());
        }
        if self.after_cr && chunk.first() == Some(&b'\n') {
            chunk = &chunk[1..];
        }
        self.after_cr = false;
        // Checked as UTF-8 once from the first line that starts in it, as far as it is (a
        // character may be cut off at its end): its offset in the chunk, and that text.
        let mut checked: Option<(usize, &str)> = None;
        let mut start = 0;
        while let Some(length) = line_end(&chunk[start..]) {
            self.grow(length)?;
            let end = start + length;
            let crlf = chunk[end] == b'\r' && chunk.get(end + 1) == Some(&b'\n');
            if chunk[end] == b'\r' && end + 1 == chunk.len() {
                self.after_cr = true;
            }
            let text = self
                .line
                .is_empty()
                .then(|| *checked.get_or_insert_with(|| (start, valid_prefix(&chunk[start..]))));
            match text {
                // The whole line is in this chunk, and checked: read where it is.
                Some((offset, text)) if end <= offset + text.len() => {
                    self.read_str(&text[start - offset..end - offset], out);
                }
                _ => {
                    let mut whole = std::mem::take(&mut self.line);
                    whole.extend_from_slice(&chunk[start..end]);
                    self.read_line(&whole, out)?;
                    whole.clear();
                    self.line = whole;
                }
            }
            start = end + if crlf { 2 } else { 1 };
        }
        self.grow(chunk.len() - start)?;
        self.line.extend_from_slice(&chunk[start..]);
        Ok(())
    }

    /// The stream ended: an event whose blank line never came is dispatched with what it has,
    /// its last line too (servers and recordings that end with `data: {…}` and no line end). A
    /// line cut off mid-way then fails as JSON in the wire's decoder, as a cut stream should.
    pub(crate) fn end_of_input(&mut self, out: &mut VecDeque<SseEvent>) {
        let line = std::mem::take(&mut self.line);
        if !line.is_empty() && self.read_line(&line, out).is_err() {
            return;
        }
        if self.has_data {
            self.dispatch(out);
        }
    }

    fn grow(&mut self, bytes: usize) -> Result<(), SseError> {
        self.size += bytes;
        if self.size > self.cap {
            return Err(SseError::TooLarge(self.cap));
        }
        Ok(())
    }

    fn read_line(&mut self, line: &[u8], out: &mut VecDeque<SseEvent>) -> Result<(), SseError> {
        let line = std::str::from_utf8(line).map_err(|_| SseError::NotUtf8)?;
        self.read_str(line, out);
        Ok(())
    }

    fn read_str(&mut self, mut line: &str, out: &mut VecDeque<SseEvent>) {
        if !self.started {
            self.started = true;
            line = line.strip_prefix('\u{feff}').unwrap_or(line);
        }
        if line.is_empty() {
            self.dispatch(out);
            return;
        }
        if line.starts_with(':') {
            return;
        }
        // The field names are short: a plain search beats a general one.
        let (field, value) = match line.bytes().position(|b| b == b':') {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(' ').unwrap_or(value))
            }
            None => (line, ""),
        };
        match field {
            "event" => value.clone_into(&mut self.event.event),
            "data" => {
                if self.has_data {
                    self.event.data.push('\n');
                }
                self.event.data.push_str(value);
                self.has_data = true;
            }
            _ => {}
        }
    }

    fn dispatch(&mut self, out: &mut VecDeque<SseEvent>) {
        let event = std::mem::take(&mut self.event);
        if std::mem::take(&mut self.has_data) {
            out.push_back(event);
        }
        self.size = 0;
    }
}

/// The longest prefix of `bytes` that is UTF-8.
fn valid_prefix(bytes: &[u8]) -> &str {
    match std::str::from_utf8(bytes) {
        Ok(text) => text,
        // Checked again up to there (`Utf8Chunks` would check once, but a byte at a time).
        Err(error) => std::str::from_utf8(&bytes[..error.valid_up_to()]).unwrap_or_default(),
    }
}

/// Where the first line of `bytes` ends (at an LF or a CR), if it does.
fn line_end(bytes: &[u8]) -> Option<usize> {
    const BLOCK: usize = 16;
    let (blocks, _) = bytes.as_chunks::<BLOCK>();
    let mut start = 0;
    for block in blocks {
        // Without an early exit, a block's comparisons compile to a few vector instructions.
        let found = (block.iter()).fold(0u8, |found, &b| {
            found | u8::from(b == b'\n') | u8::from(b == b'\r')
        });
        if found != 0 {
            break;
        }
        start += BLOCK;
    }
    let end = bytes[start..]
        .iter()
        .position(|&b| b == b'\n' || b == b'\r')?;
    Some(start + end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(chunks: &[&[u8]]) -> Result<Vec<SseEvent>, SseError> {
        let mut decoder = SseDecoder::new(1024);
        let mut out = VecDeque::new();
        for chunk in chunks {
            decoder.feed(chunk, &mut out)?;
        }
        decoder.end_of_input(&mut out);
        Ok(out.into())
    }

    fn event(event: &str, data: &str) -> SseEvent {
        SseEvent {
            event: event.into(),
            data: data.into(),
        }
    }

    #[test]
    fn fields_comments_and_line_endings() {
        let text =
            ": keep-alive\r\nevent: ping\r\ndata: {\"a\":\r\ndata:1}\r\n\r\ndata: [DONE]\n\n";
        assert_eq!(
            decode(&[text.as_bytes()]).unwrap(),
            [event("ping", "{\"a\":\n1}"), event("", "[DONE]")]
        );
        // CR alone ends lines too, and a CRLF split across chunks ends one line.
        assert_eq!(
            decode(&[b"data: a\r", b"", b"\ndata: b\r\r"]).unwrap(),
            [event("", "a\nb")]
        );
        // No data, no event; an id or retry field is ignored; the event type resets.
        assert_eq!(
            decode(&[b"event: x\n\nid: 7\nretry: 10\ndata\n\n"]).unwrap(),
            [event("", "")]
        );
    }

    #[test]
    fn any_split_gives_the_same_events() {
        let text =
            "\u{feff}event: a\r\ndata: caf\u{e9} \u{1f600}\r\n\r\n: c\n\ndata: x\rdata: y\r\n\n";
        let whole = decode(&[text.as_bytes()]).unwrap();
        assert_eq!(
            whole,
            [event("a", "caf\u{e9} \u{1f600}"), event("", "x\ny")]
        );
        let bytes = text.as_bytes();
        for i in 0..bytes.len() {
            for j in i..bytes.len() {
                let chunks = [&bytes[..i], &bytes[i..j], &bytes[j..]];
                assert_eq!(decode(&chunks).unwrap(), whole, "split at {i} and {j}");
            }
        }
    }

    #[test]
    fn an_unterminated_last_event_still_counts() {
        assert_eq!(decode(&[b"data: a\n"]).unwrap(), [event("", "a")]);
        assert_eq!(
            decode(&[b"data: a\n\nevent: x\ndata: {\"b\""]).unwrap(),
            [event("", "a"), event("x", "{\"b\"")]
        );
        assert_eq!(decode(&[b": only a comment"]).unwrap(), []);
    }

    #[test]
    fn the_first_line_end_is_found_wherever_it_is() {
        for len in 0..40 {
            assert_eq!(line_end(&vec![b'x'; len]), None);
            for at in 0..len {
                for end in [b'\n', b'\r'] {
                    let mut bytes = vec![b'x'; len];
                    bytes[at] = end;
                    // Later line ends do not count.
                    for later in (at + 1..len).step_by(5) {
                        bytes[later] = b'\n';
                    }
                    assert_eq!(line_end(&bytes), Some(at), "{len} {at}");
                }
            }
        }
    }

    #[test]
    fn caps_and_bad_bytes() {
        let mut decoder = SseDecoder::new(16);
        let mut out = VecDeque::new();
        decoder.feed(b"data: 0123456\n\n", &mut out).unwrap();
        assert_eq!(
            decoder.feed(b"data: 0123456789ab", &mut out),
            Err(SseError::TooLarge(16))
        );
        assert_eq!(decode(&[b"data: \xff\n\n"]), Err(SseError::NotUtf8));
        // What came before a line that is not UTF-8 was read, in the same chunk or not.
        for chunks in [
            &[&b"data: a\n\ndata: \xff\n\n"[..]][..],
            &[b"data: a\n\ndata: \xe2\x82", b"\xac\xff\n"],
        ] {
            let mut decoder = SseDecoder::new(1024);
            let mut out = VecDeque::new();
            let fed: Result<Vec<()>, SseError> = (chunks.iter())
                .map(|chunk| decoder.feed(chunk, &mut out))
                .collect();
            assert_eq!(fed, Err(SseError::NotUtf8));
            assert_eq!(out, [event("", "a")]);
        }
    }
}
