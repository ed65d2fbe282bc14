//! Column types as the macro reasons about them.

use std::fmt;

/// The value type of a column, without nullability.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub(crate) enum Base {
    Str,
    /// Spark's `tinyint`.
    I8,
    /// Spark's `smallint`.
    I16,
    I32,
    I64,
    /// Spark's `float`.
    F32,
    F64,
    Bool,
    Timestamp,
    Date,
    /// Spark's `window` struct (`start`, `end`); made by `window(..)`, never declared.
    Window,
    /// Spark's `decimal(precision, scale)`.
    Decimal(Precision),
    /// Spark's `array<element>` (`Vec<T>`; `Vec<Option<T>>` when elements may be null). The
    /// element type is interned ([`Base::array`]) so that a type stays `Copy`.
    Array(&'static ColType),
    /// Spark's `struct<..>`: a declared schema used as a column type (its row struct).
    Struct(&'static StructType),
    /// Spark's `map<key, value>` (`Map<String, V>`): keys are strings and never null.
    Map(&'static ColType),
}

/// How to reach the scalars of a nested value `column` holds, for messages.
pub(crate) fn nested_help(base: Base, column: &str) -> String {
    match base {
        Base::Array(_) => format!(
            "help: explode it first, `.select(.., item = explode({column}))`, or use a value made of it such as `size({column})`"
        ),
        Base::Map(_) => format!("help: use a value of it, `{column}[\"key\"]`, or `size({column})`"),
        Base::Struct(fields) => format!(
            "help: use its fields, such as `{column}.{}`",
            fields.names().next().unwrap_or("field")
        ),
        _ => String::new(),
    }
}

/// The fields of a struct column: the schema it is.
#[derive(PartialEq, Eq, Debug, Hash)]
pub(crate) struct StructType {
    /// The schema's name, which is the Rust type of its values.
    pub(crate) name: String,
    /// Each field's name as Rust writes it (`r#type`), then its type.
    pub(crate) fields: Vec<(String, ColType)>,
}

impl StructType {
    /// The position and type of the field called `name` (as a query writes it).
    pub(crate) fn field(&self, name: &str) -> Option<(usize, ColType)> {
        self.fields
            .iter()
            .position(|(field, _)| field.strip_prefix("r#").unwrap_or(field) == name)
            .map(|index| (index, self.fields[index].1))
    }

    /// The fields' names as the data spells them.
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.fields
            .iter()
            .map(|(field, _)| field.strip_prefix("r#").unwrap_or(field))
    }
}

/// Leaks `value` once per distinct value for the macro's lifetime: a query names a handful of
/// nested types, and interning keeps [`Base`] `Copy` at any depth.
fn intern<T: PartialEq + 'static>(
    value: T,
    interned: &'static std::thread::LocalKey<std::cell::RefCell<Vec<&'static T>>>,
) -> &'static T {
    interned.with(|known| {
        let mut known = known.borrow_mut();
        if let Some(found) = known.iter().find(|held| ***held == value) {
            return *found;
        }
        let leaked: &'static T = Box::leak(Box::new(value));
        known.push(leaked);
        leaked
    })
}

thread_local! {
    static ELEMENTS: std::cell::RefCell<Vec<&'static ColType>> = const { std::cell::RefCell::new(Vec::new()) };
    static STRUCTS: std::cell::RefCell<Vec<&'static StructType>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A decimal type's precision (1..=38 digits) and scale (0..=precision of them after the point).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub(crate) struct Precision {
    pub(crate) precision: u8,
    pub(crate) scale: u8,
}

/// Spark's `DecimalType.MAX_PRECISION`.
pub(crate) const MAX_PRECISION: u8 = 38;

impl Precision {
    /// `decimal(precision, scale)`, both already in range.
    pub(crate) const fn new(precision: u8, scale: u8) -> Self {
        Self { precision, scale }
    }

    /// Spark's `DecimalType.bounded`: precision and scale capped at 38.
    pub(crate) fn bounded(precision: u32, scale: u32) -> Self {
        let cap = |v: u32| u8::try_from(v.min(u32::from(MAX_PRECISION))).unwrap_or(MAX_PRECISION);
        Self::new(cap(precision), cap(scale))
    }

    /// Spark's `DecimalType.adjustPrecisionScale` (with `allowPrecisionLoss`, the default): a
    /// result wider than 38 digits keeps its integer digits and gives up scale, down to 6.
    pub(crate) fn adjusted(precision: u32, scale: u32) -> Self {
        let max = u32::from(MAX_PRECISION);
        if precision <= max {
            return Self::bounded(precision, scale);
        }
        let integer_digits = precision - scale;
        let min_scale = scale.min(6);
        let scale = max.saturating_sub(integer_digits).max(min_scale);
        Self::bounded(max, scale)
    }

    /// Digits before the point.
    pub(crate) fn integer_digits(self) -> u32 {
        u32::from(self.precision - self.scale)
    }

    /// The decimal type an integer type widens to (Spark's `DecimalType.forType`).
    pub(crate) fn of_integer(base: Base) -> Option<Self> {
        match base {
            Base::I8 => Some(Self::new(3, 0)),
            Base::I16 => Some(Self::new(5, 0)),
            Base::I32 => Some(Self::new(10, 0)),
            Base::I64 => Some(Self::new(20, 0)),
            Base::Decimal(precision) => Some(precision),
            _ => None,
        }
    }

    /// The narrowest type holding both (Spark's `widerDecimalType`); beyond 38 digits, the
    /// integer digits are kept and places given up (`decimal(38,0)` with `decimal(38,18)` is
    /// `decimal(38,0)`), as Spark's `boundedPreferIntegralDigits`.
    pub(crate) fn wider(self, other: Self) -> Self {
        let scale = u32::from(self.scale.max(other.scale));
        let integer_digits = self.integer_digits().max(other.integer_digits());
        let max = u32::from(MAX_PRECISION);
        if integer_digits + scale <= max {
            return Self::bounded(integer_digits + scale, scale);
        }
        Self::bounded(max, max.saturating_sub(integer_digits))
    }

    /// Whether every value of `self` fits in `to` (so a conversion never gives null).
    pub(crate) fn fits_in(self, to: Self) -> bool {
        self.integer_digits() <= to.integer_digits()
    }

    /// The result type of `left op right` (Spark's `DecimalPrecision`).
    pub(crate) fn arithmetic(op: crate::parse::BinaryOp, left: Self, right: Self) -> Self {
        use crate::parse::BinaryOp;
        let (p1, s1, p2, s2) = (
            u32::from(left.precision),
            u32::from(left.scale),
            u32::from(right.precision),
            u32::from(right.scale),
        );
        match op {
            BinaryOp::Mul => Self::adjusted(p1 + p2 + 1, s1 + s2),
            BinaryOp::Div => {
                let scale = 6.max(s1 + p2 + 1);
                Self::adjusted(p1 - s1 + s2 + scale, scale)
            }
            BinaryOp::Rem => {
                let scale = s1.max(s2);
                Self::adjusted((p1 - s1).min(p2 - s2) + scale, scale)
            }
            _ => {
                let scale = s1.max(s2);
                Self::adjusted((p1 - s1).max(p2 - s2) + scale + 1, scale)
            }
        }
    }

    /// Whether `left op right` may not fit the result type (then it is null, as Spark's with
    /// ANSI off): never for sums and products whose exact digits fit in 38.
    pub(crate) fn may_overflow(op: crate::parse::BinaryOp, left: Self, right: Self) -> bool {
        use crate::parse::BinaryOp;
        let (p1, s1, p2, s2) = (
            u32::from(left.precision),
            u32::from(left.scale),
            u32::from(right.precision),
            u32::from(right.scale),
        );
        let exact = match op {
            BinaryOp::Mul => p1 + p2 + 1,
            BinaryOp::Add | BinaryOp::Sub => (p1 - s1).max(p2 - s2) + s1.max(s2) + 1,
            _ => return true,
        };
        exact > u32::from(MAX_PRECISION)
    }
}

impl std::fmt::Display for Precision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Decimal<{}, {}>", self.precision, self.scale)
    }
}

impl Base {
    /// The types a schema may declare.
    pub(crate) const ALL: [Base; 10] = [
        Self::Str,
        Self::I8,
        Self::I16,
        Self::I32,
        Self::I64,
        Self::F32,
        Self::F64,
        Self::Bool,
        Self::Timestamp,
        Self::Date,
    ];

    /// The name a schema uses for this type (`Decimal` without its precision).
    pub(crate) fn rust_name(self) -> &'static str {
        match self {
            Self::Str => "String",
            Self::I8 => "i8",
            Self::I16 => "i16",
            Self::I32 => "i32",
            Self::I64 => "i64",
            Self::F32 => "f32",
            Self::F64 => "f64",
            Self::Bool => "bool",
            Self::Timestamp => "Timestamp",
            Self::Date => "Date",
            Self::Window => "Window",
            Self::Decimal(_) => "Decimal",
            Self::Array(_) => "Vec",
            Self::Struct(_) => "struct",
            Self::Map(_) => "Map",
        }
    }

    /// The type as a schema writes it (`Decimal<10, 2>` with its precision, `Vec<String>`).
    pub(crate) fn written(self) -> String {
        match self {
            Self::Decimal(precision) => precision.to_string(),
            Self::Array(element) => format!("Vec<{element}>"),
            Self::Struct(fields) => fields.name.clone(),
            Self::Map(value) => format!("Map<String, {value}>"),
            _ => self.rust_name().to_owned(),
        }
    }

    /// The array type of `element`s.
    pub(crate) fn array(element: ColType) -> Self {
        Self::Array(intern(element, &ELEMENTS))
    }

    /// The map type from strings to `value`s.
    pub(crate) fn map(value: ColType) -> Self {
        Self::Map(intern(value, &ELEMENTS))
    }

    /// The struct type of a schema.
    pub(crate) fn structure(fields: StructType) -> Self {
        Self::Struct(intern(fields, &STRUCTS))
    }

    /// What a nested type is, with its article: `an array`, `a struct`, `a map`.
    pub(crate) fn nested_noun(self) -> &'static str {
        match self {
            Self::Array(_) => "an array",
            Self::Map(_) => "a map",
            _ => "a struct",
        }
    }

    /// Whether values of this type hold others (an array, a struct, a map): they cannot be keys
    /// of state or compared yet.
    pub(crate) fn is_nested(self) -> bool {
        matches!(self, Self::Array(_) | Self::Struct(_) | Self::Map(_))
    }

    /// Spark's name of the type (`string`, `decimal(10,2)`, `array<int>`), as `cast` and its
    /// messages write it.
    pub(crate) fn spark_name(self) -> String {
        match self {
            Self::Decimal(p) => format!("decimal({},{})", p.precision, p.scale),
            Self::Array(element) => format!("array<{}>", element.base.spark_name()),
            Self::Map(value) => format!("map<string,{}>", value.base.spark_name()),
            Self::Struct(fields) => {
                let parts: Vec<String> = fields
                    .names()
                    .zip(&fields.fields)
                    .map(|(name, (_, ty))| format!("{name}:{}", ty.base.spark_name()))
                    .collect();
                format!("struct<{}>", parts.join(","))
            }
            Self::Window => "struct<start:timestamp,end:timestamp>".to_owned(),
            _ => crate::ir::CAST_TYPES
                .iter()
                .find(|(_, known)| *known == self)
                .map_or_else(|| self.written(), |(name, _)| (*name).to_owned()),
        }
    }

    /// The element type, for an array.
    pub(crate) fn element(self) -> Option<ColType> {
        match self {
            Self::Array(element) => Some(*element),
            _ => None,
        }
    }

    /// Whether values of this type are held by reference in generated code (`&str`, `&[T]`),
    /// not copied.
    pub(crate) fn is_borrowed(self) -> bool {
        matches!(self, Self::Str | Self::Array(_) | Self::Map(_))
    }

    /// The decimal type's precision, for a decimal.
    pub(crate) fn decimal(self) -> Option<Precision> {
        match self {
            Self::Decimal(precision) => Some(precision),
            _ => None,
        }
    }

    pub(crate) fn from_rust_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.rust_name() == name)
    }

    pub(crate) fn is_numeric(self) -> bool {
        self.is_integer() || self.is_float() || self.is_decimal()
    }

    pub(crate) fn is_decimal(self) -> bool {
        matches!(self, Self::Decimal(_))
    }

    pub(crate) fn is_integer(self) -> bool {
        matches!(self, Self::I8 | Self::I16 | Self::I32 | Self::I64)
    }

    pub(crate) fn is_float(self) -> bool {
        matches!(self, Self::F32 | Self::F64)
    }

    /// Every numeric type.
    pub(crate) const NUMERIC: [Base; 6] = [Self::I8, Self::I16, Self::I32, Self::I64, Self::F32, Self::F64];

    /// Every integer type.
    pub(crate) const INTEGER: [Base; 4] = [Self::I8, Self::I16, Self::I32, Self::I64];

    /// The wider of two numeric types (Spark's implicit widening: tinyint < smallint < int <
    /// bigint < float < double; a decimal with an integer or another decimal is the narrowest
    /// decimal holding both, capped at 38 digits; with a float, a double).
    pub(crate) fn widen(self, other: Self) -> Option<Self> {
        match (self.decimal(), other.decimal()) {
            (None, None) => {}
            _ if self.is_float() || other.is_float() => return Some(Self::F64),
            _ => {
                let (left, right) = (Precision::of_integer(self)?, Precision::of_integer(other)?);
                return Some(Self::Decimal(left.wider(right)));
            }
        }
        let rank = |b: Self| match b {
            Self::I8 => Some(0),
            Self::I16 => Some(1),
            Self::I32 => Some(2),
            Self::I64 => Some(3),
            Self::F32 => Some(4),
            Self::F64 => Some(5),
            _ => None,
        };
        let (a, b) = (rank(self)?, rank(other)?);
        Some(if a >= b { self } else { other })
    }

    /// Whether two types can be compared with each other.
    pub(crate) fn comparable(self, other: Self) -> bool {
        (self == other && !self.is_nested()) || (self.is_numeric() && other.is_numeric())
    }
}

/// A column type: value type plus nullability.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub(crate) struct ColType {
    pub(crate) base: Base,
    pub(crate) nullable: bool,
}

impl ColType {
    pub(crate) fn new(base: Base, nullable: bool) -> Self {
        Self { base, nullable }
    }
}

impl fmt::Display for ColType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.nullable {
            write!(f, "Option<{}>", self.base.written())
        } else {
            f.write_str(&self.base.written())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::BinaryOp;

    fn d(precision: u8, scale: u8) -> Precision {
        Precision::new(precision, scale)
    }

    /// Result types Spark 4.3 gives (`golden/decimals`, `column_types`).
    #[test]
    fn arithmetic_types_are_sparks() {
        let cases = [
            (BinaryOp::Add, d(10, 2), d(10, 2), d(11, 2)),
            (BinaryOp::Add, d(10, 2), d(38, 18), d(38, 17)),
            (BinaryOp::Add, d(38, 0), d(38, 38), d(38, 6)),
            (BinaryOp::Mul, d(10, 2), d(38, 18), d(38, 9)),
            (BinaryOp::Mul, d(38, 18), d(38, 18), d(38, 6)),
            (BinaryOp::Mul, d(38, 37), d(38, 37), d(38, 35)),
            (BinaryOp::Mul, d(10, 2), d(1, 0), d(12, 2)),
            (BinaryOp::Div, d(10, 2), d(5, 0), d(16, 8)),
            (BinaryOp::Div, d(10, 2), d(38, 18), d(38, 12)),
            (BinaryOp::Div, d(38, 18), d(38, 18), d(38, 6)),
            (BinaryOp::Div, d(10, 2), d(1, 0), d(14, 6)),
            (BinaryOp::Div, d(20, 0), d(10, 2), d(33, 11)),
            (BinaryOp::Rem, d(10, 2), d(5, 0), d(7, 2)),
            (BinaryOp::Rem, d(38, 18), d(10, 2), d(26, 18)),
            (BinaryOp::Rem, d(10, 2), d(1, 0), d(3, 2)),
        ];
        for (op, left, right, expected) in cases {
            assert_eq!(
                Precision::arithmetic(op, left, right),
                expected,
                "{left} {op:?} {right}"
            );
        }
    }

    #[test]
    fn wider_types_keep_integer_digits() {
        assert_eq!(d(10, 2).wider(d(5, 0)), d(10, 2));
        assert_eq!(d(10, 2).wider(d(10, 0)), d(12, 2));
        assert_eq!(d(10, 2).wider(d(38, 18)), d(38, 18));
        assert_eq!(d(38, 0).wider(d(38, 18)), d(38, 0));
        assert_eq!(d(38, 0).wider(d(38, 38)), d(38, 0));
        assert_eq!(Base::Decimal(d(10, 2)).widen(Base::I32), Some(Base::Decimal(d(12, 2))));
        assert_eq!(Base::Decimal(d(10, 2)).widen(Base::F32), Some(Base::F64));
        assert_eq!(Base::Decimal(d(10, 2)).widen(Base::Str), None);
    }

    #[test]
    fn only_unbounded_sums_and_products_cannot_overflow() {
        assert!(!Precision::may_overflow(BinaryOp::Add, d(10, 2), d(10, 2)));
        assert!(Precision::may_overflow(BinaryOp::Add, d(38, 0), d(1, 0)));
        assert!(!Precision::may_overflow(BinaryOp::Mul, d(10, 2), d(5, 0)));
        assert!(Precision::may_overflow(BinaryOp::Mul, d(20, 2), d(20, 0)));
        assert!(Precision::may_overflow(BinaryOp::Div, d(10, 2), d(5, 0)));
    }
}
