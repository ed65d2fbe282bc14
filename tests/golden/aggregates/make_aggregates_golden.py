"""Reference ("golden") outputs from real Spark for the streaming aggregate functions beyond
sum/avg/count: moments (stddev/variance), co-moments (corr/covar), picks (first/last/max_by/
min_by), boolean aggregates and approx_count_distinct (HyperLogLog++), carried over
micro-batches. Spark aggregates each batch's rows on their own (partial aggregation) and then
merges that partial buffer with the one in the state store, so the result depends on the merge
formulas (and, for first/last and max_by/min_by ties, on which side of the merge wins).

Usage:  python make_aggregates_golden.py          (pyspark 4.3.0, Java 17; about a minute)

Input A: input/part-000.json .. part-002.json (hand-written, one per micro-batch,
maxFilesPerTrigger=1; their modification times are set here, in name order), schema
`k string, x double, y double, n long, s string, b boolean`. Sections "moments", "comoments",
"picks", "bools", "distinct_small": each one query, run grouped by k (`groupBy("k").agg(...)`)
and global (`agg(...)`), each in outputMode complete and update -> `grouped_complete`,
`grouped_update`, `global_complete`, `global_update`.

Input B: input_distinct/part-000.json .. part-002.json, schema `k string, v long, w string,
d double`, generated deterministically here ONLY IF MISSING (existing files are never
rewritten). Section "distinct": grouped by k, complete mode only. `distinct_exact` holds the
exact distinct counts per key (per batch and cumulative), computed in Python from the files.

`errors` holds Spark's messages for count_distinct in a streaming aggregation (and a note on
first/last's ignorenulls argument).

Writes expected/aggregates.json: each batch's rows (grouped rows sorted by k), doubles as
Python's repr (exact, shortest), None as null, ints/bools as JSON numbers/bools.

Spark setup: local[1], loopback only, 1 shuffle partition, AQE off, UI off, session time zone
UTC, TZ=UTC, a fresh temp checkpoint per query, trigger(availableNow=True), foreachBatch.
"""
import json
import os
import random
import sys
import tempfile
from pathlib import Path

os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"  # loopback only
os.environ["TZ"] = "UTC"

import pyspark  # noqa: E402
from pyspark.sql import SparkSession  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from spark_golden import encode_repr, error_text, set_mtimes  # noqa: E402

HERE = Path(__file__).resolve().parent
SCHEMA_A = "k string, x double, y double, n long, s string, b boolean"
SCHEMA_B = "k string, v long, w string, d double"
def make_distinct_input():
    """Writes input_distinct/part-00{0,1,2}.json unless they already exist."""
    directory = HERE / "input_distinct"
    paths = [directory / f"part-{i:03d}.json" for i in range(3)]
    if all(path.exists() for path in paths):
        return
    directory.mkdir(exist_ok=True)
    # key -> (value of index i, index ranges per batch); every 5th index appears twice in a batch
    keys = {
        "tiny": (lambda i: 1000 + i, [range(0, 20), range(5, 25), range(10, 30)]),          # 30
        "mid": (lambda i: 100000 + 3 * i, [range(0, 400), range(300, 700), range(550, 900)]),  # 900
        "big": (lambda i: 7919 * i - 20000000,
                [range(0, 2500), range(2000, 4500), range(3800, 6000)]),                     # 6000
        # the bias-corrected ranges: raw estimates between 2.5m and 5m registers
        "few": (lambda i: -5000 - 11 * i, [range(0, 60), range(40, 100), range(90, 125)]),     # 125 (p=5)
        "bias": (lambda i: 900000000 + 13 * i,
                 [range(0, 900), range(700, 1500), range(1400, 2000)]),                      # 2000 (p=9)
    }
    rng = random.Random(20240101)
    for batch, path in enumerate(paths):
        rows = []
        for k, (value, ranges) in keys.items():
            for i in ranges[batch]:
                v = value(i)
                row = {"k": k, "v": v, "w": "user-" + str(v), "d": v / 7.0}
                rows.append(row)
                if i % 5 == 0:
                    rows.append(row)
        rng.shuffle(rows)
        path.write_text("".join(json.dumps(row) + "\n" for row in rows))


def distinct_exact():
    out = {}
    seen = {}
    rows_total = {}
    for batch, path in enumerate(sorted((HERE / "input_distinct").glob("part-*.json"))):
        per_batch = {}
        rows_batch = {}
        for line in path.read_text().splitlines():
            row = json.loads(line)
            per_batch.setdefault(row["k"], set()).add(row["v"])
            rows_batch[row["k"]] = rows_batch.get(row["k"], 0) + 1
        for k in sorted(per_batch):
            new = per_batch[k] - seen.get(k, set())
            seen.setdefault(k, set()).update(per_batch[k])
            rows_total[k] = rows_total.get(k, 0) + rows_batch[k]
            out.setdefault(k, []).append({
                "batch_id": batch, "distinct_in_batch": len(per_batch[k]),
                "new_in_batch": len(new),
                "distinct_cumulative": len(seen[k]), "rows_in_batch": rows_batch[k],
                "rows_cumulative": rows_total[k]})
    return out
def run(frame, mode):
    batches = []

    def on_batch(df, batch_id):
        rows = sorted(df.collect(), key=lambda r: r["k"] if "k" in r else "")
        batches.append({"batch_id": batch_id,
                        "rows": [{key: encode_repr(value) for key, value in row.asDict().items()}
                                 for row in rows]})

    query = (frame.writeStream.outputMode(mode).trigger(availableNow=True)
             .option("checkpointLocation", tempfile.mkdtemp()).foreachBatch(on_batch).start())
    query.awaitTermination()
    return batches


def sections():
    x, y, n, s, b = (F.col(c) for c in "xynsb")
    return {
        "moments": [F.stddev(x).alias("sd"), F.stddev_samp(x).alias("sd_samp"),
                    F.stddev_pop(x).alias("sd_pop"), F.variance(x).alias("var"),
                    F.var_samp(x).alias("var_samp"), F.var_pop(x).alias("var_pop"),
                    F.stddev(n).alias("sd_n"), F.var_pop(n).alias("var_pop_n")],
        "comoments": [F.corr(x, y).alias("r"), F.covar_samp(x, y).alias("cov_samp"),
                      F.covar_pop(x, y).alias("cov_pop"), F.corr(x, n).alias("r_xn")],
        "picks": [F.first(s).alias("first_s"), F.first(s, ignorenulls=True).alias("first_s_nn"),
                  F.last(s).alias("last_s"), F.last(s, ignorenulls=True).alias("last_s_nn"),
                  F.max_by(s, x).alias("s_at_max_x"), F.min_by(s, x).alias("s_at_min_x"),
                  F.max_by(n, x).alias("n_at_max_x"), F.first(x).alias("first_x"),
                  F.last(n, ignorenulls=True).alias("last_n_nn")],
        "bools": [F.bool_and(b).alias("all_b"), F.bool_or(b).alias("any_b"),
                  F.every(b).alias("every_b"), F.some(b).alias("some_b"),
                  (F.any(b) if hasattr(F, "any") else F.expr("any(b)")).alias("any_b2")],
        "distinct_small": [F.approx_count_distinct(s).alias("d_s"),
                           F.approx_count_distinct(n).alias("d_n"),
                           F.approx_count_distinct(x).alias("d_x"),
                           F.approx_count_distinct(b).alias("d_b")],
        "counting": [F.count_if(x > 1.0).alias("c_big"), F.count_if(b).alias("c_b"),
                     F.mean(x).alias("mean_x"), F.bit_and(n).alias("and_n"),
                     F.bit_or(n).alias("or_n"), F.bit_xor(n).alias("xor_n")],
        "exact_percentiles": [F.median(x).alias("med_x"), F.percentile(x, 0.25).alias("p25_x"),
                              F.percentile(n, 0.9).alias("p90_n"), F.percentile(n, 0.0).alias("p0_n"),
                              F.percentile(x.cast("decimal(30,5)"), 0.75).alias("p75_dec")],
        "higher_moments": [F.skewness(x).alias("skew"), F.kurtosis(x).alias("kurt"),
                           F.skewness(n).alias("skew_n"), F.kurtosis(n).alias("kurt_n")],
        "percentiles": [F.percentile_approx(x, 0.5).alias("p_x"),
                        F.percentile_approx(x, 0.25, 100).alias("p_x25"),
                        F.percentile_approx(n, 0.9).alias("p_n90"),
                        F.percentile_approx(n, 0.0).alias("p_n0"),
                        F.percentile_approx(n, 1.0).alias("p_n1"),
                        F.expr("approx_percentile(x, 0.75, 10)").alias("p_x75"),
                        F.percentile_approx(n.cast("int"), 0.5).alias("p_int"),
                        F.percentile_approx(x.cast("decimal(10,3)"), 0.5).alias("p_dec"),
                        F.percentile_approx(x.cast("float"), 0.5).alias("p_float")],
    }


def large_value(batch, index):
    """Input of section `percentiles_large`, the same formula as `tests/aggregates.rs`."""
    return ((index + batch * 1_000_003) * 7919) % 1_000_003


LARGE_BATCHES = [60_000, 55_000]


def percentiles_large(spark):
    """More than Spark's head buffer of 50,000 values in one group and batch, so that the
    buffer is merged and compressed within the batch: grouped, complete mode, two batches. The
    input is written to a temporary directory from `large_value` (too large to commit)."""
    directory = Path(tempfile.mkdtemp())
    for batch, rows in enumerate(LARGE_BATCHES):
        path = directory / f"part-{batch:03d}.json"
        path.write_text("".join(json.dumps({"k": "all", "v": large_value(batch, i)}) + "\n"
                                for i in range(rows)))
    set_mtimes(directory)
    v = F.col("v")
    frame = (spark.readStream.schema("k string, v long").option("maxFilesPerTrigger", 1)
             .json(str(directory)).groupBy("k")
             .agg(F.percentile_approx(v, 0.5).alias("p50"),
                  F.percentile_approx(v, 0.02, 100).alias("p02"),
                  F.percentile_approx(v, 0.9, 100000).alias("p90"),
                  F.percentile_approx(v.cast("double"), 0.99, 1000).alias("p99"),
                  F.count(v).alias("rows")))
    return {"batches": LARGE_BATCHES, "grouped_complete": run(frame, "complete")}


def read_back_identical(spark):
    """Spark's batch read of input A equals the JSON values (e.g. 9007199254740993, 1e-300)."""
    expected = [json.loads(line) for path in sorted((HERE / "input").glob("part-*.json"))
                for line in path.read_text().splitlines()]
    got = [row.asDict() for path in sorted((HERE / "input").glob("part-*.json"))
           for row in spark.read.schema(SCHEMA_A).json(str(path)).collect()]
    return expected == got


def main():
    make_distinct_input()
    set_mtimes(HERE / "input")
    set_mtimes(HERE / "input_distinct")
    spark = (SparkSession.builder.master("local[1]")
             .config("spark.sql.shuffle.partitions", "1")
             .config("spark.ui.enabled", "false")
             .config("spark.sql.adaptive.enabled", "false")
             .config("spark.sql.session.timeZone", "UTC")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    out = {"spark_version": spark.version, "pyspark_version": pyspark.__version__,
           "input_read_back_identical": read_back_identical(spark)}

    def events():
        return (spark.readStream.schema(SCHEMA_A).option("maxFilesPerTrigger", 1)
                .json(str(HERE / "input")))

    for name, columns in sections().items():
        # The percentiles' casts overflow for some rows: Rill's casts are Spark's with ANSI off
        # (null on overflow), as `golden/casts` checks.
        spark.conf.set("spark.sql.ansi.enabled", "false" if name == "percentiles" else "true")
        section = {}
        try:
            for shape in ("grouped", "global"):
                for mode in ("complete", "update"):
                    frame = (events().groupBy("k").agg(*columns) if shape == "grouped"
                             else events().agg(*columns))
                    section[f"{shape}_{mode}"] = run(frame, mode)
        except Exception as error:  # noqa: BLE001 -- record Spark's refusal instead
            section = {"error": error_text(error)}
        out[name] = section

    distinct_events = (spark.readStream.schema(SCHEMA_B).option("maxFilesPerTrigger", 1)
                       .json(str(HERE / "input_distinct")))
    v, w, d = F.col("v"), F.col("w"), F.col("d")
    try:
        out["distinct"] = {"grouped_complete": run(distinct_events.groupBy("k").agg(
            F.approx_count_distinct(v).alias("d_v"), F.approx_count_distinct(w).alias("d_w"),
            F.approx_count_distinct(d).alias("d_d"),
            F.approx_count_distinct(v, 0.01).alias("d_v_01"),
            F.approx_count_distinct(w, 0.2).alias("d_w_2"), F.count(v).alias("rows")),
            "complete")}
    except Exception as error:  # noqa: BLE001
        out["distinct"] = {"error": error_text(error)}
    try:
        out["percentiles_distinct"] = {"grouped_complete": run(distinct_events.groupBy("k").agg(
            F.percentile_approx(v, 0.5).alias("p_v"),
            F.percentile_approx(v, 0.99, 10).alias("p_v99"),
            F.percentile_approx(d, 0.1, 100).alias("p_d10"),
            F.percentile_approx(d, 0.5, 1000).alias("p_d"),
            F.percentile_approx(F.timestamp_seconds(v), 0.3).alias("p_ts"),
            F.percentile_approx(F.timestamp_seconds(v).cast("date"), 0.7, 50).alias("p_date")),
            "complete")}
    except Exception as error:  # noqa: BLE001
        out["percentiles_distinct"] = {"error": error_text(error)}
    try:
        # Spark's hash of each type: ints, shorts and bytes as four bytes, floats normalized,
        # timestamps as longs, dates as ints, decimals up to 18 digits as their unscaled long and
        # wider ones as the bytes of their unscaled BigInteger.
        spark.conf.set("spark.sql.ansi.enabled", "false")
        out["distinct_types"] = {"grouped_complete": run(distinct_events.groupBy("k").agg(
            F.approx_count_distinct(v.cast("int")).alias("d_int"),
            F.approx_count_distinct((v % 30000).cast("smallint")).alias("d_short"),
            F.approx_count_distinct((v % 100).cast("tinyint")).alias("d_byte"),
            F.approx_count_distinct(d.cast("float")).alias("d_float"),
            F.approx_count_distinct(F.timestamp_seconds(v)).alias("d_ts"),
            F.approx_count_distinct(F.timestamp_seconds(v).cast("date")).alias("d_date"),
            F.approx_count_distinct(d.cast("decimal(12,2)")).alias("d_dec"),
            F.approx_count_distinct(d.cast("decimal(24,4)")).alias("d_wide")),
            "complete")}
    except Exception as error:  # noqa: BLE001
        out["distinct_types"] = {"error": error_text(error)}
    finally:
        spark.conf.set("spark.sql.ansi.enabled", "true")
    out["exact_percentiles_distinct"] = {"grouped_complete": run(distinct_events.groupBy("k").agg(
        F.median(v).alias("med_v"), F.percentile(d, 0.1).alias("p10_d"),
        F.percentile(v, 0.999).alias("p999_v")), "complete")}
    out["percentiles_large"] = percentiles_large(spark)
    out["distinct_exact"] = distinct_exact()

    errors = {}
    for label, column in [("count_distinct", F.count_distinct("s")),
                          ("countDistinct", F.countDistinct("s"))]:
        try:
            run(events().groupBy("k").agg(column.alias("c")), "complete")
            errors[label] = "no error: the query ran"
        except Exception as error:  # noqa: BLE001
            errors[label] = error_text(error)
    try:  # static (batch) analysis only: the second argument of first/last must be a literal
        spark.read.schema(SCHEMA_A).json(str(HERE / "input")).groupBy("k").agg(
            F.expr("first(s, b)")).collect()
        errors["first_ignorenulls_non_literal"] = "no error"
    except Exception as error:  # noqa: BLE001
        errors["first_ignorenulls_non_literal"] = error_text(error)
    errors["first_ignorenulls_note"] = (
        "pyspark's F.first/F.last take ignorenulls as a Python bool (turned into a literal); in "
        "SQL the second argument of first/last must be a boolean literal (see "
        "first_ignorenulls_non_literal, a batch query with a column there).")
    out["errors"] = errors
    spark.stop()
    (HERE / "expected").mkdir(exist_ok=True)
    (HERE / "expected" / "aggregates.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
