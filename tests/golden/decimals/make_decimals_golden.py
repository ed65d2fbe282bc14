"""Reference ("golden") outputs from real Spark for DECIMAL columns: result precision / scale of
arithmetic (including the precision-loss adjustment at 38 digits), overflow, division / remainder
by zero, HALF_UP rounding, comparisons with integer / double / decimal operands, casts from and to
decimal (under ANSI and with ANSI off), functions (round, bround, floor, ceil, hash, xxhash64,
format_number, ...), aggregates (sum / avg / min / max / count, batch and streaming, including a
sum that overflows decimal(38,0) in a later micro-batch), how the JSON and CSV readers parse
decimal tokens, and how show() prints decimals.

Usage:  python make_decimals_golden.py          (pyspark 4.3.0, Java 17)

Regenerates, next to this script:
  input/part-000.json             16 JSON lines, schema `id int, a decimal(10,2),
                                  b decimal(38,18), c decimal(5,0), e decimal(38,0), i int,
                                  l bigint, d double, s string` (row 5 all null except id;
                                  decimal extremes, HALF_UP ties, int / long extremes, zero
                                  divisors, decimal-looking strings).
  input_batches/part-00{0,1,2}.json
                                  the same schema, read one file per micro-batch
                                  (maxFilesPerTrigger=1) by a complete-mode aggregate grouped by
                                  c; sum(e) of group c = 1 overflows decimal(38,0) in the last one.
  input_bad/part-000.json         one JSON line per decimal token case (a = 1.005, 99999999.995,
                                  "12.5", true, [], 1e2, ...), schema `id int, a decimal(10,2),
                                  c decimal(5,0), b decimal(38,18)`.
  input_bad_csv/part-000.csv      the same cases as CSV (header `id,a,c,b`).
  expected/decimals.json          select rows (by id), column types, errors, non-ANSI rows,
                                  input_bad parse results, aggregates, show() text, probes,
                                  analysed plans.

Query: spark.readStream.schema(S).json(input).selectExpr(*select), trigger(availableNow=True),
foreachBatch, append mode; rows collected, sorted by id. ANSI is left at the Spark 4 default
(spark.sql.ansi.enabled=true), recorded as ansi_enabled. As a cross-check the select is also run
as a batch query on the same file.

Every candidate expression is first tried on its own as a *batch* query over the same file
(selectExpr("id", e).collect()), which catches analysis errors and ANSI runtime errors (overflow,
division by zero, invalid cast input). An expression that fails is left out of the streaming
query and recorded in "errors" (error class, SQLSTATE, message, message parameters, query context,
the analysed type, the ids of the rows that fail when the expression is run row by row, and
[id, value] of the other rows from those per-row runs).

Then, with spark.sql.ansi.enabled=false set for that part only (reset afterwards):
  non_ansi        the cast group (CAST_EXPRS), batch query: select, columns, column_types, rows
  non_ansi_all    every candidate expression, batch query, same layout (+ errors: expressions
                  Spark refuses even with ANSI off)
  probes_non_ansi the literal probes again
  aggregates.non_ansi, aggregates.batches3.non_ansi, analysed.non_ansi

Value encoding in the JSON: decimals as exact plain strings with exactly the column's scale
("1.50", "0.000000000000000000", never "0E-18"); otherwise as spark_golden.collect_encoded (ints as
JSON integers, doubles as JSON numbers except "NaN" / "Infinity" / "-Infinity" / "-0.0",
timestamps as microseconds since the epoch, null as null).

Spark setup: local[1], loopback only, 1 shuffle partition, AQE off, UI off, session time zone
UTC, TZ=UTC, ANSI at its Spark 4 default. Checkpoints live in a temporary directory that is
deleted at the end.
"""
import csv
import decimal as _decimal
import io
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import time
from decimal import Decimal
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
INPUT_BATCHES_DIR = HERE / "input_batches"
INPUT_BAD_DIR = HERE / "input_bad"
INPUT_BAD_CSV_DIR = HERE / "input_bad_csv"
EXPECTED_DIR = HERE / "expected"
MTIME_BASE = 1704067200  # 2024-01-01 00:00:00 UTC, fixed => reproducible

WORK = Path(tempfile.mkdtemp(prefix="rill-decimals-"))

INPUT_SCHEMA = ("id int, a decimal(10,2), b decimal(38,18), c decimal(5,0), e decimal(38,0), "
                "i int, l bigint, d double, s string")
INPUT_COLUMNS = ["id", "a", "b", "c", "e", "i", "l", "d", "s"]
DECIMAL_SCALES = {"a": 2, "b": 18, "c": 0, "e": 0}
INT_MAX = 2147483647
INT_MIN = -2147483648
LONG_MAX = 9223372036854775807
LONG_MIN = -9223372036854775808
NINES38 = "9" * 38

# (id, a, b, c, e, i, l, d, s). The decimals a, b, c, e are given as the exact text of the JSON
# number written to the file (not quoted); d is a Python float written by json.dumps.
ROWS = [
    (1, "0.00", "0", "0", "0", 0, 0, 0.0, "0"),
    (2, "1.50", "1.5", "1", "1", 1, 1, 0.1, " 12.345 "),
    (3, "-2.25", "-2.25", "-2", "12345678901234567890", -1, -1, -2.5, "1e3"),
    (4, "0.01", "0.000000000000000001", "3", "100", 3, 10, 1e20, "abc"),
    (5, None, None, None, None, None, None, None, None),
    (6, "99999999.99", "12345678901234567890.123456789012345678", "99999", NINES38,
     INT_MAX, LONG_MAX, 1e-05, "-0.005"),
    (7, "-99999999.99", "-12345678901234567890.123456789012345678", "-99999", "-" + NINES38,
     INT_MIN, LONG_MIN, -1e20, "99999999.995"),
    (8, "2.45", "0.005", "7", "7", 2, 2, 2.45, "2.45"),
    (9, "2.55", "-0.005", "-7", "-7", -3, 3, 2.55, "-2.55"),
    (10, "-2.45", "0.00000000005", "2", "50", 7, -7, 1.005, "1.005"),
    (11, "1.05", "1.05", "-3", "150", -7, 100, 1.05, "1e-7"),
    (12, "0.05", "2.5", "0", "-50", 0, 0, 0.5, "12345678901234567890.1234567890123456789"),
    (13, "12345.67", "98765.4321", "123", "12345678901234567890123456789012345678", 100, 1000000,
     123.456, "1.5e10"),
    (14, "-0.01", "-0.000000000000000001", "-1", "-1", 5, -5, 1e-20, "+1.50"),
    (15, "45.55", "-0.00000000005", "45", "-150", -45, 45, 0.045, ".5"),
    (16, "99999999.95", "0.45", "-45", "45", 6, -100, 99999999.995, "-99999999.999"),
]

# input_batches: one file per micro-batch, same schema; grouped by c. Group c = 1 sums e to
# 10^38 - 1 (38 nines) after batch 1 and to 10^38 (overflow) in batch 2.
BATCH_ROWS = [
    [  # batch 0
        (201, "1.50", "0.5", "1", "99999999999999999999999999999999999998", 1, 1, 1.0, "x"),
        (202, "2.45", "1.000000000000000001", "2", "-5", 2, 2, 2.0, "x"),
        (203, "-0.25", "0.333333333333333333", "1", None, 3, 3, 3.0, "x"),
        (204, "7.00", "2", None, "7", 4, 4, 4.0, "x"),
    ],
    [  # batch 1
        (211, "3.33", "0.000000000000000001", "1", "1", 5, 5, 5.0, "y"),
        (212, "0.01", "0.000000000000000002", "2", "5", 6, 6, 6.0, "y"),
        (213, "99999999.99", "1234567890.123456789012345678", "3", "12345", 7, 7, 7.0, "y"),
    ],
    [  # batch 2
        (221, "0.02", "0.1", "1", "1", 8, 8, 8.0, "z"),
        (222, "-2.46", "-1", "2", "-" + NINES38, 9, 9, 9.0, "z"),
        (223, "99999999.99", "1234567890.123456789012345678", "3", "-12345", 10, 10, 10.0, "z"),
        (224, None, None, "2", None, 11, 11, 11.0, "z"),
    ],
]
BATCH_AGG_EXPRS = [
    "sum(a) AS sum_a",
    "avg(a) AS avg_a",
    "sum(b) AS sum_b",
    "avg(b) AS avg_b",
    "sum(e) AS sum_e",
]

BAD_SCHEMA_BASE = "id int, a decimal(10,2), c decimal(5,0), b decimal(38,18)"
BAD_COLUMNS = ["id", "a", "c", "b"]
BAD_SCHEMA = BAD_SCHEMA_BASE + ", _corrupt_record string"

# The raw JSON lines of input_bad/part-000.json (written verbatim; ids 101..).
BAD_LINES = [
    '{"id":101,"a":1.005}',
    '{"id":102,"a":1.004}',
    '{"id":103,"a":-1.005}',
    '{"id":104,"a":99999999.994}',
    '{"id":105,"a":99999999.995}',
    '{"id":106,"a":123456789}',
    '{"id":107,"a":"12.5"}',
    '{"id":108,"a":"abc"}',
    '{"id":109,"a":1e2}',
    '{"id":110,"a":1E-2}',
    '{"id":111,"a":-0.001}',
    '{"id":112,"a":0.0000001}',
    '{"id":113,"a":true}',
    '{"id":114,"a":[]}',
    '{"id":115,"a":12345678901234567890123456789012345678901}',
    '{"id":116,"c":1.5}',
    '{"id":117,"c":99999.5}',
    '{"id":118,"c":-99999.49}',
    '{"id":119,"b":1e-19}',
    '{"id":120,"b":5e-19}',
    '{"id":121,"b":123456789012345678901.5}',
    '{"id":122,"b":-5e-19}',
    '{"id":123,"b":0.0000000000000000015}',
    '{"id":124,"b":99999999999999999999.9999999999999999995}',
    '{"id":125,"b":99999999999999999999.9999999999999999994}',
    '{"id":126,"a":" 1.5 "}',
    '{"id":127,"a":"1e2"}',
    '{"id":128,"a":-0.0}',
    '{"id":129,"a":1.5,"c":1e6,"b":2}',
    '{"id":130,"a":null}',
    '{"id":131,"a":""}',
    '{"id":132,"a":{}}',
    '{"id":133,"a":NaN}',
    '{"id":134,"a":"NaN"}',
    '{"id":135,"a":0.125e1}',
    '{"id":136,"b":1.5E+3}',
    '{"id":137,"a":-99999999.995}',
    '{"id":138,"c":99999,"a":1.555}',
    '{"id":139,"a":2.5,"c":2.5,"b":2.5}',
    '{"id":140,"a":"1,5"}',
    '{"id":141,"a":Infinity}',
    '{"id":142,"b":"0.0000000000000000005"}',
    '{"id":143,"a":12.345e-1}',
    '{"id":144,"a":1.2.3}',
]

# input_bad_csv/part-000.csv: the same cases as CSV fields (id, a, c, b); written with the csv
# module (a field holding ',', '"' or a leading / trailing space is quoted).
BAD_CSV_ROWS = [
    ("101", "1.005", "", ""),
    ("102", "1.004", "", ""),
    ("103", "-1.005", "", ""),
    ("104", "99999999.994", "", ""),
    ("105", "99999999.995", "", ""),
    ("106", "123456789", "", ""),
    ("107", "12.5", "", ""),
    ("108", "abc", "", ""),
    ("109", "1e2", "", ""),
    ("110", "1E-2", "", ""),
    ("111", "-0.001", "", ""),
    ("112", "0.0000001", "", ""),
    ("113", "true", "", ""),
    ("114", "[]", "", ""),
    ("115", "12345678901234567890123456789012345678901", "", ""),
    ("116", "", "1.5", ""),
    ("117", "", "99999.5", ""),
    ("118", "", "-99999.49", ""),
    ("119", "", "", "1e-19"),
    ("120", "", "", "5e-19"),
    ("121", "", "", "123456789012345678901.5"),
    ("122", "", "", "-5e-19"),
    ("123", "", "", "0.0000000000000000015"),
    ("124", "", "", "99999999999999999999.9999999999999999995"),
    ("125", "", "", "99999999999999999999.9999999999999999994"),
    ("126", " 1.5 ", "", ""),
    ("127", "+1.5", "", ""),
    ("128", "-0.0", "", ""),
    ("129", "1.5", "1e6", "2"),
    ("130", "null", "", ""),
    ("131", ".5", "", ""),
    ("132", "1.", "", ""),
    ("133", "NaN", "", ""),
    ("134", "1,5", "", ""),
    ("135", "0.125e1", "", ""),
    ("136", "", "", "1.5E+3"),
    ("137", "-99999999.995", "", ""),
    ("138", "1.555", "99999", ""),
    ("139", "2.5", "2.5", "2.5"),
    ("140", "1 000", "", ""),
    ("141", "Infinity", "", ""),
    ("142", "0x10", "", ""),
    ("143", "12.345e-1", "", ""),
    ("144", "1.2.3", "", ""),
]

ARITH_EXPRS = [
    "a + a AS a_plus_a",
    "a + c AS a_plus_c",
    "a + b AS a_plus_b",
    "b + b AS b_plus_b",
    "a - b AS a_minus_b",
    "e + e AS e_plus_e",
    "e - e AS e_minus_e",
    "a * a AS a_times_a",
    "a * c AS a_times_c",
    "a * b AS a_times_b",
    "b * b AS b_times_b",
    "e * e AS e_times_e",
    "e * a AS e_times_a",
    "a / c AS a_div_c",
    "a / b AS a_div_b",
    "b / a AS b_div_a",
    "c / a AS c_div_a",
    "b / b AS b_div_b",
    "e / b AS e_div_b",
    "a / 3 AS a_div_3",
    "a / i AS a_div_i",
    "a % c AS a_mod_c",
    "b % a AS b_mod_a",
    "a % 0 AS a_mod_0",
    "pmod(a, c) AS pmod_a_c",
    "a + 1 AS a_plus_1",
    "a * 2 AS a_times_2",
    "a - 100 AS a_minus_100",
    "a + i AS a_plus_i",
    "a + l AS a_plus_l",
    "a * l AS a_times_l",
    "l / a AS l_div_a",
    "a + d AS a_plus_d",
    "a * 1.5D AS a_times_1_5d",
    "a + CAST(1.5 AS FLOAT) AS a_plus_float",
    "-a AS neg_a",
    "-b AS neg_b",
    "abs(a) AS abs_a",
    "abs(e) AS abs_e",
    "-e AS neg_e",
    "abs(b) AS abs_b",
    "negative(b) AS negative_b",
    "0 - b AS zero_minus_b",
    "b * -1 AS b_times_m1",
    "a div c AS a_intdiv_c",
    "a + 1Y AS a_plus_1y",
    "a + 1S AS a_plus_1s",
    "a * a * a AS a_cubed",
    "a * a * a * a * a AS a_pow5",
    "(a + b) * c AS a_plus_b_times_c",
]

COMPARE_EXPRS = [
    "a > c AS a_gt_c",
    "a = c AS a_eq_c",
    "a < b AS a_lt_b",
    "b = b AS b_eq_b",
    "a = 1 AS a_eq_1",
    "a > 1.5D AS a_gt_1_5d",
    "a = d AS a_eq_d",
    "b > l AS b_gt_l",
    "a = 2.45D AS a_eq_2_45d",
    "e > 0 AS e_gt_0",
    "a <=> c AS a_nseq_c",
    "greatest(a, c) AS greatest_a_c",
    "least(a, b) AS least_a_b",
    "greatest(a, i) AS greatest_a_i",
    "coalesce(a, c) AS coalesce_a_c",
    "coalesce(a, 0) AS coalesce_a_0",
    "CASE WHEN a > 0 THEN a ELSE c END AS case_a_c",
    "nvl(a, 0) AS nvl_a_0",
    "if(a > 0, a, b) AS if_a_b",
]

CAST_EXPRS = [
    "CAST(a AS INT) AS a_int",
    "CAST(a AS BIGINT) AS a_bigint",
    "CAST(e AS BIGINT) AS e_bigint",
    "CAST(e AS INT) AS e_int",
    "CAST(a AS TINYINT) AS a_tinyint",
    "CAST(a AS SMALLINT) AS a_smallint",
    "CAST(b AS INT) AS b_int",
    "CAST(a AS DOUBLE) AS a_double",
    "CAST(b AS DOUBLE) AS b_double",
    "CAST(e AS DOUBLE) AS e_double",
    "CAST(a AS FLOAT) AS a_float",
    "CAST(a AS STRING) AS a_str",
    "CAST(b AS STRING) AS b_str",
    "CAST(c AS STRING) AS c_str",
    "CAST(e AS STRING) AS e_str",
    "CAST(a AS BOOLEAN) AS a_bool",
    "CAST(a AS DECIMAL(4,1)) AS a_dec4_1",
    "CAST(a AS DECIMAL(12,4)) AS a_dec12_4",
    "CAST(b AS DECIMAL(10,2)) AS b_dec10_2",
    "CAST(b AS DECIMAL(38,0)) AS b_dec38_0",
    "CAST(s AS DECIMAL(10,2)) AS s_dec10_2",
    "CAST(s AS DECIMAL(38,18)) AS s_dec38_18",
    "CAST(i AS DECIMAL(5,2)) AS i_dec5_2",
    "CAST(i AS DECIMAL(10,0)) AS i_dec10_0",
    "CAST(l AS DECIMAL(20,0)) AS l_dec20_0",
    "CAST(l AS DECIMAL(10,2)) AS l_dec10_2",
    "CAST(d AS DECIMAL(10,2)) AS d_dec10_2",
    "CAST(d AS DECIMAL(38,18)) AS d_dec38_18",
    "CAST(d AS DECIMAL(38,0)) AS d_dec38_0",
    "CAST(CAST(a AS STRING) AS DECIMAL(10,2)) AS a_str_dec10_2",
    "CAST(a AS TIMESTAMP) AS a_ts",
    "CAST(i AS DECIMAL(38,37)) AS i_dec38_37",
    "CAST(round(b, 10) AS STRING) AS round_b_10_str",
    "CAST(b / a AS STRING) AS b_div_a_str",
    "CAST(-b AS STRING) AS neg_b_str",
]

FUNC_EXPRS = [
    "round(a, 1) AS round_a_1",
    "round(a) AS round_a",
    "round(a, -1) AS round_a_m1",
    "round(a, 5) AS round_a_5",
    "bround(a, 1) AS bround_a_1",
    "bround(a) AS bround_a",
    "round(b, 10) AS round_b_10",
    "round(e, -2) AS round_e_m2",
    "floor(a) AS floor_a",
    "ceil(a) AS ceil_a",
    "floor(b) AS floor_b",
    "ceil(b) AS ceil_b",
    "floor(e) AS floor_e",
    "hash(a) AS hash_a",
    "hash(b) AS hash_b",
    "hash(c) AS hash_c",
    "hash(e) AS hash_e",
    "hash(a, b, c) AS hash_abc",
    "xxhash64(a) AS xx_a",
    "xxhash64(b) AS xx_b",
    "xxhash64(e) AS xx_e",
    "format_number(a, 1) AS fn_a_1",
    "format_number(b, 3) AS fn_b_3",
    "concat(a, '|', b) AS concat_a_b",
    "signum(a) AS signum_a",
    "sqrt(a) AS sqrt_a",
]

CANDIDATE_EXPRS = ["id"] + ARITH_EXPRS + COMPARE_EXPRS + CAST_EXPRS + FUNC_EXPRS

AGG_EXPRS = [
    "sum(a) AS sum_a",
    "sum(b) AS sum_b",
    "sum(c) AS sum_c",
    "sum(e) AS sum_e",
    "avg(a) AS avg_a",
    "avg(b) AS avg_b",
    "avg(c) AS avg_c",
    "avg(e) AS avg_e",
    "min(a) AS min_a",
    "max(a) AS max_a",
    "min(b) AS min_b",
    "max(b) AS max_b",
    "min(c) AS min_c",
    "max(c) AS max_c",
    "min(e) AS min_e",
    "max(e) AS max_e",
    "count(a) AS count_a",
    "count(b) AS count_b",
    "count(c) AS count_c",
    "count(e) AS count_e",
    "count(*) AS count_all",
]
GROUP_KEY = "i % 2"

# Exact values used by the double-rounding probes (see README): N / D with the exact quotient just
# below a HALF_UP tie at the result scale 6.
_DIV38_N = "1" + "0" * 27                        # 10^27
_DIV38_D = "2" + "0" * 32 + "1"                  # 2 * 10^33 + 1
_DIV39_N = "1" + "0" * 26                        # 10^26
_DIV39_D = "2" + "0" * 31 + "1"                  # 2 * 10^32 + 1
_DIVSIG_D = "2" + "0" * 17 + "1"                 # 2 * 10^18 + 1
_DIVSIG_N = str(10 ** 19 * int(_DIVSIG_D) + 10 ** 12)

# Edge cases over literals; one-row batch queries, under "probes" (ANSI) and "probes_non_ansi".
PROBE_EXPRS = [
    # literal types
    "1.5BD AS bd_lit",
    "1.5BD + 1 AS bd_lit_plus_1",
    "1.5 AS dec_lit",
    "0.1 + 0.2 AS dec_lit_sum",
    "1.0 / 3 AS dec_lit_div_int",
    "123456789012345678901234567890 AS big_int_lit",
    "CAST(1 AS DECIMAL(10,2)) + 0.000 AS dec_plus_scale3_lit",
    # string -> decimal rounding / overflow
    "CAST('1.005' AS DECIMAL(3,2)) AS str_1_005_d3_2",
    "CAST('-1.005' AS DECIMAL(3,2)) AS str_m1_005_d3_2",
    "CAST('1.0049999' AS DECIMAL(3,2)) AS str_1_0049999_d3_2",
    "CAST('9.995' AS DECIMAL(3,2)) AS str_9_995_d3_2_overflow",
    "CAST('-9.995' AS DECIMAL(3,2)) AS str_m9_995_d3_2_overflow",
    "CAST('0.0' AS DECIMAL(38,18)) AS str_zero_d38_18",
    "CAST(0 AS DECIMAL(38,18)) AS int_zero_d38_18",
    "CAST(CAST(0 AS DECIMAL(38,18)) AS STRING) AS zero_d38_18_str",
    "CAST(CAST('1e-7' AS DECIMAL(20,10)) AS STRING) AS str_1e_7_d20_10_str",
    "CAST('1e-7' AS DECIMAL(20,10)) AS str_1e_7_d20_10",
    "CAST(CAST('-0.00' AS DECIMAL(10,2)) AS STRING) AS str_neg_zero_d10_2_str",
    "CAST(CAST('1E+3' AS DECIMAL(10,0)) AS STRING) AS str_1e3_d10_0_str",
    "CAST(CAST('0.00000001' AS DECIMAL(38,18)) AS STRING) AS str_1e_8_d38_18_str",
    "CAST(CAST('1E+10' AS DECIMAL(38,0)) AS STRING) AS str_1e10_d38_0_str",
    "CAST('0.0449999999999999999999999999999999999995' AS DECIMAL(38,38)) AS str_40frac_d38_38",
    "CAST('0.04499999999999999999999999999999999999949' AS DECIMAL(38,38)) AS str_41frac_d38_38",
    "CAST('0.5' AS DECIMAL(38,38)) AS str_0_5_d38_38",
    "CAST('1' AS DECIMAL(38,38)) AS str_1_d38_38_overflow",
    "CAST('0.99999999999999999999999999999999999999' AS DECIMAL(38,38)) AS str_38nines_d38_38",
    "CAST('0.999999999999999999999999999999999999995' AS DECIMAL(38,38)) AS str_round_up_d38_38",
    "CAST(' 1.5 ' AS DECIMAL(10,2)) AS str_ws_d10_2",
    "CAST('\t1.5\n' AS DECIMAL(10,2)) AS str_tab_nl_d10_2",
    "CAST('1.' AS DECIMAL(10,2)) AS str_1dot_d10_2",
    "CAST('.5' AS DECIMAL(10,2)) AS str_dot5_d10_2",
    "CAST('+.5' AS DECIMAL(10,2)) AS str_plus_dot5_d10_2",
    "CAST('-.5' AS DECIMAL(10,2)) AS str_minus_dot5_d10_2",
    "CAST('1,5' AS DECIMAL(10,2)) AS str_comma_d10_2",
    "CAST('0x10' AS DECIMAL(10,2)) AS str_hex_d10_2",
    "CAST('NaN' AS DECIMAL(10,2)) AS str_nan_d10_2",
    "CAST('Infinity' AS DECIMAL(10,2)) AS str_inf_d10_2",
    "CAST('1e400' AS DECIMAL(10,2)) AS str_1e400_d10_2",
    "CAST('1e-400' AS DECIMAL(10,2)) AS str_1e_400_d10_2",
    "CAST('1.5d' AS DECIMAL(10,2)) AS str_1_5d_d10_2",
    "CAST('' AS DECIMAL(10,2)) AS str_empty_d10_2",
    "CAST('1_000' AS DECIMAL(10,2)) AS str_underscore_d10_2",
    "CAST('１２' AS DECIMAL(10,2)) AS str_fullwidth_d10_2",
    # division and its rounding
    "CAST(1 AS DECIMAL(38,0)) / CAST(3 AS DECIMAL(38,0)) AS d38_1_div_3",
    "CAST(2 AS DECIMAL(38,0)) / CAST(3 AS DECIMAL(38,0)) AS d38_2_div_3",
    "CAST(2 AS DECIMAL(10,0)) / CAST(3 AS DECIMAL(10,0)) AS d10_2_div_3",
    "CAST(-2 AS DECIMAL(10,0)) / CAST(3 AS DECIMAL(10,0)) AS d10_m2_div_3",
    "CAST(1 AS DECIMAL(38,18)) / CAST(3 AS DECIMAL(38,18)) AS d38_18_div",
    "CAST(1 AS DECIMAL(38,18)) / CAST('0.000000000000000003' AS DECIMAL(38,18)) AS d38_18_div_tiny",
    "CAST(1 AS DECIMAL(10,2)) / CAST(8 AS DECIMAL(10,2)) AS d10_2_div_8",
    "CAST(1 AS DECIMAL(10,2)) / CAST(0 AS DECIMAL(10,2)) AS d10_2_div_zero",
    "CAST(1 AS DECIMAL(10,2)) DIV CAST(0 AS DECIMAL(10,2)) AS d10_2_intdiv_zero",
    "CAST(1 AS DECIMAL(10,2)) % CAST(0 AS DECIMAL(10,2)) AS d10_2_mod_zero",
    f"CAST('{_DIV38_N}' AS DECIMAL(38,0)) / CAST('{_DIV38_D}' AS DECIMAL(38,0)) "
    "AS div_just_below_tie_1",
    f"CAST('{_DIV39_N}' AS DECIMAL(38,0)) / CAST('{_DIV39_D}' AS DECIMAL(38,0)) "
    "AS div_just_below_tie_2",
    f"CAST('{_DIVSIG_N}' AS DECIMAL(38,0)) / CAST('{_DIVSIG_D}' AS DECIMAL(38,0)) "
    "AS div_just_below_tie_3",
    "CAST(1 AS DECIMAL(38,0)) / CAST(2000000 AS DECIMAL(38,0)) AS div_exact_tie",
    "CAST(-1 AS DECIMAL(38,0)) / CAST(2000000 AS DECIMAL(38,0)) AS div_exact_tie_neg",
    "CAST('99999999999999999999999999999999999999' AS DECIMAL(38,0)) / CAST('0.1' AS DECIMAL(2,1)) "
    "AS div_overflow",
    "CAST(7.5 AS DECIMAL(10,2)) DIV 2 AS intdiv_7_5_by_2",
    "CAST(-7.5 AS DECIMAL(10,2)) DIV 2 AS intdiv_m7_5_by_2",
    "CAST('99999999999999999999999999999999999999' AS DECIMAL(38,0)) DIV CAST(1 AS DECIMAL(1,0)) "
    "AS intdiv_overflow_bigint",
    # multiplication and its rounding
    "CAST(1 AS DECIMAL(38,37)) * CAST(1 AS DECIMAL(38,37)) AS d38_37_squared",
    "CAST(1 AS DECIMAL(38,37)) + CAST(1 AS DECIMAL(38,37)) AS d38_37_plus",
    "CAST('9.9999999999999999999999999999999999999' AS DECIMAL(38,37)) * "
    "CAST('9.9999999999999999999999999999999999999' AS DECIMAL(38,37)) AS d38_37_max_squared",
    "CAST('99999999.94' AS DECIMAL(10,2)) * "
    "CAST('12345678901234567890.123456789012345608' AS DECIMAL(38,18)) AS mul_just_below_tie",
    "CAST(2 AS DECIMAL(38,0)) * CAST(3 AS DECIMAL(38,0)) AS d38_0_times_d38_0",
    "CAST('10000000000000000000' AS DECIMAL(38,0)) * CAST('10000000000000000000' AS DECIMAL(38,0)) "
    "AS d38_0_mul_overflow",
    "CAST('0.000000000000000001' AS DECIMAL(38,18)) * CAST('0.5' AS DECIMAL(38,18)) "
    "AS d38_18_mul_underflow",
    "CAST('0.000001' AS DECIMAL(38,18)) * CAST('0.5' AS DECIMAL(38,18)) AS d38_18_mul_tie",
    "CAST('-0.000001' AS DECIMAL(38,18)) * CAST('0.5' AS DECIMAL(38,18)) AS d38_18_mul_tie_neg",
    # remainder
    "CAST(7 AS DECIMAL(10,2)) % CAST('2.5' AS DECIMAL(38,18)) AS d10_2_mod_d38_18",
    "CAST(-7 AS DECIMAL(10,2)) % CAST('2.5' AS DECIMAL(38,18)) AS d10_2_neg_mod_d38_18",
    "pmod(CAST(-7 AS DECIMAL(10,2)), CAST('2.5' AS DECIMAL(38,18))) AS d10_2_pmod_d38_18",
    "CAST(7 AS DECIMAL(10,2)) % CAST(-2 AS DECIMAL(10,2)) AS d10_2_mod_neg",
    # addition / precision loss
    "CAST(1 AS DECIMAL(38,0)) + CAST('0.1' AS DECIMAL(38,38)) AS d38_0_plus_d38_38",
    "CAST('99999999999999999999999999999999999999' AS DECIMAL(38,0)) + 1 AS d38_plus_1_overflow",
    "CAST('-99999999999999999999999999999999999999' AS DECIMAL(38,0)) - 1 AS d38_minus_1_overflow",
    "-CAST('-99999999999999999999999999999999999999' AS DECIMAL(38,0)) AS d38_negate_min",
    "abs(CAST('-99999999999999999999999999999999999999' AS DECIMAL(38,0))) AS d38_abs_min",
    "CAST('0.000000000000000005' AS DECIMAL(38,18)) + CAST(1 AS DECIMAL(38,18)) "
    "AS d38_18_plus_round",
    # unary minus / abs of values with more than 34 significant digits
    "-CAST('12345678901234567890.123456789012345678' AS DECIMAL(38,18)) AS negate_38_digits",
    "negative(CAST('12345678901234567890.123456789012345678' AS DECIMAL(38,18))) "
    "AS negative_fn_38_digits",
    "abs(CAST('-12345678901234567890.123456789012345678' AS DECIMAL(38,18))) AS abs_38_digits",
    "0 - CAST('12345678901234567890.123456789012345678' AS DECIMAL(38,18)) AS zero_minus_38_digits",
    "-CAST('1234567890123456789012345678901234' AS DECIMAL(38,0)) AS negate_34_digits",
    "-CAST('12345678901234567890123456789012345' AS DECIMAL(38,0)) AS negate_35_digits",
    "-CAST('-12345678901234567890123456789012345' AS DECIMAL(38,0)) AS negate_neg_35_digits",
    "abs(CAST('-12345678901234567890123456789012345' AS DECIMAL(38,0))) AS abs_35_digits",
    "abs(CAST('12345678901234567890123456789012345' AS DECIMAL(38,0))) AS abs_pos_35_digits",
    "-CAST('0.12345678901234567890123456789012345678' AS DECIMAL(38,38)) AS negate_38_frac",
    "-CAST('123456789012345678.5' AS DECIMAL(19,1)) AS negate_19_digits",
    "CAST(-CAST('12345678901234567890.123456789012345678' AS DECIMAL(38,18)) AS STRING) "
    "AS negate_38_digits_str",
    "CAST(CAST('0.000000000000000001' AS DECIMAL(38,18)) / CAST('0.01' AS DECIMAL(10,2)) "
    "AS STRING) AS div_result_str",
    # rounding functions
    "round(CAST(2.5 AS DECIMAL(10,2))) AS round_2_5",
    "round(CAST(-2.5 AS DECIMAL(10,2))) AS round_m2_5",
    "bround(CAST(2.5 AS DECIMAL(10,2))) AS bround_2_5",
    "bround(CAST(-2.5 AS DECIMAL(10,2))) AS bround_m2_5",
    "bround(CAST(3.5 AS DECIMAL(10,2))) AS bround_3_5",
    "round(CAST(99999999.99 AS DECIMAL(10,2)), -8) AS round_max_m8",
    "round(CAST(99999999.99 AS DECIMAL(10,2)), -9) AS round_max_m9",
    "round(CAST(15 AS DECIMAL(10,2)), -1) AS round_15_m1",
    "round(CAST(-15 AS DECIMAL(10,2)), -1) AS round_m15_m1",
    "round(CAST('99999999999999999999999999999999999999' AS DECIMAL(38,0)), -1) AS round_d38_m1",
    "round(CAST(1.25 AS DECIMAL(10,2)), 1) AS round_1_25_1",
    "round(CAST(1.25 AS DECIMAL(10,2)), 3) AS round_1_25_3",
    "floor(CAST(-0.5 AS DECIMAL(10,2))) AS floor_m0_5",
    "ceil(CAST(-0.5 AS DECIMAL(10,2))) AS ceil_m0_5",
    "floor(CAST(-0.5 AS DECIMAL(10,2)), 1) AS floor_m0_5_1",
    "ceil(CAST(1.21 AS DECIMAL(10,2)), 1) AS ceil_1_21_1",
    "CAST(CAST(-0.5 AS DECIMAL(10,2)) AS INT) AS m0_5_int",
    "CAST(CAST(-1.99 AS DECIMAL(10,2)) AS INT) AS m1_99_int",
    # double -> decimal
    "CAST(0.1D AS DECIMAL(38,18)) AS double_0_1_d38_18",
    "CAST(1.005D AS DECIMAL(10,2)) AS double_1_005_d10_2",
    "CAST(0.045D AS DECIMAL(10,2)) AS double_0_045_d10_2",
    "CAST(2.675D AS DECIMAL(10,2)) AS double_2_675_d10_2",
    "CAST(1e20D AS DECIMAL(38,0)) AS double_1e20_d38_0",
    "CAST(1.0E-20D AS DECIMAL(38,18)) AS double_1e_20_d38_18",
    "CAST(123456789.0123456789D AS DECIMAL(38,18)) AS double_long_d38_18",
    "CAST(1e38D AS DECIMAL(38,0)) AS double_1e38_d38_0",
    "CAST(CAST('NaN' AS DOUBLE) AS DECIMAL(10,2)) AS double_nan_d10_2",
    "CAST(CAST('Infinity' AS DOUBLE) AS DECIMAL(10,2)) AS double_inf_d10_2",
    "CAST(-0.0D AS DECIMAL(10,2)) AS double_neg_zero_d10_2",
    "CAST(CAST(0.1 AS FLOAT) AS DECIMAL(38,18)) AS float_0_1_d38_18",
    # decimal -> double / float / string
    "CAST(CAST('0.1000000000000000055511151231257827' AS DECIMAL(38,34)) AS DOUBLE) "
    "AS d_near_0_1_double",
    "CAST(CAST('12345678901234567890.123456789012345678' AS DECIMAL(38,18)) AS DOUBLE) "
    "AS d38_18_double",
    "CAST(CAST('99999999999999999999999999999999999999' AS DECIMAL(38,0)) AS FLOAT) AS d38_max_float",
    "CAST(CAST('9007199254740993' AS DECIMAL(38,0)) AS DOUBLE) AS d_2p53_plus_1_double",
    "CAST(CAST(1.5 AS DECIMAL(10,2)) AS TIMESTAMP) AS d10_2_ts",
    "CAST(CAST(-1.5 AS DECIMAL(10,2)) AS TIMESTAMP) AS d10_2_neg_ts",
    "CAST(CAST('0.0000005' AS DECIMAL(38,18)) AS TIMESTAMP) AS d_sub_micro_ts",
    "CAST(CAST('99999999999999999999999999999999999999' AS DECIMAL(38,0)) AS TIMESTAMP) "
    "AS d38_max_ts",
    "CAST(CAST(1.5 AS DECIMAL(10,2)) AS BOOLEAN) AS d_bool",
    "CAST(CAST(0 AS DECIMAL(10,2)) AS BOOLEAN) AS d_zero_bool",
    "CAST(true AS DECIMAL(10,2)) AS bool_d10_2",
    "CAST(CAST('2024-01-01 00:00:01.5' AS TIMESTAMP) AS DECIMAL(20,6)) AS ts_d20_6",
    "CAST(CAST(128.5 AS DECIMAL(10,2)) AS TINYINT) AS d_128_5_tinyint",
    "CAST(CAST('9223372036854775807.9' AS DECIMAL(38,1)) AS BIGINT) AS d_long_max_frac_bigint",
    "CAST(CAST('9223372036854775808' AS DECIMAL(38,0)) AS BIGINT) AS d_long_max_plus1_bigint",
    # comparisons
    "CAST(1.5 AS DECIMAL(10,2)) = CAST(1.5 AS DECIMAL(38,18)) AS eq_across_scales",
    "CAST(1.5 AS DECIMAL(10,2)) = 1.5D AS eq_double",
    "0.1D = CAST(0.1 AS DECIMAL(10,2)) AS double_eq_dec",
    "CAST('0.1000000000000000055511151231257827' AS DECIMAL(38,34)) = 0.1D AS near_eq_double",
    "CAST('12345678901234567890.123456789012345678' AS DECIMAL(38,18)) > "
    "CAST('12345678901234567890' AS DECIMAL(38,0)) AS cmp_wide",
    "CAST(1 AS DECIMAL(38,0)) < CAST('0.5' AS DECIMAL(38,38)) AS cmp_d38_0_d38_38",
    "greatest(CAST(1 AS DECIMAL(38,0)), CAST('0.5' AS DECIMAL(38,38))) AS greatest_d38_0_d38_38",
    # hash / xxhash64 / format_number / concat
    "hash(CAST(0 AS DECIMAL(38,18))) AS hash_zero_d38_18",
    "hash(CAST(0 AS DECIMAL(10,2))) AS hash_zero_d10_2",
    "hash(CAST(1.5 AS DECIMAL(10,2))) AS hash_1_5_d10_2",
    "hash(CAST(1.5 AS DECIMAL(18,2))) AS hash_1_5_d18_2",
    "hash(CAST(1.5 AS DECIMAL(19,2))) AS hash_1_5_d19_2",
    "hash(CAST(1.5 AS DECIMAL(38,18))) AS hash_1_5_d38_18",
    "hash(CAST(-1.5 AS DECIMAL(38,18))) AS hash_m1_5_d38_18",
    "hash(CAST(1.5 AS DECIMAL(38,1))) AS hash_1_5_d38_1",
    "xxhash64(CAST(0 AS DECIMAL(38,18))) AS xx_zero_d38_18",
    "xxhash64(CAST(1.5 AS DECIMAL(10,2))) AS xx_1_5_d10_2",
    "xxhash64(CAST(1.5 AS DECIMAL(19,2))) AS xx_1_5_d19_2",
    "xxhash64(CAST(-1.5 AS DECIMAL(38,18))) AS xx_m1_5_d38_18",
    "format_number(CAST('2.345' AS DECIMAL(10,3)), 2) AS fn_2_345",
    "format_number(CAST('2.355' AS DECIMAL(10,3)), 2) AS fn_2_355",
    "format_number(CAST('-0.001' AS DECIMAL(10,3)), 2) AS fn_m0_001",
    "format_number(CAST('1234567.5' AS DECIMAL(10,1)), 0) AS fn_1234567_5",
    "format_number(CAST('12345678901234567890.123456789012345678' AS DECIMAL(38,18)), 20) "
    "AS fn_wide_20",
    "format_number(CAST(1.5 AS DECIMAL(10,2)), -1) AS fn_neg_places",
    "concat(CAST(0 AS DECIMAL(38,18)), '|', CAST(-0.5 AS DECIMAL(3,2))) AS concat_zero",
    "typeof(CAST(1 AS DECIMAL(10,2)) * CAST(1 AS DECIMAL(38,0))) AS typeof_mul",
]


def make_spark():
    spark = (
        SparkSession.builder
        .master("local[1]")
        .appName("rill-decimals-golden")
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
# exact quantize of 38-digit values (the default context precision is 28, and foreachBatch runs in
# another thread, with its own default context)
DEC_CTX = _decimal.Context(prec=200)
_DEC_TYPE = re.compile(r"^decimal\((\d+),(\d+)\)$")
DECIMAL_SCALE_ISSUES = []  # values whose Python Decimal did not carry the column's scale


def dec_str(v, scale, where="", check_scale=True):
    """A Decimal as a plain string with exactly `scale` fraction digits ("0.000", never "0E-3").
    The value is never rounded: a value that does not fit the scale exactly is a failure."""
    q = v.quantize(Decimal(1).scaleb(-scale), context=DEC_CTX) if scale is not None else v
    if q != v:
        raise ValueError(f"{where}: {v!r} does not fit scale {scale}")
    if check_scale and scale is not None and v.as_tuple().exponent != -scale:
        DECIMAL_SCALE_ISSUES.append([where, str(v), scale])
    return format(q, "f")


def encode_value(v, typ, where=""):
    if isinstance(v, Decimal):
        m = _DEC_TYPE.match(typ or "")
        return dec_str(v, int(m.group(2)) if m else None, where)
    return plain(v)


def collect_encoded(df):
    """spark_golden.collect_encoded (timestamps -> micros, dates -> 'yyyy-MM-dd', doubles per
    plain()), extended with decimals as exact plain strings with the column's scale."""
    edf, kinds = encodable(df)
    names = edf.columns
    types = dict(edf.dtypes)
    out = []
    for r in edf.collect():
        out.append([fmt_date(v) if kinds.get(n) == "date" else encode_value(v, types[n], n)
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


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def clean_text(s):
    """Machine- and run-independent text: no absolute paths, no query ids, no py4j ids."""
    if s is None:
        return None
    for d, name in ((INPUT_BATCHES_DIR, "input_batches"), (INPUT_BAD_CSV_DIR, "input_bad_csv"),
                    (INPUT_BAD_DIR, "input_bad"), (INPUT_DIR, "input")):
        p = str(d.resolve())
        s = s.replace(d.resolve().as_uri(), f"file:<here>/{name}")
        s = s.replace("file://" + p, f"file:<here>/{name}").replace(p, f"<here>/{name}")
    s = s.replace(str(WORK), "<tmp>")
    s = _UUID.sub("<uuid>", s)
    s = re.sub(r"\bo\d+\.", "o<N>.", s)
    s = re.sub(r'File "[^"]*", line \d+', "File <path>", s)
    s = re.sub(r"Task \d+ in stage \S+ failed \d+ times?, most recent failure: Lost task \S+ in "
               r"stage \S+ \(TID \d+\) \([^)]*\): ", "", s)
    return s


def error_info(exc):
    info = {}
    for key, getter in (("error_class", "getCondition"), ("sqlstate", "getSqlState"),
                        ("message_parameters", "getMessageParameters")):
        fn = getattr(exc, getter, None)
        try:
            info[key] = fn() if fn else None
        except Exception:  # noqa: BLE001
            info[key] = None
    if isinstance(info.get("message_parameters"), dict):
        info["message_parameters"] = {k: clean_text(v) if isinstance(v, str) else v
                                      for k, v in info["message_parameters"].items()}
    msg = getattr(exc, "getMessage", None)
    try:
        text = (msg() if msg else "") or str(exc)
    except Exception:  # noqa: BLE001
        text = str(exc)
    info["message"] = clean_text(text.strip())
    try:
        info["exception_class"] = exc._origin.getClass().getName()
    except Exception:  # noqa: BLE001
        info["exception_class"] = None
    try:
        info["query_context"] = [c.fragment() for c in exc.getQueryContext()]
    except Exception:  # noqa: BLE001
        info["query_context"] = None
    return info


def java_cause_chain(exc, limit=8):
    """[{class, error_class, sqlstate, message (first line)}] of the JVM exception and its causes."""
    j = getattr(exc, "_origin", None) or getattr(exc, "java_exception", None)
    chain = []
    while j is not None and len(chain) < limit:
        item = {"class": j.getClass().getName()}
        for key, getter in (("error_class", "getCondition"), ("sqlstate", "getSqlState")):
            try:
                item[key] = getattr(j, getter)()
            except Exception:  # noqa: BLE001
                item[key] = None
        first = (j.getMessage() or "").splitlines()
        item["message"] = clean_text(first[0][:400]) if first else ""
        chain.append(item)
        j = j.getCause()
    return chain


def root_error(exc):
    """error_info plus the innermost JVM exception that carries an error class (for failures
    wrapped in SparkException / StreamingQueryException)."""
    info = error_info(exc)
    if info.get("message") and "\n" in info["message"]:
        info["message"] = info["message"].splitlines()[0][:400]
    chain = java_cause_chain(exc)
    info["cause_chain"] = chain
    inner = [c for c in chain if c.get("error_class")]
    info["root_error_class"] = inner[-1]["error_class"] if inner else None
    info["root_sqlstate"] = inner[-1]["sqlstate"] if inner else None
    info["root_message"] = inner[-1]["message"] if inner else None
    return info


# ---------------------------------------------------------------------------
# input
# ---------------------------------------------------------------------------
def json_line(row):
    parts = []
    for name, v in zip(INPUT_COLUMNS, row):
        if v is None:
            text = "null"
        elif name in DECIMAL_SCALES:
            Decimal(v)  # must be a valid number
            text = v  # the exact digits, as a bare JSON number
        else:
            text = json.dumps(v, ensure_ascii=False)
        parts.append(f'"{name}": {text}')
    return "{" + ", ".join(parts) + "}"


def expected_rows(rows):
    """The rows as they should read back, in the output encoding (decimals with the column's
    scale; the written digits never exceed it)."""
    out = []
    for r in rows:
        row = []
        for name, v in zip(INPUT_COLUMNS, r):
            if name in DECIMAL_SCALES and v is not None:
                row.append(dec_str(Decimal(v), DECIMAL_SCALES[name], "input." + name,
                                   check_scale=False))
            else:
                row.append(plain(v))
        out.append(row)
    return out


def write_file(path, text, mtime):
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    os.utime(path, (mtime, mtime))


def write_input():
    write_file(INPUT_DIR / "part-000.json", "".join(json_line(r) + "\n" for r in ROWS),
               MTIME_BASE + 60)
    for k, rows in enumerate(BATCH_ROWS):
        write_file(INPUT_BATCHES_DIR / f"part-{k:03d}.json",
                   "".join(json_line(r) + "\n" for r in rows), MTIME_BASE + 60 * (k + 1))
    write_file(INPUT_BAD_DIR / "part-000.json", "".join(x + "\n" for x in BAD_LINES),
               MTIME_BASE + 60)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(BAD_COLUMNS)
    for r in BAD_CSV_ROWS:
        w.writerow(r)
    write_file(INPUT_BAD_CSV_DIR / "part-000.csv", buf.getvalue(), MTIME_BASE + 60)


def bad_csv_lines():
    """The data lines of input_bad_csv/part-000.csv exactly as written."""
    return (INPUT_BAD_CSV_DIR / "part-000.csv").read_text(encoding="utf-8").splitlines()[1:]


def batch_df(spark):
    return spark.read.schema(INPUT_SCHEMA).json(str(INPUT_DIR))


# ---------------------------------------------------------------------------
# queries
# ---------------------------------------------------------------------------
def evaluate(src, e, ids, id_col="id"):
    """Run `id, e` as a batch query. Returns (error info or None, type, [[id, value], ...])."""
    try:
        df = src.selectExpr(id_col, e) if e != id_col else src.selectExpr(e)
        typ = dict(df.dtypes)[out_name(e)]
    except Exception as exc:  # noqa: BLE001  (analysis error)
        return (dict(error_info(exc), phase="analysis", type=None, failing_ids=None,
                     other_rows=None), None, None)
    try:
        return None, typ, sorted(collect_encoded(df)[0], key=sort_key)
    except Exception as exc:  # noqa: BLE001  (runtime error, e.g. ANSI overflow)
        info = dict(error_info(exc), phase="runtime", type=typ)
    failing, ok_rows = [], []
    for rid in ids:
        try:
            ok_rows += collect_encoded(df.where(f"{id_col} = {rid}"))[0]
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
    """Runs df to completion (availableNow, foreachBatch). Returns (batches, kinds, progress,
    error): batches = [(batch_id, rows)] of every batch delivered before a failure."""
    batches = []
    kinds_seen = {}

    batch_errors = []

    def on_batch(batch_df_, batch_id):
        try:
            rows, kinds = collect_encoded(batch_df_)
        except Exception as exc:  # noqa: BLE001  (e.g. ANSI overflow evaluating the batch)
            batch_errors.append(dict(error_info(exc), batch_id=batch_id))
            raise
        kinds_seen.update(kinds)
        batches.append((batch_id, rows))

    q = (df.writeStream.outputMode(mode).foreachBatch(on_batch).trigger(availableNow=True)
         .option("checkpointLocation", str(WORK / "checkpoints" / name)).start())
    err = None
    try:
        q.awaitTermination()
    except Exception as exc:  # noqa: BLE001
        if batch_errors:  # the failure inside the micro-batch (the query fails with STREAM_FAILED)
            err = dict(batch_errors[0], query_error_class=error_info(exc).get("error_class"))
        else:
            err = root_error(exc)
    return batches, kinds_seen, [json.loads(p.json) for p in q.recentProgress], err


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
    batches, kinds, progress, serr = run_stream(df, "select")
    assert serr is None, serr
    rows = sorted((r for _, b in batches for r in b), key=sort_key)
    batch_rows = sorted(collect_encoded(batch_df(spark).selectExpr(*ok))[0], key=sort_key)
    input_as_read = sorted(collect_encoded(batch_df(spark))[0], key=sort_key)
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
    rows = sorted(rows, key=sort_key)
    return {
        "select": ok,
        "columns": columns,
        "column_types": {c: types[c] for c in columns},
        "rows": rows,
        "rows_ts_formatted": ts_formatted(rows, columns, kinds),
        "errors": errors,
    }


def failfast_error(exc):
    info = root_error(exc)
    info["message"] = clean_text(info["message"].splitlines()[0][:300])
    return info


def read_bad_json(spark):
    path = str(INPUT_BAD_DIR)
    cols = BAD_COLUMNS + ["_corrupt_record"]
    perm = spark.read.schema(BAD_SCHEMA).json(path)
    perm_rows = sorted(collect_encoded(perm)[0], key=sort_key)
    lines = match_lines(BAD_LINES, perm_rows, cols,
                        lambda line: int(re.search(r'"id":(\d+)', line).group(1)))
    matched = [x["row"] for x in lines]
    unmatched = [r for r in perm_rows if r not in matched]
    drop = spark.read.schema(BAD_SCHEMA).option("mode", "DROPMALFORMED").json(path)
    drop_rows = sorted(collect_encoded(drop)[0], key=sort_key)
    drop_count = drop.count()
    drop_noc = spark.read.schema(BAD_SCHEMA_BASE).option("mode", "DROPMALFORMED").json(path)
    drop_noc_rows = sorted(collect_encoded(drop_noc)[0], key=sort_key)
    drop_noc_count = drop_noc.count()
    try:
        spark.read.schema(BAD_SCHEMA_BASE).option("mode", "FAILFAST").json(path).collect()
        ff = None
    except Exception as exc:  # noqa: BLE001
        ff = failfast_error(exc)
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
            "query": "same with the schema WITHOUT _corrupt_record: " + BAD_SCHEMA_BASE,
            "rows": drop_noc_rows,
            "kept_ids": [r[0] for r in drop_noc_rows],
            "collected_row_count": len(drop_noc_rows),
            "count": drop_noc_count,
        },
        "failfast_error": ff,
    }


def match_lines(raw_lines, rows, cols, id_of):
    by_id = {}
    for r in rows:
        if r[0] is not None:
            by_id.setdefault(r[0], r)
    out = []
    for line in raw_lines:
        rid = id_of(line)
        r = by_id.get(rid)
        if r is None:  # the whole line failed to parse: match it by its _corrupt_record
            r = next((x for x in rows if x[-1] == line), None)
        out.append({
            "line": line,
            "id": rid,
            "row": r,
            "row_by_column": dict(zip(cols, r)) if r else None,
            "corrupt": (r[-1] is not None) if r else None,
        })
    return out


def read_bad_csv(spark):
    path = str(INPUT_BAD_CSV_DIR)
    cols = BAD_COLUMNS + ["_corrupt_record"]
    reader = spark.read.schema(BAD_SCHEMA).option("header", "true")
    perm = reader.csv(path)
    perm_rows = sorted(collect_encoded(perm)[0], key=sort_key)
    raw = bad_csv_lines()
    lines = match_lines(raw, perm_rows, cols, lambda line: int(line.split(",", 1)[0]))
    for x, fields in zip(lines, BAD_CSV_ROWS):
        x["fields"] = dict(zip(BAD_COLUMNS, fields))
    matched = [x["row"] for x in lines]
    unmatched = [r for r in perm_rows if r not in matched]
    drop = (spark.read.schema(BAD_SCHEMA_BASE).option("header", "true")
            .option("mode", "DROPMALFORMED").csv(path))
    drop_rows = sorted(collect_encoded(drop)[0], key=sort_key)
    return {
        "schema": BAD_SCHEMA,
        "columns": cols,
        "header": ",".join(BAD_COLUMNS),
        "permissive": {
            "query": "spark.read.schema(schema).option('header','true').csv(input_bad_csv) "
                     "(mode PERMISSIVE, default)",
            "lines": lines,
            "rows": perm_rows,
            "rows_without_id_match": unmatched,
        },
        "dropmalformed_no_corrupt_column": {
            "query": "spark.read.schema(" + repr(BAD_SCHEMA_BASE) + ").option('header','true')"
                     ".option('mode','DROPMALFORMED').csv(input_bad_csv)",
            "rows": drop_rows,
            "kept_ids": [r[0] for r in drop_rows],
        },
    }


def agg_query(spark, exprs, grouped):
    """One aggregate section: every aggregate alone as a batch query (errors recorded), then the
    ones that work together, as a batch query and a streaming complete-mode query."""
    key = F.expr(GROUP_KEY).alias("k")
    tag = "grouped" if grouped else "global"

    def build(df, ex):
        if grouped:
            return df.groupBy(key).agg(*[F.expr(e) for e in ex])
        return df.selectExpr(*ex)

    errors, all_types = {}, {}
    for e in exprs:
        try:
            df = build(batch_df(spark), [e])
            all_types[out_name(e)] = dict(df.dtypes)[out_name(e)]
        except Exception as exc:  # noqa: BLE001
            errors[e] = dict(error_info(exc), phase="analysis", type=None)
            all_types[out_name(e)] = None
            continue
        try:
            df.collect()
        except Exception as exc:  # noqa: BLE001
            info = root_error(exc)
            info.update(phase="runtime", type=all_types[out_name(e)])
            errors[e] = info
    ok = [e for e in exprs if e not in errors]
    bdf = build(batch_df(spark), ok)
    types = dict(bdf.dtypes)
    cols = (["k"] if grouped else []) + [out_name(e) for e in ok]
    b_rows = sorted(collect_encoded(bdf)[0], key=sort_key) if grouped else collect_encoded(bdf)[0]
    sdf = build(spark.readStream.schema(INPUT_SCHEMA).json(str(INPUT_DIR)), ok)
    conf = spark.conf.get("spark.sql.ansi.enabled")
    batches, _, _, serr = run_stream(sdf, f"agg_{tag}_{conf}", mode="complete")
    s_rows = None
    if batches:
        s_rows = batches[-1][1]
        if grouped:
            s_rows = sorted(s_rows, key=sort_key)
    out = {}
    if grouped:
        out["group_by"] = GROUP_KEY + " AS k"
    out.update({
        "select": (["k"] if grouped else []) + ok,
        "columns": cols,
        "column_types": {c: types[c] for c in cols},
        "all_column_types": all_types,
        "errors": errors,
        "rows": b_rows,
        "streaming_complete_rows": s_rows,
        "streaming_num_batches": len(batches),
        "streaming_error": serr,
        "streaming_same_rows": s_rows == b_rows,
    })
    return out


def agg_section(spark):
    return {
        "ansi_enabled": spark.conf.get("spark.sql.ansi.enabled") == "true",
        "global": agg_query(spark, AGG_EXPRS, grouped=False),
        "grouped": agg_query(spark, AGG_EXPRS, grouped=True),
    }


def batches3_section(spark):
    """Complete-mode aggregate grouped by c over input_batches/, one file per micro-batch."""
    conf = spark.conf.get("spark.sql.ansi.enabled")
    src = (spark.readStream.schema(INPUT_SCHEMA).option("maxFilesPerTrigger", 1)
           .json(str(INPUT_BATCHES_DIR)))
    sdf = src.groupBy("c").agg(*[F.expr(e) for e in BATCH_AGG_EXPRS])
    types = dict(sdf.dtypes)
    cols = ["c"] + [out_name(e) for e in BATCH_AGG_EXPRS]
    batches, _, progress, serr = run_stream(sdf, f"batches3_{conf}", mode="complete")
    return {
        "ansi_enabled": conf == "true",
        "query": "spark.readStream.schema(input_schema).option('maxFilesPerTrigger', 1)"
                 ".json(input_batches).groupBy('c').agg(*select[1:]), complete mode, "
                 "trigger availableNow, foreachBatch; rows of each batch sorted by c, null first",
        "select": ["c"] + BATCH_AGG_EXPRS,
        "columns": cols,
        "column_types": {c: types[c] for c in cols},
        "batches": [{"batch_id": bid, "rows": sorted(rows, key=sort_key)}
                    for bid, rows in batches],
        "num_batches": len(batches),
        "num_input_rows": [p.get("numInputRows") for p in progress],
        "error": serr,
    }


def show_section(spark, agg_ok):
    df = batch_df(spark).orderBy("id")
    out = {}
    out["a_b_c_e"] = {
        "code": 'df.orderBy("id").select("a", "b", "c", "e")._jdf.showString(20, 20, False)',
        "text": df.select("a", "b", "c", "e")._jdf.showString(20, 20, False),
    }
    out["a_b_c_e_untruncated"] = {
        "code": 'df.orderBy("id").select("a", "b", "c", "e")._jdf.showString(20, 0, False)',
        "text": df.select("a", "b", "c", "e")._jdf.showString(20, 0, False),
    }
    sel = ["id", "b", "CAST(b AS STRING) AS b_str", "-b AS neg_b", "a / 3 AS a_div_3", "a * b AS a_times_b", "CAST(b AS DOUBLE) AS b_double",
           "round(a, 1) AS round_a_1", "CAST(a AS DECIMAL(4,1)) AS a_dec4_1"]
    spark.conf.set("spark.sql.ansi.enabled", "false")
    try:
        out["derived_non_ansi"] = {
            "code": f'(ANSI off) df.orderBy("id").selectExpr(*{sel!r})'
                    '._jdf.showString(20, 0, False)',
            "text": df.selectExpr(*sel)._jdf.showString(20, 0, False),
        }
        out["aggregate_global_non_ansi"] = {
            "code": f"(ANSI off) df.selectExpr(*{AGG_EXPRS!r})._jdf.showString(20, 20, False)",
            "text": batch_df(spark).selectExpr(*AGG_EXPRS)._jdf.showString(20, 20, False),
        }
    finally:
        spark.conf.unset("spark.sql.ansi.enabled")
    out["aggregate_global"] = {
        "code": "df.selectExpr(*aggregates.global.select)._jdf.showString(20, 20, False) "
                "(ANSI at default; the aggregates that do not fail)",
        "text": batch_df(spark).selectExpr(*agg_ok)._jdf.showString(20, 20, False),
    }
    return out


def analysed(spark, exprs):
    """{expr: the analysed projection / aggregate, expression ids (#123) removed}; analysis
    errors as "ERROR: <message first line>"."""
    out = {}
    for e in exprs:
        try:
            df = batch_df(spark).selectExpr(e)
            first = df._jdf.queryExecution().analyzed().toString().splitlines()[0]
            out[e] = re.sub(r"#\d+L?", "", first)
        except Exception as exc:  # noqa: BLE001
            out[e] = "ERROR: " + error_info(exc)["message"].splitlines()[0]
    return out


def dump(name, obj):
    EXPECTED_DIR.mkdir(parents=True, exist_ok=True)
    p = EXPECTED_DIR / name
    p.write_text(json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False) + "\n",
                 encoding="utf-8")
    print("wrote", p)


NOTES = [
    "ANSI mode at the Spark 4 default (spark.sql.ansi.enabled=true, not set by the script; "
    "ansi_enabled: true); session time zone UTC, TZ=UTC.",
    "select = the SQL text of each expression of the streaming query, exactly as passed to "
    "selectExpr; candidate expressions that failed on their own as batch queries are left out of "
    "it and listed in errors (keyed by SQL text).",
    "column_types = DataFrame.dtypes of the result column, i.e. Spark's simpleString "
    "(decimal(p,s), double, bigint, int, tinyint, smallint, float, string, boolean, timestamp). "
    "all_column_types = the analysed type of every candidate, including those in errors.",
    "Decimals are exact plain strings with exactly the column's scale (\"1.50\", "
    "\"0.000000000000000000\", \"-99999999.99\"; never exponent notation). Integers are exact "
    "JSON integers; booleans JSON booleans; doubles / floats JSON numbers (a float as the exact "
    "double of the f32), NaN / Infinity / -Infinity as strings, -0.0 as the string \"-0.0\"; "
    "timestamps microseconds since the epoch (rows_ts_formatted: 'yyyy-MM-dd HH:mm:ss.SSSSSS' "
    "UTC); null as null.",
    "input_rows = the rows as written to input/part-000.json (decimals as the exact JSON number "
    "text written); input_rows_encoded = the same in the output encoding (decimals padded to the "
    "column scale); input_read_back_identical = Spark's JSON reader returned exactly that.",
    "errors[expr] = {error_class, sqlstate, message, message_parameters, query_context, "
    "exception_class, phase (analysis|runtime), type, failing_ids (ids of the rows on which the "
    "expression fails when run row by row), other_rows ([id, value] for every other row)}.",
    "non_ansi = the cast group (CAST_EXPRS) with spark.sql.ansi.enabled=false, as a batch query; "
    "non_ansi_all = every candidate expression with ANSI off (errors = the ones Spark refuses "
    "even then); probes_non_ansi = the probes with ANSI off. Same layout (select, columns, "
    "column_types, rows, errors).",
    "input_bad = batch reads of input_bad/part-000.json with schema " + BAD_SCHEMA + ": "
    "permissive.lines[k] = {line, id, row (all columns incl. _corrupt_record), row_by_column, "
    "corrupt}; dropmalformed = rows kept and df.count(); failfast_error = the error of a FAILFAST "
    "read. input_bad_csv = the same cases as CSV (header id,a,c,b), PERMISSIVE, same layout, "
    "plus fields (the raw CSV field texts) per line.",
    "aggregates.global / aggregates.grouped (by i % 2 AS k, rows sorted by k, null first): ANSI "
    "at default; every aggregate is first run alone (errors recorded), the others together as a "
    "batch query (rows) and as a streaming complete-mode query over input/ (foreachBatch, "
    "availableNow; streaming_complete_rows = the last batch). aggregates.non_ansi = the same with "
    "ANSI off.",
    "aggregates.batches3 / aggregates.batches3_non_ansi: complete-mode aggregate grouped by c "
    "over input_batches/ (maxFilesPerTrigger=1: one file per micro-batch); batches[k].rows = "
    "every group after micro-batch k (sorted by c, null first); error = the query's failure "
    "(ANSI) with its JVM cause chain.",
    "show = the exact text of DataFrame.show() (showString(numRows, truncate, vertical=false)).",
    "analysed.ansi / analysed.non_ansi = {expr: first line of the analysed plan of selectExpr(expr) "
    "over the input (expression ids removed)}: shows the casts type coercion inserts. Analysis "
    "errors as 'ERROR: message'.",
    "decimal_scale_issues = [column, value as pyspark returned it, column scale] for values whose "
    "java.math.BigDecimal reached Python with a scale other than the column's (the value is "
    "exact; the JSON still prints it with the column's scale).",
    "probes = edge cases over literals, each a one-row batch query "
    "(spark.range(1).selectExpr(\"CAST(id AS INT) AS id\").selectExpr(\"id\", expr)): "
    "{expr, type, value, value_ts_formatted, error}. Literal arguments may be constant-folded by "
    "the optimizer.",
]


def main():
    t0 = time.time()
    for d in (INPUT_DIR, INPUT_BATCHES_DIR, INPUT_BAD_DIR, INPUT_BAD_CSV_DIR):
        if d.exists():
            shutil.rmtree(d)
    write_input()
    spark = make_spark()
    try:
        print("Spark version:", spark.version)
        ansi = spark.conf.get("spark.sql.ansi.enabled")
        assert ansi == "true", ansi  # Spark 4 default, not set by this script
        sel = run_select(spark)
        print(f"select done ({time.time() - t0:.0f} s)")
        probes = run_probes(spark)
        bad = read_bad_json(spark)
        bad_csv = read_bad_csv(spark)
        aggs = agg_section(spark)
        aggs["batches3"] = batches3_section(spark)
        print(f"aggregates done ({time.time() - t0:.0f} s)")
        show = show_section(spark, aggs["global"]["select"])
        all_exprs = CANDIDATE_EXPRS[1:] + AGG_EXPRS
        coercion = analysed(spark, all_exprs)
        spark.conf.set("spark.sql.ansi.enabled", "false")
        try:
            non_ansi = run_non_ansi(spark, CAST_EXPRS)
            non_ansi_all = run_non_ansi(spark, CANDIDATE_EXPRS)
            probes_non_ansi = run_probes(spark)
            aggs["non_ansi"] = agg_section(spark)
            aggs["batches3_non_ansi"] = batches3_section(spark)
            coercion_non_ansi = analysed(spark, all_exprs)
        finally:
            spark.conf.unset("spark.sql.ansi.enabled")
        assert spark.conf.get("spark.sql.ansi.enabled") == "true"
        expected_input = expected_rows(ROWS)
        if sel["input_as_read"] != expected_input:
            print("WARNING: input did not read back identically")
            print(json.dumps(sel["input_as_read"], ensure_ascii=False))
        dump("decimals.json", {
            "spark_version": spark.version,
            "ansi_enabled": ansi == "true",
            "session_time_zone": spark.conf.get("spark.sql.session.timeZone"),
            "input_schema": INPUT_SCHEMA,
            "input_rows": [[plain(v) for v in r] for r in ROWS],
            "input_rows_encoded": expected_input,
            "input_read_back_identical": sel["input_as_read"] == expected_input,
            "input_batches_rows": [[[plain(v) for v in r] for r in b] for b in BATCH_ROWS],
            "input_batches_rows_encoded": [expected_rows(b) for b in BATCH_ROWS],
            "query": "spark.readStream.schema(input_schema).json(input).selectExpr(*select), "
                     "trigger availableNow, foreachBatch, append; rows sorted by id; "
                     "spark.sql.ansi.enabled at its Spark 4 default (true)",
            "notes": NOTES,
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
            "input_bad_csv": bad_csv,
            "aggregates": aggs,
            "show": show,
            "probes": probes,
            "probes_non_ansi": probes_non_ansi,
            "analysed": {"ansi": coercion, "non_ansi": coercion_non_ansi},
            "decimal_scale_issues": sorted(set(tuple(x) for x in DECIMAL_SCALE_ISSUES)),
        })
    finally:
        spark.stop()
        shutil.rmtree(WORK, ignore_errors=True)
    print(f"done in {time.time() - t0:.1f} s")


if __name__ == "__main__":
    main()
