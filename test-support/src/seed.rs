//! The seed's conversation: its prompt, its two tools (and, exactly, the schemas and tools entries
//! the model is shown), its final answer. Shared by the provider tests, the definition tests and
//! the round benchmark.

use serde_json::{Value, json};
use tool_runtime::{Toolbox, tool, tools};

/// The seed's prompt.
pub const PROMPT: &str = "What's the weather in Tokyo and London, and what's the USD to JPY rate?";

/// The seed's final answer, once the model has read the three results.
pub const SEED_ANSWER: &str = "Tokyo and London are sunny at 22°C; 1 USD = 151.25 JPY.";

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

/// The parameters [`get_weather`] shows the model, exactly.
pub fn weather_parameters() -> Value {
    json!({
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": "City name, e.g. \"Tokyo\"."}
        },
        "required": ["city"],
        "additionalProperties": false
    })
}

/// The parameters [`get_exchange_rate`] shows the model, exactly.
pub fn exchange_rate_parameters() -> Value {
    json!({
        "type": "object",
        "properties": {
            "from_currency": {
                "type": "string",
                "description": "ISO 4217 code of the currency to convert from, e.g. \"USD\"."
            },
            "to_currency": {
                "type": "string",
                "description": "ISO 4217 code of the currency to convert to, e.g. \"JPY\"."
            }
        },
        "required": ["from_currency", "to_currency"],
        "additionalProperties": false
    })
}

/// [`weather_tools`] as a Chat Completions request offers them, strict, exactly.
pub fn openai_weather_tools() -> Value {
    json!([
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Get the current weather for a city.",
                "parameters": weather_parameters(),
                "strict": true
            }
        },
        {
            "type": "function",
            "function": {
                "name": "get_exchange_rate",
                "description": "Get the exchange rate between two currencies.",
                "parameters": exchange_rate_parameters(),
                "strict": true
            }
        }
    ])
}

/// [`weather_tools`] as an Anthropic request offers them, strict, exactly.
pub fn anthropic_weather_tools() -> Value {
    json!([
        {
            "name": "get_weather",
            "description": "Get the current weather for a city.",
            "input_schema": weather_parameters(),
            "strict": true
        },
        {
            "name": "get_exchange_rate",
            "description": "Get the exchange rate between two currencies.",
            "input_schema": exchange_rate_parameters(),
            "strict": true
        }
    ])
}
