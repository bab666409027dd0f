//! A streamed answer: the request, its server-sent events through the wire's decoder, and the
//! rules on sending it again.

use std::collections::VecDeque;

use super::HttpModel;
use crate::error::{Error, Result};
use crate::http::{EventStream, Opened, Post};
use crate::model::{ModelEvent, ModelStream};
use crate::wire::Wire;
use crate::wire::sealed::StreamDecoder;

/// The events of the answer to `post` (or its error, as the stream's only item).
pub(super) fn events<W: Wire>(model: &HttpModel<W>, post: Result<Post>) -> ModelStream<'_> {
    let state = match post {
        Ok(post) => State {
            model,
            post: Some(post),
            attempt: 0,
            forwarded: false,
            phase: Phase::Start,
        },
        Err(error) => State {
            model,
            post: None,
            attempt: 0,
            forwarded: false,
            phase: Phase::Failed(Some(error)),
        },
    };
    Box::pin(futures_util::stream::unfold(
        state,
        |mut state| async move {
            let item = state.next().await?;
            Some((item, state))
        },
    ))
}

struct State<'a, W: Wire> {
    model: &'a HttpModel<W>,
    post: Option<Post>,
    /// Requests sent so far.
    attempt: u32,
    /// Whether an event was handed on: from then on, the request is never sent again.
    forwarded: bool,
    phase: Phase<W>,
}

enum Phase<W: Wire> {
    /// The request is to be sent.
    Start,
    /// Reading events.
    Reading {
        events: Box<EventStream>,
        decoder: W::Decoder,
        ready: VecDeque<ModelEvent>,
        /// The response's last event was read: what is ready is all there is.
        complete: bool,
    },
    /// A whole response (a server that does not stream), replayed as events.
    Replaying(std::vec::IntoIter<ModelEvent>),
    /// Failed: the error still to be handed on.
    Failed(Option<Error>),
}

impl<W: Wire> State<'_, W> {
    async fn next(&mut self) -> Option<Result<ModelEvent>> {
        loop {
            match &mut self.phase {
                Phase::Failed(error) => return error.take().map(Err),
                Phase::Replaying(events) => return events.next().map(Ok),
                Phase::Start => {
                    let post = self.post.as_ref()?;
                    self.phase = match self.model.http.open_stream(post, &mut self.attempt).await {
                        Ok(Opened::Events(events)) => Phase::Reading {
                            events,
                            decoder: self.model.wire.decoder(),
                            ready: VecDeque::new(),
                            complete: false,
                        },
                        Ok(Opened::Whole(status, body)) => match self.model.parse_response(&body) {
                            Ok(response) => Phase::Replaying(
                                response.into_events().collect::<Vec<_>>().into_iter(),
                            ),
                            Err(error) => Phase::Failed(Some(error.with_status(status))),
                        },
                        Err(error) => Phase::Failed(Some(error)),
                    };
                }
                Phase::Reading {
                    events,
                    decoder,
                    ready,
                    complete,
                } => {
                    if let Some(event) = ready.pop_front() {
                        self.forwarded = true;
                        return Some(Ok(event));
                    }
                    if *complete {
                        return None;
                    }
                    let read = match events.next().await {
                        Ok(Some(event)) => decoder.event(event, ready).map(|done| *complete = done),
                        Ok(None) => decoder.end(ready).map(|()| *complete = true),
                        Err(broken) => {
                            let retry = &self.model.http.retry;
                            if broken.retryable
                                && !self.forwarded
                                && self.attempt <= retry.max_retries
                            {
                                let wait = retry.wait(self.attempt - 1, None);
                                tracing::warn!(
                                    provider = W::PROVIDER,
                                    attempt = self.attempt,
                                    ?wait,
                                    error = %broken.error,
                                    "stream broke off before its first event; retrying"
                                );
                                tokio::time::sleep(wait).await;
                                self.phase = Phase::Start;
                                continue;
                            }
                            Err(broken.error)
                        }
                    };
                    if let Err(error) = read {
                        self.phase = Phase::Failed(Some(error.with_attempts(self.attempt)));
                    }
                }
            }
        }
    }
}
