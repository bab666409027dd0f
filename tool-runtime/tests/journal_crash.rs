//! Runs that survive real crashes: child processes run journaled agents against the local mock
//! server, and this process kills them with SIGKILL at seeded random points — mid-stream, mid
//! fan-out, between a tool's side effect and the journal's record of it, while a run waits for
//! a person — and a fresh child recovers what the last one left, from the SQLite journal they
//! share. Every tool writes its side effect to a ledger file outside the process (`O_APPEND`)
//! before it takes a few milliseconds to return; the server checks every request against the
//! protocol and against the journal as it arrives.
//!
//! What holds, checked at the end: every run ends with its final answer; no non-idempotent
//! side effect twice; an idempotent call repeated only under its one key (`run/turn/call id`); no
//! request for a turn whose answer the journal held; every call id answered once; every request
//! accepted by the protocol checker; the journal lists no unfinished run.
//!
//! The test binary is also the child: the parent runs it again with the `child` test selected
//! and its config in `JOURNAL_CRASH_CHILD` (without it, `child` returns at once).
//!
//! The soak (1,000 crashes; prints its figures):
//!
//! ```sh
//! cargo test -p tool-runtime --features sqlite --test journal_crash -- \
//!     --ignored soak --nocapture
//! ```
//!
//! `JOURNAL_CRASH_SOAK_CRASHES=5000` injects more; `JOURNAL_CRASH_SEED=0x…` replays a seed (the
//! report prints it; the kill points also depend on timing); `JOURNAL_CRASH_KEEP=1` keeps the
//! session's files (journal, ledger, outcomes, the children's stderr), which a failure keeps
//! anyway.

mod crash;

use crash::parent::{self, Settings};

/// The child's entry point: works when the parent started this binary as a child, returns at
/// once otherwise.
#[test]
fn child() {
    crash::child::main_if_child();
}

/// 200 SIGKILLs at random points, then a fresh process recovers every run: no side effect
/// twice, no journaled turn asked again, every run answered.
#[test]
fn two_hundred_sigkills_lose_nothing_and_repeat_nothing() {
    let report = parent::run(Settings::suite());
    println!("{report}");
    report.assert_clean();
    assert_eq!(report.crashes, 200);
    assert_eq!(report.figures.duplicates, 0);
    assert_eq!(report.journaled_repeats, 0);
    // The kills landed where they should, each kind at least once.
    let kills = &report.kills;
    for (what, count) in [
        ("while paused", kills.paused),
        ("mid-stream", kills.mid_stream),
        ("mid fan-out", kills.mid_fan_out),
        (
            "between an effect and its journal write",
            kills.effect_not_journaled,
        ),
    ] {
        assert!(count > 0, "no kill landed {what}:\n{report}");
    }
}

/// The soak: the same session with 1,000 crashes (or `JOURNAL_CRASH_SOAK_CRASHES`), a fresh
/// seed each time (or `JOURNAL_CRASH_SEED`); prints its figures.
#[test]
#[ignore = "a soak of a few minutes: run it with --ignored (see the module's docs)"]
fn soak() {
    let report = parent::run(Settings::soak());
    println!("{report}");
    report.assert_clean();
}
