//! `#[derive(Describe)]` for [koffer](https://docs.rs/koffer): implements
//! `koffer::schema::Describe` — and, with `#[koffer(record = "...", version = N)]`,
//! `koffer::schema::RecordType` — for a struct or enum, as a `'static` tree of
//! constants that matches what postcard writes for the type's serde
//! derive.
//!
//! Use it through koffer's `derive` feature: `#[derive(koffer::Describe)]`.
//!
//! ```ignore
//! #[derive(serde::Serialize, serde::Deserialize, koffer::Describe)]
//! #[koffer(record = "beat", version = 1)]
//! struct Beat {
//!     #[koffer(unit = "ms", time)]
//!     at_ms: u64,
//!     /// Heart rate.
//!     #[koffer(unit = "1/min")]
//!     bpm: u8,
//! }
//! ```
//!
//! The attributes are documented on [`Describe`](derive@Describe).

use proc_macro2::{Literal, Span, TokenStream};
use quote::{quote, quote_spanned};
use std::collections::HashSet;
use syn::ext::IdentExt;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Error, Fields, GenericParam, Ident, Path, Result};

mod attr;
mod case;

use attr::{check_name, ContainerAttrs, FieldAttrs, MAX_NAME_LEN};
use case::RenameRule;

/// Most fields, variants or tuple elements in one type (spec `schema.md` §7).
const MAX_ITEMS: usize = 255;

/// Derives `koffer::schema::Describe` (and, with `#[koffer(record = "...",
/// version = N)]`, `koffer::schema::RecordType`).
///
/// Struct → `Type::Struct`; tuple struct of one field →
/// `Type::NewtypeStruct`, of more → `Type::TupleStruct`; unit struct →
/// `Type::UnitStruct`; enum → `Type::Enum` with unit, newtype, tuple and
/// struct variants. Each field's type is described by its own `Describe`
/// impl; type parameters get a `T: Describe` bound, lifetime and const
/// parameters are kept.
///
/// On the type:
///
/// - `#[koffer(record = "sample", version = 1)]`: also implement `RecordType`
///   with this name (1 to 255 bytes) and version (a `u32`); the definition is
///   built at compile time. Not for types with type or const parameters.
/// - `#[koffer(docs = false)]`: do not turn doc comments into descriptions.
/// - `#[koffer(crate = "path::to::koffer")]`: where the koffer crate is
///   (default `::koffer`).
///
/// On a named field (of a struct or a struct variant), spec `schema.md` §3:
///
/// - `unit = "ms"`: the UCUM unit of the quantity, 1 to 255 bytes;
/// - `description = "..."`: 1 to 255 bytes; without it, the field's doc
///   comment (lines trimmed, joined with a space) is the description;
/// - `scale = 0.01`, `offset = -40`: integer or float literals, finite, the
///   scale not zero (quantity = value × scale + offset);
/// - `time`: a timestamp in the container's time base; `time = "unix"`,
///   `time = "boot"`: in that time base (the unit gives the tick);
/// - `bytes`: the field is written as bytes (with `serde_bytes` or a
///   `serialize_with` that calls `serialize_bytes`): describe it as bytes,
///   an `Option<_>` field as an option of bytes.
///
/// On an unnamed field (tuple struct, newtype or tuple variant) only
/// `#[koffer(bytes)]` is allowed: the schema has no annotations there.
///
/// serde attributes are followed so that the schema is what postcard writes:
/// `rename` (the serialize name), `rename_all` and `rename_all_fields` (every
/// serde case convention), `skip` (or `skip_serializing` with
/// `skip_deserializing`) on fields, and `transparent`. Compile errors, since
/// postcard cannot encode them faithfully or the derive cannot see their
/// layout: `flatten`, `tag`, `content`, `untagged`, `skip_serializing_if`,
/// only one of `skip_serializing`/`skip_deserializing`, skipped variants,
/// `with`/`serialize_with`/`deserialize_with` without `#[koffer(bytes)]`,
/// `into`, `from`, `try_from`. Empty enums and tuple structs without fields
/// have no schema either.
#[proc_macro_derive(Describe, attributes(koffer))]
pub fn derive_describe(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    let input = syn::parse_macro_input!(input as DeriveInput);
    expand(input)
        .unwrap_or_else(Error::into_compile_error)
        .into()
}

/// The derive's output for `input`, or the first error found.
pub(crate) fn expand(input: DeriveInput) -> Result<TokenStream> {
    let is_enum = matches!(input.data, Data::Enum(_));
    let c = attr::container(&input.attrs, is_enum)?;
    let krate = &c.krate;
    let name = match &c.rename {
        Some(n) => n.clone(),
        None => input.ident.unraw().to_string(),
    };
    check_name(&name, input.ident.span(), "the type's name")?;
    let name_lit = Literal::string(&name);

    let ty = match &input.data {
        Data::Struct(s) => {
            if c.transparent {
                transparent(&c, &s.fields)?
            } else {
                match &s.fields {
                    Fields::Named(named) => {
                        let fields = named_fields(&c, &named.named, c.rename_all)?;
                        quote!(&#krate::schema::Type::Struct(#name_lit, &[#(#fields),*]))
                    }
                    Fields::Unnamed(unnamed) if unnamed.unnamed.len() == 1 => {
                        let inner = newtype_field(&c, &unnamed.unnamed[0])?;
                        quote!(&#krate::schema::Type::NewtypeStruct(#name_lit, #inner))
                    }
                    Fields::Unnamed(unnamed) => {
                        let tys =
                            tuple_fields(&c, &unnamed.unnamed, unnamed.span(), "tuple struct")?;
                        quote!(&#krate::schema::Type::TupleStruct(#name_lit, &[#(#tys),*]))
                    }
                    Fields::Unit => quote!(&#krate::schema::Type::UnitStruct(#name_lit)),
                }
            }
        }
        Data::Enum(e) => {
            if e.variants.is_empty() {
                return Err(Error::new(
                    input.ident.span(),
                    "koffer: an enum without variants has no values to describe \
                     (an enum has 1 to 255 variants)",
                ));
            }
            if e.variants.len() > MAX_ITEMS {
                return Err(Error::new(
                    input.ident.span(),
                    format!(
                        "koffer: an enum has at most {MAX_ITEMS} variants, this one has {}",
                        e.variants.len()
                    ),
                ));
            }
            let mut names = HashSet::new();
            let mut variants = Vec::new();
            for v in &e.variants {
                let va = attr::variant(&v.attrs)?;
                let vname = match va.rename {
                    Some(n) => n,
                    None => {
                        let ident = v.ident.unraw().to_string();
                        match c.rename_all {
                            Some(rule) => rule.apply_to_variant(&ident),
                            None => ident,
                        }
                    }
                };
                check_name(&vname, v.ident.span(), "a variant name")?;
                if !names.insert(vname.clone()) {
                    return Err(Error::new(
                        v.ident.span(),
                        format!("koffer: two variants are named {vname:?}"),
                    ));
                }
                let data = match &v.fields {
                    Fields::Unit => quote!(#krate::schema::VariantData::Unit),
                    Fields::Unnamed(unnamed) if unnamed.unnamed.len() == 1 => {
                        let inner = newtype_field(&c, &unnamed.unnamed[0])?;
                        quote!(#krate::schema::VariantData::Newtype(#inner))
                    }
                    Fields::Unnamed(unnamed) => {
                        let tys =
                            tuple_fields(&c, &unnamed.unnamed, unnamed.span(), "tuple variant")?;
                        quote!(#krate::schema::VariantData::Tuple(&[#(#tys),*]))
                    }
                    Fields::Named(named) => {
                        let rule = va.rename_all.or(c.rename_all_fields);
                        let fields = named_fields(&c, &named.named, rule)?;
                        quote!(#krate::schema::VariantData::Struct(&[#(#fields),*]))
                    }
                };
                let vname = Literal::string(&vname);
                variants.push(quote! {
                    #krate::schema::Variant { name: #vname, data: #data }
                });
            }
            quote!(&#krate::schema::Type::Enum(#name_lit, &[#(#variants),*]))
        }
        Data::Union(u) => {
            return Err(Error::new(
                u.union_token.span(),
                "koffer: unions cannot be described (serde does not derive them either)",
            ))
        }
    };

    let ident = &input.ident;
    let mut generics = input.generics.clone();
    let type_params: Vec<Ident> = generics.type_params().map(|p| p.ident.clone()).collect();
    if !type_params.is_empty() {
        let wc = generics.make_where_clause();
        for p in &type_params {
            wc.predicates
                .push(syn::parse_quote!(#p: #krate::schema::Describe));
        }
    }
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();

    let mut out = quote! {
        #[automatically_derived]
        impl #impl_generics #krate::schema::Describe for #ident #ty_generics #where_clause {
            const TYPE: &'static #krate::schema::Type = #ty;
        }
    };

    if let (Some(record), Some((version, _))) = (&c.record, &c.version) {
        let concrete = static_type(&input)?;
        let version = Literal::u32_unsuffixed(*version);
        out.extend(quote! {
            #[automatically_derived]
            impl #impl_generics #krate::schema::RecordType for #ident #ty_generics #where_clause {
                const NAME: &'static str = #record;
                const VERSION: u32 = #version;
                const DEFINITION: &'static [u8] =
                    #krate::definition!(<#concrete as #krate::schema::Describe>::TYPE);
            }
        });
    }
    Ok(out)
}

/// The type with every lifetime parameter `'static`: the definition is
/// built in constants that cannot name the impl's generics. Type and const
/// parameters are refused.
fn static_type(input: &DeriveInput) -> Result<TokenStream> {
    let ident = &input.ident;
    let mut args = Vec::new();
    for p in &input.generics.params {
        match p {
            GenericParam::Lifetime(_) => args.push(quote!('static)),
            GenericParam::Type(t) => {
                return Err(Error::new(
                    t.ident.span(),
                    "koffer: a record type cannot have type parameters; derive `Describe` \
                     here and implement `koffer::schema::RecordType` by hand for each \
                     concrete type, with `koffer::definition!(<Name<u8> as Describe>::TYPE)`",
                ))
            }
            GenericParam::Const(c) => {
                return Err(Error::new(
                    c.ident.span(),
                    "koffer: a record type cannot have const parameters; derive `Describe` \
                     here and implement `koffer::schema::RecordType` by hand for each \
                     concrete type, with `koffer::definition!(<Name<8> as Describe>::TYPE)`",
                ))
            }
        }
    }
    Ok(if args.is_empty() {
        quote!(#ident)
    } else {
        quote!(#ident<#(#args),*>)
    })
}

/// `<T as Describe>::TYPE`, or bytes for a `#[koffer(bytes)]` field.
fn field_type(krate: &Path, ty: &syn::Type, bytes: bool) -> TokenStream {
    if bytes {
        if is_option(ty) {
            quote_spanned!(ty.span()=> &#krate::schema::Type::Option(&#krate::schema::Type::Bytes))
        } else {
            quote_spanned!(ty.span()=> &#krate::schema::Type::Bytes)
        }
    } else {
        quote_spanned!(ty.span()=> <#ty as #krate::schema::Describe>::TYPE)
    }
}

/// Whether `ty` is spelled `Option<_>` (or a path ending in `Option<_>`).
fn is_option(ty: &syn::Type) -> bool {
    match ty {
        syn::Type::Path(p) if p.qself.is_none() => p.path.segments.last().is_some_and(|s| {
            s.ident == "Option"
                && matches!(&s.arguments, syn::PathArguments::AngleBracketed(a) if a.args.len() == 1)
        }),
        syn::Type::Group(g) => is_option(&g.elem),
        syn::Type::Paren(p) => is_option(&p.elem),
        _ => false,
    }
}

fn opt_str(v: &Option<String>) -> TokenStream {
    match v {
        Some(s) => {
            let s = Literal::string(s);
            quote!(::core::option::Option::Some(#s))
        }
        None => quote!(::core::option::Option::None),
    }
}

fn opt_f64(v: Option<f64>) -> TokenStream {
    match v {
        Some(x) => {
            let lit = Literal::f64_suffixed(x.abs());
            if x.is_sign_negative() {
                quote!(::core::option::Option::Some(-#lit))
            } else {
                quote!(::core::option::Option::Some(#lit))
            }
        }
        None => quote!(::core::option::Option::None),
    }
}

/// The `Meta` of a named field.
fn meta(c: &ContainerAttrs, a: &FieldAttrs) -> Result<TokenStream> {
    let krate = &c.krate;
    let description = match (&a.description, &a.doc) {
        (Some(d), _) => Some(d.clone()),
        (None, Some((doc, span))) if c.docs => {
            if doc.len() > MAX_NAME_LEN {
                return Err(Error::new(
                    *span,
                    format!(
                        "koffer: this doc comment is the field's description, and is {} bytes \
                         long; descriptions are at most {MAX_NAME_LEN} bytes: shorten it, set \
                         `#[koffer(description = \"...\")]`, or put `#[koffer(docs = false)]` \
                         on the type",
                        doc.len()
                    ),
                ));
            }
            Some(doc.clone())
        }
        _ => None,
    };
    if a.unit.is_none()
        && description.is_none()
        && a.scale.is_none()
        && a.offset.is_none()
        && a.time.is_none()
    {
        return Ok(quote!(#krate::schema::Meta::NONE));
    }
    let unit = opt_str(&a.unit);
    let description = opt_str(&description);
    let scale = opt_f64(a.scale);
    let offset = opt_f64(a.offset);
    let time = opt_str(&a.time);
    Ok(quote! {
        #krate::schema::Meta {
            unit: #unit,
            description: #description,
            scale: #scale,
            offset: #offset,
            time: #time,
        }
    })
}

/// The `Field`s of a struct or struct variant, skipped fields left out.
fn named_fields(
    c: &ContainerAttrs,
    fields: &syn::punctuated::Punctuated<syn::Field, syn::Token![,]>,
    rule: Option<RenameRule>,
) -> Result<Vec<TokenStream>> {
    let krate = &c.krate;
    let mut names = HashSet::new();
    let mut out = Vec::new();
    for f in fields {
        let a = attr::field(&f.attrs)?;
        if a.skip {
            continue;
        }
        let Some(ident) = f.ident.as_ref() else {
            return Err(syn::Error::new_spanned(f, "koffer: expected a named field"));
        };
        let name = match &a.rename {
            Some(n) => n.clone(),
            None => {
                let ident = ident.unraw().to_string();
                match rule {
                    Some(rule) => rule.apply_to_field(&ident),
                    None => ident,
                }
            }
        };
        check_name(&name, ident.span(), "a field name")?;
        if !names.insert(name.clone()) {
            return Err(Error::new(
                ident.span(),
                format!("koffer: two fields are named {name:?}"),
            ));
        }
        let meta = meta(c, &a)?;
        let ty = field_type(krate, &f.ty, a.bytes);
        let name = Literal::string(&name);
        out.push(quote! {
            #krate::schema::Field { name: #name, meta: #meta, ty: #ty }
        });
    }
    if out.len() > MAX_ITEMS {
        return Err(Error::new(
            fields.span(),
            format!(
                "koffer: a struct has at most {MAX_ITEMS} fields, this one has {}",
                out.len()
            ),
        ));
    }
    Ok(out)
}

/// Attributes of an unnamed field: only `bytes` and serde's `skip`.
fn unnamed_attrs(f: &syn::Field) -> Result<FieldAttrs> {
    let a = attr::field(&f.attrs)?;
    if let Some(span) = a.annotation_span {
        return Err(Error::new(
            span,
            "koffer: unnamed fields have no annotations in a koffer schema (only \
             `#[koffer(bytes)]`); use named fields for units, descriptions, scale, \
             offset and time",
        ));
    }
    if a.rename.is_some() {
        return Err(Error::new(
            f.span(),
            "koffer: `#[serde(rename)]` on an unnamed field has no effect",
        ));
    }
    Ok(a)
}

/// The type of the one field of a newtype struct or newtype variant.
fn newtype_field(c: &ContainerAttrs, f: &syn::Field) -> Result<TokenStream> {
    let a = unnamed_attrs(f)?;
    if a.skip {
        return Err(Error::new(
            f.span(),
            "koffer: skipping the only field of a newtype is not supported",
        ));
    }
    Ok(field_type(&c.krate, &f.ty, a.bytes))
}

/// The element types of a tuple struct or tuple variant, skipped fields left out.
fn tuple_fields(
    c: &ContainerAttrs,
    fields: &syn::punctuated::Punctuated<syn::Field, syn::Token![,]>,
    span: Span,
    what: &str,
) -> Result<Vec<TokenStream>> {
    let mut out = Vec::new();
    for f in fields {
        let a = unnamed_attrs(f)?;
        if !a.skip {
            out.push(field_type(&c.krate, &f.ty, a.bytes));
        }
    }
    if out.is_empty() {
        return Err(Error::new(
            span,
            format!(
                "koffer: a {what} without fields cannot be described (a tuple has 1 to \
                 {MAX_ITEMS} elements); use a unit struct or unit variant"
            ),
        ));
    }
    if out.len() > MAX_ITEMS {
        return Err(Error::new(
            span,
            format!(
                "koffer: a {what} has at most {MAX_ITEMS} elements, this one has {}",
                out.len()
            ),
        ));
    }
    Ok(out)
}

/// `#[serde(transparent)]`: the type of the one field that is not skipped.
fn transparent(c: &ContainerAttrs, fields: &Fields) -> Result<TokenStream> {
    let mut found = None;
    for f in fields.iter() {
        let a = attr::field(&f.attrs)?;
        if a.skip {
            continue;
        }
        if found.is_some() {
            return Err(Error::new(
                f.span(),
                "`#[serde(transparent)]` needs exactly one field that is not skipped",
            ));
        }
        if let Some(span) = a.annotation_span {
            return Err(Error::new(
                span,
                "koffer: the field of a `#[serde(transparent)]` struct takes the struct's \
                 place and has no annotations of its own (only `#[koffer(bytes)]`)",
            ));
        }
        found = Some(field_type(&c.krate, &f.ty, a.bytes));
    }
    found.ok_or_else(|| {
        Error::new(
            Span::call_site(),
            "`#[serde(transparent)]` needs exactly one field that is not skipped",
        )
    })
}

#[cfg(test)]
mod tests;
