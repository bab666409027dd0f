//! Generating the tool: a type-namespace twin of the function, its argument decoder and schema.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, ItemFn};

use crate::ast::{Argument, Outline, Output, Param, ParamKind, ToolFn, param_ident};
use crate::attr::{ApprovalKey, DefaultValue};

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
    let ToolFn {
        outline: Outline { item, name, krate },
        description,
        params,
        output,
        timeout_ms,
        sequential,
        approval,
        hints,
        value,
    } = tool;
    let fn_ident = &item.sig.ident;

    // Every parameter's value has an identifier, in the function's order; the arguments are the
    // ones the decoder fills.
    let values: Vec<Ident> = (0..params.len()).map(param_ident).collect();
    let arguments: Vec<(&Param, &Argument, &Ident, Ident)> = params
        .iter()
        .zip(&values)
        .enumerate()
        .filter_map(|(i, (param, value))| {
            let marker = Ident::new(&format!("__P{i}"), Span::call_site());
            Some((param, param.argument()?, value, marker))
        })
        .collect();
    let fields: Vec<&Ident> = arguments.iter().map(|(_, _, value, _)| *value).collect();
    let markers: Vec<&Ident> = arguments.iter().map(|(_, _, _, marker)| marker).collect();
    let wires: Vec<&str> = arguments
        .iter()
        .map(|(_, a, _, _)| a.wire.as_str())
        .collect();
    let types: Vec<&syn::Type> = arguments.iter().map(|(p, _, _, _)| &p.ty).collect();
    // What each slot decodes: the parameter's type, or `Option<T>` when a default stands in for
    // absence and `null`.
    let slot_types: Vec<TokenStream> = arguments
        .iter()
        .map(|(param, argument, _, _)| {
            let ty = &param.ty;
            match argument.default {
                Some(_) => quote_spanned!(ty.span()=> ::core::option::Option<#ty>),
                None => quote!(#ty),
            }
        })
        .collect();
    let indexes: Vec<proc_macro2::Literal> = (0..arguments.len())
        .map(proc_macro2::Literal::usize_unsuffixed)
        .collect();
    // One marker type per argument: its `Param` impl is the single place the argument's type
    // meets its `Deserialize` bound, spanned at the type.
    let param_impls = arguments
        .iter()
        .zip(&slot_types)
        .map(|((param, _, _, marker), slot)| {
            let bound = quote_spanned!(param.ty.span()=> __tr::deserialize::<#slot, __D>);
            quote! {
                struct #marker;
                impl __tr::Param for #marker {
                    type Slot = #slot;
                    fn deserialize<'de, __D: __tr::serde::Deserializer<'de>>(
                        deserializer: __D,
                    ) -> ::core::result::Result<#slot, __D::Error> {
                        #bound(deserializer)
                    }
                }
            }
        });
    // The single place each argument type meets its `JsonSchema` bound.
    let schema_params = arguments.iter().map(|(param, argument, _, _)| {
        let ty = &param.ty;
        let wire = &argument.wire;
        let schema_fn = quote_spanned!(ty.span()=> __tr::param_schema::<#ty>);
        let description = match &argument.description {
            Some(text) => quote!(::core::option::Option::Some(#text)),
            None => quote!(::core::option::Option::None),
        };
        let default = match &argument.default {
            None => quote!(::core::option::Option::None),
            Some(DefaultValue::Trait(span)) => {
                quote_spanned!(*span=> __tr::default_json::<#ty>(<#ty as ::core::default::Default>::default))
            }
            Some(DefaultValue::Expr(expr)) => {
                quote_spanned!(expr.span()=> __tr::default_json::<#ty>(|| #expr))
            }
        };
        quote!(__builder.param(#wire, #description, #schema_fn, #default);)
    });
    let finish_fields = arguments.iter().map(|(param, argument, field, _)| {
        let ty = &param.ty;
        let wire = &argument.wire;
        let take = quote!(__issues.take(#wire, self.#field));
        match &argument.default {
            None => quote!(let #field = #take;),
            Some(DefaultValue::Trait(span)) => quote_spanned! {*span=>
                let #field = #take.map(|v: ::core::option::Option<#ty>| {
                    v.unwrap_or_else(<#ty as ::core::default::Default>::default)
                });
            },
            Some(DefaultValue::Expr(expr)) => quote_spanned! {expr.span()=>
                let #field = #take.map(|v: ::core::option::Option<#ty>| v.unwrap_or_else(|| #expr));
            },
        }
    });

    // The fast path's defaults: a slot that decoded `Option<T>` falls back to its default.
    let fast_defaults = arguments.iter().map(|(param, argument, field, _)| {
        let ty = &param.ty;
        match &argument.default {
            None => quote!(),
            Some(DefaultValue::Trait(span)) => quote_spanned! {*span=>
                let #field = #field.unwrap_or_else(<#ty as ::core::default::Default>::default);
            },
            Some(DefaultValue::Expr(expr)) => quote_spanned! {expr.span()=>
                let #field = #field.unwrap_or_else(|| #expr);
            },
        }
    });

    // What the runtime gives: spanned at the parameter's type, so an unmet bound points there.
    let extractions = params.iter().zip(&values).map(|(param, value)| {
        let ty = &param.ty;
        match &param.kind {
            ParamKind::Argument(_) => quote!(),
            ParamKind::State(inner) => {
                let take = quote_spanned!(ty.span()=> __tr::state::<#inner, __S>);
                quote!(let #value: #ty = #take(__state);)
            }
            ParamKind::FromCall => {
                let from = quote_spanned!(ty.span()=> <#ty as #krate::tool::FromCall>::from_call);
                quote! {
                    let #value = match #from(__context) {
                        ::core::result::Result::Ok(value) => value,
                        ::core::result::Result::Err(error) => return __tr::fail(error),
                    };
                }
            }
        }
    });
    let run_data_needs = params.iter().filter_map(|param| {
        let ty = &param.ty;
        matches!(param.kind, ParamKind::FromCall).then(
            || quote!(.with_run_data_need(<#ty as #krate::tool::FromCall>::run_data_needed())),
        )
    });

    let convert = match output {
        Output::Plain(span) => quote_spanned!(*span=> __tr::output(#name, __ret)),
        Output::Result(span) => quote_spanned!(*span=> __tr::result_output(#name, __ret)),
    };
    let run = run(tool, target, &values, &convert);
    let timeout =
        timeout_ms.map(|ms| quote!(.with_timeout(::core::time::Duration::from_millis(#ms))));
    let sequential = sequential.then(|| quote!(.with_sequential(true)));
    let approval = approval.as_ref().map(|approval| match approval {
        ApprovalKey::Always => quote!(.with_approval(#krate::tool::Approval::Always)),
        ApprovalKey::When(predicate) => {
            // Spanned at the predicate: one that is not `Fn(&Arguments) -> bool` says so there.
            let when = quote_spanned!(predicate.span()=> #krate::tool::Approval::when(#predicate));
            quote!(.with_approval(#when))
        }
    });
    let title = hints
        .title
        .as_ref()
        .map(|title| quote!(.with_title(#title)));
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
    let hints = has_hints.then(|| quote!(.with_hints(#krate::tool::ToolHints::new() #( #hints )*)));
    // The returned value's JSON Schema, when its type has one (`&&` picks the impl that needs
    // `JsonSchema` when it applies, the one that gives none otherwise).
    let output_schema = value.as_ref().map(|ty| {
        quote!(.with_output_schema({
            #[allow(unused_imports)]
            use __tr::{WithSchema as _, WithoutSchema as _};
            (&&__tr::OutputSchema::<#ty>::new()).output_schema()
        }))
    });
    let tool_ident = match target {
        Target::Free => fn_ident,
        Target::Method { tool, .. } => *tool,
    };
    let definition_fn = quote! {
        /// The tool's definition, made once.
        fn __definition() -> &'static #krate::tool::ToolDefinition {
            static DEFINITION: ::std::sync::OnceLock<#krate::tool::ToolDefinition> =
                ::std::sync::OnceLock::new();
            DEFINITION.get_or_init(|| {
                let mut __builder = __tr::SchemaBuilder::new();
                #( #schema_params )*
                #krate::tool::ToolDefinition::new(#name, #description, __builder.finish(__tr::required_fields::<__Args>()))
                    .with_policy(
                        #krate::tool::ToolPolicy::new()
                            #timeout
                            #sequential
                            #approval
                            #hints
                            #( #run_data_needs )*
                    )
                    #title
                    #output_schema
            })
        }
    };
    let definition = quote!(__definition());
    let body = quote! {
        let ( #( #fields, )* ) = match __tr::decode::<__Args>(__definition(), arguments) {
            ::core::result::Result::Ok(decoded) => decoded,
            ::core::result::Result::Err(error) => return __tr::fail(error),
        };
        #( #extractions )*
        #run
    };
    let bounds = state_bounds(tool);
    let tool_trait_impl = if bounds.is_empty() {
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
    };

    quote! {
            use #krate::__private as __tr;

            #definition_fn

            struct __Args {
                #( #fields: __tr::Captured<#slot_types>, )*
                __unknown: ::std::vec::Vec<::std::string::String>,
            }

            #( #param_impls )*

            impl __Args {
                /// The fast path: straight into the parameters, as a derived `Deserialize`
                /// would, giving up at the first doubt (a bad, missing or unknown field).
                fn __fast<'de, __D>(
                    deserializer: __D,
                ) -> ::core::result::Result<( #( #types, )* ), __D::Error>
                where
                    __D: __tr::serde::Deserializer<'de>,
                {
                    // Keys matched straight to the field's index, as a derived `Deserialize` does.
                    struct __Key;
                    impl<'de> __tr::serde::de::Visitor<'de> for __Key {
                        type Value = usize;

                        fn expecting(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                            f.write_str("a field name")
                        }

                        fn visit_str<__E: __tr::serde::de::Error>(self, key: &str) -> ::core::result::Result<usize, __E> {
                            ::core::result::Result::Ok(match key {
                                #( #wires => #indexes, )*
                                _ => usize::MAX,
                            })
                        }
                    }
                    impl<'de> __tr::serde::de::DeserializeSeed<'de> for __Key {
                        type Value = usize;

                        fn deserialize<__D2: __tr::serde::Deserializer<'de>>(
                            self,
                            deserializer: __D2,
                        ) -> ::core::result::Result<usize, __D2::Error> {
                            deserializer.deserialize_identifier(self)
                        }
                    }

                    struct __Fast;
                    impl<'de> __tr::serde::de::Visitor<'de> for __Fast {
                        type Value = ( #( #types, )* );

                        fn expecting(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                            f.write_str("an object with the tool's arguments")
                        }

                        fn visit_map<__A>(self, mut map: __A) -> ::core::result::Result<Self::Value, __A::Error>
                        where
                            __A: __tr::serde::de::MapAccess<'de>,
                        {
                            #( let mut #fields = ::core::option::Option::None; )*
                            while let ::core::option::Option::Some(index) = map.next_key_seed(__Key)? {
                                match index {
                                    #( #indexes => #fields = ::core::option::Option::Some(
                                        __tr::fast_value::<#markers, __A>(&mut map)?
                                    ), )*
                                    _ => return ::core::result::Result::Err(__tr::doubt()),
                                }
                            }
                            #( let #fields = match #fields {
                                ::core::option::Option::Some(value) => value,
                                ::core::option::Option::None => __tr::fast_absent::<#markers, __A::Error>()?,
                            }; )*
                            #( #fast_defaults )*
                            ::core::result::Result::Ok(( #( #fields, )* ))
                        }
                    }
                    deserializer.deserialize_map(__Fast)
                }

                fn __deserialize<'de, __D>(
                    deserializer: __D,
                    paths: bool,
                ) -> ::core::result::Result<Self, __D::Error>
                where
                    __D: __tr::serde::Deserializer<'de>,
                {
                    struct __Visitor {
                        paths: bool,
                    }
                    impl<'de> __tr::serde::de::Visitor<'de> for __Visitor {
                        type Value = __Args;

                        fn expecting(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                            f.write_str("an object with the tool's arguments")
                        }

                        fn visit_map<__A>(self, mut map: __A) -> ::core::result::Result<__Args, __A::Error>
                        where
                            __A: __tr::serde::de::MapAccess<'de>,
                        {
                            let paths = self.paths;
                            #( let mut #fields = ::core::option::Option::None; )*
                            let mut __unknown = ::std::vec::Vec::new();
                            while let ::core::option::Option::Some(key) = map.next_key::<__tr::Key<'de>>()? {
                                match key.as_str() {
                                    #( #wires => #fields = ::core::option::Option::Some(
                                        __tr::capture::<#markers, __A>(#wires, paths, __tr::Source::Map(&mut map))?
                                    ), )*
                                    _ => {
                                        __unknown.push(key.into_string());
                                        map.next_value::<__tr::IgnoredAny>()?;
                                    }
                                }
                            }
                            ::core::result::Result::Ok(__Args {
                                #( #fields: match #fields {
                                    ::core::option::Option::Some(captured) => captured,
                                    ::core::option::Option::None => __tr::capture::<#markers, __A>(#wires, paths, __tr::Source::Absent)?,
                                }, )*
                                __unknown,
                            })
                        }
                    }
                    deserializer.deserialize_map(__Visitor { paths })
                }
            }

            impl __tr::ArgsStruct for __Args {
                type Output = ( #( #types, )* );
                const FIELDS: &'static [&'static str] = &[ #( #wires ),* ];

                fn fast<'de, __D: __tr::serde::Deserializer<'de>>(
                    deserializer: __D,
                ) -> ::core::result::Result<Self::Output, __D::Error> {
                    Self::__fast(deserializer)
                }

                fn deserialize_with<'de, __D: __tr::serde::Deserializer<'de>>(
                    deserializer: __D,
                    paths: bool,
                ) -> ::core::result::Result<Self, __D::Error> {
                    Self::__deserialize(deserializer, paths)
                }

                fn missing(&self) -> ::std::vec::Vec<bool> {
                    ::std::vec![ #( self.#fields.is_missing() ),* ]
                }

                fn finish(self, __issues: &mut __tr::Issues) -> ::core::option::Option<Self::Output> {
                    #( #finish_fields )*
                    __issues.unknown(self.__unknown, Self::FIELDS);
                    ::core::option::Option::Some(( #( #fields?, )* ))
                }
            }

            #tool_trait_impl
    }
}

/// The call itself: the function (or the method, on the tool's value) with every parameter's
/// value, on the caller's task for an `async fn`, on the blocking pool for a plain `fn`.
fn run(tool: &ToolFn, target: &Target<'_>, values: &[Ident], convert: &TokenStream) -> TokenStream {
    let Outline { item, name, krate } = &tool.outline;
    let fn_ident = &item.sig.ident;
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
