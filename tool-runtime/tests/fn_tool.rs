//! `FnTool`: a tool made at run time from a name, a description, a JSON Schema and an async
//! closure, its arguments checked against that schema as a `#[tool]`'s are.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tool_runtime::conversation::ToolCall;
use tool_runtime::tool::{FnTool, Tool, ToolDefinition, ToolError, ToolPolicy};
use tool_runtime::{Agent, OfflineModel, Toolbox};

/// Books a table: `guests` from 1 to 12, an optional `note`, nothing else.
fn booking(seen: Arc<Mutex<Vec<Value>>>) -> FnTool {
    FnTool::new(
        "book_table",
        "Book a table.",
        json!({
            "type": "object",
            "properties": {
                "restaurant": {"type": "string", "minLength": 2},
                "guests": {"type": "integer", "minimum": 1, "maximum": 12},
                "note": {"type": "string"},
            },
            "required": ["restaurant", "guests"],
            "additionalProperties": false,
        }),
        move |arguments: Value, _ctx| {
            seen.lock().unwrap().push(arguments.clone());
            async move {
                match arguments["restaurant"].as_str() {
                    Some("Closed") => Err("that restaurant is closed today"),
                    _ => Ok(json!({"booked": true, "guests": arguments["guests"]})),
                }
            }
        },
    )
}

#[tokio::test]
async fn arguments_are_checked_against_the_schema_before_the_closure_runs() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let toolbox = Toolbox::new().with(booking(seen.clone()));
    let calls = [
        ToolCall::new("ok", "book_table", r#"{"restaurant": "Nopa", "guests": 2}"#),
        ToolCall::new(
            "err",
            "book_table",
            r#"{"restaurant": "Closed", "guests": 2}"#,
        ),
        ToolCall::new(
            "bad",
            "book_table",
            r#"{"restaurant": "N", "guests": 40, "smoking": true}"#,
        ),
        ToolCall::new("missing", "book_table", r#"{"restaurant": "Nopa"}"#),
        ToolCall::new("text", "book_table", r#"{"restaurant": "Nopa", "guests": "#),
        ToolCall::new("list", "book_table", "[1, 2]"),
        // Strict mode sends the optional `note` as null: the closure sees it absent.
        ToolCall::new(
            "null",
            "book_table",
            r#"{"restaurant": "Nopa", "guests": 3, "note": null}"#,
        ),
    ];
    let results = toolbox.run(&calls).await;
    assert_eq!(results[0].content(), r#"{"booked":true,"guests":2}"#);
    assert!(!results[0].is_error());
    assert!(
        matches!(&results[1].outcome, Err(ToolError::Failed(text)) if text == "that restaurant is closed today")
    );
    // Every violation at once, each with its path.
    let bad = results[2].content();
    assert!(matches!(
        results[2].outcome,
        Err(ToolError::InvalidArguments(_))
    ));
    assert!(
        bad.starts_with("Invalid arguments for tool `book_table`:"),
        "{bad}"
    );
    assert!(bad.contains("`restaurant`"), "{bad}");
    assert!(bad.contains("`guests`"), "{bad}");
    assert!(bad.contains("`smoking`"), "{bad}");
    assert!(
        results[3]
            .content()
            .contains("`guests`: missing required field")
    );
    assert!(results[4].content().contains("book_table"));
    assert!(results[4].is_error());
    assert!(
        results[5].content().contains("object"),
        "{}",
        results[5].content()
    );
    assert_eq!(results[6].content(), r#"{"booked":true,"guests":3}"#);
    // The closure ran for the three whose arguments were good, `note` left out of the last.
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[2], json!({"restaurant": "Nopa", "guests": 3}));
}

#[tokio::test]
async fn a_run_time_tool_runs_in_the_loop_under_its_policy() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let slow = FnTool::from_definition(
        ToolDefinition::new(
            "slow",
            "Takes its time.",
            json!({"type": "object", "properties": {}}),
        )
        .with_policy(ToolPolicy::new().with_timeout(Duration::from_millis(20))),
        |_: Value, ctx| async move {
            ctx.cancelled().await;
            Ok::<_, String>("never")
        },
    );
    let toolbox = Toolbox::new().with(booking(seen.clone())).with(slow);
    assert!(
        toolbox
            .get("book_table")
            .unwrap()
            .definition()
            .schema()
            .strict()
            .is_ok()
    );
    // The offline model calls every tool with arguments drawn from its schema.
    let agent = Agent::new(OfflineModel::new(), toolbox);
    let output = agent.run("Book a table, slowly.").await.unwrap();
    let results: Vec<_> = output
        .messages
        .iter()
        .flat_map(|message| message.tool_results())
        .collect();
    assert_eq!(results.len(), 2, "{:#?}", output.messages);
    let booked = results
        .iter()
        .find(|result| result.name == "book_table")
        .unwrap();
    assert!(booked.content().contains("booked"), "{}", booked.content());
    let slow = results.iter().find(|result| result.name == "slow").unwrap();
    assert_eq!(slow.content(), "Timed out after 20ms");
    assert_eq!(seen.lock().unwrap().len(), 1);
}

/// Strict mode makes a nested defaulted property nullable: the closure gets it absent (to apply
/// its default), while a property whose schema takes `null` keeps it, and a required one sent
/// as `null` is still refused.
#[tokio::test]
async fn nested_defaulted_properties_sent_as_null_reach_the_closure_absent() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let saw = seen.clone();
    let order = FnTool::new(
        "order",
        "Order a coffee.",
        json!({
            "type": "object",
            "properties": {
                "drink": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "size": {"type": "string", "enum": ["small", "large"], "default": "small"},
                        "shots": {"type": "integer", "minimum": 1, "default": 1},
                        "note": {"type": ["string", "null"]}
                    },
                    "required": ["name"]
                }
            },
            "required": ["drink"]
        }),
        move |arguments: Value, _ctx| {
            saw.lock().unwrap().push(arguments);
            async { Ok::<_, String>("ordered") }
        },
    );
    let strict = order.definition().schema().strict().unwrap().clone();
    let drink = &strict["properties"]["drink"]["properties"];
    assert_eq!(
        drink["size"]["enum"],
        json!(["small", "large", null]),
        "{strict}"
    );
    let toolbox = Toolbox::new().with(order);
    let calls = [
        ToolCall::new(
            "nulls",
            "order",
            r#"{"drink": {"name": "flat white", "size": null, "shots": null, "note": null}}"#,
        ),
        ToolCall::new("required", "order", r#"{"drink": {"name": null}}"#),
    ];
    let results = toolbox.run(&calls).await;
    assert_eq!(results[0].content(), "ordered");
    assert!(results[1].is_error());
    assert!(
        results[1].content().contains("`drink.name`"),
        "{}",
        results[1].content()
    );
    let seen = seen.lock().unwrap();
    assert_eq!(
        *seen,
        [json!({"drink": {"name": "flat white", "note": null}})]
    );
}
