//! The micro-batch runtime of Rill.
//!
//! A streaming query compiled by the `stream!` macro implements [`StreamPlan`]. This crate
//! drives it: a [`Source`] discovers new data each trigger, the plan turns each micro-batch
//! into output rows, a [`Sink`] receives them in the chosen [`OutputMode`], and a
//! [`StreamingQuery`] handle reports progress in Spark's JSON shape.
//!
//! | module | what it holds |
//! |---|---|
//! | [`plan`] | the trait the macro implements, output modes, their compile-time markers |
//! | [`source`] | the source contract, the file source (JSON lines, CSV, Parquet), the memory stream |
//! | [`decode`] | parse modes and the record decoders `stream!` generates |
//! | [`sink`] | the sink contract, memory and console sinks |
//! | [`trigger`] | when batches run |
//! | [`query`] | starting a query and its handle |
//! | [`progress`] | progress reports |
//! | [`state`] | keyed aggregation state |
//! | [`types`], [`datetime`] | `Timestamp`, `Date`, datetime patterns |
//! | [`window`], [`watermark`] | event-time windows and watermarks |
//! | [`functions`], [`cast`], [`regexp`], [`hash`], [`aggregate`], [`columns`] | what generated code calls per row |
//! | [`show`] | Spark's `show()` table layout |
//!
//! Users normally reach all of this through the `rill` facade crate.
#![doc(test(attr(deny(warnings))))]
#![warn(missing_docs)]

pub mod aggregate;
pub mod arrays;
pub mod cast;
pub mod chain;
pub mod checkpoint;
pub mod columns;
pub mod datetime;
pub mod decimal;
pub mod decode;
pub mod error;
#[doc(hidden)]
pub mod failed_column;
pub mod file_uri;
pub mod functions;
pub mod hash;
pub mod json_text;
pub mod operator;
pub mod plan;
pub mod progress;
pub mod query;
pub mod regexp;
pub mod session;
pub mod show;
pub mod sink;
pub mod source;
pub mod state;
pub mod trigger;
pub mod types;
pub mod watermark;
pub mod window;

pub use decimal::Decimal;
pub use error::{Error, Result};
pub use plan::{OutputMode, Row, StreamPlan, mode};
pub use progress::StreamingQueryProgress;
pub use query::{DataStreamWriter, StreamingQuery, checkpointing};
pub use sink::{ConsoleSink, MemorySink, Sink, memory_table};
pub use source::{FileSource, JsonSource, Source};
pub use trigger::Trigger;
pub use types::{Date, Timestamp};
pub use watermark::MultipleWatermarkPolicy;
pub use window::Window;
