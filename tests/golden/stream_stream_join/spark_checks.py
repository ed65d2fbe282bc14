"""Side checks with real Spark behind some statements in README.md.  Writes nothing: prints.

Usage:  python spark_checks.py        (pyspark 4.3.0, Java 17; about 1 minute; reads input/,
                                       so run make_stream_stream_join_golden.py first)

1. The join state after every batch (Spark's "statestore" data source, joinSide left/right)
   for the watermarked join queries: which rows are buffered / evicted when.
2. The state cleanup predicates of the last batch's physical plan (StreamingSymmetricHashJoin
   "state cleanup [...]"): the exact eviction rule per side, in epoch microseconds.
3. eventTime stats when the sides are swapped (C.join(W, ...)): the progress min/max/avg come
   from the first watermark node in the plan that saw rows (the join's left input).
4. The same full outer join as a batch query: null keys do not match there.
5. Every customMetrics name the join reports (the golden files drop the byte / ms ones).
"""
import datetime as dt
import json
import re
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_stream_stream_join_golden as g  # noqa: E402
from pyspark.sql import functions as F  # noqa: E402

STATE_QUERIES = ["inner_range", "left_outer_range", "right_outer_range", "full_outer_range",
                 "left_semi_range", "strict_range_left_outer", "watermark_left_only_inner",
                 "window_key_left_outer"]


def hm(t):
    return t.strftime("%H:%M") if isinstance(t, dt.datetime) else "null"


def run(spark, code, mode="append", conf=None):
    conf = conf or {}
    env = g.streams(spark)
    ck = tempfile.mkdtemp(prefix="rill-ssj-check-")
    for k, v in conf.items():
        spark.conf.set(k, v)
    try:
        df = eval(code, env)  # noqa: S307
        q = (df.writeStream.outputMode(mode).trigger(availableNow=True)
             .foreachBatch(lambda b, i: b.collect()).option("checkpointLocation", ck).start())
        q.awaitTermination()
    finally:
        for k in conf:
            spark.conf.unset(k)
    return q, ck


def state_dump(spark, name):
    mode, code, conf = [(m, c, cf) for (n, m, c, cf) in g.QUERIES if n == name][0]
    q, ck = run(spark, code, mode, conf)
    print(f"\n== {name}: state after each batch (view/click id @ time)")
    for b in range(len(q.recentProgress)):
        line = []
        for side in ("left", "right"):
            st = (spark.read.format("statestore").option("path", ck).option("batchId", b)
                  .option("joinSide", side).load())
            items = []
            for r in st.collect():
                v = r["value"].asDict()
                rid = v.get("view_id") or v.get("click_id") or f"<{v.get('c_ad')}>"
                t = v.get("view_time") or v.get("click_time")
                items.append(f"{rid}@{hm(t)}")
            line.append(f"{side}: " + " ".join(sorted(items)))
        print(f"  b{b}  " + "  |  ".join(line))
    plan = q._jsq.explainInternal(False)  # what q.explain() prints
    m = re.search(r"state cleanup \[(.*?)\], \d+, ", plan)
    print("  last batch plan, state cleanup:", m.group(1) if m else "?")
    shutil.rmtree(ck, ignore_errors=True)


def swapped_event_time(spark):
    q, ck = run(spark, 'C.join(W, F.expr(RANGE))')
    print("\n== C.join(W, RANGE): progress eventTime per batch (clicks are the left input now)")
    for p in q.recentProgress:
        j = json.loads(p.json)
        et = j.get("eventTime") or {}
        rows = {("views" if "/input/views" in s["description"] else "clicks"): s["numInputRows"]
                for s in j["sources"]}
        print(f"  b{j['batchId']} rows {rows} min={et.get('min')} "
              f"max={et.get('max')} wm={et.get('watermark')}")
    shutil.rmtree(ck, ignore_errors=True)


def batch_full_outer(spark):
    views = spark.read.schema(g.VIEWS_SCHEMA).json(str(g.INPUT_DIR / "views"))
    clicks = spark.read.schema(g.CLICKS_SCHEMA).json(str(g.INPUT_DIR / "clicks"))
    df = views.join(clicks, F.expr(g.RANGE), "full_outer")
    rows = df.filter("v_ad IS NULL AND view_id IS NOT NULL OR c_ad IS NULL AND click_id IS NOT NULL")
    print("\n== batch full outer join, rows with a null key:")
    for r in rows.select("view_id", "v_ad", "click_id", "c_ad").orderBy("view_id", "click_id").collect():
        print("  ", r.asDict())


def custom_metric_names(spark):
    q, ck = run(spark, 'W.join(C, F.expr(RANGE), "left_outer")')
    j = json.loads(q.recentProgress[-1].json)
    names = sorted(j["stateOperators"][0].get("customMetrics", {}))
    kept = [n for n in names if not g.NONDETERMINISTIC_METRIC.search(n)]
    print("\n== customMetrics of symmetricHashJoin:", names)
    print("   kept in expected/:", kept)
    print("   other stateOperators fields:", sorted(k for k in j["stateOperators"][0]
                                                   if k != "customMetrics"))
    shutil.rmtree(ck, ignore_errors=True)


def main():
    spark = g.make_spark()
    try:
        for name in STATE_QUERIES:
            state_dump(spark, name)
        swapped_event_time(spark)
        batch_full_outer(spark)
        custom_metric_names(spark)
    finally:
        spark.stop()
        shutil.rmtree(g.WORK, ignore_errors=True)  # created when the generator module is imported


if __name__ == "__main__":
    main()
