"""Reference ("golden") outputs from real Spark for a cookbook of 31 everyday Structured
Streaming queries (Spark programming guide examples and common ETL steps).

Usage:  python make_cookbook_golden.py          (pyspark 4.3.0, Java 17)

Regenerates, next to this script:
  input/events/part-00N.json     4 files (one micro-batch each), 8-10 JSON lines each
  input/mobile/part-00N.json     2 files, same schema (event ids "m..."), for the union recipe
  input/readings/part-00N.json   3 files of IoT readings
  expected/<recipe>.json         every batch Spark runs: batch id, numInputRows, watermark, rows

Every recipe: spark.readStream.schema(S).option("maxFilesPerTrigger", 1).json(dir) -> recipe
-> writeStream.outputMode(mode).trigger(availableNow=True).foreachBatch(fn), fresh checkpoint
per recipe (temp dir, deleted at the end). The recipe text stored in "spark" is exactly the
string that is eval'ed. In fn, struct columns `window` / `session_window` are flattened into
window_start, window_end, then the batch is encoded with spark_golden.collect_encoded
(timestamps -> epoch microseconds, dates -> "yyyy-MM-dd", doubles via plain()). Rows are sorted
by their JSON text, except for recipes with an orderBy (Spark's order is kept).

Spark setup: local[2], loopback only, 4 shuffle partitions, AQE off, UI off, session time zone
UTC, TZ=UTC, ANSI at its default except for `cast_text` (spark.sql.ansi.enabled=false for that
recipe only). File mtimes are fixed (base + index) so maxFilesPerTrigger=1 reads files in name
order and two runs give byte-identical output.
"""
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
from pyspark.sql import SparkSession  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402
from pyspark.sql.types import StructType  # noqa: E402

# pyspark logs captured SQL errors (with JVM stack traces) through these loggers; the one
# expected error (cast_text with ANSI on) is recorded, so keep stderr quiet.
for _logger in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
    PySparkLogger.getLogger(_logger).setLevel(logging.CRITICAL + 1)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from spark_golden import collect_encoded  # noqa: E402

HERE = Path(__file__).resolve().parent
INPUT_DIR = HERE / "input"
EXPECTED_DIR = HERE / "expected"
MTIME_BASE = 1704067200  # 2024-01-01 00:00:00 UTC, fixed => reproducible file order

EVENTS_SCHEMA = ("event_id string, user_id string, event_type string, event_time string, "
                 "ts_ms bigint, amount double, qty string, country string, url string, "
                 "email string, device string")
EVENTS_COLUMNS = ["event_id", "user_id", "event_type", "event_time", "ts_ms", "amount", "qty",
                  "country", "url", "email", "device"]
READINGS_SCHEMA = "device_id string, device_type string, signal int, temperature double, time string"
READINGS_COLUMNS = ["device_id", "device_type", "signal", "temperature", "time"]

DAY = "2026-03-01 "
U_CHECKOUT = "https://shop.example.com/checkout/"
U_CART = "https://shop.example.com/cart"
U_BLOG = "http://blog.example.org/post/"

# (event_id, user_id, event_type, time-of-day, amount, qty, country, url, email, device)
# ts_ms is derived from the time.  Amounts are exact binary fractions (multiples of 0.25) so
# sums do not depend on the order Spark adds them in.
EVENTS = [
    [  # part-000: 10:00 - 10:09
        ("e01", "u1", "view", "10:00:00", None, None, "us", U_BLOG + "1", "alice.smith@example.com", "web"),
        ("e02", "u1", "click", "10:01:30", None, None, " US ", U_CART, "alice.smith@example.com", "web"),
        ("e03", "u2", "purchase", "10:02:00", 45.5, "1", "de", U_CHECKOUT + "123", "bob@test.org", "mobile"),
        ("e04", "u3", "VIEW", "10:03:15", None, None, None, U_BLOG + "2", None, "web"),
        ("e05", "u1", "purchase", "10:04:00", 19.75, " 2 ", "us", U_CHECKOUT + "124", "alice.smith@example.com", "web"),
        ("e06", "u4", "click", "10:06:00", None, None, "fr", U_CART, "weird-address", "mobile"),
        ("e07", "u2", "view", "10:05:30", None, None, "DE", None, "bob@test.org", "mobile"),   # out of order
        ("e08", "u5", "purchase", "10:09:00", 120.0, "3", "fr", U_CHECKOUT + "125", "carol@example.com", "web"),
    ],
    [  # part-001: 10:08 - 10:20; e13 twice (same id, same time)
        ("e09", "u3", " Purchase ", "10:08:00", 7.5, "x", " US ", U_CHECKOUT + "126", None, "web"),
        ("e10", "u4", "view", "10:11:00", None, None, "de", U_BLOG + "3", "weird-address", "mobile"),
        ("e11", "u1", "refund", "10:12:00", -12.5, "1", "us", U_CHECKOUT + "124", "alice.smith@example.com", "web"),
        ("e12", "u2", "click", "10:13:45", None, None, "DE", U_CART, "bob@test.org", "mobile"),
        ("e13", "u5", "view", "10:15:00", None, None, "fr", U_BLOG + "1", "carol@example.com", "web"),
        ("e13", "u5", "view", "10:15:00", None, None, "fr", U_BLOG + "1", "carol@example.com", "web"),
        ("e14", "u3", "purchase", "10:16:00", 32.25, " 2 ", None, U_CHECKOUT + "127", None, "web"),
        ("e15", "u4", "purchase", "10:18:30", 99.5, "3", "de", U_CHECKOUT + "128", "weird-address", "mobile"),
        ("e16", "u1", "view", "10:20:00", None, None, "us", U_CART, "alice.smith@example.com", "web"),
        ("e17", "u2", "view", "10:09:30", None, None, "de", None, "bob@test.org", "mobile"),  # out of order
    ],
    [  # part-002: 10:18 - 10:32; e13 again; e21 at 10:01 is late (max so far 10:20)
        ("e18", "u5", "click", "10:19:00", None, None, "fr", U_CART, "carol@example.com", "web"),
        ("e13", "u5", "view", "10:15:00", None, None, "fr", U_BLOG + "1", "carol@example.com", "web"),
        ("e19", "u1", "purchase", "10:21:00", 1234.5, "1", " US ", U_CHECKOUT + "129", "alice.smith@example.com", "web"),
        ("e20", "u2", "purchase", "10:22:00", 12.5, "x", "DE", U_CHECKOUT + "130", "bob@test.org", "mobile"),
        ("e21", "u3", "view", "10:01:00", None, None, "us", U_BLOG + "2", None, "web"),  # late
        ("e22", "u4", "VIEW", "10:25:00", None, None, None, U_BLOG + "3", "weird-address", "mobile"),
        ("e23", "u5", "refund", "10:27:00", -20.0, "1", "fr", U_CHECKOUT + "125", "carol@example.com", "web"),
        ("e24", "u1", "click", "10:30:00", None, None, "us", U_CART, "alice.smith@example.com", "web"),
        ("e25", "u2", " Purchase ", "10:32:00", 64.0, "3", "de", U_CHECKOUT + "131", "bob@test.org", "mobile"),
    ],
    [  # part-003: 10:30 - 10:45; e29 at 10:05 is late (max so far 10:32)
        ("e26", "u3", "click", "10:31:00", None, None, "us", U_CART, None, "web"),
        ("e27", "u4", "purchase", "10:34:00", 250.0, "2", "fr", U_CHECKOUT + "132", "weird-address", "mobile"),
        ("e28", "u5", "view", "10:36:00", None, None, " US ", U_BLOG + "4", "carol@example.com", "web"),
        ("e29", "u1", "view", "10:05:00", None, None, "us", U_BLOG + "1", "alice.smith@example.com", "web"),  # late
        ("e30", "u2", "purchase", "10:38:00", 8.25, None, "DE", U_CHECKOUT + "133", "bob@test.org", "mobile"),
        ("e31", "u3", "refund", "10:40:00", -7.5, "1", None, U_CHECKOUT + "126", None, "web"),
        ("e32", "u5", "purchase", "10:42:00", 55.75, " 2 ", "fr", U_CHECKOUT + "134", "carol@example.com", "web"),
        ("e33", "u1", "click", "10:45:00", None, None, "us", None, "alice.smith@example.com", "web"),
    ],
]

MOBILE = [
    [  # part-000, alongside events/part-000
        ("m01", "u2", "view", "10:00:30", None, None, "de", U_BLOG + "1", "bob@test.org", "mobile"),
        ("m02", "u4", "VIEW", "10:02:30", None, None, "fr", U_CART, "weird-address", "mobile"),
        ("m03", "u2", "purchase", "10:04:30", 22.5, "1", "DE", U_CHECKOUT + "201", "bob@test.org", "mobile"),
        ("m04", "u4", "click", "10:06:30", None, None, "fr", U_CART, "weird-address", "mobile"),
        ("m05", "u5", " Purchase ", "10:08:30", 9.75, "2", "fr", U_CHECKOUT + "202", "carol@example.com", "mobile"),
        ("m06", "u3", "view", "10:07:00", None, None, None, U_BLOG + "2", None, "mobile"),
    ],
    [  # part-001, alongside events/part-001
        ("m07", "u1", "click", "10:10:30", None, None, "us", U_CART, "alice.smith@example.com", "mobile"),
        ("m08", "u2", "refund", "10:12:30", -22.5, "1", "de", U_CHECKOUT + "201", "bob@test.org", "mobile"),
        ("m09", "u4", "purchase", "10:14:30", 40.0, "x", "fr", U_CHECKOUT + "203", "weird-address", "mobile"),
        ("m10", "u5", "view", "10:16:30", None, None, " US ", U_BLOG + "5", "carol@example.com", "mobile"),
        ("m11", "u1", "VIEW", "10:18:30", None, None, "us", None, "alice.smith@example.com", "mobile"),
        ("m12", "u3", "click", "10:19:30", None, None, "DE", U_CART, None, "mobile"),
    ],
]

# (device_id, device_type, signal, temperature, time-of-day)
DEVICE_TYPE = {"d1": "thermostat", "d2": "camera", "d3": "lock", "d4": "thermostat"}
READINGS = [
    [  # part-000: 10:00 - 10:09
        ("d1", 12, 21.5, "10:00:00"),
        ("d2", 5, 30.0, "10:01:00"),
        ("d3", 22, 18.25, "10:03:00"),
        ("d4", 8, 19.0, "10:05:00"),
        ("d1", 15, 22.0, "10:07:00"),
        ("d2", 30, None, "10:09:00"),
    ],
    [  # part-001: 10:08 - 10:18
        ("d3", 0, 17.5, "10:11:00"),
        ("d4", 11, 20.5, "10:12:30"),
        ("d1", 27, 23.75, "10:14:00"),
        ("d2", 10, 29.0, "10:16:00"),
        ("d3", 18, 26.0, "10:18:00"),
        ("d4", 3, 19.5, "10:08:00"),  # out of order, not late
    ],
    [  # part-002: 10:21 - 10:29; d1 at 10:02 is late (max so far 10:18)
        ("d1", 20, 24.5, "10:21:00"),
        ("d2", 7, 31.25, "10:23:00"),
        ("d3", 25, 16.0, "10:25:00"),
        ("d1", 9, 22.5, "10:02:00"),  # late
        ("d4", 14, 21.0, "10:27:00"),
        ("d2", 16, 28.5, "10:29:30"),
    ],
]

SOURCE_CODE = {
    "events": ('events = spark.readStream.schema(EVENTS_SCHEMA).option("maxFilesPerTrigger", 1)'
               '.json("input/events")\nts = F.to_timestamp("event_time")'),
    "readings": ('readings = spark.readStream.schema(READINGS_SCHEMA).option("maxFilesPerTrigger", 1)'
                 '.json("input/readings")\nts = F.to_timestamp("time")'),
    "mobile": ('mobile = spark.readStream.schema(EVENTS_SCHEMA).option("maxFilesPerTrigger", 1)'
               '.json("input/mobile")'),
}

# name, input dirs (first one decides `ts`), output mode, PySpark code (eval'ed as is), extra
WM10 = 'events.withColumn("event_time", ts).withWatermark("event_time", "10 minutes")'
RECIPES = [
    ("select_where", ["readings"], "append",
     'readings.select("device_id", "signal").where("signal > 10")'),
    ("count_by_type", ["readings"], "complete",
     'readings.groupBy("device_type").count()'),
    ("avg_signal_by_type", ["readings"], "update",
     'readings.groupBy("device_type").agg(F.avg("signal").alias("avg_signal"))'),
    ("windowed_counts", ["readings"], "update",
     'readings.withColumn("time", ts).withWatermark("time", "10 minutes")'
     '.groupBy(F.window("time", "10 minutes", "5 minutes"), "device_type").count()'),
    ("window_append", ["events"], "append",
     WM10 + '.groupBy(F.window("event_time", "5 minutes"))'
     '.agg(F.count("*").alias("events"), F.sum("amount").alias("revenue"))'),
    ("dedup_by_id", ["events"], "append",
     'events.dropDuplicates(["event_id"])'),
    ("dedup_with_watermark", ["events"], "append",
     WM10 + '.dropDuplicates(["event_id", "event_time"]).select("event_id", "user_id", "event_time")'),
    ("dedup_within_watermark", ["events"], "append",
     WM10 + '.dropDuplicatesWithinWatermark(["event_id"]).select("event_id", "user_id")'),
    ("sessions", ["events"], "append",
     WM10 + '.groupBy(F.session_window("event_time", "5 minutes"), "user_id").count()'),
    ("global_count", ["events"], "complete",
     'events.groupBy().count()'),
    ("clean_strings", ["events"], "append",
     'events.select("event_id", F.lower(F.trim("event_type")).alias("event_type"), '
     'F.coalesce(F.upper(F.trim("country")), F.lit("UNKNOWN")).alias("country"), '
     'F.nvl("email", F.lit("n/a")).alias("email"))'),
    ("epoch_millis", ["events"], "append",
     'events.select("event_id", F.timestamp_millis("ts_ms").alias("ts"))'
     '.select("event_id", "ts", F.to_date("ts").alias("day"), '
     'F.date_format("ts", "yyyy-MM-dd HH:00").alias("hour_label"), F.hour("ts").alias("hour"))'),
    ("categorize", ["events"], "append",
     'events.select("event_id", F.when(F.col("amount") >= 100, "large")'
     '.when(F.col("amount") >= 20, "medium").when(F.col("amount").isNotNull(), "small")'
     '.otherwise("none").alias("category"))'),
    ("filter_isin_like", ["events"], "append",
     'events.where(F.lower(F.trim("event_type")).isin("purchase", "refund") '
     '& F.col("url").like("%/checkout%")).select("event_id", "user_id", "url")'),
    ("count_if", ["events"], "complete",
     'events.groupBy("user_id").agg(F.sum(F.when(F.lower(F.trim("event_type")) == "purchase", 1)'
     '.otherwise(0)).alias("purchases"), F.count("*").alias("events"))'),
    ("stats_per_user", ["events"], "update",
     'events.groupBy("user_id").agg(F.min("amount").alias("min_amount"), '
     'F.max("amount").alias("max_amount"), F.round(F.avg("amount"), 2).alias("avg_amount"), '
     'F.sum("amount").alias("total"))'),
    ("cast_text", ["events"], "complete",
     'events.groupBy("user_id").agg(F.sum(F.col("qty").cast("int")).alias("items"))'),
    ("url_domain", ["events"], "complete",
     'events.select(F.regexp_extract("url", r"^https?://([^/]+)/", 1).alias("domain"))'
     '.groupBy("domain").count()'),
    ("mask_email", ["events"], "append",
     'events.select("event_id", F.regexp_replace("email", r"^(.)[^@]*(@.*)$", "$1***$2")'
     '.alias("masked"), F.sha2("email", 256).alias("email_sha256"), '
     'F.md5("user_id").alias("user_md5"))'),
    ("sliding_avg_temp", ["readings"], "update",
     'readings.withColumn("time", ts).withWatermark("time", "10 minutes")'
     '.groupBy(F.window("time", "10 minutes", "5 minutes"), "device_id")'
     '.agg(F.avg("temperature").alias("avg_temp"), F.max("temperature").alias("max_temp"))'),
    ("union_two_streams", ["events", "mobile"], "complete",
     'events.union(mobile).groupBy(F.lower(F.trim("event_type")).alias("event_type")).count()'),
    ("top_spenders", ["events"], "complete",
     'events.groupBy("user_id").agg(F.sum("amount").alias("total"))'
     '.orderBy(F.desc("total")).limit(3)'),
    ("hourly_trunc", ["events"], "complete",
     'events.groupBy(F.date_trunc("hour", ts).alias("hour")).agg(F.count("*").alias("events"))'
     '.orderBy("hour")'),
    ("session_duration", ["events"], "append",
     WM10 + '.groupBy(F.session_window("event_time", "5 minutes"), "user_id")'
     '.agg(F.count("*").alias("events"), F.min("event_time").alias("first"), '
     'F.max("event_time").alias("last")).select("session_window", "user_id", "events", '
     '(F.unix_timestamp("last") - F.unix_timestamp("first")).alias("seconds"))'),
    ("late_drops", ["events"], "append",
     'events.withColumn("event_time", ts).withWatermark("event_time", "5 minutes")'
     '.groupBy(F.window("event_time", "5 minutes"), "country").count()'),
    ("format_amounts", ["events"], "append",
     'events.where(F.col("amount").isNotNull()).select("event_id", '
     'F.format_number("amount", 2).alias("amount_text"), '
     'F.round(F.col("amount") * 1.19, 2).alias("gross"), F.bround("amount", 0).alias("whole"))'),
    ("interval_arithmetic", ["events"], "append",
     'events.select("event_id", (ts + F.expr("INTERVAL 30 MINUTES")).alias("expires"), '
     '(ts - F.expr("INTERVAL 1 HOUR")).alias("hour_before"), '
     'F.months_between(ts, F.lit("2026-01-15 00:00:00").cast("timestamp")).alias("months"))'),
    ("greatest_least", ["readings"], "append",
     'readings.select("device_id", F.greatest("signal", F.lit(5)).alias("signal_floor"), '
     'F.least("temperature", F.lit(25.0)).alias("capped"), '
     'F.abs(F.col("temperature") - 20.0).alias("deviation"), '
     'F.concat("device_id", F.lit(":"), "device_type").alias("key"))'),
    ("reading_stats", ["readings"], "complete",
     'readings.groupBy("device_type").agg(F.percentile_approx("signal", 0.5).alias("median_signal"), '
     'F.percentile_approx("temperature", 0.9, 100).alias("p90_temp"), '
     'F.stddev("temperature").alias("sd_temp"), '
     'F.approx_count_distinct("device_id").alias("devices"))'),
    ("last_seen", ["events"], "update",
     'events.groupBy("user_id").agg(F.max_by("event_type", "ts_ms").alias("last_event"), '
     'F.first("country", ignorenulls=True).alias("first_country"), '
     'F.bool_or(F.col("amount") > 100.0).alias("big_spender"), '
     'F.approx_count_distinct("device").alias("devices"))'),
    ("windowed_spread", ["readings"], "append",
     'readings.withColumn("time", ts).withWatermark("time", "10 minutes")'
     '.groupBy(F.window("time", "10 minutes"))'
     '.agg(F.min_by("device_id", "temperature").alias("coldest"), '
     'F.stddev_pop("temperature").alias("spread"), '
     'F.corr("signal", "temperature").alias("r"))'),
    ("url_segments", ["events"], "append",
     'events.select("event_id", F.explode(F.split("url", "/")).alias("segment"))'),
    ("event_types_per_user", ["events"], "complete",
     'events.groupBy("user_id").agg(F.collect_list("event_type").alias("types"), '
     'F.sort_array(F.collect_set("device")).alias("devices"), '
     'F.size(F.collect_set("country")).alias("countries"))'),
    ("cart_urls", ["events"], "append",
     'events.where(F.col("url").isNotNull() & F.array_contains(F.split("url", "/"), "cart"))'
     '.select("event_id", '
     'F.element_at(F.split("url", "/"), -1).alias("last"), '
     'F.array("user_id", "device").alias("who"))'),
]
KEEP_ORDER = {"top_spenders", "hourly_trunc"}
ANSI_OFF = {"cast_text"}

WORK = Path(tempfile.mkdtemp(prefix="rill-cookbook-"))


def make_spark():
    spark = (
        SparkSession.builder
        .master("local[2]")
        .appName("rill-cookbook-golden")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "4")
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
def epoch_ms(tod):
    h, m, s = (int(x) for x in tod.split(":"))
    return 1772323200000 + ((h * 60 + m) * 60 + s) * 1000  # 2026-03-01 00:00:00 UTC


def write_jsonl(path, columns, rows, mtime):
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(dict(zip(columns, r)), ensure_ascii=False) + "\n" for r in rows)
    with path.open("w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    os.utime(path, (mtime, mtime))


def write_inputs():
    if INPUT_DIR.exists():
        shutil.rmtree(INPUT_DIR)
    index = 0

    def event_rows(raw):
        return [(eid, uid, et, DAY + tod, epoch_ms(tod), amt, qty, ctry, url, email, dev)
                for (eid, uid, et, tod, amt, qty, ctry, url, email, dev) in raw]

    for name, files, conv, cols in (
            ("events", EVENTS, event_rows, EVENTS_COLUMNS),
            ("mobile", MOBILE, event_rows, EVENTS_COLUMNS),
            ("readings", READINGS,
             lambda raw: [(d, DEVICE_TYPE[d], sig, temp, DAY + tod) for (d, sig, temp, tod) in raw],
             READINGS_COLUMNS)):
        for n, raw in enumerate(files):
            index += 1
            write_jsonl(INPUT_DIR / name / f"part-{n:03d}.json", cols, conv(raw),
                        MTIME_BASE + 60 * index)


# ---------------------------------------------------------------------------
# running a recipe
# ---------------------------------------------------------------------------
def flatten(df):
    cols = []
    for f in df.schema.fields:
        if f.name in ("window", "session_window") and isinstance(f.dataType, StructType):
            cols.append(F.col(f"`{f.name}`.start").alias("window_start"))
            cols.append(F.col(f"`{f.name}`.end").alias("window_end"))
        else:
            cols.append(F.col(f"`{f.name}`"))
    return df.select(*cols)


UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
ERR_RE = re.compile(r"\[([A-Z][A-Z0-9_.]*)\] ([^\n]*)")
WRAPPERS = {"STREAM_FAILED", "FOREACH_BATCH_USER_FUNCTION_ERROR"}


def error_info(exc):
    """The error that made the query fail: its class and message line (innermost error class
    in the text, past the STREAM_FAILED / FOREACH_BATCH_USER_FUNCTION_ERROR wrappers), with
    run-specific ids scrubbed so the output is deterministic."""
    cond = getattr(exc, "getCondition", lambda: None)()
    msg = getattr(exc, "getMessage", None)
    text = (msg() if msg else str(exc)).strip()
    found = [(c, m) for c, m in ERR_RE.findall(text) if c not in WRAPPERS]
    wrapped = [c for c, _ in ERR_RE.findall(text) if c in WRAPPERS]
    if found:
        cls, line = found[-1]
        line = f"[{cls}] {line}"
    else:
        cls, line = cond, text
    line = UUID_RE.sub("<uuid>", line.replace(str(WORK), "<tmp>"))
    return {"error_class": cls, "message": line.strip(), "wrapped_in": list(dict.fromkeys(wrapped))}


def sources(spark):
    def read(name, schema):
        return (spark.readStream.schema(schema).option("maxFilesPerTrigger", 1)
                .json(str(INPUT_DIR / name)))
    return {"events": read("events", EVENTS_SCHEMA), "mobile": read("mobile", EVENTS_SCHEMA),
            "readings": read("readings", READINGS_SCHEMA)}


def run_recipe(spark, name, inputs, mode, code):
    src = sources(spark)
    ts = F.to_timestamp("time") if inputs[0] == "readings" else F.to_timestamp("event_time")
    env = {"F": F, "ts": ts, **{k: src[k] for k in inputs}}
    captured, meta = {}, {}

    def on_batch(batch_df, batch_id):
        flat = flatten(batch_df)
        rows, _ = collect_encoded(flat)
        if name not in KEEP_ORDER:
            rows.sort(key=lambda r: json.dumps(r))
        captured[batch_id] = rows
        meta.setdefault("columns", flat.columns)
        meta.setdefault("column_types", dict(flat.dtypes))

    df = eval(code, env)  # noqa: S307  (the exact string stored in the expected file)
    q = (df.writeStream.outputMode(mode).trigger(availableNow=True).foreachBatch(on_batch)
         .option("checkpointLocation", str(WORK / "checkpoints" / name)).start())
    q.awaitTermination()
    progress = [json.loads(p.json) for p in q.recentProgress]
    by_id = {p["batchId"]: p for p in progress}
    assert sorted(by_id) == sorted(captured), (name, sorted(by_id), sorted(captured))
    batches = []
    for bid in sorted(captured):
        p = by_id[bid]
        batches.append({
            "batch_id": bid,
            "num_input_rows": p["numInputRows"],
            "watermark": (p.get("eventTime") or {}).get("watermark"),
            "rows": captured[bid],
        })
    if "columns" not in meta:
        flat = flatten(df)
        meta["columns"], meta["column_types"] = flat.columns, dict(flat.dtypes)
    return meta, batches


def recipe(spark, name, inputs, mode, code):
    ansi = name not in ANSI_OFF
    out = {"recipe": name, "mode": mode, "spark": code,
           "source": "\n".join(SOURCE_CODE[i] for i in inputs),
           "inputs": [f"input/{i}" for i in inputs],
           "spark_version": spark.version, "ansi": ansi}
    if not ansi:
        spark.conf.set("spark.sql.ansi.enabled", "false")
    try:
        meta, batches = run_recipe(spark, name, inputs, mode, code)
        out.update(meta)
        out["batches"] = batches
    except Exception as exc:  # noqa: BLE001
        out["error"] = error_info(exc)
    finally:
        spark.conf.unset("spark.sql.ansi.enabled")
    if not ansi:
        # What the same query does with ANSI at its default (true): recorded, not a golden.
        try:
            run_recipe(spark, name + "__ansi_default", inputs, mode, code)
            out["ansi_default_outcome"] = "no error"
        except Exception as exc:  # noqa: BLE001
            out["ansi_default_error"] = error_info(exc)
    return out


def main():
    t0 = time.time()
    write_inputs()
    only = set(sys.argv[1:])  # optional recipe names: regenerate just those
    if EXPECTED_DIR.exists() and not only:
        shutil.rmtree(EXPECTED_DIR)
    EXPECTED_DIR.mkdir(parents=True, exist_ok=True)
    spark = make_spark()
    try:
        for name, inputs, mode, code in RECIPES:
            if only and name not in only:
                continue
            t = time.time()
            out = recipe(spark, name, inputs, mode, code)
            with (EXPECTED_DIR / f"{name}.json").open("w", encoding="utf-8", newline="\n") as f:
                f.write(json.dumps(out, indent=1, sort_keys=False, ensure_ascii=False) + "\n")
            if "error" in out:
                summary = f"ERROR {out['error']['error_class']}"
            else:
                summary = " ".join(
                    f"b{b['batch_id']}(in={b['num_input_rows']},out={len(b['rows'])})"
                    for b in out["batches"])
            print(f"{name:24s} {time.time() - t:5.1f}s {summary}", flush=True)
    finally:
        spark.stop()
        shutil.rmtree(WORK, ignore_errors=True)
    print(f"total {time.time() - t0:.1f}s")


if __name__ == "__main__":
    main()
