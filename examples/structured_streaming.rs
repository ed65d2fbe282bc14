//! The Structured Streaming chapter of the seed notebook (`shared/seed/`), ported to Rill.
//!
//! Section 2.2 writes two JSON-lines files of events; 2.3 declares their schema; 2.4
//! aggregates spend per user into a memory table (complete mode, available-now trigger) and
//! prints it as Spark's `show()` does; 2.5 sums the rows read across progress reports; 2.6
//! counts events per hour-long event-time window under a watermark; 2.7 appends the events to
//! a Parquet directory, exactly once, and reads them back.
//!
//! Run it with `cargo run --release --example structured_streaming`.

#![allow(
    clippy::print_stdout,
    reason = "the example prints its results, as the notebook does"
)]

use std::path::Path;

use rill::prelude::*;
use rill::show::{Truncate, show_string};
use rill::sink::{FileSink, read_file_sink};

rill::stream! {
    /// One web or purchase event, as a JSON line (section 2.3).
    schema Event {
        event_id: String,
        user_id: String,
        event_type: String,
        event_time: String,
        amount: f64,
    }

    /// Section 2.4: events and total spend per user.
    query SpendByUser(raw: Event) {
        raw.with_column(event_time = to_timestamp(event_time))
           .group_by(user_id)
           .agg(events = count(), total_amount = round(sum(amount), 2))
    }
    /// Section 2.6: events and spend per hour and event type, under a 10-minute watermark.
    query EventsByHour(raw: Event) {
        raw.with_column(event_time = to_timestamp(event_time))
           .with_watermark(event_time, "10 minutes")
           .group_by(window(event_time, "1 hour"), event_type)
           .agg(events = count(), amount = round(sum(amount), 2))
           .select(hour = date_format(window.start, "yyyy-MM-dd HH:mm"), event_type, events, amount)
    }
    /// Section 2.7: the events as they are, for a Parquet file sink.
    query EventsToParquet(raw: Event) {
        raw.with_column(event_time = to_timestamp(event_time))
           .select(event_id, user_id, event_type, event_time, amount)
    }
}

/// Section 2.2: the events, as the notebook writes them.
fn seed_events() -> [Vec<Event>; 2] {
    let event = |event_id: &str, user_id: &str, event_type: &str, event_time: &str, amount: f64| Event {
        event_id: event_id.to_owned(),
        user_id: user_id.to_owned(),
        event_type: event_type.to_owned(),
        event_time: event_time.to_owned(),
        amount,
    };
    [
        vec![
            event("e001", "u01", "view", "2026-01-01 09:00:00", 0.0),
            event("e002", "u01", "purchase", "2026-01-01 09:04:00", 24.50),
            event("e003", "u02", "view", "2026-01-01 09:05:00", 0.0),
        ],
        vec![
            event("e004", "u02", "purchase", "2026-01-01 09:08:00", 11.25),
            event("e005", "u03", "view", "2026-01-01 10:01:00", 0.0),
            event("e006", "u03", "purchase", "2026-01-01 10:03:00", 63.00),
        ],
    ]
}

fn write_json_lines(path: &Path, records: &[Event]) -> std::io::Result<()> {
    let mut text = String::new();
    for record in records {
        text.push_str(&serde_json::to_string(record)?);
        text.push('\n');
    }
    std::fs::write(path, text)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let output_dir = Path::new("_rill_output/structured-streaming");
    let input_dir = output_dir.join("input");
    if output_dir.exists() {
        std::fs::remove_dir_all(output_dir)?;
    }
    std::fs::create_dir_all(&input_dir)?;

    // 2.2 A local event stream.
    let [first, second] = seed_events();
    write_json_lines(&input_dir.join("batch-001.json"), &first)?;
    write_json_lines(&input_dir.join("batch-002.json"), &second)?;

    // 2.4 Aggregating into a memory sink.
    let table = MemorySink::named("local_spend_by_user");
    let checkpoints = output_dir.join("checkpoints");
    let query = SpendByUser::read(JsonSource::new(&input_dir))
        .complete()
        .to(table.clone())
        .trigger(Trigger::AvailableNow)
        .checkpoint(checkpoints.join("spend-by-user"))
        .start()?;
    query.await_termination()?;

    let mut rows: Vec<SpendByUserRow> = table.rows()?;
    rows.sort_by(|a, b| a.user_id.cmp(&b.user_id));
    let sorted = <SpendByUserRow as Row>::to_batch(&rows)?;
    println!("{}", show_string(&[sorted], 20, Truncate::Default));

    // 2.5 Inspecting progress.
    let total: u64 = query.recent_progress().iter().map(|p| p.num_input_rows).sum();
    println!("total input rows: {total}");

    // 2.6 Event-time windows.
    let table = MemorySink::named("local_events_by_hour");
    let query = EventsByHour::read(JsonSource::new(&input_dir))
        .complete()
        .to(table.clone())
        .trigger(Trigger::AvailableNow)
        .checkpoint(checkpoints.join("events-by-hour"))
        .start()?;
    query.await_termination()?;
    let mut rows: Vec<EventsByHourRow> = table.rows()?;
    rows.sort_by(|a, b| (&a.hour, &a.event_type).cmp(&(&b.hour, &b.event_type)));
    let sorted = <EventsByHourRow as Row>::to_batch(&rows)?;
    println!("{}", show_string(&[sorted], 20, Truncate::Never));

    // 2.7 Writing a file sink.
    let parquet_dir = output_dir.join("events-parquet");
    let query = EventsToParquet::read(JsonSource::new(&input_dir))
        .append()
        .to(FileSink::parquet(&parquet_dir))
        .trigger(Trigger::AvailableNow)
        .checkpoint(checkpoints.join("events-parquet"))
        .start()?;
    query.await_termination()?;
    let mut rows: Vec<EventsToParquetRow> = read_file_sink(&parquet_dir)?;
    rows.sort_by(|a, b| a.event_id.cmp(&b.event_id));
    let sorted = <EventsToParquetRow as Row>::to_batch(&rows)?;
    println!("{}", show_string(&[sorted], 20, Truncate::Never));
    Ok(())
}
