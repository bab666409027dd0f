//! The call: the arguments decoded, the extractors taken, the function run and its return value
//! made the call's output.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::Ident;
use syn::spanned::Spanned;

use super::{Field, Target};
use crate::ast::{Outline, Output, ParamKind, Returned, ToolFn};

/// The body of `Tool::call` (or `ToolFor::call_with`).
pub(super) fn body(
    tool: &ToolFn,
    target: &Target<'_>,
    values: &[Ident],
    fields: &[Field<'_>],
) -> TokenStream {
    let decoded = fields.iter().map(|field| field.value);
    let extractions = extractions(tool, values);
    let run = run(tool, target, values);
    quote! {
        let ( #( #decoded, )* ) = match __tr::decode::<__Args>(__definition(), arguments) {
            ::core::result::Result::Ok(decoded) => decoded,
            ::core::result::Result::Err(error) => return __tr::fail(error),
        };
        #( #extractions )*
        #run
    }
}

/// What the runtime gives: spanned at the parameter's type, so an unmet bound points there.
fn extractions(tool: &ToolFn, values: &[Ident]) -> Vec<TokenStream> {
    let krate = &tool.outline.krate;
    tool.params
        .iter()
        .zip(values)
        .map(|(param, value)| {
            let ty = &param.ty;
            match &param.kind {
                ParamKind::Argument(_) => quote!(),
                ParamKind::State(inner) => {
                    let take = quote_spanned!(ty.span()=> __tr::state::<#inner, __S>);
                    quote!(let #value: #ty = #take(__state);)
                }
                ParamKind::FromCall => {
                    let from =
                        quote_spanned!(ty.span()=> <#ty as #krate::tool::FromCall>::from_call);
                    quote! {
                        let #value = match #from(__context) {
                            ::core::result::Result::Ok(value) => value,
                            ::core::result::Result::Err(error) => return __tr::fail(error),
                        };
                    }
                }
            }
        })
        .collect()
}

/// The call itself: the function (or the method, on the tool's value) with every parameter's
/// value, on the caller's task for an `async fn`, on the blocking pool for a plain `fn`.
fn run(tool: &ToolFn, target: &Target<'_>, values: &[Ident]) -> TokenStream {
    let Outline { item, name, krate } = &tool.outline;
    let fn_ident = &item.sig.ident;
    let convert = convert(tool);
    // Spanned at the name, as the future built from it is (below).
    let span = fn_ident.span();
    let (this, call) = match target {
        Target::Free => (quote!(), quote_spanned!(span=> #fn_ident(#(#values),*))),
        Target::Method { self_ty, .. } => (
            quote!(let __this = ::std::sync::Arc::clone(&self.this);),
            quote_spanned!(span=> <#self_ty>::#fn_ident(&*__this, #(#values),*)),
        ),
    };
    if item.sig.asyncness.is_some() {
        // Spanned at the name, so "future cannot be sent between threads safely" points at the
        // tool, with rustc's notes on the value held across an `.await`.
        let future = match target {
            Target::Free => quote_spanned!(fn_ident.span()=> __tr::send_future(#call)),
            Target::Method { .. } => {
                quote_spanned!(fn_ident.span()=> __tr::send_future(async move {
                    __tr::send_method_future(#call).await
                }))
            }
        };
        quote! {
            #this
            let __future = #future;
            #krate::tool::ToolFuture::new(async move {
                let __ret = __future.await;
                #convert
            })
        }
    } else {
        quote! {
            #this
            // The call's place, kept until the body returns, even past a timeout.
            let __held = __context.keep_place();
            __tr::blocking(#name, move || {
                let _held = __held;
                let __ret = #call;
                #convert
            })
        }
    }
}

/// The return value `__ret` made the call's output, through the runtime's `ToolReturn` (and
/// `ToolErrorMessage` for a `Result`'s error), the only place generated code needs their bounds:
/// at the return type (at `T` and `E` of `Result<T, E>`), so a type that is not `Serialize` (or
/// an error that is not `Display`) gives one error there, in the runtime's words.
fn convert(tool: &ToolFn) -> TokenStream {
    match &tool.output {
        Output::Plain(value) => Conversion::Value.of(value, &quote!(__ret)),
        Output::Result { value, error } => {
            let ok = Conversion::Value.of(value, &quote!(__value));
            let err = Conversion::Error.of(error, &quote!(__error));
            quote! {
                match __ret {
                    ::core::result::Result::Ok(__value) => #ok,
                    ::core::result::Result::Err(__error) => #err,
                }
            }
        }
    }
}

/// What a part of the return value becomes.
enum Conversion {
    /// The output: `ToolReturn::into_output`.
    Value,
    /// The error result: `ToolErrorMessage::into_failure`.
    Error,
}

impl Conversion {
    /// The conversion of `value`, whose type is `part`'s: by the type's name where it can be
    /// named, so an error underlines the whole type (a span the macro makes covers only the
    /// type's first token).
    fn of(&self, part: &Returned, value: &TokenStream) -> TokenStream {
        let (trait_, function) = match self {
            Self::Value => (quote!(ToolReturn), quote!(into_output)),
            Self::Error => (quote!(ToolErrorMessage), quote!(into_failure)),
        };
        let span = part.span;
        match &part.ty {
            Some(ty) => {
                quote_spanned!(span=> <#ty as __tr::#trait_>::#function(#value, __definition()))
            }
            None => quote_spanned!(span=> __tr::#trait_::#function(#value, __definition())),
        }
    }
}
