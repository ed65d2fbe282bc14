//! `rill`: reads a checkpoint without its query.
//!
//! ```text
//! rill checkpoint <dir>
//!     the query's id, name and plan, its operators and the shape of their state, the batches
//!     kept, the last committed batch and the watermark the next one runs with
//! rill state <dir> [--operator N] [--store NAME] [--batch N] [--rows N] [--parquet FILE]
//!     an operator's state after a batch (the last committed one by default), as Spark's show()
//!     prints a table, or written to a Parquet file
//! ```
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line tool prints its results and errors"
)]

use std::path::PathBuf;
use std::process::ExitCode;

use stream_core::checkpoint::CheckpointReader;
use stream_core::show::{Truncate, show_string};

const USAGE: &str = "usage: rill checkpoint <dir>
       rill state <dir> [--operator N] [--store NAME] [--batch N] [--rows N] [--parquet FILE]";

/// What the command line asks for.
#[derive(Debug, PartialEq)]
enum Command {
    Checkpoint(PathBuf),
    State {
        dir: PathBuf,
        operator: usize,
        store: String,
        batch: Option<u64>,
        rows: usize,
        parquet: Option<PathBuf>,
    },
}

fn parse(args: &[String]) -> Result<Command, String> {
    let (command, rest) = args.split_first().ok_or("no command given")?;
    let (dir, options) = rest
        .split_first()
        .ok_or_else(|| format!("`{command}` needs a checkpoint directory"))?;
    let dir = PathBuf::from(dir);
    match command.as_str() {
        "checkpoint" => match options.first() {
            None => Ok(Command::Checkpoint(dir)),
            Some(option) => Err(format!("`checkpoint` takes no option `{option}`")),
        },
        "state" => {
            let (mut operator, mut store, mut batch, mut rows, mut parquet) = (0, String::new(), None, 20, None);
            let mut options = options.iter();
            while let Some(option) = options.next() {
                let value = options.next().ok_or_else(|| format!("`{option}` needs a value"))?;
                let number = || {
                    value
                        .parse::<u64>()
                        .map_err(|_| format!("`{option}` takes a number, not `{value}`"))
                };
                match option.as_str() {
                    "--operator" => operator = usize::try_from(number()?).map_err(|e| e.to_string())?,
                    "--store" => store.clone_from(value),
                    "--batch" => batch = Some(number()?),
                    "--rows" => rows = usize::try_from(number()?).map_err(|e| e.to_string())?,
                    "--parquet" => parquet = Some(PathBuf::from(value)),
                    _ => return Err(format!("unknown option `{option}`")),
                }
            }
            Ok(Command::State {
                dir,
                operator,
                store,
                batch,
                rows,
                parquet,
            })
        }
        _ => Err(format!("unknown command `{command}`")),
    }
}

fn run(command: Command) -> Result<String, Box<dyn std::error::Error>> {
    match command {
        Command::Checkpoint(dir) => describe(&CheckpointReader::open(dir)?),
        Command::State {
            dir,
            operator,
            store,
            batch,
            rows,
            parquet,
        } => {
            let reader = CheckpointReader::open(&dir)?;
            let batch = match batch {
                Some(batch) => batch,
                None => reader
                    .last_committed_batch()?
                    .ok_or_else(|| format!("checkpoint `{}` has no committed batch yet", dir.display()))?,
            };
            let state = reader.state(operator, &store, batch)?;
            if let Some(path) = parquet {
                let file =
                    std::fs::File::create(&path).map_err(|e| format!("cannot create `{}`: {e}", path.display()))?;
                let mut writer = parquet::arrow::ArrowWriter::try_new(file, state.schema(), None)?;
                writer.write(&state)?;
                writer.close()?;
                return Ok(format!("{} rows written to {}\n", state.num_rows(), path.display()));
            }
            Ok(show_string(&[state], rows, Truncate::Default))
        }
    }
}

/// The checkpoint's metadata, operators and batches, as text.
fn describe(reader: &CheckpointReader) -> Result<String, Box<dyn std::error::Error>> {
    use std::fmt::Write as _;
    let metadata = reader.metadata();
    let mut text = String::new();
    writeln!(text, "query: {} (id {})", metadata.name, metadata.id)?;
    writeln!(text, "plan fingerprint: {}", metadata.fingerprint)?;
    match &metadata.state {
        Some(operators) if operators.is_empty() => writeln!(text, "state: none (a stateless query)")?,
        Some(operators) => {
            for (index, operator) in operators.iter().enumerate() {
                writeln!(text, "operator {index}: {}", operator.operator)?;
                for store in &operator.stores {
                    let name = if store.name.is_empty() {
                        "(default)"
                    } else {
                        &store.name
                    };
                    writeln!(text, "  store {name}: key {}, value {}", store.key, store.value)?;
                }
            }
        }
        None => writeln!(text, "state: not recorded (written by an earlier Rill)")?,
    }
    let planned = reader.planned_batches()?;
    match (planned.first(), planned.last()) {
        (Some(first), Some(last)) => writeln!(text, "batches planned: {first}..={last}")?,
        _ => writeln!(text, "batches planned: none")?,
    }
    match reader.last_committed_batch()? {
        Some(batch) => {
            let commit = reader.commit(batch)?;
            let offsets = reader.offsets(batch)?;
            writeln!(text, "last committed batch: {batch}")?;
            writeln!(text, "its offsets: {}", serde_json::to_string(&offsets.source_offsets)?)?;
            writeln!(text, "next batch's watermark: {} ms", commit.next_batch_watermark_ms)?;
        }
        None => writeln!(text, "last committed batch: none")?,
    }
    write!(text, "plan:\n{}", metadata.plan)?;
    Ok(text)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match parse(&args) {
        Ok(command) => command,
        Err(message) => {
            eprintln!("rill: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(command) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("rill: {error}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn options_parse_and_mistakes_are_named() {
        assert_eq!(
            parse(&args("state ck --store left --batch 3 --operator 1")).unwrap(),
            Command::State {
                dir: "ck".into(),
                operator: 1,
                store: "left".into(),
                batch: Some(3),
                rows: 20,
                parquet: None
            }
        );
        assert_eq!(parse(&args("checkpoint ck")).unwrap(), Command::Checkpoint("ck".into()));
        for (line, message) in [
            ("", "no command"),
            ("state", "needs a checkpoint directory"),
            ("state ck --batch x", "takes a number, not `x`"),
            ("state ck --batch", "needs a value"),
            ("state ck --what 1", "unknown option `--what`"),
            ("show ck", "unknown command `show`"),
        ] {
            let error = parse(&args(line)).unwrap_err();
            assert!(error.contains(message), "{line}: {error}");
        }
    }
}
