//! Generating the tool: a type-namespace twin of the function, its argument decoder and schema.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, ItemFn};

use crate::ast::{Outline, Output, ToolFn, param_ident};
use crate::attr::DefaultValue;

/// The function, unchanged, followed by everything that makes it a tool.
pub(crate) fn expand(tool: &ToolFn) -> TokenStream {
    let ToolFn {
        outline: Outline { item, name, krate },
        description,
        params,
        output,
        timeout_ms,
        sequential,
    } = tool;
    let fn_ident = &item.sig.ident;
    let twin = twin(item);

    let fields: Vec<Ident> = (0..params.len()).map(param_ident).collect();
    let wires: Vec<&str> = params.iter().map(|p| p.wire.as_str()).collect();
    let types: Vec<&syn::Type> = params.iter().map(|p| &p.ty).collect();
    // What each slot decodes: the parameter's type, or `Option<T>` when a default stands in for
    // absence and `null`.
    let slot_types: Vec<TokenStream> = params
        .iter()
        .map(|p| {
            let ty = &p.ty;
            match p.default {
                Some(_) => quote_spanned!(ty.span()=> ::core::option::Option<#ty>),
                None => quote!(#ty),
            }
        })
        .collect();
    // One marker type per parameter: its `Param` impl is the single place the parameter's type
    // meets its `Deserialize` bound, spanned at the type.
    let markers: Vec<Ident> = (0..params.len())
        .map(|i| Ident::new(&format!("__P{i}"), Span::call_site()))
        .collect();
    let indexes: Vec<proc_macro2::Literal> = (0..params.len())
        .map(proc_macro2::Literal::usize_unsuffixed)
        .collect();
    let param_impls =
        params
            .iter()
            .zip(&slot_types)
            .zip(&markers)
            .map(|((param, slot), marker)| {
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
    // The single place each parameter type meets its `JsonSchema` bound.
    let schema_params = params.iter().map(|param| {
        let ty = &param.ty;
        let wire = &param.wire;
        let schema_fn = quote_spanned!(ty.span()=> __tr::param_schema::<#ty>);
        let description = match &param.description {
            Some(text) => quote!(::core::option::Option::Some(#text)),
            None => quote!(::core::option::Option::None),
        };
        let default = match &param.default {
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
    let finish_fields = params.iter().zip(&fields).zip(&wires).map(|((param, field), wire)| {
        let ty = &param.ty;
        let take = quote!(__issues.take(#wire, self.#field));
        match &param.default {
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
    let fast_defaults = params.iter().zip(&fields).map(|(param, field)| {
        let ty = &param.ty;
        match &param.default {
            None => quote!(),
            Some(DefaultValue::Trait(span)) => quote_spanned! {*span=>
                let #field = #field.unwrap_or_else(<#ty as ::core::default::Default>::default);
            },
            Some(DefaultValue::Expr(expr)) => quote_spanned! {expr.span()=>
                let #field = #field.unwrap_or_else(|| #expr);
            },
        }
    });

    let convert = match output {
        Output::Plain(span) => quote_spanned!(*span=> __tr::output(#name, __ret)),
        Output::Result(span) => quote_spanned!(*span=> __tr::result_output(#name, __ret)),
    };
    let run = if item.sig.asyncness.is_some() {
        // Spanned at the name, so "future cannot be sent between threads safely" points at the
        // tool, with rustc's notes on the value held across an `.await`.
        let future = quote_spanned!(fn_ident.span()=> __tr::send_future(#fn_ident(#(#fields),*)));
        quote! {
            let __future = #future;
            #krate::ToolFuture::new(async move {
                let __ret = __future.await;
                #convert
            })
        }
    } else {
        quote! {
            // Held until the body returns, even past a timeout: see `CallContext`.
            let __held = __context.clone();
            __tr::blocking(#name, move || {
                let _held = __held;
                let __ret = #fn_ident(#(#fields),*);
                #convert
            })
        }
    };
    let timeout =
        timeout_ms.map(|ms| quote!(.with_timeout(::core::time::Duration::from_millis(#ms))));
    let sequential = sequential.then(|| quote!(.with_sequential(true)));
    let twin_ident = fn_ident;
    let cfgs = cfg_attrs(item);

    quote! {
        #item
        #twin

        #(#cfgs)*
        #[allow(clippy::all, clippy::pedantic, clippy::nursery)]
        const _: () = {
            use #krate::__private as __tr;

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

            impl __tr::MacroTool for #twin_ident {
                const NAME: &'static str = #name;
            }

            impl #krate::Tool for #twin_ident {
                fn definition(&self) -> &#krate::ToolDefinition {
                    static DEFINITION: ::std::sync::OnceLock<#krate::ToolDefinition> =
                        ::std::sync::OnceLock::new();
                    DEFINITION.get_or_init(|| {
                        let mut __builder = __tr::SchemaBuilder::new();
                        #( #schema_params )*
                        #krate::ToolDefinition::new(#name, #description, __builder.finish(__tr::required_fields::<__Args>()))
                            #timeout
                            #sequential
                    })
                }

                fn call(
                    &self,
                    arguments: &#krate::Arguments,
                    __context: &#krate::CallContext,
                ) -> #krate::ToolFuture {
                    let ( #( #fields, )* ) = match __tr::decode::<__Args>(#name, arguments) {
                        ::core::result::Result::Ok(decoded) => decoded,
                        ::core::result::Result::Err(error) => return __tr::fail(error),
                    };
                    #run
                }
            }
        };
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
