//! Parsing `#[tool(...)]` on the function and `#[arg(...)]` on its parameters.

use proc_macro2::{Span, TokenStream};
use syn::meta::ParseNestedMeta;
use syn::{Attribute, Expr, ExprLit, Lit, LitStr, Path};

use crate::errors::Errors;
use crate::suggest;
use crate::symbol::{
    self, ARG_KEYS, CRATE, DEFAULT, DESCRIPTION, DESTRUCTIVE, IDEMPOTENT, NAME, NEEDS_APPROVAL,
    OPEN_WORLD, READ_ONLY, RENAME, SEQUENTIAL, Symbol, TIMEOUT, TITLE, TOOL_KEYS, TOOLSET_KEYS,
};

/// MCP's hints, each a flag or `= bool`, in `Hints`'s order.
const FLAGS: [Symbol; 4] = [READ_ONLY, DESTRUCTIVE, IDEMPOTENT, OPEN_WORLD];

/// One `key = value` seen once, with the span of its key for "duplicate key" errors.
pub(crate) struct Once<T> {
    value: Option<(Span, T)>,
    key: Symbol,
    /// Whether the key was given, its value right or not.
    seen: bool,
}

impl<T> Once<T> {
    pub(crate) fn new(key: Symbol) -> Self {
        Self {
            value: None,
            key,
            seen: false,
        }
    }

    pub(crate) fn set(&mut self, span: Span, value: T, errors: &mut Errors) {
        if self.seen(span, errors) {
            self.value = Some((span, value));
        }
    }

    /// `value`, when there is one (the key's value was wrong: that is reported already).
    fn set_some(&mut self, span: Span, value: Option<T>, errors: &mut Errors) {
        if self.seen(span, errors) {
            self.value = value.map(|value| (span, value));
        }
    }

    /// Notes the key at `span`; false (and an error) when it was given before.
    fn seen(&mut self, span: Span, errors: &mut Errors) -> bool {
        if self.seen {
            errors.push(span, format!("duplicate {} key", self.key));
            return false;
        }
        self.seen = true;
        true
    }

    pub(crate) fn get(self) -> Option<(Span, T)> {
        self.value
    }
}

/// `#[tool(name = "…", description = "…", crate = "…", timeout = "5s", sequential)]`.
pub(crate) struct ToolArgs {
    pub(crate) name: Option<LitStr>,
    pub(crate) description: Option<LitStr>,
    /// Whether `description` was given, even with a value that is not a string (then its error
    /// is the one reported, not that the tool has no description).
    pub(crate) description_given: bool,
    pub(crate) krate: Option<Path>,
    /// In milliseconds.
    pub(crate) timeout: Option<u64>,
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
        let mut flags = FLAGS.map(Once::new);
        let parser = syn::meta::parser(|meta| {
            let span = meta.path.span_of_key();
            if meta.path == NAME {
                let value = string(&meta, NAME, "`name = \"get_weather\"`", errors)?;
                name.set_some(span, value, errors);
            } else if meta.path == DESCRIPTION {
                let example = "`description = \"Get the weather in a city.\"`";
                let value = string(&meta, DESCRIPTION, example, errors)?;
                description.set_some(span, value, errors);
            } else if meta.path == CRATE {
                parse_crate(&meta, span, &mut krate, errors)?;
            } else if meta.path == TIMEOUT {
                let value = parse_timeout(&meta, errors)?;
                timeout.set_some(span, value, errors);
            } else if meta.path == SEQUENTIAL {
                no_value(&meta, SEQUENTIAL, errors)?;
                sequential.set(span, (), errors);
            } else if meta.path == NEEDS_APPROVAL {
                let key = if meta.input.peek(syn::Token![=]) {
                    ApprovalKey::When(Box::new(meta.value()?.parse::<Expr>()?))
                } else {
                    ApprovalKey::Always
                };
                approval.set(span, key, errors);
            } else if meta.path == TITLE {
                let value = string(&meta, TITLE, "`title = \"Weather\"`", errors)?;
                title.set_some(span, value, errors);
            } else if let Some(flag) = FLAGS.iter().position(|key| meta.path == *key) {
                let value = flag_value(&meta, FLAGS[flag], errors)?;
                flags[flag].set_some(span, value, errors);
            } else {
                unknown_key(&meta, "#[tool]", TOOL_KEYS, errors)?;
            }
            Ok(())
        });
        if let Err(error) = syn::parse::Parser::parse2(parser, tokens) {
            errors.add(error);
        }
        Self {
            name: name.get().map(|(_, v)| v),
            description_given: description.seen,
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
                unknown_key(&meta, "#[toolset]", TOOLSET_KEYS, errors)?;
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
    let example = "`crate = \"my_reexport::tool_runtime\"`";
    let path = string(meta, CRATE, example, errors)?.and_then(|lit| match lit.parse::<Path>() {
        Ok(path) => Some(path),
        Err(_) => {
            errors.push(
                lit.span(),
                "`crate` must be a path, e.g. \"my_reexport::tool_runtime\"",
            );
            None
        }
    });
    krate.set_some(span, path, errors);
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
                    let value = string(&meta, RENAME, "`rename = \"city\"`", errors)?;
                    rename.set_some(span, value, errors);
                } else if meta.path == DESCRIPTION {
                    let example = "`description = \"The city's name.\"`";
                    let value = string(&meta, DESCRIPTION, example, errors)?;
                    description.set_some(span, value, errors);
                } else if meta.path == DEFAULT {
                    let value = if meta.input.peek(syn::Token![=]) {
                        DefaultValue::Expr(Box::new(meta.value()?.parse::<Expr>()?))
                    } else {
                        DefaultValue::Trait(span)
                    };
                    default.set(span, value, errors);
                } else {
                    unknown_key(&meta, "#[arg]", ARG_KEYS, errors)?;
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

/// An unknown key of `attribute`: an error that names the key meant, when one is close, and
/// lists `keys`. Its value, if any, is skipped, so the keys after it are still checked.
fn unknown_key(
    meta: &ParseNestedMeta<'_>,
    attribute: &str,
    keys: &[Symbol],
    errors: &mut Errors,
) -> syn::Result<()> {
    let key = path_text(&meta.path);
    let meant = suggest::meant(&key, keys)
        .map(|meant| format!(": did you mean {meant}? Expected"))
        .unwrap_or_else(|| "; expected".to_owned());
    errors.push(
        meta.path.span_of_key(),
        format!(
            "unknown `{attribute}` key `{key}`{meant} one of {}",
            symbol::list(keys)
        ),
    );
    skip_value(meta)
}

/// Consumes a key's `= value` or `(…)`, if any, so the keys after it are still checked.
fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        meta.value()?.parse::<Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.input.parse::<proc_macro2::TokenTree>()?;
    }
    Ok(())
}

/// The expression after `key =`; `None`, with an error saying what `key` takes (`example`: a
/// whole `key = value`), when there is no `=`.
fn value(
    meta: &ParseNestedMeta<'_>,
    key: Symbol,
    example: &str,
    errors: &mut Errors,
) -> syn::Result<Option<Expr>> {
    if meta.input.peek(syn::Token![=]) {
        return meta.value()?.parse::<Expr>().map(Some);
    }
    errors.push(
        meta.path.span_of_key(),
        format!("{key} takes a value, e.g. {example}"),
    );
    skip_value(meta)?;
    Ok(None)
}

/// `key = "…"`; `None`, with an error saying what `key` takes, for anything else.
fn string(
    meta: &ParseNestedMeta<'_>,
    key: Symbol,
    example: &str,
    errors: &mut Errors,
) -> syn::Result<Option<LitStr>> {
    let Some(value) = value(meta, key, example, errors)? else {
        return Ok(None);
    };
    if let Expr::Lit(ExprLit {
        lit: Lit::Str(lit), ..
    }) = value
    {
        return Ok(Some(lit));
    }
    let what = if key == CRATE {
        "a path in a string"
    } else {
        "a string literal"
    };
    // `name = get_weather`: the same, in quotes.
    let instead = match &value {
        Expr::Path(path) if path.qself.is_none() => {
            format!(": `{} = \"{}\"`", key.as_str(), path_text(&path.path))
        }
        _ => format!(", e.g. {example}"),
    };
    errors.push_spanned(&value, format!("{key} takes {what}{instead}"));
    Ok(None)
}

/// `timeout = "5s"` in milliseconds; `None`, with an error saying what `timeout` takes, for
/// anything else.
fn parse_timeout(meta: &ParseNestedMeta<'_>, errors: &mut Errors) -> syn::Result<Option<u64>> {
    let example = "`timeout = \"5s\"`";
    let Some(value) = value(meta, TIMEOUT, example, errors)? else {
        return Ok(None);
    };
    let message = match &value {
        Expr::Lit(ExprLit {
            lit: Lit::Str(lit), ..
        }) => match parse_duration_ms(&lit.value()) {
            Some(ms) => return Ok(Some(ms)),
            None => "invalid `timeout`: write a positive whole number with a unit, e.g. \"500ms\", \"5s\", \"2m\" or \"1h\"".to_owned(),
        },
        // `timeout = 5s` is a number with the suffix `s`: the same, in quotes.
        Expr::Lit(ExprLit {
            lit: Lit::Int(int), ..
        }) if parse_duration_ms(&int.to_string()).is_some() => {
            format!("`timeout` takes a duration string: `timeout = \"{int}\"`")
        }
        _ => "`timeout` takes a duration string such as `\"5s\"` or `\"500ms\"`".to_owned(),
    };
    errors.push_spanned(&value, message);
    Ok(None)
}

/// A flag: `key` alone (true) or `key = true|false`; `None`, with an error, for anything else.
fn flag_value(
    meta: &ParseNestedMeta<'_>,
    key: Symbol,
    errors: &mut Errors,
) -> syn::Result<Option<bool>> {
    if !meta.input.peek(syn::Token![=]) {
        return Ok(Some(true));
    }
    let value = meta.value()?.parse::<Expr>()?;
    if let Expr::Lit(ExprLit {
        lit: Lit::Bool(flag),
        ..
    }) = value
    {
        return Ok(Some(flag.value));
    }
    errors.push_spanned(
        &value,
        format!(
            "{key} takes `true` or `false`, or nothing: `{0}` alone is `{0} = true`",
            key.as_str()
        ),
    );
    Ok(None)
}

/// A flag that takes no value (`sequential`): an error for `= …` or `(…)`.
fn no_value(meta: &ParseNestedMeta<'_>, key: Symbol, errors: &mut Errors) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) || meta.input.peek(syn::token::Paren) {
        errors.push(
            meta.path.span_of_key(),
            format!("{key} takes no value: write `{}` alone", key.as_str()),
        );
        skip_value(meta)?;
    }
    Ok(())
}

/// `500ms`, `5s`, `2m`, `1h` → milliseconds. Zero is refused: a call needs some time to run.
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
