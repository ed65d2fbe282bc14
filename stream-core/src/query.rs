//! Starting a query ([`DataStreamWriter`]) and managing it while it runs ([`StreamingQuery`]).

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::checkpoint::{Checkpoint, CommitEntry, Committed, OffsetEntry, Pending, StateCheckpoint, StateDeltas};
use crate::error::{Error, Result};
use crate::plan::{
    BatchContext, InputBatches, KeepsLateRows, OperatorReport, OutputMode, PlanFacts, StreamPlan, SupportsAppend,
    SupportsComplete, SupportsUpdate, mode,
};
use crate::progress::{SinkProgress, SourceProgress, StateOperatorProgress, StreamingQueryProgress};
use crate::sink::{AcceptsMode, CheckpointInfo, Sink, SinkContext};
use crate::source::{AnySource, BatchStream, ReadLimit, Source};
use crate::trigger::Trigger;
use crate::types::Timestamp;
use crate::watermark::{MultipleWatermarkPolicy, WatermarkTracker};
use checkpointing::{CheckpointFor, Checkpointed};

/// Checkpoint markers for [`DataStreamWriter`]: whether `.checkpoint(dir)` was called is part of
/// the writer's type, so that a sink that needs a checkpoint cannot start without one.
pub mod checkpointing {
    use crate::sink::{RunsWithoutCheckpoint, Sink};

    /// No checkpoint: the query starts from scratch on every run.
    #[derive(Debug)]
    pub struct NoCheckpoint;
    /// A checkpoint directory was set.
    #[derive(Debug)]
    pub struct Checkpointed;

    /// Whether a query with this checkpoint marker may write to sink `S`: with a checkpoint,
    /// any sink; without, only a sink that [runs without one](RunsWithoutCheckpoint).
    pub trait CheckpointFor<S> {}
    impl<S: Sink> CheckpointFor<S> for Checkpointed {}
    impl<S: RunsWithoutCheckpoint> CheckpointFor<S> for NoCheckpoint {}
}

/// A writer's query, output mode and checkpoint marker, held only as types (a function type,
/// so that the writer is `Send` whatever they are).
type TypeState<Q, M, C> = fn() -> (Q, M, C);

/// The sink slot of a [`DataStreamWriter`] before `.to(..)`.
#[derive(Debug)]
pub struct NoSink;

/// Builds and starts a streaming query, like Spark's `df.writeStream`: choose the output mode,
/// the sink and the trigger, then [`start`](Self::start).
///
/// The `stream!` macro gives each query a `read(..)` constructor, taking a source for each of
/// its inputs, that returns one of these.
pub struct DataStreamWriter<Q, M = mode::NotChosen, S = NoSink, C = checkpointing::NoCheckpoint> {
    /// A source for each of the query's inputs, in the order of its signature.
    sources: Vec<Box<dyn AnySource>>,
    /// A table for each of the query's static inputs, in the order of its signature.
    static_tables: crate::operator::StaticTables,
    checkpoint: Option<std::path::PathBuf>,
    sink: S,
    late_sink: Option<Box<dyn Sink>>,
    trigger: Trigger,
    query_name: Option<String>,
    parallelism: usize,
    watermark_policy: MultipleWatermarkPolicy,
    min_deltas_for_snapshot: u64,
    min_batches_to_retain: u64,
    batch_clock: BatchClock,
    marker: PhantomData<TypeState<Q, M, C>>,
}

/// What gives each batch its timestamp.
type BatchClock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

impl<Q, M, S: fmt::Debug, C> fmt::Debug for DataStreamWriter<Q, M, S, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DataStreamWriter")
            .field(
                "sources",
                &self
                    .sources
                    .iter()
                    .map(|source| source.description())
                    .collect::<Vec<_>>(),
            )
            .field("sink", &self.sink)
            .field("trigger", &self.trigger)
            .field("query_name", &self.query_name)
            .finish_non_exhaustive()
    }
}

impl<Q: StreamPlan> DataStreamWriter<Q> {
    /// A writer for query `Q`, which reads one input, reading it from `source`.
    pub fn new(source: impl Source) -> Self {
        Self::from_sources(vec![Box::new(source)])
    }

    /// A writer for query `Q` reading each of its inputs from a source, in the order of its
    /// signature; [`start`](Self::start) refuses another number of sources. The macro's
    /// `read(..)` calls it with one typed argument per input.
    ///
    /// ```
    /// # rill::stream! { schema E { user_id: String } query Both(web: E, mobile: E) { web.union(mobile).select(user_id) } }
    /// use rill::prelude::*;
    /// use rill::source::AnySource;
    /// let sources: Vec<Box<dyn AnySource>> = vec![Box::new(JsonSource::new("web")), Box::new(JsonSource::new("mobile"))];
    /// let _writer = rill::DataStreamWriter::<Both>::from_sources(sources).append();
    /// ```
    #[must_use]
    pub fn from_sources(sources: Vec<Box<dyn AnySource>>) -> Self {
        Self::from_sources_and_tables(sources, Vec::new())
    }

    /// As [`from_sources`](Self::from_sources), with a [`StaticTable`] for each of the query's
    /// static inputs (`users: static User`), in the order of its signature. The macro's `read`
    /// calls it.
    ///
    /// [`StaticTable`]: crate::operator::StaticTable
    #[must_use]
    pub fn from_sources_and_tables(
        sources: Vec<Box<dyn AnySource>>,
        static_tables: crate::operator::StaticTables,
    ) -> Self {
        Self {
            sources,
            static_tables,
            checkpoint: None,
            sink: NoSink,
            late_sink: None,
            trigger: Trigger::default(),
            query_name: None,
            parallelism: 1,
            watermark_policy: MultipleWatermarkPolicy::Min,
            min_deltas_for_snapshot: crate::checkpoint::DEFAULT_MIN_DELTAS_FOR_SNAPSHOT,
            min_batches_to_retain: crate::checkpoint::DEFAULT_RETAINED_BATCHES,
            batch_clock: Arc::new(SystemTime::now),
            marker: PhantomData,
        }
    }
}

impl<Q: StreamPlan, M, S, C> DataStreamWriter<Q, M, S, C> {
    /// The same writer with another type state: output mode `N`, sink `T` made from the
    /// current one by `sink`, checkpoint marker `D`.
    fn retyped<N, T, D>(self, sink: impl FnOnce(S) -> T) -> DataStreamWriter<Q, N, T, D> {
        DataStreamWriter {
            sources: self.sources,
            static_tables: self.static_tables,
            checkpoint: self.checkpoint,
            sink: sink(self.sink),
            late_sink: self.late_sink,
            trigger: self.trigger,
            query_name: self.query_name,
            parallelism: self.parallelism,
            watermark_policy: self.watermark_policy,
            min_deltas_for_snapshot: self.min_deltas_for_snapshot,
            min_batches_to_retain: self.min_batches_to_retain,
            batch_clock: self.batch_clock,
            marker: PhantomData,
        }
    }

    /// Append mode: each batch emits only new rows, which never change afterwards.
    pub fn append(self) -> DataStreamWriter<Q, mode::Append, S, C>
    where
        Q: SupportsAppend,
    {
        self.retyped(|sink| sink)
    }

    /// Update mode: each batch emits the rows that changed in it.
    pub fn update(self) -> DataStreamWriter<Q, mode::Update, S, C>
    where
        Q: SupportsUpdate,
    {
        self.retyped(|sink| sink)
    }

    /// Complete mode: each batch emits the whole result table.
    pub fn complete(self) -> DataStreamWriter<Q, mode::Complete, S, C>
    where
        Q: SupportsComplete,
    {
        self.retyped(|sink| sink)
    }

    /// Sends the output to `sink`.
    pub fn to<T: Sink>(self, sink: T) -> DataStreamWriter<Q, M, T, C> {
        self.retyped(|_| sink)
    }

    /// Sends the rows the watermark drops to `sink` (in append mode), instead of only counting
    /// them. The query must keep them: `.keep_late_rows()` after `.with_watermark(..)`.
    #[must_use]
    pub fn late_rows_to<T: Sink + AcceptsMode<mode::Append>>(mut self, sink: T) -> Self
    where
        Q: KeepsLateRows,
        C: CheckpointFor<T>,
    {
        self.late_sink = Some(Box::new(sink));
        self
    }

    /// Keeps the query's progress in the checkpoint directory `dir` (Spark's
    /// `checkpointLocation`): restarted on it, the query resumes after the last batch its sink
    /// took, re-running an unfinished batch with the same input and state. A file sink
    /// requires one.
    #[must_use]
    pub fn checkpoint(mut self, dir: impl Into<std::path::PathBuf>) -> DataStreamWriter<Q, M, S, Checkpointed> {
        self.checkpoint = Some(dir.into());
        self.retyped(|sink| sink)
    }

    /// When batches run; as soon as possible (`ProcessingTime(0)`, Spark's default) if not set.
    #[must_use]
    pub fn trigger(mut self, trigger: Trigger) -> Self {
        self.trigger = trigger;
        self
    }

    /// The name in progress reports and logs (Spark's `queryName`); defaults to the query's
    /// name in `stream!`.
    #[must_use]
    pub fn query_name(mut self, name: impl Into<String>) -> Self {
        self.query_name = Some(name.into());
        self
    }

    /// Decodes each micro-batch's input on `threads` threads while the query runs on the batches
    /// as they are decoded (default 1: decode, then run, on the query's thread). The output is
    /// the same for any number of threads: batches reach the query in input order.
    ///
    /// ```
    /// # rill::stream! { schema E { user_id: String } query Q(raw: E) { raw.select(user_id) } }
    /// # use rill::prelude::*;
    /// let _writer = Q::read(JsonSource::new("data/events")).append().parallelism(2);
    /// ```
    #[must_use]
    pub fn parallelism(mut self, threads: usize) -> Self {
        self.parallelism = threads.max(1);
        self
    }

    /// How a query with several watermarks (one per joined or unioned input) chooses its global
    /// watermark: the slowest input's by default, as Spark's `multipleWatermarkPolicy`.
    #[must_use]
    pub fn multiple_watermark_policy(mut self, policy: MultipleWatermarkPolicy) -> Self {
        self.watermark_policy = policy;
        self
    }

    /// How many state deltas a checkpoint writes between two snapshots of an operator's state
    /// (Spark's `spark.sql.streaming.stateStore.minDeltasForSnapshot`, 10 by default): each batch
    /// writes what it changed, and every `deltas` batches the whole state too, so that a restart
    /// reads one snapshot and at most that many deltas.
    ///
    /// ```
    /// # rill::stream! { schema E { user_id: String } query Q(raw: E) { raw.group_by(user_id).agg(n = count()) } }
    /// # use rill::prelude::*;
    /// let _writer = Q::read(JsonSource::new("data/events"))
    ///     .update()
    ///     .checkpoint("checkpoints/q")
    ///     .min_deltas_for_snapshot(20);
    /// ```
    #[must_use]
    pub fn min_deltas_for_snapshot(mut self, deltas: u64) -> Self {
        self.min_deltas_for_snapshot = deltas.max(1);
        self
    }

    /// How many batches a checkpoint keeps the logs and state of (Spark's
    /// `spark.sql.streaming.minBatchesToRetain`, 100 by default); older files are deleted.
    ///
    /// ```
    /// # rill::stream! { schema E { user_id: String } query Q(raw: E) { raw.group_by(user_id).agg(n = count()) } }
    /// # use rill::prelude::*;
    /// let _writer = Q::read(JsonSource::new("data/events"))
    ///     .update()
    ///     .checkpoint("checkpoints/q")
    ///     .min_batches_to_retain(20);
    /// ```
    #[must_use]
    pub fn min_batches_to_retain(mut self, batches: u64) -> Self {
        self.min_batches_to_retain = batches.max(1);
        self
    }

    /// The clock that gives each batch its timestamp — what `current_timestamp()` returns, when
    /// processing-time timers fire and state with a time to live expires; the system's clock by
    /// default. It is read once as each batch is planned (a batch re-run after a restart keeps
    /// the timestamp it was planned with). A test can replay the batch times of another run:
    ///
    /// ```
    /// use std::time::{Duration, UNIX_EPOCH};
    /// # rill::stream! {
    /// #     schema Event { user_id: String }
    /// #     query Q(raw: Event) { raw.select(user_id) }
    /// # }
    /// let ticks = std::sync::atomic::AtomicU64::new(0);
    /// let _writer = Q::read(rill::JsonSource::new("events/")).batch_clock(move || {
    ///     // Batches one minute apart.
    ///     UNIX_EPOCH + Duration::from_secs(60 * ticks.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
    /// });
    /// ```
    #[must_use]
    pub fn batch_clock(mut self, clock: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        self.batch_clock = Arc::new(clock);
        self
    }

    /// Starts the query on its own thread and returns its handle.
    ///
    /// # Errors
    /// When the source or the sink cannot be opened (e.g. the input directory is missing),
    /// or the thread cannot be spawned.
    pub fn start(self) -> Result<StreamingQuery>
    where
        M: mode::Chosen,
        S: Sink + AcceptsMode<M>,
        C: CheckpointFor<S>,
    {
        let facts = Q::facts();
        let name = self.query_name.unwrap_or_else(|| facts.name.to_owned());
        let mode = M::MODE;
        let mut sources = self.sources;
        let mut sink = self.sink;
        if sources.len() != facts.inputs.len() {
            return Err(Error::Start {
                query: name,
                message: format!(
                    "it reads {} ({}), but was given {}",
                    count(facts.inputs.len(), "input"),
                    facts
                        .inputs
                        .iter()
                        .map(|input| input.name)
                        .collect::<Vec<_>>()
                        .join(", "),
                    count(sources.len(), "source")
                ),
            });
        }
        for (source, input) in sources.iter_mut().zip(&facts.inputs) {
            source.open(input.schema.clone())?;
        }
        let mut plan = Q::create();
        plan.attach_static_tables(&self.static_tables)?;
        let settings = kept_settings(&facts, mode, self.watermark_policy);
        let (checkpoint, resume) = match &self.checkpoint {
            Some(dir) => {
                let state: Vec<_> = plan.stateful_operators().iter().map(|o| o.state_schema()).collect();
                let mut checkpoint = Checkpoint::open(dir, &name, facts.fingerprint, facts.explain, &state)?;
                checkpoint.retain_batches(self.min_batches_to_retain);
                let resume = Resume::from_checkpoint(&checkpoint, &facts, &mut sources, &settings)?;
                (Some(checkpoint), resume)
            }
            None => (None, Resume::fresh(&facts)),
        };
        let state_checkpoint = match &checkpoint {
            Some(checkpoint) => Some(StateCheckpoint::restore(
                checkpoint,
                plan.stateful_operators(),
                resume.state_version,
                self.min_deltas_for_snapshot,
            )?),
            None => None,
        };
        // Fixed before `start` returns, so "available now" means available when the caller started it.
        if self.trigger == Trigger::AvailableNow {
            for source in &mut sources {
                source.prepare_for_available_now()?;
            }
        }
        let checkpoint_info = match &checkpoint {
            Some(checkpoint) => Some(CheckpointInfo {
                id: checkpoint.metadata().id,
                dir: checkpoint.dir().to_owned(),
                last_planned_batch: checkpoint.latest_offsets()?,
            }),
            None => None,
        };
        sink.open(&SinkContext {
            query_name: name.clone(),
            schema: <Q::Output as crate::plan::Row>::schema(),
            key_columns: facts.key_columns.to_vec(),
            mode,
            checkpoint: checkpoint_info.clone(),
        })?;
        let mut late_sink = self.late_sink;
        if let Some(late) = late_sink.as_mut() {
            late.open(&SinkContext {
                query_name: format!("{name} (late rows)"),
                schema: <Q::LateRow as crate::plan::Row>::schema(),
                key_columns: Vec::new(),
                mode: OutputMode::Append,
                checkpoint: checkpoint_info,
            })?;
        }
        let shared = Arc::new(Shared::default());
        let id = checkpoint.as_ref().map_or_else(uuid::Uuid::new_v4, |c| c.metadata().id);
        let ids = QueryIds {
            id,
            run_id: uuid::Uuid::new_v4(),
            name: name.clone(),
        };
        let explain = facts.explain;
        let runner = Runner {
            plan,
            facts,
            last_watermark: resume.last_watermark,
            replay: resume.replay.clone(),
            checkpoint: checkpoint.map(Arc::new),
            state_checkpoint,
            committing: None,
            uncommitted: None,
            resume: Some(resume),
            late_sink,
            sources,
            sink,
            trigger: self.trigger,
            mode,
            parallelism: self.parallelism,
            watermark_policy: self.watermark_policy,
            settings,
            shared: shared.clone(),
            ids: ids.clone(),
            batch_clock: self.batch_clock,
        };
        let thread = std::thread::Builder::new()
            .name(format!("rill-{name}"))
            .spawn(move || runner.run())
            .map_err(|e| Error::Start {
                query: name.clone(),
                message: format!("cannot spawn the query thread: {e}"),
            })?;
        tracing::info!(query = %ids.name, id = %ids.id, run_id = %ids.run_id, %mode, "started streaming query");
        Ok(StreamingQuery {
            shared,
            thread: Mutex::new(Some(thread)),
            ids,
            explain,
        })
    }
}

#[derive(Debug, Clone)]
struct QueryIds {
    id: uuid::Uuid,
    run_id: uuid::Uuid,
    name: String,
}

/// How many progress reports a query keeps (Spark's `numRecentProgressUpdates` default).
const RECENT_PROGRESS: usize = 100;

#[derive(Default)]
struct Shared {
    state: Mutex<RunState>,
    changed: Condvar,
    stop: AtomicBool,
}

#[derive(Default)]
struct RunState {
    finished: bool,
    error: Option<Arc<Error>>,
    progress: VecDeque<StreamingQueryProgress>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, RunState> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Sleeps up to `duration`, waking early when the query is asked to stop.
    fn sleep(&self, duration: Duration) {
        let deadline = Instant::now() + duration;
        let mut state = self.lock();
        while !self.stop.load(Ordering::Acquire) {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            state = self
                .changed
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
    }
}

/// The offsets log's name for the output mode, a setting a restart must keep.
const OUTPUT_MODE_SETTING: &str = "rill.outputMode";

/// The offsets log's name for the multiple-watermark policy (Spark's), which a restart of a
/// query with several watermarks must keep.
const WATERMARK_POLICY_SETTING: &str = "spark.sql.streaming.multipleWatermarkPolicy";

/// The settings a restart must keep, as Spark keeps them in its offsets log: the output mode,
/// and the multiple-watermark policy of a query with several watermarks.
fn kept_settings(facts: &PlanFacts, mode: OutputMode, policy: MultipleWatermarkPolicy) -> BTreeMap<String, String> {
    let mut settings = BTreeMap::from([(OUTPUT_MODE_SETTING.to_owned(), mode.to_string())]);
    if facts.watermark_delays_micros.len() > 1 {
        let policy = match policy {
            MultipleWatermarkPolicy::Min => "min",
            MultipleWatermarkPolicy::Max => "max",
        };
        settings.insert(WATERMARK_POLICY_SETTING.to_owned(), policy.to_owned());
    }
    settings
}

/// Each input's offset, in the order of the query's inputs: `None` before an input gave data.
/// Sources give and take them as JSON values, the form the checkpoint stores.
type Offsets = Vec<Option<serde_json::Value>>;

/// Where a query starts: batch 0 with no state, or where its checkpoint says it stopped.
#[derive(Debug, Clone)]
struct Resume {
    batch_id: u64,
    previous_offsets: Offsets,
    /// The watermark for the next batch.
    watermark: Option<Timestamp>,
    /// Each watermarked input's own watermark, from the last commit.
    input_watermarks: Vec<Timestamp>,
    /// The watermark the last batch ran with.
    last_watermark: Option<Timestamp>,
    /// A batch planned but never committed, to re-run first.
    replay: Option<Replay>,
    /// The version of the operators' state to restore: after the last committed batch.
    state_version: u64,
}

/// A batch planned before a restart but never committed: it runs again exactly as planned.
#[derive(Debug, Clone)]
struct Replay {
    /// Each input's end offset.
    ends: Offsets,
    /// The batch's timestamp (`current_timestamp()`), in epoch milliseconds.
    batch_timestamp_ms: i64,
}

impl Resume {
    fn fresh(facts: &PlanFacts) -> Self {
        Self {
            batch_id: 0,
            previous_offsets: vec![None; facts.inputs.len()],
            watermark: None,
            input_watermarks: Vec::new(),
            // The watermark starts at the epoch; only a later one calls for a no-data batch.
            last_watermark: (!facts.watermark_delays_micros.is_empty()).then(Timestamp::default),
            replay: None,
            state_version: 0,
        }
    }

    /// Restores each source's log from `checkpoint` and finds the state version to restore, as
    /// Spark does: resume after the last committed batch, or re-run a batch whose offsets were
    /// written but which was never committed, from the state of the batch before it.
    fn from_checkpoint(
        checkpoint: &Checkpoint,
        facts: &PlanFacts,
        sources: &mut [Box<dyn AnySource>],
        settings: &BTreeMap<String, String>,
    ) -> Result<Self> {
        checkpoint.verify()?;
        let Some(last_planned) = checkpoint.latest_offsets()? else {
            return Ok(Self::fresh(facts));
        };
        let planned = checkpoint.read_offsets(last_planned)?;
        // Spark keeps the settings a restart must not change in the offsets log.
        for (key, now) in settings {
            if let Some(was) = planned.conf.get(key)
                && was != now
            {
                let setting = if key == OUTPUT_MODE_SETTING {
                    "the output mode".to_owned()
                } else {
                    format!("`{key}`")
                };
                return Err(Error::CheckpointSetting {
                    path: checkpoint.dir().to_owned(),
                    setting,
                    was: was.clone(),
                    now: now.clone(),
                });
            }
        }
        if planned.source_offsets.len() != sources.len() {
            return Err(Error::Checkpoint {
                path: checkpoint.dir().join("offsets").join(last_planned.to_string()),
                message: format!(
                    "holds the offsets of {} inputs, but `{}` reads {}: this checkpoint is not this query's; use a new checkpoint directory",
                    planned.source_offsets.len(),
                    facts.name,
                    sources.len()
                ),
            });
        }
        for (index, source) in sources.iter_mut().enumerate() {
            restore_source(
                checkpoint,
                facts,
                index,
                source.as_mut(),
                last_planned,
                &planned.source_offsets[index],
            )?;
        }
        let last_committed = checkpoint.latest_commit()?.filter(|&c| c <= last_planned);
        let state_version = last_committed.map_or(0, |batch| batch + 1);
        let committed_offsets = last_committed.map(|batch| checkpoint.read_offsets(batch)).transpose()?;
        let ran_with = |entry: &OffsetEntry| Timestamp::from_micros(entry.batch_watermark_micros);
        let has_watermark = !facts.watermark_delays_micros.is_empty();
        let last_commit = last_committed.map(|batch| checkpoint.read_commit(batch)).transpose()?;
        let input_watermarks = last_commit
            .as_ref()
            .map(|commit| {
                commit
                    .input_watermarks_micros
                    .iter()
                    .map(|micros| Timestamp::from_micros(*micros))
                    .collect()
            })
            .unwrap_or_default();
        if let (Some(commit), true) = (&last_commit, last_committed == Some(last_planned)) {
            tracing::info!(
                query = facts.name,
                batch = last_planned,
                "resuming after the last committed batch"
            );
            return Ok(Self {
                batch_id: last_planned + 1,
                watermark: Some(Timestamp::from_micros(commit.next_batch_watermark_micros)),
                input_watermarks,
                last_watermark: has_watermark.then(|| ran_with(&planned)),
                previous_offsets: planned.source_offsets,
                replay: None,
                state_version,
            });
        }
        let unfinished = planned;
        tracing::info!(
            query = facts.name,
            batch = last_planned,
            "re-running a batch that was not committed"
        );
        Ok(Self {
            batch_id: last_planned,
            previous_offsets: committed_offsets
                .as_ref()
                .map_or_else(|| vec![None; sources.len()], |o| o.source_offsets.clone()),
            watermark: Some(ran_with(&unfinished)),
            input_watermarks,
            last_watermark: has_watermark.then(|| committed_offsets.as_ref().map_or_else(Timestamp::default, ran_with)),
            replay: Some(Replay {
                ends: unfinished.source_offsets,
                batch_timestamp_ms: unfinished.batch_timestamp_ms,
            }),
            state_version,
        })
    }
}

/// A batch's timestamp as the offset log keeps it (Spark's `batchTimestampMs`).
fn batch_timestamp_ms(wall_start: SystemTime) -> i64 {
    chrono::DateTime::<chrono::Utc>::from(wall_start).timestamp_millis()
}

/// Gives input `index`'s source back the batches its log says it planned, through batch
/// `last_planned` whose end offset for it is `through`.
fn restore_source(
    checkpoint: &Checkpoint,
    facts: &PlanFacts,
    index: usize,
    source: &mut dyn AnySource,
    last_planned: u64,
    through: &Option<serde_json::Value>,
) -> Result<()> {
    let logs = checkpoint.source_logs(index, last_planned)?;
    let Err(error) = source.restore(&logs, through.as_ref()) else {
        return Ok(());
    };
    let Error::Source { message, .. } = error else {
        return Err(error);
    };
    let log = checkpoint.dir().join(crate::checkpoint::source_log(index));
    let input = facts.inputs.get(index).map_or("?", |input| input.name);
    Err(match checkpoint.first_unlogged_read(index)? {
        Some(batch) => Error::Checkpoint {
            path: log.join(batch.to_string()),
            message: format!(
                "is missing, but `offsets/{batch}` shows that batch {batch} read new input `{input}`, which this entry lists; without it `{}` cannot resume without reading input twice or never ({message}): restore the file, or start again with a new checkpoint directory",
                facts.name
            ),
        },
        None => Error::Checkpoint {
            path: log,
            message: format!(
                "cannot resume input `{input}` of `{}` from its log: {message}",
                facts.name
            ),
        },
    })
}

/// The micro-batch loop of one query, on its own thread.
struct Runner<Q, S> {
    plan: Q,
    facts: PlanFacts,
    /// The watermark the last batch ran with.
    last_watermark: Option<Timestamp>,
    /// Where the query's progress is kept, if anywhere (shared with the threads writing it).
    checkpoint: Option<Arc<Checkpoint>>,
    /// Writes the operators' state into the checkpoint.
    state_checkpoint: Option<StateCheckpoint>,
    /// The last batch's commit (its state deltas, then its commit entry), being written.
    committing: Option<Pending<Committed>>,
    /// The last batch's report and trigger time, published once it is committed.
    uncommitted: Option<(StreamingQueryProgress, Instant)>,
    /// Where to pick up: fresh, or from the checkpoint.
    resume: Option<Resume>,
    /// A batch planned before a restart but never committed: re-run first, as planned.
    replay: Option<Replay>,
    /// Where the rows the watermark drops go, if anywhere.
    late_sink: Option<Box<dyn Sink>>,
    /// A source for each input, in the order of the query's inputs.
    sources: Vec<Box<dyn AnySource>>,
    sink: S,
    trigger: Trigger,
    mode: OutputMode,
    parallelism: usize,
    watermark_policy: MultipleWatermarkPolicy,
    /// The settings a restart must keep, written to the offsets log with every batch.
    settings: BTreeMap<String, String>,
    shared: Arc<Shared>,
    ids: QueryIds,
    batch_clock: BatchClock,
}

impl<Q: StreamPlan, S: Sink> Runner<Q, S> {
    fn run(mut self) {
        let shared = self.shared.clone();
        let name = self.ids.name.clone();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.run_batches()));
        let error = match outcome {
            Ok(Ok(())) => None,
            Ok(Err(error)) => Some(error),
            Err(payload) => {
                let message = crate::error::panic_message(payload.as_ref())
                    .unwrap_or_else(|| "non-string panic payload".to_owned());
                Some(Error::Panicked {
                    query: name.clone(),
                    message,
                })
            }
        };
        if let Some(error) = &error {
            tracing::error!(query = %name, %error, "streaming query terminated with an error");
        } else {
            tracing::info!(query = %name, "streaming query stopped");
        }
        let mut state = shared.lock();
        state.error = error.map(Arc::new);
        state.finished = true;
        drop(state);
        shared.changed.notify_all();
    }

    /// The micro-batch loop: plan a batch, run it if there is one, wait for the trigger.
    fn run_batches(&mut self) -> Result<()> {
        let resume = self.resume.take().unwrap_or_else(|| Resume::fresh(&self.facts));
        let mut state = LoopState {
            batch_id: resume.batch_id,
            previous_offsets: resume.previous_offsets,
            watermark: (!self.facts.watermark_delays_micros.is_empty()).then(|| {
                WatermarkTracker::for_inputs(self.facts.watermark_delays_micros.clone(), self.watermark_policy)
                    .resume(resume.watermark.unwrap_or_default(), &resume.input_watermarks)
            }),
            previous_trigger_start: None,
        };
        while !self.shared.stop.load(Ordering::Acquire) {
            let trigger_start = Instant::now();
            let ran = match self.plan_batch(&state, trigger_start)? {
                Some(batch) => {
                    self.run_batch(&mut state, batch)?;
                    true
                }
                None => {
                    // Nothing to run: the last batch's report waits no longer for the next.
                    self.finish_commit()?;
                    false
                }
            };
            let finished = match self.trigger {
                Trigger::Once => true,
                Trigger::AvailableNow => !ran,
                Trigger::ProcessingTime(_) => false,
            };
            if finished {
                break;
            }
            let wait = self.trigger.wait_after(trigger_start.elapsed(), ran);
            if !wait.is_zero() {
                // No batch follows at once to overlap the commit with: finish it first.
                self.finish_commit()?;
                self.shared.sleep(wait);
            }
        }
        self.finish_commit()?;
        self.state_checkpoint.as_mut().map_or(Ok(()), StateCheckpoint::finish)
    }

    /// Plans the next batch: the sources' new data, or a no-data batch when the watermark
    /// moved past the last batch's (Spark's: state the new watermark expires is evicted, and
    /// emitted in append mode); `None` when there is nothing to do.
    fn plan_batch(&mut self, state: &LoopState, trigger_start: Instant) -> Result<Option<PlannedBatch>> {
        let wall_start = (self.batch_clock)();
        let started = Instant::now();
        let limit = if self.trigger == Trigger::Once {
            ReadLimit::AllAvailable
        } else {
            ReadLimit::Configured
        };
        let watermark = state.watermark.as_ref().map(WatermarkTracker::current);
        // A batch planned before a restart runs again first, reading exactly what it read then.
        let replay = self.replay.take();
        let is_replay = replay.is_some();
        // A re-run batch keeps its timestamp, so `current_timestamp()` gives what it gave then.
        let wall_start = replay.as_ref().map_or(wall_start, |replay| {
            let millis = replay.batch_timestamp_ms;
            if millis >= 0 {
                UNIX_EPOCH + Duration::from_millis(millis.unsigned_abs())
            } else {
                UNIX_EPOCH - Duration::from_millis(millis.unsigned_abs())
            }
        });
        let ends = match replay {
            Some(replay) => replay.ends,
            None => {
                let mut ends = Vec::with_capacity(self.sources.len());
                for (source, previous) in self.sources.iter_mut().zip(&state.previous_offsets) {
                    ends.push(source.latest_offset(limit)?.or_else(|| previous.clone()));
                }
                ends
            }
        };
        let reads: Vec<bool> = ends
            .iter()
            .zip(&state.previous_offsets)
            .map(|(end, previous)| end != previous)
            .collect();
        // As Spark: only append and update modes evict (and emit) state when the watermark moves,
        // so only they run a batch without new data for it.
        let no_data_batch_due = self.facts.evicts_by_watermark
            && self.mode != OutputMode::Complete
            && watermark.is_some()
            && watermark != self.last_watermark;
        // Spark runs one at every trigger, even one without an interval (a busy loop) and under
        // `AvailableNow` (which then never ends): Rill, with an interval only.
        let timer_batch_due = self.facts.runs_every_trigger
            && matches!(self.trigger, Trigger::ProcessingTime(interval) if !interval.is_zero());
        if !reads.contains(&true) && !no_data_batch_due && !timer_batch_due && !is_replay {
            return Ok(None);
        }
        let mut durations = BTreeMap::new();
        durations.insert("latestOffset".to_owned(), elapsed_ms(started));
        Ok(Some(PlannedBatch {
            batch_id: state.batch_id,
            ends,
            reads,
            watermark,
            wall_start,
            trigger_start,
            add_batch_started: None,
            durations,
        }))
    }

    /// Runs a planned batch through its steps: write ahead, execute, deliver, commit, report.
    fn run_batch(&mut self, state: &mut LoopState, mut batch: PlannedBatch) -> Result<()> {
        let span = tracing::info_span!("micro_batch", query = %self.ids.name, batch_id = batch.batch_id, num_input_rows = tracing::field::Empty);
        let _entered = span.enter();
        // The disk works while the batch computes: the last batch's commit, then this batch's
        // write-ahead log, are written as it runs; the sink sees the batch only once both are
        // durable. Its own state and commit are written as the next batch runs (whose
        // write-ahead log follows them); its report is published once they are durable.
        let write_ahead = self.write_ahead(&batch)?;
        let executed = self.execute(&state.previous_offsets, &mut batch)?;
        span.record("num_input_rows", executed.num_input_rows());
        if let Some(write_ahead) = write_ahead {
            let (last_commit, took) = write_ahead.wait()?;
            batch.durations.insert("walCommit".to_owned(), duration_ms(took));
            if let Some(last_commit) = last_commit {
                self.publish_committed(&last_commit);
            }
        }
        self.deliver(&state.previous_offsets, &mut batch, &executed)?;
        let deltas = match (&mut self.state_checkpoint, &self.checkpoint) {
            (Some(state_checkpoint), Some(checkpoint)) => {
                Some(state_checkpoint.write(checkpoint, self.plan.stateful_operators(), batch.batch_id)?)
            }
            _ => None,
        };
        let event_time = observe_event_time(state.watermark.as_mut(), &executed.context);
        let commit = self.commit(&batch, state.watermark.as_ref(), deltas)?;
        batch
            .durations
            .insert("triggerExecution".to_owned(), elapsed_ms(batch.trigger_start));
        let progress = self.progress(state, &batch, executed, event_time);
        match commit {
            Some(commit) => {
                self.committing = Some(commit);
                self.uncommitted = Some((progress, batch.trigger_start));
            }
            None => self.publish(progress),
        }
        state.batch_id += 1;
        state.previous_offsets = batch.ends;
        state.previous_trigger_start = Some(batch.trigger_start);
        Ok(())
    }

    /// Waits until the last batch is committed, and publishes its report.
    fn finish_commit(&mut self) -> Result<()> {
        if let Some(commit) = self.committing.take() {
            let committed = commit.wait()?;
            self.publish_committed(&committed);
        }
        Ok(())
    }

    /// Publishes the report of the batch `committed` says is durable, with the times that
    /// include its commit (as Spark's: `triggerExecution` covers the commit).
    fn publish_committed(&mut self, committed: &Committed) {
        let Some((mut progress, trigger_start)) = self.uncommitted.take() else {
            return;
        };
        let execution = committed.done.duration_since(trigger_start);
        let trigger_execution = duration_ms(execution);
        progress
            .duration_ms
            .insert("triggerExecution".to_owned(), trigger_execution);
        progress
            .duration_ms
            .insert("commitOffsets".to_owned(), duration_ms(committed.commit));
        progress.batch_duration = trigger_execution;
        let seconds = execution.as_secs_f64();
        let rate = |rows: u64| if seconds > 0.0 { rows as f64 / seconds } else { 0.0 };
        progress.processed_rows_per_second = rate(progress.num_input_rows);
        for source in &mut progress.sources {
            source.processed_rows_per_second = rate(source.num_input_rows);
        }
        if let Some(state) = committed.state {
            for operator in &mut progress.state_operators {
                // The query's state is written in one step: each operator reports its time.
                operator.commit_time_ms = duration_ms(state);
            }
        }
        self.publish(progress);
    }

    /// Write-ahead: starts recording what the batch reads from each input, and with which
    /// watermark, once the last batch's commit is durable (which it gives back, with how long
    /// the log took); the batch may run meanwhile, but nothing may leave it before this is
    /// durable.
    fn write_ahead(&mut self, batch: &PlannedBatch) -> Result<Option<Pending<WriteAhead>>> {
        let Some(checkpoint) = &self.checkpoint else {
            return Ok(None);
        };
        let mut logs = Vec::new();
        for (index, (source, end)) in self.sources.iter().zip(&batch.ends).enumerate() {
            if batch.reads[index]
                && let Some(end) = end
                && let Some(log) = source.batch_log(end)?
            {
                logs.push((index, log));
            }
        }
        let micros = batch.watermark.unwrap_or_default().micros();
        let offsets = OffsetEntry {
            batch_watermark_ms: micros.div_euclid(1000),
            batch_watermark_micros: micros,
            batch_timestamp_ms: batch_timestamp_ms(batch.wall_start),
            source_offsets: batch.ends.clone(),
            conf: self.settings.clone(),
        };
        let (writer, batch_id, last_commit) = (checkpoint.clone(), batch.batch_id, self.committing.take());
        Pending::spawn(checkpoint.dir(), move || {
            // The last batch's commit first: offsets are planned only after it, as Spark's.
            let last_commit = last_commit.map(Pending::wait).transpose()?;
            let started = Instant::now();
            // A source's log before the offsets: offsets naming a batch promise its log is there.
            for (index, log) in logs {
                writer.write_source_log(index, batch_id, &log)?;
            }
            writer.write_offsets(batch_id, &offsets)?;
            Ok((last_commit, started.elapsed()))
        })
        .map(Some)
    }

    /// Runs the plan over the batch's input from every source (none for a no-data batch).
    fn execute(&mut self, starts: &Offsets, batch: &mut PlannedBatch) -> Result<Executed> {
        let mut context = BatchContext::new(
            batch.watermark.unwrap_or_default(),
            self.last_watermark.unwrap_or_default(),
        );
        // Spark's `current_timestamp()`: the batch's timestamp, in whole milliseconds.
        context.batch_timestamp = Timestamp::from_micros(batch_timestamp_ms(batch.wall_start).saturating_mul(1000));
        // The sources decode as the query consumes their batches (ahead of it, on other threads,
        // with a parallelism above 1), so both count as `addBatch` — where Spark, whose
        // `getBatch` only plans the read, counts them too.
        batch.durations.insert("getBatch".to_owned(), 0);
        batch.add_batch_started = Some(Instant::now());
        let mut streams: Vec<BatchStream<'_>> = Vec::with_capacity(self.sources.len());
        for (index, source) in self.sources.iter_mut().enumerate() {
            streams.push(match (&batch.ends[index], batch.reads[index]) {
                (Some(end), true) => source.read(starts[index].as_ref(), end, self.parallelism)?,
                _ => crate::source::batch_stream(Vec::new()),
            });
        }
        let mut input_rows = vec![0_u64; streams.len()];
        let mut counted: Vec<_> = streams
            .iter_mut()
            .zip(input_rows.iter_mut())
            .map(|(stream, rows)| {
                stream.by_ref().inspect(move |read| {
                    if let Ok(read) = read {
                        *rows += read.num_rows() as u64;
                    }
                })
            })
            .collect();
        let mut inputs: Vec<InputBatches<'_>> = counted.iter_mut().map(|input| input as InputBatches<'_>).collect();
        let output = self.plan.run_batch_stream(&mut inputs, self.mode, &mut context)?;
        drop(inputs);
        drop(counted);
        let decode_counts = streams.iter().map(|stream| stream.counts()).collect();
        drop(streams);
        // The plan was compiled ahead of time: there is no `queryPlanning` phase to report.
        self.last_watermark = batch.watermark;
        Ok(Executed {
            output,
            input_rows,
            context,
            decode_counts,
        })
    }

    /// Hands the output to the sink (and the late rows to theirs), then lets each source forget
    /// what the batch read from it.
    fn deliver(&mut self, starts: &Offsets, batch: &mut PlannedBatch, executed: &Executed) -> Result<()> {
        self.sink.add_batch(batch.batch_id, &executed.output)?;
        if let (Some(late_sink), Some(late_rows)) = (self.late_sink.as_mut(), executed.context.late_rows.as_ref())
            && late_rows.num_rows() > 0
        {
            late_sink.add_batch(batch.batch_id, late_rows)?;
        }
        if let Some(started) = batch.add_batch_started {
            batch.durations.insert("addBatch".to_owned(), elapsed_ms(started));
        }
        for ((source, end), start) in self.sources.iter_mut().zip(&batch.ends).zip(starts) {
            if let Some(end) = end
                && start.as_ref() != Some(end)
            {
                source.commit(end)?;
            }
        }
        Ok(())
    }

    /// The sink has the batch: starts writing its state's deltas, then that it is done, with
    /// the watermark the next batch runs with.
    fn commit(
        &self,
        batch: &PlannedBatch,
        watermark: Option<&WatermarkTracker>,
        deltas: Option<StateDeltas>,
    ) -> Result<Option<Pending<Committed>>> {
        let Some(checkpoint) = &self.checkpoint else {
            return Ok(None);
        };
        let next = watermark.map(WatermarkTracker::current).unwrap_or_default().micros();
        // With several watermarks, each input's too, so that a restart moves the global one
        // exactly as an uninterrupted run (Spark forgets them and starts each from the epoch).
        let input_watermarks_micros = match watermark {
            Some(tracker) if self.facts.watermark_delays_micros.len() > 1 => {
                tracker.input_watermarks().iter().map(|w| w.micros()).collect()
            }
            _ => Vec::new(),
        };
        let entry = CommitEntry {
            next_batch_watermark_ms: next.div_euclid(1000),
            next_batch_watermark_micros: next,
            input_watermarks_micros,
        };
        let (writer, batch_id) = (checkpoint.clone(), batch.batch_id);
        Pending::spawn(checkpoint.dir(), move || {
            let started = Instant::now();
            let encoding = deltas.as_ref().map_or(Duration::ZERO, StateDeltas::encoding);
            let state = deltas.map(|deltas| deltas.write(&writer)).transpose()?;
            writer.write_commit(batch_id, &entry)?;
            Ok(Committed {
                state,
                commit: encoding + started.elapsed(),
                done: Instant::now(),
            })
        })
        .map(Some)
    }

    /// The batch's progress report, in Spark's shape.
    fn progress(
        &self,
        state: &LoopState,
        batch: &PlannedBatch,
        executed: Executed,
        event_time: BTreeMap<String, String>,
    ) -> StreamingQueryProgress {
        let num_input_rows = executed.num_input_rows();
        let Executed {
            output,
            input_rows,
            context,
            decode_counts,
        } = executed;
        let execution = batch.trigger_start.elapsed().as_secs_f64();
        // As Spark: a rate over no elapsed time, and the first batch's input rate, are 0.
        let rate = |rows: u64, seconds: f64| if seconds > 0.0 { rows as f64 / seconds } else { 0.0 };
        let since_previous = state
            .previous_trigger_start
            .map(|previous| batch.trigger_start.duration_since(previous).as_secs_f64());
        let input_rate = |rows: u64| since_previous.map_or(0.0, |seconds| rate(rows, seconds));
        let state_operators = self
            .plan
            .state_operators()
            .into_iter()
            .map(
                |OperatorReport {
                     name,
                     metrics,
                     dropped_by_watermark,
                 }| StateOperatorProgress {
                    operator_name: name.to_owned(),
                    num_rows_total: metrics.num_rows_total,
                    num_rows_updated: metrics.num_rows_updated,
                    all_updates_time_ms: 0,
                    num_rows_removed: metrics.num_rows_removed,
                    all_removals_time_ms: 0,
                    // The query's state is written as one snapshot: each operator reports its time.
                    // Set once the state is written (`publish_committed`).
                    commit_time_ms: 0,
                    memory_used_bytes: metrics.memory_used_bytes,
                    num_rows_dropped_by_watermark: dropped_by_watermark,
                    num_shuffle_partitions: 1,
                    num_state_store_instances: 1,
                    custom_metrics: BTreeMap::new(),
                },
            )
            .collect();
        let sources = self
            .sources
            .iter()
            .enumerate()
            .map(|(index, source)| {
                let header_mismatches = decode_counts[index].header_mismatches;
                SourceProgress {
                    description: source.description(),
                    start_offset: state.previous_offsets[index].clone().unwrap_or_default(),
                    end_offset: batch.ends[index].clone().unwrap_or_default(),
                    // Spark's file source does not report a latest offset.
                    latest_offset: serde_json::Value::Null,
                    num_input_rows: input_rows[index],
                    input_rows_per_second: input_rate(input_rows[index]),
                    processed_rows_per_second: rate(input_rows[index], execution),
                    metrics: (header_mismatches > 0)
                        .then(|| ("numCsvHeaderMismatches".to_owned(), header_mismatches.to_string()))
                        .into_iter()
                        .collect(),
                }
            })
            .collect();
        StreamingQueryProgress {
            id: self.ids.id,
            run_id: self.ids.run_id,
            name: Some(self.ids.name.clone()),
            timestamp: chrono::DateTime::<chrono::Utc>::from(batch.wall_start)
                .format("%Y-%m-%dT%H:%M:%S%.3fZ")
                .to_string(),
            batch_id: batch.batch_id,
            batch_duration: batch.durations.get("triggerExecution").copied().unwrap_or(0),
            num_input_rows,
            num_unparseable_values: context.unparseable_values,
            num_malformed_rows: decode_counts.iter().map(|counts| counts.malformed).sum(),
            num_dropped_malformed_rows: decode_counts.iter().map(|counts| counts.dropped).sum(),
            input_rows_per_second: input_rate(num_input_rows),
            processed_rows_per_second: rate(num_input_rows, execution),
            duration_ms: batch.durations.clone(),
            event_time,
            state_operators,
            sources,
            sink: SinkProgress {
                description: self.sink.description(),
                num_output_rows: i64::try_from(output.num_rows()).unwrap_or(i64::MAX),
                metrics: BTreeMap::new(),
            },
        }
    }

    /// Publishes a batch's progress report.
    fn publish(&self, progress: StreamingQueryProgress) {
        tracing::debug!(progress = %progress.json(), "micro-batch done");
        let mut shared = self.shared.lock();
        if shared.progress.len() == RECENT_PROGRESS {
            shared.progress.pop_front();
        }
        shared.progress.push_back(progress);
        drop(shared);
        self.shared.changed.notify_all();
    }
}

/// Where the micro-batch loop is between batches.
struct LoopState {
    /// The next batch's id.
    batch_id: u64,
    /// The end offsets of the last batch that ran: the next one reads after them.
    previous_offsets: Offsets,
    /// The event-time watermark, when the query has one.
    watermark: Option<WatermarkTracker>,
    /// When the last batch that ran was triggered, for the input rate.
    previous_trigger_start: Option<Instant>,
}

/// What writing a batch's write-ahead log gives: the last batch's commit, which it waited for,
/// and how long the log took.
type WriteAhead = (Option<Committed>, Duration);

/// A micro-batch decided on, as it goes through its steps.
struct PlannedBatch {
    batch_id: u64,
    /// Each input's offset it reads up to.
    ends: Offsets,
    /// Whether it reads new data from each input; when from none, it is a no-data batch, run
    /// for the watermark.
    reads: Vec<bool>,
    /// The watermark it runs with.
    watermark: Option<Timestamp>,
    wall_start: SystemTime,
    trigger_start: Instant,
    add_batch_started: Option<Instant>,
    /// Each step's duration, as Spark's `durationMs` names them.
    durations: BTreeMap<String, u64>,
}

/// What running the plan over a batch gave.
struct Executed {
    output: arrow_array::RecordBatch,
    /// The rows read from each input.
    input_rows: Vec<u64>,
    context: BatchContext,
    /// Each input's decode counts.
    decode_counts: Vec<crate::decode::DecodeCounts>,
}

impl Executed {
    fn num_input_rows(&self) -> u64 {
        self.input_rows.iter().sum()
    }
}

/// `1 input`, `2 inputs`.
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Milliseconds since `since`, for `durationMs`.
fn elapsed_ms(since: Instant) -> u64 {
    duration_ms(since.elapsed())
}

fn duration_ms(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// The batch's `eventTime` report — its watermark and the statistics of the event times it saw
/// — after which the watermark takes the batch's latest event time into account, for the next
/// batch.
fn observe_event_time(watermark: Option<&mut WatermarkTracker>, context: &BatchContext) -> BTreeMap<String, String> {
    let mut event_time = BTreeMap::new();
    let Some(tracker) = watermark else {
        return event_time;
    };
    let iso = |ts: Timestamp| {
        ts.to_chrono()
            .map(|dt| dt.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
            .unwrap_or_default()
    };
    event_time.insert("watermark".to_owned(), iso(tracker.current()));
    let all = context.event_time();
    if let (Some(min), Some(max), Some(avg)) = (all.min, all.max, all.avg()) {
        event_time.insert("min".to_owned(), iso(min));
        event_time.insert("max".to_owned(), iso(max));
        event_time.insert("avg".to_owned(), iso(avg));
    }
    for (input, stats) in context.event_times.iter().enumerate() {
        if let Some(max) = stats.max {
            tracker.observe_input(input, max);
        }
    }
    // Computed now, used from the next batch on.
    tracker.advance();
    event_time
}

/// A running (or finished) streaming query: Spark's `StreamingQuery`.
///
/// Dropping the handle stops the query and waits for its thread.
pub struct StreamingQuery {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
    ids: QueryIds,
    explain: &'static str,
}

impl fmt::Debug for StreamingQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamingQuery")
            .field("name", &self.ids.name)
            .field("id", &self.ids.id)
            .field("run_id", &self.ids.run_id)
            .field("active", &self.is_active())
            .finish()
    }
}

impl StreamingQuery {
    /// The query's id.
    #[must_use]
    pub fn id(&self) -> uuid::Uuid {
        self.ids.id
    }

    /// This run's id.
    #[must_use]
    pub fn run_id(&self) -> uuid::Uuid {
        self.ids.run_id
    }

    /// The query's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.ids.name
    }

    /// Whether the query is still running.
    #[must_use]
    pub fn is_active(&self) -> bool {
        !self.shared.lock().finished
    }

    /// Blocks until the query ends: by itself (a bounded trigger), through [`stop`](Self::stop),
    /// or with an error.
    ///
    /// # Errors
    /// [`Error::Terminated`] with the error that ended the query.
    pub fn await_termination(&self) -> Result<()> {
        let mut state = self.shared.lock();
        while !state.finished {
            state = self
                .shared
                .changed
                .wait(state)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        drop(state);
        self.join();
        self.outcome()
    }

    /// Like [`await_termination`](Self::await_termination), giving up after `timeout`;
    /// returns whether the query ended.
    ///
    /// # Errors
    /// [`Error::Terminated`] with the error that ended the query.
    pub fn await_termination_timeout(&self, timeout: Duration) -> Result<bool> {
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.lock();
        while !state.finished {
            let now = Instant::now();
            if now >= deadline {
                return Ok(false);
            }
            state = self
                .shared
                .changed
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
        drop(state);
        self.join();
        self.outcome().map(|()| true)
    }

    /// Asks the query to stop after the batch in progress and waits for it.
    pub fn stop(&self) {
        self.shared.stop.store(true, Ordering::Release);
        self.shared.changed.notify_all();
        self.join();
    }

    /// The error that ended the query, if it ended with one.
    #[must_use]
    pub fn exception(&self) -> Option<Arc<Error>> {
        self.shared.lock().error.clone()
    }

    /// The last (up to 100) progress reports, oldest first.
    #[must_use]
    pub fn recent_progress(&self) -> Vec<StreamingQueryProgress> {
        self.shared.lock().progress.iter().cloned().collect()
    }

    /// The most recent progress report.
    #[must_use]
    pub fn last_progress(&self) -> Option<StreamingQueryProgress> {
        self.shared.lock().progress.back().cloned()
    }

    /// The query's plan as text.
    #[must_use]
    pub fn explain(&self) -> &'static str {
        self.explain
    }

    fn outcome(&self) -> Result<()> {
        match self.exception() {
            Some(cause) => Err(Error::Terminated {
                query: self.ids.name.clone(),
                cause,
            }),
            None => Ok(()),
        }
    }

    fn join(&self) {
        let thread = self
            .thread
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        if let Some(thread) = thread {
            // The runner catches panics itself, so joining cannot fail.
            let _ = thread.join();
        }
    }
}

impl Drop for StreamingQuery {
    fn drop(&mut self) {
        self.stop();
    }
}
