//! Spark's generated sources: `rate` (rows per second of wall-clock time, with a ramp-up) and
//! `rate-micro-batch` (a fixed number of rows per batch, with event times that advance by a
//! fixed step): for demos, tests and load generation. Both produce `timestamp` and `value`.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use arrow_array::{ArrayRef, Int64Array, RecordBatch, TimestampMicrosecondArray};
use arrow_schema::{DataType, SchemaRef, TimeUnit};

use super::{BatchStream, ReadLimit, Source, SourceSchema, batch_stream};
use crate::error::{Error, Result};

/// The columns a rate source's rows have: `timestamp` (a `Timestamp`) and `value` (an `i64`),
/// checked against the schema a query declares for it; the batches it builds, projected.
#[derive(Debug, Clone)]
struct RateColumns {
    /// The query's projected schema, and for each of its columns whether it is `timestamp`.
    projected: SchemaRef,
    is_timestamp: Vec<bool>,
}

impl RateColumns {
    fn new(description: &str, schema: &SourceSchema) -> Result<Self> {
        for field in schema.declared.fields() {
            let fits = match field.name().as_str() {
                "timestamp" => matches!(field.data_type(), DataType::Timestamp(TimeUnit::Microsecond, _)),
                "value" => field.data_type() == &DataType::Int64,
                _ => false,
            };
            if !fits {
                return Err(Error::Start {
                    query: String::new(),
                    message: format!(
                        "{description} produces `timestamp: Timestamp` and `value: i64`, but the query's schema has `{}: {}`; declare `schema Rate {{ timestamp: Timestamp, value: i64 }}`",
                        field.name(),
                        field.data_type()
                    ),
                });
            }
        }
        let projected = schema.projected();
        let is_timestamp = projected.fields().iter().map(|f| f.name() == "timestamp").collect();
        Ok(Self {
            projected,
            is_timestamp,
        })
    }

    /// One batch of `values` with their timestamps (microseconds), in the query's columns.
    fn batch(&self, values: Vec<i64>, timestamps: Vec<i64>) -> Result<RecordBatch> {
        let rows = values.len();
        let columns: Vec<ArrayRef> = self
            .projected
            .fields()
            .iter()
            .zip(&self.is_timestamp)
            .map(|(field, &is_timestamp)| -> ArrayRef {
                if is_timestamp {
                    let zone = match field.data_type() {
                        DataType::Timestamp(_, zone) => zone.clone(),
                        _ => None,
                    };
                    Arc::new(TimestampMicrosecondArray::from(timestamps.clone()).with_timezone_opt(zone))
                } else {
                    Arc::new(Int64Array::from(values.clone()))
                }
            })
            .collect();
        let options = arrow_array::RecordBatchOptions::new().with_row_count(Some(rows));
        RecordBatch::try_new_with_options(Arc::clone(&self.projected), columns, &options)
            .map_err(|e| Error::arrow("building a batch of the rate source", e))
    }
}

/// The values `first..end` in the order Spark's partitions deliver them: partition `p` of `n`
/// holds `first + p`, `first + p + n`, ..; partition 0's rows come first.
fn partitioned(first: i64, end: i64, partitions: usize) -> Vec<i64> {
    let partitions = i64::try_from(partitions.max(1)).unwrap_or(1);
    (0..partitions)
        .flat_map(|p| (first + p..end).step_by(usize::try_from(partitions).unwrap_or(1)))
        .collect()
}

fn not_started(description: &str) -> Error {
    Error::Source {
        source_description: description.to_owned(),
        message: "read before the query opened the source".to_owned(),
    }
}

fn restore_error(description: &str, message: String) -> Error {
    Error::Source {
        source_description: description.to_owned(),
        message,
    }
}

/// Where a [`RateMicroBatchSource`] batch ends: the number of values generated so far and the
/// event time (epoch milliseconds) of the next batch, as Spark's `{"offset":..,"timestamp":..}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RateMicroBatchOffset {
    /// Values generated up to here.
    pub offset: i64,
    /// The next batch's timestamp, in epoch milliseconds.
    pub timestamp: i64,
}

/// Spark's `rate-micro-batch` source: every batch holds the next `rows_per_batch` values, all
/// with one timestamp that advances by `advance_millis_per_batch` each batch from
/// `start_timestamp` — whatever the wall clock, so its output is reproducible. An
/// available-now trigger runs one batch.
///
/// ```
/// use rill::prelude::*;
/// use rill::source::RateMicroBatchSource;
///
/// rill::stream! {
///     schema Rate { timestamp: Timestamp, value: i64 }
///     query Evens(rate: Rate) { rate.filter(value % 2 == 0) }
/// }
///
/// let table = MemorySink::named("evens");
/// let source = RateMicroBatchSource::new(10).start_timestamp_millis(1_767_225_600_000);
/// let query = Evens::read(source).append().to(table.clone()).trigger(Trigger::AvailableNow).start().unwrap();
/// query.await_termination().unwrap();
/// let rows: Vec<EvensRow> = table.rows().unwrap();
/// assert_eq!(rows.iter().map(|r| r.value).collect::<Vec<_>>(), [0, 2, 4, 6, 8]);
/// assert_eq!(rows[0].timestamp.to_string(), "2026-01-01 00:00:00");
/// ```
#[derive(Debug, Clone)]
pub struct RateMicroBatchSource {
    rows_per_batch: i64,
    partitions: usize,
    start_timestamp_millis: i64,
    advance_millis_per_batch: i64,
    columns: Option<RateColumns>,
    planned: Option<RateMicroBatchOffset>,
    /// With an available-now trigger: the one batch's end.
    available_now: Option<Option<RateMicroBatchOffset>>,
}

impl RateMicroBatchSource {
    /// `rows_per_batch` rows each batch (Spark's `rowsPerBatch`), starting at the epoch and
    /// advancing one second a batch, in one partition.
    #[must_use]
    pub fn new(rows_per_batch: u32) -> Self {
        Self {
            rows_per_batch: i64::from(rows_per_batch),
            partitions: 1,
            start_timestamp_millis: 0,
            advance_millis_per_batch: 1000,
            columns: None,
            planned: None,
            available_now: None,
        }
    }

    /// Spark's `numPartitions`: the order of a batch's rows (partition by partition).
    #[must_use]
    pub fn num_partitions(mut self, partitions: usize) -> Self {
        self.partitions = partitions.max(1);
        self
    }

    /// Spark's `startTimestamp`: the first batch's timestamp, in epoch milliseconds.
    #[must_use]
    pub fn start_timestamp_millis(mut self, millis: i64) -> Self {
        self.start_timestamp_millis = millis;
        self
    }

    /// Spark's `advanceMillisPerBatch`.
    #[must_use]
    pub fn advance_millis_per_batch(mut self, millis: u32) -> Self {
        self.advance_millis_per_batch = i64::from(millis);
        self
    }

    fn next_offset(&self) -> Result<RateMicroBatchOffset> {
        let current = self.planned.unwrap_or(RateMicroBatchOffset {
            offset: 0,
            timestamp: self.start_timestamp_millis,
        });
        let offset = current.offset.checked_add(self.rows_per_batch);
        let timestamp = current.timestamp.checked_add(self.advance_millis_per_batch);
        match (offset, timestamp) {
            (Some(offset), Some(timestamp)) => Ok(RateMicroBatchOffset { offset, timestamp }),
            _ => Err(Error::Source {
                source_description: Source::description(self),
                message: "the values or timestamps overflow a 64-bit integer".to_owned(),
            }),
        }
    }
}

impl Source for RateMicroBatchSource {
    type Offset = RateMicroBatchOffset;

    fn description(&self) -> String {
        format!(
            "RatePerMicroBatchStream[rowsPerBatch={}, numPartitions={}, startTimestamp={}, advanceMillisPerBatch={}]",
            self.rows_per_batch, self.partitions, self.start_timestamp_millis, self.advance_millis_per_batch
        )
    }

    fn open(&mut self, schema: SourceSchema) -> Result<()> {
        self.columns = Some(RateColumns::new(&Source::description(self), &schema)?);
        Ok(())
    }

    fn prepare_for_available_now(&mut self) -> Result<()> {
        self.available_now = Some(Some(self.next_offset()?));
        Ok(())
    }

    fn latest_offset(&mut self, _limit: ReadLimit) -> Result<Option<RateMicroBatchOffset>> {
        let next = match &mut self.available_now {
            Some(once) => once.take(),
            None => Some(self.next_offset()?),
        };
        if let Some(next) = next {
            self.planned = Some(next);
        }
        Ok(next)
    }

    fn read<'s>(
        &'s mut self,
        start: Option<&RateMicroBatchOffset>,
        end: &RateMicroBatchOffset,
        _parallelism: usize,
    ) -> Result<BatchStream<'s>> {
        let columns = self
            .columns
            .as_ref()
            .ok_or_else(|| not_started(&Source::description(self)))?;
        let start = start.copied().unwrap_or(RateMicroBatchOffset {
            offset: 0,
            timestamp: self.start_timestamp_millis,
        });
        let values = partitioned(start.offset, end.offset, self.partitions);
        let micros = start.timestamp.saturating_mul(1000);
        let timestamps = vec![micros; values.len()];
        Ok(batch_stream(vec![columns.batch(values, timestamps)?]))
    }

    fn batch_log(&self, end: &RateMicroBatchOffset) -> Option<serde_json::Value> {
        serde_json::to_value(end).ok()
    }

    fn restore(&mut self, logs: &[(u64, serde_json::Value)], through: Option<&RateMicroBatchOffset>) -> Result<()> {
        let last = logs
            .last()
            .map(|(_, entry)| serde_json::from_value::<RateMicroBatchOffset>(entry.clone()));
        match (last, through) {
            (Some(Ok(last)), Some(through)) if last == *through => {
                self.planned = Some(last);
                Ok(())
            }
            (None, None) => Ok(()),
            (last, through) => Err(restore_error(
                &Source::description(self),
                format!("its log ends at {last:?}, but the checkpoint's offsets at {through:?}"),
            )),
        }
    }

    fn commit(&mut self, _end: &RateMicroBatchOffset) -> Result<()> {
        Ok(())
    }
}

/// Spark's `rate` source: `rows_per_second` rows for each second of wall-clock time since the
/// query first started (its creation time, kept in the checkpoint), values counting from 0 and
/// timestamps spread evenly over each second; during `ramp_up` the rate rises in steps of
/// `rows_per_second / (ramp_up + 1)` rows per second, as Spark's. A batch takes the whole
/// seconds that passed since the previous one.
///
/// ```no_run
/// use std::time::Duration;
/// use rill::prelude::*;
/// use rill::source::RateSource;
///
/// rill::stream! {
///     schema Rate { timestamp: Timestamp, value: i64 }
///     query Load(rate: Rate) { rate.select(value) }
/// }
///
/// let source = RateSource::new(1000).ramp_up(Duration::from_secs(5)).num_partitions(4);
/// let query = Load::read(source).append().to(ConsoleSink::new()).start().unwrap();
/// query.await_termination().unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct RateSource {
    rows_per_second: i64,
    ramp_up_seconds: i64,
    partitions: usize,
    /// Epoch milliseconds when the stream was first created (restored from the checkpoint).
    creation_millis: Option<i64>,
    columns: Option<RateColumns>,
    planned: i64,
    available_now: Option<i64>,
}

impl RateSource {
    /// `rows_per_second` rows each second (Spark's `rowsPerSecond`), no ramp-up, one partition.
    #[must_use]
    pub fn new(rows_per_second: u32) -> Self {
        Self {
            rows_per_second: i64::from(rows_per_second.max(1)),
            ramp_up_seconds: 0,
            partitions: 1,
            creation_millis: None,
            columns: None,
            planned: 0,
            available_now: None,
        }
    }

    /// Spark's `rampUpTime`, in whole seconds (finer parts dropped, as Spark parses it).
    #[must_use]
    pub fn ramp_up(mut self, ramp_up: Duration) -> Self {
        self.ramp_up_seconds = i64::try_from(ramp_up.as_secs()).unwrap_or(i64::MAX);
        self
    }

    /// Spark's `numPartitions`: the order of a batch's rows (partition by partition).
    #[must_use]
    pub fn num_partitions(mut self, partitions: usize) -> Self {
        self.partitions = partitions.max(1);
        self
    }

    /// How many values Spark's rate source has generated by `seconds` after its creation.
    ///
    /// ```
    /// use rill::source::RateSource;
    /// let ramping = RateSource::new(10).ramp_up(std::time::Duration::from_secs(4));
    /// let totals: Vec<i64> = (0..=6).map(|s| ramping.value_at_second(s).unwrap()).collect();
    /// assert_eq!(totals, [0, 2, 6, 12, 20, 30, 40]);
    /// ```
    #[must_use]
    pub fn value_at_second(&self, seconds: i64) -> Option<i64> {
        let ramp = self.ramp_up_seconds;
        let step = self.rows_per_second / (ramp.checked_add(1)?);
        if seconds <= ramp {
            // Spark's order of operations, which keeps the product in range.
            return if seconds % 2 == 1 {
                ((seconds + 1) / 2).checked_mul(step)?.checked_mul(seconds)
            } else {
                (seconds / 2).checked_mul(step)?.checked_mul(seconds + 1)
            };
        }
        let ramped = self.value_at_second(ramp)?;
        ramped.checked_add((seconds - ramp).checked_mul(self.rows_per_second)?)
    }

    fn elapsed_seconds(&self) -> i64 {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX));
        let creation = self.creation_millis.unwrap_or(now);
        (now - creation).max(0) / 1000
    }

    fn overflow(&self, seconds: i64) -> Error {
        Error::Source {
            source_description: Source::description(self),
            message: format!("the value count at second {seconds} overflows a 64-bit integer"),
        }
    }
}

impl Source for RateSource {
    /// Whole seconds since the creation time.
    type Offset = i64;

    fn description(&self) -> String {
        format!(
            "RateStreamV2[rowsPerSecond={}, rampUpTimeSeconds={}, numPartitions={}]",
            self.rows_per_second, self.ramp_up_seconds, self.partitions
        )
    }

    fn open(&mut self, schema: SourceSchema) -> Result<()> {
        self.columns = Some(RateColumns::new(&Source::description(self), &schema)?);
        if self.creation_millis.is_none() {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_err(|e| Error::Source {
                    source_description: Source::description(self),
                    message: format!("the clock is before 1970: {e}"),
                })?;
            self.creation_millis = Some(i64::try_from(now.as_millis()).unwrap_or(i64::MAX));
        }
        Ok(())
    }

    fn prepare_for_available_now(&mut self) -> Result<()> {
        self.available_now = Some(self.elapsed_seconds());
        Ok(())
    }

    fn latest_offset(&mut self, _limit: ReadLimit) -> Result<Option<i64>> {
        let seconds = self.available_now.unwrap_or_else(|| self.elapsed_seconds());
        if seconds <= self.planned {
            return Ok(None);
        }
        self.value_at_second(seconds).ok_or_else(|| self.overflow(seconds))?;
        self.planned = seconds;
        Ok(Some(seconds))
    }

    fn read<'s>(&'s mut self, start: Option<&i64>, end: &i64, _parallelism: usize) -> Result<BatchStream<'s>> {
        let columns = self
            .columns
            .as_ref()
            .ok_or_else(|| not_started(&Source::description(self)))?;
        let (start_second, end_second) = (start.copied().unwrap_or(0), *end);
        let first = self
            .value_at_second(start_second)
            .ok_or_else(|| self.overflow(start_second))?;
        let end_value = self
            .value_at_second(end_second)
            .ok_or_else(|| self.overflow(end_second))?;
        let values = partitioned(first, end_value, self.partitions);
        // The batch's seconds, spread evenly over its values, as Spark rounds them (whole ms).
        let batch_start_millis = self.creation_millis.unwrap_or(0) + start_second * 1000;
        let millis_per_value = if end_value > first {
            ((end_second - start_second) * 1000) as f64 / (end_value - first) as f64
        } else {
            0.0
        };
        let timestamps = values
            .iter()
            .map(|value| {
                let offset = ((value - first) as f64 * millis_per_value).round() as i64;
                (batch_start_millis + offset).saturating_mul(1000)
            })
            .collect();
        Ok(batch_stream(vec![columns.batch(values, timestamps)?]))
    }

    fn batch_log(&self, end: &i64) -> Option<serde_json::Value> {
        Some(serde_json::json!({ "creationTimeMs": self.creation_millis, "seconds": end }))
    }

    fn restore(&mut self, logs: &[(u64, serde_json::Value)], through: Option<&i64>) -> Result<()> {
        let Some((_, first)) = logs.first() else {
            return match through {
                None => Ok(()),
                Some(_) => Err(restore_error(
                    &Source::description(self),
                    "its log is missing, so its creation time is lost".to_owned(),
                )),
            };
        };
        let creation = first["creationTimeMs"].as_i64();
        let last = logs.last().and_then(|(_, entry)| entry["seconds"].as_i64());
        match (creation, last, through) {
            (Some(creation), Some(last), Some(through)) if last == *through => {
                self.creation_millis = Some(creation);
                self.planned = last;
                Ok(())
            }
            _ => Err(restore_error(
                &Source::description(self),
                format!("its log does not end at the checkpoint's offset {through:?}"),
            )),
        }
    }

    fn commit(&mut self, _end: &i64) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_interleave_as_spark_delivers_them() {
        assert_eq!(partitioned(0, 5, 2), [0, 2, 4, 1, 3]);
        assert_eq!(partitioned(5, 10, 2), [5, 7, 9, 6, 8]);
        assert_eq!(partitioned(0, 2, 4), [0, 1]);
    }

    #[test]
    fn ramp_up_follows_spark() {
        let totals = |rps, ramp, seconds: i64| {
            let source = RateSource::new(rps).ramp_up(Duration::from_secs(ramp));
            (0..=seconds)
                .map(|s| source.value_at_second(s).unwrap())
                .collect::<Vec<_>>()
        };
        // Spark 4.3's `RateStreamProvider`, as its README in `golden/rate_source` records.
        assert_eq!(totals(10, 2, 4), [0, 3, 9, 19, 29]);
        assert_eq!(totals(5, 9, 10), [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5]);
        assert_eq!(totals(100, 3, 4), [0, 25, 75, 150, 250]);
        assert_eq!(RateSource::new(u32::MAX).value_at_second(i64::MAX), None);
    }
}
