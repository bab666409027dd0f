//! The checked tool: what `expand` generates code from.

use proc_macro2::Span;
use syn::{Ident, ItemFn, Path, Type};

use crate::attr::{ApprovalKey, DefaultValue, Hints};

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

/// A checked `#[tool]` function or method.
pub(crate) struct ToolFn {
    pub(crate) outline: Outline,
    pub(crate) description: String,
    pub(crate) params: Vec<Param>,
    pub(crate) output: Output,
    pub(crate) timeout_ms: Option<u64>,
    pub(crate) sequential: bool,
    pub(crate) approval: Option<ApprovalKey>,
    pub(crate) hints: Hints,
}

/// Where a `#[tool]` function is.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Site {
    /// A free function.
    Free,
    /// A method in a `#[toolset]` impl block: it takes `&self`.
    Method,
}

/// A parameter: an argument the model sends, or something the runtime gives.
pub(crate) struct Param {
    /// The type as written.
    pub(crate) ty: Type,
    pub(crate) kind: ParamKind,
}

pub(crate) enum ParamKind {
    /// In the schema, decoded from the model's arguments.
    Argument(Argument),
    /// `State<T>`: a part of the toolbox's state, `T: FromRef<S>`; holds `T`.
    State(Type),
    /// `CallContext`, `PerRun<T>` or an `#[extract]` type: from the call, through `FromCall`.
    FromCall,
}

pub(crate) struct Argument {
    pub(crate) wire: String,
    pub(crate) description: Option<String>,
    pub(crate) default: Option<DefaultValue>,
}

impl Param {
    pub(crate) fn argument(&self) -> Option<&Argument> {
        match &self.kind {
            ParamKind::Argument(argument) => Some(argument),
            ParamKind::State(_) | ParamKind::FromCall => None,
        }
    }
}

/// How the return value becomes the call's output.
pub(crate) enum Output {
    /// `-> T` with `T: Serialize` (including `()`, written or not).
    Plain(Returned),
    /// `-> Result<T, E>` (any path ending in `Result`): `Ok` is output, `Err` an error result.
    /// Each part is the type in the brackets, or only the return type's span where it is not
    /// written there (`E` of `io::Result<T>`).
    Result { value: Returned, error: Returned },
}

impl Output {
    /// The type of the value a tool returns (`T` of `-> T` or `-> Result<T, E>`), when it can be
    /// named outside the function: its JSON Schema, if it has one, is the tool's output schema.
    pub(crate) fn value_type(&self) -> Option<&Type> {
        match self {
            Self::Plain(value) | Self::Result { value, .. } => value.ty.as_deref(),
        }
    }
}

/// A part of the return type: the type, when the generated code can name it (it mentions no
/// `Self`, `impl` or `dyn`), and the span its errors are reported at.
pub(crate) struct Returned {
    pub(crate) ty: Option<Box<Type>>,
    pub(crate) span: Span,
}

/// The identifier `expand` gives the `i`-th parameter inside generated code.
pub(crate) fn param_ident(index: usize) -> Ident {
    Ident::new(&format!("__p{index}"), Span::call_site())
}
