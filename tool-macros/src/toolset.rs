//! `#[toolset]`: the `#[tool]` methods of an inherent `impl` block become tools of its type, each
//! holding the value in an `Arc`, and the type a `ToolSet` that hands them all out.

use proc_macro2::{Group, TokenStream, TokenTree};
use quote::{ToTokens, format_ident, quote};
use syn::ext::IdentExt;
use syn::{Attribute, ImplItem, ItemFn, ItemImpl, Meta, Path};

use crate::ast::{Argument, ParamKind, Site, ToolFn};
use crate::attr::{DefaultValue, ToolsetArgs};
use crate::check;
use crate::errors::Errors;
use crate::expand::{Target, cfg_attrs, state_bounds, tool_impl};
use crate::symbol::{TOOL, TOOLSET_DONE};

/// The argument `#[toolset]` gives the `#[tool]` attributes it has read: `#[tool]` then leaves
/// the method as it is.
pub(crate) fn is_done(args: &TokenStream) -> bool {
    let mut tokens = args.clone().into_iter();
    matches!(
        (tokens.next(), tokens.next()),
        (Some(proc_macro2::TokenTree::Ident(ident)), None) if ident == TOOLSET_DONE
    )
}

pub(crate) fn toolset(args: TokenStream, mut item: ItemImpl) -> TokenStream {
    let mut errors = Errors::default();
    let args = ToolsetArgs::parse(args, &mut errors);
    let krate: Path = args
        .krate
        .unwrap_or_else(|| syn::parse_quote!(::tool_runtime));
    let concrete = check_impl(&item, &mut errors);
    let tools = tools(&mut item, &krate, &mut errors);
    if tools.is_empty() && errors.is_empty() {
        errors.push(
            item.impl_token.span,
            "this `#[toolset]` block has no `#[tool]` methods: mark the methods the model may call \
             with `#[tool]`",
        );
    }

    if !errors.is_empty() {
        let errors = errors.to_compile_errors();
        // The type still is a `ToolSet`, so `with_all(…)` reports nothing more.
        let dummy = concrete.then(|| dummy_tool_set(&item.self_ty, &krate));
        return quote!(#item #dummy #errors);
    }
    expand(&item, &tools, &krate)
}

/// What no `#[toolset]` block can be: a trait impl, generic, or with a `where` clause. Returns
/// whether the block is for one concrete type (a dummy `ToolSet` impl only makes sense for one).
fn check_impl(item: &ItemImpl, errors: &mut Errors) -> bool {
    let mut concrete = true;
    if let Some((_, path, _)) = &item.trait_ {
        concrete = false;
        errors.push_spanned(
            path,
            "`#[toolset]` goes on an inherent `impl` block (`impl Service { … }`), whose `#[tool]` \
             methods become the tools of `Service`",
        );
    }
    if !item.generics.params.is_empty() {
        concrete = false;
        errors.push_spanned(
            &item.generics,
            "a `#[toolset]` impl block cannot be generic: each tool needs one concrete type to \
             call and to describe; write the block for a concrete type (`impl Service<Postgres>`)",
        );
    } else if let Some(where_clause) = &item.generics.where_clause {
        errors.push_spanned(
            where_clause,
            "a `#[toolset]` impl block cannot have a `where` clause",
        );
    }
    concrete
}

/// The block's `#[tool]` methods, checked.
fn tools(item: &mut ItemImpl, krate: &Path, errors: &mut Errors) -> Vec<ToolFn> {
    let mut tools: Vec<ToolFn> = Vec::new();
    for impl_item in &mut item.items {
        let ImplItem::Fn(method) = impl_item else {
            continue;
        };
        let Some(position) = method.attrs.iter().position(is_tool_attr) else {
            continue;
        };
        let attr = method.attrs.remove(position);
        // What goes back in its place: the same path (so the user's `use` of it stays used),
        // told that `#[toolset]` has done the work.
        let path = attr.path().clone();
        let marker = syn::Ident::new(TOOLSET_DONE, proc_macro2::Span::call_site());
        let done: Attribute = syn::parse_quote!(#[#path(#marker)]);
        let tool_args = match attr.meta {
            Meta::Path(_) => TokenStream::new(),
            Meta::List(list) => list.tokens,
            Meta::NameValue(name_value) => {
                errors.push_spanned(name_value, "write `#[tool]` or `#[tool(…)]`");
                TokenStream::new()
            }
        };
        let function = ItemFn {
            attrs: std::mem::take(&mut method.attrs),
            vis: method.vis.clone(),
            sig: method.sig.clone(),
            block: Box::new(method.block.clone()),
        };
        // The method goes back as written, minus the attributes only we understand.
        let checked = check::check(tool_args, function, Site::Method, Some(krate), errors);
        let function = match checked {
            Ok(mut tool) => {
                resolve_self(&mut tool, &item.self_ty);
                check_unique_name(&tools, &tool, errors);
                let function = tool.outline.item.clone();
                tools.push(tool);
                function
            }
            Err(outline) => outline.item,
        };
        method.attrs = function.attrs;
        method.attrs.insert(position.min(method.attrs.len()), done);
        method.sig = function.sig;
    }
    tools
}

/// Two tools of one block may not share a name, unless one is under `#[cfg]` (at most one of
/// them may exist then).
fn check_unique_name(tools: &[ToolFn], tool: &ToolFn, errors: &mut Errors) {
    let unconditional = |tool: &ToolFn| cfg_attrs(&tool.outline.item).is_empty();
    if let Some(first) = tools.iter().find(|seen| {
        seen.outline.name == tool.outline.name && unconditional(seen) && unconditional(tool)
    }) {
        errors.push(
            tool.outline.item.sig.ident.span(),
            format!(
                "two tools of this `#[toolset]` are named `{}` (the other is the method `{}`); \
                 rename one with `#[tool(name = \"…\")]`",
                tool.outline.name,
                first.outline.item.sig.ident.unraw()
            ),
        );
    }
}

/// A `ToolSet` impl whose body is never reached, for a block whose methods do not compile.
fn dummy_tool_set(self_ty: &syn::Type, krate: &Path) -> TokenStream {
    quote! {
        const _: () = {
            impl<__S: ::core::marker::Send + ::core::marker::Sync + 'static> #krate::tool::ToolSet<__S> for #self_ty {
                fn tools(
                    self: ::std::sync::Arc<Self>,
                    _: &::std::sync::Arc<__S>,
                ) -> ::std::vec::Vec<::std::sync::Arc<dyn #krate::tool::Tool>> {
                    ::core::unreachable!("a toolset whose methods do not compile")
                }
            }
        };
    }
}

/// The block, unchanged but for its `#[tool]` attributes, followed by one tool type per method
/// and the type's `ToolSet` impl.
fn expand(item: &ItemImpl, tools: &[ToolFn], krate: &Path) -> TokenStream {
    let self_ty = &item.self_ty;
    let idents: Vec<syn::Ident> = tools
        .iter()
        .map(|tool| format_ident!("__Tool_{}", tool.outline.item.sig.ident))
        .collect();
    let impls = tools.iter().zip(&idents).map(|(tool, ident)| {
        let cfgs = cfg_attrs(&tool.outline.item);
        let tool_impl = tool_impl(
            tool,
            &Target::Method {
                self_ty,
                tool: ident,
            },
        );
        quote! {
            #(#cfgs)*
            #[allow(non_camel_case_types)]
            struct #ident {
                this: ::std::sync::Arc<#self_ty>,
            }

            #(#cfgs)*
            const _: () = {
                #tool_impl
            };
        }
    });
    let pushes = tools.iter().zip(&idents).map(|(tool, ident)| {
        let cfgs = cfg_attrs(&tool.outline.item);
        quote! {
            #(#cfgs)*
            __tools.push(#krate::tool::ToolFor::<__S>::bind(
                #ident { this: ::std::sync::Arc::clone(&self) },
                __state,
            ));
        }
    });
    let (aliases, bounds): (Vec<TokenStream>, Vec<TokenStream>) = tools
        .iter()
        .enumerate()
        .flat_map(|(index, tool)| conditional_bounds(index, tool, krate))
        .unzip();
    let count = tools.len();
    quote! {
        #item

        #[allow(clippy::all, clippy::pedantic, clippy::nursery)]
        const _: () = {
            #( #impls )*
            #( #aliases )*

            impl<__S: ::core::marker::Send + ::core::marker::Sync + 'static> #krate::tool::ToolSet<__S> for #self_ty
            where
                #( #bounds, )*
            {
                fn tools(
                    self: ::std::sync::Arc<Self>,
                    __state: &::std::sync::Arc<__S>,
                ) -> ::std::vec::Vec<::std::sync::Arc<dyn #krate::tool::Tool>> {
                    let mut __tools = ::std::vec::Vec::with_capacity(#count);
                    #( #pushes )*
                    __tools
                }
            }
        };
    }
}

/// The bounds a toolbox's state `__S` must meet for one tool (`T: FromRef<__S>` for each
/// `State<T>` parameter), with the items they need. A tool under `#[cfg]` states its bounds
/// through aliases that name nothing to take from the state when the tool is compiled out.
fn conditional_bounds(
    index: usize,
    tool: &ToolFn,
    krate: &Path,
) -> Vec<(TokenStream, TokenStream)> {
    let cfgs = cfg_attrs(&tool.outline.item);
    if cfgs.is_empty() {
        return state_bounds(tool)
            .into_iter()
            .map(|bound| (TokenStream::new(), bound))
            .collect();
    }
    let conditions: Vec<TokenStream> = cfgs
        .iter()
        .filter_map(|attr| match &attr.meta {
            Meta::List(list) => Some(list.tokens.clone()),
            _ => None,
        })
        .collect();
    tool.params
        .iter()
        .filter_map(|param| match &param.kind {
            ParamKind::State(inner) => Some(inner),
            _ => None,
        })
        .enumerate()
        .map(|(position, inner)| {
            let alias = format_ident!("__State{index}_{position}");
            let items = quote! {
                #(#cfgs)*
                type #alias = #inner;
                #[cfg(not(all(#(#conditions),*)))]
                type #alias = #krate::__private::NoState;
            };
            (items, quote!(#alias: #krate::tool::FromRef<__S>))
        })
        .collect()
}

/// Replaces `Self` in what the generated code repeats outside the `impl` block (the parameters'
/// types and defaults) with the block's type.
fn resolve_self(tool: &mut ToolFn, self_ty: &syn::Type) {
    fn reparse<T: syn::parse::Parse + ToTokens>(node: &mut T, self_ty: &syn::Type) {
        if let Ok(resolved) = syn::parse2(replace_self(node.to_token_stream(), self_ty)) {
            *node = resolved;
        }
    }
    for param in &mut tool.params {
        reparse(&mut param.ty, self_ty);
        match &mut param.kind {
            ParamKind::Argument(Argument {
                default: Some(DefaultValue::Expr(expr)),
                ..
            }) => reparse(&mut **expr, self_ty),
            ParamKind::State(inner) => reparse(inner, self_ty),
            _ => {}
        }
    }
}

/// `Self` → the type, written `<Type>` before `::` so that paths stay valid in expressions.
fn replace_self(tokens: TokenStream, self_ty: &syn::Type) -> TokenStream {
    let mut out = TokenStream::new();
    let mut tokens = tokens.into_iter().peekable();
    while let Some(token) = tokens.next() {
        match token {
            TokenTree::Ident(ident) if ident == "Self" => {
                let path_follows = matches!(
                    tokens.peek(),
                    Some(TokenTree::Punct(punct)) if punct.as_char() == ':'
                );
                if path_follows {
                    out.extend(quote!(<#self_ty>));
                } else {
                    self_ty.to_tokens(&mut out);
                }
            }
            TokenTree::Group(group) => {
                let mut inner =
                    Group::new(group.delimiter(), replace_self(group.stream(), self_ty));
                inner.set_span(group.span());
                out.extend([TokenTree::Group(inner)]);
            }
            other => out.extend([other]),
        }
    }
    out
}

/// `#[tool]`, `#[tool(…)]`, or a path to it (`#[tool_runtime::tool]`).
fn is_tool_attr(attr: &Attribute) -> bool {
    attr.path()
        .segments
        .last()
        .is_some_and(|segment| segment.ident == TOOL.as_str())
}
