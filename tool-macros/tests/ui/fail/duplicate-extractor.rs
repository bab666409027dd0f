use tool_runtime::{CallContext, tool};

/// Which call this is.
#[tool]
fn which(ctx: CallContext, again: CallContext) -> String {
    format!("{} {}", ctx.call_id(), again.call_id())
}

fn main() {}
