"""What the Spark golden scripts share: Spark's column names for expressions, and the JSON
encoding of collected values (doubles that JSON cannot hold as strings, timestamps as
microseconds since the epoch, dates as `yyyy-MM-dd` for any year).

The scripts in the directories beside this file import it (they put this directory on
`sys.path`), so each still runs alone: `python <dir>/make_<name>_golden.py`.
"""
import datetime
import decimal
import json
import math
import os
import re

from pyspark.sql import functions as F


def out_name(e):
    return e.rsplit(" AS ", 1)[1] if " AS " in e else e


def days_to_civil(z):
    """Days since 1970-01-01 -> (y, m, d), proleptic Gregorian, any year (H. Hinnant)."""
    z += 719468
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + 3 if mp < 10 else mp - 9
    return (y + 1 if m <= 2 else y), m, d


def fmt_year(y):
    return ("-" if y < 0 else "") + str(abs(y)).zfill(4)


def fmt_date(days):
    if days is None:
        return None
    y, m, d = days_to_civil(days)
    return f"{fmt_year(y)}-{m:02d}-{d:02d}"


def fmt_ts(micros):
    if micros is None:
        return None
    days, rem = divmod(micros, 86_400_000_000)  # floor division: rem >= 0
    secs, us = divmod(rem, 1_000_000)
    hh, rest = divmod(secs, 3600)
    mm, ss = divmod(rest, 60)
    return f"{fmt_date(days)} {hh:02d}:{mm:02d}:{ss:02d}.{us:06d}"


def plain(v):
    if v is None or isinstance(v, (str, bool, int)):
        return v
    if isinstance(v, list):
        return [plain(item) for item in v]
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        if v == 0.0 and math.copysign(1.0, v) < 0:
            return "-0.0"
        return v
    raise TypeError(f"unexpected value type {type(v).__name__}: {v!r}")


def encodable(df):
    """Timestamp columns -> unix_micros (bigint), date columns -> unix_date (int), on the Spark
    side. Returns (df, {col: 'ts'|'date'})."""
    kinds, cols = {}, []
    for name, typ in df.dtypes:
        c = F.col(f"`{name}`")
        if typ == "timestamp":
            kinds[name] = "ts"
            cols.append(F.unix_micros(c).alias(name))
        elif typ == "date":
            kinds[name] = "date"
            cols.append(F.unix_date(c).alias(name))
        else:
            cols.append(c)
    return df.select(*cols), kinds


def collect_encoded(df):
    """Rows as lists: doubles per plain(), timestamps as micros, dates as 'yyyy-MM-dd'."""
    edf, kinds = encodable(df)
    names = edf.columns
    out = []
    for r in edf.collect():
        row = []
        for n, v in zip(names, r):
            if kinds.get(n) == "date":
                row.append(fmt_date(v))
            else:
                row.append(plain(v))
        out.append(row)
    return out, kinds


EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def encode_repr(value):
    """A collected value for goldens compared to the bit: doubles as Python's `repr` (exact,
    shortest); timestamps as microseconds since the epoch; dates and decimals as text
    (`yyyy-MM-dd`, plain with the scale's places); other values as they are."""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime.datetime):
        delta = value.replace(tzinfo=datetime.timezone.utc) - EPOCH
        return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def set_mtimes(directory):
    """Modification times one minute apart in name order, so that a file source with
    maxFilesPerTrigger=1 reads one file per micro-batch, in name order."""
    for index, path in enumerate(sorted(directory.glob("part-*.json"))):
        os.utime(path, (1704067200 + 60 * index, 1704067200 + 60 * index))


def error_text(error):
    """Spark's refusal as a golden file records it: exception class, condition, first line."""
    condition = None
    if hasattr(error, "getCondition"):
        try:
            condition = error.getCondition()
        except Exception:  # noqa: BLE001
            condition = None
    text = str(error).strip()
    return {"exception": type(error).__module__ + "." + type(error).__name__,
            "condition": condition, "message": text.splitlines()[0] if text else ""}


def local_spark(app_name):
    """A local Spark on one core and one shuffle partition, loopback only, UTC, quiet."""
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder
        .master("local[1]")
        .appName(app_name)
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("OFF")
    return spark


def encode_nested(value):
    """A collected value: a struct (Row) -> {field: value}, a map (dict) -> {key: value}, an
    array (list) -> [values] in Spark's order, leaves per encode_repr."""
    from pyspark.sql import Row

    if isinstance(value, Row):
        return {k: encode_nested(v) for k, v in value.asDict(recursive=False).items()}
    if isinstance(value, dict):
        return {str(k): encode_nested(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode_nested(v) for v in value]
    return encode_repr(value)


def row_key(row):
    """A row's sort key: its JSON text."""
    return json.dumps(row, sort_keys=True, ensure_ascii=False)


UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
EXPR_ID_RE = re.compile(r"#\d+")


def scrub(text, paths):
    """Run-specific parts of a message: the `paths` ({path: placeholder}), uuids, expression
    ids (`#123`)."""
    for path, placeholder in paths.items():
        text = text.replace(path, placeholder)
    return EXPR_ID_RE.sub("#<id>", UUID_RE.sub("<uuid>", text))


def first_line(text):
    text = (text or "").strip()
    return text.splitlines()[0] if text else ""


def java_error_text(exc, clean):
    """error_text, with messages passed through `clean`. A Py4JJavaError (an error pyspark does
    not convert, e.g. a FAILFAST parse failure) is described by its Java exception instead of
    the "An error occurred while calling o123.collectToPython." line, with its cause chain."""
    out = error_text(exc)
    java = getattr(exc, "java_exception", None)
    if java is not None:
        chain = []
        while java is not None:
            try:
                condition = java.getCondition()
            except Exception:  # noqa: BLE001
                condition = None
            chain.append({"exception": java.getClass().getName(), "condition": condition,
                          "message": clean(first_line(java.getMessage()))})
            java = java.getCause()
        out["condition"], out["message"] = chain[0]["condition"], chain[0]["message"]
        out["java_causes"] = chain[1:]
    out["message"] = clean(out["message"])
    return out


def golden_dumps(out):
    """indent=1, sort_keys=True, but each row of a "rows" list on one line."""
    rows = []

    def hide(node):
        if isinstance(node, dict):
            return {k: ([hide_row(r) for r in v] if k == "rows" and isinstance(v, list)
                        else hide(v)) for k, v in node.items()}
        if isinstance(node, list):
            return [hide(v) for v in node]
        return node

    def hide_row(row):
        rows.append(json.dumps(row, sort_keys=True, ensure_ascii=False))
        return f"@@ROW{len(rows) - 1}@@"

    text = json.dumps(hide(out), indent=1, sort_keys=True, ensure_ascii=False)
    text = re.sub(r'"@@ROW(\d+)@@"', lambda m: rows[int(m.group(1))], text)
    assert json.loads(text) == json.loads(json.dumps(out)), "row formatting changed a value"
    return text + "\n"
