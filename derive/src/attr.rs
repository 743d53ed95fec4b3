//! The attributes the derive reads: its own `#[koffer(...)]`, the serde
//! attributes that change names or the wire format, and doc comments.

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Attribute, Error, Lit, LitInt, LitStr, Path, Result, Token};

use crate::case::{RenameRule, RULES};

/// Longest name, unit, description or record name (spec `schema.md` §1).
pub const MAX_NAME_LEN: usize = 255;

/// `#[koffer(...)]` and `#[serde(...)]` on the struct or enum.
pub struct ContainerAttrs {
    /// Path of the koffer crate (`#[koffer(crate = "...")]`), `::koffer` by default.
    pub krate: Path,
    /// `#[koffer(record = "...")]`.
    pub record: Option<LitStr>,
    /// `#[koffer(version = N)]`.
    pub version: Option<(u32, LitInt)>,
    /// Doc comments of fields become descriptions (`#[koffer(docs = false)]` turns it off).
    pub docs: bool,
    /// `#[serde(rename = "...")]`.
    pub rename: Option<String>,
    /// `#[serde(rename_all = "...")]`.
    pub rename_all: Option<RenameRule>,
    /// `#[serde(rename_all_fields = "...")]`.
    pub rename_all_fields: Option<RenameRule>,
    /// `#[serde(transparent)]`.
    pub transparent: bool,
}

/// `#[koffer(...)]` and `#[serde(...)]` on a field.
#[derive(Default)]
pub struct FieldAttrs {
    /// Span of the first `#[koffer(...)]` key other than `bytes`, for the
    /// error on fields that cannot carry annotations.
    pub annotation_span: Option<Span>,
    pub unit: Option<String>,
    pub description: Option<String>,
    pub scale: Option<f64>,
    pub offset: Option<f64>,
    pub time: Option<String>,
    /// `#[koffer(bytes)]`.
    pub bytes: bool,
    /// `#[serde(rename = "...")]`.
    pub rename: Option<String>,
    /// `#[serde(skip)]`, or both `skip_serializing` and `skip_deserializing`.
    pub skip: bool,
    /// The doc comment, lines trimmed and joined with a space.
    pub doc: Option<(String, Span)>,
}

/// `#[serde(...)]` on a variant.
#[derive(Default)]
pub struct VariantAttrs {
    /// `#[serde(rename = "...")]`.
    pub rename: Option<String>,
    /// `#[serde(rename_all = "...")]`: the names of a struct variant's fields.
    pub rename_all: Option<RenameRule>,
}

fn is_koffer(attr: &Attribute) -> bool {
    attr.path().is_ident("koffer")
}

fn is_serde(attr: &Attribute) -> bool {
    attr.path().is_ident("serde")
}

fn duplicate(meta: &ParseNestedMeta, key: &str) -> Error {
    meta.error(format!("duplicate `#[koffer({key})]`"))
}

/// Consumes the value of a serde key this derive does not need:
/// `= <tokens up to the next comma>` or `(...)`.
fn skip_value(meta: &ParseNestedMeta) -> Result<()> {
    if meta.input.peek(Token![=]) {
        meta.input.parse::<Token![=]>()?;
        while !meta.input.is_empty() && !meta.input.peek(Token![,]) {
            meta.input.parse::<TokenTree>()?;
        }
    } else if meta.input.peek(syn::token::Paren) {
        let content;
        syn::parenthesized!(content in meta.input);
        content.parse::<TokenStream>()?;
    }
    Ok(())
}

fn key_name(meta: &ParseNestedMeta) -> String {
    let path = &meta.path;
    quote::quote!(#path).to_string().replace(' ', "")
}

/// A string value that must be a non-empty name of at most 255 bytes.
fn parse_name(meta: &ParseNestedMeta, what: &str) -> Result<String> {
    let lit: LitStr = meta.value()?.parse().map_err(|e| {
        Error::new(
            e.span(),
            format!("expected a string literal: {what} = \"...\""),
        )
    })?;
    check_name(&lit.value(), lit.span(), what)?;
    Ok(lit.value())
}

/// Checks that `name` is 1 to 255 bytes (spec `schema.md` §1).
pub fn check_name(name: &str, span: Span, what: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::new(span, format!("{what} must not be empty")));
    }
    if name.len() > MAX_NAME_LEN {
        return Err(Error::new(
            span,
            format!(
                "{what} is {} bytes long; koffer names are at most {MAX_NAME_LEN} bytes",
                name.len()
            ),
        ));
    }
    Ok(())
}

/// `= 0.01`, `= -40`, `= 1e-3`: a finite number.
fn parse_number(meta: &ParseNestedMeta, key: &str) -> Result<f64> {
    let input = meta.value()?;
    let neg: Option<Token![-]> = input.parse()?;
    let expected = || {
        Error::new(
            input.span(),
            format!("expected a number: {key} = 0.01, {key} = -40"),
        )
    };
    if !(input.peek(syn::LitFloat) || input.peek(syn::LitInt)) {
        return Err(expected());
    }
    let lit: Lit = input.parse()?;
    let v: f64 = match &lit {
        Lit::Float(f) => f.base10_parse()?,
        Lit::Int(i) => i.base10_parse()?,
        _ => return Err(expected()),
    };
    let v = if neg.is_some() { -v } else { v };
    if !v.is_finite() {
        return Err(Error::new(lit.span(), format!("{key} must be finite")));
    }
    Ok(v)
}

/// `= "camelCase"` or `(serialize = "camelCase", deserialize = "...")`: the
/// serialize rule.
fn parse_rename_rule(meta: &ParseNestedMeta) -> Result<Option<RenameRule>> {
    let rule = |lit: LitStr| -> Result<RenameRule> {
        RenameRule::from_name(&lit.value()).ok_or_else(|| {
            let names: Vec<String> = RULES.iter().map(|(n, _)| format!("{n:?}")).collect();
            Error::new(
                lit.span(),
                format!(
                    "unknown rename rule {:?}, expected one of {}",
                    lit.value(),
                    names.join(", ")
                ),
            )
        })
    };
    let mut found = None;
    if meta.input.peek(Token![=]) {
        found = Some(rule(meta.value()?.parse()?)?);
    } else {
        meta.parse_nested_meta(|inner| {
            if inner.path.is_ident("serialize") {
                found = Some(rule(inner.value()?.parse()?)?);
            } else {
                skip_value(&inner)?;
            }
            Ok(())
        })?;
    }
    Ok(found)
}

/// `= "name"` or `(serialize = "name", deserialize = "...")`: the serialize
/// name.
fn parse_rename(meta: &ParseNestedMeta) -> Result<Option<String>> {
    let name = |lit: LitStr| -> Result<String> {
        check_name(&lit.value(), lit.span(), "a renamed name")?;
        Ok(lit.value())
    };
    let mut found = None;
    if meta.input.peek(Token![=]) {
        found = Some(name(meta.value()?.parse()?)?);
    } else {
        meta.parse_nested_meta(|inner| {
            if inner.path.is_ident("serialize") {
                found = Some(name(inner.value()?.parse()?)?);
            } else {
                skip_value(&inner)?;
            }
            Ok(())
        })?;
    }
    Ok(found)
}

fn unsupported(meta: &ParseNestedMeta, why: &str) -> Error {
    meta.error(format!(
        "koffer: `#[serde({})]` is not supported: {why}",
        key_name(meta)
    ))
}

const NOT_POSTCARD: &str =
    "postcard cannot encode it faithfully, so no koffer schema can describe it";

pub fn container(attrs: &[Attribute], is_enum: bool) -> Result<ContainerAttrs> {
    let mut c = ContainerAttrs {
        krate: syn::parse_quote!(::koffer),
        record: None,
        version: None,
        docs: true,
        rename: None,
        rename_all: None,
        rename_all_fields: None,
        transparent: false,
    };
    let mut krate_set = false;
    let mut docs_set = false;
    for attr in attrs {
        if is_koffer(attr) {
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("record") {
                    if c.record.is_some() {
                        return Err(duplicate(&meta, "record"));
                    }
                    let lit: LitStr = meta.value()?.parse().map_err(|e| {
                        Error::new(e.span(), "expected a string literal: record = \"sample\"")
                    })?;
                    check_name(&lit.value(), lit.span(), "a record type name")?;
                    c.record = Some(lit);
                } else if meta.path.is_ident("version") {
                    if c.version.is_some() {
                        return Err(duplicate(&meta, "version"));
                    }
                    let lit: LitInt = meta
                        .value()?
                        .parse()
                        .map_err(|e| Error::new(e.span(), "expected an integer: version = 1"))?;
                    let v = lit
                        .base10_parse::<u32>()
                        .map_err(|_| Error::new(lit.span(), "a record type version is a u32"))?;
                    c.version = Some((v, lit));
                } else if meta.path.is_ident("crate") {
                    if krate_set {
                        return Err(duplicate(&meta, "crate"));
                    }
                    let lit: LitStr = meta.value()?.parse()?;
                    c.krate = lit.parse()?;
                    krate_set = true;
                } else if meta.path.is_ident("docs") {
                    if docs_set {
                        return Err(duplicate(&meta, "docs"));
                    }
                    let lit: syn::LitBool = meta.value()?.parse().map_err(|e| {
                        Error::new(e.span(), "expected `true` or `false`: docs = false")
                    })?;
                    c.docs = lit.value;
                    docs_set = true;
                } else {
                    return Err(meta.error(format!(
                        "unknown koffer attribute `{}` on a type; expected `record = \"...\"`, \
                         `version = N`, `docs = false` or `crate = \"...\"`",
                        key_name(&meta)
                    )));
                }
                Ok(())
            })?;
        } else if is_serde(attr) {
            attr.parse_nested_meta(|meta| {
                let p = &meta.path;
                if p.is_ident("rename") {
                    if let Some(n) = parse_rename(&meta)? {
                        c.rename = Some(n);
                    }
                } else if p.is_ident("rename_all") {
                    if let Some(r) = parse_rename_rule(&meta)? {
                        c.rename_all = Some(r);
                    }
                } else if p.is_ident("rename_all_fields") {
                    if let Some(r) = parse_rename_rule(&meta)? {
                        c.rename_all_fields = Some(r);
                    }
                } else if p.is_ident("transparent") {
                    c.transparent = true;
                } else if p.is_ident("tag") || p.is_ident("content") || p.is_ident("untagged") {
                    return Err(unsupported(
                        &meta,
                        "internally, adjacently tagged and untagged enums need a \
                         self-describing format; postcard writes enums as a variant index",
                    ));
                } else if p.is_ident("into") || p.is_ident("from") || p.is_ident("try_from") {
                    return Err(unsupported(
                        &meta,
                        "the type is written as another type; derive `Describe` on that \
                         type, or implement `koffer::schema::Describe` by hand",
                    ));
                } else {
                    skip_value(&meta)?;
                }
                Ok(())
            })?;
        }
    }
    if let (Some((_, lit)), None) = (&c.version, &c.record) {
        return Err(Error::new(
            lit.span(),
            "`version` needs `record = \"name\"`: #[koffer(record = \"sample\", version = 1)]",
        ));
    }
    if let (Some(record), None) = (&c.record, &c.version) {
        return Err(Error::new(
            record.span(),
            "a record type needs a version: #[koffer(record = \"sample\", version = 1)]",
        ));
    }
    if c.transparent && is_enum {
        return Err(Error::new(
            Span::call_site(),
            "`#[serde(transparent)]` is for structs",
        ));
    }
    Ok(c)
}

pub fn field(attrs: &[Attribute]) -> Result<FieldAttrs> {
    let mut f = FieldAttrs::default();
    let mut skip_ser: Option<Span> = None;
    let mut skip_de: Option<Span> = None;
    let mut with: Option<Span> = None;
    let mut doc_lines: Vec<String> = Vec::new();
    let mut doc_span: Option<Span> = None;
    for attr in attrs {
        if is_koffer(attr) {
            attr.parse_nested_meta(|meta| {
                let p = &meta.path;
                if !p.is_ident("bytes") && f.annotation_span.is_none() {
                    f.annotation_span = Some(p.span());
                }
                if p.is_ident("unit") {
                    if f.unit.is_some() {
                        return Err(duplicate(&meta, "unit"));
                    }
                    f.unit = Some(parse_name(&meta, "unit")?);
                } else if p.is_ident("description") {
                    if f.description.is_some() {
                        return Err(duplicate(&meta, "description"));
                    }
                    f.description = Some(parse_name(&meta, "description")?);
                } else if p.is_ident("scale") {
                    if f.scale.is_some() {
                        return Err(duplicate(&meta, "scale"));
                    }
                    let span = meta.input.span();
                    let v = parse_number(&meta, "scale")?;
                    if v == 0.0 {
                        return Err(Error::new(span, "scale must not be zero"));
                    }
                    f.scale = Some(v);
                } else if p.is_ident("offset") {
                    if f.offset.is_some() {
                        return Err(duplicate(&meta, "offset"));
                    }
                    f.offset = Some(parse_number(&meta, "offset")?);
                } else if p.is_ident("time") {
                    if f.time.is_some() {
                        return Err(duplicate(&meta, "time"));
                    }
                    if meta.input.peek(Token![=]) {
                        let lit: LitStr = meta.value()?.parse().map_err(|e| {
                            Error::new(e.span(), "expected a string literal: time = \"unix\"")
                        })?;
                        let base = lit.value();
                        if !matches!(base.as_str(), "" | "unix" | "boot") {
                            return Err(Error::new(
                                lit.span(),
                                "unknown time base; expected `time` (the container's \
                                 time.base), `time = \"unix\"` or `time = \"boot\"`",
                            ));
                        }
                        f.time = Some(base);
                    } else {
                        f.time = Some(String::new());
                    }
                } else if p.is_ident("bytes") {
                    if f.bytes {
                        return Err(duplicate(&meta, "bytes"));
                    }
                    f.bytes = true;
                } else {
                    return Err(meta.error(format!(
                        "unknown koffer attribute `{}` on a field; expected `unit = \"...\"`, \
                         `description = \"...\"`, `scale = N`, `offset = N`, `time`, \
                         `time = \"unix\"`, `time = \"boot\"` or `bytes`",
                        key_name(&meta)
                    )));
                }
                Ok(())
            })?;
        } else if is_serde(attr) {
            attr.parse_nested_meta(|meta| {
                let p = &meta.path;
                if p.is_ident("rename") {
                    if let Some(n) = parse_rename(&meta)? {
                        f.rename = Some(n);
                    }
                } else if p.is_ident("skip") {
                    skip_ser.get_or_insert(p.span());
                    skip_de.get_or_insert(p.span());
                } else if p.is_ident("skip_serializing") {
                    skip_ser.get_or_insert(p.span());
                } else if p.is_ident("skip_deserializing") {
                    skip_de.get_or_insert(p.span());
                } else if p.is_ident("skip_serializing_if") {
                    return Err(unsupported(
                        &meta,
                        "postcard records have no field names, so a reader cannot tell that \
                         a field was left out; use `#[serde(skip)]` or an `Option`",
                    ));
                } else if p.is_ident("flatten") {
                    return Err(unsupported(
                        &meta,
                        "serde writes flattened structs as maps, which postcard does not support",
                    ));
                } else if p.is_ident("with")
                    || p.is_ident("serialize_with")
                    || p.is_ident("deserialize_with")
                {
                    if with.is_none() {
                        with = Some(p.span());
                    }
                    skip_value(&meta)?;
                } else {
                    skip_value(&meta)?;
                }
                Ok(())
            })?;
        } else if attr.path().is_ident("doc") {
            if let syn::Meta::NameValue(nv) = &attr.meta {
                if let syn::Expr::Lit(syn::ExprLit {
                    lit: Lit::Str(s), ..
                }) = &nv.value
                {
                    doc_span.get_or_insert(s.span());
                    for line in s.value().lines() {
                        let line = line.trim();
                        let line = line.strip_prefix('*').map_or(line, str::trim_start);
                        if !line.is_empty() {
                            doc_lines.push(line.to_owned());
                        }
                    }
                }
            }
        }
    }
    if let Some((span, set, missing)) = match (skip_ser, skip_de) {
        (Some(span), None) => Some((span, "skip_serializing", "skip_deserializing")),
        (None, Some(span)) => Some((span, "skip_deserializing", "skip_serializing")),
        _ => None,
    } {
        return Err(Error::new(
            span,
            format!(
                "koffer: `#[serde({set})]` without `{missing}` makes what postcard writes \
                 differ from what it reads; use `#[serde(skip)]`"
            ),
        ));
    }
    f.skip = skip_ser.is_some();
    if let (Some(span), false, false) = (with, f.bytes, f.skip) {
        return Err(Error::new(
            span,
            "koffer: a field serialized `with` a custom function has a layout the derive \
             cannot see; for bytes (serde_bytes) add `#[koffer(bytes)]`, otherwise implement \
             `koffer::schema::Describe` for a wrapper type",
        ));
    }
    if !doc_lines.is_empty() {
        f.doc = Some((
            doc_lines.join(" "),
            doc_span.unwrap_or_else(Span::call_site),
        ));
    }
    Ok(f)
}

pub fn variant(attrs: &[Attribute]) -> Result<VariantAttrs> {
    let mut v = VariantAttrs::default();
    for attr in attrs {
        if is_koffer(attr) {
            return Err(Error::new(
                attr.span(),
                "koffer attributes go on fields and on the type, not on variants",
            ));
        } else if is_serde(attr) {
            attr.parse_nested_meta(|meta| {
                let p = &meta.path;
                if p.is_ident("rename") {
                    if let Some(n) = parse_rename(&meta)? {
                        v.rename = Some(n);
                    }
                } else if p.is_ident("rename_all") {
                    if let Some(r) = parse_rename_rule(&meta)? {
                        v.rename_all = Some(r);
                    }
                } else if p.is_ident("skip")
                    || p.is_ident("skip_serializing")
                    || p.is_ident("skip_deserializing")
                {
                    return Err(unsupported(
                        &meta,
                        "serde numbers the variants differently when writing and reading \
                         once one is skipped",
                    ));
                } else if p.is_ident("with")
                    || p.is_ident("serialize_with")
                    || p.is_ident("deserialize_with")
                {
                    return Err(unsupported(
                        &meta,
                        "the derive cannot see the layout a custom function writes",
                    ));
                } else if p.is_ident("untagged") {
                    return Err(unsupported(&meta, NOT_POSTCARD));
                } else {
                    skip_value(&meta)?;
                }
                Ok(())
            })?;
        }
    }
    Ok(v)
}
