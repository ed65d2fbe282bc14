"""Reference ("golden") outputs from real Spark for stream-static joins: a file stream of
events joined with a static users table.

Usage:  python make_stream_static_join_golden.py          (pyspark 4.3.0, Java 17)

Regenerates, next to this script:
  input/events/part-00N.json   3 files (one micro-batch each), 5 JSON lines each
  input/users/part-000.json    the static side, 8 JSON lines
  expected/<query>.json        every batch Spark runs: batch id, numInputRows, rows; plus the
                               static side's rows, the output columns and their types
  expected/errors.json         Spark's analysis errors for unsupported stream-static joins

Every query: events = spark.readStream.schema(EVENTS_SCHEMA).option("maxFilesPerTrigger", 1)
.json("input/events"), users = spark.read.schema(USERS_SCHEMA).json("input/users") (read once,
shared by all queries) -> the query text (stored in "spark", eval'ed exactly as stored) ->
writeStream.outputMode(mode).trigger(availableNow=True).foreachBatch(fn), a fresh checkpoint per
query (temp dir, deleted at the end). In fn the batch is encoded with
spark_golden.collect_encoded (timestamps -> epoch microseconds, doubles via plain()), then rows
are sorted by all columns as strings, nulls first (see sort_key), except `join_then_aggregate`,
sorted by tier (nulls first).

Spark setup: local[1], loopback only, 1 shuffle partition, AQE off, UI off, session time zone
UTC, TZ=UTC. File mtimes are fixed (base + 60 s x index) so maxFilesPerTrigger=1 reads the event
files in name order and two runs give byte-identical output.
"""
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

EVENTS_SCHEMA = "event_id string, user_id string, region string, amount double, event_time timestamp"
EVENTS_COLUMNS = ["event_id", "user_id", "region", "amount", "event_time"]
USERS_SCHEMA = "user_id string, region string, name string, tier int, credit double"
USERS_COLUMNS = ["user_id", "region", "name", "tier", "credit"]

DAY = "2026-03-01T"  # event_time is written as "2026-03-01THH:mm:ss" (UTC session zone)

# Static side.  u2 twice (regions de / fr), u3 with null name and tier, a null user_id row,
# u7 with a null region, u6 never referenced by an event.  No row for u5 / u9.
USERS = [
    ("u1", "us", "Alice", 1, 100.0),
    ("u2", "de", "Bob", 2, 50.5),
    ("u2", "fr", "Bob FR", 3, 25.0),
    ("u3", "us", None, None, 10.0),
    ("u4", "fr", "Dana", 2, 0.0),
    (None, "us", "Ghost", 1, 5.0),
    ("u6", "de", "Frank", 3, 75.25),
    ("u7", None, "Grace", 1, 12.5),
]

# (event_id, user_id, region, amount, time-of-day).  Amounts are multiples of 0.25 so sums are
# exact in any order.
EVENTS = [
    [  # part-000
        ("e01", "u1", "us", 12.5, "10:00:00"),   # one match (multi_key: match)
        ("e02", "u2", "de", 20.0, "10:01:00"),   # two matches (multi_key: de only)
        ("e03", "u5", "us", 7.25, "10:02:00"),   # no match
        ("e04", None, "us", 30.0, "10:03:00"),   # null key; static has a null-key row (no match)
        ("e05", "u3", None, 15.0, "10:04:00"),   # null region; u3 has null name / tier
    ],
    [  # part-001
        ("e06", "u1", "de", 8.0, "10:05:00"),    # one match (multi_key: region differs)
        ("e07", "u2", "fr", 40.5, "10:06:00"),   # two matches (multi_key: fr only)
        ("e08", "u4", "fr", None, "10:07:00"),   # null amount
        ("e09", "u9", "de", 11.0, "10:08:00"),   # no match
        ("e10", "u2", "us", 10.0, "10:09:00"),   # two matches (multi_key: none); amount = 10
    ],
    [  # part-002
        ("e11", "u1", "us", 100.0, "10:10:00"),  # one match (multi_key: match)
        ("e12", "u3", "us", 9.75, "10:11:00"),   # u3 (multi_key: match, name / tier null)
        ("e13", None, None, 2.5, "10:12:00"),    # null key and region
        ("e14", "u7", None, 55.5, "10:13:00"),   # u7 (multi_key: null region = null region: no)
        ("e15", "u2", "de", 60.25, "10:14:00"),  # two matches (multi_key: de only)
    ],
]

SOURCE_CODE = (
    'events = spark.readStream.schema(EVENTS_SCHEMA).option("maxFilesPerTrigger", 1)'
    '.json("input/events")\n'
    'users = spark.read.schema(USERS_SCHEMA).json("input/users")'
)

# name, output mode, PySpark code (eval'ed as is), static side (eval'ed, recorded)
QUERIES = [
    ("inner", "append",
     'events.join(users.select("user_id", "name", "tier"), "user_id")',
     'users.select("user_id", "name", "tier")'),
    ("left_outer", "append",
     'events.join(users.select("user_id", "name", "tier"), "user_id", "left")',
     'users.select("user_id", "name", "tier")'),
    ("left_semi", "append",
     'events.join(users.select("user_id", "name", "tier"), "user_id", "left_semi")',
     'users.select("user_id", "name", "tier")'),
    ("left_anti", "append",
     'events.join(users.select("user_id", "name", "tier"), "user_id", "left_anti")',
     'users.select("user_id", "name", "tier")'),
    ("multi_key", "append",
     'events.join(users, ["user_id", "region"], "left")',
     'users'),
    ("join_then_aggregate", "complete",
     'events.join(users.select("user_id", "tier"), "user_id", "left").groupBy("tier")'
     '.agg(F.count(F.lit(1)).alias("events"), F.sum("amount").alias("total"))',
     'users.select("user_id", "tier")'),
    ("filter_join_select", "append",
     'events.filter(F.col("amount") > 10).join(users.select("user_id", "name"), "user_id")'
     '.select("event_id", "name", (F.col("amount") * 2).alias("double_amount"))',
     'users.select("user_id", "name")'),
    # A join condition on differently named keys keeps both sides' columns: the stream's, then
    # the static side's (its key included).
    ("condition_inner", "append",
     'events.join(users.select(F.col("user_id").alias("uid"), "name", "tier"), F.col("user_id") == F.col("uid"))',
     'users.select(F.col("user_id").alias("uid"), "name", "tier")'),
    ("condition_left_outer", "append",
     'events.join(users.select(F.col("user_id").alias("uid"), "name", "tier"), F.col("user_id") == F.col("uid"), "left")',
     'users.select(F.col("user_id").alias("uid"), "name", "tier")'),
]
SORT_BY_TIER = {"join_then_aggregate"}

# Unsupported stream-static joins (Spark's support matrix), each started with append mode.
ERROR_QUERIES = [
    ("right_outer_stream_left",
     'events.join(users.select("user_id", "name", "tier"), "user_id", "right_outer")'),
    ("full_outer",
     'events.join(users.select("user_id", "name", "tier"), "user_id", "full_outer")'),
    ("left_outer_static_left",
     'users.join(events, "user_id", "left")'),
]

WORK = Path(tempfile.mkdtemp(prefix="rill-stream-static-join-"))


def make_spark():
    spark = (
        SparkSession.builder
        .master("local[1]")
        .appName("rill-stream-static-join-golden")
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


def write_inputs():
    if INPUT_DIR.exists():
        shutil.rmtree(INPUT_DIR)
    write_jsonl(INPUT_DIR / "users" / "part-000.json", USERS_COLUMNS, USERS, MTIME_BASE)
    for n, raw in enumerate(EVENTS):
        rows = [(eid, uid, reg, amt, DAY + tod) for (eid, uid, reg, amt, tod) in raw]
        write_jsonl(INPUT_DIR / "events" / f"part-{n:03d}.json", EVENTS_COLUMNS, rows,
                    MTIME_BASE + 60 * (n + 1))


# ---------------------------------------------------------------------------
# running
# ---------------------------------------------------------------------------
def sort_key(row):
    """All columns as strings, left to right, null before any value.  Strings compare as they
    are; other values by their JSON text (so 10.0 sorts before 9.75)."""
    return [(0, "") if v is None else (1, v if isinstance(v, str) else json.dumps(v))
            for v in row]


def tier_key(columns):
    i = columns.index("tier")
    return lambda r: (r[i] is not None, r[i] if r[i] is not None else 0, sort_key(r))


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
    return {"exception": type(exc).__name__, "error_class": cond,
            "message_first_line": text.split("\n", 1)[0], "message": text}


def static_info(df):
    rows, _ = collect_encoded(df)
    rows.sort(key=sort_key)
    return {"columns": df.columns, "column_types": dict(df.dtypes), "rows": rows}


def streams(spark):
    events = (spark.readStream.schema(EVENTS_SCHEMA).option("maxFilesPerTrigger", 1)
              .json(str(INPUT_DIR / "events")))
    return events


def run_query(spark, users, name, mode, code):
    env = {"F": F, "events": streams(spark), "users": users}
    captured, meta = {}, {}

    def on_batch(batch_df, batch_id):
        rows, _ = collect_encoded(batch_df)
        cols = batch_df.columns
        rows.sort(key=tier_key(cols) if name in SORT_BY_TIER else sort_key)
        captured[batch_id] = rows
        meta.setdefault("columns", cols)
        meta.setdefault("column_types", dict(batch_df.dtypes))

    df = eval(code, env)  # noqa: S307  (the exact string stored in the expected file)
    q = (df.writeStream.outputMode(mode).trigger(availableNow=True).foreachBatch(on_batch)
         .option("checkpointLocation", str(WORK / "checkpoints" / name)).start())
    q.awaitTermination()
    progress = [json.loads(p.json) for p in q.recentProgress]
    by_id = {p["batchId"]: p for p in progress}
    assert sorted(by_id) == sorted(captured), (name, sorted(by_id), sorted(captured))
    batches = []
    for bid in sorted(captured):
        p = by_id[bid]
        batches.append({
            "batch_id": bid,
            "num_input_rows": p["numInputRows"],
            "watermark": (p.get("eventTime") or {}).get("watermark"),
            "rows": captured[bid],
        })
    if "columns" not in meta:
        meta["columns"], meta["column_types"] = df.columns, dict(df.dtypes)
    assert meta["columns"] == df.columns and meta["column_types"] == dict(df.dtypes), name
    return meta, batches


def run_error(spark, users, name, code):
    env = {"F": F, "events": streams(spark), "users": users}
    out = {"case": name, "mode": "append", "spark": code}
    try:
        df = eval(code, env)  # noqa: S307
        q = (df.writeStream.outputMode("append").trigger(availableNow=True)
             .foreachBatch(lambda b, i: None)
             .option("checkpointLocation", str(WORK / "checkpoints" / name)).start())
        q.awaitTermination()
        out["outcome"] = "no error"
    except Exception as exc:  # noqa: BLE001
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
        users = spark.read.schema(USERS_SCHEMA).json(str(INPUT_DIR / "users"))
        for name, mode, code, static_code in QUERIES:
            t = time.time()
            static_df = eval(static_code, {"F": F, "users": users})  # noqa: S307
            meta, batches = run_query(spark, users, name, mode, code)
            out = {"query": name, "mode": mode, "spark": code, "source": SOURCE_CODE,
                   "inputs": ["input/events", "input/users"], "spark_version": spark.version,
                   **meta,
                   "static": {"spark": static_code, **static_info(static_df)},
                   "batches": batches}
            dump(EXPECTED_DIR / f"{name}.json", out)
            summary = " ".join(f"b{b['batch_id']}(in={b['num_input_rows']},out={len(b['rows'])})"
                               for b in batches)
            print(f"{name:22s} {time.time() - t:5.1f}s {summary}", flush=True)
        errors = []
        for name, code in ERROR_QUERIES:
            e = run_error(spark, users, name, code)
            errors.append(e)
            print(f"{name:22s} {(e.get('error') or {}).get('error_class', e.get('outcome'))}",
                  flush=True)
        dump(EXPECTED_DIR / "errors.json", {"source": SOURCE_CODE, "spark_version": spark.version,
                                            "errors": errors})
    finally:
        spark.stop()
        shutil.rmtree(WORK, ignore_errors=True)
    print(f"total {time.time() - t0:.1f}s")


if __name__ == "__main__":
    main()
