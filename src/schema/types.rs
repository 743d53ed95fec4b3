//! Type descriptors: the record types of a program, described at compile time
//! (spec `schema.md` §2–§3), and [`Describe`], which Rust types implement to
//! give their descriptor.
//!
//! Descriptors are `'static` trees of constants: no allocation, no runtime
//! work. [`encode`](super::encode) turns one into the canonical definition
//! bytes, also at compile time.
//!
//! ```
//! use koffer::schema::{Describe, Type};
//! assert_eq!(<Option<u16> as Describe>::TYPE, &Type::Option(&Type::U16));
//! assert_eq!(<[f32; 3] as Describe>::TYPE, &Type::Array(3, &Type::F32));
//! ```

/// Tag bytes of the definition encoding (spec `schema.md` §2).
pub mod tag {
    /// bool
    pub const BOOL: u8 = 0x01;
    /// u8
    pub const U8: u8 = 0x02;
    /// u16
    pub const U16: u8 = 0x03;
    /// u32
    pub const U32: u8 = 0x04;
    /// u64
    pub const U64: u8 = 0x05;
    /// u128
    pub const U128: u8 = 0x06;
    /// i8
    pub const I8: u8 = 0x07;
    /// i16
    pub const I16: u8 = 0x08;
    /// i32
    pub const I32: u8 = 0x09;
    /// i64
    pub const I64: u8 = 0x0A;
    /// i128
    pub const I128: u8 = 0x0B;
    /// f32
    pub const F32: u8 = 0x0C;
    /// f64
    pub const F64: u8 = 0x0D;
    /// char
    pub const CHAR: u8 = 0x0E;
    /// string
    pub const STRING: u8 = 0x0F;
    /// bytes
    pub const BYTES: u8 = 0x10;
    /// option
    pub const OPTION: u8 = 0x11;
    /// unit
    pub const UNIT: u8 = 0x12;
    /// unit struct
    pub const UNIT_STRUCT: u8 = 0x13;
    /// newtype struct
    pub const NEWTYPE_STRUCT: u8 = 0x14;
    /// sequence
    pub const SEQ: u8 = 0x15;
    /// tuple
    pub const TUPLE: u8 = 0x16;
    /// tuple struct
    pub const TUPLE_STRUCT: u8 = 0x17;
    /// fixed-length array
    pub const ARRAY: u8 = 0x18;
    /// map
    pub const MAP: u8 = 0x19;
    /// struct
    pub const STRUCT: u8 = 0x1A;
    /// enum
    pub const ENUM: u8 = 0x1B;

    /// Variant kinds (spec `schema.md` §2).
    pub mod variant {
        /// unit variant
        pub const UNIT: u8 = 0x00;
        /// newtype variant
        pub const NEWTYPE: u8 = 0x01;
        /// tuple variant
        pub const TUPLE: u8 = 0x02;
        /// struct variant
        pub const STRUCT: u8 = 0x03;
    }

    /// Annotation flag bits (spec `schema.md` §3).
    pub mod annotation {
        /// a unit follows
        pub const UNIT: u8 = 0x01;
        /// a description follows
        pub const DESCRIPTION: u8 = 0x02;
        /// a scale follows
        pub const SCALE: u8 = 0x04;
        /// an offset follows
        pub const OFFSET: u8 = 0x08;
        /// a time base follows
        pub const TIME: u8 = 0x10;
        /// all defined bits
        pub const ALL: u8 = 0x1F;
    }
}

/// A type of the serde data model, as postcard encodes it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Type {
    /// `bool`
    Bool,
    /// `u8`
    U8,
    /// `u16`
    U16,
    /// `u32`
    U32,
    /// `u64`
    U64,
    /// `u128`
    U128,
    /// `i8`
    I8,
    /// `i16`
    I16,
    /// `i32`
    I32,
    /// `i64`
    I64,
    /// `i128`
    I128,
    /// `f32`
    F32,
    /// `f64`
    F64,
    /// `char`
    Char,
    /// UTF-8 text
    String,
    /// raw bytes
    Bytes,
    /// `Option<T>`
    Option(&'static Type),
    /// `()`
    Unit,
    /// `struct Name;`
    UnitStruct(&'static str),
    /// `struct Name(T);`
    NewtypeStruct(&'static str, &'static Type),
    /// a sequence of any length
    Seq(&'static Type),
    /// `(A, B, …)`
    Tuple(&'static [&'static Type]),
    /// `struct Name(A, B, …);`
    TupleStruct(&'static str, &'static [&'static Type]),
    /// `[T; N]`
    Array(u32, &'static Type),
    /// a map
    Map(&'static Type, &'static Type),
    /// `struct Name { … }`
    Struct(&'static str, &'static [Field]),
    /// `enum Name { … }`
    Enum(&'static str, &'static [Variant]),
}

/// A named field of a struct or struct variant, with its meaning.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Field {
    /// The field's name.
    pub name: &'static str,
    /// Unit, description, scale, offset, time base.
    pub meta: Meta,
    /// The field's type.
    pub ty: &'static Type,
}

/// What a field means (spec `schema.md` §3).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Meta {
    /// Unit: a UCUM symbol as SenML uses it, e.g. `"ms"`, `"Cel"`, `"1/min"`.
    pub unit: Option<&'static str>,
    /// What the field means, for people.
    pub description: Option<&'static str>,
    /// Scale of a scaled integer: quantity = value × scale + offset.
    pub scale: Option<f64>,
    /// Offset of a scaled integer.
    pub offset: Option<f64>,
    /// The field is a timestamp in this time base (`"unix"`, `"boot"`, or
    /// `""` for the container's `time.base`).
    pub time: Option<&'static str>,
}

impl Meta {
    /// No annotations.
    pub const NONE: Meta = Meta {
        unit: None,
        description: None,
        scale: None,
        offset: None,
        time: None,
    };
}

/// An enum variant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Variant {
    /// The variant's name.
    pub name: &'static str,
    /// Its data.
    pub data: VariantData,
}

/// The data a variant carries.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum VariantData {
    /// `Name`
    Unit,
    /// `Name(T)`
    Newtype(&'static Type),
    /// `Name(A, B, …)`
    Tuple(&'static [&'static Type]),
    /// `Name { … }`
    Struct(&'static [Field]),
}

/// A Rust type whose layout koffer can describe.
///
/// Implemented here for the primitive types, `str`, slices, arrays, tuples,
/// `Option`, references, and (with features) `String`, `Vec`, `BTreeMap`,
/// `heapless::String` and `heapless::Vec`; derive it for your own types with
/// `#[derive(koffer::Describe)]`.
pub trait Describe {
    /// The type's descriptor.
    const TYPE: &'static Type;
}

macro_rules! primitive {
    ($($t:ty => $v:ident),* $(,)?) => {
        $(impl Describe for $t {
            const TYPE: &'static Type = &Type::$v;
        })*
    };
}

primitive! {
    bool => Bool, u8 => U8, u16 => U16, u32 => U32, u64 => U64, u128 => U128,
    i8 => I8, i16 => I16, i32 => I32, i64 => I64, i128 => I128,
    f32 => F32, f64 => F64, char => Char, str => String, () => Unit,
}

impl<T: Describe + ?Sized> Describe for &T {
    const TYPE: &'static Type = T::TYPE;
}

impl<T: Describe + ?Sized> Describe for &mut T {
    const TYPE: &'static Type = T::TYPE;
}

impl<T: Describe> Describe for Option<T> {
    const TYPE: &'static Type = &Type::Option(T::TYPE);
}

impl<T: Describe> Describe for [T] {
    const TYPE: &'static Type = &Type::Seq(T::TYPE);
}

impl<T: Describe, const N: usize> Describe for [T; N] {
    const TYPE: &'static Type = &Type::Array(N as u32, T::TYPE);
}

impl<T: Describe + ?Sized> Describe for core::marker::PhantomData<T> {
    const TYPE: &'static Type = &Type::UnitStruct("PhantomData");
}

macro_rules! tuple {
    ($($name:ident),+) => {
        impl<$($name: Describe),+> Describe for ($($name,)+) {
            const TYPE: &'static Type = &Type::Tuple(&[$($name::TYPE),+]);
        }
    };
}

tuple!(A);
tuple!(A, B);
tuple!(A, B, C);
tuple!(A, B, C, D);
tuple!(A, B, C, D, E);
tuple!(A, B, C, D, E, F);
tuple!(A, B, C, D, E, F, G);
tuple!(A, B, C, D, E, F, G, H);

#[cfg(feature = "alloc")]
mod alloc_impls {
    extern crate alloc;
    use super::{Describe, Type};

    impl Describe for alloc::string::String {
        const TYPE: &'static Type = &Type::String;
    }

    impl<T: Describe> Describe for alloc::vec::Vec<T> {
        const TYPE: &'static Type = &Type::Seq(T::TYPE);
    }

    impl<T: Describe + ?Sized> Describe for alloc::boxed::Box<T> {
        const TYPE: &'static Type = T::TYPE;
    }

    impl<K: Describe, V: Describe> Describe for alloc::collections::BTreeMap<K, V> {
        const TYPE: &'static Type = &Type::Map(K::TYPE, V::TYPE);
    }
}

#[cfg(feature = "std")]
impl<K: Describe, V: Describe, S> Describe for std::collections::HashMap<K, V, S> {
    const TYPE: &'static Type = &Type::Map(K::TYPE, V::TYPE);
}

#[cfg(feature = "heapless")]
impl<const N: usize> Describe for heapless::String<N> {
    const TYPE: &'static Type = &Type::String;
}

#[cfg(feature = "heapless")]
impl<T: Describe, const N: usize> Describe for heapless::Vec<T, N> {
    const TYPE: &'static Type = &Type::Seq(T::TYPE);
}
