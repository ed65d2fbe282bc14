"""Reference ("golden") outputs from real Spark for a union of two file stream sources.

Usage:  python make_union_golden.py          (pyspark 4.3.0, Java 17)

Regenerates, next to this script:
  input/<case>/web/part-00N.json      JSON lines files of the "web" source
  input/<case>/mobile/part-00N.json   JSON lines files of the "mobile" source
  expected/<case>.json                per-batch foreachBatch rows + progress fields

Cases (both sources read with .option("maxFilesPerTrigger", 1), combined with
web_df.union(mobile_df), trigger(availableNow=True), foreachBatch sink):
  totals        filter(amount > 10).groupBy(user_id).agg(count, round(sum, 2)), complete mode
  windows       withWatermark(10 min).groupBy(window 10 min).agg(count), append mode;
                web 3 files, mobile 2 files
  windows_late  same query as `windows`, but mobile has 3 files so that a mobile row read in
                batch 2 is really dropped as late (see README: in batch 1 nothing can be late)

Spark setup: local[2], loopback only, 4 shuffle partitions, AQE off, UI off, session time zone
UTC, TZ=UTC. File mtimes are fixed so maxFilesPerTrigger=1 reads each source's files in name
order. Checkpoints live in a temporary directory that is deleted at the end. Absolute input
paths in progress descriptions are rewritten to <web> / <mobile>.
"""
import datetime as dt
import json
import os
import shutil
import tempfile
from pathlib import Path

os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"  # loopback only
os.environ["TZ"] = "UTC"

from pyspark.sql import SparkSession  # noqa: E402
from pyspark.sql.functions import col, count, lit, round as sql_round, sum as sql_sum, window  # noqa: E402

HERE = Path(__file__).resolve().parent
INPUT_DIR = HERE / "input"
EXPECTED_DIR = HERE / "expected"
MTIME_BASE = 1704067200  # 2024-01-01 00:00:00 UTC, fixed => reproducible file order
SOURCES = ("web", "mobile")

WORK = Path(tempfile.mkdtemp(prefix="rill-union-"))


def make_spark():
    spark = (
        SparkSession.builder
        .master("local[2]")
        .appName("rill-union-golden")
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


# ---------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------
TOTALS_SCHEMA = "event_id string, user_id string, event_type string, event_time string, amount double"
TOTALS_QUERY = (
    'web = spark.readStream.schema(S).option("maxFilesPerTrigger", 1).json(web_dir)\n'
    'mobile = spark.readStream.schema(S).option("maxFilesPerTrigger", 1).json(mobile_dir)\n'
    'web.union(mobile).filter(col("amount") > 10).groupBy("user_id")'
    '.agg(count(lit(1)).alias("events"), round(sum("amount"), 2).alias("total"))'
)
# (event_id, user_id, event_type, event_time, amount)
TOTALS_FILES = {
    "web": [
        [("w1", "u1", "click", "2024-01-01 10:00:00", 12.25),
         ("w2", "u2", "purchase", "2024-01-01 10:01:00", 99.99),
         ("w3", "u3", "view", "2024-01-01 10:02:00", 5.5)],
        [("w4", "u2", "click", "2024-01-01 10:10:00", 15.75),
         ("w5", "u1", "view", "2024-01-01 10:11:00", 3.0),
         ("w6", "u3", "purchase", "2024-01-01 10:12:00", 45.5)],
        [("w7", "u3", "click", "2024-01-01 10:20:00", 10.01),
         ("w8", "u4", "purchase", "2024-01-01 10:21:00", 60.0),
         ("w9", "u1", "click", "2024-01-01 10:22:00", 0.99)],
    ],
    "mobile": [
        [("m1", "u1", "purchase", "2024-01-01 10:00:30", 20.1),
         ("m2", "u4", "click", "2024-01-01 10:01:30", 10.0)],  # exactly 10.0 -> filtered out
        [("m3", "u4", "purchase", "2024-01-01 10:10:30", 33.33),
         ("m4", "u2", "view", "2024-01-01 10:11:30", 7.25),
         ("m5", "u1", "click", "2024-01-01 10:12:30", 11.11),
         ("m6", "u2", "purchase", "2024-01-01 10:13:30", 0.01)],
    ],
}

WINDOWS_SCHEMA = "event_id string, event_time timestamp"
WINDOWS_QUERY = (
    'web = spark.readStream.schema(S).option("maxFilesPerTrigger", 1).json(web_dir)\n'
    'mobile = spark.readStream.schema(S).option("maxFilesPerTrigger", 1).json(mobile_dir)\n'
    'web.union(mobile).withWatermark("event_time", "10 minutes")'
    '.groupBy(window("event_time", "10 minutes")).agg(count(lit(1)).alias("events"))'
)
# (event_id, event_time, note). wm(N) = progress watermark of batch N = max event time of
# batches 0..N-1 minus 10 minutes.
WINDOWS_FILES = {
    "web": [
        # batch 0 (wm 1970)
        [("w1", "2024-01-01 10:03:00", ""),
         ("w2", "2024-01-01 10:07:00", "")],
        # batch 1 (wm 10:02): web alone moves the max from 10:12 to 10:26
        [("w3", "2024-01-01 10:14:00", ""),
         ("w4", "2024-01-01 10:26:00", "new max; the mobile rows of this batch stay below 10:12")],
        # batch 2 (wm 10:16), web only: moves the max to 10:41
        [("w5", "2024-01-01 10:41:00", "new max"),
         ("w6", "2024-01-01 10:22:00", "")],
    ],
    "mobile": [
        # batch 0: mobile holds the max of batch 0
        [("m1", "2024-01-01 10:01:00", ""),
         ("m2", "2024-01-01 10:12:00", "max of batch 0")],
        # batch 1 (wm 10:02)
        [("m3", "2024-01-01 09:55:00",
          "before batch 1's watermark 10:02 (window [09:50,10:00) ends before it)"),
         ("m4", "2024-01-01 10:09:00", "on time")],
    ],
}

WINDOWS_LATE_FILES = {
    "web": [
        [("w1", "2024-01-01 10:03:00", ""),
         ("w2", "2024-01-01 10:07:00", "")],
        [("w3", "2024-01-01 10:14:00", ""),
         ("w4", "2024-01-01 10:26:00", "new max; the mobile rows of this batch stay below 10:12")],
        [("w5", "2024-01-01 10:41:00", "new max"),
         ("w6", "2024-01-01 10:22:00", "")],
    ],
    "mobile": [
        [("m1", "2024-01-01 10:01:00", ""),
         ("m2", "2024-01-01 10:12:00", "max of batch 0")],
        # batch 1 (wm 10:02, previous batch's wm 1970)
        [("m3", "2024-01-01 09:55:00", "before batch 1's watermark 10:02"),
         ("m4", "2024-01-01 10:09:00", "on time")],
        # batch 2 (wm 10:16, previous batch's wm 10:02)
        [("m5", "2024-01-01 09:58:00", "before both 10:02 and 10:16: window [09:50,10:00) late"),
         ("m6", "2024-01-01 10:05:00",
          "before batch 2's watermark 10:16, after batch 1's 10:02: window [10:00,10:10)"),
         ("m7", "2024-01-01 10:33:00", "on time")],
    ],
}


def write_file(path, text, index):
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    mtime = MTIME_BASE + 60 * (index + 1)
    os.utime(path, (mtime, mtime))


def write_inputs(case, files, to_record):
    for src in SOURCES:
        for i, recs in enumerate(files[src]):
            text = "".join(json.dumps(to_record(r)) + "\n" for r in recs)
            write_file(INPUT_DIR / case / src / f"part-{i:03d}.json", text, i)


def totals_record(r):
    return {"event_id": r[0], "user_id": r[1], "event_type": r[2], "event_time": r[3],
            "amount": r[4]}


def windows_record(r):
    return {"event_id": r[0], "event_time": r[1]}


# ---------------------------------------------------------------------------
# running
# ---------------------------------------------------------------------------
def fmt_ts(v):
    return v.strftime("%Y-%m-%d %H:%M:%S") if isinstance(v, dt.datetime) else v


def source_files_by_log_offset(ckpt):
    """{'web': {logOffset: [file names]}, 'mobile': {...}} from checkpoint/sources/<i>/<n>."""
    out = {s: {} for s in SOURCES}
    src_root = ckpt / "sources"
    for sdir in sorted(src_root.iterdir()):
        for f in sorted(sdir.iterdir()):
            if not f.name.isdigit():
                continue
            lines = f.read_text(encoding="utf-8").splitlines()[1:]  # first line: version
            for line in lines:
                entry = json.loads(line)
                path = entry["path"]
                src = path.rstrip("/").split("/")[-2]
                out[src].setdefault(int(f.name), []).append(path.split("/")[-1])
    return out


def offsets_to_files(files_by_offset, start, end):
    lo = -1 if start is None else start["logOffset"]
    hi = -1 if end is None else end["logOffset"]
    names = []
    for off in range(lo + 1, hi + 1):
        names.extend(files_by_offset.get(off, []))
    return sorted(names)


def norm_desc(text, case):
    for src in SOURCES:
        p = INPUT_DIR / case / src
        text = text.replace("file://" + str(p), f"<{src}>").replace(str(p), f"<{src}>")
    return text


def run_case(spark, case, schema, build, query_text, output_mode, columns, row_of, files):
    dirs = {s: str(INPUT_DIR / case / s) for s in SOURCES}
    web = spark.readStream.schema(schema).option("maxFilesPerTrigger", 1).json(dirs["web"])
    mobile = spark.readStream.schema(schema).option("maxFilesPerTrigger", 1).json(dirs["mobile"])
    df = build(web, mobile)
    captured = {}

    def on_batch(batch_df, batch_id):
        captured[batch_id] = sorted(row_of(r) for r in batch_df.collect())

    ckpt = WORK / "checkpoints" / case
    q = (df.writeStream.outputMode(output_mode).foreachBatch(on_batch)
         .trigger(availableNow=True).option("checkpointLocation", str(ckpt)).start())
    q.awaitTermination()
    progress = [json.loads(p.json) for p in q.recentProgress]
    files_by_offset = source_files_by_log_offset(ckpt)

    batches = []
    for p in progress:
        bid = p["batchId"]
        input_files = {s: [] for s in SOURCES}
        sources = []
        for s in p["sources"]:
            desc = norm_desc(s["description"], case)
            src = "web" if "<web>" in desc else "mobile"
            start, end = s.get("startOffset"), s.get("endOffset")
            input_files[src] = offsets_to_files(files_by_offset[src], start, end)
            sources.append({"description": desc, "num_input_rows": s["numInputRows"],
                            "start_offset": start, "end_offset": end})
        batches.append({
            "batch_id": bid,
            "input_files": input_files,
            "foreach_batch_called": bid in captured,
            "output_rows": captured.get(bid, []),
            "num_input_rows": p["numInputRows"],
            "sources": sources,
            "watermark": p.get("eventTime", {}).get("watermark"),
            "state_operators": [{
                "operator_name": so.get("operatorName"),
                "num_rows_total": so.get("numRowsTotal"),
                "num_rows_updated": so.get("numRowsUpdated"),
                "num_rows_dropped_by_watermark": so.get("numRowsDroppedByWatermark"),
            } for so in p.get("stateOperators", [])],
        })
    return {
        "spark_version": spark.version,
        "query": query_text,
        "output_mode": output_mode,
        "columns": columns,
        "batches": batches,
    }


def totals_build(web, mobile):
    return (web.union(mobile).filter(col("amount") > 10).groupBy("user_id")
            .agg(count(lit(1)).alias("events"), sql_round(sql_sum("amount"), 2).alias("total")))


def windows_build(web, mobile):
    return (web.union(mobile).withWatermark("event_time", "10 minutes")
            .groupBy(window("event_time", "10 minutes")).agg(count(lit(1)).alias("events")))


def totals_row(r):
    return [r["user_id"], r["events"], r["total"]]


def windows_row(r):
    return [fmt_ts(r["window"]["start"]), fmt_ts(r["window"]["end"]), r["events"]]


# ---------------------------------------------------------------------------
def dump(name, obj):
    EXPECTED_DIR.mkdir(parents=True, exist_ok=True)
    p = EXPECTED_DIR / name
    p.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print("wrote", p)


CASES = [
    ("totals", TOTALS_SCHEMA, totals_build, TOTALS_QUERY, "complete",
     ["user_id", "events", "total"], totals_row, TOTALS_FILES, totals_record),
    ("windows", WINDOWS_SCHEMA, windows_build, WINDOWS_QUERY, "append",
     ["window_start", "window_end", "events"], windows_row, WINDOWS_FILES, windows_record),
    ("windows_late", WINDOWS_SCHEMA, windows_build, WINDOWS_QUERY, "append",
     ["window_start", "window_end", "events"], windows_row, WINDOWS_LATE_FILES, windows_record),
]


def main():
    if INPUT_DIR.exists():
        shutil.rmtree(INPUT_DIR)
    for case, *_, files, to_record in CASES:
        write_inputs(case, files, to_record)
    spark = make_spark()
    try:
        print("Spark version:", spark.version)
        for case, schema, build, qtext, mode, columns, row_of, files, _ in CASES:
            dump(f"{case}.json", run_case(spark, case, schema, build, qtext, mode, columns,
                                          row_of, files))
    finally:
        spark.stop()
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
