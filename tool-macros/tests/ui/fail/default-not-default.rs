use tool_runtime::tool;

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Units {
    metric: bool,
}

/// Get the weather in a city.
#[tool]
fn weather(city: String, #[arg(default)] units: Units) -> String {
    format!("{city}: 21 {}", if units.metric { "°C" } else { "°F" })
}

fn main() {}
