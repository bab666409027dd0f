//! The `#[tool]` and `#[toolset]` attribute macros of [`tool-runtime`](https://docs.rs/tool-runtime).
//!
//! Depend on `tool-runtime`, which re-exports them as `tool_runtime::tool` and
//! `tool_runtime::toolset`; the code they generate reaches serde, serde_json and schemars through
//! `tool_runtime` alone.

mod ast;
mod attr;
mod check;
mod doc;
mod errors;
mod expand;
mod fallback;
mod name;
mod suggest;
mod symbol;
mod toolset;

use proc_macro::TokenStream;
use syn::spanned::Spanned;

use errors::Errors;

/// Turns an ordinary function (`async fn` or `fn`) into a tool a model can call.
///
/// The function stays exactly as written and callable as before. Next to it, `#[tool]` generates
/// a JSON Schema for its parameters and a decoder for the model's arguments, and registers the
/// function's name in the type namespace so that `tools![get_weather]` finds the tool.
///
/// ```
/// use tool_runtime::{tool, tools};
///
/// /// Get the current weather for a city.
/// #[tool]
/// async fn get_weather(
///     /// City name, e.g. "Tokyo".
///     city: String,
///     /// How many days to forecast.
///     #[arg(default = 1)]
///     days: u8,
/// ) -> Result<String, std::io::Error> {
///     Ok(format!("{city}: sunny for {days} day(s)"))
/// }
///
/// let toolbox = tools![get_weather];
/// let schema = toolbox.get("get_weather").unwrap().definition().parameters();
/// assert_eq!(schema["properties"]["city"]["description"], "City name, e.g. \"Tokyo\".");
/// assert_eq!(schema["required"], serde_json::json!(["city"]));
/// ```
///
/// # On the function: `#[tool(...)]`
///
/// | key | meaning |
/// | --- | --- |
/// | `name = "…"` | the tool's name (default: the function's); `^[a-zA-Z0-9_-]{1,64}$` |
/// | `description = "…"` | the description (default: the function's `///` docs) |
/// | `timeout = "5s"` | a time limit per call (`ms`, `s`, `m`, `h`), overriding the toolbox's |
/// | `sequential` | calls of this tool run one at a time, in the order the model made them (within a turn: runs at the same time each have their own) |
/// | `needs_approval` / `needs_approval = f` | calls wait for a person's decision: every one, or those for which `f(&Arguments) -> bool` is true (see `Agent::resume`) |
/// | `title = "…"` | a human-readable title, sent to MCP clients (the LLM APIs get the name) |
/// | `read_only`, `destructive`, `idempotent`, `open_world` (each a flag or `= bool`) | MCP's hints about what the tool does |
/// | `crate = "…"` | where `tool_runtime` is, for crates that re-export it |
///
/// A tool without a description is a compile error: models choose tools by their descriptions.
/// The description stops at the first rustdoc section heading (`# Errors`, `# Examples`…):
/// those are for Rust readers.
///
/// `tools![get_weather]` finds the tool through an item named like the function in the *type*
/// namespace (the function itself lives in the value namespace), so no name you did not write
/// appears; the one thing that clashes with it is another type or module of the same name
/// (`mod get_weather` beside `fn get_weather`).
///
/// # On a parameter: `///` and `#[arg(...)]`
///
/// A parameter's `///` docs become its description in the schema. `#[arg(...)]` takes:
///
/// | key | meaning |
/// | --- | --- |
/// | `rename = "…"` | the argument's name on the wire (default: the parameter's) |
/// | `default` / `default = expr` | optional in the schema; absent or `null` gives `Default::default()` / `expr` |
/// | `description = "…"` | the description, instead of the `///` docs |
///
/// # Parameters and returns
///
/// Parameters are any owned `serde::Deserialize + schemars::JsonSchema` type: strings, numbers,
/// `bool`, `Option<T>` (optional), `Vec<T>`, maps, your own structs and enums. A parameter with a
/// default must also be `Serialize` (the default is shown in the schema).
///
/// The return type is any `Serialize` (a string is sent as plain text, anything else as JSON;
/// `()` as `null`) or `Result<T, E>` with `E: Display`, whose `Err` becomes an error result the
/// model sees. A return type counts as a `Result` when its last path segment is `Result`
/// (`Result<T, E>`, `io::Result<T>`, `anyhow::Result<T>`, a local `Result` alias). Synchronous
/// functions run on tokio's blocking pool; the future of an `async fn` must be `Send`.
/// A `ContentBlock`, `Vec<ContentBlock>` or `ToolOutput` is sent as content (text, images,
/// documents). When the returned value's type (`T`) is `JsonSchema` with an object schema (a
/// struct), that schema is the tool's output schema (`ToolDefinition::output_schema`: MCP's
/// `outputSchema`).
///
/// # What the runtime gives: extractors
///
/// Parameters of these types are not arguments: they never appear in the schema, and the runtime
/// fills them for each call (in axum's spirit).
///
/// | parameter | what it is |
/// | --- | --- |
/// | `State<T>` | a part of the toolbox's state (`Toolbox::with_state`, `tools![state = …; …]`), through `T: FromRef<S>`; a toolbox whose state gives no `T` does not compile |
/// | `CallContext` | the call's id, the tool's name, its cancellation token, the run's data |
/// | `PerRun<T>` | per-run data given with `agent.run(…).with_run_data(…)`; an agent refuses to start a run without it |
/// | `#[extract] x: T` | a type of yours implementing `FromCall` |
///
/// Extractors are recognised by their names, `State<…>`, `CallContext` and `PerRun<…>` (with or
/// without a path, but not renamed by `use … as`), and by `#[extract]`. An extractor may be
/// destructured (`State(db): State<Db>`). A parameter whose type only looks like one (your own
/// generic `State<T>`) is made an argument with a bare `#[arg]`.
///
/// ```
/// use tool_runtime::{CallContext, State, tool, tools};
///
/// #[derive(Clone)]
/// struct Http {
///     base_url: String,
/// }
///
/// /// Fetch a page of the docs.
/// #[tool]
/// async fn fetch_doc(
///     /// The page's path, e.g. "intro".
///     path: String,
///     http: State<Http>,
///     ctx: CallContext,
/// ) -> String {
///     format!("{}/{path} for {}", http.base_url, ctx.call_id())
/// }
///
/// let toolbox = tools![state = Http { base_url: "https://docs.example".into() }; fetch_doc];
/// let schema = toolbox.get("fetch_doc").unwrap().definition().parameters();
/// assert_eq!(schema["required"], serde_json::json!(["path"]));
/// ```
///
/// For tools as methods (`&self`), see [`macro@toolset`].
///
/// # Compile-time errors
///
/// Generic functions, `impl Trait` or borrowed parameters, patterns instead of names,
/// `unsafe`/`extern`/variadic functions, parameter types that are not `Deserialize` or
/// `JsonSchema`, return types that are not `Serialize`, invalid or duplicate names, unknown or
/// repeated keys, a key's value of the wrong kind, an extractor taken twice, an `#[extract]` type
/// that is not `FromCall`, a method outside a `#[toolset]` block: each is reported at the
/// offending token, all at once. The rest of the program still sees the tool (`tools![broken]`
/// names it without a second error), so only the real mistakes are reported.
///
/// An unknown key names the key it most likely stands for (`timout` → `timeout`, and other
/// libraries' names: `requires_approval` → `needs_approval`, `readOnlyHint` → `read_only`); a
/// value of the wrong kind says what the key takes (`timeout = 5`: a duration string such as
/// `"5s"`). A type that lacks a trait the tool needs (a return type not `Serialize`, an error not
/// `Display`, an argument not `Deserialize` or `JsonSchema`, a default's type not `Default` or
/// `Serialize`) gives one error, at the type, saying what the tool needs it for.
#[proc_macro_attribute]
pub fn tool(args: TokenStream, item: TokenStream) -> TokenStream {
    if toolset::is_done(&args.clone().into()) {
        return item;
    }
    let item_tokens = proc_macro2::TokenStream::from(item.clone());
    let item = match syn::parse::<syn::Item>(item) {
        Ok(syn::Item::Fn(item)) => item,
        Ok(other) => {
            let error = syn::Error::new(
                item_keyword_span(&other),
                "`#[tool]` goes on a function (`fn` or `async fn`)",
            )
            .to_compile_error();
            return quote::quote!(#item_tokens #error).into();
        }
        Err(error) => {
            let error = error.to_compile_error();
            return quote::quote!(#item_tokens #error).into();
        }
    };
    if let Some(receiver) = item.sig.receiver() {
        // A method of an impl block without `#[toolset]`: only the one error, and the method as
        // it is (no items can go beside it in an impl block).
        let error = syn::Error::new_spanned(
            receiver,
            "`#[tool]` on a method needs `#[toolset]` on its `impl` block, which makes the value's \
             `#[tool]` methods its tools",
        )
        .to_compile_error();
        return quote::quote!(#item #error).into();
    }
    let mut errors = Errors::default();
    match check::check(args.into(), item, ast::Site::Free, None, &mut errors) {
        Ok(tool) => expand::expand(&tool).into(),
        Err(outline) => fallback::fallback(&outline, errors.to_compile_errors()).into(),
    }
}

/// Makes the `#[tool]` methods of an `impl` block tools of its type, each sharing the value.
///
/// The methods take `&self` (async or not) and are written like `#[tool]` functions, with the
/// same `///` docs, `#[arg(...)]` and extractors. The type becomes a `ToolSet`: add all its
/// tools with `Toolbox::with_all(Arc::new(value))`, or one with `Toolbox::with_method`. Every
/// tool holds the value in an `Arc`, so calls share it, and run at the same time: keep what
/// changes behind a `Mutex` or an atomic.
///
/// ```
/// use std::collections::HashMap;
/// use std::sync::{Arc, Mutex};
/// use tool_runtime::{Toolbox, tool, toolset};
///
/// #[derive(Default)]
/// struct Notes {
///     notes: Mutex<HashMap<String, String>>,
/// }
///
/// #[toolset]
/// impl Notes {
///     /// Write a note.
///     #[tool]
///     fn write(
///         &self,
///         /// The note's title.
///         title: String,
///         /// What it says.
///         text: String,
///     ) {
///         self.notes.lock().unwrap().insert(title, text);
///     }
///
///     /// Read a note.
///     #[tool(name = "read_note")]
///     async fn read(
///         &self,
///         /// The note's title.
///         title: String,
///     ) -> Option<String> {
///         self.notes.lock().unwrap().get(&title).cloned()
///     }
///
///     /// Not a tool: methods without `#[tool]` stay as they are.
///     fn count(&self) -> usize {
///         self.notes.lock().unwrap().len()
///     }
/// }
///
/// let notes = Arc::new(Notes::default());
/// let toolbox = Toolbox::new().with_all(notes.clone());
/// assert_eq!(toolbox.names().collect::<Vec<_>>(), ["write", "read_note"]);
/// assert_eq!(notes.count(), 0);
/// ```
///
/// One `#[toolset]` block per type: the type's tools are those of that block (a second one would
/// implement `ToolSet` twice). `with_method` asks for what the whole set needs: a method taking
/// `State<T>` needs a state with a `T` even when another method is added alone. `sequential`
/// orders the calls of one turn; calls from runs going on at the same time share the value, so
/// what they change needs its own lock.
///
/// `#[toolset(crate = "…")]` says where `tool_runtime` is, for crates that re-export it.
///
/// # Compile-time errors
///
/// A generic `impl` block (which cannot name one tool), a trait impl, a `#[tool]` method taking
/// `self` by value, `&mut self` or no `self` at all, two tools of the same name, and a block
/// without `#[tool]` methods; everything `#[tool]` rejects on a function too. A `#[tool]` method
/// in an `impl` block without `#[toolset]` is an error on its `self`.
#[proc_macro_attribute]
pub fn toolset(args: TokenStream, item: TokenStream) -> TokenStream {
    let item_tokens = proc_macro2::TokenStream::from(item.clone());
    match syn::parse::<syn::Item>(item) {
        Ok(syn::Item::Impl(item)) => toolset::toolset(args.into(), item).into(),
        Ok(other) => {
            let error = syn::Error::new(
                item_keyword_span(&other),
                "`#[toolset]` goes on an `impl` block whose `#[tool]` methods become tools",
            )
            .to_compile_error();
            quote::quote!(#item_tokens #error).into()
        }
        Err(error) => {
            let error = error.to_compile_error();
            quote::quote!(#item_tokens #error).into()
        }
    }
}

fn item_keyword_span(item: &syn::Item) -> proc_macro2::Span {
    match item {
        syn::Item::Struct(s) => s.struct_token.span,
        syn::Item::Enum(e) => e.enum_token.span,
        syn::Item::Impl(i) => i.impl_token.span,
        syn::Item::Trait(t) => t.trait_token.span,
        syn::Item::Mod(m) => m.mod_token.span,
        syn::Item::Const(c) => c.const_token.span,
        syn::Item::Static(s) => s.static_token.span,
        syn::Item::Type(t) => t.type_token.span,
        syn::Item::Union(u) => u.union_token.span,
        syn::Item::Use(u) => u.use_token.span,
        other => other.span(),
    }
}
