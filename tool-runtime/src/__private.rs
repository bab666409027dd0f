//! Items used by the code `#[tool]` generates. Not public API: no stability guarantees.

pub use schemars;
pub use serde;
pub use serde_json;

pub use crate::schema::build::SchemaBuilder;
pub use crate::tool::decode::{
    ArgsStruct, Captured, Issues, Key, Param, Source, capture, decode, doubt, fast_absent,
    fast_value, required_fields,
};
pub use serde::de::IgnoredAny;

use crate::tool::{FromRef, State, ToolError, ToolFuture, ToolOutput};
pub use crate::tool::{
    ToolArgument, ToolArgumentDefault, ToolArgumentDefaultJson, ToolArgumentSchema,
    ToolErrorMessage, ToolReturn,
};

/// Implemented by the type-namespace twin `#[tool]` emits for each tool function (a
/// [`Tool`](crate::tool::Tool), or a [`ToolFor`](crate::tool::ToolFor) of the states it can use).
pub trait MacroTool: Default {
    /// The tool's name, known at compile time.
    const NAME: &'static str;
}

/// A future that fails at once: the arguments did not decode.
pub fn fail(error: impl Into<ToolError>) -> ToolFuture {
    ToolFuture::ready(Err(error.into()))
}

/// The output schema of a tool returning `T`, through `(&&OutputSchema::<T>::new())
/// .output_schema()`: `T`'s JSON Schema when `T: JsonSchema`, `None` otherwise.
pub struct OutputSchema<T: ?Sized>(std::marker::PhantomData<fn() -> Box<T>>);

impl<T: ?Sized> OutputSchema<T> {
    /// The probe.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Self(std::marker::PhantomData)
    }
}

/// Picked when `T: JsonSchema` (the receiver matches without autoderef).
pub trait WithSchema {
    /// `T`'s schema.
    fn output_schema(&self) -> Option<serde_json::Value>;
}

impl<T: schemars::JsonSchema + ?Sized> WithSchema for &OutputSchema<T> {
    fn output_schema(&self) -> Option<serde_json::Value> {
        // The root's description is the type's, not the output's.
        let mut schema = crate::schema::of_type::<T>(true);
        if let Some(root) = schema.as_object_mut() {
            root.remove("description");
        }
        Some(schema)
    }
}

/// Picked otherwise.
pub trait WithoutSchema {
    /// None.
    fn output_schema(&self) -> Option<serde_json::Value>;
}

impl<T: ?Sized> WithoutSchema for OutputSchema<T> {
    fn output_schema(&self) -> Option<serde_json::Value> {
        None
    }
}

/// Requires a tool's future to be `Send + 'static`, so the runtime can spawn it.
pub fn send_future<F: std::future::Future + Send + 'static>(future: F) -> F {
    future
}

/// Requires the future of a tool method to be `Send` (it borrows the method's value, which the
/// tool's own future owns).
pub fn send_method_future<F: std::future::Future + Send>(future: F) -> F {
    future
}

/// What a `#[toolset]` tool compiled out by `#[cfg]` takes from any state: nothing.
pub struct NoState;

impl<S> FromRef<S> for NoState {
    fn from_ref(_: &S) -> Self {
        NoState
    }
}

/// The part of the toolbox's state a `State<T>` parameter takes.
pub fn state<T: FromRef<S>, S>(state: &S) -> State<T> {
    State(T::from_ref(state))
}

/// The call of a synchronous tool: its body runs on tokio's blocking pool (see [`ToolFuture`]).
pub fn blocking<F>(tool: &'static str, body: F) -> ToolFuture
where
    F: FnOnce() -> Result<ToolOutput, ToolError> + Send + 'static,
{
    ToolFuture::blocking(tool, Box::new(body))
}

/// Compile-time check that no two tools given to `tools!` share a name.
pub const fn assert_unique_names(names: &[&str]) {
    let mut i = 0;
    while i < names.len() {
        let mut j = i + 1;
        while j < names.len() {
            if str_eq(names[i], names[j]) {
                panic!("two tools given to `tools!` have the same name");
            }
            j += 1;
        }
        i += 1;
    }
}

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}
