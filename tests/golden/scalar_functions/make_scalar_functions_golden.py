"""Reference ("golden") outputs from real Spark for scalar string / math SQL functions
(substring, trim family, lpad/rpad, replace, reverse, repeat, initcap, instr, locate, translate,
concat_ws, split_part, substring_index, floor/ceil, sqrt/exp/ln/log*, pow, signum, pmod,
bround/round, div, abs) evaluated in a streaming query.

Usage:  python make_scalar_functions_golden.py          (pyspark 4.3.0, Java 17)

Regenerates, next to this script:
  input/part-000.json                16 JSON lines, schema `id int, s string, t string, x double,
                                     k int, m bigint` (nulls, empty strings, blanks/tabs, unicode,
                                     delimiters, signed zeros, huge/tiny doubles, long extremes)
  expected/scalar_functions.json     select rows (by id), column types, errors

Query: spark.readStream.schema(S).json(input).selectExpr(*select), trigger(availableNow=True),
foreachBatch, append mode; rows collected, sorted by id.

Every candidate expression is first tried on its own as a *batch* query over the same file
(spark.read...selectExpr(e).collect()), which catches both analysis errors and ANSI runtime
errors (e.g. overflow on one row). An expression that fails is left out of the streaming query
and recorded in "errors" (error class, SQLSTATE, message, message parameters, query context, the analysed type
when analysis succeeded, the ids of the rows that fail when the expression is run row by row,
and the values of the other rows from those per-row runs). A few extra edge cases
(PROBE_EXPRS: division by zero, split_part index 0 / empty delimiter, ...) are evaluated the same
way as batch queries and recorded under "probes"; they are not part of the streaming query. As a cross-check the streaming select is also run as a batch query on the same file.

Value encoding in the JSON: strings as strings, ints/longs as exact JSON integers, doubles as
JSON numbers except NaN / Infinity / -Infinity -> the strings "NaN", "Infinity", "-Infinity"
and negative zero -> the string "-0.0" (positive zero stays the number 0.0); null as null.

Spark setup: local[2], loopback only, 4 shuffle partitions, AQE off, UI off, session time zone
UTC, TZ=UTC, ANSI left at its Spark 4 default (recorded as ansi_enabled). Checkpoints live in a
temporary directory that is deleted at the end.
"""
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

# pyspark logs every captured SQL error with a query context (with a JVM stack trace) through
# this logger; the errors here are expected and recorded, so keep stderr quiet.
PySparkLogger.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL + 1)

import sys  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from spark_golden import out_name, plain  # noqa: E402

HERE = Path(__file__).resolve().parent
INPUT_DIR = HERE / "input"
EXPECTED_DIR = HERE / "expected"
MTIME_BASE = 1704067200  # 2024-01-01 00:00:00 UTC, fixed => reproducible

WORK = Path(tempfile.mkdtemp(prefix="rill-scalar-functions-"))

INPUT_SCHEMA = "id int, s string, t string, x double, k int, m bigint"
INPUT_COLUMNS = ["id", "s", "t", "x", "k", "m"]
LONG_MAX = 9223372036854775807
LONG_MIN = -9223372036854775808

# (id, s, t, x, k, m)
ROWS = [
    (1, "hello wORLD  foo-bar", "o", 2.5, 2, 7),
    (2, "  hi  ", "", -2.5, -3, -7),
    (3, "\tab c\t", "ab", 0.0, 0, 0),
    (4, "Élodie", ".", -0.0, 1, LONG_MAX),
    (5, "日本語テキスト", ",", 0.5, 5, LONG_MIN),
    (6, "straße", "o", 1.5, 100, None),
    (7, "ǅemo", None, 3.49, -1, 7),
    (8, None, None, None, None, None),
    (9, "", "", 1e300, 2, 0),
    (10, "a,b,,c", ",", -1e300, 1, -7),
    (11, "www.apache.org", ".", 1e-300, 2, LONG_MAX),
    (12, "x.y", ".", 7.0, 0, LONG_MIN),
    (13, "o'neil mcDONALD", "o", -0.5, 5, None),
    (14, None, "ab", None, 1, 7),
    (15, "ab.cd.ef.gh", ".", None, None, 0),
    (16, "foo", "", -1e-300, 3, -7),
]

# The SQL text Spark sees is exactly the value of each string.
CANDIDATE_EXPRS = [
    "id",
    "substring(s, 2, 3) AS sub_2_3",
    "substring(s, -3, 2) AS sub_neg",
    "substring(s, 0, 2) AS sub_0",
    "substring(s, k) AS sub_k",
    "trim(s) AS trimmed",
    "ltrim(s) AS ltrimmed",
    "rtrim(s) AS rtrimmed",
    "lpad(s, 8, '*') AS lpad8",
    "rpad(s, 8, 'xy') AS rpad8",
    "lpad(s, 2, '*') AS lpad2",
    "lpad(s, k, '') AS lpad_empty",
    "replace(s, 'o', '0') AS replaced",
    "replace(s, t, '|') AS replaced_t",
    "reverse(s) AS reversed",
    "repeat(s, k) AS repeated",
    "initcap(s) AS initcapped",
    "instr(s, 'o') AS instr_o",
    "locate('a', s) AS locate_a",
    "locate(t, s, 2) AS locate_t_2",
    "translate(s, 'ol', 'OL') AS translated",
    "translate(s, 'abc', 'x') AS translate_drop",
    "concat_ws('-', s, t) AS cws",
    "concat_ws('', s, t, s) AS cws_empty",
    "split_part(s, t, 2) AS split_part_2",
    "split_part(s, '.', -1) AS split_part_last",
    "substring_index(s, '.', 2) AS sidx_2",
    "substring_index(s, '.', -1) AS sidx_neg",
    "floor(x) AS floor_x",
    "ceil(x) AS ceil_x",
    "floor(k) AS floor_k",
    "sqrt(x) AS sqrt_x",
    "exp(x) AS exp_x",
    "ln(x) AS ln_x",
    "log10(x) AS log10_x",
    "log2(x) AS log2_x",
    "log(2.0, x) AS log_base2",
    "pow(x, 2) AS pow_x_2",
    "pow(k, 0.5) AS pow_k_half",
    "signum(x) AS signum_x",
    "signum(k) AS signum_k",
    "pmod(k, 3) AS pmod_k_3",
    "pmod(m, -3) AS pmod_m",
    "pmod(x, 2.0) AS pmod_x",
    "bround(x, 0) AS bround_x",
    "bround(x, 1) AS bround_x1",
    "round(x, 0) AS round_x",
    "k div 2 AS k_div_2",
    "m div 3 AS m_div_3",
    "abs(m) AS abs_m",
]

# Edge cases asked about but not in the select list (no zero divisor there, no part 0, ...).
# Evaluated one by one as batch queries over the same file, recorded under "probes".
PROBE_EXPRS = [
    "k div 0 AS k_div_0",
    "pmod(k, 0) AS pmod_k_0",
    "x / 0 AS x_over_0",
    "split_part(s, t, 0) AS split_part_0",
    "split_part(s, '', 1) AS split_part_empty_1",
    "split_part(s, '', -1) AS split_part_empty_neg1",
    "substring(s, -100, 2) AS sub_far_neg",
    "lpad(s, -1, '*') AS lpad_neg",
]


def make_spark():
    spark = (
        SparkSession.builder
        .master("local[2]")
        .appName("rill-scalar-functions-golden")
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
# helpers
# ---------------------------------------------------------------------------
def rows_of(rows):
    return [[plain(x) for x in r] for r in rows]


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


def evaluate(src, e):
    """Run `id, e` as a batch query. Returns (error info or None, type, [[id, value], ...])."""
    try:
        df = src.selectExpr("id", e) if e != "id" else src.selectExpr(e)
    except Exception as exc:  # noqa: BLE001  (analysis error)
        return (dict(error_info(exc), phase="analysis", type=None, failing_ids=None,
                     other_rows=None), None, None)
    typ = dict(df.dtypes)[out_name(e)]
    try:
        return None, typ, sorted(rows_of(df.collect()), key=lambda r: r[0])
    except Exception as exc:  # noqa: BLE001  (runtime error, e.g. ANSI overflow)
        info = dict(error_info(exc), phase="runtime", type=typ)
    failing, ok_rows = [], []
    for rid in [r[0] for r in ROWS]:
        try:
            ok_rows += rows_of(df.where(f"id = {rid}").collect())
        except Exception:  # noqa: BLE001
            failing.append(rid)
    info["failing_ids"] = failing
    info["other_rows"] = ok_rows  # [id, value] of every row that does not fail
    return info, typ, None


def try_exprs(spark, exprs):
    """Run each expression alone as a batch query; {expr: error info} for those that fail."""
    src = batch_df(spark)
    errors = {}
    for e in exprs:
        err, _, _ = evaluate(src, e)
        if err is not None:
            errors[e] = err
    return errors


def run_probes(spark):
    """Extra edge cases, batch only (not part of the streaming select)."""
    src = batch_df(spark)
    out = []
    for e in PROBE_EXPRS:
        err, typ, rows = evaluate(src, e)
        out.append({"expr": e, "type": typ, "rows": rows, "error": err})
    return out


def run_stream(df, name):
    batches = []

    def on_batch(batch_df_, batch_id):
        batches.append((batch_id, rows_of(batch_df_.collect())))

    q = (df.writeStream.outputMode("append").foreachBatch(on_batch).trigger(availableNow=True)
         .option("checkpointLocation", str(WORK / "checkpoints" / name)).start())
    q.awaitTermination()
    return batches, [json.loads(p.json) for p in q.recentProgress]


def run_select(spark):
    errors = try_exprs(spark, CANDIDATE_EXPRS)
    ok = [e for e in CANDIDATE_EXPRS if e not in errors]
    src = spark.readStream.schema(INPUT_SCHEMA).json(str(INPUT_DIR))
    df = src.selectExpr(*ok)
    types = dict(df.dtypes)
    batches, progress = run_stream(df, "select")
    rows = sorted((r for _, b in batches for r in b), key=lambda r: r[0])
    batch_rows = sorted(rows_of(batch_df(spark).selectExpr(*ok).collect()), key=lambda r: r[0])
    # the input as Spark reads it (checks e.g. that -0.0 / 1e-300 survive the JSON reader)
    input_as_read = sorted(rows_of(batch_df(spark).collect()), key=lambda r: r[0])
    return {
        "select": ok,
        "columns": [out_name(e) for e in ok],
        "column_types": {out_name(e): types[out_name(e)] for e in ok},
        "errors": errors,
        "rows": rows,
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
        sel = run_select(spark)
        probes = run_probes(spark)
        expected_input = [[plain(v) for v in r] for r in ROWS]
        dump("scalar_functions.json", {
            "spark_version": spark.version,
            "ansi_enabled": spark.conf.get("spark.sql.ansi.enabled"),
            "input_schema": INPUT_SCHEMA,
            "input_rows": expected_input,
            "input_read_back_identical": sel["input_as_read"] == expected_input,
            "query": "spark.readStream.schema(input_schema).json(input).selectExpr(*select), "
                     "trigger availableNow, foreachBatch, append; rows sorted by id",
            "notes": [
                "select = the SQL text of each expression of the streaming query, exactly as "
                "passed to selectExpr; candidate expressions that failed on their own are left "
                "out of it and listed in errors (keyed by SQL text).",
                "column_types = DataFrame.dtypes of the result column.",
                "Doubles: NaN / Infinity / -Infinity are written as the strings \"NaN\", "
                "\"Infinity\", \"-Infinity\"; negative zero as the string \"-0.0\" (positive "
                "zero is the number 0.0). Longs are exact JSON integers.",
                "errors[expr] = {error_class, sqlstate, message, message_parameters, "
                "query_context (SQL fragments Spark points at), phase (analysis|runtime), type "
                "(analysed result type, runtime errors only), failing_ids (ids of the rows on "
                "which the expression fails when run row by row, as a batch query filtered on "
                "id), other_rows ([id, value] for every other row, from those same per-row "
                "batch queries; not part of the streaming output)}.",
                "probes = extra edge cases evaluated one by one as batch queries "
                "(selectExpr(\"id\", expr)) over the same file: {expr, type, rows ([id, value] "
                "sorted by id, null on error), error (same shape as errors[expr], or null)}.",
            ],
            "select": sel["select"],
            "columns": sel["columns"],
            "column_types": sel["column_types"],
            "rows": sel["rows"],
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
