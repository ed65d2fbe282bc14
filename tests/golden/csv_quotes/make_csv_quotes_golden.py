"""Reference ("golden") outputs from real Spark: how the CSV reader splits records whose quoting
is unusual, in each parse mode.

Usage:  python make_csv_quotes_golden.py          (pyspark 4.3.0, Java 17)

Regenerates, next to this script:
  input/line_NN/part-000.csv   each input line alone in its own file (NN = 01 .. 27)
  input/all/part-000.csv       all lines, in order, in one file
  input/opt_<id>/part-000.csv  the extra lines of the options experiment (id = n1, q1, q2)
  expected/csv_quotes.json     rows / errors per input, schema and mode

Reader: spark.readStream.schema(S).option("mode", M).csv(dir), otherwise default options
(sep ",", quote '"', escape '\\', multiLine=false, header=false, unescapedQuoteHandling default),
written with foreachBatch (availableNow trigger); the batch's collect() is done inside the
foreachBatch function so a FAILFAST error is caught there with its Java cause chain.

Spark setup: local[2], loopback only, 4 shuffle partitions, AQE off, UI off, session time zone
UTC, TZ=UTC. Checkpoints live in a temporary directory that is deleted at the end. Paths inside
Spark messages (input directory, temporary directory) are rewritten to <dir>, py4j object
ids to oN.

Second experiment (JSON key "options_results"): some lines re-read PERMISSIVE with schema
"a string, b string, c string, _corrupt_record string" and one non-default option each:
nullValue "NA", escape '"' (doubled-quote escape), quote "'".
"""
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"  # loopback only
os.environ["TZ"] = "UTC"

from pyspark.sql import SparkSession  # noqa: E402

HERE = Path(__file__).resolve().parent
INPUT_DIR = HERE / "input"
EXPECTED_DIR = HERE / "expected"
MTIME = 1704067200  # 2024-01-01 00:00:00 UTC, fixed

WORK = Path(tempfile.mkdtemp(prefix="rill-csv-quotes-"))

# (number, exact line text without the "\n", description). Raw strings: "\" is one backslash.
LINES = [
    ("01", r'x,"b,c",z', "quoted field holding the delimiter (control)"),
    ("02", r'x,"b""q",z', "doubled quote inside quotes"),
    ("03", r'x,"b\"q",z', "backslash-escaped quote inside quotes"),
    ("04", r'x,"unclosed,z', "quote never closed before the end of the line"),
    ("05", r'x,"b"tail,z', "text after the closing quote"),
    ("06", r'x,b"q,z', "a quote inside an unquoted field"),
    ("07", r'x,"",z', "empty quoted field"),
    ("08", r'x,,z', "empty unquoted field"),
    ("09", r'"x",  "b"  ,z', "spaces around a quoted field"),
    ("10", r'x,"b\\",z', "escaped backslash (two backslashes) before the closing quote"),
    ("11", r'x,"b\q",z', "backslash before an ordinary character inside quotes"),
    ("12", r'x,b\"q,z', "backslash-quote inside an unquoted field"),
    ("13", r'"x,y', "unclosed quote in the first field, nothing else on the line"),
    ("14", r'x,"b"', "quoted last field, only 2 fields"),
    ("15", r'x,"b" ,z', "a space after the closing quote"),
    ("16", r'x,"a,b"c,z', "an unescaped quote after a delimiter inside quotes"),
    ("17", r'x,"a"b"c",z', "quotes in the middle of a quoted field"),
    ("18", r'x,"b" q,z', "text after a space after the closing quote"),
    ("19", r'x,"b"  ,z', "two spaces after the closing quote"),
    ("20", r'x, "b",z', "a space before the opening quote"),
    ("21", r'x,"b",', "quoted field then an empty last field"),
    ("22", r',,', "three empty fields"),
    ("23", r'x,"b"",z', "quote, text, two quotes, then the delimiter"),
    ("24", r'x,"a""",z', "a field ending with two quotes before the closing one"),
    ("25", r'"",,""', "empty quoted first and last fields"),
    ("26", r'x,"b\",z', "backslash before the closing quote: escaped quote, the quote never closes"),
    ("27", r'x,"line""",z', "like 24: a field ending with two quotes before the closing one"),
]

# Second experiment ("options_results"): non-default reader options, PERMISSIVE with S3_CORRUPT.
# Extra lines used only there (id, exact text, description); each alone in input/opt_<id>/.
OPTION_LINES = [
    ("n1", r'x,"NA",NA', "quoted and unquoted NA (for nullValue)"),
    ("q1", r"x,'it''s',z", "doubled single quote inside single quotes (for quote ')"),
    ("q2", r"x,'b,c',z", "single-quoted field holding the delimiter (for quote ')"),
]
# (case name, reader options, inputs: main line numbers or OPTION_LINES ids)
OPTION_CASES = [
    ("nullValue_NA", {"nullValue": "NA"}, ["01", "02", "07", "08", "24", "n1"]),
    ("escape_dquote", {"escape": '"'}, ["01", "02", "07", "08", "24", "n1"]),
    ("quote_squote", {"quote": "'"}, ["01", "02", "07", "08", "24", "n1", "q1", "q2"]),
]

S3 = "a string, b string, c string"
S3_CORRUPT = "a string, b string, c string, _corrupt_record string"
SINT_CORRUPT = "a string, b int, c string, _corrupt_record string"
MODES = ["PERMISSIVE", "DROPMALFORMED", "FAILFAST"]
# (schema, mode) combinations run for every input
COMBOS = [(S3, m) for m in MODES] + [(S3_CORRUPT, "PERMISSIVE"), (SINT_CORRUPT, "PERMISSIVE")]


def make_spark():
    return (
        SparkSession.builder
        .master("local[2]")
        .appName("rill-csv-quotes-golden")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.default.parallelism", "4")
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
def norm(text, input_dir):
    """Rewrite the input directory and the temporary directory to <dir>."""
    if text is None:
        return None
    for p in (str(input_dir), str(WORK)):
        text = text.replace(p, "<dir>")
    text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<uuid>", text)
    return re.sub(r"o\d+\.collectToPython", "oN.collectToPython", text)


def first_line(msg):
    return str(msg).splitlines()[0] if msg else ""


def error_of(exc, input_dir):
    """Innermost Java cause (class + first message line) and the whole chain, normalised."""
    je = getattr(exc, "java_exception", None) or getattr(exc, "_origin", None)
    chain = [f"{type(exc).__name__}: {norm(first_line(str(exc).strip()), input_dir)}"]
    inner, seen = None, 0
    while je is not None and seen < 12:
        chain.append(f"{je.getClass().getName()}: {norm(first_line(je.getMessage()), input_dir)}")
        inner = je
        je = je.getCause()
        seen += 1
    if inner is None:
        return {"class": type(exc).__name__, "message": norm(first_line(str(exc)), input_dir),
                "chain": chain}
    return {"class": inner.getClass().getName(),
            "message": norm(first_line(inner.getMessage()), input_dir),
            "chain": chain}


def plain(v):
    if v is None or isinstance(v, (str, int)):
        return v
    return str(v)


def write_file(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        f.write(text.encode("utf-8"))
    os.utime(path, (MTIME, MTIME))


def write_inputs():
    for num, line, _ in LINES:
        write_file(INPUT_DIR / f"line_{num}" / "part-000.csv", line + "\n")
    write_file(INPUT_DIR / "all" / "part-000.csv", "".join(line + "\n" for _, line, _ in LINES))
    for oid, line, _ in OPTION_LINES:
        write_file(INPUT_DIR / f"opt_{oid}" / "part-000.csv", line + "\n")


def option_input(ref):
    return f"line_{ref}" if ref.isdigit() else f"opt_{ref}"


_counter = [0]


def stream_read(spark, schema, mode, input_dir, options=None):
    _counter[0] += 1
    out, errors, batches = [], [], []

    def on_batch(batch_df, bid):
        batches.append(bid)
        try:
            out.extend([[plain(x) for x in r] for r in batch_df.collect()])
        except Exception as e:  # noqa: BLE001
            errors.append(error_of(e, input_dir))

    reader = spark.readStream.schema(schema).option("mode", mode)
    for k, v in (options or {}).items():
        reader = reader.option(k, v)
    df = reader.csv(str(input_dir))
    q = (df.writeStream.foreachBatch(on_batch).trigger(availableNow=True)
         .option("checkpointLocation", str(WORK / "checkpoints" / f"q{_counter[0]:03d}")).start())
    q.awaitTermination()
    assert len(batches) == 1, batches  # one file => one batch
    error = errors[0] if errors else None
    return {"rows": None if error else out, "error": error}


# ---------------------------------------------------------------------------
def main():
    if INPUT_DIR.exists():
        shutil.rmtree(INPUT_DIR)
    write_inputs()
    spark = make_spark()
    spark.sparkContext.setLogLevel("ERROR")
    try:
        print("Spark version:", spark.version)
        results = []
        inputs = [f"line_{num}" for num, _, _ in LINES] + ["all"]
        for name in inputs:
            for schema, mode in COMBOS:
                r = stream_read(spark, schema, mode, INPUT_DIR / name)
                results.append({"input": name, "schema": schema, "mode": mode, **r})
                print(name, mode, schema, "->", r["rows"] if r["error"] is None
                      else f"ERROR {r['error']['class']}: {r['error']['message']}")
        options_results = []
        for case, opts, refs in OPTION_CASES:
            for ref in refs:
                name = option_input(ref)
                r = stream_read(spark, S3_CORRUPT, "PERMISSIVE", INPUT_DIR / name, opts)
                options_results.append({"case": case, "options": opts, "input": name,
                                        "schema": S3_CORRUPT, "mode": "PERMISSIVE", **r})
                print(case, name, "->", r["rows"] if r["error"] is None
                      else f"ERROR {r['error']['class']}: {r['error']['message']}")
        doc = {
            "spark_version": spark.version,
            "reader": 'spark.readStream.schema(S).option("mode", M).csv(dir) '
                      "(other options default), foreachBatch sink, availableNow trigger",
            "notes": [
                "lines: the exact text of each input line (each file line ends with \\n); "
                "input/line_NN holds that line alone, input/all holds all lines in order.",
                "rows: in file order, lists in schema column order (incl. _corrupt_record). "
                "Values are strings or null; with schema 'a string, b int, ...' column b is a JSON "
                "integer or null.",
                "error: FAILFAST's failure: class and first message line of the innermost Java "
                "cause; chain = Python exception then the Java cause chain (class: first line). "
                "Paths rewritten to <dir>. rows is null when error is set.",
                "options_results: second experiment, same format plus case and options (the "
                "reader options added to mode); PERMISSIVE with schema 'a string, b string, "
                "c string, _corrupt_record string' only. input line_NN = lines[NN], "
                "opt_<id> = options_lines[id].",
            ],
            "lines": {num: line for num, line, _ in LINES},
            "descriptions": {num: desc for num, _, desc in LINES},
            "results": results,
            "options_lines": {oid: line for oid, line, _ in OPTION_LINES},
            "options_descriptions": {oid: desc for oid, _, desc in OPTION_LINES},
            "options_results": options_results,
        }
        EXPECTED_DIR.mkdir(parents=True, exist_ok=True)
        p = EXPECTED_DIR / "csv_quotes.json"
        p.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        print("wrote", p)
    finally:
        spark.stop()
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
