"""Reference ("golden") outputs from real Spark for conditional / predicate SQL expressions
(CASE WHEN, nvl, nullif, greatest, least, if, IN, BETWEEN, LIKE, startswith, endswith,
contains, coalesce) evaluated in a streaming query, plus a complete-mode aggregation that uses
conditionals inside aggregate functions.

Usage:  python make_conditionals_golden.py          (pyspark 4.3.0, Java 17)

Regenerates, next to this script:
  input/part-000.json            14 JSON lines, schema `id int, name string, score double,
                                 n bigint, tag string` (nulls, empty strings, unicode, extremes)
  expected/conditionals.json     select rows (by id) + aggregate rows (by tag, null first)

Queries (both: spark.readStream.schema(S).json(input), trigger(availableNow=True), foreachBatch):
  select     .selectExpr(*SELECT_EXPRS), append mode; rows collected, sorted by id
  aggregate  .groupBy("tag").agg(*[expr(e) for e in AGG_EXPRS]), complete mode; the table of
             the last batch, sorted by tag with null first

Every expression is first analysed on its own (df.selectExpr(e)); an expression that fails
analysis is left out of the streaming query and its error message is recorded instead of values.
As a cross-check the same selectExpr / groupBy is also run as a batch query on the same file.

Spark setup: local[2], loopback only, 4 shuffle partitions, AQE off, UI off, session time zone
UTC, TZ=UTC, ANSI left at its Spark 4 default. Checkpoints live in a temporary directory that is
deleted at the end.
"""
import json
import math
import os
import shutil
import tempfile
from pathlib import Path

os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"  # loopback only
os.environ["TZ"] = "UTC"

from pyspark.sql import SparkSession  # noqa: E402
from pyspark.sql.functions import expr  # noqa: E402

import sys  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from spark_golden import out_name  # noqa: E402

HERE = Path(__file__).resolve().parent
INPUT_DIR = HERE / "input"
EXPECTED_DIR = HERE / "expected"
MTIME_BASE = 1704067200  # 2024-01-01 00:00:00 UTC, fixed => reproducible

WORK = Path(tempfile.mkdtemp(prefix="rill-conditionals-"))

INPUT_SCHEMA = "id int, name string, score double, n bigint, tag string"
INPUT_COLUMNS = ["id", "name", "score", "n", "tag"]
LONG_MAX = 9223372036854775807
LONG_MIN = -9223372036854775808

# (id, name, score, n, tag)
ROWS = [
    (1, "ann_b", 10.0, 0, "a"),
    (2, "Élodie", 50.0, -1, "b"),
    (3, "日本語", 50.5, LONG_MAX, ""),
    (4, "straße", -3.25, LONG_MIN, None),
    (5, "a%b", 0.0, 1, "a"),
    (6, "", 1e300, 2, "b"),
    (7, None, 20.0, 5, "a"),
    (8, None, None, None, None),
    (9, "bob", None, 3, "b"),
    (10, "abc", 75.0, None, "a"),
    (11, "café", 1.0, 10, ""),
    (12, "b", 12.0, 7, "b"),
    (13, "alice", 5.5, -5, None),
    (14, "ab", -2.0, -1, ""),
]

# Python strings; the SQL text Spark sees is exactly the value of each string.
# '%\\_%' in Python source == SQL text '%\_%' (escaped underscore, matches a literal '_');
# '%\\%%' in Python source == SQL text '%\%%' (escaped percent, matches a literal '%').
SELECT_EXPRS = [
    "id",
    "CASE WHEN score > 50 THEN 'high' WHEN score > 10 THEN 'mid' END AS band",
    "CASE WHEN score > 50 THEN 'high' ELSE 'low' END AS band_else",
    "nvl(tag, 'none') AS tag_or_none",
    "nullif(name, '') AS name_or_null",
    "greatest(n, id) AS greatest_n_id",
    "least(n, id) AS least_n_id",
    "greatest(score, 1.5) AS greatest_score",
    "least(score, 1.5, -2.0) AS least_score",
    "if(score > 20, name, tag) AS iff_name_tag",
    "id IN (1, 3, 5) AS id_in",
    "tag IN ('a', 'b') AS tag_in",
    "tag IN ('a', NULL) AS tag_in_null",
    "score BETWEEN 10 AND 50 AS score_between",
    "n BETWEEN -1 AND 1 AS n_between",
    "name LIKE 'a%' AS like_a",
    "name LIKE '_b%' AS like_underscore",
    "name LIKE '%\\_%' AS like_escaped_underscore",
    "name LIKE '%\\%%' AS like_escaped_percent",
    "name LIKE '%é%' AS like_unicode",
    "startswith(name, 'a') AS starts_a",
    "endswith(name, 'e') AS ends_e",
    "contains(name, 'ß') AS contains_sz",
    "startswith(name, tag) AS starts_with_tag",
    "coalesce(nullif(tag, ''), name, 'x') AS first_present",
]
assert SELECT_EXPRS[17] == "name LIKE '%" + chr(92) + "_%' AS like_escaped_underscore"
assert SELECT_EXPRS[18] == "name LIKE '%" + chr(92) + "%%' AS like_escaped_percent"

AGG_EXPRS = [
    "count(*) AS rows",
    "sum(CASE WHEN score > 10 THEN 1 ELSE 0 END) AS over_10",
    "count(CASE WHEN name LIKE 'a%' THEN 1 END) AS a_names",
    "sum(if(id > 3, 1, 0)) AS later_ids",
]


def make_spark():
    spark = (
        SparkSession.builder
        .master("local[2]")
        .appName("rill-conditionals-golden")
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
# helpers
# ---------------------------------------------------------------------------
def plain(v):
    if v is None or isinstance(v, (str, bool, int)):
        return v
    if isinstance(v, float):
        assert math.isfinite(v), v
        return v
    raise TypeError(f"unexpected value type {type(v).__name__}: {v!r}")


def rows_of(rows):
    return [[plain(x) for x in r] for r in rows]


def error_text(exc):
    return str(exc).strip()


def write_input():
    INPUT_DIR.mkdir(parents=True, exist_ok=True)
    path = INPUT_DIR / "part-000.json"
    text = "".join(
        json.dumps(dict(zip(INPUT_COLUMNS, r)), ensure_ascii=False) + "\n" for r in ROWS)
    with path.open("w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    os.utime(path, (MTIME_BASE + 60, MTIME_BASE + 60))


def run_stream(df, mode, name):
    batches = []

    def on_batch(batch_df, batch_id):
        batches.append((batch_id, rows_of(batch_df.collect())))

    q = (df.writeStream.outputMode(mode).foreachBatch(on_batch).trigger(availableNow=True)
         .option("checkpointLocation", str(WORK / "checkpoints" / name)).start())
    q.awaitTermination()
    return batches, [json.loads(p.json) for p in q.recentProgress]


def analyse(df, exprs, agg=False):
    """Return ({expr: error message}) for expressions that fail analysis on their own."""
    errors = {}
    for e in exprs:
        try:
            if agg:
                df.groupBy("tag").agg(expr(e)).schema  # noqa: B018
            else:
                df.selectExpr(e).schema  # noqa: B018
        except Exception as exc:  # noqa: BLE001
            errors[e] = error_text(exc)
    return errors


def tag_key(row_tag):
    return (0, "") if row_tag is None else (1, row_tag)


# ---------------------------------------------------------------------------
def run_select(spark):
    src = spark.readStream.schema(INPUT_SCHEMA).json(str(INPUT_DIR))
    errors = analyse(src, SELECT_EXPRS)
    ok = [e for e in SELECT_EXPRS if e not in errors]
    df = src.selectExpr(*ok)
    types = dict(df.dtypes)
    batches, progress = run_stream(df, "append", "select")
    rows = sorted((r for _, b in batches for r in b), key=lambda r: r[0])
    # cross-check with the batch engine
    batch_rows = sorted(rows_of(spark.read.schema(INPUT_SCHEMA).json(str(INPUT_DIR))
                                .selectExpr(*ok).collect()), key=lambda r: r[0])
    ok_names = [out_name(e) for e in ok]
    full_rows = []
    for r in rows:
        vals = dict(zip(ok_names, r))
        full_rows.append([vals[out_name(e)] if e not in errors else {"error": errors[e]}
                          for e in SELECT_EXPRS])
    return {
        "columns": [out_name(e) for e in SELECT_EXPRS],
        "column_types": [types.get(out_name(e)) for e in SELECT_EXPRS],
        "errors": errors,
        "rows": full_rows,
        "num_batches": len(progress),
        "batch_query_same_rows": batch_rows == rows,
    }


def run_aggregate(spark):
    src = spark.readStream.schema(INPUT_SCHEMA).json(str(INPUT_DIR))
    errors = analyse(src, AGG_EXPRS, agg=True)
    ok = [e for e in AGG_EXPRS if e not in errors]
    df = src.groupBy("tag").agg(*[expr(e) for e in ok])
    types = dict(df.dtypes)
    batches, progress = run_stream(df, "complete", "aggregate")
    last = batches[-1][1] if batches else []
    rows = sorted(last, key=lambda r: tag_key(r[0]))
    batch_rows = sorted(rows_of(spark.read.schema(INPUT_SCHEMA).json(str(INPUT_DIR))
                                .groupBy("tag").agg(*[expr(e) for e in ok]).collect()),
                        key=lambda r: tag_key(r[0]))
    names = ["tag"] + [out_name(e) for e in AGG_EXPRS]
    ok_names = ["tag"] + [out_name(e) for e in ok]
    full_rows = []
    for r in rows:
        vals = dict(zip(ok_names, r))
        full_rows.append([r[0]] + [vals[out_name(e)] if e not in errors else {"error": errors[e]}
                                   for e in AGG_EXPRS])
    return {
        "query": "groupBy(\"tag\").agg(*[expr(e) for e in exprs]), outputMode complete",
        "exprs": AGG_EXPRS,
        "columns": names,
        "column_types": ["string"] + [types.get(out_name(e)) for e in AGG_EXPRS],
        "errors": errors,
        "rows": full_rows,
        "num_batches": len(progress),
        "batch_query_same_rows": batch_rows == rows,
    }


def dump(name, obj):
    EXPECTED_DIR.mkdir(parents=True, exist_ok=True)
    p = EXPECTED_DIR / name
    p.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print("wrote", p)


def main():
    if INPUT_DIR.exists():
        shutil.rmtree(INPUT_DIR)
    write_input()
    spark = make_spark()
    try:
        print("Spark version:", spark.version)
        sel = run_select(spark)
        agg = run_aggregate(spark)
        dump("conditionals.json", {
            "spark_version": spark.version,
            "ansi_enabled": spark.conf.get("spark.sql.ansi.enabled"),
            "input_schema": INPUT_SCHEMA,
            "input_rows": [list(r) for r in ROWS],
            "query": "spark.readStream.schema(input_schema).json(input).selectExpr(*select), "
                     "trigger availableNow, foreachBatch, append; rows sorted by id",
            "notes": [
                "select = the SQL text of each expression exactly as passed to selectExpr "
                "(JSON-escaped here: \"%\\\\_%\" in this file is the SQL text '%\\_%').",
                "column_types = DataFrame.dtypes of the result column.",
                "errors maps an expression that failed analysis to Spark's message "
                "(empty: every expression analysed).",
                "aggregate.rows = the complete-mode table of the last batch, sorted by tag, "
                "null first.",
            ],
            "select": SELECT_EXPRS,
            "columns": sel["columns"],
            "column_types": sel["column_types"],
            "errors": sel["errors"],
            "rows": sel["rows"],
            "num_batches": sel["num_batches"],
            "batch_query_same_rows": sel["batch_query_same_rows"],
            "aggregate": agg,
        })
    finally:
        spark.stop()
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
