//! Parsing `#[tool(...)]` on the function and `#[arg(...)]` on its parameters.

use proc_macro2::{Span, TokenStream};
use syn::meta::ParseNestedMeta;
use syn::{Attribute, Expr, LitStr, Path};

use crate::errors::Errors;
use crate::symbol::{
    self, ARG_KEYS, CRATE, DEFAULT, DESCRIPTION, DESTRUCTIVE, IDEMPOTENT, NAME, NEEDS_APPROVAL,
    OPEN_WORLD, READ_ONLY, RENAME, SEQUENTIAL, Symbol, TIMEOUT, TITLE, TOOL_KEYS, TOOLSET_KEYS,
};

/// One `key = value` seen once, with the span of its key for "duplicate key" errors.
pub(crate) struct Once<T> {
    value: Option<(Span, T)>,
    key: Symbol,
}

impl<T> Once<T> {
    pub(crate) fn new(key: Symbol) -> Self {
        Self { value: None, key }
    }

    pub(crate) fn set(&mut self, span: Span, value: T, errors: &mut Errors) {
        if self.value.is_some() {
            errors.push(span, format!("duplicate {} key", self.key));
        } else {
            self.value = Some((span, value));
        }
    }

    pub(crate) fn get(self) -> Option<(Span, T)> {
        self.value
    }
}

/// `#[tool(name = "…", description = "…", crate = "…", timeout = "5s", sequential)]`.
pub(crate) struct ToolArgs {
    pub(crate) name: Option<LitStr>,
    pub(crate) description: Option<LitStr>,
    pub(crate) krate: Option<Path>,
    pub(crate) timeout: Option<(LitStr, u64)>,
    pub(crate) sequential: bool,
    pub(crate) approval: Option<ApprovalKey>,
    pub(crate) hints: Hints,
}

/// What MCP clients are told of a tool beyond its schema: a title, and hints about what it does
/// (`None`: not said).
#[derive(Default)]
pub(crate) struct Hints {
    pub(crate) title: Option<LitStr>,
    pub(crate) read_only: Option<bool>,
    pub(crate) destructive: Option<bool>,
    pub(crate) idempotent: Option<bool>,
    pub(crate) open_world: Option<bool>,
}

/// `needs_approval`: for every call, or when a predicate on the arguments says so.
pub(crate) enum ApprovalKey {
    Always,
    When(Box<Expr>),
}

impl ToolArgs {
    pub(crate) fn parse(tokens: TokenStream, errors: &mut Errors) -> Self {
        let mut name = Once::new(NAME);
        let mut description = Once::new(DESCRIPTION);
        let mut krate = Once::new(CRATE);
        let mut timeout = Once::new(TIMEOUT);
        let mut sequential = Once::new(SEQUENTIAL);
        let mut approval = Once::new(NEEDS_APPROVAL);
        let mut title = Once::new(TITLE);
        let mut flags = [
            Once::new(READ_ONLY),
            Once::new(DESTRUCTIVE),
            Once::new(IDEMPOTENT),
            Once::new(OPEN_WORLD),
        ];
        let parser = syn::meta::parser(|meta| {
            let span = meta.path.span_of_key();
            if meta.path == NAME {
                name.set(span, meta.value()?.parse::<LitStr>()?, errors);
            } else if meta.path == DESCRIPTION {
                description.set(span, meta.value()?.parse::<LitStr>()?, errors);
            } else if meta.path == CRATE {
                parse_crate(&meta, span, &mut krate, errors)?;
            } else if meta.path == TIMEOUT {
                let lit = meta.value()?.parse::<LitStr>()?;
                match parse_duration_ms(&lit.value()) {
                    Some(ms) => timeout.set(span, (lit, ms), errors),
                    None => errors.push(
                        lit.span(),
                        "invalid `timeout`: write a positive whole number with a unit, e.g. \"500ms\", \"5s\" or \"2m\"",
                    ),
                }
            } else if meta.path == SEQUENTIAL {
                sequential.set(span, (), errors);
            } else if meta.path == NEEDS_APPROVAL {
                let key = if meta.input.peek(syn::Token![=]) {
                    ApprovalKey::When(Box::new(meta.value()?.parse::<Expr>()?))
                } else {
                    ApprovalKey::Always
                };
                approval.set(span, key, errors);
            } else if meta.path == TITLE {
                title.set(span, meta.value()?.parse::<LitStr>()?, errors);
            } else if let Some(flag) = [READ_ONLY, DESTRUCTIVE, IDEMPOTENT, OPEN_WORLD]
                .iter()
                .position(|key| meta.path == *key)
            {
                let value = if meta.input.peek(syn::Token![=]) {
                    meta.value()?.parse::<syn::LitBool>()?.value
                } else {
                    true
                };
                flags[flag].set(span, value, errors);
            } else {
                errors.push(
                    span,
                    format!(
                        "unknown `#[tool]` key `{}`; expected one of {}",
                        path_text(&meta.path),
                        symbol::list(TOOL_KEYS)
                    ),
                );
                skip_value(&meta)?;
            }
            Ok(())
        });
        if let Err(error) = syn::parse::Parser::parse2(parser, tokens) {
            errors.add(error);
        }
        Self {
            name: name.get().map(|(_, v)| v),
            description: description.get().map(|(_, v)| v),
            krate: krate.get().map(|(_, v)| v),
            timeout: timeout.get().map(|(_, v)| v),
            sequential: sequential.get().is_some(),
            approval: approval.get().map(|(_, v)| v),
            hints: {
                let [read_only, destructive, idempotent, open_world] =
                    flags.map(|flag| flag.get().map(|(_, v)| v));
                Hints {
                    title: title.get().map(|(_, v)| v),
                    read_only,
                    destructive,
                    idempotent,
                    open_world,
                }
            },
        }
    }
}

/// `#[toolset(crate = "…")]`.
pub(crate) struct ToolsetArgs {
    pub(crate) krate: Option<Path>,
}

impl ToolsetArgs {
    pub(crate) fn parse(tokens: TokenStream, errors: &mut Errors) -> Self {
        let mut krate = Once::new(CRATE);
        let parser = syn::meta::parser(|meta| {
            let span = meta.path.span_of_key();
            if meta.path == CRATE {
                parse_crate(&meta, span, &mut krate, errors)?;
            } else {
                errors.push(
                    span,
                    format!(
                        "unknown `#[toolset]` key `{}`; expected one of {}",
                        path_text(&meta.path),
                        symbol::list(TOOLSET_KEYS)
                    ),
                );
                skip_value(&meta)?;
            }
            Ok(())
        });
        if let Err(error) = syn::parse::Parser::parse2(parser, tokens) {
            errors.add(error);
        }
        Self {
            krate: krate.get().map(|(_, v)| v),
        }
    }
}

/// `crate = "path"`.
fn parse_crate(
    meta: &ParseNestedMeta<'_>,
    span: Span,
    krate: &mut Once<Path>,
    errors: &mut Errors,
) -> syn::Result<()> {
    let lit = meta.value()?.parse::<LitStr>()?;
    match lit.parse::<Path>() {
        Ok(path) => krate.set(span, path, errors),
        Err(_) => errors.push(
            lit.span(),
            "`crate` must be a path, e.g. \"my_reexport::tool_runtime\"",
        ),
    }
    Ok(())
}

/// `#[arg(rename = "…", default, default = expr, description = "…")]` on a parameter.
#[derive(Default)]
pub(crate) struct ArgOptions {
    pub(crate) rename: Option<LitStr>,
    pub(crate) default: Option<DefaultValue>,
    pub(crate) description: Option<LitStr>,
}

/// Where a parameter's default comes from.
pub(crate) enum DefaultValue {
    /// `#[arg(default)]`: `Default::default()`.
    Trait(Span),
    /// `#[arg(default = expr)]`.
    Expr(Box<Expr>),
}

impl ArgOptions {
    /// Reads every `#[arg(...)]` in `attrs`; several attributes merge, a key given twice is an error.
    pub(crate) fn parse(attrs: &[&Attribute], errors: &mut Errors) -> Self {
        let mut rename = Once::new(RENAME);
        let mut default = Once::new(DEFAULT);
        let mut description = Once::new(DESCRIPTION);
        for attr in attrs {
            // A bare `#[arg]` says only that the parameter is an argument.
            if matches!(attr.meta, syn::Meta::Path(_)) {
                continue;
            }
            let result = attr.parse_nested_meta(|meta: ParseNestedMeta<'_>| {
                let span = meta.path.span_of_key();
                if meta.path == RENAME {
                    rename.set(span, meta.value()?.parse::<LitStr>()?, errors);
                } else if meta.path == DESCRIPTION {
                    description.set(span, meta.value()?.parse::<LitStr>()?, errors);
                } else if meta.path == DEFAULT {
                    let value = if meta.input.peek(syn::Token![=]) {
                        DefaultValue::Expr(Box::new(meta.value()?.parse::<Expr>()?))
                    } else {
                        DefaultValue::Trait(span)
                    };
                    default.set(span, value, errors);
                } else {
                    errors.push(
                        span,
                        format!(
                            "unknown `#[arg]` key `{}`; expected one of {}",
                            path_text(&meta.path),
                            symbol::list(ARG_KEYS)
                        ),
                    );
                    skip_value(&meta)?;
                }
                Ok(())
            });
            if let Err(error) = result {
                errors.add(error);
            }
        }
        Self {
            rename: rename.get().map(|(_, v)| v),
            default: default.get().map(|(_, v)| v),
            description: description.get().map(|(_, v)| v),
        }
    }
}

/// Consumes an unknown key's `= value`, if any, so the keys after it are still checked.
fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        meta.value()?.parse::<Expr>()?;
    }
    Ok(())
}

/// `500ms`, `5s`, `2m` → milliseconds. Zero is refused: a call needs some time to run.
fn parse_duration_ms(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().ok()?;
    let factor = match unit.trim() {
        "ms" => 1,
        "s" => 1_000,
        "m" | "min" => 60_000,
        "h" => 3_600_000,
        _ => return None,
    };
    number.checked_mul(factor).filter(|&ms| ms > 0)
}

fn path_text(path: &Path) -> String {
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    segments.join("::")
}

trait SpanOfKey {
    fn span_of_key(&self) -> Span;
}

impl SpanOfKey for Path {
    fn span_of_key(&self) -> Span {
        self.segments
            .first()
            .map_or_else(Span::call_site, |s| s.ident.span())
    }
}

#[cfg(test)]
mod tests {
    use super::parse_duration_ms;

    #[test]
    fn durations() {
        assert_eq!(parse_duration_ms("500ms"), Some(500));
        assert_eq!(parse_duration_ms("5s"), Some(5_000));
        assert_eq!(parse_duration_ms("2m"), Some(120_000));
        assert_eq!(parse_duration_ms("1h"), Some(3_600_000));
        assert_eq!(parse_duration_ms("0s"), None);
        assert_eq!(parse_duration_ms("5"), None);
        assert_eq!(parse_duration_ms("five s"), None);
        assert_eq!(parse_duration_ms("1.5s"), None);
    }
}
