//! Every form of state compiles, stays callable, and registers: `State<T>` (spelled any way,
//! destructured or not), `CallContext`, `PerRun<T>`, `#[extract]` types, `#[toolset]` methods, and
//! types merely named like an extractor that are arguments.
use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tool_runtime::tool::{FromCall, FromRef, PerRun, ToolError};
use tool_runtime::{CallContext, State, Toolbox, tool, tools, toolset};

#[derive(Clone, Default)]
struct Db(u32);

#[derive(Clone, Default)]
struct App {
    db: Db,
}

impl FromRef<App> for Db {
    fn from_ref(app: &App) -> Db {
        app.db.clone()
    }
}

/// A state of the model's world, not of the toolbox: an argument.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
enum Weather {
    Sunny,
    Rainy,
}

/// Named `State`, but not the extractor: no type parameter.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
enum State2 {
    Open,
}

/// Generic and named `State`, made an argument with `#[arg]`.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
struct Wrapper<T>(T);

struct UserId(u64);

struct Caller;

impl FromCall for Caller {
    fn from_call(_: &CallContext) -> Result<Self, ToolError> {
        Ok(Caller)
    }
}

/// Every extractor at once, around arguments.
#[tool]
async fn everything(
    /// The weather.
    weather: Weather,
    State(db): State<Db>,
    ctx: CallContext,
    PerRun(user): PerRun<UserId>,
    #[extract] _caller: Caller,
    /// An argument after the extractors.
    #[arg(default)]
    days: u8,
) -> String {
    format!("{weather:?} {} {} {} {days}", db.0, ctx.call_id(), user.0)
}

/// A full path to the extractor.
#[tool]
fn by_path(db: tool_runtime::State<Db>) -> u32 {
    db.0.0
}

/// Not extractors: arguments named like them.
#[tool]
fn lookalikes(state: Option<State2>, #[arg] wrapped: Wrapper<u8>) -> String {
    format!("{state:?} {}", wrapped.0)
}

struct Shop {
    name: String,
}

#[toolset(crate = "tool_runtime")]
impl Shop {
    /// The shop's name.
    #[tool]
    async fn name(&self) -> String {
        self.name.clone()
    }

    /// Greet a customer.
    #[tool_runtime::tool(name = "greet_customer", timeout = "5s")]
    fn greet(
        &self,
        /// The customer.
        customer: String,
        db: State<Db>,
        ctx: CallContext,
    ) -> Result<String, String> {
        Ok(format!(
            "{} greets {customer} ({} {})",
            self.name,
            db.0.0,
            ctx.call_id()
        ))
    }

    /// Only on some platforms.
    #[cfg(any())]
    #[tool]
    fn hidden(&self) {}

    fn helper(&self) -> usize {
        self.name.len()
    }
}

/// A catalog: `Self` in its tools' parameters, and tools under `#[cfg]`.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
struct Catalog {
    pages: u8,
}

impl Catalog {
    const FIRST_PAGE: u8 = 1;
}

#[cfg(any())]
#[derive(Clone)]
struct CompiledOut;

#[toolset]
impl Catalog {
    /// List a page of the catalog.
    #[tool]
    fn list(&self, #[arg(default = Self::FIRST_PAGE)] page: u8) -> u8 {
        page.min(self.pages)
    }

    /// Compare with another catalog.
    #[tool]
    fn compare(&self, other: Option<Self>) -> bool {
        other.is_some_and(|other| other.pages == self.pages)
    }

    /// Open the catalog, one way.
    #[cfg(any())]
    #[tool(name = "open")]
    fn open_here(&self, _absent: State<CompiledOut>) {}

    /// Open the catalog, the other way.
    #[cfg(not(any()))]
    #[tool(name = "open")]
    fn open_there(&self) {}
}

pub(crate) fn main() {
    let catalog = Toolbox::new().with_all(Arc::new(Catalog { pages: 2 }));
    assert_eq!(
        catalog.names().collect::<Vec<_>>(),
        ["list", "compare", "open"]
    );

    let _ = tools![state = Db(1); everything, by_path, lookalikes];
    let _ = tools![state = App::default(); everything, by_path,];
    let shop = Arc::new(Shop {
        name: "Corner".into(),
    });
    let toolbox = Toolbox::with_state(App::default()).with_all(shop.clone());
    assert_eq!(
        toolbox.names().collect::<Vec<_>>(),
        ["name", "greet_customer"]
    );
    let _ = Toolbox::with_state(Db(2)).with_method(shop.clone(), "name");
    // Still plain functions and methods.
    let _ = everything(
        Weather::Rainy,
        State(Db(0)),
        CallContext::new("c"),
        PerRun(Arc::new(UserId(1))),
        Caller,
        1,
    );
    let _ = shop.greet("Ada".into(), State(Db(0)), CallContext::new("c"));
    let _ = shop.helper();
    let _ = Weather::Sunny;
    let _ = State2::Open;
}
