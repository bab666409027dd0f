//! Runs that survive a crash: a [`Journal`] keeps every step of a run, written before the run
//! moves on, so that [`Agent::recover`](crate::Agent::recover) can continue the run in a fresh
//! process after a crash, without asking the model again for an answer it gave and without
//! running again a call that may have taken effect.
//!
//! Give an agent a journal with [`Agent::journal`](crate::Agent::journal); every run of that
//! agent is then journaled under its [run id](crate::CallContext::run_id). What is written, in
//! order:
//!
//! | entry | when | what recovery does with it |
//! | --- | --- | --- |
//! | `started` | the run starts (or a paused run is resumed by value) | the state to replay from |
//! | `call_started` | just before a call starts (a call held for a person, or giving a typed final answer, has none) | a call started without a result was interrupted (see below) |
//! | `call_finished` | a call's result is in | the result is kept: the call does not run again |
//! | `answered` | the model's whole response is in (or, on recovery, the calls that started of a response the crash cut short: its text is lost) | the model is not asked again for that turn |
//! | `refused` | a typed answer was sent back as wrong | the retry is counted |
//! | `decided` | decisions on a paused run's calls | approved calls run, denied ones are answered |
//! | `paused` | the run waits for decisions (on the calls it names) | the run pauses again |
//! | `ended` | the run answered or failed | nothing runs: a run that ended with its answer gives it again |
//!
//! A call that was running when the process died is run again only if its tool says that is
//! safe; otherwise the model is told plainly that the outcome is unknown:
//!
//! | the tool is… | on recovery, a call started without a recorded result… |
//! | --- | --- |
//! | `read_only` ([`ToolHints`](crate::tool::ToolHints)) | runs again |
//! | `idempotent` | runs again, with the same [idempotency key](crate::CallContext::idempotency_key) |
//! | neither (the default) | does not run again: its result says the call was interrupted and its outcome is unknown |
//!
//! Stores: [`MemoryJournal`] (one process; for tests), and `SqliteJournal` (feature
//! `sqlite`: a file that survives the process). Another store implements [`Journal`]: it keeps
//! each run's [`Entry`]s in the order they were appended and which runs have ended, refuses a
//! step that starts a run it has, and ends a run on its `ended` step (see [`Journal`]).
//!
//! With a journal, a call starts once its start is written: the calls that arrived together
//! (before the model's stream paused) start together, after one write, and the results that
//! came in together are written at once.
//!
//! A run of an id is run by one agent (or its clones) at a time: a second run, recovery or
//! resumption of a run that is running ends at once with [`JournalError::Running`], and a new
//! run given the id of a run the journal has with [`JournalError::Exists`]. Across processes
//! nothing stops two from taking up one run: a service with several replicas gives each its
//! own runs (its own journal file, say) and recovers only those.

mod memory;
#[cfg(feature = "sqlite")]
mod sqlite;

use std::fmt;
use std::future::Future;
use std::pin::Pin;

pub use memory::MemoryJournal;
#[cfg(feature = "sqlite")]
pub use sqlite::{Durability, SqliteJournal};

/// What a [`Journal`]'s methods return: a boxed future, so that the trait stays object-safe.
pub type JournalFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, JournalError>> + Send + 'a>>;

/// Where the steps of runs are kept, so that a run survives the process running it.
///
/// A store keeps, for each run id, the [`Entry`]s appended to it, in order, and whether the run
/// has ended. An append returns once its entries are as durable as the store promises (for
/// the SQLite store, committed): the run moves on only then. The library writes the entries
/// and reads them back; a store looks inside none, and keeps three rules, by the entries'
/// kinds:
///
/// - an entry that [`starts`](Entry::starts) a run is refused, with
///   [`JournalError::Exists`] and nothing written, when the run has entries already (a new run
///   given the id of another is never mixed into its steps);
/// - an entry that [`ends`](Entry::ends) a run ends it, in the same write
///   ([`end`](Self::end) ends it too);
/// - (a store may show a run whose last entry [`pauses`](Entry::pauses) it apart: it waits
///   for a person.)
///
/// ```
/// use tool_runtime::journal::{Entry, Journal, MemoryJournal};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), tool_runtime::journal::JournalError> {
/// let journal = MemoryJournal::new();
/// let step = Entry::new("note", r#"{"kind":"note"}"#);
/// journal.append("run_1", &[step.clone(), step]).await?;
/// assert_eq!(journal.entries("run_1").await?.len(), 2);
/// assert_eq!(journal.unfinished().await?, ["run_1"]);
/// journal.end("run_1").await?;
/// assert!(journal.unfinished().await?.is_empty());
/// # Ok(()) }
/// ```
pub trait Journal: Send + Sync {
    /// Appends `entries` to the run `run_id` (a run is created by its first entry), in order,
    /// all or none, durably, before the returned future completes. (The library appends the
    /// steps that happen together at once: the calls that arrived before the model's stream
    /// paused, the results that came in together.)
    fn append<'a>(&'a self, run_id: &'a str, entries: &'a [Entry]) -> JournalFuture<'a, ()>;

    /// Every entry of the run `run_id`, in the order they were appended; empty for a run the
    /// journal does not have.
    fn entries<'a>(&'a self, run_id: &'a str) -> JournalFuture<'a, Vec<Entry>>;

    /// The ids of the runs that have entries and have not ended, oldest first: those a
    /// service recovers when it starts (a paused run is among them: recovering it pauses it
    /// again).
    fn unfinished(&self) -> JournalFuture<'_, Vec<String>>;

    /// Marks the run `run_id` ended: it is no longer [unfinished](Self::unfinished). Its
    /// entries may be kept (to read) or dropped, as the store chooses.
    fn end<'a>(&'a self, run_id: &'a str) -> JournalFuture<'a, ()>;

    /// The largest entry this store keeps, in bytes of its JSON (default 64 MiB). A tool
    /// result larger than this is recorded (and sent to the model) as an error result saying
    /// so; any other entry larger than this ends its run with [`JournalError::TooLarge`]. (The
    /// library checks each entry against it before appending.)
    fn max_entry_bytes(&self) -> usize {
        64 << 20
    }
}

/// One step of a run, as a store keeps it: a short kind (`started`, `call_finished`…) and the
/// step's JSON, which holds everything (its kind too). A store keeps both as they are, and
/// gives them back with [`Entry::new`].
#[derive(Clone, PartialEq, Eq)]
pub struct Entry {
    kind: String,
    json: String,
}

impl Entry {
    /// An entry as a store read it back.
    pub fn new(kind: impl Into<String>, json: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            json: json.into(),
        }
    }

    /// What kind of step it is: `started`, `call_started`, `call_finished`, `answered`,
    /// `refused`, `decided`, `paused` or `ended`.
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The step, as JSON.
    pub fn json(&self) -> &str {
        &self.json
    }

    /// Whether this step pauses its run: it waits for a person's decisions (a store may show
    /// such runs apart).
    pub fn pauses(&self) -> bool {
        self.kind == "paused"
    }

    /// Whether this step ends its run: a store marks the run ended as it appends the step, in
    /// the same write, so that a process stopping right after cannot leave an ended run
    /// [unfinished](Journal::unfinished).
    pub fn ends(&self) -> bool {
        self.kind == "ended"
    }

    /// Whether this step starts its run: a store refuses it ([`JournalError::Exists`]) when
    /// the run has entries already.
    pub fn starts(&self) -> bool {
        self.kind == "started"
    }
}

/// Short: the kind and the JSON's size (a step can hold a 10 MB result).
impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("kind", &self.kind)
            .field("bytes", &self.json.len())
            .finish()
    }
}

/// Why a journal could not write or read a run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// The agent has no journal to recover a run from.
    #[error("the agent has no journal (give it one with `Agent::journal`)")]
    NoJournal,
    /// The journal has no entries for this run.
    #[error("the journal has no run `{0}`")]
    UnknownRun(String),
    /// The run has ended, without an answer to give again: it failed or was cancelled, or (a
    /// typed run) it was recovered without the type its answer is checked against
    /// ([`RunRequest::output`](crate::agent::RunRequest::output)). Recovering a run that ended
    /// with its answer gives the answer again.
    #[error("the run `{0}` has ended")]
    Ended(String),
    /// The run is running already, in this agent or a clone of it: a run of an id is run once
    /// at a time.
    #[error("the run `{0}` is running already")]
    Running(String),
    /// A new run was given the id of a run the journal has (recover that one, or give the new
    /// run another id): a store refuses a step that [starts](Entry::starts) a run it has.
    #[error("the journal has a run `{0}` already: recover it, or give the new run another id")]
    Exists(String),
    /// Decisions were given for a run that does not wait for any.
    #[error("the run `{0}` does not wait for decisions")]
    NotWaiting(String),
    /// An entry is larger than the store keeps ([`Journal::max_entry_bytes`]).
    #[error("a step of {bytes} bytes is larger than the journal keeps ({limit} bytes)")]
    TooLarge {
        /// The entry's size.
        bytes: usize,
        /// The store's limit.
        limit: usize,
    },
    /// An entry could not be read: written by a newer version of this library, or damaged.
    #[error("the journal of run `{run_id}` cannot be read: {problem}")]
    Unreadable {
        /// The run.
        run_id: String,
        /// What is wrong.
        problem: String,
    },
    /// The store failed (a disk, a lock, a connection).
    #[error("the journal's store failed: {0}")]
    Store(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// A shared journal is a journal (an `Arc<dyn Journal>` too).
impl<J: Journal + ?Sized> Journal for std::sync::Arc<J> {
    fn append<'a>(&'a self, run_id: &'a str, entries: &'a [Entry]) -> JournalFuture<'a, ()> {
        (**self).append(run_id, entries)
    }

    fn entries<'a>(&'a self, run_id: &'a str) -> JournalFuture<'a, Vec<Entry>> {
        (**self).entries(run_id)
    }

    fn unfinished(&self) -> JournalFuture<'_, Vec<String>> {
        (**self).unfinished()
    }

    fn end<'a>(&'a self, run_id: &'a str) -> JournalFuture<'a, ()> {
        (**self).end(run_id)
    }

    fn max_entry_bytes(&self) -> usize {
        (**self).max_entry_bytes()
    }
}

impl JournalError {
    /// A store's own error.
    pub fn store(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Store(Box::new(error))
    }
}
