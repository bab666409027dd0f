//! The seed's first program: two tools, one prompt, parallel tool calls fanned out and answered,
//! the answer printed as it streams.
//!
//! ```sh
//! cargo run --example weather                      # offline: a local model plays its part
//! OPENAI_API_KEY=sk-… cargo run --example weather  # OpenAI
//! ANTHROPIC_API_KEY=sk-ant-… cargo run --example weather
//! TOOL_PROVIDER=anthropic cargo run --example weather   # pick one when both keys are set
//! OPENAI_API=responses cargo run --example weather      # OpenAI's Responses API
//! ```

use std::error::Error;
use std::io::Write;
use std::time::Duration;

use tool_runtime::agent::AgentEvent;
use tool_runtime::{Agent, OfflineModel, model, tool, tools};

/// Get the current weather for a city.
#[tool]
async fn get_weather(
    /// City name, e.g. "Tokyo".
    city: String,
) -> Result<String, String> {
    // A stand-in for a weather API.
    let report = match city.to_lowercase().as_str() {
        "tokyo" => "light rain, 18°C",
        "london" => "overcast, 11°C",
        "paris" => "sunny, 16°C",
        "new york" => "clear, 9°C",
        _ => return Err(format!("no weather station for {city:?}")),
    };
    Ok(format!("{city}: {report}"))
}

/// Get the exchange rate between two currencies: how many `to_currency` one `from_currency` buys.
#[tool]
async fn get_exchange_rate(
    /// ISO 4217 code of the currency to convert from, e.g. "USD".
    from_currency: String,
    /// ISO 4217 code of the currency to convert to, e.g. "JPY".
    to_currency: String,
) -> Result<f64, String> {
    // A stand-in for an exchange-rate API: rates against one US dollar.
    let per_usd = |code: &str| -> Option<f64> {
        match code.to_uppercase().as_str() {
            "USD" => Some(1.0),
            "JPY" => Some(151.2),
            "EUR" => Some(0.92),
            "GBP" => Some(0.79),
            _ => None,
        }
    };
    match (per_usd(&from_currency), per_usd(&to_currency)) {
        (Some(from), Some(to)) => Ok((to / from * 100.0).round() / 100.0),
        _ => Err(format!(
            "unknown currency pair {from_currency}/{to_currency}"
        )),
    }
}

const PROMPT: &str = "What's the weather in Tokyo and London, and what's the USD to JPY rate?";

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    // OpenAI or Anthropic when a key is set (TOOL_PROVIDER picks when both are; OPENAI_API
    // picks OpenAI's `chat` or `responses` API), else the offline model, paced like a model
    // writing so that the streaming shows.
    let model = model::from_env_or(OfflineModel::new().pacing(Duration::from_millis(15)))?;
    let name = model.name();
    if name.starts_with("offline") {
        println!(
            "Using the offline model (set OPENAI_API_KEY or ANTHROPIC_API_KEY to use a real one)."
        );
    } else {
        println!("Using {name}.");
    }
    println!("> {PROMPT}");

    let agent = Agent::new(model, tools![get_weather, get_exchange_rate]);
    // Every event as it happens: text as the model writes it, each call the moment its
    // arguments are complete (while the model may still be writing the next), each result.
    let mut events = agent.stream(PROMPT);
    while let Some(event) = events.next().await {
        match event? {
            AgentEvent::TurnStarted { turn } => println!("[turn {turn}]"),
            AgentEvent::TextDelta { text, .. } => {
                print!("{text}");
                std::io::stdout().flush()?;
            }
            AgentEvent::ToolCallStarted { call, .. } => {
                println!("  -> {}({})", call.name, call.arguments.to_json_string());
            }
            AgentEvent::ToolCallFinished { result, .. } => {
                let status = if result.is_error() { "error" } else { "ok" };
                println!(
                    "  <- {} {status} in {:.1?}: {}",
                    result.name,
                    result.duration,
                    result.content()
                );
            }
            AgentEvent::Finished(output) => println!(
                "\n\n({} turns, {} tokens in, {} tokens out)",
                output.turns, output.usage.input_tokens, output.usage.output_tokens
            ),
            _ => {}
        }
    }
    Ok(())
}
