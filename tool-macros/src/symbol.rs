//! Every key `#[tool]` and `#[arg]` understand, in one place (serde's `symbol.rs`).

use std::fmt;

use syn::Path;

/// A key of an attribute.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Symbol(&'static str);

/// The attribute on a parameter.
pub(crate) const ARG: Symbol = Symbol("arg");
/// The attribute on a parameter the runtime fills through `FromCall`.
pub(crate) const EXTRACT: Symbol = Symbol("extract");
/// The attribute on a method of a `#[toolset]` impl block.
pub(crate) const TOOL: Symbol = Symbol("tool");
/// What `#[toolset]` leaves on the methods it has made tools: `#[tool(__toolset_done)]`.
pub(crate) const TOOLSET_DONE: &str = "__toolset_done";
/// Doc comments, as the compiler hands them over.
pub(crate) const DOC: Symbol = Symbol("doc");

/// `#[tool(name = "…")]`: the tool's name.
pub(crate) const NAME: Symbol = Symbol("name");
/// `#[tool(description = "…")]` and `#[arg(description = "…")]`.
pub(crate) const DESCRIPTION: Symbol = Symbol("description");
/// `#[tool(crate = "…")]`: where `tool_runtime` is.
pub(crate) const CRATE: Symbol = Symbol("crate");
/// `#[tool(timeout = "5s")]`.
pub(crate) const TIMEOUT: Symbol = Symbol("timeout");
/// `#[tool(sequential)]`.
pub(crate) const SEQUENTIAL: Symbol = Symbol("sequential");
/// `#[tool(needs_approval)]` and `#[tool(needs_approval = predicate)]`.
pub(crate) const NEEDS_APPROVAL: Symbol = Symbol("needs_approval");
/// `#[arg(rename = "…")]`.
pub(crate) const RENAME: Symbol = Symbol("rename");
/// `#[arg(default)]` and `#[arg(default = expr)]`.
pub(crate) const DEFAULT: Symbol = Symbol("default");

/// `#[tool(title = "…")]`: a human-readable name (MCP).
pub(crate) const TITLE: Symbol = Symbol("title");
/// `#[tool(read_only)]`, `destructive`, `idempotent`, `open_world`: MCP's hints, each a flag or
/// `= bool`.
pub(crate) const READ_ONLY: Symbol = Symbol("read_only");
pub(crate) const DESTRUCTIVE: Symbol = Symbol("destructive");
pub(crate) const IDEMPOTENT: Symbol = Symbol("idempotent");
pub(crate) const OPEN_WORLD: Symbol = Symbol("open_world");

/// The keys `#[tool(...)]` takes.
pub(crate) const TOOL_KEYS: &[Symbol] = &[
    NAME,
    DESCRIPTION,
    CRATE,
    TIMEOUT,
    SEQUENTIAL,
    NEEDS_APPROVAL,
    TITLE,
    READ_ONLY,
    DESTRUCTIVE,
    IDEMPOTENT,
    OPEN_WORLD,
];
/// The keys `#[toolset(...)]` takes.
pub(crate) const TOOLSET_KEYS: &[Symbol] = &[CRATE];
/// The keys `#[arg(...)]` takes.
pub(crate) const ARG_KEYS: &[Symbol] = &[RENAME, DEFAULT, DESCRIPTION];

impl Symbol {
    pub(crate) fn as_str(self) -> &'static str {
        self.0
    }
}

impl PartialEq<Symbol> for Path {
    fn eq(&self, symbol: &Symbol) -> bool {
        self.is_ident(symbol.0)
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`", self.0)
    }
}

/// `` `name`, `description`, `crate` ``…, for "expected one of" messages.
pub(crate) fn list(keys: &[Symbol]) -> String {
    keys.iter()
        .map(Symbol::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
