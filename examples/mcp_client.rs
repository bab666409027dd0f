//! Any MCP server's tools in the loop: the example starts an MCP server as a child process
//! (itself, serving a small toolbox, unless you name another) and lets the model call its tools
//! like any other.
//!
//! ```sh
//! cargo run --features mcp --example mcp_client                         # offline, its own server
//! cargo run --features mcp --example mcp_client -- npx -y @modelcontextprotocol/server-everything stdio
//! OPENAI_API_KEY=sk-… cargo run --features mcp --example mcp_client       # a real model
//! ```

use std::error::Error;

use tool_runtime::agent::AgentEvent;
use tool_runtime::mcp::{McpClient, McpServer};
use tool_runtime::{Agent, Toolbox, model, tool, tools};

/// Look up a word in the dictionary.
#[tool(read_only)]
fn define(
    /// The word to look up, e.g. "tool", "hammer" or "wrench".
    word: String,
) -> String {
    // A small dictionary: the words the description names.
    match word.to_lowercase().as_str() {
        "tool" => "tool: a device used to carry out a particular function.".to_owned(),
        "hammer" => "hammer: a tool with a heavy head, for driving nails.".to_owned(),
        "wrench" => "wrench: a tool for gripping and turning nuts and bolts.".to_owned(),
        other => format!("No entry for {other:?}."),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--serve") {
        // The child: a small MCP server over stdio.
        McpServer::new(tools![define])
            .named("dictionary", "1.0")
            .serve_stdio()
            .await?;
        return Ok(());
    }
    let command = match args.split_first() {
        Some((program, rest)) => {
            let mut command = tokio::process::Command::new(program);
            command.args(rest);
            command
        }
        None => {
            let mut command = tokio::process::Command::new(std::env::current_exe()?);
            command.arg("--serve");
            command
        }
    };
    let server = McpClient::spawn(command).await?;
    let toolbox = server.add_tools(Toolbox::new()).await?;
    let names: Vec<&str> = toolbox.definitions().map(|d| d.name()).collect();
    println!(
        "MCP server `{}` offers: {}",
        server.server_name(),
        names.join(", ")
    );

    let agent = Agent::new(model::from_env()?, toolbox);
    let prompt = "What does the word tool mean?";
    println!("> {prompt}");
    // Each call to the server as it starts, its result as it comes back, then the answer.
    let mut events = agent.stream(prompt);
    while let Some(event) = events.next().await {
        match event? {
            AgentEvent::ToolCallStarted { call, .. } => {
                println!("  -> {}({})", call.name, call.arguments.to_json_string());
            }
            AgentEvent::ToolCallFinished { result, .. } => {
                let status = if result.is_error() { "error" } else { "ok" };
                println!("  <- {} {status}: {}", result.name, result.content());
            }
            AgentEvent::Finished(output) => println!("{}", output.text),
            _ => {}
        }
    }
    Ok(())
}
