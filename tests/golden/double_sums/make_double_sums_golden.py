"""Reference ("golden") outputs from real Spark for sums and averages of doubles carried over
micro-batches: floating-point addition is not associative, and Spark sums each batch's rows apart
(its partial aggregation) and then adds the state store's total to that partial sum, so a
total is `(x4 + x5 + x6) + (x1 + x2 + x3)`, not `((x1 + x2 + x3) + x4) + ...`.

Usage:  python make_double_sums_golden.py          (pyspark 4.3.0, Java 17)

Reads input/part-000.json and part-001.json (one per micro-batch, maxFilesPerTrigger=1; their
modification times are set here, in name order) as `k string, x double`, and writes
expected/double_sums.json: for `groupBy(k).agg(sum(x), avg(x))` and `agg(sum(x), avg(x))`, complete
mode, each batch's rows (sorted by k), doubles as Python's repr (exact, shortest).

Spark setup: local[1], loopback only, 1 shuffle partition, AQE off, UI off, TZ=UTC.
"""
import json
import os
import tempfile
from pathlib import Path

os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"  # loopback only
os.environ["TZ"] = "UTC"

from pyspark.sql import SparkSession  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

HERE = Path(__file__).resolve().parent


def main():
    for index, path in enumerate(sorted((HERE / "input").glob("part-*.json"))):
        os.utime(path, (1704067200 + 60 * index, 1704067200 + 60 * index))
    spark = (SparkSession.builder.master("local[1]")
             .config("spark.sql.shuffle.partitions", "1")
             .config("spark.ui.enabled", "false")
             .config("spark.sql.adaptive.enabled", "false")
             .config("spark.sql.session.timeZone", "UTC")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    events = (spark.readStream.schema("k string, x double").option("maxFilesPerTrigger", 1)
              .json(str(HERE / "input")))
    out = {}
    for name, frame in [
        ("grouped", events.groupBy("k").agg(F.sum("x").alias("total"), F.avg("x").alias("mean"))),
        ("global", events.agg(F.sum("x").alias("total"), F.avg("x").alias("mean"))),
    ]:
        batches = []

        def on_batch(df, batch_id, batches=batches):
            rows = sorted(df.collect(), key=lambda r: r["k"] if "k" in r else "")
            batches.append({"batch_id": batch_id,
                            "rows": [{key: (repr(value) if isinstance(value, float) else value)
                                      for key, value in row.asDict().items()} for row in rows]})

        query = (frame.writeStream.outputMode("complete").trigger(availableNow=True)
                 .option("checkpointLocation", tempfile.mkdtemp()).foreachBatch(on_batch).start())
        query.awaitTermination()
        out[name] = batches
    spark.stop()
    (HERE / "expected").mkdir(exist_ok=True)
    (HERE / "expected" / "double_sums.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
