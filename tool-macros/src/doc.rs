//! Doc comments: the tool's and each parameter's description.

use syn::{Attribute, Expr};

use crate::symbol::DOC;

/// The text of the `///` comments in `attrs`: one leading space stripped per line, trimmed.
pub(crate) fn doc_text(attrs: &[Attribute]) -> Option<String> {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|attr| *attr.path() == DOC)
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

#[cfg(test)]
mod tests {
    use super::doc_text;

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
}
