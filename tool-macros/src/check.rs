//! The rules a tool's signature and names must follow; every broken rule is reported, at once.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Attribute, FnArg, Ident, ItemFn, LitStr, Pat, PatType, ReturnType, Signature, Type};

use crate::ast::{Argument, Outline, Output, Param, ParamKind, Returned, Site, ToolFn};
use crate::attr::{ArgOptions, ToolArgs};
use crate::doc::doc_text;
use crate::errors::Errors;
use crate::name::{self, MAX_NAME_LEN, NameError};
use crate::symbol::{ARG, DOC, EXTRACT};

/// Checks `item` and strips what it reads from it. On any error, returns what is known of the
/// tool anyway ([`Outline`]), so that the caller can still emit the function and the items the
/// rest of the program names, sparing the user a cascade of secondary errors.
///
/// `krate` is where `tool_runtime` is when `#[tool]` does not say (a `#[toolset]` may).
pub(crate) fn check(
    args: TokenStream,
    mut item: ItemFn,
    site: Site,
    krate: Option<&syn::Path>,
    errors: &mut Errors,
) -> Result<ToolFn, Box<Outline>> {
    let args = ToolArgs::parse(args, errors);
    check_signature(&item.sig, site, errors);
    let params = params(&mut item.sig, site, errors);
    let output = output(&item.sig, site, errors);
    let name = tool_name(args.name.as_ref(), &item.sig.ident, errors);
    let description = description(&args, &item, &name, errors);

    let krate = args
        .krate
        .or_else(|| krate.cloned())
        .unwrap_or_else(|| syn::parse_quote!(::tool_runtime));
    let outline = Outline { item, name, krate };
    match description {
        Some(description) if errors.is_empty() => Ok(ToolFn {
            outline,
            description,
            params,
            output,
            timeout_ms: args.timeout,
            sequential: args.sequential,
            approval: args.approval,
            hints: args.hints,
        }),
        _ => Err(Box::new(outline)),
    }
}

/// What no tool can be: a method without `self`, `unsafe`, `extern`, generic or variadic.
fn check_signature(sig: &Signature, site: Site, errors: &mut Errors) {
    if site == Site::Method && sig.receiver().is_none() {
        errors.push(
            sig.ident.span(),
            "a `#[tool]` method takes `&self`; a function without `self` can be a free `#[tool] fn` \
             outside the `impl` block",
        );
    }

    if let Some(unsafety) = &sig.unsafety {
        errors.push(
            unsafety.span,
            "a tool cannot be an `unsafe fn`: the model decides when it runs, so no caller can uphold its safety contract; \
             make the function safe, or wrap it in a safe one",
        );
    }
    if let Some(abi) = &sig.abi {
        errors.push_spanned(
            abi,
            "a tool cannot be an `extern` function; write a plain Rust `fn` that calls it",
        );
    }
    if !sig.generics.params.is_empty() {
        errors.push_spanned(
            &sig.generics,
            "a tool cannot be generic: each parameter needs one concrete type for its JSON Schema \
             and decoder (lifetimes included: parameters must be owned)",
        );
    } else if let Some(where_clause) = &sig.generics.where_clause {
        errors.push_spanned(where_clause, "a tool cannot have a `where` clause");
    }
    if let Some(variadic) = &sig.variadic {
        errors.push_spanned(variadic, "a tool cannot be variadic");
    }
}

/// The parameters, each an argument the model sends or a value the runtime gives, with the
/// attributes only we understand taken off them.
fn params(sig: &mut Signature, site: Site, errors: &mut Errors) -> Vec<Param> {
    let mut params = Vec::new();
    let mut wire_names: Vec<(String, Span)> = Vec::new();
    let mut extractors: Vec<(String, String)> = Vec::new();
    for input in sig.inputs.iter_mut() {
        let typed = match input {
            FnArg::Receiver(receiver) => {
                check_receiver(receiver, site, errors);
                continue;
            }
            FnArg::Typed(typed) => typed,
        };
        let (ours, theirs): (Vec<Attribute>, Vec<Attribute>) = std::mem::take(&mut typed.attrs)
            .into_iter()
            .partition(|attr| {
                *attr.path() == DOC || *attr.path() == ARG || *attr.path() == EXTRACT
            });
        typed.attrs = theirs;
        let arg_attrs: Vec<&Attribute> = ours.iter().filter(|a| *a.path() == ARG).collect();
        let extract_attr = ours.iter().find(|a| *a.path() == EXTRACT);
        let options = ArgOptions::parse(&arg_attrs, errors);

        if let Some(kind) = extractor(&typed.ty, extract_attr, &arg_attrs, errors) {
            let key = compact(&typed.ty);
            match extractors.iter().find(|(seen, _)| *seen == key) {
                Some((_, first)) => errors.push_spanned(
                    &typed.ty,
                    format!(
                        "`{key}` is already taken by parameter `{first}`: a second one would be the same value"
                    ),
                ),
                None => extractors.push((key, compact_pat(&typed.pat))),
            }
            params.push(Param {
                ty: (*typed.ty).clone(),
                kind,
            });
            continue;
        }
        if let Some(argument) = argument(typed, &ours, options, &mut wire_names, errors) {
            params.push(Param {
                ty: (*typed.ty).clone(),
                kind: ParamKind::Argument(argument),
            });
        }
    }
    params
}

/// A parameter the model sends: its name on the wire (unique among `wire_names`), its
/// description and default. `None` when it is not a plain name.
fn argument(
    typed: &PatType,
    ours: &[Attribute],
    options: ArgOptions,
    wire_names: &mut Vec<(String, Span)>,
    errors: &mut Errors,
) -> Option<Argument> {
    let ident = match &*typed.pat {
        Pat::Ident(pat) if pat.by_ref.is_none() && pat.subpat.is_none() => pat.ident.clone(),
        other => {
            errors.push_spanned(
                other,
                "a tool parameter must be a plain name (`city: String`): the name becomes the \
                 argument's name in the schema; destructure inside the function instead",
            );
            return None;
        }
    };
    check_type(&typed.ty, true, errors);

    let wire_span = options.rename.as_ref().map_or(ident.span(), LitStr::span);
    let wire = options
        .rename
        .as_ref()
        .map_or_else(|| ident.unraw().to_string(), LitStr::value);
    check_parameter_name(&wire, wire_span, errors);
    if wire_names.iter().any(|(seen, _)| *seen == wire) {
        errors.push(
            wire_span,
            format!("two parameters are both named `{wire}` in the tool's arguments; rename one with `#[arg(rename = \"…\")]`"),
        );
    }
    wire_names.push((wire.clone(), wire_span));

    let description = options
        .description
        .as_ref()
        .map(LitStr::value)
        .or_else(|| doc_text(ours));
    Some(Argument {
        wire,
        description,
        default: options.default,
    })
}

/// How the return value becomes the call's output; a method's must not borrow.
fn output(sig: &Signature, site: Site, errors: &mut Errors) -> Output {
    if let (Site::Method, ReturnType::Type(_, ty)) = (site, &sig.output)
        && let Some(borrowed) = borrowed_part(ty)
    {
        let owned = match borrowed {
            Type::Reference(reference) => owned_suggestion(&reference.elem),
            other => compact(other),
        };
        errors.push_spanned(
            borrowed,
            format!(
                "a `#[tool]` method returns owned values (e.g. `{owned}`): its result goes to the \
                 model after the call, when `&self` is no longer lent"
            ),
        );
    }
    match &sig.output {
        ReturnType::Default => Output::Plain(Returned {
            ty: None,
            span: sig.ident.span(),
        }),
        ReturnType::Type(_, ty) => {
            if is_result(ty) {
                let mut parts = result_parts(ty).map(returned);
                let whole = || Returned {
                    ty: None,
                    span: ty.span(),
                };
                let value = parts.next().unwrap_or_else(whole);
                let error = parts.next().unwrap_or_else(whole);
                Output::Result { value, error }
            } else {
                Output::Plain(returned(ty))
            }
        }
    }
}

/// A part of the return type, named when it can be outside the function: when it mentions no
/// `Self` (the generated code is outside the `impl` block), `impl` or `dyn`.
fn returned(ty: &Type) -> Returned {
    let text = ty.to_token_stream().to_string();
    let nameable = !text
        .split(|c: char| !c.is_alphanumeric() && c != '_')
        .any(|word| word == "Self" || word == "impl" || word == "dyn");
    Returned {
        ty: nameable.then(|| Box::new(ty.clone())),
        span: ty.span(),
    }
}

/// The types written in a `Result`'s brackets: `T` and `E` of `Result<T, E>`, `T` of
/// `io::Result<T>`.
fn result_parts(ty: &Type) -> impl Iterator<Item = &Type> {
    let args = match strip(ty) {
        Type::Path(path) => path.path.segments.last().map(|segment| &segment.arguments),
        _ => None,
    };
    let args = match args {
        Some(syn::PathArguments::AngleBracketed(args)) => Some(&args.args),
        _ => None,
    };
    args.into_iter().flatten().filter_map(|arg| match arg {
        syn::GenericArgument::Type(ty) => Some(ty),
        _ => None,
    })
}

/// The tool's name: `#[tool(name = "…")]`, or the function's.
fn tool_name(name: Option<&LitStr>, ident: &Ident, errors: &mut Errors) -> String {
    let name_span = name.map_or(ident.span(), LitStr::span);
    let name = name.map_or_else(|| ident.unraw().to_string(), LitStr::value);
    check_tool_name(&name, name_span, errors);
    name
}

/// The tool's description: `#[tool(description = "…")]`, or the function's `///` docs. Models
/// choose tools by their descriptions, so none is an error.
fn description(args: &ToolArgs, item: &ItemFn, name: &str, errors: &mut Errors) -> Option<String> {
    let description = args
        .description
        .as_ref()
        .map(LitStr::value)
        .or_else(|| doc_text(&item.attrs))
        .filter(|d| !d.trim().is_empty());
    // A `description` that is not a string is reported as such.
    if description.is_none() && !(args.description_given && args.description.is_none()) {
        errors.push(
            item.sig.ident.span(),
            format!(
                "tool `{name}` has no description: models choose tools by their descriptions; \
                 add a `///` doc comment to the function or `#[tool(description = \"…\")]`"
            ),
        );
    }
    description
}

/// A method's receiver must be `&self`: the value is shared by every call, and calls run at the
/// same time.
fn check_receiver(receiver: &syn::Receiver, site: Site, errors: &mut Errors) {
    let message = if site == Site::Free {
        "`#[tool]` on a method needs `#[toolset]` on its `impl` block, which makes the \
         value's `#[tool]` methods its tools"
    } else if receiver.colon_token.is_some() {
        "a `#[tool]` method takes `&self`: write `&self`, not `self: Type`"
    } else if receiver.reference.is_none() {
        "a `#[tool]` method takes `&self`, not `self`: every call of the tool shares the value \
         (and calls run at the same time), so no call can use it up"
    } else if receiver.mutability.is_some() {
        "a `#[tool]` method takes `&self`, not `&mut self`: calls of one turn run at the same \
         time and share the value; keep what changes behind a `Mutex` or an atomic"
    } else {
        return;
    };
    errors.push_spanned(receiver, message);
}

/// What the runtime gives a parameter, if it is not an argument: `State<T>`, `CallContext`,
/// `PerRun<T>`, or a type marked `#[extract]`. `#[arg]` makes any type an argument.
fn extractor(
    ty: &Type,
    extract: Option<&Attribute>,
    arg: &[&Attribute],
    errors: &mut Errors,
) -> Option<ParamKind> {
    if let Some(extract) = extract {
        if let Some(arg) = arg.first() {
            errors.push_spanned(
                arg,
                "a parameter is either an argument the model sends (`#[arg]`) or a value the \
                 runtime gives (`#[extract]`), not both",
            );
        }
        if !matches!(extract.meta, syn::Meta::Path(_)) {
            errors.push_spanned(&extract.meta, "`#[extract]` takes no keys");
        }
    } else if !arg.is_empty() {
        return None;
    }
    let Type::Path(path) = ty else {
        return extract.map(|_| ParamKind::FromCall);
    };
    let last = path.path.segments.last()?;
    let single_type = match &last.arguments {
        syn::PathArguments::AngleBracketed(args) if args.args.len() == 1 => match &args.args[0] {
            syn::GenericArgument::Type(inner) => Some(inner),
            _ => None,
        },
        _ => None,
    };
    match (last.ident.to_string().as_str(), single_type) {
        ("State", Some(inner)) if path.qself.is_none() => Some(ParamKind::State(inner.clone())),
        ("PerRun", Some(_)) => Some(ParamKind::FromCall),
        ("CallContext", None) if last.arguments.is_none() => Some(ParamKind::FromCall),
        _ => extract.map(|_| ParamKind::FromCall),
    }
}

/// Anthropic refuses property names outside `^[a-zA-Z0-9_.-]{1,64}$` (the runtime's own rule).
fn check_parameter_name(name: &str, span: Span, errors: &mut Errors) {
    match name::check_parameter_name(name) {
        Ok(()) => {}
        Err(NameError::Length(length)) => errors.push(
            span,
            format!(
                "parameter name `{name}` is {length} characters long; Anthropic accepts 1 to {MAX_NAME_LEN}"
            ),
        ),
        Err(NameError::Character(bad)) => errors.push(
            span,
            format!(
                "parameter name `{name}` contains {bad:?}; Anthropic accepts only ASCII letters, \
                 digits, `_`, `.` and `-`: rename it with `#[arg(rename = \"…\")]`"
            ),
        ),
    }
}

/// OpenAI and Anthropic refuse tool names outside `^[a-zA-Z0-9_-]{1,64}$` (the runtime's own
/// rule).
fn check_tool_name(name: &str, span: Span, errors: &mut Errors) {
    match name::check_tool_name(name) {
        Ok(()) => {}
        Err(NameError::Length(length)) => errors.push(
            span,
            format!(
                "tool name `{name}` is {length} characters long; OpenAI and Anthropic accept 1 to {MAX_NAME_LEN}"
            ),
        ),
        Err(NameError::Character(bad)) => errors.push(
            span,
            format!(
                "tool name `{name}` contains {bad:?}; OpenAI and Anthropic accept only ASCII letters, digits, `_` and `-`"
            ),
        ),
    }
}

/// Rejects parameter types that cannot be decoded from the model's arguments, with a suggestion.
/// `top`: the parameter's own type, not a part of it.
fn check_type(ty: &Type, top: bool, errors: &mut Errors) {
    match ty {
        Type::Reference(reference) => {
            let owned = owned_suggestion(&reference.elem);
            let message = if reference.mutability.is_some() {
                "a tool parameter cannot be `&mut`: the arguments come from the model, so there is \
                 nothing of the caller's to borrow; take an owned value (a value the tools share and \
                 change goes in the toolbox's state: `State<T>`, with a `Mutex` inside)"
                    .to_owned()
            } else if top && extractor(&reference.elem, None, &[], &mut Errors::default()).is_some() {
                format!(
                    "take `{owned}` by value: the runtime gives each call its own, and cloning it is \
                     cheap"
                )
            } else if top && owned == compact(&reference.elem) {
                format!(
                    "a tool parameter must be owned: use `{owned}` for an argument the model sends, \
                     or `State<{owned}>` for a value of yours the toolbox gives every call \
                     (`Toolbox::with_state`)"
                )
            } else {
                format!(
                    "a tool parameter must be owned: the arguments are decoded from the model's JSON, \
                     which does not outlive the call; use `{owned}` instead"
                )
            };
            errors.push_spanned(reference, message);
        }
        Type::ImplTrait(impl_trait) => errors.push_spanned(
            impl_trait,
            "a tool parameter cannot be `impl Trait`: each parameter needs one concrete type for its \
             JSON Schema and decoder",
        ),
        Type::Infer(infer) => errors.push_spanned(infer, "a tool parameter needs a concrete type"),
        Type::Paren(inner) => check_type(&inner.elem, top, errors),
        Type::Group(inner) => check_type(&inner.elem, top, errors),
        Type::Array(array) => check_type(&array.elem, false, errors),
        Type::Slice(slice) => check_type(&slice.elem, false, errors),
        Type::Tuple(tuple) => tuple
            .elems
            .iter()
            .for_each(|elem| check_type(elem, false, errors)),
        Type::Path(path) => {
            for segment in &path.path.segments {
                if let syn::PathArguments::AngleBracketed(args) = &segment.arguments {
                    for arg in &args.args {
                        match arg {
                            syn::GenericArgument::Type(inner) => check_type(inner, false, errors),
                            syn::GenericArgument::Lifetime(lifetime)
                                if lifetime.ident != "static" =>
                            {
                                errors.push_spanned(
                                    lifetime,
                                    "a tool parameter must be owned: use a type without lifetimes \
                                     (or `'static`)",
                                )
                            }
                            _ => {}
                        }
                    }
                }
            }
        }
        _ => {}
    }
}

/// The first part of a return type that borrows (a reference or a lifetime other than
/// `'static`), if any.
fn borrowed_part(ty: &Type) -> Option<&Type> {
    let borrows = |lifetime: &syn::Lifetime| lifetime.ident != "static";
    match ty {
        Type::Reference(reference) => match &reference.lifetime {
            Some(lifetime) if !borrows(lifetime) => borrowed_part(&reference.elem),
            _ => Some(ty),
        },
        Type::Paren(inner) => borrowed_part(&inner.elem),
        Type::Group(inner) => borrowed_part(&inner.elem),
        Type::Array(array) => borrowed_part(&array.elem),
        Type::Slice(slice) => borrowed_part(&slice.elem),
        Type::Tuple(tuple) => tuple.elems.iter().find_map(borrowed_part),
        Type::Path(path) => path.path.segments.iter().find_map(|segment| {
            let syn::PathArguments::AngleBracketed(args) = &segment.arguments else {
                return None;
            };
            args.args.iter().find_map(|arg| match arg {
                syn::GenericArgument::Type(inner) => borrowed_part(inner),
                syn::GenericArgument::Lifetime(lifetime) if borrows(lifetime) => Some(ty),
                _ => None,
            })
        }),
        _ => None,
    }
}

/// `str` → `String`, `[T]` → `Vec<T>`, `Path` → `PathBuf`, `T` → `T`.
fn owned_suggestion(elem: &Type) -> String {
    match elem {
        Type::Slice(slice) => format!("Vec<{}>", compact(&slice.elem)),
        Type::Path(path) if path.path.is_ident("str") => "String".to_owned(),
        Type::Path(path) if path.path.is_ident("Path") => "PathBuf".to_owned(),
        other => compact(other),
    }
}

fn compact_pat(pat: &Pat) -> String {
    match pat {
        Pat::Ident(pat) => pat.ident.unraw().to_string(),
        other => compact_tokens(other),
    }
}

fn compact(ty: &Type) -> String {
    compact_tokens(ty)
}

fn compact_tokens(tokens: &impl ToTokens) -> String {
    tokens
        .to_token_stream()
        .to_string()
        .replace(" < ", "<")
        .replace(" >", ">")
        .replace("< ", "<")
        .replace(" ,", ",")
}

fn strip(ty: &Type) -> &Type {
    match ty {
        Type::Paren(inner) => strip(&inner.elem),
        Type::Group(inner) => strip(&inner.elem),
        other => other,
    }
}

/// Whether the return type is a `Result` by name (`Result<T, E>`, `io::Result<T>`, `anyhow::Result<T>`…).
fn is_result(ty: &Type) -> bool {
    match ty {
        Type::Path(path) => path
            .path
            .segments
            .last()
            .is_some_and(|segment| segment.ident == "Result"),
        Type::Paren(inner) => is_result(&inner.elem),
        Type::Group(inner) => is_result(&inner.elem),
        _ => false,
    }
}
