//! A streamed answer: the request, its server-sent events through the wire's decoder, and the
//! rule on sending it again — as often as the retry policy says until the first event of the
//! answer is read, never after an event was handed on (tools may have started).

use std::collections::VecDeque;

use super::HttpModel;
use crate::error::{Error, Result};
use crate::http::{Attempt, EventStream, Failure, Opened, retrying};
use crate::model::wire::Wire;
use crate::model::wire::sealed::StreamDecoder;
use crate::model::{ModelEvent, ModelRequest, ModelStream};

/// The events of the answer to `request` (or its error, as the stream's only item).
pub(super) fn events<'a, W: Wire>(
    model: &'a HttpModel<W>,
    request: ModelRequest<'a>,
) -> ModelStream<'a> {
    let state = State {
        model,
        request,
        phase: Phase::Start,
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
    phase: Phase<W>,
}

enum Phase<W: Wire> {
    /// The request is to be sent.
    Start,
    /// Reading events.
    Reading(Reading<W>),
    /// A whole response (a server that does not stream), replayed as events.
    Replaying(std::vec::IntoIter<ModelEvent>),
    /// Failed: the error still to be handed on.
    Failed(Option<Error>),
}

/// A stream being read.
struct Reading<W: Wire> {
    events: Box<EventStream>,
    decoder: W::Decoder,
    ready: VecDeque<ModelEvent>,
    /// The response's last event was read: what is ready is all there is.
    complete: bool,
    /// Requests sent for it.
    attempts: u32,
}

impl<W: Wire> State<'_, W> {
    async fn next(&mut self) -> Option<Result<ModelEvent>> {
        loop {
            match &mut self.phase {
                Phase::Failed(error) => return error.take().map(Err),
                Phase::Replaying(events) => return events.next().map(Ok),
                Phase::Start => {
                    self.phase = match open(self.model, &self.request).await {
                        Ok(phase) => phase,
                        Err(error) => Phase::Failed(Some(error)),
                    };
                }
                Phase::Reading(reading) => {
                    if let Some(event) = reading.ready.pop_front() {
                        return Some(Ok(event));
                    }
                    if reading.complete {
                        return None;
                    }
                    // An event was handed on: the request is never sent again.
                    if let Err(failure) = reading.read_one(false).await {
                        let error = failure.error.with_attempts(reading.attempts);
                        self.phase = Phase::Failed(Some(error));
                    }
                }
            }
        }
    }
}

/// Sends the request until its answer's first event is read (or the whole answer, from a server
/// that does not stream), as often as the retry policy says.
async fn open<W: Wire>(model: &HttpModel<W>, request: &ModelRequest<'_>) -> Result<Phase<W>> {
    let open = Open { model, request };
    retrying(&model.http.retry, W::PROVIDER, open).await
}

/// One attempt at opening a stream: sent, and read up to the answer's first event.
struct Open<'a, 'r, W: Wire> {
    model: &'a HttpModel<W>,
    request: &'a ModelRequest<'r>,
}

impl<W: Wire> Attempt for Open<'_, '_, W> {
    type Output = Phase<W>;

    async fn attempt(&mut self, number: u32) -> std::result::Result<Phase<W>, Failure> {
        let model = self.model;
        let post = model.post(self.request, true).map_err(Failure::fatal)?;
        let opened = model.http.attempt_stream(&post).await;
        let events = match opened.map_err(|failure| model.optional_refusal(failure))? {
            Opened::Events(events) => events,
            Opened::Whole(status, body) => {
                let response = model
                    .parse_response(&body)
                    .map_err(|error| Failure::fatal(error.with_status(status)))?;
                let events: Vec<ModelEvent> = response.into_events().collect();
                return Ok(Phase::Replaying(events.into_iter()));
            }
        };
        let mut reading = Reading {
            events,
            decoder: model.wire.decoder(),
            ready: VecDeque::new(),
            complete: false,
            attempts: number,
        };
        // Nothing of the answer was used yet: asking again is safe.
        let may_retry = model.http.retry.may_retry(number);
        while reading.ready.is_empty() && !reading.complete {
            reading.read_one(may_retry).await?;
        }
        Ok(Phase::Reading(reading))
    }
}

impl<W: Wire> Reading<W> {
    /// Reads the next server-sent event into the decoder. A stream cut off or stalled is worth
    /// asking again for while `may_retry`; otherwise, if what arrived makes the whole response
    /// all the same (a server that never sends `[DONE]`), it stands.
    async fn read_one(&mut self, may_retry: bool) -> std::result::Result<(), Failure> {
        let Self {
            events,
            decoder,
            ready,
            complete,
            ..
        } = self;
        let read = match events.next().await {
            Ok(Some(event)) => decoder.event(event, ready).map(|done| *complete = done),
            Ok(None) => decoder.end(ready).map(|()| *complete = true),
            Err(broken) if broken.retryable && may_retry => Err(broken.error.retryable()),
            Err(broken) => decoder
                .end(ready)
                .map(|()| *complete = true)
                .map_err(|_| broken.error),
        };
        read.map_err(|error| match may_retry {
            true => Failure::from(error),
            false => Failure::fatal(error),
        })
    }
}
