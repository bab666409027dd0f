//! Extractors: tool parameters the runtime fills in, never in the schema. [`State<T>`] takes a
//! part of the toolbox's state ([`FromRef`]); [`CallContext`] and [`PerRun<T>`] come from the call
//! ([`FromCall`]), and so do extractors of your own.

use std::any::{TypeId, type_name};
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use super::{CallContext, RunData, ToolError};

/// Something the runtime gives a tool from the call it is serving: its [`CallContext`], per-run
/// data ([`PerRun<T>`]), or a type of yours.
///
/// A `#[tool]` parameter marked `#[extract]` is filled by `FromCall` (`CallContext` and `PerRun<T>`
/// need no mark). An `Err` becomes the call's error result without running the tool.
///
/// ```
/// use tool_runtime::tool::{FromCall, ToolError};
/// use tool_runtime::{CallContext, RunData, tool, tools};
///
/// /// Who is asking, from the run's data.
/// struct Caller(String);
///
/// impl FromCall for Caller {
///     fn from_call(call: &CallContext) -> Result<Self, ToolError> {
///         let name = call.run_data().get::<String>().cloned().unwrap_or_else(|| "guest".into());
///         Ok(Caller(name))
///     }
/// }
///
/// /// Greet whoever is asking.
/// #[tool]
/// fn greet(#[extract] caller: Caller) -> String {
///     format!("Hello, {}!", caller.0)
/// }
/// # let _ = tools![greet];
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not something the runtime can give a tool",
    label = "marked `#[extract]`, so it must implement `FromCall`",
    note = "the runtime fills `CallContext`, `PerRun<T>` (per-run data), `State<T>` (the toolbox's state) and types implementing `FromCall`; arguments the model sends are plain parameters of `Deserialize + JsonSchema` types"
)]
pub trait FromCall: Sized {
    /// The value for this call.
    fn from_call(call: &CallContext) -> Result<Self, ToolError>;

    /// The type of per-run data this extractor needs, if any: an agent checks that every tool's
    /// needs are met when a run starts, before the model is asked anything.
    fn run_data_needed() -> Option<RunDataNeed> {
        None
    }
}

/// A type of per-run data a tool needs (see [`FromCall::run_data_needed`]).
///
/// ```
/// use tool_runtime::tool::RunDataNeed;
/// use tool_runtime::RunData;
///
/// struct UserId(u64);
///
/// let need = RunDataNeed::of::<UserId>();
/// assert!(need.type_name().ends_with("UserId"));
/// assert!(need.is_met_by(&RunData::new().with(UserId(7))));
/// assert!(!need.is_met_by(&RunData::new()));
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RunDataNeed {
    type_id: TypeId,
    type_name: &'static str,
}

impl RunDataNeed {
    /// The need of a value of type `T`.
    pub fn of<T: 'static>() -> Self {
        Self {
            type_id: TypeId::of::<T>(),
            type_name: type_name::<T>(),
        }
    }

    /// The type's name, for messages.
    pub fn type_name(&self) -> &'static str {
        self.type_name
    }

    /// Whether `data` holds a value of the type.
    pub fn is_met_by(&self, data: &RunData) -> bool {
        data.contains_id(self.type_id)
    }
}

impl fmt::Debug for RunDataNeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.type_name)
    }
}

impl FromCall for CallContext {
    fn from_call(call: &CallContext) -> Result<Self, ToolError> {
        Ok(call.clone())
    }
}

/// How to take a `T` out of a toolbox's state `S`, for the [`State<T>`] extractor.
///
/// Every `Clone` type is its own part; implement it to hand out a part of a larger state.
///
/// ```
/// use std::sync::Arc;
/// use tool_runtime::tool::FromRef;
///
/// #[derive(Clone)]
/// struct Db(Arc<Vec<String>>);
///
/// struct App {
///     db: Db,
///     api_key: String,
/// }
///
/// impl FromRef<App> for Db {
///     fn from_ref(app: &App) -> Db {
///         app.db.clone()
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "the toolbox's state `{S}` has no `{Self}`",
    label = "a tool here takes `State<{Self}>`",
    note = "build the toolbox with a state that holds it: `Toolbox::with_state(…)` or `tools![state = …; …]`; a `Clone` state gives itself, and `impl FromRef<{S}> for {Self}` takes it out of a larger one"
)]
pub trait FromRef<S> {
    /// The part of `state`.
    fn from_ref(state: &S) -> Self;
}

impl<T: Clone> FromRef<T> for T {
    fn from_ref(state: &T) -> T {
        state.clone()
    }
}

/// A part of the toolbox's state, given to a tool by the runtime (see [`FromRef`]).
///
/// A `#[tool]` that takes `State<Db>` can only be added to a toolbox whose state holds a `Db`:
/// anything else is a compile error where the tool is added.
///
/// ```
/// use std::collections::HashMap;
/// use std::sync::{Arc, Mutex};
/// use tool_runtime::{State, tool, tools};
///
/// #[derive(Clone, Default)]
/// struct Db {
///     stock: Arc<Mutex<HashMap<String, u32>>>,
/// }
///
/// /// How many of an item are in stock.
/// #[tool]
/// fn stock(
///     /// The item.
///     item: String,
///     db: State<Db>,
/// ) -> u32 {
///     // `State<Db>` derefs to the `Db`; `State(db): State<Db>` takes it out.
///     db.stock.lock().unwrap().get(&item).copied().unwrap_or(0)
/// }
///
/// let toolbox = tools![state = Db::default(); stock];
/// assert_eq!(toolbox.len(), 1);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct State<T>(pub T);

impl<T> Deref for State<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for State<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

/// Per-run data of type `T`, given when a run starts ([`RunData`](super::RunData)) and seen by
/// that run's tools only.
///
/// An agent checks, when a run starts, that the run has a `T` for every tool that takes
/// `PerRun<T>`; outside an agent, a call without one is answered with an error result.
///
/// ```
/// use tool_runtime::{PerRun, tool};
///
/// struct UserId(u64);
///
/// /// The asking user's orders.
/// #[tool]
/// fn my_orders(PerRun(user): PerRun<UserId>) -> Vec<String> {
///     vec![format!("order of user {}", user.0)]
/// }
/// ```
pub struct PerRun<T>(pub Arc<T>);

impl<T> Deref for PerRun<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> Clone for PerRun<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<T: fmt::Debug> fmt::Debug for PerRun<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PerRun").field(&self.0).finish()
    }
}

impl<T: Send + Sync + 'static> FromCall for PerRun<T> {
    fn from_call(call: &CallContext) -> Result<Self, ToolError> {
        match call.run_data().get_arc::<T>() {
            Some(value) => Ok(PerRun(value)),
            None => Err(ToolError::Unavailable {
                tool: call.tool_name().to_owned(),
                reason: format!("this run has no data of type `{}`", type_name::<T>()),
            }),
        }
    }

    fn run_data_needed() -> Option<RunDataNeed> {
        Some(RunDataNeed::of::<T>())
    }
}
