//! Every supported form of `#[tool]` compiles, stays callable, and registers.
use std::collections::{BTreeMap, HashMap};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tool_runtime::{tool, tools};

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
enum Unit {
    Celsius,
    Fahrenheit,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
enum Shape {
    Circle { radius: f64 },
    Square(f64),
    Point,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct Address {
    pub street: String,
    pub geo: Geo,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct Geo {
    pub lat: f64,
    pub lon: f64,
}

// User items named like what other macros would generate must not clash.
#[allow(dead_code)]
struct GetWeather;
#[allow(dead_code)]
struct GetWeatherArgs;

/// Async, documented parameters, an optional enum.
#[tool]
async fn get_weather(
    /// City name.
    city: String,
    /// Unit.
    unit: Option<Unit>,
) -> String {
    format!("{city} {unit:?}")
}

/// Every scalar type.
#[tool]
fn scalars(
    a: i8,
    b: i16,
    c: i32,
    d: i64,
    e: i128,
    f: isize,
    g: u8,
    h: u16,
    i: u32,
    j: u64,
    k: u128,
    l: usize,
    m: f32,
    n: f64,
    o: bool,
    p: char,
    q: String,
) -> String {
    format!("{a}{b}{c}{d}{e}{f}{g}{h}{i}{j}{k}{l}{m}{n}{o}{p}{q}")
}

/// Collections and nesting.
#[tool]
fn collections(
    list: Vec<u32>,
    map: HashMap<String, f64>,
    sorted: BTreeMap<String, Vec<String>>,
    nested: Option<Vec<Option<Address>>>,
    shape: Shape,
    pair: (i32, String),
) -> usize {
    let _ = (&map, &sorted, &nested, &shape, &pair);
    list.len()
}

/// Defaults, renames and described-by-attribute parameters.
#[tool(
    name = "configured",
    description = "A tool whose name and description are set by hand."
)]
fn configured_tool(
    #[arg(default = 3)] days: u8,
    #[arg(default)] verbose: bool,
    #[arg(rename = "from")] from_currency: String,
    #[arg(description = "The target currency.")] r#type: String,
    mut counter: u32,
) -> Vec<String> {
    counter += 1;
    vec![
        days.to_string(),
        verbose.to_string(),
        from_currency,
        r#type,
        counter.to_string(),
    ]
}

/// Results of every common spelling.
#[tool]
fn std_result(x: i32) -> Result<i32, String> {
    Ok(x)
}

/// `io::Result`.
#[tool]
fn io_result() -> std::io::Result<String> {
    Ok(String::new())
}

mod errors {
    pub type Result<T> = std::result::Result<T, std::fmt::Error>;
}

/// A crate-local `Result` alias.
#[tool]
async fn alias_result() -> errors::Result<Vec<u8>> {
    Ok(vec![])
}

/// Returns nothing.
#[tool]
fn nothing() {}

/// Takes a `'static` borrow-or-own string and a defaulted list.
#[tool]
fn cow(text: std::borrow::Cow<'static, str>, #[arg(default)] extra: Vec<String>) -> String {
    format!("{text}{}", extra.len())
}

/// Returns a borrowed static string.
#[tool]
fn static_str() -> &'static str {
    "ok"
}

/// Has a time limit and runs one at a time.
#[tool(timeout = "250ms", sequential)]
async fn careful() -> u8 {
    1
}

/// Public, with a `Serialize` struct as output.
#[tool]
pub fn public_tool(street: String) -> Address {
    Address {
        street,
        geo: Geo { lat: 0.0, lon: 0.0 },
    }
}

/// Compiled under a condition that never holds: its tool goes with it.
#[tool]
#[cfg(any())]
fn never_compiled(x: NoSuchType) -> u8 {
    x.0
}

/// Compiled everywhere.
#[tool]
#[cfg(not(any()))]
fn always_compiled() -> u8 {
    1
}

mod reexport {
    pub use tool_runtime;
}

/// Goes through a re-export.
#[tool(crate = "reexport::tool_runtime")]
fn through_reexport() -> u8 {
    7
}

mod nested {
    use tool_runtime::tool;

    /// Lives in a module.
    #[tool]
    pub(crate) fn in_module(x: u8) -> u8 {
        x
    }
}

pub(crate) fn main() {
    /// Defined inside a function body.
    #[tool]
    fn local(x: u8) -> u8 {
        x
    }

    // The functions stay callable exactly as written.
    assert_eq!(
        scalars(
            1,
            2,
            3,
            4,
            5,
            6,
            7,
            8,
            9,
            10,
            11,
            12,
            1.5,
            2.5,
            true,
            'x',
            "q".into()
        ),
        "1234567891011121.52.5truexq"
    );
    assert_eq!(
        configured_tool(1, false, "USD".into(), "JPY".into(), 0).len(),
        5
    );
    assert_eq!(std_result(2), Ok(2));
    assert_eq!(static_str(), "ok");
    assert_eq!(local(3), 3);
    assert_eq!(nested::in_module(4), 4);
    let _: () = nothing();

    let toolbox = tools![
        get_weather,
        scalars,
        collections,
        configured_tool,
        std_result,
        io_result,
        alias_result,
        nothing,
        always_compiled,
        cow,
        static_str,
        careful,
        public_tool,
        through_reexport,
        nested::in_module,
        local,
    ];
    assert_eq!(toolbox.len(), 16);
    assert!(toolbox.get("configured").is_some());
    assert!(
        toolbox
            .get("careful")
            .unwrap()
            .definition()
            .policy()
            .is_sequential()
    );
}
