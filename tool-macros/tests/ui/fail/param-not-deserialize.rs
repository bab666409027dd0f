use tool_runtime::tool;

#[derive(schemars::JsonSchema)]
struct Point {
    x: f64,
    y: f64,
}

/// Distance from the origin.
#[tool]
fn norm(point: Point) -> f64 {
    point.x.hypot(point.y)
}

fn main() {}
