"""Reference ("golden") outputs from real Spark for Rill's session-window tests.

Usage:  python make_session_window_golden.py

Regenerates, next to this script:
  input/part-001.json .. input/part-006.json   deterministic test input (random.Random(11))
  expected/session_append.json                per-micro-batch foreachBatch output + progress
  expected/session_complete.json              same, complete output mode
  expected/session_rules.json                 Spark's errors for unsupported session-window uses
  expected/input_summary.json                 per-file summary of the input, with the role each
                                              designed event plays (bridge, exact gap, late ...)

Spark setup and output format are the ones of ../event_time/make_event_time_golden.py
(local[*], loopback only, 4 shuffle partitions, AQE off, session time zone UTC, ANSI left at
its Spark 4 default = true). Checkpoints go to a temporary directory deleted at the end.
"""
import datetime as dt
import json
import os
import random
import re
import shutil
import tempfile
from pathlib import Path

os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"  # loopback only
os.environ["TZ"] = "UTC"

from pyspark.sql import SparkSession, functions as F  # noqa: E402
from pyspark.sql.types import (  # noqa: E402
    DoubleType, StringType, StructField, StructType, TimestampType,
)

HERE = Path(__file__).resolve().parent
INPUT_DIR = HERE / "input"
EXPECTED_DIR = HERE / "expected"

TS_FMT = "%Y-%m-%d %H:%M:%S"
START = dt.datetime(2026, 1, 1, 9, 0, 0)
MTIME_BASE = 1767258000                    # 2026-01-01 09:00:00 UTC, fixed => reproducible

# ---------------------------------------------------------------------------
# 1a. deterministic input
# ---------------------------------------------------------------------------
# The data are designed by hand (minute offsets from 09:00) so that each session-window
# rule is exercised; random.Random(11) only picks the seconds of the non-critical events,
# event types, amounts and the order of the lines inside each file.
# Entry: (user, minute, second or None = random 0..59, role or None)
# Every file's maximum event time has an explicit second, so watermarks are round values.
# With a 10 min watermark delay and maxFilesPerTrigger=1, batch b reads file b+1 and
# (if the watermark is max(previous batch) - 10 min) reports
#   wm = 1970, 09:19:30, 09:49:00, 10:19:00, 10:49:00, 11:19:00, then 11:49:00 (no-data batch).
EXACT = 0
PLAN = [
    # file 1: 09:00 - 09:30
    [
        ("u01", 2, None, None), ("u01", 5, None, None), ("u01", 9, None, None),
        ("u01", 26, None, None),
        ("u02", 3, EXACT, "exact_gap_same_batch: u02 09:03:00 and 09:13:00 are exactly 10 min apart, same file"),
        ("u02", 13, EXACT, "exact_gap_same_batch: partner of u02 09:03:00"),
        ("u02", 27, None, None),
        ("u03", 20, None, None), ("u03", 24, None, None), ("u03", 28, None, None),
        ("u03", 29, 30, "file max 09:29:30"),
        ("u04", 6, None, None), ("u04", 11, None, None), ("u04", 14, None, None),
        ("u04", 18, None, None),
    ],
    # file 2: 09:30 - 10:00
    [
        ("u01", 40, EXACT, "bridge_target: u01 session B (09:40, 09:44)"),
        ("u01", 44, EXACT, "bridge_target: u01 session B (09:40, 09:44)"),
        ("u01", 57, EXACT, "bridge_target: u01 session C (09:57, 09:59), 13 min after B's last event"),
        ("u01", 59, EXACT, "bridge_target: u01 session C; file max 09:59:00"),
        ("u02", 35, None, "cross_batch_extend: 09:35 is within 10 min of u02 09:27 (file 1)"),
        ("u02", 37, None, None), ("u02", 38, None, None),
        ("u02", 55, EXACT, "exact_gap_cross_batch: u02 09:55:00, partner 10:05:00 arrives in file 3"),
        ("u03", 42, None, None), ("u03", 46, None, None), ("u03", 49, None, None),
        ("u04", 30, None, None), ("u04", 31, None, None), ("u04", 33, None, None),
        ("u04", 35, EXACT, "u04 session [09:30, 09:45) ends exactly 4 min before wm 09:49:00 of batch 2"),
    ],
    # file 3: 10:00 - 10:30
    [
        ("u01", 50, EXACT, "bridge: u01 09:50:00 arrives one file later and joins sessions B and C"),
        ("u01", 80, None, None), ("u01", 84, None, None),
        ("u02", 65, EXACT, "exact_gap_cross_batch: u02 10:05:00, exactly 10 min after 09:55:00 (in state)"),
        ("u02", 85, None, None), ("u02", 86, None, None), ("u02", 88, None, None),
        ("u03", 70, None, None), ("u03", 74, None, None),
        ("u03", 78, EXACT, "exact_gap_same_batch: u03 10:18:00 and 10:28:00 exactly 10 min apart"),
        ("u03", 88, EXACT, "exact_gap_same_batch: partner of u03 10:18:00"),
        ("u04", 62, None, None), ("u04", 66, None, None), ("u04", 71, None, None),
        ("u04", 89, EXACT, "file max 10:29:00"),
    ],
    # file 4: 10:30 - 11:00
    [
        ("u01", 100, None, None), ("u01", 104, None, None), ("u01", 108, None, None),
        ("u01", 116, None, None),
        ("u02", 72, EXACT, "merge_before_evict: u02 10:12:00 extends u02's session [09:55, 10:15) "
                           "(in state) to 10:22, past this batch's wm 10:19"),
        ("u02", 95, None, "cross_batch_extend: within 10 min of u02 10:28 (file 3)"),
        ("u02", 99, EXACT, "evict_boundary: u02 10:39:00 ends u02's session at 10:49:00 == "
                           "watermark of batch 4"),
        ("u02", 112, None, None), ("u02", 118, None, None),
        ("u03", 110, None, None), ("u03", 114, None, None),
        ("u03", 119, EXACT, "file max 10:59:00"),
        ("u04", 97, None, "cross_batch_extend: within 10 min of u04 10:29:00 (file 3)"),
        ("u04", 103, None, None),
        ("u04", 41, EXACT, "late_not_dropped: u04 09:41:00, 48 min behind max seen 10:29; "
                           "09:41+gap = 09:51 > previous wm 09:49 but <= current wm 10:19; "
                           "overlaps u04's session [09:30,09:45) that was already emitted/evicted"),
        ("u03", 35, EXACT, "late: u03 09:35:00, 54 min behind max seen 10:29; 09:45 <= 09:49; "
                           "would have joined u03's session 09:42-09:49 still in state"),
    ],
    # file 5: 11:00 - 11:30
    [
        ("u01", 130, None, None), ("u01", 133, None, None), ("u01", 137, None, None),
        ("u02", 125, None, "cross_batch_extend: within 10 min of u02 10:58 (file 4)"),
        ("u02", 140, None, None), ("u02", 145, None, None),
        ("u03", 120, None, "cross_batch_extend: within 10 min of u03 10:59:00 (file 4)"),
        ("u03", 124, None, None), ("u03", 128, None, None),
        ("u04", 140, None, None), ("u04", 142, None, None), ("u04", 146, None, None),
        ("u04", 149, EXACT, "file max 11:29:00"),
        ("u03", 69, EXACT, "late_boundary: u03 10:09:00; 10:09+gap = 10:19:00 == previous wm "
                           "10:19:00; would join u03's session starting 10:10 still in state"),
        ("u02", 50, EXACT, "late: u02 09:50:00, 69 min behind max seen 10:59"),
    ],
    # file 6: 11:30 - 12:00
    [
        ("u01", 150, None, None), ("u01", 155, None, None), ("u01", 158, None, None),
        ("u01", 166, None, None),
        ("u02", 160, None, None), ("u02", 163, None, None), ("u02", 170, None, None),
        ("u03", 165, None, None), ("u03", 170, None, None), ("u03", 172, None, None),
        ("u03", 175, None, None),
        ("u04", 155, None, "cross_batch_extend: within 10 min of u04 11:29:00 (file 5)"),
        ("u04", 178, None, None),
        ("u04", 179, EXACT, "file max 11:59:00"),
        ("u04", 95, EXACT, "late: u04 10:35:00, 54 min behind max seen 11:29; 10:45 <= 10:49"),
    ],
]


def generate_input():
    rng = random.Random(11)
    files, notes = [], []
    next_id = 1
    max_seen = None
    for i, plan in enumerate(PLAN):
        fileno = i + 1
        recs, roles = [], []
        for user, minute, second, role in plan:
            sec = rng.randint(0, 59) if second is None else second
            ts = START + dt.timedelta(minutes=minute, seconds=sec)
            r = rng.random()
            etype = "view" if r < 0.6 else ("cart" if r < 0.85 else "purchase")
            amount = 0.0 if etype == "view" else round(rng.uniform(5, 200), 2)
            rec = {"event_id": f"e{next_id:04d}", "user_id": user, "event_type": etype,
                   "event_time": ts.strftime(TS_FMT), "amount": amount}
            next_id += 1
            recs.append(rec)
            if role:
                roles.append({"event_id": rec["event_id"], "user_id": user,
                              "event_time": rec["event_time"], "design": role})
        # plan is written in user order: shuffle so that times are out of order in the file
        rng.shuffle(recs)
        files.append(recs)
        times = [dt.datetime.strptime(r["event_time"], TS_FMT) for r in recs]
        file_max = max(times)
        prev_max = max_seen
        max_seen = file_max if max_seen is None else max(max_seen, file_max)
        notes.append({"file": f"part-{fileno:03d}.json", "num_events": len(recs),
                      "min_event_time": min(times).strftime(TS_FMT),
                      "max_event_time": file_max.strftime(TS_FMT),
                      "max_seen_before_file": prev_max.strftime(TS_FMT) if prev_max else None,
                      "max_seen_after_file": max_seen.strftime(TS_FMT),
                      "designed_events": roles})

    if INPUT_DIR.exists():
        shutil.rmtree(INPUT_DIR)
    INPUT_DIR.mkdir(parents=True)
    for i, recs in enumerate(files):
        p = INPUT_DIR / f"part-{i + 1:03d}.json"
        with p.open("w", encoding="utf-8", newline="\n") as f:
            for r in recs:
                f.write(json.dumps(r) + "\n")
        mtime = MTIME_BASE + 60 * (i + 1)  # strictly increasing => read in this order
        os.utime(p, (mtime, mtime))
    return files, notes


# ---------------------------------------------------------------------------
# Spark session (same setup as ../event_time and ../spark/seed.py)
# ---------------------------------------------------------------------------
def make_spark():
    spark = (
        SparkSession.builder
        .master("local[*]")
        .appName("rill-session-window-golden")
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
    spark.sparkContext.setLogLevel("ERROR")
    return spark


SCHEMA = StructType([
    StructField("event_id", StringType(), True),
    StructField("user_id", StringType(), True),
    StructField("event_type", StringType(), True),
    StructField("event_time", StringType(), True),
    StructField("amount", DoubleType(), True),
])

AGG = '.agg(F.count("*").alias("events"), F.round(F.sum("amount"), 2).alias("amount"))'
SESSION = ('events.withWatermark("event_time", "10 minutes")'
           '.groupBy(F.session_window("event_time", "10 minutes"), "user_id")' + AGG)
SESSION_ONLY_KEY = ('events.withWatermark("event_time", "10 minutes")'
                    '.groupBy(F.session_window("event_time", "10 minutes"))' + AGG)

QUERIES = [
    ("session_append", SESSION, "append"),
    ("session_complete", SESSION, "complete"),
]
RULES = [
    ("update_mode", SESSION, "update"),
    ("session_window_only_grouping_key", SESSION_ONLY_KEY, "append"),
    ("session_window_only_grouping_key_complete", SESSION_ONLY_KEY, "complete"),
]

SOURCE_CODE = (
    'raw = spark.readStream.schema(SCHEMA).option("maxFilesPerTrigger", 1).json(input)\n'
    'events = raw.withColumn("event_time", F.to_timestamp("event_time"))'
)


def flatten_for_json(df):
    """Window struct -> window_start, window_end strings at the front; timestamps -> strings."""
    cols_front, cols_rest = [], []
    for f in df.schema.fields:
        if isinstance(f.dataType, StructType) and [x.name for x in f.dataType.fields] == ["start", "end"]:
            cols_front.append(F.date_format(F.col(f.name + ".start"), "yyyy-MM-dd HH:mm:ss").alias("window_start"))
            cols_front.append(F.date_format(F.col(f.name + ".end"), "yyyy-MM-dd HH:mm:ss").alias("window_end"))
        elif isinstance(f.dataType, TimestampType):
            cols_rest.append(F.date_format(F.col(f.name), "yyyy-MM-dd HH:mm:ss").alias(f.name))
        else:
            cols_rest.append(F.col(f.name))
    out = df.select(*(cols_front + cols_rest))
    return out.columns, out


def iso_to_plain(s):
    """Spark progress timestamps '2026-01-01T09:50:00.000Z' -> '2026-01-01 09:50:00'."""
    if s is None:
        return None
    d = dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ")
    assert d.microsecond == 0, s
    return d.strftime(TS_FMT)


def progress_list(q):
    res = []
    for p in q.recentProgress:
        j = p.json
        res.append(json.loads(j() if callable(j) else j))
    return res


def build_df(spark, code):
    raw = spark.readStream.schema(SCHEMA).option("maxFilesPerTrigger", 1).json(str(INPUT_DIR))
    events = raw.withColumn("event_time", F.to_timestamp("event_time"))
    return eval(code, {"events": events, "F": F})  # the exact string stored in the JSON


def run_query(spark, work, name, code, mode):
    df = build_df(spark, code)
    captured = {}
    columns_holder = {}

    def on_batch(batch_df, batch_id):
        cols, flat = flatten_for_json(batch_df)
        rows = [list(r) for r in flat.collect()]
        rows.sort()
        captured[batch_id] = rows
        columns_holder["columns"] = cols

    q = (df.writeStream
         .outputMode(mode)
         .foreachBatch(on_batch)
         .trigger(availableNow=True)
         .option("checkpointLocation", str(work / "checkpoints" / name))
         .start())
    q.awaitTermination()
    progress = progress_list(q)
    if not columns_holder:
        columns_holder["columns"] = flatten_for_json(df)[0]

    by_id = {p["batchId"]: p for p in progress}
    assert sorted(by_id) == sorted(captured), (name, sorted(by_id), sorted(captured))
    batches = []
    for bid in sorted(captured):
        p = by_id[bid]
        et = p.get("eventTime", {})
        so = p["stateOperators"][0]
        batches.append({
            "batch_id": bid,
            "num_input_rows": p["numInputRows"],
            "watermark": iso_to_plain(et.get("watermark")),
            "event_time": {k: et.get(k) for k in ("watermark", "min", "max", "avg")},
            "state": {
                "operator": so.get("operatorName"),
                "numRowsTotal": so["numRowsTotal"],
                "numRowsUpdated": so["numRowsUpdated"],
                "numRowsRemoved": so["numRowsRemoved"],
                "numRowsDroppedByWatermark": so["numRowsDroppedByWatermark"],
            },
            "num_output_rows": len(captured[bid]),
            "rows": captured[bid],
        })
    return {
        "query": code,
        "source": SOURCE_CODE,
        "output_mode": mode,
        "trigger": "availableNow=True, maxFilesPerTrigger=1",
        "spark_version": spark.version,
        "columns": columns_holder["columns"],
        "batches": batches,
    }


def error_info(e):
    """Deterministic description of a Spark exception."""
    cond = None
    for getter in ("getCondition", "getErrorClass"):
        fn = getattr(e, getter, None)
        if fn is not None:
            try:
                cond = fn()
            except Exception:  # noqa: BLE001
                cond = None
            if cond:
                break
    msg = str(e).strip()
    # A StreamingQueryException's text goes on with "=== Streaming Query ===", the query's
    # ids, offsets, a temporary checkpoint path and the logical plan (with expression ids):
    # keep only the part before it, and replace the random query id / run id by <uuid>.
    msg = msg.split("=== Streaming Query ===")[0].strip()
    msg = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<uuid>", msg)
    cause = None
    m = re.search(r"terminated with exception: (.*)", msg, re.S)
    if m:
        cause = m.group(1).strip()
    return {
        "exception": type(e).__name__,
        "condition": cond,
        "message": msg,
        "cause_message": cause,
    }


def try_rule(spark, work, name, code, mode):
    """Start the query; record where (and with which error) Spark rejects it."""
    entry = {"name": name, "query": code, "source": SOURCE_CODE, "output_mode": mode,
             "trigger": "availableNow=True, maxFilesPerTrigger=1", "sink": "foreachBatch"}
    try:
        df = build_df(spark, code)
    except Exception as e:  # noqa: BLE001
        entry.update({"stage": "building the DataFrame", "error": error_info(e)})
        return entry
    batches = []
    try:
        q = (df.writeStream
             .outputMode(mode)
             .foreachBatch(lambda b, i: batches.append(i))
             .trigger(availableNow=True)
             .option("checkpointLocation", str(work / "checkpoints" / ("rule_" + name)))
             .start())
    except Exception as e:  # noqa: BLE001
        entry.update({"stage": "writeStream.start()", "error": error_info(e)})
        return entry
    try:
        q.awaitTermination()
    except Exception as e:  # noqa: BLE001
        entry.update({"stage": "awaitTermination() (query failed while running)",
                      "batches_before_failure": sorted(batches), "error": error_info(e)})
        return entry
    entry.update({"stage": "no error: the query ran", "error": None,
                  "batches": sorted(batches)})
    return entry


def main():
    files, notes = generate_input()
    EXPECTED_DIR.mkdir(parents=True, exist_ok=True)
    (EXPECTED_DIR / "input_summary.json").write_text(
        json.dumps({"files": notes, "total_events": sum(len(f) for f in files)}, indent=2) + "\n")

    spark = make_spark()
    print("Spark version:", spark.version, "| ansi:", spark.conf.get("spark.sql.ansi.enabled"),
          "| tz:", spark.conf.get("spark.sql.session.timeZone"),
          "| sessionWindow.merge.sessions.in.local.partition:",
          spark.conf.get("spark.sql.streaming.sessionWindow.merge.sessions.in.local.partition"))
    work = Path(tempfile.mkdtemp(prefix="rill-session-window-golden-"))
    try:
        for name, code, mode in QUERIES:
            res = run_query(spark, work, name, code, mode)
            (EXPECTED_DIR / f"{name}.json").write_text(json.dumps(res, indent=2) + "\n")
            print(f"{name}: " + ", ".join(
                f"b{b['batch_id']}(in={b['num_input_rows']},wm={b['watermark']},"
                f"drop={b['state']['numRowsDroppedByWatermark']},out={len(b['rows'])})"
                for b in res["batches"]))

        rules = {
            "spark_version": spark.version,
            "notes": [
                "Each entry builds the query from 'source' + 'query', then calls "
                "writeStream.outputMode(output_mode).foreachBatch(...).trigger(availableNow=True)"
                ".start() with a fresh checkpoint, then awaitTermination().",
                "'stage' says where Spark raised the error; 'error.message' is str(exception) "
                "up to the '=== Streaming Query ===' dump, with query/run ids replaced by <uuid>; "
                "'error.cause_message' is the text after 'terminated with exception: ' (the "
                "AnalysisException raised while planning the first batch); 'error.condition' is "
                "the error class (getCondition()).",
            ],
            "rules": [try_rule(spark, work, n, c, m) for n, c, m in RULES],
        }
        (EXPECTED_DIR / "session_rules.json").write_text(json.dumps(rules, indent=2) + "\n")
        for r in rules["rules"]:
            err = r["error"]
            print(f"rule {r['name']} ({r['output_mode']}): {r['stage']}: "
                  f"{err['message'].splitlines()[0] if err else None}")
    finally:
        spark.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
