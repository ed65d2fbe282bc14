//! Rill against DataFusion (and, from a results file, Spark) on the same generated event files.
//!
//! ```sh
//! cd benches/compare && nice -n 19 cargo run --release -- --rounds 5
//! ```
//!
//! The program
//! 1. writes the events with `rill-eventgen` (20 files × 100,000 rows, 100,000 users, seed 7 by
//!    default), or reuses them when `data/` already holds exactly those files;
//! 2. for each query, input and thread count, runs both engines once and checks that Rill's
//!    result equals DataFusion's, row for row after sorting (doubles exactly), and stops with an
//!    error if not;
//! 3. times them interleaved — Rill, DataFusion, Rill, DataFusion, … for `--rounds` rounds —
//!    checking every run's result again, and reports medians, rows/s, MB/s of JSON input, and
//!    the median of the pair-by-pair speed ratios;
//! 4. prints the table and writes it to `results/` as CSV, JSON and Markdown, with the machine's
//!    description; Spark's figures are joined from `results/spark.json` when
//!    `spark_bench.py` has written it.
//!
//! The queries: Q1 events and rounded spend per user (complete mode, memory sink); Q2 events and
//! rounded spend per 1-hour window and event type, under a 10-minute watermark (complete mode);
//! Q3 purchases above 100, projected, to Parquet; Q4 (`--queries q4`) events joined with a static
//! table of 90% of the users (read from a JSON file by both engines, inside the timing) and
//! spend per tier; Q5 (`--queries q5`) a stream–stream join of each view with the same user's
//! purchases in the next 30 minutes, counted (DataFusion: the same inner join as a batch query);
//! Q6 (`--queries q6`) events per tag, `explode` of the `tags` arrays of the nested events
//! (`rill-eventgen --nested`, in `data/nested-<options>`), whose `device` and `properties` objects
//! neither engine's schema declares (DataFusion: `unnest`).
//! Rill runs each over the files with an
//! available-now trigger (one micro-batch, no checkpoint); DataFusion runs the equivalent SQL
//! over the same NDJSON files. The "decoded" input runs Q1 and Q2 over the same Arrow record
//! batches already in memory (decoded once by DataFusion, handed to Rill through a
//! `MemoryStream` and to DataFusion as a `MemTable`), which separates decoding from the
//! operators.
//!
//! `--run-once`, `--decode-only` and `--write-csv` (in `single.rs`) are single runs for
//! `peers.py`, which compares Rill with DuckDB, Polars and DataFusion's Python package, each run
//! in a fresh process, over the JSON files and (`--format csv`) a CSV copy of them.
//!
//! Threads: DataFusion gets `target_partitions` = threads on a tokio runtime with that many
//! workers; Rill gets `DataStreamWriter::parallelism(threads)` (see [`run_rill`]), which
//! parallelises decoding only, so the decoded input runs for Rill at 1 thread only.

use std::error::Error;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float64Type, Int32Type, Int64Type, TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt64Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use datafusion::arrow as df_arrow;
use datafusion::datasource::MemTable;
use datafusion::prelude::{JsonReadOptions, ParquetReadOptions, SessionConfig, SessionContext};
use rill::prelude::*;
use rill::source::MemoryStream;

mod single;

type Result<T, E = Box<dyn Error>> = std::result::Result<T, E>;

rill::stream! {
    /// One web or purchase event, as a JSON line: the seed's schema.
    schema Event {
        event_id: String,
        user_id: String,
        event_type: String,
        event_time: String,
        amount: f64,
    }

    /// Q1, the seed's section 2.4: events and total spend per user.
    query Q1SpendByUser(raw: Event) {
        raw.with_column(event_time = to_timestamp(event_time))
           .group_by(user_id)
           .agg(events = count(), total_amount = round(sum(amount), 2))
    }

    /// Q2, the seed's section 2.6: events and spend per hour and event type, under a watermark.
    query Q2EventsByHour(raw: Event) {
        raw.with_column(event_time = to_timestamp(event_time))
           .with_watermark(event_time, "10 minutes")
           .group_by(window(event_time, "1 hour"), event_type)
           .agg(events = count(), amount = round(sum(amount), 2))
    }

    /// Q3: the big purchases, projected, for a Parquet file sink.
    query Q3BigPurchases(raw: Event) {
        raw.with_column(event_time = to_timestamp(event_time))
           .filter(event_type == "purchase" && amount > 100.0)
           .select(event_id, user_id, event_time, amount)
    }

    /// Every column of the events, for `--decode-only`: the decoder that builds all five.
    query AllColumns(raw: Event) {
        raw.select(event_id, user_id, event_type, event_time, amount)
    }

    /// A user of the static dimension table Q4 joins.
    schema User { user_id: String, tier: i32 }

    /// Q4: a stream–static join, then spend per tier.
    query Q4SpendByTier(raw: Event, users: static User) {
        raw.join(users, user_id)
           .group_by(tier)
           .agg(events = count(), total_amount = round(sum(amount), 2))
    }

    /// Q5: a stream–stream join, each view with the same user's purchases in the 30 minutes after
    /// it (both sides read the same files, as two streams).
    query Q5ViewsToPurchases(views: Event, purchases: Event) {
        views.filter(event_type == "view")
            .with_column(view_time = to_timestamp(event_time))
            .with_watermark(view_time, "1 hour")
            .select(view_id = event_id, viewer = user_id, view_time)
            .join(
                purchases.filter(event_type == "purchase")
                    .with_column(purchase_time = to_timestamp(event_time))
                    .with_watermark(purchase_time, "1 hour")
                    .select(purchase_id = event_id, buyer = user_id, purchase_time, amount),
                viewer == buyer && purchase_time >= view_time && purchase_time <= view_time + interval("30 minutes")
            )
            .select(view_id, purchase_id, amount)
    }

    /// One event in the nested shape (`rill-eventgen --nested`), with the columns Q6 reads and the
    /// ids and time. `device` and `properties` are not declared: the decoder skips them without
    /// building anything, as Spark's reader ignores the keys a schema does not name.
    schema NestedEvent {
        event_id: String,
        user_id: String,
        event_time: String,
        tags: Option<Vec<String>>,
    }

    /// Q6: events per tag, over the nested events' `tags` arrays (a null or empty array gives no
    /// row, as Spark's `explode`).
    query Q6EventsByTag(events: NestedEvent) {
        events.select(tag = explode(tags))
            .group_by(tag)
            .agg(events = count())
    }
}

/// Q6 in SQL: `unnest` of a null or empty list gives no row, as `explode` does.
const Q6_SQL: &str = "SELECT tag, count(*) AS events FROM (SELECT unnest(tags) AS tag FROM events) GROUP BY tag";

/// Q6 in DataFusion: the SQL over the nested files, registered as NDJSON with `NestedEvent`'s
/// schema (the undeclared `device` and `properties` keys are ignored).
fn df_q6(runtime: &tokio::runtime::Runtime, threads: usize, dir: &Path) -> Result<Timed> {
    let started = Instant::now();
    let (schema, batches) = runtime.block_on(async {
        let ctx = df_context(threads);
        let schema = df_schema(&<NestedEvent as Row>::schema())?;
        ctx.register_json(
            "events",
            dir_url(dir)?,
            JsonReadOptions::default().schema(&schema).file_extension(".json"),
        )
        .await?;
        df_collect(&ctx, Q6_SQL).await
    })?;
    df_result(started.elapsed(), &schema, &batches)
}

/// Q5 in SQL: the pairs counted (the streaming join's rows, counted from its output).
const Q5_SQL: &str = "SELECT count(*) AS pairs FROM events v JOIN events p ON v.user_id = p.user_id \
                      AND to_timestamp_micros(p.event_time) >= to_timestamp_micros(v.event_time) \
                      AND to_timestamp_micros(p.event_time) <= to_timestamp_micros(v.event_time) + INTERVAL '30 minutes' \
                      WHERE v.event_type = 'view' AND p.event_type = 'purchase'";

/// Q5 in Rill: one micro-batch of both streams over the files (each side reads them all), the
/// joined rows counted; the state is the join's buffered rows and their bytes.
fn rill_q5(dir: &Path, threads: usize) -> Result<Timed> {
    let table = MemorySink::named("q5");
    let started = Instant::now();
    let query = run_rill(
        Q5ViewsToPurchases::read(rill_source(dir), rill_source(dir))
            .append()
            .to(table.clone()),
        threads,
    )?;
    let elapsed = started.elapsed();
    let with_data = query.recent_progress().iter().filter(|p| p.num_input_rows > 0).count();
    if with_data != 1 {
        return Err(format!("Rill read the input in {with_data} micro-batches, expected one").into());
    }
    let pairs: usize = table.batches().iter().map(RecordBatch::num_rows).sum();
    let counted = RecordBatch::try_from_iter([(
        "pairs",
        Arc::new(arrow_array::Int64Array::from(vec![i64::try_from(pairs)?])) as ArrayRef,
    )])?;
    let state = query
        .recent_progress()
        .iter()
        .find(|p| p.num_input_rows > 0)
        .and_then(|p| p.state_operators.first())
        .map(|s| (s.num_rows_total, s.memory_used_bytes));
    Ok(Timed {
        elapsed,
        rows: canonical(std::slice::from_ref(&counted))?,
        schema: describe_schema(&counted.schema()),
        state,
        phases: rill_phases(&query),
        input_rows: None,
    })
}

const Q4_SQL: &str = "SELECT tier, count(*) AS events, round(sum(amount), 2) AS total_amount \
                      FROM events JOIN users USING (user_id) GROUP BY tier";

/// The users file Q4 joins, next to the events: every user whose number is not a multiple of
/// 10, with tier `number % 5`. Written once.
fn ensure_users(events_dir: &Path, users: u32) -> Result<PathBuf> {
    let dir = events_dir.with_extension("users");
    let file = dir.join("users.json");
    if !file.exists() {
        std::fs::create_dir_all(&dir)?;
        let mut text = String::new();
        for number in (0..users).filter(|n| n % 10 != 0) {
            text.push_str(&format!(
                "{{\"user_id\": \"u{number:06}\", \"tier\": {}}}\n",
                number % 5
            ));
        }
        std::fs::write(&file, text)?;
    }
    Ok(dir)
}

fn rill_q4(dir: &Path, users: &Path, threads: usize, expected_input: u64) -> Result<Timed> {
    // The users file is read inside the timing, as DataFusion reads it.
    let started = Instant::now();
    let users = rill::operator::StaticTable::<User>::json(users)?;
    rill_complete_to_memory(
        Q4SpendByTier::read(rill_source(dir), users),
        started,
        threads,
        Some(expected_input),
    )
}

fn df_q4(runtime: &tokio::runtime::Runtime, threads: usize, dir: &Path, users: &Path) -> Result<Timed> {
    let started = Instant::now();
    let (schema, batches) = runtime.block_on(async {
        let ctx = df_context(threads);
        df_register_files(&ctx, dir).await?;
        let user_schema = df_arrow::datatypes::Schema::new(vec![
            df_arrow::datatypes::Field::new("user_id", df_arrow::datatypes::DataType::Utf8, false),
            df_arrow::datatypes::Field::new("tier", df_arrow::datatypes::DataType::Int32, false),
        ]);
        ctx.register_json(
            "users",
            dir_url(users)?,
            JsonReadOptions::default().schema(&user_schema).file_extension(".json"),
        )
        .await?;
        df_collect(&ctx, Q4_SQL).await
    })?;
    df_result(started.elapsed(), &schema, &batches)
}

const Q1_SQL: &str = "SELECT user_id, count(*) AS events, round(sum(amount), 2) AS total_amount \
                      FROM events GROUP BY user_id";

/// Rill's window is a struct of start and end; the end is added after the aggregation here.
const Q2_SQL: &str = "SELECT window_start, window_start + INTERVAL '1 hour' AS window_end, event_type, events, amount \
                      FROM (SELECT date_bin(INTERVAL '1 hour', to_timestamp_micros(event_time)) AS window_start, \
                                   event_type, count(*) AS events, round(sum(amount), 2) AS amount \
                            FROM events GROUP BY 1, 2)";

const Q3_SELECT: &str = "SELECT event_id, user_id, to_timestamp_micros(event_time) AS event_time, amount \
                         FROM events WHERE event_type = 'purchase' AND amount > 100";

// ---------------------------------------------------------------------------------------------
// Options

#[derive(Debug, Clone)]
struct Options {
    events: rill_eventgen::Config,
    data_dir: PathBuf,
    /// Where Q6's nested events go: the same options, the nested shape.
    nested_dir: PathBuf,
    results_dir: PathBuf,
    spark_results: PathBuf,
    rounds: usize,
    threads: Vec<usize>,
    queries: Vec<String>,
    decoded: bool,
    /// Run `spark_bench.py` first, for the Spark column.
    with_spark: bool,
}

const USAGE: &str = "usage: rill-compare [--files N] [--rows N] [--seed N] [--users N] [--data DIR] \
[--nested-data DIR] [--rounds N] [--threads 1,2] [--queries q1,q2,q3] [--no-decoded] [--results DIR] \
[--spark FILE] [--with-spark]

--queries: any of q1, q2, q3 (the default), q4 (a stream-static join), q5 (a stream-stream join)
and q6 (events per tag, exploded from the tags arrays of nested events).

Generates (or reuses) the event files in DIR (default data/<options>; Q6's nested events in
data/nested-<options>, or --nested-data DIR), checks Rill's result of
each query equal to DataFusion's, then times them interleaved and writes results/results.{csv,json,md}.
Spark's figures are joined from results/spark.json (written by spark_bench.py) when present;
--with-spark runs spark_bench.py first, over the same files, rounds and threads.

Single runs, for peers.py (each in a fresh process): --run-once q1|q2|q3 [--format json|csv]
--threads N --data DIR --out FILE, --decode-only [--format json|csv] --data DIR [--rounds N], and
--write-csv --data DIR (a CSV copy of the JSON files); see --run-once --help.";

impl Options {
    fn parse(args: impl Iterator<Item = String>) -> Result<Self, String> {
        let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut events = rill_eventgen::Config::default();
        let mut data_dir = None;
        let mut nested_dir = None;
        let mut results_dir = crate_dir.join("results");
        let mut spark_results = None;
        let mut rounds = 5;
        let mut threads = vec![1, 2];
        let mut queries = vec!["q1".to_owned(), "q2".to_owned(), "q3".to_owned()];
        let mut decoded = true;
        let mut with_spark = false;
        let mut args = args.peekable();
        while let Some(flag) = args.next() {
            match flag.as_str() {
                "--help" | "-h" => return Err(String::new()),
                "--no-decoded" => {
                    decoded = false;
                    continue;
                }
                "--with-spark" => {
                    with_spark = true;
                    continue;
                }
                _ => {}
            }
            let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
            let number = || value.parse::<usize>().map_err(|e| format!("{flag} {value}: {e}"));
            match flag.as_str() {
                "--files" => events.files = number()?,
                "--rows" => events.rows_per_file = number()?,
                "--seed" => events.seed = number()? as u64,
                "--users" => events.users = u32::try_from(number()?).map_err(|e| format!("{flag}: {e}"))?,
                "--data" => data_dir = Some(PathBuf::from(&value)),
                "--nested-data" => nested_dir = Some(PathBuf::from(&value)),
                "--results" => results_dir = PathBuf::from(&value),
                "--spark" => spark_results = Some(PathBuf::from(&value)),
                "--rounds" => rounds = number()?.max(1),
                "--threads" => {
                    threads = value
                        .split(',')
                        .map(|t| t.trim().parse::<usize>().map_err(|e| format!("{flag} {value}: {e}")))
                        .collect::<Result<_, _>>()?;
                }
                "--queries" => queries = value.split(',').map(|q| q.trim().to_lowercase()).collect(),
                _ => return Err(format!("unknown option {flag}")),
            }
        }
        let options_name = format!(
            "f{}-r{}-s{}-u{}",
            events.files, events.rows_per_file, events.seed, events.users
        );
        let data_dir = data_dir.unwrap_or_else(|| crate_dir.join("data").join(format!("events-{options_name}")));
        let nested_dir = nested_dir.unwrap_or_else(|| crate_dir.join("data").join(format!("nested-{options_name}")));
        let spark_results = spark_results.unwrap_or_else(|| results_dir.join("spark.json"));
        Ok(Self {
            events,
            data_dir,
            nested_dir,
            results_dir,
            spark_results,
            rounds,
            threads,
            queries,
            decoded,
            with_spark,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// The machine

#[derive(Debug, Clone, serde::Serialize)]
struct Machine {
    cpu: String,
    /// CPU family, model, caches and hypervisor, from `lscpu`.
    cpu_details: String,
    logical_cpus: usize,
    threads_per_core: String,
    memory: String,
    kernel: String,
    rustc: String,
    datafusion: String,
    load_average_before: String,
    load_average_after: String,
}

fn read_or(path: &str, default: &str) -> String {
    std::fs::read_to_string(path).map_or_else(|_| default.to_owned(), |s| s.trim().to_owned())
}

/// The 1-, 5- and 15-minute load averages.
fn load_average() -> String {
    read_or("/proc/loadavg", "?")
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn machine() -> Machine {
    let lscpu = std::process::Command::new("lscpu")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .unwrap_or_default();
    let field = |name: &str| {
        lscpu.lines().find_map(|line| {
            line.strip_prefix(name)
                .map(|rest| rest.trim_start_matches(':').trim().to_owned())
        })
    };
    let cpu = field("Model name").unwrap_or_else(|| {
        read_or("/proc/cpuinfo", "")
            .lines()
            .find_map(|l| {
                l.strip_prefix("model name")
                    .map(|r| r.trim_start_matches([' ', '\t', ':']).to_owned())
            })
            .unwrap_or_else(|| "unknown".to_owned())
    });
    let memory = read_or("/proc/meminfo", "")
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:").map(str::trim).map(str::to_owned))
        .and_then(|kb| kb.trim_end_matches(" kB").parse::<f64>().ok())
        .map_or_else(|| "unknown".to_owned(), |kb| format!("{:.1} GiB", kb / 1024.0 / 1024.0));
    let details = [
        ("CPU family", "family "),
        ("Model", "model "),
        ("L2 cache", "L2 "),
        ("L3 cache", "L3 "),
        ("Hypervisor vendor", "hypervisor "),
    ]
    .iter()
    .filter_map(|(name, label)| field(&format!("{name}:")).map(|v| format!("{label}{v}")))
    .collect::<Vec<_>>()
    .join(", ");
    Machine {
        cpu,
        cpu_details: details,
        logical_cpus: std::thread::available_parallelism().map_or(0, std::num::NonZero::get),
        threads_per_core: field("Thread(s) per core").unwrap_or_else(|| "?".to_owned()),
        memory,
        kernel: format!(
            "{} {}",
            read_or("/proc/sys/kernel/ostype", "?"),
            read_or("/proc/sys/kernel/osrelease", "?")
        ),
        rustc: env!("RILL_COMPARE_RUSTC").to_owned(),
        datafusion: datafusion::DATAFUSION_VERSION.to_owned(),
        load_average_before: load_average(),
        load_average_after: String::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// Results as comparable values

/// One value of a result, in a form both engines' Arrow types map to: strings of any Arrow
/// string type, integers, doubles compared exactly, and timestamps in microseconds whatever
/// their unit and zone.
#[derive(Debug, Clone)]
enum Val {
    Null,
    Int(i64),
    Float(f64),
    Text(String),
    Time(i64),
}

impl Val {
    fn rank(&self) -> u8 {
        match self {
            Self::Null => 0,
            Self::Int(_) => 1,
            Self::Float(_) => 2,
            Self::Text(_) => 3,
            Self::Time(_) => 4,
        }
    }
}

impl Ord for Val {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        match (self, other) {
            (Self::Int(a), Self::Int(b)) | (Self::Time(a), Self::Time(b)) => a.cmp(b),
            (Self::Float(a), Self::Float(b)) => a.total_cmp(b),
            (Self::Text(a), Self::Text(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

impl PartialOrd for Val {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Val {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Val {}

impl std::fmt::Display for Val {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Null => f.write_str("null"),
            Self::Int(v) => write!(f, "{v}"),
            Self::Float(v) => write!(f, "{v:?}"),
            Self::Text(v) => write!(f, "{v:?}"),
            Self::Time(v) => write!(f, "{}", rill::Timestamp::from_micros(*v)),
        }
    }
}

type Rows = Vec<Vec<Val>>;

fn leaf_columns(array: &ArrayRef, out: &mut Vec<ArrayRef>) {
    if let Some(fields) = array.as_struct_opt() {
        for column in fields.columns() {
            leaf_columns(column, out);
        }
    } else {
        out.push(Arc::clone(array));
    }
}

fn value(array: &dyn Array, row: usize) -> Result<Val> {
    if array.is_null(row) {
        return Ok(Val::Null);
    }
    Ok(match array.data_type() {
        DataType::Utf8 => Val::Text(array.as_string::<i32>().value(row).to_owned()),
        DataType::LargeUtf8 => Val::Text(array.as_string::<i64>().value(row).to_owned()),
        DataType::Utf8View => Val::Text(array.as_string_view().value(row).to_owned()),
        DataType::Int64 => Val::Int(array.as_primitive::<Int64Type>().value(row)),
        DataType::Int32 => Val::Int(i64::from(array.as_primitive::<Int32Type>().value(row))),
        DataType::UInt64 => Val::Int(i64::try_from(array.as_primitive::<UInt64Type>().value(row))?),
        DataType::Float64 => {
            let v = array.as_primitive::<Float64Type>().value(row);
            Val::Float(if v == 0.0 { 0.0 } else { v })
        }
        DataType::Timestamp(TimeUnit::Second, _) => {
            Val::Time(array.as_primitive::<TimestampSecondType>().value(row) * 1_000_000)
        }
        DataType::Timestamp(TimeUnit::Millisecond, _) => {
            Val::Time(array.as_primitive::<TimestampMillisecondType>().value(row) * 1_000)
        }
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            Val::Time(array.as_primitive::<TimestampMicrosecondType>().value(row))
        }
        DataType::Timestamp(TimeUnit::Nanosecond, _) => {
            let nanos = array.as_primitive::<TimestampNanosecondType>().value(row);
            if nanos % 1_000 != 0 {
                return Err(format!("timestamp {nanos} ns is not a whole microsecond").into());
            }
            Val::Time(nanos / 1_000)
        }
        other => return Err(format!("no comparison for values of type {other}").into()),
    })
}

/// The rows of `batches`, struct columns flattened, sorted.
fn canonical(batches: &[RecordBatch]) -> Result<Rows> {
    let mut rows = Vec::new();
    for batch in batches {
        let mut leaves = Vec::new();
        for column in batch.columns() {
            leaf_columns(column, &mut leaves);
        }
        for row in 0..batch.num_rows() {
            rows.push(
                leaves
                    .iter()
                    .map(|c| value(c.as_ref(), row))
                    .collect::<Result<Vec<_>>>()?,
            );
        }
    }
    rows.sort_unstable();
    Ok(rows)
}

/// Column names and types, struct columns flattened, for the report.
fn describe_schema(batch_schema: &arrow_schema::Schema) -> String {
    fn walk(prefix: &str, field: &arrow_schema::Field, out: &mut Vec<String>) {
        if let DataType::Struct(children) = field.data_type() {
            for child in children {
                walk(&format!("{prefix}{}.", field.name()), child, out);
            }
        } else {
            out.push(format!("{prefix}{}: {}", field.name(), field.data_type()));
        }
    }
    let mut out = Vec::new();
    for field in batch_schema.fields() {
        walk("", field, &mut out);
    }
    out.join(", ")
}

/// Fails, showing the first differences, unless `rill` and `reference` hold the same rows.
fn check_same(what: &str, rill: &Rows, reference: &Rows) -> Result<()> {
    if rill == reference {
        return Ok(());
    }
    let mut message = format!(
        "RESULTS DIFFER for {what}: Rill has {} rows, DataFusion {}\n",
        rill.len(),
        reference.len()
    );
    let show = |row: &Vec<Val>| row.iter().map(ToString::to_string).collect::<Vec<_>>().join(" | ");
    let mut shown = 0;
    let (mut i, mut j) = (0, 0);
    while (i < rill.len() || j < reference.len()) && shown < 10 {
        match (rill.get(i), reference.get(j)) {
            (Some(a), Some(b)) if a == b => {
                i += 1;
                j += 1;
            }
            (Some(a), Some(b)) if a < b => {
                let _ = writeln!(message, "  only in Rill:       {}", show(a));
                i += 1;
                shown += 1;
            }
            (Some(a), None) => {
                let _ = writeln!(message, "  only in Rill:       {}", show(a));
                i += 1;
                shown += 1;
            }
            (_, Some(b)) => {
                let _ = writeln!(message, "  only in DataFusion: {}", show(b));
                j += 1;
                shown += 1;
            }
            (None, None) => break,
        }
    }
    Err(message.into())
}

// ---------------------------------------------------------------------------------------------
// Between the two Arrow versions (outside every timed region)

/// DataFusion's record batches (its Arrow) as Rill's Arrow, through IPC bytes.
fn to_rill_arrow(
    schema: &df_arrow::datatypes::SchemaRef,
    batches: &[df_arrow::record_batch::RecordBatch],
) -> Result<Vec<RecordBatch>> {
    let mut bytes = Vec::new();
    {
        let mut writer = df_arrow::ipc::writer::StreamWriter::try_new(&mut bytes, schema)?;
        for batch in batches {
            writer.write(batch)?;
        }
        writer.finish()?;
    }
    let reader = arrow_ipc::reader::StreamReader::try_new(std::io::Cursor::new(bytes), None)?;
    Ok(reader.collect::<Result<Vec<_>, _>>()?)
}

/// DataFusion's table schema for the events: the names, types and nullability of Rill's `Event`.
fn df_event_schema() -> Result<df_arrow::datatypes::Schema> {
    df_schema(&<Event as Row>::schema())
}

/// A Rill schema in DataFusion's Arrow: the same names, types and nullability (strings,
/// doubles, and lists of them).
fn df_schema(schema: &arrow_schema::Schema) -> Result<df_arrow::datatypes::Schema> {
    fn convert(field: &arrow_schema::Field) -> Result<df_arrow::datatypes::Field, String> {
        let data_type = match field.data_type() {
            DataType::Utf8 => df_arrow::datatypes::DataType::Utf8,
            DataType::Float64 => df_arrow::datatypes::DataType::Float64,
            DataType::List(item) => df_arrow::datatypes::DataType::List(Arc::new(convert(item)?)),
            other => return Err(format!("column {} has unexpected type {other}", field.name())),
        };
        Ok(df_arrow::datatypes::Field::new(
            field.name(),
            data_type,
            field.is_nullable(),
        ))
    }
    let fields = schema
        .fields()
        .iter()
        .map(|f| convert(f))
        .collect::<Result<Vec<_>, String>>()?;
    Ok(df_arrow::datatypes::Schema::new(fields))
}

// ---------------------------------------------------------------------------------------------
// Rill

/// Rill's file source over the event files, read in one micro-batch (no files-per-trigger limit).
fn rill_source(dir: &Path) -> JsonSource {
    JsonSource::new(dir)
}

/// Starts a Rill query on `threads` threads with an available-now trigger and no checkpoint,
/// and waits for it.
fn run_rill<Q, M, S, C>(writer: DataStreamWriter<Q, M, S, C>, threads: usize) -> Result<StreamingQuery>
where
    Q: StreamPlan,
    M: rill::mode::Chosen,
    S: rill::Sink + rill::sink::AcceptsMode<M>,
    C: rill::checkpointing::CheckpointFor<S>,
{
    let query = writer.parallelism(threads).trigger(Trigger::AvailableNow).start()?;
    query.await_termination()?;
    Ok(query)
}

/// The phases of the Rill query's batch with data, as `getBatch 612 ms, addBatch 80 ms, …`.
fn rill_phases(query: &StreamingQuery) -> String {
    query
        .recent_progress()
        .iter()
        .find(|p| p.num_input_rows > 0)
        .map(|p| {
            p.duration_ms
                .iter()
                .map(|(phase, ms)| format!("{phase} {ms} ms"))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

/// The rows a Rill query read, checked to be one micro-batch (of `expected` rows, when given:
/// `--run-once` does not know the input's size and prints the rows for its caller to check).
fn rill_input_rows(query: &StreamingQuery, expected: Option<u64>) -> Result<u64> {
    let progress = query.recent_progress();
    let with_data: Vec<_> = progress.iter().filter(|p| p.num_input_rows > 0).collect();
    let rows: u64 = with_data.iter().map(|p| p.num_input_rows).sum();
    if expected.is_some_and(|expected| rows != expected) || with_data.len() != 1 {
        return Err(format!(
            "Rill read {rows} rows in {} micro-batches, expected {} in one",
            with_data.len(),
            expected.map_or_else(|| "all".to_owned(), |e| e.to_string())
        )
        .into());
    }
    Ok(rows)
}

/// What one timed run produced: its time, and its result as sorted comparable rows.
struct Timed {
    elapsed: Duration,
    rows: Rows,
    schema: String,
    /// Rill's state after the batch, from its progress report: keys and bytes.
    state: Option<(u64, u64)>,
    /// Rill's phases of the batch with data, from its progress report (ms).
    phases: String,
    /// The input rows Rill's progress report counted (`None` for DataFusion).
    input_rows: Option<u64>,
}

fn rill_memory<Q: StreamPlan + rill::SupportsComplete>(
    source: impl rill::Source,
    threads: usize,
    expected_input: Option<u64>,
) -> Result<Timed> {
    rill_complete_to_memory(
        DataStreamWriter::<Q>::new(source),
        Instant::now(),
        threads,
        expected_input,
    )
}

/// Runs `writer` in complete mode to a memory table, timed from `started`: its result table,
/// state and phases.
fn rill_complete_to_memory<Q: StreamPlan + rill::SupportsComplete>(
    writer: DataStreamWriter<Q>,
    started: Instant,
    threads: usize,
    expected_input: Option<u64>,
) -> Result<Timed> {
    let table = MemorySink::named(Q::facts().name);
    let query = run_rill(writer.complete().to(table.clone()), threads)?;
    let elapsed = started.elapsed();
    let input_rows = rill_input_rows(&query, expected_input)?;
    let output = table.batches();
    let schema = output.first().map(|b| describe_schema(&b.schema())).unwrap_or_default();
    Ok(Timed {
        elapsed,
        rows: canonical(&output)?,
        schema,
        state: query.last_progress().and_then(|p| {
            p.state_operators
                .first()
                .map(|s| (s.num_rows_total, s.memory_used_bytes))
        }),
        phases: rill_phases(&query),
        input_rows: Some(input_rows),
    })
}

fn rill_q3(source: FileSource, out: &Path, threads: usize) -> Result<Timed> {
    // A file sink needs a checkpoint (as in Spark, whose column keeps one too).
    let checkpoint = out.with_extension("checkpoint");
    remove_dir(out)?;
    remove_dir(&checkpoint)?;
    let started = Instant::now();
    let query = run_rill(
        Q3BigPurchases::read(source)
            .append()
            .to(rill::sink::FileSink::parquet(out))
            .checkpoint(&checkpoint),
        threads,
    )?;
    let elapsed = started.elapsed();
    let output = rill::sink::read_parquet_output(out)?;
    // Q3's filter reads input columns only, so Rill's decoder applies it and, like Spark's scan
    // with a pushed filter, counts as input only the rows that pass: here, every output row.
    let input_rows = rill_input_rows(&query, Some(output.iter().map(|b| b.num_rows() as u64).sum()))?;
    let schema = output.first().map(|b| describe_schema(&b.schema())).unwrap_or_default();
    Ok(Timed {
        elapsed,
        rows: canonical(&output)?,
        schema,
        state: None,
        phases: rill_phases(&query),
        input_rows: Some(input_rows),
    })
}

fn rill_decoded<Q: StreamPlan + rill::SupportsComplete>(
    batches: &[RecordBatch],
    threads: usize,
    expected_input: u64,
) -> Result<Timed> {
    let input: MemoryStream<Event> = MemoryStream::new();
    for batch in batches {
        input.add_batch(batch.clone())?;
    }
    rill_memory::<Q>(input, threads, Some(expected_input))
}

// ---------------------------------------------------------------------------------------------
// DataFusion

fn df_runtime(threads: usize) -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()?)
}

fn df_context(threads: usize) -> SessionContext {
    let mut config = SessionConfig::new().with_target_partitions(threads);
    // Rill's file sink writes snappy, as Spark does; DataFusion's default is zstd.
    config.options_mut().execution.parquet.compression = Some("snappy".to_owned());
    SessionContext::new_with_config(config)
}

fn dir_url(dir: &Path) -> Result<String> {
    let dir = std::path::absolute(dir)?;
    let text = dir.to_str().ok_or("non-UTF-8 path")?;
    Ok(format!("{}/", text.trim_end_matches('/')))
}

async fn df_register_files(ctx: &SessionContext, dir: &Path) -> Result<()> {
    let schema = df_event_schema()?;
    ctx.register_json(
        "events",
        dir_url(dir)?,
        JsonReadOptions::default().schema(&schema).file_extension(".json"),
    )
    .await?;
    Ok(())
}

async fn df_collect(
    ctx: &SessionContext,
    sql: &str,
) -> Result<(df_arrow::datatypes::SchemaRef, Vec<df_arrow::record_batch::RecordBatch>)> {
    let frame = ctx.sql(sql).await?;
    let schema = Arc::new(frame.schema().as_arrow().clone());
    Ok((schema, frame.collect().await?))
}

fn df_result(
    elapsed: Duration,
    schema: &df_arrow::datatypes::SchemaRef,
    batches: &[df_arrow::record_batch::RecordBatch],
) -> Result<Timed> {
    let batches = to_rill_arrow(schema, batches)?;
    let schema = batches
        .first()
        .map(|b| describe_schema(&b.schema()))
        .unwrap_or_default();
    Ok(Timed {
        elapsed,
        rows: canonical(&batches)?,
        schema,
        state: None,
        phases: String::new(),
        input_rows: None,
    })
}

fn df_files(runtime: &tokio::runtime::Runtime, threads: usize, dir: &Path, sql: &str) -> Result<Timed> {
    let started = Instant::now();
    let (schema, batches) = runtime.block_on(async {
        let ctx = df_context(threads);
        df_register_files(&ctx, dir).await?;
        df_collect(&ctx, sql).await
    })?;
    df_result(started.elapsed(), &schema, &batches)
}

fn df_q3(runtime: &tokio::runtime::Runtime, threads: usize, dir: &Path, out: &Path) -> Result<Timed> {
    remove_dir(out)?;
    std::fs::create_dir_all(out)?;
    let copy = format!("COPY ({Q3_SELECT}) TO '{}' STORED AS PARQUET", dir_url(out)?);
    let started = Instant::now();
    runtime.block_on(async {
        let ctx = df_context(threads);
        df_register_files(&ctx, dir).await?;
        df_collect(&ctx, &copy).await
    })?;
    let elapsed = started.elapsed();
    let (schema, batches) = runtime.block_on(async {
        let ctx = df_context(1);
        let frame = ctx.read_parquet(dir_url(out)?, ParquetReadOptions::default()).await?;
        let schema = Arc::new(frame.schema().as_arrow().clone());
        Ok::<_, Box<dyn Error>>((schema, frame.collect().await?))
    })?;
    df_result(elapsed, &schema, &batches)
}

fn df_decoded(
    runtime: &tokio::runtime::Runtime,
    threads: usize,
    partitions: &[Vec<df_arrow::record_batch::RecordBatch>],
    sql: &str,
) -> Result<Timed> {
    let schema = Arc::new(df_event_schema()?);
    let started = Instant::now();
    let (out_schema, batches) = runtime.block_on(async {
        let ctx = df_context(threads);
        let table = MemTable::try_new(schema, partitions.to_vec())?;
        ctx.register_table("events", Arc::new(table))?;
        df_collect(&ctx, sql).await
    })?;
    df_result(started.elapsed(), &out_schema, &batches)
}

/// The events decoded once by DataFusion, as its batches and as Rill's (with `Event`'s schema).
fn decode_once(
    runtime: &tokio::runtime::Runtime,
    dir: &Path,
) -> Result<(Vec<df_arrow::record_batch::RecordBatch>, Vec<RecordBatch>)> {
    let (schema, df_batches) = runtime.block_on(async {
        let ctx = df_context(1);
        df_register_files(&ctx, dir).await?;
        df_collect(
            &ctx,
            "SELECT event_id, user_id, event_type, event_time, amount FROM events",
        )
        .await
    })?;
    let rill_batches = to_rill_arrow(&schema, &df_batches)?
        .into_iter()
        .map(|batch| RecordBatch::try_new(<Event as Row>::schema(), batch.columns().to_vec()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((df_batches, rill_batches))
}

fn remove_dir(dir: &Path) -> Result<()> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------------
// Timing

#[derive(Debug, Clone, serde::Serialize)]
struct Stats {
    median_ms: f64,
    min_ms: f64,
    max_ms: f64,
    runs_ms: Vec<f64>,
    rows_per_s: f64,
    mb_per_s: Option<f64>,
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        sorted[n / 2]
    } else {
        f64::midpoint(sorted[n / 2 - 1], sorted[n / 2])
    }
}

fn stats(runs: &[Duration], rows: u64, bytes: Option<u64>) -> Stats {
    let runs_ms: Vec<f64> = runs.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    let median_ms = median(&runs_ms);
    Stats {
        median_ms,
        min_ms: runs_ms.iter().copied().fold(f64::INFINITY, f64::min),
        max_ms: runs_ms.iter().copied().fold(0.0, f64::max),
        rows_per_s: rows as f64 / (median_ms / 1e3),
        mb_per_s: bytes.map(|b| b as f64 / 1e6 / (median_ms / 1e3)),
        runs_ms,
    }
}

#[derive(Debug, Clone, serde::Serialize)]
struct Spark {
    median_ms: f64,
    rows_per_s: f64,
    mb_per_s: Option<f64>,
    /// Rill's rows/s over Spark's.
    rill_speedup: Option<f64>,
}

#[derive(Debug, Clone, serde::Serialize)]
struct Measured {
    query: String,
    input: String,
    threads: usize,
    rows: u64,
    result_rows: usize,
    rill: Option<Stats>,
    datafusion: Stats,
    /// Median over the rounds of DataFusion's time over Rill's in the same round: > 1 means
    /// Rill is faster.
    rill_speedup: Option<f64>,
    rill_speedup_pairs: Vec<f64>,
    rill_schema: String,
    /// Keys in Rill's state after the batch, and the bytes its progress report gives for them.
    rill_state_keys: Option<u64>,
    rill_state_bytes: Option<u64>,
    datafusion_schema: String,
    spark: Option<Spark>,
}

/// A timed run of one engine.
type Runner<'a> = Box<dyn FnMut() -> Result<Timed> + 'a>;

/// One query on one input at one thread count.
struct Case<'a> {
    query: &'static str,
    input: &'static str,
    threads: usize,
    rill: Option<Runner<'a>>,
    datafusion: Runner<'a>,
}

#[allow(clippy::print_stdout, reason = "progress of a command-line benchmark")]
fn measure(mut case: Case<'_>, rounds: usize, rows: u64, bytes: Option<u64>) -> Result<Measured> {
    let what = format!("{} over {} at {} thread(s)", case.query, case.input, case.threads);
    // Check first: DataFusion's result is the reference every Rill run must equal.
    let reference = (case.datafusion)()?;
    let mut rill_schema = String::from("(not run)");
    let mut rill_state = None;
    if let Some(rill) = case.rill.as_mut() {
        let first = rill()?;
        check_same(&what, &first.rows, &reference.rows)?;
        rill_schema = first.schema;
        if !first.phases.is_empty() {
            println!("    Rill's warm-up phases: {}", first.phases);
        }
        rill_state = first.state;
        println!(
            "  {what}: results equal ({} rows); warm-up Rill {:.0} ms, DataFusion {:.0} ms",
            reference.rows.len(),
            first.elapsed.as_secs_f64() * 1e3,
            reference.elapsed.as_secs_f64() * 1e3
        );
    } else {
        println!(
            "  {what}: DataFusion only (Rill's parallelism splits file decoding only); warm-up {:.0} ms",
            reference.elapsed.as_secs_f64() * 1e3
        );
    }
    let mut rill_runs = Vec::new();
    let mut df_runs = Vec::new();
    for _ in 0..rounds {
        if let Some(rill) = case.rill.as_mut() {
            let run = rill()?;
            check_same(&what, &run.rows, &reference.rows)?;
            rill_runs.push(run.elapsed);
        }
        let run = (case.datafusion)()?;
        check_same(
            &format!("{what} (DataFusion against its first run)"),
            &run.rows,
            &reference.rows,
        )?;
        df_runs.push(run.elapsed);
    }
    let pairs: Vec<f64> = rill_runs
        .iter()
        .zip(&df_runs)
        .map(|(r, d)| d.as_secs_f64() / r.as_secs_f64())
        .collect();
    let rill = (!rill_runs.is_empty()).then(|| stats(&rill_runs, rows, bytes));
    let measured = Measured {
        query: case.query.to_owned(),
        input: case.input.to_owned(),
        threads: case.threads,
        rows,
        result_rows: reference.rows.len(),
        rill_speedup: (!pairs.is_empty()).then(|| median(&pairs)),
        rill_speedup_pairs: pairs,
        rill,
        datafusion: stats(&df_runs, rows, bytes),
        rill_schema,
        rill_state_keys: rill_state.map(|(keys, _)| keys),
        rill_state_bytes: rill_state.map(|(_, bytes)| bytes),
        datafusion_schema: reference.schema,
        spark: None,
    };
    println!(
        "    medians: Rill {}, DataFusion {:.0} ms, Rill/DataFusion speed {}",
        measured
            .rill
            .as_ref()
            .map_or_else(|| "—".to_owned(), |s| format!("{:.0} ms", s.median_ms)),
        measured.datafusion.median_ms,
        measured
            .rill_speedup
            .map_or_else(|| "—".to_owned(), |r| format!("{r:.2}×"))
    );
    Ok(measured)
}

// ---------------------------------------------------------------------------------------------
// Spark's figures, from spark_bench.py

#[derive(Debug, serde::Deserialize)]
struct SparkFile {
    #[serde(default)]
    spark_version: String,
    results: Vec<SparkResult>,
}

#[derive(Debug, serde::Deserialize)]
struct SparkResult {
    query: String,
    threads: usize,
    median_ms: f64,
    rows: u64,
    #[serde(default)]
    data_dir: String,
    #[serde(default)]
    result_rows: Option<usize>,
}

#[allow(clippy::print_stdout, reason = "progress of a command-line benchmark")]
fn join_spark(path: &Path, measured: &mut [Measured], bytes: u64, data_dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let file: SparkFile = match serde_json::from_str(&text) {
        Ok(file) => file,
        Err(e) => {
            println!("(ignoring {}: {e})", path.display());
            return None;
        }
    };
    let here = std::fs::canonicalize(data_dir).ok();
    for m in measured.iter_mut().filter(|m| m.input == "files") {
        let Some(result) = file
            .results
            .iter()
            .find(|r| r.query.eq_ignore_ascii_case(&m.query) && r.threads == m.threads)
        else {
            continue;
        };
        if result.rows != m.rows || (here.is_some() && std::fs::canonicalize(&result.data_dir).ok() != here) {
            println!(
                "(Spark's {} at {} threads ran over other input: {} rows in {}; not joined)",
                result.query, result.threads, result.rows, result.data_dir
            );
            continue;
        }
        if let Some(spark_rows) = result.result_rows.filter(|&r| r != m.result_rows) {
            println!(
                "WARNING: Spark's {} at {} threads gave {spark_rows} result rows, Rill and DataFusion {}",
                result.query, result.threads, m.result_rows
            );
        }
        let secs = result.median_ms / 1e3;
        let rows_per_s = result.rows as f64 / secs;
        m.spark = Some(Spark {
            median_ms: result.median_ms,
            rows_per_s,
            mb_per_s: Some(bytes as f64 / 1e6 / secs),
            rill_speedup: m.rill.as_ref().map(|r| r.rows_per_s / rows_per_s),
        });
    }
    Some(file.spark_version)
}

// ---------------------------------------------------------------------------------------------
// Report

fn fmt_opt(value: Option<f64>, digits: usize) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{v:.digits$}"))
}

fn markdown_table(measured: &[Measured], with_spark: bool) -> String {
    let mut out = String::new();
    out.push_str("| query | input | threads | Rill ms | Rill Mrows/s | Rill MB/s | DataFusion ms | DataFusion Mrows/s | DataFusion MB/s | Rill ÷ DataFusion speed |");
    if with_spark {
        out.push_str(" Spark ms | Spark Mrows/s | Rill ÷ Spark speed |");
    }
    out.push('\n');
    out.push_str("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    if with_spark {
        out.push_str("---:|---:|---:|");
    }
    out.push('\n');
    for m in measured {
        let r = m.rill.as_ref();
        let d = &m.datafusion;
        let _ = write!(
            out,
            "| {} | {} | {} | {} | {} | {} | {:.0} | {:.2} | {} | {} |",
            m.query,
            m.input,
            m.threads,
            fmt_opt(r.map(|s| s.median_ms), 0),
            fmt_opt(r.map(|s| s.rows_per_s / 1e6), 2),
            fmt_opt(r.and_then(|s| s.mb_per_s), 0),
            d.median_ms,
            d.rows_per_s / 1e6,
            fmt_opt(d.mb_per_s, 0),
            m.rill_speedup.map_or_else(
                || "— (Rill: 1 thread over decoded input)".to_owned(),
                |x| format!("**{x:.2}×**")
            ),
        );
        if with_spark {
            let s = m.spark.as_ref();
            let _ = write!(
                out,
                " {} | {} | {} |",
                fmt_opt(s.map(|s| s.median_ms), 0),
                fmt_opt(s.map(|s| s.rows_per_s / 1e6), 2),
                s.and_then(|s| s.rill_speedup)
                    .map_or_else(|| "—".to_owned(), |x| format!("{x:.1}×")),
            );
        }
        out.push('\n');
    }
    out
}

fn csv(measured: &[Measured]) -> String {
    let mut out = String::from(
        "query,input,threads,rows,result_rows,rill_median_ms,rill_rows_per_s,rill_mb_per_s,datafusion_median_ms,\
         datafusion_rows_per_s,datafusion_mb_per_s,rill_speedup_median_of_pairs,spark_median_ms,spark_rows_per_s,\
         rill_speedup_over_spark,rill_runs_ms,datafusion_runs_ms\n",
    );
    let opt = |v: Option<f64>| v.map_or_else(String::new, |v| format!("{v:.3}"));
    let runs = |runs: &[f64]| runs.iter().map(|r| format!("{r:.1}")).collect::<Vec<_>>().join(";");
    for m in measured {
        let r = m.rill.as_ref();
        let s = m.spark.as_ref();
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{:.3},{:.3},{},{},{},{},{},{},{}",
            m.query,
            m.input,
            m.threads,
            m.rows,
            m.result_rows,
            opt(r.map(|s| s.median_ms)),
            opt(r.map(|s| s.rows_per_s)),
            opt(r.and_then(|s| s.mb_per_s)),
            m.datafusion.median_ms,
            m.datafusion.rows_per_s,
            opt(m.datafusion.mb_per_s),
            opt(m.rill_speedup),
            opt(s.map(|s| s.median_ms)),
            opt(s.map(|s| s.rows_per_s)),
            opt(s.and_then(|s| s.rill_speedup)),
            r.map(|s| runs(&s.runs_ms)).unwrap_or_default(),
            runs(&m.datafusion.runs_ms),
        );
    }
    out
}

#[allow(clippy::print_stdout, reason = "the benchmark prints its table")]
fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args
        .iter()
        .any(|a| a == "--run-once" || a == "--decode-only" || a == "--write-csv")
    {
        return single::main(&args);
    }
    let options = match Options::parse(args.into_iter()) {
        Ok(options) => options,
        Err(message) => {
            if !message.is_empty() {
                println!("error: {message}\n");
            }
            println!("{USAGE}");
            return std::process::ExitCode::from(2);
        }
    };
    match run(&options) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            println!("\nFAILED: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The files of `config` in `dir`, written unless they are there already; prints what they are.
#[allow(clippy::print_stdout, reason = "progress of a command-line benchmark")]
fn ensure_input(config: &rill_eventgen::Config, dir: &Path) -> Result<rill_eventgen::Generated> {
    let started = Instant::now();
    let input = config.ensure_dir(dir)?;
    println!(
        "input: {} files, {} rows, {} bytes ({:.1} bytes a row) in {} ({:.1?})",
        input.files.len(),
        input.rows,
        input.bytes,
        input.bytes as f64 / input.rows.max(1) as f64,
        input.dir.display(),
        started.elapsed()
    );
    println!("{config}");
    Ok(input)
}

#[allow(clippy::print_stdout, reason = "the benchmark prints its table")]
#[allow(clippy::too_many_lines, reason = "the benchmark's script, in order")]
fn run(options: &Options) -> Result<()> {
    let mut machine = machine();
    println!(
        "machine: {} ({}; {} logical CPUs, {} thread(s) per core), {}, {}; {}; DataFusion {}",
        machine.cpu,
        machine.cpu_details,
        machine.logical_cpus,
        machine.threads_per_core,
        machine.memory,
        machine.kernel,
        machine.rustc,
        machine.datafusion
    );

    let want = |q: &str| options.queries.iter().any(|x| x == q);
    // The seed's events for Q1–Q5; Q6's nested events only when it runs (and the seed's events
    // only when another query does).
    let events = if options.queries.iter().any(|q| q != "q6") {
        Some(ensure_input(&options.events, &options.data_dir)?)
    } else {
        None
    };
    let nested_config = rill_eventgen::Config {
        nested: true,
        ..options.events.clone()
    };
    let nested = if want("q6") {
        Some(ensure_input(&nested_config, &options.nested_dir)?)
    } else {
        None
    };
    if options.with_spark
        && let Some(events) = &events
    {
        run_spark(options, &events.dir)?;
    }
    // Spark infers `isnotnull(tags)` before `explode` and pushes it into its JSON scan; Rill's
    // decoder applies it too and, like Spark's scan with a pushed filter, counts as input only
    // the rows that pass: those whose `tags` is not null, counted here from the generator.
    let with_tags = nested.as_ref().map_or(0, |_| {
        (0..nested_config.files)
            .flat_map(|file| nested_config.nested_events(file))
            .filter(|event| event.tags.is_some())
            .count() as u64
    });
    if let Some(nested) = &nested {
        println!(
            "Q6 input: {with_tags} of {} rows have a tags array (the others have \"tags\": null)",
            nested.rows
        );
        let schema = <NestedEvent as Row>::schema();
        let columns = &Q6EventsByTag::facts().inputs[0].schema.projection;
        let names: Vec<&str> = columns.iter().map(|&i| schema.field(i).name().as_str()).collect();
        println!("Rill {} reads columns {names:?}", Q6EventsByTag::facts().name);
    }
    if events.is_some() {
        for (name, columns) in [
            (
                Q1SpendByUser::facts().name,
                &Q1SpendByUser::facts().inputs[0].schema.projection,
            ),
            (
                Q2EventsByHour::facts().name,
                &Q2EventsByHour::facts().inputs[0].schema.projection,
            ),
            (
                Q3BigPurchases::facts().name,
                &Q3BigPurchases::facts().inputs[0].schema.projection,
            ),
        ] {
            let schema = <Event as Row>::schema();
            let names: Vec<&str> = columns.iter().map(|&i| schema.field(i).name().as_str()).collect();
            println!("Rill {name} reads columns {names:?}");
        }
    }
    let (rows, bytes) = events.as_ref().map_or((0, 0), |e| (e.rows, e.bytes));
    let dir = events.as_ref().map_or(options.data_dir.as_path(), |e| e.dir.as_path());
    let work = options.data_dir.with_extension("out");
    let (rill_out, df_out) = (work.join("rill-q3"), work.join("datafusion-q3"));

    let mut measured = Vec::new();
    for &threads in &options.threads {
        println!("\n== {threads} thread(s) ==");
        let runtime = df_runtime(threads)?;
        // Over the files, Rill runs at every thread count.
        let over_files = |query: &'static str, rill: Runner<'_>, datafusion: Runner<'_>| {
            let case = Case {
                query,
                input: "files",
                threads,
                rill: Some(rill),
                datafusion,
            };
            measure(case, options.rounds, rows, Some(bytes))
        };
        if want("q1") {
            measured.push(over_files(
                "Q1",
                Box::new(|| rill_memory::<Q1SpendByUser>(rill_source(dir), threads, Some(rows))),
                Box::new(|| df_files(&runtime, threads, dir, Q1_SQL)),
            )?);
        }
        if want("q2") {
            measured.push(over_files(
                "Q2",
                Box::new(|| rill_memory::<Q2EventsByHour>(rill_source(dir), threads, Some(rows))),
                Box::new(|| df_files(&runtime, threads, dir, Q2_SQL)),
            )?);
        }
        if want("q3") {
            measured.push(over_files(
                "Q3",
                Box::new(|| rill_q3(rill_source(dir), &rill_out, threads)),
                Box::new(|| df_q3(&runtime, threads, dir, &df_out)),
            )?);
        }
        if want("q4") {
            let users = ensure_users(dir, options.events.users)?;
            measured.push(over_files(
                "Q4",
                Box::new(move || rill_q4(dir, &users, threads, rows)),
                Box::new(|| df_q4(&runtime, threads, dir, &dir.with_extension("users"))),
            )?);
        }
        if want("q5") {
            measured.push(over_files(
                "Q5",
                Box::new(|| rill_q5(dir, threads)),
                Box::new(|| df_files(&runtime, threads, dir, Q5_SQL)),
            )?);
        }
        if let Some(nested) = &nested {
            let nested_dir = nested.dir.as_path();
            measured.push(measure(
                Case {
                    query: "Q6",
                    input: "files",
                    threads,
                    rill: Some(Box::new(|| {
                        rill_memory::<Q6EventsByTag>(rill_source(nested_dir), threads, Some(with_tags))
                    })),
                    datafusion: Box::new(|| df_q6(&runtime, threads, nested_dir)),
                },
                options.rounds,
                nested.rows,
                Some(nested.bytes),
            )?);
        }
        if options.decoded && (want("q1") || want("q2")) {
            let (df_batches, rill_batches) = decode_once(&runtime, dir)?;
            // DataFusion gets one MemTable partition per thread, batches dealt round-robin.
            let mut partitions = vec![Vec::new(); threads.max(1)];
            for (i, batch) in df_batches.into_iter().enumerate() {
                partitions[i % threads.max(1)].push(batch);
            }
            let rill_batches = rill_batches.as_slice();
            let partitions = partitions.as_slice();
            for (query, sql) in [("Q1", Q1_SQL), ("Q2", Q2_SQL)] {
                if !want(&query.to_lowercase()) {
                    continue;
                }
                let rill: Runner<'_> = if query == "Q1" {
                    Box::new(|| rill_decoded::<Q1SpendByUser>(rill_batches, threads, rows))
                } else {
                    Box::new(|| rill_decoded::<Q2EventsByHour>(rill_batches, threads, rows))
                };
                measured.push(measure(
                    Case {
                        query,
                        input: "decoded",
                        threads,
                        // Rill's thread count goes to `DataStreamWriter::parallelism` (in
                        // `run_rill`), which parallelises decoding only: over batches already in
                        // memory Rill runs on one thread whatever the setting.
                        rill: (threads == 1).then_some(rill),
                        datafusion: Box::new(|| df_decoded(&runtime, threads, partitions, sql)),
                    },
                    options.rounds,
                    rows,
                    None,
                )?);
            }
        }
    }
    remove_dir(&work)?;
    machine.load_average_after = load_average();

    let spark_version = join_spark(&options.spark_results, &mut measured, bytes, dir);
    let with_spark = measured.iter().any(|m| m.spark.is_some());
    let table = markdown_table(&measured, with_spark);
    println!("\n{table}");
    for m in measured.iter().filter(|m| m.threads == 1 && m.input == "files") {
        println!(
            "{} schemas — Rill: {}; DataFusion: {}",
            m.query, m.rill_schema, m.datafusion_schema
        );
        if let (Some(keys), Some(bytes)) = (m.rill_state_keys, m.rill_state_bytes) {
            println!(
                "{} Rill state (its progress report): {keys} keys, {bytes} bytes, {:.1} bytes a key",
                m.query,
                bytes as f64 / keys.max(1) as f64
            );
        }
    }

    std::fs::create_dir_all(&options.results_dir)?;
    let generated_at = chrono_like_now();
    let describe = |config: &rill_eventgen::Config, input: Option<&rill_eventgen::Generated>| {
        input.map(|input| {
            serde_json::json!({
                "config": config.to_string(),
                "dir": input.dir,
                "files": input.files.len(),
                "rows": input.rows,
                "bytes": input.bytes,
            })
        })
    };
    let json = serde_json::json!({
        "generated_at": generated_at,
        "machine": machine,
        "input": describe(&options.events, events.as_ref()),
        "nested_input": describe(&nested_config, nested.as_ref()),
        "rounds": options.rounds,
        "rill_threads": "DataStreamWriter::parallelism(threads); decoded input: 1 thread only",
        "spark_version": spark_version,
        "results": measured,
    });
    std::fs::write(
        options.results_dir.join("results.json"),
        serde_json::to_string_pretty(&json)? + "\n",
    )?;
    std::fs::write(options.results_dir.join("results.csv"), csv(&measured))?;
    let inputs = [(&options.events, &events, ""), (&nested_config, &nested, "Q6: ")]
        .into_iter()
        .filter_map(|(config, input, label)| {
            input.as_ref().map(|input| {
                format!(
                    "{label}{} rows in {} files ({:.0} MB of JSON lines, {:.1} bytes a line, {config})",
                    input.rows,
                    input.files.len(),
                    input.bytes as f64 / 1e6,
                    input.bytes as f64 / input.rows.max(1) as f64,
                )
            })
        })
        .collect::<Vec<_>>()
        .join("; ");
    let mut md = format!(
        "Run {generated_at}: {inputs}, {} rounds, medians.\n\n\
         Machine: {} ({}), {} logical CPUs ({} thread(s) per core), {} RAM, {}; {}; DataFusion {}{}. \
         Load average before / after: {} / {}.\n\n",
        options.rounds,
        machine.cpu,
        machine.cpu_details,
        machine.logical_cpus,
        machine.threads_per_core,
        machine.memory,
        machine.kernel,
        machine.rustc,
        machine.datafusion,
        spark_version
            .as_deref()
            .map_or_else(String::new, |v| format!("; Spark {v}")),
        machine.load_average_before,
        machine.load_average_after,
    );
    md.push_str(&table);
    std::fs::write(options.results_dir.join("results.md"), md)?;
    println!("\nwrote {}/results.{{csv,json,md}}", options.results_dir.display());
    Ok(())
}

/// Runs `spark_bench.py` over the same files, with the same rounds and threads, writing the
/// results file this program joins.
#[allow(clippy::print_stdout, reason = "progress of a command-line benchmark")]
fn run_spark(options: &Options, data_dir: &Path) -> Result<()> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("spark_bench.py");
    let threads = options
        .threads
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let queries = options.queries.join(",");
    println!("running {} (Spark, local mode; a few minutes)", script.display());
    let status = std::process::Command::new("python3")
        .arg(&script)
        .arg("--data")
        .arg(data_dir)
        .args([
            "--rounds",
            &options.rounds.to_string(),
            "--threads",
            &threads,
            "--queries",
            &queries,
        ])
        .arg("--out")
        .arg(&options.spark_results)
        .status()?;
    if !status.success() {
        return Err(format!("{} failed: {status}", script.display()).into());
    }
    Ok(())
}

/// The current UTC time as `yyyy-MM-dd HH:mm:ss`, without a date library.
fn chrono_like_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!(
        "{} UTC",
        rill_eventgen::format_timestamp(i64::try_from(secs).unwrap_or(0))
    )
}
