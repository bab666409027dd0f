//! [`CallContext`]: what a tool knows about the call it is serving.

use std::any::Any;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

/// What a tool knows about the call it is serving.
///
/// A tool that keeps working after its future is gone (a synchronous tool on the blocking pool,
/// which a timeout cannot stop) keeps a clone of its context until it is done: the runtime holds
/// the call's place in the sequential chain and its concurrency permit until every clone is
/// dropped, so a timed-out call never overlaps the next one.
#[derive(Debug, Clone)]
pub struct CallContext {
    call_id: Arc<str>,
    // Never read: held only for what dropping the last clone releases.
    #[allow(dead_code)]
    hold: Option<Arc<Hold>>,
}

/// Things released when the last holder of a call's context lets go.
#[derive(Default)]
pub(crate) struct Hold(Mutex<Vec<Box<dyn Any + Send>>>);

impl Hold {
    pub(crate) fn keep(&self, thing: impl Any + Send) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Box::new(thing));
    }
}

impl fmt::Debug for Hold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Hold")
    }
}

impl CallContext {
    /// A context for the call with this id.
    pub fn new(call_id: impl Into<Arc<str>>) -> Self {
        Self {
            call_id: call_id.into(),
            hold: None,
        }
    }

    /// A context for a call run by a turn, holding what the call holds.
    pub(crate) fn holding(call_id: impl Into<Arc<str>>, hold: Arc<Hold>) -> Self {
        Self {
            call_id: call_id.into(),
            hold: Some(hold),
        }
    }

    /// The provider's id for this call (`call_…` on OpenAI, `toolu_…` on Anthropic).
    pub fn call_id(&self) -> &str {
        &self.call_id
    }
}
