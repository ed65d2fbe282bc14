//! The language's functions, types and aggregates against Spark, as one test binary: each
//! file named here is a module of it. See `streaming.rs` for why the tests are two binaries.
//! Run one file's tests with `cargo test --test functions nested::`.
#[path = "aggregates.rs"]
pub mod aggregates;
#[path = "arrays.rs"]
pub mod arrays;
#[path = "casts.rs"]
pub mod casts;
#[path = "coercions.rs"]
pub mod coercions;

#[path = "common/mod.rs"]
mod common;
#[path = "conditionals.rs"]
pub mod conditionals;
#[path = "cookbook.rs"]
pub mod cookbook;
#[path = "csv_spark.rs"]
pub mod csv_spark;
#[path = "current_time.rs"]
pub mod current_time;
#[path = "datetime_functions.rs"]
pub mod datetime_functions;
#[path = "decimals.rs"]
pub mod decimals;
#[path = "double_sums.rs"]
pub mod double_sums;
#[path = "json_functions.rs"]
pub mod json_functions;
#[path = "nested.rs"]
pub mod nested;
#[path = "scalar_functions.rs"]
pub mod scalar_functions;
#[path = "session_aggregates.rs"]
pub mod session_aggregates;
#[path = "small_numbers.rs"]
pub mod small_numbers;
#[path = "text_functions.rs"]
pub mod text_functions;
#[path = "time_functions.rs"]
pub mod time_functions;
