#!/usr/bin/env python3
"""Rill beside DuckDB, Polars and DataFusion's Python package, on the same JSON event files.

Runs, over the files `rill-compare` (or `rill-eventgen`) generated, the three queries of
`rill-compare` and `spark_bench.py`, at 1 and 2 threads:

  Q1  group_by(user_id): count, round(sum(amount), 2)
  Q2  group_by(1-hour window of to_timestamp(event_time), event_type): count,
      round(sum(amount), 2); the window as its start and end
  Q3  event_type = 'purchase' AND amount > 100, project event_id, user_id,
      event_time (timestamp), amount; written as Parquet (snappy)

and, when named (`--queries q6`), a query over nested JSON:

  Q6  explode(tags) as tag, group_by(tag): count; over the nested events (`rill-eventgen
      --nested`, which `rill-compare --queries q6` writes to data/nested-<options>/), whose
      device and properties objects no schema declares

with each engine reading the NDJSON files with an explicit schema (four strings and a
double; event_time parsed as a timestamp in the query, as Rill's `to_timestamp` does; for Q6
three strings and a list of strings):

  rill        `rill-compare --run-once`: the `stream!` queries, available-now trigger,
              one micro-batch, `DataStreamWriter::parallelism(threads)`
  duckdb      SQL over read_json(files, columns=...), `SET threads = N`
  polars      lazy scan_ndjson(files, schema=...), collect() / sink_parquet(),
              POLARS_MAX_THREADS=N
  datafusion  the Rust harness's SQL over register_json(dir, schema), target_partitions = N,
              TOKIO_WORKER_THREADS=N for its runtime

CSV (`--format csv`, or `--format json,csv` for both): Q1 again, labelled `Q1 (CSV)`, over a
CSV copy of the same rows (`rill-compare --write-csv` writes it to DATA.csv/ once and reuses it:
a header line `event_id,user_id,event_type,event_time,amount`, then the fields bare, amounts in
their shortest round-trip form), each engine reading the CSV files with the explicit schema and
the header: Rill `FileSource::csv(dir)` with `CsvOptions::default().header(true)`
(`rill-compare --run-once q1 --format csv`), DuckDB `read_csv(files, header = true,
delim = ',', auto_detect = false, columns = {...})`, Polars `scan_csv(files, schema=...)`,
DataFusion `register_csv(dir, schema, has_header=True, file_extension=".csv")`. Rill's CSV
result must also equal its JSON result.

Every run is a fresh process (`peers.py --child ENGINE QUERY THREADS OUT` for the Python
engines), timed inside it from setup (connection, context or scan) to the last result in
memory (Q1, Q2) or the Parquet files closed (Q3); process start and imports are not timed.
Before any timing each engine runs each query once at each thread count, and its result,
as canonical CSV (rows sorted; doubles in Rust's shortest round-trip form; timestamps and
window bounds as microseconds since the epoch; Q3 read back from the Parquet files), must
equal Rill's byte for byte; a difference stops the run and prints the first differing rows.
Then the engines run interleaved, round by round (Rill, DuckDB, Polars, DataFusion, Rill,
...), every result checked again; the report gives each engine's median and the median of
the pair-by-pair ratios peer ms / Rill ms (above 1: Rill is faster).

Q6: Rill `--run-once q6` (`explode(tags)`), DuckDB `read_json(..., columns = {..., tags:
'VARCHAR[]'})` and `unnest`, Polars `scan_ndjson` and `explode(empty_as_null=False,
keep_nulls=False)` (Spark's explode: no row for an empty or null list), DataFusion `unnest`
over `register_json` with `tags` a list of strings.

Decoding alone: `rill-compare --decode-only` times Rill's generated JSON decoder on one
thread over the files in memory (Q1's two columns built, all five validated; and all five
built; it finds the line ends itself), and this script times pysimdjson over the same bytes,
in process, on lines split out beforehand (untimed): `Parser().parse(line)` for every line,
and the same plus reading all five fields. With `--format csv`, Rill's CSV decoder too
(`decode_csv`, over the CSV copy in memory: every field split and converted, Q1's two or all
five columns built). With Q6, Rill's decoder for Q6 over the nested events (`--format nested`).

Writes results/peers.json and results/peers.md and prints the Markdown.

    cd benches/compare && cargo build --release && python3 peers.py --rounds 10
"""

import argparse
import decimal
import importlib.metadata
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA = os.path.join(HERE, "data", "events-f20-r100000-s7-u100000")
DEFAULT_NESTED = os.path.join(HERE, "data", "nested-f20-r100000-s7-u100000")
DEFAULT_RILL = os.path.join(HERE, "target", "release", "rill-compare")
ENGINES = ["rill", "duckdb", "polars", "datafusion"]
QUERIES = ["q1", "q2", "q3", "q6"]
# Q6 reads the nested events (`rill-eventgen --nested`), the other queries the seed's.
NESTED_QUERIES = ["q6"]
NAMES = {"rill": "Rill", "duckdb": "DuckDB", "polars": "Polars", "datafusion": "DataFusion"}
WHEELS = ["duckdb", "polars", "datafusion", "pysimdjson", "pyarrow"]

# ---------------------------------------------------------------------------------------------
# The queries, per engine (run in a child process)

# DataFusion: the Rust harness's SQL, word for word.
DF_Q1 = (
    "SELECT user_id, count(*) AS events, round(sum(amount), 2) AS total_amount "
    "FROM events GROUP BY user_id"
)
DF_Q2 = (
    "SELECT window_start, window_start + INTERVAL '1 hour' AS window_end, event_type, events, amount "
    "FROM (SELECT date_bin(INTERVAL '1 hour', to_timestamp_micros(event_time)) AS window_start, "
    "event_type, count(*) AS events, round(sum(amount), 2) AS amount FROM events GROUP BY 1, 2)"
)
DF_Q3 = (
    "SELECT event_id, user_id, to_timestamp_micros(event_time) AS event_time, amount "
    "FROM events WHERE event_type = 'purchase' AND amount > 100"
)
DF_Q6 = "SELECT tag, count(*) AS events FROM (SELECT unnest(tags) AS tag FROM events) GROUP BY tag"

# DuckDB: the same, with CAST(... AS TIMESTAMP) (microseconds) and date_trunc for the window.
DUCK_Q1 = (
    "SELECT user_id, count(*) AS events, round(sum(amount), 2) AS total_amount "
    "FROM {src} GROUP BY user_id"
)
DUCK_Q2 = (
    "SELECT window_start, window_start + INTERVAL 1 HOUR AS window_end, event_type, events, amount "
    "FROM (SELECT date_trunc('hour', CAST(event_time AS TIMESTAMP)) AS window_start, "
    "event_type, count(*) AS events, round(sum(amount), 2) AS amount FROM {src} GROUP BY 1, 2)"
)
DUCK_Q3 = (
    "SELECT event_id, user_id, CAST(event_time AS TIMESTAMP) AS event_time, amount "
    "FROM {src} WHERE event_type = 'purchase' AND amount > 100"
)
DUCK_Q6 = "SELECT tag, count(*) AS events FROM (SELECT unnest(tags) AS tag FROM {src}) GROUP BY tag"

COLUMNS = ["event_id", "user_id", "event_type", "event_time", "amount"]

# The files' formats: the generator's JSON lines, and their CSV copy (`rill-compare --write-csv`,
# a header line, then the same rows), over which Q1 only runs.
FORMATS = ["json", "csv"]
FORMAT_QUERIES = {"json": QUERIES, "csv": ["q1"]}


def event_files(data_dir, fmt="json"):
    """The event files of a format, in name order, as file sources list them (no hidden or `_`
    files)."""
    names = sorted(f for f in os.listdir(data_dir) if f.endswith("." + fmt) and not f.startswith((".", "_")))
    if not names:
        raise SystemExit(f"no .{fmt} files in {data_dir}")
    return [os.path.join(data_dir, name) for name in names]


def case_name(query, fmt):
    """How the report names a query over a format: `Q1`, or `Q1 (CSV)`."""
    return query.upper() + ("" if fmt == "json" else f" ({fmt.upper()})")


def sql_string(text):
    return "'" + text.replace("'", "''") + "'"


def run_duckdb(query, threads, data_dir, parquet_dir, fmt):
    """Returns (seconds, result as an Arrow table, or None for Q3)."""
    import duckdb

    started = time.perf_counter()
    files = "[" + ", ".join(sql_string(f) for f in event_files(data_dir, fmt)) + "]"
    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    columns = (
        "columns = {event_id: 'VARCHAR', user_id: 'VARCHAR', event_type: 'VARCHAR', "
        "event_time: 'VARCHAR', amount: 'DOUBLE'}"
    )
    if query == "q6":
        # The keys the schema leaves out (device, properties) are ignored.
        columns = "columns = {event_id: 'VARCHAR', user_id: 'VARCHAR', event_time: 'VARCHAR', tags: 'VARCHAR[]'}"
    if fmt == "csv":
        # Explicit columns alone do not stop DuckDB sniffing each file's dialect (which cost it
        # ~2.5x on Q1 here); the defaults it then takes (quote and escape '"') fit these files.
        src = f"read_csv({files}, header = true, delim = ',', auto_detect = false, {columns})"
    else:
        src = f"read_json({files}, format = 'newline_delimited', {columns})"
    if query == "q3":
        target = os.path.join(parquet_dir, "part-0.parquet")
        con.execute(
            f"COPY ({DUCK_Q3.format(src=src)}) TO {sql_string(target)} (FORMAT parquet, COMPRESSION snappy)"
        )
        table = None
    else:
        sql = {"q1": DUCK_Q1, "q2": DUCK_Q2, "q6": DUCK_Q6}[query].format(src=src)
        table = con.sql(sql).to_arrow_table()
    elapsed = time.perf_counter() - started
    con.close()
    return elapsed, table


def run_polars(query, threads, data_dir, parquet_dir, fmt):
    """Returns (seconds, result as an Arrow table, or None for Q3). Threads: POLARS_MAX_THREADS."""
    import polars as pl

    if pl.thread_pool_size() != threads:
        raise RuntimeError(f"Polars runs {pl.thread_pool_size()} threads, expected {threads}")
    schema = {
        "event_id": pl.String,
        "user_id": pl.String,
        "event_type": pl.String,
        "event_time": pl.String,
        "amount": pl.Float64,
    }
    event_time = pl.col("event_time").str.to_datetime("%Y-%m-%d %H:%M:%S", time_unit="us")
    # Spark's (and Rill's) round is HALF_UP; Polars' default is half to even.
    rounded_sum = pl.col("amount").sum().round(2, mode="half_away_from_zero")
    if query == "q6":
        # The keys the schema leaves out (device, properties) are ignored.
        schema = {"event_id": pl.String, "user_id": pl.String, "event_time": pl.String, "tags": pl.List(pl.String)}
    started = time.perf_counter()
    if fmt == "csv":
        events = pl.scan_csv(event_files(data_dir, fmt), has_header=True, separator=",", schema=schema)
    else:
        events = pl.scan_ndjson(event_files(data_dir, fmt), schema=schema)
    if query == "q6":
        # Spark's explode: no row for an empty or a null list (Polars' defaults give a null row
        # for a null list).
        frame = (
            events.select(pl.col("tags").explode(empty_as_null=False, keep_nulls=False).alias("tag"))
            .group_by("tag")
            .agg(pl.len().alias("events"))
            .collect()
        )
    elif query == "q1":
        frame = events.group_by("user_id").agg(pl.len().alias("events"), rounded_sum.alias("total_amount")).collect()
    elif query == "q2":
        frame = (
            events.group_by(event_time.dt.truncate("1h").alias("window_start"), "event_type")
            .agg(pl.len().alias("events"), rounded_sum.alias("amount"))
            .select(
                "window_start",
                (pl.col("window_start") + pl.duration(hours=1)).alias("window_end"),
                "event_type",
                "events",
                "amount",
            )
            .collect()
        )
    else:
        (
            events.filter((pl.col("event_type") == "purchase") & (pl.col("amount") > 100.0))
            .select("event_id", "user_id", event_time, "amount")
            .sink_parquet(os.path.join(parquet_dir, "part-0.parquet"), compression="snappy")
        )
        frame = None
    elapsed = time.perf_counter() - started
    return elapsed, None if frame is None else frame.to_arrow()


def run_datafusion(query, threads, data_dir, parquet_dir, fmt):
    """Returns (seconds, result as an Arrow table, or None for Q3). Its tokio runtime's workers:
    TOKIO_WORKER_THREADS, set by the parent."""
    import pyarrow as pa
    from datafusion import SessionConfig, SessionContext

    schema = pa.schema(
        [
            pa.field("event_id", pa.string(), nullable=False),
            pa.field("user_id", pa.string(), nullable=False),
            pa.field("event_type", pa.string(), nullable=False),
            pa.field("event_time", pa.string(), nullable=False),
            pa.field("amount", pa.float64(), nullable=False),
        ]
    )
    if query == "q6":
        # Rill's NestedEvent: `tags: Option<Vec<String>>`; device and properties are not declared.
        schema = pa.schema(
            [
                pa.field("event_id", pa.string(), nullable=False),
                pa.field("user_id", pa.string(), nullable=False),
                pa.field("event_time", pa.string(), nullable=False),
                pa.field("tags", pa.list_(pa.field("item", pa.string(), nullable=False)), nullable=True),
            ]
        )
    started = time.perf_counter()
    # Rill's file sink writes snappy, as Spark does; DataFusion's default is zstd.
    config = (
        SessionConfig()
        .with_target_partitions(threads)
        .set("datafusion.execution.parquet.compression", "snappy")
    )
    ctx = SessionContext(config)
    if fmt == "csv":
        ctx.register_csv(
            "events", data_dir.rstrip("/") + "/", schema=schema, has_header=True, delimiter=",", file_extension=".csv"
        )
    else:
        ctx.register_json("events", data_dir.rstrip("/") + "/", schema=schema, file_extension=".json")
    if query == "q3":
        ctx.sql(f"COPY ({DF_Q3}) TO {sql_string(parquet_dir.rstrip('/') + '/')} STORED AS PARQUET").collect()
        frame = batches = None
    else:
        frame = ctx.sql({"q1": DF_Q1, "q2": DF_Q2, "q6": DF_Q6}[query])
        batches = frame.collect()
    elapsed = time.perf_counter() - started
    return elapsed, None if frame is None else pa.Table.from_batches(batches, schema=frame.schema())


RUNNERS = {"duckdb": run_duckdb, "polars": run_polars, "datafusion": run_datafusion}

# ---------------------------------------------------------------------------------------------
# Canonical results: the same text `rill-compare --run-once` writes


def rust_float(value):
    """A double as Rust's `{}` prints it: shortest round-trip digits, never an exponent, no `.0`."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "inf" if value > 0 else "-inf"
    text = format(decimal.Decimal(repr(value)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def csv_field(value):
    kind, item = value
    if kind == 0:
        return ""
    if kind == 2:
        return rust_float(item)
    if kind == 3:
        if item == "" or any(c in item for c in ',"\n\r'):
            return '"' + item.replace('"', '""') + '"'
        return item
    return str(item)


def leaf_columns(table):
    """The table's columns, struct columns flattened into their fields, in order."""
    import pyarrow as pa

    out = []

    def walk(column):
        if pa.types.is_struct(column.type):
            for i in range(column.type.num_fields):
                walk(column.combine_chunks().field(i) if isinstance(column, pa.ChunkedArray) else column.field(i))
        else:
            out.append(column)

    for column in table.columns:
        walk(column)
    return out


def column_values(column):
    """A column as comparable (kind, value) pairs; kinds rank as Rust's `Val` does: null 0,
    integer 1, double 2, string 3, timestamp 4 (microseconds since the epoch)."""
    import pyarrow as pa

    kind_of = column.type
    if pa.types.is_timestamp(kind_of):
        scale = {"s": 1_000_000, "ms": 1_000, "us": 1, "ns": None}[kind_of.unit]
        raw = column.cast(pa.int64()).to_pylist()
        values = []
        for v in raw:
            if v is None:
                values.append((0, None))
            elif scale is None:
                if v % 1_000:
                    raise ValueError(f"timestamp {v} ns is not a whole microsecond")
                values.append((4, v // 1_000))
            else:
                values.append((4, v * scale))
        return values
    if pa.types.is_integer(kind_of):
        return [(0, None) if v is None else (1, v) for v in column.to_pylist()]
    if pa.types.is_floating(kind_of):
        return [(0, None) if v is None else (2, 0.0 if v == 0 else v) for v in column.to_pylist()]
    if pa.types.is_string(kind_of) or pa.types.is_large_string(kind_of) or pa.types.is_string_view(kind_of):
        return [(0, None) if v is None else (3, v) for v in column.to_pylist()]
    raise ValueError(f"no comparison for values of type {kind_of}")


def canonical_csv(table):
    """The table's rows, struct columns flattened, sorted as Rust's `canonical` sorts them, as
    CSV text."""
    columns = [column_values(c) for c in leaf_columns(table)]
    rows = sorted(zip(*columns)) if columns else []
    return "".join(",".join(csv_field(v) for v in row) + "\n" for row in rows)


def child_main(engine, query, threads, out_file, data_dir, fmt):
    """Runs one query once over the files of a format and prints its line; the result goes to
    `out_file` as CSV."""
    import pyarrow.parquet as pq

    parquet_dir = out_file + ".parquet.d"
    shutil.rmtree(parquet_dir, ignore_errors=True)
    os.makedirs(parquet_dir)
    cpu_started = time.process_time()
    elapsed, table = RUNNERS[engine](query, threads, data_dir, parquet_dir, fmt)
    # CPU time of all the process's threads over the run (and its setup before the timer).
    cpu = time.process_time() - cpu_started
    # The process's threads after the run (pools included): a check on the thread settings.
    os_threads = len(os.listdir("/proc/self/task")) if os.path.isdir("/proc/self/task") else None
    if table is None:
        table = pq.read_table(parquet_dir)
    text = canonical_csv(table)
    shutil.rmtree(parquet_dir, ignore_errors=True)
    with open(out_file, "w") as out:
        out.write(text)
    line = {
        "engine": engine,
        "query": query,
        "format": fmt,
        "threads": threads,
        "ms": round(elapsed * 1e3, 3),
        "result_rows": table.num_rows,
        "cpu_ms": round(cpu * 1e3, 1),
        "os_threads": os_threads,
    }
    print(json.dumps(line), flush=True)


# ---------------------------------------------------------------------------------------------
# The parent: checks, interleaved timing, decoding, report


def run_child(args, engine, query, fmt, threads, out_file):
    """Runs one measurement over the files of a format in a fresh process; returns its JSON line
    as a dict."""
    env = dict(os.environ)
    env["POLARS_MAX_THREADS"] = str(threads)
    env["TOKIO_WORKER_THREADS"] = str(threads)
    data = args.nested if query in NESTED_QUERIES else args.dirs[fmt]
    if engine == "rill":
        command = [args.rill, "--run-once", query, "--format", fmt, "--threads", str(threads)]
        command += ["--data", data, "--out", out_file]
    else:
        command = [sys.executable, os.path.abspath(__file__), "--child", engine, query, str(threads), out_file]
        command += ["--data", data, "--format", fmt]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise SystemExit(
            f"{NAMES[engine]} {case_name(query, fmt)} at {threads} thread(s) failed ({done.returncode}):\n"
            f"{' '.join(command)}\n{done.stdout}\n{done.stderr}"
        )
    line = json.loads(lines[-1])
    # The whole process, start, imports and writing the result included: not the timed figure,
    # but its CPU over its wall time shows how many cores it kept busy.
    line["process_wall_ms"] = round(wall * 1e3, 1)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    line["process_cpu_ms"] = round(cpu * 1e3, 1)
    return line


def differences(what, peer, reference, other, limit=10):
    """A report of the first rows that differ between Rill's canonical CSV text and a peer's."""
    ref_lines, other_lines = reference.splitlines(), other.splitlines()
    ref_set, other_set = set(ref_lines), set(other_lines)
    only_rill = [line for line in ref_lines if line not in other_set]
    only_other = [line for line in other_lines if line not in ref_set]
    report = [f"RESULTS DIFFER for {what}: Rill has {len(ref_lines)} rows, {peer} {len(other_lines)}"]
    report += [f"  only in Rill: {line}" for line in only_rill[:limit]]
    report += [f"  only in {peer}: {line}" for line in only_other[:limit]]
    if len(only_rill) > limit or len(only_other) > limit:
        report.append(f"  ... {len(only_rill)} rows only in Rill, {len(only_other)} only in {peer}")
    if not only_rill and not only_other:
        first = next(i for i, (a, b) in enumerate(zip(ref_lines, other_lines)) if a != b)
        report.append(f"  same rows, another order (or duplicates) from row {first}: {other_lines[first]!r}")
    return "\n".join(report)


def read_text(path):
    with open(path) as text:
        return text.read()


def count_rows(files, header=False):
    """Non-empty lines, less each file's first when it is a header: the records every engine
    reads."""
    rows = 0
    for path in files:
        with open(path, "rb") as data:
            content = data.read()
        rows += sum(1 for line in content.split(b"\n") if line.strip()) - (1 if header else 0)
    return rows


def count_occurrences(files, needle):
    """How many times `needle` occurs in the files."""
    count = 0
    for path in files:
        with open(path, "rb") as data:
            count += data.read().count(needle)
    return count


def ensure_csv(args):
    """The CSV copy of the JSON files, written by `rill-compare --write-csv` unless it exists:
    its directory."""
    done = subprocess.run([args.rill, "--write-csv", "--data", args.data], capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"rill-compare --write-csv failed:\n{done.stdout}\n{done.stderr}")
    written = json.loads(lines[-1])
    if written["written"]:
        print(f"wrote the CSV copy of the {written['files']} JSON files to {written['csv_dir']}")
    return written["csv_dir"]


def simdjson_rates(files, rounds):
    """pysimdjson over the files' bytes in memory: (a) parse every line, (b) parse and read all
    five fields. The lines are split out beforehand, outside the timing (in Python, making 2
    million bytes objects costs about as much as parsing them); Rill's timed decoder finds its
    line ends itself. Returns one result dict per variant."""
    import simdjson

    contents = []
    for path in files:
        with open(path, "rb") as data:
            contents.append(data.read())
    total = sum(len(c) for c in contents)
    started = time.perf_counter()
    lines = [line for content in contents for line in content.split(b"\n") if line.strip()]
    split_s = time.perf_counter() - started
    del contents

    def parse_only():
        parser = simdjson.Parser()
        for line in lines:
            parser.parse(line)
        return len(lines)

    def parse_and_read():
        parser = simdjson.Parser()
        for line in lines:
            doc = parser.parse(line)
            doc["event_id"], doc["user_id"], doc["event_type"], doc["event_time"], doc["amount"]
            # The parser cannot parse again while a proxy of its last document lives.
            del doc
        return len(lines)

    results = []
    for name, function, columns in [
        ("pysimdjson: Parser().parse(line) per line (DOM only)", parse_only, []),
        ("pysimdjson: parse + read all 5 fields", parse_and_read, COLUMNS),
    ]:
        runs, records = [], None
        for _ in range(rounds):
            started = time.perf_counter()
            parsed = function()
            runs.append(time.perf_counter() - started)
            if records is not None and parsed != records:
                raise SystemExit(f"{name}: rounds parsed different numbers of lines")
            records = parsed
        median_s = statistics.median(runs)
        results.append(
            {
                "engine": "pysimdjson",
                "decoder": name,
                "columns": columns,
                "files": len(files),
                "bytes": total,
                "records": records,
                "rounds": rounds,
                "runs_s": runs,
                "median_s": median_s,
                "gb_per_s": total / median_s / 1e9,
                "split_lines_s_untimed": split_s,
            }
        )
    return results


def cpu_model():
    """The CPU's model name, with family, model, L3 and hypervisor from `lscpu` when it runs."""
    try:
        output = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    except OSError:
        output = ""
    fields = {}
    for line in output.splitlines():
        name, _, value = line.partition(":")
        fields.setdefault(name.strip(), value.strip())
    name = fields.get("Model name")
    if not name:
        try:
            with open("/proc/cpuinfo") as info:
                name = next((l.split(":", 1)[1].strip() for l in info if l.startswith("model name")), None)
        except OSError:
            pass
    details = [
        f"{label}{fields[key]}"
        for key, label in [("CPU family", "family "), ("Model", "model "), ("L3 cache", "L3 "), ("Hypervisor vendor", "")]
        if fields.get(key)
    ]
    name = name or platform.processor() or "unknown"
    return f"{name} ({', '.join(details)})" if details else name


def load_average():
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "?"


def git_state():
    """The commit the Rill binary was presumably built from, and whether the tree had changes."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=HERE, capture_output=True, text=True).stdout
        return commit + (" (with uncommitted changes)" if dirty.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def versions():
    found = {}
    for wheel in WHEELS:
        try:
            found[wheel] = importlib.metadata.version(wheel)
        except importlib.metadata.PackageNotFoundError:
            found[wheel] = None
    found["python"] = platform.python_version()
    return found


def fmt_ms(value):
    return "—" if value is None else f"{value:.0f}"


def fmt_ratio(value):
    return "—" if value is None else f"{value:.2f}×"


def markdown(report):
    peers = [e for e in report["engines"] if e != "rill"]
    lines = []
    header = "| query | threads |"
    rule = "|---|---:|"
    if "rill" in report["engines"]:
        header += " Rill ms |"
        rule += "---:|"
    for peer in peers:
        header += f" {NAMES[peer]} ms | {NAMES[peer]} ÷ Rill |"
        rule += "---:|---:|"
    lines += [header, rule]
    for row in report["results"]:
        cells = [case_name(row["query"], row.get("format", "json")), str(row["threads"])]
        if "rill" in report["engines"]:
            cells.append(fmt_ms(row["engines"]["rill"]["median_ms"]))
        for peer in peers:
            cells.append(fmt_ms(row["engines"][peer]["median_ms"]))
            cells.append(fmt_ratio(row["engines"][peer].get("ratio_to_rill")))
        lines.append("| " + " | ".join(cells) + " |")
    text = "\n".join(lines) + "\n"
    if report.get("decode"):
        text += "\n| decoder (one thread, files in memory) | columns built | median s | GB/s |\n|---|---|---:|---:|\n"
        for row in report["decode"]:
            engine = "Rill" if row["engine"] == "rill" else ""
            name = f"{engine} {row['decoder']}".strip()
            columns = ", ".join(row["columns"]) if row["columns"] else "—"
            text += f"| {name} | {columns} | {row['median_s']:.3f} | {row['gb_per_s']:.2f} |\n"
    return text


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=DEFAULT_DATA, help="directory of event files (default: %(default)s)")
    parser.add_argument(
        "--nested-data",
        default=DEFAULT_NESTED,
        help="directory of the nested event files Q6 reads, written by `rill-compare --queries q6` "
        "(default: %(default)s)",
    )
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    parser.add_argument("--queries", default="q1,q2,q3", help="any of q1, q2, q3 (default) and q6 (nested JSON)")
    parser.add_argument(
        "--format",
        default="json",
        help="comma-separated input formats: json (Q1-Q3, Q6), csv (Q1, over a CSV copy of the JSON files "
        "that rill-compare --write-csv writes to DATA.csv once); default %(default)s",
    )
    parser.add_argument("--engines", default="rill,duckdb,polars,datafusion")
    parser.add_argument("--rill", default=DEFAULT_RILL, help="the rill-compare binary (default: %(default)s)")
    parser.add_argument("--skip-check", action="store_true", help="do not compare results with Rill's")
    parser.add_argument("--decode-rounds", type=int, default=None, help="rounds of decoding (default: --rounds)")
    parser.add_argument("--skip-decode", action="store_true", help="do not measure decoding alone")
    parser.add_argument("--results", default=os.path.join(HERE, "results"), help="where peers.{json,md} go")
    parser.add_argument("--child", nargs=4, metavar=("ENGINE", "QUERY", "THREADS", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.data = os.path.abspath(args.data)

    if args.child:
        engine, query, threads, out_file = args.child
        child_main(engine, query, int(threads), out_file, args.data, args.format)
        return

    engines = [e.strip().lower() for e in args.engines.split(",")]
    queries = [q.strip().lower() for q in args.queries.split(",")]
    threads_list = [int(t) for t in args.threads.split(",")]
    for engine in engines:
        if engine not in ENGINES:
            raise SystemExit(f"unknown engine {engine}; expected some of {', '.join(ENGINES)}")
    # Always in this order, Rill first: its result is the reference the others are checked against.
    engines = sorted(set(engines), key=ENGINES.index)
    for query in queries:
        if query not in QUERIES:
            raise SystemExit(f"unknown query {query}; expected some of {', '.join(QUERIES)}")
    formats = [f.strip().lower() for f in args.format.split(",")]
    for fmt in formats:
        if fmt not in FORMATS:
            raise SystemExit(f"unknown format {fmt}; expected some of {', '.join(FORMATS)}")
    formats = sorted(set(formats), key=FORMATS.index)
    # The (format, query) cases, JSON's first; each format runs the queries it has.
    cases = [(fmt, query) for fmt in formats for query in queries if query in FORMAT_QUERIES[fmt]]
    for fmt in formats:
        if not any(f == fmt for f, _ in cases):
            raise SystemExit(f"--format {fmt} runs {', '.join(FORMAT_QUERIES[fmt])} only, which --queries lacks")
    args.rill = os.path.abspath(args.rill)
    if ("rill" in engines or not args.skip_decode or "csv" in formats) and not os.access(args.rill, os.X_OK):
        raise SystemExit(f"{args.rill} not found: cd benches/compare && cargo build --release")
    check = not args.skip_check and "rill" in engines
    if not args.skip_check and "rill" not in engines:
        print("(no Rill among the engines: results are not checked)")

    # The seed's events for Q1-Q3, the nested events for Q6: each only when a query reads it.
    flat = any(query not in NESTED_QUERIES for _, query in cases)
    nested = any(query in NESTED_QUERIES for _, query in cases)
    args.nested = os.path.abspath(args.nested_data)
    args.dirs = {"json": args.data}
    if "csv" in formats:
        args.dirs["csv"] = ensure_csv(args)
    inputs = {}
    files, input_rows, input_bytes = [], 0, 0
    if flat:
        files = event_files(args.data)
        input_bytes = sum(os.path.getsize(f) for f in files)
        input_rows = count_rows(files)
        inputs["json"] = {"dir": args.data, "files": len(files), "rows": input_rows, "bytes": input_bytes}
    if nested:
        if not os.path.isdir(args.nested):
            raise SystemExit(f"no {args.nested}: `rill-compare --queries q6` writes the nested events there")
        nested_files = event_files(args.nested)
        nested_rows = count_rows(nested_files)
        inputs["nested"] = {
            "dir": args.nested,
            "files": len(nested_files),
            "rows": nested_rows,
            "bytes": sum(os.path.getsize(f) for f in nested_files),
            # Rill (as Spark) pushes explode's isnotnull(tags) into its decoder and counts as input
            # the rows that pass it.
            "rows_with_tags": nested_rows - count_occurrences(nested_files, b'"tags": null'),
        }
    if "csv" in formats:
        csv_files = event_files(args.dirs["csv"], "csv")
        inputs["csv"] = {
            "dir": args.dirs["csv"],
            "files": len(csv_files),
            "rows": count_rows(csv_files, header=True),
            "bytes": sum(os.path.getsize(f) for f in csv_files),
        }
        if inputs["csv"]["rows"] != input_rows or len(csv_files) != len(files):
            raise SystemExit(
                f"the CSV copy in {args.dirs['csv']} has {inputs['csv']['rows']} rows in {len(csv_files)} files, "
                f"the JSON files {input_rows} in {len(files)}: remove it, and it is written again"
            )
    machine = {
        "cpu": cpu_model(),
        "logical_cpus": os.cpu_count(),
        "platform": platform.platform(),
        "load_average_before": load_average(),
    }
    wheel_versions = versions()
    print(
        f"machine: {machine['cpu']}, {machine['logical_cpus']} logical CPUs, {machine['platform']}; "
        f"load average {machine['load_average_before']}"
    )
    print("versions: " + ", ".join(f"{k} {v}" for k, v in wheel_versions.items()) + f"; Rill {git_state()}")
    for kind, i in inputs.items():
        print(f"input ({kind}): {i['files']} files, {i['rows']} rows, {i['bytes']} bytes in {i['dir']}")

    work = tempfile.mkdtemp(prefix="rill-peers-")
    try:
        # 1. Correctness first: every engine's result equal to Rill's, at every thread count.
        references = {}
        warmups = {}
        for threads in threads_list:
            for fmt, query in cases:
                name = case_name(query, fmt)
                for engine in engines:
                    out_file = os.path.join(work, f"check-{engine}-{query}-{fmt}-{threads}.csv")
                    line = run_child(args, engine, query, fmt, threads, out_file)
                    warmups[(engine, fmt, query, threads)] = line
                    if engine == "rill":
                        if query in NESTED_QUERIES:
                            expected = inputs["nested"]["rows_with_tags"]
                        elif query == "q3":
                            expected = line["result_rows"]
                        else:
                            expected = inputs[fmt]["rows"]
                        if line["input_rows"] != expected:
                            raise SystemExit(f"Rill {name} read {line['input_rows']} rows, expected {expected}")
                    if not check:
                        continue
                    text = read_text(out_file)
                    if engine == "rill":
                        references[(fmt, query, threads)] = text
                        # The same rows in another format: Rill's results must agree too.
                        json_reference = references.get(("json", query, threads))
                        if fmt != "json" and json_reference is not None and text != json_reference:
                            what = f"{query.upper()} at {threads} thread(s), JSON against {fmt.upper()}"
                            print(differences(what, f"Rill ({fmt.upper()})", json_reference, text))
                            raise SystemExit(1)
                        continue
                    reference = references[(fmt, query, threads)]
                    if text != reference:
                        what = f"{name} at {threads} thread(s)"
                        print(differences(what, NAMES[engine], reference, text))
                        raise SystemExit(1)
                checked = "results equal to Rill's" if check else "not checked"
                if check and fmt != "json" and ("json", query, threads) in references:
                    checked += f" (and Rill's {fmt.upper()} result to its JSON result)"
                rows = warmups[(engines[0], fmt, query, threads)]["result_rows"]
                print(
                    f"  {name} at {threads} thread(s): {checked} ({rows} rows); warm-up ms: "
                    + ", ".join(f"{NAMES[e]} {warmups[(e, fmt, query, threads)]['ms']:.0f}" for e in engines),
                    flush=True,
                )

        # 2. Timing, interleaved round by round; every result checked again.
        results = []
        for threads in threads_list:
            for fmt, query in cases:
                name = case_name(query, fmt)
                runs = {engine: [] for engine in engines}
                process = {engine: {"process_wall_ms": [], "process_cpu_ms": [], "cpu_ms": []} for engine in engines}
                os_threads = {}
                for _ in range(args.rounds):
                    for engine in engines:
                        out_file = os.path.join(work, f"run-{engine}-{query}-{fmt}-{threads}.csv")
                        line = run_child(args, engine, query, fmt, threads, out_file)
                        reference = references.get((fmt, query, threads))
                        if check and read_text(out_file) != reference:
                            what = f"{name} at {threads} thread(s), a timed run"
                            print(differences(what, NAMES[engine], reference, read_text(out_file)))
                            raise SystemExit(1)
                        runs[engine].append(line["ms"])
                        for key, values in process[engine].items():
                            if key in line:
                                values.append(line[key])
                        if line.get("os_threads") is not None:
                            os_threads[engine] = line["os_threads"]
                row = {"query": query, "format": fmt, "threads": threads, "engines": {}}
                for engine in engines:
                    entry = {
                        "median_ms": statistics.median(runs[engine]),
                        "runs_ms": runs[engine],
                        "result_rows": warmups[(engine, fmt, query, threads)]["result_rows"],
                    }
                    if engine in os_threads:
                        entry["os_threads_at_end"] = os_threads[engine]
                    entry.update({key: values for key, values in process[engine].items() if values})
                    if "rill" in engines and engine != "rill":
                        pairs = [p / r for p, r in zip(runs[engine], runs["rill"])]
                        entry["ratios_to_rill"] = pairs
                        entry["ratio_to_rill"] = statistics.median(pairs)
                    row["engines"][engine] = entry
                results.append(row)
                print(
                    f"  {name} at {threads} thread(s), medians: "
                    + ", ".join(
                        f"{NAMES[e]} {row['engines'][e]['median_ms']:.0f} ms"
                        + (f" ({row['engines'][e]['ratio_to_rill']:.2f}×)" if "ratio_to_rill" in row["engines"][e] else "")
                        for e in engines
                    ),
                    flush=True,
                )

        # 3. Decoding alone, one thread, the files already in memory: Rill's decoder for each
        # format, and pysimdjson beside the JSON rows; Q6's decoder over the nested events.
        decode = []
        if not args.skip_decode:
            decode_rounds = args.decode_rounds or args.rounds
            decoded_formats = [fmt for fmt in formats if flat] + (["nested"] if nested else [])
            for fmt in decoded_formats:
                data = args.nested if fmt == "nested" else args.dirs[fmt]
                done = subprocess.run(
                    [args.rill, "--decode-only", "--format", fmt, "--data", data] + ["--rounds", str(decode_rounds)],
                    capture_output=True,
                    text=True,
                )
                if done.returncode != 0:
                    failed = f"rill-compare --decode-only --format {fmt} failed"
                    raise SystemExit(f"{failed}:\n{done.stdout}\n{done.stderr}")
                rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
                for row in rows:
                    row["input"] = "nested" if fmt == "nested" else "json"
                decode += rows
            if "json" in formats and flat:
                decode += simdjson_rates(files, decode_rounds)
            for row in decode:
                expected = inputs["nested"]["rows"] if row.get("input") == "nested" else input_rows
                if row["records"] != expected:
                    raise SystemExit(f"{row['decoder']}: {row['records']} records, expected {expected}")
    finally:
        shutil.rmtree(work, ignore_errors=True)

    machine["load_average_after"] = load_average()
    report = {
        "generated_at": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        "machine": machine,
        "versions": wheel_versions,
        "rill": {"binary": args.rill, "source": git_state()},
        "input": inputs.get("json"),
        "csv_input": inputs.get("csv"),
        "nested_input": inputs.get("nested"),
        "formats": formats,
        "rounds": args.rounds,
        "engines": engines,
        "checked": check,
        "threads": {
            "rill": "--threads N: DataStreamWriter::parallelism(N), decoding on N threads",
            "duckdb": "SET threads = N",
            "polars": "POLARS_MAX_THREADS=N",
            "datafusion": "SessionConfig.with_target_partitions(N), TOKIO_WORKER_THREADS=N",
        },
        "results": results,
        "decode": decode,
    }
    table = markdown(report)
    v = wheel_versions
    csv_note = ""
    if "csv" in inputs:
        csv_note = (
            f"; the CSV rows over their CSV copy ({inputs['csv']['bytes'] / 1e6:.0f} MB, a header line each, "
            f"{inputs['csv']['dir']})"
        )
    described = []
    if "json" in inputs:
        described.append(
            f"{input_rows} rows in {len(files)} files ({input_bytes / 1e6:.0f} MB of JSON lines, {args.data}{csv_note})"
        )
    if "nested" in inputs:
        n = inputs["nested"]
        described.append(
            f"Q6: {n['rows']} nested rows in {n['files']} files ({n['bytes'] / 1e6:.0f} MB of JSON lines, "
            f"{n['bytes'] / n['rows']:.1f} bytes a line, {n['rows_with_tags']} with a tags array, {n['dir']})"
        )
    md = (
        f"Run {report['generated_at']}: {'; '.join(described)}, {args.rounds} rounds, medians; "
        "each run a fresh process; ratio = the median of the pair-by-pair peer ms ÷ Rill ms "
        "(above 1: Rill is faster).\n\n"
        f"Machine: {machine['cpu']}, {machine['logical_cpus']} logical CPUs, {machine['platform']}. "
        f"Load average before / after: {machine['load_average_before']} / {machine['load_average_after']}. "
        f"Rill {report['rill']['source']}; DuckDB {v['duckdb']}, Polars {v['polars']}, "
        f"DataFusion (Python) {v['datafusion']}, pysimdjson {v['pysimdjson']}, pyarrow {v['pyarrow']}, "
        f"Python {v['python']}.\n\n" + table
    )
    os.makedirs(args.results, exist_ok=True)
    with open(os.path.join(args.results, "peers.json"), "w") as out:
        json.dump(report, out, indent=2)
        out.write("\n")
    with open(os.path.join(args.results, "peers.md"), "w") as out:
        out.write(md)
    print()
    print(md)
    print(f"wrote {os.path.join(args.results, 'peers.json')} and peers.md")


if __name__ == "__main__":
    main()
