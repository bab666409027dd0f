//! A dependency chain: the second call needs the first call's result, so the model is asked for
//! one call at a time (parallel calls disabled), and the tool with side effects is marked
//! `sequential`, so even a model that batches its calls could not reorder or overlap them.
//!
//! ```sh
//! cargo run --example sequential                       # offline
//! OPENAI_API_KEY=sk-… cargo run --example sequential   # a real model plans the chain itself
//! ```

use std::error::Error;

use tool_runtime::agent::AgentEvent;
use tool_runtime::conversation::{AssistantMessage, ToolCall};
use tool_runtime::model::Model;
use tool_runtime::{Agent, Message, OfflineModel, model, tool, tools};

/// Look up a customer's id from their email address.
#[tool]
async fn find_customer(
    /// The customer's email address.
    email: String,
) -> Result<u64, String> {
    match email.as_str() {
        "ada@example.com" => Ok(1815),
        _ => Err(format!("no customer with email {email}")),
    }
}

/// Charge a customer. Charges have side effects: they run one at a time, in the order asked.
#[tool(sequential)]
async fn charge(
    /// The customer's id, from `find_customer`.
    customer_id: u64,
    /// The amount, in cents.
    amount_cents: u64,
) -> String {
    format!("charged customer {customer_id} {amount_cents} cents")
}

/// Email a receipt for the last charge.
#[tool(sequential)]
async fn send_receipt(
    /// The customer's id, from `find_customer`.
    customer_id: u64,
) -> String {
    format!("receipt sent to customer {customer_id}")
}

const PROMPT: &str = "Find the customer ada@example.com, charge them $19.99, then send a receipt.";

/// Offline, a responder plays the model: each step reads the previous step's result.
fn offline_planner() -> OfflineModel {
    OfflineModel::responder(|request| {
        let results: Vec<String> = request
            .messages
            .iter()
            .flat_map(Message::tool_results)
            .map(|result| result.content().into_owned())
            .collect();
        let customer_id = results.first().map_or("0", String::as_str);
        let call = |id: &str, name: &str, args: String| {
            AssistantMessage::calls([ToolCall::new(id, name, args)])
        };
        match results.len() {
            0 => call(
                "call_1",
                "find_customer",
                r#"{"email": "ada@example.com"}"#.into(),
            ),
            1 => call(
                "call_2",
                "charge",
                format!(r#"{{"customer_id": {customer_id}, "amount_cents": 1999}}"#),
            ),
            2 => call(
                "call_3",
                "send_receipt",
                format!(r#"{{"customer_id": {customer_id}}}"#),
            ),
            _ => AssistantMessage::text(format!(
                "(offline model) Done: customer {customer_id} was charged $19.99 and sent a receipt."
            )),
        }
    })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let model = model::from_env_or(offline_planner())?;
    println!("Using {}.", model.name());
    println!("> {PROMPT}");
    let agent = Agent::new(model, tools![find_customer, charge, send_receipt])
        .parallel_tool_calls(false)
        .on_event(|event| match event {
            AgentEvent::TurnStarted { turn } => println!("[turn {turn}]"),
            AgentEvent::ToolCallStarted { call, .. } => {
                println!("  -> {}({})", call.name, call.arguments.to_json_string());
            }
            AgentEvent::ToolCallFinished { result, .. } => {
                println!("  <- {}", result.content());
            }
            _ => {}
        });
    let output = agent.run(PROMPT).await?;
    println!("\n{}", output.text);
    Ok(())
}
