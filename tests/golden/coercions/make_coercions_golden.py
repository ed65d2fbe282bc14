"""Spark 4.3: text compared with timestamps and dates (Spark casts the text), and `window` over a
date column. Reads the input of ../text_functions; writes expected.json. Run with
`python make_coercions_golden.py` (about 20 s); tests/coercions.rs checks Rill against it.
ANSI is off for the comparisons with text that is no timestamp (`'soon'`), where ANSI fails."""
import json
import os
import sys
from pathlib import Path

os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
os.environ["TZ"] = "UTC"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from pyspark.sql import SparkSession  # noqa: E402
from spark_golden import collect_encoded  # noqa: E402

HERE = Path(__file__).resolve().parent
INPUT = HERE.parent / "text_functions" / "input"
spark = (SparkSession.builder.master("local[1]").config("spark.driver.host", "127.0.0.1")
         .config("spark.driver.bindAddress", "127.0.0.1").config("spark.ui.enabled", "false")
         .config("spark.sql.session.timeZone", "UTC").config("spark.sql.ansi.enabled", "false")
         .getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
schema = "id int, s string, p string, x double, k int, m bigint, ts timestamp, d date, b boolean"
df = spark.read.schema(schema).json(str(INPUT))
comparisons = [
    "ts > '2024-02-29' AS ts_after_day",
    "ts <= '2024-02-29 12:34:56.789' AS ts_upto_instant",
    "'2024-03-31T10:00:00Z' = ts AS text_equals_ts",
    "d = '2024-02-29' AS d_equals_day",
    "d < '2024-03-01 23:00' AS d_before_text_with_time",
    "ts = s AS ts_equals_column",
    "ts < 'soon' AS ts_before_not_a_time",
]
rows, _ = collect_encoded(df.selectExpr("id", *comparisons).orderBy("id"))
windows = (df.where("d IS NOT NULL").groupBy(__import__("pyspark.sql.functions", fromlist=["window"]).window("d", "1 day"))
           .count().selectExpr("window.start AS window_start", "window.end AS window_end", "count")
           .orderBy("window_start"))
window_rows, _ = collect_encoded(windows)
out = {
    "spark_version": spark.version,
    "ansi_enabled": spark.conf.get("spark.sql.ansi.enabled"),
    "comparisons": comparisons,
    "columns": ["id"] + [c.rsplit(" AS ", 1)[1] for c in comparisons],
    "rows": rows,
    "window_over_date": {"columns": ["window_start", "window_end", "count"], "rows": window_rows},
}
(HERE / "expected.json").write_text(json.dumps(out, indent=1) + "\n")
spark.stop()
