use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tool_runtime::{State, tool, tools};

#[derive(Clone, Default)]
struct Db {
    stock: Arc<Mutex<HashMap<String, u32>>>,
}

/// How many of an item are in stock.
#[tool]
fn stock(item: String, db: State<Db>) -> u32 {
    db.stock.lock().unwrap().get(&item).copied().unwrap_or(0)
}

fn main() {
    let _ = tools![stock];
}
