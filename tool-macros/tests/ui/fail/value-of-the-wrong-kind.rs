use tool_runtime::tool;

/// Every key that takes a literal, given another kind: each is reported, saying what it takes.
#[tool(
    name = get_weather,
    description = 42,
    title = Weather,
    read_only = "yes",
    sequential = true,
    crate = tool_runtime,
)]
fn weather(
    #[arg(rename = city, description = 1)] place: String,
    #[arg(description)] days: u8,
) -> String {
    format!("{place}: sunny for {days} day(s)")
}

fn main() {}
