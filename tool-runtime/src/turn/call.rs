//! One call's life on its task: its place in the sequential chain, a concurrency permit, the time
//! limit, the tracing span, and its result.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::{self, Either};
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tracing::Instrument;

use super::sequence::Place;
use crate::conversation::ToolCall;
use crate::tool::{Body, CallContext, DisplayDuration, Hold, ToolError, ToolFuture, ToolOutput};

/// What a call waits for before it runs, and what it holds while it runs.
pub(super) struct Schedule {
    /// The call's place in the sequential chain, for a sequential tool.
    pub(super) place: Option<Place>,
    /// The turn's concurrency cap.
    pub(super) permits: Option<Arc<Semaphore>>,
    /// The call's time limit.
    pub(super) timeout: Option<Duration>,
    /// The call's context: cancelled when its time is up.
    pub(super) context: CallContext,
    /// Where the chain place and the permit are kept: released when the task AND every
    /// [`PlaceGuard`](crate::tool::PlaceGuard) of the call (a sync body still running) are done.
    /// (A call without either keeps nothing: `None`.)
    pub(super) hold: Option<Arc<Hold>>,
}

impl Schedule {
    /// Whether the call can start at once and run to its end unwatched: not sequential, no
    /// concurrency cap, no time limit.
    pub(super) fn is_free(&self) -> bool {
        self.place.is_none() && self.permits.is_none() && self.timeout.is_none()
    }
}

/// How a call's task ended: its index in the turn, its outcome and how long it ran.
pub(super) type CallEnd = (usize, Result<ToolOutput, ToolError>, Duration);

/// The task of one call: waits for its turn, runs the tool's future under its time limit, and
/// answers with the call's index and outcome.
pub(super) fn task(
    index: usize,
    call: &ToolCall,
    future: ToolFuture,
    schedule: Schedule,
) -> impl Future<Output = CallEnd> + Send + 'static {
    let span = span(call);
    let Schedule {
        place,
        permits,
        timeout,
        context,
        hold,
    } = schedule;
    async move {
        if let Some(Place { after, done }) = place {
            if let Some(mut previous) = after {
                // A call cancelled while it waits ends at once; the next still waits for the
                // one before it.
                let cancelled = std::pin::pin!(context.cancelled());
                if let Either::Right(_) = future::select(&mut previous, cancelled).await {
                    Place {
                        after: Some(previous),
                        done,
                    }
                    .pass_on();
                    return (index, Err(ToolError::Cancelled), Duration::ZERO);
                }
            }
            keep(&hold, done);
        }
        if let Some(permits) = permits
            && let Ok(permit) = permits.acquire_owned().await
        {
            keep(&hold, permit);
        }
        let started = Instant::now();
        let outcome = match timeout {
            Some(limit) => match tokio::time::timeout(limit, future).await {
                Ok(outcome) => outcome,
                Err(_) => {
                    // Tells a body still running (a sync tool, work the tool spawned) to stop.
                    context.cancel();
                    Err(ToolError::TimedOut(limit))
                }
            },
            None => future.await,
        };
        let duration = started.elapsed();
        // The task's share of the hold; a sync body still running keeps its own.
        drop(hold);
        drop(context);
        record(&tracing::Span::current(), &outcome, duration);
        (index, outcome, duration)
    }
    .instrument(span)
}

/// Keeps `thing` in the call's hold, if it has one.
fn keep(hold: &Option<Arc<Hold>>, thing: impl std::any::Any + Send) {
    if let Some(hold) = hold {
        hold.keep(thing);
    }
}

/// The task of a synchronous call that is free to run at once (see [`Schedule::is_free`]), run
/// on the blocking pool itself.
pub(super) fn blocking_task(
    index: usize,
    call: &ToolCall,
    body: Body,
) -> impl FnOnce() -> CallEnd + Send + 'static {
    let span = span(call);
    move || {
        let _entered = span.enter();
        let started = Instant::now();
        let outcome = body();
        let duration = started.elapsed();
        record(&span, &outcome, duration);
        (index, outcome, duration)
    }
}

/// The call's span: the tool, the call id, and (filled in at the end) how long it ran and how it
/// ended.
fn span(call: &ToolCall) -> tracing::Span {
    tracing::info_span!(
        "tool_call",
        tool = %call.name,
        call_id = %call.id,
        duration_us = tracing::field::Empty,
        outcome = tracing::field::Empty,
    )
}

/// Fills in the call's span: how long it ran and how it ended. (Given, not taken from the
/// thread: a blocking-pool thread may not see the subscriber the span was made with.)
fn record(span: &tracing::Span, outcome: &Result<ToolOutput, ToolError>, duration: Duration) {
    span.record("duration_us", duration.as_micros() as u64);
    match outcome {
        Ok(_) => {
            span.record("outcome", "ok");
            tracing::debug!(parent: span, duration = %DisplayDuration(duration), "tool call finished");
        }
        Err(error) => {
            span.record("outcome", error.kind_name());
            tracing::debug!(parent: span, duration = %DisplayDuration(duration), %error, "tool call failed");
        }
    }
}
