//! The loop of a run: a short driver that performs the I/O each state of the run asks for —
//! ask the model, run its calls, record their results — until the model answers, the run pauses
//! for decisions, or it fails. The decisions about the run are the state's transitions
//! (`run::transition`); the I/O of one turn is in [`step`](super::step).

use std::borrow::Cow;
use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use tokio_util::sync::CancellationToken;

use super::durable::{Opening, Prepared, last_step};
use super::event::{Events, Queue};
use super::request::{Job, Start};
use super::{Agent, AgentEvent};
use crate::conversation::repair_messages;
use crate::journal::Journal;
use crate::run::answer::{Accepted, AnswerSpec, Decoded, Form, Refused};
use crate::run::record::{Reentry, Step};
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
    /// Where the run's steps are written, if anywhere.
    pub(super) journal: Option<&'r dyn Journal>,
    /// Whether this run wrote a step to its journal.
    pub(super) written: AtomicBool,
}

/// A typed answer's check, and whether it was given in text (not by calling the final tool).
type Checked = Option<(Result<Accepted, Refused>, bool)>;

impl<S: Send + Sync + 'static> Agent<S> {
    /// Runs `job`, its events going to the handler and, for a stream, to `queue`.
    pub(super) async fn execute(
        &self,
        job: Job,
        queue: Option<Arc<Queue>>,
    ) -> Result<(RunOutput, Option<Decoded>), RunError> {
        let Job {
            start,
            mut data,
            cancel,
            answer,
        } = job;
        // A journaled run's id is claimed before its journal is read: one run of an id at a
        // time.
        let _claim = match &self.journal {
            Some(journal) => Some(journal.claim(&start, &mut data)?),
            None => None,
        };
        let Prepared {
            mut run,
            reentry,
            opening,
            decided,
        } = self.prepare(start, &data).await?;
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
            journal: self.journal.as_ref().map(|journal| journal.store()),
            written: AtomicBool::new(false),
        };
        // A run that ended with its answer gives it again: nothing runs, nothing is written.
        if matches!(opening, Opening::Ended) {
            let reentry = reentry.unwrap_or_default();
            return match driver.ended_reply(&run, reentry) {
                Ok((text, value)) => Ok((driver.events.finished(run.finished(text)), value)),
                Err(halt) => Err(run.halted(halt)),
            };
        }
        // (The journal's own futures are boxed: a run without one does not carry them.)
        if driver.journal.is_some()
            && let Err(failure) = Box::pin(driver.open(&run, opening, decided.as_ref())).await
        {
            return Err(run.failed(failure));
        }
        let stop = pin!(async move {
            match &cancel {
                Some(token) => token.cancelled().await,
                None => std::future::pending().await,
            }
        });
        let outcome = driver.drive(&mut run, reentry, stop).await;
        if driver.journal.is_some() {
            Box::pin(driver.close(last_step(&outcome, &run))).await;
        }
        match outcome {
            Ok((text, value)) => Ok((driver.events.finished(run.finished(text)), value)),
            Err(halt) => Err(run.halted(halt)),
        }
    }

    /// The state a run starts from (a conversation, repaired; a paused run with the decisions
    /// on its calls; a run rebuilt from its journal), or why it cannot start: nothing has run.
    async fn prepare(&self, start: Start, data: &RunData) -> Result<Prepared, RunError> {
        let missing = self.missing_run_data(data);
        match start {
            Start::Conversation(mut messages) => {
                repair_messages(&mut messages);
                let run = RunState::new(data.run_id().map(str::to_owned), messages);
                if let Some(failure) = missing {
                    return Err(run.failed(failure));
                }
                Ok(Prepared {
                    run,
                    reentry: None,
                    opening: Opening::Started,
                    decided: None,
                })
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
                // A paused run of the journal is resumed from the journal.
                if let Some(journaled) = Box::pin(self.journaled_pause(&paused, &decisions)).await {
                    return journaled;
                }
                let mut run = paused.state;
                repair_messages(&mut run.messages);
                Ok(Prepared {
                    run,
                    reentry: Some(Reentry::decided(decisions.clone())),
                    opening: Opening::Started,
                    decided: Some(decisions),
                })
            }
            Start::Recover { run_id, decisions } => {
                Box::pin(self.recovered(run_id, decisions, missing)).await
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
        reentry: Option<Reentry>,
        mut stop: Stop<'_>,
    ) -> Result<Reply, Halt> {
        if let Some(reentry) = reentry
            && let Some(reply) = Box::pin(self.take_up(run, reentry, stop.as_mut())).await?
        {
            return Ok(reply);
        }
        let agent = self.agent;
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
            let tool_choice = run.tool_choice(&agent.tool_choice);
            let mut calls = self.calls(turn);
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
            // Recorded before the run goes on: a recovered run never asks for this turn again.
            if self.journal.is_some() {
                let step = Step::Answered {
                    turn,
                    message: Cow::Borrowed(&response.message),
                    usage: response.usage,
                };
                if let Err(failure) = Box::pin(self.record(&step)).await {
                    let slots = self.stopped(turn, calls).await;
                    return Err(run.interrupted(failure, Some(response.message), slots));
                }
            }
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
                    let checked = self.settle(run, calls, &answers, stop.as_mut()).await?;
                    checked.map(|checked| (checked, false))
                }
            };
            if checked.is_some()
                && let Some(reply) = self.conclude(run, checked).await?
            {
                return Ok(reply);
            }
        }
    }

    /// A resumed or recovered run takes up where it stood: an answer recorded and not yet
    /// taken is taken (a typed one checked), a pending turn is settled. The reply, if that
    /// ended the run.
    async fn take_up(
        &self,
        run: &mut RunState,
        reentry: Reentry,
        stop: Stop<'_>,
    ) -> Result<Option<Reply>, Halt> {
        if let Some(text) = reentry.answer {
            let Some(answer) = self.answer else {
                return Ok(Some((text, None)));
            };
            let checked = answer.check(&text, Form::Text);
            return self.conclude(run, Some((checked, true))).await;
        }
        // A final answer given by the final tool in the turn that closed last: checked again
        // (accepted, it is the reply; refused, the retry is counted, as it was before the
        // crash).
        if reentry.turn_closed
            && let Some(checked) = self.answer.and_then(|answer| answer.given(&run.messages))
        {
            return self.conclude(run, Some((checked, false))).await;
        }
        if run.pending.is_none() {
            return Ok(None);
        }
        let (calls, answers) = match self.reenter(run, &reentry).await {
            Ok(reentered) => reentered,
            Err((calls, failure)) => {
                let slots = self.stopped(run.turn, calls).await;
                return Err(run.interrupted(failure, None, slots));
            }
        };
        let checked = self.settle(run, calls, &answers, stop).await?;
        self.conclude(run, checked.map(|checked| (checked, false)))
            .await
    }

    /// A typed answer's check: accepted, the run's reply; refused, sent back to the model
    /// (recorded) while retries are left.
    async fn conclude(&self, run: &mut RunState, checked: Checked) -> Result<Option<Reply>, Halt> {
        let (refused, in_text) = match checked {
            None => return Ok(None),
            Some((Ok(accepted), _)) => return Ok(Some((accepted.text, Some(accepted.value)))),
            Some((Err(refused), in_text)) => (refused, in_text),
        };
        let budget = self.answer.map_or(0, |answer| answer.retries);
        let problem = self.journal.map(|_| refused.problem.clone());
        run.answer_refused(budget, refused, in_text)?;
        if let Some(problem) = problem {
            let problem = Cow::Owned(problem);
            Box::pin(self.record(&Step::Refused { problem, in_text })).await?;
        }
        Ok(None)
    }
}
