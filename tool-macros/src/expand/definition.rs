//! The tool's definition: its name, description and parameters' schema, its policy (timeout,
//! approval, hints…) and what else the attributes say of it, made once.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::Ident;
use syn::spanned::Spanned;

use super::Field;
use crate::ast::{Outline, ParamKind, ToolFn};
use crate::attr::{ApprovalKey, DefaultValue};

/// `fn __definition() -> &'static ToolDefinition`.
pub(super) fn definition_fn(tool: &ToolFn, fields: &[Field<'_>]) -> TokenStream {
    let Outline { name, krate, .. } = &tool.outline;
    let description = &tool.description;
    let schema_params = fields.iter().map(schema_param);
    let policy = policy(tool);
    let title = tool
        .hints
        .title
        .as_ref()
        .map(|title| quote!(.with_title(#title)));
    // The returned value's JSON Schema, when its type has one (`&&` picks the impl that needs
    // `JsonSchema` when it applies, the one that gives none otherwise).
    let output_schema = tool.output.value_type().map(|ty| {
        quote!(.with_output_schema({
            #[allow(unused_imports)]
            use __tr::{WithSchema as _, WithoutSchema as _};
            (&&__tr::OutputSchema::<#ty>::new()).output_schema()
        }))
    });
    quote! {
        /// The tool's definition, made once.
        fn __definition() -> &'static #krate::tool::ToolDefinition {
            static DEFINITION: ::std::sync::OnceLock<#krate::tool::ToolDefinition> =
                ::std::sync::OnceLock::new();
            DEFINITION.get_or_init(|| {
                let mut __builder = __tr::SchemaBuilder::new();
                #( #schema_params )*
                #krate::tool::ToolDefinition::new(#name, #description, __builder.finish(__tr::required_fields::<__Args>()))
                    .with_policy(#policy)
                    #title
                    #output_schema
            })
        }
    }
}

/// One argument's part of the schema: the single place its type meets its `JsonSchema` bound.
fn schema_param(field: &Field<'_>) -> TokenStream {
    let ty = field.ty;
    let wire = &field.argument.wire;
    let schema_fn = quote_spanned!(ty.span()=> <#ty as __tr::ToolArgumentSchema>::argument_schema);
    let description = match &field.argument.description {
        Some(text) => quote!(::core::option::Option::Some(#text)),
        None => quote!(::core::option::Option::None),
    };
    let default = match &field.argument.default {
        None => quote!(::core::option::Option::None),
        // Through the runtime's traits, named at the type: one error each for a type without
        // `Default` or `Serialize`, in words about defaults.
        Some(DefaultValue::Trait(span)) => quote_spanned! {*span=>
            <#ty as __tr::ToolArgumentDefaultJson>::default_json(
                <#ty as __tr::ToolArgumentDefault>::default_argument(),
            )
        },
        Some(DefaultValue::Expr(expr)) => {
            quote_spanned!(expr.span()=> <#ty as __tr::ToolArgumentDefaultJson>::default_json(#expr))
        }
    };
    quote!(__builder.param(#wire, #description, #schema_fn, #default);)
}

/// The tool's `ToolPolicy`: what the attributes and the parameters say of how it is called.
fn policy(tool: &ToolFn) -> TokenStream {
    let krate = &tool.outline.krate;
    let timeout = tool
        .timeout_ms
        .map(|ms| quote!(.with_timeout(::core::time::Duration::from_millis(#ms))));
    let sequential = tool.sequential.then(|| quote!(.with_sequential(true)));
    let approval = tool.approval.as_ref().map(|approval| match approval {
        ApprovalKey::Always => quote!(.with_approval(#krate::tool::Approval::Always)),
        ApprovalKey::When(predicate) => {
            // Spanned at the predicate: one that is not `Fn(&Arguments) -> bool` says so there.
            let when = quote_spanned!(predicate.span()=> #krate::tool::Approval::when(#predicate));
            quote!(.with_approval(#when))
        }
    });
    let hints = hints(tool);
    let run_data_needs = tool.params.iter().filter_map(|param| {
        let ty = &param.ty;
        matches!(param.kind, ParamKind::FromCall).then(
            || quote!(.with_run_data_need(<#ty as #krate::tool::FromCall>::run_data_needed())),
        )
    });
    quote! {
        #krate::tool::ToolPolicy::new()
            #timeout
            #sequential
            #approval
            #hints
            #( #run_data_needs )*
    }
}

/// `.with_hints(…)` with MCP's hints that the attributes give, if any.
fn hints(tool: &ToolFn) -> Option<TokenStream> {
    let krate = &tool.outline.krate;
    let hints = &tool.hints;
    let hint = |name: &str, value: Option<bool>| {
        let setter = Ident::new(name, Span::call_site());
        value.map(|value| quote!(.#setter(#value)))
    };
    let hints = [
        hint("read_only", hints.read_only),
        hint("destructive", hints.destructive),
        hint("idempotent", hints.idempotent),
        hint("open_world", hints.open_world),
    ];
    let has_hints = hints.iter().any(Option::is_some);
    has_hints.then(|| quote!(.with_hints(#krate::tool::ToolHints::new() #( #hints )*)))
}
