"""Reference ("golden") outputs from real Spark for stream-stream joins: a file stream of ad
views joined with a file stream of ad clicks.

Usage:  python make_stream_stream_join_golden.py          (pyspark 4.3.0, Java 17)

Regenerates, next to this script:
  input/views/part-00N.json    6 files (one micro-batch each), 4-6 JSON lines each
  input/clicks/part-00N.json   5 files (one micro-batch each), 4-6 JSON lines each
  expected/<query>.json        every batch Spark runs (no-data batches included): batch id,
                               numInputRows (total and per source), watermark, eventTime
                               stats, state operator metrics, rows; plus the output columns
                               and their types
  expected/errors.json         Spark's errors for unsupported stream-stream joins (or, for the
                               ones Spark accepts, the row count of every batch)

Every query: views = spark.readStream.schema(VIEWS_SCHEMA).option("maxFilesPerTrigger", 1)
.json("input/views"), clicks likewise from "input/clicks"; W / C are the watermarked streams
(see SOURCE_CODE) -> the query text (stored in "spark", eval'ed exactly as stored) ->
writeStream.outputMode(mode).trigger(availableNow=True).foreachBatch(fn), a fresh checkpoint
per query (temp dir, deleted at the end).  In fn the batch is encoded with
spark_golden.collect_encoded (timestamps -> epoch microseconds, doubles via plain()), then rows
are sorted by all columns as strings, nulls first (see sort_key).

Spark setup: local[1], loopback only, 1 shuffle partition, AQE off, UI off, session time zone
UTC, TZ=UTC.  File mtimes are fixed (base + 60 s x index) so maxFilesPerTrigger=1 reads each
side's files in name order (batch N reads views part-00N and clicks part-00N) and two runs give
byte-identical output.
"""
import datetime as dt
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"  # loopback only
os.environ["TZ"] = "UTC"

from pyspark.logger import PySparkLogger  # noqa: E402
from pyspark.sql import SparkSession  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

# pyspark logs captured SQL errors (with JVM stack traces) through these loggers; the expected
# analysis errors are recorded, so keep stderr quiet.
for _logger in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
    PySparkLogger.getLogger(_logger).setLevel(logging.CRITICAL + 1)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from spark_golden import collect_encoded  # noqa: E402

HERE = Path(__file__).resolve().parent
INPUT_DIR = HERE / "input"
EXPECTED_DIR = HERE / "expected"
MTIME_BASE = 1704067200  # 2024-01-01 00:00:00 UTC, fixed => reproducible file order

VIEWS_SCHEMA = "view_id string, v_ad string, v_user string, view_time timestamp"
VIEWS_COLUMNS = ["view_id", "v_ad", "v_user", "view_time"]
CLICKS_SCHEMA = "click_id string, c_ad string, click_time timestamp, amount double"
CLICKS_COLUMNS = ["click_id", "c_ad", "click_time", "amount"]

DAY = "2026-03-01T"  # times are written as "2026-03-01THH:mm:ss" (UTC session zone)

# Batch N reads views part-00N and clicks part-00N.  "wm1" etc. below are the global
# watermarks Spark reports (min policy): wm1 09:55, wm2 10:10, wm3 10:32, wm4 10:50,
# wm5 11:10, wm6 11:15 (see README.md).  Range condition: click_time in
# [view_time, view_time + 15 min].  A time of None is a null timestamp.
VIEWS = [
    [  # part-000 (batch 0)
        ("v01", "a1", "u1", "10:00:00"),  # a1 x (c01, c02) in batch 0; c02 exactly +15; c10 (b2)
        ("v02", "a1", "u2", "10:02:00"),  # a1 again: c01, c02 (b0), c10 (b2)
        ("v03", "a2", "u1", "10:05:00"),  # c05 (b1) inside; c09 (b2) exactly +15 (two batches later)
        ("v04", None, "u3", "10:06:00"),  # null key
        ("v05", "a9", "u4", "10:08:00"),  # a9: no click ever
    ],
    [  # part-001 (batch 1)
        ("v06", "a3", "u5", "10:10:00"),  # c04 (b0) click_time == view_time, click came first;
                                          # c07 (b1) 10:26 one minute too late
        ("v07", "a1", "u3", "10:20:00"),  # c06 (b1, null amount); c02 10:15 too early for it
        ("v08", "a4", "u6", "10:22:00"),  # a4: c17 10:45 / c18 10:50 too late, c14 dropped as
                                          # late -> unmatched (null row in outer joins)
        ("v09", "a2", "u2", "10:25:00"),  # c05 10:18 too early, c09 10:20 too early
        ("v10", "a5", "u7", None),        # null view_time
    ],
    [  # part-002 (batch 2)
        ("v11", "a2", "u8", "09:50:00"),  # LATE (09:50 <= wm1 09:55)
        ("v12", "a6", "u1", "10:35:00"),  # c12 (b2) click_time == view_time; c15 (b3) inside
        ("v13", "a1", "u4", "10:40:00"),  # c13 (b2) exactly +15
        ("v14", "a4", "u2", "10:42:00"),  # c18 (b3) and c17 (b4) inside
    ],
    [  # part-003 (batch 3)
        ("v15", "a4", "u5", "10:08:00"),  # LATE (10:08 <= wm2 10:10)
        ("v16", "a6", "u3", "10:50:00"),  # c15 10:49 one minute too early
        ("v17", "a7", "u6", "10:55:00"),  # c16 (b3) exactly +15
        ("v18", "a2", "u1", "11:00:00"),  # c21 (b4) inside (a batch later)
        ("v19", None, "u2", "11:02:00"),  # null key (no null-key click in range)
    ],
    [  # part-004 (batch 4)
        ("v20", "a8", "u1", "11:15:00"),  # a8 x (c19, c20) in batch 4; c20 exactly +15
        ("v21", "a8", "u2", "11:16:00"),  # a8 again: c19, c20
        ("v22", "a9", "u3", "10:30:00"),  # LATE (10:30 <= wm3 10:32)
        ("v23", "a2", "u4", "11:20:00"),  # c21 11:14 too early
        ("v28", "a4", "u5", "10:33:00"),  # not late (> wm3 10:32) but already behind the views'
                                          # state bound (wm4 10:50 - 15 min): stored and evicted
                                          # in this batch; c17 (same batch) 10:45 inside
        ("v29", "a6", "u6", "10:34:00"),  # not late, behind the state bound like v28: c12 10:35
                                          # and c15 10:49 (exactly +15), both still in state
    ],
    [  # part-005 (batch 5: the clicks have run out)
        ("v24", "a2", "u5", "11:28:00"),  # no click after it
        ("v25", "a8", "u6", "11:50:00"),  # c20 11:30 too early
        ("v26", "a1", "u7", "10:45:00"),  # LATE (10:45 <= wm4 10:50)
        ("v27", "a11", "u8", "12:00:00"),  # a11: no click ever; pushes the views watermark to 11:50
    ],
]

# (click_id, ad, time-of-day, amount).  Amounts are multiples of 0.25 so sums are exact.
CLICKS = [
    [  # part-000 (batch 0)
        ("c01", "a1", "10:05:00", 2.5),   # v01, v02 (same batch)
        ("c02", "a1", "10:15:00", 1.0),   # v01 (exactly +15), v02; amount exactly 1 (filter: no)
        ("c03", None, "10:07:00", 3.0),   # null key
        ("c04", "a3", "10:10:00", 0.75),  # v06 (b1): click_time == view_time
    ],
    [  # part-001 (batch 1)
        ("c05", "a2", "10:18:00", 4.25),  # v03 inside; v09 10:25 is after it
        ("c06", "a1", "10:30:00", None),  # null amount; v07 inside; v01/v02 too late
        ("c07", "a3", "10:26:00", 5.0),   # v06 10:10 + 16 min: too late -> unmatched
        ("c08", "a7", None, 1.5),         # null click_time
    ],
    [  # part-002 (batch 2)
        ("c09", "a2", "10:20:00", 1.25),  # v03 (batch 0) exactly +15; v09 too early
        ("c10", "a1", "10:12:00", 0.5),   # v01, v02 (batch 0, two batches earlier)
        ("c11", "a1", "09:55:00", 2.0),   # LATE: exactly wm1 09:55
        ("c12", "a6", "10:35:00", 6.0),   # v12 (same batch) click_time == view_time
        ("c13", "a1", "10:55:00", 7.5),   # v13 (same batch) exactly +15
    ],
    [  # part-003 (batch 3)
        ("c14", "a4", "10:10:00", 1.5),   # LATE: exactly wm2 10:10
        ("c15", "a6", "10:49:00", 3.25),  # v12 (batch 2) inside; v16 10:50 one minute too early
        ("c16", "a7", "11:10:00", 2.75),  # v17 exactly +15
        ("c18", "a4", "10:50:00", 8.0),   # v14 (batch 2) inside; v08 10:22 too late
        ("c24", "a3", "10:27:00", 1.75),  # not late (> wm2 10:10) but already behind the clicks'
                                          # state bound (wm3 10:32): not stored (right/full outer:
                                          # stored, evicted at once); v06 10:10 + 17 min too late
        ("c25", "a2", "10:19:00", 0.25),  # not late, behind the state bound like c24: v03
                                          # (batch 0) inside; v03 is evicted at the end of this batch
    ],
    [  # part-004 (batch 4, the last click file)
        ("c17", "a4", "10:45:00", 0.25),  # not late (> wm3 10:32), behind the clicks' state bound
                                          # (wm4 10:50): v14 (batch 2) and v28 (same batch) inside
        ("c19", "a8", "11:20:00", 1.0),   # v20, v21
        ("c20", "a8", "11:30:00", 2.25),  # v20 (exactly +15), v21
        ("c21", "a2", "11:14:00", 3.5),   # v18 (batch 3) inside; v23 11:20 too early
        ("c22", "a5", "10:31:00", 1.0),   # LATE (10:31 <= wm3 10:32)
        ("c23", "a10", "11:35:00", 4.0),  # a10: no view ever; pushes the clicks watermark to 11:15
    ],
]

SOURCE_CODE = (
    'views = spark.readStream.schema(VIEWS_SCHEMA).option("maxFilesPerTrigger", 1)'
    '.json("input/views")\n'
    'clicks = spark.readStream.schema(CLICKS_SCHEMA).option("maxFilesPerTrigger", 1)'
    '.json("input/clicks")\n'
    'W = views.withWatermark("view_time", "10 minutes")\n'
    'C = clicks.withWatermark("click_time", "20 minutes")\n'
    'RANGE = "v_ad = c_ad AND click_time >= view_time AND click_time <= view_time + interval 15 minutes"\n'
    'STRICT = "v_ad = c_ad AND click_time > view_time AND click_time < view_time + interval 15 minutes"'
)
RANGE = "v_ad = c_ad AND click_time >= view_time AND click_time <= view_time + interval 15 minutes"
STRICT = "v_ad = c_ad AND click_time > view_time AND click_time < view_time + interval 15 minutes"

MAX_POLICY = {"spark.sql.streaming.multipleWatermarkPolicy": "max"}

# name, output mode, PySpark code (eval'ed as is), extra session conf for this query only
QUERIES = [
    ("inner_no_watermark", "append", 'views.join(clicks, F.expr("v_ad = c_ad"))', {}),
    ("inner_range", "append", 'W.join(C, F.expr(RANGE))', {}),
    ("left_outer_range", "append", 'W.join(C, F.expr(RANGE), "left_outer")', {}),
    ("right_outer_range", "append", 'W.join(C, F.expr(RANGE), "right_outer")', {}),
    ("full_outer_range", "append", 'W.join(C, F.expr(RANGE), "full_outer")', {}),
    ("left_semi_range", "append", 'W.join(C, F.expr(RANGE), "left_semi")', {}),
    ("strict_range_left_outer", "append", 'W.join(C, F.expr(STRICT), "left_outer")', {}),
    ("filter_join_select", "append",
     'W.join(C.filter("amount > 1"), F.expr(RANGE))'
     '.select("view_id", "click_id", (F.col("amount") * 2).alias("double_amount"))', {}),
    ("watermark_left_only_inner", "append", 'W.join(clicks, F.expr(RANGE))', {}),
    ("inner_range_max_policy", "append", 'W.join(C, F.expr(RANGE))', MAX_POLICY),
    # Each join input may carry only ONE event-time column (see errors.json,
    # window_key_both_time_columns): the window column is it here, and view_time / click_time
    # ride along as plain timestamps (re-computed, so they lose the watermark metadata).
    ("window_key_left_outer", "append",
     'W.select("view_id", "v_ad", F.window("view_time", "10 minutes").alias("vw"),'
     ' F.timestamp_micros(F.unix_micros("view_time")).alias("view_time"))'
     '.join(C.select("click_id", "c_ad", F.window("click_time", "10 minutes").alias("cw"),'
     ' F.timestamp_micros(F.unix_micros("click_time")).alias("click_time")),'
     ' F.expr("v_ad = c_ad AND vw = cw"), "left_outer")'
     '.select("view_id", "v_ad", "view_time", "click_id", "click_time")', {}),
    ("union_aggregate", "update",
     'views.select(F.col("v_ad").alias("ad"), F.col("view_time").alias("t"))'
     '.union(clicks.select(F.col("c_ad").alias("ad"), F.col("click_time").alias("t")))'
     '.groupBy("ad").count()', {}),
]

# Unsupported stream-stream joins: (case, output mode, code).
ERROR_QUERIES = [
    ("left_outer_no_watermark", "append",
     'views.join(clicks, F.expr("v_ad = c_ad"), "left_outer")'),
    ("left_outer_watermarks_no_range", "append",
     'W.join(C, F.expr("v_ad = c_ad"), "left_outer")'),
    ("right_outer_left_watermark_only", "append",
     'W.join(clicks, F.expr(RANGE), "right_outer")'),
    ("full_outer_left_watermark_only", "append",
     'W.join(clicks, F.expr(RANGE), "full_outer")'),
    ("full_outer_right_watermark_only", "append",
     'views.join(C, F.expr(RANGE), "full_outer")'),
    ("left_semi_no_watermark", "append",
     'views.join(clicks, F.expr("v_ad = c_ad"), "left_semi")'),
    ("inner_update_mode", "update",
     'views.join(clicks, F.expr("v_ad = c_ad"))'),
    ("inner_complete_mode", "complete",
     'views.join(clicks, F.expr("v_ad = c_ad"))'),
    ("inner_range_update_mode", "update",
     'W.join(C, F.expr(RANGE))'),
    ("aggregate_then_join", "append",
     'views.groupBy("v_ad").count().join(clicks, F.expr("v_ad = c_ad"))'),
    ("aggregate_then_join_update_mode", "update",
     'views.groupBy("v_ad").count().join(clicks, F.expr("v_ad = c_ad"))'),
    ("left_outer_range_update_mode", "update",
     'W.join(C, F.expr(RANGE), "left_outer")'),
    # Query 11 as first written: each side keeps its watermarked time column AND the window
    # derived from it, i.e. two event-time columns per join input.  start() accepts it; the
    # first batch fails.
    ("window_key_both_time_columns", "append",
     'W.select("*", F.window("view_time", "10 minutes").alias("vw"))'
     '.join(C.select("*", F.window("click_time", "10 minutes").alias("cw")),'
     ' F.expr("v_ad = c_ad AND vw = cw"), "left_outer")'
     '.select("view_id", "v_ad", "view_time", "click_id", "click_time")'),
]

# Per-operator fields recorded from the progress.  customMetrics are kept except the ones that
# measure bytes or milliseconds (they differ from run to run).
STATE_FIELDS = ["operatorName", "numRowsTotal", "numRowsUpdated", "numRowsRemoved",
                "numRowsDroppedByWatermark", "numShufflePartitions", "numStateStoreInstances"]
NONDETERMINISTIC_METRIC = re.compile(r"(Bytes|TimeMs|Ms)$|SizeBytes|Time")

WORK = Path(tempfile.mkdtemp(prefix="rill-stream-stream-join-"))


def make_spark():
    spark = (
        SparkSession.builder
        .master("local[1]")
        .appName("rill-stream-stream-join-golden")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.default.parallelism", "1")
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("OFF")
    return spark


# ---------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------
def write_jsonl(path, columns, rows, mtime):
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(dict(zip(columns, r)), ensure_ascii=False) + "\n" for r in rows)
    with path.open("w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    os.utime(path, (mtime, mtime))


def ts(tod):
    return None if tod is None else DAY + tod


def write_inputs():
    if INPUT_DIR.exists():
        shutil.rmtree(INPUT_DIR)
    for n, raw in enumerate(VIEWS):
        rows = [(vid, ad, user, ts(tod)) for (vid, ad, user, tod) in raw]
        write_jsonl(INPUT_DIR / "views" / f"part-{n:03d}.json", VIEWS_COLUMNS, rows,
                    MTIME_BASE + 60 * (n + 1))
    for n, raw in enumerate(CLICKS):
        rows = [(cid, ad, ts(tod), amt) for (cid, ad, tod, amt) in raw]
        write_jsonl(INPUT_DIR / "clicks" / f"part-{n:03d}.json", CLICKS_COLUMNS, rows,
                    MTIME_BASE + 60 * (n + 1))


# ---------------------------------------------------------------------------
# running
# ---------------------------------------------------------------------------
def sort_key(row):
    """All columns as strings, left to right, null before any value.  Strings compare as they
    are; other values by their JSON text (so 10.0 sorts before 9.75)."""
    return [(0, "") if v is None else (1, v if isinstance(v, str) else json.dumps(v))
            for v in row]


UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def error_info(exc):
    """Error class (getCondition) and message (getMessage), run-specific ids and paths scrubbed.
    `message_first_line` is the message up to the first line break (the logical plan Spark
    appends after it is kept in `message`)."""
    cond = getattr(exc, "getCondition", lambda: None)()
    msg = getattr(exc, "getMessage", None)
    text = (msg() if msg else str(exc)).strip()
    text = UUID_RE.sub("<uuid>", text.replace(str(WORK), "<tmp>").replace(str(INPUT_DIR), "<input>"))
    text = re.sub(r"#\d+L?", "#<id>", text)  # expression ids differ with what ran before
    out = {"exception": type(exc).__name__, "error_class": cond}
    # A query that fails while running raises StreamingQueryException (STREAM_FAILED) from
    # awaitTermination(); the error class of the cause is the first [...] after "exception:".
    m = re.search(r"terminated with exception: \[([A-Z_.]+)\]", text)
    if m:
        out["cause_error_class"] = m.group(1)
    out.update(message_first_line=text.split("\n", 1)[0], message=text)
    return out


def iso_to_micros(s):
    """Spark progress timestamp '2026-03-01T10:00:00.000Z' -> epoch microseconds."""
    if s is None:
        return None
    d = dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.timezone.utc)
    return (d - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)) // dt.timedelta(microseconds=1)


def source_rows(progress):
    """numInputRows per source, in the order views, clicks (matched by the source path)."""
    by_name = {}
    for s in progress["sources"]:
        desc = s["description"]
        name = "views" if "/input/views" in desc else "clicks" if "/input/clicks" in desc else desc
        assert name not in by_name, desc
        by_name[name] = s["numInputRows"]
    assert set(by_name) == {"views", "clicks"}, by_name
    return [by_name["views"], by_name["clicks"]]


def state_info(op):
    out = {k: op[k] for k in STATE_FIELDS if k in op}
    custom = op.get("customMetrics") or {}
    kept = {k: custom[k] for k in sorted(custom) if not NONDETERMINISTIC_METRIC.search(k)}
    if kept:
        out["customMetrics"] = kept
    return out


def streams(spark):
    views = (spark.readStream.schema(VIEWS_SCHEMA).option("maxFilesPerTrigger", 1)
             .json(str(INPUT_DIR / "views")))
    clicks = (spark.readStream.schema(CLICKS_SCHEMA).option("maxFilesPerTrigger", 1)
              .json(str(INPUT_DIR / "clicks")))
    return {"F": F, "views": views, "clicks": clicks,
            "W": views.withWatermark("view_time", "10 minutes"),
            "C": clicks.withWatermark("click_time", "20 minutes"),
            "RANGE": RANGE, "STRICT": STRICT}


def run_query(spark, name, mode, code, conf):
    env = streams(spark)
    captured, meta = {}, {}

    def on_batch(batch_df, batch_id):
        rows, _ = collect_encoded(batch_df)
        cols = batch_df.columns
        rows.sort(key=sort_key)
        captured[batch_id] = rows
        meta.setdefault("columns", cols)
        meta.setdefault("column_types", dict(batch_df.dtypes))

    saved = {k: spark.conf.get(k, None) for k in conf}
    for k, v in conf.items():
        spark.conf.set(k, v)
    try:
        df = eval(code, env)  # noqa: S307  (the exact string stored in the expected file)
        q = (df.writeStream.outputMode(mode).trigger(availableNow=True).foreachBatch(on_batch)
             .option("checkpointLocation", str(WORK / "checkpoints" / name)).start())
        q.awaitTermination()
    finally:
        for k, v in saved.items():
            if v is None:
                spark.conf.unset(k)
            else:
                spark.conf.set(k, v)
    progress = [json.loads(p.json) for p in q.recentProgress]
    by_id = {p["batchId"]: p for p in progress}
    assert sorted(by_id) == sorted(captured), (name, sorted(by_id), sorted(captured))
    batches = []
    for bid in sorted(captured):
        p = by_id[bid]
        et = p.get("eventTime") or {}
        batches.append({
            "batch_id": bid,
            "num_input_rows": p["numInputRows"],
            "source_input_rows": source_rows(p),
            "watermark": iso_to_micros(et.get("watermark")),
            "event_time": {k: et.get(k) for k in ("watermark", "min", "max", "avg")} if et else None,
            "state_operators": [state_info(op) for op in p.get("stateOperators", [])],
            "num_output_rows": len(captured[bid]),
            "rows": captured[bid],
        })
    if "columns" not in meta:
        meta["columns"], meta["column_types"] = df.columns, dict(df.dtypes)
    assert meta["columns"] == df.columns and meta["column_types"] == dict(df.dtypes), name
    return meta, batches


def run_error(spark, name, mode, code):
    env = streams(spark)
    out = {"case": name, "mode": mode, "spark": code}
    stage = "eval"
    seen = {}

    def on_batch(batch_df, batch_id):
        # The batch must be consumed in full: Spark 4.3 fails a batch whose state stores were
        # not all committed (STATE_STORE_COMMIT_VALIDATION_FAILED) if fn ignores its DataFrame.
        seen[batch_id] = len(batch_df.collect())

    try:
        df = eval(code, env)  # noqa: S307
        stage = "start"
        q = (df.writeStream.outputMode(mode).trigger(availableNow=True)
             .foreachBatch(on_batch)
             .option("checkpointLocation", str(WORK / "checkpoints" / name)).start())
        stage = "awaitTermination"
        q.awaitTermination()
        out["outcome"] = "no error"  # accepted: what each batch emitted (row counts)
        out["rows_per_batch"] = [seen[b] for b in sorted(seen)]
    except Exception as exc:  # noqa: BLE001
        out["raised_at"] = stage
        out["error"] = error_info(exc)
    return out


def dump(path, obj):
    with path.open("w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(obj, indent=1, sort_keys=False, ensure_ascii=False) + "\n")


def main():
    t0 = time.time()
    write_inputs()
    if EXPECTED_DIR.exists():
        shutil.rmtree(EXPECTED_DIR)
    EXPECTED_DIR.mkdir(parents=True)
    spark = make_spark()
    try:
        for name, mode, code, conf in QUERIES:
            t = time.time()
            meta, batches = run_query(spark, name, mode, code, conf)
            out = {"query": name, "mode": mode, "spark": code, "source": SOURCE_CODE,
                   "conf": conf, "inputs": ["input/views", "input/clicks"],
                   "spark_version": spark.version, **meta, "batches": batches}
            dump(EXPECTED_DIR / f"{name}.json", out)
            summary = " ".join(
                f"b{b['batch_id']}(in={b['source_input_rows'][0]}+{b['source_input_rows'][1]},"
                f"wm={(b['event_time'] or {}).get('watermark', '-')[11:16] if b['event_time'] else '-'},"
                f"drop={sum(o['numRowsDroppedByWatermark'] for o in b['state_operators'])},"
                f"out={len(b['rows'])})"
                for b in batches)
            print(f"{name:26s} {time.time() - t:5.1f}s {summary}", flush=True)
        errors = []
        for name, mode, code in ERROR_QUERIES:
            e = run_error(spark, name, mode, code)
            errors.append(e)
            print(f"{name:32s} {(e.get('error') or {}).get('error_class', e.get('outcome'))}",
                  flush=True)
        dump(EXPECTED_DIR / "errors.json", {"source": SOURCE_CODE, "spark_version": spark.version,
                                            "errors": errors})
    finally:
        spark.stop()
        shutil.rmtree(WORK, ignore_errors=True)
    print(f"total {time.time() - t0:.1f}s")


if __name__ == "__main__":
    main()
