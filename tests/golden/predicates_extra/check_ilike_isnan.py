"""Spark 4.3: `ilike`, `isnan` and `nanvl` on edge cases. Run with
python check_ilike_isnan.py > expected.txt; tests/conditionals.rs checks Rill against that output."""
import os
os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
os.environ["TZ"] = "UTC"
from pyspark.sql import SparkSession

spark = (SparkSession.builder.master("local[1]").config("spark.driver.host", "127.0.0.1")
         .config("spark.driver.bindAddress", "127.0.0.1").config("spark.ui.enabled", "false")
         .config("spark.sql.session.timeZone", "UTC").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
rows = [("Alice", 1.5), ("ÉLODIE", float("nan")), ("straße", None), (None, float("inf")), ("a_b", -0.0)]
df = spark.createDataFrame(rows, "name string, x double")
exprs = ["name ilike 'a%'", "name ilike '%é%'", "name ilike 'STRASSE'", "name ilike 'a\\\\_b'",
         "isnan(x)", "nanvl(x, 0.0)"]
for expr in exprs:
    values = [r[0] for r in df.selectExpr(expr).collect()]
    print(f"{expr} => {values!r}")
spark.stop()
