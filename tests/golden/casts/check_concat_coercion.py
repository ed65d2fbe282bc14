"""Spark 4.3: concat and concat_ws cast their non-text arguments to text implicitly. Run with
python check_concat_coercion.py; its output is expected/concat_coercion.txt, which tests/casts.rs
checks against."""
import os
os.environ["SPARK_LOCAL_IP"]="127.0.0.1"; os.environ["TZ"]="UTC"
from pyspark.sql import SparkSession
spark=(SparkSession.builder.master("local[1]").config("spark.driver.host","127.0.0.1").config("spark.driver.bindAddress","127.0.0.1").config("spark.ui.enabled","false").config("spark.sql.session.timeZone","UTC").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
df=spark.sql("select 'a' as s, 1 as i, cast(3000000000 as bigint) as l, 1.5d as d, 1e7d as big, true as b, timestamp'2024-02-29 13:45:10.5' as ts, date'2024-02-29' as dt, cast(null as int) as n")
for e in ["concat(s, i)","concat(s, l)","concat(s, d)","concat(s, big)","concat(s, b)","concat(s, ts)","concat(s, dt)","concat(s, n)","concat_ws('-', s, i, d, b)","concat_ws('-', s, n)","concat(i, d)"]:
    try:
        print(e, "=>", repr(df.selectExpr(e).collect()[0][0]))
    except Exception as ex:
        print(e, "=> ERROR", str(ex).splitlines()[0][:200])
spark.stop()
