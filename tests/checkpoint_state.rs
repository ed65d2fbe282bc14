//! State in the checkpoint: a delta per batch and a snapshot every few, restored exactly across
//! restarts; damaged files refused by name, or passed over where Spark's state store would be
//! able to (an older snapshot and its deltas).

use crate::common;

use std::path::Path;

use common::write_file;
use rill::prelude::*;

rill::stream! {
    schema Event { user_id: String, amount: f64 }

    query Totals(raw: Event) {
        raw.group_by(user_id).agg(events = count(), total = sum(amount))
    }

    /// The same state as `Totals`, of fewer rows: a filter before the aggregation.
    query TotalsOfLargeAmounts(raw: Event) {
        raw.filter(amount > 30.0).group_by(user_id).agg(events = count(), total = sum(amount))
    }

    /// Another state: an average where `Totals` sums.
    query Averages(raw: Event) {
        raw.group_by(user_id).agg(events = count(), average = avg(amount))
    }
}

/// Input file `index`: four rows over users that come and go, so deltas hold new, changed and
/// unchanged groups.
fn add_input(dir: &Path, index: usize) {
    let lines: Vec<String> = (0..4)
        .map(|row| {
            let user = (index * 3 + row * 5) % 11;
            format!(
                r#"{{"user_id": "u{user:02}", "amount": {}.{}}}"#,
                index * 7 + row,
                row * 3 + 1
            )
        })
        .collect();
    write_file(
        dir,
        &format!("part-{index:03}.json"),
        &lines.iter().map(String::as_str).collect::<Vec<_>>(),
        index as u64,
    );
}

/// Runs `Totals` over what `input` holds, one file per batch, on `checkpoint` (snapshots every
/// `snapshot_every` versions, `retain` batches kept); the complete table, sorted.
fn run(input: &Path, checkpoint: &Path, snapshot_every: u64, retain: u64) -> rill::Result<Vec<String>> {
    let table = MemorySink::named("checkpoint_state");
    let query = Totals::read(JsonSource::new(input).max_files_per_trigger(1))
        .complete()
        .to(table.clone())
        .checkpoint(checkpoint)
        .min_deltas_for_snapshot(snapshot_every)
        .min_batches_to_retain(retain)
        .trigger(Trigger::AvailableNow)
        .start()?;
    query.await_termination()?;
    let mut rows: Vec<String> = table
        .rows::<TotalsRow>()?
        .iter()
        .map(|r| format!("{} {} {:016x}", r.user_id, r.events, r.total.to_bits()))
        .collect();
    rows.sort();
    Ok(rows)
}

/// The table an uninterrupted run over files `0..files` ends with.
fn uninterrupted(files: usize) -> Vec<String> {
    let (input, checkpoint) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for index in 0..files {
        add_input(input.path(), index);
    }
    run(input.path(), checkpoint.path(), 1000, 100).unwrap()
}

fn state_file(checkpoint: &Path, name: &str) -> std::path::PathBuf {
    checkpoint.join("state/0/0").join(name)
}

#[test]
fn state_restored_from_snapshots_and_deltas_equals_an_uninterrupted_run_s() {
    let expected = uninterrupted(11);
    let (input, checkpoint) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    // A restart after every batch or two: each restores from the newest snapshot and the
    // deltas after it.
    let mut last = Vec::new();
    let mut have = 0;
    for files in [1, 2, 4, 5, 7, 8, 10, 11] {
        for index in have..files {
            add_input(input.path(), index);
        }
        have = files;
        last = run(input.path(), checkpoint.path(), 3, 100).unwrap();
    }
    assert_eq!(last, expected);
    // A delta per batch (version = batch + 1), a snapshot every third version.
    for version in 1..=11 {
        assert!(
            state_file(checkpoint.path(), &format!("{version}.delta")).exists(),
            "{version}"
        );
    }
    let snapshots: Vec<u64> = (1..=11)
        .filter(|v| state_file(checkpoint.path(), &format!("{v}.snapshot")).exists())
        .collect();
    assert_eq!(snapshots, [3, 6, 9]);
}

#[test]
fn a_delta_holds_only_the_groups_its_batch_changed() {
    let (input, checkpoint) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for index in 0..6 {
        add_input(input.path(), index);
    }
    run(input.path(), checkpoint.path(), 1000, 100).unwrap();
    for version in 2..=6 {
        let bytes = std::fs::read(state_file(checkpoint.path(), &format!("{version}.delta"))).unwrap();
        let file = rill::state::store::StoreFile::parse(&bytes).unwrap();
        // Four rows a batch: at most four groups changed, never all eleven users.
        assert!(
            (1..=4).contains(&file.records.len()),
            "{version}: {}",
            file.records.len()
        );
    }
}

#[test]
fn a_damaged_snapshot_is_passed_over_for_the_one_before_and_its_deltas() {
    let expected = uninterrupted(8);
    let (input, checkpoint) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for index in 0..7 {
        add_input(input.path(), index);
    }
    run(input.path(), checkpoint.path(), 3, 100).unwrap();
    let snapshot = state_file(checkpoint.path(), "6.snapshot");
    let bytes = std::fs::read(&snapshot).unwrap();
    std::fs::write(&snapshot, &bytes[..bytes.len() / 2]).unwrap();
    add_input(input.path(), 7);
    assert_eq!(run(input.path(), checkpoint.path(), 3, 100).unwrap(), expected);
    // Set aside, so that no later purge relies on it.
    assert!(!snapshot.exists());
    assert!(state_file(checkpoint.path(), "6.snapshot.damaged").exists());
}

#[test]
fn a_damaged_snapshot_with_nothing_to_replace_it_is_refused_by_name() {
    let (input, checkpoint) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for index in 0..7 {
        add_input(input.path(), index);
    }
    // Keeping one batch: the deltas before snapshot 3 are purged once snapshot 6 is written.
    run(input.path(), checkpoint.path(), 3, 1).unwrap();
    assert!(!state_file(checkpoint.path(), "1.delta").exists());
    for name in ["3.snapshot", "6.snapshot"] {
        let path = state_file(checkpoint.path(), name);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[10] ^= 0xff;
        std::fs::write(&path, bytes).unwrap();
    }
    add_input(input.path(), 7);
    let error = run(input.path(), checkpoint.path(), 3, 1).unwrap_err().to_string();
    let newest = state_file(checkpoint.path(), "6.snapshot");
    assert!(
        error.contains(&newest.display().to_string()) && error.contains("checksum"),
        "{error}"
    );
}

/// Damages one file of a checkpoint after three batches; the restart's error.
fn restart_after(damage: impl FnOnce(&Path)) -> String {
    let (input, checkpoint) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for index in 0..3 {
        add_input(input.path(), index);
    }
    run(input.path(), checkpoint.path(), 1000, 100).unwrap();
    damage(checkpoint.path());
    add_input(input.path(), 3);
    run(input.path(), checkpoint.path(), 1000, 100).unwrap_err().to_string()
}

fn truncate(path: &Path) {
    let bytes = std::fs::read(path).unwrap();
    std::fs::write(path, &bytes[..bytes.len() - 5]).unwrap();
}

fn garble(path: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] = b'#';
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn each_damaged_checkpoint_file_is_named_in_the_error() {
    type Damage = fn(&Path);
    let cases: [(&str, Damage, &str); 6] = [
        ("metadata", truncate, "cannot parse"),
        ("offsets/2", truncate, "cannot parse"),
        ("offsets/2", garble, "cannot parse"),
        ("commits/2", truncate, "cannot parse"),
        ("state/0/0/3.delta", truncate, "checksum"),
        ("state/0/0/3.delta", garble, "checksum"),
    ];
    for (file, damage, what) in cases {
        let mut named = None;
        let error = restart_after(|checkpoint| {
            let path = checkpoint.join(file);
            damage(&path);
            named = Some(path);
        });
        let named = named.unwrap().display().to_string();
        assert!(error.contains(&named) && error.contains(what), "{file}: {error}");
    }
}

#[test]
fn a_changed_plan_whose_state_has_the_same_shape_resumes_on_the_checkpoint() {
    let (input, checkpoint) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    for index in 0..3 {
        add_input(input.path(), index);
    }
    run(input.path(), checkpoint.path(), 3, 100).unwrap();
    // Two more files: of their eight rows, two have an amount above 30 (30.7 and 31.10).
    add_input(input.path(), 3);
    add_input(input.path(), 4);
    let table = MemorySink::named("checkpoint_state_filtered");
    let query = TotalsOfLargeAmounts::read(JsonSource::new(input.path()).max_files_per_trigger(1))
        .complete()
        .to(table.clone())
        .checkpoint(checkpoint.path())
        .trigger(Trigger::AvailableNow)
        .start()
        .unwrap();
    query.await_termination().unwrap();
    let events: i64 = table
        .rows::<TotalsOfLargeAmountsRow>()
        .unwrap()
        .iter()
        .map(|row| row.events)
        .sum();
    // The twelve rows counted before the change, and the two the filter lets through.
    assert_eq!(events, 12 + 2);
}

#[test]
fn a_changed_plan_whose_state_has_another_shape_is_refused_naming_the_field() {
    let (input, checkpoint) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    add_input(input.path(), 0);
    run(input.path(), checkpoint.path(), 3, 100).unwrap();
    let error = Averages::read(JsonSource::new(input.path()))
        .complete()
        .to(MemorySink::named("checkpoint_state_averages"))
        .checkpoint(checkpoint.path())
        .start()
        .unwrap_err();
    assert!(matches!(error, rill::Error::CheckpointMismatch(_)), "{error}");
    let message = error.to_string();
    assert!(
        message.contains("operator 0 (`stateStoreSave`): `value.1:sum` (f64) is now `value.1:avg` ((f64, i64))"),
        "{message}"
    );
}
