//! The agent: ask the model, run every tool call it makes, send all results back, repeat until
//! it answers.
//!
//! [`Agent`] holds the configuration; `driver.rs` is the loop, a short driver performing the I/O
//! each state of a run asks for (the state and its transitions are plain data, in `run/`);
//! `step.rs` is that I/O for one turn: asking the model with each call started as it arrives,
//! then waiting for the calls.

mod driver;
mod durable;
mod event;
mod request;
mod step;
mod stream;
mod typed;

use std::fmt;
use std::future::Future;
use std::sync::Arc;

pub use event::AgentEvent;
pub use request::RunRequest;
pub use stream::RunStream;
/// The token that ends a run when it fires ([`RunRequest::with_cancellation`]), from
/// `tokio-util`.
pub use tokio_util::sync::CancellationToken;
pub use typed::{Answer, TypedRun};

pub use crate::run::{Decision, PausedRun, RunError, RunFailure, RunOutput};

use crate::conversation::{Message, ToolCall};
use crate::journal::Journal;
use crate::model::{Model, ToolChoice};
use crate::tool::{CallContext, RunData, Toolbox};
use crate::turn::{CallHooks, Outcome, Verdict};
use event::EventHandler;
use request::Start;

/// Runs a conversation with a model and a [`Toolbox`] to completion.
///
/// `S` is the toolbox's state (see [`Toolbox::with_state`]); per-run data goes to
/// [`RunRequest::with_run_data`]. An agent is cheap to clone and can serve many runs at once:
/// each run sees its own data only.
///
/// ```no_run
/// use tool_runtime::{Agent, OpenAi, tool, tools};
///
/// /// Get the current weather for a city.
/// #[tool]
/// async fn get_weather(city: String) -> String {
///     format!("Sunny in {city}")
/// }
///
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let agent = Agent::new(OpenAi::from_env()?, tools![get_weather])
///     .system("You are a concise assistant.")
///     .max_turns(5);
/// let output = agent.run("What's the weather in Tokyo and London?").await?;
/// println!("{} ({} turns, {} tokens)", output.text, output.turns, output.usage.total_tokens());
/// # Ok(()) }
/// ```
pub struct Agent<S = ()> {
    model: Arc<dyn Model>,
    toolbox: Toolbox<S>,
    system: Option<String>,
    max_turns: usize,
    parallel_tool_calls: bool,
    tool_choice: ToolChoice,
    streaming: bool,
    on_event: Option<EventHandler>,
    hooks: CallHooks,
    journal: Option<Arc<durable::Journaled>>,
}

impl<S: Send + Sync + 'static> Agent<S> {
    /// An agent for this model and these tools: at most 10 turns, parallel tool calls allowed,
    /// the model chooses whether to call tools, answers streamed.
    pub fn new(model: impl Model + 'static, toolbox: Toolbox<S>) -> Self {
        Self {
            model: Arc::new(model),
            toolbox,
            system: None,
            max_turns: 10,
            parallel_tool_calls: true,
            tool_choice: ToolChoice::Auto,
            streaming: true,
            on_event: None,
            hooks: CallHooks::new(),
            journal: None,
        }
    }

    /// The system prompt.
    #[must_use]
    pub fn system(mut self, system: impl Into<String>) -> Self {
        self.system = Some(system.into());
        self
    }

    /// The most requests one run may send before it ends with [`RunFailure::MaxTurns`]
    /// (default 10).
    #[must_use]
    pub fn max_turns(mut self, max_turns: usize) -> Self {
        self.max_turns = max_turns;
        self
    }

    /// Whether the model may ask for several tool calls in one response (default: yes).
    /// `false` sends `parallel_tool_calls: false` to OpenAI and `disable_parallel_tool_use: true`
    /// to Anthropic.
    #[must_use]
    pub fn parallel_tool_calls(mut self, parallel: bool) -> Self {
        self.parallel_tool_calls = parallel;
        self
    }

    /// Whether and which tools the model must call. `Required` and `Tool` apply to the first
    /// request only (then the model chooses again), or a run could never end.
    #[must_use]
    pub fn tool_choice(mut self, choice: ToolChoice) -> Self {
        self.tool_choice = choice;
        self
    }

    /// Whether the model's answers are streamed (default: yes): text as it is written, each
    /// tool call started the moment its arguments are complete, while the model goes on.
    /// `false` asks for whole answers ([`Model::complete`]); the transcript is the same.
    #[must_use]
    pub fn streaming(mut self, streaming: bool) -> Self {
        self.streaming = streaming;
        self
    }

    /// Calls `handler` with every [`AgentEvent`] of every run, as it happens (on the task
    /// driving the run: keep it quick).
    #[must_use]
    pub fn on_event(mut self, handler: impl Fn(&AgentEvent) + Send + Sync + 'static) -> Self {
        self.on_event = Some(Arc::new(handler));
        self
    }

    /// Runs `hook` before every tool call of every run: it lets the call run, denies it (the
    /// reason is the call's error result), or runs it with other arguments (see
    /// [`CallHooks::before`]).
    ///
    /// ```
    /// use tool_runtime::turn::Verdict;
    /// use tool_runtime::{Agent, OfflineModel, tool, tools};
    ///
    /// /// Search the web.
    /// #[tool]
    /// async fn search(query: String) -> String {
    ///     format!("results for {query}")
    /// }
    ///
    /// let agent = Agent::new(OfflineModel::new(), tools![search]).before_call(|call, _ctx| {
    ///     let verdict = match call.arguments.get::<String>("query") {
    ///         Some(query) if query.contains("password") => Verdict::Deny("Not that.".into()),
    ///         _ => Verdict::Run,
    ///     };
    ///     async move { verdict }
    /// });
    /// # let _ = agent;
    /// ```
    #[must_use]
    pub fn before_call<F>(
        mut self,
        hook: impl Fn(&ToolCall, &CallContext) -> F + Send + Sync + 'static,
    ) -> Self
    where
        F: Future<Output = Verdict> + Send + 'static,
    {
        self.hooks = self.hooks.before(hook);
        self
    }

    /// Runs `hook` after every tool call of every run that ran: it sees the outcome and returns
    /// the one the model reads (see [`CallHooks::after`] for the calls it does not see).
    #[must_use]
    pub fn after_call<F>(
        mut self,
        hook: impl Fn(&ToolCall, &CallContext, Outcome) -> F + Send + Sync + 'static,
    ) -> Self
    where
        F: Future<Output = Outcome> + Send + 'static,
    {
        self.hooks = self.hooks.after(hook);
        self
    }

    /// Writes every step of every run to `journal` before the run moves on, so that a run
    /// survives the process running it: [`recover`](Self::recover) continues it in a fresh
    /// process, and a paused run can be [resumed by its id](Self::resume_run) days later.
    /// See [`journal`](crate::journal) for what is written and what recovery does with a call
    /// that was running when the process died. With a journal, a call starts once its start
    /// is written: the calls that arrive together (before the model's stream pauses) start
    /// together, after one write.
    ///
    /// ```
    /// use tool_runtime::journal::{Journal, MemoryJournal};
    /// use tool_runtime::{Agent, OfflineModel, tool, tools};
    ///
    /// /// Get the current weather for a city.
    /// #[tool(read_only)]
    /// async fn get_weather(city: String) -> String {
    ///     format!("Sunny in {city}")
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let journal = MemoryJournal::new();
    /// let agent = Agent::new(OfflineModel::new(), tools![get_weather]).journal(journal.clone());
    /// let output = agent.run("Weather in Oslo?").with_run_id("oslo-1").await?;
    /// assert!(output.text.contains("Sunny in Oslo"));
    ///
    /// // Every step is in the journal, and the run has ended.
    /// let kinds: Vec<String> = journal
    ///     .entries("oslo-1")
    ///     .await?
    ///     .iter()
    ///     .map(|entry| entry.kind().to_owned())
    ///     .collect();
    /// assert_eq!(kinds.first().map(String::as_str), Some("started"));
    /// assert_eq!(kinds.last().map(String::as_str), Some("ended"));
    /// assert!(journal.unfinished().await?.is_empty());
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn journal(mut self, journal: impl Journal + 'static) -> Self {
        self.journal = Some(Arc::new(durable::Journaled::new(journal)));
        self
    }

    /// The model's name, e.g. `openai/gpt-4o-mini`.
    pub fn model_name(&self) -> String {
        self.model.name()
    }

    /// The tools.
    pub fn toolbox(&self) -> &Toolbox<S> {
        &self.toolbox
    }

    /// A run of `prompt`: `.await` it for the answer (see [`RunRequest`] for per-run data,
    /// cancellation, typed answers and streams).
    ///
    /// # Stopping a run
    ///
    /// - [`RunRequest::with_cancellation`], then firing the token: the run ends with
    ///   [`RunFailure::Cancelled`] and hands back the transcript, repaired (every call that
    ///   started answered: its result, or `Cancelled`; a response cut short kept up to its last
    ///   complete call), and the usage so far. Running tools see their own token fire.
    /// - Dropping the future (or `tokio::time::timeout` around it): the run stops at once and
    ///   hands back nothing; running tools see their token fire (a synchronous tool already on
    ///   the blocking pool finishes on its own unless it watches its token).
    /// - A tool that [needs approval](crate::tool::ToolPolicy::needs_approval): the run ends with
    ///   [`RunFailure::Paused`], holding everything needed to [`resume`](Self::resume) it.
    /// - [`max_turns`](Self::max_turns): [`RunFailure::MaxTurns`], with the transcript.
    ///
    /// ```no_run
    /// # use tool_runtime::{Agent, OpenAi, tools};
    /// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let agent = Agent::new(OpenAi::from_env()?, tools![]);
    /// let output = agent.run("What's the weather in Tokyo?").await?;
    /// println!("{}", output.text);
    /// # Ok(()) }
    /// ```
    pub fn run(&self, prompt: impl Into<String>) -> RunRequest<'_, S> {
        self.run_conversation(vec![Message::user(prompt)])
    }

    /// A run that continues a conversation (e.g. a previous run's `messages` plus a new user
    /// message). The transcript is repaired first, so one saved after a crash can be sent as
    /// it is.
    pub fn run_conversation(&self, messages: Vec<Message>) -> RunRequest<'_, S> {
        RunRequest::new(self, Start::Conversation(messages))
    }

    /// A run that resumes a [`PausedRun`] with a decision per waiting call, by call id: the
    /// approved calls run, the denied ones are answered with the reason, and the run goes on
    /// from there. A call without a decision keeps waiting: the run pauses again at once, with
    /// the decided calls' results kept. (Of two decisions on one id, the last counts.)
    ///
    /// A decision on a call that does not wait (a typo, a stale id), a paused run that does not
    /// hold together, or a tool's missing per-run data: nothing runs, and the run ends with
    /// [`RunFailure::NotResumed`], which hands the paused run back.
    ///
    /// The agent needs the paused run's tools; it may be another agent than the one that paused
    /// (in another process, after the state was saved). Per-run data is not part of a paused
    /// run: give the resumed run its data again
    /// ([`with_run_data`](RunRequest::with_run_data)).
    pub fn resume(
        &self,
        paused: PausedRun,
        decisions: impl IntoIterator<Item = (impl Into<String>, Decision)>,
    ) -> RunRequest<'_, S> {
        let decisions = decisions
            .into_iter()
            .map(|(id, decision)| (id.into(), decision))
            .collect();
        RunRequest::new(self, Start::Resume(Box::new(paused), decisions))
    }

    /// A run of the agent's [journal](Self::journal) that did not end (the process running it
    /// stopped: a crash, a deploy, a kill), continued from its last recorded step, on an agent
    /// with the same tools — in this process or another.
    ///
    /// - The model is not asked again for a turn whose answer was recorded; the transcript is
    ///   the one the run would have had, for every step that was recorded.
    /// - A call whose result was recorded does not run again. A call that was running when the
    ///   process stopped runs again if its tool is `read_only` or `idempotent` (with the same
    ///   [idempotency key](crate::CallContext::idempotency_key)); any other is answered
    ///   [`ToolError::Interrupted`](crate::tool::ToolError::Interrupted): the model is told
    ///   that its outcome is unknown.
    /// - A paused run pauses again (resume it with [`resume_run`](Self::resume_run)).
    /// - A run that ended with its answer gives that answer again (a typed one checked again):
    ///   nothing runs, nothing is written — a caller that died before it read the answer gets
    ///   it. A run that ended otherwise (it failed, or was cancelled) ends at once with
    ///   [`JournalError::Ended`](crate::journal::JournalError::Ended).
    ///
    /// Per-run data is not journaled: give it again
    /// ([`with_run_data`](RunRequest::with_run_data)), and [`output`](RunRequest::output) for a
    /// typed run. A run the journal does not have, or that this agent (or a clone) is running
    /// already, ends at once with [`RunFailure::Journal`], nothing run.
    /// [`Journal::unfinished`] lists the runs to recover; in a service of several processes,
    /// each recovers its own (see [`journal`](crate::journal)).
    ///
    /// ```
    /// use tool_runtime::journal::{Journal, MemoryJournal};
    /// use tool_runtime::{Agent, OfflineModel, tool, tools};
    ///
    /// /// Get the current weather for a city.
    /// #[tool(read_only)]
    /// async fn get_weather(city: String) -> String {
    ///     format!("Sunny in {city}")
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let journal = MemoryJournal::new();
    /// let agent = Agent::new(OfflineModel::new(), tools![get_weather]).journal(journal.clone());
    ///
    /// // A service starting up takes up the runs its last process left.
    /// for run_id in journal.unfinished().await? {
    ///     match agent.recover(&run_id).await {
    ///         Ok(output) => println!("{run_id}: {}", output.text),
    ///         Err(error) if error.paused().is_some() => println!("{run_id} waits for a person"),
    ///         Err(error) => eprintln!("{run_id}: {error}"),
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn recover(&self, run_id: impl Into<String>) -> RunRequest<'_, S> {
        let run_id = run_id.into();
        let data = RunData::new().with_run_id(run_id.as_str());
        let start = Start::Recover {
            run_id,
            decisions: None,
        };
        RunRequest::new(self, start).with_run_data(data)
    }

    /// A paused run of the agent's [journal](Self::journal), resumed by its id with a decision
    /// per waiting call: as [`resume`](Self::resume) does with a [`PausedRun`], without the
    /// program keeping the paused run itself — in another process, days later. A decision on
    /// a call that does not wait ends the run at once with [`RunFailure::NotResumed`]; a run
    /// that waits for no decision, with [`RunFailure::Journal`]; per-run data a tool takes and
    /// that is not given again, with [`RunFailure::MissingRunData`] — nothing run in each case.
    /// (On a journaled agent, [`resume`](Self::resume) of a paused run the journal has resumes
    /// it the same way, or refuses it if the journal's run went on since.)
    ///
    /// ```
    /// use tool_runtime::agent::Decision;
    /// use tool_runtime::conversation::{AssistantMessage, ToolCall};
    /// use tool_runtime::journal::MemoryJournal;
    /// use tool_runtime::{Agent, OfflineModel, tool, tools};
    ///
    /// /// Send money.
    /// #[tool(needs_approval)]
    /// fn pay(to: String, amount: f64) -> String {
    ///     format!("paid {amount} to {to}")
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let model = OfflineModel::scripted([
    ///     AssistantMessage::calls([ToolCall::new("c1", "pay", r#"{"to": "ACME", "amount": 250}"#)]),
    ///     AssistantMessage::text("Paid."),
    /// ]);
    /// let agent = Agent::new(model, tools![pay]).journal(MemoryJournal::new());
    /// let error = agent.run("Pay ACME 250.").with_run_id("invoice-7").await.unwrap_err();
    /// assert!(error.paused().is_some());
    ///
    /// // Later, knowing only the run's id:
    /// let output = agent.resume_run("invoice-7", [("c1", Decision::Approve)]).await?;
    /// assert_eq!(output.text, "Paid.");
    /// # Ok(()) }
    /// ```
    pub fn resume_run(
        &self,
        run_id: impl Into<String>,
        decisions: impl IntoIterator<Item = (impl Into<String>, Decision)>,
    ) -> RunRequest<'_, S> {
        let run_id = run_id.into();
        let data = RunData::new().with_run_id(run_id.as_str());
        let decisions = decisions
            .into_iter()
            .map(|(id, decision)| (id.into(), decision))
            .collect();
        let start = Start::Recover {
            run_id,
            decisions: Some(decisions),
        };
        RunRequest::new(self, start).with_run_data(data)
    }

    /// Runs `prompt`, yielding every [`AgentEvent`] as it happens, then
    /// [`AgentEvent::Finished`] with the output (or the [`RunError`]): short for
    /// `agent.run(prompt).stream()`. Nothing runs until the stream is polled; dropping it stops
    /// the run.
    ///
    /// ```
    /// use tool_runtime::agent::AgentEvent;
    /// use tool_runtime::{Agent, OfflineModel, tool, tools};
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
    /// let mut events = agent.stream("Weather in Tokyo?");
    /// let mut answer = String::new();
    /// while let Some(event) = events.next().await {
    ///     match event? {
    ///         AgentEvent::TextDelta { text, .. } => answer.push_str(&text),
    ///         AgentEvent::ToolCallStarted { call, .. } => println!("calling {}", call.name),
    ///         AgentEvent::Finished(output) => assert_eq!(output.text, answer),
    ///         _ => {}
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn stream(&self, prompt: impl Into<String>) -> RunStream<'_> {
        self.run(prompt).stream()
    }
}

impl<S> Clone for Agent<S> {
    fn clone(&self) -> Self {
        Self {
            model: self.model.clone(),
            toolbox: self.toolbox.clone(),
            system: self.system.clone(),
            max_turns: self.max_turns,
            parallel_tool_calls: self.parallel_tool_calls,
            tool_choice: self.tool_choice.clone(),
            streaming: self.streaming,
            on_event: self.on_event.clone(),
            hooks: self.hooks.clone(),
            journal: self.journal.clone(),
        }
    }
}

impl<S> fmt::Debug for Agent<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Agent")
            .field("model", &self.model.name())
            .field("toolbox", &self.toolbox)
            .field("max_turns", &self.max_turns)
            .field("parallel_tool_calls", &self.parallel_tool_calls)
            .field("tool_choice", &self.tool_choice)
            .field("streaming", &self.streaming)
            .field("journaled", &self.journal.is_some())
            .finish_non_exhaustive()
    }
}
