use tool_runtime::tool;

/// Add one.
#[tool]
extern "C" fn add_one(x: i32) -> i32 {
    x + 1
}

fn main() {}
