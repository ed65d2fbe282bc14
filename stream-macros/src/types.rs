//! Column types as the macro reasons about them.

use std::fmt;

/// The value type of a column, without nullability.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub(crate) enum Base {
    Str,
    I32,
    I64,
    F64,
    Bool,
    Timestamp,
    Date,
    /// Spark's `window` struct (`start`, `end`); made by `window(..)`, never declared.
    Window,
}

impl Base {
    /// The types a schema may declare.
    pub(crate) const ALL: [Base; 7] = [
        Self::Str,
        Self::I32,
        Self::I64,
        Self::F64,
        Self::Bool,
        Self::Timestamp,
        Self::Date,
    ];

    /// The name a schema uses for this type.
    pub(crate) fn rust_name(self) -> &'static str {
        match self {
            Self::Str => "String",
            Self::I32 => "i32",
            Self::I64 => "i64",
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
        matches!(self, Self::I32 | Self::I64 | Self::F64)
    }

    pub(crate) fn is_integer(self) -> bool {
        matches!(self, Self::I32 | Self::I64)
    }

    /// The wider of two numeric types (Spark's implicit widening: int < bigint < double).
    pub(crate) fn widen(self, other: Self) -> Option<Self> {
        let rank = |b: Self| match b {
            Self::I32 => Some(0),
            Self::I64 => Some(1),
            Self::F64 => Some(2),
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
