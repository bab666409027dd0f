//! The names OpenAI and Anthropic accept, for tools and for their parameters.
//!
//! One rule for the whole project: the runtime checks hand-written tools with it when they are
//! added to a toolbox, and the `#[tool]` macro checks names at compile time with the same code
//! (`tool-macros/src/name.rs` is a link to this file). It must stay free of dependencies.

/// The most bytes a tool or parameter name may have.
pub(crate) const MAX_NAME_LEN: usize = 64;

/// Why a name is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NameError {
    /// Empty, or longer than [`MAX_NAME_LEN`]; the length in bytes.
    Length(usize),
    /// The first character the providers refuse.
    Character(char),
}

/// A tool name: `^[a-zA-Z0-9_-]{1,64}$`, what both OpenAI and Anthropic accept.
pub(crate) fn check_tool_name(name: &str) -> Result<(), NameError> {
    check(name, |c| {
        c.is_ascii_alphanumeric() || matches!(c, '_' | '-')
    })
}

/// A parameter (top-level property) name: `^[a-zA-Z0-9_.-]{1,64}$`, what Anthropic accepts.
pub(crate) fn check_parameter_name(name: &str) -> Result<(), NameError> {
    check(name, |c| {
        c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
    })
}

fn check(name: &str, allowed: impl Fn(char) -> bool) -> Result<(), NameError> {
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return Err(NameError::Length(name.len()));
    }
    match name.chars().find(|&c| !allowed(c)) {
        Some(bad) => Err(NameError::Character(bad)),
        None => Ok(()),
    }
}
