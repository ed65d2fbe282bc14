"""Reference ("golden") outputs from real Spark for TINYINT (Rust i8), SMALLINT (i16) and FLOAT
(f32) columns: arithmetic result types and overflow, comparisons with decimal / double literals,
casts (under ANSI and with ANSI off), functions (round, floor, hash, xxhash64, format_number, ...),
aggregates (sum / avg / min / max / count), how the JSON reader parses out-of-range / fractional /
string tokens into these types, and how show() prints them.

Usage:  python make_small_numbers_golden.py          (pyspark 4.3.0, Java 17)

Regenerates, next to this script:
  input/part-000.json             16 JSON lines, schema `id int, b tinyint, h smallint, f float,
                                  i int, l bigint, d double, s string` (row 6 all null except id;
                                  i8/i16 extremes, float max / min subnormal / -0.0 / NaN /
                                  +-Infinity / 16777217 (not representable), int/long extremes,
                                  numeric-looking strings).
  input_bad/part-000.json         one JSON line per case that the reader treats as malformed or
                                  reads specially for tinyint / smallint / float (b = 128, 255,
                                  -129, 1.5, "5"; h = 32768; f = 1e39, "1.5", 1e-50, "NaN", ...)
  expected/small_numbers.json     select rows (by id), column types, errors, non-ANSI rows,
                                  input_bad parse results, aggregates, show() text, probes

Query: spark.readStream.schema(S).json(input).selectExpr(*select), trigger(availableNow=True),
foreachBatch, append mode; rows collected, sorted by id. ANSI is left at the Spark 4 default
(spark.sql.ansi.enabled=true), recorded as ansi_enabled. As a cross-check the select is also run
as a batch query on the same file.

Every candidate expression is first tried on its own as a *batch* query over the same file
(selectExpr("id", e).collect()), which catches analysis errors and ANSI runtime errors (overflow,
invalid cast input). An expression that fails is left out of the streaming query and recorded in
"errors" (error class, SQLSTATE, message, message parameters, query context, the analysed type,
the ids of the rows that fail when the expression is run row by row, and [id, value] of the other
rows from those per-row runs).

Then, with spark.sql.ansi.enabled=false set for that part only (reset afterwards):
  non_ansi        the cast group (CAST_EXPRS), batch query: select, columns, column_types, rows
  non_ansi_all    every candidate expression (arithmetic, comparisons, casts, functions),
                  batch query, same layout (+ errors, expected to be empty)
  probes_non_ansi the literal probes again

input_bad: batch reads `spark.read.schema(S + ", _corrupt_record string").json(input_bad)` in
PERMISSIVE (default) and DROPMALFORMED mode (collected rows and df.count()), and FAILFAST (the
error).

aggregates: sum/avg/min/max/count over b, h, f, grouped by nothing and by `i % 2`, as batch
queries and as streaming complete-mode queries (foreachBatch, availableNow) over input/.

show: df.select("b", "h", "f")._jdf.showString(20, 20, False) (and one more with f derived
columns), i.e. the exact text DataFrame.show() prints.

Value encoding in the JSON: as spark_golden.collect_encoded — strings as strings, tinyint /
smallint / int / bigint as exact JSON integers, booleans as JSON booleans, FLOAT and DOUBLE values
as JSON numbers (a float is written as the exact double value of the f32, e.g. 1.1f ->
1.100000023841858; converting that double back to f32 is exact) except NaN / Infinity / -Infinity
-> the strings "NaN", "Infinity", "-Infinity" and negative zero -> the string "-0.0"; decimals as
exact strings ("1.650"); timestamps as microseconds since the epoch; null as null.

Spark setup: local[1], loopback only, 1 shuffle partition, AQE off, UI off, session time zone
UTC, TZ=UTC, ANSI at its Spark 4 default. Checkpoints live in a temporary directory that is
deleted at the end.
"""
import decimal as _decimal
import json
import logging
import math
import os
import re
import shutil
import struct
import sys
import tempfile
import time
from pathlib import Path

os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"  # loopback only
os.environ["TZ"] = "UTC"

from pyspark.logger import PySparkLogger  # noqa: E402
from pyspark.sql import SparkSession  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

# pyspark logs every captured SQL error with a query context through this logger; the errors
# here are expected and recorded, so keep stderr quiet.
PySparkLogger.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL + 1)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from spark_golden import out_name, fmt_date, fmt_ts, plain, encodable  # noqa: E402

HERE = Path(__file__).resolve().parent
INPUT_DIR = HERE / "input"
INPUT_BAD_DIR = HERE / "input_bad"
EXPECTED_DIR = HERE / "expected"
MTIME_BASE = 1704067200  # 2024-01-01 00:00:00 UTC, fixed => reproducible

WORK = Path(tempfile.mkdtemp(prefix="rill-small-numbers-"))

INPUT_SCHEMA = "id int, b tinyint, h smallint, f float, i int, l bigint, d double, s string"
INPUT_COLUMNS = ["id", "b", "h", "f", "i", "l", "d", "s"]
BAD_SCHEMA = INPUT_SCHEMA + ", _corrupt_record string"
INT_MAX = 2147483647
INT_MIN = -2147483648
LONG_MAX = 9223372036854775807
LONG_MIN = -9223372036854775808
NAN = float("nan")
INF = float("inf")

# (id, b, h, f, i, l, d, s). f is written as the JSON number Python's json module prints for the
# given double (e.g. 3.4028235e+38, 16777217.0, 1.4e-45, NaN, Infinity); Spark rounds it to f32.
ROWS = [
    (1, 0, 0, 0.0, 0, 0, 0.0, "12"),
    (2, 1, 32767, 1.1, 1, 1, 1.1, " 7 "),
    (3, -1, -32768, -0.0, -1, -1, -0.0, "300"),
    (4, 127, 1000, 3.4028235e38, INT_MAX, LONG_MAX, 1e308, "1.5"),
    (5, -128, -7, 1.4e-45, INT_MIN, LONG_MIN, 5e-324, "abc"),
    (6, None, None, None, None, None, None, None),
    (7, 100, 100, 16777217.0, 16777217, 16777217, 16777217.0, "-128"),
    (8, 127, 32767, NAN, 2, 40000, NAN, "3.4e39"),
    (9, -128, -32768, INF, 7, 100000, INF, "127"),
    (10, 1, -7, -2.5, 3, 32768, -2.5, "128"),
    (11, 0, 0, 0.1, -5, -32769, 0.1, "-129"),
    (12, 100, 300, 1e10, 300, 70000, 1e10, "32767"),
    (13, -1, 5, 123456.79, 128, -1, 123456.79, "1.9"),
    (14, 2, None, 1.5, None, 7, 3.4e39, "-1.9"),
    (15, None, 1000, -INF, 4, 2147483648, -1e-50, "NaN"),
    (16, 64, -32768, 1e-40, 6, 9223372036854775807, 0.5, ""),
]

# The raw JSON lines of input_bad/part-000.json (written verbatim; ids 101..).
BAD_LINES = [
    '{"id":101,"b":128}',
    '{"id":102,"b":255}',
    '{"id":103,"b":-129}',
    '{"id":104,"b":1.5}',
    '{"id":105,"b":"5"}',
    '{"id":106,"h":32768}',
    '{"id":107,"h":40000}',
    '{"id":108,"f":1e39}',
    '{"id":109,"f":"1.5"}',
    '{"id":110,"f":1e-50}',
    '{"id":111,"b":256}',
    '{"id":112,"b":1.0}',
    '{"id":113,"b":true}',
    '{"id":114,"b":null}',
    '{"id":115,"h":-32769}',
    '{"id":116,"h":65535}',
    '{"id":117,"h":1e3}',
    '{"id":118,"f":-1e39}',
    '{"id":119,"f":"NaN"}',
    '{"id":120,"f":"Infinity"}',
    '{"id":121,"f":"-Infinity"}',
    '{"id":122,"f":NaN}',
    '{"id":123,"f":16777217}',
    '{"id":124,"f":3.4028236e38}',
    '{"id":125,"f":1.00000005960464477550}',
    '{"id":126,"f":1.1}',
    '{"id":127,"f":-1e-50}',
    '{"id":128,"b":5,"h":70000,"f":2.5,"s":"after"}',
    '{"id":129,"f":"abc","b":7,"s":"after"}',
    '{"id":130,"i":2147483648}',
    '{"id":131,"l":9223372036854775808}',
    '{"id":132,"d":1e400}',
    '{"id":133,"b":"-5","h":"12"}',
    '{"id":134,"b":-128,"h":-32768,"f":-3.4028235e38}',
    '{"id":135,"f":"  1.5"}',
    '{"id":136,"f":"Inf"}',
    '{"id":137,"b":0x10}',
]

ARITH_EXPRS = [
    "b + b AS b_plus_b",
    "b + 1 AS b_plus_1",
    "b + 1Y AS b_plus_1y",
    "b - b AS b_minus_b",
    "b * 2 AS b_times_2",
    "b * b AS b_times_b",
    "h + h AS h_plus_h",
    "h + b AS h_plus_b",
    "h * h AS h_times_h",
    "b + i AS b_plus_i",
    "h + l AS h_plus_l",
    "b + l AS b_plus_l",
    "f + f AS f_plus_f",
    "f + 1 AS f_plus_1",
    "f + b AS f_plus_b",
    "f + i AS f_plus_i",
    "f + l AS f_plus_l",
    "f + d AS f_plus_d",
    "f - f AS f_minus_f",
    "b / 2 AS b_div_2",
    "h / b AS h_div_b",
    "f / 2 AS f_div_2",
    "b div 2 AS b_intdiv_2",
    "b % 3 AS b_mod_3",
    "h % b AS h_mod_b",
    "f % 2 AS f_mod_2",
    "-b AS neg_b",
    "-h AS neg_h",
    "-f AS neg_f",
    "f * 1.5 AS f_times_dec",
    "f * CAST(1.5 AS DOUBLE) AS f_times_double",
    "f + 1.5 AS f_plus_dec",
    "b * 1.5 AS b_times_dec",
    "b + CAST(1.5 AS FLOAT) AS b_plus_float",
    "abs(b) AS abs_b",
    "abs(h) AS abs_h",
    "abs(f) AS abs_f",
]

COMPARE_EXPRS = [
    "b < 100 AS b_lt_100",
    "f = 1.1 AS f_eq_1_1",
    "f = 1.1D AS f_eq_1_1d",
    "f = CAST(1.1 AS FLOAT) AS f_eq_float_1_1",
    "f = 0.5 + 1 AS f_eq_1_5",
    "f = 16777216 AS f_eq_2p24",
    "f = 0 AS f_eq_0",
    "f = f AS f_eq_f",
    "f > d AS f_gt_d",
    "f = d AS f_eq_d",
    "b = h AS b_eq_h",
    "b = 127 AS b_eq_127",
    "h > b AS h_gt_b",
]

CAST_EXPRS = [
    "CAST(b AS STRING) AS b_str",
    "CAST(h AS STRING) AS h_str",
    "CAST(f AS STRING) AS f_str",
    "CAST(f AS DOUBLE) AS f_double",
    "CAST(CAST(f AS DOUBLE) AS STRING) AS f_double_str",
    "CAST(f AS INT) AS f_int",
    "CAST(f AS BIGINT) AS f_bigint",
    "CAST(f AS TINYINT) AS f_tinyint",
    "CAST(f AS SMALLINT) AS f_smallint",
    "CAST(f AS DECIMAL(10,2)) AS f_dec",
    "CAST(i AS TINYINT) AS i_tinyint",
    "CAST(i AS SMALLINT) AS i_smallint",
    "CAST(h AS TINYINT) AS h_tinyint",
    "CAST(l AS SMALLINT) AS l_smallint",
    "CAST(l AS TINYINT) AS l_tinyint",
    "CAST(i AS FLOAT) AS i_float",
    "CAST(l AS FLOAT) AS l_float",
    "CAST(d AS FLOAT) AS d_float",
    "CAST(d AS TINYINT) AS d_tinyint",
    "CAST(b AS SMALLINT) AS b_smallint",
    "CAST(b AS FLOAT) AS b_float",
    "CAST(h AS FLOAT) AS h_float",
    "CAST(s AS TINYINT) AS s_tinyint",
    "CAST(s AS SMALLINT) AS s_smallint",
    "CAST(s AS FLOAT) AS s_float",
    "CAST(s AS DOUBLE) AS s_double",
    "CAST(b AS BOOLEAN) AS b_bool",
    "CAST(f AS BOOLEAN) AS f_bool",
    "CAST(b AS TIMESTAMP) AS b_ts",
    "CAST(f AS TIMESTAMP) AS f_ts",
]

FUNC_EXPRS = [
    "round(f, 1) AS round_f_1",
    "round(f) AS round_f",
    "round(b, -1) AS round_b_m1",
    "bround(f, 0) AS bround_f_0",
    "floor(f) AS floor_f",
    "floor(b) AS floor_b",
    "ceil(b) AS ceil_b",
    "ceil(f) AS ceil_f",
    "sqrt(f) AS sqrt_f",
    "sqrt(b) AS sqrt_b",
    "signum(f) AS signum_f",
    "pmod(b, 3) AS pmod_b_3",
    "greatest(b, h, i) AS greatest_bhi",
    "greatest(b, h) AS greatest_bh",
    "least(f, d) AS least_fd",
    "least(f, b) AS least_fb",
    "coalesce(b, h) AS coalesce_bh",
    "coalesce(f, 0) AS coalesce_f0",
    "concat(b, '-', f) AS concat_bf",
    "concat(h, '|', f) AS concat_hf",
    "hash(b) AS hash_b",
    "hash(h) AS hash_h",
    "hash(f) AS hash_f",
    "hash(b, h, f) AS hash_bhf",
    "xxhash64(b) AS xx_b",
    "xxhash64(h) AS xx_h",
    "xxhash64(f) AS xx_f",
    "format_number(f, 2) AS fn_f2",
    "format_number(b, 1) AS fn_b1",
    "format_number(h, 0) AS fn_h0",
]

CANDIDATE_EXPRS = ["id"] + ARITH_EXPRS + COMPARE_EXPRS + CAST_EXPRS + FUNC_EXPRS

AGG_EXPRS = [
    "sum(b) AS sum_b",
    "sum(h) AS sum_h",
    "sum(f) AS sum_f",
    "avg(b) AS avg_b",
    "avg(h) AS avg_h",
    "avg(f) AS avg_f",
    "min(b) AS min_b",
    "max(b) AS max_b",
    "min(h) AS min_h",
    "max(h) AS max_h",
    "min(f) AS min_f",
    "max(f) AS max_f",
    "count(f) AS count_f",
    "count(*) AS count_all",
]
GROUP_KEY = "i % 2"

# The analysed expression (casts inserted by type coercion), ANSI on and off.
COERCION_EXPRS = [
    "b + b", "b + 1", "b * 2", "h + b", "b + i", "h + l", "f + f", "f + 1", "f + b", "f + i",
    "f + l", "f + d", "b / 2", "f / 2", "b div 2", "b % 3", "f % 2", "f * 1.5", "b * 1.5",
    "f + 1.5", "f = 1.1", "f = 1.1D", "f = CAST(1.1 AS FLOAT)", "f = 16777216", "f > d", "b = h",
    "b < 100", "greatest(b, h, i)", "least(f, d)", "least(f, b)", "coalesce(f, 0)",
    "concat(b, '-', f)", "round(f, 1)", "floor(f)", "floor(b)", "sqrt(f)", "abs(b)",
    "format_number(f, 2)", "sum(b)", "sum(f)", "avg(b)", "avg(f)",
]

# Edge cases over literals; one-row batch queries, under "probes" (ANSI) and "probes_non_ansi".
PROBE_EXPRS = [
    # literal types and overflow
    "1Y + 1Y AS tinyint_lit_sum",
    "127Y + 1Y AS tinyint_lit_overflow",
    "-128Y - 1Y AS tinyint_lit_underflow",
    "32767S + 1S AS smallint_lit_overflow",
    "CAST(-128 AS TINYINT) * CAST(-1 AS TINYINT) AS tinyint_mul_overflow",
    "-CAST(-128 AS TINYINT) AS tinyint_neg_min",
    "abs(CAST(-128 AS TINYINT)) AS tinyint_abs_min",
    "-CAST(-32768 AS SMALLINT) AS smallint_neg_min",
    "abs(CAST(-32768 AS SMALLINT)) AS smallint_abs_min",
    "CAST(-128 AS TINYINT) DIV CAST(-1 AS TINYINT) AS tinyint_intdiv_overflow",
    "CAST(-128 AS TINYINT) % CAST(-1 AS TINYINT) AS tinyint_mod_m1",
    "CAST(-7 AS TINYINT) % CAST(3 AS TINYINT) AS tinyint_mod_neg",
    "pmod(CAST(-7 AS TINYINT), CAST(3 AS TINYINT)) AS tinyint_pmod_neg",
    "CAST(7 AS TINYINT) / CAST(0 AS TINYINT) AS tinyint_div_zero",
    "CAST(7 AS TINYINT) % CAST(0 AS TINYINT) AS tinyint_mod_zero",
    "CAST(7 AS TINYINT) DIV CAST(0 AS TINYINT) AS tinyint_intdiv_zero",
    "CAST(1.5 AS FLOAT) / CAST(0 AS FLOAT) AS float_div_zero",
    "CAST(1.5 AS FLOAT) % CAST(0 AS FLOAT) AS float_mod_zero",
    "CAST(3.4028235e38 AS FLOAT) * CAST(2 AS FLOAT) AS float_mul_overflow",
    "CAST(3.4028235e38 AS FLOAT) + CAST(3.4028235e38 AS FLOAT) AS float_add_overflow",
    "1.1F AS float_literal",
    "1.1F = 1.1 AS float_literal_eq_dec",
    "CAST(1.1 AS FLOAT) = 1.1 AS float_1_1_eq_dec",
    "CAST(1.1 AS FLOAT) = 1.1D AS float_1_1_eq_double",
    "CAST(1.1 AS FLOAT) = CAST('1.1' AS FLOAT) AS float_1_1_eq_str",
    "CAST(1.1 AS FLOAT) > 1.1 AS float_1_1_gt_dec",
    "CAST(0.5 AS FLOAT) = 0.5 AS float_0_5_eq_dec",
    "CAST(CAST(1.1 AS FLOAT) AS DOUBLE) AS float_1_1_as_double",
    "CAST(CAST(1.1 AS FLOAT) AS DECIMAL(20,18)) AS float_1_1_as_dec",
    "CAST(CAST(1.1 AS FLOAT) AS STRING) AS float_1_1_str",
    "CAST(1.00000005960464477550 AS FLOAT) AS float_from_dec_tie",
    "CAST('1.00000005960464477550' AS FLOAT) AS float_from_str_tie",
    "CAST(1.00000005960464477550D AS FLOAT) AS float_from_double_tie",
    # Float.toString (Java 17) shapes
    "CAST(CAST(0.001 AS FLOAT) AS STRING) AS fstr_0_001",
    "CAST(CAST(0.0001 AS FLOAT) AS STRING) AS fstr_0_0001",
    "CAST(CAST(9999999 AS FLOAT) AS STRING) AS fstr_9999999",
    "CAST(CAST(10000000 AS FLOAT) AS STRING) AS fstr_1e7",
    "CAST(CAST(100 AS FLOAT) AS STRING) AS fstr_100",
    "CAST(CAST(2147483647 AS FLOAT) AS STRING) AS fstr_int_max",
    "CAST(CAST(0.3 AS FLOAT) AS STRING) AS fstr_0_3",
    "CAST(CAST(1.0E-40D AS FLOAT) AS STRING) AS fstr_subnormal",
    "CAST(CAST(-0.0D AS FLOAT) AS STRING) AS fstr_neg_zero",
    "CAST(CAST('NaN' AS FLOAT) AS STRING) AS fstr_nan",
    "CAST(CAST('-Infinity' AS FLOAT) AS STRING) AS fstr_neg_inf",
    "CAST(CAST(1.0E-5D AS FLOAT) AS STRING) AS fstr_1e_5",
    "CAST(CAST(33554432 AS FLOAT) AS STRING) AS fstr_2p25",
    "CAST(CAST(1.0E23D AS FLOAT) AS STRING) AS fstr_1e23",
    # hashes
    "hash(CAST(-0.0D AS FLOAT)) AS hash_float_neg_zero",
    "hash(CAST(0.0D AS FLOAT)) AS hash_float_zero",
    "hash(CAST('NaN' AS FLOAT)) AS hash_float_nan",
    "hash(CAST(1.5 AS FLOAT)) AS hash_float_1_5",
    "hash(CAST(1.5 AS DOUBLE)) AS hash_double_1_5",
    "hash(CAST(-1 AS TINYINT)) AS hash_tinyint_m1",
    "hash(CAST(-1 AS SMALLINT)) AS hash_smallint_m1",
    "hash(-1) AS hash_int_m1",
    "xxhash64(CAST(-0.0D AS FLOAT)) AS xx_float_neg_zero",
    "xxhash64(CAST(0.0D AS FLOAT)) AS xx_float_zero",
    "xxhash64(CAST('NaN' AS FLOAT)) AS xx_float_nan",
    "xxhash64(CAST(1.5 AS FLOAT)) AS xx_float_1_5",
    "xxhash64(CAST(-1 AS TINYINT)) AS xx_tinyint_m1",
    "xxhash64(CAST(-1 AS SMALLINT)) AS xx_smallint_m1",
    "xxhash64(-1) AS xx_int_m1",
    # string -> tinyint / smallint / float
    "CAST('1e2' AS TINYINT) AS str_1e2_tinyint",
    "CAST('+5' AS TINYINT) AS str_plus5_tinyint",
    "CAST('0x10' AS TINYINT) AS str_hex_tinyint",
    "CAST('\t5\n' AS TINYINT) AS str_ws_tinyint",
    "CAST('127.9' AS TINYINT) AS str_127_9_tinyint",
    "CAST('-128.9' AS TINYINT) AS str_m128_9_tinyint",
    "CAST('128' AS TINYINT) AS str_128_tinyint",
    "CAST('5.' AS TINYINT) AS str_5dot_tinyint",
    "CAST('.5' AS TINYINT) AS str_dot5_tinyint",
    "CAST('32768' AS SMALLINT) AS str_32768_smallint",
    "CAST('Infinity' AS FLOAT) AS str_infinity_float",
    "CAST('inf' AS FLOAT) AS str_inf_float",
    "CAST('-infinity' AS FLOAT) AS str_m_infinity_float",
    "CAST('nan' AS FLOAT) AS str_nan_float",
    "CAST('1.5f' AS FLOAT) AS str_1_5f_float",
    "CAST('1.5d' AS FLOAT) AS str_1_5d_float",
    "CAST('3.4e39' AS FLOAT) AS str_3_4e39_float",
    "CAST('1e-50' AS FLOAT) AS str_1e_50_float",
    "CAST(' 1.5 ' AS FLOAT) AS str_ws_float",
    "CAST('1,5' AS FLOAT) AS str_comma_float",
    "CAST('0x1p3' AS FLOAT) AS str_hexfloat_float",
    # numeric -> small types
    "CAST(300 AS TINYINT) AS int_300_tinyint",
    "CAST(-129 AS TINYINT) AS int_m129_tinyint",
    "CAST(70000 AS SMALLINT) AS int_70000_smallint",
    "CAST(127.9 AS TINYINT) AS dec_127_9_tinyint",
    "CAST(128.5 AS TINYINT) AS dec_128_5_tinyint",
    "CAST(-1.9D AS TINYINT) AS double_m1_9_tinyint",
    "CAST(200.7D AS TINYINT) AS double_200_7_tinyint",
    "CAST(1e10D AS SMALLINT) AS double_1e10_smallint",
    "CAST(CAST('NaN' AS FLOAT) AS TINYINT) AS float_nan_tinyint",
    "CAST(CAST('Infinity' AS FLOAT) AS SMALLINT) AS float_inf_smallint",
    "CAST(3.4e39D AS FLOAT) AS double_3_4e39_float",
    "CAST(CAST(1e10 AS FLOAT) AS INT) AS float_1e10_int",
    "CAST(1e40 AS FLOAT) AS dec_1e40_float",
    "CAST(CAST(1.5 AS FLOAT) AS TIMESTAMP) AS float_1_5_ts",
    # round on small types
    "round(CAST(125 AS TINYINT), -1) AS round_tinyint_125",
    "round(CAST(-125 AS TINYINT), -1) AS round_tinyint_m125",
    "round(CAST(2.5 AS FLOAT)) AS round_float_2_5",
    "round(CAST(0.125 AS FLOAT), 2) AS round_float_0_125",
    "round(CAST(1.15 AS FLOAT), 1) AS round_float_1_15",
    "bround(CAST(2.5 AS FLOAT), 0) AS bround_float_2_5",
    "bround(CAST(1.15 AS FLOAT), 1) AS bround_float_1_15",
    "round(CAST(3.4028235e38 AS FLOAT), -38) AS round_float_max",
]


def make_spark():
    spark = (
        SparkSession.builder
        .master("local[1]")
        .appName("rill-small-numbers-golden")
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
    spark.sparkContext.setLogLevel("OFF")  # expected ANSI task failures would spam stderr
    return spark


# ---------------------------------------------------------------------------
# value encoding
# ---------------------------------------------------------------------------
def plain_ext(v):
    """spark_golden.plain, plus decimals (exact strings, e.g. "1.650")."""
    if isinstance(v, _decimal.Decimal):
        return str(v)
    return plain(v)


def collect_encoded(df):
    """spark_golden.collect_encoded (timestamps -> micros, dates -> 'yyyy-MM-dd', doubles per
    plain()), extended with plain_ext for decimal values."""
    edf, kinds = encodable(df)
    names = edf.columns
    out = []
    for r in edf.collect():
        out.append([fmt_date(v) if kinds.get(n) == "date" else plain_ext(v)
                    for n, v in zip(names, r)])
    return out, kinds


def ts_formatted(rows, columns, kinds):
    idx = [k for k, n in enumerate(columns) if kinds.get(n) == "ts"]
    res = []
    for r in rows:
        r = list(r)
        for k in idx:
            r[k] = fmt_ts(r[k])
        res.append(r)
    return res


def sort_key(r):
    """Rows sorted by their first column; null first."""
    return (r[0] is not None, r[0] if r[0] is not None else 0)


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
def f32(v):
    """The double value of the nearest f32 (what Spark's FLOAT column holds)."""
    if v is None or math.isnan(v) or math.isinf(v):
        return v
    return struct.unpack("<f", struct.pack("<f", v))[0]


def expected_input_rows():
    """The input as it should read back (f rounded to f32), in the output encoding."""
    out = []
    for r in ROWS:
        row = list(r)
        row[3] = f32(row[3])
        out.append([plain(v) for v in row])
    return out


def write_lines(dirpath, lines):
    dirpath.mkdir(parents=True, exist_ok=True)
    path = dirpath / "part-000.json"
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write("".join(line + "\n" for line in lines))
    os.utime(path, (MTIME_BASE + 60, MTIME_BASE + 60))


def write_input():
    # json.dumps writes NaN / Infinity / -Infinity as bare tokens, which Spark's JSON reader
    # accepts (allowNonNumericNumbers defaults to true).
    write_lines(INPUT_DIR, [json.dumps(dict(zip(INPUT_COLUMNS, r)), ensure_ascii=False)
                            for r in ROWS])
    write_lines(INPUT_BAD_DIR, BAD_LINES)


def batch_df(spark):
    return spark.read.schema(INPUT_SCHEMA).json(str(INPUT_DIR))


# ---------------------------------------------------------------------------
# queries
# ---------------------------------------------------------------------------
def evaluate(src, e, ids):
    """Run `id, e` as a batch query. Returns (error info or None, type, [[id, value], ...])."""
    try:
        df = src.selectExpr("id", e) if e != "id" else src.selectExpr(e)
        typ = dict(df.dtypes)[out_name(e)]
    except Exception as exc:  # noqa: BLE001  (analysis error)
        return (dict(error_info(exc), phase="analysis", type=None, failing_ids=None,
                     other_rows=None), None, None)
    try:
        return None, typ, sorted(collect_encoded(df)[0], key=lambda r: r[0])
    except Exception as exc:  # noqa: BLE001  (runtime error, e.g. ANSI overflow)
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
    """Edge cases over literals, one-row batch queries. {expr, type, value, error}."""
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


def run_stream(df, name, mode="append"):
    batches = []
    kinds_seen = {}

    def on_batch(batch_df_, batch_id):
        rows, kinds = collect_encoded(batch_df_)
        kinds_seen.update(kinds)
        batches.append((batch_id, rows))

    q = (df.writeStream.outputMode(mode).foreachBatch(on_batch).trigger(availableNow=True)
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
    # The analysed type of every candidate, including the ones that fail at runtime.
    all_types = {}
    for e in CANDIDATE_EXPRS:
        if e in errors:
            all_types[out_name(e)] = errors[e]["type"]
        else:
            all_types[out_name(e)] = types[out_name(e)]
    return {
        "select": ok,
        "columns": columns,
        "column_types": {c: types[c] for c in columns},
        "all_column_types": all_types,
        "errors": errors,
        "rows": rows,
        "rows_ts_formatted": ts_formatted(rows, columns, kinds),
        "num_batches": len(progress),
        "batch_query_same_rows": batch_rows == rows,
        "input_as_read": input_as_read,
    }


def run_non_ansi(spark, exprs):
    """Batch query of `id, exprs` with ANSI off (the caller sets/resets the conf)."""
    src_b = batch_df(spark)
    ids = [r[0] for r in ROWS]
    errors = {}
    for e in exprs:
        err, _, _ = evaluate(src_b, e, ids)
        if err is not None:
            errors[e] = err
    ok = ["id"] + [e for e in exprs if e not in errors and e != "id"]
    df = src_b.selectExpr(*ok)
    types = dict(df.dtypes)
    columns = [out_name(e) for e in ok]
    rows, kinds = collect_encoded(df)
    rows = sorted(rows, key=lambda r: r[0])
    return {
        "select": ok,
        "columns": columns,
        "column_types": {c: types[c] for c in columns},
        "rows": rows,
        "rows_ts_formatted": ts_formatted(rows, columns, kinds),
        "errors": errors,
    }


def run_input_bad(spark):
    path = str(INPUT_BAD_DIR)
    cols = INPUT_COLUMNS + ["_corrupt_record"]
    # PERMISSIVE (default). cache() is not needed: every column is selected.
    perm = spark.read.schema(BAD_SCHEMA).json(path)
    perm_rows = sorted(collect_encoded(perm)[0], key=sort_key)
    by_id = {r[0]: r for r in perm_rows}
    lines = []
    for line in BAD_LINES:
        rid = int(re.search(r'"id":(\d+)', line).group(1))
        r = by_id.get(rid)
        if r is None:  # the whole line failed to parse: match it by its _corrupt_record
            r = next((x for x in perm_rows if x[-1] == line), None)
        lines.append({
            "line": line,
            "id": rid,
            "row": r,
            "row_by_column": dict(zip(cols, r)) if r else None,
            "corrupt": (r[-1] is not None) if r else None,
        })
    matched = [x["row"] for x in lines]
    unmatched = [r for r in perm_rows if r not in matched]
    drop = spark.read.schema(BAD_SCHEMA).option("mode", "DROPMALFORMED").json(path)
    drop_rows = sorted(collect_encoded(drop)[0], key=sort_key)
    drop_count = drop.count()
    drop_noc = spark.read.schema(INPUT_SCHEMA).option("mode", "DROPMALFORMED").json(path)
    drop_noc_rows = sorted(collect_encoded(drop_noc)[0], key=sort_key)
    drop_noc_count = drop_noc.count()
    try:
        spark.read.schema(INPUT_SCHEMA).option("mode", "FAILFAST").json(path).collect()
        failfast = None
    except Exception as exc:  # noqa: BLE001
        failfast = error_info(exc)
        # A Py4JJavaError (a SparkException wrapping the task failure): record the JVM cause
        # chain, first line of each, without executor / stage details.
        chain = []
        j = getattr(exc, "java_exception", None)
        while j is not None and len(chain) < 6:
            first = (j.toString() or "").splitlines()[0]
            chain.append(re.sub(r"Task \d+ in stage \S+ failed \d+ times?, most recent "
                                r"failure: Lost task \S+ in stage \S+ \(TID \d+\) "
                                r"\([^)]*\): ", "", first))
            j = j.getCause()
        # machine-independent: no absolute path, no py4j object id
        chain = [c.replace(INPUT_BAD_DIR.resolve().as_uri(), "file:<here>/input_bad")
                 .replace("file://" + str(INPUT_BAD_DIR.resolve()), "file:<here>/input_bad")
                 for c in chain]
        failfast["cause_chain"] = chain
        failfast["message"] = re.sub(r"\bo\d+\.", "o<N>.",
                                     failfast["message"].splitlines()[0][:300])
    return {
        "schema": BAD_SCHEMA,
        "columns": cols,
        "permissive": {
            "query": "spark.read.schema(schema).json(input_bad) (mode PERMISSIVE, default)",
            "lines": lines,
            "rows": perm_rows,
            "rows_without_id_match": unmatched,
        },
        "dropmalformed": {
            "query": "spark.read.schema(schema).option('mode','DROPMALFORMED').json(input_bad)",
            "rows": drop_rows,
            "kept_ids": [r[0] for r in drop_rows],
            "collected_row_count": len(drop_rows),
            "count": drop_count,
        },
        "dropmalformed_no_corrupt_column": {
            "query": "same with the schema WITHOUT _corrupt_record: " + INPUT_SCHEMA,
            "rows": drop_noc_rows,
            "kept_ids": [r[0] for r in drop_noc_rows],
            "collected_row_count": len(drop_noc_rows),
            "count": drop_noc_count,
        },
        "failfast_error": failfast,
    }


def agg_section(spark):
    out = {}
    # global
    bdf = batch_df(spark).selectExpr(*AGG_EXPRS)
    types = dict(bdf.dtypes)
    cols = [out_name(e) for e in AGG_EXPRS]
    b_rows = collect_encoded(bdf)[0]
    sdf = spark.readStream.schema(INPUT_SCHEMA).json(str(INPUT_DIR)).selectExpr(*AGG_EXPRS)
    batches, _, progress = run_stream(sdf, "agg_global", mode="complete")
    s_rows = batches[-1][1] if batches else None
    out["global"] = {
        "select": AGG_EXPRS,
        "columns": cols,
        "column_types": {c: types[c] for c in cols},
        "rows": b_rows,
        "streaming_complete_rows": s_rows,
        "streaming_num_batches": len(batches),
        "streaming_same_rows": s_rows == b_rows,
    }
    # grouped by i % 2
    key = F.expr(GROUP_KEY).alias("k")
    aggs = [F.expr(e) for e in AGG_EXPRS]
    gdf = batch_df(spark).groupBy(key).agg(*aggs)
    gtypes = dict(gdf.dtypes)
    gcols = ["k"] + cols
    g_rows = sorted(collect_encoded(gdf)[0], key=sort_key)
    sgdf = spark.readStream.schema(INPUT_SCHEMA).json(str(INPUT_DIR)).groupBy(key).agg(*aggs)
    gbatches, _, _ = run_stream(sgdf, "agg_grouped", mode="complete")
    sg_rows = sorted(gbatches[-1][1], key=sort_key) if gbatches else None
    out["grouped"] = {
        "group_by": GROUP_KEY + " AS k",
        "select": ["k"] + AGG_EXPRS,
        "columns": gcols,
        "column_types": {c: gtypes[c] for c in gcols},
        "rows": g_rows,
        "streaming_complete_rows": sg_rows,
        "streaming_num_batches": len(gbatches),
        "streaming_same_rows": sg_rows == g_rows,
    }
    return out


def show_section(spark):
    df = batch_df(spark).orderBy("id")
    out = {}
    out["b_h_f"] = {
        "code": 'df.orderBy("id").select("b", "h", "f")._jdf.showString(20, 20, False)',
        "text": df.select("b", "h", "f")._jdf.showString(20, 20, False),
    }
    sel = ["id", "f", "CAST(f AS DOUBLE) AS fd", "f + 1 AS f1", "f * 1.5 AS fdec",
           "b / 2 AS bhalf", "f / 3 AS fthird"]
    out["f_derived"] = {
        "code": f'df.orderBy("id").selectExpr(*{sel!r})._jdf.showString(20, 20, False)',
        "text": df.selectExpr(*sel)._jdf.showString(20, 20, False),
    }
    return out


def analysed(spark, exprs):
    """{expr: the analysed projection / aggregate, expression ids (#123) removed}."""
    out = {}
    for e in exprs:
        df = batch_df(spark).selectExpr(e)
        first = df._jdf.queryExecution().analyzed().toString().splitlines()[0]
        out[e] = re.sub(r"#\d+L?", "", first)
    return out


def dump(name, obj):
    EXPECTED_DIR.mkdir(parents=True, exist_ok=True)
    p = EXPECTED_DIR / name
    p.write_text(json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False) + "\n",
                 encoding="utf-8")
    print("wrote", p)


def main():
    t0 = time.time()
    for d in (INPUT_DIR, INPUT_BAD_DIR):
        if d.exists():
            shutil.rmtree(d)
    write_input()
    spark = make_spark()
    try:
        print("Spark version:", spark.version)
        ansi = spark.conf.get("spark.sql.ansi.enabled")
        assert ansi == "true", ansi  # Spark 4 default, not set by this script
        sel = run_select(spark)
        probes = run_probes(spark)
        bad = run_input_bad(spark)
        aggs = agg_section(spark)
        show = show_section(spark)
        coercion = analysed(spark, COERCION_EXPRS)
        spark.conf.set("spark.sql.ansi.enabled", "false")
        try:
            non_ansi = run_non_ansi(spark, CAST_EXPRS)
            non_ansi_all = run_non_ansi(spark, CANDIDATE_EXPRS)
            probes_non_ansi = run_probes(spark)
            coercion_non_ansi = analysed(spark, COERCION_EXPRS)
        finally:
            spark.conf.unset("spark.sql.ansi.enabled")
        assert spark.conf.get("spark.sql.ansi.enabled") == "true"
        expected_input = expected_input_rows()
        if sel["input_as_read"] != expected_input:
            print("WARNING: input did not read back identically")
            print(json.dumps(sel["input_as_read"], ensure_ascii=False))
        dump("small_numbers.json", {
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
                "column_types = DataFrame.dtypes of the result column (tinyint, smallint, int, "
                "bigint, float, double, decimal(p,s), string, boolean, timestamp). "
                "all_column_types = the analysed type of every candidate, including those in "
                "errors.",
                "FLOAT and DOUBLE values are JSON numbers; a FLOAT is written as the exact "
                "double value of the f32 (1.1f -> 1.100000023841858, 16777217 -> 16777216.0); "
                "NaN / Infinity / -Infinity as the strings \"NaN\", \"Infinity\", "
                "\"-Infinity\"; negative zero as the string \"-0.0\". Integers are exact JSON "
                "integers; booleans JSON booleans; decimals exact strings; timestamps "
                "microseconds since the epoch (rows_ts_formatted: 'yyyy-MM-dd HH:mm:ss.SSSSSS' "
                "UTC).",
                "input_rows = the rows as written to input/part-000.json (f as the double "
                "Python wrote); input_rows_encoded = the same with f rounded to f32; "
                "input_read_back_identical = Spark's JSON reader returned exactly that.",
                "errors[expr] = {error_class, sqlstate, message, message_parameters, "
                "query_context, exception_class, phase (analysis|runtime), type, failing_ids "
                "(ids of the rows on which the expression fails when run row by row), "
                "other_rows ([id, value] for every other row)}.",
                "non_ansi = the cast group (CAST_EXPRS) with spark.sql.ansi.enabled=false, as "
                "a batch query; non_ansi_all = every candidate expression with ANSI off; "
                "probes_non_ansi = the probes with ANSI off. Same layout (select, columns, "
                "column_types, rows, errors).",
                "input_bad = batch reads of input_bad/part-000.json with schema input_schema + "
                "', _corrupt_record string': permissive.lines[k] = {line, id, row (all columns "
                "incl. _corrupt_record), corrupt}; dropmalformed = rows kept and df.count(); "
                "failfast_error = the error of a FAILFAST read.",
                "aggregates.global / aggregates.grouped (by i % 2 AS k, rows sorted by k, null "
                "first): batch rows, and the last batch of a streaming complete-mode query "
                "(foreachBatch, availableNow) over input/.",
                "show = the exact text of DataFrame.show() (showString(20, 20, False)) for the "
                "input, rows in id order.",
                "analysed.ansi / analysed.non_ansi = {expr: first line of the analysed plan "
                "of selectExpr(expr) over the input (expression ids removed)}: shows the "
                "casts type coercion inserts.",
                "probes = edge cases over literals, each a one-row batch query "
                "(spark.range(1).selectExpr(\"CAST(id AS INT) AS id\").selectExpr(\"id\", "
                "expr)): {expr, type, value, value_ts_formatted, error}. Literal arguments may "
                "be constant-folded by the optimizer.",
            ],
            "select": sel["select"],
            "columns": sel["columns"],
            "column_types": sel["column_types"],
            "all_column_types": sel["all_column_types"],
            "rows": sel["rows"],
            "rows_ts_formatted": sel["rows_ts_formatted"],
            "errors": sel["errors"],
            "num_batches": sel["num_batches"],
            "batch_query_same_rows": sel["batch_query_same_rows"],
            "non_ansi": non_ansi,
            "non_ansi_all": non_ansi_all,
            "input_bad": bad,
            "aggregates": aggs,
            "show": show,
            "probes": probes,
            "probes_non_ansi": probes_non_ansi,
            "analysed": {"ansi": coercion, "non_ansi": coercion_non_ansi},
        })
    finally:
        spark.stop()
        shutil.rmtree(WORK, ignore_errors=True)
    print(f"done in {time.time() - t0:.1f} s")


if __name__ == "__main__":
    main()
