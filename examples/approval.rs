//! A payment tool that needs a person's approval above 100 EUR. The run pauses with the calls
//! that wait; the program saves the paused run (as JSON, as one that asks later, elsewhere,
//! would), asks on the terminal, and resumes with a decision per call. Small payments and
//! lookups run without asking; a refusal reaches the model as that call's error.
//!
//! The account paid from is per-run data (one run pays for one company). A paused run does
//! not save it: the resumed run is given it again.
//!
//! ```sh
//! cargo run --example approval                     # offline; asks on the terminal
//! cargo run --example approval -- --approve        # approve all without asking (or --deny)
//! APPROVE=yes cargo run --example approval         # the same, from the environment (yes/no)
//! OPENAI_API_KEY=sk-… cargo run --example approval # OpenAI (ANTHROPIC_API_KEY: Anthropic)
//! ```
//!
//! With no flag and no terminal to ask on, every waiting payment is refused.

use std::error::Error;
use std::io::{BufRead, IsTerminal, Write};

use tool_runtime::agent::{AgentEvent, Decision, PausedRun};
use tool_runtime::conversation::{AssistantMessage, ToolCall};
use tool_runtime::model::Model;
use tool_runtime::tool::Arguments;
use tool_runtime::{Agent, Message, OfflineModel, PerRun, RunData, model, tool, tools};

/// Above this, a payment waits for a person.
const LIMIT_EUR: f64 = 100.0;

/// List the unpaid invoices.
#[tool]
fn list_invoices() -> Vec<Invoice> {
    vec![
        Invoice::new("INV-101", "Paper & Co", 45.0),
        Invoice::new("INV-102", "Cloud Hosting Ltd", 180.0),
        Invoice::new("INV-103", "Office Rent GmbH", 2400.0),
    ]
}

/// An unpaid invoice.
#[derive(serde::Serialize)]
struct Invoice {
    id: &'static str,
    payee: &'static str,
    amount_eur: f64,
}

impl Invoice {
    fn new(id: &'static str, payee: &'static str, amount_eur: f64) -> Self {
        Self {
            id,
            payee,
            amount_eur,
        }
    }
}

/// Whether a payment must wait for a person: above the limit, or an amount that cannot be read.
fn above_limit(arguments: &Arguments) -> bool {
    arguments
        .get::<f64>("amount_eur")
        .is_none_or(|amount| amount > LIMIT_EUR)
}

/// The bank account a run pays from: per-run data, not something the model chooses.
#[derive(Clone)]
struct Account(&'static str);

/// Pay an invoice by bank transfer.
#[tool(needs_approval = above_limit)]
fn pay(
    PerRun(account): PerRun<Account>,
    /// The invoice's id, e.g. "INV-101".
    invoice: String,
    /// Who is paid.
    payee: String,
    /// The amount in euros.
    amount_eur: f64,
) -> String {
    format!(
        "Transferred {amount_eur:.2} EUR from {} to {payee} for {invoice}.",
        account.0
    )
}

const PROMPT: &str = "Pay all unpaid invoices, then tell me what was paid.";

/// The offline model: lists the invoices, pays each, then sums up what came back.
fn offline_clerk() -> OfflineModel {
    OfflineModel::responder(|request| {
        let results: Vec<_> = request
            .messages
            .iter()
            .flat_map(Message::tool_results)
            .collect();
        match results.as_slice() {
            [] => AssistantMessage::calls([ToolCall::new("call_list", "list_invoices", "{}")]),
            [invoices] => {
                let invoices: Vec<serde_json::Value> =
                    serde_json::from_str(&invoices.content()).unwrap_or_default();
                AssistantMessage::calls(invoices.iter().map(|invoice| {
                    let arguments = serde_json::json!({
                        "invoice": invoice["id"],
                        "payee": invoice["payee"],
                        "amount_eur": invoice["amount_eur"],
                    });
                    let id = format!("call_pay_{}", invoice["id"].as_str().unwrap_or("?"));
                    ToolCall::new(id, "pay", arguments)
                }))
            }
            [_, payments @ ..] => {
                let lines: Vec<String> = payments
                    .iter()
                    .map(|result| {
                        let status = if result.is_error() {
                            "not paid"
                        } else {
                            "done"
                        };
                        format!("- {status}: {}", result.content())
                    })
                    .collect();
                AssistantMessage::text(format!("(offline model)\n{}", lines.join("\n")))
            }
        }
    })
}

/// How waiting calls are decided: asked on the terminal, or one answer for all.
#[derive(Clone, Copy)]
enum Decider {
    Ask,
    ApproveAll,
    DenyAll,
}

impl Decider {
    /// `--approve` / `--deny`, else `APPROVE=yes|no`, else ask (refuse when no one can answer).
    fn from_env() -> Self {
        let flag = std::env::args().skip(1).find_map(|arg| match arg.as_str() {
            "--approve" => Some(Self::ApproveAll),
            "--deny" => Some(Self::DenyAll),
            _ => None,
        });
        let var = || match std::env::var("APPROVE").ok()?.to_lowercase().as_str() {
            "yes" | "y" | "1" | "true" => Some(Self::ApproveAll),
            "no" | "n" | "0" | "false" => Some(Self::DenyAll),
            _ => None,
        };
        match flag.or_else(var) {
            Some(decider) => decider,
            None if std::io::stdin().is_terminal() => Self::Ask,
            None => Self::DenyAll,
        }
    }

    /// A decision on `call`.
    fn decide(self, call: &ToolCall) -> Result<Decision, Box<dyn Error>> {
        let denied = || Decision::Deny("The payment was refused by the approver.".to_owned());
        println!(
            "  ? {} wants approval: {}",
            call.name,
            call.arguments.to_json_string()
        );
        Ok(match self {
            Self::ApproveAll => {
                println!("    approved (--approve)");
                Decision::Approve
            }
            Self::DenyAll => {
                println!("    refused");
                denied()
            }
            Self::Ask => {
                print!("    approve? [y/N] ");
                std::io::stdout().flush()?;
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line)?;
                if matches!(line.trim(), "y" | "Y" | "yes") {
                    Decision::Approve
                } else {
                    denied()
                }
            }
        })
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let model = model::from_env_or(offline_clerk())?;
    println!(
        "Using {}. Payments above {LIMIT_EUR} EUR need approval.",
        model.name()
    );
    println!("> {PROMPT}");
    let agent = Agent::new(model, tools![list_invoices, pay])
        .system("You pay invoices with the tools. Pay each unpaid invoice once.")
        .on_event(|event| match event {
            AgentEvent::ToolCallStarted { call, .. } => {
                println!("  -> {}({})", call.name, call.arguments.to_json_string());
            }
            AgentEvent::ToolCallFinished { result, .. } => {
                println!("  <- {}", result.content());
            }
            _ => {}
        });
    let decider = Decider::from_env();
    let run_data = || RunData::new().with(Account("DE89 3704 0044 0532 0130 00"));

    let mut outcome = agent.run(PROMPT).with_run_data(run_data()).await;
    // Each pause: save the state, ask, resume. A run may pause more than once.
    let output = loop {
        let paused = match outcome {
            Ok(output) => break output,
            Err(error) => error.into_paused()?,
        };
        let saved = serde_json::to_string(&paused)?;
        println!("[paused: {} bytes of state saved]", saved.len());
        // Later, perhaps in another process: load it and decide.
        let paused: PausedRun = serde_json::from_str(&saved)?;
        let decisions = paused
            .pending()
            .map(|call| Ok((call.id.clone(), decider.decide(call)?)))
            .collect::<Result<Vec<_>, Box<dyn Error>>>()?;
        // Per-run data is not part of the saved state: the resumed run is given it again.
        outcome = agent
            .resume(paused, decisions)
            .with_run_data(run_data())
            .await;
    };
    println!("\n{}", output.text);
    Ok(())
}
