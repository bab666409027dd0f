//! The offline model: schema-valid arguments, determinism, the scripted and responder modes, and
//! the same loop and history as the real providers.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tool_runtime::conversation::{AssistantMessage, ToolCall, ToolResult};
use tool_runtime::tool::ToolOutput;
use tool_runtime::{Agent, Message, OfflineModel, tool, tools};

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
enum Unit {
    Celsius,
    Fahrenheit,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
struct Window {
    /// First day, 1 to 7.
    #[schemars(range(min = 1, max = 7))]
    from_day: u8,
    to_day: Option<u8>,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Filter {
    Rain { min_mm: f64 },
    Sun,
}

/// Get the current weather for a city.
#[tool]
async fn get_weather(
    /// City name.
    city: String,
) -> String {
    format!("{city}: sunny")
}

/// Get the exchange rate between two currencies.
#[tool]
async fn get_exchange_rate(from_currency: String, to_currency: String) -> Result<f64, String> {
    if from_currency == to_currency {
        Ok(1.0)
    } else {
        Ok(151.2)
    }
}

/// A tool with every kind of parameter.
#[tool]
fn forecast(
    city: String,
    unit: Option<Unit>,
    #[arg(default = 3)] days: u8,
    window: Window,
    filters: Vec<Filter>,
    offset: i32,
    verbose: bool,
) -> String {
    format!("{city} {unit:?} {days} {window:?} {filters:?} {offset} {verbose}")
}

fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::validator_for(schema).unwrap()
}

#[tokio::test]
async fn the_seed_prompt_runs_offline_with_parallel_calls() {
    let model = OfflineModel::new();
    let agent = Agent::new(model.clone(), tools![get_weather, get_exchange_rate]);
    let output = agent
        .run("What's the weather in Tokyo and London, and what's the USD to JPY rate?")
        .await
        .unwrap();
    assert_eq!(output.turns, 2);
    let calls: Vec<(String, String)> = output.messages[1]
        .tool_calls()
        .iter()
        .map(|call| (call.name.clone(), call.arguments.to_json_string()))
        .collect();
    assert_eq!(
        calls,
        [
            ("get_weather".to_owned(), r#"{"city":"Tokyo"}"#.to_owned()),
            ("get_weather".to_owned(), r#"{"city":"London"}"#.to_owned()),
            (
                "get_exchange_rate".to_owned(),
                r#"{"from_currency":"USD","to_currency":"JPY"}"#.to_owned()
            ),
        ]
    );
    assert_eq!(
        output.text,
        "(offline model) Here is what the tools returned:\n\
         - get_weather: Tokyo: sunny\n\
         - get_weather: London: sunny\n\
         - get_exchange_rate: 151.2"
    );
    // The same history the real providers get: user, assistant calls, results, assistant text.
    assert!(matches!(output.messages[0], Message::User { .. }));
    assert!(matches!(&output.messages[2], Message::ToolResults { results } if results.len() == 3));
    assert!(matches!(&output.messages[3], Message::Assistant(a) if a.tool_calls.is_empty()));
    assert_eq!(model.requests().len(), 2);
    assert!(output.usage.input_tokens > 0 && output.usage.output_tokens > 0);
}

/// The seed's own tools, whose descriptions give examples (`City name, e.g. "Tokyo".`): each
/// name the prompt gives is used once, before any example.
#[tokio::test]
async fn the_prompts_names_come_before_the_descriptions_examples() {
    let output = Agent::new(OfflineModel::new(), support::weather_tools())
        .run(support::PROMPT)
        .await
        .unwrap();
    let calls: Vec<String> = output.messages[1]
        .tool_calls()
        .iter()
        .map(|call| call.arguments.to_json_string())
        .collect();
    assert_eq!(
        calls,
        [
            r#"{"city":"Tokyo"}"#,
            r#"{"city":"London"}"#,
            r#"{"from_currency":"USD","to_currency":"JPY"}"#
        ]
    );
    // Without names in the prompt, the examples.
    let output = Agent::new(OfflineModel::new(), support::weather_tools())
        .run("weather and rates please")
        .await
        .unwrap();
    let calls: Vec<String> = output.messages[1]
        .tool_calls()
        .iter()
        .map(|call| call.arguments.to_json_string())
        .collect();
    assert_eq!(
        calls,
        [
            r#"{"city":"Tokyo"}"#,
            r#"{"from_currency":"USD","to_currency":"JPY"}"#
        ]
    );
}

#[tokio::test]
async fn generated_arguments_are_valid_for_the_schema_and_decode() {
    let toolbox = tools![forecast];
    let schema = toolbox
        .get("forecast")
        .unwrap()
        .definition()
        .parameters()
        .clone();
    let validator = validator(&schema);
    let mut saw_absent_unit = false;
    let mut saw_present_unit = false;
    for seed in 0..40 {
        let model = OfflineModel::new().seed(seed);
        let output = Agent::new(model, toolbox.clone())
            .run("forecast please")
            .await
            .unwrap();
        let call = &output.messages[1].tool_calls()[0];
        let args = call.arguments.to_value().unwrap();
        assert!(validator.is_valid(&args), "seed {seed}: {args}");
        match args.get("unit") {
            Some(_) => saw_present_unit = true,
            None => saw_absent_unit = true,
        }
        // And the tool accepted them.
        let Message::ToolResults { results } = &output.messages[2] else {
            panic!()
        };
        assert!(
            !results[0].is_error(),
            "seed {seed}: {}",
            results[0].content()
        );
    }
    assert!(
        saw_absent_unit && saw_present_unit,
        "optional fields are sometimes absent"
    );
}

#[tokio::test]
async fn the_same_seed_gives_the_same_run() {
    let run = |seed| async move {
        Agent::new(OfflineModel::new().seed(seed), tools![forecast])
            .run("forecast")
            .await
            .unwrap()
            .messages
    };
    assert_eq!(run(5).await, run(5).await);
    assert_ne!(run(5).await, run(6).await);
}

#[tokio::test]
async fn without_parallel_calls_it_calls_one_tool_per_turn() {
    let model = OfflineModel::new();
    let output = Agent::new(model.clone(), tools![get_weather, get_exchange_rate])
        .parallel_tool_calls(false)
        .run("Weather in Oslo and the EUR to USD rate")
        .await
        .unwrap();
    assert_eq!(output.turns, 3);
    assert_eq!(output.messages[1].tool_calls().len(), 1);
    assert_eq!(output.messages[3].tool_calls().len(), 1);
    assert!(model.requests().iter().all(|r| !r.parallel_tool_calls));
}

#[tokio::test]
async fn scripted_turns_are_returned_in_order() {
    let model = OfflineModel::scripted([
        AssistantMessage::calls([
            ToolCall::new("a", "get_weather", json!({"city": "Oslo"})),
            ToolCall::new("b", "get_weather", json!({"town": "Oslo"})),
        ]),
        AssistantMessage::text("Oslo is sunny."),
    ]);
    let output = Agent::new(model.clone(), tools![get_weather])
        .system("Be brief.")
        .run("Oslo?")
        .await
        .unwrap();
    assert_eq!(output.text, "Oslo is sunny.");
    let second = &model.requests()[1];
    assert_eq!(second.system.as_deref(), Some("Be brief."));
    assert_eq!(second.tools, ["get_weather"]);
    let Message::ToolResults { results } = &second.messages[2] else {
        panic!()
    };
    assert_eq!(
        results[0],
        ToolResult::new("a", "get_weather", Ok(ToolOutput::text("Oslo: sunny")))
    );
    assert!(results[1].is_error());
    assert!(
        results[1]
            .content()
            .contains("`city`: missing required field")
    );
}

#[tokio::test]
async fn a_script_that_runs_out_is_an_error_with_the_transcript() {
    let model = OfflineModel::scripted([AssistantMessage::calls([ToolCall::new(
        "a",
        "get_weather",
        json!({"city": "Oslo"}),
    )])]);
    let error = Agent::new(model, tools![get_weather])
        .run("Oslo?")
        .await
        .unwrap_err();
    assert!(error.model_error().unwrap().is_config());
    assert_eq!(error.turns, 2);
    assert_eq!(error.messages.len(), 3);
}

#[tokio::test]
async fn a_responder_reads_earlier_results() {
    let model = OfflineModel::responder(|request| match request.messages.last() {
        Some(Message::ToolResults { results }) => {
            AssistantMessage::text(format!("got {}", results[0].content()))
        }
        _ => AssistantMessage::calls([ToolCall::new("a", "get_weather", json!({"city": "Rome"}))]),
    });
    let output = Agent::new(model, tools![get_weather])
        .run("Rome?")
        .await
        .unwrap();
    assert_eq!(output.text, "got Rome: sunny");
}

#[tokio::test]
async fn without_tools_it_just_answers() {
    let output = Agent::new(OfflineModel::new(), tools![])
        .run("hello")
        .await
        .unwrap();
    assert_eq!(output.turns, 1);
    assert_eq!(output.text, "(offline model) You said: hello");
}

#[tokio::test]
async fn runs_can_be_spawned_on_other_tasks() {
    // The run future is `Send`, so an agent can serve requests from any task.
    let agent = Agent::new(OfflineModel::new(), tools![get_weather]);
    let handle = tokio::spawn(async move { agent.run("Weather in Lima?").await });
    let output = handle.await.unwrap().unwrap();
    assert!(output.text.contains("Lima: sunny"));
}

// ---------------------------------------------------------------------------------------------
// Arguments that pass the tools' own validation, and tools left alone.
// ---------------------------------------------------------------------------------------------

/// A table booking, with every kind of constraint schemars writes.
#[derive(Debug, Deserialize, JsonSchema)]
struct Booking {
    /// Who books.
    #[schemars(email)]
    email: String,
    /// ISO 4217 code of the currency to pay in.
    #[schemars(regex(pattern = r"^[A-Z]{3}$"))]
    currency: String,
    /// A name for the table.
    #[schemars(length(min = 3, max = 8))]
    nickname: String,
    /// How many people.
    #[schemars(range(min = 1, max = 12))]
    guests: u8,
    /// The restaurant's site.
    #[schemars(url)]
    website: Option<String>,
    /// Table numbers.
    #[schemars(length(min = 2, max = 3))]
    tables: Vec<u16>,
    /// A phone number.
    #[schemars(regex(pattern = r"^\+[1-9]\d{6,14}$"))]
    phone: String,
}

/// Book a table.
#[tool]
fn book(booking: Booking, unit: Option<Unit>) -> String {
    let Booking {
        email,
        currency,
        nickname,
        guests,
        website,
        tables,
        phone,
    } = booking;
    format!(
        "{nickname} ({email}, {phone}, {website:?}): {guests} at {tables:?}, {currency}, {unit:?}"
    )
}

/// Tools whose schemas promise what `serde` does not check: formats, patterns, lengths,
/// bounds, steps, counts, constants, branches, dependencies.
fn constrained_tools() -> tool_runtime::Toolbox {
    use tool_runtime::tool::FnTool;
    let echo = |arguments: Value, _ctx| async move { Ok::<_, String>(arguments) };
    let schedule = FnTool::new(
        "schedule",
        "Schedule a meeting.",
        json!({
            "type": "object",
            "properties": {
                "id": {"type": "string", "format": "uuid"},
                "day": {"type": "string", "format": "date"},
                "at": {"type": "string", "format": "date-time"},
                "start": {"type": "string", "format": "time"},
                "host": {"type": "string", "format": "hostname"},
                "v4": {"type": "string", "format": "ipv4"},
                "v6": {"type": "string", "format": "ipv6"},
                "link": {"type": "string", "format": "uri"},
                "length": {"type": "string", "format": "duration"},
                "room": {"type": "string", "pattern": "^[A-D]-[0-9]{3}$", "maxLength": 5},
                "sku": {"type": "string", "pattern": "sku-[0-9a-f]{8}", "minLength": 20},
                "code": {"type": "string", "pattern": "^(?=.*[0-9])[a-z0-9]{6}$",
                         "examples": ["abc123"]},
                "title": {"type": "string", "minLength": 70, "maxLength": 80}
            },
            "required": ["id", "day", "at", "start", "host", "v4", "v6", "link", "length", "room",
                         "sku", "code", "title"],
            "additionalProperties": false
        }),
        echo,
    );
    let measure = FnTool::new(
        "measure",
        "Record a measurement.",
        json!({
            "type": "object",
            "properties": {
                "ratio": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
                "price": {"type": "number", "minimum": 0.5, "maximum": 99.99, "multipleOf": 0.01},
                "step": {"type": "integer", "minimum": 7, "maximum": 100, "multipleOf": 7},
                "below": {"type": "integer", "exclusiveMaximum": -10},
                "half": {"type": "number", "multipleOf": 0.5, "minimum": -3, "maximum": -1},
                "kind": {"const": "sample"},
                "level": {"enum": ["low", "high", null]},
                "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b", "c", "d"]},
                         "minItems": 3, "maxItems": 4, "uniqueItems": true},
                "points": {"type": "array", "items": {"type": "integer", "minimum": 0},
                           "minItems": 10},
                "pair": {"type": "array", "prefixItems": [{"type": "string", "minLength": 2},
                         {"type": "boolean"}], "items": false, "minItems": 2},
                "shape": {"oneOf": [
                    {"type": "object", "properties": {"radius": {"type": "number",
                     "exclusiveMinimum": 0}}, "required": ["radius"],
                     "additionalProperties": false},
                    {"type": "object", "properties": {"side": {"type": "integer",
                     "minimum": 1}}, "required": ["side"], "additionalProperties": false}
                ]},
                "limits": {"allOf": [{"$ref": "#/$defs/Limits"}, {"required": ["high"]}]},
                "card": {"type": "object", "properties": {
                    "number": {"type": "string", "pattern": "^[0-9]{16}$"},
                    "cvv": {"type": "string", "pattern": "^[0-9]{3}$"},
                    "note": {"type": "string"}
                 }, "dependentRequired": {"number": ["cvv"]}, "minProperties": 2,
                 "additionalProperties": false}
            },
            "required": ["ratio", "price", "step", "below", "half", "kind", "level", "tags",
                         "points", "pair", "shape", "limits", "card"],
            "additionalProperties": false,
            "$defs": {"Limits": {"type": "object", "properties": {
                "low": {"type": "integer", "minimum": 0, "maximum": 5},
                "high": {"type": "integer", "minimum": 6, "maximum": 9}
            }, "additionalProperties": false}}
        }),
        echo,
    );
    tools![book, forecast].with(schedule).with(measure)
}

/// For many seeds and prompts, every argument the automatic model makes passes the tool's own
/// validation (the run's results are no errors) and the schema's (checked here again).
#[tokio::test]
async fn every_sampled_argument_passes_the_tools_own_validation() {
    let toolbox = constrained_tools();
    let validators: Vec<(String, jsonschema::Validator)> = toolbox
        .definitions()
        .map(|definition| {
            let validator = jsonschema::options()
                .with_draft(jsonschema::Draft::Draft202012)
                .should_validate_formats(true)
                .build(definition.parameters())
                .unwrap();
            (definition.name().to_owned(), validator)
        })
        .collect();
    let prompts = [
        "Book a table for Ada at Luigi in Rome, paid in EUR, in celsius.",
        "book something",
        "Schedule the ADA review in Oslo and Lima; measure it all.",
    ];
    for seed in 0..40 {
        for prompt in prompts {
            let model = OfflineModel::new().seed(seed);
            let output = Agent::new(model, toolbox.clone())
                .run(prompt)
                .await
                .unwrap();
            let calls = output.messages[1].tool_calls();
            let mut names: Vec<&str> = calls.iter().map(|call| call.name.as_str()).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(
                names,
                ["book", "forecast", "measure", "schedule"],
                "seed {seed}"
            );
            // Checked here again. (Without the `validate` feature the tools check no more than
            // serde does, and patterns are not followed.)
            for call in calls.iter().filter(|_| cfg!(feature = "validate")) {
                let arguments = call.arguments.to_value().unwrap();
                let (_, validator) = validators.iter().find(|(n, _)| *n == call.name).unwrap();
                let errors: Vec<String> = validator
                    .iter_errors(&arguments)
                    .map(|error| error.to_string())
                    .collect();
                assert!(
                    errors.is_empty(),
                    "seed {seed}, {}: {arguments}: {errors:?}",
                    call.name
                );
            }
            for result in output.messages[2].tool_results() {
                assert!(
                    !result.is_error(),
                    "seed {seed}, {prompt:?}: {}: {}",
                    result.name,
                    result.content()
                );
            }
        }
    }
}

/// Words of the prompt that fit a parameter are used; those that do not are not forced on it.
#[tokio::test]
async fn prompt_words_are_used_where_they_fit() {
    let output = Agent::new(OfflineModel::new(), tools![book])
        .run("Book a table for Ada at Luigi in Rome, paid in EUR, in fahrenheit.")
        .await
        .unwrap();
    let arguments = output.messages[1].tool_calls()[0]
        .arguments
        .to_value()
        .unwrap();
    assert_eq!(arguments["booking"]["currency"], "EUR");
    assert_eq!(arguments["booking"]["nickname"], "Ada");
    // Not a name: an address, of the model's own.
    assert!(
        arguments["booking"]["email"]
            .as_str()
            .unwrap()
            .contains("@example.")
    );
    if let Some(unit) = arguments.get("unit") {
        assert_eq!(unit, "fahrenheit");
    }
}

/// Delete a customer's account.
#[tool(needs_approval)]
fn delete_account(customer: String) -> String {
    format!("deleted {customer}")
}

/// Drop a database table.
#[tool(destructive)]
fn drop_table(table: String) -> String {
    format!("dropped {table}")
}

/// Read a table: destructive is meaningless for a read-only tool.
#[tool(read_only, destructive)]
fn read_table(table: String) -> String {
    format!("read {table}")
}

/// Payments above 100 wait for a person.
fn above_limit(arguments: &tool_runtime::tool::Arguments) -> bool {
    arguments
        .get::<f64>("amount")
        .is_none_or(|amount| amount > 100.0)
}

/// An amount of money, 1 to 1000.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(transparent)]
struct Amount(#[schemars(range(min = 1, max = 1000))] f64);

/// Send money.
#[tool(needs_approval = above_limit)]
fn pay(to: String, amount: Amount) -> String {
    format!("paid {} to {to}", amount.0)
}

fn gated_tools() -> tool_runtime::Toolbox {
    tools![get_weather, delete_account, drop_table, read_table, pay]
}

#[tokio::test]
async fn tools_that_need_approval_or_are_destructive_are_left_alone() {
    for seed in 0..20 {
        let output = Agent::new(OfflineModel::new().seed(seed), gated_tools())
            .run("Weather in Oslo, then clean up for ACME.")
            .await
            .unwrap();
        let mut called: Vec<&str> = output.messages[1]
            .tool_calls()
            .iter()
            .map(|call| call.name.as_str())
            .collect();
        called.sort_unstable();
        assert_eq!(called, ["get_weather", "pay", "read_table"], "seed {seed}");
        let pay = output.messages[1]
            .tool_calls()
            .iter()
            .find(|call| call.name == "pay")
            .unwrap();
        let amount = pay.arguments.get::<f64>("amount").unwrap();
        assert!((1.0..=100.0).contains(&amount), "seed {seed}: {amount}");
        assert!(
            output.text.ends_with(
                "\nNot called: `delete_account` (needs approval), `drop_table` (marked \
                 destructive). The offline model calls tools that need approval or are marked \
                 destructive only when built with `OfflineModel::call_every_tool(true)`."
            ),
            "{}",
            output.text
        );
    }
}

#[tokio::test]
async fn asked_to_it_calls_every_tool_and_the_run_waits_for_approval() {
    let model = OfflineModel::new().call_every_tool(true);
    let error = Agent::new(model, gated_tools())
        .run("Weather in Oslo, then clean up for ACME.")
        .await
        .unwrap_err();
    let paused = error.into_paused().expect("a pause for approval");
    let waiting: Vec<&str> = paused.pending().map(|call| call.name.as_str()).collect();
    assert!(waiting.contains(&"delete_account"), "{waiting:?}");
}

#[tokio::test]
async fn a_toolbox_whose_every_tool_is_left_alone_still_answers() {
    for parallel in [true, false] {
        let output = Agent::new(OfflineModel::new(), tools![delete_account, drop_table])
            .parallel_tool_calls(parallel)
            .run("Clean up.")
            .await
            .unwrap();
        assert_eq!(output.turns, 1);
        assert_eq!(
            output.text,
            "(offline model) You said: Clean up.\nNot called: `delete_account` (needs approval), \
             `drop_table` (marked destructive). The offline model calls tools that need approval \
             or are marked destructive only when built with `OfflineModel::call_every_tool(true)`."
        );
    }
    // A typed answer is still given.
    #[derive(Debug, Deserialize, JsonSchema)]
    struct Done {
        #[schemars(length(min = 4))]
        summary: String,
    }
    let done = Agent::new(OfflineModel::new(), tools![delete_account])
        .run("Clean up.")
        .output::<Done>()
        .await
        .unwrap();
    assert!(done.value.summary.len() >= 4);
}

// ---------------------------------------------------------------------------------------------
// Typed answers, scripted.
// ---------------------------------------------------------------------------------------------

/// A city's weather.
#[derive(Debug, Deserialize, JsonSchema, PartialEq)]
struct Report {
    city: String,
    #[schemars(range(min = -90, max = 60))]
    celsius: f64,
}

#[tokio::test]
async fn a_scripted_typed_answer_is_its_json_after_the_tool_calls() {
    let model = OfflineModel::scripted([
        AssistantMessage::calls([ToolCall::new("a", "get_weather", json!({"city": "Oslo"}))]),
        AssistantMessage::text(json!({"city": "Oslo", "celsius": 4.5}).to_string()),
    ]);
    let report = Agent::new(model.clone(), tools![get_weather])
        .run("Weather in Oslo?")
        .output::<Report>()
        .await
        .unwrap();
    assert_eq!(
        report.value,
        Report {
            city: "Oslo".into(),
            celsius: 4.5
        }
    );
    assert_eq!(report.output.turns, 2);
    // The second request carried the tool's result, and asked for the answer's shape.
    let second = &model.requests()[1];
    assert_eq!(
        second.messages[2].tool_results()[0].content(),
        "Oslo: sunny"
    );
}

#[tokio::test]
async fn scripted_answers_that_are_not_objects_are_written_as_themselves() {
    let run = |turn: &str| {
        let model = OfflineModel::scripted([AssistantMessage::text(turn)]);
        Agent::new(model, tools![])
    };
    let days = run("[3, 1]")
        .run("Days?")
        .output::<Vec<u8>>()
        .await
        .unwrap();
    assert_eq!(days.value, [3, 1]);
    let count = run("7").run("How many?").output::<u32>().await.unwrap();
    assert_eq!(count.value, 7);
    let unit = run(r#""fahrenheit""#)
        .run("Unit?")
        .output::<Unit>()
        .await
        .unwrap();
    assert!(matches!(unit.value, Unit::Fahrenheit));
    // Plain text, for a string.
    let city = run("Oslo").run("City?").output::<String>().await.unwrap();
    assert_eq!(city.value, "Oslo");
    // Already wrapped, as a real model writes it: taken as it is.
    let wrapped = run(r#"{"answer": 9}"#)
        .run("How many?")
        .output::<u32>()
        .await
        .unwrap();
    assert_eq!(wrapped.value, 9);
}

#[tokio::test]
async fn a_wrong_scripted_answer_goes_back_and_the_next_turn_answers_it() {
    let model = OfflineModel::scripted([
        AssistantMessage::text(json!({"city": "Oslo", "celsius": 400}).to_string()),
        AssistantMessage::text(json!({"city": "Oslo", "celsius": 4}).to_string()),
    ]);
    let report = Agent::new(model.clone(), tools![])
        .run("Oslo?")
        .output::<Report>()
        .await
        .unwrap();
    assert_eq!(report.value.celsius, 4.0);
    // The model was told what was wrong.
    let requests = model.requests();
    let Message::User { text, .. } = requests[1].messages.last().unwrap() else {
        panic!("{:?}", requests[1].messages)
    };
    assert!(text.contains("`celsius`"), "{text}");
}

#[tokio::test]
async fn a_responder_answers_a_typed_run_too() {
    let model = OfflineModel::responder(|request| match request.messages.last() {
        Some(Message::ToolResults { results }) => {
            AssistantMessage::text(json!(results[0].content()).to_string())
        }
        _ => AssistantMessage::calls([ToolCall::new("a", "get_weather", json!({"city": "Rome"}))]),
    });
    let answer = Agent::new(model, tools![get_weather])
        .run("Rome?")
        .output::<String>()
        .await
        .unwrap();
    assert_eq!(answer.value, "Rome: sunny");
}

/// A tool choice is followed: the named tool is called (a destructive one too: the program asked
/// for it), and after that turn the run goes on as usual; with none allowed, none is called.
#[tokio::test]
async fn the_tool_choice_is_followed() {
    use tool_runtime::model::ToolChoice;

    let output = Agent::new(OfflineModel::new(), gated_tools())
        .tool_choice(ToolChoice::Tool("drop_table".into()))
        .run("Drop the table sessions.")
        .await
        .unwrap();
    let called: Vec<&str> = output.messages[1]
        .tool_calls()
        .iter()
        .map(|call| call.name.as_str())
        .collect();
    assert_eq!(called, ["drop_table"]);
    assert_eq!(output.turns, 2, "{:?}", output.messages);

    // None: no call at all.
    let output = Agent::new(OfflineModel::new(), tools![read_table])
        .tool_choice(ToolChoice::None)
        .run("Read the table users.")
        .await
        .unwrap();
    assert_eq!(output.turns, 1);
}
