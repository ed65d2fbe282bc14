"""Reference ("golden") outputs from real Spark for state TTL in `transformWithState`: the
sessionizer of sessionizer.py with `sessions_seen` given a 20 s TTL, fed with real pauses.

Spark 4.3.0 refuses a TTL unless timeMode is "ProcessingTime"
(STATEFUL_PROCESSOR_INCORRECT_TIME_MODE_TO_ASSIGN_TTL, see expected/errors.json), so this
runs the processor unchanged (SessionizerTTL) with timeMode="ProcessingTime".  Its timers
(last event time + 10 min, on 2026-03-01) are then processing-time timers that are already
due, so every session closes in the batch that brought its rows.

Usage:  python make_ttl_golden.py          (pyspark 4.3.0; runs ~2 min, most of it sleeping)

Regenerates, next to this script:
  input/ttl/part-00N.json          5 files, one micro-batch each
  expected/processing_time_ttl.json
                                   every batch: batch id, numInputRows, the progress
                                   timestamp, the offset log's batchTimestampMs (the time TTL
                                   and processing-time timers use), state metrics, rows; plus
                                   the pause before each file and the TTL checks the script
                                   asserted
  expected/ttl_boundary.json       is a value expired when its expiration time equals the
                                   batch timestamp?  Batch 1 re-run three times with its
                                   batchTimestampMs set (offset log edited) to expiration - 1,
                                   expiration, expiration + 1

Driving: default trigger, spark.sql.streaming.noDataMicroBatches.enabled=false (in
ProcessingTime mode Spark otherwise runs no-data batches back to back forever, see README),
files copied one at a time into an empty source directory, processAllAvailable() after each.
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

from pyspark import cloudpickle  # noqa: E402
from pyspark.logger import PySparkLogger  # noqa: E402
from pyspark.sql import SparkSession  # noqa: E402

for _logger in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
    PySparkLogger.getLogger(_logger).setLevel(logging.CRITICAL + 1)

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
from spark_golden import collect_encoded, golden_dumps  # noqa: E402
import sessionizer  # noqa: E402
from sessionizer import OUTPUT_SCHEMA, SessionizerTTL  # noqa: E402

cloudpickle.register_pickle_by_value(sessionizer)

INPUT_DIR = HERE / "input" / "ttl"
EXPECTED_DIR = HERE / "expected"
MTIME_BASE = 1704067200
STATE_PROVIDER = "org.apache.spark.sql.execution.streaming.state.RocksDBStateStoreProvider"
SCHEMA = "user STRING, page STRING, event_time TIMESTAMP"
DAY = "2026-03-01T"
TTL_MS = 20000

# (seconds after T(n-1) at which file n is fed, rows).  T(n) = batch n's batchTimestampMs
# (the script sleeps until T(n-1) + that many seconds; the batch starts a moment later).
FILES = [
    (0, [  # b0: alice, bob, carol -> session 1 each; sessions_seen = 1 @ T0
        ("alice", "home", "10:00:00"), ("alice", "cart", "10:01:00"),
        ("bob", "home", "10:00:30"),
        ("carol", "home", "10:02:00"), ("carol", "promo", "10:03:00"),
        ("carol", "home", "10:04:00"),
    ]),
    (9, [  # b1 (T1 - T0 < 20 s): bob, carol -> session 2; sessions_seen = 2 @ T1
        ("bob", "search", "10:20:00"),
        ("carol", "cart", "10:21:00"), ("carol", "cart", "10:22:00"),
    ]),
    (14, [  # b2 (T2 - T0 >= 20 s, T2 - T1 < 20 s): alice's value (T0) expired -> 1;
            # bob's (written T0, rewritten T1) alive -> 3: the update reset the TTL
        ("alice", "home", "10:40:00"),
        ("bob", "home", "10:41:00"), ("bob", "promo", "10:42:00"),
        ("dave", "home", "10:43:00"),
    ]),
    (30, [  # b3 (T3 - T2 >= 20 s, T3 - T1 >= 20 s): every value expired -> 1
        ("bob", "cart", "11:00:00"),
        ("carol", "home", "11:01:00"),
        ("erin", "home", "11:02:00"), ("erin", "home", "11:03:00"),
    ]),
    (2, [  # b4 (T4 - T3 < 20 s): carol and erin alive -> 2
        ("carol", "promo", "11:10:00"),
        ("erin", "cart", "11:11:00"),
    ]),
]

# (batch, user, expected session_number, the TTL reasoning the script checks on the times)
CHECKS = [
    (0, "alice", 1, None), (0, "bob", 1, None), (0, "carol", 1, None),
    (1, "bob", 2, ("alive", 0, 1)), (1, "carol", 2, ("alive", 0, 1)),
    (2, "alice", 1, ("expired", 0, 2)), (2, "bob", 3, ("alive", 1, 2)),
    (2, "dave", 1, None),
    (3, "bob", 1, ("expired", 2, 3)), (3, "carol", 1, ("expired", 1, 3)),
    (3, "erin", 1, None),
    (4, "carol", 2, ("alive", 3, 4)), (4, "erin", 2, ("alive", 3, 4)),
]

CODE = ('spark.readStream.schema(SCHEMA).option("maxFilesPerTrigger", 1).json(<dir>)'
        '.groupBy("user").transformWithState(statefulProcessor=SessionizerTTL(), '
        'outputStructType=OUTPUT_SCHEMA, outputMode="Update", timeMode="ProcessingTime")')
CONF = {"spark.sql.streaming.noDataMicroBatches.enabled": "false"}

KEPT_CUSTOM_METRICS = [
    "numValueStateVars", "numListStateVars", "numMapStateVars", "numDeletedStateVars",
    "numRegisteredTimers", "numDeletedTimers", "numExpiredTimers",
    "numValueStateWithTTLVars", "numListStateWithTTLVars", "numMapStateWithTTLVars",
    "numValuesRemovedDueToTTLExpiry",
]
STATE_FIELDS = ["operatorName", "numRowsTotal", "numRowsUpdated", "numRowsRemoved",
                "numRowsDroppedByWatermark", "numShufflePartitions", "numStateStoreInstances"]

WORK = Path(tempfile.mkdtemp(prefix="rill-tws-ttl-golden-"))


def make_spark():
    spark = (
        SparkSession.builder
        .master("local[1]")
        .appName("rill-transform-with-state-ttl-golden")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.default.parallelism", "1")
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.streaming.stateStore.providerClass", STATE_PROVIDER)
        .config("spark.sql.streaming.noDataMicroBatches.enabled", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("OFF")
    return spark


def file_text(rows):
    return "".join(json.dumps({"user": u, "page": p, "event_time": DAY + t}) + "\n"
                   for (u, p, t) in rows)


def write_inputs():
    if INPUT_DIR.exists():
        shutil.rmtree(INPUT_DIR)
    INPUT_DIR.mkdir(parents=True)
    for n, (_, rows) in enumerate(FILES):
        path = INPUT_DIR / f"part-{n:03d}.json"
        with path.open("w", encoding="utf-8", newline="\n") as f:
            f.write(file_text(rows))
        os.utime(path, (MTIME_BASE + 60 * (n + 1), MTIME_BASE + 60 * (n + 1)))


def feed(src, n, text):
    tmp = WORK / f"feed_tmp_{src.name}_{n}.json"
    tmp.write_text(text)
    os.rename(tmp, src / f"part-{n:03d}.json")


def sort_key(row):
    return [(0, "") if v is None else (1, v if isinstance(v, str) else json.dumps(v))
            for v in row]


def iso_to_ms(s):
    if s is None:
        return None
    d = dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.timezone.utc)
    return (d - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)) // dt.timedelta(milliseconds=1)


def offset_log(checkpoint):
    out = {}
    for path in (checkpoint / "offsets").iterdir():
        if path.name.isdigit():
            lines = path.read_text().splitlines()
            out[int(path.name)] = json.loads(lines[1])
    return out


def state_info(op):
    out = {k: op[k] for k in STATE_FIELDS if k in op}
    custom = op.get("customMetrics") or {}
    out["customMetrics"] = {k: custom[k] for k in KEPT_CUSTOM_METRICS if k in custom}
    return out


def start(spark, src, checkpoint, captured, trigger_available_now=False):
    df = (spark.readStream.schema(SCHEMA).option("maxFilesPerTrigger", 1).json(str(src))
          .groupBy("user").transformWithState(statefulProcessor=SessionizerTTL(),
                                              outputStructType=OUTPUT_SCHEMA,
                                              outputMode="Update", timeMode="ProcessingTime"))

    def on_batch(batch_df, batch_id):
        rows, _ = collect_encoded(batch_df)
        rows.sort(key=sort_key)
        captured.setdefault(batch_id, []).append(rows)  # a re-run batch appears twice

    w = df.writeStream.outputMode("update").foreachBatch(on_batch)
    if trigger_available_now:
        w = w.trigger(availableNow=True)
    return df, w.option("checkpointLocation", str(checkpoint)).start()


def main_run(spark):
    src = WORK / "src"
    src.mkdir()
    checkpoint = WORK / "ck_main"
    captured = {}
    df, q = start(spark, src, checkpoint, captured)
    fed = []
    progress = []
    try:
        for n, (after_s, rows) in enumerate(FILES):
            slept = 0.0
            if n > 0:
                prev_ts = offset_log(checkpoint)[n - 1]["batchTimestampMs"]
                slept = max(0.0, prev_ts / 1000 + after_s - time.time())
                time.sleep(slept)
            feed(src, n, file_text(rows))
            q.processAllAvailable()
            fed.append({"file": f"part-{n:03d}.json",
                        "fed_at_s_after_previous_batch_timestamp": after_s if n else None,
                        "slept_s": round(slept, 1), "batches_so_far": sorted(captured)})
        progress = [json.loads(p.json) for p in q.recentProgress]
    finally:
        q.stop()
    offsets = offset_log(checkpoint)
    by_id = {p["batchId"]: p for p in progress}
    assert sorted(by_id) == sorted(captured) == list(range(len(FILES))), (
        sorted(by_id), sorted(captured))
    batches = []
    for bid in sorted(captured):
        p = by_id[bid]
        rows = captured[bid][0]
        batches.append({
            "batch_id": bid,
            "num_input_rows": p["numInputRows"],
            "timestamp": p["timestamp"],
            "timestamp_ms": iso_to_ms(p["timestamp"]),
            "batch_timestamp_ms": offsets[bid]["batchTimestampMs"],
            "offset_log_watermark_ms": offsets[bid]["batchWatermarkMs"],
            "event_time": p.get("eventTime") or None,
            "state_operators": [state_info(op) for op in p.get("stateOperators", [])],
            "num_output_rows": len(rows),
            "rows": rows,
        })
    # the TTL reasoning behind each expected session_number, checked on the real times
    ts = [b["batch_timestamp_ms"] for b in batches]
    checks, problems = [], []
    for bid, user, number, why in CHECKS:
        got = [r for r in batches[bid]["rows"] if r[0] == user]
        entry = {"batch_id": bid, "user": user, "session_number": number}
        if len(got) != 1 or got[0][6] != number:
            problems.append(("unexpected session_number", entry, got))
        if why:
            kind, written, read = why
            age = ts[read] - ts[written]
            entry.update({"sessions_seen_written_in_batch": written, "read_in_batch": read,
                          "age_ms": age, "ttl_ms": TTL_MS, "expected": kind})
            if (age < TTL_MS) != (kind == "alive"):
                problems.append(("timing: the pauses did not give the designed ages", entry))
        checks.append(entry)
    if problems:
        print(json.dumps(batches, indent=1)[:20000])
        raise AssertionError(problems)
    return {"query": "processing_time_ttl", "spark": CODE, "conf": CONF,
            "processor": "sessionizer.py (SessionizerTTL: sessions_seen TTL 20000 ms)",
            "input": "input/ttl, copied one file at a time into an empty source directory, "
                     "processAllAvailable() after each, default trigger",
            "spark_version": spark.version, "columns": df.columns,
            "column_types": dict(df.dtypes), "fed": fed, "ttl_checks": checks,
            "batches": batches}


def rerun_batch_1(spark, src, checkpoint, batch_ts, captured):
    """Make batch 1 uncommitted with batchTimestampMs = batch_ts and restart: Spark re-runs it
    from the offset log, with that timestamp (the recovery path after a crash)."""
    path = checkpoint / "offsets" / "1"
    text = path.read_text()
    new = re.sub(r'"batchTimestampMs":\d+', f'"batchTimestampMs":{batch_ts}', text, count=1)
    path.write_text(new)
    for p in [checkpoint / "offsets" / ".1.crc", checkpoint / "commits" / "1",
              checkpoint / "commits" / ".1.crc"]:
        if p.exists():
            p.unlink()
    captured.pop(1, None)
    _, q = start(spark, src, checkpoint, captured, trigger_available_now=True)
    q.awaitTermination()
    progress = [json.loads(p.json) for p in q.recentProgress]
    assert [p["batchId"] for p in progress] == [1], progress
    assert offset_log(checkpoint)[1]["batchTimestampMs"] == batch_ts
    return captured[1][-1], progress[0]


def boundary_run(spark):
    src = WORK / "src_boundary"
    src.mkdir()
    checkpoint = WORK / "ck_boundary"
    captured = {}
    rows0 = [("zed", "home", "10:00:00")]
    rows1 = [("zed", "cart", "10:30:00")]
    feed(src, 0, file_text(rows0))
    _, q = start(spark, src, checkpoint, captured, trigger_available_now=True)
    q.awaitTermination()
    feed(src, 1, file_text(rows1))
    _, q = start(spark, src, checkpoint, captured, trigger_available_now=True)
    q.awaitTermination()
    offsets = offset_log(checkpoint)
    t0, t1 = offsets[0]["batchTimestampMs"], offsets[1]["batchTimestampMs"]
    expiration = t0 + TTL_MS
    out = {"what": "sessions_seen of user zed is written in batch 0 (batchTimestampMs T0, so "
                   "its expiration is T0 + 20000).  Batch 1 (one more zed row) is then re-run "
                   "with batchTimestampMs = expiration + delta: offsets/1 edited, commits/1 "
                   "deleted, query restarted (availableNow).  session_number 2 = the value was "
                   "alive, 1 = expired.",
           "spark": CODE, "conf": CONF, "rows_batch_0": [list(r) for r in rows0],
           "rows_batch_1": [list(r) for r in rows1],
           "batch_0_output": captured[0][0],
           "batch_1_first_run": {"batch_timestamp_minus_T0_ms": t1 - t0,
                                 "rows": captured[1][0]},
           "reruns": []}
    for delta in (-1, 0, 1):
        rows, progress = rerun_batch_1(spark, src, checkpoint, expiration + delta, captured)
        ops = [state_info(op) for op in progress.get("stateOperators", [])]
        out["reruns"].append({"batch_timestamp_minus_expiration_ms": delta,
                              "session_number": rows[0][6], "rows": rows,
                              "state_operators": ops})
    return out


def dump(path, obj):
    with path.open("w", encoding="utf-8", newline="\n") as f:
        f.write(golden_dumps(obj))


def main():
    t0 = time.time()
    write_inputs()
    EXPECTED_DIR.mkdir(parents=True, exist_ok=True)
    spark = make_spark()
    only = set(sys.argv[1:])
    try:
        if not only or "boundary" in only:
            res = boundary_run(spark)
            dump(EXPECTED_DIR / "ttl_boundary.json", res)
            print("ttl_boundary", [(r["batch_timestamp_minus_expiration_ms"], r["session_number"])
                                   for r in res["reruns"]], flush=True)
        if not only or "main" in only:
            res = main_run(spark)
            dump(EXPECTED_DIR / "processing_time_ttl.json", res)
            print("processing_time_ttl", [
                (b["batch_id"], b["batch_timestamp_ms"] - res["batches"][0]["batch_timestamp_ms"],
                 [(r[0], r[6]) for r in b["rows"]]) for b in res["batches"]], flush=True)
    finally:
        spark.stop()
        shutil.rmtree(WORK, ignore_errors=True)
    print(f"total {time.time() - t0:.1f}s")


if __name__ == "__main__":
    main()
