"""Cross-checks the Spark golden outputs in expected/ against a small pure-Python model of
Spark's event-time semantics, and prints the per-batch facts quoted in README.md.

Usage:  python analyze.py        (no Spark needed; reads input/ and expected/)

Model (what the Spark 4.3.0 data shows; every assertion below is checked against it):
  * batch n of query q reads input file n+1 (maxFilesPerTrigger=1); file order = name order.
  * wm[0] = 0 (epoch); wm[n] = max(wm[n-1], max(event_time of batch n-1) - delay)
    -> the watermark reported in batch n's progress (eventTime.watermark).
  * Late-row filter in batch n uses wm[n-1] (the PREVIOUS batch's watermark), eviction /
    append-mode emission in batch n uses wm[n].
      window agg  : a (window, key) is late  iff window.end <= wm[n-1]
                    a (window, key) is evicted/emitted iff window.end <= wm[n]
      dedup       : a row is late iff event_time <= wm[n-1]; state (id, time) evicted iff time <= wm[n]
      dedup within: a row is late iff event_time <= wm[n-1]; state id expires at
                    event_time + delay, evicted iff expiry <= wm[n]
  * complete mode: no late filtering, no eviction (the watermark is ignored).
  * numRowsDroppedByWatermark counts late rows AFTER partial aggregation, i.e. distinct
    (window, key) groups per batch (each batch is one input partition here), not raw events.
  * availableNow: after the last data batch one extra no-data batch runs iff the operator
    has something to do with the advanced watermark (append/update aggregations, dedup);
    complete mode runs none.
"""
import datetime as dt
import json
from collections import OrderedDict
from pathlib import Path

HERE = Path(__file__).resolve().parent
FMT = "%Y-%m-%d %H:%M:%S"
EPOCH = dt.datetime(1970, 1, 1)


def ts(s):
    return dt.datetime.strptime(s, FMT)


def fmt(d):
    return d.strftime(FMT)


def load_batches():
    files = sorted((HERE / "input").glob("part-*.json"))
    return [[json.loads(line) for line in f.read_text().splitlines() if line.strip()] for f in files]


def watermarks(batches, delay, n_total):
    wm = [EPOCH]
    for n in range(1, n_total):
        prev = batches[n - 1] if n - 1 < len(batches) else []
        cand = max((ts(r["event_time"]) for r in prev), default=None)
        wm.append(max(wm[-1], cand - delay) if cand else wm[-1])
    return wm


def windows_of(t, size, slide, offset=dt.timedelta(0)):
    """All [start, end) windows of length size, sliding by slide, start = offset + k*slide."""
    epoch_t = t - EPOCH - offset
    k_last = epoch_t // slide
    out = []
    k = k_last
    while True:
        start = EPOCH + offset + k * slide
        if start + size <= t:
            break
        out.append((start, start + size))
        k -= 1
    return sorted(out)


def simulate_agg(batches, mode, size, slide, offset, n_total):
    wm = watermarks(batches, dt.timedelta(minutes=10), n_total)
    state = {}
    res = []
    for n in range(n_total):
        rows = batches[n] if n < len(batches) else []
        late_wm = wm[n - 1] if n > 0 else EPOCH
        updated = OrderedDict()
        dropped_groups, dropped_events = set(), []
        for r in rows:
            t = ts(r["event_time"])
            for (s, e) in windows_of(t, size, slide, offset):
                key = (fmt(s), fmt(e), r["event_type"])
                if mode != "complete" and e <= late_wm:
                    dropped_groups.add(key)
                    dropped_events.append((r["event_id"], r["event_time"], fmt(s), fmt(e)))
                    continue
                c, a = state.get(key, (0, 0.0))
                state[key] = (c + 1, a + r["amount"])
                updated[key] = True
        if mode == "complete":
            out = [k for k in state]
            removed = []
        else:
            removed = [k for k in state if ts(k[1]) <= wm[n]]
            out = list(updated) if mode == "update" else removed
        out_rows = sorted([list(k) + [state[k][0], round(state[k][1], 2)] for k in out])
        for k in removed:
            del state[k]
        res.append({"batch_id": n, "watermark": fmt(wm[n]), "late_watermark": fmt(late_wm),
                    "rows": out_rows, "dropped_groups": len(dropped_groups),
                    "dropped_events": dropped_events,
                    "numRowsUpdated": len(updated), "numRowsRemoved": len(removed),
                    "numRowsTotal": len(state)})
    return res


def simulate_dedup(batches, within, n_total):
    delay = dt.timedelta(minutes=30)
    wm = watermarks(batches, delay, n_total)
    state = {}
    res = []
    for n in range(n_total):
        rows = batches[n] if n < len(batches) else []
        late_wm = wm[n - 1] if n > 0 else EPOCH
        out, dropped, dups = [], [], []
        updated = 0
        for r in rows:
            t = ts(r["event_time"])
            if t <= late_wm:
                dropped.append((r["event_id"], r["event_time"]))
                continue
            key = r["event_id"] if within else (r["event_id"], r["event_time"])
            if key in state:
                dups.append((r["event_id"], r["event_time"]))
                continue
            state[key] = t + delay if within else t
            updated += 1
            out.append([r["event_id"], r["event_time"]])
        removed = [k for k, v in state.items() if (v <= wm[n] if not within else v <= wm[n])]
        for k in removed:
            del state[k]
        res.append({"batch_id": n, "watermark": fmt(wm[n]), "late_watermark": fmt(late_wm),
                    "rows": sorted(out), "dropped": dropped, "duplicates_removed": dups,
                    "numRowsUpdated": updated, "numRowsRemoved": len(removed),
                    "numRowsTotal": len(state)})
    return res


AGG_QUERIES = {
    "tumbling_complete": ("complete", 60, 60, 0), "tumbling_update": ("update", 60, 60, 0),
    "tumbling_append": ("append", 60, 60, 0), "sliding_complete": ("complete", 60, 20, 0),
    "sliding_update": ("update", 60, 20, 0), "sliding_append": ("append", 60, 20, 0),
    "tumbling_offset_update": ("update", 60, 60, 15),
}


def main():
    batches = load_batches()
    problems = []
    for q, (mode, size, slide, off) in AGG_QUERIES.items():
        spark = json.load(open(HERE / "expected" / f"{q}.json"))
        sb = spark["batches"]
        sim = simulate_agg(batches, mode, dt.timedelta(minutes=size), dt.timedelta(minutes=slide),
                           dt.timedelta(minutes=off), len(sb))
        print(f"== {q}  ({len(sb)} batches: {len(batches)} data + {len(sb) - len(batches)} no-data)")
        for b, s in zip(sb, sim):
            st = b["state"]
            line = (f"  batch {b['batch_id']}: in={b['num_input_rows']:2d} wm={b['watermark']} "
                    f"late-filter-wm={s['late_watermark']} dropped={st['numRowsDroppedByWatermark']} "
                    f"out={len(b['rows'])} upd={st['numRowsUpdated']} rem={st['numRowsRemoved']} "
                    f"total={st['numRowsTotal']}")
            print(line)
            for ev in s["dropped_events"]:
                print(f"      late: {ev[0]} {ev[1]} window [{ev[2]}, {ev[3]})")
            if mode == "append" and b["rows"]:
                print("      emits windows:", sorted({(r[0], r[1]) for r in b["rows"]}))
            checks = [("watermark", b["watermark"], s["watermark"]),
                      ("rows", b["rows"], s["rows"]),
                      ("numRowsDroppedByWatermark", st["numRowsDroppedByWatermark"], s["dropped_groups"]),
                      ("numRowsUpdated", st["numRowsUpdated"], s["numRowsUpdated"]),
                      ("numRowsRemoved", st["numRowsRemoved"], s["numRowsRemoved"]),
                      ("numRowsTotal", st["numRowsTotal"], s["numRowsTotal"])]
            for what, got, want in checks:
                if got != want:
                    problems.append(f"{q} batch {b['batch_id']} {what}: spark={got} model={want}")
            if len(s["dropped_events"]) != s["dropped_groups"]:
                print(f"      NOTE: {len(s['dropped_events'])} late (event, window) pairs collapsed "
                      f"into {s['dropped_groups']} dropped groups")
    for q, within in (("dedup_with_watermark", False), ("dedup_within_watermark", True)):
        spark = json.load(open(HERE / "expected" / f"{q}.json"))
        sb = spark["batches"]
        sim = simulate_dedup(batches, within, len(sb))
        print(f"== {q}  ({len(sb)} batches)")
        for b, s in zip(sb, sim):
            st = b["state"]
            print(f"  batch {b['batch_id']}: in={b['num_input_rows']:2d} wm={b['watermark']} "
                  f"late-filter-wm={s['late_watermark']} dropped={st['numRowsDroppedByWatermark']} "
                  f"out={len(b['rows'])} upd={st['numRowsUpdated']} rem={st['numRowsRemoved']} "
                  f"total={st['numRowsTotal']}")
            for ev in s["dropped"]:
                print(f"      late (dropped): {ev[0]} {ev[1]}")
            for ev in s["duplicates_removed"]:
                print(f"      duplicate (suppressed by state): {ev[0]} {ev[1]}")
            checks = [("watermark", b["watermark"], s["watermark"]), ("rows", b["rows"], s["rows"]),
                      ("numRowsDroppedByWatermark", st["numRowsDroppedByWatermark"], len(s["dropped"])),
                      ("numRowsUpdated", st["numRowsUpdated"], s["numRowsUpdated"]),
                      ("numRowsRemoved", st["numRowsRemoved"], s["numRowsRemoved"]),
                      ("numRowsTotal", st["numRowsTotal"], s["numRowsTotal"])]
            for what, got, want in checks:
                if got != want:
                    problems.append(f"{q} batch {b['batch_id']} {what}: spark={got} model={want}")
    print()
    if problems:
        print("MODEL MISMATCHES:")
        for p in problems:
            print("  " + p)
    else:
        print("All Spark outputs and state metrics match the model.")


if __name__ == "__main__":
    main()
