//! Paths where rows were lost or doubled with exit status 0, each closed: a sink directory
//! shared by two checkpoints, deduplication after a watermark (against Spark 4.3), files named
//! several ways, symbolic links, names that are not UTF-8, orphan part files, and checkpoint
//! files deleted by hand.

use crate::common;

use std::path::{Path, PathBuf};

use common::CapturingSink;
use rill::prelude::*;
use rill::sink::{FileSink, read_file_sink};
use serde_json::Value;

rill::stream! {
    schema Event { event_id: String, amount: f64 }
    query Copy(raw: Event) {
        raw.select(event_id, amount)
    }

    query Totals(raw: Event) {
        raw.agg(events = count(), amount = sum(amount))
    }

    schema Sale { region: String, amount: f64 }
    query Sales(raw: Sale) {
        raw.select(region, amount)
    }

    schema Stamped { event_id: String, event_time: Timestamp }
    /// Spark's `withWatermark("event_time", "10 minutes").dropDuplicates(["event_id"])`.
    query UniqueIds(raw: Stamped) {
        raw.with_watermark(event_time, "10 minutes").drop_duplicates(event_id)
    }
}

const ROWS_PER_FILE: usize = 300;

/// Writes input file `index` of `ROWS_PER_FILE` events, taken in index order.
fn write_events(dir: &Path, index: usize) {
    let lines: Vec<String> = (0..ROWS_PER_FILE)
        .map(|row| format!(r#"{{"event_id": "e{index}-{row}", "amount": {row}.5}}"#))
        .collect();
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    common::write_file(dir, &format!("events-{index:03}.json"), &lines, index as u64);
}

/// Runs `Copy` over `input` into the Parquet sink `output` on `checkpoint`.
fn copy_to_parquet(input: &Path, output: &Path, checkpoint: &Path) -> rill::Result<()> {
    let query = Copy::read(JsonSource::new(input))
        .append()
        .to(FileSink::parquet(output))
        .checkpoint(checkpoint)
        .trigger(Trigger::AvailableNow)
        .start()?;
    query.await_termination()
}

/// Runs `Copy` over `source` into memory on `checkpoint`; returns the event ids read.
fn copy_to_memory(source: FileSource, checkpoint: &Path) -> rill::Result<Vec<String>> {
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let table = MemorySink::named(format!("copy_{run}"));
    let query = Copy::read(source)
        .append()
        .to(table.clone())
        .checkpoint(checkpoint)
        .trigger(Trigger::AvailableNow)
        .start()?;
    query.await_termination()?;
    let mut ids: Vec<String> = table.rows::<CopyRow>()?.into_iter().map(|r| r.event_id).collect();
    ids.sort();
    Ok(ids)
}

fn written_ids(output: &Path) -> Vec<String> {
    let mut ids: Vec<String> = read_file_sink::<CopyRow>(output)
        .unwrap()
        .into_iter()
        .map(|r| r.event_id)
        .collect();
    ids.sort();
    ids
}

struct Dirs {
    input: tempfile::TempDir,
    output: tempfile::TempDir,
    checkpoint: tempfile::TempDir,
}

fn dirs() -> Dirs {
    Dirs {
        input: tempfile::tempdir().unwrap(),
        output: tempfile::tempdir().unwrap(),
        checkpoint: tempfile::tempdir().unwrap(),
    }
}

#[test]
fn a_file_sink_restarted_on_its_checkpoint_keeps_every_row() {
    let d = dirs();
    for index in 0..2 {
        write_events(d.input.path(), index);
    }
    copy_to_parquet(d.input.path(), d.output.path(), d.checkpoint.path()).unwrap();
    for index in 2..4 {
        write_events(d.input.path(), index);
    }
    copy_to_parquet(d.input.path(), d.output.path(), d.checkpoint.path()).unwrap();
    assert_eq!(written_ids(d.output.path()).len(), 4 * ROWS_PER_FILE);
}

#[test]
fn a_sink_directory_of_another_checkpoint_is_refused() {
    let d = dirs();
    write_events(d.input.path(), 0);
    copy_to_parquet(d.input.path(), d.output.path(), d.checkpoint.path()).unwrap();
    write_events(d.input.path(), 1);
    // A second checkpoint would number its batches from 0, which the log already holds.
    let other = tempfile::tempdir().unwrap();
    let error = copy_to_parquet(d.input.path(), d.output.path(), other.path()).unwrap_err();
    let message = error.to_string();
    assert!(
        message.contains("is written by the query of checkpoint") && message.contains("write into another directory"),
        "{message}"
    );
    // A log that names no checkpoint (Spark's, or written before Rill recorded its writer) is
    // refused to a new checkpoint too.
    std::fs::remove_file(d.output.path().join("_spark_metadata/.rill-writer")).unwrap();
    let error = copy_to_parquet(d.input.path(), d.output.path(), other.path()).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("already holds batches 0 to 0 of another query"),
        "{error}"
    );
    // Its own checkpoint still resumes, and nothing was lost or doubled.
    copy_to_parquet(d.input.path(), d.output.path(), d.checkpoint.path()).unwrap();
    assert_eq!(written_ids(d.output.path()).len(), 2 * ROWS_PER_FILE);
}

/// One run of `UniqueIds` over golden input `case`, batch by batch, against Spark's.
fn dedup_against_spark(case: &str) {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/issue10");
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(golden.join("expected/dedup_without_event_time.json")).unwrap())
            .unwrap();
    let expected = expected[case]["batches"].as_array().unwrap();
    let input = tempfile::tempdir().unwrap();
    let mut names: Vec<PathBuf> = std::fs::read_dir(golden.join("input").join(format!("dedup_{case}")))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    for (order, path) in names.iter().enumerate() {
        let text = std::fs::read_to_string(path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let name = path.file_name().unwrap().to_str().unwrap();
        common::write_file(input.path(), name, &lines, order as u64);
    }
    let sink = CapturingSink::default();
    let query = common::run_available_now(
        UniqueIds::read(JsonSource::new(input.path()).max_files_per_trigger(1))
            .append()
            .to(sink.clone()),
    );
    let progress = query.recent_progress();
    let batches = sink.take();
    assert_eq!(
        progress.len(),
        expected.len(),
        "{case}: batches, with the no-data batch"
    );
    for ((spark, ours), (_, output)) in expected.iter().zip(&progress).zip(&batches) {
        let batch = ours.batch_id;
        let rows: Vec<Value> = UniqueIdsRow::from_batch(output)
            .unwrap()
            .into_iter()
            .map(|r| serde_json::json!([r.event_id, r.event_time.to_string()]))
            .collect();
        assert_eq!(
            common::sorted(rows),
            common::sorted(spark["output_rows"].as_array().unwrap().clone()),
            "{case} batch {batch}: rows"
        );
        assert_eq!(spark["numInputRows"], ours.num_input_rows, "{case} batch {batch}");
        let ours: Value = serde_json::from_str(&ours.json()).unwrap();
        assert_eq!(
            spark["eventTime"]["watermark"], ours["eventTime"]["watermark"],
            "{case} batch {batch}: watermark"
        );
        for metric in [
            "operatorName",
            "numRowsTotal",
            "numRowsUpdated",
            "numRowsRemoved",
            "numRowsDroppedByWatermark",
        ] {
            assert_eq!(
                spark["stateOperators[0]"][metric], ours["stateOperators"][0][metric],
                "{case} batch {batch}: {metric}"
            );
        }
    }
}

#[test]
fn deduplication_without_the_event_time_drops_late_rows_and_keeps_keys_as_spark() {
    dedup_against_spark("simple");
    dedup_against_spark("rich");
}

#[test]
fn a_directory_named_another_way_is_the_same_files() {
    let (input, checkpoint) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let dir = input.path().join("in");
    std::fs::create_dir(&dir).unwrap();
    let link = input.path().join("link-to-in");
    std::os::unix::fs::symlink(&dir, &link).unwrap();
    write_events(&dir, 0);
    let mut read = copy_to_memory(FileSource::json(&dir), checkpoint.path()).unwrap().len();
    let spellings = [
        dir.join("."),
        dir.join("..").join("in"),
        link,
        // Relative to the working directory, however deep the temporary directory is.
        PathBuf::from(std::iter::repeat_n("..", 40).collect::<Vec<_>>().join("/")).join(dir.strip_prefix("/").unwrap()),
    ];
    for (index, spelled) in spellings.into_iter().enumerate() {
        write_events(&dir, index + 1);
        let ids = copy_to_memory(FileSource::json(&spelled), checkpoint.path()).unwrap();
        assert_eq!(ids.len(), ROWS_PER_FILE, "`{}` read old files again", spelled.display());
        assert!(ids.iter().all(|id| id.starts_with(&format!("e{}-", index + 1))));
        read += ids.len();
    }
    assert_eq!(read, 5 * ROWS_PER_FILE);
}

#[test]
fn source_log_entries_written_with_paths_as_spelled_are_still_known() {
    let (input, checkpoint) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_events(input.path(), 0);
    copy_to_memory(FileSource::json(input.path()), checkpoint.path()).unwrap();
    // The entry as an older Rill wrote it: the path as the user spelled the directory.
    let entry = checkpoint.path().join("sources/0/0");
    let spelled = input.path().join(".").join("events-000.json");
    std::fs::write(
        &entry,
        format!(
            "v1\n{}",
            serde_json::json!({ "logOffset": 0, "files": [spelled.to_str().unwrap()] })
        ),
    )
    .unwrap();
    write_events(input.path(), 1);
    let ids = copy_to_memory(FileSource::json(input.path()), checkpoint.path()).unwrap();
    assert_eq!(ids.len(), ROWS_PER_FILE);
    assert!(ids.iter().all(|id| id.starts_with("e1-")));
}

#[test]
fn symbolic_links_are_followed_and_a_dangling_one_is_a_missing_file() {
    let (input, elsewhere) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_events(input.path(), 0);
    write_events(elsewhere.path(), 1);
    std::os::unix::fs::symlink(
        elsewhere.path().join("events-001.json"),
        input.path().join("linked.json"),
    )
    .unwrap();
    let checkpoint = tempfile::tempdir().unwrap();
    let ids = copy_to_memory(FileSource::json(input.path()), checkpoint.path()).unwrap();
    assert_eq!(ids.len(), 2 * ROWS_PER_FILE);

    std::os::unix::fs::symlink(elsewhere.path().join("gone.json"), input.path().join("dangling.json")).unwrap();
    let checkpoint = tempfile::tempdir().unwrap();
    let error = copy_to_memory(FileSource::json(input.path()), checkpoint.path()).unwrap_err();
    assert!(
        error.to_string().contains("dangling.json") && error.to_string().contains("dangling symbolic link"),
        "{error}"
    );
    let checkpoint = tempfile::tempdir().unwrap();
    let ids = copy_to_memory(
        FileSource::json(input.path()).ignore_missing_files(true),
        checkpoint.path(),
    )
    .unwrap();
    assert_eq!(ids.len(), 2 * ROWS_PER_FILE);
}

#[test]
fn a_file_name_that_is_not_utf8_is_read_once_and_replayed_exactly() {
    use std::os::unix::ffi::OsStrExt;
    let (input, checkpoint) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let name = std::ffi::OsStr::from_bytes(b"events-\xff\xfe.json");
    std::fs::write(
        input.path().join(name),
        r#"{"event_id": "odd", "amount": 1.0}
"#,
    )
    .unwrap();
    assert_eq!(
        copy_to_memory(FileSource::json(input.path()), checkpoint.path()).unwrap(),
        ["odd"]
    );
    // Restarted: the file is known, by its exact name.
    assert!(
        copy_to_memory(FileSource::json(input.path()), checkpoint.path())
            .unwrap()
            .is_empty()
    );
    // A batch planned but never committed re-runs on exactly its files, this one included.
    std::fs::remove_file(checkpoint.path().join("commits/0")).unwrap();
    assert_eq!(
        copy_to_memory(FileSource::json(input.path()), checkpoint.path()).unwrap(),
        ["odd"]
    );
}

#[test]
fn a_sink_directory_is_read_through_its_log_and_orphans_are_removed() {
    let d = dirs();
    for index in 0..2 {
        write_events(d.input.path(), index);
    }
    copy_to_parquet(d.input.path(), d.output.path(), d.checkpoint.path()).unwrap();
    // What a crash leaves: a part file renamed into place before its batch's log entry, and a
    // hidden one half written.
    let part = std::fs::read_dir(d.output.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "parquet"))
        .unwrap();
    let orphan = d
        .output
        .path()
        .join("part-00007-0a8c3f4e-5a1d-4c2b-9a6e-2f4b8d1c7e90.snappy.parquet");
    let half_written = d.output.path().join(".part-00007-1b2c.snappy.parquet.tmp");
    std::fs::copy(&part, &orphan).unwrap();
    std::fs::write(&half_written, b"PAR1").unwrap();
    // A file source over the sink's directory reads what the log lists, as Spark does.
    let checkpoint = tempfile::tempdir().unwrap();
    let ids = copy_to_memory(FileSource::parquet(d.output.path()), checkpoint.path()).unwrap();
    assert_eq!(ids.len(), 2 * ROWS_PER_FILE);
    // Restarted, the sink removes both.
    copy_to_parquet(d.input.path(), d.output.path(), d.checkpoint.path()).unwrap();
    assert!(!orphan.exists() && !half_written.exists());
    assert!(part.exists());
    assert_eq!(written_ids(d.output.path()).len(), 2 * ROWS_PER_FILE);
}

/// A sink query over three one-file batches, then `damage` to its checkpoint, then a fourth
/// file and a restart: the restart must fail, naming `missing` (relative to the checkpoint).
fn restart_after(damage: impl FnOnce(&Path), missing: &str) {
    let d = dirs();
    for index in 0..3 {
        write_events(d.input.path(), index);
    }
    let run = |d: &Dirs| {
        let query = Copy::read(JsonSource::new(d.input.path()).max_files_per_trigger(1))
            .append()
            .to(FileSink::parquet(d.output.path()))
            .checkpoint(d.checkpoint.path())
            .trigger(Trigger::AvailableNow)
            .start()?;
        query.await_termination()
    };
    run(&d).unwrap();
    damage(d.checkpoint.path());
    write_events(d.input.path(), 3);
    let error = run(&d).unwrap_err().to_string();
    let named = d.checkpoint.path().join(missing);
    assert!(
        error.contains(&format!("`{}`", named.display())) && error.contains("is missing"),
        "expected an error naming `{missing}`: {error}"
    );
    // Nothing was written meanwhile.
    assert_eq!(written_ids(d.output.path()).len(), 3 * ROWS_PER_FILE);
}

#[test]
fn checkpoint_files_deleted_by_hand_are_named_not_skipped() {
    let remove = |name: &'static str| move |checkpoint: &Path| std::fs::remove_file(checkpoint.join(name)).unwrap();
    // The source log's last entry: the files of batch 2 would be unknown, and new files lost.
    restart_after(remove("sources/0/2"), "sources/0/2");
    // A middle entry.
    restart_after(remove("sources/0/1"), "sources/0/1");
    // The last offsets: batch 2 would be planned again with new files and skipped by the sink.
    restart_after(remove("offsets/2"), "offsets/2");
    // The last offsets and commit: the sink's log still has batch 2.
    restart_after(
        |checkpoint| {
            remove("offsets/2")(checkpoint);
            remove("commits/2")(checkpoint);
        },
        "offsets/2",
    );
    // The commits of the last two batches: batches 1 and 2 would run again as one.
    restart_after(
        |checkpoint| {
            remove("commits/1")(checkpoint);
            remove("commits/2")(checkpoint);
        },
        "commits/1",
    );
    // Offsets in the middle.
    restart_after(remove("offsets/1"), "offsets/1");
}

#[test]
fn a_missing_state_snapshot_is_named() {
    let (input, checkpoint) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let run = || {
        let query = Totals::read(JsonSource::new(input.path()).max_files_per_trigger(1))
            .complete()
            .to(MemorySink::named("totals"))
            .checkpoint(checkpoint.path())
            .trigger(Trigger::AvailableNow)
            .start()?;
        query.await_termination()
    };
    for index in 0..2 {
        write_events(input.path(), index);
    }
    run().unwrap();
    std::fs::remove_file(checkpoint.path().join("state/0/0/2.delta")).unwrap();
    write_events(input.path(), 2);
    let error = run().unwrap_err().to_string();
    assert!(
        error.contains(&format!("`{}`", checkpoint.path().join("state/0/0/2.delta").display())),
        "{error}"
    );
}

#[test]
fn a_partitioned_sink_directory_read_as_a_source_keeps_its_partition_columns() {
    let (input, output, checkpoint) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let lines: Vec<String> = (0..30)
        .map(|row| {
            format!(
                r#"{{"region": "{}", "amount": {row}.0}}"#,
                ["north", "south/east", "west"][row % 3]
            )
        })
        .collect();
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    common::write_file(input.path(), "sales.json", &lines, 0);
    common::run_available_now(
        Sales::read(JsonSource::new(input.path()))
            .append()
            .to(FileSink::parquet(output.path()).partition_by(&["region"]))
            .checkpoint(checkpoint.path()),
    );
    // The files hold `amount` only; the region is in their `region=...` directories.
    let table = MemorySink::named("partitioned");
    common::run_available_now(
        Sales::read(FileSource::parquet(output.path()))
            .append()
            .to(table.clone()),
    );
    let mut rows: Vec<(String, f64)> = table
        .rows::<SalesRow>()
        .unwrap()
        .into_iter()
        .map(|r| (r.region, r.amount))
        .collect();
    rows.sort_by(|a, b| a.1.total_cmp(&b.1));
    assert_eq!(rows.len(), 30);
    assert!(
        rows.iter()
            .enumerate()
            .all(|(row, (region, _))| region == ["north", "south/east", "west"][row % 3]),
        "{rows:?}"
    );
}
