//! Sums and averages of doubles over several micro-batches, to the last bit, against Spark 4.3
//! (`golden/double_sums/`, written by `make_double_sums_golden.py`). Floating-point addition is
//! not associative; Spark sums each batch's rows apart and then adds the total kept in state, and
//! so does Rill — also across a restart from the checkpoint.

use crate::common;

use std::path::Path;

use rill::prelude::*;
use serde_json::Value;

rill::stream! {
    schema Reading { k: String, x: f64 }
    query PerKey(raw: Reading) { raw.group_by(k).agg(total = sum(x), mean = avg(x)) }
    query Overall(raw: Reading) { raw.agg(total = sum(x), mean = avg(x)) }
}

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/double_sums");

/// Each batch's rows as the golden file writes them: doubles as their shortest exact text.
fn batches_text(batches: &[(u64, rill::arrow_array::RecordBatch)], keyed: bool) -> Vec<Vec<Vec<String>>> {
    batches
        .iter()
        .map(|(_, batch)| {
            let mut rows: Vec<Vec<String>> = if keyed {
                PerKeyRow::from_batch(batch)
                    .unwrap()
                    .into_iter()
                    .map(|row| vec![row.k, format!("{:?}", row.total), format!("{:?}", row.mean)])
                    .collect()
            } else {
                OverallRow::from_batch(batch)
                    .unwrap()
                    .into_iter()
                    .map(|row| vec![format!("{:?}", row.total), format!("{:?}", row.mean)])
                    .collect()
            };
            rows.sort();
            rows
        })
        .collect()
}

fn spark(section: &str) -> Vec<Vec<Vec<String>>> {
    let golden = common::golden_json(GOLDEN, "expected/double_sums.json");
    golden[section]
        .as_array()
        .unwrap()
        .iter()
        .map(|batch| {
            batch["rows"]
                .as_array()
                .unwrap()
                .iter()
                .map(|row| {
                    ["k", "total", "mean"]
                        .iter()
                        .filter_map(|column| row.get(*column).and_then(Value::as_str).map(str::to_owned))
                        .collect()
                })
                .collect()
        })
        .collect()
}

fn input() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    common::copy_in_name_order(&Path::new(GOLDEN).join("input"), dir.path());
    dir
}

#[test]
fn grouped_double_sums_match_spark_to_the_bit() {
    let dir = input();
    let sink = common::CapturingSink::default();
    common::run_available_now(
        PerKey::read(JsonSource::new(dir.path()).max_files_per_trigger(1))
            .complete()
            .to(sink.clone()),
    );
    assert_eq!(batches_text(&sink.take(), true), spark("grouped"));
}

#[test]
fn global_double_sums_match_spark_to_the_bit() {
    let dir = input();
    let sink = common::CapturingSink::default();
    common::run_available_now(
        Overall::read(JsonSource::new(dir.path()).max_files_per_trigger(1))
            .complete()
            .to(sink.clone()),
    );
    assert_eq!(batches_text(&sink.take(), false), spark("global"));
}

/// The totals restored from the checkpoint are merged into the next batch's partial sums the
/// same way.
#[test]
fn double_sums_survive_a_restart_to_the_bit() {
    let files = input();
    let dir = tempfile::tempdir().unwrap();
    let checkpoint = tempfile::tempdir().unwrap();
    let mut names: Vec<_> = std::fs::read_dir(files.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    let mut seen = Vec::new();
    for file in names {
        std::fs::copy(&file, dir.path().join(file.file_name().unwrap())).unwrap();
        let sink = common::CapturingSink::default();
        common::run_available_now(
            PerKey::read(JsonSource::new(dir.path()))
                .complete()
                .to(sink.clone())
                .checkpoint(checkpoint.path()),
        );
        seen.extend(sink.take());
    }
    assert_eq!(batches_text(&seen, true), spark("grouped"));
}
