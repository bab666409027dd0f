//! The loop of a run: a short driver that performs the I/O each state of the run asks for —
//! ask the model, run its calls, record their results — until the model answers, the run pauses
//! for decisions, or it fails. The decisions about the run are the state's transitions
//! (`run::transition`); the I/O of one turn is in [`step`](super::step).

use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::event::{Events, Queue};
use super::request::{Job, Start};
use super::{Agent, AgentEvent};
use crate::conversation::repair_messages;
use crate::model::ToolChoice;
use crate::run::answer::{AnswerSpec, Decoded, Form};
use crate::run::pause::Decisions;
use crate::run::transition::{Answered, Halt};
use crate::run::{RunError, RunFailure, RunOutput, RunState};
use crate::tool::RunData;

/// The cancellation a run watches: a future that completes when its token fires.
pub(super) type Stop<'s> = Pin<&'s mut (dyn Future<Output = ()> + Send)>;

/// A run's answer: its text, and for a typed run the decoded value.
pub(super) type Reply = (String, Option<Decoded>);

/// One run: its agent, what it was given, and where its events go.
pub(super) struct Driver<'r, S> {
    pub(super) agent: &'r Agent<S>,
    pub(super) events: Events<'r>,
    pub(super) data: RunData,
    pub(super) cancel: Option<CancellationToken>,
    /// The typed answer asked for, if any.
    pub(super) answer: Option<&'r AnswerSpec>,
}

impl<S: Send + Sync + 'static> Agent<S> {
    /// Runs `job`, its events going to the handler and, for a stream, to `queue`.
    pub(super) async fn execute(
        &self,
        job: Job,
        queue: Option<Arc<Queue>>,
    ) -> Result<(RunOutput, Option<Decoded>), RunError> {
        let Job {
            start,
            data,
            cancel,
            answer,
        } = job;
        let (mut run, decisions) = self.prepare(start, &data)?;
        // The run's tools see its id (`CallContext::run_id`, `idempotency_key`).
        let data = data.with_run_id(run.id.as_str());
        let driver = Driver {
            agent: self,
            events: Events {
                handler: self.on_event.as_ref(),
                queue: queue.as_deref(),
            },
            data,
            cancel: cancel.clone(),
            answer: answer.as_ref(),
        };
        let stop = pin!(async move {
            match &cancel {
                Some(token) => token.cancelled().await,
                None => std::future::pending().await,
            }
        });
        match driver.drive(&mut run, decisions, stop).await {
            Ok((text, value)) => Ok((driver.events.finished(run.finished(text)), value)),
            Err(halt) => Err(run.halted(halt)),
        }
    }

    /// The state a run starts from (a conversation, repaired, or a paused run with the
    /// decisions on its calls), or why it cannot start: nothing has run.
    fn prepare(
        &self,
        start: Start,
        data: &RunData,
    ) -> Result<(RunState, Option<Decisions>), RunError> {
        let missing = self.missing_run_data(data);
        match start {
            Start::Conversation(mut messages) => {
                repair_messages(&mut messages);
                let run = RunState::new(data.run_id().map(str::to_owned), messages);
                match missing {
                    Some(failure) => Err(run.failed(failure)),
                    None => Ok((run, None)),
                }
            }
            Start::Resume(paused, decisions) => {
                let problem = match missing {
                    Some(failure) => Some(format!(
                        "{failure} (a paused run does not keep its per-run data: give it again \
                         to the resumed run, with `RunRequest::with_run_data`)"
                    )),
                    None => paused.problem(&decisions),
                };
                if let Some(problem) = problem {
                    let run = paused.state.clone();
                    return Err(run.failed(RunFailure::NotResumed { problem, paused }));
                }
                let mut run = paused.state;
                repair_messages(&mut run.messages);
                Ok((run, Some(decisions)))
            }
        }
    }

    /// The first type of per-run data a tool takes that `data` does not have.
    fn missing_run_data(&self, data: &RunData) -> Option<RunFailure> {
        self.toolbox.definitions().find_map(|definition| {
            let need = definition
                .policy()
                .run_data_needs()
                .iter()
                .find(|need| !need.is_met_by(data))?;
            Some(RunFailure::MissingRunData {
                tool: definition.name().to_owned(),
                type_name: need.type_name(),
            })
        })
    }
}

impl<S: Send + Sync + 'static> Driver<'_, S> {
    /// The loop: ask the model, run its calls, send their results back, until it answers.
    async fn drive(
        &self,
        run: &mut RunState,
        decisions: Option<Decisions>,
        mut stop: Stop<'_>,
    ) -> Result<Reply, Halt> {
        if let Some(decisions) = decisions {
            let calls = self.resumed(run, &decisions);
            self.settle(run, calls, &[], stop.as_mut()).await?;
        }
        let agent = self.agent;
        let mut tool_choice = agent.tool_choice.clone();
        loop {
            if self
                .cancel
                .as_ref()
                .is_some_and(CancellationToken::is_cancelled)
            {
                return Err(RunFailure::Cancelled.into());
            }
            let turn = run.next_turn(agent.max_turns)?;
            self.events.emit(|| AgentEvent::TurnStarted { turn });
            let final_tool = self
                .answer
                .and_then(|answer| answer.tool_for(agent.model.as_ref()));
            let mut calls = self.calls();
            let mut answers = Vec::new();
            let asked = self.ask(
                run,
                final_tool,
                &tool_choice,
                &mut calls,
                &mut answers,
                stop.as_mut(),
            );
            let response = match asked.await {
                Ok(response) => response,
                Err((failure, partial)) => {
                    let slots = self.stopped(turn, calls).await;
                    return Err(run.interrupted(failure, Some(partial), slots));
                }
            };
            self.events.emit(|| AgentEvent::ModelResponded {
                turn,
                message: response.message.clone(),
                usage: response.usage,
            });
            let checked = match (run.model_answered(response), self.answer) {
                (Answered::Text(text), None) => return Ok((text, None)),
                (Answered::Text(text), Some(answer)) => {
                    Some((answer.check(&text, Form::Text), true))
                }
                (Answered::Calls, _) => {
                    if matches!(tool_choice, ToolChoice::Required | ToolChoice::Tool(_)) {
                        tool_choice = ToolChoice::Auto;
                    }
                    let checked = self.settle(run, calls, &answers, stop.as_mut()).await?;
                    checked.map(|checked| (checked, false))
                }
            };
            match checked {
                Some((Ok(accepted), _)) => return Ok((accepted.text, Some(accepted.value))),
                Some((Err(refused), in_text)) => {
                    let budget = self.answer.map_or(0, |answer| answer.retries);
                    run.answer_refused(budget, refused, in_text)?;
                }
                None => {}
            }
        }
    }
}
