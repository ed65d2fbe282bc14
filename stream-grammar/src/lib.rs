//! What Rill's `stream!` macro and its runtime must agree on, in one place: Spark's datetime
//! pattern grammar, its interval strings, its `LIKE` patterns, and the names Spark gives special columns. The macro
//! checks user literals with these at compile time; the runtime compiles the same patterns, so
//! a pattern the compiler accepted never fails at run time.
//!
//! No dependencies: it builds in a moment, for the macro's host build and the runtime alike.

pub mod interval;
pub mod like;
pub mod pattern;

/// The name Spark gives the column that holds a malformed record's text (its default
/// `columnNameOfCorruptRecord`).
pub const CORRUPT_RECORD_COLUMN: &str = "_corrupt_record";
