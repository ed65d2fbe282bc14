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

    /// The name a schema uses for this type.
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
        }
    }

    pub(crate) fn from_rust_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.rust_name() == name)
    }

    pub(crate) fn is_numeric(self) -> bool {
        self.is_integer() || self.is_float()
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
    /// bigint < float < double).
    pub(crate) fn widen(self, other: Self) -> Option<Self> {
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
        self == other || (self.is_numeric() && other.is_numeric())
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
            write!(f, "Option<{}>", self.base.rust_name())
        } else {
            f.write_str(self.base.rust_name())
        }
    }
}
