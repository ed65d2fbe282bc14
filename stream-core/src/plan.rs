//! The seam between the `stream!` macro and the runtime: the [`StreamPlan`] trait.
//!
//! For each `query` the macro generates one type implementing [`StreamPlan`]: its static
//! facts ([`PlanFacts`]: inputs and their projections, watermark, plan), its output row, and a
//! `run_batch_stream` that runs the query's fused stateless steps and its stateful operators
//! over a micro-batch of every input and returns the rows to hand the sink. The runtime ([`DataStreamWriter`](crate::DataStreamWriter),
//! [`StreamingQuery`](crate::StreamingQuery)) is generic over this trait and knows nothing
//! else about any query.
//!
//! Which output modes a query allows is decided by the macro and written in the type system:
//! it implements [`SupportsAppend`], [`SupportsUpdate`] and [`SupportsComplete`] only where
//! Spark would accept that mode, so choosing an illegal mode is a compile error.

use std::fmt;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;

use crate::error::Result;
use crate::source::SourceSchema;
use crate::types::Timestamp;
use crate::watermark::EventTimeStats;

/// How the rows of a streaming query's result table reach the sink after each micro-batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum OutputMode {
    /// Only rows added since the last batch; a row, once emitted, never changes.
    Append,
    /// Only rows that changed in the last batch.
    Update,
    /// The whole result table after every batch.
    Complete,
}

impl fmt::Display for OutputMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Append => "append",
            Self::Update => "update",
            Self::Complete => "complete",
        })
    }
}

/// Output-mode markers for [`DataStreamWriter`](crate::DataStreamWriter): the mode is part of the writer's type, so
/// that a mode the query does not support is a compile error.
pub mod mode {
    use super::OutputMode;

    /// No output mode chosen yet.
    #[derive(Debug)]
    pub struct NotChosen;
    /// [`OutputMode::Append`].
    #[derive(Debug)]
    pub struct Append;
    /// [`OutputMode::Update`].
    #[derive(Debug)]
    pub struct Update;
    /// [`OutputMode::Complete`].
    #[derive(Debug)]
    pub struct Complete;

    /// An output mode that has been chosen.
    #[diagnostic::on_unimplemented(
        message = "no output mode was chosen for this streaming query",
        label = "output mode missing",
        note = "choose one with `.append()`, `.update()` or `.complete()` before `.start()`"
    )]
    pub trait Chosen {
        /// The mode's runtime value.
        const MODE: OutputMode;
    }
    #[diagnostic::do_not_recommend]
    impl Chosen for Append {
        const MODE: OutputMode = OutputMode::Append;
    }
    #[diagnostic::do_not_recommend]
    impl Chosen for Update {
        const MODE: OutputMode = OutputMode::Update;
    }
    #[diagnostic::do_not_recommend]
    impl Chosen for Complete {
        const MODE: OutputMode = OutputMode::Complete;
    }
}

/// A row type the macro generated for a schema or a query's output, convertible to and from
/// Arrow record batches.
pub trait Row: Sized + Send + 'static {
    /// The Arrow schema of a batch of these rows.
    fn schema() -> SchemaRef;

    /// Reads every row of `batch`, whose columns are found by name.
    ///
    /// # Errors
    /// When a column is missing, has another type, or holds a null where the row's field is
    /// not an `Option`.
    fn from_batch(batch: &RecordBatch) -> Result<Vec<Self>>;

    /// Builds a record batch with [`Row::schema`] from `rows`.
    ///
    /// # Errors
    /// Only if Arrow rejects the columns, which would be a bug in generated code.
    fn to_batch(rows: &[Self]) -> Result<RecordBatch>;
}

/// Size and churn of a stateful operator after a batch, for progress reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StateMetrics {
    /// Keys held in state.
    pub num_rows_total: u64,
    /// Keys inserted or updated in the last batch.
    pub num_rows_updated: u64,
    /// Keys removed in the last batch.
    pub num_rows_removed: u64,
    /// Approximate memory held by state, in bytes.
    pub memory_used_bytes: u64,
}

/// One stateful operator's report after a batch, for the progress report's `stateOperators`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OperatorReport {
    /// Spark's name for the operator: `stateStoreSave`, `sessionWindowStateStoreSaveExec`,
    /// `dedupe` or `dedupeWithinWatermark`.
    pub name: &'static str,
    /// Its state's size and churn.
    pub metrics: StateMetrics,
    /// The input it dropped as late in the last batch (rows, or groups for an aggregation, as
    /// Spark counts them).
    pub dropped_by_watermark: u64,
}

/// What the engine tells a plan about one batch, and what the plan reports back.
#[derive(Debug, Clone, Default)]
pub struct BatchContext {
    /// The watermark of this batch, which evicts state and decides what append mode emits
    /// (the epoch when the query has none).
    pub watermark: Timestamp,
    /// The previous batch's watermark, which decides which input rows are too late — Spark
    /// filters late rows one batch behind eviction.
    pub late_event_watermark: Timestamp,
    /// Event times of the rows that reached each `with_watermark` of the query, in plan order
    /// (filled by the plan, through [`observe_event_time`](Self::observe_event_time)).
    pub event_times: Vec<EventTimeStats>,
    /// Late input dropped by the watermark (filled by the plan): groups, as Spark counts them
    /// after its partial aggregation.
    pub dropped_by_watermark: u64,
    /// Values a parsing function (`to_timestamp`, `to_date`) could not parse and made null.
    pub unparseable_values: u64,
    /// The rows the watermark dropped, for a query that keeps them (`keep_late_rows()`).
    pub late_rows: Option<RecordBatch>,
    /// The batch's timestamp, which `current_timestamp()` gives for every row of the batch (and
    /// again when the batch is re-run after a restart, from the offset log).
    pub batch_timestamp: Timestamp,
}

impl BatchContext {
    /// Records that a row with event time `ts` reached the query's `index`th `with_watermark`.
    #[inline]
    pub fn observe_event_time(&mut self, index: usize, ts: Timestamp) {
        if index >= self.event_times.len() {
            self.event_times.resize_with(index + 1, EventTimeStats::default);
        }
        self.event_times[index].observe(ts);
    }

    /// The event-time statistics a progress report shows: as Spark's, those of the query's
    /// first watermark (in plan order: the left side's of a join) that saw rows.
    #[must_use]
    pub fn event_time(&self) -> EventTimeStats {
        self.event_times
            .iter()
            .find(|stats| stats.max.is_some())
            .copied()
            .unwrap_or_default()
    }

    /// A context for a batch evicting with `watermark` and dropping rows at or before
    /// `late_event_watermark`.
    #[must_use]
    pub fn new(watermark: Timestamp, late_event_watermark: Timestamp) -> Self {
        Self {
            watermark,
            late_event_watermark,
            ..Self::default()
        }
    }
}

/// One input of a query: a source bound by name when the query is started.
#[derive(Debug, Clone)]
pub struct InputFacts {
    /// The input's name in the query's signature (`raw` in `query Q(raw: Event)`).
    pub name: &'static str,
    /// Its declared schema, the columns the query reads and their decoder.
    pub schema: SourceSchema,
}

/// What the runtime needs to know about a compiled query before it runs it: fixed when the query
/// is compiled.
///
/// ```
/// # rill::stream! { schema E { user_id: String, amount: f64 } query Both(web: E, mobile: E) { web.union(mobile).select(user_id) } }
/// use rill::StreamPlan;
/// let facts = Both::facts();
/// let inputs: Vec<&str> = facts.inputs.iter().map(|input| input.name).collect();
/// assert_eq!(inputs, ["web", "mobile"]);
/// assert_eq!(facts.inputs[0].schema.projection, [0], "only `user_id` is decoded");
/// ```
#[derive(Debug, Clone)]
pub struct PlanFacts {
    /// The query's name as declared in `stream!`.
    pub name: &'static str,
    /// Its inputs, in the order of its signature; each is read from its own source and keeps
    /// its own offsets in the checkpoint (`sources/<i>`).
    pub inputs: Vec<InputFacts>,
    /// Whether the query keeps state across batches (it aggregates, deduplicates or joins
    /// streams).
    pub stateful: bool,
    /// Whether a batch without new data runs when the watermark moves, to evict (and emit)
    /// state: Spark's `shouldRunAnotherBatch`, false for a stream–stream join whose state the
    /// watermark never evicts.
    pub evicts_by_watermark: bool,
    /// Whether a batch runs at every trigger of a processing-time trigger with an interval, new
    /// data or not: a processor's processing-time timers fire in it (Spark's
    /// `shouldRunAnotherBatch` for `transformWithState` in `ProcessingTime` mode).
    pub runs_every_trigger: bool,
    /// The delay of each of the query's watermarks (`with_watermark`, one per input that has
    /// one), in microseconds, in plan order; empty when it has none.
    pub watermark_delays_micros: Vec<i64>,
    /// Indices of the output columns that form the aggregation key (empty when stateless);
    /// sinks that upsert in update mode match rows on them.
    pub key_columns: &'static [usize],
    /// The plan as text, stage by stage.
    pub explain: &'static str,
    /// A stable fingerprint of the plan (FNV-1a over its canonical text).
    pub fingerprint: u64,
}

/// One input's record batches for a micro-batch, as they are decoded.
pub type InputBatches<'a> = &'a mut dyn Iterator<Item = Result<RecordBatch>>;

/// Every input's batches, one input after the other: what the row loop of a query generated
/// by `stream!` runs over (the union of its inputs, when it has several).
///
/// # Errors
/// [`Error::SchemaMismatch`](crate::Error::SchemaMismatch) when `inputs` does not hold `count`
/// streams.
///
/// ```
/// use stream_core::plan::{InputBatches, input_batches};
/// let (mut left, mut right) = (std::iter::empty(), std::iter::empty());
/// let mut inputs: [InputBatches<'_>; 2] = [&mut left, &mut right];
/// assert_eq!(input_batches(&mut inputs, 2, "q").unwrap().count(), 0);
/// assert!(input_batches(&mut inputs, 1, "q").is_err());
/// ```
pub fn input_batches<'a, 'b: 'a>(
    inputs: &'a mut [InputBatches<'b>],
    count: usize,
    query: &str,
) -> Result<impl Iterator<Item = Result<RecordBatch>> + 'a> {
    if inputs.len() != count {
        return Err(crate::Error::SchemaMismatch {
            query: query.to_owned(),
            message: format!("it reads {count} inputs, but was given {}", inputs.len()),
        });
    }
    Ok(inputs.iter_mut().flat_map(|input| &mut **input))
}

/// One compiled streaming query. Implemented by the `stream!` macro; not meant to be
/// implemented by hand.
///
/// A query is a small dataflow graph: each input's batches go through the query's fused
/// stateless steps into its stateful operators (the types of [`crate::operator`]) and out as one
/// batch of rows for the sink. The runtime drives it one micro-batch at a time through
/// [`run_batch_stream`](Self::run_batch_stream) and checkpoints its state through
/// its operators ([`stateful_operators`](Self::stateful_operators)).
pub trait StreamPlan: Send + Sized + 'static {
    /// The typed output row.
    type Output: Row;

    /// The typed row the watermark drops, for a query with `keep_late_rows()`; [`NoRows`] otherwise.
    type LateRow: Row;

    /// The query's static facts: its name, inputs, watermark, key columns and plan.
    fn facts() -> PlanFacts;

    /// A fresh instance with empty state.
    fn create() -> Self;

    /// Takes the tables of the query's static inputs (in the order of its signature) and
    /// indexes them by their join keys; a query without static inputs needs none.
    ///
    /// # Errors
    /// When a table is missing or of another schema.
    fn attach_static_tables(&mut self, tables: &crate::operator::StaticTables) -> Result<()> {
        let _ = tables;
        Ok(())
    }

    /// Runs one micro-batch of a query with one input over `input` (batches holding the
    /// input's projected columns, in that order) and returns the rows to hand the sink in
    /// `mode`; see [`run_batch_stream`](Self::run_batch_stream).
    ///
    /// # Errors
    /// When an input batch does not have the expected columns, or the query has several inputs.
    fn run_batch(
        &mut self,
        input: &[RecordBatch],
        mode: OutputMode,
        context: &mut BatchContext,
    ) -> Result<RecordBatch> {
        self.run_batch_stream(&mut [&mut input.iter().cloned().map(Ok)], mode, context)
    }

    /// Runs one micro-batch over `inputs` — one stream of batches per input, in the order of
    /// [`PlanFacts::inputs`], each holding that input's projected columns — as the batches
    /// arrive (while a source is still decoding the rest on other threads), and returns the
    /// rows to hand the sink in `mode`. `context` carries the batch's watermark in and the
    /// event-time statistics out; empty inputs make a no-data batch, run only to evict (and in
    /// append mode emit) what the watermark has passed. The first error in an input ends the
    /// batch with it.
    ///
    /// # Errors
    /// An error from an input, an input batch without the expected columns, or another number of
    /// inputs than the query has.
    fn run_batch_stream(
        &mut self,
        inputs: &mut [InputBatches<'_>],
        mode: OutputMode,
        context: &mut BatchContext,
    ) -> Result<RecordBatch>;

    /// Each stateful operator's name and state metrics after the last batch, in plan order;
    /// empty for a stateless query.
    fn state_operators(&self) -> Vec<OperatorReport>;

    /// Each stateful operator, in plan order (as [`state_operators`](Self::state_operators)), for
    /// the checkpoint to write and restore their state; empty for a stateless query.
    fn stateful_operators(&mut self) -> Vec<&mut dyn crate::operator::StatefulOperator>;
}

/// The late-row type of a query that does not keep its late rows: it has no columns and no rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoRows;

impl Row for NoRows {
    fn schema() -> SchemaRef {
        std::sync::Arc::new(arrow_schema::Schema::empty())
    }

    fn from_batch(_batch: &RecordBatch) -> Result<Vec<Self>> {
        Ok(Vec::new())
    }

    fn to_batch(_rows: &[Self]) -> Result<RecordBatch> {
        Ok(RecordBatch::new_empty(Self::schema()))
    }
}

/// Marks a query that keeps the rows its watermark drops (`keep_late_rows()` in `stream!`), so
/// they can be sent to a sink of their own.
#[diagnostic::on_unimplemented(
    message = "query `{Self}` does not keep its late rows",
    label = "late rows cannot be routed here",
    note = "a query keeps the rows its watermark drops when it says so: add `.keep_late_rows()` after `.with_watermark(..)`"
)]
pub trait KeepsLateRows: StreamPlan {}

/// Marks a query whose result rows never change once produced, so append mode is allowed:
/// a query without aggregation, or one grouped by an event-time key under a watermark, that
/// does not sort or limit its result.
#[diagnostic::on_unimplemented(
    message = "output mode `append` is not supported for `{Self}`: it aggregates without a watermarked event-time key, or sorts its result",
    label = "`append` chosen here",
    note = "append mode emits each group once, when the watermark guarantees it is final; only a group keyed by event time (the watermarked column, or a `window` over it) ever becomes final",
    note = "use `.update()` or `.complete()`, or group by the watermarked event time: `window(event_time, \"1 hour\")` or `event_time` itself, with `.with_watermark(event_time, \"10 minutes\")` before the aggregation",
    note = "or, if it sorts or limits its result (`order_by`, `limit`): Spark allows that in complete mode only"
)]
pub trait SupportsAppend: StreamPlan {}

/// Marks a query that may emit changed rows, so update mode is allowed: any query but one
/// grouped by a session window, one that sorts or limits its result, or an outer join of two
/// streams.
#[diagnostic::on_unimplemented(
    message = "output mode `update` is not supported for `{Self}`: it groups by a session window, sorts its result, is an outer join of two streams, or aggregates an aggregation's rows",
    label = "`update` chosen here",
    note = "a session can still merge with a later one, so its row cannot be updated in place",
    note = "use `.append()` to emit each session once it closes, or `.complete()`",
    note = "or, if it sorts or limits its result (`order_by`, `limit`): Spark allows that in complete mode only",
    note = "or, if it is an outer join of two streams: Spark allows that in append mode only (\"LeftOuter join between two streaming DataFrames/Datasets is not supported in Update output mode, only in Append output mode\"); use `.append()`",
    note = "or, if it aggregates an aggregation's rows: Spark chains aggregations in append mode only, in which each group the first emits is final; use `.append()`"
)]
pub trait SupportsUpdate: StreamPlan {}

/// Marks a query that aggregates (and joins no two streams), so complete mode is allowed.
#[diagnostic::on_unimplemented(
    message = "output mode `complete` is not supported for `{Self}`: it has no streaming aggregation, joins two streams, runs a stateful processor, or aggregates an aggregation's rows",
    label = "`complete` chosen here",
    note = "complete mode re-emits the whole result table every batch, which for a query without aggregation would mean keeping every input row forever",
    note = "use `.append()` or `.update()`, or add `.group_by(..).agg(..)` to the query",
    note = "a join of two streams runs in append mode only, as in Spark: use `.append()`",
    note = "a stateful processor (`transform_with_state`) emits in append or update mode only, as in Spark",
    note = "an aggregation of an aggregation's rows runs in append mode only, as in Spark"
)]
pub trait SupportsComplete: StreamPlan {}
