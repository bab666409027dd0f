use tool_runtime::{tool, tools};

#[tool]
fn undescribed(x: u8) -> u8 {
    x
}

fn main() {
    // Only the missing description: `tools!` still finds the tool, and it stays callable.
    let _toolbox = tools![undescribed];
    let _ = undescribed(1);
}
