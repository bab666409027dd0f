//! The journal's side of a run: claiming the run's id, rebuilding a run from its journal
//! (recovery, resuming by id), and writing its steps — the first ones, each one before the run
//! moves on, and the last one.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};

use super::Agent;
use super::driver::{Driver, Reply};
use super::request::Start;
use crate::conversation::{AssistantMessage, ToolCall, Usage};
use crate::journal::{Entry, Journal, JournalError};
use crate::run::answer::{Form, Refused};
use crate::run::pause::{Decisions, PausedRun};
use crate::run::record::{ANSWERED, FORMAT, Reentry, Replayed, Step, replay};
use crate::run::state::new_run_id;
use crate::run::transition::Halt;
use crate::run::{RunError, RunFailure, RunState};
use crate::tool::RunData;

/// An agent's journal, and the runs of it that the agent (or a clone) is running now: a run
/// is run by one of them at a time.
pub(super) struct Journaled {
    store: Box<dyn Journal>,
    running: Mutex<HashSet<String>>,
}

/// A run id claimed: released when the run is over (or its future dropped).
pub(super) struct Claim {
    journaled: Arc<Journaled>,
    run_id: String,
}

impl Journaled {
    pub(super) fn new(store: impl Journal + 'static) -> Self {
        Self {
            store: Box::new(store),
            running: Mutex::default(),
        }
    }

    pub(super) fn store(&self) -> &dyn Journal {
        self.store.as_ref()
    }

    /// Claims the id of the run `start` begins (a new run without one is given one now), or
    /// says that a run of that id is running already: nothing has run.
    pub(super) fn claim(
        self: &Arc<Self>,
        start: &Start,
        data: &mut RunData,
    ) -> Result<Claim, RunError> {
        let run_id = match start {
            Start::Conversation(_) => match data.run_id() {
                Some(id) => id.to_owned(),
                None => {
                    let id = new_run_id();
                    *data = std::mem::take(data).with_run_id(id.as_str());
                    id
                }
            },
            Start::Resume(paused, _) => paused.run_id().to_owned(),
            Start::Recover { run_id, .. } => run_id.clone(),
        };
        let fresh = self
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(run_id.clone());
        if !fresh {
            // What the caller gave, handed back.
            let run = match start {
                Start::Conversation(messages) => {
                    RunState::new(Some(run_id.clone()), messages.clone())
                }
                Start::Resume(paused, _) => paused.state.clone(),
                Start::Recover { .. } => RunState::new(Some(run_id.clone()), Vec::new()),
            };
            return Err(run.failed(JournalError::Running(run_id).into()));
        }
        Ok(Claim {
            journaled: Arc::clone(self),
            run_id,
        })
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        let mut running = self.journaled.running.lock();
        running
            .as_mut()
            .unwrap_or_else(|poisoned| poisoned.get_mut())
            .remove(&self.run_id);
    }
}

/// A run about to start: its state, how it takes up a pending turn, and what it records first.
pub(super) struct Prepared {
    pub(super) run: RunState,
    pub(super) reentry: Option<Reentry>,
    pub(super) opening: Opening,
    /// Decisions given now, recorded before anything runs.
    pub(super) decided: Option<Decisions>,
}

/// What a run records before it goes on.
pub(super) enum Opening {
    /// Its state: a new run, or a paused one resumed by value.
    Started,
    /// Nothing, or the message of a turn that its crash cut short.
    Recovered(Option<(usize, AssistantMessage)>),
    /// Nothing: the run ended with its answer, which it gives again.
    Ended,
}

/// The last step of a run that stopped with `outcome`.
pub(super) fn last_step(outcome: &Result<Reply, Halt>, run: &RunState) -> Step<'static> {
    match outcome {
        Ok(_) => Step::Ended {
            outcome: Cow::Borrowed(ANSWERED),
        },
        Err(Halt::Paused) => Step::Paused {
            waiting: run
                .pending
                .iter()
                .flat_map(|pending| pending.waiting())
                .map(|call| call.id.clone())
                .collect(),
        },
        Err(Halt::Failed(failure)) => Step::Ended {
            outcome: Cow::Owned(failure.to_string()),
        },
    }
}

/// The calls of the message a run is answering, if it is answering one.
fn pending_calls(run: &RunState) -> Option<&[ToolCall]> {
    let pending = run.pending.as_ref()?;
    Some(&pending.assistant.tool_calls)
}

impl<S: Send + Sync + 'static> Agent<S> {
    fn journal_store(&self) -> Option<&dyn Journal> {
        self.journal.as_ref().map(|journal| journal.store())
    }

    /// A paused run given by value that the journal has: resumed from the journal, as by its
    /// id, if the journal's run waits at the same turn on the same calls; refused if the
    /// journal's run went on since (the paused run is stale). `None` when the journal does not
    /// have it.
    pub(super) async fn journaled_pause(
        &self,
        paused: &PausedRun,
        decisions: &Decisions,
    ) -> Option<Result<Prepared, RunError>> {
        let journal = self.journal_store()?;
        let run_id = paused.run_id();
        let failed = |error: JournalError| Some(Err(paused.state.clone().failed(error.into())));
        let entries = match journal.entries(run_id).await {
            Ok(entries) if entries.is_empty() => return None,
            Ok(entries) => entries,
            Err(error) => return failed(error),
        };
        let replayed = match replay(run_id, &entries) {
            Ok(replayed) => replayed,
            Err(error) => return failed(error),
        };
        let same = replayed.ended.is_none()
            && replayed.state.turn == paused.state.turn
            && pending_calls(&replayed.state) == pending_calls(&paused.state);
        if !same {
            let problem = format!(
                "the journal's run `{run_id}` went on since this paused run was saved (it is \
                 stale): resume the run by its id, with `Agent::resume_run`"
            );
            let paused = Box::new(paused.clone());
            let run = paused.state.clone();
            return Some(Err(run.failed(RunFailure::NotResumed { problem, paused })));
        }
        Some(
            self.recovered(run_id.to_owned(), Some(decisions.clone()), None)
                .await,
        )
    }

    /// A run rebuilt from the agent's journal, to go on from its last recorded step (with
    /// `decisions` on its waiting calls, if given).
    pub(super) async fn recovered(
        &self,
        run_id: String,
        decisions: Option<Decisions>,
        missing: Option<RunFailure>,
    ) -> Result<Prepared, RunError> {
        let unknown = |failure: JournalError| {
            RunState::new(Some(run_id.clone()), Vec::new()).failed(failure.into())
        };
        let Some(journal) = self.journal_store() else {
            return Err(unknown(JournalError::NoJournal));
        };
        let entries = journal.entries(&run_id).await.map_err(unknown)?;
        let Replayed {
            state: run,
            mut reentry,
            ended,
            cut_short,
        } = replay(&run_id, &entries).map_err(unknown)?;
        if let Some(outcome) = ended {
            // A run that ended with its answer gives it again; any other is over.
            let answered = outcome == ANSWERED && (reentry.answer.is_some() || reentry.turn_closed);
            if !answered || decisions.is_some() {
                return Err(run.failed(JournalError::Ended(run_id).into()));
            }
            return Ok(Prepared {
                run,
                reentry: Some(reentry),
                opening: Opening::Ended,
                decided: None,
            });
        }
        if let Some(failure) = missing {
            return Err(run.failed(failure));
        }
        let Some(decisions) = decisions else {
            return Ok(Prepared {
                run,
                reentry: Some(reentry),
                opening: Opening::Recovered(cut_short),
                decided: None,
            });
        };
        // The calls that wait for a decision: not those that were running when the process
        // stopped.
        let waiting: Vec<String> = run
            .pending
            .iter()
            .flat_map(|pending| pending.assistant.tool_calls.iter().zip(&pending.results))
            .enumerate()
            .filter(|(place, (_, result))| result.is_none() && !reentry.was_interrupted(*place))
            .map(|(_, (call, _))| call.id.clone())
            .collect();
        if waiting.is_empty() || cut_short.is_some() {
            return Err(run.failed(JournalError::NotWaiting(run_id).into()));
        }
        let waiting: Vec<&str> = waiting.iter().map(String::as_str).collect();
        let paused = PausedRun { state: run };
        if let Some(problem) = paused.problem_among(&decisions, &waiting) {
            let run = paused.state.clone();
            let paused = Box::new(paused);
            return Err(run.failed(RunFailure::NotResumed { problem, paused }));
        }
        reentry.decisions.extend(decisions.clone());
        Ok(Prepared {
            run: paused.state,
            reentry: Some(reentry),
            opening: Opening::Recovered(None),
            decided: Some(decisions),
        })
    }
}

impl<S: Send + Sync + 'static> Driver<'_, S> {
    /// The answer of a run that ended with it, as it was given (a typed one checked again):
    /// nothing runs, nothing is written.
    pub(super) fn ended_reply(&self, run: &RunState, reentry: Reentry) -> Result<Reply, Halt> {
        let checked = match (reentry.answer, self.answer) {
            (Some(text), None) => return Ok((text, None)),
            (Some(text), Some(answer)) => Some(answer.check(&text, Form::Text)),
            (None, answer) => answer.and_then(|answer| answer.given(&run.messages)),
        };
        match checked {
            Some(Ok(accepted)) => Ok((accepted.text, Some(accepted.value))),
            Some(Err(Refused { problem, answer })) => {
                Err(RunFailure::InvalidAnswer { problem, answer }.into())
            }
            None => Err(RunFailure::from(JournalError::Ended(self.run_id().to_owned())).into()),
        }
    }

    /// Writes `step` to the run's journal, if it has one, before the run goes on.
    pub(super) async fn record(&self, step: &Step<'_>) -> Result<(), RunFailure> {
        if self.journal.is_none() {
            return Ok(());
        }
        self.append(&[self.entry(step)?]).await
    }

    /// `step` as the journal keeps it, if it is not larger than the journal keeps.
    pub(super) fn entry(&self, step: &Step<'_>) -> Result<Entry, RunFailure> {
        let entry = step.entry()?;
        let limit = self
            .journal
            .map_or(usize::MAX, |journal| journal.max_entry_bytes());
        match entry.json().len() {
            bytes if bytes > limit => Err(JournalError::TooLarge { bytes, limit }.into()),
            _ => Ok(entry),
        }
    }

    /// Writes `entries` to the run's journal at once, before the run goes on.
    pub(super) async fn append(&self, entries: &[Entry]) -> Result<(), RunFailure> {
        if let Some(journal) = self.journal
            && !entries.is_empty()
        {
            journal.append(self.run_id(), entries).await?;
            self.written.store(true, Ordering::Relaxed);
        }
        Ok(())
    }

    /// The first steps of a run: where it starts from, the decisions it was given.
    pub(super) async fn open(
        &self,
        run: &RunState,
        opening: Opening,
        decided: Option<&Decisions>,
    ) -> Result<(), RunFailure> {
        if self.journal.is_none() {
            return Ok(());
        }
        match opening {
            Opening::Started => {
                let state = Cow::Borrowed(run);
                self.record(&Step::Started {
                    format: FORMAT,
                    state,
                })
                .await?;
            }
            Opening::Recovered(Some((turn, message))) => {
                let message = Cow::Owned(message);
                let usage = Usage::default();
                self.record(&Step::Answered {
                    turn,
                    message,
                    usage,
                })
                .await?;
            }
            Opening::Recovered(None) | Opening::Ended => {}
        }
        if let Some(decisions) = decided {
            let decisions = Cow::Borrowed(decisions);
            self.record(&Step::Decided { decisions }).await?;
        }
        Ok(())
    }

    /// Records the run's last step: it ended (which ends it in the journal), or it waits for
    /// decisions. A journal that fails now cannot change the outcome the caller gets: that is
    /// logged, and the run stays unfinished in the journal (a recovery would take it up).
    pub(super) async fn close(&self, step: Step<'static>) {
        // A paused run taken up and paused again with nothing new is in the journal as it was.
        if matches!(step, Step::Paused { .. }) && !self.written.load(Ordering::Relaxed) {
            return;
        }
        // An `ended` step ends the run in the journal as it is written.
        if let Err(failure) = self.record(&step).await {
            tracing::warn!(
                run_id = self.run_id(),
                %failure,
                "the run's end could not be recorded in its journal"
            );
        }
    }

    fn run_id(&self) -> &str {
        self.data.run_id().unwrap_or_default()
    }
}
