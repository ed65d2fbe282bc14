"""Reference ("golden") outputs from real Spark for date / timestamp SQL functions
(timestamp_seconds/millis/micros, unix_timestamp/seconds/millis/micros/date, from_unixtime,
date_add/date_sub, datediff, add_months, last_day, date_trunc, trunc, dayofyear, quarter,
weekofyear, dayofweek, weekday, make_date) evaluated in a streaming query, under Spark 4's
default ANSI mode.

Usage:  python make_time_functions_golden.py          (pyspark 4.3.0, Java 17)

Regenerates, next to this script:
  input/part-000.json            16 JSON lines, schema `id int, ts timestamp, dt date, n bigint,
                                 k int, x double` (ts: month/year ends, leap day, last micro of a
                                 day, pre-1970 fractional, epoch, 1900, a Sunday, a Monday, null;
                                 dt: leap day, month ends, year end, pre-1970, 1900, ISO week 53
                                 dates, null; n: seconds/millis sized longs, negatives, year 9999,
                                 null; k: 0, +-1, 12, -13, 30, 365, null; x: 0.0, +-1.5, a
                                 fractional epoch second, null). ts/dt are written as
                                 "yyyy-MM-dd HH:mm:ss.SSSSSS" / "yyyy-MM-dd" strings and parsed by
                                 Spark's JSON reader with the schema.
  expected/time_functions.json   select rows (by id), column types, errors, probes

Query: spark.readStream.schema(S).json(input).selectExpr(*select), trigger(availableNow=True),
foreachBatch, append mode; rows collected, sorted by id. ANSI is left at the Spark 4 default
(spark.sql.ansi.enabled=true), recorded as ansi_enabled.

Every candidate expression is first tried on its own as a *batch* query over the same file
(selectExpr("id", e).collect()), which catches analysis errors and ANSI runtime errors (e.g.
make_date with an out-of-range month on some rows). An expression that fails is left out of the
streaming query and recorded in "errors" (error class, SQLSTATE, message, message parameters,
query context, the analysed type, the ids of the rows that fail when the expression is run row
by row, and [id, value] of the other rows from those per-row runs). A few extra edge cases
(PROBE_EXPRS: overflow of timestamp_seconds/millis, invalid make_date, unsupported trunc units,
...) are evaluated as one-row batch queries over literals and recorded under "probes"; they are
not part of the streaming query. As a cross-check the streaming select is also run as a batch
query on the same file.

Value encoding in the JSON: strings as strings, ints/longs as exact JSON integers, doubles as
JSON numbers except NaN / Infinity / -Infinity -> the strings "NaN", "Infinity", "-Infinity"
and negative zero -> the string "-0.0"; null as null. Timestamps: in "rows" as the exact number
of microseconds since 1970-01-01 00:00:00 UTC (JSON integer; computed on the Spark side with
unix_micros inside foreachBatch, so nothing goes through Python datetime), and in
"rows_ts_formatted" as "yyyy-MM-dd HH:mm:ss.SSSSSS" UTC strings formatted here from those micros
(proleptic Gregorian). Dates: "yyyy-MM-dd" strings (from unix_date on the Spark side, formatted
here) in both.

Spark setup: local[2], loopback only, 4 shuffle partitions, AQE off, UI off, session time zone
UTC, TZ=UTC, ANSI at its Spark 4 default. Checkpoints live in a temporary directory that is
deleted at the end.
"""
import datetime as _dt
import json
import logging
import math
import os
import shutil
import tempfile
from pathlib import Path

os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"  # loopback only
os.environ["TZ"] = "UTC"

from pyspark.logger import PySparkLogger  # noqa: E402
from pyspark.sql import SparkSession  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

# pyspark logs every captured SQL error with a query context (with a JVM stack trace) through
# this logger; the errors here are expected and recorded, so keep stderr quiet.
PySparkLogger.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL + 1)

import sys  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from spark_golden import out_name, days_to_civil, fmt_year, fmt_date, fmt_ts, plain, encodable, collect_encoded  # noqa: E402

HERE = Path(__file__).resolve().parent
INPUT_DIR = HERE / "input"
EXPECTED_DIR = HERE / "expected"
MTIME_BASE = 1704067200  # 2024-01-01 00:00:00 UTC, fixed => reproducible

WORK = Path(tempfile.mkdtemp(prefix="rill-time-functions-"))

INPUT_SCHEMA = "id int, ts timestamp, dt date, n bigint, k int, x double"
INPUT_COLUMNS = ["id", "ts", "dt", "n", "k", "x"]

TS_LEAP_END = "2024-02-29 23:59:59.999999"   # last micro of a leap day
TS_MAR_END = "2024-03-31 12:00:00.000000"    # month + quarter end
TS_YEAR_END = "2023-12-31 23:30:00.000000"
TS_NEW_YEAR = "2024-01-01 00:00:00.000000"
TS_PRE_EPOCH = "1969-12-31 23:59:59.500000"  # negative micros, fractional second
TS_EPOCH = "1970-01-01 00:00:00.000000"
TS_MICROS = "2000-06-15 08:07:06.054321"
TS_1900 = "1900-03-01 00:00:00.000000"
TS_SUNDAY = "2024-03-03 10:20:30.123456"     # Sunday
TS_MONDAY = "2024-03-04 00:00:00.000000"     # Monday

# (id, ts, dt, n, k, x)
ROWS = [
    (1, TS_LEAP_END, "2024-02-29", 0, 12, 0.0),
    (2, TS_MAR_END, "2024-01-31", 1, 1, 1.5),
    (3, TS_YEAR_END, "2023-03-31", -1, -1, -1.5),
    (4, TS_NEW_YEAR, "2024-12-31", 1700000000, -13, 1700000000.123456),
    (5, TS_PRE_EPOCH, "1969-12-31", 1700000000123, 30, None),
    (6, TS_EPOCH, "2000-02-28", -86400, 365, 0.0),
    (7, TS_MICROS, "1900-02-28", 253402300799, 0, 1.5),
    (8, None, None, None, None, None),
    (9, TS_SUNDAY, "2021-01-03", -1, 1, -1.5),      # dt: Sunday, ISO week 53 of 2020
    (10, TS_MONDAY, "2000-02-28", 1700000000, 12, 0.0),   # dt: Monday
    (11, None, "2024-02-29", 1, None, 1.5),
    (12, TS_1900, "1900-02-28", -86400, -1, None),
    (13, TS_YEAR_END, "2020-12-31", 253402300799, 30, 1700000000.123456),  # dt: ISO week 53
    (14, TS_MICROS, "2024-01-31", None, -13, 0.0),
    (15, TS_MAR_END, "2023-03-31", 0, 365, None),
    (16, TS_PRE_EPOCH, "1969-12-31", 1700000000123, 0, -1.5),
]

# The SQL text Spark sees is exactly the value of each string.
CANDIDATE_EXPRS = [
    "id",
    "timestamp_seconds(n) AS ts_seconds",
    "timestamp_millis(n) AS ts_millis",
    "timestamp_micros(n) AS ts_micros",
    "timestamp_seconds(x) AS ts_seconds_x",
    "unix_timestamp(ts) AS unix_ts",
    "unix_seconds(ts) AS unix_s",
    "unix_millis(ts) AS unix_ms",
    "unix_micros(ts) AS unix_us",
    "unix_date(dt) AS unix_d",
    "from_unixtime(n) AS from_unix",
    "from_unixtime(n, 'yyyy-MM-dd') AS from_unix_date",
    "date_add(dt, k) AS date_add_k",
    "date_sub(dt, k) AS date_sub_k",
    "date_add(ts, 1) AS date_add_ts",
    "datediff(dt, DATE'2024-01-01') AS datediff_fixed",
    "datediff(ts, dt) AS datediff_ts_dt",
    "add_months(dt, k) AS add_months_k",
    "last_day(dt) AS last_day_dt",
    "last_day(ts) AS last_day_ts",
    "date_trunc('YEAR', ts) AS trunc_year",
    "date_trunc('QUARTER', ts) AS trunc_quarter",
    "date_trunc('MONTH', ts) AS trunc_month",
    "date_trunc('WEEK', ts) AS trunc_week",
    "date_trunc('DAY', ts) AS trunc_day",
    "date_trunc('HOUR', ts) AS trunc_hour",
    "date_trunc('MINUTE', ts) AS trunc_minute",
    "date_trunc('SECOND', ts) AS trunc_second",
    "date_trunc('MILLISECOND', ts) AS trunc_ms",
    "trunc(dt, 'year') AS dtrunc_year",
    "trunc(dt, 'quarter') AS dtrunc_quarter",
    "trunc(dt, 'month') AS dtrunc_month",
    "trunc(dt, 'week') AS dtrunc_week",
    "dayofyear(dt) AS day_of_year",
    "quarter(dt) AS quarter_dt",
    "weekofyear(dt) AS week_of_year",
    "dayofweek(ts) AS day_of_week_ts",
    "weekday(dt) AS weekday_dt",
    "make_date(2024, k, 1) AS make_date_k",
]

# Edge cases asked about but not reachable with the input values (the input's largest n,
# 1700000000123, still fits as seconds: 1.7e18 micros < Long.MAX). One-row batch queries over
# literals, recorded under "probes"; not part of the streaming query.
PROBE_EXPRS = [
    "timestamp_seconds(9223372036854) AS ts_seconds_max_ok",
    "timestamp_seconds(9223372036855) AS ts_seconds_overflow",
    "timestamp_seconds(-9223372036855) AS ts_seconds_neg_overflow",
    "timestamp_millis(9223372036854775) AS ts_millis_max_ok",
    "timestamp_millis(9223372036854776) AS ts_millis_overflow",
    "timestamp_millis(9223372036854775807) AS ts_millis_long_max",
    "timestamp_micros(9223372036854775807) AS ts_micros_long_max",
    "timestamp_micros(-9223372036854775808) AS ts_micros_long_min",
    "timestamp_seconds(1e300) AS ts_seconds_1e300",
    "timestamp_seconds(CAST('NaN' AS DOUBLE)) AS ts_seconds_nan",
    "timestamp_seconds(CAST('Infinity' AS DOUBLE)) AS ts_seconds_inf",
    "timestamp_seconds(CAST(-1e300 AS DOUBLE)) AS ts_seconds_neg_1e300",
    "timestamp_seconds(1.5) AS ts_seconds_decimal",
    "timestamp_seconds(-0.0000005) AS ts_seconds_decimal_sub_micro_neg",
    "timestamp_seconds(1.0000005) AS ts_seconds_decimal_sub_micro",
    "timestamp_seconds(CAST(1.0000005 AS DOUBLE)) AS ts_seconds_double_sub_micro",
    "timestamp_seconds(CAST(-0.0000005 AS DOUBLE)) AS ts_seconds_double_sub_micro_neg",
    "timestamp_seconds(CAST(-1.0000015 AS DOUBLE)) AS ts_seconds_double_neg_truncates",
    "timestamp_seconds(CAST(-1.5 AS DOUBLE)) AS ts_seconds_neg_double",
    "from_unixtime(1700000000123) AS from_unix_year_55k",
    "from_unixtime(-62135596800) AS from_unix_year_1",
    "from_unixtime(-62135596801) AS from_unix_year_0",
    "from_unixtime(0, 'EEE yyyy-MM-dd HH:mm:ss.SSS') AS from_unix_fmt",
    "make_date(2024, 2, 30) AS make_date_feb30",
    "make_date(2023, 2, 29) AS make_date_2023_feb29",
    "make_date(2024, 13, 1) AS make_date_month13",
    "make_date(2024, 0, 1) AS make_date_month0",
    "make_date(2024, CAST(NULL AS INT), 1) AS make_date_null",
    "try_make_timestamp(2024, 13, 1, 0, 0, 0) AS try_make_ts_month13",
    "date_add(DATE'2024-01-01', 2147483647) AS date_add_int_max",
    "date_add(DATE'9999-12-31', 1) AS date_add_past_9999",
    "add_months(DATE'2024-01-31', 2147483647) AS add_months_int_max",
    "add_months(DATE'2024-02-29', -12) AS add_months_leap_back",
    "add_months(TIMESTAMP'2024-01-31 10:00:00', 1) AS add_months_ts",
    "datediff(TIMESTAMP'2024-03-01 00:00:00', TIMESTAMP'2024-02-29 23:59:59') AS datediff_ts_1s",
    "datediff(DATE'1969-12-31', DATE'2024-01-01') AS datediff_negative",
    "date_trunc('WEEK', TIMESTAMP'2024-03-04 00:00:00') AS trunc_week_monday",
    "date_trunc('week', TIMESTAMP'1970-01-01 00:00:00') AS trunc_week_epoch_lowercase",
    "date_trunc('DECADE', TIMESTAMP'2024-03-04 00:00:00') AS trunc_bad_unit",
    "date_trunc('MICROSECOND', TIMESTAMP'2024-03-04 00:00:00.123456') AS trunc_micro",
    "date_trunc('yy', TIMESTAMP'2024-03-04 00:00:00') AS trunc_yy",
    "date_trunc('MM', TIMESTAMP'2024-03-04 00:00:00') AS trunc_mm",
    "date_trunc('DD', TIMESTAMP'2024-03-04 10:00:00') AS trunc_dd",
    "date_trunc('MINUTE', TIMESTAMP'1969-12-31 23:59:59.5') AS trunc_minute_pre_epoch",
    "trunc(DATE'2024-03-03', 'week') AS dtrunc_week_sunday",
    "trunc(DATE'2024-02-29', 'day') AS dtrunc_day",
    "trunc(DATE'2024-02-29', 'DD') AS dtrunc_dd",
    "trunc(DATE'2024-02-29', 'bogus') AS dtrunc_bogus",
    "trunc(DATE'2024-02-29', 'MM') AS dtrunc_mm",
    "trunc(DATE'2024-02-29', 'YY') AS dtrunc_yy",
    "trunc(TIMESTAMP'2024-02-29 10:00:00', 'month') AS dtrunc_on_ts",
    "weekofyear(DATE'2021-01-01') AS woy_2021_01_01",
    "weekofyear(DATE'2024-12-30') AS woy_2024_12_30",
    "weekofyear(DATE'2027-01-03') AS woy_2027_01_03",
    "dayofweek(DATE'2024-03-03') AS dow_sunday",
    "weekday(DATE'2024-03-03') AS weekday_sunday",
    "unix_timestamp(TIMESTAMP'1969-12-31 23:59:59.000001') AS unix_ts_pre_epoch_micro",
    "unix_seconds(TIMESTAMP'1969-12-31 23:59:59.000001') AS unix_s_pre_epoch_micro",
    "unix_millis(TIMESTAMP'1969-12-31 23:59:59.999001') AS unix_ms_pre_epoch",
    "unix_timestamp(DATE'2024-02-29') AS unix_ts_date",
    "last_day(DATE'1900-02-01') AS last_day_1900_feb",
    "last_day(DATE'2000-02-01') AS last_day_2000_feb",
]


def make_spark():
    spark = (
        SparkSession.builder
        .master("local[2]")
        .appName("rill-time-functions-golden")
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
    spark.sparkContext.setLogLevel("OFF")  # expected ANSI task failures would spam stderr
    return spark


# ---------------------------------------------------------------------------
# value encoding
# ---------------------------------------------------------------------------
def ts_formatted(rows, columns, kinds):
    idx = [k for k, n in enumerate(columns) if kinds.get(n) == "ts"]
    res = []
    for r in rows:
        r = list(r)
        for k in idx:
            r[k] = fmt_ts(r[k])
        res.append(r)
    return res


def error_info(exc):
    info = {}
    for key, getter in (("error_class", "getCondition"), ("sqlstate", "getSqlState"),
                        ("message_parameters", "getMessageParameters")):
        fn = getattr(exc, getter, None)
        try:
            info[key] = fn() if fn else None
        except Exception:  # noqa: BLE001
            info[key] = None
    msg = getattr(exc, "getMessage", None)
    info["message"] = ((msg() if msg else "") or str(exc)).strip()
    # JVM exception class: tells a Spark error-class error apart from a bare Java exception
    # (e.g. java.lang.ArithmeticException "Rounding necessary", which has no error class).
    try:
        info["exception_class"] = exc._origin.getClass().getName()
    except Exception:  # noqa: BLE001
        info["exception_class"] = None
    try:
        info["query_context"] = [c.fragment() for c in exc.getQueryContext()]
    except Exception:  # noqa: BLE001
        info["query_context"] = None
    return info


# ---------------------------------------------------------------------------
# input
# ---------------------------------------------------------------------------
def ts_micros_of(s):
    if s is None:
        return None
    t = _dt.datetime.strptime(s, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=_dt.timezone.utc)
    delta = t - _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def expected_input_rows():
    """The input as it should read back, in the output encoding (ts micros, dates strings)."""
    return [[plain(v) if c != "ts" else ts_micros_of(v) for c, v in zip(INPUT_COLUMNS, r)]
            for r in ROWS]


def write_input():
    INPUT_DIR.mkdir(parents=True, exist_ok=True)
    path = INPUT_DIR / "part-000.json"
    text = "".join(
        json.dumps(dict(zip(INPUT_COLUMNS, r)), ensure_ascii=False) + "\n" for r in ROWS)
    with path.open("w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    os.utime(path, (MTIME_BASE + 60, MTIME_BASE + 60))


def batch_df(spark):
    return spark.read.schema(INPUT_SCHEMA).json(str(INPUT_DIR))


# ---------------------------------------------------------------------------
# queries
# ---------------------------------------------------------------------------
def evaluate(src, e, ids):
    """Run `id, e` as a batch query. Returns (error info or None, type, [[id, value], ...])."""
    try:
        df = src.selectExpr("id", e) if e != "id" else src.selectExpr(e)
    except Exception as exc:  # noqa: BLE001  (analysis error)
        return (dict(error_info(exc), phase="analysis", type=None, failing_ids=None,
                     other_rows=None), None, None)
    typ = dict(df.dtypes)[out_name(e)]
    try:
        return None, typ, sorted(collect_encoded(df)[0], key=lambda r: r[0])
    except Exception as exc:  # noqa: BLE001  (runtime error, e.g. ANSI out-of-range field)
        info = dict(error_info(exc), phase="runtime", type=typ)
    failing, ok_rows = [], []
    for rid in ids:
        try:
            ok_rows += collect_encoded(df.where(f"id = {rid}"))[0]
        except Exception:  # noqa: BLE001
            failing.append(rid)
    info["failing_ids"] = failing
    info["other_rows"] = ok_rows  # [id, value] of every row that does not fail
    return info, typ, None


def run_probes(spark):
    """Extra edge cases over literals, one-row batch queries (not part of the streaming
    select). {expr, type, value, value_ts_formatted, error}."""
    src = spark.range(1).selectExpr("CAST(id AS INT) AS id")
    out = []
    for e in PROBE_EXPRS:
        err, typ, rows = evaluate(src, e, [0])
        value = rows[0][1] if rows else None
        out.append({
            "expr": e, "type": typ, "value": value,
            "value_ts_formatted": fmt_ts(value) if typ == "timestamp" and rows else None,
            "error": err,
        })
    return out


def run_stream(df, name):
    batches = []
    kinds_seen = {}

    def on_batch(batch_df_, batch_id):
        rows, kinds = collect_encoded(batch_df_)
        kinds_seen.update(kinds)
        batches.append((batch_id, rows))

    q = (df.writeStream.outputMode("append").foreachBatch(on_batch).trigger(availableNow=True)
         .option("checkpointLocation", str(WORK / "checkpoints" / name)).start())
    q.awaitTermination()
    return batches, kinds_seen, [json.loads(p.json) for p in q.recentProgress]


def run_select(spark):
    src_b = batch_df(spark)
    ids = [r[0] for r in ROWS]
    errors = {}
    for e in CANDIDATE_EXPRS:
        err, _, _ = evaluate(src_b, e, ids)
        if err is not None:
            errors[e] = err
    ok = [e for e in CANDIDATE_EXPRS if e not in errors]
    src = spark.readStream.schema(INPUT_SCHEMA).json(str(INPUT_DIR))
    df = src.selectExpr(*ok)
    types = dict(df.dtypes)
    columns = [out_name(e) for e in ok]
    batches, kinds, progress = run_stream(df, "select")
    rows = sorted((r for _, b in batches for r in b), key=lambda r: r[0])
    batch_rows = sorted(collect_encoded(batch_df(spark).selectExpr(*ok))[0], key=lambda r: r[0])
    input_as_read = sorted(collect_encoded(batch_df(spark))[0], key=lambda r: r[0])
    return {
        "select": ok,
        "columns": columns,
        "column_types": {c: types[c] for c in columns},
        "errors": errors,
        "rows": rows,
        "rows_ts_formatted": ts_formatted(rows, columns, kinds),
        "num_batches": len(progress),
        "batch_query_same_rows": batch_rows == rows,
        "input_as_read": input_as_read,
    }


def dump(name, obj):
    EXPECTED_DIR.mkdir(parents=True, exist_ok=True)
    p = EXPECTED_DIR / name
    p.write_text(json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False) + "\n",
                 encoding="utf-8")
    print("wrote", p)


def main():
    if INPUT_DIR.exists():
        shutil.rmtree(INPUT_DIR)
    write_input()
    spark = make_spark()
    try:
        print("Spark version:", spark.version)
        ansi = spark.conf.get("spark.sql.ansi.enabled")
        assert ansi == "true", ansi  # Spark 4 default, not set by this script
        sel = run_select(spark)
        probes = run_probes(spark)
        expected_input = expected_input_rows()
        dump("time_functions.json", {
            "spark_version": spark.version,
            "ansi_enabled": ansi == "true",
            "session_time_zone": spark.conf.get("spark.sql.session.timeZone"),
            "input_schema": INPUT_SCHEMA,
            "input_rows": [[plain(v) for v in r] for r in ROWS],
            "input_rows_encoded": expected_input,
            "input_read_back_identical": sel["input_as_read"] == expected_input,
            "query": "spark.readStream.schema(input_schema).json(input).selectExpr(*select), "
                     "trigger availableNow, foreachBatch, append; rows sorted by id; "
                     "spark.sql.ansi.enabled at its Spark 4 default (true)",
            "notes": [
                "ANSI mode at the Spark 4 default (spark.sql.ansi.enabled=true, not set by the "
                "script; ansi_enabled: true); session time zone UTC, TZ=UTC.",
                "select = the SQL text of each expression of the streaming query, exactly as "
                "passed to selectExpr; candidate expressions that failed on their own as batch "
                "queries are left out of it and listed in errors (keyed by SQL text).",
                "column_types = DataFrame.dtypes of the result column.",
                "TIMESTAMP ENCODING: in rows, every timestamp-typed value (ts_seconds, "
                "ts_millis, ts_micros, ts_seconds_x, trunc_*, input ts) is an exact JSON "
                "integer = microseconds since 1970-01-01 00:00:00 UTC (Spark's internal value, "
                "taken with unix_micros on the Spark side inside foreachBatch). "
                "rows_ts_formatted is the same table with those integers formatted as "
                "'yyyy-MM-dd HH:mm:ss.SSSSSS' (UTC, proleptic Gregorian, year zero-padded to at "
                "least 4 digits, '-' for years <= 0 i.e. astronomical numbering; years > 9999 "
                "printed in full, no '+'). from_unix / from_unix_date are Spark's own strings "
                "(string columns).",
                "DATE ENCODING: date-typed values (input dt, date_add_*, date_sub_k, add_months_k, "
                "last_day_*, dtrunc_*) are 'yyyy-MM-dd' strings in both rows and "
                "rows_ts_formatted (from unix_date on the Spark side, formatted here, same year "
                "rules).",
                "Ints/longs are exact JSON integers (unix_ts, unix_s, unix_ms, unix_us are "
                "bigint). Doubles (none in the output) would follow the casts golden encoding.",
                "input_rows = the rows as written to input/part-000.json (ts/dt as strings). "
                "input_rows_encoded = the same in the output encoding (ts as micros); "
                "input_read_back_identical = Spark's JSON reader returned exactly that.",
                "errors[expr] = {error_class, sqlstate, message, message_parameters, "
                "query_context (SQL fragments Spark points at), exception_class (JVM class of "
                "the error; a bare java.lang.ArithmeticException has no error class / "
                "SQLSTATE), phase (analysis|runtime), type "
                "(analysed result type, runtime errors only), failing_ids (ids of the rows on "
                "which the expression fails when run row by row, as a batch query filtered on "
                "id), other_rows ([id, value] for every other row, same value encoding, from "
                "those same per-row batch queries; not part of the streaming output)}.",
                "probes = extra edge cases over literals, each run as a one-row batch query "
                "(spark.range(1).selectExpr(\"id\", expr)): {expr, type, value (same encoding), "
                "value_ts_formatted (timestamps only), error (same shape as errors[expr] with "
                "failing_ids [0] and other_rows [], or null)}. Literal arguments may be "
                "constant-folded by the optimizer; the error is the same one a column argument "
                "raises.",
            ],
            "select": sel["select"],
            "columns": sel["columns"],
            "column_types": sel["column_types"],
            "rows": sel["rows"],
            "rows_ts_formatted": sel["rows_ts_formatted"],
            "errors": sel["errors"],
            "num_batches": sel["num_batches"],
            "batch_query_same_rows": sel["batch_query_same_rows"],
            "probes": probes,
        })
    finally:
        spark.stop()
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
