//! Kill a running query with SIGKILL at random moments, restart it, and repeat until its input
//! is done: the output must equal an uninterrupted run's, with no row lost or written twice.
//!
//! The child is this test binary run again in the `child` role. The suite runs a short version;
//! the long one is `RILL_CRASH_KILLS=300 cargo test --release --test crash -- --nocapture`.
#![allow(
    clippy::print_stderr,
    reason = "the test reports how many kills it survived, and where"
)]

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use rill::prelude::*;
use rill::sink::{FileSink, read_parquet_output};

rill::stream! {
    schema Event { event_id: String, user_id: String, event_type: String, event_time: String, amount: f64 }

    /// Complete mode, state restored from the checkpoint.
    query PerUser(raw: Event) {
        raw.group_by(user_id).agg(events = count(), total = round(sum(amount), 2))
    }

    /// Windowed append to Parquet: state, watermark and an exactly-once file sink.
    query Hourly(raw: Event) {
        raw.with_column(event_time = to_timestamp(event_time))
           .with_watermark(event_time, "10 minutes")
           .group_by(window(event_time, "1 hour"), event_type)
           .agg(events = count(), amount = round(sum(amount), 2))
    }

    /// Filter and project to Parquet: no state, only the file sink's log.
    query Purchases(raw: Event) {
        raw.filter(event_type == "purchase" && amount > 50.0).select(event_id, user_id, amount)
    }
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
                    .checkpoint(checkpoint),
            );
            let mut rows: Vec<String> = table
                .rows::<PerUserRow>()
                .unwrap()
                .iter()
                .map(|r| format!("{} {} {}", r.user_id, r.events, r.total))
                .collect();
            rows.sort();
            Some(rows.join("\n"))
        }
        "hourly" => {
            common::run_available_now(
                Hourly::read(source())
                    .append()
                    .to(FileSink::parquet(output))
                    .checkpoint(checkpoint),
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
            if query == "hourly" {
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
/// With `hold`, keep a query running on the checkpoint for a while instead.
#[test]
fn child() {
    let Ok(query) = std::env::var("RILL_CRASH_CHILD") else {
        return;
    };
    let path = |name: &str| std::path::PathBuf::from(std::env::var(name).unwrap());
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
    let table = run(
        &query,
        &path("RILL_CRASH_INPUT"),
        &path("RILL_CRASH_CHECKPOINT"),
        &path("RILL_CRASH_OUTPUT"),
    );
    std::fs::write(path("RILL_CRASH_OUTPUT").join("_table.txt"), table.unwrap_or_default()).unwrap();
}

/// The latest batch committed in `checkpoint`, if any.
fn latest_commit(checkpoint: &Path) -> Option<u64> {
    std::fs::read_dir(checkpoint.join("commits"))
        .ok()?
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .max()
}

/// Kills the child at random moments until one run finishes; returns the number of kills and
/// the latest committed batch at each kill (to show the kills land all through the run).
fn kill_until_done(
    query: &str,
    input: &Path,
    checkpoint: &Path,
    output: &Path,
    kills_wanted: u32,
) -> (u32, Vec<Option<u64>>) {
    let mut seed: u64 = 0x5eed;
    let mut kills = 0;
    let mut killed_at = Vec::new();
    loop {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "child", "--nocapture", "--test-threads=1"])
            .env("RILL_CRASH_CHILD", query)
            .env("RILL_CRASH_INPUT", input)
            .env("RILL_CRASH_CHECKPOINT", checkpoint)
            .env("RILL_CRASH_OUTPUT", output)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        if kills < kills_wanted {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            // Short runs give the child time for a few batches; long ones kill it more often.
            let delay = if kills_wanted > 50 {
                2 + (seed >> 33) % 40
            } else {
                20 + (seed >> 33) % 150
            };
            std::thread::sleep(Duration::from_millis(delay));
            if child.try_wait().unwrap().is_none() {
                child.kill().unwrap(); // SIGKILL: no destructor, no flush
                child.wait().unwrap();
                kills += 1;
                killed_at.push(latest_commit(checkpoint));
                continue;
            }
        }
        let status = child.wait().unwrap();
        assert!(
            status.success(),
            "the child failed on restart after {kills} kills: {status}"
        );
        return (kills, killed_at);
    }
}

fn crash_test(query: &str) {
    let kills_wanted: u32 = std::env::var("RILL_CRASH_KILLS")
        .ok()
        .and_then(|k| k.parse().ok())
        .unwrap_or(6);
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

    // Enough files that the child is still running when the next kill comes.
    let input = tempfile::tempdir().unwrap();
    write_input(input.path(), files);
    let checkpoint = tempfile::tempdir().unwrap();
    let output = tempfile::tempdir().unwrap();
    let (kills, killed_at) = kill_until_done(query, input.path(), checkpoint.path(), output.path(), kills_wanted);
    // One more file, and one more run: its output shows the state survived, whichever run the
    // last kill interrupted (a complete-mode memory table is only emitted by a batch).
    write_last_file(input.path(), files);
    kill_until_done(query, input.path(), checkpoint.path(), output.path(), 0);
    let table = (query == "per_user").then(|| std::fs::read_to_string(output.path().join("_table.txt")).unwrap());
    let got = result(query, output.path(), table);
    assert_eq!(
        got, expected,
        "{query}: output after {kills} kills differs from an uninterrupted run"
    );
    let distinct: std::collections::BTreeSet<_> = killed_at.iter().collect();
    eprintln!(
        "{query}: {kills} kills at {} different points (last committed batch at each kill: {killed_at:?}); output identical to an uninterrupted run ({} rows)",
        distinct.len(),
        expected.lines().count()
    );
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
