"""Reference ("golden") outputs from real Spark for the statistical and picking aggregates inside
`session_window`, where Spark's MergingSessionsExec merges a key's partial buffers (the batch's
rows, pre-aggregated per (key, event time)) and its stored sessions in order of session start.

Usage:  SPARK_LOCAL_IP=127.0.0.1 TZ=UTC python make_session_aggregates_golden.py
        (pyspark 4.3.0, Java 17; about 30 s)

Input: input/part-000.json .. part-002.json (hand-written, one per micro-batch,
maxFilesPerTrigger=1; their modification times are set here, in name order), schema
`k string, t string, x double, s string`. The query:

    events.withColumn("ts", to_timestamp("t")).withWatermark("ts", "10 minutes")
          .groupBy(session_window("ts", "5 minutes"), "k").agg(<AGGREGATES>)

run in append and complete mode (`append`, `complete`); update mode is refused by Spark for
session windows (its error is in `errors.update`).

Writes expected/session_aggregates.json: {"spark_version", "pyspark_version", "aggregates",
"append": [batches], "complete": [batches], "errors": {...}}; each batch is
{"batch_id", "num_input_rows", "watermark", "rows"}, rows sorted by (k, session start), each
row {k, session_window_start, session_window_end (microseconds), <aggregates>}; doubles as
Python's repr (exact, shortest), None as null.

Spark setup: local[1], loopback only, 1 shuffle partition, AQE off, UI off, session time zone
UTC, TZ=UTC, a fresh temp checkpoint per query, trigger(availableNow=True), foreachBatch.
"""
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"  # loopback only
os.environ["TZ"] = "UTC"

import pyspark  # noqa: E402
from pyspark.sql import SparkSession  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from spark_golden import encode_repr, error_text, set_mtimes  # noqa: E402

HERE = Path(__file__).resolve().parent
SCHEMA = "k string, t string, x double, s string"
def aggregates():
    x, s = F.col("x"), F.col("s")
    return [F.count(F.lit(1)).alias("n"), F.stddev(x).alias("sd"), F.var_pop(x).alias("vp"),
            F.first(s).alias("f"), F.first(s, ignorenulls=True).alias("fnn"),
            F.last(s).alias("l"), F.last(s, ignorenulls=True).alias("lnn"),
            F.max_by(s, x).alias("mb"), F.min_by(s, x).alias("mn"),
            F.approx_count_distinct(s).alias("d"), F.percentile_approx(x, 0.5).alias("p50"),
            F.bool_and(x > 1).alias("ba"), F.bool_or(x > 1).alias("bo")]


AGGREGATE_TEXT = ("count() n, stddev(x) sd, var_pop(x) vp, first(s) f, first(s, true) fnn, "
                  "last(s) l, last(s, true) lnn, max_by(s, x) mb, min_by(s, x) mn, "
                  "approx_count_distinct(s) d, percentile_approx(x, 0.5) p50, "
                  "bool_and(x > 1) ba, bool_or(x > 1) bo")
def run(frame, mode):
    batches = []

    def on_batch(df, batch_id):
        flat = df.select("k", F.col("session_window.start").alias("session_window_start"),
                         F.col("session_window.end").alias("session_window_end"),
                         *[c for c in df.columns if c not in ("k", "session_window")])
        rows = [{key: encode_repr(value) for key, value in row.asDict().items()}
                for row in flat.collect()]
        rows.sort(key=lambda r: (r["k"], r["session_window_start"]))
        batches.append({"batch_id": batch_id, "rows": rows})

    checkpoint = tempfile.mkdtemp()
    try:
        query = (frame.writeStream.outputMode(mode).trigger(availableNow=True)
                 .option("checkpointLocation", checkpoint).foreachBatch(on_batch).start())
        query.awaitTermination()
        progress = {p["batchId"]: p for p in query.recentProgress}
    finally:
        shutil.rmtree(checkpoint, ignore_errors=True)
    for batch in batches:
        p = progress.get(batch["batch_id"], {})
        batch["num_input_rows"] = p.get("numInputRows")
        batch["watermark"] = p.get("eventTime", {}).get("watermark")
    return [{key: batch[key] for key in ("batch_id", "num_input_rows", "watermark", "rows")}
            for batch in sorted(batches, key=lambda b: b["batch_id"])]


def main():
    set_mtimes(HERE / "input")
    spark = (SparkSession.builder.master("local[1]")
             .config("spark.driver.host", "127.0.0.1")
             .config("spark.driver.bindAddress", "127.0.0.1")
             .config("spark.sql.shuffle.partitions", "1")
             .config("spark.ui.enabled", "false")
             .config("spark.sql.adaptive.enabled", "false")
             .config("spark.sql.session.timeZone", "UTC")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")

    def query():
        events = (spark.readStream.schema(SCHEMA).option("maxFilesPerTrigger", 1)
                  .json(str(HERE / "input")))
        return (events.withColumn("ts", F.to_timestamp("t")).withWatermark("ts", "10 minutes")
                .groupBy(F.session_window("ts", "5 minutes"), "k").agg(*aggregates()))

    out = {"spark_version": spark.version, "pyspark_version": pyspark.__version__,
           "aggregates": AGGREGATE_TEXT, "errors": {}}
    for mode in ("append", "complete", "update"):
        try:
            out[mode] = run(query(), mode)
        except Exception as error:  # noqa: BLE001 -- record Spark's refusal instead
            out["errors"][mode] = error_text(error)
    spark.stop()
    (HERE / "expected").mkdir(exist_ok=True)
    (HERE / "expected" / "session_aggregates.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
