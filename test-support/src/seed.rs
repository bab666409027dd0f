//! The seed's prompt and two tools, shared by the provider tests and the round benchmark.

use tool_runtime::{Toolbox, tool, tools};

/// The seed's prompt.
pub const PROMPT: &str = "What's the weather in Tokyo and London, and what's the USD to JPY rate?";

/// Get the current weather for a city.
#[tool]
pub async fn get_weather(
    /// City name, e.g. "Tokyo".
    city: String,
) -> String {
    format!("Sunny, 22°C in {city}")
}

/// Get the exchange rate between two currencies.
#[tool]
pub fn get_exchange_rate(
    /// ISO 4217 code of the currency to convert from, e.g. "USD".
    from_currency: String,
    /// ISO 4217 code of the currency to convert to, e.g. "JPY".
    to_currency: String,
) -> Result<f64, String> {
    match (from_currency.as_str(), to_currency.as_str()) {
        ("USD", "JPY") => Ok(151.25),
        _ => Err(format!("No rate for {from_currency} to {to_currency}.")),
    }
}

/// The seed's toolbox: [`get_weather`] and [`get_exchange_rate`].
pub fn weather_tools() -> Toolbox {
    tools![get_weather, get_exchange_rate]
}
