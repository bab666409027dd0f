//! The seed's tools and a stateful one, served to any MCP client: over stdio by default, over
//! Streamable HTTP with `--http 127.0.0.1:PORT` (endpoint `/mcp`).
//!
//! ```sh
//! cargo run --features mcp --example mcp_server                       # stdio
//! cargo run --features mcp --example mcp_server -- --http 127.0.0.1:8000
//! npx @modelcontextprotocol/inspector --cli --method tools/list -- target/debug/examples/mcp_server
//! ```

use std::error::Error;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use schemars::JsonSchema;
use serde::Serialize;
use tool_runtime::conversation::ContentBlock;
use tool_runtime::mcp::McpServer;
use tool_runtime::{CallContext, State, tool, tools};

/// Get the current weather for a city.
#[tool(title = "Current weather", read_only, open_world = false)]
async fn get_weather(
    /// City name, e.g. "Tokyo".
    city: String,
) -> String {
    format!("Sunny, 22°C in {city}")
}

/// Get the exchange rate between two currencies: how many `to_currency` one `from_currency` buys.
#[tool(read_only, idempotent)]
fn get_exchange_rate(
    /// ISO 4217 code of the currency to convert from, e.g. "USD".
    from_currency: String,
    /// ISO 4217 code of the currency to convert to, e.g. "JPY".
    to_currency: String,
) -> Result<f64, String> {
    // A stand-in for an exchange-rate service: what one US dollar buys.
    let per_usd = |code: &str| -> Option<f64> {
        match code.to_uppercase().as_str() {
            "USD" => Some(1.0),
            "JPY" => Some(151.25),
            "EUR" => Some(0.92),
            "GBP" => Some(0.79),
            _ => None,
        }
    };
    if from_currency.eq_ignore_ascii_case(&to_currency) {
        return Ok(1.0);
    }
    match (per_usd(&from_currency), per_usd(&to_currency)) {
        // Four decimals, as rates are quoted.
        (Some(from), Some(to)) => Ok((to / from * 10_000.0).round() / 10_000.0),
        _ => Err(format!("No rate for {from_currency} to {to_currency}.")),
    }
}

/// A forecast.
#[derive(Serialize, JsonSchema)]
struct Forecast {
    /// The city.
    city: String,
    /// Tomorrow's high, °C.
    high_celsius: f64,
    /// Tomorrow's low, °C.
    low_celsius: f64,
}

/// The forecast for a city: structured, so MCP clients also get it as `structuredContent`.
#[tool(read_only)]
fn forecast(
    /// City name.
    city: String,
) -> Forecast {
    Forecast {
        city,
        high_celsius: 24.0,
        low_celsius: 13.0,
    }
}

/// A tiny chart of the week's temperatures, as a PNG.
#[tool(read_only)]
fn temperature_chart() -> Vec<ContentBlock> {
    // A 1×1 PNG stands for the chart.
    const PNG: &[u8] = &[
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f,
        0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8,
        0xcf, 0xc0, 0xf0, 0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00,
        0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
    ];
    vec![
        ContentBlock::text("This week's temperatures:"),
        ContentBlock::image("image/png", PNG),
    ]
}

/// How many visits were counted, and whether a count is under way: the server's own state,
/// shared by every client.
#[derive(Clone, Default)]
struct Visits {
    count: Arc<AtomicU64>,
    busy: Arc<AtomicBool>,
    /// Calls the clients gave up on.
    given_up: Arc<AtomicU64>,
}

/// Count a visit and say how many there have been. (Sequential: one count at a time, whatever
/// the clients send at once; a count that found another under way would say so.)
#[tool(sequential, destructive = false)]
fn count_visit(State(visits): State<Visits>) -> String {
    if visits.busy.swap(true, Ordering::SeqCst) {
        return "overlapped: another count was under way".to_owned();
    }
    // The visit book takes a moment to write in.
    std::thread::sleep(std::time::Duration::from_millis(20));
    let count = visits.count.fetch_add(1, Ordering::SeqCst) + 1;
    visits.busy.store(false, Ordering::SeqCst);
    format!("{count} visits so far")
}

/// Prepare the yearly report. It takes ten seconds, unless the client gives up first.
#[tool(read_only)]
async fn yearly_report(State(visits): State<Visits>, ctx: CallContext) -> String {
    tokio::select! {
        () = tokio::time::sleep(std::time::Duration::from_secs(10)) => "The report is ready.".to_owned(),
        () = ctx.cancellation().cancelled() => {
            // The client cancelled: its token fired here.
            visits.given_up.fetch_add(1, Ordering::SeqCst);
            "Given up.".to_owned()
        }
    }
}

/// How many calls the clients gave up on.
#[tool(read_only)]
fn given_up(State(visits): State<Visits>) -> String {
    format!("{} calls given up", visits.given_up.load(Ordering::SeqCst))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let toolbox = tools![
        state = Visits::default();
        get_weather, get_exchange_rate, forecast, temperature_chart, count_visit, yearly_report,
        given_up
    ];
    let server = McpServer::new(toolbox).named("weather-example", env!("CARGO_PKG_VERSION"));
    let http = std::env::args().skip_while(|arg| arg != "--http").nth(1);
    match http {
        None => server.serve_stdio().await?,
        Some(address) => {
            let router = axum::Router::new().nest_service("/mcp", server.http_service());
            let listener = tokio::net::TcpListener::bind(&address).await?;
            // Where it listens, for whoever started it (stderr: stdout stays quiet).
            eprintln!("listening on http://{}/mcp", listener.local_addr()?);
            axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = tokio::signal::ctrl_c().await;
                })
                .await?;
        }
    }
    Ok(())
}
