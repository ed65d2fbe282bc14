//! Kill a running query at random moments, restart it, and repeat until its input is done: the
//! output must equal an uninterrupted run's, with no row lost or written twice.
//!
//! The child is this test binary run again in the `child` role. Most restarts are SIGKILLed
//! by the parent on a schedule spread over the whole run; some abort themselves at a named
//! durability point of the library (a part file written but not renamed, the sink's log entry
//! written but the batch not committed, ...), seen through its `rill::durability` trace events.
//! The suite runs a short version; the long one is
//! `RILL_CRASH_KILLS=300 cargo test --release --test crash -- --nocapture --test-threads=1`.
#![cfg(unix)]
#![allow(
    clippy::print_stderr,
    reason = "the test reports how many kills it survived, and where"
)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rill::prelude::*;
use rill::sink::{FileSink, read_parquet_output};
use rill::stateful::{
    ExpiredTimer, KeyState, ListState, MapState, ProcessorResult, StateHandle, StatefulProcessor, ValueState,
};

rill::stream! {
    schema Event { event_id: String, user_id: String, event_type: String, event_time: String, amount: f64 }

    /// Complete mode, state restored from the checkpoint: sums, and the order-sensitive
    /// buffers of moments, quantile summaries, sketches and picks.
    query PerUser(raw: Event) {
        raw.group_by(user_id).agg(
            events = count(),
            total = round(sum(amount), 2),
            spread = stddev(amount),
            median = percentile_approx(amount, 0.5, 100),
            kinds = approx_count_distinct(event_type),
            last_kind = last(event_type),
            biggest = max_by(event_id, amount),
            kind_list = size(collect_list(event_type)),
            kind_set = sort_array(collect_set(event_type)),
        )
    }

    /// Windowed append to Parquet: state, watermark and an exactly-once file sink.
    query Hourly(raw: Event) {
        raw.with_column(event_time = to_timestamp(event_time))
           .with_watermark(event_time, "10 minutes")
           .group_by(window(event_time, "1 hour"), event_type)
           .agg(events = count(), amount = round(sum(amount), 2))
    }

    /// Filter and project to Parquet: no state, only the file sink's log.
    query HourlyOfTenMinutes(raw: Event) {
        raw.with_column(event_time = to_timestamp(event_time))
           .with_watermark(event_time, "10 minutes")
           .group_by(window(event_time, "10 minutes"), event_type)
           .agg(events = count(), amount = sum(amount))
           .group_by(window(window_time(window), "1 hour"), event_type)
           .agg(windows = count(), events = sum(events), amount = round(sum(amount), 2))
    }

    query Purchases(raw: Event) {
        raw.filter(event_type == "purchase" && amount > 50.0).select(event_id, user_id, amount)
    }

    schema Visit { user_id: String, event_type: String, event_time: Option<Timestamp>, amount: f64 }
    schema UserSession { user_id: String, start: Timestamp, end: Timestamp, events: i64, amount: f64, kinds: i64, top_kind: String }

    /// A stateful processor to Parquet: value, list and map state and event-time timers.
    query Sessions(raw: Event) {
        raw.with_column(event_time = to_timestamp(event_time))
           .with_watermark(event_time, "10 minutes")
           .group_by(user_id)
           .transform_with_state(Sessionizer, EventTime, input = Visit, output = UserSession)
    }

    /// A stream–stream left outer join to Parquet: both sides' buffered rows, two sources'
    /// offsets, two watermarks, and views that no purchase followed emitted with nulls, once.
    query Conversions(views: Event, buys: Event) {
        views.filter(event_type == "view")
            .with_column(view_time = to_timestamp(event_time))
            .with_watermark(view_time, "10 minutes")
            .select(view_id = event_id, viewer = user_id, view_time)
            .join(
                buys.filter(event_type == "purchase")
                    .with_column(buy_time = to_timestamp(event_time))
                    .with_watermark(buy_time, "20 minutes")
                    .select(buy_id = event_id, buyer = user_id, buy_time, amount),
                viewer == buyer && buy_time >= view_time && buy_time <= view_time + interval("30 minutes"),
                "left_outer"
            )
            .select(view_id, viewer, view_time, buy_id, amount)
    }
}

/// A user's open session.
#[derive(serde::Serialize, serde::Deserialize)]
struct Open {
    start: Timestamp,
    last: Timestamp,
    amount: f64,
}

const OPEN: ValueState<Open> = ValueState::new("open");
const KINDS: ListState<String> = ListState::new("kinds");
const KIND_COUNTS: MapState<String, i64> = MapState::new("kind_counts");
const SESSION_GAP: i64 = 30 * 60_000_000;

/// Closes a user's session 30 minutes (event time) after its last event.
#[derive(Debug, Default)]
pub struct Sessionizer;

impl StatefulProcessor for Sessionizer {
    type Key = String;
    type Input = Visit;
    type Output = UserSession;

    fn init(&mut self, handle: &mut StateHandle<'_>) {
        handle.value(&OPEN);
        handle.list(&KINDS);
        handle.map(&KIND_COUNTS);
    }

    fn handle_input_rows(
        &mut self,
        user: &String,
        rows: Vec<Visit>,
        state: &mut KeyState<'_, UserSession>,
    ) -> ProcessorResult {
        let mut open = state.value(&OPEN).get()?.unwrap_or(Open {
            start: Timestamp::from_micros(i64::MAX),
            last: Timestamp::from_micros(i64::MIN),
            amount: 0.0,
        });
        if open.last.micros() != i64::MIN {
            state
                .timers()
                .delete(Timestamp::from_micros(open.last.micros() + SESSION_GAP));
        }
        for row in &rows {
            let time = row.event_time.unwrap_or_default();
            open.start = open.start.min(time);
            open.last = open.last.max(time);
            open.amount += row.amount;
            state.list(&KINDS).append(&row.event_type)?;
            let count = state.map(&KIND_COUNTS).get(&row.event_type)?.unwrap_or(0);
            state.map(&KIND_COUNTS).insert(&row.event_type, &(count + 1))?;
        }
        state.value(&OPEN).set(&open)?;
        // A long session is cut at 25 events, so that most batches emit something.
        if state.list(&KINDS).get()?.len() >= 25 {
            return close(user, state);
        }
        state
            .timers()
            .register(Timestamp::from_micros(open.last.micros() + SESSION_GAP))?;
        Ok(())
    }

    fn handle_expired_timer(
        &mut self,
        user: &String,
        _: ExpiredTimer,
        state: &mut KeyState<'_, UserSession>,
    ) -> ProcessorResult {
        close(user, state)
    }
}

/// Emits `user`'s open session and forgets it.
fn close(user: &str, state: &mut KeyState<'_, UserSession>) -> ProcessorResult {
    let Some(open) = state.value(&OPEN).get()? else {
        return Ok(());
    };
    let kinds = state.list(&KINDS).get()?;
    let counts = state.map(&KIND_COUNTS).entries()?;
    let top_kind = counts
        .iter()
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
        .map(|(kind, _)| kind.clone())
        .unwrap_or_default();
    state.emit(UserSession {
        user_id: user.to_owned(),
        start: open.start,
        end: Timestamp::from_micros(open.last.micros() + SESSION_GAP),
        events: kinds.len() as i64,
        amount: (open.amount * 100.0).round() / 100.0,
        kinds: counts.len() as i64,
        top_kind,
    });
    state.value(&OPEN).clear()?;
    state.list(&KINDS).clear()?;
    state.map(&KIND_COUNTS).clear()?;
    Ok(())
}

const ROWS_PER_FILE: usize = 300;

/// A deterministic stream of `files` files: event time advances file by file, with some rows out
/// of order.
fn write_input(dir: &Path, files: usize) {
    let mut state: u64 = 7;
    let mut next = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        state >> 33
    };
    for file in 0..files {
        let lines: Vec<String> = (0..ROWS_PER_FILE)
            .map(|row| {
                let minute = (file * 15 + row % 15) as u64 - if next() % 10 == 0 { next() % 40 } else { 0 }.min((file * 15) as u64);
                let event_type = ["view", "cart", "purchase"][(next() % 3) as usize];
                let amount = if event_type == "view" { 0.0 } else { (next() % 20_000) as f64 / 100.0 };
                format!(
                    r#"{{"event_id": "e{file}-{row}", "user_id": "u{}", "event_type": "{event_type}", "event_time": "2026-01-0{} {:02}:{:02}:00", "amount": {amount}}}"#,
                    next() % 50,
                    1 + minute / 1440,
                    (minute % 1440) / 60,
                    minute % 60
                )
            })
            .collect();
        common::write_file(
            dir,
            &format!("part-{file:03}.json"),
            &lines.iter().map(String::as_str).collect::<Vec<_>>(),
            file as u64,
        );
    }
}

/// A file arriving after all the others (modification time last).
fn write_last_file(dir: &Path, order: usize) {
    let lines: Vec<String> = (0..20)
        .map(|row| {
            format!(
                r#"{{"event_id": "last-{row}", "user_id": "u{}", "event_type": "purchase", "event_time": "2026-01-09 00:{row:02}:00", "amount": 99.5}}"#,
                row % 7
            )
        })
        .collect();
    common::write_file(
        dir,
        "part-zzz-last.json",
        &lines.iter().map(String::as_str).collect::<Vec<_>>(),
        order as u64 + 1,
    );
}

/// Runs `query` over `input` to the end (available-now, one file per batch).
fn run(query: &str, input: &Path, checkpoint: &Path, output: &Path) -> Option<String> {
    let source = || JsonSource::new(input).max_files_per_trigger(1);
    match query {
        "per_user" => {
            let table = MemorySink::named(format!("crash_{}", std::process::id()));
            common::run_available_now(
                PerUser::read(source())
                    .complete()
                    .to(table.clone())
                    .checkpoint(checkpoint)
                    .min_deltas_for_snapshot(3)
                    .min_batches_to_retain(4),
            );
            let mut rows: Vec<String> = table
                .rows::<PerUserRow>()
                .unwrap()
                .iter()
                .map(|r| {
                    format!(
                        "{} {} {} {:?} {:?} {} {} {:?} {} {:?}",
                        r.user_id,
                        r.events,
                        r.total,
                        r.spread,
                        r.median,
                        r.kinds,
                        r.last_kind,
                        r.biggest,
                        r.kind_list,
                        r.kind_set
                    )
                })
                .collect();
            rows.sort();
            Some(rows.join("\n"))
        }
        "conversions" => {
            common::run_available_now(
                Conversions::read(source(), source())
                    .append()
                    .to(FileSink::parquet(output))
                    .checkpoint(checkpoint)
                    .min_deltas_for_snapshot(3)
                    .min_batches_to_retain(4),
            );
            None
        }
        "sessions" => {
            common::run_available_now(
                Sessions::read(source())
                    .append()
                    .to(FileSink::parquet(output))
                    .checkpoint(checkpoint)
                    .min_deltas_for_snapshot(3)
                    .min_batches_to_retain(4),
            );
            None
        }
        "chained" => {
            common::run_available_now(
                HourlyOfTenMinutes::read(source())
                    .append()
                    .to(FileSink::parquet(output))
                    .checkpoint(checkpoint)
                    .min_deltas_for_snapshot(3)
                    .min_batches_to_retain(4),
            );
            None
        }
        "hourly" => {
            common::run_available_now(
                Hourly::read(source())
                    .append()
                    .to(FileSink::parquet(output))
                    .checkpoint(checkpoint)
                    .min_deltas_for_snapshot(3)
                    .min_batches_to_retain(4),
            );
            None
        }
        _ => {
            common::run_available_now(
                Purchases::read(source())
                    .append()
                    .to(FileSink::parquet(output))
                    .checkpoint(checkpoint),
            );
            None
        }
    }
}

/// What a finished run left: the memory table, or the committed Parquet rows.
fn result(query: &str, output: &Path, table: Option<String>) -> String {
    if let Some(table) = table {
        return table;
    }
    let mut rows: Vec<String> = read_parquet_output(output)
        .unwrap()
        .iter()
        .flat_map(|batch| {
            if query == "conversions" {
                ConversionsRow::from_batch(batch)
                    .unwrap()
                    .iter()
                    .map(|r| {
                        format!(
                            "{} {} {:?} {:?} {:?}",
                            r.view_id, r.viewer, r.view_time, r.buy_id, r.amount
                        )
                    })
                    .collect::<Vec<_>>()
            } else if query == "sessions" {
                UserSession::from_batch(batch)
                    .unwrap()
                    .iter()
                    .map(|r| {
                        format!(
                            "{} {} {} {} {} {} {}",
                            r.user_id, r.start, r.end, r.events, r.amount, r.kinds, r.top_kind
                        )
                    })
                    .collect::<Vec<_>>()
            } else if query == "chained" {
                HourlyOfTenMinutesRow::from_batch(batch)
                    .unwrap()
                    .iter()
                    .map(|r| format!("{} {} {} {} {}", r.window, r.event_type, r.windows, r.events, r.amount))
                    .collect::<Vec<_>>()
            } else if query == "hourly" {
                HourlyRow::from_batch(batch)
                    .unwrap()
                    .iter()
                    .map(|r| format!("{} {} {} {}", r.window, r.event_type, r.events, r.amount))
                    .collect::<Vec<_>>()
            } else {
                PurchasesRow::from_batch(batch)
                    .unwrap()
                    .iter()
                    .map(|r| format!("{} {} {}", r.event_id, r.user_id, r.amount))
                    .collect()
            }
        })
        .collect();
    rows.sort();
    rows.join("\n")
}

/// The child role: run the query on the checkpoint; print the memory table if it finishes.
/// With `hold`, keep a query running on the checkpoint for a while instead. With
/// `RILL_CRASH_ABORT_AT`, abort at that durability point (see [`AbortAt`]).
#[test]
fn child() {
    let Ok(query) = std::env::var("RILL_CRASH_CHILD") else {
        return;
    };
    let path = |name: &str| PathBuf::from(std::env::var(name).unwrap());
    if query == "hold" {
        let running = PerUser::read(JsonSource::new(path("RILL_CRASH_INPUT")))
            .complete()
            .to(MemorySink::named("held"))
            .trigger(Trigger::processing_time(Duration::from_millis(50)))
            .checkpoint(path("RILL_CRASH_CHECKPOINT"))
            .start()
            .unwrap();
        std::fs::write(path("RILL_CRASH_OUTPUT").join("ready"), "").unwrap();
        std::thread::sleep(Duration::from_secs(20));
        running.stop();
        return;
    }
    if let Ok(point) = std::env::var("RILL_CRASH_ABORT_AT") {
        let after = std::env::var("RILL_CRASH_ABORT_AFTER").unwrap().parse().unwrap();
        tracing::subscriber::set_global_default(AbortAt {
            point,
            after,
            commits: AtomicU64::new(0),
        })
        .unwrap();
    }
    let table = run(
        &query,
        &path("RILL_CRASH_INPUT"),
        &path("RILL_CRASH_CHECKPOINT"),
        &path("RILL_CRASH_OUTPUT"),
    );
    std::fs::write(path("RILL_CRASH_OUTPUT").join("_table.txt"), table.unwrap_or_default()).unwrap();
}

/// The moments a child can be told to abort at, most telling first. Each is a
/// `rill::durability` trace event of the library; an atomically written file's events are named
/// after its log (`state_written`: the state file is in place, the batch not yet committed;
/// `sink_log_written`: the file sink's log entry is).
const ABORT_POINTS: [&str; 13] = [
    // The file sink's log entry is written; the checkpoint commit is not (after a compact
    // entry, the entries it covers are not deleted yet).
    "sink_log_written",
    // The state after the batch is stored; the commit is not.
    "state_written",
    // A part file is written under its temporary name, not renamed.
    "sink_part_before_rename",
    // The commit is written under its temporary name, not renamed.
    "commits_before_rename",
    // All the batch's part files are in place; the log entry is not written.
    "sink_parts_written",
    // The log entry is written under its temporary name, not renamed.
    "sink_log_before_rename",
    // The state is written under its temporary name, not renamed.
    "state_before_rename",
    // The commit is in place; its directory is not synced, old entries not purged.
    "commits_written",
    // The write-ahead offsets are in place; the batch has not run.
    "offsets_written",
    // The state's snapshot is written under its temporary name, not renamed.
    "state_snapshot_before_rename",
    // The snapshot is in place; the files it makes unneeded are not purged.
    "state_snapshot_written",
    // Purging state files no kept batch needs: some are gone, some not.
    "state_purge",
    // Purging the offsets and commits of batches no longer kept: some are gone, some not.
    "log_purge",
];

/// The abort points `query` passes through.
fn abort_points(query: &str) -> Vec<&'static str> {
    let (file_sink, state) = match query {
        "per_user" => (false, true),
        "hourly" | "conversions" | "sessions" | "chained" => (true, true),
        _ => (true, false),
    };
    ABORT_POINTS
        .into_iter()
        .filter(|point| (file_sink || !point.starts_with("sink_")) && (state || !point.starts_with("state_")))
        .collect()
}

/// A tracing subscriber that aborts the process — no destructor, no flush: as SIGKILL — at
/// the first durability event `point` after the child has committed `after` batches.
#[derive(Debug)]
struct AbortAt {
    point: String,
    after: u64,
    /// Batches committed by this process so far.
    commits: AtomicU64,
}

/// The fields of a durability event.
#[derive(Debug, Default)]
struct DurabilityEvent {
    point: String,
    file: String,
}

impl tracing::field::Visit for DurabilityEvent {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "point" {
            value.clone_into(&mut self.point);
        }
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "file" {
            self.file = format!("{value:?}");
        }
    }
}

impl DurabilityEvent {
    /// The point's name in [`ABORT_POINTS`]: a checkpoint file's events are named after its
    /// log, the directory it is in (`commits/<batch>`: `commits`), a state file's after its kind
    /// (`state/0/0/<version>.snapshot`: `state_snapshot`).
    fn name(&self) -> String {
        let renamed = match self.point.as_str() {
            "renamed" => "written",
            "before_rename" => "before_rename",
            sink => return sink.to_owned(),
        };
        if Path::new(&self.file).ancestors().any(|dir| dir.ends_with("state")) {
            let kind = if self.file.ends_with(".snapshot") {
                "state_snapshot"
            } else {
                "state"
            };
            return format!("{kind}_{renamed}");
        }
        let mut dirs = Path::new(&self.file)
            .ancestors()
            .skip(1)
            .filter_map(|d| d.file_name()?.to_str());
        let log = match dirs.next() {
            Some("0") => dirs.next(),
            // The file sink's `_spark_metadata/<batch>` entry.
            Some("_spark_metadata") => Some("sink_log"),
            log => log,
        };
        format!("{}_{renamed}", log.unwrap_or_default())
    }
}

impl tracing::Subscriber for AbortAt {
    fn register_callsite(&self, metadata: &'static tracing::Metadata<'static>) -> tracing::subscriber::Interest {
        if self.enabled(metadata) {
            tracing::subscriber::Interest::always()
        } else {
            tracing::subscriber::Interest::never()
        }
    }

    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        metadata.target() == "rill::durability"
    }

    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }

    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        let mut fields = DurabilityEvent::default();
        event.record(&mut fields);
        let point = fields.name();
        if point == self.point && self.commits.load(Ordering::Relaxed) >= self.after {
            std::process::abort();
        }
        if point == "commits_written" {
            self.commits.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}

/// The number of batches committed in `checkpoint` (the latest committed batch + 1).
fn committed(checkpoint: &Path) -> u64 {
    batches_in(checkpoint, "commits")
}

/// The number of batches in log `log` of `checkpoint` (its latest batch + 1).
fn batches_in(checkpoint: &Path, log: &str) -> u64 {
    std::fs::read_dir(checkpoint.join(log))
        .ok()
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u64>().ok())
        .max()
        .map_or(0, |batch| batch + 1)
}

/// A seeded generator (an LCG): the schedule is the same from run to run; only timing decides
/// where exactly a timed kill lands.
#[derive(Debug)]
struct Lcg(u64);

impl Lcg {
    /// A number in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        if n == 0 { 0 } else { (self.0 >> 33) % n }
    }

    /// A duration in `0..limit`.
    fn within(&mut self, limit: Duration) -> Duration {
        Duration::from_micros(self.below(u64::try_from(limit.as_micros()).unwrap_or(u64::MAX)))
    }
}

/// A child that commits no batch for this long fails the test, instead of hanging it.
const PROGRESS_TIMEOUT: Duration = Duration::from_secs(120);

/// Where a child runs, and where its stderr goes.
#[derive(Debug)]
struct ChildRun<'a> {
    query: &'a str,
    input: &'a Path,
    checkpoint: &'a Path,
    output: &'a Path,
    stderr: PathBuf,
}

/// How long the child takes, as the parent sees the commits appear: from its start to its
/// first commit (start-up, recovery and one batch), and from one commit to the next. Moving
/// averages, from rough guesses.
#[derive(Debug)]
struct Pace {
    first_commit: Duration,
    batch: Duration,
}

impl Pace {
    fn mix(average: &mut Duration, sample: Duration) {
        *average = (*average * 3 + sample) / 4;
    }
}

/// A running child and the commits the parent has seen it make.
#[derive(Debug)]
struct Watched {
    child: Child,
    started: Instant,
    /// Batches committed when it started.
    at_start: u64,
    /// Batches committed when last seen to change, and when.
    seen: u64,
    seen_at: Instant,
}

impl Watched {
    /// Starts the child; with `abort`, it aborts itself at `point` after `after` commits.
    fn start(run: &ChildRun<'_>, abort: Option<(&str, u64)>) -> Self {
        let exe = std::env::current_exe().unwrap();
        let mut command = if abort.is_some() {
            // An abort may dump core: not 75 times into the crate's directory.
            let mut command = Command::new("sh");
            command.args(["-c", r#"ulimit -c 0; exec "$0" "$@""#]).arg(exe);
            command
        } else {
            Command::new(exe)
        };
        command
            .args(["--exact", "child", "--nocapture", "--test-threads=1"])
            .env("RILL_CRASH_CHILD", run.query)
            .env("RILL_CRASH_INPUT", run.input)
            .env("RILL_CRASH_CHECKPOINT", run.checkpoint)
            .env("RILL_CRASH_OUTPUT", run.output)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&run.stderr).unwrap());
        if let Some((point, after)) = abort {
            command
                .env("RILL_CRASH_ABORT_AT", point)
                .env("RILL_CRASH_ABORT_AFTER", after.to_string());
        }
        let at_start = committed(run.checkpoint);
        let started = Instant::now();
        Self {
            child: command.spawn().unwrap(),
            started,
            at_start,
            seen: at_start,
            seen_at: started,
        }
    }

    /// Waits until `target` batches are committed (`None`) or the child exits (its status),
    /// noting the pace of its commits. Fails the test when no batch is committed for
    /// [`PROGRESS_TIMEOUT`].
    fn wait_for(&mut self, run: &ChildRun<'_>, target: u64, pace: &mut Pace) -> Option<ExitStatus> {
        loop {
            let exited = self.child.try_wait().unwrap();
            let now = committed(run.checkpoint);
            if now > self.seen {
                let elapsed = self.seen_at.elapsed();
                if self.seen == self.at_start {
                    Pace::mix(&mut pace.first_commit, self.started.elapsed());
                } else {
                    Pace::mix(&mut pace.batch, elapsed / u32::try_from(now - self.seen).unwrap_or(1));
                }
                self.seen = now;
                self.seen_at = Instant::now();
            }
            if exited.is_some() {
                return exited;
            }
            if now >= target {
                return None;
            }
            if self.seen_at.elapsed() > PROGRESS_TIMEOUT {
                self.child.kill().unwrap();
                self.child.wait().unwrap();
                panic!(
                    "{}: no batch committed for {PROGRESS_TIMEOUT:?} (waiting for {target} committed batches, {now} \
                     so far): the child makes no progress. Its stderr:\n{}",
                    run.query,
                    stderr_tail(&run.stderr)
                );
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

fn stderr_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let start = text.len().saturating_sub(4000);
    text.get(start..).unwrap_or(&text).to_owned()
}

/// SIGABRT, as `std::process::abort` raises it.
const SIGABRT: i32 = 6;

/// The kills of one query's run.
#[derive(Debug, Default)]
struct Kills {
    /// At each kill, the batches committed (the latest committed batch + 1; 0: none yet).
    at: Vec<u64>,
    /// How many kills came before the restarted child committed anything (during its recovery,
    /// or the re-run of the batch it was killed in).
    before_first_commit: u32,
    /// SIGKILLs from the parent, at a random moment.
    timed: u32,
    /// Timed kills that left a batch planned but not committed (its offsets written, its
    /// commit not), and of those, the ones after the file sink had logged the batch.
    mid_batch: u32,
    after_sink_log: u32,
    /// Self-aborts, by point.
    aborts: BTreeMap<&'static str, u32>,
}

/// Kills the child `kills_wanted` times, then lets it finish; the input is about `batches`
/// batches.
///
/// Each kill is aimed at a random number of new commits, drawn so that the kills spread evenly
/// over the batches still to come. One restart in four is told to abort itself at the next
/// durability point of [`abort_points`] (in turn) after that many commits; the others are
/// SIGKILLed once the commits appear, after a random delay up to one batch's duration (or, with
/// no new commit wanted, up to the child's first commit), so kills land in every phase of a
/// batch and in recovery. A child killed before it committed anything must commit at least
/// once before the next kill, so the run always moves on.
fn kill_until_done(run: &ChildRun<'_>, kills_wanted: u32, batches: u64) -> Kills {
    let mut rng = Lcg(run
        .query
        .bytes()
        .fold(0x5eed, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b))));
    let points = abort_points(run.query);
    let mut pace = Pace {
        first_commit: Duration::from_millis(100),
        batch: Duration::from_millis(20),
    };
    let mut kills = Kills::default();
    let mut progressed = true;
    loop {
        let done = u32::try_from(kills.at.len()).unwrap();
        let remaining_kills = u64::from(kills_wanted - done);
        let at_start = committed(run.checkpoint);
        let remaining = batches.saturating_sub(at_start);
        let mut step = rng
            .below(2 * remaining / (remaining_kills + 1) + 1)
            .min(remaining.saturating_sub(1));
        if !progressed {
            step = step.max(1);
        }
        let abort = (remaining_kills > 0 && done % 4 == 1).then(|| {
            let point = points[kills.aborts.values().sum::<u32>() as usize % points.len()];
            (point, step)
        });
        let mut child = Watched::start(run, abort);
        let status = if abort.is_some() || remaining_kills == 0 {
            child.wait_for(run, u64::MAX, &mut pace)
        } else {
            child.wait_for(run, at_start + step, &mut pace).or_else(|| {
                let window = if step == 0 { pace.first_commit } else { pace.batch };
                std::thread::sleep(rng.within(window));
                child.child.try_wait().unwrap()
            })
        };
        match (status, abort) {
            (None, _) => {
                child.child.kill().unwrap(); // SIGKILL: no destructor, no flush
                child.child.wait().unwrap();
                kills.timed += 1;
                let planned = batches_in(run.checkpoint, "offsets");
                if planned > committed(run.checkpoint) {
                    kills.mid_batch += 1;
                    let log = run.output.join("_spark_metadata");
                    let batch = planned - 1;
                    if log.join(batch.to_string()).exists() || log.join(format!("{batch}.compact")).exists() {
                        kills.after_sink_log += 1;
                    }
                }
            }
            (Some(status), Some((point, _))) if status.signal() == Some(SIGABRT) => {
                *kills.aborts.entry(point).or_default() += 1;
            }
            (Some(status), _) => {
                assert!(
                    status.success(),
                    "{}: the child failed on restart after {done} kills: {status}. Its stderr:\n{}",
                    run.query,
                    stderr_tail(&run.stderr)
                );
                return kills;
            }
        }
        let now = committed(run.checkpoint);
        progressed = now > at_start;
        if !progressed {
            kills.before_first_commit += 1;
        }
        kills.at.push(now);
    }
}

fn crash_test(query: &str) {
    let kills_wanted: u32 = std::env::var("RILL_CRASH_KILLS")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or(6);
    // At least two batches (one file each) per kill.
    let files = 40.max(kills_wanted as usize * 2);
    // The reference reads every file, plus one that arrives last.
    let reference_input = tempfile::tempdir().unwrap();
    write_input(reference_input.path(), files);
    write_last_file(reference_input.path(), files);
    let (reference_checkpoint, reference_output) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let table = run(
        query,
        reference_input.path(),
        reference_checkpoint.path(),
        reference_output.path(),
    );
    let expected = result(query, reference_output.path(), table);
    assert!(
        expected.lines().count() > 10,
        "the reference run produced too little to compare"
    );
    if query == "conversions" {
        assert!(
            expected.lines().any(|line| line.ends_with("None None")),
            "the outer join should emit views without a purchase"
        );
    }

    let (input, checkpoint, output, logs) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    write_input(input.path(), files);
    let child = ChildRun {
        query,
        input: input.path(),
        checkpoint: checkpoint.path(),
        output: output.path(),
        stderr: logs.path().join("child.stderr"),
    };
    let started = Instant::now();
    let kills = kill_until_done(&child, kills_wanted, files as u64);
    let batches = committed(checkpoint.path());
    let elapsed = started.elapsed();
    // One more file, and one more run: its output shows the state survived, whichever run the
    // last kill interrupted (a complete-mode memory table is only emitted by a batch).
    write_last_file(input.path(), files);
    kill_until_done(&child, 0, 0);
    let table = (query == "per_user").then(|| std::fs::read_to_string(output.path().join("_table.txt")).unwrap());
    let got = result(query, output.path(), table);
    let total = kills.at.len();
    assert_eq!(
        got, expected,
        "{query}: output after {total} kills differs from an uninterrupted run"
    );
    // Where the kills landed: the latest committed batch at each.
    let batch = |committed: u64| {
        committed
            .checked_sub(1)
            .map_or_else(|| "none".to_owned(), |b| b.to_string())
    };
    let distinct: BTreeSet<u64> = kills.at.iter().copied().collect();
    let (first, last) = (distinct.first().copied(), distinct.last().copied());
    let aborts: Vec<String> = kills.aborts.iter().map(|(point, n)| format!("{point} {n}")).collect();
    let mut summary = vec![
        format!(
            "{query}: {total} kills at {} distinct commit points (latest committed batch at the kill), from batch {} \
             to {}, of {batches} batches, in {elapsed:.1?}; output identical to an uninterrupted run ({} rows)",
            distinct.len(),
            first.map_or_else(|| "-".to_owned(), batch),
            last.map_or_else(|| "-".to_owned(), batch),
            expected.lines().count()
        ),
        format!(
            "  {} SIGKILLs on a timer, {} of them mid-batch (offsets written, not committed){}",
            kills.timed,
            kills.mid_batch,
            if query == "per_user" {
                String::new()
            } else {
                format!(", {} of those after the file sink's log entry", kills.after_sink_log)
            }
        ),
        format!(
            "  {} self-aborts: {}",
            kills.aborts.values().sum::<u32>(),
            if aborts.is_empty() {
                "none".to_owned()
            } else {
                aborts.join(", ")
            }
        ),
        format!(
            "  {} kills before the restarted child's first commit",
            kills.before_first_commit
        ),
    ];
    if total <= 20 {
        let at: Vec<String> = kills.at.iter().map(|&c| batch(c)).collect();
        summary.push(format!("  latest committed batch at each kill: {}", at.join(", ")));
    }
    eprintln!("{}", summary.join("\n"));
}

#[test]
fn complete_aggregation_to_memory_survives_kills() {
    crash_test("per_user");
}

#[test]
fn windowed_append_to_parquet_survives_kills() {
    crash_test("hourly");
}

#[test]
fn stateful_processor_to_parquet_survives_kills() {
    crash_test("sessions");
}

#[test]
fn chained_aggregations_to_parquet_survive_kills() {
    crash_test("chained");
}

#[test]
fn stream_stream_outer_join_to_parquet_survives_kills() {
    crash_test("conversions");
}

#[test]
fn filter_and_project_to_parquet_survives_kills() {
    crash_test("purchases");
}

#[test]
fn a_second_process_on_a_checkpoint_in_use_gets_a_clear_error() {
    let (input, checkpoint, output) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let mut holder = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child", "--nocapture", "--test-threads=1"])
        .env("RILL_CRASH_CHILD", "hold")
        .env("RILL_CRASH_INPUT", input.path())
        .env("RILL_CRASH_CHECKPOINT", checkpoint.path())
        .env("RILL_CRASH_OUTPUT", output.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..1000 {
        if output.path().join("ready").exists() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        output.path().join("ready").exists(),
        "the other process never started its query"
    );
    let error = PerUser::read(JsonSource::new(input.path()))
        .complete()
        .to(MemorySink::named("second"))
        .checkpoint(checkpoint.path())
        .start()
        .unwrap_err();
    holder.kill().unwrap();
    holder.wait().unwrap();
    assert!(matches!(error, rill::Error::CheckpointInUse { .. }), "{error}");
    assert!(
        error.to_string().contains("is in use by another running query"),
        "{error}"
    );
    // Once the other process is gone (killed: the operating system releases its lock), the
    // checkpoint opens again.
    let query = PerUser::read(JsonSource::new(input.path()))
        .complete()
        .to(MemorySink::named("third"))
        .checkpoint(checkpoint.path())
        .trigger(Trigger::AvailableNow)
        .start()
        .unwrap();
    query.await_termination().unwrap();
}
