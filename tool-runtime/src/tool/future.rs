//! [`ToolFuture`]: what a tool's call gives back, to be run by whoever awaits it.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::task::JoinHandle;

use super::{ToolError, ToolOutput};
use crate::__private::panicked;

type Outcome = Result<ToolOutput, ToolError>;

/// A synchronous tool's body, run off the async workers.
pub(crate) type Body = Box<dyn FnOnce() -> Outcome + Send + 'static>;

/// The future a [`Tool`](super::Tool) returns: `'static` and `Send`, so the runtime can spawn it.
///
/// Make one from any future with [`ToolFuture::new`], or from a result known at once with
/// [`ToolFuture::ready`] (no allocation: what a tool returns for arguments it cannot decode).
/// A synchronous `#[tool] fn` returns one that runs its body on tokio's blocking pool; a
/// [`Turn`](crate::Turn) hands such a body to the blocking pool straight away, without an async
/// task in between, so a synchronous call costs about what an asynchronous one does.
///
/// ```
/// use tool_runtime::{ToolError, ToolFuture, ToolOutput};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let later = ToolFuture::new(async { Ok(ToolOutput::text("done")) });
/// assert_eq!(later.await.unwrap().as_str(), "done");
/// let now = ToolFuture::ready(Err(ToolError::Cancelled));
/// assert!(now.await.unwrap_err().is_cancelled());
/// # }
/// ```
#[must_use = "a tool's call does nothing until it is awaited"]
pub struct ToolFuture {
    state: State,
}

enum State {
    Future(Pin<Box<dyn Future<Output = Outcome> + Send + 'static>>),
    Ready(Option<Outcome>),
    Blocking {
        tool: &'static str,
        body: Option<Body>,
    },
    Running {
        tool: &'static str,
        handle: JoinHandle<Outcome>,
    },
}

impl ToolFuture {
    /// A call that runs `future`.
    pub fn new(future: impl Future<Output = Outcome> + Send + 'static) -> Self {
        Self {
            state: State::Future(Box::pin(future)),
        }
    }

    /// A call whose result is known already.
    pub fn ready(outcome: Outcome) -> Self {
        Self {
            state: State::Ready(Some(outcome)),
        }
    }

    /// A call of the synchronous tool `tool` that runs `body` on the blocking pool (inline when
    /// there is no runtime). Dropping the future cannot stop a body that has started: blocking
    /// code has no await point.
    pub(crate) fn blocking(tool: &'static str, body: Body) -> Self {
        Self {
            state: State::Blocking {
                tool,
                body: Some(body),
            },
        }
    }

    /// The synchronous body of a call that has not started, for a turn to run it itself.
    pub(crate) fn take_blocking(&mut self) -> Option<Body> {
        match &mut self.state {
            State::Blocking { body, .. } => body.take(),
            _ => None,
        }
    }
}

impl Future for ToolFuture {
    type Output = Outcome;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outcome> {
        let state = &mut self.state;
        loop {
            match state {
                State::Future(future) => return future.as_mut().poll(cx),
                State::Ready(outcome) => {
                    return Poll::Ready(outcome.take().unwrap_or(Err(ToolError::Cancelled)));
                }
                State::Blocking { tool, body } => {
                    let Some(body) = body.take() else {
                        return Poll::Ready(Err(ToolError::Cancelled));
                    };
                    match tokio::runtime::Handle::try_current() {
                        Ok(handle) => {
                            let tool = *tool;
                            *state = State::Running {
                                tool,
                                handle: handle.spawn_blocking(body),
                            };
                        }
                        Err(_) => return Poll::Ready(body()),
                    }
                }
                State::Running { tool, handle } => {
                    return Pin::new(handle).poll(cx).map(|joined| match joined {
                        Ok(outcome) => outcome,
                        Err(error) if error.is_panic() => {
                            Err(panicked(tool, error.into_panic().as_ref()))
                        }
                        Err(_) => Err(ToolError::Cancelled),
                    });
                }
            }
        }
    }
}

impl fmt::Debug for ToolFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Future(_) => "future",
            State::Ready(_) => "ready",
            State::Blocking { .. } => "blocking",
            State::Running { .. } => "running on the blocking pool",
        };
        f.debug_tuple("ToolFuture").field(&state).finish()
    }
}
