"""Reference ("golden") outputs from real Spark for `transformWithState` (pyspark's Row-based
arbitrary stateful API, Spark 4) in event-time mode: a sessionizer over a file stream of
clicks.

Usage:  python make_transform_with_state_golden.py          (pyspark 4.3.0, Java 17, pandas
                                                             and protobuf installed, see
                                                             README.md)

Regenerates, next to this script:
  input/event_time/part-00N.json    9 files, one micro-batch each
  expected/event_time_append.json   every batch Spark runs (no-data batches included): batch id,
                                    numInputRows, progress timestamp, watermark, eventTime stats,
                                    the state operator's metrics, the rows foreachBatch received
  expected/event_time_update.json   the same query with outputMode "Update"
  expected/event_time_trace.json    the same state logic (TracingSessionizer) emitting one row
                                    per handleInputRows / handleExpiredTimer call instead
  expected/event_time_append_stepwise.json
                                    the append query again, but fed one file at a time with
                                    processAllAvailable() (default trigger), to show the
                                    no-data batches Spark runs between files
  expected/errors.json              what Spark refuses (output modes, TTL outside
                                    ProcessingTime, EventTime without a watermark, timers in
                                    timeMode None), with error classes and first lines

The processor is in sessionizer.py.  The TTL part (processing time, real sleeps) is
make_ttl_golden.py.

Every query: events = spark.readStream.schema(SCHEMA).option("maxFilesPerTrigger", 1)
.json(<dir>); events.withWatermark("event_time", "5 minutes").groupBy("user")
.transformWithState(...) -> writeStream.outputMode(mode).foreachBatch(fn)
.trigger(availableNow=True), a fresh checkpoint per query (temp dir, deleted at the end).
fn collects the batch (timestamps as epoch microseconds, spark_golden.collect_encoded) and
sorts the rows by all columns as strings (nulls first).

Spark setup: local[1], loopback only, 1 shuffle partition, AQE off, UI off, session time zone
UTC, TZ=UTC, RocksDB state store provider.  File mtimes are fixed (base + 60 s x index) so
maxFilesPerTrigger=1 reads the files in name order.  Everything but the recorded batch
timestamps (progress "timestamp", TimerValues processing time) is the same on every run.
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
from pyspark.sql import functions as F  # noqa: E402

for _logger in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
    PySparkLogger.getLogger(_logger).setLevel(logging.CRITICAL + 1)

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
from spark_golden import collect_encoded  # noqa: E402
import sessionizer  # noqa: E402
from sessionizer import (  # noqa: E402
    OUTPUT_SCHEMA, TRACE_SCHEMA, Sessionizer, SessionizerTTL, TracingSessionizer,
)

cloudpickle.register_pickle_by_value(sessionizer)  # workers get the processor classes by value

INPUT_DIR = HERE / "input" / "event_time"
EXPECTED_DIR = HERE / "expected"
MTIME_BASE = 1704067200  # 2024-01-01 00:00:00 UTC, fixed => reproducible file order
STATE_PROVIDER = "org.apache.spark.sql.execution.streaming.state.RocksDBStateStoreProvider"

SCHEMA = "user STRING, page STRING, event_time TIMESTAMP"
COLUMNS = ["user", "page", "event_time"]
DAY = "2026-03-01T"

# wm(n) = the watermark batch n reports = max event time of batches < n minus 5 minutes
# (0 for batch 0).  A row of batch n is "late" iff event_time <= wm(n-1) (see README).
# Timer of a session = last + 10 min.  Expected (README): batch 9 is a trailing no-data batch.
BATCHES = [
    [  # b0: wm 0
        ("alice", "home", "10:00:00"),   # alice session 1: [10:00, 10:02] -> timer 10:12
        ("alice", "cart", "10:02:00"),
        ("bob", "home", "10:01:00"),     # bob's rows spread over b0, b1, b4 (and a late one in b3)
        ("bob", "home", "10:03:00"),
        ("bob", "search", "10:04:00"),
        ("carol", "promo", "10:05:00"),  # carol: promo first, then home x2 + promo: tie 2-2
    ],
    [  # b1: wm 10:00 (max b0 10:05)
        ("bob", "search", "10:08:00"),
        ("bob", "home", "10:09:00"),     # bob timer 10:14 -> 10:19
        ("carol", "home", "10:06:00"),
        ("carol", "promo", "10:07:00"),
        ("carol", "home", "10:07:00"),   # carol [10:05, 10:07], timer 10:17; top_page tie -> home
        ("dave", "home", "10:10:00"),    # dave timer 10:20
    ],
    [  # b2: wm 10:05 (max b1 10:10); late iff <= wm(b1) = 10:00
        ("frank", "home", "09:58:00"),   # LATE (< 10:00): frank's only row
        ("erin", "home", "10:00:00"),    # exactly wm(b1) = 10:00: late iff "<="
        ("erin", "search", "10:03:00"),  # > wm(b1) but < wm(b2) 10:05: not late if the previous
                                         # watermark is the late-row bound
        ("grace", "home", "10:17:00"),   # pushes wm(b3) to 10:12
    ],
    [  # b3: wm 10:12 (max b2 10:17); late iff <= 10:05
        # alice's timer 10:12 == wm 10:12 (no alice rows): fires iff expiry <= wm
        ("bob", "old", "10:02:00"),      # LATE (< 10:05) for a key with an open session
        ("dave", "cart", "10:14:00"),    # extends dave: timer 10:20 -> 10:24
        ("grace", "cart", "10:18:00"),   # grace timer 10:27 -> 10:28
        ("henry", "home", "10:40:00"),   # jumps wm(b4) to 10:35
    ],
    [  # b4: wm 10:35 (max b3 10:40); late iff <= 10:12
        # due timers, none of these keys has rows: erin 10:13, carol 10:17, dave 10:24,
        # grace 10:28; bob's 10:19 is due too, but bob has a row:
        ("bob", "checkout", "10:30:00"),  # handleInputRows first: extends bob to 10:30, deletes
                                          # the due 10:19 timer, registers 10:40 -> bob stays open
        ("ivan", "home", "10:15:00"),    # > 10:12: not late, but timer 10:26 <= wm 10:35: fires
        ("ivan", "cart", "10:16:00"),    # in this same batch iff timers run after input
        ("henry", "cart", "10:45:00"),   # henry timer 10:50 -> 10:55
    ],
    [  # b5: wm 10:40 (max b4 10:45); late iff <= 10:35
        # bob's timer 10:40 == wm 10:40 (no bob rows): fires iff expiry <= wm
        ("alice", "home", "10:41:00"),   # alice session 2 (session_number 2)
        ("alice", "cart", "10:43:00"),
        ("carol", "promo", "10:30:00"),  # LATE (< 10:35), carol's session closed in b4
        ("jack", "home", "10:50:00"),    # jack timer 11:00
    ],
    [  # b6: wm 10:45 (max b5 10:50); late iff <= 10:40
        ("alice", "cart", "10:44:00"),   # alice timer 10:53 -> 10:54
        ("jack", "search", "10:52:00"),  # jack timer 11:00 -> 11:02
        ("liam", "home", "11:05:00"),    # liam timer 11:15
    ],
    [  # b7: wm 11:00 (max b6 11:05); late iff <= 10:45
        # due: alice 10:54, henry 10:55 (no rows for them)
        ("jack", "home", "10:58:00"),    # jack timer 11:02 -> 11:08
        ("mia", "home", "11:10:00"),     # mia timer 11:20
    ],
    [  # b8: wm 11:05 (max b7 11:10); late iff <= 11:00; no timer due (jack 11:08)
        ("erin", "home", "11:01:00"),    # erin session 2 (closed in b4): session_number 2
        ("noah", "home", "11:30:00"),    # pushes the watermark to 11:25 for a no-data batch
    ],
    # (b9: no-data batch, wm 11:25: jack 11:08, erin 11:11, liam 11:15, mia 11:20 fire;
    #  noah's 11:40 stays in state)
]

SOURCE_CODE = ('events = spark.readStream.schema(SCHEMA).option("maxFilesPerTrigger", 1)'
               '.json("input/event_time")\n'
               'W = events.withWatermark("event_time", "5 minutes")')

# name, code (eval'ed with W, events, the processor classes), output mode of writeStream
QUERIES = [
    ("event_time_append",
     'W.groupBy("user").transformWithState(statefulProcessor=Sessionizer(), '
     'outputStructType=OUTPUT_SCHEMA, outputMode="Append", timeMode="EventTime")', "append"),
    ("event_time_update",
     'W.groupBy("user").transformWithState(statefulProcessor=Sessionizer(), '
     'outputStructType=OUTPUT_SCHEMA, outputMode="Update", timeMode="EventTime")', "update"),
    ("event_time_trace",
     'W.groupBy("user").transformWithState(statefulProcessor=TracingSessionizer(), '
     'outputStructType=TRACE_SCHEMA, outputMode="Append", timeMode="EventTime")', "append"),
]

APPEND_CODE = QUERIES[0][1]


class TimerInNoneMode(Sessionizer):
    """Sessionizer unchanged: it registers a timer, which timeMode "None" does not allow."""



# case, code, writeStream output mode, extra conf for this case, what it shows
ERROR_QUERIES = [
    ("output_mode_complete",
     'W.groupBy("user").transformWithState(statefulProcessor=Sessionizer(), '
     'outputStructType=OUTPUT_SCHEMA, outputMode="Complete", timeMode="EventTime")',
     "complete", {}, "(e) Complete mode"),
    ("output_mode_complete_tws_only",
     'W.groupBy("user").transformWithState(statefulProcessor=Sessionizer(), '
     'outputStructType=OUTPUT_SCHEMA, outputMode="Complete", timeMode="EventTime")',
     "append", {}, "(e) Complete given to transformWithState, sink in append"),
    ("output_mode_append_tws_update_sink",
     APPEND_CODE, "update", {}, "(e) transformWithState Append, sink in update"),
    ("output_mode_update_tws_append_sink",
     'W.groupBy("user").transformWithState(statefulProcessor=Sessionizer(), '
     'outputStructType=OUTPUT_SCHEMA, outputMode="Update", timeMode="EventTime")',
     "append", {}, "(e) transformWithState Update, sink in append"),
    ("ttl_in_event_time_mode",
     'W.groupBy("user").transformWithState(statefulProcessor=SessionizerTTL(), '
     'outputStructType=OUTPUT_SCHEMA, outputMode="Append", timeMode="EventTime")',
     "append", {}, "the briefed processor (sessions_seen with a 20 s TTL) in EventTime mode"),
    ("ttl_in_none_mode",
     'W.groupBy("user").transformWithState(statefulProcessor=SessionizerTTL(), '
     'outputStructType=OUTPUT_SCHEMA, outputMode="Append", timeMode="None")',
     "append", {}, "TTL with timeMode None"),
    ("event_time_without_watermark",
     'events.groupBy("user").transformWithState(statefulProcessor=Sessionizer(), '
     'outputStructType=OUTPUT_SCHEMA, outputMode="Append", timeMode="EventTime")',
     "append", {}, "(f) EventTime, no withWatermark"),
    ("event_time_without_watermark_update",
     'events.groupBy("user").transformWithState(statefulProcessor=Sessionizer(), '
     'outputStructType=OUTPUT_SCHEMA, outputMode="Update", timeMode="EventTime")',
     "update", {}, "(f) EventTime, no withWatermark, Update mode"),
    ("event_time_without_watermark_trace",
     'events.groupBy("user").transformWithState(statefulProcessor=TracingSessionizer(), '
     'outputStructType=TRACE_SCHEMA, outputMode="Append", timeMode="EventTime")',
     "append", {}, "(f) EventTime, no withWatermark: what the processor is called with"),
    ("timer_in_none_mode",
     'W.groupBy("user").transformWithState(statefulProcessor=TimerInNoneMode(), '
     'outputStructType=OUTPUT_SCHEMA, outputMode="Append", timeMode="None")',
     "append", {}, "(f) registerTimer with timeMode None"),
    ("timer_in_processing_time_mode",
     'W.groupBy("user").transformWithState(statefulProcessor=Sessionizer(), '
     'outputStructType=OUTPUT_SCHEMA, outputMode="Append", timeMode="ProcessingTime")',
     "append", {"spark.sql.streaming.noDataMicroBatches.enabled": "false"},
     "(f) the same processor with timeMode ProcessingTime: its timers (event-time values, "
     "2026-03-01) are processing-time timers, already due (no-data batches off: with them on, "
     "an availableNow query in ProcessingTime mode never ends, see README)"),
]

KEPT_CUSTOM_METRICS = [
    "numValueStateVars", "numListStateVars", "numMapStateVars", "numDeletedStateVars",
    "numRegisteredTimers", "numDeletedTimers", "numExpiredTimers",
    "numValueStateWithTTLVars", "numListStateWithTTLVars", "numMapStateWithTTLVars",
    "numValuesRemovedDueToTTLExpiry",
]
STATE_FIELDS = ["operatorName", "numRowsTotal", "numRowsUpdated", "numRowsRemoved",
                "numRowsDroppedByWatermark", "numShufflePartitions", "numStateStoreInstances"]

WORK = Path(tempfile.mkdtemp(prefix="rill-tws-golden-"))


def make_spark():
    spark = (
        SparkSession.builder
        .master("local[1]")
        .appName("rill-transform-with-state-golden")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.default.parallelism", "1")
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.streaming.stateStore.providerClass", STATE_PROVIDER)
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("OFF")
    return spark


# ---------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------
def file_text(rows):
    return "".join(json.dumps({"user": u, "page": p, "event_time": DAY + t}) + "\n"
                   for (u, p, t) in rows)


def write_inputs():
    if INPUT_DIR.exists():
        shutil.rmtree(INPUT_DIR)
    INPUT_DIR.mkdir(parents=True)
    for n, rows in enumerate(BATCHES):
        path = INPUT_DIR / f"part-{n:03d}.json"
        with path.open("w", encoding="utf-8", newline="\n") as f:
            f.write(file_text(rows))
        os.utime(path, (MTIME_BASE + 60 * (n + 1), MTIME_BASE + 60 * (n + 1)))


# ---------------------------------------------------------------------------
# recording
# ---------------------------------------------------------------------------
def sort_key(row):
    return [(0, "") if v is None else (1, v if isinstance(v, str) else json.dumps(v))
            for v in row]


def iso_to_ms(s):
    if s is None:
        return None
    d = dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.timezone.utc)
    return (d - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)) // dt.timedelta(milliseconds=1)


def state_info(op):
    out = {k: op[k] for k in STATE_FIELDS if k in op}
    custom = op.get("customMetrics") or {}
    out["customMetrics"] = {k: custom[k] for k in KEPT_CUSTOM_METRICS if k in custom}
    return out


def offset_log(checkpoint):
    """{batch id: the metadata line of offsets/<id>} (batchWatermarkMs, batchTimestampMs)."""
    out = {}
    for path in (checkpoint / "offsets").iterdir():
        if path.name.isdigit():
            lines = path.read_text().splitlines()
            assert lines[0] == "v1", (path, lines[0])
            out[int(path.name)] = json.loads(lines[1])
    return out


def batch_record(p, rows, meta_line):
    et = p.get("eventTime") or {}
    return {
        "batch_id": p["batchId"],
        "num_input_rows": p["numInputRows"],
        "timestamp": p["timestamp"],
        "timestamp_ms": iso_to_ms(p["timestamp"]),
        "batch_timestamp_ms": meta_line["batchTimestampMs"],
        "offset_log_watermark_ms": meta_line["batchWatermarkMs"],
        "watermark_ms": iso_to_ms(et.get("watermark")),
        "event_time": {k: et.get(k) for k in ("watermark", "min", "max", "avg")} if et else None,
        "state_operators": [state_info(op) for op in p.get("stateOperators", [])],
        "num_output_rows": len(rows),
        "rows": rows,
    }


def env(spark, src):
    events = (spark.readStream.schema(SCHEMA).option("maxFilesPerTrigger", 1).json(str(src)))
    return {"F": F, "events": events, "W": events.withWatermark("event_time", "5 minutes"),
            "OUTPUT_SCHEMA": OUTPUT_SCHEMA, "TRACE_SCHEMA": TRACE_SCHEMA,
            "Sessionizer": Sessionizer, "SessionizerTTL": SessionizerTTL,
            "TracingSessionizer": TracingSessionizer, "TimerInNoneMode": TimerInNoneMode}


def collector(captured, meta, trace=False):
    def on_batch(batch_df, batch_id):
        rows, _ = collect_encoded(batch_df)
        rows.sort(key=(lambda r: r[0]) if trace else sort_key)  # trace: call order (seq)
        captured[batch_id] = rows
        meta.setdefault("columns", batch_df.columns)
        meta.setdefault("column_types", dict(batch_df.dtypes))
    return on_batch


def finish(q, captured, meta, df, name, trace=False):
    progress = [json.loads(p.json) for p in q.recentProgress]
    by_id = {p["batchId"]: p for p in progress}
    assert sorted(by_id) == sorted(captured), (name, sorted(by_id), sorted(captured))
    offsets = offset_log(WORK / "checkpoints" / name)
    batches = []
    for bid in sorted(captured):
        rec = batch_record(by_id[bid], captured[bid], offsets[bid])
        if trace:
            # TimerValues' processing time is the offset log's batchTimestampMs (not the
            # progress "timestamp", which is taken earlier): say so instead of recording a
            # run-dependent number twice.
            for row in rec["rows"]:
                pt = re.search(r" pt=(-?\d+)", row[3]).group(1)
                assert int(pt) == rec["batch_timestamp_ms"], (name, bid, row, rec)
                row[3] = row[3].replace(f" pt={pt}", " pt=<batch_timestamp_ms>")
        batches.append(rec)
    if "columns" not in meta:
        meta["columns"], meta["column_types"] = df.columns, dict(df.dtypes)
    return batches


def run_query(spark, name, code, mode):
    df = eval(code, env(spark, INPUT_DIR))  # noqa: S307 (the exact string stored in the file)
    captured, meta = {}, {}
    trace = "Tracing" in code
    q = (df.writeStream.outputMode(mode).trigger(availableNow=True)
         .foreachBatch(collector(captured, meta, trace))
         .option("checkpointLocation", str(WORK / "checkpoints" / name)).start())
    q.awaitTermination()
    return meta, finish(q, captured, meta, df, name, trace)


def run_stepwise(spark, name, code, mode):
    """Default trigger, files copied into an empty source directory one at a time, each
    followed by processAllAvailable() (which also waits for the no-data batches)."""
    src = WORK / "stepwise_src"
    src.mkdir(parents=True)
    df = eval(code, env(spark, src))  # noqa: S307
    captured, meta = {}, {}
    q = (df.writeStream.outputMode(mode).foreachBatch(collector(captured, meta))
         .option("checkpointLocation", str(WORK / "checkpoints" / name)).start())
    after_file = []
    try:
        for n, path in enumerate(sorted(INPUT_DIR.glob("part-*.json"))):
            tmp = WORK / f"stepwise_tmp_{n}.json"
            shutil.copyfile(path, tmp)
            os.rename(tmp, src / path.name)  # atomic: the source never sees a partial file
            q.processAllAvailable()
            after_file.append({"file": path.name, "batches_so_far": sorted(captured)})
    finally:
        q.stop()
    return meta, finish(q, captured, meta, df, name), after_file


UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
CLASS_RE = re.compile(r"\[([A-Z][A-Z0-9_]+(?:\.[A-Z0-9_]+)*)\] ")


def clean(text):
    text = text.split("=== Streaming Query ===")[0].strip()
    text = UUID_RE.sub("<uuid>", text.replace(str(WORK), "<tmp>"))
    text = text.replace(str(INPUT_DIR), "<input>")
    return re.sub(r"#\d+L?", "#<id>", text)


def error_info(exc):
    cond = getattr(exc, "getCondition", lambda: None)()
    msg = getattr(exc, "getMessage", None)
    text = clean((msg() if msg else str(exc)).strip())
    out = {"exception": type(exc).__name__, "error_class": cond,
           "message_first_line": text.split("\n", 1)[0]}
    # A failure inside a batch arrives as STREAM_FAILED wrapping the real error (often inside a
    # Python traceback): list every "[ERROR_CLASS] message" in the text, outermost first.
    nested = []
    found = list(CLASS_RE.finditer(text))
    for i, m in enumerate(found):
        # the message runs to the next "[CLASS] " or the end of the line
        stop = text.find("\n", m.end())
        stop = len(text) if stop < 0 else stop
        if i + 1 < len(found):
            stop = min(stop, found[i + 1].start())
        entry = {"error_class": m.group(1), "message": text[m.end():stop].strip()}
        if entry not in nested:
            nested.append(entry)
    out["nested_error_classes"] = nested
    # The last Python exception line of a worker traceback, if any.
    py = re.findall(r"^(pyspark\.errors\.[\w.]+|[A-Za-z]+Error): (.*)$", text, re.M)
    if py:
        out["python_exception"] = f"{py[-1][0]}: {py[-1][1]}"
    return out


def run_error(spark, name, code, mode, conf):
    out = {"case": name, "mode": mode, "spark": code, "conf": conf}
    seen = {}
    stage = "eval"
    trace = "Tracing" in code

    def on_batch(batch_df, batch_id):
        rows, _ = collect_encoded(batch_df)  # consume it all: Spark 4.3 needs the commit
        rows.sort(key=(lambda r: r[0]) if trace else sort_key)
        for row in rows if trace else []:  # a wall-clock processing time: not recorded
            row[3] = re.sub(r" pt=\d{10,}", " pt=<wall-clock ms>", row[3])
        seen[batch_id] = rows

    saved = {k: spark.conf.get(k, None) for k in conf}
    for k, v in conf.items():
        spark.conf.set(k, v)
    q = None
    try:
        df = eval(code, env(spark, INPUT_DIR))  # noqa: S307
        stage = "start"
        q = (df.writeStream.outputMode(mode).trigger(availableNow=True).foreachBatch(on_batch)
             .option("checkpointLocation", str(WORK / "checkpoints" / name)).start())
        stage = "awaitTermination"
        finished = q.awaitTermination(120)
        if not finished:
            q.stop()
            out["outcome"] = "still running after 120 s (stopped)"
        else:
            out["outcome"] = "no error"
        out["rows_per_batch"] = [len(seen[b]) for b in sorted(seen)]
        out["batches"] = [{"batch_id": b, "rows": seen[b]} for b in sorted(seen)]
    except Exception as exc:  # noqa: BLE001
        out["raised_at"] = stage
        out["batches_before_failure"] = sorted(seen)
        out["error"] = error_info(exc)
    finally:
        for k, v in saved.items():
            if v is None:
                spark.conf.unset(k)
            else:
                spark.conf.set(k, v)
    return out


def dump(path, obj):
    from spark_golden import golden_dumps
    with path.open("w", encoding="utf-8", newline="\n") as f:
        f.write(golden_dumps(obj))


def summary(batches):
    return " ".join(
        f"b{b['batch_id']}(in={b['num_input_rows']},wm={(b['event_time'] or {}).get('watermark', '-')[11:16]},"
        f"drop={sum(o['numRowsDroppedByWatermark'] for o in b['state_operators'])},"
        f"out={len(b['rows'])})" for b in batches)


def main():
    t0 = time.time()
    write_inputs()
    EXPECTED_DIR.mkdir(parents=True, exist_ok=True)
    spark = make_spark()
    only = set(sys.argv[1:])
    try:
        for name, code, mode in QUERIES:
            if only and name not in only:
                continue
            t = time.time()
            meta, batches = run_query(spark, name, code, mode)
            dump(EXPECTED_DIR / f"{name}.json",
                 {"query": name, "mode": mode, "spark": code, "source": SOURCE_CODE,
                  "processor": "sessionizer.py", "input": "input/event_time",
                  "trigger": "availableNow", "spark_version": spark.version, **meta,
                  "batches": batches})
            print(f"{name:24s} {time.time() - t:5.1f}s {summary(batches)}", flush=True)
        if not only or "event_time_append_stepwise" in only:
            t = time.time()
            meta, batches, after = run_stepwise(spark, "event_time_append_stepwise",
                                                APPEND_CODE, "append")
            dump(EXPECTED_DIR / "event_time_append_stepwise.json",
                 {"query": "event_time_append_stepwise", "mode": "append", "spark": APPEND_CODE,
                  "source": SOURCE_CODE.replace('"input/event_time"', "<empty dir>"),
                  "processor": "sessionizer.py", "input": "input/event_time, copied one file "
                  "at a time into the (at first empty) source directory, processAllAvailable() "
                  "after each", "trigger": "default (ProcessingTime 0)",
                  "spark_version": spark.version, **meta, "after_each_file": after,
                  "batches": batches})
            print(f"{'event_time_append_stepwise':24s} {time.time() - t:5.1f}s {summary(batches)}",
                  flush=True)
        if not only or "errors" in only:
            errors = []
            for name, code, mode, conf, what in ERROR_QUERIES:
                t = time.time()
                e = run_error(spark, name, code, mode, conf)
                e["what"] = what
                errors.append(e)
                print(f"{name:36s} {time.time() - t:5.1f}s "
                      f"{(e.get('error') or {}).get('error_class', e.get('outcome'))} "
                      f"{[x['error_class'] for x in (e.get('error') or {}).get('nested_error_classes', [])]}",
                      flush=True)
            dump(EXPECTED_DIR / "errors.json", {"source": SOURCE_CODE, "processor": "sessionizer.py",
                                                "spark_version": spark.version, "errors": errors})
    finally:
        spark.stop()
        shutil.rmtree(WORK, ignore_errors=True)
    print(f"total {time.time() - t0:.1f}s")


if __name__ == "__main__":
    main()
