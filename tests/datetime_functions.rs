//! Datetime functions, compiled by `stream!`, against Spark 4.3's results for the same inputs
//! (`golden/event_time/expected/datetime_functions.json`).

use arrow_array::RecordBatch;
use rill::plan::BatchContext;
use rill::prelude::*;
use serde_json::Value;

rill::stream! {
    schema Instant { text: String }

    query Formats(raw: Instant) {
        raw.with_column(ts = to_timestamp(text))
           .select(
               minutes = date_format(ts, "yyyy-MM-dd HH:mm"),
               iso = date_format(ts, "yyyy-MM-dd'T'HH:mm:ss.SSS"),
               clock = date_format(ts, "HH:mm"),
               compact = date_format(ts, "yyyyMMdd"),
               european = date_format(ts, "dd/MM/yyyy HH:mm:ss"),
               hour = hour(ts),
               minute = minute(ts),
               dayofweek = day_of_week(ts),
               ts,
           )
    }

    query Parses(raw: Instant) {
        raw.select(
            european = to_timestamp(text, "dd/MM/yyyy HH:mm"),
            iso = to_timestamp(text, "yyyy-MM-dd'T'HH:mm:ss.SSS"),
            compact = to_timestamp(text, "yyyyMMdd"),
            zoned = to_timestamp(text, "yyyy-MM-dd HH:mm:ssXXX"),
            minutes = to_timestamp(text, "yyyy-MM-dd HH:mm"),
            default = to_timestamp(text),
        )
    }
}

fn golden() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/golden/event_time/expected/datetime_functions.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Runs a stateless plan over one row holding `text`.
fn run<Q: StreamPlan>(text: &str) -> Q::Output {
    let input: RecordBatch = Instant::to_batch(&[Instant { text: text.to_owned() }]).unwrap();
    let output = Q::create().run_batch(
        &[input.project(&Q::facts().inputs[0].schema.projection).unwrap()],
        OutputMode::Append,
        &mut BatchContext::default(),
    );
    <Q::Output as Row>::from_batch(&output.unwrap()).unwrap().pop().unwrap()
}

#[test]
fn date_format_and_extractors_match_spark() {
    for case in golden()["date_format"].as_array().unwrap() {
        let input = case["input"].as_str().unwrap();
        let row: FormatsRow = run::<Formats>(input);
        let formats = &case["date_format"];
        assert_eq!(row.minutes.as_deref(), formats["yyyy-MM-dd HH:mm"].as_str(), "{input}");
        assert_eq!(
            row.iso.as_deref(),
            formats["yyyy-MM-dd'T'HH:mm:ss.SSS"].as_str(),
            "{input}"
        );
        assert_eq!(row.clock.as_deref(), formats["HH:mm"].as_str(), "{input}");
        assert_eq!(row.compact.as_deref(), formats["yyyyMMdd"].as_str(), "{input}");
        assert_eq!(
            row.european.as_deref(),
            formats["dd/MM/yyyy HH:mm:ss"].as_str(),
            "{input}"
        );
        assert_eq!(row.hour.map(i64::from), case["hour"].as_i64(), "{input}");
        assert_eq!(row.minute.map(i64::from), case["minute"].as_i64(), "{input}");
        assert_eq!(row.dayofweek.map(i64::from), case["dayofweek"].as_i64(), "{input}");
        // What `show()` prints for the timestamp.
        assert_eq!(
            row.ts.map(|t| t.to_string()).as_deref(),
            case["as_string"].as_str(),
            "{input}"
        );
    }
}

#[test]
fn to_timestamp_with_patterns_matches_spark_without_ansi() {
    for case in golden()["to_timestamp"].as_array().unwrap() {
        let input = case["input"].as_str().unwrap();
        let row: ParsesRow = run::<Parses>(input);
        let parsed = match case["format"].as_str() {
            Some("dd/MM/yyyy HH:mm") => row.european,
            Some("yyyy-MM-dd'T'HH:mm:ss.SSS") => row.iso,
            Some("yyyyMMdd") => row.compact,
            Some("yyyy-MM-dd HH:mm:ssXXX") => row.zoned,
            Some("yyyy-MM-dd HH:mm") => row.minutes,
            None => row.default,
            Some(other) => panic!("no column for pattern {other}"),
        };
        // Rill keeps Spark's non-ANSI behaviour: text that does not match is null, not an error.
        assert_eq!(
            parsed.map(|t| t.to_string()).as_deref(),
            case["ansi_false"]["result"].as_str(),
            "{input}"
        );
    }
}
