"""Reference ("golden") outputs from real Spark for text / hash / number-formatting / zone and
interval SQL functions (regexp_extract, regexp_replace, regexp_like / rlike / regexp,
regexp_count, regexp_substr, split, md5, sha1, sha2, crc32, hash, xxhash64, format_number,
months_between, timestamp +/- intervals, date + interval, make_interval, to_utc_timestamp,
from_utc_timestamp, timestampadd, timestampdiff, date_part) evaluated in a streaming query,
under Spark 4's default ANSI mode.

Usage:  python make_text_functions_golden.py          (pyspark 4.3.0, Java 17)

Regenerates, next to this script:
  input/part-000.json             16 JSON lines, schema `id int, s string, p string, x double,
                                  k int, m bigint, ts timestamp, d date, b boolean` (row 8 all
                                  null except id; unicode, digits/punctuation strings; delimiters;
                                  signed zeros, NaN, +-Infinity, rounding ties; int/long
                                  extremes; month ends, leap day, DST change days; ...). ts is
                                  written as ISO-8601 "yyyy-MM-ddTHH:mm:ss[.ffffff]Z", d as
                                  "yyyy-MM-dd", both parsed by Spark's JSON reader with the schema.
  expected/text_functions.json    select rows (by id), column types, errors, probes

Query: spark.readStream.schema(S).json(input).selectExpr(*select), trigger(availableNow=True),
foreachBatch, append mode; rows collected, sorted by id. ANSI is left at the Spark 4 default
(spark.sql.ansi.enabled=true), recorded as ansi_enabled.

Every candidate expression is first tried on its own as a *batch* query over the same file
(selectExpr("id", e).collect()), which catches analysis errors and ANSI runtime errors (e.g. an
array index out of range on some rows). An expression that fails is left out of the streaming
query and recorded in "errors" (error class, SQLSTATE, message, message parameters, query
context, the analysed type, the ids of the rows that fail when the expression is run row by
row, and [id, value] of the other rows from those per-row runs). Extra edge cases over literals
(PROBE_EXPRS: hashes of -0.0 / NaN / '' / small int types / decimal, format_number ties,
regexp_replace replacement-string corner cases, ...) are evaluated as one-row batch queries and
recorded under "probes"; they are not part of the streaming query. Probe values may also be
arrays (JSON lists) or decimals (exact strings such as "1.500000"). As a cross-check the
streaming select is also run as a batch query on the same file.

Value encoding in the JSON: strings as strings, ints/longs as exact JSON integers, booleans as
JSON booleans, doubles as JSON numbers except NaN / Infinity / -Infinity -> the strings "NaN",
"Infinity", "-Infinity" and negative zero -> the string "-0.0"; null as null. Timestamps: in
"rows" as the exact number of microseconds since 1970-01-01 00:00:00 UTC (unix_micros on the
Spark side, spark_golden.collect_encoded), and in "rows_ts_formatted" as
"yyyy-MM-dd HH:mm:ss.SSSSSS" UTC strings formatted here from those micros. Dates: "yyyy-MM-dd"
strings in both.

Spark setup: local[2], loopback only, 4 shuffle partitions, AQE off, UI off, session time zone
UTC, TZ=UTC, ANSI at its Spark 4 default. Checkpoints live in a temporary directory that is
deleted at the end.
"""
import datetime as _dt
import decimal as _decimal
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
from spark_golden import out_name, fmt_date, fmt_ts, plain, encodable  # noqa: E402

HERE = Path(__file__).resolve().parent
INPUT_DIR = HERE / "input"
EXPECTED_DIR = HERE / "expected"
MTIME_BASE = 1704067200  # 2024-01-01 00:00:00 UTC, fixed => reproducible

WORK = Path(tempfile.mkdtemp(prefix="rill-text-functions-"))

INPUT_SCHEMA = ("id int, s string, p string, x double, k int, m bigint, ts timestamp, "
                "d date, b boolean")
INPUT_COLUMNS = ["id", "s", "p", "x", "k", "m", "ts", "d", "b"]
INT_MAX = 2147483647
INT_MIN = -2147483648
LONG_MAX = 9223372036854775807
LONG_MIN = -9223372036854775808
NAN = float("nan")
INF = float("inf")

# (id, s, p, x, k, m, ts, d, b)
# k = INT_MAX sits on a row whose x is null: format_number(x, k) would otherwise build a
# 2^31-character pattern (it is not evaluated when x is null).
ROWS = [
    (1, "order-123-abc", "-", 1234567.891, 2, 1234567890123,
     "2024-01-31T23:59:59Z", "2024-01-31", True),
    (2, "a1b22c333", ",", 0.125, 2, 0,
     "2024-02-29T12:34:56.789Z", "2024-02-29", False),
    (3, "  spaced  out ", ".", 0.135, 2, -42,
     "2024-02-29T00:00:00Z", "2024-02-29", True),
    (4, "foo@bar.com", ".", 1.5, 0, LONG_MAX,
     "2024-03-31T10:00:00Z", "2024-03-31", None),
    (5, "x.y.z", ".", -2.5, 0, LONG_MIN,
     "2024-04-30T00:00:00Z", "2024-04-30", False),
    (6, "a,b,,c", ",", 0.0, 3, -42,
     "1969-12-31T23:59:59.999999Z", "1969-12-31", True),
    (7, "$100 \\ back", "-", -0.0, -1, 0,
     "2026-03-29T01:30:00Z", "1970-01-01", False),
    (8, None, None, None, None, None, None, None, None),
    (9, "", ",", 1e20, 3, 1234567890123,
     "2026-11-01T06:30:00Z", "2023-12-31", True),
    (10, "Élodie", ".", -1e-7, 100, LONG_MAX,
     "2026-03-29T02:30:00Z", "2024-02-29", False),
    (11, "日本語", ",", 123456789012.345, -1, LONG_MIN,
     "2026-10-25T02:30:00Z", "2024-01-31", True),
    (12, "straße", "-", NAN, 2, 0,
     "2024-03-30T12:00:00Z", "2023-02-28", None),
    (13, "😀x", None, INF, INT_MIN, -42,
     "2023-12-31T00:00:00Z", "2024-03-01", True),
    (14, "Hello World 42", ".", None, INT_MAX, 1234567890123,
     "2026-11-01T01:30:00Z", "2023-12-31", False),
    (15, "1,2.3-4,", ",", 2.675, 0, None,
     "2024-01-01T00:00:00Z", "1970-01-01", True),
    (16, "\u00a0nbsp-7\t", "-", -INF, 100, -42,
     "2024-01-30T00:00:00Z", None, False),
]

# The SQL text Spark sees is exactly the value of each string (raw strings: `\\d` in the SQL
# text is a backslash-escaped backslash inside a SQL string literal => the regex `\d`).
CANDIDATE_EXPRS = [
    "id",
    # --- regexes (java.util.regex) ---
    r"regexp_extract(s, '([a-z]+)-(\\d+)', 1) AS rx_word",
    r"regexp_extract(s, '([a-z]+)-(\\d+)', 2) AS rx_num",
    r"regexp_extract(s, '(\\d+)', 0) AS rx_digits0",
    r"regexp_extract(s, '[a-z]+(x)?', 1) AS rx_optional_group",
    r"regexp_replace(s, '\\d+', '#') AS rr_digits",
    r"regexp_replace(s, '([a-z])(\\d)', '$2$1') AS rr_swap",
    r"regexp_replace(s, '', '-') AS rr_empty_pattern",
    r"regexp_replace(s, '^\\s+|\\s+$', '') AS rr_trim",
    r"regexp_replace(s, '(\\w+)@(\\w+)', '$2 at $1') AS rr_groups",
    r"regexp_replace(s, 'a', '\\$') AS rr_escaped_dollar",
    r"regexp_replace(s, p, '_') AS rr_col_pattern",
    r"regexp_like(s, '^[a-z]') AS rl_lower_start",
    r"s rlike '\\d{3}' AS rlike_3digits",
    r"s regexp '^$' AS regexp_empty",
    r"regexp_like(s, '(?i)^É') AS rl_ci_e_acute",
    r"regexp_count(s, '\\d') AS rc_digits",
    r"regexp_substr(s, '\\d+') AS rsub_digits",
    r"split(s, ',')[1] AS split_comma_1",
    r"split(s, '[,.]')[0] AS split_class_0",
    r"split(s, ',', 2)[1] AS split_limit2_1",
    r"size(split(s, ',')) AS split_comma_size",
    r"split(s, '')[0] AS split_empty_0",
    r"try_element_at(split(s, ','), 2) AS split_try_2",
    r"element_at(split(s, ','), -1) AS split_last",
    r"size(split(s, p)) AS split_col_size",
    # --- hashes ---
    "md5(s) AS md5_s",
    "sha1(s) AS sha1_s",
    "sha2(s, 256) AS sha256_s",
    "sha2(s, 224) AS sha224_s",
    "sha2(s, 384) AS sha384_s",
    "sha2(s, 512) AS sha512_s",
    "sha2(s, 0) AS sha2_0_s",
    "sha2(s, 1) AS sha2_1_s",
    "crc32(s) AS crc32_s",
    "hash(s) AS hash_s",
    "hash(k) AS hash_k",
    "hash(m) AS hash_m",
    "hash(x) AS hash_x",
    "hash(b) AS hash_b",
    "hash(ts) AS hash_ts",
    "hash(d) AS hash_d",
    "hash(s, k, m) AS hash_skm",
    "hash(k, s) AS hash_ks",
    "xxhash64(s) AS xx_s",
    "xxhash64(k) AS xx_k",
    "xxhash64(m) AS xx_m",
    "xxhash64(x) AS xx_x",
    "xxhash64(b) AS xx_b",
    "xxhash64(ts) AS xx_ts",
    "xxhash64(d) AS xx_d",
    "xxhash64(s, k, m) AS xx_skm",
    # --- format_number ---
    "format_number(x, 2) AS fn_x2",
    "format_number(x, 0) AS fn_x0",
    "format_number(x, 4) AS fn_x4",
    "format_number(k, 2) AS fn_k2",
    "format_number(m, 0) AS fn_m0",
    "format_number(x, -1) AS fn_x_neg",
    "format_number(x, k) AS fn_x_k",
    "format_number(x, '#,##0.0') AS fn_x_pat",
    "format_number(m, '0000') AS fn_m_pat",
    # --- months_between, intervals, zones ---
    "months_between(ts, TIMESTAMP'2024-01-31 00:00:00') AS mb_ts",
    "months_between(ts, TIMESTAMP'2024-01-31 00:00:00', false) AS mb_ts_noround",
    "months_between(d, DATE'2024-01-31') AS mb_d",
    "months_between(ts, d) AS mb_ts_d",
    "ts + INTERVAL 30 MINUTES AS ts_plus_30m",
    "ts - INTERVAL '1 02:03:04.5' DAY TO SECOND AS ts_minus_dts",
    "ts + INTERVAL 1 MONTH AS ts_plus_1mo",
    "ts + INTERVAL '1-2' YEAR TO MONTH AS ts_plus_1y2m",
    "d + INTERVAL 1 DAY AS d_plus_1d",
    "d + INTERVAL 3 HOURS AS d_plus_3h",
    "d + INTERVAL 1 MONTH AS d_plus_1mo",
    "ts + make_interval(0, 1, 0, 1, 2, 0, 0) AS ts_plus_mi",
    "to_utc_timestamp(ts, 'Europe/Berlin') AS to_utc_berlin",
    "from_utc_timestamp(ts, 'Europe/Berlin') AS from_utc_berlin",
    "from_utc_timestamp(ts, 'America/New_York') AS from_utc_ny",
    "to_utc_timestamp(ts, 'Asia/Kolkata') AS to_utc_kolkata",
    "from_utc_timestamp(ts, '+05:30') AS from_utc_p0530",
    "from_utc_timestamp(ts, 'UTC') AS from_utc_utc",
    "timestampadd(MINUTE, k, ts) AS tsadd_min_k",
    "timestampdiff(SECOND, TIMESTAMP'2024-01-01 00:00:00', ts) AS tsdiff_sec",
    "date_part('HOUR', ts) AS date_part_hour",
]

# Edge cases over literals, not in the select list; one-row batch queries, under "probes".
PROBE_EXPRS = [
    # hashes
    "hash(CAST(-0.0 AS DOUBLE)) AS hash_neg_zero",
    "hash(CAST(0.0 AS DOUBLE)) AS hash_zero",
    "xxhash64(CAST(-0.0 AS DOUBLE)) AS xx_neg_zero",
    "xxhash64(CAST(0.0 AS DOUBLE)) AS xx_zero",
    "hash(CAST('NaN' AS DOUBLE)) AS hash_nan",
    "hash('') AS hash_empty",
    "xxhash64('') AS xx_empty",
    "md5('') AS md5_empty",
    "hash(CAST(1 AS TINYINT)) AS hash_tinyint_1",
    "hash(CAST(1 AS SMALLINT)) AS hash_smallint_1",
    "hash(1) AS hash_int_1",
    "hash(CAST(1 AS BIGINT)) AS hash_bigint_1",
    "hash(CAST(1 AS FLOAT)) AS hash_float_1",
    "hash(CAST(1 AS DOUBLE)) AS hash_double_1",
    "hash(CAST(-0.0 AS FLOAT)) AS hash_float_neg_zero",
    "hash(CAST(1.5 AS DECIMAL(10,2))) AS hash_dec_10_2",
    "hash(CAST(1.5 AS DECIMAL(38,2))) AS hash_dec_38_2",
    "hash(true) AS hash_true",
    "hash(NULL) AS hash_null",
    "hash(CAST(NULL AS INT), 1) AS hash_null_then_1",
    "xxhash64(CAST(1 AS TINYINT)) AS xx_tinyint_1",
    "xxhash64(1) AS xx_int_1",
    "xxhash64(CAST(1 AS FLOAT)) AS xx_float_1",
    "xxhash64(CAST(1.5 AS DECIMAL(10,2))) AS xx_dec_10_2",
    "hash(X'') AS hash_empty_binary",
    "crc32('') AS crc32_empty",
    "sha2('abc', 123) AS sha2_bad_bits",
    # format_number rounding and specials
    "format_number(2.675D, 2) AS fn_2_675",
    "format_number(1.115D, 2) AS fn_1_115",
    "format_number(0.125D, 2) AS fn_0_125",
    "format_number(0.375D, 2) AS fn_0_375",
    "format_number(2.5D, 0) AS fn_2_5",
    "format_number(3.5D, 0) AS fn_3_5",
    "format_number(-0.5D, 0) AS fn_neg_0_5",
    "format_number(CAST(2.675 AS DECIMAL(10,3)), 2) AS fn_dec_2_675",
    "format_number(CAST(2.665 AS DECIMAL(10,3)), 2) AS fn_dec_2_665",
    "format_number(CAST(0.125 AS FLOAT), 2) AS fn_float_0_125",
    "format_number(CAST(2.675 AS FLOAT), 2) AS fn_float_2_675",
    "format_number(CAST('NaN' AS DOUBLE), 2) AS fn_nan",
    "format_number(CAST('-Infinity' AS DOUBLE), 2) AS fn_neg_inf",
    "format_number(1e300D, 0) AS fn_1e300",
    "format_number(0.1D, 20) AS fn_0_1_20",
    "format_number(12345.6789D, '') AS fn_empty_pat",
    "format_number(12345.6789D, '#.##') AS fn_pat_no_group",
    "format_number(-1234.5D, '#,##0.00;(#,##0.00)') AS fn_pat_neg_sub",
    "format_number(1234.5D, '0.00E0') AS fn_pat_sci",
    "format_number(1234, 'abc') AS fn_pat_literal_text",
    "format_number(CAST(1 AS TINYINT), 1) AS fn_tinyint",
    "format_number(CAST(1234.5 AS DECIMAL(10,1)), 3) AS fn_decimal",
    # regexp_replace replacement strings and regex corner cases
    r"regexp_replace('abc', 'b', '$0$0') AS rr_group0",
    r"regexp_replace('abc', '(?<n>b)', '[${n}]') AS rr_named",
    # `${n}` inside SQL text is eaten by Spark's variable substitution (spark.sql.variable.substitute
    # = true): the replacement becomes '[]'. Built by concatenation, Java's ${name} works.
    r"regexp_replace('abc', '(?<n>b)', '[$' || '{n}]') AS rr_named_concat",
    r"regexp_replace('abc', '(b)', '$11') AS rr_dollar_11",
    r"regexp_replace('abc', 'b', '$1') AS rr_missing_group",
    r"regexp_replace('abc', 'b', '$x') AS rr_dollar_letter",
    r"regexp_replace('abc', 'b', 'x\\') AS rr_trailing_backslash",
    r"regexp_replace('abc', 'b', '\\\\') AS rr_backslash",
    r"regexp_replace('abc', 'b', '\\n') AS rr_backslash_n",
    r"regexp_replace('aaa', 'a*', 'X') AS rr_star_empty_matches",
    r"regexp_replace('abcabc', 'b', 'X', 3) AS rr_position_3",
    r"regexp_replace('abc', '[', 'x') AS rr_bad_regex",
    r"regexp_extract('abc', '(b)', 2) AS rx_group_out_of_range",
    r"regexp_extract('abc', 'z(b)', 1) AS rx_no_match",
    r"regexp_extract('abc', 'b', 0) AS rx_no_groups_0",
    r"regexp_extract('abc', '(b)') AS rx_default_idx",
    r"regexp_extract('ÉCOLE', '(?i)é(c)', 1) AS rx_ci_unicode",
    r"regexp_like('É', '(?i)é') AS rl_ci_unicode",
    r"regexp_like('ÿ', '\\w') AS rl_w_unicode",
    r"regexp_like('abc', 'b') AS rl_find_not_match",
    r"regexp_like('a\nb', '^b') AS rl_multiline",
    r"regexp_like('a\nb', 'a.b') AS rl_dotall",
    r"regexp_count('aaa', 'a*') AS rc_empty_matches",
    r"regexp_count('abc', '') AS rc_empty_pattern",
    r"regexp_substr('abc', 'z') AS rsub_no_match",
    r"regexp_substr('abc', '') AS rsub_empty_pattern",
    r"split('a,b,,c,,', ',') AS split_trailing_empties",
    r"split('a,b,c', ',', 0) AS split_limit_0",
    r"split('a,b,c', ',', -1) AS split_limit_neg",
    r"split('a,,', ',', 0) AS split_limit_0_trailing",
    r"split('a,b,,', ',', 2) AS split_limit_2_rest",
    r"split('a,b,c', ',', 1) AS split_limit_1",
    r"split('abc', '') AS split_empty_regex",
    r"split('😀x', '') AS split_empty_regex_emoji",
    r"split('', ',') AS split_empty_string",
    r"split('', '') AS split_empty_both",
    r"split(',a', ',') AS split_leading_delim",
    r"regexp_replace('😀x', '', '-') AS rr_empty_emoji",
    r"regexp_replace('x😀', '.', '-') AS rr_dot_emoji",
    r"regexp_count('😀😀', '.') AS rc_dot_emoji",
    # months_between
    "months_between(TIMESTAMP'2024-03-31 10:00:00', TIMESTAMP'2024-02-29 00:00:00') AS mb_both_eom",
    "months_between(TIMESTAMP'2024-03-30 10:00:00', TIMESTAMP'2024-02-29 00:00:00') AS mb_one_eom",
    "months_between(DATE'2024-03-15', DATE'2024-02-15') AS mb_same_day",
    "months_between(TIMESTAMP'2024-03-15 12:00:00', TIMESTAMP'2024-02-15 00:00:00') AS mb_same_day_time",
    "months_between(DATE'2024-01-01', DATE'2024-03-01') AS mb_negative",
    "months_between(TIMESTAMP'2024-01-01 00:00:00', TIMESTAMP'2023-12-31 23:59:59.999999') AS mb_one_micro",
    "months_between(DATE'2024-02-28', DATE'2024-01-31') AS mb_feb28_jan31",
    "months_between(DATE'2023-02-28', DATE'2023-01-31') AS mb_feb28_eom_jan31",
    "months_between(DATE'2024-01-31', DATE'2024-01-01') AS mb_30_over_31",
    "months_between(TIMESTAMP'2024-03-16 00:00:00.999999', TIMESTAMP'2024-02-15 00:00:00', false) AS mb_subsecond",
    "months_between(TIMESTAMP'2024-03-16 00:00:01', TIMESTAMP'2024-02-15 00:00:00', false) AS mb_one_second",
    "months_between(TIMESTAMP'2024-02-15 00:00:00', TIMESTAMP'2024-03-16 00:00:00.999999', false) AS mb_subsecond_neg",
    "months_between(DATE'2024-03-01', DATE'2024-02-26') AS mb_short_gap",
    "months_between(TIMESTAMP'2024-01-01 00:00:00', TIMESTAMP'2023-12-31 23:59:59', false) AS mb_one_second_noround",
    # intervals and zone conversion corner cases
    "DATE'2024-01-31' + INTERVAL 1 MONTH AS d_jan31_plus_1mo",
    "DATE'2024-02-29' + INTERVAL '1-0' YEAR TO MONTH AS d_leap_plus_1y",
    "DATE'2024-02-29' - INTERVAL 1 DAY AS d_minus_1d",
    "DATE'2024-02-29' + INTERVAL '1 12' DAY TO HOUR AS d_plus_1d12h",
    "DATE'2024-02-29' + INTERVAL 36 HOURS AS d_plus_36h",
    "DATE'2024-02-29' + make_interval(0, 0, 0, 1, 0, 0, 0) AS d_plus_mi_1day",
    "DATE'2024-02-29' + make_interval(0, 1, 0, 0, 0, 0, 0) AS d_plus_mi_1month",
    "DATE'2024-02-29' + make_interval(0, 0, 0, 0, 1, 0, 0) AS d_plus_mi_1hour",
    "date_add(DATE'2024-02-29', 1) AS date_add_1",
    "TIMESTAMP'2024-01-31 10:00:00' + INTERVAL 1 MONTH AS ts_jan31_plus_1mo",
    "TIMESTAMP'2024-03-31 10:00:00' - INTERVAL 1 MONTH AS ts_mar31_minus_1mo",
    "TIMESTAMP'2024-01-31 10:00:00' + make_interval(0, 1, 0, 1, 0, 0, 0) AS ts_mi_month_then_day",
    "TIMESTAMP'2024-01-30 10:00:00' + make_interval(0, 1, 0, 1, 0, 0, 0) AS ts_mi_jan30",
    "TIMESTAMP'2024-01-01 00:00:00' + INTERVAL 1.5 SECONDS AS ts_plus_1_5s",
    "timestampadd(MONTH, 1, TIMESTAMP'2024-01-31 10:00:00') AS tsadd_month_eom",
    "timestampadd(DAY, 1, DATE'2024-02-29') AS tsadd_day_on_date",
    "timestampdiff(MONTH, TIMESTAMP'2024-01-31 00:00:00', TIMESTAMP'2024-02-29 00:00:00') AS tsdiff_month_eom",
    "timestampdiff(SECOND, TIMESTAMP'2024-01-01 00:00:01', TIMESTAMP'2024-01-01 00:00:00.5') AS tsdiff_sec_trunc",
    "timestampdiff(DAY, TIMESTAMP'2024-01-01 12:00:00', TIMESTAMP'2024-01-02 11:59:59') AS tsdiff_day_trunc",
    "to_utc_timestamp(TIMESTAMP'2026-03-29 02:30:00', 'Europe/Berlin') AS to_utc_gap",
    "to_utc_timestamp(TIMESTAMP'2026-10-25 02:30:00', 'Europe/Berlin') AS to_utc_overlap",
    "to_utc_timestamp(TIMESTAMP'2026-03-08 02:30:00', 'America/New_York') AS to_utc_ny_gap",
    "to_utc_timestamp(TIMESTAMP'2026-11-01 01:30:00', 'America/New_York') AS to_utc_ny_overlap",
    "from_utc_timestamp(TIMESTAMP'2026-10-25 00:30:00', 'Europe/Berlin') AS from_utc_before_fall",
    "from_utc_timestamp(TIMESTAMP'2026-10-25 01:30:00', 'Europe/Berlin') AS from_utc_after_fall",
    "from_utc_timestamp(TIMESTAMP'2024-06-01 00:00:00', 'CET') AS from_utc_cet",
    "from_utc_timestamp(TIMESTAMP'2024-06-01 00:00:00', 'PST') AS from_utc_pst",
    "from_utc_timestamp(TIMESTAMP'2024-06-01 00:00:00', 'GMT+1') AS from_utc_gmt_plus1",
    "from_utc_timestamp(TIMESTAMP'2024-06-01 00:00:00', 'UTC+01:00') AS from_utc_utc_plus",
    "from_utc_timestamp(TIMESTAMP'2024-06-01 00:00:00', 'Z') AS from_utc_z",
    "from_utc_timestamp(TIMESTAMP'2024-06-01 00:00:00', 'Mars/Olympus') AS from_utc_bad_zone",
    "from_utc_timestamp(TIMESTAMP'2024-06-01 00:00:00', CAST(NULL AS STRING)) AS from_utc_null_zone",
    "from_utc_timestamp(DATE'2024-06-01', 'Europe/Berlin') AS from_utc_on_date",
    "from_utc_timestamp('2024-06-01 00:00:00', 'Europe/Berlin') AS from_utc_on_string",
    "date_part('HOUR', DATE'2024-06-01') AS date_part_hour_date",
    "date_part('SECOND', TIMESTAMP'2024-06-01 00:00:01.5') AS date_part_second",
]


def make_spark():
    spark = (
        SparkSession.builder
        .master("local[2]")
        .appName("rill-text-functions-golden")
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
def plain_ext(v):
    """spark_golden.plain, plus arrays (JSON lists, elements encoded the same way) and decimals
    (exact strings, e.g. "1.500000"); only probes produce those."""
    if isinstance(v, list):
        return [plain_ext(x) for x in v]
    if isinstance(v, _decimal.Decimal):
        return str(v)
    return plain(v)


def collect_encoded(df):
    """spark_golden.collect_encoded (timestamps -> micros, dates -> 'yyyy-MM-dd', doubles per
    plain()), extended with plain_ext for array / decimal probe values."""
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
    # JVM exception class: tells a Spark error-class error apart from a bare Java exception.
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
    """'yyyy-MM-ddTHH:mm:ss[.f...]Z' -> micros since the epoch (exact, integer arithmetic)."""
    if s is None:
        return None
    assert s.endswith("Z"), s
    body = s[:-1]
    frac = 0
    if "." in body:
        body, f = body.split(".")
        frac = int(f.ljust(6, "0"))
    t = _dt.datetime.strptime(body, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=_dt.timezone.utc)
    delta = t - _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + frac


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
    except Exception as exc:  # noqa: BLE001  (runtime error, e.g. ANSI index out of range)
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
        if sel["input_as_read"] != expected_input:
            print("WARNING: input did not read back identically")
            print(json.dumps(sel["input_as_read"], ensure_ascii=False))
        dump("text_functions.json", {
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
                "passed to selectExpr (a `\\\\` inside a SQL string literal is one backslash, "
                "so '\\\\d+' is the Java regex \\d+); candidate expressions that failed on "
                "their own as batch queries are left out of it and listed in errors (keyed by "
                "SQL text).",
                "column_types = DataFrame.dtypes of the result column.",
                "Doubles: NaN / Infinity / -Infinity are written as the strings \"NaN\", "
                "\"Infinity\", \"-Infinity\"; negative zero as the string \"-0.0\". "
                "Ints/longs are exact JSON integers; booleans JSON booleans.",
                "TIMESTAMP ENCODING: in rows, every timestamp-typed value is an exact JSON "
                "integer = microseconds since 1970-01-01 00:00:00 UTC (unix_micros on the Spark "
                "side inside foreachBatch). rows_ts_formatted is the same table with those "
                "integers formatted as 'yyyy-MM-dd HH:mm:ss.SSSSSS' (UTC, proleptic Gregorian).",
                "DATE ENCODING: date-typed values are 'yyyy-MM-dd' strings in rows and "
                "rows_ts_formatted.",
                "input_rows = the rows as written to input/part-000.json (ts as ISO-8601 UTC "
                "strings, d as strings, NaN/Infinity/-0.0 per the double encoding). "
                "input_rows_encoded = the same in the output encoding (ts as micros); "
                "input_read_back_identical = Spark's JSON reader returned exactly that.",
                "errors[expr] = {error_class, sqlstate, message, message_parameters, "
                "query_context, exception_class, phase (analysis|runtime), type (analysed "
                "result type, runtime errors only), failing_ids (ids of the rows on which the "
                "expression fails when run row by row, as a batch query filtered on id), "
                "other_rows ([id, value] for every other row, same value encoding, from those "
                "per-row batch queries; not part of the streaming output)}.",
                "probes = extra edge cases over literals, each run as a one-row batch query "
                "(spark.range(1).selectExpr(\"id\", expr)): {expr, type, value (same "
                "encoding; arrays as JSON lists, decimals as exact strings), value_ts_formatted "
                "(timestamps only), error (same shape as "
                "errors[expr] with failing_ids [0] and other_rows [], or null)}. Literal "
                "arguments may be constant-folded by the optimizer.",
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
