"""Reference ("golden") outputs from real Spark for unions of file streams whose schemas differ:
by name (columns in another order), by position (other column names), by name then aggregate,
and the analysis errors Spark raises for mismatched unions.

Usage:  python make_union_schemas_golden.py          (pyspark 4.3.0, Java 17)

Regenerates, next to this script:
  input/web/part-00N.json      2 files, 3 JSON lines each
  input/mobile/part-00N.json   2 files (3 and 2 lines): web's columns in another order + device
  input/legacy/part-00N.json   2 files (2 and 3 lines): web's types in web's order, other names
  expected/<query>.json        every batch Spark runs: batch id, numInputRows (total and per
                               source), rows; plus the output columns, types and nullability
  expected/errors.json         what Spark does for unions it cannot line up

Every stream: spark.readStream.schema(S).option("maxFilesPerTrigger", 1).json("input/<name>")
(fresh source objects per query) -> the query text (stored in "spark", eval'ed exactly as stored)
-> writeStream.outputMode(mode).trigger(availableNow=True).foreachBatch(fn), a fresh checkpoint
per query (temp dir, deleted at the end). In fn the batch's schema is recorded (columns,
simpleString types, nullable), then the batch is encoded with spark_golden.collect_encoded
(timestamps -> epoch microseconds, doubles via plain()) and rows are sorted by all columns as
strings, nulls first (see sort_key).

Spark setup: local[1], loopback only, 1 shuffle partition, AQE off, UI off, session time zone
UTC, TZ=UTC, ANSI at its default (on) except the one case in errors.json marked ansi=false.
File mtimes are fixed (base + 60 s x index, in name order) so maxFilesPerTrigger=1 reads each
stream's files in name order and two runs give byte-identical output.
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

# pyspark logs captured SQL errors (with JVM stack traces) through these loggers; the expected
# analysis errors are recorded, so keep stderr quiet.
for _logger in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
    PySparkLogger.getLogger(_logger).setLevel(logging.CRITICAL + 1)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from spark_golden import collect_encoded  # noqa: E402

HERE = Path(__file__).resolve().parent
INPUT_DIR = HERE / "input"
EXPECTED_DIR = HERE / "expected"
MTIME_BASE = 1704067200  # 2024-01-01 00:00:00 UTC, fixed => reproducible file order

WEB_SCHEMA = "event_id string, user_id string, amount double, ts timestamp"
WEB_COLUMNS = ["event_id", "user_id", "amount", "ts"]
MOBILE_SCHEMA = "user_id string, event_id string, ts timestamp, amount double, device string"
MOBILE_COLUMNS = ["user_id", "event_id", "ts", "amount", "device"]
LEGACY_SCHEMA = "id string, uid string, value double, at timestamp"
LEGACY_COLUMNS = ["id", "uid", "value", "at"]
SCHEMAS = {"web": WEB_SCHEMA, "mobile": MOBILE_SCHEMA, "legacy": LEGACY_SCHEMA}

DAY = "2026-03-01T"  # timestamps are written as "2026-03-01THH:mm:ss" (UTC session zone)

# Rows are given in each stream's own column order; the time is the time of day.  Amounts are
# multiples of 0.25 so sums are exact in any order.
WEB = [  # (event_id, user_id, amount, time)
    [  # part-000
        ("w01", "u1", 12.5, "10:00:00"),
        ("w02", "u2", 20.0, "10:01:00"),
        ("w03", "u3", 7.25, "10:02:00"),
    ],
    [  # part-001
        ("w04", "u1", 8.0, "10:05:00"),
        ("w05", "u2", 40.5, "10:06:00"),
        ("w06", "u5", 3.0, "10:07:00"),
    ],
]
MOBILE = [  # (user_id, event_id, time, amount, device)
    [  # part-000
        ("u2", "m01", "10:00:30", 15.0, "ios"),
        (None, "m02", "10:01:30", 5.5, "android"),   # null user_id
        ("u3", "m03", "10:02:30", None, "ios"),      # null amount
    ],
    [  # part-001
        (None, "m04", "10:06:30", 2.25, "android"),  # null user_id
        ("u6", "m05", "10:07:30", None, "ios"),      # null amount, only event of u6
    ],
]
LEGACY = [  # (id, uid, value, time)
    [  # part-000
        ("l01", "u1", 100.0, "09:00:00"),
        ("l02", None, 0.5, "09:01:00"),              # null uid
    ],
    [  # part-001
        ("l03", "u2", 60.25, "09:05:00"),
        ("l04", "u7", None, "09:06:00"),             # null value
        ("l05", "u1", 1.75, "09:07:00"),
    ],
]

SOURCE_CODE = {
    name: (f'{name} = spark.readStream.schema("{schema}").option("maxFilesPerTrigger", 1)'
           f'.json("input/{name}")')
    for name, schema in SCHEMAS.items()
}

# name, streams, output mode, PySpark code (eval'ed as is)
QUERIES = [
    ("by_name", ["web", "mobile"], "append",
     'web.unionByName(mobile.drop("device"))'),
    ("by_position", ["web", "legacy"], "append",
     'web.union(legacy)'),
    ("by_name_then_aggregate", ["web", "mobile"], "complete",
     'web.unionByName(mobile.drop("device")).groupBy("user_id")'
     '.agg(F.count(F.lit(1)).alias("events"), F.sum("amount").alias("total"))'),
]

# name, streams, PySpark code, ANSI (None = default); each is built (eval) and, if that works,
# started in append mode.
ERROR_QUERIES = [
    ("by_name_extra_column", ["web", "mobile"], 'web.unionByName(mobile)', None),
    ("by_position_reordered", ["web", "mobile"], 'web.union(mobile.drop("device"))', None),
    ("by_position_reordered_ansi_off", ["web", "mobile"], 'web.union(mobile.drop("device"))',
     False),
]

WORK = Path(tempfile.mkdtemp(prefix="rill-union-schemas-"))


def make_spark():
    spark = (
        SparkSession.builder
        .master("local[1]")
        .appName("rill-union-schemas-golden")
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
    spark.sparkContext.setLogLevel("OFF")
    return spark


# ---------------------------------------------------------------------------
# inputs
# ---------------------------------------------------------------------------
def write_jsonl(path, columns, rows, mtime):
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(dict(zip(columns, r)), ensure_ascii=False) + "\n" for r in rows)
    with path.open("w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    os.utime(path, (mtime, mtime))


def write_inputs():
    if INPUT_DIR.exists():
        shutil.rmtree(INPUT_DIR)
    files = {
        "web": (WEB_COLUMNS, [[(e, u, a, DAY + t) for (e, u, a, t) in f] for f in WEB]),
        "mobile": (MOBILE_COLUMNS,
                   [[(u, e, DAY + t, a, d) for (u, e, t, a, d) in f] for f in MOBILE]),
        "legacy": (LEGACY_COLUMNS, [[(i, u, v, DAY + t) for (i, u, v, t) in f] for f in LEGACY]),
    }
    index = 0
    for name, (cols, parts) in files.items():
        for n, rows in enumerate(parts):
            index += 1
            write_jsonl(INPUT_DIR / name / f"part-{n:03d}.json", cols, rows,
                        MTIME_BASE + 60 * index)


# ---------------------------------------------------------------------------
# running
# ---------------------------------------------------------------------------
def sort_key(row):
    """All columns as strings, left to right, null before any value.  Strings compare as they
    are; other values by their JSON text (so 10.0 sorts before 9.75)."""
    return [(0, "") if v is None else (1, v if isinstance(v, str) else json.dumps(v))
            for v in row]


def schema_info(df):
    fields = df.schema.fields
    return {"columns": [f.name for f in fields],
            "column_types": {f.name: f.dataType.simpleString() for f in fields},
            "nullable": {f.name: f.nullable for f in fields}}


UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def scrub(text):
    text = UUID_RE.sub("<uuid>", text.replace(str(WORK), "<tmp>").replace(str(INPUT_DIR), "<input>"))
    return re.sub(r"#\d+L?", "#<id>", text)  # expression ids differ with what ran before


def error_info(exc):
    """Exception type, error class (getCondition), message parameters and message (getMessage),
    run-specific ids and paths scrubbed.  `message_first_line` is the message up to the first
    line break."""
    cond = getattr(exc, "getCondition", lambda: None)()
    params = getattr(exc, "getMessageParameters", lambda: None)()
    msg = getattr(exc, "getMessage", None)
    text = scrub((msg() if msg else str(exc)).strip())
    return {"exception": type(exc).__name__, "error_class": cond,
            "message_parameters": ({k: scrub(v) for k, v in sorted(params.items())}
                                   if params else params),
            "message_first_line": text.split("\n", 1)[0], "message": text}


def streams(spark, names):
    return {n: (spark.readStream.schema(SCHEMAS[n]).option("maxFilesPerTrigger", 1)
                .json(str(INPUT_DIR / n))) for n in names}


def source_name(description):
    m = re.search(r"input/(\w+)\]?$", description)
    return m.group(1) if m else scrub(description)


def run_query(spark, name, inputs, mode, code):
    env = {"F": F, **streams(spark, inputs)}
    captured, meta = {}, {}

    def on_batch(batch_df, batch_id):
        info = schema_info(batch_df)
        if "columns" in meta:
            assert info == meta, (name, batch_id, info, meta)
        meta.update(info)
        rows, _ = collect_encoded(batch_df)
        rows.sort(key=sort_key)
        captured[batch_id] = rows

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
        srcs = [{"source": source_name(s["description"]),
                 "description": scrub(s["description"]),
                 "start_offset": s["startOffset"], "end_offset": s["endOffset"],
                 "num_input_rows": s["numInputRows"]} for s in p["sources"]]
        assert p["numInputRows"] == sum(s["num_input_rows"] for s in srcs), (name, bid)
        batches.append({
            "batch_id": bid,
            "num_input_rows": p["numInputRows"],
            "sources": srcs,
            "watermark": (p.get("eventTime") or {}).get("watermark"),
            "rows": captured[bid],
        })
    assert meta == schema_info(df), (name, meta, schema_info(df))
    return meta, batches


def run_error(spark, name, inputs, code, ansi):
    env = {"F": F, **streams(spark, inputs)}
    out = {"case": name, "spark": code, "inputs": [f"input/{i}" for i in inputs],
           "ansi": "default (true)" if ansi is None else ansi}
    if ansi is not None:
        spark.conf.set("spark.sql.ansi.enabled", str(ansi).lower())
    try:
        stage = "build"  # eval of the DataFrame expression (Spark analyzes eagerly)
        df = eval(code, env)  # noqa: S307
        out.update(schema_info(df))
        stage = "run"
        captured = {}

        def on_batch(batch_df, batch_id):
            rows, _ = collect_encoded(batch_df)
            rows.sort(key=sort_key)
            captured[batch_id] = rows

        q = (df.writeStream.outputMode("append").trigger(availableNow=True)
             .foreachBatch(on_batch)
             .option("checkpointLocation", str(WORK / "checkpoints" / name)).start())
        q.awaitTermination()
        by_id = {json.loads(p.json)["batchId"]: json.loads(p.json) for p in q.recentProgress}
        out["outcome"] = "no error"
        out["batches"] = [{"batch_id": b, "num_input_rows": by_id[b]["numInputRows"],
                           "rows": captured[b]} for b in sorted(captured)]
    except Exception as exc:  # noqa: BLE001
        out["outcome"] = "error"
        out["raised_at"] = stage
        out["error"] = error_info(exc)
    finally:
        spark.conf.unset("spark.sql.ansi.enabled")
    return out


def dump(path, obj):
    with path.open("w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(obj, indent=1, sort_keys=False, ensure_ascii=False) + "\n")


def main():
    t0 = time.time()
    write_inputs()
    if EXPECTED_DIR.exists():
        shutil.rmtree(EXPECTED_DIR)
    EXPECTED_DIR.mkdir(parents=True)
    spark = make_spark()
    try:
        for name, inputs, mode, code in QUERIES:
            t = time.time()
            meta, batches = run_query(spark, name, inputs, mode, code)
            out = {"query": name, "mode": mode, "spark": code,
                   "source": "\n".join(SOURCE_CODE[i] for i in inputs),
                   "inputs": [f"input/{i}" for i in inputs], "spark_version": spark.version,
                   **meta, "batches": batches}
            dump(EXPECTED_DIR / f"{name}.json", out)
            summary = " ".join(
                f"b{b['batch_id']}(in={b['num_input_rows']}="
                + "+".join(str(s["num_input_rows"]) for s in b["sources"])
                + f",out={len(b['rows'])})" for b in batches)
            print(f"{name:24s} {time.time() - t:5.1f}s {summary}", flush=True)
        errors = []
        for name, inputs, code, ansi in ERROR_QUERIES:
            e = run_error(spark, name, inputs, code, ansi)
            errors.append(e)
            print(f"{name:32s} {e['outcome']} {e.get('raised_at', '')} "
                  f"{(e.get('error') or {}).get('error_class', '')}", flush=True)
        dump(EXPECTED_DIR / "errors.json",
             {"source": "\n".join(SOURCE_CODE.values()), "spark_version": spark.version,
              "errors": errors})
    finally:
        spark.stop()
        shutil.rmtree(WORK, ignore_errors=True)
    print(f"total {time.time() - t0:.1f}s")


if __name__ == "__main__":
    main()
