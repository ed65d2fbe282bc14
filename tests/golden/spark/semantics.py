"""Settles Spark semantics questions (a-h) for the Rill port by running real Spark.

Writes exact captured outputs to out/semantics/<key>.txt and a combined
out/semantics_all.txt. Session time zone is UTC. ANSI is left at its default
unless a section explicitly toggles it (and restores it).
"""
import contextlib
import io
import json
import os
import shutil
import sys
import time
import traceback
from pathlib import Path

os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"  # loopback only

from pyspark.sql import SparkSession, functions as F, Row
from pyspark.sql.types import (StructType, StructField, StringType, DoubleType,
                               IntegerType, BooleanType, LongType)

ORACLE = Path(__file__).resolve().parent
OUT = ORACLE / "out" / "semantics"
WORK = ORACLE / "_spark_output" / "semantics"
if OUT.exists():
    shutil.rmtree(OUT)
if WORK.exists():
    shutil.rmtree(WORK)
OUT.mkdir(parents=True)
WORK.mkdir(parents=True)

spark = (
    SparkSession.builder
    .master("local[*]")
    .appName("rill-oracle-semantics")
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

ALL = []


def emit(key, text):
    (OUT / f"{key}.txt").write_bytes(text.encode("utf-8"))
    ALL.append(f"######## {key}\n{text}")
    sys.stdout.write(f"######## {key}\n{text}")
    sys.stdout.flush()


def cap(fn):
    """Run fn capturing stdout; on exception, append the error class/message."""
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf):
            fn()
    except Exception as e:  # noqa
        cond = getattr(e, "getCondition", None) or getattr(e, "getErrorClass", None)
        cls = None
        try:
            cls = cond() if cond else None
        except Exception:
            pass
        msg = str(e).strip().splitlines()
        buf.write(f"!! EXCEPTION {type(e).__name__} condition={cls}\n!! {msg[0] if msg else ''}\n")
    return buf.getvalue()


def schema_str(df):
    return df._jdf.schema().treeString()


emit("00_env", f"spark.version={spark.version}\n"
     f"spark.sql.ansi.enabled={spark.conf.get('spark.sql.ansi.enabled')}\n"
     f"spark.sql.session.timeZone={spark.conf.get('spark.sql.session.timeZone')}\n")

# ============================================================ a. show() formatting
doubles = [0.0, 63.0, 1e7, 12345678.9, 0.0001, 1.0e-5, -0.0, float("nan"), None]
ts_strings = ["2026-01-01 09:00:00", "2026-01-01 09:00:00.123", "2026-01-01 09:00:00.100",
              "2026-01-01 09:00:00.123456", None, "1969-12-31 23:59:59.5",
              "2026-01-01 00:00:00", "2026-12-31 23:59:59.999999", "2026-01-01 09:00:00"]
rows = []
for i, d in enumerate(doubles):
    rows.append((d,
                 [0, 1, -7, 123456, None, 2147483647, -2147483648, 42, 5][i],
                 [True, False, None, True, False, True, False, True, False][i],
                 ts_strings[i],
                 ["short", "exactly twenty chars", "this string is longer than twenty characters",
                  "", None, "twenty-one characters", "héllo wörld ünïcode long string", "a", "NULL"][i]))
schema_a = StructType([
    StructField("d", DoubleType(), True),
    StructField("i", IntegerType(), True),
    StructField("b", BooleanType(), True),
    StructField("ts_str", StringType(), True),
    StructField("s", StringType(), True),
])
df_a = (spark.createDataFrame(rows, schema_a)
        .withColumn("ts", F.to_timestamp("ts_str"))
        .select("d", "i", "b", "ts", "s"))
txt = "schema:\n" + schema_str(df_a)
txt += "\n-- show()\n" + cap(lambda: df_a.show())
txt += "-- show(truncate=False)\n" + cap(lambda: df_a.show(truncate=False))
txt += "-- show(truncate=5)\n" + cap(lambda: df_a.show(truncate=5))
txt += "-- show(3)\n" + cap(lambda: df_a.show(3))
txt += "-- show(vertical=True, n=2)\n" + cap(lambda: df_a.show(2, vertical=True))
emit("a1_show_mixed", txt)

# more double renderings (Java/Scala Double.toString thresholds)
more = [1.0, 100.0, 1234567.0, 9999999.0, 9999999.999, 10000000.0, 123456789.0, 1e15, 1e21,
        0.001, 0.00099, 0.1, 0.1 + 0.2, 1 / 3, 2.5e-7, -1.5, 24.5, 11.25, 35.75,
        float("inf"), float("-inf"), 4.9e-324, 1.7976931348623157e308]
df_d = spark.createDataFrame([(x,) for x in more], StructType([StructField("x", DoubleType(), True)]))
txt = cap(lambda: df_d.show(50, truncate=False)) + cap(lambda: df_d.show(50))
txt += "-- cast(x as string) per value:\n"
for r in df_d.select(F.col("x").cast("string").alias("s")).collect():
    txt += f"{r.s}\n"
emit("a2_show_doubles_more", txt)

# float (real) and long and decimal columns
df_misc = spark.sql("""
SELECT CAST(x AS FLOAT) AS f, CAST(x AS BIGINT) AS l, CAST(x AS DECIMAL(10,2)) AS dec,
       CAST('2026-01-01' AS DATE) AS dt, array(1,2) AS arr, map('k', 1) AS m,
       named_struct('a', 1, 'b', 'x') AS st, CAST(NULL AS STRING) AS n
FROM VALUES (0.1D), (1.5D), (12345678.9D), (1e7D) AS t(x)
""")
emit("a3_show_misc_types", schema_str(df_misc) + cap(lambda: df_misc.show()) +
     cap(lambda: df_misc.show(truncate=False)))

# row-count footer
df_many = spark.range(25)
emit("a4_show_footer", cap(lambda: df_many.show()) + "-- show(0)\n" + cap(lambda: df_many.show(0))
     + "-- empty df\n" + cap(lambda: df_many.filter("id < 0").show()))

# raw JVM showString (what pyspark's show() passes to print(), which adds one more "\n")
emit("a5_raw_showString_repr",
     "spark.range(3).showString(20,20,False) = " + repr(spark.range(3)._jdf.showString(20, 20, False)) + "\n"
     + "spark.range(3).showString(2,20,False) = " + repr(spark.range(3)._jdf.showString(2, 20, False)) + "\n"
     + "spark.range(3).showString(2,20,True)  = " + repr(spark.range(3)._jdf.showString(2, 20, True)) + "\n")

# ============================================================ b. round
vals = [2.675, 0.125, -2.5, 1.005, 24.5, 15.0, 25.0, 2.5, 0.5, 1.5, -0.5, 35.75, 0.285, 1.255, 5.015]
df_b = spark.createDataFrame([(v,) for v in vals], StructType([StructField("x", DoubleType(), False)]))
q = df_b.select(
    "x",
    F.round("x", 2).alias("round2"),
    F.round("x", 0).alias("round0"),
    F.round("x").alias("round_default"),
    F.round("x", -1).alias("round_m1"),
    F.bround("x", 2).alias("bround2"),
    F.bround("x", 0).alias("bround0"),
)
txt = schema_str(q) + cap(lambda: q.show(50, truncate=False))
# the specific requested expressions
spec = [("round(2.675, 2)", 2.675, 2), ("round(0.125, 2)", 0.125, 2), ("round(-2.5, 0)", -2.5, 0),
        ("round(1.005, 2)", 1.005, 2), ("round(24.5, 2)", 24.5, 2), ("round(15.0, -1)", 15.0, -1),
        ("round(25.0, -1)", 25.0, -1)]
txt += "-- requested (double inputs via DataFrame double column):\n"
for label, v, sc in spec:
    r = spark.createDataFrame([(v,)], "x double").select(F.round("x", sc).alias("r")).collect()[0].r
    txt += f"{label} = {r!r}\n"
txt += "-- same via SQL literals (NB: SQL literal 2.675 is DECIMAL, 2.675D is DOUBLE):\n"
sqlq = spark.sql("""SELECT round(2.675, 2) AS dec_lit, round(2.675D, 2) AS dbl_lit,
  round(1.005, 2) AS dec_1005, round(1.005D, 2) AS dbl_1005, round(-2.5D, 0) AS dbl_m25,
  round(25.0D, -1) AS dbl_25_m1, round(15.0D, -1) AS dbl_15_m1""")
txt += schema_str(sqlq) + cap(lambda: sqlq.show(truncate=False))
# int column
df_i = spark.createDataFrame([(x,) for x in [15, 25, -15, -25, 14, 7, 0, 2147483641]],
                             StructType([StructField("n", IntegerType(), False)]))
qi = df_i.select("n", F.round("n", 0).alias("round0"), F.round("n", -1).alias("round_m1"),
                 F.round("n", 1).alias("round_p1"), F.bround("n", -1).alias("bround_m1"))
txt += "-- int column:\n" + schema_str(qi) + cap(lambda: qi.show(truncate=False))
txt += "-- round(2147483647 (int), -1) (overflow case):\n" + cap(lambda: spark.createDataFrame(
    [(2147483647,)], "n int").select(F.round("n", -1).alias("r")).show())
spark.conf.set("spark.sql.ansi.enabled", "false")
txt += "-- same with ansi disabled:\n" + cap(lambda: spark.createDataFrame(
    [(2147483647,)], "n int").select(F.round("n", -1).alias("r")).show())
spark.conf.unset("spark.sql.ansi.enabled")
# type of round(sum(amount), 2) and sum of doubles with rounding
amounts = spark.createDataFrame([("u01", 0.0), ("u01", 24.5), ("u02", 0.1), ("u02", 0.2)],
                                "user_id string, amount double")
agg = amounts.groupBy("user_id").agg(F.sum("amount").alias("raw_sum"),
                                     F.round(F.sum("amount"), 2).alias("total_amount")).orderBy("user_id")
txt += "-- round(sum(amount),2):\n" + schema_str(agg) + cap(lambda: agg.show(truncate=False))
txt += "dtypes: " + repr(agg.dtypes) + "\n"
emit("b_round", txt)

# ============================================================ c. division
txt = f"spark.sql.ansi.enabled (default) = {spark.conf.get('spark.sql.ansi.enabled')}\n"
exprs = ["1/0", "1.0/0.0", "CAST(1 AS DOUBLE)/CAST(0 AS DOUBLE)", "1D/0D", "-1D/0D", "0D/0D",
         "1 div 0", "1 % 0", "1D % 0D", "try_divide(1, 0)", "try_divide(1D, 0D)",
         "typeof(1/2)", "1/2", "typeof(1.0/2)", "7 div 2", "-7 div 2", "-7 % 2", "pmod(-7, 2)"]


def div_section(label):
    out = f"== {label} (spark.sql.ansi.enabled={spark.conf.get('spark.sql.ansi.enabled')})\n"
    for e in exprs:
        def f(e=e):
            r = spark.sql(f"SELECT {e} AS r").collect()[0].r
            print(f"{e} -> {r!r}")
        o = cap(f)
        if o.startswith("!!"):
            o = f"{e} -> " + o.replace("\n!!", " |", 1)
        out += o
    # DataFrame API on double/int columns
    dfz = spark.createDataFrame([(1, 0, 1.0, 0.0)], "a int, z int, x double, y double")
    for label2, col in [("F.col(a)/F.col(z) [int/int]", F.col("a") / F.col("z")),
                        ("F.col(x)/F.col(y) [double/double]", F.col("x") / F.col("y")),
                        ("F.lit(1.0)/F.lit(0.0)", F.lit(1.0) / F.lit(0.0))]:
        def g(col=col, label2=label2):
            r = dfz.select(col.alias("r")).collect()[0].r
            print(f"{label2} -> {r!r}")
        o = cap(g)
        if o.startswith("!!"):
            o = f"{label2} -> " + o.replace("\n!!", " |", 1)
        out += o
    return out


txt += div_section("default")
spark.conf.set("spark.sql.ansi.enabled", "false")
txt += div_section("ansi disabled")
spark.conf.unset("spark.sql.ansi.enabled")
txt += f"(restored) spark.sql.ansi.enabled = {spark.conf.get('spark.sql.ansi.enabled')}\n"
emit("c_division", txt)


# ============================================================ helpers for streaming
def write_lines(path, lines):
    with open(path, "w", encoding="utf-8") as f:
        for l in lines:
            f.write(json.dumps(l) + "\n")


def progress_summary(q):
    res = []
    for p in q.recentProgress:
        j = json.loads(p.json) if hasattr(p, "json") and not callable(p.json) else (
            json.loads(p.json()) if hasattr(p, "json") else p)
        res.append({"batchId": j["batchId"], "numInputRows": j["numInputRows"],
                    "sink_numOutputRows": j["sink"].get("numOutputRows"),
                    "endOffset": j["sources"][0].get("endOffset") if j["sources"] else None})
    return res


def make_three_files(d):
    d.mkdir(parents=True)
    write_lines(d / "f1.json", [{"k": "a", "v": 1}, {"k": "b", "v": 2}])
    write_lines(d / "f2.json", [{"k": "a", "v": 3}])
    write_lines(d / "f3.json", [{"k": "c", "v": 4}, {"k": "a", "v": 5}])
    base = 1_700_000_000
    for i, n in enumerate(["f1.json", "f2.json", "f3.json"]):
        os.utime(d / n, (base + 100 * i, base + 100 * i))


kv_schema = "k string, v long"

# ============================================================ d. update mode into memory
d_in = WORK / "d_input"
make_three_files(d_in)
sdf = spark.readStream.schema(kv_schema).option("maxFilesPerTrigger", 1).json(str(d_in))
counts = sdf.groupBy("k").agg(F.count("*").alias("cnt"), F.sum("v").alias("sum_v"))
q = (counts.writeStream.format("memory").queryName("d_update_counts").outputMode("update")
     .trigger(availableNow=True).option("checkpointLocation", str(WORK / "d_ckpt")).start())
q.awaitTermination()
txt = "files: f1={a:1,b:2} f2={a:3} f3={c:4,a:5}, mtimes increasing f1<f2<f3, maxFilesPerTrigger=1\n"
txt += "progress: " + json.dumps(progress_summary(q)) + "\n"
txt += "-- SELECT * FROM d_update_counts (no ORDER BY: physical memory-sink order)\n"
txt += cap(lambda: spark.sql("SELECT * FROM d_update_counts").show())
txt += "-- ORDER BY k, cnt\n" + cap(lambda: spark.sql("SELECT * FROM d_update_counts ORDER BY k, cnt").show())
# same in complete mode for contrast
q = (counts.writeStream.format("memory").queryName("d_complete_counts").outputMode("complete")
     .trigger(availableNow=True).option("checkpointLocation", str(WORK / "d_ckpt_complete")).start())
q.awaitTermination()
txt += "-- contrast: complete mode, same input\nprogress: " + json.dumps(progress_summary(q)) + "\n"
txt += cap(lambda: spark.sql("SELECT * FROM d_complete_counts ORDER BY k").show())
# and: what foreachBatch sees per batch in update mode
fb_log = []


def fb(df, batch_id):
    fb_log.append((batch_id, [tuple(r) for r in df.orderBy("k").collect()]))


q = (counts.writeStream.foreachBatch(fb).outputMode("update").trigger(availableNow=True)
     .option("checkpointLocation", str(WORK / "d_ckpt_fb")).start())
q.awaitTermination()
txt += "-- foreachBatch view of update mode (batch_id, rows sorted by k):\n"
for b, rs in fb_log:
    txt += f"batch {b}: {rs}\n"
emit("d_update_memory_sink", txt)

# ============================================================ e. append mode, filter
e_in = WORK / "e_input"
make_three_files(e_in)
sdf = spark.readStream.schema(kv_schema).option("maxFilesPerTrigger", 1).json(str(e_in))
filt = sdf.filter(F.col("v") != 2)
q = (filt.writeStream.format("memory").queryName("e_append_filter").outputMode("append")
     .trigger(availableNow=True).option("checkpointLocation", str(WORK / "e_ckpt")).start())
q.awaitTermination()
txt = "filter v != 2 over same three files, maxFilesPerTrigger=1\n"
txt += "progress: " + json.dumps(progress_summary(q)) + "\n"
txt += "-- SELECT * (no ORDER BY)\n" + cap(lambda: spark.sql("SELECT * FROM e_append_filter").show())
txt += "-- ORDER BY v\n" + cap(lambda: spark.sql("SELECT * FROM e_append_filter ORDER BY v").show())
# re-run same checkpoint with a new file added -> only new rows appended
write_lines(e_in / "f4.json", [{"k": "d", "v": 6}])
os.utime(e_in / "f4.json", (1_700_001_000, 1_700_001_000))
def restart():
    q = (filt.writeStream.format("memory").queryName("e_append_filter_restart").outputMode("append")
         .trigger(availableNow=True).option("checkpointLocation", str(WORK / "e_ckpt")).start())
    q.awaitTermination()
    print("progress: " + json.dumps(progress_summary(q)))
    spark.sql("SELECT * FROM e_append_filter_restart ORDER BY v").show()
txt += "-- restart memory sink (append) from same checkpoint after adding f4={d:6}:\n" + cap(restart)
# complete mode on non-aggregating query -> error
def bad():
    qq = (filt.writeStream.format("memory").queryName("e_bad").outputMode("complete")
          .trigger(availableNow=True).option("checkpointLocation", str(WORK / "e_ckpt_bad")).start())
    qq.awaitTermination()
txt += "-- complete mode on non-aggregating query:\n" + cap(bad)
# append mode on aggregation without watermark -> error
def bad2():
    qq = (sdf.groupBy("k").count().writeStream.format("memory").queryName("e_bad2").outputMode("append")
          .trigger(availableNow=True).option("checkpointLocation", str(WORK / "e_ckpt_bad2")).start())
    qq.awaitTermination()
txt += "-- append mode on aggregation without watermark:\n" + cap(bad2)
emit("e_append_memory_sink", txt)


# ============================================================ f. file pick order
def order_experiment(tag, names_in_write_order, mtimes, extra_opts=None):
    d = WORK / f"f_{tag}"
    d.mkdir(parents=True)
    for n in names_in_write_order:
        write_lines(d / n, [{"k": n, "v": 0}])
        time.sleep(0.05)
    for n, t in mtimes.items():
        os.utime(d / n, (t, t))
    log = []

    def fb(df, batch_id):
        rows = df.select(F.input_file_name().alias("file"), "k").collect()
        log.append((batch_id, sorted({os.path.basename(r.file) for r in rows}), [r.k for r in rows]))

    reader = spark.readStream.schema(kv_schema).option("maxFilesPerTrigger", 1)
    for k, v in (extra_opts or {}).items():
        reader = reader.option(k, v)
    q = (reader.json(str(d)).writeStream.foreachBatch(fb).trigger(availableNow=True)
         .option("checkpointLocation", str(WORK / f"f_ckpt_{tag}")).start())
    q.awaitTermination()
    out = (f"== {tag}: written in order {names_in_write_order}; mtimes {mtimes}; "
           f"opts {extra_opts or {}}\n")
    out += f"os.listdir order: {os.listdir(d)}\n"
    for b, files, ks in log:
        out += f"batch {b}: files={files} k={ks}\n"
    return out


B = 1_700_000_000
txt = order_experiment("mtime_increasing_in_write_order", ["c.json", "a.json", "b.json"],
                       {"c.json": B, "a.json": B + 10, "b.json": B + 20})
txt += order_experiment("mtime_reverse_of_name", ["c.json", "a.json", "b.json"],
                        {"c.json": B + 20, "a.json": B + 10, "b.json": B})
txt += order_experiment("mtime_mixed", ["c.json", "a.json", "b.json"],
                        {"c.json": B + 10, "a.json": B + 20, "b.json": B})
txt += order_experiment("mtime_all_equal", ["c.json", "a.json", "b.json"],
                        {"c.json": B, "a.json": B, "b.json": B})
txt += order_experiment("latestFirst_true", ["c.json", "a.json", "b.json"],
                        {"c.json": B, "a.json": B + 10, "b.json": B + 20}, {"latestFirst": "true"})
emit("f_file_order", txt)

# ============================================================ g. to_timestamp
g_inputs = ["2026-01-01 09:00:00", "2026-01-01T09:00:00", "2026-01-01", "2026-01-01 09:00",
            "2026-01-01 09:00:00.123456", "2026-01-01T09:00:00Z", "2026-01-01 09:00:00+02:00",
            "garbage", "2026-13-01 00:00:00", " 2026-01-01 09:00:00 ",
            # extras
            "2026-01-01 09:00:00.1234567", "2026-01-01 9:00:00", "2026-1-1 09:00:00", "2026",
            "2026-01", "2026-01-01 24:00:00", "2026-02-30 00:00:00", "", "2026-01-01T09:00:00.5+05:30",
            "2026-01-01 09:00:00 UTC", "2026-01-01 09:00:00Z"]


def g_section():
    out = f"== spark.sql.ansi.enabled={spark.conf.get('spark.sql.ansi.enabled')}\n"
    for s in g_inputs:
        def f(s=s):
            df = spark.createDataFrame([(s,)], "s string").select(F.to_timestamp("s").alias("t"))
            r = df.collect()[0].t
            shown = df.select(F.col("t").cast("string").alias("ts")).collect()[0].ts
            print(f"{s!r:40} -> {shown!r}  (python: {r!r})")
        o = cap(f)
        if o.startswith("!!"):
            o = f"{s!r:40} -> " + o.replace("\n!!", " |", 1)
        out += o
    return out


txt = g_section()
# with try_to_timestamp (null instead of error)
txt += "-- try_to_timestamp (default ansi):\n"
for s in g_inputs:
    def f(s=s):
        r = spark.createDataFrame([(s,)], "s string").select(
            F.expr("CAST(try_to_timestamp(s) AS STRING)").alias("t")).collect()[0].t
        print(f"{s!r:40} -> {r!r}")
    txt += cap(f)
spark.conf.set("spark.sql.ansi.enabled", "false")
txt += g_section()
spark.conf.unset("spark.sql.ansi.enabled")
# streaming-relevant: to_timestamp on an invalid row inside the seed-style file stream
g_in = WORK / "g_input"
g_in.mkdir()
write_lines(g_in / "x.json", [{"event_time": "2026-01-01 09:00:00"}, {"event_time": "garbage"}])
def gstream():
    st = (spark.readStream.schema("event_time string").json(str(g_in))
          .withColumn("t", F.to_timestamp("event_time")))
    qq = (st.writeStream.format("memory").queryName("g_stream").outputMode("append")
          .trigger(availableNow=True).option("checkpointLocation", str(WORK / "g_ckpt")).start())
    qq.awaitTermination()
    spark.sql("SELECT * FROM g_stream").show()
txt += "-- streaming file source, one valid and one 'garbage' event_time, default ansi:\n" + cap(gstream)
emit("g_to_timestamp", txt)

# ============================================================ h. aggregates
df_h = spark.createDataFrame(
    [("g1", 1, None, "pear"), ("g1", None, None, "apple"), ("g1", 4, None, None),
     ("g2", None, None, None), ("g2", None, None, None),
     ("g3", 2, 1.5, "Zebra"), ("g3", 3, 2.5, "zebra")],
    "g string, n int, x double, s string")
agg = df_h.groupBy("g").agg(
    F.count("*").alias("count_star"), F.count("n").alias("count_n"), F.count("s").alias("count_s"),
    F.sum("n").alias("sum_n"), F.sum("x").alias("sum_x"), F.avg("n").alias("avg_n"),
    F.avg("x").alias("avg_x"), F.min("s").alias("min_s"), F.max("s").alias("max_s"),
    F.min("n").alias("min_n"), F.max("n").alias("max_n")).orderBy("g")
txt = "input:\n" + cap(lambda: df_h.show()) + "schema:\n" + schema_str(agg) + cap(lambda: agg.show())
txt += "dtypes: " + repr(agg.dtypes) + "\n"
glob = df_h.agg(F.count("*").alias("c"), F.count("n").alias("cn"), F.sum("n").alias("sn"),
                F.avg("n").alias("an"))
txt += "-- global agg:\n" + schema_str(glob) + cap(lambda: glob.show())
empty = df_h.filter("g = 'none'").agg(F.count("*").alias("c"), F.sum("n").alias("sn"),
                                      F.avg("n").alias("an"), F.min("s").alias("mins"))
txt += "-- global agg over empty input:\n" + cap(lambda: empty.show())
txt += "-- avg of ints 1,2 (=1.5) and sum of ints type:\n" + cap(
    lambda: spark.sql("SELECT avg(v) AS a, typeof(avg(v)) AS ta, sum(v) AS s, typeof(sum(v)) AS ts, "
                      "typeof(count(v)) AS tc FROM VALUES (1), (2) AS t(v)").show())
txt += "-- sum of doubles 0.1+0.2 and avg:\n" + cap(
    lambda: spark.sql("SELECT sum(v) AS s, avg(v) AS a FROM VALUES (0.1D), (0.2D) AS t(v)").show())
emit("h_aggregates", txt)

(ORACLE / "out" / "semantics_all.txt").write_bytes("".join(ALL).encode("utf-8"))
spark.stop()
