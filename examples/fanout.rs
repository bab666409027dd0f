//! The seed's async program: tools with simulated network latency, called concurrently.
//!
//! Five calls in one model turn (three 100 ms weather lookups, two 150 ms stock quotes) take about
//! as long as the slowest one, not the sum of all five.
//!
//! ```sh
//! cargo run --example fanout
//! ```

use std::time::{Duration, Instant};

use tool_runtime::conversation::ToolCall;
use tool_runtime::{tool, tools};

/// Fetch the current weather for a city (simulated 100 ms network call).
#[tool]
async fn fetch_weather(
    /// City name.
    city: String,
) -> String {
    tokio::time::sleep(Duration::from_millis(100)).await;
    format!("{city}: 21°C and clear")
}

/// Fetch the latest price of a stock (simulated 150 ms network call).
#[tool]
async fn fetch_stock_price(
    /// Ticker symbol, e.g. "AAPL".
    ticker: String,
) -> Result<f64, String> {
    tokio::time::sleep(Duration::from_millis(150)).await;
    match ticker.as_str() {
        "AAPL" => Ok(227.48),
        "MSFT" => Ok(415.10),
        _ => Err(format!("unknown ticker {ticker}")),
    }
}

#[tokio::main]
async fn main() {
    let toolbox = tools![fetch_weather, fetch_stock_price];
    // What a model's parallel tool-call response carries: five calls, each with its id.
    let calls = [
        ToolCall::new("call_1", "fetch_weather", r#"{"city": "Tokyo"}"#),
        ToolCall::new("call_2", "fetch_weather", r#"{"city": "London"}"#),
        ToolCall::new("call_3", "fetch_weather", r#"{"city": "Paris"}"#),
        ToolCall::new("call_4", "fetch_stock_price", r#"{"ticker": "AAPL"}"#),
        ToolCall::new("call_5", "fetch_stock_price", r#"{"ticker": "MSFT"}"#),
    ];
    let latency_sum = Duration::from_millis(3 * 100 + 2 * 150);

    let started = Instant::now();
    let results = toolbox.run(&calls).await;
    let wall = started.elapsed();

    for result in &results {
        println!(
            "{:<7} {:<18} {:>8.1?}  {}",
            result.call_id,
            result.name,
            result.duration,
            result.content()
        );
    }
    println!();
    println!("sum of the tools' latencies: {latency_sum:>8.1?}");
    println!("wall time of the turn:       {wall:>8.1?}  (concurrent: ~ the slowest call)");
    println!(
        "speed-up: {:.1}x",
        latency_sum.as_secs_f64() / wall.as_secs_f64()
    );
}
