//! The memory stream: a program (or a test) pushes typed rows into a running query.

use std::time::Duration;

use rill::prelude::*;
use rill::source::MemoryStream;

rill::stream! {
    schema Reading { sensor: String, value: f64, taken_at: Timestamp }

    query Totals(raw: Reading) {
        raw.filter(value >= 0.0).group_by(sensor).agg(readings = count(), total = sum(value))
    }
}

fn reading(sensor: &str, value: f64) -> Reading {
    Reading {
        sensor: sensor.to_owned(),
        value,
        taken_at: Timestamp::parse("2026-01-01 09:00:00").unwrap(),
    }
}

fn totals(table: &MemorySink) -> Vec<(String, i64, f64)> {
    let mut rows: Vec<_> = table
        .rows::<TotalsRow>()
        .unwrap()
        .into_iter()
        .map(|r| (r.sensor, r.readings, r.total))
        .collect();
    rows.sort_by(|a, b| a.partial_cmp(b).unwrap());
    rows
}

#[test]
fn rows_pushed_while_the_query_runs_are_processed_in_later_batches() {
    let input: MemoryStream<Reading> = MemoryStream::new();
    let table = MemorySink::named("memory_stream_totals");
    let query = Totals::read(input.clone())
        .complete()
        .to(table.clone())
        .trigger(Trigger::processing_time(Duration::from_millis(10)))
        .start()
        .unwrap();
    input
        .add_rows(&[reading("a", 1.0), reading("b", 2.0), reading("a", -5.0)])
        .unwrap();
    let wait_for = |expected: &[(&str, i64, f64)]| {
        let expected: Vec<(String, i64, f64)> = expected.iter().map(|(s, n, t)| ((*s).to_owned(), *n, *t)).collect();
        for _ in 0..500 {
            if table.snapshot().is_some_and(|_| totals(&table) == expected) {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("never reached {expected:?}; last {:?}", totals(&table));
    };
    wait_for(&[("a", 1, 1.0), ("b", 1, 2.0)]);
    input
        .add_batch(Reading::to_batch(&[reading("a", 4.0)]).unwrap())
        .unwrap();
    wait_for(&[("a", 2, 5.0), ("b", 1, 2.0)]);
    query.stop();
    let batches: Vec<u64> = query.recent_progress().iter().map(|p| p.num_input_rows).collect();
    assert_eq!(batches, [3, 1]);
    assert!(
        query.last_progress().unwrap().sources[0]
            .description
            .starts_with("MemoryStream[Reading]")
    );
}

#[test]
fn a_batch_of_another_schema_is_refused() {
    let input: MemoryStream<Reading> = MemoryStream::new();
    let other = TotalsRow::to_batch(&[]).unwrap();
    let error = input.add_batch(other).unwrap_err();
    assert!(error.to_string().contains("expected"), "{error}");
}
