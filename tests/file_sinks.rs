//! The Parquet file sink: exactly once through its `_spark_metadata` log.

use arrow_array::RecordBatch;
use rill::Sink;
use rill::prelude::*;
use rill::sink::{FileSink, SinkContext, read_parquet_output};

rill::stream! {
    schema Reading { sensor: String, value: f64, taken_at: Option<Timestamp> }
    query AllReadings(raw: Reading) { raw.select(sensor, value) }
}

fn readings(values: &[f64]) -> RecordBatch {
    let rows: Vec<Reading> = values
        .iter()
        .map(|v| Reading {
            sensor: format!("s{v}"),
            value: *v,
            taken_at: Timestamp::parse("2026-01-01"),
        })
        .collect();
    Reading::to_batch(&rows).unwrap()
}

fn open(dir: &std::path::Path) -> FileSink {
    let mut sink = FileSink::parquet(dir).row_group_size(2);
    sink.open(&SinkContext {
        query_name: "test".to_owned(),
        schema: Reading::schema(),
        key_columns: Vec::new(),
        mode: OutputMode::Append,
        checkpoint: None,
    })
    .unwrap();
    sink
}

fn values(dir: &std::path::Path) -> Vec<f64> {
    let mut values: Vec<f64> = read_parquet_output(dir)
        .unwrap()
        .iter()
        .flat_map(|batch| Reading::from_batch(batch).unwrap())
        .map(|reading| reading.value)
        .collect();
    values.sort_by(f64::total_cmp);
    values
}

#[test]
fn a_batch_handed_over_again_after_a_restart_is_written_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = open(dir.path());
    sink.add_batch(0, &readings(&[1.0, 2.0, 3.0])).unwrap();
    sink.add_batch(1, &readings(&[4.0])).unwrap();
    // After a restart the last batch is replayed with the same id: a new sink skips it.
    let mut restarted = open(dir.path());
    restarted.add_batch(1, &readings(&[4.0])).unwrap();
    restarted.add_batch(2, &readings(&[])).unwrap();
    assert_eq!(values(dir.path()), [1.0, 2.0, 3.0, 4.0]);
    let parts = std::fs::read_dir(dir.path())
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().ends_with(".parquet"))
        .count();
    assert_eq!(parts, 2, "an empty batch writes no file");
    assert!(dir.path().join("_spark_metadata/2").exists(), "but its batch is logged");
}

#[test]
fn the_reader_ignores_files_of_a_batch_that_crashed_before_its_log_entry() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = open(dir.path());
    sink.add_batch(0, &readings(&[1.0])).unwrap();
    sink.add_batch(1, &readings(&[2.0])).unwrap();
    // A crash after batch 1's file was written but before its log entry.
    std::fs::remove_file(dir.path().join("_spark_metadata/1")).unwrap();
    assert_eq!(values(dir.path()), [1.0]);
    // When batch 1 is replayed, its rows are there once (the stray file stays unread).
    open(dir.path()).add_batch(1, &readings(&[2.0])).unwrap();
    assert_eq!(values(dir.path()), [1.0, 2.0]);
}

#[test]
fn files_keep_types_and_nulls() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = open(dir.path());
    let rows = [Reading {
        sensor: "a".to_owned(),
        value: -0.5,
        taken_at: None,
    }];
    sink.add_batch(0, &Reading::to_batch(&rows).unwrap()).unwrap();
    let read: Vec<Reading> = read_parquet_output(dir.path())
        .unwrap()
        .iter()
        .flat_map(|b| Reading::from_batch(b).unwrap())
        .collect();
    assert_eq!(read, rows);
}

#[test]
fn json_and_csv_sinks_are_exactly_once_and_read_back_typed() {
    use rill::sink::{FileFormat, read_file_sink};
    for format in [FileFormat::JsonLines, FileFormat::Csv, FileFormat::Parquet] {
        let dir = tempfile::tempdir().unwrap();
        let context = SinkContext {
            query_name: "test".to_owned(),
            schema: Reading::schema(),
            key_columns: Vec::new(),
            mode: OutputMode::Append,
            checkpoint: None,
        };
        let rows = |values: &[f64]| {
            values
                .iter()
                .map(|v| Reading {
                    sensor: format!("s,\"{v}\""),
                    value: *v,
                    taken_at: Timestamp::parse("2026-01-01 09:00:00.5"),
                })
                .collect::<Vec<_>>()
        };
        let mut sink = rill::sink::FileSink::new(dir.path(), format);
        sink.open(&context).unwrap();
        sink.add_batch(0, &Reading::to_batch(&rows(&[1.0, 2.0])).unwrap())
            .unwrap();
        sink.add_batch(1, &Reading::to_batch(&rows(&[3.0])).unwrap()).unwrap();
        // Replayed after a restart: skipped.
        sink.add_batch(1, &Reading::to_batch(&rows(&[3.0])).unwrap()).unwrap();
        let read: Vec<Reading> = read_file_sink(dir.path()).unwrap();
        assert_eq!(read, rows(&[1.0, 2.0, 3.0]), "{format:?}");
    }
}

#[test]
fn the_log_is_compacted_every_ten_batches_and_still_read_whole() {
    let dir = tempfile::tempdir().unwrap();
    let mut sink = open(dir.path());
    for batch in 0..25u32 {
        sink.add_batch(u64::from(batch), &readings(&[f64::from(batch)]))
            .unwrap();
    }
    let mut log: Vec<String> = std::fs::read_dir(dir.path().join("_spark_metadata"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    log.sort_by_key(|name| name.split('.').next().unwrap().parse::<u32>().unwrap());
    assert_eq!(log, ["19.compact", "20", "21", "22", "23", "24"]);
    // A batch covered by a compact file is still known as committed.
    open(dir.path()).add_batch(5, &readings(&[5.0])).unwrap();
    let expected: Vec<f64> = (0..25u32).map(f64::from).collect();
    assert_eq!(values(dir.path()), expected);
}

#[test]
fn partitioned_output_goes_to_column_directories_and_reads_back_whole() {
    use rill::sink::read_file_sink;
    let dir = tempfile::tempdir().unwrap();
    let mut sink = rill::sink::FileSink::parquet(dir.path()).partition_by(&["sensor"]);
    sink.open(&SinkContext {
        query_name: "test".to_owned(),
        schema: Reading::schema(),
        key_columns: Vec::new(),
        mode: OutputMode::Append,
        checkpoint: None,
    })
    .unwrap();
    let rows = vec![
        Reading {
            sensor: "a/b:c".to_owned(),
            value: 1.0,
            taken_at: Timestamp::parse("2026-01-01 09:00:00"),
        },
        Reading {
            sensor: "plain".to_owned(),
            value: 2.0,
            taken_at: None,
        },
        Reading {
            sensor: "a/b:c".to_owned(),
            value: 3.0,
            taken_at: Timestamp::parse("2026-01-01 10:00:00"),
        },
    ];
    sink.add_batch(0, &Reading::to_batch(&rows).unwrap()).unwrap();
    let mut directories: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("sensor="))
        .collect();
    directories.sort();
    // Escaped as Spark escapes partition values.
    assert_eq!(directories, ["sensor=a%2Fb%3Ac", "sensor=plain"]);
    let mut read: Vec<Reading> = read_file_sink(dir.path()).unwrap();
    read.sort_by(|a, b| a.value.total_cmp(&b.value));
    assert_eq!(read, rows);
}

#[test]
fn partitioning_by_a_column_the_query_does_not_output_is_refused_at_start() {
    let mut sink = rill::sink::FileSink::json("unused").partition_by(&["region"]);
    let error = sink
        .open(&SinkContext {
            query_name: "q".to_owned(),
            schema: Reading::schema(),
            key_columns: Vec::new(),
            mode: OutputMode::Append,
            checkpoint: None,
        })
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("partitions by `region`, which is not an output column"),
        "{error}"
    );
}

#[test]
fn a_foreach_batch_error_stops_the_query_and_keeps_its_type() {
    use rill::sink::ForeachBatch;
    use rill::source::MemoryStream;
    use std::error::Error as _;

    #[derive(Debug)]
    struct Refused(u64);
    impl std::fmt::Display for Refused {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "the warehouse refused batch {}", self.0)
        }
    }
    impl std::error::Error for Refused {}

    let input: MemoryStream<Reading> = MemoryStream::new();
    input.add_batch(readings(&[1.0])).unwrap();
    let query = AllReadings::read(input)
        .append()
        .to(ForeachBatch::new(|batch_id, _| Err(Box::new(Refused(batch_id)))))
        .trigger(Trigger::AvailableNow)
        .start()
        .unwrap();
    let error = query.await_termination().unwrap_err();
    assert!(error.to_string().contains("the warehouse refused batch 0"), "{error}");
    // Through `Terminated` and `Sink`, the function's own error.
    let cause = error.source().unwrap();
    let refused = cause.source().unwrap().downcast_ref::<Refused>().unwrap();
    assert_eq!(refused.0, 0);
}
