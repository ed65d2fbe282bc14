//! The state a checkpoint holds, read without its query, is exactly the state the query held:
//! checked against the query's own complete-mode output, through the library and the `rill`
//! command.

use std::path::Path;
use std::process::Command;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type};
use rill::prelude::*;
use stream_core::checkpoint::CheckpointReader;

rill::stream! {
    schema Event { user_id: String, amount: f64 }

    query Totals(raw: Event) {
        raw.group_by(user_id).agg(events = count(), total = sum(amount))
    }

    query TotalsOfLargeAmounts(raw: Event) {
        raw.filter(amount > 30.0).group_by(user_id).agg(events = count(), total = sum(amount))
    }

    query Counts(raw: Event) {
        raw.group_by(user_id).agg(events = count())
    }
}

/// Runs `Totals` over three files, one per batch; its complete-mode output, as text rows.
fn run(input: &Path, checkpoint: &Path) -> Vec<String> {
    for file in 0..3 {
        let lines: String = (0..5)
            .map(|row| {
                format!(
                    "{{\"user_id\": \"u{}\", \"amount\": {}.{}}}\n",
                    (file + row) % 4,
                    file * 10 + row,
                    row
                )
            })
            .collect();
        std::fs::write(input.join(format!("part-{file}.json")), lines).unwrap();
    }
    let table = MemorySink::named("rill_cli_totals");
    Totals::read(JsonSource::new(input).max_files_per_trigger(1))
        .complete()
        .to(table.clone())
        .checkpoint(checkpoint)
        .trigger(Trigger::AvailableNow)
        .start()
        .unwrap()
        .await_termination()
        .unwrap();
    let mut rows: Vec<String> = table
        .rows::<TotalsRow>()
        .unwrap()
        .iter()
        .map(|r| format!("{} {} {}", r.user_id, r.events, r.total))
        .collect();
    rows.sort();
    rows
}

#[test]
fn the_state_read_back_is_the_state_the_query_held() {
    let (input, checkpoint) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let output = run(input.path(), checkpoint.path());
    let reader = CheckpointReader::open(checkpoint.path()).unwrap();
    assert_eq!(reader.last_committed_batch().unwrap(), Some(2));
    let state = reader.state(0, "", 2).unwrap();
    let (users, counts, sums) = (
        state.column(0).as_string::<i32>(),
        state.column(1).as_primitive::<Int64Type>(),
        state.column(2).as_primitive::<Float64Type>(),
    );
    let mut rows: Vec<String> = (0..state.num_rows())
        .map(|i| format!("{} {} {}", users.value(i), counts.value(i), sums.value(i)))
        .collect();
    rows.sort();
    assert_eq!(rows, output);
    // An earlier batch's state: five rows counted after the first batch, fifteen after three.
    let counted = |batch| {
        let state = reader.state(0, "", batch).unwrap();
        state.column(1).as_primitive::<Int64Type>().values().iter().sum::<i64>()
    };
    assert_eq!((counted(0), counted(2)), (5, 15));
    // A mistake, named.
    let error = reader.state(0, "left", 2).unwrap_err().to_string();
    assert!(error.contains("has no store `left`"), "{error}");
}

#[test]
fn the_command_prints_the_checkpoint_and_its_state() {
    let (input, checkpoint) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let output = run(input.path(), checkpoint.path());
    let rill = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_rill")).args(args).output().unwrap();
        (
            out.status.code(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let dir = checkpoint.path().to_str().unwrap();

    let (code, text, _) = rill(&["checkpoint", dir]);
    assert_eq!(code, Some(0));
    assert!(text.contains("query: Totals"), "{text}");
    assert!(text.contains("operator 0: stateStoreSave"), "{text}");
    assert!(
        text.contains("key (String), value {0:count: i64, 1:sum: f64}"),
        "{text}"
    );
    assert!(text.contains("last committed batch: 2"), "{text}");

    let (code, table, _) = rill(&["state", dir]);
    assert_eq!(code, Some(0));
    assert!(table.contains("|key.0|value.0:count|       value.1:sum|"), "{table}");
    // Each of the query's rows, as show() prints it.
    for row in &output {
        let [user, count, _] = row.split(' ').collect::<Vec<_>>()[..] else {
            panic!("{row}")
        };
        assert!(table.contains(&format!("|   {user}|{count:>13}|")), "{row} in\n{table}");
    }

    let parquet = checkpoint.path().join("state.parquet");
    let (code, text, _) = rill(&["state", dir, "--batch", "1", "--parquet", parquet.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{text}");
    assert!(std::fs::metadata(&parquet).unwrap().len() > 0);

    let (code, _, error) = rill(&["state", dir, "--operator", "3"]);
    assert_eq!(code, Some(1));
    assert!(error.contains("there is no operator 3"), "{error}");
}

#[test]
fn a_compiled_query_is_checked_against_a_checkpoint_without_running_it() {
    use stream_core::checkpoint::Resumable;
    let (input, checkpoint) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    run(input.path(), checkpoint.path());
    let reader = CheckpointReader::open(checkpoint.path()).unwrap();
    assert_eq!(reader.check::<Totals>().unwrap(), Resumable::SamePlan);
    assert_eq!(reader.check::<TotalsOfLargeAmounts>().unwrap(), Resumable::SameState);
    let error = reader.check::<Counts>().unwrap_err().to_string();
    assert!(
        error.contains("operator 0 (`stateStoreSave`): `value.1:sum` (f64) is gone"),
        "{error}"
    );
    // Checking changes nothing.
    assert_eq!(
        CheckpointReader::open(checkpoint.path()).unwrap().metadata(),
        reader.metadata()
    );
}
