//! [`RunStream`]: a run, as the stream of its events.

use std::collections::VecDeque;
use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use futures_core::Stream;

use super::event::Queue;
use super::{AgentEvent, RunError, RunOutput};

type RunFuture<'a> = Pin<Box<dyn Future<Output = Result<RunOutput, RunError>> + Send + 'a>>;
type Start<'a> = Box<dyn FnOnce(Arc<Queue>) -> RunFuture<'a> + Send + 'a>;

/// A run of an [`Agent`](crate::Agent), as the stream of its [`AgentEvent`]s: made by
/// [`Agent::stream`](crate::Agent::stream) and
/// [`RunRequest::stream`](crate::agent::RunRequest::stream).
///
/// It yields each event as it happens, then [`AgentEvent::Finished`] with the run's output, or
/// the [`RunError`] the run ended with; then nothing. It implements
/// [`futures_core::Stream`]; [`next`](Self::next) reads it without further crates. Nothing runs
/// until it is first polled; dropping it stops the run.
pub struct RunStream<'a> {
    /// The run, before it is first polled.
    start: Option<Start<'a>>,
    running: Option<RunFuture<'a>>,
    /// How the run ended, handed on once its events are.
    outcome: Option<Result<RunOutput, RunError>>,
    queue: Arc<Queue>,
    done: bool,
}

impl<'a> RunStream<'a> {
    pub(super) fn new(start: Start<'a>) -> Self {
        Self {
            start: Some(start),
            running: None,
            outcome: None,
            queue: Arc::new(Mutex::new(VecDeque::new())),
            done: false,
        }
    }

    /// The next item: an event, the run's error, or `None` after the last.
    pub async fn next(&mut self) -> Option<Result<AgentEvent, RunError>> {
        poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    fn pop(&self) -> Option<AgentEvent> {
        self.queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop_front()
    }
}

impl Stream for RunStream<'_> {
    type Item = Result<AgentEvent, RunError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(event) = this.pop() {
                return Poll::Ready(Some(Ok(event)));
            }
            if let Some(outcome) = this.outcome.take() {
                this.done = true;
                return Poll::Ready(Some(outcome.map(AgentEvent::Finished)));
            }
            if this.done {
                return Poll::Ready(None);
            }
            if let Some(start) = this.start.take() {
                this.running = Some(start(this.queue.clone()));
            }
            let Some(running) = &mut this.running else {
                return Poll::Ready(None);
            };
            match running.as_mut().poll(cx) {
                Poll::Ready(outcome) => {
                    this.running = None;
                    this.outcome = Some(outcome);
                }
                // The run may have made events before it had to wait.
                Poll::Pending if this.queue_is_empty() => return Poll::Pending,
                Poll::Pending => {}
            }
        }
    }
}

impl RunStream<'_> {
    fn queue_is_empty(&self) -> bool {
        self.queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_empty()
    }
}

impl fmt::Debug for RunStream<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunStream")
            .field("started", &self.start.is_none())
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}
