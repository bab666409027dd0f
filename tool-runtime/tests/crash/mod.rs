//! The crash harness of `journal_crash.rs`: a parent process that serves the model and kills
//! children with SIGKILL ([`parent`]), the children that run the agents ([`child`]), the
//! model's script ([`model`]) and the checks made once every run has ended ([`checks`]).
//!
//! The parent and its children share three files in one directory: the SQLite journal, the
//! ledger of side effects (one line per effect, appended with `O_APPEND` by the tools) and the
//! outcomes (one line per run that ended in a child, appended by that child).

pub(crate) mod checks;
pub(crate) mod child;
pub(crate) mod model;
pub(crate) mod parent;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use support::Wire;

/// The environment variable that makes the `child` test a child: its [`ChildConfig`] as JSON.
pub(crate) const CHILD_ENV: &str = "JOURNAL_CRASH_CHILD";

/// The line a child prints once its journal is open and its agents are built: the parent
/// starts its kill timer then.
pub(crate) const READY: &str = "journal-crash-child ready";

/// What a child is told: where the shared files are, where the model is, which runs to finish.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ChildConfig {
    /// The SQLite journal, shared by every child.
    pub(crate) journal: PathBuf,
    /// The ledger of side effects.
    pub(crate) ledger: PathBuf,
    /// The outcomes of the runs that ended.
    pub(crate) outcomes: PathBuf,
    /// The mock server's address, `127.0.0.1:PORT`.
    pub(crate) server: String,
    /// The runs to finish: `run_id(0)` up to `run_id(runs - 1)`.
    pub(crate) runs: usize,
    /// How long the person takes to decide on a paused run's calls, in milliseconds.
    pub(crate) pause_ms: u64,
}

/// The id of the run numbered `index` (also the journal's key, and named in its prompt).
pub(crate) fn run_id(index: usize) -> String {
    format!("r{index:05}")
}

/// The number of the run `id` (the inverse of [`run_id`]).
pub(crate) fn run_index(id: &str) -> Option<usize> {
    id.strip_prefix('r')?.parse().ok()
}

/// The prompt of the run `id`: the model's script finds the run by it.
pub(crate) fn prompt(id: &str) -> String {
    format!("crash-run {id}: follow the plan.")
}

/// The marker the model's script looks for in a request to find its run.
pub(crate) const PROMPT_MARKER: &str = "crash-run ";

/// The wire the run numbered `index` talks over: the runs take turns over every wire.
pub(crate) fn wire_of(index: usize) -> Wire {
    Wire::ALL[index % Wire::ALL.len()]
}

/// The tag of the call at place `k` of turn `turn` of run `run`: the call's identity in the
/// plan, whatever id the model gave it. Every tool takes it and writes it to the ledger.
pub(crate) fn tag(run: &str, turn: usize, k: usize) -> String {
    format!("{run}.t{turn}.k{k}")
}

/// Every tag of run `run` in `text` (a request's body, a journal entry), in order.
pub(crate) fn tags_in<'t>(text: &'t str, run: &str) -> Vec<&'t str> {
    let prefix = format!("{run}.t");
    let mut tags = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(&prefix) {
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '.'))
            .unwrap_or(tail.len());
        tags.push(&tail[..end]);
        rest = &tail[end..];
    }
    tags
}

/// The turn a tag names (`r00007.t2.k3` → 2).
pub(crate) fn tag_turn(tag: &str) -> Option<usize> {
    let (_, after) = tag.split_once(".t")?;
    after.split('.').next()?.parse().ok()
}

/// The tools of the harness, and what the journal may do with a call of theirs that was
/// running when its process died.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Tool {
    /// Not idempotent: its effect must happen at most once.
    Charge,
    /// Idempotent: may run again, with the same idempotency key.
    Reserve,
    /// Read-only: may run again.
    Price,
    /// Needs a person's approval; not idempotent.
    Pay,
}

impl Tool {
    /// The tool's name, as the model calls it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Charge => "charge",
            Self::Reserve => "reserve",
            Self::Price => "price",
            Self::Pay => "pay",
        }
    }

    /// The tool named `name`.
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        [Self::Charge, Self::Reserve, Self::Price, Self::Pay]
            .into_iter()
            .find(|tool| tool.name() == name)
    }

    /// Whether a call of this tool may run again after a crash (read-only or idempotent).
    pub(crate) fn may_repeat(self) -> bool {
        matches!(self, Self::Reserve | Self::Price)
    }

    /// What the tool returns when it ran.
    pub(crate) fn result(self) -> &'static str {
        match self {
            Self::Charge => "charged",
            Self::Reserve => "reserved",
            Self::Price => "12 EUR",
            Self::Pay => "paid",
        }
    }
}

/// Whether the person approves the `pay` call tagged `tag` (about one in four is denied; the
/// same tag always gets the same answer).
pub(crate) fn approves(tag: &str) -> bool {
    tag.bytes().map(u32::from).sum::<u32>() % 4 != 0
}

/// The reason a denied call is given (its result, as the model reads it).
pub(crate) const DENIED: &str = "Not approved.";

/// A small seeded random generator (xorshift64*), so that a seed replays the same plans and
/// the same kill delays.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    /// A generator for `seed` (any value, zero too).
    pub(crate) fn new(seed: u64) -> Self {
        // splitmix64 of the seed: never zero, and close seeds give unrelated streams.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Self((z ^ (z >> 31)) | 1)
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number from `low` to `high`, both included.
    pub(crate) fn range(&mut self, low: u64, high: u64) -> u64 {
        low + self.next_u64() % (high - low + 1)
    }

    /// True `numerator` times in `denominator`.
    pub(crate) fn chance(&mut self, numerator: u64, denominator: u64) -> bool {
        self.next_u64() % denominator < numerator
    }
}
