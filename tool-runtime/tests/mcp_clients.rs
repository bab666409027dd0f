//! `examples/mcp_server` driven by MCP clients nobody here wrote: the official MCP Inspector
//! CLI and the Python `mcp` package's client, over stdio and Streamable HTTP, and the official
//! conformance suite's general scenarios.
//!
//! The clients are installed into a cache by `.ci/mcp-tools.sh` (npm and PyPI), which this test
//! runs once; the server is the example, built with `--features mcp`.

use std::process::Command;

use serde_json::{Value, json};
use support::mcp::{HttpServer, clients, inspector, output_within, server};

fn check_listing(listing: &Value) {
    let tools = listing["result"]["tools"]
        .as_array()
        .unwrap_or_else(|| panic!("{listing}"));
    let names: Vec<&str> = tools
        .iter()
        .map(|tool| tool["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "get_weather",
            "get_exchange_rate",
            "forecast",
            "temperature_chart",
            "count_visit",
            "yearly_report",
            "given_up"
        ]
    );
    assert_eq!(tools[0]["title"], "Current weather");
    assert_eq!(
        tools[0]["annotations"],
        json!({"readOnlyHint": true, "openWorldHint": false})
    );
    assert_eq!(tools[0]["inputSchema"]["required"], json!(["city"]));
    assert_eq!(tools[2]["outputSchema"]["type"], "object");
    assert!(
        tools[1].get("outputSchema").is_none(),
        "a number is no object"
    );
}

/// The Inspector over stdio: the listing, a structured result, a tool's error and bad
/// arguments as error results (exit 5), an unknown tool, and an image.
#[test]
fn the_inspector_lists_and_calls_the_tools_over_stdio() {
    let target = [server().to_str().unwrap()];
    let (listing, code) = inspector(&["--method", "tools/list"], &target);
    assert_eq!(code, Some(0), "{listing}");
    check_listing(&listing);

    let call = |tool: &str, args: Value| {
        let args = args.to_string();
        inspector(
            &[
                "--method",
                "tools/call",
                "--tool-name",
                tool,
                "--tool-args-json",
                &args,
            ],
            &target,
        )
    };
    let (forecast, code) = call("forecast", json!({"city": "Oslo"}));
    assert_eq!(code, Some(0), "{forecast}");
    // (The Inspector, in JavaScript, writes 24.0 as 24: compared as numbers.)
    let structured = &forecast["result"]["structuredContent"];
    assert_eq!(structured["city"], "Oslo");
    assert_eq!(structured["high_celsius"].as_f64(), Some(24.0));
    assert_eq!(structured["low_celsius"].as_f64(), Some(13.0));

    let (failed, code) = call(
        "get_exchange_rate",
        json!({"from_currency": "EUR", "to_currency": "XYZ"}),
    );
    assert_eq!(code, Some(5), "a tool error: {failed}");

    let (bad, code) = call("get_weather", json!({"city": 5}));
    assert_eq!(code, Some(5), "bad arguments: {bad}");

    let (unknown, code) = call("get_wether", json!({}));
    assert_eq!(code, Some(5), "{unknown}");
    assert!(unknown.to_string().contains("not found"), "{unknown}");

    let (chart, code) = call("temperature_chart", json!({}));
    assert_eq!(code, Some(0), "{chart}");
    assert_eq!(chart["result"]["content"][1]["type"], "image");
    assert_eq!(chart["result"]["content"][1]["mimeType"], "image/png");
}

/// The Inspector over Streamable HTTP.
#[test]
fn the_inspector_lists_and_calls_the_tools_over_http() {
    let http = HttpServer::start();
    let (listing, code) = inspector(&["--method", "tools/list"], &[&http.url]);
    assert_eq!(code, Some(0), "{listing}");
    check_listing(&listing);
    let (weather, code) = inspector(
        &[
            "--method",
            "tools/call",
            "--tool-name",
            "get_weather",
            "--tool-args-json",
            r#"{"city": "Lima"}"#,
        ],
        &[&http.url],
    );
    assert_eq!(code, Some(0), "{weather}");
    assert_eq!(
        weather["result"]["content"][0]["text"],
        "Sunny, 22°C in Lima"
    );
}

/// The Python client's session: what it lists and gets back, and eight concurrent calls of the
/// sequential counter, each seeing its own count.
const PYTHON_CLIENT: &str = r#"
import json, sys
import anyio
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client

async def session_work(session):
    await session.initialize()
    tools = await session.list_tools()
    weather = await session.call_tool("get_weather", {"city": "Oslo"})
    forecast = await session.call_tool("forecast", {"city": "Oslo"})
    failed = await session.call_tool("get_exchange_rate", {"from_currency": "EUR", "to_currency": "XYZ"})
    bad = await session.call_tool("get_weather", {})
    counts = []
    async def visit():
        result = await session.call_tool("count_visit", {})
        counts.append(result.content[0].text)
    async with anyio.create_task_group() as group:
        for _ in range(8):
            group.start_soon(visit)
    # A call given up on: the client cancels it, the tool's token fires.
    with anyio.move_on_after(0.5):
        await session.call_tool("yearly_report", {})
    await anyio.sleep(0.3)
    given_up = await session.call_tool("given_up", {})
    # The protocol's error, not a result.
    unknown = None
    try:
        await session.call_tool("get_wether", {})
    except Exception as error:
        unknown = str(error)
    print(json.dumps({
        "tools": [tool.name for tool in tools.tools],
        "titles": [tool.title for tool in tools.tools],
        "weather": [weather.is_error, weather.content[0].text],
        "structured": forecast.structured_content,
        "failed": [failed.is_error, failed.content[0].text],
        "bad": [bad.is_error, bad.content[0].text],
        "counts": sorted(counts),
        "unknown": unknown,
        "given_up": given_up.content[0].text,
    }))

async def main(kind, target):
    if kind == "stdio":
        transport = stdio_client(StdioServerParameters(command=target, args=[]))
    else:
        transport = streamable_http_client(target)
    async with transport as (read, write):
        async with ClientSession(read, write) as session:
            await session_work(session)

anyio.run(main, sys.argv[1], sys.argv[2])
"#;

fn python(kind: &str, target: &str) -> Value {
    let output = output_within(Command::new(&clients()["MCP_PYTHON"]).args([
        "-c",
        PYTHON_CLIENT,
        kind,
        target,
    ]));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|_| panic!("{stdout}"))
}

fn check_python(report: &Value) {
    assert_eq!(report["tools"].as_array().unwrap().len(), 7, "{report}");
    assert_eq!(report["given_up"], "1 calls given up", "{report}");
    assert_eq!(report["titles"][0], "Current weather");
    assert_eq!(report["weather"], json!([false, "Sunny, 22°C in Oslo"]));
    assert_eq!(
        report["structured"],
        json!({"city": "Oslo", "high_celsius": 24.0, "low_celsius": 13.0})
    );
    assert_eq!(report["failed"], json!([true, "No rate for EUR to XYZ."]));
    assert_eq!(report["bad"][0], true);
    assert!(
        report["bad"][1]
            .as_str()
            .unwrap()
            .contains("- `city`: missing required field"),
        "{report}"
    );
    // One at a time, whatever the client sends at once: every count once.
    let counts: Vec<String> = (1..=8).map(|n| format!("{n} visits so far")).collect();
    let mut got: Vec<String> = report["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|count| count.as_str().unwrap().to_owned())
        .collect();
    got.sort_by_key(|count| count.split(' ').next().unwrap().parse::<u32>().unwrap());
    assert_eq!(got, counts);
    assert!(
        report["unknown"]
            .as_str()
            .is_some_and(|error| error.contains("Unknown tool: get_wether")),
        "{report}"
    );
}

#[test]
fn the_python_client_uses_the_tools_over_stdio() {
    check_python(&python("stdio", server().to_str().unwrap()));
}

#[test]
fn the_python_client_uses_the_tools_over_http() {
    let http = HttpServer::start();
    check_python(&python("http", &http.url));
}

/// The official conformance suite's scenarios that ask for no test tools of their own (the
/// others want `test_error_handling`, `test_image_content`…): the opening, ping, the listing,
/// DNS rebinding protection, several SSE streams.
#[test]
fn the_conformance_suite_passes_its_general_scenarios() {
    let http = HttpServer::start();
    let results = std::env::temp_dir().join(format!("mcp-conformance-{}", std::process::id()));
    for scenario in [
        "server-initialize",
        "ping",
        "tools-list",
        "dns-rebinding-protection",
        "server-sse-multiple-streams",
    ] {
        let output = output_within(
            Command::new(&clients()["CONFORMANCE"])
                .args(["server", "--url", &http.url, "--scenario", scenario, "-o"])
                .arg(&results),
        );
        let report = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "{scenario}:\n{report}");
        assert!(report.contains("0 failed"), "{scenario}:\n{report}");
    }
    let _ = std::fs::remove_dir_all(results);
}
