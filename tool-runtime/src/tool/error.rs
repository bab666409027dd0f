//! [`ToolError`]: errors a tool call can end with, worded for the model that made the call.

use std::any::Any;
use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

use crate::json;

/// Why a tool call produced an error result instead of an output.
///
/// The [`Display`](fmt::Display) text of every variant is written for the *model*: it is what the
/// runtime sends back as the call's result (with the provider's error flag set), so the model can
/// fix its arguments, pick another tool or give up gracefully.
///
/// ```
/// use tool_runtime::tool::ToolError;
///
/// let err = ToolError::Failed("city not found".into());
/// assert_eq!(err.to_string(), "city not found");
/// assert_eq!(ToolError::Cancelled.to_string(), "Cancelled");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ToolError {
    /// The arguments could not be decoded into the tool's parameters.
    #[error(transparent)]
    InvalidArguments(#[from] InvalidArguments),
    /// The model named a tool the toolbox does not have.
    #[error("Unknown tool `{name}`. Available tools: {}.", list_or_none(available))]
    UnknownTool {
        /// The name the model asked for.
        name: String,
        /// The names of the tools that do exist, in registration order.
        available: Vec<String>,
    },
    /// The tool ran and returned an error; the text is the error's `Display`.
    #[error("{0}")]
    Failed(String),
    /// The tool panicked. The payload is logged through `tracing`, never sent to the model.
    #[error("The tool `{tool}` failed with an internal error.")]
    Panicked {
        /// The tool that panicked.
        tool: String,
    },
    /// The call did not finish within its time limit.
    #[error("Timed out after {}", DisplayDuration(*.0))]
    TimedOut(Duration),
    /// The call was cancelled before it finished.
    #[error("Cancelled")]
    Cancelled,
    /// The call started, then the process running it stopped before its result was recorded
    /// (a crash; see [`journal`](crate::journal)): whether it took effect is unknown. Only a
    /// tool that is neither read-only nor idempotent gets this; the others run again.
    #[error(
        "Interrupted: the process running this call stopped before its result was recorded, so \
         whether it took effect is unknown. Check before calling it again."
    )]
    Interrupted,
    /// The call was not run: a person or a policy denied it (an approval, a hook); the text is
    /// the reason given.
    #[error("{0}")]
    Denied(String),
    /// Something the tool takes from the runtime is missing (per-run data not given); the tool
    /// did not run.
    #[error("The tool `{tool}` cannot run: {reason}.")]
    Unavailable {
        /// The tool.
        tool: String,
        /// What is missing.
        reason: String,
    },
    /// The tool's output could not be serialized to JSON.
    #[error("The output of tool `{tool}` could not be serialized: {message}")]
    Output {
        /// The tool whose output failed to serialize.
        tool: String,
        /// The serializer's message.
        message: String,
    },
}

impl ToolError {
    /// Wraps any displayable error as [`ToolError::Failed`].
    ///
    /// ```
    /// use tool_runtime::tool::ToolError;
    /// let err = ToolError::failed(std::fmt::Error);
    /// assert!(matches!(err, ToolError::Failed(_)));
    /// ```
    pub fn failed(error: impl fmt::Display) -> Self {
        Self::Failed(error.to_string())
    }

    /// Whether the call ran out of time.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::TimedOut(_))
    }

    /// Whether the call was cancelled.
    pub fn is_cancelled(&self) -> bool {
        matches!(self, Self::Cancelled)
    }

    /// The error result for a tool that panicked; the payload goes to `tracing`, not to the
    /// model.
    pub(crate) fn panicked(tool: &str, payload: &(dyn Any + Send)) -> Self {
        let message = panic_message(payload);
        tracing::error!(tool, panic = message, "tool panicked");
        Self::Panicked {
            tool: tool.to_owned(),
        }
    }

    /// A short name of the kind, for the `outcome` of a call's tracing span.
    pub(crate) fn kind_name(&self) -> &'static str {
        match self {
            Self::InvalidArguments(_) => "invalid_arguments",
            Self::UnknownTool { .. } => "unknown_tool",
            Self::Failed(_) => "failed",
            Self::Panicked { .. } => "panicked",
            Self::TimedOut(_) => "timed_out",
            Self::Cancelled => "cancelled",
            Self::Interrupted => "interrupted",
            Self::Output { .. } => "output",
            Self::Unavailable { .. } => "unavailable",
            Self::Denied(_) => "denied",
        }
    }
}

fn list_or_none(names: &[String]) -> String {
    if names.is_empty() {
        "(none)".to_owned()
    } else {
        names.join(", ")
    }
}

/// Formats a duration the way a person writes it: `30s`, `1.5s`, `250ms`, `2m`.
pub(crate) struct DisplayDuration(pub(crate) Duration);

impl fmt::Display for DisplayDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        let ms = d.as_millis();
        if ms == 0 {
            write!(f, "{}µs", d.as_micros())
        } else if ms < 1000 {
            write!(f, "{ms}ms")
        } else if ms.is_multiple_of(60_000) {
            write!(f, "{}m", ms / 60_000)
        } else if ms.is_multiple_of(1000) {
            write!(f, "{}s", ms / 1000)
        } else {
            write!(f, "{}s", d.as_secs_f64())
        }
    }
}

/// The arguments of a call did not match the tool's parameters.
///
/// Its `Display` lists every problem at once, each with the path of the offending field, and ends
/// with a sentence telling the model to fix the arguments and call again:
///
/// ```text
/// Invalid arguments for tool `get_weather`:
/// - `unit`: unknown variant `kelvin`, expected `celsius` or `fahrenheit`
/// - `city`: missing required field
/// Fix the arguments and call the tool again.
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidArguments {
    // Boxed: the error path is rare, and a small `Result` keeps the happy path fast.
    inner: Box<Invalid>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Invalid {
    tool: String,
    problem: Problem,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Problem {
    /// The arguments text is not JSON at all.
    Syntax { message: String, received: String },
    /// The arguments are JSON, but not an object.
    NotAnObject { found: &'static str },
    /// Field-level problems.
    Fields(Vec<FieldIssue>),
    /// The arguments are nested deeper than any tool's parameters go.
    TooDeep { limit: usize },
}

/// A panic's message, when it has one.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(non-string panic payload)")
}

/// One problem with one argument field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldIssue {
    path: String,
    message: String,
}

impl FieldIssue {
    /// The path of the field, e.g. `city`, `stops[2].name`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// What is wrong with it, e.g. `missing required field`.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// How much of an unparsable arguments text is quoted back to the model.
const RECEIVED_LIMIT: usize = 200;

impl InvalidArguments {
    fn new(tool: &str, problem: Problem) -> Self {
        Self {
            inner: Box::new(Invalid {
                tool: tool.to_owned(),
                problem,
            }),
        }
    }

    pub(crate) fn syntax(tool: &str, error: &serde_json::Error, received: &str) -> Self {
        let received = match received.char_indices().nth(RECEIVED_LIMIT) {
            Some((cut, _)) => format!("{}…", &received[..cut]),
            None => received.to_owned(),
        };
        Self::new(
            tool,
            Problem::Syntax {
                message: error.to_string(),
                received,
            },
        )
    }

    pub(crate) fn not_an_object(tool: &str, value: &serde_json::Value) -> Self {
        let found = crate::json::kind(value);
        Self::new(tool, Problem::NotAnObject { found })
    }

    pub(crate) fn too_deep(tool: &str, limit: usize) -> Self {
        Self::new(tool, Problem::TooDeep { limit })
    }

    pub(crate) fn fields(tool: &str, issues: Vec<FieldIssue>) -> Self {
        Self::new(tool, Problem::Fields(issues))
    }

    /// The tool the arguments were meant for.
    pub fn tool(&self) -> &str {
        &self.inner.tool
    }

    /// The field-level problems; empty when the arguments were not a JSON object at all.
    pub fn issues(&self) -> &[FieldIssue] {
        match &self.inner.problem {
            Problem::Fields(issues) => issues,
            _ => &[],
        }
    }
}

impl FieldIssue {
    /// An issue; a long path (an unknown key the model made up) or message (one that quotes a
    /// long value) is clipped in the middle.
    pub(crate) fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: clipped(path.into(), 60, 20),
            message: clipped(message.into(), 160, 60),
        }
    }
}

/// `text`, clipped in the middle to `head` and `tail` characters (see [`json::clip`]).
fn clipped(text: String, head: usize, tail: usize) -> String {
    match json::clip(&text, head, tail) {
        Cow::Borrowed(_) => text,
        Cow::Owned(clipped) => clipped,
    }
}

impl fmt::Display for InvalidArguments {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tool = &self.inner.tool;
        match &self.inner.problem {
            Problem::Syntax { message, received } => write!(
                f,
                "Invalid arguments for tool `{tool}`: the arguments are not valid JSON ({message}).\n\
                 Received: {received}\n"
            )?,
            Problem::NotAnObject { found } => writeln!(
                f,
                "Invalid arguments for tool `{tool}`: expected a JSON object with the tool's \
                 parameters, got {found}."
            )?,
            Problem::TooDeep { limit } => writeln!(
                f,
                "Invalid arguments for tool `{tool}`: the arguments are nested more than {limit} \
                 levels deep."
            )?,
            Problem::Fields(issues) => {
                writeln!(f, "Invalid arguments for tool `{tool}`:")?;
                for issue in issues {
                    writeln!(f, "- `{}`: {}", issue.path, issue.message)?;
                }
            }
        }
        f.write_str("Fix the arguments and call the tool again.")
    }
}

impl std::error::Error for InvalidArguments {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_a_person_wrote_them() {
        let cases = [
            (Duration::from_secs(30), "30s"),
            (Duration::from_millis(1500), "1.5s"),
            (Duration::from_millis(250), "250ms"),
            (Duration::from_secs(120), "2m"),
            (Duration::from_micros(20), "20µs"),
        ];
        for (d, want) in cases {
            assert_eq!(DisplayDuration(d).to_string(), want);
        }
    }

    #[test]
    fn unknown_tool_lists_the_alternatives() {
        let err = ToolError::UnknownTool {
            name: "get_wether".into(),
            available: vec!["get_weather".into(), "get_time".into()],
        };
        assert_eq!(
            err.to_string(),
            "Unknown tool `get_wether`. Available tools: get_weather, get_time."
        );
        let none = ToolError::UnknownTool {
            name: "x".into(),
            available: vec![],
        };
        assert_eq!(
            none.to_string(),
            "Unknown tool `x`. Available tools: (none)."
        );
    }

    #[test]
    fn received_text_is_truncated_on_a_char_boundary() {
        let long = "é".repeat(500);
        let err = serde_json::from_str::<serde_json::Value>(&long).unwrap_err();
        let text = InvalidArguments::syntax("t", &err, &long).to_string();
        assert!(text.contains(&format!("Received: {}…", "é".repeat(200))));
    }
}
