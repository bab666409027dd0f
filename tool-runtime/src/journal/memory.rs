//! [`MemoryJournal`]: a journal in the process's memory.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use super::{Entry, Journal, JournalError, JournalFuture};

/// A [`Journal`] in memory: it survives a run (a dropped future, a recovered run in the same
/// process) but not the process. For tests, and for trying a journal out; clones share it.
#[derive(Clone, Default)]
pub struct MemoryJournal {
    runs: Arc<Mutex<Runs>>,
}

#[derive(Default)]
struct Runs {
    /// Each run's entries and whether it ended, by id.
    by_id: HashMap<String, (Vec<Entry>, bool)>,
    /// Run ids in the order they were first written.
    order: Vec<String>,
}

impl MemoryJournal {
    /// An empty journal.
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut Runs) -> T) -> T {
        // A panic while the lock was held cannot leave a half-written entry: keep going.
        f(&mut self.runs.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl Journal for MemoryJournal {
    fn append<'a>(&'a self, run_id: &'a str, entries: &'a [Entry]) -> JournalFuture<'a, ()> {
        let appended = self.with(|runs| {
            if entries.is_empty() {
                return Ok(());
            }
            let has = runs
                .by_id
                .get(run_id)
                .is_some_and(|(had, _)| !had.is_empty());
            if has && entries.iter().any(Entry::starts) {
                return Err(JournalError::Exists(run_id.to_owned()));
            }
            if !runs.by_id.contains_key(run_id) {
                runs.order.push(run_id.to_owned());
            }
            let (had, ended) = runs.by_id.entry(run_id.to_owned()).or_default();
            had.extend_from_slice(entries);
            *ended |= entries.iter().any(Entry::ends);
            Ok(())
        });
        Box::pin(std::future::ready(appended))
    }

    fn entries<'a>(&'a self, run_id: &'a str) -> JournalFuture<'a, Vec<Entry>> {
        let entries = self.with(|runs| {
            runs.by_id
                .get(run_id)
                .map(|(entries, _)| entries.clone())
                .unwrap_or_default()
        });
        Box::pin(std::future::ready(Ok(entries)))
    }

    fn unfinished(&self) -> JournalFuture<'_, Vec<String>> {
        let ids = self.with(|runs| {
            runs.order
                .iter()
                .filter(|id| runs.by_id.get(*id).is_some_and(|(_, ended)| !ended))
                .cloned()
                .collect()
        });
        Box::pin(std::future::ready(Ok(ids)))
    }

    fn end<'a>(&'a self, run_id: &'a str) -> JournalFuture<'a, ()> {
        self.with(|runs| {
            if let Some((_, ended)) = runs.by_id.get_mut(run_id) {
                *ended = true;
            }
        });
        Box::pin(std::future::ready(Ok(())))
    }
}

impl std::fmt::Debug for MemoryJournal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let runs = self.with(|runs| runs.order.len());
        f.debug_struct("MemoryJournal")
            .field("runs", &runs)
            .finish()
    }
}
