//! What a checkpoint costs: the same query over the same files, with and without a checkpoint,
//! interleaved, median of several runs. Each batch writes a delta of the state (the groups it
//! changed), every tenth a snapshot too; this measures what that costs, and the bytes a delta
//! takes per changed group.
//!
//! Then how long a restart takes to restore a large state: one snapshot and nine deltas over a
//! million keys.
//!
//! `cargo run --release --example checkpoint_cost -- [files] [rows-per-file] [users] [runs] [recovery-keys]`
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
    write_files(dir, 0..files, rows, users)
}

/// Input files `files`, each of `rows` events of random users among `users`.
fn write_files(dir: &Path, files: std::ops::Range<usize>, rows: usize, users: u64) -> std::io::Result<()> {
    let mut state: u64 = 42;
    for file in files {
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

/// The run's time and, with a checkpoint, the last batch's changed groups.
fn run(input: &Path, checkpoint: Option<&Path>) -> Result<(Duration, u64), Box<dyn std::error::Error>> {
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
    let elapsed = started.elapsed();
    let changed = query
        .last_progress()
        .and_then(|p| p.state_operators.first().map(|op| op.num_rows_updated))
        .unwrap_or(0);
    Ok((elapsed, changed))
}

/// How long restarting on a checkpoint of `keys` groups takes to restore them: its state is a
/// snapshot and nine deltas of 100k rows each (a snapshot every ten versions). The time is that
/// of `start()`, which restores the state before it returns, over `runs` restarts.
fn recovery(keys: usize, runs: usize) -> Result<(Duration, u64, u64), Box<dyn std::error::Error>> {
    let (input, checkpoint) = (tempfile::tempdir()?, tempfile::tempdir()?);
    let every_key: String = (0..keys)
        .map(|key| format!("{{\"event_id\": \"k{key}\", \"user_id\": \"u{key:06}\", \"event_type\": \"view\", \"event_time\": \"2026-01-01 09:00:00\", \"amount\": 1.25}}\n"))
        .collect();
    std::fs::write(input.path().join("part-0000.json"), every_key)?;
    write_files(input.path(), 1..19, 100_000, keys as u64)?;
    let start = || {
        PerUser::read(JsonSource::new(input.path()).max_files_per_trigger(1))
            .complete()
            .to(MemorySink::named("recovery"))
            .checkpoint(checkpoint.path())
            .trigger(Trigger::AvailableNow)
            .start()
    };
    start()?.await_termination()?;
    let state = checkpoint.path().join("state/0/0");
    let snapshot_bytes = std::fs::metadata(state.join("10.snapshot"))?.len();
    let delta_bytes: u64 = (11..=19)
        .map(|version| std::fs::metadata(state.join(format!("{version}.delta"))).map(|m| m.len()))
        .sum::<std::io::Result<u64>>()?;
    let mut times = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let query = start()?;
        times.push(started.elapsed());
        query.await_termination()?;
    }
    Ok((median(times), snapshot_bytes, delta_bytes))
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let (files, rows, users, runs) = (
        args.first().copied().unwrap_or(20),
        args.get(1).copied().unwrap_or(100_000),
        args.get(2).copied().unwrap_or(100_000),
        args.get(3).copied().unwrap_or(5),
    );
    let recovery_keys = args.get(4).copied().unwrap_or(1_000_000);
    let input = tempfile::tempdir()?;
    write_input(input.path(), files, rows, users as u64)?;
    let (mut without, mut with) = (Vec::new(), Vec::new());
    let (mut delta_bytes, mut changed) = (0, 0);
    for _ in 0..runs {
        without.push(run(input.path(), None)?.0);
        let checkpoint = tempfile::tempdir()?;
        let (elapsed, last_changed) = run(input.path(), Some(checkpoint.path()))?;
        with.push(elapsed);
        changed = last_changed;
        // The last batch's delta: its version is one past its batch id.
        delta_bytes = std::fs::metadata(checkpoint.path().join(format!("state/0/0/{files}.delta")))?.len();
    }
    let (without, with) = (median(without), median(with));
    let per_batch = with.saturating_sub(without) / u32::try_from(files)?;
    println!(
        "| files × rows | users | no checkpoint | checkpoint | ratio | overhead per batch | last delta | bytes per changed group |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    println!(
        "| {files} × {rows} | {users} | {:.0} ms | {:.0} ms | {:.2}× | {:.1} ms | {:.1} MB ({changed} groups) | {:.1} |",
        without.as_secs_f64() * 1e3,
        with.as_secs_f64() * 1e3,
        with.as_secs_f64() / without.as_secs_f64(),
        per_batch.as_secs_f64() * 1e3,
        delta_bytes as f64 / 1e6,
        delta_bytes as f64 / changed.max(1) as f64
    );
    let (restore, snapshot_bytes, delta_bytes) = recovery(recovery_keys, runs)?;
    println!();
    println!("| keys in state | files restored | restart (`start()`, median) |");
    println!("|---|---|---|");
    println!(
        "| {recovery_keys} | snapshot {:.1} MB + 9 deltas {:.1} MB | {:.0} ms |",
        snapshot_bytes as f64 / 1e6,
        delta_bytes as f64 / 1e6,
        restore.as_secs_f64() * 1e3
    );
    Ok(())
}
