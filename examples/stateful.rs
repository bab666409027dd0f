//! Tools with state: a small inventory service whose `&self` methods are tools sharing one store,
//! a free tool reading the shop's settings through `State`, and the signed-in customer given to
//! each run as per-run data. Two customers are served at the same time by one agent; each run's
//! tools see that run's customer only.
//!
//! ```sh
//! cargo run --example stateful                       # offline: a local model plays its part
//! OPENAI_API_KEY=sk-… cargo run --example stateful   # OpenAI
//! ANTHROPIC_API_KEY=sk-ant-… cargo run --example stateful
//! ```

use std::collections::BTreeMap;
use std::error::Error;
use std::sync::{Arc, Mutex};

use tool_runtime::PerRun;
use tool_runtime::agent::RunOutput;
use tool_runtime::conversation::{AssistantMessage, ToolCall};
use tool_runtime::model::{Model, ModelRequest};
use tool_runtime::{
    Agent, CallContext, Message, OfflineModel, RunData, State, Toolbox, model, tool, toolset,
};

/// An item of the shop.
struct Item {
    name: &'static str,
    price_cents: u64,
    in_stock: u32,
}

/// The shop's stock and its reservations: one value, shared by every call of its tools.
struct Inventory {
    items: Mutex<BTreeMap<&'static str, Item>>,
    reservations: Mutex<Vec<String>>,
}

/// Who is signed in: given to each run, never seen by another.
struct Customer(&'static str);

#[toolset]
impl Inventory {
    /// Look an item up by its SKU: its name, its price and how many are in stock.
    #[tool]
    async fn lookup(
        &self,
        /// The item's SKU, e.g. "KB-01".
        sku: String,
    ) -> Result<String, String> {
        let items = self.items.lock().unwrap();
        let item = items
            .get(sku.as_str())
            .ok_or_else(|| format!("There is no item with SKU {sku}."))?;
        Ok(format!(
            "{sku}: {}, {}, {} in stock",
            item.name,
            dollars(item.price_cents),
            item.in_stock
        ))
    }

    /// Reserve items for the signed-in customer.
    // Reservations change the stock: `sequential` runs a turn's reservations one at a time, in
    // the order asked; the lock keeps the runs served at the same time apart.
    #[tool(sequential)]
    fn reserve(
        &self,
        /// The item's SKU, e.g. "KB-01".
        sku: String,
        /// How many to reserve.
        quantity: u32,
        PerRun(customer): PerRun<Customer>,
        ctx: CallContext,
    ) -> Result<String, String> {
        let mut items = self.items.lock().unwrap();
        let item = items
            .get_mut(sku.as_str())
            .ok_or_else(|| format!("There is no item with SKU {sku}."))?;
        if item.in_stock < quantity {
            return Err(format!("Only {} of {sku} left.", item.in_stock));
        }
        item.in_stock -= quantity;
        let total = dollars(item.price_cents * u64::from(quantity));
        let reservation = format!("{quantity} x {sku} for {} ({total})", customer.0);
        self.reservations
            .lock()
            .unwrap()
            .push(format!("{reservation}, call {}", ctx.call_id()));
        Ok(format!("Reserved {reservation}."))
    }
}

/// The shop's settings: the toolbox's state.
#[derive(Clone)]
struct Shop {
    free_shipping_from_cents: u64,
    shipping_cents: u64,
}

/// Quote the shipping cost of an order.
#[tool]
fn shipping_quote(
    /// The order's total, in cents.
    total_cents: u64,
    shop: State<Shop>,
) -> String {
    if total_cents >= shop.free_shipping_from_cents {
        "Shipping is free.".to_owned()
    } else {
        format!("Shipping costs {}.", dollars(shop.shipping_cents))
    }
}

fn dollars(cents: u64) -> String {
    format!("${}.{:02}", cents / 100, cents % 100)
}

impl Inventory {
    fn demo() -> Self {
        let items = [
            ("KB-01", "mechanical keyboard", 8_900, 3),
            ("MS-02", "wireless mouse", 2_950, 10),
        ];
        Self {
            items: Mutex::new(
                items
                    .into_iter()
                    .map(|(sku, name, price_cents, in_stock)| {
                        let item = Item {
                            name,
                            price_cents,
                            in_stock,
                        };
                        (sku, item)
                    })
                    .collect(),
            ),
            reservations: Mutex::default(),
        }
    }
}

const REQUESTS: [(&str, &str); 2] = [
    (
        "ada",
        "Please reserve 2 of KB-01 for me and tell me what shipping costs.",
    ),
    (
        "bob",
        "Please reserve 1 of MS-02 for me and tell me what shipping costs.",
    ),
];

/// Offline, a responder plays the model: look the item up, then reserve it and quote shipping
/// (two calls in one turn), then answer.
fn offline_clerk() -> OfflineModel {
    OfflineModel::responder(|request: &ModelRequest<'_>| {
        let Some(Message::User { text, .. }) = request.messages.first() else {
            return AssistantMessage::text("How can I help?");
        };
        let words: Vec<&str> = text.split_whitespace().collect();
        let sku = words.iter().find(|word| word.contains('-')).copied();
        let quantity = words.iter().find_map(|word| word.parse::<u32>().ok());
        let (Some(sku), Some(quantity)) = (sku, quantity) else {
            return AssistantMessage::text("Which item, and how many?");
        };
        let results: Vec<String> = request
            .messages
            .iter()
            .flat_map(Message::tool_results)
            .map(|result| result.content().into_owned())
            .collect();
        match results.len() {
            0 => AssistantMessage::calls([ToolCall::new(
                "call_1",
                "lookup",
                format!(r#"{{"sku": "{sku}"}}"#),
            )]),
            1 => {
                // "KB-01: mechanical keyboard, $89.00, 3 in stock": the price is the second part.
                let cents: u64 = results[0]
                    .split(", ")
                    .nth(1)
                    .map(|price| price.trim_start_matches('$').replace('.', ""))
                    .and_then(|cents| cents.parse().ok())
                    .unwrap_or(0);
                AssistantMessage::calls([
                    ToolCall::new(
                        "call_2",
                        "reserve",
                        format!(r#"{{"sku": "{sku}", "quantity": {quantity}}}"#),
                    ),
                    ToolCall::new(
                        "call_3",
                        "shipping_quote",
                        format!(r#"{{"total_cents": {}}}"#, cents * u64::from(quantity)),
                    ),
                ])
            }
            _ => AssistantMessage::text(format!("(offline model) {}", results[1..].join(" "))),
        }
    })
}

/// One run's tool calls and results, then its answer.
fn print_run(customer: &str, prompt: &str, output: &RunOutput) {
    println!("\n[{customer}] > {prompt}");
    for message in &output.messages {
        match message {
            Message::Assistant(assistant) => {
                for call in &assistant.tool_calls {
                    println!("  -> {}({})", call.name, call.arguments.to_json_string());
                }
            }
            Message::ToolResults { results } => {
                for result in results {
                    println!("  <- {}", result.content());
                }
            }
            _ => {}
        }
    }
    println!("{}", output.text);
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let model = model::from_env_or(offline_clerk())?;
    println!("Using {}.", model.name());

    let inventory = Arc::new(Inventory::demo());
    let shop = Shop {
        free_shipping_from_cents: 10_000,
        shipping_cents: 499,
    };
    let toolbox = Toolbox::with_state(shop)
        .with_all(inventory.clone())
        .with(shipping_quote {});
    let agent = Agent::new(model, toolbox)
        .system("You are a shop assistant. Use the tools; answer in one or two sentences.");

    // Two customers at once, one agent: each run's tools see that run's customer.
    let [(ada, ada_prompt), (bob, bob_prompt)] = REQUESTS;
    let (ada_output, bob_output) = tokio::join!(
        agent
            .run(ada_prompt)
            .with_run_data(RunData::new().with(Customer(ada))),
        agent
            .run(bob_prompt)
            .with_run_data(RunData::new().with(Customer(bob))),
    );
    print_run(ada, ada_prompt, &ada_output?);
    print_run(bob, bob_prompt, &bob_output?);

    // The store is the program's too: the tools changed it through `&self`.
    println!("\nReservations:");
    for reservation in inventory.reservations.lock().unwrap().iter() {
        println!("  {reservation}");
    }
    Ok(())
}
