//! The fan-out: every call of a model turn run concurrently, every call id answered, in order.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::{Semaphore, oneshot};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tracing::Instrument;

use crate::__private::panicked;
use crate::error::{DisplayDuration, ToolError};
use crate::tool::{Arguments, CallContext, Hold, ToolOutput};
use crate::toolbox::Toolbox;

/// One tool call a model asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    /// The provider's id for the call; its result must carry the same id.
    pub id: String,
    /// The tool's name.
    pub name: String,
    /// The raw arguments, as the provider sent them.
    pub arguments: Arguments,
}

impl ToolCall {
    /// A call from its id, tool name and arguments.
    ///
    /// ```
    /// use tool_runtime::ToolCall;
    /// let call = ToolCall::new("call_1", "get_weather", r#"{"city":"Tokyo"}"#);
    /// assert_eq!(call.name, "get_weather");
    /// ```
    pub fn new(
        id: impl Into<String>,
        name: impl Into<String>,
        arguments: impl Into<Arguments>,
    ) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
            arguments: arguments.into(),
        }
    }
}

/// The answer to one [`ToolCall`]: its id, and the output or the error the model will read.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolResult {
    /// The id of the call this answers.
    pub call_id: String,
    /// The tool that was called.
    pub name: String,
    /// The output, or why there is none.
    pub outcome: Result<ToolOutput, ToolError>,
    /// How long the call ran (zero when it never started).
    pub duration: Duration,
}

impl ToolResult {
    /// The result for a call that never finished: the error result `Cancelled`.
    pub fn cancelled(call: &ToolCall) -> Self {
        Self::error(call, ToolError::Cancelled)
    }

    /// An error result for `call`.
    pub fn error(call: &ToolCall, error: ToolError) -> Self {
        Self {
            call_id: call.id.clone(),
            name: call.name.clone(),
            outcome: Err(error),
            duration: Duration::ZERO,
        }
    }

    /// The text sent to the model: the output, or the error's model-facing message.
    pub fn content(&self) -> String {
        match &self.outcome {
            Ok(output) => output.as_str().to_owned(),
            Err(error) => error.to_string(),
        }
    }

    /// Whether this is an error result (`is_error: true` on Anthropic).
    pub fn is_error(&self) -> bool {
        self.outcome.is_err()
    }
}

/// Progress of a turn, reported to [`Toolbox::run_with`]'s callback.
#[derive(Debug)]
#[non_exhaustive]
pub enum CallEvent<'a> {
    /// The call was handed to the runtime. With a concurrency cap, or for a sequential tool, it
    /// may wait for its turn before it runs.
    Started {
        /// The call's position in the turn.
        index: usize,
        /// The call.
        call: &'a ToolCall,
    },
    /// The call has its result.
    Finished {
        /// The call's position in the turn.
        index: usize,
        /// The result; `duration` is how long the call ran.
        result: &'a ToolResult,
    },
}

/// How a [`Toolbox`] runs the calls of a turn.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct RunConfig {
    pub(crate) max_concurrency: Option<usize>,
    pub(crate) default_timeout: Option<Duration>,
}

/// Answers every call of an interrupted turn: the results that exist are kept (matched by
/// position and id), every other call gets a `Cancelled` error result. The output has one result
/// per call, in call order, so the turn can be sent to the model as complete.
///
/// ```
/// use tool_runtime::{ToolCall, complete_turn};
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
    slots
        .into_iter()
        .zip(calls)
        .map(|(slot, call)| slot.unwrap_or_else(|| ToolResult::cancelled(call)))
        .collect()
}

impl Toolbox {
    /// Caps how many calls of one turn run at the same time (default: no cap).
    ///
    /// # Panics
    /// If `max` is zero: nothing could ever run.
    #[must_use]
    pub fn with_max_concurrency(mut self, max: usize) -> Self {
        assert!(max > 0, "max_concurrency must be at least 1");
        self.config.max_concurrency = Some(max);
        self
    }

    /// Sets the time limit for each call of a tool that has none of its own (default: none).
    #[must_use]
    pub fn with_default_timeout(mut self, timeout: Duration) -> Self {
        self.config.default_timeout = Some(timeout);
        self
    }

    /// Runs every call of a turn and returns one result per call, in the calls' order.
    ///
    /// Calls run concurrently, each on its own tokio task (so CPU-heavy tools use every worker
    /// of a multi-thread runtime), up to the concurrency cap; synchronous tools run on the
    /// blocking pool. Calls of tools marked `sequential` run one at a time, in the order the
    /// model made them, while the others fan out around them.
    ///
    /// Nothing a call does can take its siblings down: an unknown tool, invalid arguments, an
    /// `Err`, a panic or a timeout each become that call's error result.
    ///
    /// Dropping the returned future aborts every call still running (a synchronous tool already
    /// running on the blocking pool finishes on its own, unobserved). To keep the results that
    /// arrived before an interruption, collect them with [`run_with`](Self::run_with) and finish
    /// the turn with [`complete_turn`].
    ///
    /// ```
    /// use tool_runtime::{ToolCall, tool, tools};
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
        self.run_with(calls, |_| {}).await
    }

    /// [`run`](Self::run), reporting each call's start and finish to `on_event` as they happen.
    pub async fn run_with(
        &self,
        calls: &[ToolCall],
        mut on_event: impl FnMut(CallEvent<'_>),
    ) -> Vec<ToolResult> {
        let mut results: Vec<Option<ToolResult>> = vec![None; calls.len()];
        let mut tasks: JoinSet<(usize, ToolResult)> = JoinSet::new();
        let mut task_index: HashMap<tokio::task::Id, usize> = HashMap::with_capacity(calls.len());
        let permits = self
            .config
            .max_concurrency
            .map(|max| Arc::new(Semaphore::new(max)));
        // The sequential chain: each sequential call waits for the previous one's sender to drop.
        let mut previous_in_chain: Option<oneshot::Receiver<()>> = None;

        for (index, call) in calls.iter().enumerate() {
            on_event(CallEvent::Started { index, call });
            let Some(tool) = self.get(&call.name) else {
                let result = ToolResult::error(call, self.unknown_tool(&call.name));
                on_event(CallEvent::Finished {
                    index,
                    result: &result,
                });
                results[index] = Some(result);
                continue;
            };
            let definition = tool.definition();
            let timeout = definition.timeout().or(self.config.default_timeout);
            let (wait_for, done) = if definition.is_sequential() {
                let (done, next) = oneshot::channel::<()>();
                (previous_in_chain.replace(next), Some(done))
            } else {
                (None, None)
            };
            // The call's place in the sequential chain and its permit live in `hold`, released
            // when the task AND every clone of the context (a running sync body) are done.
            let hold = Arc::new(Hold::default());
            let context = CallContext::holding(call.id.as_str(), hold.clone());
            // Decoding runs here, on the caller's task: a panic in a `Deserialize` impl or a
            // hand-written `call` must not take the turn down.
            let future = match catch_unwind(AssertUnwindSafe(|| {
                tool.call(&call.arguments, context)
            })) {
                Ok(future) => future,
                Err(payload) => {
                    let result = ToolResult::error(call, panicked(&call.name, payload.as_ref()));
                    on_event(CallEvent::Finished {
                        index,
                        result: &result,
                    });
                    results[index] = Some(result);
                    continue;
                }
            };
            let permits = permits.clone();
            let (call_id, name) = (call.id.clone(), call.name.clone());
            let span = tracing::info_span!(
                "tool_call",
                tool = %name,
                call_id = %call_id,
                duration_us = tracing::field::Empty,
                outcome = tracing::field::Empty,
            );
            let task = async move {
                if let Some(previous) = wait_for {
                    // Dropped sender (finished, failed, panicked or aborted) means our turn.
                    let _ = previous.await;
                }
                if let Some(permits) = permits
                    && let Ok(permit) = permits.acquire_owned().await
                {
                    hold.keep(permit);
                }
                if let Some(done) = done {
                    hold.keep(done);
                }
                let started = Instant::now();
                let outcome = match timeout {
                    Some(limit) => tokio::time::timeout(limit, future)
                        .await
                        .unwrap_or(Err(ToolError::TimedOut(limit))),
                    None => future.await,
                };
                let duration = started.elapsed();
                // The task's share of the hold; a sync body still running keeps its own.
                drop(hold);
                record(&outcome, duration);
                (
                    index,
                    ToolResult {
                        call_id,
                        name,
                        outcome,
                        duration,
                    },
                )
            };
            let handle = tasks.spawn(task.instrument(span));
            task_index.insert(handle.id(), index);
        }

        while let Some(joined) = tasks.join_next_with_id().await {
            let (index, result) = match joined {
                Ok((_, (index, result))) => (index, result),
                Err(error) => {
                    let Some(&index) = task_index.get(&error.id()) else {
                        continue;
                    };
                    let call = &calls[index];
                    let reason = if error.is_panic() {
                        panicked(&call.name, error.into_panic().as_ref())
                    } else {
                        ToolError::Cancelled
                    };
                    (index, ToolResult::error(call, reason))
                }
            };
            on_event(CallEvent::Finished {
                index,
                result: &result,
            });
            results[index] = Some(result);
        }
        results
            .into_iter()
            .zip(calls)
            .map(|(result, call)| result.unwrap_or_else(|| ToolResult::cancelled(call)))
            .collect()
    }
}

fn record(outcome: &Result<ToolOutput, ToolError>, duration: Duration) {
    let span = tracing::Span::current();
    span.record("duration_us", duration.as_micros() as u64);
    match outcome {
        Ok(_) => {
            span.record("outcome", "ok");
            tracing::debug!(duration = %DisplayDuration(duration), "tool call finished");
        }
        Err(error) => {
            let kind = match error {
                ToolError::InvalidArguments(_) => "invalid_arguments",
                ToolError::UnknownTool { .. } => "unknown_tool",
                ToolError::Failed(_) => "failed",
                ToolError::Panicked { .. } => "panicked",
                ToolError::TimedOut(_) => "timed_out",
                ToolError::Cancelled => "cancelled",
                _ => "error",
            };
            span.record("outcome", kind);
            tracing::debug!(duration = %DisplayDuration(duration), %error, "tool call failed");
        }
    }
}
