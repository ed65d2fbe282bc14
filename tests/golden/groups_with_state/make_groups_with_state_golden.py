"""Reference ("golden") outputs from real Spark for flatMapGroupsWithState semantics, through
PySpark's applyInPandasWithState (the Python face of FlatMapGroupsWithState, with
GroupStateTimeout.EventTimeTimeout).

Usage:  python make_groups_with_state_golden.py [query ...]   (pyspark 4.3.0, Java 17,
                                                                pandas 2.3.3, pyarrow, protobuf)

Regenerates, next to this script:
  input/events/part-00N.json   copies of ../chained/input/events (user, event_time, amount)
  input/probe/part-00N.json    small input built to hit the equality boundaries
  input/metrics/part-00N.json  small input for the state-store metrics
  expected/<query>.json        every batch Spark runs (no-data batches included): batch id,
                               numInputRows, watermark (ms), eventTime (progress verbatim),
                               the state operators' metrics, rows; a query that fails has the
                               batches committed before it and `failure`
  expected/errors.json         the error / edge cases
  expected/scala_metrics_trace.json
                               metrics_trace's function with the Scala API
                               (flatMapGroupsWithState), from ScalaMetricsCheck.scala, compiled
                               with pyspark's scala-compiler jar and run with spark-submit

Query names as arguments run only those; "errors" runs the error cases, "scala" the Scala check.

Every query reads its input with spark.readStream.schema(SCHEMA)
.option("maxFilesPerTrigger", 1).json(<dir>), withWatermark("event_time", "10 minutes")
(except the no-watermark case), then the code stored in the expected file (eval'ed as stored),
then writeStream.outputMode(mode).trigger(availableNow=True).foreachBatch(fn) with a fresh
checkpoint. fn collects the batch (timestamps as epoch microseconds) and sorts its rows by
their JSON text.

Spark: local[1], loopback only, 1 shuffle partition, AQE off, UI off, session time zone UTC,
TZ=UTC, the default (HDFS-backed) state store. File mtimes are fixed (base + 60 s x (index+1))
so maxFilesPerTrigger=1 reads one file per batch, in name order.
"""
import datetime as dt
import inspect
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
# pyspark's worker.py (pd.concat of all-NA frames) warns once per batch; keep the log readable.
os.environ["PYTHONWARNINGS"] = "ignore::FutureWarning"
time.tzset()

from pyspark.logger import PySparkLogger  # noqa: E402
from pyspark.sql import SparkSession  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

for _logger in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
    PySparkLogger.getLogger(_logger).setLevel(logging.CRITICAL + 1)

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from spark_golden import encode_nested, golden_dumps, row_key  # noqa: E402

INPUT_DIR = HERE / "input"
EXPECTED_DIR = HERE / "expected"
CHAINED_EVENTS = HERE.parent / "chained" / "input" / "events"
WORK = Path(tempfile.mkdtemp(prefix="rill-gws-golden-"))
MTIME_BASE = 1704067200  # 2024-01-01 00:00:00 UTC
DAY = "2026-03-01T"
SCHEMA = "user STRING, event_time TIMESTAMP, amount LONG"
STATE_FIELDS = ("operatorName", "numRowsTotal", "numRowsUpdated", "numRowsRemoved",
                "numRowsDroppedByWatermark")

# ---------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------
# input/events: the files of ../chained/input/events, copied (batch n reads part n):
#   b0 (wm 0):     u1 10:01 5, u1 10:03 7, u2 10:04 1, u1 10:12 2, u2 10:26 3
#   b1 (wm 10:16): u1 10:14 4, u3 10:31 10, u2 10:52 1
#   b2 (wm 10:42): u1 10:13 100 (late: <= wm(b1) 10:16), u2 10:17 9, u1 11:05 2, u3 11:10 4
#   b3 (wm 11:00): u1 10:58 3, u2 10:44 6, u4 11:40 8
#   b4 (wm 11:30): u3 10:57 50 (late: <= wm(b3) 11:00), u1 11:12 6, u2 12:30 1
#   b5 (wm 12:20): u1 12:04 2, u5 23:00 1
#   b6 (wm 22:50): no data

# input/probe: equality boundaries, with the briefed function (timeout = last + 5 min).
PROBE = [
    [("p1", "10:00:00", 1),   # p1 timeout 10:05
     ("p2", "10:15:00", 1)],  # p2 timeout 10:20; max 10:15 -> wm(b1) = 10:05
    [("p2", "10:10:00", 2)],  # b1 (wm 10:05 == p1's timeout); max stays 10:15 -> wm(b2) 10:05
    [("p4", "10:05:00", 1),   # b2 (wm 10:05): event_time == wm(b1) 10:05: late?
     ("p5", "10:05:01", 1),   #   just above the late bound
     ("p6", "10:16:00", 1)],  #   max 10:16 -> wm(b3) 10:06
    [("p7", "10:30:00", 1)],  # b3 (wm 10:06 > p1's 10:05); max 10:30 -> wm(b4) 10:20
    [("p8", "10:40:00", 1)],  # b4 (wm 10:20 == p2's timeout); -> wm(b5) 10:30
    # b5: no-data batch (wm 10:30)
]

# input/metrics: per-key behaviours of metrics_fn (see there).
METRICS = [
    [(k, "10:00:00", 1) for k in ("a", "b", "c", "d", "e", "g", "h", "k", "m", "r")],
    #                                                                     -> wm(b1) 09:50
    [(k, "10:01:00", 1) for k in ("a", "b", "c", "d", "e", "g", "h")],  # -> wm(b2) 09:51
    [("z", "13:00:00", 1)],                                             # -> wm(b3) 12:50
    [("y", "14:00:00", 1),                                              # -> wm(b4) 13:50
     ("k", "12:55:00", 1),   # b3 (wm 12:50): k and m have data AND a passed timeout (12:00)
     ("m", "12:55:00", 1)],
    # b4: no-data batch (wm 13:50)
]


def set_mtime(path, n):
    os.utime(path, (MTIME_BASE + 60 * (n + 1), MTIME_BASE + 60 * (n + 1)))


def write_stream(name, batches):
    d = INPUT_DIR / name
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    for n, rows in enumerate(batches):
        path = d / f"part-{n:03d}.json"
        with path.open("w", encoding="utf-8", newline="\n") as f:
            for user, t, amount in rows:
                f.write(json.dumps({"user": user, "event_time": DAY + t, "amount": amount})
                        + "\n")
        set_mtime(path, n)


def write_inputs():
    d = INPUT_DIR / "events"
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    for n, src in enumerate(sorted(CHAINED_EVENTS.glob("part-*.json"))):
        shutil.copyfile(src, d / src.name)
        set_mtime(d / src.name, n)
    write_stream("probe", PROBE)
    write_stream("metrics", METRICS)


# ---------------------------------------------------------------------------
# the functions (shipped to the Python workers by value)
# ---------------------------------------------------------------------------
OUT = "user string, events long, total long, closed boolean, last timestamp"
STATE = "events long, total long, last timestamp"
TRACE = ("user string, has_timed_out boolean, n_rows long, event_times string, "
         "state_before string, old_timeout_ms long, watermark_ms long, new_timeout_ms long, "
         "action string")
FIVE_MIN_MS = 5 * 60 * 1000


def norm_ts(t):
    """A timestamp (pandas / datetime, naive = UTC) as a naive UTC pandas Timestamp."""
    import pandas as pd

    t = pd.Timestamp(t)
    return t.tz_convert("UTC").tz_localize(None) if t.tzinfo is not None else t


def to_ms(t):
    return int(norm_ts(t).value // 1_000_000)


def hms(t):
    return norm_ts(t).strftime("%H:%M:%S")


def session_step(key, pdfs, state, timeout_rule, on_timeout):
    """One call of the session function. Returns (output row or None, trace row).

    timeout_rule(last_ms, watermark_ms) -> the timeout to set.
    on_timeout: "remove" (the brief: emit closed, remove) or "keep" (emit closed; no update,
    no remove, no setTimeoutTimestamp)."""
    wm = state.getCurrentWatermarkMs()
    before = (",".join(str(v) if not hasattr(v, "year") else hms(v) for v in state.get)
              if state.exists else None)
    trace = {"user": key[0], "has_timed_out": bool(state.hasTimedOut), "state_before": before,
             "old_timeout_ms": int(state.oldTimeoutTimestamp), "watermark_ms": int(wm),
             "new_timeout_ms": None}
    rows = []
    for pdf in pdfs:
        rows.extend(zip(pdf["event_time"], pdf["amount"]))
    trace["n_rows"] = len(rows)
    trace["event_times"] = ",".join(sorted(hms(t) for t, _ in rows))
    if state.hasTimedOut:
        events, total, last = state.get
        out = (key[0], events, total, True, last)
        if on_timeout == "remove":
            state.remove()
        trace["action"] = "timeout:" + on_timeout
        return out, trace
    events, total, last = state.get if state.exists else (0, 0, None)
    for t, amount in rows:
        events += 1
        total += int(amount)
        last = norm_ts(t) if last is None else max(norm_ts(last), norm_ts(t))
    state.update((events, total, last))
    new_timeout = timeout_rule(to_ms(last), wm)
    trace["new_timeout_ms"] = int(new_timeout)
    state.setTimeoutTimestamp(new_timeout)
    trace["action"] = "update+timeout"
    return (key[0], events, total, False, last), trace


def out_frame(row):
    import pandas as pd

    user, events, total, closed, last = row
    return pd.DataFrame({"user": [user], "events": [int(events)], "total": [int(total)],
                         "closed": [bool(closed)], "last": [norm_ts(last)]})


def trace_frame(trace):
    import pandas as pd

    cols = [c.split()[0] for c in TRACE.split(", ")]
    return pd.DataFrame({c: [trace[c]] for c in cols}).astype(
        {"n_rows": "int64", "old_timeout_ms": "int64", "watermark_ms": "int64",
         "new_timeout_ms": "Int64"})


def rule_brief(last_ms, wm):          # the brief: last + 5 minutes
    return last_ms + FIVE_MIN_MS


def rule_clamped(last_ms, wm):        # last + 5 minutes, but never below the watermark
    return max(last_ms + FIVE_MIN_MS, wm)


def rule_minus_1h(last_ms, wm):       # error case (a): last - 1 hour
    return last_ms - 60 * 60 * 1000


def sessions_fn(key, pdfs, state):
    """The briefed function: timeout = last + 5 min; on timeout emit closed=True, remove."""
    out, _ = session_step(key, pdfs, state, rule_brief, "remove")
    yield out_frame(out)


def sessions_clamped_fn(key, pdfs, state):
    """sessions_fn with timeout = max(last + 5 min, current watermark)."""
    out, _ = session_step(key, pdfs, state, rule_clamped, "remove")
    yield out_frame(out)


def sessions_clamped_trace_fn(key, pdfs, state):
    """sessions_clamped_fn's logic, emitting one trace row per call instead."""
    _, trace = session_step(key, pdfs, state, rule_clamped, "remove")
    yield trace_frame(trace)


def keep_on_timeout_trace_fn(key, pdfs, state):
    """sessions_clamped_fn's logic, but on timeout it neither updates, removes nor sets a
    timeout; one trace row per call."""
    _, trace = session_step(key, pdfs, state, rule_clamped, "keep")
    yield trace_frame(trace)


def keep_on_timeout_fn(key, pdfs, state):
    """keep_on_timeout_trace_fn with the session rows as output."""
    out, _ = session_step(key, pdfs, state, rule_clamped, "keep")
    yield out_frame(out)


def sessions_trace_fn(key, pdfs, state):
    """sessions_fn's logic (timeout = last + 5 min), one trace row per call."""
    _, trace = session_step(key, pdfs, state, rule_brief, "remove")
    yield trace_frame(trace)


def minus_1h_fn(key, pdfs, state):
    """Error case (a): timeout = last - 1 hour."""
    out, _ = session_step(key, pdfs, state, rule_minus_1h, "remove")
    yield out_frame(out)


def no_timeout_fn(key, pdfs, state):
    """NoTimeout: running (events, total, last) per user, never a timeout."""
    rows = []
    for pdf in pdfs:
        rows.extend(zip(pdf["event_time"], pdf["amount"]))
    events, total, last = state.get if state.exists else (0, 0, None)
    for t, amount in rows:
        events += 1
        total += int(amount)
        last = norm_ts(t) if last is None else max(norm_ts(last), norm_ts(t))
    state.update((events, total, last))
    yield out_frame((key[0], events, total, False, last))


METRICS_TIMEOUT_MS = 1772366400000      # 2026-03-01 12:00:00 UTC
METRICS_TIMEOUT_H_MS = 1772368200000    # 2026-03-01 12:30:00 UTC


def metrics_fn(key, pdfs, state):
    """State `events long`, fixed timeouts, one trace row per call. Per key:
      a: every data call: update(events+1) + setTimeoutTimestamp(12:00); on timeout: remove
      b: every data call: update only (no timeout)
      c: b0: update + timeout 12:00; b1: setTimeoutTimestamp(12:00) again, no update;
         on timeout: nothing
      d: b0: update + timeout 12:00; b1: nothing at all; on timeout: nothing
      e: nothing at all, ever (never has state)
      g: b0: update + timeout 12:00; b1: remove
      h: b0: update + timeout 12:00; b1: setTimeoutTimestamp(12:30), no update;
         on timeout: nothing
      k: b0: update + timeout 12:00; b3 (with data, timeout passed): nothing; on timeout:
         nothing
      m: b0: update + timeout 12:00; b3 (with data, timeout passed): update only; on timeout:
         nothing
      r: (b0 only) remove() on a key that has no state
      z: update + timeout 12:00; on timeout: update(events+100), no timeout set
      y: update only"""
    import pandas as pd

    user = key[0]
    n = sum(len(p) for p in pdfs)
    first = not state.exists
    events = state.get[0] if state.exists else 0
    trace = {"user": user, "has_timed_out": bool(state.hasTimedOut), "n_rows": n,
             "event_times": "", "state_before": str(events) if state.exists else None,
             "old_timeout_ms": int(state.oldTimeoutTimestamp),
             "watermark_ms": int(state.getCurrentWatermarkMs()), "new_timeout_ms": None}
    acts = []
    if state.hasTimedOut:
        if user == "a":
            state.remove()
            acts.append("remove")
        elif user == "z":
            state.update((events + 100,))
            acts.append("update")
        else:
            acts.append("nothing")
        trace["action"] = "timeout:" + "+".join(acts)
        yield trace_frame(trace)
        return
    if user in ("a", "z") or (user in ("c", "d", "g", "h", "k", "m") and first):
        state.update((events + 1,))
        state.setTimeoutTimestamp(METRICS_TIMEOUT_MS)
        trace["new_timeout_ms"] = METRICS_TIMEOUT_MS
        acts.append("update+timeout")
    elif user in ("b", "y", "m"):
        state.update((events + 1,))
        acts.append("update")
    elif user == "c":
        state.setTimeoutTimestamp(METRICS_TIMEOUT_MS)
        trace["new_timeout_ms"] = METRICS_TIMEOUT_MS
        acts.append("timeout(same)")
    elif user == "h":
        state.setTimeoutTimestamp(METRICS_TIMEOUT_H_MS)
        trace["new_timeout_ms"] = METRICS_TIMEOUT_H_MS
        acts.append("timeout(new)")
    elif user in ("g", "r"):
        state.remove()
        acts.append("remove")
    else:
        acts.append("nothing")
    trace["action"] = "+".join(acts)
    yield trace_frame(trace)


FUNCTIONS = [norm_ts, to_ms, hms, session_step, out_frame, trace_frame, rule_brief,
             rule_clamped, rule_minus_1h, sessions_fn, sessions_clamped_fn,
             sessions_clamped_trace_fn, keep_on_timeout_trace_fn, keep_on_timeout_fn,
             sessions_trace_fn, minus_1h_fn, no_timeout_fn, metrics_fn]

SOURCE_CODE = (
    f'SCHEMA = "{SCHEMA}"\n'
    'events = spark.readStream.schema(SCHEMA).option("maxFilesPerTrigger", 1)'
    '.json("input/events")\n'
    'E = events.withWatermark("event_time", "10 minutes")\n'
    'P = (spark.readStream.schema(SCHEMA).option("maxFilesPerTrigger", 1).json("input/probe")\n'
    '     .withWatermark("event_time", "10 minutes"))\n'
    'M = (spark.readStream.schema(SCHEMA).option("maxFilesPerTrigger", 1).json("input/metrics")\n'
    '     .withWatermark("event_time", "10 minutes"))\n'
    f'OUT = "{OUT}"\n'
    f'STATE = "{STATE}"\n'
    f'TRACE = "{TRACE}"\n'
    f'FIVE_MIN_MS = {FIVE_MIN_MS}\n'
    f'METRICS_TIMEOUT_MS = {METRICS_TIMEOUT_MS}  # 12:00\n'
    f'METRICS_TIMEOUT_H_MS = {METRICS_TIMEOUT_H_MS}  # 12:30\n\n'
) + "\n\n".join(inspect.getsource(f) for f in FUNCTIONS)


def aipws(df, fn, out, state, mode, timeout):
    return (f'{df}.groupBy("user").applyInPandasWithState({fn}, outputStructType={out}, '
            f'stateStructType={state}, outputMode="{mode}", timeoutConf="{timeout}")')


SESSIONS = aipws("E", "sessions_fn", "OUT", "STATE", "append", "EventTimeTimeout")

# name, query output mode, code, what
QUERIES = [
    ("event_time_sessions", "append", SESSIONS,
     "The briefed function as specified (timeout = last + 5 min). It fails in batch 3."),
    ("event_time_sessions_clamped", "append",
     aipws("E", "sessions_clamped_fn", "OUT", "STATE", "append", "EventTimeTimeout"),
     "The briefed function with timeout = max(last + 5 min, current watermark), so that it "
     "runs through."),
    ("event_time_sessions_clamped_trace", "append",
     aipws("E", "sessions_clamped_trace_fn", "TRACE", "STATE", "append", "EventTimeTimeout"),
     "event_time_sessions_clamped's logic, one trace row per function call."),
    ("event_time_sessions_trace", "append",
     aipws("E", "sessions_trace_fn", "TRACE", "STATE", "append", "EventTimeTimeout"),
     "event_time_sessions' logic (unclamped), one trace row per call, up to the failure."),
    ("keep_on_timeout", "append",
     aipws("E", "keep_on_timeout_fn", "OUT", "STATE", "append", "EventTimeTimeout"),
     "event_time_sessions_clamped, but a timed-out group is not removed (no update, no "
     "remove, no new timeout)."),
    ("keep_on_timeout_trace", "append",
     aipws("E", "keep_on_timeout_trace_fn", "TRACE", "STATE", "append", "EventTimeTimeout"),
     "keep_on_timeout's logic, one trace row per call."),
    ("no_timeout", "append",
     aipws("E", "no_timeout_fn", "OUT", "STATE", "append", "NoTimeout"),
     "NoTimeout, running totals per user: are late rows dropped without an event-time "
     "timeout?"),
    ("probe_sessions", "append",
     aipws("P", "sessions_fn", "OUT", "STATE", "append", "EventTimeTimeout"),
     "The briefed function on input/probe: timeout == watermark, event_time == late bound."),
    ("probe_trace", "append",
     aipws("P", "sessions_trace_fn", "TRACE", "STATE", "append", "EventTimeTimeout"),
     "probe_sessions' logic, one trace row per call."),
    ("metrics_trace", "append",
     aipws("M", "metrics_fn", "TRACE", '"events long"', "append", "EventTimeTimeout"),
     "Per-key behaviours (see metrics_fn) on input/metrics, for numRowsTotal / Updated / "
     "Removed."),
]

# case, query output mode, code, what
ERROR_QUERIES = [
    ("a_timeout_before_watermark", "append",
     aipws("E", "minus_1h_fn", "OUT", "STATE", "append", "EventTimeTimeout"),
     "(a) setTimeoutTimestamp(last - 1 hour)"),
    ("a2_briefed_function", "append", SESSIONS,
     "(a) the briefed function itself: in batch 3 (wm 11:00) u2's last stays 10:52 (its new "
     "row is 10:44), so it sets 10:57 < 11:00"),
    ("b_event_time_timeout_without_watermark", "append",
     aipws("events", "sessions_clamped_fn", "OUT", "STATE", "append", "EventTimeTimeout"),
     "(b) EventTimeTimeout on a stream without a watermark"),
    ("b2_no_timeout_without_watermark", "append",
     aipws("events", "no_timeout_fn", "OUT", "STATE", "append", "NoTimeout"),
     "(b) for comparison: NoTimeout without a watermark"),
    ("c1_func_update_query_append", "append",
     aipws("E", "sessions_clamped_fn", "OUT", "STATE", "update", "EventTimeTimeout"),
     "(c) outputMode=\"update\" in applyInPandasWithState, query output mode append"),
    ("c2_func_append_query_update", "update",
     aipws("E", "sessions_clamped_fn", "OUT", "STATE", "append", "EventTimeTimeout"),
     "(c) outputMode=\"append\" in applyInPandasWithState, query output mode update"),
    ("c3_func_update_query_update", "update",
     aipws("E", "sessions_clamped_fn", "OUT", "STATE", "update", "EventTimeTimeout"),
     "(c) for comparison: update / update"),
    ("c4_func_append_query_complete", "complete",
     aipws("E", "sessions_clamped_fn", "OUT", "STATE", "append", "EventTimeTimeout"),
     "(c) for comparison: append / complete"),
    ("d_then_window_count", "append",
     aipws("E", "sessions_clamped_fn", "OUT", "STATE", "append", "EventTimeTimeout")
     + '.groupBy(F.window("last", "10 minutes")).count()',
     "(d) applyInPandasWithState -> groupBy(window(last, 10 minutes)).count(), append"),
    ("d2_then_watermark_window_count", "append",
     aipws("E", "sessions_clamped_fn", "OUT", "STATE", "append", "EventTimeTimeout")
     + '.withWatermark("last", "10 minutes").groupBy(F.window("last", "10 minutes")).count()',
     "(d) the same with withWatermark(\"last\", \"10 minutes\") before the aggregation"),
]


# ---------------------------------------------------------------------------
# running
# ---------------------------------------------------------------------------
def make_spark():
    spark = (
        SparkSession.builder
        .master("local[1]")
        .appName("rill-groups-with-state-golden")
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


def env(spark):
    def read(name):
        return (spark.readStream.schema(SCHEMA).option("maxFilesPerTrigger", 1)
                .json(str(INPUT_DIR / name)))

    events = read("events")
    names = {f.__name__: f for f in FUNCTIONS}
    return {"F": F, "events": events, "E": events.withWatermark("event_time", "10 minutes"),
            "P": read("probe").withWatermark("event_time", "10 minutes"),
            "M": read("metrics").withWatermark("event_time", "10 minutes"),
            "OUT": OUT, "STATE": STATE, "TRACE": TRACE, **names}


def iso_to_ms(s):
    if s is None:
        return None
    d = dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.timezone.utc)
    return (d - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)) // dt.timedelta(milliseconds=1)


def encode_rows(batch_df):
    return sorted(([encode_nested(v) for v in r] for r in batch_df.collect()), key=row_key)


UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
CLASS_RE = re.compile(r"\[([A-Z][A-Z0-9_]+(?:\.[A-Z0-9_]+)*)\] ")


def clean(text):
    text = text.split("=== Streaming Query ===")[0].strip()
    text = UUID_RE.sub("<uuid>", text.replace(str(WORK), "<tmp>"))
    text = text.replace(str(INPUT_DIR), "<input>").replace(str(HERE), "<here>")
    text = re.sub(r"File \"[^\"]*/site-packages/", "File \"<site-packages>/", text)
    return re.sub(r"#\d+L?", "#<id>", text)


def error_info(exc):
    cond = getattr(exc, "getCondition", lambda: None)()
    msg = getattr(exc, "getMessage", None)
    text = clean((msg() if msg else str(exc)).strip())
    out = {"exception": type(exc).__name__, "error_class": cond,
           "message_first_line": text.split("\n", 1)[0]}
    nested = []
    found = list(CLASS_RE.finditer(text))
    for i, m in enumerate(found):
        stop = text.find("\n", m.end())
        stop = len(text) if stop < 0 else stop
        if i + 1 < len(found):
            stop = min(stop, found[i + 1].start())
        entry = {"error_class": m.group(1), "message": text[m.end():stop].strip()}
        if entry not in nested:
            nested.append(entry)
    if len(nested) > 1:
        out["nested_error_classes"] = nested
    if found:
        last = found[-1]
        sqlstate = re.compile(r"SQLSTATE: \w+").search(text, last.end())
        stop = sqlstate.end() if sqlstate else text.find("\n", last.end())
        out["innermost_error"] = {"error_class": last.group(1),
                                  "message": text[last.end():stop if stop > 0 else None]
                                  .strip()}
    tb = re.findall(r"^\S*(?:Error|Exception): .*$", text, re.M)
    if tb:
        out["python_exception"] = tb[-1]
    if "Traceback (most recent call last)" in text:
        text = text.split("Traceback (most recent call last)")[0].strip() + " <traceback>"
    out["message"] = text
    return out


def offset_log_watermark(checkpoint, batch_id):
    path = checkpoint / "offsets" / str(batch_id)
    if not path.exists():
        return None
    return json.loads(path.read_text().splitlines()[1]).get("batchWatermarkMs")


def run(spark, name, mode, code):
    """Runs one query. Returns {columns, column_types, batches[, raised_at, failure]}."""
    captured, meta = {}, {}
    checkpoint = WORK / "checkpoints" / name
    q = None
    stage = "eval"

    def on_batch(batch_df, batch_id):
        captured[batch_id] = encode_rows(batch_df)
        meta.setdefault("columns", batch_df.columns)
        meta.setdefault("column_types", dict(batch_df.dtypes))

    out = {}
    try:
        df = eval(code, env(spark))  # noqa: S307 (the exact string stored in the file)
        meta["columns"], meta["column_types"] = df.columns, dict(df.dtypes)
        stage = "start"
        q = (df.writeStream.outputMode(mode).trigger(availableNow=True).foreachBatch(on_batch)
             .option("checkpointLocation", str(checkpoint)).start())
        stage = "awaitTermination"
        if not q.awaitTermination(300):
            q.stop()
            out["outcome"] = "still running after 300 s (stopped)"
        else:
            out["outcome"] = "no error"
    except Exception as exc:  # noqa: BLE001
        out["outcome"] = "error"
        out["raised_at"] = stage
        out["error"] = error_info(exc)
        if stage == "awaitTermination":
            failed = len(captured)
            out["failed_batch"] = {"batch_id": failed,
                                   "watermark_ms": offset_log_watermark(checkpoint, failed)}
    progress = [json.loads(p.json) for p in q.recentProgress] if q is not None else []
    by_id = {p["batchId"]: p for p in progress}
    batches = []
    for bid in sorted(captured):
        p = by_id[bid]
        et = p.get("eventTime") or {}
        batches.append({
            "batch_id": bid,
            "num_input_rows": p["numInputRows"],
            "watermark_ms": iso_to_ms(et.get("watermark")),
            "event_time": {k: et.get(k) for k in ("watermark", "min", "max", "avg")
                           if k in et} if et else None,
            "state_operators": [{k: op[k] for k in STATE_FIELDS if k in op}
                                for op in p.get("stateOperators", [])],
            "rows": captured[bid],
        })
    return {**meta, **out, "batches": batches}


def dump(path, obj):
    with path.open("w", encoding="utf-8", newline="\n") as f:
        f.write(golden_dumps(obj))


def summary(res):
    parts = []
    for b in res["batches"]:
        ops = [(o.get("numRowsTotal"), o.get("numRowsUpdated"), o.get("numRowsRemoved"),
                o.get("numRowsDroppedByWatermark")) for o in b["state_operators"]]
        parts.append(f"b{b['batch_id']}(in={b['num_input_rows']},wm={b['watermark_ms']},"
                     f"ops={ops},out={len(b['rows'])})")
    tail = ""
    if res.get("error"):
        tail = (f" ERROR at {res['raised_at']} {res.get('failed_batch')} "
                f"{res['error']['error_class']}: {res['error']['message_first_line'][:200]}")
    return " ".join(parts) + tail


SCALA_SOURCE = HERE / "ScalaMetricsCheck.scala"
SCALA_COLUMNS = ["user", "has_timed_out", "n_rows", "state_before", "watermark_ms",
                 "new_timeout_ms", "action"]
SPARK_CONF = {"spark.sql.shuffle.partitions": "1", "spark.default.parallelism": "1",
              "spark.sql.adaptive.enabled": "false", "spark.ui.enabled": "false",
              "spark.ui.showConsoleProgress": "false", "spark.sql.session.timeZone": "UTC",
              "spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1"}


def run_scala_metrics(spark_version):
    """Compiles ScalaMetricsCheck.scala with the scala-compiler in pyspark's jars, runs it with
    spark-submit on input/metrics, writes expected/scala_metrics_trace.json."""
    import subprocess
    import zipfile

    import pyspark

    spark_home = Path(pyspark.__file__).resolve().parent
    work = WORK / "scala"
    classes = work / "classes"
    classes.mkdir(parents=True)
    subprocess.run(["java", "-cp", str(spark_home / "jars" / "*"), "scala.tools.nsc.Main",
                    "-usejavacp", "-d", str(classes), str(SCALA_SOURCE)], check=True)
    jar = work / "check.jar"
    with zipfile.ZipFile(jar, "w") as z:
        for f in sorted(classes.rglob("*")):
            z.write(f, f.relative_to(classes))
    out = work / "out"
    cmd = [str(spark_home / "bin" / "spark-submit"), "--master", "local[1]"]
    for k, v in SPARK_CONF.items():
        cmd += ["--conf", f"{k}={v}"]
    cmd += ["--class", "ScalaMetricsCheck", str(jar), str(INPUT_DIR / "metrics"), str(out),
            str(work / "checkpoint")]
    proc = subprocess.run(cmd, env={**os.environ, "SPARK_HOME": str(spark_home)},
                          capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-5000:])
        raise RuntimeError("ScalaMetricsCheck failed")
    progress = [json.loads(line) for line in (out / "progress.jsonl").read_text().splitlines()
                if line.strip()]
    batches = []
    for p in progress:
        bid = p["batchId"]
        rows = json.loads((out / f"rows-{bid}.json").read_text())
        et = p.get("eventTime") or {}
        batches.append({
            "batch_id": bid,
            "num_input_rows": p["numInputRows"],
            "watermark_ms": iso_to_ms(et.get("watermark")),
            "event_time": {k: et.get(k) for k in ("watermark", "min", "max", "avg")
                           if k in et} if et else None,
            "state_operators": [{k: op[k] for k in STATE_FIELDS if k in op}
                                for op in p.get("stateOperators", [])],
            "rows": sorted(([r.get(c) for c in SCALA_COLUMNS] for r in rows), key=row_key),
        })
    res = {"query": "scala_metrics_trace",
           "what": "metrics_trace's per-key behaviours with the Scala Dataset API: "
                   "M.as[Ev].groupByKey(_.user).flatMapGroupsWithState(OutputMode.Append, "
                   "GroupStateTimeout.EventTimeTimeout)(metricsFn), append, run with "
                   "spark-submit (compiled from ScalaMetricsCheck.scala)",
           "mode": "append", "spark": "see ScalaMetricsCheck.scala", "spark_version":
           spark_version, "columns": SCALA_COLUMNS,
           "column_types": {"user": "string", "has_timed_out": "boolean", "n_rows": "bigint",
                            "state_before": "bigint", "watermark_ms": "bigint",
                            "new_timeout_ms": "bigint", "action": "string"},
           "outcome": "no error", "batches": batches}
    dump(EXPECTED_DIR / "scala_metrics_trace.json", res)
    return res


def main():
    t0 = time.time()
    write_inputs()
    EXPECTED_DIR.mkdir(parents=True, exist_ok=True)
    only = set(sys.argv[1:])
    spark = make_spark()
    version = None
    try:
        for name, mode, code, what in QUERIES:
            if only and name not in only:
                continue
            t = time.time()
            res = run(spark, name, mode, code)
            dump(EXPECTED_DIR / f"{name}.json",
                 {"query": name, "what": what, "mode": mode, "spark": code,
                  "source": SOURCE_CODE, "spark_version": spark.version, **res})
            print(f"{name:36s} {time.time() - t:5.1f}s {summary(res)}", flush=True)
        if not only or "errors" in only:
            errors = []
            for name, mode, code, what in ERROR_QUERIES:
                t = time.time()
                res = run(spark, "err_" + name, mode, code)
                errors.append({"case": name, "what": what, "mode": mode, "spark": code,
                               **{k: v for k, v in res.items()
                                  if k not in ("batches",)},
                               "batches": [{"batch_id": b["batch_id"],
                                            "watermark_ms": b["watermark_ms"],
                                            "rows": b["rows"],
                                            "state_operators": b["state_operators"]}
                                           for b in res["batches"]]})
                print(f"{name:40s} {time.time() - t:5.1f}s {summary(res)}", flush=True)
            dump(EXPECTED_DIR / "errors.json", {"source": SOURCE_CODE,
                                                "spark_version": spark.version,
                                                "errors": errors})
        version = spark.version
    finally:
        spark.stop()
    try:
        if not only or "scala" in only:
            t = time.time()
            res = run_scala_metrics(version)
            print(f"{'scala_metrics_trace':36s} {time.time() - t:5.1f}s {summary(res)}",
                  flush=True)
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
    print(f"total {time.time() - t0:.1f}s")


if __name__ == "__main__":
    main()
