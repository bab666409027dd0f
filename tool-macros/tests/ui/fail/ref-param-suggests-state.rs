use tool_runtime::tool;

struct Db;

/// How many of an item are in stock.
#[tool]
fn stock(item: String, db: &Db) -> u32 {
    let _ = (item, db);
    0
}

fn main() {}
