//! MCP servers' tools in the loop: the reference server (`@modelcontextprotocol/server-everything`)
//! over stdio, and `examples/mcp_server` over Streamable HTTP, called by a scripted offline model
//! like any other tools; a server that dies mid-run; names and schemas as the LLM APIs take them.

use serde_json::json;
use support::mcp::{HttpServer, clients};
use tool_runtime::conversation::{AssistantMessage, ToolCall};
use tool_runtime::mcp::McpClient;
use tool_runtime::{Agent, OfflineModel, Toolbox, tool, tools};

async fn everything() -> McpClient {
    let mut command = tokio::process::Command::new(&clients()["EVERYTHING_SERVER"]);
    command.arg("stdio");
    McpClient::spawn(command).await.unwrap()
}

/// The reference server's tools, called in one turn: text, a sum, an image, a tool error.
#[tokio::test]
async fn the_loop_calls_the_reference_servers_tools_over_stdio() {
    let server = everything().await;
    let toolbox = server.add_tools(Toolbox::new()).await.unwrap();
    for name in ["echo", "get-sum", "get-tiny-image"] {
        assert!(toolbox.get(name).is_some(), "{name}");
    }
    let model = OfflineModel::scripted([
        AssistantMessage::calls([
            ToolCall::new("a", "echo", json!({"message": "hi"})),
            ToolCall::new("b", "get-sum", json!({"a": 2, "b": 3})),
            ToolCall::new("c", "get-tiny-image", json!({})),
            ToolCall::new("d", "get-sum", json!({"a": "two"})),
        ]),
        AssistantMessage::text("Done."),
    ]);
    let output = Agent::new(model, toolbox).run("Go.").await.unwrap();
    let results = output.messages[2].tool_results();
    assert_eq!(results[0].content(), "Echo: hi");
    assert!(
        results[1].content().contains('5'),
        "{}",
        results[1].content()
    );
    let image = results[2].outcome.as_ref().unwrap();
    assert!(image.has_media(), "{image:?}");
    assert!(results[3].is_error(), "{:?}", results[3]);
}

/// Names already taken get a number; the server is still called by its own name. Schemas go
/// through the strict transforms when they can, and say why when they cannot.
#[tokio::test]
async fn names_are_kept_apart_and_schemas_made_strict_where_they_can() {
    /// Our own echo.
    #[tool]
    fn echo(message: String) -> String {
        message
    }
    let server = everything().await;
    let toolbox = server.add_tools(tools![echo]).await.unwrap();
    assert_eq!(toolbox.get("echo_2").unwrap().definition().name(), "echo_2");
    let model = OfflineModel::scripted([
        AssistantMessage::calls([
            ToolCall::new("a", "echo", json!({"message": "ours"})),
            ToolCall::new("b", "echo_2", json!({"message": "theirs"})),
        ]),
        AssistantMessage::text("Done."),
    ]);
    let output = Agent::new(model, toolbox.clone()).run("Go.").await.unwrap();
    let results = output.messages[2].tool_results();
    assert_eq!(results[0].content(), "ours");
    assert_eq!(results[1].content(), "Echo: theirs");

    let mut strict = 0;
    for definition in toolbox.definitions() {
        match definition.schema().strict() {
            Ok(parameters) => {
                strict += 1;
                assert_eq!(
                    parameters["additionalProperties"],
                    false,
                    "{}",
                    definition.name()
                );
            }
            Err(why) => assert!(!why.to_string().is_empty()),
        }
    }
    assert!(strict >= 5, "{strict} strict");
    // A tool without arguments is an empty object, strict.
    let bare = toolbox.get("get-tiny-image").unwrap().definition();
    assert!(bare.schema().strict().is_ok(), "{:?}", bare.parameters());
}

/// Our example server over HTTP: a structured result, a tool's error; then the server dies and
/// the next call is an error result, not a lost id.
#[tokio::test]
async fn the_loop_calls_the_example_server_over_http_and_survives_its_death() {
    let http = HttpServer::start();
    let client = McpClient::connect(http.url.clone()).await.unwrap();
    assert_eq!(client.server_name(), "weather-example");
    let toolbox = client.add_tools(Toolbox::new()).await.unwrap();
    let weather = toolbox.get("get_weather").unwrap().definition();
    assert_eq!(weather.title(), Some("Current weather"));
    assert_eq!(weather.policy().hints().read_only, Some(true));
    // Not promised again: the output is the content's text.
    assert!(
        toolbox
            .get("forecast")
            .unwrap()
            .definition()
            .output_schema()
            .is_none()
    );

    let model = OfflineModel::scripted([
        AssistantMessage::calls([
            ToolCall::new("a", "forecast", json!({"city": "Oslo"})),
            ToolCall::new(
                "b",
                "get_exchange_rate",
                json!({"from_currency": "EUR", "to_currency": "XYZ"}),
            ),
        ]),
        AssistantMessage::calls([ToolCall::new("c", "get_weather", json!({"city": "Rome"}))]),
        AssistantMessage::text("Done."),
    ]);
    let agent = Agent::new(model, toolbox).max_turns(3);
    let http = std::sync::Mutex::new(Some(http));
    let agent = agent.on_event(move |event| {
        // Once the first turn's results are in, the server goes away.
        if let tool_runtime::agent::AgentEvent::TurnStarted { turn: 2 } = event {
            drop(http.lock().unwrap().take());
        }
    });
    let output = tokio::time::timeout(support::mcp::PATIENCE, agent.run("Go."))
        .await
        .expect("the run ends")
        .unwrap();
    let first = output.messages[2].tool_results();
    let forecast: serde_json::Value = serde_json::from_str(&first[0].content()).unwrap();
    assert_eq!(forecast["city"], "Oslo");
    assert!(first[1].is_error());
    assert_eq!(first[1].content(), "No rate for EUR to XYZ.");
    let second = output.messages[4].tool_results();
    assert!(second[0].is_error(), "{second:?}");
    assert!(
        second[0].content().contains("did not answer"),
        "{}",
        second[0].content()
    );
}

/// A server whose tools change says so; the client notes it, and lists them again for the next
/// run.
#[tokio::test]
async fn a_changed_tool_list_is_picked_up_for_the_next_run() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use tool_runtime::mcp::rmcp::model::{
        CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ListToolsResult,
        PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
    };
    use tool_runtime::mcp::rmcp::service::RequestContext;
    use tool_runtime::mcp::rmcp::transport::streamable_http_server::{
        StreamableHttpServerConfig, StreamableHttpService, session::local::LocalSessionManager,
    };
    use tool_runtime::mcp::rmcp::{ErrorData, RoleServer, ServerHandler};

    /// `unlock` adds a second tool, and says the list changed.
    #[derive(Clone, Default)]
    struct Growing(Arc<AtomicBool>);

    impl ServerHandler for Growing {
        fn get_info(&self) -> ServerConfig {
            ServerConfig::new(
                ServerCapabilities::builder()
                    .enable_tools()
                    .enable_tool_list_changed()
                    .build(),
            )
        }

        async fn list_tools(
            &self,
            _: Option<PaginatedRequestParams>,
            _: RequestContext<RoleServer>,
        ) -> Result<ListToolsResult, ErrorData> {
            let schema = json!({"type": "object", "properties": {}});
            let object = Arc::new(schema.as_object().unwrap().clone());
            let mut tools = vec![Tool::new(
                "unlock",
                "Unlock the secret tool.",
                object.clone(),
            )];
            if self.0.load(Ordering::SeqCst) {
                tools.push(Tool::new("secret", "The secret tool.", object));
            }
            Ok(ListToolsResult::with_all_items(tools))
        }

        async fn call_tool(
            &self,
            request: CallToolRequestParams,
            context: RequestContext<RoleServer>,
        ) -> Result<CallToolResponse, ErrorData> {
            if request.name == "unlock" {
                self.0.store(true, Ordering::SeqCst);
                let _ = context.peer.notify_tool_list_changed().await;
            }
            let text = format!("{} done", request.name);
            Ok(CallToolResult::success(vec![ContentBlock::text(text)]).into())
        }
    }

    let service = StreamableHttpService::new(
        || Ok(Growing::default()),
        Arc::new(LocalSessionManager::default()),
        StreamableHttpServerConfig::default(),
    );
    let router = axum::Router::new().nest_service("/mcp", service);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/mcp", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, router).await });

    let client = McpClient::connect(url).await.unwrap();
    let toolbox = client.add_tools(Toolbox::new()).await.unwrap();
    assert!(toolbox.get("secret").is_none());
    assert!(!client.tools_changed());
    let results = toolbox
        .run(&[ToolCall::new("a", "unlock", json!({}))])
        .await;
    assert_eq!(results[0].content(), "unlock done");
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while !client.tools_changed() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no list_changed came"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let toolbox = client.add_tools(Toolbox::new()).await.unwrap();
    assert!(toolbox.get("secret").is_some());
    assert!(!client.tools_changed(), "listed again");
    server.abort();
}

/// Our server and our client, in one process over HTTP: per-run data reaches the tool through
/// the same extractor as in a run; hints and titles go across.
#[tokio::test]
async fn our_client_uses_our_server_with_per_run_data() {
    use tool_runtime::mcp::McpServer;
    use tool_runtime::{PerRun, RunData};

    struct User(&'static str);

    /// Greet the user of this server.
    #[tool(title = "Greeting", idempotent)]
    fn greet(user: PerRun<User>, punctuation: String) -> String {
        format!("Hello, {}{punctuation}", user.0.0)
    }

    let server = McpServer::new(tools![greet]).with_run_data(RunData::new().with(User("Ada")));
    let router = axum::Router::new().nest_service("/mcp", server.http_service());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/mcp", listener.local_addr().unwrap());
    let serving = tokio::spawn(async move { axum::serve(listener, router).await });

    let client = McpClient::connect(url).await.unwrap();
    assert_eq!(client.server_name(), "tool-runtime");
    let toolbox = client.add_tools(Toolbox::new()).await.unwrap();
    let definition = toolbox.get("greet").unwrap().definition();
    assert_eq!(definition.title(), Some("Greeting"));
    assert_eq!(definition.policy().hints().idempotent, Some(true));
    let results = toolbox
        .run(&[
            ToolCall::new("a", "greet", json!({"punctuation": "!"})),
            ToolCall::new("b", "greet", json!({})),
        ])
        .await;
    assert_eq!(results[0].content(), "Hello, Ada!");
    assert!(results[1].is_error());
    assert!(
        results[1]
            .content()
            .contains("- `punctuation`: missing required field"),
        "{}",
        results[1].content()
    );
    serving.abort();
}

/// The example server's exchange rates are the seed's table: any pair of the currencies it
/// knows (1.0 from a currency to itself), an error result for one it does not.
#[tokio::test]
async fn the_example_servers_exchange_rates_cover_every_pair_it_knows() {
    let http = HttpServer::start();
    let client = McpClient::connect(http.url.clone()).await.unwrap();
    let toolbox = client.add_tools(Toolbox::new()).await.unwrap();
    let pairs = [
        ("USD", "JPY", Some(151.25)),
        ("EUR", "USD", Some(1.087)),
        ("USD", "USD", Some(1.0)),
        ("gbp", "EUR", Some(1.1646)),
        ("JPY", "GBP", Some(0.0052)),
        ("EUR", "XYZ", None),
    ];
    let calls: Vec<ToolCall> = pairs
        .iter()
        .enumerate()
        .map(|(i, (from, to, _))| {
            let arguments = json!({"from_currency": from, "to_currency": to});
            ToolCall::new(format!("c{i}"), "get_exchange_rate", arguments)
        })
        .collect();
    let results = toolbox.run(&calls).await;
    for ((from, to, rate), result) in pairs.iter().zip(&results) {
        match rate {
            Some(rate) => {
                let got: f64 = result.content().parse().unwrap_or_else(|_| {
                    panic!("{from} to {to}: {}", result.content());
                });
                assert_eq!(got, *rate, "{from} to {to}");
            }
            None => {
                assert!(result.is_error(), "{from} to {to}: {result:?}");
                assert_eq!(result.content(), "No rate for EUR to XYZ.");
            }
        }
    }
}

/// `examples/mcp_client`, offline: it shows each call to its server and the result, and the
/// offline model looks up a word the dictionary has (the one its schema's description offers
/// and the prompt names).
#[test]
fn the_client_example_shows_its_calls_and_a_lookup_that_succeeds() {
    let mut command = std::process::Command::new(support::mcp::example("mcp_client"));
    command
        .env_remove("OPENAI_API_KEY")
        .env_remove("ANTHROPIC_API_KEY")
        .env_remove("TOOL_PROVIDER");
    let output = support::mcp::output_within(&mut command);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.contains(
            "  -> define({\"word\":\"tool\"})\n  <- define ok: tool: a device used to carry out a \
             particular function.\n"
        ),
        "{stdout}"
    );
    assert!(!stdout.contains("No entry"), "{stdout}");
}
