//! The expansion, and every compile error, tested on `syn` inputs (the
//! derived descriptors themselves are tested in koffer's `tests/derive.rs`).

use super::expand;
use syn::{parse_quote, DeriveInput};

/// The error message `expand` gives for `input`.
fn error(input: DeriveInput) -> String {
    match expand(input) {
        Ok(tokens) => panic!("expected an error, got {tokens}"),
        Err(e) => e.to_string(),
    }
}

/// The expansion as a string with no spaces, for `contains` checks.
fn expansion(input: DeriveInput) -> String {
    expand(input)
        .unwrap_or_else(|e| panic!("unexpected error: {e}"))
        .to_string()
        .replace(' ', "")
}

#[track_caller]
fn assert_error(input: DeriveInput, part: &str) {
    let e = error(input);
    assert!(e.contains(part), "error {e:?} does not contain {part:?}");
}

#[test]
fn named_struct() {
    let out = expansion(parse_quote! {
        struct Beat {
            #[koffer(unit = "ms", time)]
            at_ms: u64,
            bpm: u8,
        }
    });
    assert!(out.contains(
        "impl::koffer::schema::DescribeforBeat{constTYPE:&'static::koffer::schema::Type=\
         &::koffer::schema::Type::Struct(\"Beat\",&[::koffer::schema::Field{name:\"at_ms\",\
         meta:::koffer::schema::Meta{unit:::core::option::Option::Some(\"ms\"),\
         description:::core::option::Option::None,scale:::core::option::Option::None,\
         offset:::core::option::Option::None,time:::core::option::Option::Some(\"\"),},\
         ty:<u64as::koffer::schema::Describe>::TYPE}"
    ));
    assert!(out.contains(
        "::koffer::schema::Field{name:\"bpm\",meta:::koffer::schema::Meta::NONE,\
         ty:<u8as::koffer::schema::Describe>::TYPE}"
    ));
    assert!(!out.contains("RecordType"));
}

#[test]
fn every_shape() {
    let out = expansion(parse_quote!(
        struct N(u8);
    ));
    assert!(out.contains("Type::NewtypeStruct(\"N\",<u8as::koffer::schema::Describe>::TYPE)"));
    let out = expansion(parse_quote!(
        struct T(u8, #[serde(skip)] u16, i8);
    ));
    assert!(out.contains(
        "Type::TupleStruct(\"T\",&[<u8as::koffer::schema::Describe>::TYPE,\
         <i8as::koffer::schema::Describe>::TYPE])"
    ));
    let out = expansion(parse_quote!(
        struct U;
    ));
    assert!(out.contains("Type::UnitStruct(\"U\")"));
    let out = expansion(parse_quote!(
        struct E {}
    ));
    assert!(out.contains("Type::Struct(\"E\",&[])"));
    let out = expansion(parse_quote! {
        enum V { A, B(u8), C(u8, #[koffer(bytes)] Vec<u8>), D { x: i8 } }
    });
    assert!(out.contains("Variant{name:\"A\",data:::koffer::schema::VariantData::Unit}"));
    assert!(out.contains("VariantData::Newtype(<u8as::koffer::schema::Describe>::TYPE)"));
    assert!(out.contains(
        "VariantData::Tuple(&[<u8as::koffer::schema::Describe>::TYPE,&::koffer::schema::Type::Bytes])"
    ));
    assert!(out.contains("VariantData::Struct(&[::koffer::schema::Field{name:\"x\""));
}

#[test]
fn numbers() {
    let out = expansion(parse_quote! {
        struct T {
            #[koffer(unit = "Cel", scale = 0.01, offset = -40)]
            t: i16,
            #[koffer(scale = -2.5e-3, offset = 0)]
            u: i16,
        }
    });
    assert!(out.contains("scale:::core::option::Option::Some(0.01f64)"));
    assert!(out.contains("offset:::core::option::Option::Some(-40f64)"));
    assert!(out.contains("scale:::core::option::Option::Some(-0.0025f64)"));
    assert!(out.contains("offset:::core::option::Option::Some(0f64)"));
}

#[test]
fn docs_become_descriptions() {
    let out = expansion(parse_quote! {
        struct T {
            ///  Heart rate,
            /// measured at the wrist.
            ///
            #[koffer(unit = "1/min")]
            hr: u8,
            /// Ignored: an explicit description wins.
            #[koffer(description = "steps")]
            steps: u16,
        }
    });
    assert!(
        out.contains("description:::core::option::Option::Some(\"Heartrate,measuredatthewrist.\")")
    );
    assert!(out.contains("Some(\"steps\")"));
    assert!(!out.contains("Ignored"));
    let out = expansion(parse_quote! {
        #[koffer(docs = false)]
        struct T {
            /// Heart rate.
            hr: u8,
        }
    });
    assert!(out.contains("meta:::koffer::schema::Meta::NONE"));
}

#[test]
fn renames() {
    let out = expansion(parse_quote! {
        #[serde(rename = "beat", rename_all = "camelCase")]
        struct Beat {
            at_ms: u64,
            #[serde(rename(serialize = "BPM", deserialize = "bpm"))]
            bpm: u8,
            #[serde(skip)]
            cache: u32,
            r#type: u8,
        }
    });
    assert!(out.contains("Struct(\"beat\""));
    assert!(out.contains("name:\"atMs\""));
    assert!(out.contains("name:\"BPM\""));
    assert!(out.contains("name:\"type\""));
    assert!(!out.contains("cache"));
    let out = expansion(parse_quote! {
        #[serde(rename_all = "snake_case", rename_all_fields = "SCREAMING-KEBAB-CASE")]
        enum Activity {
            StillStanding,
            #[serde(rename = "walk")]
            Walking,
            Running { pace_s: u16 },
            #[serde(rename_all = "PascalCase")]
            Cycling { cadence_rpm: u16 },
        }
    });
    assert!(out.contains("name:\"still_standing\""));
    assert!(out.contains("name:\"walk\""));
    assert!(out.contains("name:\"running\""));
    assert!(out.contains("name:\"PACE-S\""));
    assert!(out.contains("name:\"CadenceRpm\""));
}

#[test]
fn serde_attributes_that_do_not_matter_are_skipped() {
    expansion(parse_quote! {
        #[serde(deny_unknown_fields, bound(serialize = "T: Serialize"), crate = "serde", default)]
        struct S<T> {
            #[serde(default = "zero", alias = "b", borrow, bound = "")]
            a: T,
        }
    });
}

#[test]
fn generics() {
    let out = expansion(parse_quote! {
        struct Pair<'a, T: Clone, const N: usize> where T: Copy { a: &'a str, b: [T; N] }
    });
    assert!(out.contains(
        "impl<'a,T:Clone,constN:usize>::koffer::schema::DescribeforPair<'a,T,N>whereT:Copy,\
         T:::koffer::schema::Describe{"
    ));
    assert!(out.contains("ty:<&'astras::koffer::schema::Describe>::TYPE"));
}

#[test]
fn records() {
    let out = expansion(parse_quote! {
        #[koffer(record = "event", version = 7)]
        struct Event<'a, 'b: 'a> { kind: &'a str, note: &'b str }
    });
    assert!(out.contains(
        "impl<'a,'b:'a>::koffer::schema::RecordTypeforEvent<'a,'b>{constNAME:&'staticstr=\"event\";\
         constVERSION:u32=7;constDEFINITION:&'static[u8]=::koffer::definition!(\
         <Event<'static,'static>as::koffer::schema::Describe>::TYPE);}"
    ));
    let out = expansion(parse_quote! {
        #[koffer(record = "sample", version = 1, crate = "my::koffer")]
        enum Sample { A }
    });
    assert!(out.contains("implmy::koffer::schema::RecordTypeforSample{"));
    assert!(out.contains("=my::koffer::definition!(<Sampleasmy::koffer::schema::Describe>::TYPE)"));
}

#[test]
fn transparent() {
    let out = expansion(parse_quote! {
        #[serde(transparent)]
        struct Id { #[serde(skip)] cache: u8, id: u32 }
    });
    assert!(out.contains(
        "constTYPE:&'static::koffer::schema::Type=<u32as::koffer::schema::Describe>::TYPE;"
    ));
    let out = expansion(parse_quote! {
        #[serde(transparent)]
        struct Raw<'a>(#[serde(with = "serde_bytes")] #[koffer(bytes)] &'a [u8]);
    });
    assert!(
        out.contains("constTYPE:&'static::koffer::schema::Type=&::koffer::schema::Type::Bytes;")
    );
    assert_error(
        parse_quote! {
            #[serde(transparent)]
            struct Id { #[koffer(unit = "ms")] id: u32 }
        },
        "has no annotations of its own",
    );
    assert_error(
        parse_quote! {
            #[serde(transparent)]
            struct Two(u8, u8);
        },
        "exactly one field",
    );
}

#[test]
fn bytes() {
    let out = expansion(parse_quote! {
        struct B<'a> {
            #[serde(with = "serde_bytes")]
            #[koffer(bytes)]
            a: &'a [u8],
            #[koffer(bytes)]
            b: Option<Vec<u8>>,
            #[koffer(bytes, unit = "B")]
            c: core::option::Option<Vec<u8>>,
            d: &'a [u8],
        }
    });
    assert!(out.contains(
        "name:\"a\",meta:::koffer::schema::Meta::NONE,ty:&::koffer::schema::Type::Bytes}"
    ));
    assert!(out.contains(
        "name:\"b\",meta:::koffer::schema::Meta::NONE,\
         ty:&::koffer::schema::Type::Option(&::koffer::schema::Type::Bytes)}"
    ));
    assert!(out.contains(
        "time:::core::option::Option::None,},\
         ty:&::koffer::schema::Type::Option(&::koffer::schema::Type::Bytes)},"
    ));
    assert!(out.contains("ty:<&'a[u8]as::koffer::schema::Describe>::TYPE"));
}

// ---- errors -------------------------------------------------------------

#[test]
fn unions() {
    assert_error(
        parse_quote!(union U { a: u8, b: u16 }),
        "unions cannot be described",
    );
}

#[test]
fn unknown_keys() {
    assert_error(
        parse_quote!(
            struct S {
                #[koffer(units = "ms")]
                a: u8,
            }
        ),
        "unknown koffer attribute `units` on a field",
    );
    assert_error(
        parse_quote!(
            #[koffer(name = "s")]
            struct S;
        ),
        "unknown koffer attribute `name` on a type",
    );
    assert_error(
        parse_quote!(
            enum E {
                #[koffer(unit = "ms")]
                A,
            }
        ),
        "not on variants",
    );
    assert_error(
        parse_quote!(
            struct S(#[koffer(unit = "ms")] u8, u8);
        ),
        "unnamed fields have no annotations",
    );
    assert_error(
        parse_quote!(
            enum E {
                A(#[koffer(time)] u64),
            }
        ),
        "unnamed fields have no annotations",
    );
    assert_error(
        parse_quote!(
            struct S {
                #[koffer(unit = "ms", unit = "s")]
                a: u8,
            }
        ),
        "duplicate `#[koffer(unit)]`",
    );
    assert_error(
        parse_quote!(
            struct S {
                #[koffer(time, time = "unix")]
                a: u8,
            }
        ),
        "duplicate `#[koffer(time)]`",
    );
}

#[test]
fn wrong_literals() {
    assert_error(
        parse_quote!(
            struct S {
                #[koffer(unit = 5)]
                a: u8,
            }
        ),
        "expected a string literal: unit",
    );
    assert_error(
        parse_quote!(
            struct S {
                #[koffer(description = true)]
                a: u8,
            }
        ),
        "expected a string literal: description",
    );
    assert_error(
        parse_quote!(
            struct S {
                #[koffer(scale = "0.1")]
                a: u8,
            }
        ),
        "expected a number: scale",
    );
    assert_error(
        parse_quote!(
            struct S {
                #[koffer(offset = x)]
                a: u8,
            }
        ),
        "expected a number: offset",
    );
    assert_error(
        parse_quote!(
            struct S {
                #[koffer(scale = 0.0)]
                a: u8,
            }
        ),
        "scale must not be zero",
    );
    assert_error(
        parse_quote!(
            struct S {
                #[koffer(scale = 1e999)]
                a: u8,
            }
        ),
        "scale must be finite",
    );
    assert_error(
        parse_quote!(
            struct S {
                #[koffer(time = "gps")]
                a: u8,
            }
        ),
        "unknown time base",
    );
    assert_error(
        parse_quote!(
            struct S {
                #[koffer(time = 1)]
                a: u8,
            }
        ),
        "expected a string literal: time",
    );
    assert_error(
        parse_quote!(
            struct S {
                #[koffer(unit = "")]
                a: u8,
            }
        ),
        "unit must not be empty",
    );
    let long = "x".repeat(256);
    assert_error(
        parse_quote!(
            struct S {
                #[koffer(description = #long)]
                a: u8,
            }
        ),
        "256 bytes long",
    );
    assert_error(
        parse_quote!(
            #[koffer(record = 1, version = 1)]
            struct S;
        ),
        "expected a string literal: record",
    );
    assert_error(
        parse_quote!(
            #[koffer(record = "s", version = "1")]
            struct S;
        ),
        "expected an integer: version",
    );
    assert_error(
        parse_quote!(
            #[koffer(record = "s", version = 4294967296)]
            struct S;
        ),
        "version is a u32",
    );
    assert_error(
        parse_quote!(
            #[koffer(docs = 0)]
            struct S;
        ),
        "expected `true` or `false`",
    );
    assert_error(
        parse_quote!(
            #[koffer(record = "")]
            struct S;
        ),
        "record type name must not be empty",
    );
}

#[test]
fn record_rules() {
    assert_error(
        parse_quote!(
            #[koffer(version = 1)]
            struct S;
        ),
        "`version` needs `record",
    );
    assert_error(
        parse_quote!(
            #[koffer(record = "s")]
            struct S;
        ),
        "needs a version",
    );
    assert_error(
        parse_quote!(
            #[koffer(record = "s", version = 1)]
            struct S<T> {
                t: T,
            }
        ),
        "cannot have type parameters",
    );
    assert_error(
        parse_quote!(
            #[koffer(record = "s", version = 1)]
            struct S<const N: usize> {
                t: [u8; N],
            }
        ),
        "cannot have const parameters",
    );
}

#[test]
fn serde_rejections() {
    assert_error(
        parse_quote!(
            struct S {
                #[serde(flatten)]
                a: Inner,
            }
        ),
        "`#[serde(flatten)]` is not supported",
    );
    assert_error(
        parse_quote!(
            #[serde(tag = "type")]
            enum E {
                A,
            }
        ),
        "`#[serde(tag)]` is not supported",
    );
    assert_error(
        parse_quote!(
            #[serde(tag = "t", content = "c")]
            enum E {
                A,
            }
        ),
        "`#[serde(tag)]` is not supported",
    );
    assert_error(
        parse_quote!(
            #[serde(untagged)]
            enum E {
                A,
            }
        ),
        "`#[serde(untagged)]` is not supported",
    );
    assert_error(
        parse_quote!(
            enum E {
                #[serde(untagged)]
                A,
            }
        ),
        "`#[serde(untagged)]` is not supported",
    );
    assert_error(
        parse_quote!(
            struct S {
                #[serde(skip_serializing_if = "Option::is_none")]
                a: Option<u8>,
            }
        ),
        "`#[serde(skip_serializing_if)]` is not supported",
    );
    assert_error(
        parse_quote!(
            struct S {
                #[serde(with = "serde_bytes")]
                a: Vec<u8>,
            }
        ),
        "add `#[koffer(bytes)]`",
    );
    assert_error(
        parse_quote!(
            struct S {
                #[serde(serialize_with = "f")]
                a: u8,
            }
        ),
        "add `#[koffer(bytes)]`",
    );
    assert_error(
        parse_quote!(
            struct S(#[serde(deserialize_with = "f")] u8);
        ),
        "add `#[koffer(bytes)]`",
    );
    assert_error(
        parse_quote!(
            #[serde(into = "u8")]
            struct S;
        ),
        "`#[serde(into)]` is not supported",
    );
    assert_error(
        parse_quote!(
            #[serde(try_from = "u8")]
            struct S;
        ),
        "`#[serde(try_from)]` is not supported",
    );
    assert_error(
        parse_quote!(
            struct S {
                #[serde(skip_serializing)]
                a: u8,
            }
        ),
        "`#[serde(skip_serializing)]` without `skip_deserializing`",
    );
    assert_error(
        parse_quote!(
            struct S {
                #[serde(skip_deserializing)]
                a: u8,
            }
        ),
        "`#[serde(skip_deserializing)]` without `skip_serializing`",
    );
    // Both together are `skip`.
    let out = expansion(parse_quote!(
        struct S {
            #[serde(skip_serializing)]
            #[serde(skip_deserializing)]
            a: u8,
            b: u8,
        }
    ));
    assert!(!out.contains("name:\"a\""));
    assert_error(
        parse_quote!(
            enum E {
                A,
                #[serde(skip)]
                B,
            }
        ),
        "`#[serde(skip)]` is not supported",
    );
    assert_error(
        parse_quote!(
            enum E {
                A,
                #[serde(serialize_with = "f")]
                B(u8),
            }
        ),
        "`#[serde(serialize_with)]` is not supported",
    );
    assert_error(
        parse_quote!(
            #[serde(rename_all = "Title Case")]
            struct S;
        ),
        "unknown rename rule \"Title Case\"",
    );
    assert_error(
        parse_quote!(
            struct S {
                #[serde(rename = "")]
                a: u8,
            }
        ),
        "a renamed name must not be empty",
    );
}

#[test]
fn shapes_without_a_description() {
    assert_error(
        parse_quote!(
            enum E {}
        ),
        "an enum without variants",
    );
    assert_error(
        parse_quote!(
            struct S();
        ),
        "a tuple struct without fields",
    );
    assert_error(
        parse_quote!(
            enum E {
                A(),
            }
        ),
        "a tuple variant without fields",
    );
    assert_error(
        parse_quote!(
            struct S(#[serde(skip)] u8, #[serde(skip)] u8);
        ),
        "a tuple struct without fields",
    );
    assert_error(
        parse_quote!(
            struct S(#[serde(skip)] u8);
        ),
        "skipping the only field of a newtype",
    );
    let variants: Vec<syn::Ident> = (0..256).map(|i| quote::format_ident!("V{i}")).collect();
    assert_error(
        parse_quote!(enum E { #(#variants),* }),
        "at most 255 variants, this one has 256",
    );
    let fields: Vec<syn::Ident> = (0..256).map(|i| quote::format_ident!("f{i}")).collect();
    assert_error(
        parse_quote!(struct S { #(#fields: u8),* }),
        "at most 255 fields, this one has 256",
    );
    let tys = (0..256).map(|_| quote::quote!(u8));
    assert_error(
        parse_quote!(struct S(#(#tys),*);),
        "at most 255 elements, this one has 256",
    );
}

#[test]
fn duplicate_names() {
    assert_error(
        parse_quote!(
            struct S {
                a: u8,
                #[serde(rename = "a")]
                b: u8,
            }
        ),
        "two fields are named \"a\"",
    );
    assert_error(
        parse_quote!(
            #[serde(rename_all = "camelCase")]
            struct S {
                a_b: u8,
                aB: u8,
            }
        ),
        "two fields are named \"aB\"",
    );
    assert_error(
        parse_quote!(
            #[serde(rename_all = "lowercase")]
            enum E {
                Ab,
                AB,
            }
        ),
        "two variants are named \"ab\"",
    );
}

#[test]
fn long_doc_comment() {
    let doc = "word ".repeat(60);
    assert_error(
        parse_quote! {
            struct S {
                #[doc = #doc]
                a: u8,
            }
        },
        "this doc comment is the field's description, and is 299 bytes long",
    );
    // Without doc descriptions, or with an explicit one, it is fine.
    expansion(parse_quote! {
        #[koffer(docs = false)]
        struct S {
            #[doc = #doc]
            a: u8,
        }
    });
    expansion(parse_quote! {
        struct S {
            #[doc = #doc]
            #[koffer(description = "a")]
            a: u8,
        }
    });
}
