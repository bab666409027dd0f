//! [`EventStream`]: the server-sent events of a response, read as they come, under a limit per
//! event and per wait.

use std::collections::VecDeque;
use std::time::Duration;

use super::sse::{SseDecoder, SseError, SseEvent};
use crate::error::Error;

/// The events of one streamed response.
pub(crate) struct EventStream {
    response: reqwest::Response,
    decoder: SseDecoder,
    ready: VecDeque<SseEvent>,
    provider: &'static str,
    status: u16,
    /// The longest wait for the next piece.
    wait: Duration,
    ended: bool,
}

/// Why a stream cannot be read on.
#[derive(Debug)]
pub(crate) struct Broken {
    pub(crate) error: Error,
    /// The connection broke, or stalled: asking again is worth it if nothing was used yet.
    pub(crate) retryable: bool,
}

impl EventStream {
    pub(crate) fn new(
        response: reqwest::Response,
        provider: &'static str,
        wait: Duration,
        max_event_bytes: usize,
    ) -> Self {
        let status = response.status().as_u16();
        Self {
            response,
            decoder: SseDecoder::new(max_event_bytes),
            ready: VecDeque::new(),
            provider,
            status,
            wait,
            ended: false,
        }
    }

    /// The next event; `None` once the server has ended the stream.
    pub(crate) async fn next(&mut self) -> Result<Option<SseEvent>, Broken> {
        loop {
            if let Some(event) = self.ready.pop_front() {
                return Ok(Some(event));
            }
            if self.ended {
                return Ok(None);
            }
            let chunk = match tokio::time::timeout(self.wait, self.response.chunk()).await {
                Ok(Ok(chunk)) => chunk,
                Ok(Err(error)) => {
                    return Err(Broken {
                        error: Error::stream_cut(self.provider, self.status, error),
                        retryable: true,
                    });
                }
                // Worth asking again if nothing was used yet (a server queueing the request).
                Err(_) => {
                    return Err(Broken {
                        error: Error::timed_out(self.provider, "stream event", self.wait)
                            .with_status(self.status),
                        retryable: true,
                    });
                }
            };
            let fed = match chunk {
                Some(chunk) => self.decoder.feed(&chunk, &mut self.ready),
                None => {
                    self.ended = true;
                    self.decoder.end_of_input(&mut self.ready);
                    Ok(())
                }
            };
            if let Err(error) = fed {
                let why = match error {
                    SseError::TooLarge(limit) => {
                        format!("a stream event is larger than the limit of {limit} bytes")
                    }
                    SseError::NotUtf8 => "the stream is not UTF-8 text".to_owned(),
                };
                return Err(Broken {
                    error: Error::unreadable_stream(self.provider, self.status, why),
                    retryable: false,
                });
            }
        }
    }
}
