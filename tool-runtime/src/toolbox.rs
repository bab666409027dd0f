//! [`Toolbox`]: the registry of tools by name, and how their calls run.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::tool::{
    Arguments, CallContext, Tool, ToolDefinition, ToolError, ToolFuture, check_parameter_name,
    check_tool_name,
};

/// A set of tools, by name, in registration order, and the limits their calls run under.
///
/// Build one with [`tools!`](crate::tools) from `#[tool]` functions, or add hand-written [`Tool`]s
/// with [`with`](Self::with). A model is offered its [`definitions`](Self::definitions); a
/// [`Turn`](crate::Turn) runs the calls the model makes. Cloning is cheap (tools are shared).
///
/// ```
/// use tool_runtime::{tool, tools};
///
/// /// Add two numbers.
/// #[tool]
/// fn add(a: i64, b: i64) -> i64 {
///     a + b
/// }
///
/// let toolbox = tools![add];
/// assert_eq!(toolbox.names().collect::<Vec<_>>(), ["add"]);
/// assert_eq!(toolbox.definitions().next().unwrap().description(), "Add two numbers.");
/// ```
#[derive(Clone, Default)]
pub struct Toolbox {
    tools: Vec<Arc<dyn Tool>>,
    /// The tools' names, in the same order: looked up without asking each tool.
    names: Vec<Arc<str>>,
    by_name: HashMap<Arc<str>, usize>,
    max_concurrency: Option<usize>,
    default_timeout: Option<Duration>,
}

/// Why a tool could not be added to a [`Toolbox`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegisterError {
    /// A tool with this name is already in the toolbox.
    #[error("a tool named `{0}` is already in the toolbox")]
    Duplicate(String),
    /// The name is not accepted by OpenAI and Anthropic: it must match `^[a-zA-Z0-9_-]{1,64}$`.
    #[error("invalid tool name `{0}`: use 1 to 64 ASCII letters, digits, `_` or `-`")]
    InvalidName(String),
    /// A parameter (a top-level property of the schema) has a name Anthropic refuses: it must
    /// match `^[a-zA-Z0-9_.-]{1,64}$`.
    #[error(
        "tool `{tool}` has an invalid parameter name `{name}`: use 1 to 64 ASCII letters, digits, `_`, `.` or `-`"
    )]
    InvalidParameterName {
        /// The tool.
        tool: String,
        /// The parameter.
        name: String,
    },
}

impl Toolbox {
    /// An empty toolbox.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a tool, builder style.
    ///
    /// # Panics
    /// If a tool with the same name is already in the toolbox, or the name is invalid: both are
    /// programming errors, caught the first time the code runs. Use [`try_add`](Self::try_add) to
    /// handle them instead. ([`tools!`](crate::tools) catches duplicate `#[tool]` names at compile
    /// time.)
    #[must_use]
    #[track_caller]
    pub fn with(mut self, tool: impl Tool) -> Self {
        if let Err(error) = self.try_add(tool) {
            panic!("{error}");
        }
        self
    }

    /// Adds a tool, or says why it cannot be added: a name already taken, or a tool or
    /// parameter name the providers refuse.
    ///
    /// ```
    /// use serde_json::json;
    /// use tool_runtime::{
    ///     Arguments, CallContext, RegisterError, Tool, ToolDefinition, ToolFuture, ToolOutput, Toolbox,
    /// };
    ///
    /// struct Hand(ToolDefinition);
    /// impl Tool for Hand {
    ///     fn definition(&self) -> &ToolDefinition { &self.0 }
    ///     fn call(&self, _: &Arguments, _: &CallContext) -> ToolFuture {
    ///         ToolFuture::new(async { Ok(ToolOutput::text("done")) })
    ///     }
    /// }
    /// let hand = |name| Hand(ToolDefinition::new(name, "A tool.", json!({"type": "object"})));
    ///
    /// let mut toolbox = Toolbox::new();
    /// toolbox.try_add(hand("lookup")).unwrap();
    /// assert_eq!(toolbox.try_add(hand("lookup")).unwrap_err(), RegisterError::Duplicate("lookup".into()));
    /// assert_eq!(toolbox.try_add(hand("look up")).unwrap_err(), RegisterError::InvalidName("look up".into()));
    /// ```
    pub fn try_add(&mut self, tool: impl Tool) -> Result<&mut Self, RegisterError> {
        self.insert(Arc::new(tool))
    }

    /// Adds every tool of `other`, failing on the first name clash (tools added before it stay).
    pub fn merge(&mut self, other: Toolbox) -> Result<&mut Self, RegisterError> {
        for tool in other.tools {
            self.insert(tool)?;
        }
        Ok(self)
    }

    fn insert(&mut self, tool: Arc<dyn Tool>) -> Result<&mut Self, RegisterError> {
        let name = tool.definition().name();
        if check_tool_name(name).is_err() {
            return Err(RegisterError::InvalidName(name.to_owned()));
        }
        let properties = tool.definition().parameters()["properties"].as_object();
        if let Some(bad) = properties
            .into_iter()
            .flat_map(|properties| properties.keys())
            .find(|key| check_parameter_name(key).is_err())
        {
            return Err(RegisterError::InvalidParameterName {
                tool: name.to_owned(),
                name: bad.clone(),
            });
        }
        if self.by_name.contains_key(name) {
            return Err(RegisterError::Duplicate(name.to_owned()));
        }
        let name: Arc<str> = name.into();
        self.by_name.insert(name.clone(), self.tools.len());
        self.names.push(name);
        self.tools.push(tool);
        Ok(self)
    }

    /// The tool with this name.
    pub fn get(&self, name: &str) -> Option<&Arc<dyn Tool>> {
        // A few string comparisons beat hashing for the toolboxes models are usually given.
        if self.tools.len() <= 8 {
            let index = self.names.iter().position(|known| **known == *name)?;
            return Some(&self.tools[index]);
        }
        self.by_name.get(name).map(|&index| &self.tools[index])
    }

    /// The tools, in registration order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &Arc<dyn Tool>> {
        self.tools.iter()
    }

    /// The tool names, in registration order.
    pub fn names(&self) -> impl ExactSizeIterator<Item = &str> {
        self.names.iter().map(|name| &**name)
    }

    /// How many tools there are.
    pub fn len(&self) -> usize {
        self.tools.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.tools.is_empty()
    }

    /// The tools' definitions, in registration order: what a model is offered.
    pub fn definitions(&self) -> impl ExactSizeIterator<Item = &ToolDefinition> {
        self.tools.iter().map(|tool| tool.definition())
    }

    /// Caps how many calls of one turn run at the same time (default: no cap).
    ///
    /// # Panics
    /// If `max` is zero: nothing could ever run.
    #[must_use]
    pub fn with_max_concurrency(mut self, max: usize) -> Self {
        assert!(max > 0, "max_concurrency must be at least 1");
        self.max_concurrency = Some(max);
        self
    }

    /// Sets the time limit for each call of a tool that has none of its own (default: none).
    #[must_use]
    pub fn with_default_timeout(mut self, timeout: Duration) -> Self {
        self.default_timeout = Some(timeout);
        self
    }

    /// How many calls of one turn may run at the same time, if that is capped.
    pub fn max_concurrency(&self) -> Option<usize> {
        self.max_concurrency
    }

    /// The time limit of each call of a tool that has none of its own, if there is one.
    pub fn default_timeout(&self) -> Option<Duration> {
        self.default_timeout
    }

    /// Starts one call of the tool named `name`.
    ///
    /// An unknown name resolves to [`ToolError::UnknownTool`], listing the tools that exist.
    /// Runs on the caller's task: a panic in an async tool propagates to the caller (the
    /// fan-out runs each call on its own task and turns panics into error results).
    pub fn call(&self, name: &str, args: &Arguments, ctx: &CallContext) -> ToolFuture {
        match self.get(name) {
            Some(tool) => tool.call(args, ctx),
            None => ToolFuture::ready(Err(self.unknown_tool(name))),
        }
    }

    pub(crate) fn unknown_tool(&self, name: &str) -> ToolError {
        ToolError::UnknownTool {
            name: name.to_owned(),
            available: self.names().map(str::to_owned).collect(),
        }
    }
}

impl fmt::Debug for Toolbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ToolDefinition, tool, tools};

    /// Say hello.
    #[tool]
    fn hello() -> &'static str {
        "hello"
    }

    fn named(name: &'static str) -> impl Tool {
        struct Named(ToolDefinition);
        impl Tool for Named {
            fn definition(&self) -> &ToolDefinition {
                &self.0
            }
            fn call(&self, _: &Arguments, _: &CallContext) -> ToolFuture {
                ToolFuture::ready(Err(ToolError::Cancelled))
            }
        }
        Named(ToolDefinition::new(
            name,
            "A tool.",
            serde_json::json!({"type": "object"}),
        ))
    }

    #[test]
    fn duplicate_names_are_refused() {
        let mut toolbox = tools![hello];
        assert_eq!(
            toolbox.try_add(hello {}).unwrap_err(),
            RegisterError::Duplicate("hello".into())
        );
        assert_eq!(toolbox.len(), 1);
    }

    #[test]
    #[should_panic(expected = "a tool named `hello` is already in the toolbox")]
    fn with_panics_on_a_duplicate() {
        let _ = tools![hello].with(named("hello"));
    }

    #[test]
    fn invalid_names_are_refused() {
        let mut toolbox = Toolbox::new();
        for bad in ["", "has space", "dot.ted", &"x".repeat(65)] {
            assert!(check_tool_name(bad).is_err());
            let name: &'static str = Box::leak(bad.to_owned().into_boxed_str());
            assert_eq!(
                toolbox.try_add(named(name)).unwrap_err(),
                RegisterError::InvalidName(bad.to_owned())
            );
        }
        assert!(toolbox.try_add(named("ok-name_1")).is_ok());
    }

    #[test]
    fn invalid_parameter_names_are_refused() {
        struct Params(ToolDefinition);
        impl Tool for Params {
            fn definition(&self) -> &ToolDefinition {
                &self.0
            }
            fn call(&self, _: &Arguments, _: &CallContext) -> ToolFuture {
                ToolFuture::ready(Err(ToolError::Cancelled))
            }
        }
        let schema = serde_json::json!({"type": "object", "properties": {"ok.name": {}, "from currency": {}}});
        let error = Toolbox::new()
            .try_add(Params(ToolDefinition::new("t", "A tool.", schema)))
            .map(|_| ())
            .unwrap_err();
        assert_eq!(
            error,
            RegisterError::InvalidParameterName {
                tool: "t".into(),
                name: "from currency".into()
            }
        );
    }

    #[test]
    fn lookup_works_for_small_and_large_toolboxes() {
        let names: Vec<&'static str> = (0..20)
            .map(|i| &*Box::leak(format!("tool_{i}").into_boxed_str()))
            .collect();
        let mut toolbox = Toolbox::new();
        for (i, name) in names.iter().enumerate() {
            toolbox.try_add(named(name)).unwrap();
            // Both lookup strategies (scan below 9 tools, hash above) find every tool.
            for name in &names[..=i] {
                assert_eq!(toolbox.get(name).unwrap().definition().name(), *name);
            }
            assert!(toolbox.get("missing").is_none());
        }
        assert_eq!(format!("{:?}", tools![hello]), r#"["hello"]"#);
    }
}
