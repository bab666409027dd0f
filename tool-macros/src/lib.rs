//! The `#[tool]` attribute macro of [`tool-runtime`](https://docs.rs/tool-runtime).
//!
//! Depend on `tool-runtime`, which re-exports this macro as `tool_runtime::tool`; the code it
//! generates reaches serde, serde_json and schemars through `tool_runtime` alone.

mod ast;
mod attr;
mod check;
mod doc;
mod errors;
mod expand;
mod fallback;
mod name;
mod symbol;

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
/// | `sequential` | calls of this tool run one at a time, in the order the model made them |
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
///
/// # Compile-time errors
///
/// Generic functions, `self`, `impl Trait` or borrowed parameters, patterns instead of names,
/// `unsafe`/`extern`/variadic functions, parameter types that are not `Deserialize` or
/// `JsonSchema`, return types that are not `Serialize`, invalid or duplicate names, unknown or
/// repeated keys: each is reported at the offending token, all at once. The rest of the program
/// still sees the tool (`tools![broken]` names it without a second error), so only the real
/// mistakes are reported.
#[proc_macro_attribute]
pub fn tool(args: TokenStream, item: TokenStream) -> TokenStream {
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
    let mut errors = Errors::default();
    match check::check(args.into(), item, &mut errors) {
        Ok(tool) => expand::expand(&tool).into(),
        Err(outline) => fallback::fallback(&outline, errors.to_compile_errors()).into(),
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
