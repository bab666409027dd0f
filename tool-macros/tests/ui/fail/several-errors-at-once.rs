use tool_runtime::tool;

/// Many mistakes, all reported together.
#[tool(nmae = "x")]
fn many(name: &str, (a, b): (i32, i32), #[arg(rename = "name")] other: String) -> String {
    format!("{name}{a}{b}{other}")
}

fn main() {}
