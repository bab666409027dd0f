//! The checked tool: what `expand` generates code from.

use proc_macro2::Span;
use syn::{Ident, ItemFn, Path, Type};

use crate::attr::DefaultValue;

/// What is known of a tool even when its signature is wrong: enough to emit the function and the
/// items the rest of the program names.
pub(crate) struct Outline {
    /// The function as the user wrote it, minus the parameter attributes only we understand.
    pub(crate) item: ItemFn,
    /// The tool's name.
    pub(crate) name: String,
    /// Where `tool_runtime` is.
    pub(crate) krate: Path,
}

/// A checked `#[tool]` function.
pub(crate) struct ToolFn {
    pub(crate) outline: Outline,
    pub(crate) description: String,
    pub(crate) params: Vec<Param>,
    pub(crate) output: Output,
    pub(crate) timeout_ms: Option<u64>,
    pub(crate) sequential: bool,
}

pub(crate) struct Param {
    pub(crate) ty: Type,
    pub(crate) wire: String,
    pub(crate) description: Option<String>,
    pub(crate) default: Option<DefaultValue>,
}

/// How the return value becomes the call's output.
pub(crate) enum Output {
    /// `-> T` with `T: Serialize` (including `()`); the span is the return type's.
    Plain(Span),
    /// `-> Result<T, E>` (any path ending in `Result`): `Ok` is output, `Err` an error result.
    Result(Span),
}

/// The identifier `expand` gives the `i`-th parameter inside generated code.
pub(crate) fn param_ident(index: usize) -> Ident {
    Ident::new(&format!("__p{index}"), Span::call_site())
}
