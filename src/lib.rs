#![doc = include_str!("../README.md")]
#![doc(test(attr(deny(warnings))))]

pub use stream_core::plan::{SupportsAppend, SupportsComplete, SupportsUpdate};
pub use stream_core::{
    ConsoleSink, DataStreamWriter, Date, Decimal, Error, JsonSource, MemorySink, OutputMode, Result, Row, Sink, Source,
    StreamPlan, StreamingQuery, StreamingQueryProgress, Timestamp, Trigger, Window, memory_table,
};
pub use stream_core::{
    arrays, checkpointing, datetime, decimal, decode, error, file_uri, hash, json_text, mode, operator, plan, progress,
    regexp, show, sink, source, state, trigger, types, watermark, window,
};
pub use stream_macros::stream;

/// Arbitrary stateful processing (Spark's `transformWithState`): implement
/// [`StatefulProcessor`](stateful::StatefulProcessor) and run it with
/// `group_by(..).transform_with_state(MyProcessor, EventTime, input = In, output = Out)`.
pub use stream_core::operator::stateful;

/// Arrow's arrays and record batches, in which batches reach a `ForeachBatch` function and
/// `MemorySink::snapshot`: the version Rill is built with.
pub use arrow_array;

/// Everything a program using Rill usually needs, in one import.
pub mod prelude {
    pub use stream_core::decode::{
        ParseMode,
        csv::{CsvOptions, HeaderColumns},
    };
    pub use stream_core::operator::StaticTable;
    pub use stream_core::{
        ConsoleSink, DataStreamWriter, Date, Decimal, FileSource, JsonSource, MemorySink, MultipleWatermarkPolicy,
        OutputMode, Row, StreamPlan, StreamingQuery, Timestamp, Trigger, Window,
    };
    pub use stream_macros::stream;
}

/// Paths used by code the `stream!` macro generates. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use arrow_array;
    pub use arrow_schema;
    pub use serde;
    pub use serde_json;
    pub use stream_core as core;
}
