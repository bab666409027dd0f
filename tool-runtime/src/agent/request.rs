//! [`RunRequest`]: a run about to start — its input, its per-run data, its cancellation — that
//! `.await` runs.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use tokio_util::sync::CancellationToken;

use super::typed::TypedRun;
use super::{Agent, RunError, RunOutput, RunStream};
use crate::conversation::Message;
use crate::run::PausedRun;
use crate::run::answer::AnswerSpec;
use crate::run::pause::Decisions;
use crate::tool::RunData;

/// A run of an [`Agent`], about to start: made by [`Agent::run`],
/// [`Agent::run_conversation`], [`Agent::resume`], and for a journaled agent
/// [`Agent::recover`] and [`Agent::resume_run`]. `.await` it for the [`RunOutput`], or
/// [`stream`](Self::stream) it for its events.
///
/// # Stopping a run
///
/// - [`with_cancellation`](Self::with_cancellation): when the token fires, the run ends with
///   [`RunFailure::Cancelled`](crate::agent::RunFailure::Cancelled), handing back the conversation
///   (every call that started answered: its result if it had one, `Cancelled` if not) and the
///   usage so far. Running tools see their own token fire.
/// - Dropping the future (or a `tokio::time::timeout` around it): the run stops at once and
///   hands back nothing; running tools see their token fire (a synchronous tool already on the
///   blocking pool finishes on its own unless it watches its token).
/// - A tool that needs approval pauses the run: it ends with
///   [`RunFailure::Paused`](crate::agent::RunFailure::Paused) and the state to resume it with.
///
/// ```
/// use tool_runtime::agent::CancellationToken;
/// use tool_runtime::{Agent, OfflineModel, RunData, tool, tools};
///
/// /// Get the current weather for a city.
/// #[tool]
/// async fn get_weather(city: String) -> String {
///     format!("Sunny in {city}")
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), tool_runtime::RunError> {
/// let agent = Agent::new(OfflineModel::new(), tools![get_weather]);
/// let stop = CancellationToken::new();
/// let output = agent
///     .run("Weather in Oslo?")
///     .with_run_data(RunData::new())
///     .with_cancellation(stop.clone())
///     .await?;
/// assert!(output.text.contains("Sunny in Oslo"));
/// # Ok(()) }
/// ```
#[must_use = "a run does nothing until it is awaited or streamed"]
pub struct RunRequest<'a, S> {
    pub(super) agent: &'a Agent<S>,
    pub(super) job: Job,
}

/// Everything a run starts from.
pub(super) struct Job {
    pub(super) start: Start,
    pub(super) data: RunData,
    pub(super) cancel: Option<CancellationToken>,
    /// The typed answer asked for, if any.
    pub(super) answer: Option<AnswerSpec>,
}

/// Where a run starts.
pub(super) enum Start {
    /// A conversation, repaired first.
    Conversation(Vec<Message>),
    /// A paused run, with decisions on its waiting calls.
    Resume(Box<PausedRun>, Decisions),
    /// A run of the agent's journal, taken up where it stood (with decisions on its waiting
    /// calls, if given).
    Recover {
        run_id: String,
        decisions: Option<Decisions>,
    },
}

impl<'a, S: Send + Sync + 'static> RunRequest<'a, S> {
    pub(super) fn new(agent: &'a Agent<S>, start: Start) -> Self {
        Self {
            agent,
            job: Job {
                start,
                data: RunData::new(),
                cancel: None,
                answer: None,
            },
        }
    }

    /// Gives this run's tools `data` (a user id, an auth token, a request-scoped client), which
    /// they take as [`PerRun<T>`](crate::PerRun) parameters or read from their
    /// [`CallContext`](crate::CallContext). Other runs of the same agent, at the same time or
    /// later, never see it. A run whose tools take a type of data it was not given ends at once
    /// with [`RunFailure::MissingRunData`](crate::agent::RunFailure::MissingRunData), before the
    /// model is asked anything.
    ///
    /// ```
    /// use tool_runtime::PerRun;
    /// use tool_runtime::{Agent, OfflineModel, RunData, tool, tools};
    ///
    /// struct UserId(u64);
    ///
    /// /// The asking user's open orders.
    /// #[tool]
    /// fn my_orders(PerRun(user): PerRun<UserId>) -> String {
    ///     format!("user {} has 2 open orders", user.0)
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), tool_runtime::RunError> {
    /// let agent = Agent::new(OfflineModel::new(), tools![my_orders]);
    /// let output = agent
    ///     .run("What are my orders?")
    ///     .with_run_data(RunData::new().with(UserId(7)))
    ///     .await?;
    /// assert!(output.text.contains("user 7 has 2 open orders"));
    ///
    /// let error = agent.run("What are my orders?").await.unwrap_err();
    /// assert!(error.to_string().contains("takes per-run data of type"));
    /// # Ok(()) }
    /// ```
    pub fn with_run_data(mut self, data: RunData) -> Self {
        // An id given with `with_run_id` stays, unless `data` names one itself.
        self.job.data = match (self.job.data.run_id(), data.run_id()) {
            (Some(id), None) => data.with_run_id(id),
            _ => data,
        };
        self
    }

    /// Gives the run this id (your own request's id, say) instead of one made when it starts.
    /// Its tools see it ([`CallContext::run_id`](crate::CallContext::run_id)) and build their
    /// [idempotency keys](crate::CallContext::idempotency_key) from it; a paused run keeps it.
    /// A resumed or recovered run has its own id, whatever is given here. With a
    /// [journal](crate::Agent::journal), the id names the run there: a new run given the id
    /// of a run the journal has ends at once with
    /// [`JournalError::Exists`](crate::journal::JournalError::Exists).
    ///
    /// ```
    /// use tool_runtime::{Agent, CallContext, OfflineModel, tool, tools};
    ///
    /// /// Charge the customer's card.
    /// #[tool]
    /// fn charge(ctx: CallContext) -> String {
    ///     // Sent as the payment provider's `Idempotency-Key`.
    ///     ctx.idempotency_key()
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), tool_runtime::RunError> {
    /// let agent = Agent::new(OfflineModel::new(), tools![charge]);
    /// let output = agent.run("Charge it.").with_run_id("order-1138").await?;
    /// assert!(output.text.contains("order-1138/"), "{}", output.text);
    /// # Ok(()) }
    /// ```
    pub fn with_run_id(mut self, run_id: impl Into<String>) -> Self {
        let data = std::mem::take(&mut self.job.data);
        self.job.data = data.with_run_id(run_id.into());
        self
    }

    /// Ends the run when `token` fires, keeping the conversation (see [Stopping a
    /// run](#stopping-a-run)).
    pub fn with_cancellation(mut self, token: CancellationToken) -> Self {
        self.job.cancel = Some(token);
        self
    }

    /// Asks for a typed final answer, a `T` (see [`TypedRun`]).
    ///
    /// ```
    /// use schemars::JsonSchema;
    /// use serde::Deserialize;
    /// use tool_runtime::{Agent, OfflineModel};
    ///
    /// /// A city's weather.
    /// #[derive(Debug, Deserialize, JsonSchema)]
    /// struct Weather {
    ///     city: String,
    ///     celsius: f64,
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), tool_runtime::RunError> {
    /// let agent = Agent::new(OfflineModel::new(), tool_runtime::Toolbox::new());
    /// let answer = agent.run("Weather in Oslo?").output::<Weather>().await?;
    /// let weather: Weather = answer.value;
    /// # let _ = weather;
    /// # Ok(()) }
    /// ```
    pub fn output<T: DeserializeOwned + JsonSchema>(self) -> TypedRun<'a, S, T> {
        TypedRun::new(self)
    }

    pub(super) fn with_answer(mut self, answer: AnswerSpec) -> Self {
        self.job.answer = Some(answer);
        self
    }

    /// The run as the stream of its [`AgentEvent`](crate::agent::AgentEvent)s (see [`RunStream`]).
    pub fn stream(self) -> RunStream<'a> {
        let Self { agent, job } = self;
        RunStream::new(Box::new(move |queue| {
            Box::pin(async move {
                let (output, _) = agent.execute(job, Some(queue)).await?;
                Ok(output)
            })
        }))
    }
}

impl<'a, S: Send + Sync + 'static> IntoFuture for RunRequest<'a, S> {
    type Output = Result<RunOutput, RunError>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        let Self { agent, job } = self;
        Box::pin(async move {
            let (output, _) = agent.execute(job, None).await?;
            Ok(output)
        })
    }
}

impl<S> fmt::Debug for RunRequest<'_, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunRequest")
            .field("data", &self.job.data)
            .field("cancellable", &self.job.cancel.is_some())
            .finish_non_exhaustive()
    }
}
