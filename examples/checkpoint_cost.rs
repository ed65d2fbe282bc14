//! What a checkpoint costs: the same query over the same files, with and without a checkpoint,
//! interleaved, median of several runs. Rill writes the whole state every batch (an exact JSON
//! snapshot) rather than deltas; this measures what that costs as state grows.
//!
//! `cargo run --release --example checkpoint_cost -- [files] [rows-per-file] [users] [runs]`
#![allow(clippy::print_stdout, reason = "the benchmark prints its table")]

use std::path::Path;
use std::time::{Duration, Instant};

use rill::prelude::*;

rill::stream! {
    schema Event { event_id: String, user_id: String, event_type: String, event_time: String, amount: f64 }

    query PerUser(raw: Event) {
        raw.group_by(user_id).agg(events = count(), total = round(sum(amount), 2))
    }
}

fn write_input(dir: &Path, files: usize, rows: usize, users: u64) -> std::io::Result<()> {
    let mut state: u64 = 42;
    for file in 0..files {
        let mut text = String::with_capacity(rows * 120);
        for row in 0..rows {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            text.push_str(&format!(
                "{{\"event_id\": \"e{file}-{row}\", \"user_id\": \"u{:06}\", \"event_type\": \"view\", \"event_time\": \"2026-01-01 09:00:00\", \"amount\": {}.{:02}}}\n",
                (state >> 33) % users,
                (state >> 20) % 500,
                (state >> 8) % 100
            ));
        }
        std::fs::write(dir.join(format!("part-{file:04}.json")), text)?;
    }
    Ok(())
}

fn run(input: &Path, checkpoint: Option<&Path>) -> Result<Duration, Box<dyn std::error::Error>> {
    let started = Instant::now();
    let writer = PerUser::read(JsonSource::new(input).max_files_per_trigger(1))
        .complete()
        .to(MemorySink::named("cost"))
        .trigger(Trigger::AvailableNow);
    let query = match checkpoint {
        Some(dir) => writer.checkpoint(dir).start()?,
        None => writer.start()?,
    };
    query.await_termination()?;
    Ok(started.elapsed())
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let (files, rows, users, runs) = (
        args.first().copied().unwrap_or(20),
        args.get(1).copied().unwrap_or(20_000),
        args.get(2).copied().unwrap_or(100_000),
        args.get(3).copied().unwrap_or(5),
    );
    let input = tempfile::tempdir()?;
    write_input(input.path(), files, rows, users as u64)?;
    let (mut without, mut with) = (Vec::new(), Vec::new());
    let mut snapshot_bytes = 0;
    for _ in 0..runs {
        without.push(run(input.path(), None)?);
        let checkpoint = tempfile::tempdir()?;
        with.push(run(input.path(), Some(checkpoint.path()))?);
        snapshot_bytes = std::fs::metadata(checkpoint.path().join(format!("state/0/{}", files - 1)))?.len();
    }
    let (without, with) = (median(without), median(with));
    let per_batch = with.saturating_sub(without) / u32::try_from(files)?;
    println!("| files × rows | users | no checkpoint | checkpoint | overhead per batch | last snapshot |");
    println!("|---|---|---|---|---|---|");
    println!(
        "| {files} × {rows} | {users} | {:.0} ms | {:.0} ms | {:.1} ms | {:.1} MB |",
        without.as_secs_f64() * 1e3,
        with.as_secs_f64() * 1e3,
        per_batch.as_secs_f64() * 1e3,
        snapshot_bytes as f64 / 1e6
    );
    Ok(())
}
