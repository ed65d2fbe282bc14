"""Spark 4.3: session windows whose gap is computed per row (Spark's dynamic gap), batch by batch.
Writes input/ (three JSON-lines files, one micro-batch each) and expected.json; run with
`python make_dynamic_session_golden.py` (about 30 s); tests/session_windows.rs checks Rill.

Gap per user: u1 "5 minutes", u2 "10 minutes", u3 "0 seconds" (not positive: Spark drops the
row), u4 null (dropped), others "2 minutes". Watermark 10 minutes; append mode, and complete mode."""
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
os.environ["TZ"] = "UTC"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from pyspark.sql import SparkSession  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402
from spark_golden import collect_encoded  # noqa: E402

HERE = Path(__file__).resolve().parent
FILES = [
    [("u1", "10:00"), ("u1", "10:04"), ("u2", "10:00"), ("u2", "10:09"), ("u3", "10:01"), ("u4", "10:02"), ("u5", "10:00"), ("u5", "10:01")],
    [("u1", "10:12"), ("u1", "10:16"), ("u2", "10:18"), ("u5", "10:03"), ("u5", "10:06"), ("u1", "10:08")],
    [("u1", "10:40"), ("u2", "10:45"), ("u5", "10:30"), ("u2", "10:27")],
]
if (HERE / "input").exists():
    shutil.rmtree(HERE / "input")
(HERE / "input").mkdir()
for index, rows in enumerate(FILES):
    path = HERE / "input" / f"part-{index:03d}.json"
    path.write_text("".join(json.dumps({"user_id": u, "event_time": f"2026-03-01 {t}:00"}) + "\n" for u, t in rows))
    os.utime(path, (1767225600 + index, 1767225600 + index))

spark = (SparkSession.builder.master("local[2]").config("spark.driver.host", "127.0.0.1")
         .config("spark.driver.bindAddress", "127.0.0.1").config("spark.ui.enabled", "false")
         .config("spark.sql.session.timeZone", "UTC").config("spark.sql.shuffle.partitions", "4")
         .getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
gap = (F.when(F.col("user_id") == "u1", "5 minutes").when(F.col("user_id") == "u2", "10 minutes")
       .when(F.col("user_id") == "u3", "0 seconds").when(F.col("user_id") == "u4", F.lit(None))
       .otherwise("2 minutes"))
work = Path(tempfile.mkdtemp(prefix="rill-dynamic-session-"))
out = {"spark_version": spark.version, "gap": "u1 5 minutes, u2 10 minutes, u3 0 seconds, u4 null, else 2 minutes",
       "columns": ["window_start", "window_end", "user_id", "count"], "modes": {}}
for mode in ["append", "complete"]:
    batches = []

    def keep(df, batch_id):
        flat = df.selectExpr("session_window.start AS window_start", "session_window.end AS window_end",
                             "user_id", "count")
        rows, _ = collect_encoded(flat)
        batches.append({"batch_id": batch_id, "rows": sorted(rows, key=json.dumps)})

    events = (spark.readStream.schema("user_id string, event_time string").option("maxFilesPerTrigger", 1)
              .json(str(HERE / "input")).withColumn("event_time", F.to_timestamp("event_time")))
    query = (events.withWatermark("event_time", "10 minutes")
             .groupBy(F.session_window("event_time", gap), "user_id").count()
             .writeStream.outputMode(mode).trigger(availableNow=True).foreachBatch(keep)
             .option("checkpointLocation", str(work / mode)).start())
    query.awaitTermination()
    progress = {p["batchId"]: p for p in query.recentProgress}
    for batch in batches:
        p = progress[batch["batch_id"]]
        batch["num_input_rows"] = p["numInputRows"]
        batch["watermark"] = p.get("eventTime", {}).get("watermark")
    out["modes"][mode] = sorted(batches, key=lambda b: b["batch_id"])
(HERE / "expected.json").write_text(json.dumps(out, indent=1) + "\n")
shutil.rmtree(work)
spark.stop()
