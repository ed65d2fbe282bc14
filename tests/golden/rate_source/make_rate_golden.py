"""Reference ("golden") outputs from real Spark for the `rate-micro-batch` streaming source (fully
deterministic), plus the schemas of `rate` and `rate-micro-batch` and a short structural check of
the plain `rate` source (whose batching depends on the wall clock).

Usage:  python make_rate_golden.py          (pyspark 4.3.0, Java 17; about 30 s)

Regenerates, next to this script:
  expected/rate_micro_batch.json

Runs (each query writes through foreachBatch; every batch is collected in the order Spark
delivers its rows, together with spark_partition_id() of each row):
  A  rate-micro-batch, rowsPerBatch=5, numPartitions=2, startTimestamp=1767225600000
     (2026-01-01 00:00:00 UTC, epoch millis), advanceMillisPerBatch=1000;
     trigger processingTime 200 ms; the main thread polls the number of batches seen in
     foreachBatch and stops the query once batches 0..3 have arrived (later batches, if any ran
     before stop() took effect, are discarded).
  B  rate-micro-batch, rowsPerBatch=3, numPartitions=1, no startTimestamp /
     advanceMillisPerBatch options (defaults); same trigger and stop rule.
  C  as A but trigger(availableNow=True): the source implements SupportsTriggerAvailableNow and
     the query ends by itself (after exactly one batch).
  R  plain `rate`, rowsPerSecond=10, numPartitions=2, trigger processingTime 1 s, stopped after
     3 non-empty batches. Batch boundaries depend on timing, so only timing-independent facts
     are recorded (value ranges contiguous, timestamp(v) - timestamp(0) = v * 1000 /
     rowsPerSecond ms, per-partition interleaving, row order), not the raw rows.

Timestamps are encoded as exact microseconds since the epoch (unix_micros on the Spark side,
via spark_golden.collect_encoded). Spark setup: local[2], loopback only, UI off, session time
zone UTC, TZ=UTC; checkpoints in a temporary directory deleted at the end.
"""
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"  # loopback only
os.environ["TZ"] = "UTC"

from pyspark.sql import SparkSession  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

import sys  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from spark_golden import collect_encoded, fmt_ts  # noqa: E402

HERE = Path(__file__).resolve().parent
EXPECTED_DIR = HERE / "expected"
WORK = Path(tempfile.mkdtemp(prefix="rill-rate-source-"))
WANTED_BATCHES = 4
TIMEOUT_S = 60


def make_spark():
    spark = (
        SparkSession.builder
        .master("local[2]")
        .appName("rill-rate-source-golden")
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


def schema_of(df):
    return [{"name": f.name, "type": f.dataType.simpleString(), "nullable": f.nullable}
            for f in df.schema.fields]


def run_query(df, name, trigger, stop_after=None):
    """foreachBatch; returns {batch_id: {"rows": [[value, ts_micros]], "partitions": [...]}}.
    Rows are in the order batch_df.collect() returns them (partition 0 first, ...)."""
    batches = {}

    def on_batch(batch_df, batch_id):
        with_pid = batch_df.select("value", "timestamp",
                                   F.spark_partition_id().alias("partition"))
        rows, _ = collect_encoded(with_pid)
        plain_rows, _ = collect_encoded(batch_df.select("value", "timestamp"))
        batches[batch_id] = {
            "rows": [[v, ts] for v, ts, _ in rows],
            "partitions": [p for _, _, p in rows],
            "plain_collect_same_order": plain_rows == [[v, ts] for v, ts, _ in rows],
        }

    w = (df.writeStream.outputMode("append").foreachBatch(on_batch)
         .option("checkpointLocation", str(WORK / "checkpoints" / name)))
    w = w.trigger(**trigger)
    q = w.start()
    if stop_after is None:
        q.awaitTermination(TIMEOUT_S)
    else:
        deadline = time.time() + TIMEOUT_S
        while len([b for b in batches.values() if b["rows"]]) < stop_after:
            if time.time() > deadline or q.exception() is not None:
                break
            time.sleep(0.05)
        q.stop()
    progress = [json.loads(p.json) for p in q.recentProgress]
    return batches, progress


def batch_list(batches, n=None):
    ids = sorted(batches)
    if n is not None:
        ids = ids[:n]
    out = []
    for bid in ids:
        b = batches[bid]
        out.append({
            "batch_id": bid,
            "rows": b["rows"],
            "rows_ts_formatted": [[v, fmt_ts(ts)] for v, ts in b["rows"]],
            "partitions": b["partitions"],
            "plain_collect_same_order": b["plain_collect_same_order"],
        })
    return out


def rate_micro_batch(spark, **opts):
    r = spark.readStream.format("rate-micro-batch")
    for k, v in opts.items():
        r = r.option(k, v)
    return r.load()


def check_plain_rate(batches, rows_per_second, num_partitions):
    """Timing-independent facts about the plain `rate` source run."""
    nonempty = [batches[b] for b in sorted(batches) if batches[b]["rows"]]
    all_rows = [r for b in nonempty for r in b["rows"]]
    values = sorted(v for v, _ in all_rows)
    ts_of = {v: ts for v, ts in all_rows}
    t0 = ts_of.get(0)
    ms_per_value = 1000 / rows_per_second
    facts = {
        "values_are_0_to_n_minus_1_without_gaps": values == list(range(len(values))),
        "each_batch_is_a_contiguous_range": all(
            sorted(v for v, _ in b["rows"]) == list(range(min(v for v, _ in b["rows"]),
                                                          max(v for v, _ in b["rows"]) + 1))
            for b in nonempty),
        "each_batch_starts_at_a_multiple_of_rowsPerSecond": all(
            min(v for v, _ in b["rows"]) % rows_per_second == 0 for b in nonempty),
        "ts_minus_ts_of_value_0_equals_value_times_1000_over_rowsPerSecond_ms": all(
            ts - t0 == round(v * ms_per_value) * 1000 for v, ts in all_rows),
        "timestamps_are_whole_milliseconds": all(ts % 1000 == 0 for _, ts in all_rows),
        "row_partition_is_value_mod_numPartitions_relative_to_batch_start": all(
            p == (v - min(x for x, _ in b["rows"])) % num_partitions
            for b in nonempty for (v, _), p in zip(b["rows"], b["partitions"])),
        "rows_grouped_by_partition_in_collect_order": all(
            b["partitions"] == sorted(b["partitions"]) for b in nonempty),
        "within_partition_values_ascending": all(
            [v for (v, _), p in zip(b["rows"], b["partitions"]) if p == q] ==
            sorted(v for (v, _), p in zip(b["rows"], b["partitions"]) if p == q)
            for b in nonempty for q in range(num_partitions)),
        "value_0_timestamp_is_wall_clock_within_60s_of_query_start": None,  # set by caller
        "first_10_values_relative_ms": [[v, (ts_of[v] - t0) // 1000]
                                        for v in range(min(10, len(values)))],
    }
    return facts


def main():
    spark = make_spark()
    try:
        print("Spark version:", spark.version)
        schema_rmb = schema_of(rate_micro_batch(spark, rowsPerBatch=5))
        schema_rate = schema_of(spark.readStream.format("rate").load())

        opts_a = {"rowsPerBatch": 5, "numPartitions": 2, "startTimestamp": 1767225600000,
                  "advanceMillisPerBatch": 1000}
        a, _ = run_query(rate_micro_batch(spark, **opts_a), "a",
                         {"processingTime": "200 milliseconds"}, WANTED_BATCHES)
        opts_b = {"rowsPerBatch": 3, "numPartitions": 1}
        b, _ = run_query(rate_micro_batch(spark, **opts_b), "b",
                         {"processingTime": "200 milliseconds"}, WANTED_BATCHES)
        c, c_progress = run_query(rate_micro_batch(spark, **opts_a), "c",
                                  {"availableNow": True})

        opts_r = {"rowsPerSecond": 10, "numPartitions": 2}
        r_src = spark.readStream.format("rate")
        for k, v in opts_r.items():
            r_src = r_src.option(k, v)
        start_ms = int(time.time() * 1000)
        r, _ = run_query(r_src.load(), "r", {"processingTime": "1 second"}, 3)
        facts = check_plain_rate(r, 10, 2)
        t0 = next((ts for bb in r.values() for v, ts in bb["rows"] if v == 0), None)
        facts["value_0_timestamp_is_wall_clock_within_60s_of_query_start"] = (
            t0 is not None and abs(t0 // 1000 - start_ms) < 60_000)

        out = {
            "spark_version": spark.version,
            "session_time_zone": spark.conf.get("spark.sql.session.timeZone"),
            "notes": [
                "rows = [value, timestamp] per row, in the order batch_df.collect() returns "
                "them inside foreachBatch; timestamp = exact microseconds since the epoch "
                "(unix_micros on the Spark side). rows_ts_formatted = the same with "
                "'yyyy-MM-dd HH:mm:ss.SSSSSS' UTC timestamps. partitions = "
                "spark_partition_id() of each row (same order). plain_collect_same_order = "
                "collecting the batch without the partition column gives the same order.",
                "Runs a and b use trigger processingTime 200 ms and are stopped from the main "
                "thread once 4 non-empty batches were seen; only batches 0..3 are recorded.",
                "Run c uses trigger availableNow: the source implements "
                "SupportsTriggerAvailableNow and the query terminates by itself.",
                "plain_rate_facts come from a plain `rate` run (rowsPerSecond=10, "
                "numPartitions=2, processingTime 1 s, 3 non-empty batches); batch boundaries "
                "there depend on wall-clock timing, so only timing-independent checks are "
                "recorded.",
            ],
            "schema": {"rate": schema_rate, "rate-micro-batch": schema_rmb},
            "runs": {
                "a": {"options": opts_a, "trigger": "processingTime 200 ms",
                      "batches": batch_list(a, WANTED_BATCHES)},
                "b": {"options": opts_b, "trigger": "processingTime 200 ms",
                      "batches": batch_list(b, WANTED_BATCHES)},
                "c": {"options": opts_a, "trigger": "availableNow",
                      "batches": batch_list(c),
                      "num_batches_run": len(c_progress)},
            },
            "plain_rate_facts": {"options": opts_r, "trigger": "processingTime 1 s",
                                 **facts},
        }
        EXPECTED_DIR.mkdir(parents=True, exist_ok=True)
        p = EXPECTED_DIR / "rate_micro_batch.json"
        p.write_text(json.dumps(out, indent=2, ensure_ascii=False, allow_nan=False) + "\n",
                     encoding="utf-8")
        print("wrote", p)
    finally:
        spark.stop()
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
