//! Writes benchmark event files:
//! `cargo run --release -p rill-eventgen -- --files 20 --rows 100000 --seed 7 [--nested] --out DIR`.

#![allow(clippy::print_stdout, reason = "the command reports what it wrote")]
#![allow(clippy::print_stderr, reason = "the command reports bad arguments")]

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use rill_eventgen::Config;

const USAGE: &str = "usage: rill-eventgen [--files N] [--rows N] [--seed N] [--users N] \
[--seconds-per-file N] [--nested] --out DIR

Writes N files of JSON-lines events (the seed's schema) into DIR, deterministically. --nested
writes the nested shape instead (a device object, a tags array, a properties object).
Defaults: --files 20 --rows 100000 --seed 7 --users 100000 --seconds-per-file 7200.";

fn parse_args(args: impl Iterator<Item = String>) -> Result<(Config, PathBuf), String> {
    let mut config = Config::default();
    let mut out = None;
    let mut args = args.peekable();
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            return Err(String::new());
        }
        if flag == "--nested" {
            config.nested = true;
            continue;
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = || value.parse::<u64>().map_err(|e| format!("{flag} {value}: {e}"));
        let fits = |n: u64| usize::try_from(n).map_err(|e| format!("{flag} {value}: {e}"));
        match flag.as_str() {
            "--files" => config.files = fits(number()?)?,
            "--rows" => config.rows_per_file = fits(number()?)?,
            "--seed" => config.seed = number()?,
            "--users" => {
                config.users = u32::try_from(number()?)
                    .ok()
                    .filter(|&u| u > 0)
                    .ok_or_else(|| format!("--users {value}: must be 1 to {}", u32::MAX))?;
            }
            "--seconds-per-file" => {
                config.seconds_per_file = i64::try_from(number()?).map_err(|e| format!("{flag} {value}: {e}"))?;
            }
            "--out" => out = Some(PathBuf::from(value)),
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    let out = out.ok_or_else(|| "--out DIR is required".to_owned())?;
    Ok((config, out))
}

fn main() -> ExitCode {
    let (config, out) = match parse_args(std::env::args().skip(1)) {
        Ok(parsed) => parsed,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("error: {message}\n");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    match config.write_dir(&out) {
        Ok(written) => {
            println!(
                "wrote {} files, {} rows, {} bytes ({:.1} bytes a row) to {} in {:.2?}",
                written.files.len(),
                written.rows,
                written.bytes,
                written.bytes as f64 / written.rows.max(1) as f64,
                out.display(),
                started.elapsed()
            );
            println!("{config}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: writing to {}: {error}", out.display());
            ExitCode::FAILURE
        }
    }
}
