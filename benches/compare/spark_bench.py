#!/usr/bin/env python3
"""Spark's column of Rill's benchmark: the same three queries as Structured Streaming.

Runs, over the files `rill-compare` (or `rill-eventgen`) generated, in local mode at
local[1] and local[2]:

  Q1  group_by(user_id): count, round(sum(amount), 2); complete mode, memory sink
  Q2  to_timestamp, 10-minute watermark, group_by(window(event_time, 1 hour), event_type):
      count, round(sum(amount), 2); complete mode, memory sink
  Q3  event_type = 'purchase' AND amount > 100, project event_id, user_id,
      event_time (timestamp), amount; append mode, Parquet file sink

each with an available-now trigger (one micro-batch: no maxFilesPerTrigger) and a fresh
checkpoint directory, as Spark requires one. After one untimed warm-up run per query (the
JVM compiles as it goes), it times `--rounds` runs, from `readStream` to the end of
`awaitTermination()`, and writes their medians to results/spark.json, which `rill-compare`
joins to its table as the Spark column.

`spark.sql.shuffle.partitions` is set to the thread count (the default, 200, would make
Spark's aggregations far slower here), as DataFusion's `target_partitions` is.

    python3 benches/compare/spark_bench.py --data benches/compare/data/events-f20-r100000-s7-u100000
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA = os.path.join(HERE, "data", "events-f20-r100000-s7-u100000")


def build_session(threads, driver_memory):
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(f"local[{threads}]")
        .appName(f"rill-compare-spark-{threads}")
        .config("spark.driver.memory", driver_memory)
        .config("spark.sql.shuffle.partitions", str(threads))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.streaming.metricsEnabled", "false")
        .config("spark.sql.parquet.compression.codec", "snappy")
        .getOrCreate()
    )


def event_schema():
    from pyspark.sql.types import DoubleType, StringType, StructField, StructType

    # Non-null like Rill's schema; Spark reads file sources as nullable regardless.
    return StructType(
        [
            StructField("event_id", StringType()),
            StructField("user_id", StringType()),
            StructField("event_type", StringType()),
            StructField("event_time", StringType()),
            StructField("amount", DoubleType()),
        ]
    )


def run_query(spark, query, data_dir, work_dir, run_name):
    """Runs `query` once; returns (seconds, input rows, result rows)."""
    from pyspark.sql import functions as F

    checkpoint = os.path.join(work_dir, f"checkpoint-{run_name}")
    output = os.path.join(work_dir, f"output-{run_name}")
    started = time.perf_counter()
    raw = spark.readStream.schema(event_schema()).json(data_dir)
    if query == "Q1":
        frame = (
            raw.withColumn("event_time", F.to_timestamp("event_time"))
            .groupBy("user_id")
            .agg(F.count(F.lit(1)).alias("events"), F.round(F.sum("amount"), 2).alias("total_amount"))
        )
        writer = frame.writeStream.outputMode("complete").format("memory").queryName(run_name)
    elif query == "Q2":
        frame = (
            raw.withColumn("event_time", F.to_timestamp("event_time"))
            .withWatermark("event_time", "10 minutes")
            .groupBy(F.window("event_time", "1 hour"), "event_type")
            .agg(F.count(F.lit(1)).alias("events"), F.round(F.sum("amount"), 2).alias("amount"))
        )
        writer = frame.writeStream.outputMode("complete").format("memory").queryName(run_name)
    elif query == "Q3":
        frame = (
            raw.withColumn("event_time", F.to_timestamp("event_time"))
            .filter((F.col("event_type") == "purchase") & (F.col("amount") > 100.0))
            .select("event_id", "user_id", "event_time", "amount")
        )
        writer = frame.writeStream.outputMode("append").format("parquet").option("path", output)
    else:
        raise ValueError(query)
    handle = writer.option("checkpointLocation", checkpoint).trigger(availableNow=True).start()
    handle.awaitTermination()
    elapsed = time.perf_counter() - started

    progress = handle.recentProgress
    # With a filter, Spark pushes it into the JSON scan and counts only the rows that pass.
    input_rows = sum(p["numInputRows"] for p in progress)
    batches = sum(1 for p in progress if p["numInputRows"] > 0)
    if batches != 1:
        raise RuntimeError(f"{query}: {batches} micro-batches with data, expected one")
    if query == "Q3":
        result_rows = spark.read.parquet(output).count()
    else:
        result_rows = spark.table(run_name).count()
        spark.catalog.dropTempView(run_name)
    shutil.rmtree(checkpoint, ignore_errors=True)
    shutil.rmtree(output, ignore_errors=True)
    return elapsed, input_rows, result_rows


def count_lines(data_dir, files):
    """The input's rows: the generator's manifest gives them, else count the lines."""
    manifest = os.path.join(data_dir, "_eventgen.txt")
    if os.path.exists(manifest):
        with open(manifest) as text:
            fields = dict(kv.split("=", 1) for kv in text.readline().split() if "=" in kv)
        if "files" in fields and "rows_per_file" in fields:
            return int(fields["files"]) * int(fields["rows_per_file"])
    rows = 0
    for name in files:
        with open(os.path.join(data_dir, name), "rb") as data:
            rows += sum(chunk.count(b"\n") for chunk in iter(lambda: data.read(1 << 20), b""))
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=DEFAULT_DATA, help="directory of event files (default: %(default)s)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", default="1,2", help="comma-separated local[N] values")
    parser.add_argument("--queries", default="Q1,Q2,Q3")
    parser.add_argument("--driver-memory", default="6g")
    parser.add_argument("--out", default=os.path.join(HERE, "results", "spark.json"))
    args = parser.parse_args()

    data_dir = os.path.abspath(args.data)
    files = sorted(f for f in os.listdir(data_dir) if f.endswith(".json") and not f.startswith((".", "_")))
    input_bytes = sum(os.path.getsize(os.path.join(data_dir, f)) for f in files)
    input_rows = count_lines(data_dir, files)
    queries = [q.strip().upper() for q in args.queries.split(",")]
    results = []
    spark_version = None
    work_dir = tempfile.mkdtemp(prefix="rill-compare-spark-")
    try:
        for threads in [int(t) for t in args.threads.split(",")]:
            spark = build_session(threads, args.driver_memory)
            spark.sparkContext.setLogLevel("ERROR")
            spark_version = spark.version
            for query in queries:
                _, spark_input_rows, result_rows = run_query(spark, query, data_dir, work_dir, f"warmup_{query}_{threads}")
                runs = []
                for round_ in range(args.rounds):
                    seconds, run_rows, run_result_rows = run_query(
                        spark, query, data_dir, work_dir, f"{query}_{threads}_{round_}"
                    )
                    if (run_rows, run_result_rows) != (spark_input_rows, result_rows):
                        raise RuntimeError(f"{query}: run {round_} read/produced other counts")
                    runs.append(seconds * 1e3)
                median_ms = statistics.median(runs)
                rows = input_rows
                print(
                    f"Spark {query} local[{threads}]: median {median_ms:.0f} ms "
                    f"({rows / median_ms * 1e3 / 1e6:.2f} Mrows/s), {result_rows} result rows, runs "
                    + ", ".join(f"{r:.0f}" for r in runs),
                    flush=True,
                )
                results.append(
                    {
                        "query": query,
                        "threads": threads,
                        "runs_ms": runs,
                        "median_ms": median_ms,
                        "rows": rows,
                        "spark_num_input_rows": spark_input_rows,
                        "bytes": input_bytes,
                        "rows_per_s": rows / (median_ms / 1e3),
                        "result_rows": result_rows,
                        "data_dir": data_dir,
                    }
                )
            spark.stop()
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as out:
        json.dump(
            {
                "spark_version": spark_version,
                "python": platform.python_version(),
                "machine": platform.platform(),
                "shuffle_partitions": "= threads",
                "rounds": args.rounds,
                "results": results,
            },
            out,
            indent=2,
        )
        out.write("\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
