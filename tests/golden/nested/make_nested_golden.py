"""Reference ("golden") outputs from real Spark for nested types in Structured Streaming:
split/explode word counts, array functions, the explode family, collect_list/collect_set in a
streaming aggregation, where generators may stand, and JSON decoding of struct/array/map
columns in the three parse modes.

Usage:  SPARK_LOCAL_IP=127.0.0.1 TZ=UTC python make_nested_golden.py   (pyspark 4.3.0, Java 17)

Regenerates, next to this script (everything: inputs too; two runs are byte-identical):
  input/lines/part-00N.json    3 files, `line string`
  input/arrays/part-00N.json   2 files, `id int, line string, tags array<string>, nums array<int>`
  input/events/part-00N.json   3 files, `user string, page string, n int`
  input/nested/part-000.json   1 file,  `id int, device struct<os:string,version:int>,
                               tags array<string>, properties map<string,string>,
                               _corrupt_record string`
  expected/<name>.json         see README.md

Every query: spark.readStream.schema(S).option("maxFilesPerTrigger", 1).json(dir) -> query ->
writeStream.outputMode(mode).trigger(availableNow=True).foreachBatch(fn), a fresh checkpoint
per query (temp dir, deleted at the end). The query text stored in "spark" is exactly the
string that is eval'ed (with the source DataFrame bound to `lines` / `arrays` / `events` /
`nested`). Each batch's rows are encoded (see `enc`) and sorted by
json.dumps(row, sort_keys=True); element order inside arrays is Spark's own.

Spark setup: local[1], loopback only, 1 shuffle partition, AQE off, UI off, session time zone
UTC, TZ=UTC, ANSI at its default (on) unless a file says "ansi": false.
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
WORK = Path(tempfile.mkdtemp(prefix="rill-nested-"))

SCHEMAS = {
    "lines": "line string",
    "arrays": "id int, line string, tags array<string>, nums array<int>",
    "events": "user string, page string, n int",
    "nested": ("id int, device struct<os:string,version:int>, tags array<string>, "
               "properties map<string,string>, _corrupt_record string"),
    "orders": "id int, items array<struct<sku:string,qty:int>>",
    "matrix": "id int, grid array<array<int>>",
}

# ---------------------------------------------------------------------------
# inputs: each line either a dict (written with json.dumps) or raw text (written as is)
# ---------------------------------------------------------------------------
LINES = [
    [  # part-000
        {"line": "the quick brown fox"},
        {"line": "the lazy dog"},
        {"line": "hello  world"},            # two spaces -> an empty word
        {"line": " leading space"},          # leading space -> an empty word first
        {"line": ""},                        # empty line -> one empty word
        {"line": None},                      # null line -> no words
        {"line": "café naïve 日本語"},
    ],
    [  # part-001
        {"line": "the fox jumps"},
        "{}",                                # line missing -> null -> no words
        {"line": "dog eat dog"},
        {"line": "trailing space "},         # trailing empty word is kept (limit -1)
        {"line": "日本語 テキスト"},
        {"line": "Hello hello HELLO"},       # case-sensitive
    ],
    [  # part-002
        {"line": "the end"},
        {"line": "   "},                     # three spaces -> four empty words
        {"line": "fox"},
        {"line": None},
        {"line": "über café"},
        {"line": "the quick brown fox"},
        {"line": "\tdog"},                   # a tab is not a separator
    ],
]

ARRAYS = [
    [  # part-000
        {"id": 1, "line": "a,b,c", "tags": ["a", "b"], "nums": [3, 1, 2]},
        {"id": 2, "line": None, "tags": None, "nums": None},
        {"id": 3, "line": "", "tags": [], "nums": []},
        {"id": 4, "line": "x", "tags": ["a", None], "nums": [1, None, 3]},
        {"id": 5, "line": "b,,a,", "tags": ["b", "a", "b"], "nums": [2, 2, -1, 2]},
        {"id": 6, "line": ",", "tags": ["z"], "nums": [-5]},
    ],
    [  # part-001
        {"id": 7, "line": "single", "tags": [None], "nums": [None]},
        {"id": 8, "line": " a , b ,c ", "tags": ["c", "B", "a", "b", "A"],
         "nums": [-3, 0, 3, -3, None, 0]},
        '{"id": 9}',
        {"id": 10, "line": "t0,t1,t2,t3,t4,t5", "tags": ["t0", "t1", "t2", "t3", "t4", "t5"],
         "nums": [10, 9, 8, 7, 6, 5]},
        {"id": 11, "line": "ä,a,Z,日", "tags": ["ä", "a", "Z", "日", ""],
         "nums": [2147483647, -2147483648, 0]},
        {"id": 12, "line": "dup,dup", "tags": [None, None, "a", "a"], "nums": [None, 3, None, 3]},
    ],
]

EVENTS = [
    [  # part-000
        {"user": "u1", "page": "home", "n": 1},
        {"user": "u1", "page": "cart", "n": 2},
        {"user": "u2", "page": "home", "n": None},
        {"user": "u1", "page": "home", "n": 1},
        {"user": "u3", "page": None, "n": 3},        # u3's only page in batch 0 is null
        {"user": "u2", "page": "about", "n": 5},
    ],
    [  # part-001
        {"user": "u1", "page": "checkout", "n": 2},
        {"user": "u4", "page": "promo", "n": 7},     # u4: batch 1 only
        {"user": "u2", "page": "home", "n": 5},
        {"user": "u3", "page": None, "n": None},
        {"user": "u1", "page": "cart", "n": 1},
        {"user": None, "page": "home", "n": 4},      # null user is a group
    ],
    [  # part-002
        {"user": "u1", "page": "home", "n": 3},
        {"user": "u2", "page": None, "n": 5},
        {"user": "u3", "page": "search", "n": 3},
        {"user": "u1", "page": "Home", "n": -1},
        {"user": None, "page": "about", "n": None},
        {"user": "u5", "page": "home", "n": 0},      # u5: batch 2 only
        {"user": "u1", "page": "about", "n": 2},
    ],
]

NESTED = [
    [  # part-000: raw JSON lines, one case each
        '{"id": 1, "device": {"os": "ios", "version": 17}, "tags": ["a", "b"], "properties": {"k": "v", "k2": "w"}}',
        '{"id": 2, "tags": ["x"], "properties": {"k": "v2"}}',
        '{"id": 3, "device": null, "tags": ["y"]}',
        '{"id": 4, "device": {"os": "android"}, "tags": ["z"]}',
        '{"id": 5, "device": {"os": "linux", "version": "x"}, "tags": ["w"]}',
        '{"id": 6, "device": "ios", "tags": ["s"]}',
        '{"id": 7, "device": 42, "tags": ["n"]}',
        '{"id": 8, "device": {"os": "ios", "version": 16}, "tags": null}',
        '{"id": 9, "tags": []}',
        '{"id": 10, "tags": [1, "a"]}',
        '{"id": 11, "tags": ["a", {"x":1}]}',
        '{"id": 12, "tags": "a"}',
        '{"id": 13, "properties": {"k": 1, "b": true, "o": {"x": [1, 2]}}}',
        '{"id": 14, "properties": null}',
        '{"id": 15, "properties": ["k", "v"]}',
        '{"id": 16, "device": {"os": "ios", "version": 15, "model": "x"}, "tags": ["extra"]}',
        '{"id": 17, "extra": {"a": {"b": {"c": [1, 2, {"d": null}]}}}, "tags": ["deep"]}',
        '{"id": 18, "device": {}, "tags": ["a", null], "properties": {}}',
        '{"id": 19, "device": {"os": "ios", "version": 17.5}}',
        '{"id": 20, "properties": {"k": null, "j": "x"}}',
        '{"id": 21, "device": {"os": "ios", "version": 1}, "tags": ["a"',
        '{"id": "22", "tags": ["id as a string"]}',
        # non-string JSON values read as strings: kept as their raw text (spacing, 2.50, 1e3)
        '{"id": 23, "tags": ["a", {"x" :  1,"y":[ 1,2 ]}, 2.50, true, null, 1e3], "properties": {"n": 2.50, "o": { "z" : null }}}',
    ],
]

# Arrays of structs: present, empty, null, with a null element, a struct missing a field, a
# wrong-typed field, an element that is not an object.
ORDERS = [
    [  # part-000
        {"id": 1, "items": [{"sku": "a", "qty": 2}, {"sku": "b", "qty": 1}]},
        {"id": 2, "items": []},
        {"id": 3, "items": None},
        {"id": 4},
        {"id": 5, "items": [{"sku": "c"}, None, {"qty": 7}]},
        {"id": 6, "items": [{"sku": "d", "qty": "x"}]},
        {"id": 7, "items": [{"sku": "e", "qty": 3}, "f"]},
    ],
    [  # part-001
        {"id": 8, "items": [{"sku": "a", "qty": 5}, {"sku": "a", "qty": 6}, {"sku": "g", "qty": 0}]},
        {"id": 9, "items": [{}]},
    ],
]

ORDER_QUERIES = {
    "inline": 'orders.select("id", F.inline("items"))',
    "inline_outer": 'orders.select("id", F.inline_outer("items"))',
    "explode_structs": ('orders.select("id", F.explode("items").alias("item"))'
                        '.select("id", "item", F.col("item.sku").alias("sku"))'),
    "struct_array_functions": ('orders.select("id", F.size("items").alias("n"), '
                               'F.element_at("items", 1).alias("first"), '
                               'F.col("items")[0]["sku"].alias("first_sku"), '
                               'F.to_json("items").alias("items_json"))'),
}

# Arrays of arrays: with empty, null and null-holding inner arrays.
MATRIX = [
    [  # part-000
        {"id": 1, "grid": [[1, 2], [3]]},
        {"id": 2, "grid": [[1], None]},
        {"id": 3, "grid": []},
        {"id": 4, "grid": None},
        {"id": 5, "grid": [[], [4]]},
        {"id": 6, "grid": [[None, 5]]},
        {"id": 7, "grid": [1, [2]]},
    ],
]

MATRIX_QUERIES = {
    "flatten": ('matrix.select("id", F.flatten("grid").alias("flat"), F.size("grid").alias("n"), '
                'F.col("grid")[0].alias("first_row"), F.to_json("grid").alias("grid_json"))'),
    "explode_rows": 'matrix.select("id", F.explode("grid").alias("row"))',
}

INPUTS = {"lines": LINES, "arrays": ARRAYS, "events": EVENTS, "nested": NESTED, "orders": ORDERS,
          "matrix": MATRIX}


def write_inputs():
    if INPUT_DIR.exists():
        shutil.rmtree(INPUT_DIR)
    for name, files in INPUTS.items():
        directory = INPUT_DIR / name
        directory.mkdir(parents=True)
        for n, lines in enumerate(files):
            text = "".join((line if isinstance(line, str) else json.dumps(line, ensure_ascii=False))
                           + "\n" for line in lines)
            with (directory / f"part-{n:03d}.json").open("w", encoding="utf-8", newline="\n") as f:
                f.write(text)
        set_mtimes(directory)


# ---------------------------------------------------------------------------
# queries
# ---------------------------------------------------------------------------
def source_code(name, mode=None):
    opts = ""
    if mode == "PERMISSIVE":
        opts = ('.option("mode", "PERMISSIVE")'
                '.option("columnNameOfCorruptRecord", "_corrupt_record")')
    elif mode:
        opts = f'.option("mode", "{mode}")'
    return (f'{name} = spark.readStream.schema("{SCHEMAS[name]}")'
            f'.option("maxFilesPerTrigger", 1){opts}.json("input/{name}")')


WORD_COUNT = 'lines.select(F.explode(F.split("line", " ")).alias("word")).groupBy("word").count()'

ARRAY_COLUMNS = [
    'F.size("tags")', 'F.size("nums")',
    'F.array_contains("tags", "a")', 'F.array_contains("nums", 3)',
    'F.element_at("tags", 1)', 'F.element_at("tags", -1)',
    'F.col("tags")[0]', 'F.col("tags")[5]',
    'F.array_distinct("tags")', 'F.array_distinct("nums")',
    'F.sort_array("nums")', 'F.sort_array("nums", False)', 'F.sort_array("tags")',
    'F.array("line", "line")', 'F.array("id", "id")',
    'F.split("line", ",")', 'F.size(F.split("line", ","))',
]
ARRAY_FUNCTIONS = 'arrays.select("id", ' + ", ".join(ARRAY_COLUMNS) + ")"
# the columns that cannot fail under ANSI (no index into an array)
ANSI_SAFE_COLUMNS = [c for c in ARRAY_COLUMNS if "element_at" not in c and '")[' not in c]
ARRAY_FUNCTIONS_ANSI_SAFE = 'arrays.select("id", ' + ", ".join(ANSI_SAFE_COLUMNS) + ")"

EXPLODES = {
    "explode": 'arrays.select("id", F.explode("tags").alias("tag"))',
    "explode_outer": 'arrays.select("id", F.explode_outer("tags").alias("tag"))',
    "posexplode": 'arrays.select("id", F.posexplode("nums"))',
    "posexplode_outer": 'arrays.select("id", F.posexplode_outer("nums"))',
    "explode_split": 'arrays.select("id", F.explode(F.split("line", ",")).alias("part"))',
}

COLLECT = ('events.groupBy("user").agg(F.collect_list("page").alias("pages"), '
           'F.sort_array(F.collect_set("page")).alias("distinct_pages"), '
           'F.collect_list("n").alias("ns"), F.size(F.collect_set("n")).alias("distinct_n"))')
COLLECT_SET_RAW = ('events.groupBy("user").agg(F.collect_set("page").alias("page_set"), '
                   'F.collect_set("n").alias("n_set"))')

GENERATOR_ERRORS = {
    "two_generators_in_select": 'arrays.select(F.explode("tags"), F.explode("nums"))',
    "generator_nested_in_expression": 'arrays.select(F.upper(F.explode("tags")))',
    "generator_in_filter": 'arrays.where(F.explode("tags") == "a")',
    "generator_in_group_by": 'arrays.groupBy(F.explode("tags")).count()',
    "generator_in_aggregate": 'arrays.groupBy("id").agg(F.max(F.explode("tags")))',
    "generator_in_global_aggregate": 'arrays.agg(F.count(F.explode("tags")))',
    "generator_in_with_column_expression": 'arrays.withColumn("t", F.concat(F.explode("tags"), F.lit("!")))',
}

NESTED_SELECT = ["id", "device.os AS os", "device.version AS version", "tags",
                 "tags[0] AS first_tag", "size(tags) AS n_tags", "properties",
                 'properties["k"] AS k']


def select_expr(exprs):
    return "nested.selectExpr(" + ", ".join(json.dumps(e) for e in exprs) + ")"


NESTED_QUERIES = {
    "nested_permissive": ("PERMISSIVE", select_expr(NESTED_SELECT + ["_corrupt_record"])),
    "nested_dropmalformed": ("DROPMALFORMED", select_expr(NESTED_SELECT)),
    "nested_failfast": ("FAILFAST", select_expr(NESTED_SELECT)),
    "nested_whole": ("PERMISSIVE", 'nested.select("id", "device", "tags", "properties")'),
}


# ---------------------------------------------------------------------------
# running
# ---------------------------------------------------------------------------
def make_spark():
    return local_spark("rill-nested-golden")


def scrub(text):
    return shared_scrub(text, {str(WORK): "<tmp>", str(HERE): "<here>"})


def clean_error(exc):
    return java_error_text(exc, scrub)


def source(spark, name, mode=None):
    reader = spark.readStream.schema(SCHEMAS[name]).option("maxFilesPerTrigger", 1)
    if mode == "PERMISSIVE":
        reader = (reader.option("mode", "PERMISSIVE")
                  .option("columnNameOfCorruptRecord", "_corrupt_record"))
    elif mode:
        reader = reader.option("mode", mode)
    return reader.json(str(INPUT_DIR / name))


COUNTER = [0]


def run_stream(spark, src_name, code, mode, parse_mode=None):
    """Runs `code` over the stream; returns (meta, batches, error). An error raised while
    collecting a batch (inside foreachBatch) is recorded as the batch's own exception."""
    df = eval(code, {"F": F, src_name: source(spark, src_name, parse_mode)})  # noqa: S307
    captured, errors = {}, []

    def on_batch(batch_df, batch_id):
        try:
            rows = [[enc(v) for v in r] for r in batch_df.collect()]
        except Exception as exc:  # noqa: BLE001
            errors.append({"batch_id": batch_id, **clean_error(exc)})
            raise
        rows.sort(key=row_key)
        captured[batch_id] = rows

    COUNTER[0] += 1
    query = (df.writeStream.outputMode(mode).trigger(availableNow=True).foreachBatch(on_batch)
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


def base(spark, src_name, code, mode, parse_mode=None, ansi=True):
    return {"spark": code, "mode": mode, "source": source_code(src_name, parse_mode),
            "input": f"input/{src_name}", "spark_version": spark.version, "ansi": ansi}


def golden(spark, src_name, code, mode, parse_mode=None, ansi=True):
    """One query. With ansi=False it runs with spark.sql.ansi.enabled=false and the same
    query's outcome with ANSI on (the default) is recorded as `ansi_on_error`."""
    out = base(spark, src_name, code, mode, parse_mode, ansi)
    meta, batches, error = with_ansi(
        spark, ansi, lambda: run_stream(spark, src_name, code, mode, parse_mode))
    out.update(meta)
    out["batches"] = batches
    if error:
        out["error"] = error
    if not ansi:
        _, on_batches, on_error = run_stream(spark, src_name, code, mode, parse_mode)
        out["ansi_on_error"] = on_error
        out["ansi_on_batches_before_error"] = on_batches
    return out


def with_ansi(spark, enabled, fn):
    spark.conf.set("spark.sql.ansi.enabled", "true" if enabled else "false")
    try:
        return fn()
    finally:
        spark.conf.unset("spark.sql.ansi.enabled")


def array_functions(spark):
    out = base(spark, "arrays", ARRAY_FUNCTIONS, "append", ansi=False)
    meta, batches, error = with_ansi(
        spark, False, lambda: run_stream(spark, "arrays", ARRAY_FUNCTIONS, "append"))
    assert error is None, error
    out.update(meta)
    out["batches"] = batches
    # the same query with ANSI on (the Spark 4 default)
    _, on_batches, on_error = run_stream(spark, "arrays", ARRAY_FUNCTIONS, "append")
    out["ansi_on_error"] = on_error
    out["ansi_on_batches_before_error"] = on_batches
    # each column alone, ANSI on, as a batch query over the same files: which ones fail
    per_column = {}
    frame = spark.read.schema(SCHEMAS["arrays"]).json(str(INPUT_DIR / "arrays"))
    for code in ARRAY_COLUMNS:
        column = eval(code, {"F": F})  # noqa: S307
        try:
            frame.select("id", column).collect()
            per_column[code] = None
        except Exception as exc:  # noqa: BLE001
            per_column[code] = clean_error(exc)
    out["ansi_on_error_by_column"] = per_column
    # the columns that cannot fail, ANSI on (size(null) etc.)
    meta_on, safe_batches, safe_error = run_stream(spark, "arrays", ARRAY_FUNCTIONS_ANSI_SAFE,
                                                   "append")
    assert safe_error is None, safe_error
    out["ansi_on_safe_columns"] = {"spark": ARRAY_FUNCTIONS_ANSI_SAFE, "ansi": True, **meta_on,
                                   "batches": safe_batches}

    # size(null) in both settings, a one-row batch query
    def size_of_null():
        row = spark.range(1).select(F.size(F.lit(None).cast("array<int>")).alias("s"),
                                    F.size(F.lit(None).cast("map<string,int>")).alias("m"),
                                    F.cardinality(F.lit(None).cast("array<int>")).alias("c")
                                    ).collect()[0]
        return {"size(array null)": row["s"], "size(map null)": row["m"],
                "cardinality(array null)": row["c"]}
    out["size_of_null"] = {
        "spark": 'spark.range(1).select(F.size(F.lit(None).cast("array<int>")), '
                 'F.size(F.lit(None).cast("map<string,int>")), '
                 'F.cardinality(F.lit(None).cast("array<int>")))',
        "ansi_on": with_ansi(spark, True, size_of_null),
        "ansi_off": with_ansi(spark, False, size_of_null),
        "legacy_sizeOfNull_default": spark.conf.get("spark.sql.legacy.sizeOfNull"),
    }
    return out


def nested_by_column(spark):
    """Each selected expression alone (with id), ANSI on, PERMISSIVE, as a batch query over the
    same file: which ones fail."""
    frame = (spark.read.schema(SCHEMAS["nested"]).option("mode", "PERMISSIVE")
             .option("columnNameOfCorruptRecord", "_corrupt_record").json(str(INPUT_DIR / "nested")))
    out = {}
    for expr in NESTED_SELECT[1:]:
        try:
            frame.selectExpr("id", expr).collect()
            out[expr] = None
        except Exception as exc:  # noqa: BLE001
            out[expr] = clean_error(exc)
    return out


def generator_errors(spark):
    out = {}
    for case, code in GENERATOR_ERRORS.items():
        entry = {"spark": code}
        try:
            df = eval(code, {"F": F, "arrays": source(spark, "arrays")})  # noqa: S307
        except Exception as exc:  # noqa: BLE001
            entry["raised_at"] = "analysis (building the DataFrame)"
            entry["error"] = clean_error(exc)
            out[case] = entry
            continue
        entry["columns"] = df.columns
        entry["dtypes"] = df.dtypes  # a list: the column names can repeat
        mode = "complete" if "groupBy" in code or ".agg(" in code else "append"
        _, batches, error = run_stream(spark, "arrays", code, mode)
        entry["raised_at"] = "run" if error else None
        entry["mode"] = mode
        entry["error"] = error
        entry["batches"] = batches
        out[case] = entry
    return out


def write(name, out):
    with (EXPECTED_DIR / f"{name}.json").open("w", encoding="utf-8", newline="\n") as f:
        f.write(dumps(out))
    summary = ""
    if isinstance(out.get("batches"), list):
        summary = " ".join(f"b{b['batch_id']}(in={b['num_input_rows']},out={len(b['rows'])})"
                           for b in out["batches"])
    if out.get("error"):
        summary += f" ERROR {out['error']['condition']}"
    print(f"{name:24s} {summary}", flush=True)


def main():
    t0 = time.time()
    write_inputs()
    if EXPECTED_DIR.exists():
        shutil.rmtree(EXPECTED_DIR)
    EXPECTED_DIR.mkdir(parents=True)
    spark = make_spark()
    try:
        for mode in ("complete", "update"):
            write(f"word_count_{mode}", golden(spark, "lines", WORD_COUNT, mode))
        write("array_functions", array_functions(spark))
        for name, code in EXPLODES.items():
            write(name, golden(spark, "arrays", code, "append"))
        for mode in ("complete", "update"):
            write(f"collect_{mode}", golden(spark, "events", COLLECT, mode))
        write("collect_set_raw", golden(spark, "events", COLLECT_SET_RAW, "complete"))
        write("generator_errors", generator_errors(spark))
        for name, (parse_mode, code) in NESTED_QUERIES.items():
            # tags[0] of an empty array fails with ANSI on: run with ANSI off (Rill's null)
            ansi = name == "nested_whole"
            out = golden(spark, "nested", code, "append", parse_mode, ansi)
            if name == "nested_permissive":
                out["ansi_on_error_by_column"] = nested_by_column(spark)
            write(name, out)
        # element_at past the end fails with ANSI on: run with ANSI off (Rill's null)
        for name, code in ORDER_QUERIES.items():
            write(name, golden(spark, "orders", code, "append", None, False))
        for name, code in MATRIX_QUERIES.items():
            write(name, golden(spark, "matrix", code, "append", None, False))
    finally:
        spark.stop()
        shutil.rmtree(WORK, ignore_errors=True)
    print(f"pyspark {pyspark.__version__}; total {time.time() - t0:.1f}s")


if __name__ == "__main__":
    main()
