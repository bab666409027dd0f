//! Generating the tool: a type-namespace twin of the function, its argument decoder and schema.
//!
//! Split by what each part emits (serde_derive's `de/`): `definition` the schema and the rest of
//! what the model reads, `decoder` the arguments' decoder, `call` the call from the arguments to
//! the output; this module puts them together in the `Tool` (or `ToolFor`) impl.

mod call;
mod decoder;
mod definition;

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, ItemFn};

use crate::ast::{Argument, Outline, Param, ParamKind, ToolFn, param_ident};

/// How the generated tool reaches the function it is made from.
pub(crate) enum Target<'a> {
    /// A free function: the tool is its type-namespace twin.
    Free,
    /// A `&self` method of `self_ty`: the tool is the struct `tool`, holding the value as
    /// `this: Arc<self_ty>`.
    Method {
        self_ty: &'a syn::Type,
        tool: &'a Ident,
    },
}

/// A free function, unchanged, followed by everything that makes it a tool.
pub(crate) fn expand(tool: &ToolFn) -> TokenStream {
    let Outline { item, name, krate } = &tool.outline;
    let twin = twin(item);
    let twin_ident = &item.sig.ident;
    let cfgs = cfg_attrs(item);
    let tool_impl = tool_impl(tool, &Target::Free);
    quote! {
        #item
        #twin

        #(#cfgs)*
        #[allow(clippy::all, clippy::pedantic, clippy::nursery)]
        const _: () = {
            #tool_impl

            impl #krate::__private::MacroTool for #twin_ident {
                const NAME: &'static str = #name;
            }
        };
    }
}

/// The bounds a toolbox's state `__S` must meet for the tool: `T: FromRef<__S>` for each
/// `State<T>` parameter, spanned at the parameter's type.
pub(crate) fn state_bounds(tool: &ToolFn) -> Vec<TokenStream> {
    let krate = &tool.outline.krate;
    tool.params
        .iter()
        .filter_map(|param| match &param.kind {
            ParamKind::State(inner) => {
                Some(quote_spanned!(param.ty.span()=> #inner: #krate::tool::FromRef<__S>))
            }
            ParamKind::Argument(_) | ParamKind::FromCall => None,
        })
        .collect()
}

/// The tool's argument decoder and its `Tool` impl (or `ToolFor<__S>`, when it takes `State`),
/// for the inside of a `const _: () = { … };` block.
pub(crate) fn tool_impl(tool: &ToolFn, target: &Target<'_>) -> TokenStream {
    let krate = &tool.outline.krate;
    // Every parameter's value has an identifier, in the function's order; the arguments are the
    // ones the decoder fills.
    let values: Vec<Ident> = (0..tool.params.len()).map(param_ident).collect();
    let fields = fields(&tool.params, &values);
    let definition_fn = definition::definition_fn(tool, &fields);
    let decoder = decoder::decoder(&fields);
    let body = call::body(tool, target, &values, &fields);
    let tool_trait_impl = tool_trait_impl(tool, target, &body);
    quote! {
        use #krate::__private as __tr;

        #definition_fn

        #decoder

        #tool_trait_impl
    }
}

/// An argument the decoder fills: its type, what the attributes say of it, and the identifiers
/// of its value and of its marker type.
struct Field<'a> {
    ty: &'a syn::Type,
    argument: &'a Argument,
    value: &'a Ident,
    marker: Ident,
}

impl Field<'_> {
    /// What the field's slot decodes: the parameter's type, or `Option<T>` when a default stands
    /// in for absence and `null`.
    fn slot_type(&self) -> TokenStream {
        let ty = self.ty;
        match self.argument.default {
            Some(_) => quote_spanned!(ty.span()=> ::core::option::Option<#ty>),
            None => quote!(#ty),
        }
    }
}

/// The arguments among `params`, each with the identifier in `values` of its parameter.
fn fields<'a>(params: &'a [Param], values: &'a [Ident]) -> Vec<Field<'a>> {
    params
        .iter()
        .zip(values)
        .enumerate()
        .filter_map(|(i, (param, value))| {
            let marker = Ident::new(&format!("__P{i}"), Span::call_site());
            Some(Field {
                ty: &param.ty,
                argument: param.argument()?,
                value,
                marker,
            })
        })
        .collect()
}

/// `Tool` for the tool's type, or `ToolFor<__S>` with the state's bounds when it takes `State`.
fn tool_trait_impl(tool: &ToolFn, target: &Target<'_>, body: &TokenStream) -> TokenStream {
    let krate = &tool.outline.krate;
    let tool_ident = match target {
        Target::Free => &tool.outline.item.sig.ident,
        Target::Method { tool, .. } => *tool,
    };
    let definition = quote!(__definition());
    let bounds = state_bounds(tool);
    if bounds.is_empty() {
        quote! {
            impl #krate::tool::Tool for #tool_ident {
                fn definition(&self) -> &#krate::tool::ToolDefinition {
                    #definition
                }

                fn call(
                    &self,
                    arguments: &#krate::tool::Arguments,
                    __context: &#krate::tool::CallContext,
                ) -> #krate::tool::ToolFuture {
                    #body
                }
            }
        }
    } else {
        quote! {
            impl<__S: ::core::marker::Send + ::core::marker::Sync + 'static> #krate::tool::ToolFor<__S> for #tool_ident
            where
                #( #bounds, )*
            {
                fn describe(&self) -> &#krate::tool::ToolDefinition {
                    #definition
                }

                fn call_with(
                    &self,
                    arguments: &#krate::tool::Arguments,
                    __context: &#krate::tool::CallContext,
                    __state: &__S,
                ) -> #krate::tool::ToolFuture {
                    #body
                }
            }
        }
    }
}

/// The type-namespace twin: a braced struct named like the function, so `tools![get_weather]`
/// finds the tool while `get_weather(…)` still calls the function. Braced structs live only in
/// the type namespace, so the two never clash, and no name the user did not write is introduced.
pub(crate) fn twin(item: &ItemFn) -> TokenStream {
    let vis = &item.vis;
    let ident = &item.sig.ident;
    let doc = format!("The tool made from [`{ident}()`] by `#[tool]`.");
    let cfgs = cfg_attrs(item);
    quote! {
        #(#cfgs)*
        #[doc = #doc]
        #[doc(hidden)]
        #[allow(non_camel_case_types, dead_code, missing_docs, unreachable_pub)]
        #[derive(::core::clone::Clone, ::core::marker::Copy, ::core::fmt::Debug, ::core::default::Default)]
        #vis struct #ident {}
    }
}

/// The function's `#[cfg(...)]`s: what exists only under a condition takes its tool with it.
pub(crate) fn cfg_attrs(item: &ItemFn) -> Vec<&syn::Attribute> {
    item.attrs
        .iter()
        .filter(|attr| attr.path().is_ident("cfg"))
        .collect()
}
