"""Reference ("golden") outputs from real Spark for issue 10: streaming dropDuplicates without
the event-time column among its keys, CSV header checking with a user schema, and CSV rows
with a wrong number of fields.

Usage:  python make_issue10_golden.py          (pyspark 4.3.0, Java 17)

Regenerates, next to this script:
  input/dedup_simple/part-00N.json        3 one-row files (question 1, simple case)
  input/dedup_rich/part-00N.json          6 files (question 1, late / duplicate / boundary rows)
  input/csv_header/<case>/part-000.csv    one file per header case a..f (question 2)
  input/csv_field_count/all/part-000.csv  all field-count lines in one file (question 3)
  input/csv_field_count/line_N/part-000.csv  each of those lines alone in a file
  expected/dedup_without_event_time.json  per-batch foreachBatch rows + progress fields
  expected/csv_header.json                rows / errors / CSVHeaderChecker warnings per mode
  expected/csv_field_count.json           rows / errors per mode and schema

Spark setup: local[2], loopback only, 4 shuffle partitions, AQE off, session time zone UTC,
ANSI left at its Spark 4 default. Log4j is configured (through a temporary log4j2.properties)
so that WARN lines of the CSV packages go to a temporary file, which is read back after each
read to capture CSVHeaderChecker warnings. File mtimes are fixed so maxFilesPerTrigger=1 reads
the files in name order. Checkpoints, the log file and the log4j config live in a temporary
directory that is deleted at the end. Paths inside Spark messages are rewritten to <issue10>.
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
MTIME_BASE = 1704067200  # 2024-01-01 00:00:00 UTC, fixed => reproducible file order

WORK = Path(tempfile.mkdtemp(prefix="rill-issue10-"))
LOG_FILE = WORK / "csv-warn.log"
LOG4J = WORK / "log4j2.properties"
LOG4J.write_text(f"""\
rootLogger.level = error
rootLogger.appenderRef.console.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{{yy/MM/dd HH:mm:ss}} %p %c{{1}}: %m%n%ex
appender.file.type = File
appender.file.name = file
appender.file.fileName = {LOG_FILE}
appender.file.immediateFlush = true
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = %p %c{{1}}: %m%n
logger.csv1.name = org.apache.spark.sql.catalyst.csv
logger.csv1.level = warn
logger.csv1.appenderRef.file.ref = file
logger.csv2.name = org.apache.spark.sql.execution.datasources.csv
logger.csv2.level = warn
logger.csv2.appenderRef.file.ref = file
""")


def make_spark():
    return (
        SparkSession.builder
        .master("local[2]")
        .appName("rill-issue10-golden")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.default.parallelism", "4")
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{LOG4J}")
        .getOrCreate()
    )


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------
def norm(text):
    """Make Spark messages reproducible: input paths -> <issue10>, temp dir -> <tmp>."""
    if text is None:
        return None
    text = text.replace(str(HERE), "<issue10>").replace(str(WORK), "<tmp>")
    text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<uuid>", text)
    return re.sub(r"o\d+\.collectToPython", "oN.collectToPython", text)


def error_chain(exc):
    """Python exception + the Java cause chain (class: first message line), normalised."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    chain = [f"{type(exc).__name__}: {norm(first)}"]
    je = getattr(exc, "java_exception", None) or getattr(exc, "_origin", None)
    seen = 0
    while je is not None and seen < 10:
        msg = je.getMessage()
        line = str(msg).splitlines()[0] if msg else ""
        chain.append(f"{je.getClass().getName()}: {norm(line)}")
        je = je.getCause()
        seen += 1
    root_full = None
    je = getattr(exc, "java_exception", None) or getattr(exc, "_origin", None)
    while je is not None and je.getCause() is not None:
        je = je.getCause()
    if je is not None and je.getMessage():
        root_full = norm(str(je.getMessage()))
    return {"chain": chain, "root_message": root_full}


def log_pos():
    return LOG_FILE.stat().st_size if LOG_FILE.exists() else 0


def warnings_since(pos):
    if not LOG_FILE.exists():
        return []
    with LOG_FILE.open("r", encoding="utf-8") as f:
        f.seek(pos)
        text = f.read()
    # a log record starts with "<LEVEL> <logger>: "; continuation lines do not
    records, cur = [], None
    for line in text.splitlines():
        if re.match(r"^(WARN|ERROR|INFO) \w+: ", line):
            if cur is not None:
                records.append(cur)
            cur = line
        elif cur is not None:
            cur += "\n" + line
    if cur is not None:
        records.append(cur)
    return [norm(r) for r in records]


def plain(v):
    if v is None or isinstance(v, (str, bool, int, float)):
        return v
    return str(v)


def rows_of(rows):
    return [[plain(x) for x in r] for r in rows]


def write_file(path, text, index=0):
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    mtime = MTIME_BASE + 60 * (index + 1)
    os.utime(path, (mtime, mtime))


def iso_to_plain(s):
    """'2024-01-01T09:50:00.000Z' -> '2024-01-01 09:50:00'."""
    if s is None:
        return None
    assert s.endswith(".000Z"), s
    return s[:-5].replace("T", " ")


def ms_to_plain(ms):
    import datetime as dt
    return (dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=ms)).strftime("%Y-%m-%d %H:%M:%S")


# ---------------------------------------------------------------------------
# 1. streaming dropDuplicates(["event_id"]) after withWatermark (no event time in keys)
# ---------------------------------------------------------------------------
DEDUP_SCHEMA = "event_id string, event_time timestamp"
DEDUP_QUERY = ('spark.readStream.schema("event_id string, event_time timestamp")'
               '.option("maxFilesPerTrigger", 1).json(dir)'
               '.withWatermark("event_time", "10 minutes").dropDuplicates(["event_id"])')

DEDUP_SIMPLE = [
    [("e1", "2024-01-01 10:00:00")],
    [("e2", "2024-01-01 10:05:00")],
    [("e3", "2024-01-01 09:00:00")],
]
# (event_id, event_time, note). Batch N's late filter uses the watermark of batch N-1
# (see README); the notes give both watermarks as computed from the data.
DEDUP_RICH = [
    [("a1", "2024-01-01 10:00:00", "new"),
     ("a2", "2024-01-01 10:02:00", "new")],
    # batch 1: late wm 1970 (batch 0), eviction wm 09:52
    [("a1", "2024-01-01 10:00:00", "exact duplicate of batch 0 row"),
     ("a3", "2024-01-01 10:20:00", "new"),
     ("a2", "2024-01-01 09:40:00", "duplicate key, older time, not late (late wm is 1970)")],
    # batch 2: late wm 09:52 (batch 1), eviction wm 10:10
    [("b1", "2024-01-01 09:52:00", "new, event_time == late-events wm (previous batch wm)"),
     ("b2", "2024-01-01 09:52:01", "new, 1 s after late-events wm, before current wm"),
     ("b3", "2024-01-01 10:10:00", "new, event_time == current batch wm"),
     ("a3", "2024-01-01 09:30:00", "duplicate key, late"),
     ("a4", "2024-01-01 10:25:00", "new")],
    # batch 3: late wm 10:10, eviction wm 10:15
    [("a5", "2024-01-01 09:00:00", "new, late"),
     ("a2", "2024-01-01 10:02:00", "exact duplicate of batch 0 row, late"),
     ("b2", "2024-01-01 10:30:00", "duplicate key, on time"),
     ("a6", "2024-01-01 10:30:00", "new"),
     ("b4", "2024-01-01 10:10:00", "new, event_time == late-events wm"),
     ("b5", "2024-01-01 10:12:00", "new, between late-events wm and current wm")],
    # batch 4: late wm 10:15, eviction wm 10:20
    [("a1", "2024-01-01 10:45:00", "duplicate key first seen at 10:00 (long behind wm), on time"),
     ("a7", "2024-01-01 10:50:00", "new"),
     ("a8", "2024-01-01 10:48:00", "new"),
     ("a8", "2024-01-01 10:48:00", "identical copy in the same batch"),
     ("a10", "2024-01-01 09:00:00", "new id, late copy"),
     ("a10", "2024-01-01 10:55:00", "same id, on-time copy in the same batch")],
    # batch 5: late wm 10:20, eviction wm 10:45
    [("a9", "2024-01-01 11:30:00", "new"),
     ("a2", "2024-01-01 11:29:00", "duplicate key first seen 10:02 (batch 0), on time")],
]


def write_dedup_inputs():
    for name, files in (("dedup_simple", DEDUP_SIMPLE), ("dedup_rich", DEDUP_RICH)):
        d = INPUT_DIR / name
        for i, recs in enumerate(files):
            text = "".join(json.dumps({"event_id": r[0], "event_time": r[1]}) + "\n" for r in recs)
            write_file(d / f"part-{i:03d}.json", text, i)


def run_dedup(spark, name, files):
    src = INPUT_DIR / name
    df = (spark.readStream.schema(DEDUP_SCHEMA).option("maxFilesPerTrigger", 1).json(str(src))
          .withWatermark("event_time", "10 minutes").dropDuplicates(["event_id"]))
    captured, plans = {}, {}

    def on_batch(batch_df, batch_id):
        rows = [[r["event_id"], r["event_time"].strftime("%Y-%m-%d %H:%M:%S")]
                for r in batch_df.collect()]
        captured[batch_id] = sorted(rows)
        # the running query's lastExecution is this batch: read the operator's watermarks
        active = spark.streams.active
        if active:
            text = active[0]._jsq.explainInternal(False)
            line = next(ln for ln in text.splitlines() if "StreamingDeduplicate" in ln)
            m = re.search(r", (\d+), (\d+)\s*$", line)
            plans[batch_id] = {"late_events_ms": int(m.group(1)), "eviction_ms": int(m.group(2))}

    q = (df.writeStream.outputMode("append").foreachBatch(on_batch)
         .trigger(availableNow=True)
         .option("checkpointLocation", str(WORK / "checkpoints" / name)).start())
    q.awaitTermination()
    progress = [json.loads(p.json) for p in q.recentProgress]
    batches = []
    for p in progress:
        bid = p["batchId"]
        so = p["stateOperators"][0]
        et = p.get("eventTime", {})
        pl = plans.get(bid)
        batches.append({
            "batch_id": bid,
            "input_file": f"part-{bid:03d}.json" if bid < len(files) else None,
            "input_rows": ([{"event_id": r[0], "event_time": r[1], "note": r[2] if len(r) > 2 else ""}
                            for r in files[bid]] if bid < len(files) else []),
            "foreach_batch_called": bid in captured,
            "output_rows": captured.get(bid),
            "numInputRows": p["numInputRows"],
            "eventTime": {k: et.get(k) for k in ("watermark", "min", "max", "avg")},
            "watermark": iso_to_plain(et.get("watermark")),
            "operator_watermarks_from_plan": None if pl is None else {
                "late_events": ms_to_plain(pl["late_events_ms"]),
                "eviction": ms_to_plain(pl["eviction_ms"])},
            "stateOperators[0]": {k: so.get(k) for k in (
                "operatorName", "numRowsTotal", "numRowsUpdated", "numRowsRemoved",
                "numRowsDroppedByWatermark")},
            "customMetrics.numDroppedDuplicateRows": so.get("customMetrics", {}).get(
                "numDroppedDuplicateRows"),
        })
    return {
        "query": DEDUP_QUERY,
        "output_mode": "append",
        "trigger": "availableNow=True, maxFilesPerTrigger=1",
        "columns": ["event_id", "event_time"],
        "num_batches": len(progress),
        "no_data_batch_at_end": bool(progress) and progress[-1]["numInputRows"] == 0,
        "batches": batches,
    }


def question1(spark):
    return {
        "spark_version": spark.version,
        "notes": [
            "output_rows sorted; timestamps formatted yyyy-MM-dd HH:mm:ss (UTC).",
            "watermark = progress eventTime.watermark of that batch (= eviction watermark).",
            "operator_watermarks_from_plan = the two watermark literals printed by "
            "StreamingDeduplicate in the batch's physical plan (late-events filter, eviction).",
        ],
        "simple": run_dedup(spark, "dedup_simple", DEDUP_SIMPLE),
        "rich": run_dedup(spark, "dedup_rich", DEDUP_RICH),
    }


# ---------------------------------------------------------------------------
# 2. CSV header vs user schema
# ---------------------------------------------------------------------------
CSV2_SCHEMA = "user_id STRING, amount DOUBLE"
HEADER_CASES = [
    ("a", "header with a space after the comma", "user_id, amount\nu1,1.5\nu2,2.5\n"),
    ("b", "header in upper case", "USER_ID,AMOUNT\nu1,1.5\nu2,2.5\n"),
    ("c", "header names swapped, values follow the header (amount first)",
     "amount,user_id\n1.5,u1\n2.5,u2\n"),
    ("d", "header with unrelated names", "a,b\nu1,1.5\nu2,2.5\n"),
    ("e", "header with 3 names for a 2-column schema (row 1 has 3 values, row 2 has 2)",
     "user_id,amount,extra\nu1,1.5,x\nu2,2.5\n"),
    ("f", "header with 1 name (row 1 has 1 value, row 2 has 2)", "user_id\nu1\nu2,2.5\n"),
]
MODES = ["PERMISSIVE", "DROPMALFORMED", "FAILFAST"]


def write_csv_header_inputs():
    for key, _, text in HEADER_CASES:
        write_file(INPUT_DIR / "csv_header" / key / "part-000.csv", text)


def batch_read(spark, schema, path, options):
    pos = log_pos()
    reader = spark.read.schema(schema)
    for k, v in options.items():
        reader = reader.option(k, v)
    try:
        rows, error = rows_of(reader.csv(str(path)).collect()), None
    except Exception as e:  # noqa: BLE001
        rows, error = None, error_chain(e)
    return {"rows": rows, "error": error, "warnings": warnings_since(pos)}


def stream_read(spark, schema, path, options, name):
    pos = log_pos()
    reader = spark.readStream.schema(schema)
    for k, v in options.items():
        reader = reader.option(k, v)
    out, errors = [], []

    def on_batch(batch_df, _bid):
        # the read happens inside the batch's collect(); catch it here so the Java cause
        # chain is recorded rather than the foreachBatch wrapper (the query then completes)
        try:
            out.extend(rows_of(batch_df.collect()))
        except Exception as e:  # noqa: BLE001
            errors.append(error_chain(e))

    q = (reader.csv(str(path)).writeStream.foreachBatch(on_batch).trigger(availableNow=True)
         .option("checkpointLocation", str(WORK / "checkpoints" / name)).start())
    q.awaitTermination()
    error = errors[0] if errors else None
    return {"rows": None if error else out, "error": error, "warnings": warnings_since(pos)}


def question2(spark):
    res = {
        "spark_version": spark.version,
        "schema": CSV2_SCHEMA,
        "notes": [
            "rows are in schema column order [user_id, amount].",
            "error.chain = Python exception then Java cause chain (class: first message line); "
            "error.root_message = full message of the innermost cause.",
            "warnings = log records of org.apache.spark.sql.{catalyst,execution.datasources}.csv "
            "at WARN or above emitted during that read.",
        ],
        "cases": [],
        "case_sensitive_true": [],
        "streaming_check": [],
    }
    for key, desc, text in HEADER_CASES:
        path = INPUT_DIR / "csv_header" / key
        entry = {"case": key, "description": desc, "file": text, "enforceSchema_true": {},
                 "enforceSchema_false": {}}
        for enforce in (True, False):
            for mode in MODES:
                opts = {"header": True, "mode": mode}
                if not enforce:
                    opts["enforceSchema"] = False
                entry[f"enforceSchema_{str(enforce).lower()}"][mode] = batch_read(
                    spark, CSV2_SCHEMA, path, opts)
        res["cases"].append(entry)

    spark.conf.set("spark.sql.caseSensitive", "true")
    for enforce in (True, False):
        r = batch_read(spark, CSV2_SCHEMA, INPUT_DIR / "csv_header" / "b",
                       {"header": True, "mode": "PERMISSIVE", "enforceSchema": enforce})
        res["case_sensitive_true"].append({"case": "b", "enforceSchema": enforce, "mode": "PERMISSIVE", **r})
    spark.conf.set("spark.sql.caseSensitive", "false")

    # streaming: same reader through readStream + foreachBatch, availableNow
    checks = [(k, m, True) for k in ("a", "c", "e", "f") for m in MODES] + [("c", "PERMISSIVE", False)]
    for i, (key, mode, enforce) in enumerate(checks):
        opts = {"header": True, "mode": mode}
        if not enforce:
            opts["enforceSchema"] = False
        s = stream_read(spark, CSV2_SCHEMA, INPUT_DIR / "csv_header" / key, opts, f"csv_stream_{i}")
        b = next(c for c in res["cases"] if c["case"] == key)[
            f"enforceSchema_{str(enforce).lower()}"][mode]
        res["streaming_check"].append({
            "case": key, "mode": mode, "enforceSchema": enforce, **s,
            "rows_same_as_batch": s["rows"] == b["rows"],
            "warnings_same_as_batch": s["warnings"] == b["warnings"],
            "error_root_same_as_batch": (s["error"] or {}).get("root_message")
            == (b["error"] or {}).get("root_message"),
        })
    return res


# ---------------------------------------------------------------------------
# 3. CSV rows with a wrong number of fields
# ---------------------------------------------------------------------------
CSV3_SCHEMA = "user_id STRING, amount DOUBLE, kind STRING"
CSV3_SCHEMA_CORRUPT = CSV3_SCHEMA + ", _corrupt_record STRING"
CSV3_SCHEMA_CUSTOM = CSV3_SCHEMA + ", bad STRING"
CSV3_SCHEMA_CORRUPT_MIDDLE = "user_id STRING, _corrupt_record STRING, amount DOUBLE, kind STRING"
FIELD_LINES = [
    ("u1,1.5,a", "good"),
    ("u2,2.5", "too few (2 fields)"),
    ("u3,3.5,b,extra", "too many (4 fields)"),
    ("u4", "one field"),
    ("", "empty line"),
    ("u5,", "two fields, second empty"),
    ("u6,6.5,", "three fields, last empty"),
    ("u7,abc,c", "right count, amount not a number (control)"),
]


def write_field_count_inputs():
    text = "".join(line + "\n" for line, _ in FIELD_LINES)
    write_file(INPUT_DIR / "csv_field_count" / "all" / "part-000.csv", text)
    for i, (line, _) in enumerate(FIELD_LINES):
        write_file(INPUT_DIR / "csv_field_count" / f"line_{i}" / "part-000.csv", line + "\n")


def question3(spark):
    res = {
        "spark_version": spark.version,
        "options": {"header": False},
        "lines": [{"index": i, "line": line, "kind": kind} for i, (line, kind) in enumerate(FIELD_LINES)],
        "notes": [
            "whole_file: all lines in one file (input/csv_field_count/all); rows in schema column order.",
            "per_line: each line alone in its own file (input/csv_field_count/line_N), so FAILFAST "
            "shows each line's own verdict; its error is the Java cause chain below "
            "FAILED_READ_FILE (class: first message line).",
        ],
        "schemas": {
            "plain": CSV3_SCHEMA,
            "with_corrupt": CSV3_SCHEMA_CORRUPT,
            "custom_corrupt_name": CSV3_SCHEMA_CUSTOM + "  (option columnNameOfCorruptRecord=bad)",
            "corrupt_in_middle": CSV3_SCHEMA_CORRUPT_MIDDLE,
        },
        "whole_file": {},
        "per_line": [],
    }
    variants = [
        ("plain", CSV3_SCHEMA, {}),
        ("with_corrupt", CSV3_SCHEMA_CORRUPT, {}),
        ("custom_corrupt_name", CSV3_SCHEMA_CUSTOM, {"columnNameOfCorruptRecord": "bad"}),
        ("corrupt_in_middle", CSV3_SCHEMA_CORRUPT_MIDDLE, {}),
    ]
    all_path = INPUT_DIR / "csv_field_count" / "all"
    for vname, schema, extra in variants:
        res["whole_file"][vname] = {}
        for mode in MODES:
            r = batch_read(spark, schema, all_path, {"header": False, "mode": mode, **extra})
            res["whole_file"][vname][mode] = {"rows": r["rows"], "error": r["error"]}
    for i, (line, kind) in enumerate(FIELD_LINES):
        path = INPUT_DIR / "csv_field_count" / f"line_{i}"
        entry = {"index": i, "line": line, "kind": kind}
        for vname, schema, extra in variants[:2]:
            entry[vname] = {}
            for mode in MODES:
                r = batch_read(spark, schema, path, {"header": False, "mode": mode, **extra})
                entry[vname][mode] = {"rows": r["rows"],
                                      "error": None if r["error"] is None else r["error"]["chain"][2:]}
        res["per_line"].append(entry)
    return res


# ---------------------------------------------------------------------------
def dump(name, obj):
    EXPECTED_DIR.mkdir(parents=True, exist_ok=True)
    p = EXPECTED_DIR / name
    p.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print("wrote", p)


def main():
    if INPUT_DIR.exists():
        shutil.rmtree(INPUT_DIR)
    write_dedup_inputs()
    write_csv_header_inputs()
    write_field_count_inputs()
    spark = make_spark()
    try:
        print("Spark version:", spark.version)
        dump("dedup_without_event_time.json", question1(spark))
        dump("csv_header.json", question2(spark))
        dump("csv_field_count.json", question3(spark))
    finally:
        spark.stop()
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
