"""Reference ("golden") outputs from real Spark for the JSON functions in Structured Streaming:
from_json (PERMISSIVE, with a corrupt-record field, FAILFAST, other schemas), to_json (structs,
arrays, maps, scalars), get_json_object (many paths) and json_tuple, over a payload column of
JSON text in many shapes (valid, partial, wrong-typed, malformed, not an object, ...).

Usage:  SPARK_LOCAL_IP=127.0.0.1 TZ=UTC python make_json_functions_golden.py
        (pyspark 4.3.0, Java 17)

Regenerates, next to this script (everything: the input too; two runs are byte-identical):
  input/payloads/part-000.json   1 file, one micro-batch, schema PAYLOADS_SCHEMA below
  expected/<name>.json           see README.md

Every query: spark.readStream.schema(S).option("maxFilesPerTrigger", 1).json(dir) -> query ->
writeStream.outputMode("append").trigger(availableNow=True).foreachBatch(fn), a fresh
checkpoint per query (temp dir, deleted at the end). The query text stored in "spark" is
exactly the string that is eval'ed (with the source DataFrame bound to `payloads`). Each
batch's rows are encoded (see `enc`) and sorted by json.dumps(row, sort_keys=True).

Spark setup: local[1], loopback only, 1 shuffle partition, AQE off, UI off, session time zone
UTC, TZ=UTC, ANSI at its default (on).
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

import pyspark  # noqa: E402
from pyspark.logger import PySparkLogger  # noqa: E402
from pyspark.sql import Row, SparkSession  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

# pyspark logs captured SQL errors (with JVM stack traces) through these loggers; the expected
# errors are recorded, so keep stderr quiet.
for _logger in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
    PySparkLogger.getLogger(_logger).setLevel(logging.CRITICAL + 1)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from spark_golden import encode_nested as enc  # noqa: E402
from spark_golden import golden_dumps as dumps  # noqa: E402
from spark_golden import (  # noqa: E402
    encode_repr, first_line, java_error_text, local_spark, row_key, set_mtimes,
)
from spark_golden import scrub as shared_scrub  # noqa: E402

HERE = Path(__file__).resolve().parent
INPUT_DIR = HERE / "input"
EXPECTED_DIR = HERE / "expected"
WORK = Path(tempfile.mkdtemp(prefix="rill-json-functions-"))

PAYLOADS_SCHEMA = ("id int, payload string, device struct<os:string,version:int>, "
                   "tags array<string>, properties map<string,string>, score double, "
                   "ts timestamp, day date, amount decimal(10,2), flag boolean")
COLUMNS = ["id", "payload", "device", "tags", "properties", "score", "ts", "day", "amount",
           "flag"]

NAN, INF = float("nan"), float("inf")
UNI = 'say "hi" \\ back\tslash\n\u0001 café 日本 😀'  # quotes, backslash, \t, \n, \u0001, non-BMP

# ---------------------------------------------------------------------------
# input: one row per case; `payload` is JSON *text* (a Python str written as a JSON string).
# (id, payload, device, tags, properties, score, ts, day, amount, flag)
# ---------------------------------------------------------------------------
ROWS = [
    (1, '{"os":"ios","version":17}',
     {"os": "ios", "version": 17}, ["a", "b"], {"k": "v"},
     1.0, "2024-02-29 13:45:10.123456", "2024-02-29", 12.5, True),
    (2, '{"os":"android","version":14,"model":"pixel","extra":{"x":[1,2]}}',   # extra members
     {"os": "android", "version": 14}, [], {},
     0.1, "2024-01-01 00:00:00", "1970-01-01", 0, False),
    (3, '{"os":"linux"}',                                                    # missing member
     {"os": "linux"}, ["a", None], {"k": None},
     -2.5, "2024-01-01 00:00:00.1", "1969-12-31", -0.01, None),
    (4, '{"os":"ios","version":"x"}',                                        # wrong type
     None, None, None,
     1e20, "2024-01-01 00:00:00.120", "0001-01-01", 99999999.99, True),
    (5, '{"os":"ios","version":17.5}',                                       # float for an int
     {"os": None, "version": None}, [None], {"a": "1", "b": None, "c": "3"},
     1e-7, "1969-12-31 23:59:59.999999", "9999-12-31", -99999999.99, False),
    (6, '{"os":"ios","version":null}',
     {"os": UNI, "version": -1}, [UNI, "\t", "\n", "\u0001"], {UNI: UNI},
     1e7, "1900-01-01 00:00:00", None, None, None),
    (7, '{}',
     {"os": "", "version": 0}, [""], {"": ""},
     9999999.0, "2024-06-30 23:59:59.000999", "2024-06-30", 100, True),
    (8, 'null',                                                              # JSON null as text
     {"version": 2147483647}, ["x"], {"b": "2", "a": "1"},
     123456789.012, None, "2000-01-01", 1.5, False),
    (9, '',                                                                  # empty string
     {"os": "ios", "version": -2147483648}, ["\u007f", "\u2028", "</tag>", "a/b"],
     {"k\"q": "v\\w"},
     NAN, "1970-01-01 00:00:00", "1970-01-01", 0.1, True),
    (10, '   ',                                                              # whitespace
     None, ["a", "b", None, "d"], {"n": None},
     INF, "2038-01-19 03:14:08", "2038-01-19", -0.5, None),
    (11, 'abc',                                                              # not JSON
     {"os": "windows", "version": 11}, None, {},
     -INF, "2024-02-29 13:45:10.5", "2024-02-29", 7, False),
    (12, '{"os":"ios"',                                                      # truncated
     {"os": "\u0000nul\u001f", "version": 1}, ["\u0000", "\u001f", "\b\f\r"], {"\r": "\u0000"},
     -0.0, "2024-02-29 13:45:10.000001", "2024-02-29", -0.0, True),
    (13, '[1,2]',                                                            # top-level array
     {"os": "ios", "version": 17}, [], None,
     0.0, "2024-02-29 13:45:10.100000", "2024-02-29", 12.34, True),
    (14, '"x"',                                                              # top-level string
     {"os": "ios"}, ["a"], {"k": "v"},
     None, "2024-02-29 13:45:10.120000", "2024-02-29", None, None),
    (15, '{"a":{"b":{"c":1}}}',                                              # nested objects
     {"os": "ios", "version": 1}, ["a"], {"k": "v"},
     0.001, "2024-02-29 13:45:10.123000", "2024-02-29", 1, True),
    (16, '{"tags":["a","b",null]}',                                          # an array member
     {"os": "ios", "version": 1}, ["a"], {"k": "v"},
     1e-4, "2024-02-29 13:45:10.999999", "2024-02-29", 2, True),
    (17, '{"os":"caf\\u00e9 \\"q\\" \\\\ /"}',                              # escapes in JSON
     {"os": "ios", "version": 1}, ["a"], {"k": "v"},
     3.141592653589793, "0001-01-01 00:00:00", "0001-01-01", 3, True),
    (18, '{"os":1.50,"version":1e3,"a":{"b":-0.0}}',                         # odd numbers
     {"os": "ios", "version": 1}, ["a"], {"k": "v"},
     9007199254740993.0, "2024-02-29 13:45:10", "2024-02-29", 4, True),
    (19, '{"os":"big","version":12345678901234567890,"a":{"b":12345678901234567890}}',
     {"os": "ios", "version": 1}, ["a"], {"k": "v"},
     1.7976931348623157e308, "2024-02-29 13:45:10", "2024-02-29", 5, True),
    (20, '{"os":"a","os":"b","version":1,"version":2}',                      # duplicate keys
     {"os": "ios", "version": 1}, ["a"], {"k": "v"},
     5e-324, "2024-02-29 13:45:10", "2024-02-29", 6, True),
    (21, None,                                                               # null payload
     None, None, None,
     None, None, None, None, None),
    (22, '[{"os":"x","version":1},{"os":"y"}]',                              # array of objects
     {"os": "ios", "version": 1}, ["a"], {"k": "v"},
     100.0, "2024-02-29 13:45:10", "2024-02-29", 8, True),
    (23, ' { "os" : "ios" ,  "version" : 17 , "a" : { "b" : [ 1 , 2.0 , "s" , true , null ] } } ',
     {"os": "ios", "version": 1}, ["a"], {"k": "v"},
     1e21, "2024-02-29 13:45:10", "2024-02-29", 9, True),
    (24, '{"OS":"upper","Version":1}',                                       # case of names
     {"os": "ios", "version": 1}, ["a"], {"k": "v"},
     1e22, "2024-02-29 13:45:10", "2024-02-29", 10, True),
    (25, '{"os":"ios","version":17} trailing',                               # trailing garbage
     {"os": "ios", "version": 1}, ["a"], {"k": "v"},
     0.5, "2024-02-29 13:45:10", "2024-02-29", 11, True),
    (26, '{"os":true,"version":"17"}',                      # bool for a string, "17" for an int
     {"os": "ios", "version": 1}, ["a"], {"k": "v"},
     -1e-10, "2024-02-29 13:45:10", "2024-02-29", 12, True),
    (27, '{"tags":[],"a":{"b":[]},"os":{"x":1},"version":[1]}',   # object/array for scalars
     {"os": "ios", "version": 1}, ["a"], {"k": "v"},
     12345.678, "2024-02-29 13:45:10", "2024-02-29", 13, True),
    (28, '{"os":"\\u0000ctl\\t\\n","version":2147483648}',          # escaped controls, overflow
     {"os": "ios", "version": 1}, ["a"], {"k": "v"},
     -123.0, "2024-02-29 13:45:10", "2024-02-29", 14, True),
    (29, '{"a":{"b":{"c":[1,{"d":2}]}},"tags":[["x"],{"y":1},"z"]}',         # deeper nesting
     {"os": "ios", "version": 1}, ["a"], {"k": "v"},
     2.5e-5, "2024-02-29 13:45:10", "2024-02-29", 15, True),
    (30, "{'os':'ios','version':17}",                                        # single quotes
     {"os": "ios", "version": 1}, ["a"], {"k": "v"},
     6.02214076e23, "2024-02-29 13:45:10", "2024-02-29", 16, True),
    (31, '{os:"ios",version:17}',                                            # unquoted names
     {"os": "ios", "version": 1}, ["a"], {"k": "v"},
     1.5e-300, "2024-02-29 13:45:10", "2024-02-29", 17, True),
    (32, '{"os":"ios","version":17}{"os":"x"}',                              # two objects
     {"os": "ios", "version": 1}, ["a"], {"k": "v"},
     4.35, "2024-02-29 13:45:10", "2024-02-29", 18, True),
    (33, '{"os":"ios","version":-0,"tags":["a"]}',                           # one-element array
     {"os": "ios", "version": 1}, ["a"], {"k": "v"},
     1e16, "2024-02-29 13:45:10", "2024-02-29", 19, True),
    (34, '{"os":"ios","version":NaN}',                                       # NaN token
     {"os": "ios", "version": 1}, ["a"], {"k": "v"},
     0.30000000000000004, "2024-02-29 13:45:10", "2024-02-29", 20, True),
    (35, '{"os":"日本 😀","version":+1}',                          # raw non-ASCII, leading +
     {"os": "ios", "version": 1}, ["a"], {"k": "v"},
     1e-3, "2024-02-29 13:45:10", "2024-02-29", 21, True),
    (36, '{"tags":[null],"a":{"b":null},"os":null,"version":null}',      # JSON nulls
     {"os": "ios", "version": 1}, ["a"], {"k": "v"},
     2e23, "2024-02-29 13:45:10", "2024-02-29", 22, True),                # Java: 1.9999999999999998E23
    (37, '{"os":1e20,"version":0.00001,"a":{"b":3.14159265358979323846},"tags":[1.0,-0.0,1E2,0.1]}',
     {"os": "ios", "version": 1}, ["a"], {"k": "v"},
     2.82879384806159e17, "2024-02-29 13:45:10", "2024-02-29", 23, True),  # Java: ...9008E17
    (38, '{"os":"s\\u001f\\ud83d\\ude00","version":"Infinity","tags":[{"y":2},{"y":3},{"z":4}],"a":{"b":[[1,2],[3]]}}',
     {"os": "ios", "version": 1}, ["a"], {"k": "v"},
     1e23, "2024-02-29 13:45:10", "2024-02-29", 24, True),                # Java: 9.999999999999999E22
    (39, '{"os":"日本 😀","a":{"b":"😀 é"},"version":1e400,"tags":["😀",1e400,-1e400]}',  # raw non-BMP
     {"os": "ios", "version": 1}, ["a"], {"k": "v"},
     -7.0, "2024-02-29 13:45:10", "2024-02-29", 25, True),
]


def write_inputs():
    if INPUT_DIR.exists():
        shutil.rmtree(INPUT_DIR)
    directory = INPUT_DIR / "payloads"
    directory.mkdir(parents=True)
    # json.dumps writes NaN / Infinity / -Infinity as bare tokens, which Spark's JSON reader
    # accepts (allowNonNumericNumbers defaults to true); control characters as \uXXXX escapes.
    text = "".join(json.dumps(dict(zip(COLUMNS, r)), ensure_ascii=False) + "\n" for r in ROWS)
    with (directory / "part-000.json").open("w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    set_mtimes(directory)


# ---------------------------------------------------------------------------
# queries
# ---------------------------------------------------------------------------
SOURCE_CODE = ('payloads = spark.readStream.schema("' + PAYLOADS_SCHEMA + '")'
               '.option("maxFilesPerTrigger", 1).json("input/payloads")')

FIELDS = 'F.col("parsed.os").alias("os"), F.col("parsed.version").alias("version")'

QUERIES = {
    "from_json": (
        'payloads.select("id", F.from_json("payload", "os STRING, version INT")'
        '.alias("parsed")).select("id", "parsed", ' + FIELDS + ')'),
    "from_json_corrupt_record": (
        'payloads.select("id", F.from_json("payload", '
        '"os STRING, version INT, _corrupt_record STRING", '
        '{"mode": "PERMISSIVE", "columnNameOfCorruptRecord": "_corrupt_record"})'
        '.alias("parsed")).select("id", "parsed", ' + FIELDS + ', '
        'F.col("parsed._corrupt_record").alias("corrupt"))'),
    "from_json_failfast": (
        'payloads.select("id", F.from_json("payload", "os STRING, version INT", '
        '{"mode": "FAILFAST"}).alias("parsed")).select("id", "parsed", ' + FIELDS + ')'),
    "from_json_other_schemas": (
        'payloads.select("id", '
        'F.from_json("payload", "os STRING, version STRING").alias("as_strings"), '
        'F.from_json("payload", "os STRING, version DOUBLE").alias("as_double"), '
        'F.from_json("payload", "a STRUCT<b: STRUCT<c: INT>>, tags ARRAY<STRING>")'
        '.alias("nested"), '
        'F.from_json("payload", "MAP<STRING, STRING>").alias("as_map"), '
        'F.to_json(F.from_json("payload", "MAP<STRING, STRING>")).alias("as_map_json"), '
        'F.from_json("payload", "ARRAY<INT>").alias("as_array"))'),
    "to_json": (
        'payloads.select("id", F.to_json("device").alias("device_json"), '
        'F.to_json("tags").alias("tags_json"), '
        'F.to_json("properties").alias("properties_json"), '
        'F.to_json(F.struct("id", "device", "tags", "properties")).alias("all_json"), '
        'F.to_json(F.struct("score", "ts", "day", "amount", "flag")).alias("scalars_json"))'),
    "to_json_keep_nulls": (
        'payloads.select("id", '
        'F.to_json("device", {"ignoreNullFields": "false"}).alias("device_json"), '
        'F.to_json(F.struct("id", "device", "tags", "properties"), '
        '{"ignoreNullFields": "false"}).alias("all_json"), '
        'F.to_json(F.struct("score", "ts", "day", "amount", "flag"), '
        '{"ignoreNullFields": "false"}).alias("scalars_json"))'),
}

PATHS = [
    ("p_os", "$.os"), ("p_version", "$.version"), ("p_a_b", "$.a.b"), ("p_a_b_c", "$.a.b.c"),
    ("p_tags", "$.tags"), ("p_tags_0", "$.tags[0]"), ("p_tags_2", "$.tags[2]"),
    ("p_tags_star", "$.tags[*]"), ("p_missing", "$.missing"), ("p_root", "$"),
    ("p_bracket_os", "$['os']"), ("p_recursive_os", "$..os"),
]
# more paths: top-level arrays, wildcards under a nested member, a member of array elements
PATHS_EXTRA = [
    ("p_0", "$[0]"), ("p_star", "$[*]"), ("p_star_os", "$[*].os"),
    ("p_a_b_star", "$.a.b[*]"), ("p_a_b_0", "$.a.b[0]"), ("p_a_b_c_1_d", "$.a.b.c[1].d"),
    ("p_tags_star_y", "$.tags[*].y"), ("p_tags_0_0", "$.tags[0][0]"),
    ("p_bracket_dq", '$["os"]'), ("p_no_dollar", "os"), ("p_trailing_dot", "$.os."),
    ("p_empty", ""), ("p_star_member", "$.*"), ("p_negative", "$.tags[-1]"),
    ("p_upper", "$.OS"), ("p_a_b_4", "$.a.b[4]"), ("p_tags_star_0", "$.tags[*][0]"),
]


def gjo(paths):
    return ('payloads.select("id", ' + ", ".join(
        f'F.get_json_object("payload", {json.dumps(p)}).alias("{a}")' for a, p in paths) + ")")


QUERIES["get_json_object"] = gjo(PATHS)
QUERIES["get_json_object_extra"] = gjo(PATHS_EXTRA)
QUERIES["json_tuple"] = 'payloads.select("id", F.json_tuple("payload", "os", "version"))'
QUERIES["json_tuple_nested"] = ('payloads.select("id", '
                                'F.json_tuple("payload", "a", "tags", "missing", "OS"))')

# analysis-time / run-time refusals, as batch queries over the same file
ERROR_CASES = {
    "from_json_dropmalformed": (
        'payloads.select("id", F.from_json("payload", "os STRING, version INT", '
        '{"mode": "DROPMALFORMED"}))'),
    "from_json_corrupt_record_not_string": (
        'payloads.select("id", F.from_json("payload", '
        '"os STRING, version INT, _corrupt_record INT", '
        '{"columnNameOfCorruptRecord": "_corrupt_record"}))'),
    "from_json_bad_schema": 'payloads.select("id", F.from_json("payload", "os STRNG"))',
    "to_json_of_string": 'payloads.select("id", F.to_json("payload"))',
    "to_json_of_int": 'payloads.select("id", F.to_json("id"))',
    "get_json_object_of_int": 'payloads.select("id", F.get_json_object("id", "$"))',
    "json_tuple_no_fields": 'payloads.select("id", F.json_tuple("payload"))',
}


# ---------------------------------------------------------------------------
# running
# ---------------------------------------------------------------------------
def make_spark():
    return local_spark("rill-json-functions-golden")


def scrub(text):
    return shared_scrub(text, {str(WORK): "<tmp>", str(HERE): "<here>"})


def clean_error(exc):
    return java_error_text(exc, scrub)


def stream_source(spark):
    return (spark.readStream.schema(PAYLOADS_SCHEMA).option("maxFilesPerTrigger", 1)
            .json(str(INPUT_DIR / "payloads")))


def batch_source(spark):
    return spark.read.schema(PAYLOADS_SCHEMA).json(str(INPUT_DIR / "payloads"))


def encode_rows(df):
    rows = [[enc(v) for v in r] for r in df.collect()]
    rows.sort(key=row_key)
    return rows


COUNTER = [0]


def run_stream(spark, code):
    """Runs `code` over the stream; returns (meta, batches, error). An error raised while
    collecting a batch (inside foreachBatch) is recorded as the batch's own exception."""
    df = eval(code, {"F": F, "payloads": stream_source(spark)})  # noqa: S307
    captured, errors = {}, []

    def on_batch(batch_df, batch_id):
        try:
            captured[batch_id] = encode_rows(batch_df)
        except Exception as exc:  # noqa: BLE001
            errors.append({"batch_id": batch_id, **clean_error(exc)})
            raise

    COUNTER[0] += 1
    query = (df.writeStream.outputMode("append").trigger(availableNow=True)
             .foreachBatch(on_batch)
             .option("checkpointLocation", str(WORK / f"cp{COUNTER[0]}")).start())
    error = None
    try:
        query.awaitTermination()
    except Exception as exc:  # noqa: BLE001
        error = errors[0] if errors else clean_error(exc)
    progress = {p["batchId"]: p for p in (json.loads(p.json) for p in query.recentProgress)}
    batches = [{"batch_id": bid, "num_input_rows": progress[bid]["numInputRows"],
                "rows": captured[bid]} for bid in sorted(captured)]
    meta = {"columns": df.columns, "column_types": dict(df.dtypes)}
    return meta, batches, error


def with_ansi(spark, enabled, fn):
    spark.conf.set("spark.sql.ansi.enabled", "true" if enabled else "false")
    try:
        return fn()
    finally:
        spark.conf.unset("spark.sql.ansi.enabled")


def batch_rows(spark, code, frame=None):
    """`code` as a batch query over the same file (or `frame`): rows or an error."""
    try:
        df = eval(code, {"F": F, "payloads": frame if frame is not None  # noqa: S307
                         else batch_source(spark)})
        return {"rows": encode_rows(df)}
    except Exception as exc:  # noqa: BLE001
        return {"error": clean_error(exc)}


def golden(spark, name, code):
    out = {"spark": code, "mode": "append", "source": SOURCE_CODE, "input": "input/payloads",
           "spark_version": spark.version, "ansi": True}
    meta, batches, error = run_stream(spark, code)
    out.update(meta)
    out["batches"] = batches
    if error:
        out["error"] = error
    # the same query as a batch read with ANSI off: does ANSI change anything?
    off = with_ansi(spark, False, lambda: batch_rows(spark, code))
    if not error and "rows" in off:
        all_rows = sorted((r for b in batches for r in b["rows"]), key=row_key)
        out["ansi_off_same_rows"] = off["rows"] == all_rows
        if off["rows"] != all_rows:
            out["ansi_off_rows"] = off["rows"]
    else:
        out["ansi_off_batch_result"] = off
    if error:
        # each input row alone (batch query, ANSI on): which rows make the query fail
        by_id = {}
        frame = batch_source(spark)
        for r in ROWS:
            res = batch_rows(spark, code, frame.where(F.col("id") == r[0]))
            by_id[str(r[0])] = res
        out["by_id"] = by_id
        out["by_id_note"] = ("each input row alone as a batch query (ANSI on): {rows: [its "
                             "encoded output row]}, or {error} if that row alone fails")
    return out


def error_cases(spark):
    out = {}
    frame = batch_source(spark)
    for case, code in ERROR_CASES.items():
        entry = {"spark": code}
        try:
            df = eval(code, {"F": F, "payloads": frame})  # noqa: S307
        except Exception as exc:  # noqa: BLE001
            entry["raised_at"] = "analysis (building the DataFrame)"
            entry["error"] = clean_error(exc)
            out[case] = entry
            continue
        entry["columns"] = df.columns
        entry["column_types"] = dict(df.dtypes)
        try:
            entry["rows"] = encode_rows(df)
            entry["raised_at"] = None
        except Exception as exc:  # noqa: BLE001
            entry["raised_at"] = "run (collect)"
            entry["error"] = clean_error(exc)
        out[case] = entry
    return {"note": "batch queries over input/payloads (spark.read, same schema), ANSI on",
            "spark_version": spark.version, "cases": out}


def write(name, out):
    with (EXPECTED_DIR / f"{name}.json").open("w", encoding="utf-8", newline="\n") as f:
        f.write(dumps(out))
    summary = ""
    if isinstance(out.get("batches"), list):
        summary = " ".join(f"b{b['batch_id']}(in={b['num_input_rows']},out={len(b['rows'])})"
                           for b in out["batches"])
    if out.get("error"):
        summary += f" ERROR {out['error']['condition']}"
    if "ansi_off_same_rows" in out:
        summary += f" ansi_off_same={out['ansi_off_same_rows']}"
    print(f"{name:26s} {summary}", flush=True)


def main():
    t0 = time.time()
    write_inputs()
    if EXPECTED_DIR.exists():
        shutil.rmtree(EXPECTED_DIR)
    EXPECTED_DIR.mkdir(parents=True)
    spark = make_spark()
    try:
        for name, code in QUERIES.items():
            write(name, golden(spark, name, code))
        write("errors", error_cases(spark))
    finally:
        spark.stop()
        shutil.rmtree(WORK, ignore_errors=True)
    print(f"pyspark {pyspark.__version__}; total {time.time() - t0:.1f}s")


if __name__ == "__main__":
    main()
