//! A run as plain data: its [state](state::RunState), the few [transitions](transition) that
//! change it, the [approval gate and the paused run](pause), [typed answers](answer), and how a
//! run ends ([`RunOutput`], [`RunError`]). No I/O happens here: the
//! [`Agent`](crate::Agent) drives a run, performing what each state asks for.

pub(crate) mod answer;
mod outcome;
pub(crate) mod pause;
pub(crate) mod record;
pub(crate) mod state;
pub(crate) mod transition;

pub use outcome::{RunError, RunFailure, RunOutput};
pub use pause::{Decision, PausedRun};
pub(crate) use state::RunState;
