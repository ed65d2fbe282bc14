//! Progress reports, in the shape of Spark's `StreamingQueryProgress` JSON.
//!
//! ```
//! # let progress = stream_core::progress::StreamingQueryProgress::example();
//! let json: serde_json::Value = serde_json::from_str(&progress.json()).unwrap();
//! assert_eq!(json["numInputRows"], 3);
//! assert!(json["durationMs"]["triggerExecution"].is_u64());
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What happened in one micro-batch. Serialises to the same camelCase JSON as Spark's
/// `StreamingQueryProgress.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamingQueryProgress {
    /// The query's id (stable across restarts from a checkpoint).
    pub id: uuid::Uuid,
    /// This run's id.
    pub run_id: uuid::Uuid,
    /// The query's name.
    pub name: Option<String>,
    /// When the trigger started, ISO-8601 in UTC (`2026-01-01T09:00:00.000Z`).
    pub timestamp: String,
    /// The micro-batch id.
    pub batch_id: u64,
    /// Wall time of the whole batch, in milliseconds.
    pub batch_duration: u64,
    /// Rows read from all sources in this batch. As in Spark, a file source whose decoder
    /// applies the query's leading filters counts only the rows that pass them.
    pub num_input_rows: u64,
    /// Rill's addition: values a parsing function (`to_timestamp`, `to_date`) could not parse
    /// and turned into null, so none disappears uncounted. Omitted when zero.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub num_unparseable_values: u64,
    /// Rill's addition: input records that did not fit the schema (see
    /// [`ParseMode`](crate::decode::ParseMode)), whether kept with nulls or dropped. Omitted when zero.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub num_malformed_rows: u64,
    /// Rill's addition: the malformed records not passed on, so that `numInputRows` plus these
    /// equals the records read (less any rows a pushed filter removed). Omitted when zero.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub num_dropped_malformed_rows: u64,
    /// Input rate: rows over the time since the previous trigger started (0 for the first batch, as in Spark).
    pub input_rows_per_second: f64,
    /// Processing rate: rows over this batch's duration.
    pub processed_rows_per_second: f64,
    /// Time spent in each phase, in milliseconds (`latestOffset`, `getBatch`, `walCommit`,
    /// `addBatch`, `commitOffsets`, and `triggerExecution`, the whole trigger with the
    /// checkpoint's commit, as in Spark; Spark's `queryPlanning` does not exist for a compiled
    /// plan).
    pub duration_ms: BTreeMap<String, u64>,
    /// Event-time statistics (`min`, `max`, `avg`, `watermark`) when the query has a watermark.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub event_time: BTreeMap<String, String>,
    /// One entry per stateful operator.
    pub state_operators: Vec<StateOperatorProgress>,
    /// One entry per source.
    pub sources: Vec<SourceProgress>,
    /// The sink.
    pub sink: SinkProgress,
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if passes a reference"
)]
fn is_zero(value: &u64) -> bool {
    *value == 0
}

impl StreamingQueryProgress {
    /// Compact JSON, as Spark's `progress.json`.
    ///
    /// # Panics
    /// Never: every field serialises.
    #[must_use]
    pub fn json(&self) -> String {
        serde_json::to_string(self).expect("progress serialises")
    }

    /// Indented JSON, as Spark's `progress.prettyJson`.
    ///
    /// # Panics
    /// Never: every field serialises.
    #[must_use]
    pub fn pretty_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("progress serialises")
    }

    #[doc(hidden)]
    #[must_use]
    pub fn example() -> Self {
        Self {
            id: uuid::Uuid::nil(),
            run_id: uuid::Uuid::nil(),
            name: Some("example".to_owned()),
            timestamp: "2026-01-01T09:00:00.000Z".to_owned(),
            batch_id: 0,
            batch_duration: 5,
            num_input_rows: 3,
            num_unparseable_values: 0,
            num_malformed_rows: 0,
            num_dropped_malformed_rows: 0,
            input_rows_per_second: 0.0,
            processed_rows_per_second: 600.0,
            duration_ms: BTreeMap::from([("triggerExecution".to_owned(), 5)]),
            event_time: BTreeMap::new(),
            state_operators: Vec::new(),
            sources: Vec::new(),
            sink: SinkProgress {
                description: "MemorySink".to_owned(),
                num_output_rows: 3,
                metrics: BTreeMap::new(),
            },
        }
    }
}

/// Progress of one stateful operator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StateOperatorProgress {
    /// `stateStoreSave` for an aggregation.
    pub operator_name: String,
    /// Keys held in state.
    pub num_rows_total: u64,
    /// Keys inserted or updated in this batch.
    pub num_rows_updated: u64,
    /// Time spent updating state, in milliseconds.
    pub all_updates_time_ms: u64,
    /// Keys removed in this batch.
    pub num_rows_removed: u64,
    /// Time spent removing state, in milliseconds.
    pub all_removals_time_ms: u64,
    /// Time spent writing state to the checkpoint, in milliseconds (0 without a checkpoint;
    /// the query's state is one snapshot, so each operator reports its whole time).
    pub commit_time_ms: u64,
    /// Approximate memory held by state.
    pub memory_used_bytes: u64,
    /// Input rows dropped because they were later than the watermark.
    pub num_rows_dropped_by_watermark: u64,
    /// Spark's shuffle partitions; Rill keeps one state store per operator.
    pub num_shuffle_partitions: u64,
    /// State store instances.
    pub num_state_store_instances: u64,
    /// Operator-specific metrics.
    pub custom_metrics: BTreeMap<String, u64>,
}

/// Progress of one source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceProgress {
    /// e.g. `FileStreamSource[file:/data/events]`.
    pub description: String,
    /// Offset before this batch (`null` for the first).
    pub start_offset: serde_json::Value,
    /// Offset this batch read up to.
    pub end_offset: serde_json::Value,
    /// The latest offset the source reported.
    pub latest_offset: serde_json::Value,
    /// Rows read from this source.
    pub num_input_rows: u64,
    /// See [`StreamingQueryProgress::input_rows_per_second`].
    pub input_rows_per_second: f64,
    /// See [`StreamingQueryProgress::processed_rows_per_second`].
    pub processed_rows_per_second: f64,
    /// Source-specific metrics.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metrics: BTreeMap<String, String>,
}

/// Progress of the sink.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SinkProgress {
    /// e.g. `MemorySink`.
    pub description: String,
    /// Rows handed to the sink in this batch.
    pub num_output_rows: i64,
    /// Sink-specific metrics.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metrics: BTreeMap<String, String>,
}
