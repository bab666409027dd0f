//! [`Turn`]: the calls of one model message, each started the moment it is known, every one
//! answered exactly once.

mod call;
mod hooks;
mod sequence;

use std::collections::{HashMap, VecDeque};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::{self, JoinSet};
use tokio_util::sync::CancellationToken;

use crate::conversation::{ToolCall, ToolResult, answer_every_call};
use crate::run::pause::{Admission, Gate};
use crate::tool::{CallContext, Hold, Registry, RunData, ToolError, Toolbox};
pub use hooks::{CallHooks, Outcome, Verdict};
pub(crate) use sequence::Sequence;

/// The calls of one model message, run concurrently; each call gets exactly one result.
///
/// Every call of the message takes a place, in the model's order: [`start`](Self::start) runs
/// it the moment it is known (with streaming, the moment its arguments are complete),
/// [`hold`](Self::hold) keeps its place for a result you give later with
/// [`answer`](Self::answer). [`next`](Self::next) shows results as they arrive,
/// [`join_all`](Self::join_all) gives one result per place, in order, and [`cancel`](Self::cancel)
/// stops what is still running and answers it `Cancelled`. A call's index is its place.
///
/// Each call runs on its own tokio task (so CPU-heavy tools use every worker of a multi-thread
/// runtime), up to the toolbox's concurrency cap; synchronous tools run on the blocking pool.
/// Calls of tools marked `sequential` run one at a time, in the order they were started, while
/// the others fan out around them. Nothing a call does can take its siblings down: an unknown
/// tool, invalid arguments, an `Err`, a panic or a timeout each become that call's error result.
///
/// Each call's [`CallContext`] carries a cancellation token of its own, a child of the turn's
/// (itself a child of the token given to [`with_cancellation`](Self::with_cancellation)): it
/// fires when the call runs out of time, when the turn is cancelled or dropped, and when the
/// given token fires.
///
/// Dropping a turn aborts every call still running and fires their tokens (a synchronous tool
/// already running on the blocking pool cannot be stopped: it finishes on its own, unobserved,
/// still holding its place in the sequential chain, unless it sees its token and returns early).
///
/// ```
/// use tool_runtime::conversation::ToolCall;
/// use tool_runtime::{tool, tools};
///
/// /// Double a number.
/// #[tool]
/// async fn double(x: i64) -> i64 {
///     x * 2
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let toolbox = tools![double];
/// let mut turn = toolbox.turn();
/// turn.start(&ToolCall::new("call_1", "double", r#"{"x": 2}"#));
/// // … later calls may start while the first runs …
/// turn.start(&ToolCall::new("call_2", "double", r#"{"x": 21}"#));
/// while let Some((index, result)) = turn.next().await {
///     println!("call {index} done: {}", result.content());
/// }
/// let results = turn.join_all().await;
/// assert_eq!(results[1].content(), "42");
/// # }
/// ```
pub struct Turn<'t> {
    registry: &'t Registry,
    /// The parent of every call's token: cancelled when the turn is cancelled or dropped.
    token: Arc<CancellationToken>,
    /// Given to every call.
    run_data: RunData,
    /// Around every call.
    hooks: CallHooks,
    /// What becomes of a call that needs a person's approval.
    gate: Gate,
    /// One per place, in the model's order.
    slots: Vec<Slot>,
    /// Places answered without a task (an unknown tool, a panic while decoding), not yet seen
    /// by `next`.
    ready: VecDeque<usize>,
    tasks: JoinSet<call::CallEnd>,
    task_index: HashMap<task::Id, usize>,
    permits: Option<Arc<Semaphore>>,
    /// Where sequential calls wait their turn.
    sequence: Sequence,
}

/// A place of the message: its call running, held, or answered.
enum Slot {
    Running {
        call_id: String,
        name: String,
    },
    /// Not run: its result is given later ([`Turn::answer`]), or it has none.
    Held {
        call_id: String,
        name: String,
    },
    Answered(ToolResult),
}

impl Slot {
    fn name(&self) -> &str {
        match self {
            Self::Running { name, .. } | Self::Held { name, .. } => name,
            Self::Answered(result) => &result.name,
        }
    }

    /// The call's result, if it has one.
    fn into_result(self) -> Option<ToolResult> {
        match self {
            Self::Answered(result) => Some(result),
            Self::Running { .. } | Self::Held { .. } => None,
        }
    }

    /// The call's result, `Cancelled` if it has none.
    fn into_answer(self) -> ToolResult {
        match self {
            Self::Answered(result) => result,
            Self::Running { call_id, name } | Self::Held { call_id, name } => {
                ToolResult::new(call_id, name, Err(ToolError::Cancelled))
            }
        }
    }
}

impl<S> Toolbox<S> {
    /// A new, empty turn over these tools, without run data, cancelled only when cancelled or
    /// dropped itself.
    pub fn turn(&self) -> Turn<'_> {
        let registry = self.registry();
        Turn {
            registry,
            token: Arc::new(CancellationToken::new()),
            run_data: RunData::new(),
            hooks: CallHooks::new(),
            gate: Gate::Deny,
            slots: Vec::new(),
            ready: VecDeque::new(),
            tasks: JoinSet::new(),
            task_index: HashMap::new(),
            permits: registry
                .max_concurrency()
                .map(|max| Arc::new(Semaphore::new(max))),
            sequence: Sequence::default(),
        }
    }

    /// Runs every call of a turn and returns one result per call, in the calls' order.
    ///
    /// Sugar for a [`Turn`] that starts every call, then joins them all. Dropping the returned future
    /// aborts every call still running; to keep the results that arrived before an
    /// interruption, drive a [`Turn`] yourself, or finish with [`complete_turn`].
    ///
    /// ```
    /// use tool_runtime::conversation::ToolCall;
    /// use tool_runtime::{tool, tools};
    ///
    /// /// Double a number.
    /// #[tool]
    /// async fn double(x: i64) -> i64 {
    ///     x * 2
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let toolbox = tools![double];
    /// let calls = [
    ///     ToolCall::new("call_1", "double", r#"{"x": 2}"#),
    ///     ToolCall::new("call_2", "triple", r#"{"x": 2}"#),
    /// ];
    /// let results = toolbox.run(&calls).await;
    /// assert_eq!(results[0].content(), "4");
    /// assert!(results[1].is_error());
    /// assert_eq!(results[1].call_id, "call_2");
    /// # }
    /// ```
    pub async fn run(&self, calls: &[ToolCall]) -> Vec<ToolResult> {
        let mut turn = self.turn();
        for call in calls {
            turn.start(call);
        }
        turn.join_all().await
    }
}

impl<'t> Turn<'t> {
    /// This turn, giving its calls the data of a run ([`PerRun<T>`](crate::tool::PerRun),
    /// [`CallContext::run_data`]).
    ///
    /// ```
    /// use tool_runtime::conversation::ToolCall;
    /// use tool_runtime::tool::{PerRun, RunData};
    /// use tool_runtime::{tool, tools};
    ///
    /// struct UserId(u64);
    ///
    /// /// Who is asking.
    /// #[tool]
    /// fn whoami(PerRun(user): PerRun<UserId>) -> u64 {
    ///     user.0
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let toolbox = tools![whoami];
    /// let mut turn = toolbox.turn().with_run_data(RunData::new().with(UserId(7)));
    /// turn.start(&ToolCall::new("call_1", "whoami", "{}"));
    /// assert_eq!(turn.join_all().await[0].content(), "7");
    /// # }
    /// ```
    ///
    /// Calls started before keep the data they were given.
    #[must_use]
    pub fn with_run_data(mut self, run_data: RunData) -> Self {
        self.run_data = run_data;
        self
    }

    /// This turn, with `hooks` around every call it starts from now on (see [`CallHooks`]).
    #[must_use]
    pub fn with_hooks(mut self, hooks: &CallHooks) -> Self {
        self.hooks = hooks.clone();
        self
    }

    /// This turn, whose calls' tokens fire also when `token` fires (they are its children),
    /// replacing a token given before. The turn itself goes on: [`cancel`](Self::cancel) it, or
    /// drop it, to stop waiting for tools that do not look at their token.
    ///
    /// # Panics
    /// If a call was started already: its token could not be tied to `token`.
    #[must_use]
    #[track_caller]
    pub fn with_cancellation(mut self, token: &CancellationToken) -> Self {
        assert!(
            self.slots.is_empty(),
            "`Turn::with_cancellation` must come before the first call is started"
        );
        self.token = Arc::new(token.child_token());
        self
    }

    /// This turn, holding the calls that need a person's approval instead of denying them.
    pub(crate) fn with_gate(mut self, gate: Gate) -> Self {
        self.gate = gate;
        self
    }

    /// This turn, whose sequential calls wait behind those of every turn given `sequence`.
    #[cfg_attr(not(feature = "mcp"), allow(dead_code))]
    pub(crate) fn with_sequence(mut self, sequence: &Sequence) -> Self {
        self.sequence = sequence.clone();
        self
    }

    /// Takes the next place for `call` and starts it; returns the place.
    ///
    /// The call's arguments are decoded here, on the caller's task; the tool then runs on a task
    /// of its own. A call that cannot run (an unknown tool, a decoder that panicked) has its
    /// error result at once.
    ///
    /// A call that [needs approval](crate::tool::ToolPolicy::needs_approval) is not run: it is
    /// answered with a [`ToolError::Denied`] saying so. The [`Agent`](crate::Agent) pauses for
    /// such calls instead; a loop of your own asks a person ([`hold`](Self::hold) keeps the
    /// call's place meanwhile), then starts the approved ones with
    /// [`start_approved`](Self::start_approved).
    pub fn start(&mut self, call: &ToolCall) -> usize {
        self.launch(call, Pass::Gate)
    }

    /// Takes the next place for `call`, which a person approved, and starts it: as
    /// [`start`](Self::start) does, but run even when its tool needs approval. (A
    /// [before hook](CallHooks::before) that replaces the arguments of an approved call is
    /// trusted with them.)
    pub fn start_approved(&mut self, call: &ToolCall) -> usize {
        self.launch(call, Pass::Approved)
    }

    /// Takes the next place for `call` without running it: its result is the one given to
    /// [`answer`](Self::answer), or `Cancelled` if none is given.
    ///
    /// ```
    /// use tool_runtime::conversation::ToolCall;
    /// use tool_runtime::tool::ToolError;
    /// use tool_runtime::{tool, tools};
    ///
    /// /// Delete a file.
    /// #[tool]
    /// fn delete(path: String) -> String {
    ///     format!("deleted {path}")
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let toolbox = tools![delete];
    /// let mut turn = toolbox.turn();
    /// let asked = turn.hold(&ToolCall::new("a", "delete", r#"{"path": "/etc"}"#));
    /// turn.start(&ToolCall::new("b", "delete", r#"{"path": "/tmp/x"}"#));
    /// turn.answer(asked, Err(ToolError::Denied("Not /etc.".into())));
    /// let results = turn.join_all().await;
    /// assert_eq!(results[0].content(), "Not /etc.");
    /// assert_eq!(results[1].content(), "deleted /tmp/x");
    /// # }
    /// ```
    pub fn hold(&mut self, call: &ToolCall) -> usize {
        self.slots.push(Slot::Held {
            call_id: call.id.clone(),
            name: call.name.clone(),
        });
        self.slots.len() - 1
    }

    /// Answers the held call at `index` (see [`hold`](Self::hold)), which [`next`](Self::next)
    /// then hands on as it does a finished call; `false`, and nothing changes, when that place
    /// holds no call waiting for its result.
    pub fn answer(&mut self, index: usize, outcome: Outcome) -> bool {
        let Some(slot) = self.slots.get_mut(index) else {
            return false;
        };
        let Slot::Held { call_id, name } = slot else {
            return false;
        };
        let result = ToolResult::new(std::mem::take(call_id), std::mem::take(name), outcome);
        *slot = Slot::Answered(result);
        self.ready.push_back(index);
        true
    }

    /// The places held without a result yet, in order.
    pub fn held(&self) -> impl Iterator<Item = usize> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, slot)| matches!(slot, Slot::Held { .. }))
            .map(|(index, _)| index)
    }

    /// Whether the call at `index` is held (see [`hold`](Self::hold)).
    pub fn is_held(&self, index: usize) -> bool {
        matches!(self.slots.get(index), Some(Slot::Held { .. }))
    }

    /// Whether [`start`](Self::start) would hold `call` for a person's decision rather than
    /// start it (the approval gate is asked here; [`start_admitted`](Self::start_admitted)
    /// then does not ask it again).
    pub(crate) fn would_hold(&self, call: &ToolCall) -> bool {
        self.registry.get(&call.name).is_some_and(|(tool, _)| {
            let policy = tool.definition().policy();
            matches!(self.gate.admit(policy, call, false), Admission::Hold)
        })
    }

    /// Starts `call`, which the approval gate let through already
    /// ([`would_hold`](Self::would_hold) said so): as [`start`](Self::start), without asking
    /// the gate a second time (a predicate on the arguments could answer otherwise).
    pub(crate) fn start_admitted(&mut self, call: &ToolCall) -> usize {
        self.launch(call, Pass::Admitted)
    }

    /// The result at `index`, if it has one.
    pub(crate) fn result(&self, index: usize) -> Option<&ToolResult> {
        self.answered(index).map(|(_, result)| result)
    }

    /// Replaces the result at `index` (one a journal could not keep).
    pub(crate) fn replace(&mut self, index: usize, result: ToolResult) {
        if let Some(slot @ Slot::Answered(_)) = self.slots.get_mut(index) {
            *slot = Slot::Answered(result);
        }
    }

    fn launch(&mut self, call: &ToolCall, pass: Pass) -> usize {
        let approved = pass == Pass::Approved;
        let index = self.slots.len();
        let Some((tool, name)) = self.registry.get(&call.name) else {
            let error = self.registry.unknown_tool(&call.name);
            self.answer_at_once(ToolResult::error(call, error));
            return index;
        };
        let definition = tool.definition();
        let policy = definition.policy();
        let admission = match pass {
            Pass::Admitted => Admission::Run,
            Pass::Gate | Pass::Approved => self.gate.admit(policy, call, approved),
        };
        match admission {
            Admission::Run => {}
            Admission::Hold => return self.hold(call),
            Admission::Deny(error) => {
                self.answer_at_once(ToolResult::error(call, error));
                return index;
            }
        }
        let timeout = policy.timeout().or(self.registry.default_timeout());
        // What a call holds while it runs (its place in the chain, its permit): only a call
        // that waits for one of them, or may outlive its time limit, needs somewhere to keep it.
        let free = !policy.is_sequential() && self.permits.is_none() && timeout.is_none();
        let hold = (!free).then(Arc::<Hold>::default);
        let context = CallContext::for_turn(
            &call.id,
            name.clone(),
            self.token.clone(),
            self.run_data.clone(),
            hold.as_ref(),
        );
        // A panic in a `Deserialize` impl or a hand-written `call` must not take the turn down.
        let start = || {
            if self.hooks.is_empty() {
                tool.call(&call.arguments, &context)
            } else {
                self.hooks.around(tool.clone(), call, &context, approved)
            }
        };
        let mut future = match catch_unwind(AssertUnwindSafe(start)) {
            Ok(future) => future,
            Err(payload) => {
                let error = ToolError::panicked(&call.name, payload.as_ref());
                self.answer_at_once(ToolResult::error(call, error));
                return index;
            }
        };
        let place = policy.is_sequential().then(|| self.sequence.join());
        let schedule = call::Schedule {
            place,
            permits: self.permits.clone(),
            timeout,
            context,
            hold,
        };
        // A synchronous body with nothing to wait for and no time limit goes to the blocking pool
        // straight away: one hop, as an async call's task makes, instead of two.
        let body = if schedule.is_free() {
            future.take_blocking()
        } else {
            None
        };
        let handle = match body {
            Some(body) => self
                .tasks
                .spawn_blocking(call::blocking_task(index, call, body)),
            None => self.tasks.spawn(call::task(index, call, future, schedule)),
        };
        self.task_index.insert(handle.id(), index);
        self.slots.push(Slot::Running {
            call_id: call.id.clone(),
            name: call.name.clone(),
        });
        index
    }

    /// Waits for the next call to finish (or to be answered: a held call given its result) and
    /// returns its place and result, each once; `None` once every call started so far has its
    /// result (held calls are not started).
    pub async fn next(&mut self) -> Option<(usize, &ToolResult)> {
        let index = match self.ready.pop_front() {
            Some(index) => index,
            None => {
                let joined = self.tasks.join_next_with_id().await?;
                self.joined(joined)
            }
        };
        self.answered(index)
    }

    /// The next result that is in already, without waiting: `None` when no call has finished
    /// since the last one was seen.
    pub fn try_next(&mut self) -> Option<(usize, &ToolResult)> {
        let index = match self.ready.pop_front() {
            Some(index) => index,
            None => {
                let joined = self.tasks.try_join_next_with_id()?;
                self.joined(joined)
            }
        };
        self.answered(index)
    }

    /// Records how a call's task ended and returns the call's place.
    fn joined(&mut self, joined: Result<(task::Id, call::CallEnd), task::JoinError>) -> usize {
        let (index, outcome, duration) = match joined {
            Ok((_, finished)) => finished,
            Err(error) => {
                let index = self.task_index[&error.id()];
                let reason = if error.is_panic() {
                    ToolError::panicked(self.slots[index].name(), error.into_panic().as_ref())
                } else {
                    ToolError::Cancelled
                };
                (index, Err(reason), Duration::ZERO)
            }
        };
        let slot = &mut self.slots[index];
        if let Slot::Running { call_id, name } = slot {
            let result = ToolResult::new(std::mem::take(call_id), std::mem::take(name), outcome);
            *slot = Slot::Answered(result.with_duration(duration));
        }
        index
    }

    fn answered(&self, index: usize) -> Option<(usize, &ToolResult)> {
        match &self.slots[index] {
            Slot::Answered(result) => Some((index, result)),
            Slot::Running { .. } | Slot::Held { .. } => None,
        }
    }

    /// Waits for every call started and returns one result per place, in order (a call held
    /// and never answered: `Cancelled`).
    pub async fn join_all(mut self) -> Vec<ToolResult> {
        while self.next().await.is_some() {}
        self.take_slots().map(Slot::into_answer).collect()
    }

    /// The old name of [`join_all`](Self::join_all).
    #[deprecated(note = "renamed `join_all`")]
    #[doc(hidden)]
    pub async fn finish(self) -> Vec<ToolResult> {
        self.join_all().await
    }

    /// Stops every call still running and returns one result per place, in order: the results
    /// that arrived are kept, every other call is answered `Cancelled`.
    pub fn cancel(mut self) -> Vec<ToolResult> {
        self.stop();
        self.take_slots().map(Slot::into_answer).collect()
    }

    /// Stops every call still running or held, keeping the results that are in: each call
    /// without one is answered `Cancelled`, and [`next`](Self::next) hands on every result not
    /// seen yet without waiting.
    pub(crate) fn stop(&mut self) {
        // Results that are in but were not asked for yet are kept.
        while let Some(joined) = self.tasks.try_join_next_with_id() {
            let index = self.joined(joined);
            self.ready.push_back(index);
        }
        self.token.cancel();
        self.tasks.abort_all();
        // An aborted task is not waited for: its place is answered here.
        self.tasks.detach_all();
        self.task_index.clear();
        for (index, slot) in self.slots.iter_mut().enumerate() {
            if let Slot::Running { call_id, name } | Slot::Held { call_id, name } = slot {
                let (call_id, name) = (std::mem::take(call_id), std::mem::take(name));
                *slot = Slot::Answered(ToolResult::new(call_id, name, Err(ToolError::Cancelled)));
                self.ready.push_back(index);
            }
        }
    }

    /// One slot per place once every call started has its result: `None` for a call held
    /// without one.
    pub(crate) async fn into_slots(mut self) -> Vec<Option<ToolResult>> {
        while self.next().await.is_some() {}
        self.take_slots().map(Slot::into_result).collect()
    }

    fn take_slots(&mut self) -> std::vec::IntoIter<Slot> {
        std::mem::take(&mut self.slots).into_iter()
    }

    /// How many places were taken.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether no place was taken.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Answers a call that could not start.
    fn answer_at_once(&mut self, result: ToolResult) {
        self.ready.push_back(self.slots.len());
        self.slots.push(Slot::Answered(result));
    }
}

/// How a call comes to be started: past the approval gate, approved by a person, or let
/// through by the gate already.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pass {
    Gate,
    Approved,
    Admitted,
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        // Tells every call still running, or still running past its time on the blocking pool,
        // that it is no longer wanted. (The tasks themselves are aborted by the `JoinSet`.)
        self.token.cancel();
    }
}

impl std::fmt::Debug for Turn<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Turn")
            .field("places", &self.slots.len())
            .field("running", &self.tasks.len())
            .finish_non_exhaustive()
    }
}

/// Answers every call of an interrupted turn: the results that exist are kept (matched by
/// position and id), every other call gets a `Cancelled` error result. The output has one result
/// per call, in call order, so the turn can be sent to the model as complete.
///
/// ```
/// use tool_runtime::conversation::ToolCall;
/// use tool_runtime::turn::complete_turn;
///
/// let calls = [ToolCall::new("a", "t", "{}"), ToolCall::new("b", "t", "{}")];
/// let results = complete_turn(&calls, Vec::new());
/// assert_eq!(results.len(), 2);
/// assert_eq!(results[1].content(), "Cancelled");
/// ```
pub fn complete_turn(
    calls: &[ToolCall],
    results: impl IntoIterator<Item = (usize, ToolResult)>,
) -> Vec<ToolResult> {
    let mut slots: Vec<Option<ToolResult>> = vec![None; calls.len()];
    for (index, result) in results {
        if let Some(slot) = slots.get_mut(index)
            && calls[index].id == result.call_id
        {
            *slot = Some(result);
        }
    }
    answer_every_call(calls, slots)
}
