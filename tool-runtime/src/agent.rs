//! The loop: ask the model, run every tool call it makes, send all results back, repeat until it
//! answers.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::chat::{AssistantMessage, ChatRequest, Message, Provider, ToolChoice, ToolReply, Usage};
use crate::provider::{Error, ErrorKind};
use crate::repair::repair_messages;
use crate::run::{CallEvent, ToolCall, ToolResult};
use crate::toolbox::Toolbox;

/// What happened during a run, for progress displays.
#[derive(Debug)]
#[non_exhaustive]
pub enum AgentEvent<'a> {
    /// A request to the model is about to be sent (`turn` counts from 1).
    TurnStarted {
        /// Which turn.
        turn: usize,
    },
    /// The model answered.
    ModelResponded {
        /// Which turn.
        turn: usize,
        /// Its message.
        message: &'a AssistantMessage,
        /// The tokens this request used.
        usage: Usage,
    },
    /// A tool call was handed to the toolbox.
    ToolCallStarted {
        /// The call.
        call: &'a ToolCall,
    },
    /// A tool call has its result.
    ToolCallFinished {
        /// The call.
        call: &'a ToolCall,
        /// The result.
        result: &'a ToolResult,
        /// How long the call ran.
        duration: Duration,
    },
    /// The model gave its final answer.
    FinalText {
        /// The answer.
        text: &'a str,
    },
}

type EventHandler = Arc<dyn Fn(&AgentEvent<'_>) + Send + Sync>;

/// Runs a conversation with a model and a [`Toolbox`] to completion.
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
#[derive(Clone)]
pub struct Agent {
    provider: Arc<dyn Provider>,
    toolbox: Toolbox,
    system: Option<String>,
    max_turns: usize,
    parallel_tool_calls: bool,
    tool_choice: ToolChoice,
    on_event: Option<EventHandler>,
}

/// A finished run.
#[derive(Debug, Clone)]
pub struct RunOutput {
    /// The model's final answer.
    pub text: String,
    /// The whole conversation, input included: push a user message and pass it to
    /// [`Agent::run_conversation`] to go on.
    pub messages: Vec<Message>,
    /// Tokens used, summed over every turn.
    pub usage: Usage,
    /// How many requests were sent to the model.
    pub turns: usize,
}

/// A run that ended without a final answer. It still hands back the conversation so far
/// (repaired: every tool call has a result), the usage and the turn count.
#[derive(Debug)]
pub struct RunError {
    /// What went wrong.
    pub error: Error,
    /// The conversation up to the failure.
    pub messages: Vec<Message>,
    /// Tokens used before the failure.
    pub usage: Usage,
    /// Requests sent, counting the one that failed (or, for [`ErrorKind::MaxTurns`], the limit).
    pub turns: usize,
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (after {} turns)", self.error, self.turns)
    }
}

impl std::error::Error for RunError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

impl Agent {
    /// An agent for this model and these tools: at most 10 turns, parallel tool calls allowed,
    /// the model chooses whether to call tools.
    pub fn new(provider: impl Provider + 'static, toolbox: Toolbox) -> Self {
        Self {
            provider: Arc::new(provider),
            toolbox,
            system: None,
            max_turns: 10,
            parallel_tool_calls: true,
            tool_choice: ToolChoice::Auto,
            on_event: None,
        }
    }

    /// The system prompt.
    #[must_use]
    pub fn system(mut self, system: impl Into<String>) -> Self {
        self.system = Some(system.into());
        self
    }

    /// The most requests one run may send before it ends with a [`ErrorKind::MaxTurns`] error
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

    /// Calls `handler` with every [`AgentEvent`] of every run.
    #[must_use]
    pub fn on_event(mut self, handler: impl Fn(&AgentEvent<'_>) + Send + Sync + 'static) -> Self {
        self.on_event = Some(Arc::new(handler));
        self
    }

    /// The model's name, e.g. `openai/gpt-4o-mini`.
    pub fn provider_name(&self) -> String {
        self.provider.name()
    }

    /// The tools.
    pub fn toolbox(&self) -> &Toolbox {
        &self.toolbox
    }

    /// Runs `prompt` to completion.
    pub async fn run(&self, prompt: impl Into<String>) -> Result<RunOutput, RunError> {
        self.run_conversation(vec![Message::user(prompt)]).await
    }

    /// Continues a conversation (e.g. a previous run's `messages` plus a new user message).
    /// The transcript is repaired first, so one saved after a crash can be sent as it is.
    pub async fn run_conversation(
        &self,
        mut messages: Vec<Message>,
    ) -> Result<RunOutput, RunError> {
        repair_messages(&mut messages);
        let mut usage = Usage::default();
        let mut tool_choice = self.tool_choice.clone();
        for turn in 1..=self.max_turns {
            self.emit(&AgentEvent::TurnStarted { turn });
            let request = ChatRequest {
                system: self.system.as_deref(),
                messages: &messages,
                toolbox: &self.toolbox,
                tool_choice: &tool_choice,
                parallel_tool_calls: self.parallel_tool_calls,
            };
            let response = match self.provider.complete(request).await {
                Ok(response) => response,
                Err(error) => {
                    return Err(RunError {
                        error,
                        messages,
                        usage,
                        turns: turn,
                    });
                }
            };
            usage += response.usage;
            self.emit(&AgentEvent::ModelResponded {
                turn,
                message: &response.message,
                usage: response.usage,
            });
            let calls = response.message.tool_calls.clone();
            if calls.is_empty() {
                let text = response.message.text.clone().unwrap_or_default();
                self.emit(&AgentEvent::FinalText { text: &text });
                messages.push(Message::Assistant(response.message));
                return Ok(RunOutput {
                    text,
                    messages,
                    usage,
                    turns: turn,
                });
            }
            messages.push(Message::Assistant(response.message));
            if matches!(tool_choice, ToolChoice::Required | ToolChoice::Tool(_)) {
                tool_choice = ToolChoice::Auto;
            }
            let results = self
                .toolbox
                .run_with(&calls, |event| self.forward(&calls, event))
                .await;
            messages.push(Message::ToolResults {
                results: results.iter().map(ToolReply::from).collect(),
            });
        }
        Err(RunError {
            error: Error::new(
                ErrorKind::MaxTurns,
                self.provider.name(),
                format!("the model did not answer within {} turns", self.max_turns),
            ),
            messages,
            usage,
            turns: self.max_turns,
        })
    }

    fn emit(&self, event: &AgentEvent<'_>) {
        if let Some(handler) = &self.on_event {
            handler(event);
        }
    }

    fn forward(&self, calls: &[ToolCall], event: CallEvent<'_>) {
        if self.on_event.is_none() {
            return;
        }
        match event {
            CallEvent::Started { call, .. } => self.emit(&AgentEvent::ToolCallStarted { call }),
            CallEvent::Finished { index, result } => self.emit(&AgentEvent::ToolCallFinished {
                call: &calls[index],
                result,
                duration: result.duration,
            }),
        }
    }
}

impl fmt::Debug for Agent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Agent")
            .field("provider", &self.provider.name())
            .field("toolbox", &self.toolbox)
            .field("max_turns", &self.max_turns)
            .field("parallel_tool_calls", &self.parallel_tool_calls)
            .field("tool_choice", &self.tool_choice)
            .finish_non_exhaustive()
    }
}
