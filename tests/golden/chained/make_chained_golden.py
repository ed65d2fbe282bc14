"""Reference ("golden") outputs from real Spark for chained stateful operators (several
stateful operators in one streaming query, allowed in Append mode since Spark 3.4).

Usage:  python make_chained_golden.py [query ...]     (pyspark 4.3.0, Java 17; the
                                                      transformWithState queries and error
                                                      cases also need pandas 2.3.3, pyarrow
                                                      and protobuf)

Regenerates, next to this script:
  input/events/part-00N.json      window -> window input (user, event_time, amount)
  input/dedup/part-00N.json       dedup -> window count input (event_id, user, event_time)
  input/impressions/part-00N.json, input/clicks/part-00N.json
                                  join -> window count input
  expected/<query>.json           every batch Spark runs (no-data batches included): batch id,
                                  numInputRows (and per source for the join), progress
                                  timestamp, watermark, eventTime stats, every state
                                  operator's metrics (in the order of the progress), rows
  expected/errors.json            the chains Spark refuses (and a few it accepts), with the
                                  error class, where it was raised and the first line

Every query reads its stream(s) with spark.readStream.schema(...).option("maxFilesPerTrigger",
1).json(<dir>) -> the code stored in the expected file (eval'ed as stored) ->
writeStream.outputMode(mode).trigger(availableNow=True).foreachBatch(fn), a fresh checkpoint
per query (temp dir, deleted at the end).  fn collects the batch (timestamps as epoch
microseconds, windows as {"start", "end"} of epoch microseconds) and sorts its rows by all
columns as JSON text.

Spark setup: local[1], loopback only, 1 shuffle partition, AQE off, UI off, session time zone
UTC, TZ=UTC, the default (HDFS-backed) state store (RocksDB for the transformWithState queries
and error cases: their `conf`, set for them only).  File mtimes are fixed (base + 60 s x
index) so maxFilesPerTrigger=1 reads the files in name order.
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

from pyspark.logger import PySparkLogger  # noqa: E402
from pyspark.sql import Row, SparkSession  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

for _logger in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
    PySparkLogger.getLogger(_logger).setLevel(logging.CRITICAL + 1)

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from spark_golden import encode_nested, golden_dumps, row_key  # noqa: E402

INPUT_DIR = HERE / "input"
EXPECTED_DIR = HERE / "expected"
MTIME_BASE = 1704067200  # 2024-01-01 00:00:00 UTC, fixed => reproducible file order
DAY = "2026-03-01T"

# ---------------------------------------------------------------------------
# 1. window -> window.  wm(n) = max event time of batches < n - 10 min.
#    Stage 1 (5-min windows per user): a row is late iff its window.end <= wm(n-1).
# ---------------------------------------------------------------------------
EVENTS_SCHEMA = "user STRING, event_time TIMESTAMP, amount LONG"
EVENTS = [
    [  # b0 (wm 0)
        ("u1", "10:01:00", 5), ("u1", "10:03:00", 7),  # u1 [10:00,10:05): n 2, total 12
        ("u2", "10:04:00", 1),
        ("u1", "10:12:00", 2),
        ("u2", "10:26:00", 3),                          # max 10:26 -> wm(b1) 10:16
    ],
    [  # b1 (wm 10:16)
        ("u1", "10:14:00", 4),   # u1 [10:10,10:15): end 10:15 <= wm 10:16 but not late
                                 # (late bound wm(b0) = 0): aggregated, then emitted (n 2)
        ("u3", "10:31:00", 10),
        ("u2", "10:52:00", 1),   # max 10:52 -> wm(b2) 10:42
    ],
    [  # b2 (wm 10:42; stage-1 late iff window.end <= 10:16)
        ("u1", "10:13:00", 100),  # LATE: window [10:10,10:15) end 10:15 <= 10:16
        ("u2", "10:17:00", 9),    # window [10:15,10:20) end 10:20 > 10:16: kept; emitted now
        ("u1", "11:05:00", 2),
        ("u3", "11:10:00", 4),    # max 11:10 -> wm(b3) 11:00
    ],
    [  # b3 (wm 11:00 exactly the end of the hour [10:00,11:00); late iff end <= 10:42)
        ("u1", "10:58:00", 3),    # window [10:55,11:00) not late, emitted now (end == wm), then
                                  # lands in the hour [10:00,11:00), which closes in this same
                                  # batch iff the second stage evicts at end <= wm
        ("u2", "10:44:00", 6),    # window [10:40,10:45) end 10:45 > 10:42: kept
        ("u4", "11:40:00", 8),    # max 11:40 -> wm(b4) 11:30
    ],
    [  # b4 (wm 11:30; late iff end <= 11:00)
        ("u3", "10:57:00", 50),   # LATE: window [10:55,11:00) end 11:00 == wm(b3) 11:00
        ("u1", "11:12:00", 6),
        ("u2", "12:30:00", 1),    # max 12:30 -> wm(b5) 12:20
    ],
    [  # b5 (wm 12:20): hour [11:00,12:00) closes
        ("u1", "12:04:00", 2),
        ("u5", "23:00:00", 1),    # pushes the watermark to 22:50: the trailing no-data batch
                                  # closes every window but u5's own
    ],
]

# ---------------------------------------------------------------------------
# 2./3. dedup -> window count.  Same watermark rule; the dedup drops rows with
#       event_time <= wm(n-1) as late.
# ---------------------------------------------------------------------------
DEDUP_SCHEMA = "event_id STRING, user STRING, event_time TIMESTAMP"
DEDUP = [
    [  # b0 (wm 0)
        ("e1", "u1", "10:01:00"),
        ("e1", "u1", "10:01:00"),  # duplicate in the same batch
        ("e2", "u2", "10:03:00"),
        ("e3", "u1", "10:07:00"),
        ("e1", "u2", "10:02:00"),  # same id, other time: new for (event_id, event_time),
                                   # duplicate for dropDuplicatesWithinWatermark(event_id)
        ("e4", "u3", "10:12:00"),  # max 10:12 -> wm(b1) 10:02
    ],
    [  # b1 (wm 10:02; late iff event_time <= 0)
        ("e2", "u2", "10:03:00"),  # duplicate across batches
        ("e3", "u1", "10:07:00"),  # duplicate across batches
        ("e5", "u1", "10:15:00"),
        ("e6", "u2", "10:24:00"),  # max 10:24 -> wm(b2) 10:14
    ],
    [  # b2 (wm 10:14; late iff event_time <= 10:02)
        ("e7", "u3", "10:01:00"),  # LATE
        ("e8", "u3", "10:02:00"),  # LATE (== wm(b1))
        ("e1", "u1", "10:01:00"),  # LATE (and its state is gone)
        ("e9", "u1", "10:05:00"),  # not late (> 10:02), window [10:00,10:10) closes now
        ("e5", "u1", "10:15:00"),  # duplicate across batches
        ("e10", "u2", "10:36:00"),  # max 10:36 -> wm(b3) 10:26
    ],
    [  # b3 (wm 10:26; late iff <= 10:14)
        ("e6", "u2", "10:24:00"),  # duplicate (e6 10:24 > 10:14: still in dedup state)
        ("e11", "u3", "10:16:00"),
        ("e2", "u1", "10:20:00"),  # id e2 again, 17 min after e2 10:03: within-watermark
                                   # state for e2 expired (10:03 + 10 min <= 10:14) -> new
        ("e12", "u1", "10:50:00"),  # max 10:50 -> wm(b4) 10:40
    ],
    [  # b4 (wm 10:40; late iff <= 10:26): window [10:30,10:40) ends exactly at wm 10:40
        ("e13", "u2", "10:45:00"),
        ("e5", "u2", "10:35:00"),  # id e5 again (10:15 + 10 min = 10:25 <= wm(b3) 10:26:
                                   # within-watermark state expired) -> new in both queries
        ("e14", "u3", "11:30:00"),  # max 11:30 -> wm(b5) 11:20 (trailing no-data batch)
    ],
]

# ---------------------------------------------------------------------------
# 4. stream-stream inner join -> window count on the impression time.
#    Condition: ad = c_ad AND click_time BETWEEN imp_time AND imp_time + 5 minutes.
# ---------------------------------------------------------------------------
IMPS_SCHEMA = "imp_id STRING, ad STRING, imp_time TIMESTAMP"
CLICKS_SCHEMA = "click_id STRING, c_ad STRING, click_time TIMESTAMP"
# Global watermark (min of both sides): b1 09:54, b2 10:10, b3 10:30, b4 11:15, b5 12:20.
# The aggregation after the join sees the join's output watermark, 5 minutes behind.
IMPS = [
    [("i1", "a1", "10:00:00"), ("i2", "a2", "10:02:00"), ("i3", "a3", "10:04:00")],
    [("i4", "a1", "10:11:00"), ("i5", "a4", "10:14:00"), ("i6", "a2", "10:21:00")],
    [("i7", "a1", "10:26:00"), ("i8", "a3", "10:05:00"), ("i9", "a5", "10:40:00")],
    [("i10", "a2", "10:44:00"), ("i11", "a6", "11:05:00"), ("i13", "a8", "11:25:00"),
     ("i14", "a1", "10:05:00")],  # i14: LATE (10:05 <= wm(b2) 10:10)
    [("i12", "a7", "12:30:00")],
]
CLICKS = [
    [("c1", "a1", "10:03:00"), ("c2", "a2", "10:06:00")],
    [("c3", "a3", "10:08:00"), ("c4", "a1", "10:15:00"), ("c5", "a4", "10:20:00")],
    [("c6", "a2", "10:24:00"), ("c7", "a1", "10:29:00"), ("c8", "a5", "10:44:00")],
    [("c9", "a2", "10:47:00"), ("c10", "a6", "11:07:00"), ("c12", "a8", "11:26:00")],
    [("c11", "a7", "12:31:00")],
]
# i11/c10 fall in [11:00,11:10): wm(b4) = 11:15, so that window closes in b4 iff the
# aggregation's watermark there is >= 11:10 (= 11:15 - 5 min).

SESSION_WINDOW = ('S = E.groupBy(F.session_window("event_time", "5 minutes"), "user")'
                  '.agg(F.count("*").alias("n"))')
SOURCE_CODE = (
    'events = spark.readStream.schema(EVENTS_SCHEMA).option("maxFilesPerTrigger", 1)'
    '.json("input/events")\n'
    'E = events.withWatermark("event_time", "10 minutes")\n'
    'dedup = spark.readStream.schema(DEDUP_SCHEMA).option("maxFilesPerTrigger", 1)'
    '.json("input/dedup")\n'
    'D = dedup.withWatermark("event_time", "10 minutes")\n'
    'imps = spark.readStream.schema(IMPS_SCHEMA).option("maxFilesPerTrigger", 1)'
    '.json("input/impressions")\n'
    'clicks = spark.readStream.schema(CLICKS_SCHEMA).option("maxFilesPerTrigger", 1)'
    '.json("input/clicks")\n'
    'I = imps.withWatermark("imp_time", "10 minutes")\n'
    'C = clicks.withWatermark("click_time", "10 minutes")\n'
    'JOIN = "ad = c_ad AND click_time >= imp_time AND click_time <= imp_time + interval 5 minutes"\n'
    'W1 = E.groupBy(F.window("event_time", "5 minutes"), "user")'
    '.agg(F.count("*").alias("n"), F.sum("amount").alias("total"))'
)
# Names only some queries use; their files (and errors.json) get these lines after SOURCE_CODE.
# (pattern of the name in a query's code, line)
EXTRA_SOURCE = {
    r"\bS\.": SESSION_WINDOW,
    r"\bTWS_SCHEMA\b": 'TWS_SCHEMA = "user STRING, t TIMESTAMP, seen LONG, amount LONG"',
    r"\bRunningCount": "# RunningCount, RunningCountShifted, RunningCountLater, "
                    "RunningCountFixedT: the processors "
                    "of make_running_count_processor() in make_chained_golden.py",
}


def source_for(codes):
    """SOURCE_CODE plus the EXTRA_SOURCE lines of the names the given codes use."""
    used = [line for pattern, line in EXTRA_SOURCE.items()
            if any(re.search(pattern, c) for c in codes)]
    return "\n".join([SOURCE_CODE] + used)


JOIN = "ad = c_ad AND click_time >= imp_time AND click_time <= imp_time + interval 5 minutes"

W2 = ('W1.groupBy(F.window(F.window_time("window"), "1 hour"))'
      '.agg(F.count("*").alias("windows"), F.sum("n").alias("events"), '
      'F.max("total").alias("max_total"))')

ROCKSDB = {"spark.sql.streaming.stateStore.providerClass":
           "org.apache.spark.sql.execution.streaming.state.RocksDBStateStoreProvider"}

# The running-count transformWithState of tws_event_time_window_count (RunningCount: see
# make_running_count_processor), with eventTimeColumnName="t": its output is the stream the
# window count reads.
TWS_SCHEMA = "user STRING, t TIMESTAMP, seen LONG, amount LONG"
TWS = ('E.groupBy("user").transformWithState(statefulProcessor=RunningCount(), '
       'outputStructType=TWS_SCHEMA, outputMode="Append", timeMode="EventTime", '
       'eventTimeColumnName="t")')
TWS_COUNT = (TWS + '.groupBy(F.window("t", "10 minutes")).agg(F.count("*").alias("rows"), '
             'F.max("seen").alias("max_seen"), F.sum("amount").alias("total"))')
SESSION_THEN_WINDOW = ('S.groupBy(F.window(F.window_time("session_window"), "30 minutes"))'
                       '.agg(F.count("*").alias("sessions"), F.sum("n").alias("events"))')

# name, output mode, PySpark code (eval'ed as is), sources it reads[, extra session conf for
# this query]
QUERIES = [
    ("window_window", "append", W2, ["events"]),
    ("window_stage1_only", "append", "W1", ["events"]),
    ("dedup_window_count", "append",
     'D.dropDuplicates(["event_id", "event_time"])'
     '.groupBy(F.window("event_time", "10 minutes")).count()', ["dedup"]),
    ("dedup_within_watermark_window_count", "append",
     'D.dropDuplicatesWithinWatermark(["event_id"])'
     '.groupBy(F.window("event_time", "10 minutes")).count()', ["dedup"]),
    ("join_window_count", "append",
     'I.join(C, F.expr(JOIN)).groupBy(F.window("imp_time", "10 minutes")).count()',
     ["impressions", "clicks"]),
    ("join_window_count_offset_windows", "append",
     'I.join(C, F.expr(JOIN)).groupBy(F.window("imp_time", "10 minutes", "10 minutes", '
     '"599999 milliseconds")).count()', ["impressions", "clicks"]),
    ("join_only", "append",
     'I.join(C, F.expr(JOIN)).select("imp_id", "ad", "imp_time", "click_id", "click_time")',
     ["impressions", "clicks"]),
    ("join_window_count_update", "update",
     'I.join(C, F.expr(JOIN)).groupBy(F.window("imp_time", "10 minutes")).count()',
     ["impressions", "clicks"]),
    ("session_window_then_window", "append", SESSION_THEN_WINDOW, ["events"]),
    ("session_window_only", "append", "S", ["events"]),
    ("tws_event_time_window_count", "append", TWS_COUNT, ["events"], ROCKSDB),
    ("tws_event_time_only", "append", TWS, ["events"], ROCKSDB),
    ("window_time_select", "append",
     'E.groupBy(F.window("event_time", "5 minutes"), "user").agg(F.count("*").alias("n"))'
     '.select(F.window_time("window").alias("wt"), "n")', ["events"]),
]

# case, output mode, code, what it is in words[, extra session conf for this case]
ERROR_QUERIES = [
    ("window_window_update", "update", W2,
     "window agg -> window agg, update mode"),
    ("window_window_complete", "complete", W2,
     "window agg -> window agg, complete mode"),
    ("agg_agg_append", "append",
     'E.groupBy("user").agg(F.count("*").alias("n")).groupBy("n").count()',
     "non-windowed groupBy agg -> groupBy agg, append mode"),
    ("window_agg_then_plain_agg_append", "append",
     'W1.groupBy("user").agg(F.sum("n").alias("n"))',
     "window agg -> groupBy agg without a window (append)"),
    ("dedup_agg_update", "update",
     'D.dropDuplicates(["event_id", "event_time"])'
     '.groupBy(F.window("event_time", "10 minutes")).count()',
     "dedup -> window agg, update mode"),
    ("dedup_agg_complete", "complete",
     'D.dropDuplicates(["event_id", "event_time"])'
     '.groupBy(F.window("event_time", "10 minutes")).count()',
     "dedup -> window agg, complete mode"),
    ("window_agg_then_dedup", "append",
     'W1.dropDuplicates(["user"])',
     "window agg -> dropDuplicates(user) (append)"),
    ("window_agg_then_dedup_with_window", "append",
     'W1.dropDuplicates(["user", "window"])',
     "window agg -> dropDuplicates(user, window) (append)"),
    ("agg_then_dedup", "append",
     'E.groupBy("user").agg(F.count("*").alias("n")).dropDuplicates(["user"])',
     "non-windowed agg -> dropDuplicates (append)"),
    ("agg_then_dedup_update", "update",
     'E.groupBy("user").agg(F.count("*").alias("n")).dropDuplicates(["user"])',
     "non-windowed agg -> dropDuplicates (update)"),
    ("window_agg_then_join", "append",
     'I.groupBy(F.window("imp_time", "10 minutes").alias("w"), "ad").count()'
     '.join(C.select("c_ad", F.window("click_time", "10 minutes").alias("cw")),'
     ' F.expr("ad = c_ad AND w = cw"))',
     "window agg -> stream-stream join on the window (append)"),
    ("join_then_join", "append",
     'I.join(C, F.expr(JOIN)).join(D, F.expr("ad = event_id AND event_time >= imp_time '
     'AND event_time <= imp_time + interval 5 minutes"))',
     "stream-stream join -> stream-stream join (append)"),
    ("join_then_window_agg_on_click_time", "append",
     'I.join(C, F.expr(JOIN)).groupBy(F.window("click_time", "10 minutes")).count()',
     "stream-stream join -> window agg on the right side's time (append)"),
    ("join_then_agg_update", "update",
     'I.join(C, F.expr(JOIN)).groupBy(F.window("imp_time", "10 minutes")).count()',
     "stream-stream join -> window agg, update mode"),
    ("dedup_then_dedup", "append",
     'D.dropDuplicates(["event_id", "event_time"]).dropDuplicates(["user", "event_time"])',
     "dedup -> dedup (append)"),
    ("window_agg_then_window_on_raw_column", "append",
     'E.groupBy(F.window("event_time", "5 minutes").alias("w"), "user", "event_time").count()'
     '.groupBy(F.window("event_time", "1 hour")).count()',
     "window agg (event_time also a grouping key) -> window agg on event_time (append)"),
    ("session_window_then_window", "append",
     'E.groupBy(F.session_window("event_time", "5 minutes"), "user").count()'
     '.groupBy(F.window(F.window_time("session_window"), "1 hour")).count()',
     "session window agg -> window agg via window_time (append)"),
    ("window_window_update_check_disabled", "update", W2,
     "window agg -> window agg, update mode, with the correctness check switched off",
     {"spark.sql.streaming.statefulOperator.checkCorrectness.enabled": "false"}),
    ("window_agg_then_join_update", "update",
     'I.groupBy(F.window("imp_time", "10 minutes").alias("w"), "ad").count()'
     '.join(C.select("c_ad", F.window("click_time", "10 minutes").alias("cw")),'
     ' F.expr("ad = c_ad AND w = cw"))',
     "window agg -> stream-stream join on the window (update)"),
    ("left_outer_join_then_window_agg", "append",
     'I.join(C, F.expr(JOIN), "left_outer").groupBy(F.window("imp_time", "10 minutes")).count()',
     "stream-stream left outer join -> window agg (append)"),
    ("apply_in_pandas_with_state_then_window_agg", "append",
     'E.groupBy("user").applyInPandasWithState(COUNT_FN, "user STRING, t TIMESTAMP, n LONG", '
     '"n LONG", "append", "NoTimeout").groupBy(F.window("t", "10 minutes")).count()',
     "applyInPandasWithState (append) -> window agg on its output time (append)"),
    ("tws_then_agg", "append",
     'E.groupBy("user").transformWithState(statefulProcessor=CountProcessor(), '
     'outputStructType="user STRING, t TIMESTAMP, n LONG", outputMode="Append", '
     'timeMode="EventTime").groupBy("user").count()',
     "transformWithState (EventTime) -> groupBy(user).count() (append)", ROCKSDB),
    ("tws_then_window_agg", "append",
     'E.groupBy("user").transformWithState(statefulProcessor=CountProcessor(), '
     'outputStructType="user STRING, t TIMESTAMP, n LONG", outputMode="Append", '
     'timeMode="EventTime").groupBy(F.window("t", "10 minutes")).count()',
     "transformWithState (EventTime), no eventTimeColumnName -> window agg on its output "
     "time (append)", ROCKSDB),
    ("tws_event_time_column_then_window_agg", "append",
     'E.groupBy("user").transformWithState(statefulProcessor=CountProcessor(), '
     'outputStructType="user STRING, t TIMESTAMP, n LONG", outputMode="Append", '
     'timeMode="EventTime", eventTimeColumnName="t").groupBy(F.window("t", "10 minutes"))'
     '.count()',
     "transformWithState (EventTime, eventTimeColumnName='t') -> window agg (append)",
     ROCKSDB),
    ("join_then_agg_complete", "complete",
     'I.join(C, F.expr(JOIN)).groupBy(F.window("imp_time", "10 minutes")).count()',
     "stream-stream join -> window agg, complete mode"),
    ("tws_event_time_column_then_window_agg_update", "update", TWS_COUNT,
     "transformWithState (RunningCount, EventTime, eventTimeColumnName='t') -> window agg, "
     "update mode", ROCKSDB),
    ("tws_event_time_column_then_window_agg_complete", "complete", TWS_COUNT,
     "transformWithState (RunningCount, EventTime, eventTimeColumnName='t') -> window agg, "
     "complete mode", ROCKSDB),
    ("tws_emits_rows_older_than_watermark", "append",
     TWS.replace("RunningCount()", "RunningCountShifted()")
     + '.groupBy(F.window("t", "10 minutes")).agg(F.count("*").alias("rows"))',
     "transformWithState (eventTimeColumnName='t') whose processor emits t = event_time - 1 "
     "hour -> window agg (append)", ROCKSDB),
    ("tws_emits_rows_older_than_watermark_alone", "append",
     TWS.replace("RunningCount()", "RunningCountShifted()"),
     "the same processor (t = event_time - 1 hour) without the aggregation (append)", ROCKSDB),
    ("tws_emits_fixed_t_10_16", "append",
     TWS.replace("RunningCount()", "RunningCountFixedT()"),
     "transformWithState (eventTimeColumnName='t') whose processor emits t = 10:16:00 for "
     "every row (= wm(1), the watermark of batch 1), alone (append): pins equality", ROCKSDB),
    ("tws_emits_t_plus_1h_policy_max", "append",
     TWS.replace("RunningCount()", "RunningCountLater()")
     + '.groupBy(F.window("t", "10 minutes")).agg(F.count("*").alias("rows"))',
     "transformWithState (eventTimeColumnName='t') whose processor emits t = event_time + 1 "
     "hour -> window agg (append), with multipleWatermarkPolicy=max: does t feed the global "
     "watermark?",
     {**ROCKSDB, "spark.sql.streaming.multipleWatermarkPolicy": "max"}),
    ("session_window_then_window_update", "update", SESSION_THEN_WINDOW,
     "session window agg -> window agg via window_time, update mode"),
]

STATE_FIELDS = ["operatorName", "numRowsTotal", "numRowsUpdated", "numRowsRemoved",
                "numRowsDroppedByWatermark", "numShufflePartitions", "numStateStoreInstances"]

WORK = Path(tempfile.mkdtemp(prefix="rill-chained-golden-"))


def make_count_processor():
    """A minimal transformWithState processor for the error cases: per key, emits
    (user, max event_time of the batch's rows, number of rows) from handleInputRows."""
    from pyspark.sql.streaming import StatefulProcessor

    class _CountProcessor(StatefulProcessor):
        def init(self, handle):
            pass

        def handleInputRows(self, key, rows, timerValues):
            rows = list(rows)
            yield Row(user=key[0], t=max(r.event_time for r in rows), n=len(rows))

        def close(self):
            pass

    return _CountProcessor


def make_running_count_processor(shift_minutes=0, fixed_t=None):
    """The transformWithState processor of tws_event_time_window_count ("RunningCount").

    State: value state `seen` (seen LONG) per key, no TTL; no timers.
    handleInputRows: sorts the key's rows of the batch by (event_time, amount); for each row
    increments `seen`, writes it (one ValueState.update per row) and emits
    Row(user=key, t=event_time, seen=<running count>, amount=amount).

    The error-case variants only change the emitted t: RunningCountShifted emits
    t = event_time - 1 hour (shift_minutes=60), RunningCountLater t = event_time + 1 hour
    (shift_minutes=-60), RunningCountFixedT t = `fixed_t` (10:16:00) for every row.
    """
    from pyspark.sql.streaming import StatefulProcessor

    shift = dt.timedelta(minutes=shift_minutes)

    class _RunningCount(StatefulProcessor):
        def init(self, handle):
            self.seen = handle.getValueState("seen", "seen LONG")

        def handleInputRows(self, key, rows, timerValues):
            n = self.seen.get()[0] if self.seen.exists() else 0
            out = []
            for r in sorted(rows, key=lambda r: (r.event_time, r.amount)):
                n += 1
                self.seen.update((n,))
                t = fixed_t if fixed_t is not None else r.event_time - shift
                out.append(Row(user=key[0], t=t, seen=n, amount=r.amount))
            return iter(out)

        def close(self):
            pass

    return _RunningCount


def make_spark():
    spark = (
        SparkSession.builder
        .master("local[1]")
        .appName("rill-chained-golden")
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


# ---------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------
def write_stream(name, columns, batches, time_col):
    d = INPUT_DIR / name
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    for n, rows in enumerate(batches):
        path = d / f"part-{n:03d}.json"
        with path.open("w", encoding="utf-8", newline="\n") as f:
            for r in rows:
                rec = dict(zip(columns, r))
                rec[time_col] = DAY + rec[time_col]
                f.write(json.dumps(rec) + "\n")
        os.utime(path, (MTIME_BASE + 60 * (n + 1), MTIME_BASE + 60 * (n + 1)))


def write_inputs():
    write_stream("events", ["user", "event_time", "amount"], EVENTS, "event_time")
    write_stream("dedup", ["event_id", "user", "event_time"], DEDUP, "event_time")
    write_stream("impressions", ["imp_id", "ad", "imp_time"], IMPS, "imp_time")
    write_stream("clicks", ["click_id", "c_ad", "click_time"], CLICKS, "click_time")


# ---------------------------------------------------------------------------
# running
# ---------------------------------------------------------------------------
def iso_to_ms(s):
    if s is None:
        return None
    d = dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.timezone.utc)
    return (d - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)) // dt.timedelta(milliseconds=1)


def state_info(op):
    return {k: op[k] for k in STATE_FIELDS if k in op}


def source_rows(progress):
    out = {}
    for s in progress["sources"]:
        m = re.search(r"/input/(\w+)", s["description"])
        out[m.group(1) if m else s["description"]] = s["numInputRows"]
    return out


def env(spark):
    def read(schema, name):
        return (spark.readStream.schema(schema).option("maxFilesPerTrigger", 1)
                .json(str(INPUT_DIR / name)))

    events, dedup = read(EVENTS_SCHEMA, "events"), read(DEDUP_SCHEMA, "dedup")
    imps, clicks = read(IMPS_SCHEMA, "impressions"), read(CLICKS_SCHEMA, "clicks")
    E = events.withWatermark("event_time", "10 minutes")
    return {"F": F, "events": events, "dedup": dedup, "imps": imps, "clicks": clicks,
            "E": E, "D": dedup.withWatermark("event_time", "10 minutes"),
            "I": imps.withWatermark("imp_time", "10 minutes"),
            "C": clicks.withWatermark("click_time", "10 minutes"), "JOIN": JOIN,
            "W1": E.groupBy(F.window("event_time", "5 minutes"), "user")
                   .agg(F.count("*").alias("n"), F.sum("amount").alias("total")),
            "S": E.groupBy(F.session_window("event_time", "5 minutes"), "user")
                  .agg(F.count("*").alias("n")),
            "TWS_SCHEMA": TWS_SCHEMA, "RunningCount": make_running_count_processor(),
            "RunningCountShifted": make_running_count_processor(shift_minutes=60),
            "RunningCountLater": make_running_count_processor(shift_minutes=-60),
            "RunningCountFixedT": make_running_count_processor(
                fixed_t=dt.datetime(2026, 3, 1, 10, 16, tzinfo=dt.timezone.utc)),
            "CountProcessor": make_count_processor(), "COUNT_FN": count_fn}


def count_fn(key, pdfs, state):
    """applyInPandasWithState function of the error case: per key and batch,
    (user, max event_time, number of rows)."""
    import pandas as pd

    pdf = pd.concat(list(pdfs))
    yield pd.DataFrame({"user": [key[0]], "t": [pdf["event_time"].max()], "n": [len(pdf)]})


def encode_rows(batch_df):
    return sorted(([encode_nested(v) for v in r] for r in batch_df.collect()), key=row_key)


def set_conf(spark, conf):
    """Sets `conf` on the session; returns what restore_conf needs to undo it."""
    saved = {k: spark.conf.get(k, None) for k in conf}
    for k, v in conf.items():
        spark.conf.set(k, v)
    return saved


def restore_conf(spark, saved):
    for k, v in saved.items():
        if v is None:
            spark.conf.unset(k)
        else:
            spark.conf.set(k, v)


def run_query(spark, name, mode, code, conf):
    saved = set_conf(spark, conf)
    try:
        return _run_query(spark, name, mode, code)
    finally:
        restore_conf(spark, saved)


def _run_query(spark, name, mode, code):
    df = eval(code, env(spark))  # noqa: S307 (the exact string stored in the file)
    captured, meta = {}, {}

    def on_batch(batch_df, batch_id):
        captured[batch_id] = encode_rows(batch_df)
        meta.setdefault("columns", batch_df.columns)
        meta.setdefault("column_types", dict(batch_df.dtypes))

    q = (df.writeStream.outputMode(mode).trigger(availableNow=True).foreachBatch(on_batch)
         .option("checkpointLocation", str(WORK / "checkpoints" / name)).start())
    q.awaitTermination()
    progress = [json.loads(p.json) for p in q.recentProgress]
    by_id = {p["batchId"]: p for p in progress}
    assert sorted(by_id) == sorted(captured), (name, sorted(by_id), sorted(captured))
    batches = []
    for bid in sorted(captured):
        p = by_id[bid]
        et = p.get("eventTime") or {}
        batches.append({
            "batch_id": bid,
            "num_input_rows": p["numInputRows"],
            "source_input_rows": source_rows(p),
            "timestamp": p["timestamp"],
            "watermark_ms": iso_to_ms(et.get("watermark")),
            "event_time": {k: et.get(k) for k in ("watermark", "min", "max", "avg")} if et else None,
            "state_operators": [state_info(op) for op in p.get("stateOperators", [])],
            "num_output_rows": len(captured[bid]),
            "rows": captured[bid],
        })
    if "columns" not in meta:
        meta["columns"], meta["column_types"] = df.columns, dict(df.dtypes)
    return meta, batches


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
    if len(nested) > 1:
        out["nested_error_classes"] = nested
        # The innermost error in full: its message can span lines (up to its SQLSTATE), and
        # can sit inside the Python traceback that "message" leaves out.
        last = found[-1]
        sqlstate = re.compile(r"SQLSTATE: \w+").search(text, last.end())
        stop = sqlstate.end() if sqlstate else len(text)
        nxt = text.find("\n=== ", last.end())
        out["innermost_error"] = {"error_class": last.group(1),
                                  "message": text[last.end():stop if nxt < 0 else min(stop, nxt)]
                                  .strip()}
    # The logical plan Spark appends to some analysis errors (after the first line) is kept,
    # with expression ids scrubbed, as "message"; a Python traceback (an error raised in a
    # batch reaches foreachBatch's collect()) is left out.
    if "Traceback (most recent call last)" in text:
        text = text.split("Traceback (most recent call last)")[0].strip() + " <traceback>"
    out["message"] = text
    return out


def run_error(spark, name, mode, code, conf):
    out = {"case": name, "mode": mode, "spark": code}
    if conf:
        out["conf"] = conf
    seen = {}
    stage = "eval"
    saved = set_conf(spark, conf)
    checkpoint = WORK / "checkpoints" / ("err_" + name)
    q = None

    def on_batch(batch_df, batch_id):
        seen[batch_id] = encode_rows(batch_df)  # consume it all: Spark 4.3 needs the commit

    def watermarks():
        """batch id -> watermark (ms) of the batches the progress reports."""
        if q is None:
            return {}
        return {p["batchId"]: iso_to_ms((p.get("eventTime") or {}).get("watermark"))
                for p in (json.loads(x.json) for x in q.recentProgress)}

    try:
        df = eval(code, env(spark))  # noqa: S307
        stage = "start"
        q = (df.writeStream.outputMode(mode).trigger(availableNow=True).foreachBatch(on_batch)
             .option("checkpointLocation", str(checkpoint)).start())
        stage = "awaitTermination"
        if q.awaitTermination(120):
            out["outcome"] = "no error"
        else:
            q.stop()
            out["outcome"] = "still running after 120 s (stopped)"
        out["rows_per_batch"] = [len(seen[b]) for b in sorted(seen)]
        wms = watermarks()
        out["batches"] = [{"batch_id": b, "watermark_ms": wms.get(b), "rows": seen[b]}
                          for b in sorted(seen)]
        out["state_operators"] = [op["operatorName"] for op in
                                  (json.loads(q.lastProgress.json) if q.lastProgress else {})
                                  .get("stateOperators", [])]
    except Exception as exc:  # noqa: BLE001
        out["raised_at"] = stage
        if seen:
            out["batches_before_failure"] = sorted(seen)
        if stage == "awaitTermination":
            # The batch that failed: the one after the last committed batch.  Its watermark
            # is in its offset log entry (written before the batch runs).
            failed = len(seen)
            out["failed_batch"] = {"batch_id": failed,
                                   "watermark_ms": offset_log_watermark(checkpoint, failed)}
            wms = watermarks()
            out["batches"] = [{"batch_id": b, "watermark_ms": wms.get(b), "rows": seen[b]}
                              for b in sorted(seen)]
        out["error"] = error_info(exc)
    finally:
        restore_conf(spark, saved)
    return out


def offset_log_watermark(checkpoint, batch_id):
    path = checkpoint / "offsets" / str(batch_id)
    if not path.exists():
        return None
    return json.loads(path.read_text().splitlines()[1]).get("batchWatermarkMs")


def dump(path, obj):
    with path.open("w", encoding="utf-8", newline="\n") as f:
        f.write(golden_dumps(obj))


def summary(batches):
    def wm(b):
        return (b["event_time"] or {}).get("watermark", "-")[11:16] if b["event_time"] else "-"
    return " ".join(
        f"b{b['batch_id']}(in={b['num_input_rows']},wm={wm(b)},"
        f"drop={[o['numRowsDroppedByWatermark'] for o in b['state_operators']]},"
        f"out={len(b['rows'])})" for b in batches)


def main():
    t0 = time.time()
    write_inputs()
    EXPECTED_DIR.mkdir(parents=True, exist_ok=True)
    only = set(sys.argv[1:])
    spark = make_spark()
    try:
        for name, mode, code, sources, *conf in QUERIES:
            if only and name not in only:
                continue
            t = time.time()
            meta, batches = run_query(spark, name, mode, code, conf[0] if conf else {})
            dump(EXPECTED_DIR / f"{name}.json",
                 {"query": name, "mode": mode, "spark": code, "source": source_for([code]),
                  **({"conf": conf[0]} if conf else {}),
                  "inputs": [f"input/{s}" for s in sources], "spark_version": spark.version,
                  **meta, "batches": batches})
            print(f"{name:36s} {time.time() - t:5.1f}s {summary(batches)}", flush=True)
        if not only or "errors" in only:
            errors = []
            for name, mode, code, what, *conf in ERROR_QUERIES:
                t = time.time()
                e = run_error(spark, name, mode, code, conf[0] if conf else {})
                e["what"] = what
                errors.append(e)
                print(f"{name:40s} {time.time() - t:5.1f}s {e.get('raised_at', '')} "
                      f"{(e.get('error') or {}).get('error_class', e.get('outcome'))} "
                      f"{(e.get('error') or {}).get('message_first_line', '')[:150]}",
                      flush=True)
            dump(EXPECTED_DIR / "errors.json", {"source": source_for(
                                                    [q[2] for q in ERROR_QUERIES]),
                                                "spark_version": spark.version,
                                                "errors": errors})
    finally:
        spark.stop()
        shutil.rmtree(WORK, ignore_errors=True)
    print(f"total {time.time() - t0:.1f}s")


if __name__ == "__main__":
    main()
