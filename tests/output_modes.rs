//! Output modes and triggers against results computed by hand and by real Spark 4.3
//! (`golden/spark/d_update_memory_sink.txt`, `golden/spark/e_append_memory_sink.txt`: three
//! files `{a:1,b:2}`, `{a:3}`, `{c:4,a:5}` read one file per trigger).

use crate::common;

use std::time::Duration;

use arrow_array::RecordBatch;
use common::{CapturingSink, write_file};
use rill::prelude::*;

rill::stream! {
    schema KeyValue { k: String, v: i64 }

    query Counts(raw: KeyValue) {
        raw.group_by(k).agg(cnt = count(), sum_v = sum(v))
    }

    query NotTwo(raw: KeyValue) {
        raw.filter(v != 2)
    }
}

fn three_files() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_file(
        dir.path(),
        "f1.json",
        &[r#"{"k": "a", "v": 1}"#, r#"{"k": "b", "v": 2}"#],
        1,
    );
    write_file(dir.path(), "f2.json", &[r#"{"k": "a", "v": 3}"#], 2);
    write_file(
        dir.path(),
        "f3.json",
        &[r#"{"k": "c", "v": 4}"#, r#"{"k": "a", "v": 5}"#],
        3,
    );
    dir
}

fn sorted_counts(batch: &RecordBatch) -> Vec<(String, i64, i64)> {
    let mut rows: Vec<(String, i64, i64)> = CountsRow::from_batch(batch)
        .unwrap()
        .into_iter()
        .map(|r| (r.k, r.cnt, r.sum_v))
        .collect();
    rows.sort();
    rows
}

fn owned(rows: &[(&str, i64, i64)]) -> Vec<(String, i64, i64)> {
    rows.iter().map(|(k, c, s)| ((*k).to_owned(), *c, *s)).collect()
}

#[test]
fn update_mode_emits_the_groups_each_batch_changed() {
    let dir = three_files();
    let sink = CapturingSink::default();
    let query = common::run_available_now(
        Counts::read(JsonSource::new(dir.path()).max_files_per_trigger(1))
            .update()
            .to(sink.clone()),
    );
    let batches = sink.take();
    // Spark's foreachBatch view of the same query.
    let expected = [
        owned(&[("a", 1, 1), ("b", 1, 2)]),
        owned(&[("a", 2, 4)]),
        owned(&[("a", 3, 9), ("c", 1, 4)]),
    ];
    assert_eq!(batches.len(), 3);
    for ((batch_id, batch), (index, expected)) in batches.iter().zip(expected.iter().enumerate()) {
        assert_eq!(*batch_id, index as u64);
        assert_eq!(&sorted_counts(batch), expected, "batch {batch_id}");
    }
    let output_rows: Vec<i64> = query.recent_progress().iter().map(|p| p.sink.num_output_rows).collect();
    assert_eq!(output_rows, [2, 1, 2]);
    let input_rows: Vec<u64> = query.recent_progress().iter().map(|p| p.num_input_rows).collect();
    assert_eq!(input_rows, [2, 1, 2]);
}

#[test]
fn update_mode_memory_sink_upserts_by_key() {
    let dir = three_files();
    let table = MemorySink::named("update_upsert");
    common::run_available_now(
        Counts::read(JsonSource::new(dir.path()).max_files_per_trigger(1))
            .update()
            .to(table.clone()),
    );
    // Spark's memory sink would hold all five emitted rows; Rill's keeps one row per key,
    // equal to the complete result.
    assert_eq!(
        sorted_counts(&table.snapshot().unwrap()),
        owned(&[("a", 3, 9), ("b", 1, 2), ("c", 1, 4)])
    );
}

#[test]
fn complete_mode_emits_the_whole_table_every_batch() {
    let dir = three_files();
    let sink = CapturingSink::default();
    let query = common::run_available_now(
        Counts::read(JsonSource::new(dir.path()).max_files_per_trigger(1))
            .complete()
            .to(sink.clone()),
    );
    let batches = sink.take();
    let sizes: Vec<usize> = batches.iter().map(|(_, b)| b.num_rows()).collect();
    assert_eq!(sizes, [2, 2, 3], "Spark's numOutputRows per batch");
    assert_eq!(
        sorted_counts(&batches[2].1),
        owned(&[("a", 3, 9), ("b", 1, 2), ("c", 1, 4)])
    );
    let state = &query.last_progress().unwrap().state_operators[0];
    assert_eq!((state.num_rows_total, state.num_rows_updated), (3, 2));
}

#[test]
fn append_mode_emits_each_passing_row_once() {
    let dir = three_files();
    let table = MemorySink::named("append_not_two");
    let query = common::run_available_now(
        NotTwo::read(JsonSource::new(dir.path()).max_files_per_trigger(1))
            .append()
            .to(table.clone()),
    );
    let rows: Vec<(String, i64)> = table
        .rows::<NotTwoRow>()
        .unwrap()
        .into_iter()
        .map(|r| (r.k, r.v))
        .collect();
    let expected: Vec<(String, i64)> = [("a", 1), ("a", 3), ("c", 4), ("a", 5)]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), *v))
        .collect();
    assert_eq!(rows, expected);
    let output_rows: Vec<i64> = query.recent_progress().iter().map(|p| p.sink.num_output_rows).collect();
    assert_eq!(output_rows, [1, 1, 2]);
}

#[test]
fn once_trigger_reads_everything_in_one_batch_despite_the_file_limit() {
    let dir = three_files();
    let sink = CapturingSink::default();
    let query = Counts::read(JsonSource::new(dir.path()).max_files_per_trigger(1))
        .complete()
        .to(sink.clone())
        .trigger(Trigger::Once)
        .start()
        .unwrap();
    query.await_termination().unwrap();
    let batches = sink.take();
    assert_eq!(batches.len(), 1);
    assert_eq!(
        sorted_counts(&batches[0].1),
        owned(&[("a", 3, 9), ("b", 1, 2), ("c", 1, 4)])
    );
}

#[test]
fn available_now_ignores_files_that_arrive_after_the_start() {
    let dir = three_files();
    let sink = CapturingSink::default();
    let query = Counts::read(JsonSource::new(dir.path()).max_files_per_trigger(1))
        .complete()
        .to(sink.clone())
        .trigger(Trigger::AvailableNow)
        .start()
        .unwrap();
    // Written while the query runs: not part of this run's data.
    write_file(dir.path(), "f4.json", &[r#"{"k": "z", "v": 100}"#], 4);
    query.await_termination().unwrap();
    let batches = sink.take();
    assert_eq!(batches.len(), 3);
    assert!(!sorted_counts(&batches[2].1).iter().any(|(k, _, _)| k == "z"));
}

#[test]
fn processing_time_trigger_picks_up_new_files_until_stopped() {
    let dir = tempfile::tempdir().unwrap();
    write_file(dir.path(), "f1.json", &[r#"{"k": "a", "v": 1}"#], 1);
    let table = MemorySink::named("processing_time_counts");
    let query = Counts::read(JsonSource::new(dir.path()))
        .complete()
        .to(table.clone())
        .trigger(Trigger::processing_time(Duration::from_millis(20)))
        .start()
        .unwrap();
    let wait_for = |rows: usize| {
        for _ in 0..500 {
            if table.snapshot().is_some_and(|b| sorted_counts(&b).len() == rows) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("the query never produced {rows} groups");
    };
    wait_for(1);
    // Written under a hidden name, then renamed into place: the source never sees half a file.
    write_file(dir.path(), "_f2.json.tmp", &[r#"{"k": "b", "v": 2}"#], 2);
    std::fs::rename(dir.path().join("_f2.json.tmp"), dir.path().join("f2.json")).unwrap();
    wait_for(2);
    assert!(query.is_active());
    query.stop();
    assert!(!query.is_active());
    query.await_termination().unwrap();
    assert_eq!(
        sorted_counts(&table.snapshot().unwrap()),
        owned(&[("a", 1, 1), ("b", 1, 2)])
    );
    // No batch ran without new data.
    assert_eq!(query.recent_progress().len(), 2);
}

#[test]
fn default_trigger_runs_until_stopped() {
    let dir = three_files();
    let sink = CapturingSink::default();
    let query = Counts::read(JsonSource::new(dir.path()))
        .update()
        .to(sink.clone())
        .start()
        .unwrap();
    for _ in 0..500 {
        if query.recent_progress().len() == 1 {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(!query.await_termination_timeout(Duration::from_millis(50)).unwrap());
    query.stop();
    assert_eq!(sink.take().len(), 1);
}

#[test]
fn console_sink_prints_like_spark() {
    #[derive(Clone, Default)]
    struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Shared {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let dir = three_files();
    let out = Shared::default();
    common::run_available_now(
        NotTwo::read(JsonSource::new(dir.path()))
            .append()
            .to(ConsoleSink::to_writer(out.clone())),
    );
    let printed = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    assert_eq!(
        printed,
        "-------------------------------------------\nBatch: 0\n-------------------------------------------\n\
         +---+---+\n|  k|  v|\n+---+---+\n|  a|  1|\n|  a|  3|\n|  c|  4|\n|  a|  5|\n+---+---+\n\n"
    );
}

#[test]
fn an_error_from_foreach_batch_stops_the_query_and_names_the_batch() {
    let dir = three_files();
    let sink = rill::sink::ForeachBatch::new(|batch_id, _batch| {
        if batch_id == 1 {
            Err("the warehouse is read-only".into())
        } else {
            Ok(())
        }
    });
    let query = NotTwo::read(JsonSource::new(dir.path()).max_files_per_trigger(1))
        .append()
        .to(sink)
        .trigger(Trigger::AvailableNow)
        .start()
        .unwrap();
    let error = query.await_termination().unwrap_err().to_string();
    assert!(
        error.contains("sink `ForeachBatchSink` failed to write batch 1: the warehouse is read-only"),
        "{error}"
    );
    // Batch 1 was not reported as done.
    assert_eq!(query.recent_progress().len(), 1);
}
