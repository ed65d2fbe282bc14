"""Writes stream-core/src/aggregate/hll_tables.rs: the empirical bias-correction data of
HyperLogLog++ (the appendix of Heule, Nunkesser and Hall, "HyperLogLog in Practice", EDBT 2013)
exactly as Spark's `approx_count_distinct` holds it, so that Rill's estimates equal Spark's.

The numbers are read out of the compiled `HyperLogLogPlusPlusHelper$` class of the
spark-catalyst jar that pyspark ships (with `javap`, JDK 17), bit for bit as Spark loads them.

Usage:  python make_hll_tables.py          (pyspark 4.3.0 installed, JDK on the PATH)
"""
import os
import re
import subprocess
import tempfile
import zipfile
from pathlib import Path

import pyspark

ROOT = Path(__file__).resolve().parents[3]
CLASS = "org/apache/spark/sql/catalyst/util/HyperLogLogPlusPlusHelper$.class"


def static_arrays(listing):
    """Every `double[]` the class's static initializer fills, in order, with its values."""
    arrays, current, length = [], None, None
    for line in listing.splitlines():
        line = line.strip()
        size = re.search(r"(?:bipush|sipush|iconst_)\s*(\d+)$", line)
        if re.search(r"\d+: (bipush|sipush)\s+\d+$", line) and size:
            length = int(size.group(1))
        if "newarray       double" in line:
            current = []
            arrays.append((length, current))
            continue
        if current is None:
            continue
        constant = re.search(r"// double (\S+)d$", line)
        if constant:
            current.append(float(constant.group(1)))
        elif line.endswith("dconst_0"):
            current.append(0.0)
        elif line.endswith("dconst_1"):
            current.append(1.0)
        elif "anewarray" in line or "putstatic" in line:
            current = None
    for length, values in arrays:
        assert length == len(values), (length, len(values))
    return [values for _, values in arrays]


def rust_list(values):
    return ", ".join(repr(v) if v != int(v) else f"{v:.1f}" for v in values)


def main():
    jar = Path(pyspark.__file__).parent / "jars" / "spark-catalyst_2.13-4.3.0.jar"
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(jar) as archive:
            archive.extract(CLASS, tmp)
        listing = subprocess.run(["javap", "-c", "-constants", "-p", os.path.join(tmp, CLASS)],
                                 check=True, capture_output=True, text=True).stdout
    arrays = static_arrays(listing)
    thresholds, raw, bias = arrays[0], arrays[1:16], arrays[16:31]
    assert len(arrays) == 31 and len(thresholds) == 15
    out = ["//! Written by `tests/golden/aggregates/make_hll_tables.py`: do not edit.",
           "//!",
           "//! The empirical bias-correction data of HyperLogLog++ (the appendix of Heule, Nunkesser",
           "//! and Hall, \"HyperLogLog in Practice\", EDBT 2013), for precisions 4 to 18, exactly as",
           "//! Spark's `approx_count_distinct` uses it.",
           "",
           "/// The largest linear-counting estimate trusted, per precision.",
           f"pub(super) const THRESHOLDS: [f64; 15] = [{rust_list(thresholds)}];",
           "",
           "/// Raw estimates at which the bias was measured, ascending, per precision.",
           "pub(super) const RAW_ESTIMATES: [&[f64]; 15] = ["]
    out += [f"    &[{rust_list(values)}]," for values in raw]
    out += ["];", "", "/// The bias measured at each raw estimate, per precision.",
            "pub(super) const BIASES: [&[f64]; 15] = ["]
    out += [f"    &[{rust_list(values)}]," for values in bias]
    out += ["];", ""]
    (ROOT / "stream-core/src/aggregate/hll_tables.rs").write_text("\n".join(out))


if __name__ == "__main__":
    main()
