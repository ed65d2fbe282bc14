//! Single runs, for a script that measures each run in a fresh process (`peers.py`).
//!
//! ```sh
//! rill-compare --run-once q1 --threads 1 --data DIR --out result.csv
//! rill-compare --decode-only --data DIR --rounds 5
//! rill-compare --write-csv --data DIR            # writes DIR.csv/, once
//! rill-compare --run-once q1 --format csv --data DIR.csv --out result.csv
//! rill-compare --decode-only --format csv --data DIR.csv
//! ```
//!
//! `--run-once` runs one of Q1, Q2, Q3 and Q6 once over the files, exactly as the comparison does
//! (the same `stream!` queries, an available-now trigger, one micro-batch; Q1 and Q2 without
//! a checkpoint, Q3's file sink with one, as it needs, in a fresh temporary directory), prints
//! `{"engine":"rill","query":"q1","threads":1,"ms":…,"input_rows":…,"result_rows":…}` and
//! writes the result to FILE as canonical CSV (see [`canonical_csv`]).
//!
//! `--decode-only` reads the JSON files into memory, then times the decoder `stream!`
//! generated for Q1 (two of five columns built, all validated) and for a query of all five
//! columns, on one thread, over all the files, and prints one JSON line for each: the median
//! seconds over the rounds and GB/s of input. `--format nested` times Q6's decoder over the
//! nested events instead (`tags` built, the ids and time validated, `device` and `properties`
//! skipped, the records whose tags are null dropped).
//!
//! `--format csv` does both over CSV files instead, with a header line naming the columns:
//! `--run-once` reads them with `FileSource::csv(dir)` and `CsvOptions::default().header(true)`
//! (the same queries, the same `Event` schema), `--decode-only` times the same decoders'
//! `decode_csv` (which splits and converts every field of a record, and builds the projected
//! columns). `--write-csv` writes those files: a CSV copy of the JSON files of DIR in `DIR.csv`
//! (see [`write_csv`]).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use rill::decode::DecodeCounts;
use rill::prelude::*;

use super::{AllColumns, Q1SpendByUser, Q2EventsByHour, Q6EventsByTag, Result, Rows, Val, median, remove_dir};

const USAGE: &str =
    "usage: rill-compare --run-once q1|q2|q3|q6 [--format json|csv] [--threads N] [--data DIR] --out FILE
       rill-compare --decode-only [--format json|csv|nested] [--data DIR] [--rounds N]
       rill-compare --write-csv [--data DIR]

--run-once runs Rill's query once over the JSON (or CSV) files in DIR (one micro-batch, as the
comparison does), prints one JSON line with the time from setup to the last result, and writes
the sorted result rows to FILE as CSV. --decode-only times Rill's generated decoder alone, over
the files already in memory, for Q1's columns and for all five (median of --rounds, default 5).
--write-csv writes a CSV copy of the JSON files in DIR to DIR.csv (with a header line), or
reuses the copy there; it prints the directory. With --format csv, DIR defaults to the default
JSON directory's CSV copy.

q6 reads the nested events (rill-eventgen --nested; DIR defaults to data/nested-<options>), JSON
only. --decode-only --format nested times the decoder of Q6 (the tags arrays built, the ids and
time validated, device and properties skipped) over them.";

/// The files' format: the JSON lines the generator writes, their CSV copy, or the nested JSON
/// lines Q6 reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Csv,
    Nested,
}

impl Format {
    fn extension(self) -> &'static str {
        match self {
            Self::Json | Self::Nested => "json",
            Self::Csv => "csv",
        }
    }

    /// Rill's file source over the files of `dir`: as the comparison reads the JSON files, or
    /// the CSV files with their header line.
    fn source(self, dir: &Path) -> FileSource {
        match self {
            Self::Json | Self::Nested => super::rill_source(dir),
            Self::Csv => FileSource::csv(dir).csv_options(csv_options()),
        }
    }
}

/// How the CSV copy is written, and read: Spark's defaults, with a header line.
fn csv_options() -> CsvOptions {
    CsvOptions::default().header(true)
}

/// What `--run-once` or `--decode-only` was asked.
#[derive(Debug)]
struct Single {
    run_once: Option<String>,
    write_csv: bool,
    format: Format,
    threads: usize,
    data_dir: PathBuf,
    out: Option<PathBuf>,
    rounds: usize,
}

impl Single {
    fn parse(args: &[String]) -> Result<Self, String> {
        let config = rill_eventgen::Config::default();
        let mut single = Self {
            run_once: None,
            write_csv: false,
            format: Format::Json,
            threads: 1,
            data_dir: PathBuf::new(),
            out: None,
            rounds: 5,
        };
        if args.iter().any(|a| a == "--help" || a == "-h") {
            return Err(String::new());
        }
        let mut data_dir = None;
        let mut args = args.iter();
        while let Some(flag) = args.next() {
            match flag.as_str() {
                "--decode-only" => continue,
                "--write-csv" => {
                    single.write_csv = true;
                    continue;
                }
                _ => {}
            }
            let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
            let number = || value.parse::<usize>().map_err(|e| format!("{flag} {value}: {e}"));
            match flag.as_str() {
                "--run-once" => single.run_once = Some(value.to_lowercase()),
                "--format" => {
                    single.format = match value.to_lowercase().as_str() {
                        "json" => Format::Json,
                        "csv" => Format::Csv,
                        "nested" => Format::Nested,
                        _ => return Err(format!("--format {value}: expected json, csv or nested")),
                    }
                }
                "--threads" => single.threads = number()?.max(1),
                "--data" => data_dir = Some(PathBuf::from(value)),
                "--out" => single.out = Some(PathBuf::from(value)),
                "--rounds" => single.rounds = number()?.max(1),
                _ => return Err(format!("unknown option {flag}")),
            }
        }
        if single.run_once.is_some() && single.out.is_none() {
            return Err("--run-once needs --out FILE".to_owned());
        }
        // Q6 reads the nested events, and only Q6 does.
        match (single.run_once.as_deref(), single.format) {
            (Some("q6"), Format::Json) => single.format = Format::Nested,
            (Some("q6"), Format::Csv) => {
                return Err("--run-once q6 reads JSON only: arrays have no CSV form".to_owned());
            }
            (Some(_), Format::Nested) => return Err("--format nested is for q6 and --decode-only".to_owned()),
            _ => {}
        }
        if single.write_csv && single.format != Format::Json {
            return Err("--write-csv reads the JSON files of --data DIR: no --format".to_owned());
        }
        single.data_dir = data_dir.unwrap_or_else(|| {
            let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
            let options = format!(
                "f{}-r{}-s{}-u{}",
                config.files, config.rows_per_file, config.seed, config.users
            );
            let json = data.join(format!("events-{options}"));
            match single.format {
                Format::Json => json,
                Format::Csv => csv_dir(&json),
                Format::Nested => data.join(format!("nested-{options}")),
            }
        });
        Ok(single)
    }
}

#[allow(clippy::print_stdout, reason = "prints its result for the calling script")]
pub(crate) fn main(args: &[String]) -> std::process::ExitCode {
    let single = match Single::parse(args) {
        Ok(single) => single,
        Err(message) => {
            if !message.is_empty() {
                println!("error: {message}\n");
            }
            println!("{USAGE}");
            return std::process::ExitCode::from(2);
        }
    };
    let outcome = match (&single.run_once, &single.out) {
        _ if single.write_csv => write_csv(&single.data_dir),
        (Some(query), Some(out)) => run_once(query, single.format, single.threads, &single.data_dir, out),
        _ => decode_only(single.format, &single.data_dir, single.rounds),
    };
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            println!("FAILED: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// A directory that did not exist before, under the system's temporary directory.
fn fresh_temp_dir(what: &str) -> Result<PathBuf> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let dir = std::env::temp_dir().join(format!("rill-compare-{what}-{}-{nanos}", std::process::id()));
    std::fs::create_dir(&dir)?;
    Ok(dir)
}

#[allow(clippy::print_stdout, reason = "prints its result for the calling script")]
fn run_once(query: &str, format: Format, threads: usize, dir: &Path, out: &Path) -> Result<()> {
    let timed = match query {
        "q1" => super::rill_memory::<Q1SpendByUser>(format.source(dir), threads, None)?,
        "q2" => super::rill_memory::<Q2EventsByHour>(format.source(dir), threads, None)?,
        "q3" => {
            let work = fresh_temp_dir("q3")?;
            let timed = super::rill_q3(format.source(dir), &work.join("output"), threads);
            remove_dir(&work)?;
            timed?
        }
        // The input rows printed are those whose tags are not null (see `run` in main.rs).
        "q6" => super::rill_memory::<Q6EventsByTag>(format.source(dir), threads, None)?,
        other => return Err(format!("--run-once {other}: expected q1, q2, q3 or q6").into()),
    };
    std::fs::write(out, canonical_csv(&timed.rows))?;
    // By hand rather than with `json!`, to keep the fields in this order.
    println!(
        "{{\"engine\":\"rill\",\"query\":\"{query}\",\"format\":\"{}\",\"threads\":{threads},\"ms\":{:.3},\"input_rows\":{},\"result_rows\":{}}}",
        format.extension(),
        timed.elapsed.as_secs_f64() * 1e3,
        timed.input_rows.unwrap_or_default(),
        timed.rows.len()
    );
    Ok(())
}

/// The rows as CSV text, one line each, in their (sorted) order: integers and timestamps (in
/// microseconds since the epoch) as integers, doubles in Rust's shortest round-trip `{}` form
/// (`1809.16`, `0`, never an exponent), strings bare unless they hold a comma, a quote or a line
/// break (then quoted, quotes doubled), nulls empty.
pub(crate) fn canonical_csv(rows: &Rows) -> String {
    let mut text = String::new();
    for row in rows {
        let fields: Vec<String> = row
            .iter()
            .map(|value| match value {
                Val::Null => String::new(),
                Val::Int(v) | Val::Time(v) => v.to_string(),
                Val::Float(v) => format!("{v}"),
                Val::Text(v) if v.is_empty() || v.contains([',', '"', '\n', '\r']) => {
                    format!("\"{}\"", v.replace('"', "\"\""))
                }
                Val::Text(v) => v.clone(),
            })
            .collect();
        text.push_str(&fields.join(","));
        text.push('\n');
    }
    text
}

/// The files of `dir` in `format`, in name order, as file sources list them (no hidden or `_`
/// files).
fn data_files(dir: &Path, format: Format) -> Result<Vec<PathBuf>> {
    let suffix = format!(".{}", format.extension());
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if name.ends_with(&suffix) && !name.starts_with(['.', '_']) {
            files.push(path);
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(format!("no {suffix} files in {}", dir.display()).into());
    }
    Ok(files)
}

/// Where the CSV copy of the JSON files in `json_dir` goes: `DIR.csv`, next to it.
fn csv_dir(json_dir: &Path) -> PathBuf {
    let name = json_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    json_dir.with_file_name(format!("{name}.csv"))
}

/// One event as a JSON line holds it (a missing or null field as `None`).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct EventLine {
    event_id: Option<String>,
    user_id: Option<String>,
    event_type: Option<String>,
    event_time: Option<String>,
    amount: Option<f64>,
}

/// The header line of the CSV copy: `Event`'s columns, in order.
const CSV_HEADER: &str = "event_id,user_id,event_type,event_time,amount";

/// Writes a CSV copy of the JSON files of `json_dir` to [`csv_dir`]`(json_dir)`, unless it is
/// there already (with a `.csv` file for each `.json` file, of the same name), and prints
/// `{"csv_dir":…,"files":…,"written":…}`.
///
/// Each `events-NNNNN.json` becomes `events-NNNNN.csv`, with the same modification time (file
/// sources order files by it): the header line, then one line per JSON line, its five fields in
/// `Event`'s order, comma-separated. Strings are written bare, so a string that would need
/// quoting (one holding a comma, a quote, a backslash or a line break), or an empty one (which a
/// CSV reader takes for null), is refused; doubles in Rust's shortest round-trip `{}` form
/// (`1809.16`, `0`), which reads back as the same double; nulls as empty fields. The copy is
/// written into a hidden directory beside it and renamed into place when complete, so a copy
/// that exists is whole.
#[allow(clippy::print_stdout, reason = "prints its result for the calling script")]
fn write_csv(json_dir: &Path) -> Result<()> {
    let json_files = data_files(json_dir, Format::Json)?;
    let target = csv_dir(json_dir);
    let csv_name = |json: &Path| json.with_extension("csv").file_name().map(std::ffi::OsStr::to_owned);
    let written = if target.exists() {
        let expected: Vec<_> = json_files.iter().filter_map(|f| csv_name(f)).collect();
        let present: Vec<_> = data_files(&target, Format::Csv)
            .unwrap_or_default()
            .iter()
            .filter_map(|f| f.file_name().map(std::ffi::OsStr::to_owned))
            .collect();
        if present != expected {
            return Err(format!(
                "{} holds other files than a CSV copy of {}: remove it, and it is written again",
                target.display(),
                json_dir.display()
            )
            .into());
        }
        false
    } else {
        let partial = target.with_file_name(format!(
            ".{}.partial",
            target.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()
        ));
        remove_dir(&partial)?;
        std::fs::create_dir_all(&partial)?;
        for json in &json_files {
            let csv = partial.join(csv_name(json).ok_or("a JSON file without a name")?);
            std::fs::write(&csv, csv_text(json)?)?;
            let modified = std::fs::metadata(json)?.modified()?;
            std::fs::File::options()
                .write(true)
                .open(&csv)?
                .set_modified(modified)?;
        }
        std::fs::rename(&partial, &target)?;
        true
    };
    let line = serde_json::json!({
        "csv_dir": target,
        "files": json_files.len(),
        "written": written,
    });
    println!("{line}");
    Ok(())
}

/// The CSV text of one JSON-lines file of events (see [`write_csv`]).
fn csv_text(json: &Path) -> Result<String> {
    let text = std::fs::read_to_string(json)?;
    let mut csv = String::with_capacity(text.len());
    csv.push_str(CSV_HEADER);
    csv.push('\n');
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = || format!("{}:{}", json.display(), index + 1);
        let event: EventLine = serde_json::from_str(line).map_err(|e| format!("{}: {e}", at()))?;
        for field in [event.event_id, event.user_id, event.event_type, event.event_time] {
            if let Some(text) = &field {
                if text.is_empty() || text.contains([',', '"', '\\', '\n', '\r']) {
                    return Err(format!("{}: {text:?} would need quoting in CSV", at()).into());
                }
                csv.push_str(text);
            }
            csv.push(',');
        }
        if let Some(amount) = event.amount {
            write!(csv, "{amount}")?;
        }
        csv.push('\n');
    }
    Ok(csv)
}

#[allow(clippy::print_stdout, reason = "prints its result for the calling script")]
fn decode_only(format: Format, dir: &Path, rounds: usize) -> Result<()> {
    // Read first, outside the timing: the decoder alone is timed.
    let files = data_files(dir, format)?
        .into_iter()
        .map(|path| std::fs::read(&path).map(|bytes| (path, bytes)))
        .collect::<Result<Vec<_>, _>>()?;
    let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
    // Q6's decoder drops the records whose tags are null (explode's pushed `isnotnull`): every
    // other record must become a row.
    let dropped = if format == Format::Nested {
        let needle = br#""tags": null"#;
        files
            .iter()
            .map(|(_, data)| data.windows(needle.len()).filter(|w| w == needle).count() as u64)
            .sum()
    } else {
        0
    };
    let options = csv_options();
    let (declared, decoders) = match format {
        Format::Json => (
            <super::Event as Row>::schema(),
            vec![
                (
                    "q1: 2 of 5 columns built, all validated",
                    Q1SpendByUser::facts().inputs.remove(0).schema,
                ),
                ("all 5 columns built", AllColumns::facts().inputs.remove(0).schema),
            ],
        ),
        Format::Csv => (
            <super::Event as Row>::schema(),
            vec![
                (
                    "CSV q1: 2 of 5 columns built, all split and converted",
                    Q1SpendByUser::facts().inputs.remove(0).schema,
                ),
                ("CSV all 5 columns built", AllColumns::facts().inputs.remove(0).schema),
            ],
        ),
        Format::Nested => (
            <super::NestedEvent as Row>::schema(),
            vec![(
                "q6: tags built (records with null tags dropped), ids and time validated, device and properties skipped",
                Q6EventsByTag::facts().inputs.remove(0).schema,
            )],
        ),
    };
    for (name, schema) in decoders {
        let columns: Vec<&str> = schema
            .projection
            .iter()
            .map(|&i| declared.field(i).name().as_str())
            .collect();
        let mut runs = Vec::with_capacity(rounds);
        let mut records = None;
        for _ in 0..rounds {
            let (mut out, mut counts) = (Vec::new(), DecodeCounts::default());
            let started = Instant::now();
            for (path, data) in &files {
                let mut decoder = (schema.decoder)();
                match format {
                    Format::Json | Format::Nested => {
                        decoder.decode_json_lines(path, data, 1, ParseMode::FailFast, &mut counts, &mut out)?;
                    }
                    Format::Csv => {
                        decoder.decode_csv(path, data, &options, ParseMode::FailFast, &mut counts, &mut out)?;
                    }
                }
            }
            runs.push(started.elapsed().as_secs_f64());
            // Outside the timing: check every record became a row, and free the batches.
            let rows: usize = out.iter().map(arrow_array::RecordBatch::num_rows).sum();
            if rows as u64 + dropped != counts.records || counts.malformed != 0 || counts.header_mismatches != 0 {
                return Err(format!(
                    "{name}: {} records decoded into {rows} rows ({dropped} expected dropped), {} malformed, \
                     {} CSV headers not the schema's",
                    counts.records, counts.malformed, counts.header_mismatches
                )
                .into());
            }
            if records.is_some_and(|r| r != counts.records) {
                return Err(format!("{name}: the rounds decoded different numbers of records").into());
            }
            records = Some(counts.records);
            drop(out);
        }
        let median_s = median(&runs);
        let line = serde_json::json!({
            "engine": "rill",
            "format": format.extension(),
            "decoder": name,
            "columns": columns,
            "files": files.len(),
            "bytes": bytes,
            "records": records,
            "rows": records.map(|r| r - dropped),
            "rounds": rounds,
            "runs_s": runs,
            "median_s": median_s,
            "gb_per_s": bytes as f64 / median_s / 1e9,
        });
        println!("{line}");
    }
    Ok(())
}
