"""Pure-Python model of Spark's streaming session-window aggregation, checked against expected/.

Usage:  python analyze.py            (no Spark needed; reads input/ and expected/)

It replays input/part-*.json one file per micro-batch, with the rules written down in
README.md, and compares every batch's rows, watermark, eventTime min/max and the four state
metrics with expected/session_append.json and expected/session_complete.json. It then
re-runs the model with single rules changed, to show that the data tell each rule apart.
"""
import datetime as dt
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TS_FMT = "%Y-%m-%d %H:%M:%S"
GAP = dt.timedelta(minutes=10)
DELAY = dt.timedelta(minutes=10)
EPOCH = dt.datetime(1970, 1, 1)


def load_batches():
    batches = []
    for p in sorted((HERE / "input").glob("part-*.json")):
        recs = [json.loads(line) for line in p.read_text().splitlines() if line.strip()]
        for r in recs:
            r["t"] = dt.datetime.strptime(r["event_time"], TS_FMT)
        batches.append(recs)
    return batches


def fmt(t):
    return t.strftime(TS_FMT)


def model(batches, mode, late_uses="previous", drop_cmp="le", merge_cmp="le", evict_cmp="le",
          late_on="end", updated_counts="all", removed_counts_merges=True, evict_first=False):
    """Returns a list of per-batch dicts shaped like expected/<query>.json batches."""
    state = {}        # user -> list of [start, end, count, amounts(list)] sorted by start
    wm = EPOCH        # watermark used for eviction in the current batch
    out = []
    bid = 0
    pending = list(batches)
    while True:
        if pending:
            recs = pending.pop(0)
        elif mode == "append" and out and new_wm > wm:   # noqa: F821 (set below)
            recs = []                                     # trailing no-data batch
        else:
            break
        prev_wm = wm
        if bid > 0:
            wm = new_wm  # noqa: F821
        late_wm = prev_wm if late_uses == "previous" else wm

        def is_late(r):
            end = r["t"] + GAP if late_on == "end" else r["t"]
            return end <= late_wm if drop_cmp == "le" else end < late_wm

        kept = [r for r in recs if not is_late(r)]
        # partial aggregation before the shuffle groups by (user, [t, t+gap]), so the dropped
        # count is the number of distinct (user, t) among the dropped rows
        dropped = len({(r["user_id"], r["t"]) for r in recs if is_late(r)})

        updated = removed = 0
        rows = []
        if evict_first and mode == "append":   # alternative: evict before merging the input
            for user in list(state):
                rows += [s + [user] for s in state[user] if s[1] <= wm]
                removed += sum(1 for s in state[user] if s[1] <= wm)
                state[user] = [s for s in state[user] if s[1] > wm]
        by_user = {}
        for r in kept:
            by_user.setdefault(r["user_id"], []).append(r)
        for user, rs in by_user.items():
            old = state.get(user, [])
            items = [[s[0], s[1], s[2], list(s[3])] for s in old]
            items += [[r["t"], r["t"] + GAP, 1, [r["amount"]]] for r in rs]
            items.sort(key=lambda s: s[0])
            merged = []
            for s in items:
                if merged and (s[0] <= merged[-1][1] if merge_cmp == "le" else s[0] < merged[-1][1]):
                    m = merged[-1]
                    m[1] = max(m[1], s[1])
                    m[2] += s[2]
                    m[3] += s[3]
                else:
                    merged.append(s)
            new_starts = {s[0] for s in merged}
            if removed_counts_merges:
                removed += sum(1 for s in old if s[0] not in new_starts)
            if updated_counts == "all":
                updated += len(merged)
            else:  # only sessions that are new or changed
                old_set = {(s[0], s[1], s[2]) for s in old}
                updated += sum(1 for s in merged if (s[0], s[1], s[2]) not in old_set)
            state[user] = merged

        if mode == "append":
            for user in list(state):
                keep = []
                for s in state[user]:
                    ev = s[1] <= wm if evict_cmp == "le" else s[1] < wm
                    if ev:
                        rows.append(s + [user])
                        removed += 1
                    else:
                        keep.append(s)
                state[user] = keep
        else:
            rows = [s + [user] for user in state for s in state[user]]

        total = sum(len(v) for v in state.values())
        out.append({
            "batch_id": bid,
            "num_input_rows": len(recs),
            "watermark": fmt(wm),
            "min": fmt(min(r["t"] for r in recs)) if recs else None,
            "max": fmt(max(r["t"] for r in recs)) if recs else None,
            "state": {"numRowsTotal": total, "numRowsUpdated": updated,
                      "numRowsRemoved": removed, "numRowsDroppedByWatermark": dropped},
            "rows": sorted([fmt(s[0]), fmt(s[1]), s[4], s[2], round(sum(s[3]), 2)] for s in rows),
            "dropped_events": [r["event_id"] for r in recs if is_late(r)],
        })
        if recs:
            new_wm = max(wm, max(r["t"] for r in recs) - DELAY)
        else:
            new_wm = wm
        bid += 1
    return out


def compare(name, got, exp_batches):
    problems = []
    if len(got) != len(exp_batches):
        problems.append(f"{name}: {len(got)} batches in model, {len(exp_batches)} in Spark")
    for g, e in zip(got, exp_batches):
        b = e["batch_id"]
        for k in ("num_input_rows", "watermark"):
            if g[k] != e[k]:
                problems.append(f"{name} b{b} {k}: model {g[k]} spark {e[k]}")
        et = e["event_time"]
        for k in ("min", "max"):
            ev = et.get(k)
            ev = ev.replace("T", " ").replace(".000Z", "") if ev else None
            if g[k] != ev:
                problems.append(f"{name} b{b} eventTime.{k}: model {g[k]} spark {ev}")
        for k, v in g["state"].items():
            if v != e["state"][k]:
                problems.append(f"{name} b{b} {k}: model {v} spark {e['state'][k]}")
        erows = [list(r) for r in e["rows"]]
        if len(g["rows"]) != len(erows) or any(
                gr[:4] != er[:4] or abs(gr[4] - er[4]) > 1e-9 for gr, er in zip(g["rows"], erows)):
            problems.append(f"{name} b{b} rows differ:\n  model {g['rows']}\n  spark {erows}")
    return problems


def main():
    batches = load_batches()
    exp = {m: json.loads((HERE / "expected" / f"session_{m}.json").read_text())["batches"]
           for m in ("append", "complete")}
    problems = []
    for mode in ("append", "complete"):
        problems += compare(f"session_{mode}", model(batches, mode), exp[mode])
    if problems:
        print("\n".join(problems))
        print(f"{len(problems)} mismatches")
        sys.exit(1)
    print("All Spark outputs and state metrics match the model.")

    print("\nsession_append per batch:")
    print("batch | input rows | watermark | dropped (event ids) | updated | removed | total | emitted rows")
    for g in model(batches, "append"):
        s = g["state"]
        print(f"{g['batch_id']} | {g['num_input_rows']} | {g['watermark']} | "
              f"{s['numRowsDroppedByWatermark']} {g['dropped_events']} | {s['numRowsUpdated']} | "
              f"{s['numRowsRemoved']} | {s['numRowsTotal']} | {len(g['rows'])}")
        for r in g["rows"]:
            print("      ", r)

    print("\nAlternative rules (each must disagree with Spark somewhere):")
    for label, kw in [
        ("late rows filtered with the current batch's watermark", {"late_uses": "current"}),
        ("late if end < watermark (instead of <=)", {"drop_cmp": "lt"}),
        ("sessions merge only if next start < current end (gap exactly 10 min splits)",
         {"merge_cmp": "lt"}),
        ("evict if end < watermark (instead of <=)", {"evict_cmp": "lt"}),
        ("late if event_time <= watermark (instead of event_time + gap)", {"late_on": "event_time"}),
        ("append evicts sessions with end <= watermark before merging the batch's input",
         {"evict_first": True}),
        ("numRowsUpdated counts only new or changed sessions", {"updated_counts": "changed"}),
        ("numRowsRemoved counts only evicted sessions (not merged-away ones)",
         {"removed_counts_merges": False}),
    ]:
        n = 0
        for mode in ("append", "complete"):
            n += len(compare(mode, model(batches, mode, **kw), exp[mode]))
        print(f"  {label}: {n} mismatching items")


if __name__ == "__main__":
    main()
