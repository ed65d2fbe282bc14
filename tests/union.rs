//! Queries over several inputs: `a.union(b)` reads each input from its own source, keeps each
//! source's offsets and log in the checkpoint (`sources/0`, `sources/1`), and resumes each exactly.

use crate::common;

use std::path::Path;

use common::{CapturingSink, write_file};
use rill::prelude::*;
use serde_json::{Value, json};

rill::stream! {
    schema Event { event_id: String, user_id: String, event_type: String, event_time: String, amount: f64 }

    query Both(web: Event, mobile: Event) {
        web.union(mobile).group_by(user_id).agg(events = count(), total = sum(amount))
    }

    query BigSpenders(web: Event, mobile: Event) {
        web.union(mobile)
           .filter(amount > 10.0)
           .group_by(user_id)
           .agg(events = count(), total = round(sum(amount), 2))
    }

    schema Tick { event_id: String, event_time: String }

    query TenMinutes(web: Tick, mobile: Tick) {
        web.union(mobile)
           .with_column(event_time = to_timestamp(event_time))
           .with_watermark(event_time, "10 minutes")
           .group_by(window(event_time, "10 minutes"))
           .agg(events = count())
    }
}

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/union");

/// Golden case `case`'s input directories `web` and `mobile`, copied with modification times in
/// name order (git keeps none), so that each source takes its files in the order Spark did.
fn golden_inputs(case: &str) -> (tempfile::TempDir, tempfile::TempDir) {
    let copy = |input: &str| {
        let dir = tempfile::tempdir().unwrap();
        let from = Path::new(GOLDEN).join("input").join(case).join(input);
        let mut names: Vec<String> = std::fs::read_dir(&from)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        for (order, name) in names.iter().enumerate() {
            let text = std::fs::read_to_string(from.join(name)).unwrap();
            write_file(dir.path(), name, &text.lines().collect::<Vec<_>>(), order as u64);
        }
        dir
    };
    (copy("web"), copy("mobile"))
}

/// Compares a run over golden case `case` with Spark's, batch by batch: the rows handed to the
/// sink, the input rows of the query and of each source with its offsets, the watermark and
/// the state operator's metrics.
fn assert_matches_spark(case: &str, query: &StreamingQuery, dirs: [&Path; 2], emitted: Vec<Vec<Value>>) {
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(GOLDEN).join("expected").join(format!("{case}.json"))).unwrap(),
    )
    .unwrap();
    let expected = expected["batches"].as_array().unwrap();
    let progress = query.recent_progress();
    assert_eq!(
        progress.len(),
        expected.len(),
        "{case}: batches (Spark's include its no-data batches)"
    );
    assert_eq!(emitted.len(), expected.len(), "{case}: batches handed to the sink");
    for ((spark, ours), rows) in expected.iter().zip(&progress).zip(emitted) {
        let batch = ours.batch_id;
        assert_eq!(spark["batch_id"], batch, "{case}");
        assert_eq!(
            spark["num_input_rows"], ours.num_input_rows,
            "{case} batch {batch}: input rows"
        );
        let sources = spark["sources"].as_array().unwrap();
        assert_eq!(sources.len(), ours.sources.len(), "{case} batch {batch}: sources");
        for ((spark, ours), (dir, placeholder)) in sources
            .iter()
            .zip(&ours.sources)
            .zip(dirs.iter().zip(["<web>", "<mobile>"]))
        {
            let description = ours.description.replace(&*dir.to_string_lossy(), placeholder);
            assert_eq!(spark["description"], description, "{case} batch {batch}");
            assert_eq!(
                spark["num_input_rows"], ours.num_input_rows,
                "{case} batch {batch}: {description} input rows"
            );
            assert_eq!(
                spark["start_offset"], ours.start_offset,
                "{case} batch {batch}: {description} start"
            );
            assert_eq!(
                spark["end_offset"], ours.end_offset,
                "{case} batch {batch}: {description} end"
            );
        }
        let ours_json: Value = serde_json::from_str(&ours.json()).unwrap();
        assert_eq!(
            spark["watermark"], ours_json["eventTime"]["watermark"],
            "{case} batch {batch}: watermark"
        );
        for (spark, ours) in spark["state_operators"]
            .as_array()
            .unwrap()
            .iter()
            .zip(ours_json["stateOperators"].as_array().unwrap())
        {
            for (golden, metric) in [
                ("operator_name", "operatorName"),
                ("num_rows_total", "numRowsTotal"),
                ("num_rows_updated", "numRowsUpdated"),
                ("num_rows_dropped_by_watermark", "numRowsDroppedByWatermark"),
            ] {
                assert_eq!(spark[golden], ours[metric], "{case} batch {batch}: {metric}");
            }
        }
        assert_eq!(
            common::sorted(rows),
            common::sorted(spark["output_rows"].as_array().unwrap().clone()),
            "{case} batch {batch}: rows"
        );
    }
}

#[test]
fn a_filtered_aggregation_over_a_union_matches_spark() {
    let (web, mobile) = golden_inputs("totals");
    let sink = CapturingSink::default();
    let query = common::run_available_now(
        BigSpenders::read(
            JsonSource::new(web.path()).max_files_per_trigger(1),
            JsonSource::new(mobile.path()).max_files_per_trigger(1),
        )
        .complete()
        .to(sink.clone()),
    );
    let emitted = sink
        .take()
        .iter()
        .map(|(_, batch)| {
            BigSpendersRow::from_batch(batch)
                .unwrap()
                .into_iter()
                .map(|row| json!([row.user_id, row.events, row.total]))
                .collect()
        })
        .collect();
    assert_matches_spark("totals", &query, [web.path(), mobile.path()], emitted);
}

/// `TenMinutes` over golden case `case`, against Spark's.
fn windows_against_spark(case: &str) {
    let (web, mobile) = golden_inputs(case);
    let sink = CapturingSink::default();
    let query = common::run_available_now(
        TenMinutes::read(
            JsonSource::new(web.path()).max_files_per_trigger(1),
            JsonSource::new(mobile.path()).max_files_per_trigger(1),
        )
        .append()
        .to(sink.clone()),
    );
    let emitted = sink
        .take()
        .iter()
        .map(|(_, batch)| {
            TenMinutesRow::from_batch(batch)
                .unwrap()
                .into_iter()
                .map(|row| json!([row.window.start.to_string(), row.window.end.to_string(), row.events]))
                .collect()
        })
        .collect();
    assert_matches_spark(case, &query, [web.path(), mobile.path()], emitted);
}

#[test]
fn a_watermarked_window_over_a_union_matches_spark() {
    windows_against_spark("windows");
}

#[test]
fn a_late_row_from_one_input_is_dropped_as_spark_drops_it() {
    windows_against_spark("windows_late");
}

fn event(id: &str, user: &str, amount: f64) -> String {
    format!(
        r#"{{"event_id":"{id}","user_id":"{user}","event_type":"view","event_time":"2024-01-01 10:00:00","amount":{amount}}}"#
    )
}

/// Writes one file of `events` (id, user, amount) into `dir`, taken in `order`.
fn add_file(dir: &Path, name: &str, events: &[(&str, &str, f64)], order: u64) {
    let lines: Vec<String> = events
        .iter()
        .map(|(id, user, amount)| event(id, user, *amount))
        .collect();
    write_file(dir, name, &lines.iter().map(String::as_str).collect::<Vec<_>>(), order);
}

/// Runs `Both` over the two directories until no input is left, on `checkpoint`.
fn run(web: &Path, mobile: &Path, checkpoint: &Path) -> (StreamingQuery, MemorySink) {
    let table = MemorySink::named("both");
    let writer = Both::read(
        JsonSource::new(web).max_files_per_trigger(1),
        JsonSource::new(mobile).max_files_per_trigger(1),
    )
    .complete()
    .to(table.clone())
    .checkpoint(checkpoint);
    (common::run_available_now(writer), table)
}

fn totals(table: &MemorySink) -> Vec<String> {
    let mut rows: Vec<String> = table
        .rows::<BothRow>()
        .unwrap()
        .iter()
        .map(|row| format!("{} {} {}", row.user_id, row.events, row.total))
        .collect();
    rows.sort();
    rows
}

/// The JSON body of checkpoint file `path`, after its version line.
fn checkpoint_json(checkpoint: &Path, path: &str) -> Value {
    let text = std::fs::read_to_string(checkpoint.join(path)).unwrap();
    serde_json::from_str(text.strip_prefix("v1\n").unwrap()).unwrap()
}

#[test]
fn a_union_reads_each_input_from_its_own_source_and_resumes_each_exactly() {
    let (web, mobile, checkpoint) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    add_file(web.path(), "w0.json", &[("w1", "u1", 1.0), ("w2", "u2", 2.0)], 0);
    add_file(web.path(), "w1.json", &[("w3", "u1", 4.0)], 1);
    add_file(mobile.path(), "m0.json", &[("m1", "u1", 8.0)], 0);
    let (query, table) = run(web.path(), mobile.path(), checkpoint.path());
    let progress = query.recent_progress();
    // Batch 0 takes a file from each source, batch 1 the web's second file only.
    let per_source = |batch: usize| -> Vec<u64> { progress[batch].sources.iter().map(|s| s.num_input_rows).collect() };
    assert_eq!(progress.len(), 2);
    assert_eq!((per_source(0), per_source(1)), (vec![2, 1], vec![1, 0]));
    assert_eq!(progress[0].num_input_rows, 3);
    assert!(
        progress[0].sources[0]
            .description
            .contains(&*web.path().to_string_lossy())
    );
    assert!(
        progress[0].sources[1]
            .description
            .contains(&*mobile.path().to_string_lossy())
    );
    assert_eq!(progress[1].sources[1].start_offset, json!({"logOffset": 0}));
    assert_eq!(progress[1].sources[1].end_offset, json!({"logOffset": 0}));
    assert_eq!(totals(&table), ["u1 3 13", "u2 1 2"]);
    drop(query);

    // Each input keeps its own offsets and its own log.
    assert_eq!(
        checkpoint_json(checkpoint.path(), "offsets/1")["sourceOffsets"],
        json!([{"logOffset": 1}, {"logOffset": 0}])
    );
    let logged = |input: usize| -> Vec<String> {
        let mut batches: Vec<String> = std::fs::read_dir(checkpoint.path().join(format!("sources/{input}")))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        batches.sort();
        batches
    };
    assert_eq!(
        (logged(0), logged(1)),
        (vec!["0".to_owned(), "1".to_owned()], vec!["0".to_owned()])
    );

    // A restart reads only what is new, from each source.
    add_file(mobile.path(), "m1.json", &[("m2", "u3", 16.0), ("m3", "u2", 32.0)], 1);
    let (query, table) = run(web.path(), mobile.path(), checkpoint.path());
    let progress = query.recent_progress();
    assert_eq!(progress.len(), 1);
    assert_eq!(progress[0].batch_id, 2);
    let rows: Vec<u64> = progress[0].sources.iter().map(|s| s.num_input_rows).collect();
    assert_eq!(rows, [0, 2]);
    assert_eq!(totals(&table), ["u1 3 13", "u2 2 34", "u3 1 16"]);
    assert_eq!(logged(1), ["0", "2"]);
}

#[test]
fn an_unfinished_batch_is_re_run_with_the_same_input_from_every_source() {
    let (web, mobile, checkpoint) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    add_file(web.path(), "w0.json", &[("w1", "u1", 1.0)], 0);
    add_file(mobile.path(), "m0.json", &[("m1", "u1", 2.0)], 0);
    add_file(web.path(), "w1.json", &[("w2", "u2", 4.0)], 1);
    add_file(mobile.path(), "m1.json", &[("m2", "u2", 8.0)], 1);
    let (query, _) = run(web.path(), mobile.path(), checkpoint.path());
    assert_eq!(query.recent_progress().len(), 2);
    drop(query);
    // As if the process died after batch 1's offsets were written, before its commit.
    std::fs::remove_file(checkpoint.path().join("commits/1")).unwrap();
    std::fs::remove_file(checkpoint.path().join("state/0/0/2.delta")).unwrap();
    // Input that arrived meanwhile goes to the next batch, not into the re-run one.
    add_file(web.path(), "w2.json", &[("w3", "u3", 16.0)], 2);
    add_file(mobile.path(), "m2.json", &[("m3", "u3", 32.0)], 2);
    let (query, table) = run(web.path(), mobile.path(), checkpoint.path());
    let progress = query.recent_progress();
    let batches: Vec<(u64, Vec<u64>)> = progress
        .iter()
        .map(|p| (p.batch_id, p.sources.iter().map(|s| s.num_input_rows).collect()))
        .collect();
    assert_eq!(batches, [(1, vec![1, 1]), (2, vec![1, 1])]);
    assert_eq!(progress[0].sources[0].end_offset, json!({"logOffset": 1}));
    assert_eq!(totals(&table), ["u1 2 3", "u2 2 12", "u3 2 48"]);
}

#[test]
fn starting_with_another_number_of_sources_is_refused() {
    let web = tempfile::tempdir().unwrap();
    let error = rill::DataStreamWriter::<Both>::new(JsonSource::new(web.path()))
        .complete()
        .to(CapturingSink::default())
        .start()
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "cannot start query `Both`: it reads 2 inputs (web, mobile), but was given 1 source"
    );
}

#[test]
fn the_plan_shows_the_union_of_the_inputs() {
    assert_eq!(
        Both::explain(),
        "== Plan of `Both` ==\nProject [user_id: String, events: i64, total: f64]\n+- Aggregate keys=[user_id] aggregates=[events = count(), total = sum(amount)] (state: one row per key)\n   +- Union\n      :- Scan web: Event [user_id: String, amount: f64]\n      +- Scan mobile: Event [user_id: String, amount: f64]\n"
    );
}
