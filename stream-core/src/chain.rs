//! Chained stateful operators: a query whose aggregation reads the rows of another stateful
//! operator (an aggregation, a stream–stream join, a processor), as Spark runs them since 3.4.
//!
//! `stream!` compiles such a query into two plans, the upstream (from the sources to the first
//! operator's rows) and the downstream (from those rows to the sink), and [`Chained`] runs them
//! as one: in each micro-batch the upstream runs first, in append mode, and its rows are the
//! downstream's input in the same batch. The downstream's watermark is the upstream operator's
//! *output* watermark (Spark's `produceOutputWatermark`): an aggregation's or deduplication's
//! input watermark, a join's state watermark.

use arrow_array::RecordBatch;

use crate::operator::StatefulOperator;
use crate::plan::{BatchContext, InputBatches, OperatorReport, OutputMode, PlanFacts, StreamPlan};
use crate::types::Timestamp;
use crate::{Error, Result};

/// Two compiled plans run as one query: `Up`'s rows are `Down`'s one input.
///
/// ```
/// rill::stream! {
///     schema Event { user: String, event_time: Timestamp }
///     query Hourly(events: Event) {
///         events.with_watermark(event_time, "10 minutes")
///               .group_by(window(event_time, "5 minutes"), user)
///               .agg(n = count())
///               .group_by(window(window_time(window), "1 hour"))
///               .agg(windows = count(), events = sum(n))
///     }
/// }
/// use rill::StreamPlan;
/// // Both aggregations report, the one nearer the sink first, as Spark lists them.
/// let names: Vec<&str> = Hourly::create().state_operators().iter().map(|op| op.name).collect();
/// assert_eq!(names, ["stateStoreSave", "stateStoreSave"]);
/// ```
#[derive(Debug)]
pub struct Chained<Up, Down> {
    upstream: Up,
    downstream: Down,
    /// The upstream's output columns the downstream reads, in its order.
    projection: Vec<usize>,
}

impl<Up: StreamPlan, Down: StreamPlan> Chained<Up, Down> {
    /// Both plans with empty state.
    #[must_use]
    pub fn create() -> Self {
        let projection = Down::facts()
            .inputs
            .first()
            .map(|input| input.schema.projection.clone())
            .unwrap_or_default();
        Self {
            upstream: Up::create(),
            downstream: Down::create(),
            projection,
        }
    }

    /// The chain's facts: the upstream's inputs and watermarks, the downstream's key columns,
    /// with the chain's `name`, `explain` text and `fingerprint`.
    #[must_use]
    pub fn facts(name: &'static str, explain: &'static str, fingerprint: u64) -> PlanFacts {
        let (up, down) = (Up::facts(), Down::facts());
        PlanFacts {
            name,
            inputs: up.inputs,
            stateful: true,
            evicts_by_watermark: up.evicts_by_watermark || down.evicts_by_watermark,
            runs_every_trigger: up.runs_every_trigger || down.runs_every_trigger,
            watermark_delays_micros: up.watermark_delays_micros,
            key_columns: down.key_columns,
            explain,
            fingerprint,
        }
    }

    /// Hands the upstream the query's static tables (a downstream stage has none).
    ///
    /// # Errors
    /// As [`StreamPlan::attach_static_tables`].
    pub fn attach_static_tables(&mut self, tables: &crate::operator::StaticTables) -> Result<()> {
        self.upstream.attach_static_tables(tables)
    }

    /// Runs one micro-batch through both stages: the upstream over `inputs` in append mode (an
    /// upstream aggregation emits each group once, final), then the downstream over its rows in
    /// `mode`, with the upstream operator's output watermarks. `context` gets the upstream's
    /// event times and late rows, and both stages' counts.
    ///
    /// # Errors
    /// An error of either stage, or rows without the columns the downstream reads.
    pub fn run_batch_stream(
        &mut self,
        inputs: &mut [InputBatches<'_>],
        mode: OutputMode,
        context: &mut BatchContext,
    ) -> Result<RecordBatch> {
        let rows = self.upstream.run_batch_stream(inputs, OutputMode::Append, context)?;
        let rows = rows.project(&self.projection).map_err(|e| Error::SchemaMismatch {
            query: Down::facts().name.to_owned(),
            message: format!("the rows of the stateful operation before it lack a column it reads: {e}"),
        })?;
        let mut downstream = BatchContext {
            watermark: self.output_watermark(context.watermark),
            late_event_watermark: self.output_watermark(context.late_event_watermark),
            batch_timestamp: context.batch_timestamp,
            ..BatchContext::default()
        };
        let output = self
            .downstream
            .run_batch_stream(&mut [&mut std::iter::once(Ok(rows))], mode, &mut downstream)?;
        context.dropped_by_watermark += downstream.dropped_by_watermark;
        context.unparseable_values += downstream.unparseable_values;
        Ok(output)
    }

    /// The watermark of the upstream's rows when the query's is `watermark`: each of its
    /// operators, from the source on, passes on its output watermark.
    fn output_watermark(&mut self, watermark: Timestamp) -> Timestamp {
        self.upstream
            .stateful_operators()
            .iter()
            .rev()
            .fold(watermark, |watermark, operator| operator.output_watermark(watermark))
    }

    /// Each operator's report, the downstream's first (from the sink, as Spark lists them).
    #[must_use]
    pub fn state_operators(&self) -> Vec<OperatorReport> {
        let mut reports = self.downstream.state_operators();
        reports.extend(self.upstream.state_operators());
        reports
    }

    /// Each operator, in the order of [`state_operators`](Self::state_operators).
    pub fn stateful_operators(&mut self) -> Vec<&mut dyn StatefulOperator> {
        let mut operators = self.downstream.stateful_operators();
        operators.extend(self.upstream.stateful_operators());
        operators
    }
}
