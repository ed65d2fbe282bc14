"""Expected outputs of Spark 4.3's JSON reader for the parse-mode tests (tests/parse_modes.rs).

Run from this directory: `python3 spark_parse_modes.py` (pyspark 4.3.0, Java 17). Writes one
JSON line per output row; doubles as Python `repr` text (so NaN, infinities and -0.0 survive),
timestamps as `yyyy-MM-dd HH:mm:ss[.ffffff]` in UTC, dates as `yyyy-MM-dd`.
"""
import json
from pyspark.sql import SparkSession

spark = (SparkSession.builder.master("local[1]")
         .config("spark.sql.session.timeZone", "UTC").config("spark.ui.enabled", "false").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")

MIXED = "event_id string, user_id string, event_type string, event_time string, amount double, _corrupt_record string"
TYPED = "n long, flag boolean, ts timestamp, d date, i int, _corrupt_record string"


def normal(value):
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return repr(value)
    return str(value)


def write(schema, source, mode, target):
    rows = spark.read.schema(schema).option("mode", mode).json(source).collect()
    with open(target, "w") as out:
        for row in rows:
            out.write(json.dumps({k: normal(v) for k, v in row.asDict().items()}) + "\n")


for mode in ["PERMISSIVE", "DROPMALFORMED"]:
    write(MIXED, "mixed.json", mode, f"mixed_{mode.lower()}.jsonl")
    write(TYPED, "typed.json", mode, f"typed_{mode.lower()}.jsonl")
