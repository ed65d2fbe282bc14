"""Reproduces seed notebook sections 2.1-2.7 (structured-streaming-chapter.txt) and
captures exact show() bytes plus streaming progress.

Usage: python seed.py [--tz UTC|default] [--tag NAME]
  --tz UTC      sets spark.sql.session.timeZone=UTC (canonical oracle run)
  --tz default  leaves the session time zone unset (JVM/system default)
  --tag NAME    suffix for output files (default: none for UTC run)
"""
import argparse
import os
import contextlib
import io
import json
import shutil
import sys
from pathlib import Path

from pyspark.sql import SparkSession, functions as F
from pyspark.sql.types import StructType, StructField, StringType, DoubleType

ap = argparse.ArgumentParser()
ap.add_argument("--tz", default="UTC")
ap.add_argument("--tag", default="")
args = ap.parse_args()

os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"  # loopback only
ORACLE = Path(__file__).resolve().parent
OUT = ORACLE / "out"
OUT.mkdir(parents=True, exist_ok=True)
suffix = f"_{args.tag}" if args.tag else ""

DATA_DIR = ORACLE
OUTPUT_DIR = DATA_DIR / "_spark_output" / f"structured-streaming{suffix}"
INPUT_DIR = OUTPUT_DIR / "input"
CHECKPOINT_DIR = OUTPUT_DIR / "checkpoints"
PARQUET_DIR = OUTPUT_DIR / "events-parquet"
if OUTPUT_DIR.exists():
    shutil.rmtree(OUTPUT_DIR)
INPUT_DIR.mkdir(parents=True, exist_ok=True)

builder = (
    SparkSession.builder
    .master("local[*]")
    .appName("spark-intro-structured-streaming")
    .config("spark.driver.host", "127.0.0.1")
    .config("spark.driver.bindAddress", "127.0.0.1")
    .config("spark.sql.shuffle.partitions", "4")
    .config("spark.default.parallelism", "4")
    .config("spark.sql.adaptive.enabled", "false")
    .config("spark.ui.showConsoleProgress", "false")
    .config("spark.ui.enabled", "false")
)
if args.tz != "default":
    builder = builder.config("spark.sql.session.timeZone", args.tz)
spark = builder.getOrCreate()
sc = spark.sparkContext
sc.setLogLevel("ERROR")
print("Spark version:", spark.version)
print("Spark master:", sc.master)
print("session tz:", spark.conf.get("spark.sql.session.timeZone"))
print("ansi:", spark.conf.get("spark.sql.ansi.enabled"))


def capture(fn):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        fn()
    s = buf.getvalue()
    sys.stdout.write(s)
    return s


def write_out(name, text):
    p = OUT / name
    p.write_bytes(text.encode("utf-8"))
    return p


def progress_list(q):
    res = []
    for p in q.recentProgress:
        if hasattr(p, "json"):
            j = p.json
            res.append(json.loads(j() if callable(j) else j))
        else:
            res.append(p)
    return res


# ---- 2.2 -------------------------------------------------------------------
def write_json_lines(path, records):
    with path.open("w", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record) + "\n")


write_json_lines(
    INPUT_DIR / "batch-001.json",
    [
        {"event_id": "e001", "user_id": "u01", "event_type": "view", "event_time": "2026-01-01 09:00:00", "amount": 0.0},
        {"event_id": "e002", "user_id": "u01", "event_type": "purchase", "event_time": "2026-01-01 09:04:00", "amount": 24.50},
        {"event_id": "e003", "user_id": "u02", "event_type": "view", "event_time": "2026-01-01 09:05:00", "amount": 0.0},
    ],
)
write_json_lines(
    INPUT_DIR / "batch-002.json",
    [
        {"event_id": "e004", "user_id": "u02", "event_type": "purchase", "event_time": "2026-01-01 09:08:00", "amount": 11.25},
        {"event_id": "e005", "user_id": "u03", "event_type": "view", "event_time": "2026-01-01 10:01:00", "amount": 0.0},
        {"event_id": "e006", "user_id": "u03", "event_type": "purchase", "event_time": "2026-01-01 10:03:00", "amount": 63.00},
    ],
)
print(sorted(path.name for path in INPUT_DIR.glob("*.json")))

# ---- 2.3 -------------------------------------------------------------------
schema = StructType([
    StructField("event_id", StringType(), nullable=False),
    StructField("user_id", StringType(), nullable=False),
    StructField("event_type", StringType(), nullable=False),
    StructField("event_time", StringType(), nullable=False),
    StructField("amount", DoubleType(), nullable=False),
])
raw_events = spark.readStream.schema(schema).json(str(INPUT_DIR))
events = raw_events.withColumn("event_time", F.to_timestamp("event_time"))
print("isStreaming:", events.isStreaming)
schemas = {}
schemas["raw_events"] = raw_events._jdf.schema().treeString()
schemas["events"] = events._jdf.schema().treeString()

# ---- 2.4 -------------------------------------------------------------------
spend_by_user = (
    events
    .groupBy("user_id")
    .agg(
        F.count("*").alias("events"),
        F.round(F.sum("amount"), 2).alias("total_amount"),
    )
)
schemas["spend_by_user"] = spend_by_user._jdf.schema().treeString()
query = (
    spend_by_user.writeStream
    .format("memory")
    .queryName("local_spend_by_user")
    .outputMode("complete")
    .trigger(availableNow=True)
    .option("checkpointLocation", str(CHECKPOINT_DIR / "spend-by-user"))
    .start()
)
query.awaitTermination()
s24 = capture(lambda: spark.sql("""
SELECT user_id, events, total_amount
FROM local_spend_by_user
ORDER BY user_id
""").show())
write_out(f"seed_2_4{suffix}.txt", s24)
schemas["memory_table local_spend_by_user"] = spark.table("local_spend_by_user")._jdf.schema().treeString()
_batch = (spark.read.schema(schema).json(str(INPUT_DIR))
          .withColumn("event_time", F.to_timestamp("event_time"))
          .groupBy("user_id").agg(F.count("*").alias("events"),
                                  F.round(F.sum("amount"), 2).alias("total_amount")))
schemas["batch (non-streaming) equivalent of spend_by_user"] = _batch._jdf.schema().treeString()

# ---- 2.5 -------------------------------------------------------------------
progress = progress_list(query)
total = sum(item["numInputRows"] for item in progress)
print("total input rows:", total)
write_out(f"seed_progress{suffix}.json", json.dumps(progress, indent=2) + "\n")
batch_summary = {
    "query": "local_spend_by_user",
    "num_batches": len(progress),
    "per_batch": [
        {"batchId": p["batchId"], "numInputRows": p["numInputRows"],
         "sources": [{"description": s["description"], "startOffset": s.get("startOffset"),
                      "endOffset": s.get("endOffset"), "numInputRows": s["numInputRows"]}
                     for s in p["sources"]],
         "sink": p["sink"]}
        for p in progress
    ],
    "total_numInputRows": total,
}

# ---- 2.6 -------------------------------------------------------------------
windowed_events = (
    events
    .withWatermark("event_time", "10 minutes")
    .groupBy(F.window("event_time", "1 hour"), "event_type")
    .agg(
        F.count("*").alias("events"),
        F.round(F.sum("amount"), 2).alias("amount"),
    )
)
schemas["windowed_events"] = windowed_events._jdf.schema().treeString()
query = (
    windowed_events.writeStream
    .format("memory")
    .queryName("local_events_by_hour")
    .outputMode("complete")
    .trigger(availableNow=True)
    .option("checkpointLocation", str(CHECKPOINT_DIR / "events-by-hour"))
    .start()
)
query.awaitTermination()
s26 = capture(lambda: spark.sql("""
SELECT
  date_format(window.start, 'yyyy-MM-dd HH:mm') AS hour,
  event_type,
  events,
  amount
FROM local_events_by_hour
ORDER BY hour, event_type
""").show(truncate=False))
write_out(f"seed_2_6{suffix}.txt", s26)
# extra: raw memory table incl. the window struct, both truncate modes
s26raw = capture(lambda: spark.sql(
    "SELECT * FROM local_events_by_hour ORDER BY window, event_type").show())
s26raw += capture(lambda: spark.sql(
    "SELECT * FROM local_events_by_hour ORDER BY window, event_type").show(truncate=False))
write_out(f"seed_2_6_raw{suffix}.txt", s26raw)
p26 = progress_list(query)
write_out(f"seed_progress_2_6{suffix}.json", json.dumps(p26, indent=2) + "\n")
batch_summary["query_2_6"] = {
    "num_batches": len(p26),
    "per_batch": [{"batchId": p["batchId"], "numInputRows": p["numInputRows"],
                   "eventTime": p.get("eventTime"),
                   "stateOperators": [{"numRowsTotal": s["numRowsTotal"],
                                       "numRowsUpdated": s["numRowsUpdated"],
                                       "numRowsDroppedByWatermark": s.get("numRowsDroppedByWatermark")}
                                      for s in p["stateOperators"]]}
                  for p in p26],
}

# ---- 2.7 -------------------------------------------------------------------
query = (
    events
    .select("event_id", "user_id", "event_type", "event_time", "amount")
    .writeStream
    .format("parquet")
    .outputMode("append")
    .trigger(availableNow=True)
    .option("path", str(PARQUET_DIR))
    .option("checkpointLocation", str(CHECKPOINT_DIR / "events-parquet"))
    .start()
)
query.awaitTermination()
s27 = capture(lambda: spark.read.parquet(str(PARQUET_DIR)).orderBy("event_id").show(truncate=False))
write_out(f"seed_2_7{suffix}.txt", s27)
schemas["parquet_readback"] = spark.read.parquet(str(PARQUET_DIR))._jdf.schema().treeString()
p27 = progress_list(query)
write_out(f"seed_progress_2_7{suffix}.json", json.dumps(p27, indent=2) + "\n")
batch_summary["query_2_7"] = {
    "num_batches": len(p27),
    "per_batch": [{"batchId": p["batchId"], "numInputRows": p["numInputRows"]} for p in p27],
}
batch_summary["parquet_files"] = sorted(
    str(p.relative_to(PARQUET_DIR)) for p in PARQUET_DIR.rglob("*") if p.is_file())

batch_summary["session_tz"] = spark.conf.get("spark.sql.session.timeZone")
batch_summary["spark_version"] = spark.version
write_out(f"seed_batches{suffix}.json", json.dumps(batch_summary, indent=2) + "\n")
write_out(f"seed_schemas{suffix}.txt", "".join(f"== {k} ==\n{v}\n" for k, v in schemas.items()))
print(json.dumps(batch_summary, indent=2))
spark.stop()
