//! The arguments' decoder: `__Args`, one marker type per argument, a fast path straight into the
//! parameters and a slow one that captures every field's problem, and their `ArgsStruct` impl.

use proc_macro2::{Literal, TokenStream};
use quote::{quote, quote_spanned};
use syn::Ident;
use syn::spanned::Spanned;

use super::Field;
use crate::attr::DefaultValue;

/// The fields' parts, in the fields' order, as the repetitions of `quote!` take them.
struct Columns<'a> {
    values: Vec<&'a Ident>,
    markers: Vec<&'a Ident>,
    wires: Vec<&'a str>,
    types: Vec<&'a syn::Type>,
}

impl<'a> Columns<'a> {
    fn new(fields: &'a [Field<'a>]) -> Self {
        Self {
            values: fields.iter().map(|field| field.value).collect(),
            markers: fields.iter().map(|field| &field.marker).collect(),
            wires: fields
                .iter()
                .map(|field| field.argument.wire.as_str())
                .collect(),
            types: fields.iter().map(|field| field.ty).collect(),
        }
    }
}

/// `struct __Args`, the markers' `Param` impls, `__Args`'s two decoders and its `ArgsStruct`
/// impl.
pub(super) fn decoder(fields: &[Field<'_>]) -> TokenStream {
    let columns = Columns::new(fields);
    let values = &columns.values;
    let slot_types = fields.iter().map(Field::slot_type);
    let param_impls = fields.iter().map(param_impl);
    let fast = fast(fields, &columns);
    let deserialize = deserialize(&columns);
    let args_struct_impl = args_struct_impl(fields, &columns);
    quote! {
        struct __Args {
            #( #values: __tr::Captured<#slot_types>, )*
            __unknown: ::std::vec::Vec<::std::string::String>,
        }

        #( #param_impls )*

        impl __Args {
            #fast

            #deserialize
        }

        #args_struct_impl
    }
}

/// One marker type per argument: its `Param` impl is the single place the argument's type meets
/// its `Deserialize` bound, spanned at the type.
fn param_impl(field: &Field<'_>) -> TokenStream {
    let marker = &field.marker;
    let slot = field.slot_type();
    let ty = field.ty;
    // Through the parameter's own type either way, so an error names it (not `Option` of it).
    let bound = match field.argument.default {
        None => {
            quote_spanned!(ty.span()=> <#ty as __tr::ToolArgument>::deserialize_argument::<__D>)
        }
        Some(_) => {
            quote_spanned!(ty.span()=> <#ty as __tr::ToolArgument>::deserialize_optional::<__D>)
        }
    };
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
}

/// `__Args::__fast`: straight into the parameters, as a derived `Deserialize` would.
fn fast(fields: &[Field<'_>], columns: &Columns<'_>) -> TokenStream {
    let Columns {
        values,
        markers,
        wires,
        types,
    } = columns;
    let indexes: Vec<Literal> = (0..fields.len()).map(Literal::usize_unsuffixed).collect();
    let fast_defaults = fields.iter().map(fast_default);
    quote! {
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
                    #( let mut #values = ::core::option::Option::None; )*
                    while let ::core::option::Option::Some(index) = map.next_key_seed(__Key)? {
                        match index {
                            #( #indexes => #values = ::core::option::Option::Some(
                                __tr::fast_value::<#markers, __A>(&mut map)?
                            ), )*
                            _ => return ::core::result::Result::Err(__tr::doubt()),
                        }
                    }
                    #( let #values = match #values {
                        ::core::option::Option::Some(value) => value,
                        ::core::option::Option::None => __tr::fast_absent::<#markers, __A::Error>()?,
                    }; )*
                    #( #fast_defaults )*
                    ::core::result::Result::Ok(( #( #values, )* ))
                }
            }
            deserializer.deserialize_map(__Fast)
        }
    }
}

/// The fast path's default for one field: a slot that decoded `Option<T>` falls back to it.
fn fast_default(field: &Field<'_>) -> TokenStream {
    let ty = field.ty;
    let value = field.value;
    match &field.argument.default {
        None => quote!(),
        Some(DefaultValue::Trait(span)) => quote_spanned! {*span=>
            let #value = #value.unwrap_or_else(|| <#ty as __tr::ToolArgumentDefault>::default_argument());
        },
        Some(DefaultValue::Expr(expr)) => quote_spanned! {expr.span()=>
            let #value = #value.unwrap_or_else(|| #expr);
        },
    }
}

/// `__Args::__deserialize`: every field captured, with what was wrong with it, and the unknown
/// keys kept, for the error the model reads.
fn deserialize(columns: &Columns<'_>) -> TokenStream {
    let Columns {
        values,
        markers,
        wires,
        ..
    } = columns;
    quote! {
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
                    #( let mut #values = ::core::option::Option::None; )*
                    let mut __unknown = ::std::vec::Vec::new();
                    while let ::core::option::Option::Some(key) = map.next_key::<__tr::Key<'de>>()? {
                        match key.as_str() {
                            #( #wires => #values = ::core::option::Option::Some(
                                __tr::capture::<#markers, __A>(#wires, paths, __tr::Source::Map(&mut map))?
                            ), )*
                            _ => {
                                __unknown.push(key.into_string());
                                map.next_value::<__tr::IgnoredAny>()?;
                            }
                        }
                    }
                    ::core::result::Result::Ok(__Args {
                        #( #values: match #values {
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
}

/// `impl ArgsStruct for __Args`: what the runtime's `decode` calls.
fn args_struct_impl(fields: &[Field<'_>], columns: &Columns<'_>) -> TokenStream {
    let Columns {
        values,
        wires,
        types,
        ..
    } = columns;
    let finish_fields = fields.iter().map(finish_field);
    quote! {
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
                ::std::vec![ #( self.#values.is_missing() ),* ]
            }

            fn finish(self, __issues: &mut __tr::Issues) -> ::core::option::Option<Self::Output> {
                #( #finish_fields )*
                __issues.unknown(self.__unknown, Self::FIELDS);
                ::core::option::Option::Some(( #( #values?, )* ))
            }
        }
    }
}

/// One field taken out of its capture in `finish`, its problem noted, its default applied.
fn finish_field(field: &Field<'_>) -> TokenStream {
    let ty = field.ty;
    let wire = &field.argument.wire;
    let value = field.value;
    let take = quote!(__issues.take(#wire, self.#value));
    match &field.argument.default {
        None => quote!(let #value = #take;),
        Some(DefaultValue::Trait(span)) => quote_spanned! {*span=>
            let #value = #take.map(|v: ::core::option::Option<#ty>| {
                v.unwrap_or_else(|| <#ty as __tr::ToolArgumentDefault>::default_argument())
            });
        },
        Some(DefaultValue::Expr(expr)) => quote_spanned! {expr.span()=>
            let #value = #take.map(|v: ::core::option::Option<#ty>| v.unwrap_or_else(|| #expr));
        },
    }
}
