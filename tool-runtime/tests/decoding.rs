//! Decoding the model's arguments: both providers' shapes, strict-mode nulls, and the exact
//! messages the model reads when its arguments are wrong.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tool_runtime::tool::{Arguments, ToolError};
use tool_runtime::{CallContext, Toolbox, tool, tools};

#[derive(Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "lowercase")]
enum Unit {
    Celsius,
    Fahrenheit,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
struct Stop {
    name: String,
    minutes: u32,
}

/// Get the current weather for a city.
#[tool]
async fn get_weather(
    /// City name.
    city: String,
    /// Unit; Celsius when absent.
    unit: Option<Unit>,
    /// Days ahead.
    #[arg(default = 1)]
    days: u8,
) -> String {
    format!("{city}|{unit:?}|{days}")
}

/// Plan a route.
#[tool]
fn route(#[arg(rename = "from")] origin: String, stops: Vec<Stop>) -> Result<String, String> {
    if stops.is_empty() {
        return Err(format!("no stops after {origin}"));
    }
    Ok(format!("{origin} via {}", stops.len()))
}

/// Take no arguments.
#[tool]
fn ping() -> &'static str {
    "pong"
}

fn toolbox() -> Toolbox {
    tools![get_weather, route, ping]
}

async fn call(name: &str, args: impl Into<Arguments>) -> Result<String, ToolError> {
    toolbox()
        .call(name, &args.into(), &CallContext::new("call_1"))
        .await
        .map(|out| out.into_string())
}

async fn error_text(name: &str, args: impl Into<Arguments>) -> String {
    call(name, args).await.unwrap_err().to_string()
}

#[tokio::test]
async fn openai_text_and_anthropic_objects_decode_alike() {
    let text = call(
        "get_weather",
        r#"{"city":"Tokyo","unit":"fahrenheit","days":2}"#,
    )
    .await;
    let object = call(
        "get_weather",
        json!({"city": "Tokyo", "unit": "fahrenheit", "days": 2}),
    )
    .await;
    assert_eq!(text.unwrap(), "Tokyo|Some(Fahrenheit)|2");
    assert_eq!(object.unwrap(), "Tokyo|Some(Fahrenheit)|2");
}

#[tokio::test]
async fn absent_optional_and_defaulted_parameters() {
    assert_eq!(
        call("get_weather", r#"{"city":"Oslo"}"#).await.unwrap(),
        "Oslo|None|1"
    );
}

#[tokio::test]
async fn strict_mode_nulls_mean_absent() {
    let out = call("get_weather", r#"{"city":"Oslo","unit":null,"days":null}"#).await;
    assert_eq!(out.unwrap(), "Oslo|None|1");
}

#[tokio::test]
async fn empty_arguments_text_means_no_arguments() {
    assert_eq!(call("ping", "").await.unwrap(), "pong");
    assert_eq!(call("ping", "  \n").await.unwrap(), "pong");
    assert_eq!(call("ping", json!({})).await.unwrap(), "pong");
}

#[tokio::test]
async fn renamed_parameters_use_the_wire_name() {
    let out = call(
        "route",
        json!({"from": "Paris", "stops": [{"name": "Lyon", "minutes": 120}]}),
    )
    .await;
    assert_eq!(out.unwrap(), "Paris via 1");
}

#[tokio::test]
async fn a_tool_error_is_sent_as_its_display() {
    let err = call("route", json!({"from": "Paris", "stops": []}))
        .await
        .unwrap_err();
    assert_eq!(err, ToolError::Failed("no stops after Paris".into()));
}

#[tokio::test]
async fn every_bad_missing_and_unknown_field_is_reported_at_once() {
    let text = error_text("get_weather", r#"{"unit":"kelvin","days":300,"units":"c"}"#).await;
    assert_eq!(
        text,
        "Invalid arguments for tool `get_weather`:\n\
         - `unit`: unknown variant `kelvin`, expected `celsius` or `fahrenheit`\n\
         - `days`: invalid value: integer `300`, expected u8\n\
         - `city`: missing required field\n\
         - `units`: unknown field; expected one of `city`, `unit`, `days`\n\
         Fix the arguments and call the tool again."
    );
}

#[tokio::test]
async fn nested_fields_are_reported_with_their_path() {
    let text = error_text(
        "route",
        json!({"stops": [{"name": "Lyon", "minutes": 5}, {"name": "Nice", "minutes": "ten"}]}),
    )
    .await;
    assert_eq!(
        text,
        "Invalid arguments for tool `route`:\n\
         - `stops[1].minutes`: invalid type: string \"ten\", expected u32\n\
         - `from`: missing required field\n\
         Fix the arguments and call the tool again."
    );
}

#[tokio::test]
async fn the_same_message_for_text_and_object_arguments() {
    let args = json!({"city": 7, "unit": "kelvin"});
    assert_eq!(
        error_text("get_weather", args.to_string()).await,
        error_text("get_weather", args).await
    );
}

#[tokio::test]
async fn invalid_json_quotes_the_parser_and_the_text() {
    let text = error_text("get_weather", r#"{"city": "Tok"#).await;
    assert_eq!(
        text,
        "Invalid arguments for tool `get_weather`: the arguments are not valid JSON \
         (EOF while parsing a string at line 1 column 13).\n\
         Received: {\"city\": \"Tok\n\
         Fix the arguments and call the tool again."
    );
}

#[tokio::test]
async fn arguments_that_are_not_an_object() {
    let text = error_text("get_weather", r#"["Tokyo"]"#).await;
    assert_eq!(
        text,
        "Invalid arguments for tool `get_weather`: expected a JSON object with the tool's \
         parameters, got an array.\nFix the arguments and call the tool again."
    );
    assert!(
        error_text("get_weather", json!("Tokyo"))
            .await
            .contains("got a string")
    );
    assert!(error_text("get_weather", "null").await.contains("got null"));
}

#[tokio::test]
async fn arguments_for_a_tool_without_parameters() {
    let text = error_text("ping", r#"{"x":1}"#).await;
    assert_eq!(
        text,
        "Invalid arguments for tool `ping`:\n\
         - `x`: unknown field; this tool takes no arguments\n\
         Fix the arguments and call the tool again."
    );
}

#[tokio::test]
async fn unknown_tools_name_the_ones_that_exist() {
    let err = call("get_wether", "{}").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "Unknown tool `get_wether`. Available tools: get_weather, route, ping."
    );
}

#[tokio::test]
async fn escaped_keys_and_duplicate_whitespace_are_fine() {
    let out = call("get_weather", "{ \"c\\u0069ty\" : \"Oslo\" }").await;
    assert_eq!(out.unwrap(), "Oslo|None|1");
}

#[test]
fn arbitrary_bytes_never_panic() {
    // A crude fuzz over awkward inputs; the property test in the fan-out suite goes further.
    let inputs = [
        "",
        "{",
        "}",
        "[]",
        "{\"city\":",
        "\u{0}",
        "{\"city\":\"\\ud800\"}",
        "1e999",
        "{\"days\":-1}",
        "{\"days\":1.5}",
        "{\"city\":{\"a\":[[[[[]]]]]}}",
        "\"\"",
        "{\"city\":\"x\",\"city\":\"y\"}",
    ];
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    for input in inputs {
        let _ = runtime.block_on(call("get_weather", input));
    }
}

/// Echo any JSON back.
#[tool]
fn echo(value: serde_json::Value) -> serde_json::Value {
    value
}

/// Set a level.
#[tool]
fn level(level: u8) -> u8 {
    level
}

/// A JSON value `levels` arrays deep, built without recursion.
fn nested(levels: usize) -> serde_json::Value {
    let mut value = json!(1);
    for _ in 0..levels {
        value = serde_json::Value::Array(vec![value]);
    }
    value
}

#[tokio::test]
async fn arguments_nested_thousands_deep_are_refused_not_a_stack_overflow() {
    let toolbox = tools![echo];
    let deep = Arguments::Json(json!({"value": null}));
    let Arguments::Json(mut object) = deep else {
        unreachable!()
    };
    object["value"] = nested(20_000);
    let arguments = Arguments::Json(object);
    let error = toolbox
        .call("echo", &arguments, &CallContext::new("c"))
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "Invalid arguments for tool `echo`: the arguments are nested more than 128 levels deep.\n\
         Fix the arguments and call the tool again."
    );
    // Dropping a value this deep would itself overflow the stack.
    std::mem::forget(arguments);

    // At the limit, it decodes.
    let fine = Arguments::Json(json!({"value": nested(100)}));
    assert!(
        toolbox
            .call("echo", &fine, &CallContext::new("c"))
            .await
            .is_ok()
    );
    // As text, serde_json's own limit gives the same answer, as a syntax error.
    let text = format!(r#"{{"value": {}}}"#, nested(200));
    let error = toolbox
        .call("echo", &Arguments::from(text), &CallContext::new("c"))
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("recursion limit exceeded"),
        "{error}"
    );
}

#[tokio::test]
async fn long_quoted_values_are_clipped_in_the_error() {
    let toolbox = tools![level];
    let huge = "x".repeat(1_000_000);
    let arguments = Arguments::Json(json!({ "level": huge, huge.clone(): 1 }));
    let error = toolbox
        .call("level", &arguments, &CallContext::new("c"))
        .await
        .unwrap_err()
        .to_string();
    assert!(error.len() < 1_000, "{} bytes", error.len());
    let lines: Vec<&str> = error.lines().collect();
    assert_eq!(lines.len(), 4, "{error}");
    assert!(
        lines[1].starts_with("- `level`: invalid type: string \"xxxxxxxx")
            && lines[1].contains('…')
            && lines[1].ends_with("xxxx\", expected u8"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].starts_with("- `xxxx") && lines[2].contains('…'),
        "{}",
        lines[2]
    );
}

/// One leg of a trip: its bounds live in the schema only.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
struct Leg {
    /// The stop's IATA code.
    #[schemars(regex(pattern = r"^[A-Z]{3}$"))]
    airport: String,
    /// Minutes spent there.
    #[schemars(range(max = 600))]
    minutes: u32,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
struct Trip {
    #[schemars(range(min = 1, max = 9))]
    travelers: u8,
    #[schemars(length(min = 1))]
    legs: Vec<Leg>,
    #[schemars(email)]
    contact: String,
}

/// Book a trip.
#[tool]
fn book(trip: Trip, #[arg(default)] note: Option<String>) -> String {
    format!(
        "{} travelers, {} legs{}",
        trip.travelers,
        trip.legs.len(),
        note.unwrap_or_default()
    )
}

/// Book a trip, with a number of bags.
#[tool]
fn book_with_bags(trip: Trip, #[arg(default = 1)] bags: u8) -> String {
    format!("{} travelers, {bags} bags", trip.travelers)
}

async fn book_error(args: serde_json::Value) -> String {
    tools![book]
        .call("book", &args.into(), &CallContext::new("c"))
        .await
        .unwrap_err()
        .to_string()
}

#[tokio::test]
async fn what_the_schema_promises_is_checked_before_the_tool_runs() {
    let valid = json!({"trip": {"travelers": 2, "contact": "ada@example.com",
                                "legs": [{"airport": "OSL", "minutes": 90}]}});
    let output = tools![book]
        .call("book", &valid.into(), &CallContext::new("c"))
        .await
        .unwrap();
    assert_eq!(output.as_str(), "2 travelers, 1 legs");

    // A bound, a pattern and a format broken in nested fields, beside a type error in another
    // field and an unknown one: all at once, each with its path.
    let text = book_error(json!({"trip": {"travelers": 0, "contact": "nobody",
        "legs": [{"airport": "osl", "minutes": 90}, {"airport": "BER", "minutes": "long"}]},
        "urgent": true}))
    .await;
    for line in [
        "- `trip.travelers`: 0 is less than the minimum of 1",
        "- `trip.contact`: \"nobody\" is not a valid email",
        "- `trip.legs[0].airport`: \"osl\" does not match \"^[A-Z]{3}$\"",
        "- `trip.legs[1].minutes`: \"long\" is not of type \"integer\"",
        "- `urgent`: unknown field; expected one of `trip`, `note`",
    ] {
        assert!(text.contains(line), "{line}\n{text}");
    }
    assert!(
        text.starts_with("Invalid arguments for tool `book`:\n"),
        "{text}"
    );
    assert!(
        text.ends_with("Fix the arguments and call the tool again."),
        "{text}"
    );

    // Missing fields, nested ones included, and a length.
    let text = book_error(json!({"trip": {"travelers": 1, "legs": []}})).await;
    for line in [
        "- `trip.contact`: missing required field",
        "- `trip.legs`: [] has less than 1 item",
    ] {
        assert!(text.contains(line), "{line}\n{text}");
    }
}

#[tokio::test]
async fn a_checked_tool_reads_null_as_absent_for_an_optional_parameter() {
    let trip = json!({"travelers": 2, "contact": "ada@example.com",
                      "legs": [{"airport": "OSL", "minutes": 90}]});
    let toolbox = tools![book_with_bags];
    let ctx = CallContext::new("c");
    for args in [json!({"trip": trip, "bags": null}), json!({"trip": trip})] {
        let output = toolbox.call("book_with_bags", &args.into(), &ctx).await;
        assert_eq!(output.unwrap().as_str(), "2 travelers, 1 bags");
    }
    // A required parameter may not be null; the other checks still hold beside a null.
    let error = toolbox
        .call(
            "book_with_bags",
            &json!({"trip": null, "bags": null}).into(),
            &ctx,
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("- `trip`: null is not of type \"object\""),
        "{error}"
    );
}

/// How a report is laid out: every field has a default, as `#[serde(default)]` gives it.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
struct Layout {
    #[serde(default)]
    verbose: bool,
    #[serde(default = "dash")]
    separator: String,
    #[serde(default = "ten")]
    limit: u32,
    /// `Some(5)` when left out; `null` is `None`, a value of its own.
    #[serde(default = "some_five")]
    level: Option<u8>,
    #[serde(default)]
    columns: Vec<Column>,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
struct Column {
    name: String,
    #[serde(default = "ten")]
    width: u32,
}

fn dash() -> String {
    "-".to_owned()
}

fn ten() -> u32 {
    10
}

fn some_five() -> Option<u8> {
    Some(5)
}

/// Lay out a report.
#[tool]
fn lay_out(layout: Layout, extra: Option<Layout>, #[arg(default = 3)] copies: u8) -> String {
    let show = |layout: &Layout| {
        let widths: Vec<String> = layout
            .columns
            .iter()
            .map(|column| format!("{}:{}", column.name, column.width))
            .collect();
        format!(
            "{} {} {} {:?} [{}]",
            layout.verbose,
            layout.separator,
            layout.limit,
            layout.level,
            widths.join(",")
        )
    };
    format!(
        "{} | {} | {copies}",
        show(&layout),
        extra.as_ref().map_or("none".to_owned(), show)
    )
}

/// OpenAI's strict flavour makes every `#[serde(default)]` field required and nullable: the
/// model sends `null` for one it leaves out, and the field gets its default, at any depth (in
/// an optional struct and in the elements of an array too). A field whose type takes `null`
/// itself (`Option`) reads it as `None`, as its schema says.
#[tokio::test]
async fn strict_mode_nulls_give_serde_defaults_at_any_depth() {
    let toolbox = tools![lay_out];
    let strict = toolbox
        .get("lay_out")
        .unwrap()
        .definition()
        .schema()
        .strict()
        .unwrap()
        .clone();
    let layout = &strict["$defs"]["Layout"]["properties"];
    assert_eq!(
        layout["limit"]["type"],
        json!(["integer", "null"]),
        "{strict}"
    );
    assert_eq!(
        layout["verbose"]["type"],
        json!(["boolean", "null"]),
        "{strict}"
    );
    assert_eq!(
        strict["properties"]["copies"]["type"],
        json!(["integer", "null"])
    );

    let ctx = CallContext::new("c");
    let all_null = json!({"verbose": null, "separator": null, "limit": null, "level": null,
        "columns": [{"name": "a", "width": null}, {"name": "b", "width": 4}]});
    let args = json!({"layout": all_null, "extra": all_null, "copies": null});
    // As text (OpenAI) and as a value, through the fast path's failure and the thorough one.
    for args in [Arguments::from(args.to_string()), Arguments::from(args)] {
        let output = toolbox.call("lay_out", &args, &ctx).await;
        assert_eq!(
            output.unwrap().as_str(),
            "false - 10 None [a:10,b:4] | false - 10 None [a:10,b:4] | 3"
        );
    }
    // Left out instead: the same defaults, and `level`'s own.
    let output = toolbox
        .call(
            "lay_out",
            &json!({"layout": {}, "extra": null}).into(),
            &ctx,
        )
        .await;
    assert_eq!(output.unwrap().as_str(), "false - 10 Some(5) [] | none | 3");
    // A required field stays required: `null` there is an error, with its path.
    let error = toolbox
        .call(
            "lay_out",
            &json!({"layout": {"columns": [{"name": null}]}}).into(),
            &ctx,
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("`layout.columns[0].name`"), "{error}");
}

/// Flags of a search: only types serde checks, so no schema check runs before decoding.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
struct Flags {
    #[serde(default)]
    exact: bool,
    #[serde(default = "dash")]
    joiner: String,
}

/// Search.
#[tool]
fn search(query: String, flags: Flags) -> String {
    format!("{query} {} {}", flags.exact, flags.joiner)
}

#[tokio::test]
async fn strict_mode_nulls_give_serde_defaults_without_schema_checks_too() {
    let toolbox = tools![search];
    let output = toolbox
        .call(
            "search",
            &r#"{"query": "q", "flags": {"exact": null, "joiner": null}}"#.into(),
            &CallContext::new("c"),
        )
        .await;
    assert_eq!(output.unwrap().as_str(), "q false -");
}
