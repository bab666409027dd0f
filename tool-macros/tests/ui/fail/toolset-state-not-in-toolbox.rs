use std::sync::Arc;

use tool_runtime::{State, Toolbox, tool, toolset};

#[derive(Clone)]
struct Db;

struct Clerk;

#[toolset]
impl Clerk {
    /// Record a sale.
    #[tool]
    fn record(&self, item: String, _db: State<Db>) -> String {
        item
    }
}

fn main() {
    let _ = Toolbox::with_state(String::from("not a Db")).with_all(Arc::new(Clerk));
}
