//! [`ToolFuture`]: what a tool's call gives back, to be run by whoever awaits it.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::task::JoinHandle;

use super::{ToolError, ToolOutput};

type Outcome = Result<ToolOutput, ToolError>;

/// A synchronous tool's body, run off the async workers.
pub(crate) type Body = Box<dyn FnOnce() -> Outcome + Send + 'static>;

/// The future a [`Tool`](super::Tool) returns: `'static` and `Send`, so the runtime can spawn it.
///
/// Make one from any future with [`ToolFuture::new`], or from a result known at once with
/// [`ToolFuture::ready`]. A synchronous `#[tool] fn` returns one that runs its body on tokio's
/// blocking pool; a [`Turn`](crate::turn::Turn) hands such a body to the blocking pool straight
/// away, without an async task in between, so that one synchronous call costs about what an
/// asynchronous one does (many at once cost more: the pool hands each to a thread of its own).
///
/// ```
/// use tool_runtime::tool::{ToolError, ToolFuture, ToolOutput};
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
pub struct ToolFuture(Pin<Box<dyn Call>>);

/// A call in progress. Every future is one; a synchronous call is one that can also hand over
/// its body before it starts.
trait Call: Send {
    fn poll_call(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outcome>;

    /// The body, when this is a synchronous call that has not started.
    fn take_blocking(self: Pin<&mut Self>) -> Option<Body> {
        None
    }
}

impl<F: Future<Output = Outcome> + Send> Call for F {
    fn poll_call(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outcome> {
        self.poll(cx)
    }
}

/// A synchronous tool's call: its body, then (once polled) its task on the blocking pool.
enum Blocking {
    Waiting(&'static str, Option<Body>),
    Running(&'static str, JoinHandle<Outcome>),
}

impl Call for Blocking {
    fn poll_call(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outcome> {
        let this = &mut *self;
        if let Blocking::Waiting(tool, body) = this {
            let Some(body) = body.take() else {
                return Poll::Ready(Err(ToolError::Cancelled));
            };
            match tokio::runtime::Handle::try_current() {
                Ok(handle) => *this = Blocking::Running(tool, handle.spawn_blocking(body)),
                Err(_) => return Poll::Ready(body()),
            }
        }
        match this {
            Blocking::Running(tool, handle) => {
                Pin::new(handle).poll(cx).map(|joined| match joined {
                    Ok(outcome) => outcome,
                    Err(error) if error.is_panic() => {
                        Err(ToolError::panicked(tool, error.into_panic().as_ref()))
                    }
                    Err(_) => Err(ToolError::Cancelled),
                })
            }
            Blocking::Waiting(..) => Poll::Ready(Err(ToolError::Cancelled)),
        }
    }

    fn take_blocking(mut self: Pin<&mut Self>) -> Option<Body> {
        match &mut *self {
            Blocking::Waiting(_, body) => body.take(),
            Blocking::Running(..) => None,
        }
    }
}

impl ToolFuture {
    /// A call that runs `future`.
    pub fn new(future: impl Future<Output = Outcome> + Send + 'static) -> Self {
        Self(Box::pin(future))
    }

    /// A call whose result is known already.
    pub fn ready(outcome: Outcome) -> Self {
        Self::new(std::future::ready(outcome))
    }

    /// A call of the synchronous tool `tool` that runs `body` on the blocking pool (inline when
    /// there is no runtime). Dropping the future cannot stop a body that has started: blocking
    /// code has no await point.
    pub(crate) fn blocking(tool: &'static str, body: Body) -> Self {
        Self(Box::pin(Blocking::Waiting(tool, Some(body))))
    }

    /// The synchronous body of a call that has not started, for a turn to run it itself.
    pub(crate) fn take_blocking(&mut self) -> Option<Body> {
        self.0.as_mut().take_blocking()
    }
}

impl Future for ToolFuture {
    type Output = Outcome;

    #[inline]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outcome> {
        self.0.as_mut().poll_call(cx)
    }
}

impl fmt::Debug for ToolFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ToolFuture")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blocking_call_hands_over_its_body_once() {
        let mut future = ToolFuture::blocking("t", Box::new(|| Ok(ToolOutput::text("x"))));
        let body = future.take_blocking().expect("a body");
        assert_eq!(body().unwrap().as_str(), "x");
        assert!(future.take_blocking().is_none());
        assert!(
            ToolFuture::new(async { Ok(ToolOutput::text("y")) })
                .take_blocking()
                .is_none()
        );
    }
}
