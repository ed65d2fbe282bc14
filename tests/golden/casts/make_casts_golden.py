"""Reference ("golden") outputs from real Spark for CAST between string / int / bigint / double /
boolean / timestamp / date under Spark's NON-ANSI (legacy) cast semantics, evaluated in a
streaming query.

Usage:  python make_casts_golden.py          (pyspark 4.3.0, Java 17)

Regenerates, next to this script:
  input/part-000.json     41 JSON lines, schema `id int, s string, i int, l bigint, d double,
                          b boolean, ts timestamp, dt date` (s: numeric / boolean / date /
                          timestamp-looking strings, padded, out-of-range, hex, special floats,
                          empty, blank, unicode, null; i/l: extremes; d: special values, signed
                          zero, Java-toString thresholds; ts: micros, pre-1970, null; dt: leap day,
                          pre-1970, null). Timestamps are written as "yyyy-MM-dd HH:mm:ss.SSSSSS"
                          strings and parsed by Spark's JSON reader with the schema.
  expected/casts.json     select rows (by id), column types, errors

Query: spark.readStream.schema(S).json(input).selectExpr(*select), trigger(availableNow=True),
foreachBatch, append mode; rows collected, sorted by id. spark.sql.ansi.enabled=false (set on
the session, recorded as ansi_enabled).

Every candidate expression is first tried on its own as a *batch* query over the same file,
which catches analysis errors (cast not allowed) and runtime errors; an expression that fails is
left out of the streaming query and recorded in "errors". As a cross-check the streaming select
is also run as a batch query on the same file.

Value encoding in the JSON: strings as strings, ints/longs as exact JSON integers, booleans as
JSON booleans, doubles as JSON numbers except NaN / Infinity / -Infinity -> the strings "NaN",
"Infinity", "-Infinity" and negative zero -> the string "-0.0" (positive zero stays the number
0.0); null as null. Timestamps: in "rows" as the exact number of microseconds since
1970-01-01 00:00:00 UTC (JSON integer; computed on the Spark side with unix_micros inside
foreachBatch, so nothing goes through Python datetime), and in "rows_ts_formatted" as
"yyyy-MM-dd HH:mm:ss.SSSSSS" UTC strings formatted here from those micros (proleptic Gregorian).
Dates: "yyyy-MM-dd" strings (from unix_date on the Spark side, formatted here) in both.
One cell depends on the run date: CAST('12:00' AS TIMESTAMP) is today's date (UTC) at 12:00;
it is checked against today and written as {"current_date_utc_plus_micros": 43200000000}.

Spark setup: local[2], loopback only, 4 shuffle partitions, AQE off, UI off, session time zone
UTC, TZ=UTC, spark.sql.ansi.enabled=false. Checkpoints live in a temporary directory that is
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

PySparkLogger.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL + 1)

import sys  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from spark_golden import out_name, days_to_civil, fmt_year, fmt_date, fmt_ts, plain, encodable, collect_encoded  # noqa: E402

HERE = Path(__file__).resolve().parent
INPUT_DIR = HERE / "input"
EXPECTED_DIR = HERE / "expected"
MTIME_BASE = 1704067200  # 2024-01-01 00:00:00 UTC, fixed => reproducible

WORK = Path(tempfile.mkdtemp(prefix="rill-casts-"))

INPUT_SCHEMA = "id int, s string, i int, l bigint, d double, b boolean, ts timestamp, dt date"
INPUT_COLUMNS = ["id", "s", "i", "l", "d", "b", "ts", "dt"]
INT_MAX, INT_MIN = 2147483647, -2147483648
LONG_MAX, LONG_MIN = 9223372036854775807, -9223372036854775808
NAN, INF = float("nan"), float("inf")

TS1 = "2024-02-29 13:45:10.123456"
TS2 = "1969-12-31 23:59:59.500000"   # before the epoch, fractional: floor vs truncation
TS3 = "1970-01-01 00:00:00.000000"
TS4 = "1900-01-01 00:00:00.000001"
TS5 = "2038-01-19 03:14:08.000000"   # 2^31 seconds
TS6 = "2024-02-29 00:00:00.000000"

# (id, s, i, l, d, b, ts, dt)
ROWS = [
    (1, "12", 0, 3000000000, 1.5, True, TS1, "2024-02-29"),
    (2, " 12 ", -1, -1, -1.5, False, TS2, "1969-12-31"),
    (3, "+7", INT_MAX, LONG_MAX, 2.5, None, TS3, "1970-01-01"),
    (4, "-0", INT_MIN, None, 1e10, True, TS4, None),
    (5, "1.5", None, LONG_MIN, -1e10, False, TS5, "1900-01-01"),
    (6, "-1.5", 12, 0, 1e300, None, TS6, "2024-02-29"),
    (7, "1e3", 7, 1700000000, NAN, True, None, "1969-12-31"),
    (8, "1.0E7", 0, -62135596800, INF, False, TS1, "2024-03-01"),
    (9, "2147483648", -1, 2147483648, -0.0, None, TS2, None),
    (10, "-2147483649", INT_MAX, -2147483649, 0.1, True, TS3, "2024-02-29"),
    (11, "9223372036854775808", INT_MIN, 3000000000, 1e-7, False, TS4, "1969-12-31"),
    (12, "0x1F", None, -1, 123456789.0, None, TS5, "1970-01-01"),
    (13, "abc", 12, LONG_MAX, 1e21, True, TS6, "1900-01-01"),
    (14, "", 7, None, None, False, None, None),
    (15, " ", 0, LONG_MIN, -INF, None, TS1, "2024-02-29"),
    (16, "true", -1, 0, 0.0, True, TS2, "1969-12-31"),
    (17, "FALSE", INT_MAX, 1700000000, 1e7, False, TS3, "2024-03-01"),
    (18, "t", INT_MIN, -62135596800, 9999999.0, None, TS4, "1970-01-01"),
    (19, "no", None, 2147483648, 0.001, True, TS5, None),
    (20, "yes", 12, -2147483649, 1e-4, False, TS6, "1900-01-01"),
    (21, "1", 7, 3000000000, 100.0, None, None, "2024-02-29"),
    (22, "0", 0, -1, -2.5, True, TS1, "1969-12-31"),
    (23, "NaN", -1, LONG_MAX, 2147483647.9, False, TS2, "1970-01-01"),
    (24, "Infinity", INT_MAX, None, -2147483648.9, None, TS3, "2024-03-01"),
    (25, "-inf", INT_MIN, LONG_MIN, 2147483648.5, True, TS4, None),
    (26, "2024-02-29", None, 0, 9.3e18, False, TS5, "1900-01-01"),
    (27, "2024-02-29 13:45:10", 12, 1700000000, -9.3e18, None, TS6, "2024-02-29"),
    (28, "2024-02-30", 7, -62135596800, 0.9, True, None, "1969-12-31"),
    (29, "2024-02-29T13:45:10.5Z", 0, 2147483648, -0.9, False, TS1, "1970-01-01"),
    (30, "12:00", -1, -2147483649, 1e-300, None, TS2, "2024-03-01"),
    (31, None, None, None, None, None, None, None),
    (32, "日本", INT_MAX, 3000000000, 1709214310.123456, True, TS3, "1900-01-01"),
    # extra strings beyond the brief's list
    (33, "\t12\n", INT_MIN, -1, -1709214310.5, False, TS4, None),
    (34, "9223372036854775807", None, LONG_MAX, 1.5, None, TS5, "2024-02-29"),
    (35, "1d", 12, None, -1.5, True, TS6, "1969-12-31"),
    (36, "0x1p3", 7, LONG_MIN, 2.5, False, None, "1970-01-01"),
    (37, " true ", 0, 0, 1e10, None, TS1, "2024-03-01"),
    (38, "2024-2-9", -1, 1700000000, NAN, True, TS2, None),
    # doubles whose Java 17 Double.toString is not the shortest repr / is subnormal
    (39, "f", INT_MAX, 2147483648, 2.82879384806159e17, False, TS3, "2024-02-29"),
    (40, "N", INT_MIN, -2147483649, 5e-324, None, TS4, "1969-12-31"),
    (41, "  -12.7  ", 12, 3000000000, 1e23, True, TS5, "1970-01-01"),
]

# CAST('12:00' AS TIMESTAMP) is a time-only string: Spark fills in the CURRENT DATE (session
# time zone, UTC here), so the value changes from day to day. Such cells are checked against
# today's date and written as {"current_date_utc_plus_micros": <micros>} (see notes).
TIME_ONLY_CELLS = [(30, "s_ts", 12 * 3600 * 1_000_000)]

TS_COLUMNS = {"ts"}
DATE_COLUMNS = {"dt"}

# The SQL text Spark sees is exactly the value of each string.
CANDIDATE_EXPRS = [
    "id",
    "CAST(s AS INT) AS s_int",
    "CAST(s AS BIGINT) AS s_long",
    "CAST(s AS DOUBLE) AS s_double",
    "CAST(s AS BOOLEAN) AS s_bool",
    "CAST(s AS TIMESTAMP) AS s_ts",
    "CAST(s AS DATE) AS s_date",
    "CAST(i AS BIGINT) AS i_long",
    "CAST(i AS DOUBLE) AS i_double",
    "CAST(i AS STRING) AS i_string",
    "CAST(i AS BOOLEAN) AS i_bool",
    "CAST(l AS INT) AS l_int",
    "CAST(l AS DOUBLE) AS l_double",
    "CAST(l AS STRING) AS l_string",
    "CAST(l AS TIMESTAMP) AS l_ts",
    "CAST(d AS INT) AS d_int",
    "CAST(d AS BIGINT) AS d_long",
    "CAST(d AS STRING) AS d_string",
    "CAST(d AS BOOLEAN) AS d_bool",
    "CAST(d AS TIMESTAMP) AS d_ts",
    "CAST(b AS INT) AS b_int",
    "CAST(b AS DOUBLE) AS b_double",
    "CAST(b AS STRING) AS b_string",
    "CAST(ts AS STRING) AS ts_string",
    "CAST(ts AS DATE) AS ts_date",
    "CAST(ts AS BIGINT) AS ts_long",
    "CAST(ts AS DOUBLE) AS ts_double",
    "CAST(dt AS STRING) AS dt_string",
    "CAST(dt AS TIMESTAMP) AS dt_ts",
    "concat(s, CAST(i AS STRING)) AS s_concat_i",
]


def make_spark():
    spark = (
        SparkSession.builder
        .master("local[2]")
        .appName("rill-casts-golden")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.default.parallelism", "4")
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.ansi.enabled", "false")  # NON-ANSI cast semantics
        .getOrCreate()
    )
    spark.conf.set("spark.sql.ansi.enabled", "false")
    spark.sparkContext.setLogLevel("OFF")
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
            if not isinstance(r[k], dict):  # time-only cells stay as the marker object
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
    info["message"] = (msg() if msg else str(exc)).strip()
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
    # json.dumps writes NaN / Infinity / -Infinity as bare tokens, which Spark's JSON reader
    # accepts (allowNonNumericNumbers defaults to true).
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
def evaluate(src, e):
    """Run `id, e` as a batch query. Returns error info or None."""
    try:
        df = src.selectExpr("id", e) if e != "id" else src.selectExpr(e)
    except Exception as exc:  # noqa: BLE001  (analysis error, e.g. cast not allowed)
        return dict(error_info(exc), phase="analysis", type=None, failing_ids=None)
    typ = dict(df.dtypes)[out_name(e)]
    try:
        collect_encoded(df)
        return None
    except Exception as exc:  # noqa: BLE001  (runtime error)
        info = dict(error_info(exc), phase="runtime", type=typ)
    failing = []
    for rid in [r[0] for r in ROWS]:
        try:
            collect_encoded(df.where(f"id = {rid}"))
        except Exception:  # noqa: BLE001
            failing.append(rid)
    info["failing_ids"] = failing
    return info


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


def today_epoch_day():
    return (_dt.datetime.now(_dt.timezone.utc).date() - _dt.date(1970, 1, 1)).days


def replace_time_only_cells(rows, columns, day):
    rows = [list(r) for r in rows]
    by_id = {r[0]: r for r in rows}
    for rid, col, offset in TIME_ONLY_CELLS:
        k = columns.index(col)
        got = by_id[rid][k]
        assert got == day * 86_400_000_000 + offset, (rid, col, got, day)
        by_id[rid][k] = {"current_date_utc_plus_micros": offset}
    return rows


def run_select(spark):
    day_before = today_epoch_day()
    src_b = batch_df(spark)
    errors = {}
    for e in CANDIDATE_EXPRS:
        err = evaluate(src_b, e)
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
    day = today_epoch_day()
    if day != day_before:
        raise SystemExit("UTC date changed while running (midnight); run again")
    same = batch_rows == rows
    rows = replace_time_only_cells(rows, columns, day)
    return {
        "select": ok,
        "columns": columns,
        "column_types": {c: types[c] for c in columns},
        "errors": errors,
        "rows": rows,
        "rows_ts_formatted": ts_formatted(rows, columns, kinds),
        "num_batches": len(progress),
        "batch_query_same_rows": same,
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
        assert ansi == "false", ansi
        sel = run_select(spark)
        expected_input = expected_input_rows()
        dump("casts.json", {
            "spark_version": spark.version,
            "ansi_enabled": ansi == "true",
            "session_time_zone": spark.conf.get("spark.sql.session.timeZone"),
            "input_schema": INPUT_SCHEMA,
            "input_rows": [[plain(v) for v in r] for r in ROWS],
            "input_rows_encoded": expected_input,
            "input_read_back_identical": sel["input_as_read"] == expected_input,
            "query": "spark.readStream.schema(input_schema).json(input).selectExpr(*select), "
                     "trigger availableNow, foreachBatch, append; rows sorted by id; "
                     "spark.sql.ansi.enabled=false",
            "notes": [
                "NON-ANSI cast semantics: spark.sql.ansi.enabled=false on the session "
                "(ansi_enabled: false); session time zone UTC, TZ=UTC.",
                "select = the SQL text of each expression of the streaming query, exactly as "
                "passed to selectExpr; candidate expressions that failed on their own as batch "
                "queries are left out of it and listed in errors (keyed by SQL text).",
                "column_types = DataFrame.dtypes of the result column.",
                "TIMESTAMP ENCODING: in rows, every timestamp-typed value (input ts, s_ts, l_ts, "
                "d_ts, dt_ts) is an exact JSON integer = microseconds since 1970-01-01 "
                "00:00:00 UTC (Spark's internal value, taken with unix_micros on the Spark side "
                "inside foreachBatch). rows_ts_formatted is the same table with those integers "
                "formatted as 'yyyy-MM-dd HH:mm:ss.SSSSSS' (UTC, proleptic Gregorian, year "
                "zero-padded to at least 4 digits, '-' for years <= 0 i.e. astronomical "
                "numbering; years > 9999 printed in full, no '+'). ts_string is Spark's own "
                "CAST(ts AS STRING), a string column.",
                "DATE-DEPENDENT CELLS: CAST('12:00' AS TIMESTAMP) (id 30, column s_ts) is a "
                "time-only string, for which Spark uses the CURRENT DATE in the session time "
                "zone (UTC) plus that time of day. The script checks that the value Spark "
                "returned equals today's UTC midnight + 12:00:00 and writes the cell (in rows "
                "and rows_ts_formatted) as the object {\"current_date_utc_plus_micros\": "
                "43200000000} so the file does not change from day to day; see "
                "date_dependent_cells. Every other cell is the literal Spark value.",
                "DATE ENCODING: date-typed values (input dt, s_date, ts_date) are "
                "'yyyy-MM-dd' strings in both rows and rows_ts_formatted (from unix_date on the "
                "Spark side, formatted here, same year rules).",
                "Doubles: NaN / Infinity / -Infinity are written as the strings \"NaN\", "
                "\"Infinity\", \"-Infinity\"; negative zero as the string \"-0.0\" (positive "
                "zero is the number 0.0). Ints/longs are exact JSON integers; booleans are "
                "JSON true/false.",
                "input_rows = the rows as written to input/part-000.json (ts/dt as strings; "
                "doubles encoded as above here, while the file itself writes NaN / Infinity / "
                "-Infinity as bare JSON tokens and -0.0 as a number). "
                "input_rows_encoded = the same in the output encoding (ts as micros); "
                "input_read_back_identical = Spark's JSON reader returned exactly that.",
                "errors[expr] = {error_class, sqlstate, message, message_parameters, "
                "query_context, phase (analysis|runtime), type, failing_ids}; empty when every "
                "cast is allowed and nothing fails.",
            ],
            "select": sel["select"],
            "columns": sel["columns"],
            "column_types": sel["column_types"],
            "rows": sel["rows"],
            "rows_ts_formatted": sel["rows_ts_formatted"],
            "errors": sel["errors"],
            "date_dependent_cells": [
                {"id": rid, "column": col, "current_date_utc_plus_micros": off,
                 "verified_against_run_date": True}
                for rid, col, off in TIME_ONLY_CELLS],
            "num_batches": sel["num_batches"],
            "batch_query_same_rows": sel["batch_query_same_rows"],
        })
    finally:
        spark.stop()
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
