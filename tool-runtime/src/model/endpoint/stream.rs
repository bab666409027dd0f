//! A streamed answer: the request, its server-sent events through the wire's decoder, and the
//! rules on sending it again.

use std::collections::VecDeque;

use super::HttpModel;
use crate::error::{Error, Result};
use crate::http::{EventStream, Opened, Post};
use crate::model::wire::Wire;
use crate::model::wire::sealed::StreamDecoder;
use crate::model::{ModelEvent, ModelRequest, ModelStream};

/// The events of the answer to `request` (or its error, as the stream's only item).
pub(super) fn events<'a, W: Wire>(
    model: &'a HttpModel<W>,
    request: ModelRequest<'a>,
) -> ModelStream<'a> {
    let (post, phase) = match model.post(&request, true) {
        Ok(post) => (Some(post), Phase::Start),
        Err(error) => (None, Phase::Failed(Some(error))),
    };
    let state = State {
        model,
        request,
        post,
        attempt: 0,
        forwarded: false,
        phase,
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
    request: ModelRequest<'a>,
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
                        Err(error) if self.model.refused_extras(&error) => {
                            match self.model.post(&self.request, true) {
                                Ok(post) => {
                                    self.post = Some(post);
                                    Phase::Start
                                }
                                Err(error) => Phase::Failed(Some(error)),
                            }
                        }
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
                    // Nothing of the answer was used yet: asking again is safe.
                    let may_retry =
                        !self.forwarded && self.attempt <= self.model.http.retry.max_retries;
                    let read = match events.next().await {
                        Ok(Some(event)) => decoder.event(event, ready).map(|done| *complete = done),
                        Ok(None) => decoder.end(ready).map(|()| *complete = true),
                        Err(broken) if broken.retryable && may_retry => {
                            Err(broken.error.retryable())
                        }
                        // Cut off or stalled once the response was whole all the same (a server
                        // that never sends `[DONE]`): what arrived stands.
                        Err(broken) => decoder
                            .end(ready)
                            .map(|()| *complete = true)
                            .map_err(|_| broken.error),
                    };
                    match read {
                        Ok(()) => {}
                        Err(error) if error.is_retryable() && may_retry => {
                            let wait = self.model.http.retry.wait(self.attempt - 1, None);
                            tracing::warn!(
                                provider = W::PROVIDER,
                                attempt = self.attempt,
                                ?wait,
                                %error,
                                "stream failed before its first event; retrying"
                            );
                            tokio::time::sleep(wait).await;
                            self.phase = Phase::Start;
                        }
                        Err(error) => {
                            self.phase = Phase::Failed(Some(error.with_attempts(self.attempt)));
                        }
                    }
                }
            }
        }
    }
}
