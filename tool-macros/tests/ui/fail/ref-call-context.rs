use tool_runtime::{CallContext, tool};

/// Which call this is.
#[tool]
fn which(ctx: &CallContext) -> String {
    ctx.call_id().to_owned()
}

fn main() {}
