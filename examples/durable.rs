//! A run that survives its process. A travel agent books a trip: it looks up flights and the
//! weather, then books a flight and reserves a hotel at the same time, then sums up. Every step
//! is written to a SQLite journal in a directory before the run moves on.
//!
//! The first time it runs in a directory, the process stops itself abruptly (an abort, as a
//! crash would) while the hotel is being reserved, after the flight was booked. The next time,
//! it finds the run unfinished in the journal and recovers it: the model is not asked again for
//! the turns it answered, the flight is not booked twice (its result was recorded), and the
//! hotel reservation — an idempotent call that was running — is made again with the same
//! idempotency key. Kill it with SIGKILL at any moment: a later run still finishes the trip.
//!
//! ```sh
//! cargo run --features sqlite --example durable -- /tmp/trip   # stops part way
//! cargo run --features sqlite --example durable -- /tmp/trip   # recovers and finishes
//! OPENAI_API_KEY=sk-… cargo run --features sqlite --example durable -- /tmp/trip2
//! ```
//!
//! The directory (default: the current one) holds `journal.db` (open it with `sqlite3` to read
//! the runs) and `effects.log`, what the tools did to the world, one line per effect.

use std::error::Error;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use tool_runtime::agent::AgentEvent;
use tool_runtime::conversation::{AssistantMessage, ToolCall};
use tool_runtime::journal::{Journal, SqliteJournal};
use tool_runtime::model::Model;
use tool_runtime::{Agent, CallContext, Message, OfflineModel, State, model, tool, tools};

/// Whether this process stops itself while the hotel is reserved (its first run in a directory).
static CRASH: AtomicBool = AtomicBool::new(false);

/// Where the tools record what they did: a file outside the process, appended line by line.
#[derive(Clone)]
struct World {
    effects: PathBuf,
}

impl World {
    fn record(&self, line: &str) {
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.effects)
            .and_then(|mut file| file.write_all(format!("{line}\n").as_bytes()));
        if let Err(error) = written {
            eprintln!("could not record `{line}`: {error}");
        }
    }
}

/// Search flights between two cities.
#[tool(read_only)]
async fn search_flights(from: String, to: String) -> String {
    format!("LH 123 {from}→{to} 09:40, 189 EUR; AF 456 {from}→{to} 13:15, 164 EUR")
}

/// The forecast for a city.
#[tool(read_only)]
async fn forecast(city: String) -> String {
    format!("{city}: sunny, 24°C")
}

/// Book a flight and charge the card for it (not safe to repeat).
#[tool]
async fn book_flight(State(world): State<World>, ctx: CallContext, flight: String) -> String {
    world.record(&format!("booked {flight} ({})", ctx.idempotency_key()));
    format!("Booked {flight}; 164 EUR charged.")
}

/// Reserve a hotel room (the same key reserves it once, however often it is sent).
#[tool(idempotent)]
async fn reserve_hotel(State(world): State<World>, ctx: CallContext, city: String) -> String {
    world.record(&format!(
        "reserved a room in {city} ({})",
        ctx.idempotency_key()
    ));
    if CRASH.load(Ordering::SeqCst) {
        // Long enough for the flight's booking to finish and be recorded first.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        println!("  !! the process stops here, abruptly, as a crash would");
        std::process::abort();
    }
    format!("Room reserved in {city}, 2 nights.")
}

const PROMPT: &str = "Book me the cheapest flight from Berlin to Lisbon and a hotel there.";

/// The offline model: looks things up, books both at once, then sums up what came back.
fn offline_agent() -> OfflineModel {
    OfflineModel::responder(|request| {
        let results: Vec<_> = request
            .messages
            .iter()
            .flat_map(Message::tool_results)
            .collect();
        match results.len() {
            0 => AssistantMessage::calls([
                ToolCall::new(
                    "call_1",
                    "search_flights",
                    r#"{"from":"Berlin","to":"Lisbon"}"#,
                ),
                ToolCall::new("call_2", "forecast", r#"{"city":"Lisbon"}"#),
            ]),
            2 => AssistantMessage::calls([
                ToolCall::new("call_3", "book_flight", r#"{"flight":"AF 456"}"#),
                ToolCall::new("call_4", "reserve_hotel", r#"{"city":"Lisbon"}"#),
            ]),
            _ => {
                let lines: Vec<String> = results
                    .iter()
                    .map(|result| format!("- {}", result.content()))
                    .collect();
                AssistantMessage::text(format!("(offline model)\n{}", lines.join("\n")))
            }
        }
    })
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let dir = std::env::args()
        .nth(1)
        .map_or_else(|| PathBuf::from("."), PathBuf::from);
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("journal.db");
    // The first run in this directory stops itself part way.
    CRASH.store(!path.exists(), Ordering::SeqCst);
    let journal = SqliteJournal::open(&path)?;

    let model = model::from_env_or(offline_agent())?;
    println!("Using {}; journal at {}.", model.name(), path.display());
    let world = World {
        effects: dir.join("effects.log"),
    };
    let agent = Agent::new(
        model,
        tools![state = world; search_flights, forecast, book_flight, reserve_hotel],
    )
    .system("You book trips with the tools. Book each thing once.")
    .journal(journal.clone())
    .on_event(|event| match event {
        AgentEvent::ToolCallStarted { call, .. } => {
            println!("  -> {}({})", call.name, call.arguments.to_json_string());
        }
        AgentEvent::ToolCallFinished { result, .. } => {
            println!("  <- {}", result.content());
        }
        _ => {}
    });

    let unfinished = journal.unfinished().await?;
    if unfinished.is_empty() {
        println!("> {PROMPT}");
        let output = agent.run(PROMPT).await?;
        println!("\n{}\n(run {} finished)", output.text, output.run_id);
    }
    for run_id in unfinished {
        println!("Recovering run {run_id}: its process stopped before it finished.");
        let output = agent.recover(&run_id).await?;
        println!("\n{}\n(run {run_id} recovered and finished)", output.text);
    }
    show_effects(&dir.join("effects.log"));
    Ok(())
}

/// What the tools did, as the world saw it.
fn show_effects(path: &Path) {
    if let Ok(effects) = std::fs::read_to_string(path) {
        println!("\nEffects so far ({}):\n{effects}", path.display());
    }
}
