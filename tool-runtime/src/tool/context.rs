//! [`CallContext`]: what a tool knows about the call it is serving, and [`RunData`], what a run
//! gives its tools.

use std::any::{Any, TypeId, type_name};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};

use tokio_util::sync::CancellationToken;

/// What a tool knows about the call it is serving: the call's id, the tool's name, a
/// cancellation token, and the data of the run the call belongs to.
///
/// A tool takes it as a parameter (`ctx: CallContext`) or reads it in a hand-written
/// [`Tool::call`](super::Tool::call). Cloning is cheap.
///
/// The token fires when the call runs out of time, when its turn is cancelled or dropped, and
/// when its run is dropped. An async tool can race its work against
/// [`cancelled`](Self::cancelled); a synchronous one can poll
/// [`is_cancelled`](Self::is_cancelled) and return early.
///
/// Work that goes on after the call's future is gone (a synchronous tool on the blocking pool,
/// which a timeout cannot stop) keeps the call's place in the sequential chain and its
/// concurrency permit with [`keep_place`](Self::keep_place), so that a timed-out call never
/// overlaps the next one; returning early on the token frees them at once. A synchronous
/// `#[tool]` does this for its body. Other clones of the context keep nothing: a task that
/// outlives the call holding one does not hold up the turn.
///
/// ```
/// use tool_runtime::{CallContext, RunData};
///
/// #[derive(Debug, PartialEq)]
/// struct UserId(u64);
///
/// let ctx = CallContext::new("call_1")
///     .with_tool("get_weather")
///     .with_run_data(RunData::new().with(UserId(7)));
/// assert_eq!(ctx.call_id(), "call_1");
/// assert_eq!(ctx.tool_name(), "get_weather");
/// assert_eq!(ctx.run_data().get::<UserId>(), Some(&UserId(7)));
/// assert!(!ctx.is_cancelled());
/// ```
#[derive(Clone)]
pub struct CallContext {
    inner: Arc<Inner>,
}

struct Inner {
    call_id: CallId,
    /// The tool's name: given when the context is made, or by the first call it serves.
    tool: OnceLock<Arc<str>>,
    cancel: Cancel,
    run_data: RunData,
    /// Where the turn keeps the call's place in the chain and its permit, while the call's task
    /// or a [`PlaceGuard`] holds it.
    place: Weak<Hold>,
}

/// A call's id, kept inside its context when it is as short as providers' ids are (no
/// allocation of its own), shared otherwise.
#[derive(Clone)]
enum CallId {
    Inline { bytes: [u8; INLINE_ID], len: u8 },
    Shared(Arc<str>),
}

/// The longest id kept inline: OpenAI's `call_…` ids have 29 bytes, Anthropic's `toolu_…` 30.
const INLINE_ID: usize = 46;

impl CallId {
    fn new(id: &str) -> Self {
        let Some(len) = u8::try_from(id.len())
            .ok()
            .filter(|&len| usize::from(len) <= INLINE_ID)
        else {
            return Self::Shared(id.into());
        };
        let mut bytes = [0; INLINE_ID];
        bytes[..id.len()].copy_from_slice(id.as_bytes());
        Self::Inline { bytes, len }
    }

    fn as_str(&self) -> &str {
        match self {
            // Copied whole from a `str`: always UTF-8.
            Self::Inline { bytes, len } => {
                std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default()
            }
            Self::Shared(id) => id,
        }
    }
}

/// Things released when the call's task and every [`PlaceGuard`] of the call have let go.
#[derive(Default)]
pub(crate) struct Hold(Mutex<Vec<Box<dyn Any + Send>>>);

/// Keeps a call's place in its turn's sequential chain and its concurrency permit while it lives
/// (see [`CallContext::keep_place`]).
#[must_use = "the place is kept only while the guard lives"]
pub struct PlaceGuard(Option<Arc<Hold>>);

impl fmt::Debug for PlaceGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlaceGuard")
            .field("keeps", &self.0.is_some())
            .finish()
    }
}

impl Hold {
    pub(crate) fn keep(&self, thing: impl Any + Send) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Box::new(thing));
    }
}

/// A call's cancellation: its token is made the first time someone asks for it (most tools never
/// do), as a child of its turn's token, already cancelled if the call was.
enum Cancel {
    /// The call's own.
    Own {
        /// The turn's token, whose cancellation is the call's.
        parent: Option<Arc<CancellationToken>>,
        token: OnceLock<CancellationToken>,
        /// Whether the call itself was cancelled (its time is up). Held while the token is
        /// made, so that a cancellation is never lost between the two.
        cancelled: Mutex<bool>,
    },
    /// The context's this one was made from, with other parts: the same cancellation.
    Of(Arc<Inner>),
    /// A token given.
    Given(CancellationToken),
}

impl Cancel {
    fn new(parent: Option<Arc<CancellationToken>>) -> Self {
        Self::Own {
            parent,
            token: OnceLock::new(),
            cancelled: Mutex::new(false),
        }
    }

    fn token(&self) -> &CancellationToken {
        match self {
            Self::Own {
                parent,
                token,
                cancelled,
            } => {
                if let Some(token) = token.get() {
                    return token;
                }
                let cancelled = lock(cancelled);
                token.get_or_init(|| {
                    let token = match parent {
                        Some(parent) => parent.child_token(),
                        None => CancellationToken::new(),
                    };
                    if *cancelled {
                        token.cancel();
                    }
                    token
                })
            }
            Self::Of(other) => other.cancel.token(),
            Self::Given(token) => token,
        }
    }

    fn cancel(&self) {
        match self {
            Self::Own {
                token, cancelled, ..
            } => {
                let mut cancelled = lock(cancelled);
                *cancelled = true;
                if let Some(token) = token.get() {
                    token.cancel();
                }
            }
            Self::Of(other) => other.cancel.cancel(),
            Self::Given(token) => token.cancel(),
        }
    }

    fn is_cancelled(&self) -> bool {
        match self {
            Self::Own {
                parent,
                token,
                cancelled,
            } => {
                if let Some(token) = token.get() {
                    return token.is_cancelled();
                }
                *lock(cancelled) || parent.as_ref().is_some_and(|parent| parent.is_cancelled())
            }
            Self::Of(other) => other.cancel.is_cancelled(),
            Self::Given(token) => token.is_cancelled(),
        }
    }
}

fn lock(cancelled: &Mutex<bool>) -> std::sync::MutexGuard<'_, bool> {
    cancelled.lock().unwrap_or_else(PoisonError::into_inner)
}

impl CallContext {
    /// A context for the call with this id: no tool name yet, a token of its own, no run data.
    pub fn new(call_id: impl AsRef<str>) -> Self {
        Self::from_parts(
            CallId::new(call_id.as_ref()),
            OnceLock::new(),
            Cancel::new(None),
            RunData::new(),
            Weak::new(),
        )
    }

    /// A context for a call run by a turn.
    pub(crate) fn for_turn(
        call_id: &str,
        tool: Arc<str>,
        turn: Arc<CancellationToken>,
        run_data: RunData,
        place: Option<&Arc<Hold>>,
    ) -> Self {
        Self::from_parts(
            CallId::new(call_id),
            OnceLock::from(tool),
            Cancel::new(Some(turn)),
            run_data,
            place.map_or_else(Weak::new, Arc::downgrade),
        )
    }

    fn from_parts(
        call_id: CallId,
        tool: OnceLock<Arc<str>>,
        cancel: Cancel,
        run_data: RunData,
        place: Weak<Hold>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                call_id,
                tool,
                cancel,
                run_data,
                place,
            }),
        }
    }

    /// A context for the same call with other parts: a name, a cancellation, run data.
    fn remade(&self, tool: OnceLock<Arc<str>>, cancel: Cancel, run_data: RunData) -> Self {
        let inner = &self.inner;
        let place = inner.place.clone();
        Self::from_parts(inner.call_id.clone(), tool, cancel, run_data, place)
    }

    /// The same cancellation, for a context with other parts.
    fn same_cancel(&self) -> Cancel {
        Cancel::Of(self.inner.clone())
    }

    /// This context, for the tool with this name.
    #[must_use]
    pub fn with_tool(self, tool: impl Into<Arc<str>>) -> Self {
        let run_data = self.inner.run_data.clone();
        self.remade(OnceLock::from(tool.into()), self.same_cancel(), run_data)
    }

    /// This context with `token` as its token, replacing the one it had (and its ties to a
    /// turn): [`cancellation`](Self::cancellation) gives `token` itself. For contexts made by
    /// hand, e.g. to call a tool with [`Toolbox::call`](crate::Toolbox::call) under a token of
    /// yours; to tie a turn's calls to a token, see
    /// [`Turn::with_cancellation`](crate::turn::Turn::with_cancellation).
    #[must_use]
    pub fn with_cancellation(self, token: CancellationToken) -> Self {
        let (tool, run_data) = (self.inner.tool.clone(), self.inner.run_data.clone());
        self.remade(tool, Cancel::Given(token), run_data)
    }

    /// This context, with the data of a run.
    #[must_use]
    pub fn with_run_data(self, run_data: RunData) -> Self {
        self.remade(self.inner.tool.clone(), self.same_cancel(), run_data)
    }

    /// The provider's id for this call (`call_…` on OpenAI, `toolu_…` on Anthropic).
    pub fn call_id(&self) -> &str {
        self.inner.call_id.as_str()
    }

    /// The id of the run the call belongs to: an [`Agent`](crate::Agent) run's (given with
    /// [`RunRequest::with_run_id`](crate::agent::RunRequest::with_run_id), or made when the run
    /// starts, and kept when a paused run resumes); `None` for a call outside a run.
    pub fn run_id(&self) -> Option<&str> {
        self.inner.run_data.run_id()
    }

    /// The turn of the run the call belongs to (counting from 1: the model's response that
    /// asked for it), for an [`Agent`](crate::Agent) run's calls.
    pub fn turn(&self) -> Option<usize> {
        self.inner.run_data.turn()
    }

    /// A key for this call that a tool passes to the outside system it changes, so that the
    /// system does the change once however often it is asked (Stripe's `Idempotency-Key`, an
    /// upsert's key): `{run id}/{turn}/{call id}` for an [`Agent`](crate::Agent) run's call
    /// (the turn, because some servers number their call ids anew in every response),
    /// `{run id}/{call id}` for a [`Turn`](crate::turn::Turn) of your own given a run id, or the
    /// call id alone outside a run. The same for the call whenever it runs: resumed after a
    /// pause, or run again after a crash ([`journal`](crate::journal)).
    ///
    /// ```
    /// use tool_runtime::{CallContext, RunData};
    ///
    /// let ctx = CallContext::new("call_7").with_run_data(RunData::new().with_run_id("run_42"));
    /// assert_eq!(ctx.run_id(), Some("run_42"));
    /// assert_eq!(ctx.idempotency_key(), "run_42/call_7");
    /// assert_eq!(CallContext::new("call_7").idempotency_key(), "call_7");
    /// ```
    pub fn idempotency_key(&self) -> String {
        match (self.run_id(), self.turn()) {
            (Some(run), Some(turn)) => format!("{run}/{turn}/{}", self.call_id()),
            (Some(run), None) => format!("{run}/{}", self.call_id()),
            (None, _) => self.call_id().to_owned(),
        }
    }

    /// The name of the tool called (empty for a context made by hand without one, until it
    /// serves a call).
    pub fn tool_name(&self) -> &str {
        self.inner.tool.get().map_or("", |tool| tool)
    }

    /// Whether this is a context for the tool `tool`: one without a tool name is given it
    /// (a context serves one call, of one tool).
    pub(crate) fn is_for(&self, tool: &Arc<str>) -> bool {
        let named = self.inner.tool.get_or_init(|| tool.clone());
        Arc::ptr_eq(named, tool) || **named == **tool
    }

    /// The call's cancellation token: hand it to work the tool starts (a spawned task, a
    /// request) so that it stops with the call.
    pub fn cancellation(&self) -> &CancellationToken {
        self.inner.cancel.token()
    }

    /// Whether the call has been cancelled (its time is up, or its turn or run is gone).
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancel.is_cancelled()
    }

    /// Completes when the call is cancelled.
    pub async fn cancelled(&self) {
        self.inner.cancel.token().cancelled().await;
    }

    /// The data of the run the call belongs to.
    pub fn run_data(&self) -> &RunData {
        &self.inner.run_data
    }

    /// Keeps the call's place in its turn's sequential chain and its concurrency permit for as
    /// long as the guard lives, even after the call's future has ended: for work that outlives
    /// the future (a thread of its own, which a timeout cannot stop) and must not overlap the
    /// next call. A synchronous `#[tool]` keeps one for its body.
    ///
    /// A guard taken outside a turn, or after the call has ended, keeps nothing.
    ///
    /// ```
    /// use tool_runtime::tool::{Arguments, Tool, ToolDefinition, ToolFuture, ToolOutput};
    /// use tool_runtime::CallContext;
    ///
    /// /// Runs a blocking job on a thread of its own.
    /// struct Job(ToolDefinition);
    ///
    /// impl Tool for Job {
    ///     fn definition(&self) -> &ToolDefinition {
    ///         &self.0
    ///     }
    ///
    ///     fn call(&self, _: &Arguments, ctx: &CallContext) -> ToolFuture {
    ///         let (place, ctx) = (ctx.keep_place(), ctx.clone());
    ///         let (done, result) = tokio::sync::oneshot::channel();
    ///         std::thread::spawn(move || {
    ///             let _place = place; // until the job is over, even past a timeout
    ///             while !ctx.is_cancelled() {
    ///                 // … one step of the job …
    ///                 # break;
    ///             }
    ///             let _ = done.send("done");
    ///         });
    ///         ToolFuture::new(async move {
    ///             let text = result.await.unwrap_or("stopped");
    ///             Ok(ToolOutput::text(text))
    ///         })
    ///     }
    /// }
    /// ```
    pub fn keep_place(&self) -> PlaceGuard {
        PlaceGuard(self.inner.place.upgrade())
    }

    /// Cancels this call alone (its time is up).
    pub(crate) fn cancel(&self) {
        self.inner.cancel.cancel();
    }
}

impl fmt::Debug for CallContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallContext")
            .field("call_id", &self.call_id())
            .field("run_id", &self.run_id())
            .field("turn", &self.turn())
            .field("tool", &self.tool_name())
            .field("cancelled", &self.is_cancelled())
            .field("run_data", &self.inner.run_data)
            .finish_non_exhaustive()
    }
}

/// Data given to one run (or one turn): a user id, an auth token, a request-scoped client — one
/// value per type. Its tools read it with the [`PerRun<T>`](crate::PerRun) extractor or
/// [`CallContext::run_data`]. Cloning is cheap.
///
/// ```
/// use tool_runtime::RunData;
///
/// struct UserId(u64);
/// struct Locale(&'static str);
///
/// let data = RunData::new().with(UserId(7)).with(Locale("de"));
/// assert_eq!(data.get::<UserId>().map(|user| user.0), Some(7));
/// assert!(data.get::<String>().is_none());
/// ```
#[derive(Clone, Default)]
pub struct RunData {
    /// `None` while there is none: most runs have no data, and make none.
    values: Option<Arc<HashMap<TypeId, Entry>>>,
    /// The id of the run the data is given to (an [`Agent`](crate::Agent) run's own).
    run_id: Option<Arc<str>>,
    /// The turn of that run whose calls see the data.
    turn: Option<usize>,
}

#[derive(Clone)]
struct Entry {
    name: &'static str,
    value: Arc<dyn Any + Send + Sync>,
}

impl RunData {
    /// No data.
    pub fn new() -> Self {
        Self::default()
    }

    /// This data and `value` (replacing a value of the same type).
    #[must_use]
    pub fn with<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        let entry = Entry {
            name: type_name::<T>(),
            value: Arc::new(value),
        };
        let values = self.values.get_or_insert_with(Arc::default);
        Arc::make_mut(values).insert(TypeId::of::<T>(), entry);
        self
    }

    /// This data, for the run with this id. An [`Agent`](crate::Agent) run sets its own id (the
    /// one given with [`RunRequest::with_run_id`](crate::agent::RunRequest::with_run_id), or one
    /// it makes); set it for a [`Turn`](crate::turn::Turn) of your own that belongs to a run.
    #[must_use]
    pub fn with_run_id(mut self, run_id: impl Into<Arc<str>>) -> Self {
        self.run_id = Some(run_id.into());
        self
    }

    /// The id of the run this data is given to, if it is set.
    pub fn run_id(&self) -> Option<&str> {
        self.run_id.as_deref()
    }

    /// This data, for the calls of this turn of its run.
    #[must_use]
    pub(crate) fn with_turn(mut self, turn: usize) -> Self {
        self.turn = Some(turn);
        self
    }

    /// The turn of the run whose calls see this data, if it is set.
    pub(crate) fn turn(&self) -> Option<usize> {
        self.turn
    }

    /// The value of type `T`, if there is one.
    pub fn get<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.entry(TypeId::of::<T>())?.value.downcast_ref()
    }

    /// The value of type `T`, shared, if there is one.
    pub fn get_arc<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        self.entry(TypeId::of::<T>())?.value.clone().downcast().ok()
    }

    /// Whether there is a value of type `T`.
    pub fn contains<T: Send + Sync + 'static>(&self) -> bool {
        self.contains_id(TypeId::of::<T>())
    }

    pub(crate) fn contains_id(&self, type_id: TypeId) -> bool {
        self.entry(type_id).is_some()
    }

    fn entry(&self, type_id: TypeId) -> Option<&Entry> {
        self.values.as_ref()?.get(&type_id)
    }

    /// How many values there are.
    pub fn len(&self) -> usize {
        self.values.as_ref().map_or(0, |values| values.len())
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Debug for RunData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The types only: the values may be secrets (an auth token).
        f.debug_set()
            .entries(
                self.values
                    .iter()
                    .flat_map(|values| values.values())
                    .map(|entry| entry.name),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_of_every_length_read_back() {
        let long = "x".repeat(INLINE_ID + 1);
        let edge = "y".repeat(INLINE_ID);
        for id in [
            "",
            "call_1",
            "toolu_01A09q90qw90lq917835lq9",
            "ü…",
            &edge,
            &long,
        ] {
            assert_eq!(CallContext::new(id).call_id(), id);
        }
        assert!(matches!(CallId::new(&edge), CallId::Inline { .. }));
        assert!(matches!(CallId::new(&long), CallId::Shared(_)));
    }

    #[test]
    fn a_context_made_by_hand_serves_one_tool() {
        let (a, b): (Arc<str>, Arc<str>) = ("a".into(), "b".into());
        let context = CallContext::new("call_1");
        assert_eq!(context.tool_name(), "");
        assert!(context.is_for(&a));
        assert_eq!(context.tool_name(), "a");
        assert!(!context.is_for(&b));
        assert!(context.is_for(&a));
    }

    #[test]
    fn contexts_made_from_one_share_its_cancellation() {
        let context = CallContext::new("call_1");
        let named = context.clone().with_tool("t");
        let with_data = named.clone().with_run_data(RunData::new().with(7_u8));
        assert_eq!(with_data.tool_name(), "t");
        assert_eq!(with_data.run_data().get::<u8>(), Some(&7));
        with_data.cancel();
        assert!(context.is_cancelled() && named.is_cancelled());
        // A token asked for after the cancellation is born cancelled.
        assert!(named.cancellation().is_cancelled());

        let given = CancellationToken::new();
        let own = CallContext::new("call_2").with_cancellation(given.clone());
        given.cancel();
        assert!(own.is_cancelled());
    }
}
