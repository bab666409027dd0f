//! What is emitted when a tool's signature is wrong: the function, the errors, and the items the
//! rest of the program names, with bodies that are never reached (thiserror's `fallback.rs`).
//!
//! `tools![broken]` then compiles up to the real error: the user sees that error alone, not a
//! cascade of "`broken` is not a `Tool`", and the IDE keeps working.

use proc_macro2::TokenStream;
use quote::quote;

use crate::ast::Outline;
use crate::expand::{cfg_attrs, twin};

pub(crate) fn fallback(outline: &Outline, errors: TokenStream) -> TokenStream {
    let Outline { item, name, krate } = outline;
    // The only part of the function taken out is one rustc would report a second time: a
    // C-variadic `...`.
    let mut item = item.clone();
    item.sig.variadic = None;
    let twin = twin(&item);
    let twin_ident = &item.sig.ident;
    let cfgs = cfg_attrs(&item);
    quote! {
        #item
        #twin

        #(#cfgs)*
        const _: () = {
            impl #krate::__private::MacroTool for #twin_ident {
                const NAME: &'static str = #name;
            }

            impl #krate::tool::Tool for #twin_ident {
                fn definition(&self) -> &#krate::tool::ToolDefinition {
                    ::core::unreachable!("a tool whose signature does not compile")
                }

                fn call(
                    &self,
                    _: &#krate::tool::Arguments,
                    _: &#krate::tool::CallContext,
                ) -> #krate::tool::ToolFuture {
                    ::core::unreachable!("a tool whose signature does not compile")
                }
            }
        };

        #errors
    }
}
