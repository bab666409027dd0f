//! Parsing `#[tool(...)]` on the function and `#[arg(...)]` on its parameters.

use proc_macro2::{Span, TokenStream};
use syn::meta::ParseNestedMeta;
use syn::{Attribute, Expr, LitStr, Path};

use crate::errors::Errors;

/// One `key = value` seen once, with the span of its key for "duplicate key" errors.
pub(crate) struct Once<T> {
    value: Option<(Span, T)>,
    key: &'static str,
}

impl<T> Once<T> {
    pub(crate) fn new(key: &'static str) -> Self {
        Self { value: None, key }
    }

    pub(crate) fn set(&mut self, span: Span, value: T, errors: &mut Errors) {
        if self.value.is_some() {
            errors.push(span, format!("duplicate `{}` key", self.key));
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
}

const TOOL_KEYS: &str = "`name`, `description`, `crate`, `timeout`, `sequential`";

impl ToolArgs {
    pub(crate) fn parse(tokens: TokenStream, errors: &mut Errors) -> Self {
        let mut name = Once::new("name");
        let mut description = Once::new("description");
        let mut krate = Once::new("crate");
        let mut timeout = Once::new("timeout");
        let mut sequential = Once::new("sequential");
        let parser = syn::meta::parser(|meta| {
            let span = meta.path.span_of_key();
            if meta.path.is_ident("name") {
                name.set(span, meta.value()?.parse::<LitStr>()?, errors);
            } else if meta.path.is_ident("description") {
                description.set(span, meta.value()?.parse::<LitStr>()?, errors);
            } else if meta.path.is_ident("crate") {
                let lit = meta.value()?.parse::<LitStr>()?;
                match lit.parse::<Path>() {
                    Ok(path) => krate.set(span, path, errors),
                    Err(_) => errors.push(
                        lit.span(),
                        "`crate` must be a path, e.g. \"my_reexport::tool_runtime\"",
                    ),
                }
            } else if meta.path.is_ident("timeout") {
                let lit = meta.value()?.parse::<LitStr>()?;
                match parse_duration_ms(&lit.value()) {
                    Some(ms) => timeout.set(span, (lit, ms), errors),
                    None => errors.push(
                        lit.span(),
                        "invalid `timeout`: write a positive whole number with a unit, e.g. \"500ms\", \"5s\" or \"2m\"",
                    ),
                }
            } else if meta.path.is_ident("sequential") {
                sequential.set(span, (), errors);
            } else {
                errors.push(
                    span,
                    format!(
                        "unknown `#[tool]` key `{}`; expected one of {TOOL_KEYS}",
                        path_text(&meta.path)
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
        }
    }
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

const ARG_KEYS: &str = "`rename`, `default`, `description`";

impl ArgOptions {
    /// Reads every `#[arg(...)]` in `attrs`; several attributes merge, a key given twice is an error.
    pub(crate) fn parse(attrs: &[&Attribute], errors: &mut Errors) -> Self {
        let mut rename = Once::new("rename");
        let mut default = Once::new("default");
        let mut description = Once::new("description");
        for attr in attrs {
            let result = attr.parse_nested_meta(|meta: ParseNestedMeta<'_>| {
                let span = meta.path.span_of_key();
                if meta.path.is_ident("rename") {
                    rename.set(span, meta.value()?.parse::<LitStr>()?, errors);
                } else if meta.path.is_ident("description") {
                    description.set(span, meta.value()?.parse::<LitStr>()?, errors);
                } else if meta.path.is_ident("default") {
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
                            "unknown `#[arg]` key `{}`; expected one of {ARG_KEYS}",
                            path_text(&meta.path)
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

/// The text of the `///` comments in `attrs`: one leading space stripped per line, trimmed.
pub(crate) fn doc_text(attrs: &[Attribute]) -> Option<String> {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|attr| attr.path().is_ident("doc"))
        .filter_map(|attr| match &attr.meta {
            syn::Meta::NameValue(nv) => match &nv.value {
                Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .flat_map(|doc| {
            doc.split('\n')
                .map(|line| line.strip_prefix(' ').unwrap_or(line).trim_end().to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    // Rustdoc sections (`# Errors`, `# Examples`…) are for Rust readers, not for the model.
    let mut in_code = false;
    let end = lines
        .iter()
        .position(|line| {
            if line.trim_start().starts_with("```") {
                in_code = !in_code;
            }
            !in_code && line.starts_with("# ")
        })
        .unwrap_or(lines.len());
    let text = lines[..end].join("\n");
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
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
    use super::{doc_text, parse_duration_ms};

    #[test]
    fn docs_stop_at_the_first_rustdoc_section() {
        let attrs: Vec<syn::Attribute> = vec![
            syn::parse_quote!(#[doc = " Get the weather."]),
            syn::parse_quote!(#[doc = ""]),
            syn::parse_quote!(#[doc = " ```sh"]),
            syn::parse_quote!(#[doc = " # not a heading inside code"]),
            syn::parse_quote!(#[doc = " ```"]),
            syn::parse_quote!(#[doc = " # Errors"]),
            syn::parse_quote!(#[doc = " When the city is unknown."]),
        ];
        assert_eq!(
            doc_text(&attrs).as_deref(),
            Some("Get the weather.\n\n```sh\n# not a heading inside code\n```")
        );
    }

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
