"""Reference ("golden") outputs from real Spark for Rill's event-time tests.

Usage:  python make_event_time_golden.py

Regenerates, next to this script:
  input/part-001.json .. input/part-008.json   deterministic test input (random.Random(7))
  expected/<query>.json                       per-micro-batch foreachBatch output + progress
  expected/datetime_functions.json            date_format / hour / minute / dayofweek / to_timestamp
  expected/seed_2_6.txt                       seed notebook section 2.6 show() bytes (checked
                                              against ../seed_2_6.txt)
  expected/input_summary.json                 per-file summary of the input (late events, duplicates)

Spark setup is the one of ../spark/seed.py (local[*], loopback only, 4 shuffle partitions,
AQE off, session time zone UTC, ANSI left at its Spark 4 default = true unless stated).
Checkpoints go to a temporary directory that is deleted at the end.
"""
import contextlib
import datetime as dt
import io
import json
import os
import random
import shutil
import sys
import tempfile
from pathlib import Path

os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"  # loopback only
os.environ["TZ"] = "UTC"  # Python side never formats timestamps, but be safe

from pyspark.sql import SparkSession, functions as F  # noqa: E402
from pyspark.sql.types import (  # noqa: E402
    DoubleType, StringType, StructField, StructType, TimestampType,
)

HERE = Path(__file__).resolve().parent
INPUT_DIR = HERE / "input"
EXPECTED_DIR = HERE / "expected"
SEED_2_6 = HERE.parent / "seed_2_6.txt"

TS_FMT = "%Y-%m-%d %H:%M:%S"
START = dt.datetime(2026, 1, 1, 9, 0, 0)
NUM_FILES = 8
FILE_SPAN = dt.timedelta(minutes=45)       # 8 x 45 min = 6 hours
MTIME_BASE = 1767258000                    # 2026-01-01 09:00:00 UTC, fixed => reproducible


# ---------------------------------------------------------------------------
# 1a. deterministic input
# ---------------------------------------------------------------------------
def generate_input():
    rng = random.Random(7)
    files = []            # list of list of records (in file order)
    notes = []            # per file: which records are late / duplicates
    max_seen = None
    next_id = 1
    all_records = []

    def new_event(ts):
        nonlocal next_id
        r = rng.random()
        etype = "view" if r < 0.6 else ("cart" if r < 0.85 else "purchase")
        amount = 0.0 if etype == "view" else round(rng.uniform(5, 200), 2)
        rec = {
            "event_id": f"e{next_id:04d}",
            "user_id": f"u{rng.randint(1, 12):02d}",
            "event_type": etype,
            "event_time": ts.strftime(TS_FMT),
            "amount": amount,
        }
        next_id += 1
        return rec

    for i in range(NUM_FILES):
        fileno = i + 1
        base = START + i * FILE_SPAN
        n_regular = rng.randint(21, 24)
        # regular events: spread over the file's 45 minutes, plus jitter of a few
        # minutes; written in a lightly shuffled order => out-of-order inside the file
        times = []
        for k in range(n_regular):
            nominal = base + (FILE_SPAN * k) / n_regular
            jitter = dt.timedelta(seconds=rng.randint(-240, 240))
            t = max(START, nominal + jitter).replace(microsecond=0)
            times.append(t)
        regular = [new_event(t) for t in times]
        # local shuffle: swap some neighbours so times are not monotone within the file
        for _ in range(n_regular // 2):
            a = rng.randrange(n_regular - 1)
            b = min(n_regular - 1, a + rng.randint(1, 3))
            regular[a], regular[b] = regular[b], regular[a]

        file_records = list(regular)
        late, dups = [], []

        # late events (file 3 on): 1-3 hours behind the max event time seen so far
        if fileno >= 3:
            for _ in range(2):
                cur_max = max([max_seen] + [dt.datetime.strptime(r["event_time"], TS_FMT)
                                            for r in file_records])
                behind = dt.timedelta(seconds=rng.randint(3600, 3 * 3600))
                rec = new_event(max(START, cur_max - behind))
                pos = rng.randrange(len(file_records) + 1)
                file_records.insert(pos, rec)
                late.append({"event_id": rec["event_id"], "event_time": rec["event_time"],
                             "behind_max_seen_s": int(behind.total_seconds()),
                             "max_seen": cur_max.strftime(TS_FMT)})

        # exact duplicates (same record, same event_id and event_time) in a later file
        #   file 2: newest event of file 1            (recent: should be deduped via state)
        #   file 4: newest event of file 3            (recent)
        #   file 5: oldest regular event of file 3    (old: behind the 30 min watermark)
        #   file 7: a late event of file 6            (duplicate of a late event)
        #   file 8: newest event of file 7 twice      (two copies in the same later file)
        dup_plan = {2: [("newest", 1)], 4: [("newest", 3)], 5: [("oldest", 3)],
                    7: [("late", 6)], 8: [("newest", 7), ("newest", 7)]}
        for kind, src in dup_plan.get(fileno, []):
            src_recs = files[src - 1]
            src_late_ids = {x["event_id"] for x in notes[src - 1]["late_events"]}
            if kind == "late":
                cands = [r for r in src_recs if r["event_id"] in src_late_ids]
                orig = cands[0]
            else:
                cands = [r for r in src_recs if r["event_id"] not in src_late_ids]
                key = lambda r: (r["event_time"], r["event_id"])  # noqa: E731
                orig = max(cands, key=key) if kind == "newest" else min(cands, key=key)
            rec = dict(orig)
            pos = rng.randrange(len(file_records) + 1)
            file_records.insert(pos, rec)
            dups.append({"event_id": rec["event_id"], "event_time": rec["event_time"],
                         "original_file": f"part-{src:03d}.json", "kind": kind})

        files.append(file_records)
        all_records.extend(file_records)
        file_max = max(dt.datetime.strptime(r["event_time"], TS_FMT) for r in file_records)
        max_seen = file_max if max_seen is None else max(max_seen, file_max)
        notes.append({"file": f"part-{fileno:03d}.json", "num_events": len(file_records),
                      "min_event_time": min(r["event_time"] for r in file_records),
                      "max_event_time": file_max.strftime(TS_FMT),
                      "max_seen_after_file": max_seen.strftime(TS_FMT),
                      "late_events": late, "duplicates": dups})

    if INPUT_DIR.exists():
        shutil.rmtree(INPUT_DIR)
    INPUT_DIR.mkdir(parents=True)
    for i, recs in enumerate(files):
        p = INPUT_DIR / f"part-{i + 1:03d}.json"
        with p.open("w", encoding="utf-8", newline="\n") as f:
            for r in recs:
                f.write(json.dumps(r) + "\n")
        mtime = MTIME_BASE + 60 * (i + 1)  # strictly increasing => read in this order
        os.utime(p, (mtime, mtime))
    return files, notes


# ---------------------------------------------------------------------------
# Spark session (same setup as ../spark/seed.py)
# ---------------------------------------------------------------------------
def make_spark():
    spark = (
        SparkSession.builder
        .master("local[*]")
        .appName("rill-event-time-golden")
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


SCHEMA = StructType([
    StructField("event_id", StringType(), True),
    StructField("user_id", StringType(), True),
    StructField("event_type", StringType(), True),
    StructField("event_time", StringType(), True),
    StructField("amount", DoubleType(), True),
])

AGG = ('.agg(F.count("*").alias("events"), F.round(F.sum("amount"), 2).alias("amount"))')
TUMBLING = ('events.withWatermark("event_time", "10 minutes")'
            '.groupBy(F.window("event_time", "1 hour"), "event_type")' + AGG)
SLIDING = ('events.withWatermark("event_time", "10 minutes")'
           '.groupBy(F.window("event_time", "1 hour", "20 minutes"), "event_type")' + AGG)
OFFSET = ('events.withWatermark("event_time", "10 minutes")'
          '.groupBy(F.window("event_time", "1 hour", "1 hour", "15 minutes"), "event_type")' + AGG)
DEDUP = ('events.withWatermark("event_time", "30 minutes")'
         '.dropDuplicates(["event_id", "event_time"])'
         '.select("event_id", "event_time")')
DEDUP_WW = ('events.withWatermark("event_time", "30 minutes")'
            '.dropDuplicatesWithinWatermark(["event_id"])'
            '.select("event_id", "event_time")')

QUERIES = [
    ("tumbling_complete", TUMBLING, "complete"),
    ("tumbling_update", TUMBLING, "update"),
    ("tumbling_append", TUMBLING, "append"),
    ("sliding_complete", SLIDING, "complete"),
    ("sliding_update", SLIDING, "update"),
    ("sliding_append", SLIDING, "append"),
    ("tumbling_offset_update", OFFSET, "update"),
    ("dedup_with_watermark", DEDUP, "append"),
    ("dedup_within_watermark", DEDUP_WW, "append"),
]

SOURCE_CODE = (
    'raw = spark.readStream.schema(SCHEMA).option("maxFilesPerTrigger", 1).json(input)\n'
    'events = raw.withColumn("event_time", F.to_timestamp("event_time"))'
)


def flatten_for_json(df):
    """Window struct -> window_start, window_end strings at the front; timestamps -> strings."""
    cols_front, cols_rest = [], []
    for f in df.schema.fields:
        if isinstance(f.dataType, StructType) and [x.name for x in f.dataType.fields] == ["start", "end"]:
            cols_front.append(F.date_format(F.col(f.name + ".start"), "yyyy-MM-dd HH:mm:ss").alias("window_start"))
            cols_front.append(F.date_format(F.col(f.name + ".end"), "yyyy-MM-dd HH:mm:ss").alias("window_end"))
        elif isinstance(f.dataType, TimestampType):
            cols_rest.append(F.date_format(F.col(f.name), "yyyy-MM-dd HH:mm:ss").alias(f.name))
        else:
            cols_rest.append(F.col(f.name))
    out = df.select(*(cols_front + cols_rest))
    return out.columns, out


def iso_to_plain(s):
    """Spark progress timestamps '2026-01-01T09:50:00.000Z' -> '2026-01-01 09:50:00'."""
    if s is None:
        return None
    d = dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ")
    assert d.microsecond == 0, s
    return d.strftime(TS_FMT)


def progress_list(q):
    res = []
    for p in q.recentProgress:
        j = p.json
        res.append(json.loads(j() if callable(j) else j))
    return res


def run_query(spark, work, name, code, mode):
    raw = spark.readStream.schema(SCHEMA).option("maxFilesPerTrigger", 1).json(str(INPUT_DIR))
    events = raw.withColumn("event_time", F.to_timestamp("event_time"))
    df = eval(code, {"events": events, "F": F})  # the exact string stored in the JSON

    captured = {}
    columns_holder = {}

    def on_batch(batch_df, batch_id):
        cols, flat = flatten_for_json(batch_df)
        rows = [list(r) for r in flat.collect()]
        rows.sort()
        captured[batch_id] = rows
        columns_holder["columns"] = cols

    q = (df.writeStream
         .outputMode(mode)
         .foreachBatch(on_batch)
         .trigger(availableNow=True)
         .option("checkpointLocation", str(work / "checkpoints" / name))
         .start())
    q.awaitTermination()
    progress = progress_list(q)
    if not columns_holder:
        columns_holder["columns"] = flatten_for_json(df)[0]

    by_id = {p["batchId"]: p for p in progress}
    assert sorted(by_id) == sorted(captured), (name, sorted(by_id), sorted(captured))
    batches = []
    for bid in sorted(captured):
        p = by_id[bid]
        et = p.get("eventTime", {})
        so = p["stateOperators"][0]
        batches.append({
            "batch_id": bid,
            "num_input_rows": p["numInputRows"],
            "watermark": iso_to_plain(et.get("watermark")),
            "event_time": {k: et.get(k) for k in ("watermark", "min", "max", "avg")},
            "state": {
                "operator": so.get("operatorName"),
                "numRowsTotal": so["numRowsTotal"],
                "numRowsUpdated": so["numRowsUpdated"],
                "numRowsRemoved": so["numRowsRemoved"],
                "numRowsDroppedByWatermark": so["numRowsDroppedByWatermark"],
            },
            "num_output_rows": len(captured[bid]),
            "rows": captured[bid],
        })
    return {
        "query": code,
        "source": SOURCE_CODE,
        "output_mode": mode,
        "trigger": "availableNow=True, maxFilesPerTrigger=1",
        "spark_version": spark.version,
        "columns": columns_holder["columns"],
        "batches": batches,
    }


# ---------------------------------------------------------------------------
# 1d. datetime functions
# ---------------------------------------------------------------------------
DATE_PATTERNS = ["yyyy-MM-dd HH:mm", "yyyy-MM-dd'T'HH:mm:ss.SSS", "HH:mm", "yyyyMMdd",
                 "dd/MM/yyyy HH:mm:ss"]
TIMESTAMPS = ["2026-01-01 09:00:00", "2026-01-01 09:05:30.123", "2026-01-04 23:59:59",
              "2024-02-29 00:00:00", "2026-12-31 12:34:56.789"]
PARSE_CASES = [
    ("01/02/2026 10:30", "dd/MM/yyyy HH:mm"),
    ("2026-01-01T09:00:00.123", "yyyy-MM-dd'T'HH:mm:ss.SSS"),
    ("20260101", "yyyyMMdd"),
    ("2026-01-01 09:00:00+02:00", "yyyy-MM-dd HH:mm:ssXXX"),
    ("2026-01-01 09:00:00", None),                  # to_timestamp(s) without a format
    ("2026/01/01 09:00", "yyyy-MM-dd HH:mm"),        # does not match the pattern
]
NON_MATCHING = ("2026/01/01 09:00", "yyyy-MM-dd HH:mm")


def datetime_functions(spark):
    out = {
        "spark_version": spark.version,
        "session_time_zone": spark.conf.get("spark.sql.session.timeZone"),
        "notes": [
            "Input timestamps are built with to_timestamp(<string literal>) (session tz UTC).",
            "'as_string' is CAST(ts AS STRING) (what show() prints: trailing-zero fraction trimmed).",
            "dayofweek: 1 = Sunday ... 7 = Saturday.",
            "to_timestamp results are computed with spark.sql.ansi.enabled=false and again with "
            "ansi=true (the Spark 4 default); 'ansi_false' / 'ansi_true' give each outcome.",
        ],
        "date_format": [],
        "to_timestamp": [],
    }
    prev_ansi = spark.conf.get("spark.sql.ansi.enabled")
    for ts in TIMESTAMPS:
        df = spark.range(1).select(F.to_timestamp(F.lit(ts)).alias("ts"))
        exprs = [F.col("ts").cast("string").alias("as_string")]
        exprs += [F.date_format("ts", p).alias(f"p{i}") for i, p in enumerate(DATE_PATTERNS)]
        exprs += [F.hour("ts").alias("hour"), F.minute("ts").alias("minute"),
                  F.dayofweek("ts").alias("dayofweek")]
        r = df.select(*exprs).collect()[0]
        out["date_format"].append({
            "input": ts,
            "as_string": r["as_string"],
            "date_format": {p: r[f"p{i}"] for i, p in enumerate(DATE_PATTERNS)},
            "hour": r["hour"], "minute": r["minute"], "dayofweek": r["dayofweek"],
        })

    for s, fmt in PARSE_CASES:
        entry = {"input": s, "format": fmt}
        for ansi in ("false", "true"):
            spark.conf.set("spark.sql.ansi.enabled", ansi)
            col = F.to_timestamp(F.lit(s)) if fmt is None else F.to_timestamp(F.lit(s), fmt)
            try:
                r = spark.range(1).select(
                    col.cast("string").alias("v"),
                    F.date_format(col, "yyyy-MM-dd HH:mm:ss.SSS").alias("f")).collect()[0]
                entry[f"ansi_{ansi}"] = {"result": r["v"], "formatted": r["f"], "error": None}
            except Exception as e:  # noqa: BLE001
                msg = str(e).strip().splitlines()[0]
                entry[f"ansi_{ansi}"] = {"result": None, "formatted": None,
                                         "error": msg}
        out["to_timestamp"].append(entry)
    spark.conf.set("spark.sql.ansi.enabled", prev_ansi)
    return out


# ---------------------------------------------------------------------------
# 1e. seed section 2.6 reproduction
# ---------------------------------------------------------------------------
def seed_2_6(spark, work):
    inp = work / "seed_input"
    inp.mkdir(parents=True)

    def write_json_lines(path, records):
        with path.open("w", encoding="utf-8") as f:
            for record in records:
                f.write(json.dumps(record) + "\n")

    write_json_lines(inp / "batch-001.json", [
        {"event_id": "e001", "user_id": "u01", "event_type": "view", "event_time": "2026-01-01 09:00:00", "amount": 0.0},
        {"event_id": "e002", "user_id": "u01", "event_type": "purchase", "event_time": "2026-01-01 09:04:00", "amount": 24.50},
        {"event_id": "e003", "user_id": "u02", "event_type": "view", "event_time": "2026-01-01 09:05:00", "amount": 0.0},
    ])
    write_json_lines(inp / "batch-002.json", [
        {"event_id": "e004", "user_id": "u02", "event_type": "purchase", "event_time": "2026-01-01 09:08:00", "amount": 11.25},
        {"event_id": "e005", "user_id": "u03", "event_type": "view", "event_time": "2026-01-01 10:01:00", "amount": 0.0},
        {"event_id": "e006", "user_id": "u03", "event_type": "purchase", "event_time": "2026-01-01 10:03:00", "amount": 63.00},
    ])
    schema = StructType([StructField(n, t, nullable=False) for n, t in [
        ("event_id", StringType()), ("user_id", StringType()), ("event_type", StringType()),
        ("event_time", StringType()), ("amount", DoubleType())]])
    events = (spark.readStream.schema(schema).json(str(inp))
              .withColumn("event_time", F.to_timestamp("event_time")))
    windowed = (events.withWatermark("event_time", "10 minutes")
                .groupBy(F.window("event_time", "1 hour"), "event_type")
                .agg(F.count("*").alias("events"), F.round(F.sum("amount"), 2).alias("amount")))
    q = (windowed.writeStream.format("memory").queryName("local_events_by_hour")
         .outputMode("complete").trigger(availableNow=True)
         .option("checkpointLocation", str(work / "checkpoints" / "seed-events-by-hour"))
         .start())
    q.awaitTermination()
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        spark.sql("""
SELECT
  date_format(window.start, 'yyyy-MM-dd HH:mm') AS hour,
  event_type,
  events,
  amount
FROM local_events_by_hour
ORDER BY hour, event_type
""").show(truncate=False)
    return buf.getvalue()


def main():
    files, notes = generate_input()
    EXPECTED_DIR.mkdir(parents=True, exist_ok=True)
    (EXPECTED_DIR / "input_summary.json").write_text(
        json.dumps({"files": notes, "total_events": sum(len(f) for f in files)}, indent=2) + "\n")

    spark = make_spark()
    print("Spark version:", spark.version, "| ansi:", spark.conf.get("spark.sql.ansi.enabled"),
          "| tz:", spark.conf.get("spark.sql.session.timeZone"))
    work = Path(tempfile.mkdtemp(prefix="rill-event-time-golden-"))
    try:
        for name, code, mode in QUERIES:
            res = run_query(spark, work, name, code, mode)
            (EXPECTED_DIR / f"{name}.json").write_text(json.dumps(res, indent=2) + "\n")
            print(f"{name}: " + ", ".join(
                f"b{b['batch_id']}(in={b['num_input_rows']},wm={b['watermark']},"
                f"drop={b['state']['numRowsDroppedByWatermark']},out={len(b['rows'])})"
                for b in res["batches"]))

        dtf = datetime_functions(spark)
        (EXPECTED_DIR / "datetime_functions.json").write_text(json.dumps(dtf, indent=2) + "\n")

        s26 = seed_2_6(spark, work)
        (EXPECTED_DIR / "seed_2_6.txt").write_bytes(s26.encode("utf-8"))
        ref = SEED_2_6.read_bytes().decode("utf-8") if SEED_2_6.exists() else None
        ok = ref == s26
        print("seed 2.6 reproduces ../seed_2_6.txt byte-for-byte:", ok)
        if not ok:
            sys.stdout.write(s26)
            raise SystemExit("seed 2.6 output differs from ../seed_2_6.txt")
    finally:
        spark.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
