//! The cookbook: everyday Structured Streaming queries — the programming guide's examples and
//! the common ETL shapes — each next to the PySpark it stands for. `tests/cookbook.rs` runs
//! every recipe on the inputs in `tests/golden/cookbook/input/` and compares each micro-batch
//! with what Spark 4.3 produced (`tests/golden/cookbook/expected/`, written by
//! `make_cookbook_golden.py`).
//!
//! Run it with `cargo run --example cookbook [recipe ..]`: it prints each recipe's batches as
//! Spark's `show()` does.
//!
//! Every recipe reads its inputs one file per micro-batch (`maxFilesPerTrigger = 1`), as the
//! golden run did, so the batches — and the watermark's steps — are the same.

#![allow(
    clippy::print_stdout,
    reason = "the example prints its results, as Spark's show() does"
)]

use std::path::Path;
use std::sync::{Arc, Mutex};

use rill::arrow_array::RecordBatch;
use rill::prelude::*;
use rill::sink::{AcceptsMode, ForeachBatch};

rill::stream! {
    /// A web or app event (`input/events`, `input/mobile`).
    schema Event {
        event_id: String,
        user_id: String,
        event_type: String,
        event_time: String,
        ts_ms: i64,
        amount: Option<f64>,
        qty: Option<String>,
        country: Option<String>,
        url: Option<String>,
        email: Option<String>,
        device: String,
    }

    /// A device reading, as in the guide's IoT examples (`input/readings`).
    schema Reading {
        device_id: String,
        device_type: String,
        signal: i32,
        temperature: Option<f64>,
        time: String,
    }

    /// Guide: `df.select("device", "signal").where("signal > 10")`.
    query SelectWhere(readings: Reading) {
        readings.select(device_id, signal).where(signal > 10)
    }

    /// Guide: `df.groupBy("deviceType").count()`.
    query CountByType(readings: Reading) {
        readings.group_by(device_type).agg(count = count())
    }

    /// Guide: the average signal per device type.
    query AvgSignalByType(readings: Reading) {
        readings.group_by(device_type).agg(avg_signal = avg(signal))
    }

    /// Guide: counts per sliding 10-minute window (every 5 minutes), under a watermark.
    query WindowedCounts(readings: Reading) {
        readings.with_column(time = to_timestamp(time))
            .with_watermark(time, "10 minutes")
            .group_by(window(time, "10 minutes", "5 minutes"), device_type)
            .agg(count = count())
    }

    /// Events and revenue per 5-minute window, each window emitted once, when final.
    query WindowAppend(events: Event) {
        events.with_column(event_time = to_timestamp(event_time))
            .with_watermark(event_time, "10 minutes")
            .group_by(window(event_time, "5 minutes"))
            .agg(events = count(), revenue = sum(amount))
    }

    /// Guide: `dropDuplicates("guid")` — every id ever seen is kept.
    query DedupById(events: Event) {
        events.drop_duplicates(event_id)
    }

    /// Guide: `dropDuplicates("guid", "eventTime")` under a watermark, which bounds the state.
    query DedupWithWatermark(events: Event) {
        events.with_column(event_time = to_timestamp(event_time))
            .with_watermark(event_time, "10 minutes")
            .drop_duplicates(event_id, event_time)
            .select(event_id, user_id, event_time)
    }

    /// `dropDuplicatesWithinWatermark("event_id")`.
    query DedupWithinWatermark(events: Event) {
        events.with_column(event_time = to_timestamp(event_time))
            .with_watermark(event_time, "10 minutes")
            .drop_duplicates_within_watermark(event_id)
            .select(event_id, user_id)
    }

    /// Guide: events per user session (5 minutes of inactivity closes one).
    query Sessions(events: Event) {
        events.with_column(event_time = to_timestamp(event_time))
            .with_watermark(event_time, "10 minutes")
            .group_by(session_window(event_time, "5 minutes"), user_id)
            .agg(count = count())
    }

    /// `groupBy().count()`: a running total.
    query GlobalCount(events: Event) {
        events.agg(count = count())
    }

    /// Normalise messy text: trim and case, a default for missing values.
    query CleanStrings(events: Event) {
        events.select(
            event_id,
            event_type = lower(trim(event_type)),
            country = coalesce(upper(trim(country)), "UNKNOWN"),
            email = nvl(email, "n/a"),
        )
    }

    /// Epoch milliseconds to a timestamp, and the columns a partitioned sink wants.
    query EpochMillis(events: Event) {
        events.select(event_id, ts = timestamp_millis(ts_ms))
            .select(
                event_id,
                ts,
                day = to_date(ts),
                hour_label = date_format(ts, "yyyy-MM-dd HH:00"),
                hour = hour(ts),
            )
    }

    /// Bucket amounts with `CASE WHEN`.
    query Categorize(events: Event) {
        events.select(
            event_id,
            category = when(amount >= 100.0, "large")
                .when(amount >= 20.0, "medium")
                .when(amount.is_not_null(), "small")
                .otherwise("none"),
        )
    }

    /// Keep checkout purchases and refunds: `isin` and `like`.
    query FilterIsinLike(events: Event) {
        events.where(lower(trim(event_type)).isin("purchase", "refund") && url.like("%/checkout%"))
            .select(event_id, user_id, url)
    }

    /// `count_if` as Spark users write it: a sum over `when`.
    query CountIf(events: Event) {
        events.group_by(user_id)
            .agg(
                purchases = sum(when(lower(trim(event_type)) == "purchase", 1).otherwise(0)),
                events = count(),
            )
    }

    /// Per-user statistics, updated as events arrive.
    query StatsPerUser(events: Event) {
        events.group_by(user_id)
            .agg(
                min_amount = min(amount),
                max_amount = max(amount),
                avg_amount = round(avg(amount), 2),
                total = sum(amount),
            )
    }

    /// Text to numbers: `cast("int")` is null (and counted) where the text is not a number.
    query CastText(events: Event) {
        events.group_by(user_id).agg(items = sum(cast(qty, "int")))
    }

    /// The host of each URL, with a regular expression, counted.
    query UrlDomain(events: Event) {
        events.select(domain = regexp_extract(url, r"^https?://([^/]+)/", 1))
            .group_by(domain)
            .agg(count = count())
    }

    /// Mask e-mail addresses and hash identifiers.
    query MaskEmail(events: Event) {
        events.select(
            event_id,
            masked = regexp_replace(email, r"^(.)[^@]*(@.*)$", "$1***$2"),
            email_sha256 = sha2(email, 256),
            user_md5 = md5(user_id),
        )
    }

    /// Average and peak temperature per device over sliding windows.
    query SlidingAvgTemp(readings: Reading) {
        readings.with_column(time = to_timestamp(time))
            .with_watermark(time, "10 minutes")
            .group_by(window(time, "10 minutes", "5 minutes"), device_id)
            .agg(avg_temp = avg(temperature), max_temp = max(temperature))
    }

    /// Two streams of one schema, unioned, then counted.
    query UnionTwoStreams(events: Event, mobile: Event) {
        events.union(mobile)
            .group_by(event_type = lower(trim(event_type)))
            .agg(count = count())
    }

    /// The top three spenders, re-ranked every batch (complete mode sorts and limits).
    query TopSpenders(events: Event) {
        events.group_by(user_id)
            .agg(total = sum(amount))
            .order_by(desc(total))
            .limit(3)
    }

    /// Events per hour, in order.
    query HourlyTrunc(events: Event) {
        events.group_by(hour = date_trunc("hour", to_timestamp(event_time)))
            .agg(events = count())
            .order_by(hour)
    }

    /// How long each session lasted.
    query SessionDuration(events: Event) {
        events.with_column(event_time = to_timestamp(event_time))
            .with_watermark(event_time, "10 minutes")
            .group_by(session_window(event_time, "5 minutes"), user_id)
            .agg(events = count(), first = min(event_time), last = max(event_time))
            .select(session_window, user_id, events, seconds = unix_timestamp(last) - unix_timestamp(first))
    }

    /// Late events are dropped by the watermark (windows end before it).
    query LateDrops(events: Event) {
        events.with_column(event_time = to_timestamp(event_time))
            .with_watermark(event_time, "5 minutes")
            .group_by(window(event_time, "5 minutes"), country)
            .agg(count = count())
    }

    /// Amounts for people: grouped digits, gross prices, whole units (half even).
    query FormatAmounts(events: Event) {
        events.where(amount.is_not_null())
            .select(
                event_id,
                amount_text = format_number(amount, 2),
                gross = round(amount * 1.19, 2),
                whole = bround(amount, 0),
            )
    }

    /// Timestamp arithmetic with intervals, and months between two instants.
    query IntervalArithmetic(events: Event) {
        events.with_column(ts = to_timestamp(event_time))
            .select(
                event_id,
                expires = ts + interval("30 minutes"),
                hour_before = ts - interval("1 hour"),
                months = months_between(ts, to_timestamp("2026-01-15 00:00:00")),
            )
    }

    /// Clamp, cap and combine columns.
    query GreatestLeast(readings: Reading) {
        readings.select(
            device_id,
            signal_floor = greatest(signal, 5),
            capped = least(temperature, 25.0),
            deviation = abs(temperature - 20.0),
            key = concat(device_id, ":", device_type),
        )
    }

    /// Distributions per device type: median signal, 90th-percentile temperature (accuracy
    /// 100), the temperature's spread and how many devices reported.
    query ReadingStats(readings: Reading) {
        readings.group_by(device_type).agg(
            median_signal = percentile_approx(signal, 0.5),
            p90_temp = percentile_approx(temperature, 0.9, 100),
            sd_temp = stddev(temperature),
            devices = approx_count_distinct(device_id),
        )
    }

    /// What each user did last and where they came from first: `max_by` picks the row with the
    /// latest time, `first(.., true)` skips nulls.
    query LastSeen(events: Event) {
        events.group_by(user_id).agg(
            last_event = max_by(event_type, ts_ms),
            first_country = first(country, true),
            big_spender = bool_or(amount > 100.0),
            devices = approx_count_distinct(device),
        )
    }

    /// Per 10-minute window, once final: the coldest device, the temperature's spread and how
    /// signal and temperature move together.
    /// `events.select("event_id", F.explode(F.split("url", "/")).alias("segment"))`: one row per
    /// segment of the URL (none for a null URL).
    query UrlSegments(events: Event) {
        events.select(event_id, segment = explode(split(url, "/")))
    }

    /// `events.groupBy("user_id").agg(F.collect_list("event_type"),
    /// F.sort_array(F.collect_set("device")), F.size(F.collect_set("country")))`.
    query EventTypesPerUser(events: Event) {
        events.group_by(user_id).agg(
            types = collect_list(event_type),
            devices = sort_array(collect_set(device)),
            countries = size(collect_set(country)),
        )
    }

    /// `events.where(F.col("url").isNotNull() & F.array_contains(F.split("url", "/"), "cart"))
    /// .select("event_id", F.element_at(F.split("url", "/"), -1).alias("last"),
    /// F.array("user_id", "device").alias("who"))`.
    query CartUrls(events: Event) {
        events.filter(url.is_not_null() && array_contains(split(url, "/"), "cart"))
            .select(event_id, last = element_at(split(url, "/"), -1), who = array(user_id, device))
    }

    query WindowedSpread(readings: Reading) {
        readings.with_column(time = to_timestamp(time))
            .with_watermark(time, "10 minutes")
            .group_by(window(time, "10 minutes"))
            .agg(
                coldest = min_by(device_id, temperature),
                spread = stddev_pop(temperature),
                r = corr(signal, temperature),
            )
    }
}

/// One micro-batch as a recipe's sink received it, with its progress.
#[derive(Debug)]
pub struct Batch {
    pub batch_id: u64,
    pub num_input_rows: u64,
    /// `eventTime.watermark` of the batch's progress, when the query has a watermark.
    pub watermark: Option<String>,
    pub rows: RecordBatch,
}

/// A recipe: its name (the golden file's) and how to run it on an input directory.
#[derive(Debug)]
pub struct Recipe {
    pub name: &'static str,
    pub run: fn(&Path) -> rill::Result<Vec<Batch>>,
}

/// One file per micro-batch, as the golden run read them.
fn input(dir: &Path, name: &str) -> JsonSource {
    JsonSource::new(dir.join(name)).max_files_per_trigger(1)
}

/// Runs a recipe's query until its input is consumed, and returns every batch it ran.
fn collect<Q, M>(writer: rill::DataStreamWriter<Q, M>) -> rill::Result<Vec<Batch>>
where
    Q: StreamPlan,
    M: rill::mode::Chosen,
    ForeachBatch: AcceptsMode<M>,
{
    let received = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&received);
    let sink = ForeachBatch::new(move |batch_id, rows: &RecordBatch| {
        log.lock()
            .map_err(|_| "the batch log is poisoned")?
            .push((batch_id, rows.clone()));
        Ok(())
    });
    let query = writer.to(sink).trigger(Trigger::AvailableNow).start()?;
    query.await_termination()?;
    let mut received = std::mem::take(&mut *received.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
    Ok(query
        .recent_progress()
        .into_iter()
        .map(|progress| {
            let position = received.iter().position(|(id, _)| *id == progress.batch_id);
            let rows = match position {
                Some(position) => received.remove(position).1,
                None => RecordBatch::new_empty(Q::Output::schema()),
            };
            Batch {
                batch_id: progress.batch_id,
                num_input_rows: progress.num_input_rows,
                watermark: progress.event_time.get("watermark").cloned(),
                rows,
            }
        })
        .collect())
}

macro_rules! recipes {
    ($($name:ident: |$dir:ident| $writer:expr;)*) => {
        /// Every recipe, in the cookbook's order.
        pub const RECIPES: &[Recipe] = &[$(Recipe {
            name: stringify!($name),
            run: |$dir| collect($writer),
        }),*];
    };
}

recipes! {
    select_where: |dir| SelectWhere::read(input(dir, "readings")).append();
    count_by_type: |dir| CountByType::read(input(dir, "readings")).complete();
    avg_signal_by_type: |dir| AvgSignalByType::read(input(dir, "readings")).update();
    windowed_counts: |dir| WindowedCounts::read(input(dir, "readings")).update();
    window_append: |dir| WindowAppend::read(input(dir, "events")).append();
    dedup_by_id: |dir| DedupById::read(input(dir, "events")).append();
    dedup_with_watermark: |dir| DedupWithWatermark::read(input(dir, "events")).append();
    dedup_within_watermark: |dir| DedupWithinWatermark::read(input(dir, "events")).append();
    sessions: |dir| Sessions::read(input(dir, "events")).append();
    global_count: |dir| GlobalCount::read(input(dir, "events")).complete();
    clean_strings: |dir| CleanStrings::read(input(dir, "events")).append();
    epoch_millis: |dir| EpochMillis::read(input(dir, "events")).append();
    categorize: |dir| Categorize::read(input(dir, "events")).append();
    filter_isin_like: |dir| FilterIsinLike::read(input(dir, "events")).append();
    count_if: |dir| CountIf::read(input(dir, "events")).complete();
    stats_per_user: |dir| StatsPerUser::read(input(dir, "events")).update();
    cast_text: |dir| CastText::read(input(dir, "events")).complete();
    url_domain: |dir| UrlDomain::read(input(dir, "events")).complete();
    mask_email: |dir| MaskEmail::read(input(dir, "events")).append();
    sliding_avg_temp: |dir| SlidingAvgTemp::read(input(dir, "readings")).update();
    union_two_streams: |dir| UnionTwoStreams::read(input(dir, "events"), input(dir, "mobile")).complete();
    top_spenders: |dir| TopSpenders::read(input(dir, "events")).complete();
    hourly_trunc: |dir| HourlyTrunc::read(input(dir, "events")).complete();
    session_duration: |dir| SessionDuration::read(input(dir, "events")).append();
    late_drops: |dir| LateDrops::read(input(dir, "events")).append();
    format_amounts: |dir| FormatAmounts::read(input(dir, "events")).append();
    interval_arithmetic: |dir| IntervalArithmetic::read(input(dir, "events")).append();
    greatest_least: |dir| GreatestLeast::read(input(dir, "readings")).append();
    reading_stats: |dir| ReadingStats::read(input(dir, "readings")).complete();
    last_seen: |dir| LastSeen::read(input(dir, "events")).update();
    url_segments: |dir| UrlSegments::read(input(dir, "events")).append();
    event_types_per_user: |dir| EventTypesPerUser::read(input(dir, "events")).complete();
    cart_urls: |dir| CartUrls::read(input(dir, "events")).append();
    windowed_spread: |dir| WindowedSpread::read(input(dir, "readings")).append();
}

#[allow(dead_code, reason = "tests/cookbook.rs includes this file for its recipes only")]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let input = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/cookbook/input");
    let chosen: Vec<String> = std::env::args().skip(1).collect();
    for recipe in RECIPES {
        if !chosen.is_empty() && !chosen.iter().any(|name| name == recipe.name) {
            continue;
        }
        println!("== {} ==", recipe.name);
        for batch in (recipe.run)(&input)? {
            println!("Batch: {}", batch.batch_id);
            print!(
                "{}",
                rill::show::show_string(&[batch.rows], 20, rill::show::Truncate::Default)
            );
        }
    }
    Ok(())
}
