//! [`Sequence`]: where the calls of sequential tools wait their turn, one at a time, in the order
//! they were started.

use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::oneshot;

/// The chain of sequential calls: each waits for the one started before it to let go. A turn has
/// its own; turns given the same one (an MCP server's requests) share one chain.
#[derive(Clone, Default)]
pub(crate) struct Sequence {
    /// The last call's end: the next call to join waits for it.
    last: Arc<Mutex<Option<oneshot::Receiver<()>>>>,
}

/// A call's place in the chain.
pub(crate) struct Place {
    /// The previous call's end: dropped (finished, failed, panicked or aborted) means this call's
    /// turn.
    pub(crate) after: Option<oneshot::Receiver<()>>,
    /// This call's end: held while it runs, the next call waits for it.
    pub(crate) done: oneshot::Sender<()>,
}

impl Sequence {
    /// A place at the end of the chain.
    pub(crate) fn join(&self) -> Place {
        let (done, next) = oneshot::channel();
        let after = self
            .last
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .replace(next);
        Place { after, done }
    }
}

impl Place {
    /// Gives up the place before its turn came, without letting the next call overtake the one
    /// before: the next waits for that one instead.
    pub(crate) fn pass_on(self) {
        let Place { after, done } = self;
        if let Some(after) = after {
            tokio::spawn(async move {
                let _ = after.await;
                drop(done);
            });
        }
    }
}
