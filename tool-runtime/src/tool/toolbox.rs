//! [`Toolbox`]: the registry of tools by name, and how their calls run.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::{
    Arguments, CallContext, Tool, ToolDefinition, ToolError, ToolFor, ToolFuture, ToolSet,
    check_parameter_name, check_tool_name,
};

/// A set of tools, by name, in registration order, the state they share, and the limits their
/// calls run under.
///
/// Build one with [`tools!`](crate::tools) from `#[tool]` functions, or add tools one by one
/// with [`with`](Self::with): `#[tool]` functions, hand-written [`Tool`]s, and the `#[tool]`
/// methods of a value ([`with_all`](Self::with_all)). A model is offered its
/// [`definitions`](Self::definitions); a [`Turn`](crate::turn::Turn) runs the calls the model makes.
/// Cloning is cheap (tools and state are shared).
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
///
/// # State
///
/// A toolbox made with [`with_state`](Self::with_state) gives its state to the tools that take
/// [`State<T>`](crate::State): a database pool, an HTTP client, your application's services.
/// Which states a tool can use is checked when it is added, at compile time: a tool taking
/// `State<Db>` cannot be added to a toolbox whose state has no `Db`
/// ([`FromRef`](crate::tool::FromRef)). Each toolbox has its own state, so two tests that build their
/// own never see each other's.
///
/// ```
/// use std::collections::HashMap;
/// use std::sync::{Arc, Mutex};
/// use tool_runtime::{State, Toolbox, tool};
///
/// #[derive(Clone, Default)]
/// struct Db {
///     facts: Arc<Mutex<HashMap<String, String>>>,
/// }
///
/// /// Remember a fact.
/// #[tool]
/// fn remember(key: String, value: String, db: State<Db>) {
///     db.facts.lock().unwrap().insert(key, value);
/// }
///
/// let db = Db::default();
/// let toolbox = Toolbox::with_state(db.clone()).with(remember {});
/// assert_eq!(toolbox.len(), 1);
/// ```
pub struct Toolbox<S = ()> {
    /// Shared by clones: cloning a toolbox is O(1); adding to a clone copies the list once.
    registry: Arc<Registry>,
    state: Arc<S>,
}

/// The tools of a toolbox, bound to its state, by name, and the limits their calls run under:
/// what a turn needs, whatever the state's type.
#[derive(Clone, Default)]
pub(crate) struct Registry {
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
    /// [`Toolbox::with_method`] was asked for a tool the value does not have.
    #[error("there is no tool named `{name}` among the value's tools ({})", .available.join(", "))]
    NoSuchMethod {
        /// The name asked for.
        name: String,
        /// The value's tools.
        available: Vec<String>,
    },
}

impl Toolbox {
    /// An empty toolbox without state.
    pub fn new() -> Self {
        Self::with_state(())
    }
}

impl Default for Toolbox {
    fn default() -> Self {
        Self::new()
    }
}

impl<S: Send + Sync + 'static> Toolbox<S> {
    /// An empty toolbox whose tools share `state` (see [State](#state)).
    pub fn with_state(state: S) -> Self {
        Self {
            registry: Arc::default(),
            state: Arc::new(state),
        }
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
    pub fn with(mut self, tool: impl ToolFor<S>) -> Self {
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
    /// use tool_runtime::tool::{Arguments, RegisterError, Tool, ToolDefinition, ToolFuture, ToolOutput};
    /// use tool_runtime::{CallContext, Toolbox};
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
    pub fn try_add(&mut self, tool: impl ToolFor<S>) -> Result<&mut Self, RegisterError> {
        Arc::make_mut(&mut self.registry).insert(tool.bind(&self.state))?;
        Ok(self)
    }

    /// Adds every tool of a value whose `#[tool]` methods make a [`ToolSet`] (an `impl` block
    /// marked `#[toolset]`), builder style. Each tool holds a share of the value.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tool_runtime::{Toolbox, tool, toolset};
    ///
    /// struct Greeter {
    ///     greeting: String,
    /// }
    ///
    /// #[toolset]
    /// impl Greeter {
    ///     /// Greet someone.
    ///     #[tool]
    ///     fn greet(
    ///         &self,
    ///         /// Who to greet.
    ///         name: String,
    ///     ) -> String {
    ///         format!("{}, {name}!", self.greeting)
    ///     }
    ///
    ///     /// Say goodbye.
    ///     #[tool]
    ///     async fn bye(&self) -> &'static str {
    ///         "Goodbye!"
    ///     }
    /// }
    ///
    /// let greeter = Arc::new(Greeter { greeting: "Hello".into() });
    /// let toolbox = Toolbox::new().with_all(greeter);
    /// assert_eq!(toolbox.names().collect::<Vec<_>>(), ["greet", "bye"]);
    /// ```
    ///
    /// # Panics
    /// As [`with`](Self::with) does; [`try_add_all`](Self::try_add_all) returns the error instead.
    #[must_use]
    #[track_caller]
    pub fn with_all<T: ToolSet<S>>(mut self, set: Arc<T>) -> Self {
        if let Err(error) = self.try_add_all(set) {
            panic!("{error}");
        }
        self
    }

    /// Adds every tool of `set`, failing on the first that cannot be added (the tools added
    /// before it stay).
    pub fn try_add_all<T: ToolSet<S>>(&mut self, set: Arc<T>) -> Result<&mut Self, RegisterError> {
        for tool in set.tools(&self.state) {
            Arc::make_mut(&mut self.registry).insert(tool)?;
        }
        Ok(self)
    }

    /// Adds one of the tools of `set`, by its name, builder style.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tool_runtime::{Toolbox, tool, toolset};
    ///
    /// struct Counter(std::sync::atomic::AtomicU64);
    ///
    /// #[toolset]
    /// impl Counter {
    ///     /// Count one more.
    ///     #[tool]
    ///     fn increment(&self) -> u64 {
    ///         self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1
    ///     }
    ///
    ///     /// Start again from zero.
    ///     #[tool]
    ///     fn reset(&self) {
    ///         self.0.store(0, std::sync::atomic::Ordering::Relaxed);
    ///     }
    /// }
    ///
    /// let counter = Arc::new(Counter(0.into()));
    /// let read_only = Toolbox::new().with_method(counter, "increment");
    /// assert_eq!(read_only.names().collect::<Vec<_>>(), ["increment"]);
    /// ```
    ///
    /// # Panics
    /// If `set` has no tool of that name, or as [`with`](Self::with) does;
    /// [`try_add_method`](Self::try_add_method) returns the error instead.
    #[must_use]
    #[track_caller]
    pub fn with_method<T: ToolSet<S>>(mut self, set: Arc<T>, name: &str) -> Self {
        if let Err(error) = self.try_add_method(set, name) {
            panic!("{error}");
        }
        self
    }

    /// Adds the tool of `set` named `name`, or says why it cannot be added.
    pub fn try_add_method<T: ToolSet<S>>(
        &mut self,
        set: Arc<T>,
        name: &str,
    ) -> Result<&mut Self, RegisterError> {
        let tools = set.tools(&self.state);
        match tools
            .iter()
            .position(|tool| tool.definition().name() == name)
        {
            Some(index) => {
                Arc::make_mut(&mut self.registry).insert(tools[index].clone())?;
                Ok(self)
            }
            None => Err(RegisterError::NoSuchMethod {
                name: name.to_owned(),
                available: tools
                    .iter()
                    .map(|tool| tool.definition().name().to_owned())
                    .collect(),
            }),
        }
    }
}

impl<S> Toolbox<S> {
    /// The state the tools share.
    pub fn state(&self) -> &S {
        &self.state
    }

    /// Adds every tool of `other`, failing on the first name clash (tools added before it stay).
    /// The tools keep the state of the toolbox they came from; `other`'s limits are not taken.
    pub fn merge<S2>(&mut self, other: Toolbox<S2>) -> Result<&mut Self, RegisterError> {
        for tool in other.registry.tools.iter() {
            Arc::make_mut(&mut self.registry).insert(tool.clone())?;
        }
        Ok(self)
    }

    /// The tool with this name.
    pub fn get(&self, name: &str) -> Option<&Arc<dyn Tool>> {
        self.registry.get(name).map(|(tool, _)| tool)
    }

    /// The tools, in registration order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &Arc<dyn Tool>> {
        self.registry.tools.iter()
    }

    /// The tool names, in registration order.
    pub fn names(&self) -> impl ExactSizeIterator<Item = &str> {
        self.registry.names()
    }

    /// How many tools there are.
    pub fn len(&self) -> usize {
        self.registry.tools.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.registry.tools.is_empty()
    }

    /// The tools' definitions, in registration order: what a model is offered.
    pub fn definitions(&self) -> impl ExactSizeIterator<Item = &ToolDefinition> {
        self.registry.tools.iter().map(|tool| tool.definition())
    }

    /// Caps how many calls of one turn run at the same time (default: no cap).
    ///
    /// # Panics
    /// If `max` is zero: nothing could ever run.
    #[must_use]
    pub fn with_max_concurrency(mut self, max: usize) -> Self {
        assert!(max > 0, "max_concurrency must be at least 1");
        Arc::make_mut(&mut self.registry).max_concurrency = Some(max);
        self
    }

    /// Sets the time limit for each call of a tool that has none of its own (default: none).
    #[must_use]
    pub fn with_default_timeout(mut self, timeout: Duration) -> Self {
        Arc::make_mut(&mut self.registry).default_timeout = Some(timeout);
        self
    }

    /// How many calls of one turn may run at the same time, if that is capped.
    pub fn max_concurrency(&self) -> Option<usize> {
        self.registry.max_concurrency
    }

    /// The time limit of each call of a tool that has none of its own, if there is one.
    pub fn default_timeout(&self) -> Option<Duration> {
        self.registry.default_timeout
    }

    /// Starts one call of the tool named `name`, with `ctx` as its context: a context made
    /// without a tool name is given this one (as a context serves one call), a context made for
    /// another tool is lent a copy with this name.
    ///
    /// An unknown name resolves to [`ToolError::UnknownTool`], listing the tools that exist.
    /// Runs on the caller's task: a panic in an async tool propagates to the caller (the
    /// fan-out runs each call on its own task and turns panics into error results).
    pub fn call(&self, name: &str, args: &Arguments, ctx: &CallContext) -> ToolFuture {
        match self.registry.get(name) {
            Some((tool, name)) if ctx.is_for(name) => tool.call(args, ctx),
            Some((tool, name)) => tool.call(args, &ctx.clone().with_tool(name.clone())),
            None => ToolFuture::ready(Err(self.registry.unknown_tool(name))),
        }
    }

    pub(crate) fn registry(&self) -> &Registry {
        &self.registry
    }
}

impl Registry {
    fn insert(&mut self, tool: Arc<dyn Tool>) -> Result<(), RegisterError> {
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
        Ok(())
    }

    /// The tool with this name, and its name, shared.
    pub(crate) fn get(&self, name: &str) -> Option<(&Arc<dyn Tool>, &Arc<str>)> {
        // A few string comparisons beat hashing for the toolboxes models are usually given.
        let index = if self.tools.len() <= 8 {
            self.names.iter().position(|known| **known == *name)?
        } else {
            *self.by_name.get(name)?
        };
        Some((&self.tools[index], &self.names[index]))
    }

    pub(crate) fn names(&self) -> impl ExactSizeIterator<Item = &str> {
        self.names.iter().map(|name| &**name)
    }

    pub(crate) fn max_concurrency(&self) -> Option<usize> {
        self.max_concurrency
    }

    pub(crate) fn default_timeout(&self) -> Option<Duration> {
        self.default_timeout
    }

    pub(crate) fn unknown_tool(&self, name: &str) -> ToolError {
        ToolError::UnknownTool {
            name: name.to_owned(),
            available: self.names().map(str::to_owned).collect(),
        }
    }
}

impl<S> Clone for Toolbox<S> {
    fn clone(&self) -> Self {
        Self {
            registry: self.registry.clone(),
            state: self.state.clone(),
        }
    }
}

impl<S> fmt::Debug for Toolbox<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tool::ToolDefinition;
    use crate::{tool, tools};

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
    fn clones_share_their_tools_until_one_changes() {
        let toolbox = tools![hello];
        let clone = toolbox.clone();
        assert!(Arc::ptr_eq(&toolbox.registry, &clone.registry));
        let grown = clone.with(named("second"));
        assert_eq!(toolbox.names().collect::<Vec<_>>(), ["hello"]);
        assert_eq!(grown.names().collect::<Vec<_>>(), ["hello", "second"]);
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
