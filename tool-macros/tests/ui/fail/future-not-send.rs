use std::rc::Rc;

use tool_runtime::tool;

/// Count something, holding an `Rc` across an await.
#[tool]
async fn count(n: u32) -> u32 {
    let shared = Rc::new(n);
    tokio::task::yield_now().await;
    *shared
}

fn main() {}
