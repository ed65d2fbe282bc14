"""Cross-checks the Spark golden outputs in expected/ against a small pure-Python model of
Spark 4.3.0's stream-stream join, and prints the per-batch facts quoted in README.md.

Usage:  python analyze.py            (no Spark needed; reads input/ and expected/)

Every rule below is what the Spark data shows; the script asserts, for every query and batch:
output rows (as a multiset), watermark, numInputRows (total and per source), the eventTime
stats, numRowsTotal / numRowsUpdated / numRowsRemoved / numRowsDroppedByWatermark.

Model (T = time column, wm[n] = watermark reported by batch n, late_wm = wm[n-1], wm[-1] = 0):
  * Batch n reads views part-00n and clicks part-00n (clicks have no part-005).
  * Rows reaching each side: Spark infers isnotnull(key) and, for a range condition,
    isnotnull(T) on the non-preserved side(s) (inner: both, left outer: clicks, right outer:
    views, full outer: none, left semi: both).  isnotnull(key) (and C.filter("amount > 1")) is
    pushed into the file scan, below the watermark: such rows are not counted in numInputRows
    and do not feed the watermark.  isnotnull(T) on a watermarked side stays above the
    watermark node: such rows are counted and feed the eventTime stats (a null T counts as 0).
  * Watermark per side: max T seen in earlier batches - delay; global = min over the sides
    (or max with multipleWatermarkPolicy=max), never decreasing.  Batch 0 reports 0 (epoch).
  * Late rows: a row of a watermarked side is dropped iff T <= late_wm (null T never).
  * Left rows (views) are processed first: each is joined with the clicks state and then
    ALWAYS stored (even if it is evicted in this batch).  Then right rows (clicks) are joined
    with the views state (which includes this batch's views) and stored unless already behind
    the clicks' state bound -- except in right/full outer joins, where an unmatched click is
    stored anyway (and so comes out as a null row at the end of this batch).
  * Left semi: as if clicks came first: a click is joined with the stored (still unmatched)
    views, which are emitted once and removed from the state (counted in numRowsRemoved);
    then a view that matches a stored click (this batch's included) is emitted and not stored;
    other views are stored.  So a view and a click of the same batch that are both behind the
    state bounds never meet (v28 / c17 in batch 4).
  * Keys compare as binary rows: a null key EQUALS a null key.  Only the full outer join keeps
    null keys on both sides (no isnotnull filter), and there v04 and c03 (null ad, 10:06 and
    10:07) come out as a matched pair, which a batch full outer join does not do.
  * After the join, state is evicted with wm[n]:
      RANGE (>=, <=):  views:  T <  wm - 15 min      clicks:  T <  wm
      STRICT (>, <):   views:  T <= wm - 15 min      clicks:  T <= wm
      windows as keys: (key, window) with window.end <= wm, on both sides
      only one side watermarked, or none: nothing is ever evicted
    A null T is never evicted.  Unmatched evicted rows of a preserved side come out as null
    rows (in the same batch).
  * numRowsUpdated = rows appended to the state (both sides); numRowsRemoved = rows removed
    from the state (both sides, outer-side evictions included); numRowsTotal = rows in state.
"""
import datetime as dt
import json
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
EPOCH = dt.datetime(1970, 1, 1)
MIN = 60_000_000  # microseconds


def micros(s):
    if s is None:
        return None
    return (dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S") - EPOCH) // dt.timedelta(microseconds=1)


def hm(us):
    if us is None:
        return "null"
    return (EPOCH + dt.timedelta(microseconds=us)).strftime("%H:%M")


def iso(us):
    return (EPOCH + dt.timedelta(microseconds=us)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def load(side):
    out = []
    for f in sorted((HERE / "input" / side).glob("part-*.json")):
        rows = [json.loads(x) for x in f.read_text().splitlines() if x.strip()]
        for r in rows:
            r["T"] = micros(r.get("view_time", r.get("click_time")))
            r["K"] = r.get("v_ad", r.get("c_ad"))
            r["ID"] = r.get("view_id", r.get("click_id"))
        out.append(rows)
    return out


VIEWS, CLICKS = load("views"), load("clicks")


def batch_rows(rows, n):
    return rows[n] if n < len(rows) else []


# query name -> model parameters
RANGE, STRICT, EQUI, WINDOW = "range", "strict", "equi", "window"
Q = {
    "inner_no_watermark": dict(kind="inner", cond=EQUI, wl=None, wr=None),
    "inner_range": dict(kind="inner", cond=RANGE, wl=10, wr=20),
    "left_outer_range": dict(kind="left", cond=RANGE, wl=10, wr=20),
    "right_outer_range": dict(kind="right", cond=RANGE, wl=10, wr=20),
    "full_outer_range": dict(kind="full", cond=RANGE, wl=10, wr=20),
    "left_semi_range": dict(kind="semi", cond=RANGE, wl=10, wr=20),
    "strict_range_left_outer": dict(kind="left", cond=STRICT, wl=10, wr=20),
    "filter_join_select": dict(kind="inner", cond=RANGE, wl=10, wr=20, amount_gt=1.0),
    "watermark_left_only_inner": dict(kind="inner", cond=RANGE, wl=10, wr=None),
    "inner_range_max_policy": dict(kind="inner", cond=RANGE, wl=10, wr=20, policy="max"),
    "window_key_left_outer": dict(kind="left", cond=WINDOW, wl=10, wr=20),
}


def window_of(t):
    if t is None:
        return None
    start = t - t % (10 * MIN)
    return (start, start + 10 * MIN)


def matches(cond, v, c):
    """The join condition for a view v and a click c (keys compared as binary rows)."""
    if v["K"] != c["K"]:
        return False
    if cond == EQUI:
        return True
    if cond == WINDOW:
        return window_of(v["T"]) is not None and window_of(v["T"]) == window_of(c["T"])
    if v["T"] is None or c["T"] is None:
        return False
    if cond == RANGE:
        return v["T"] <= c["T"] <= v["T"] + 15 * MIN
    return v["T"] < c["T"] < v["T"] + 15 * MIN  # STRICT


def run_model(p):
    kind, cond = p["kind"], p["cond"]
    ranged = cond in (RANGE, STRICT, WINDOW)
    # which filters reach which side
    nonnull_v = kind in ("inner", "right", "semi")
    nonnull_c = kind in ("inner", "left", "semi")

    def scan(rows, side):
        """(rows counted by numInputRows / fed to the watermark, rows reaching the join)."""
        nonnull = nonnull_v if side == "v" else nonnull_c
        wm_delay = p["wl"] if side == "v" else p["wr"]
        counted = [r for r in rows if not (nonnull and r["K"] is None)]
        if side == "c" and "amount_gt" in p:
            counted = [r for r in counted if r["amount"] is not None and r["amount"] > p["amount_gt"]]
        time_nonnull = (nonnull and ranged) or cond == WINDOW
        if time_nonnull and wm_delay is None:  # pushed into the scan too
            counted = [r for r in counted if r["T"] is not None]
        joined = [r for r in counted if not (time_nonnull and r["T"] is None)]
        return counted, joined

    n_batches = max(len(VIEWS), len(CLICKS))
    side_wm = {"v": None, "c": None}
    wm = 0  # global watermark (micros)
    vstate, cstate = [], []  # lists of [row, matched]
    wm_is_none = p["wl"] is None and p["wr"] is None
    prev_wm = 0
    out_batches = []
    n = 0
    while True:
        has_data = n < n_batches
        v_in, v_rows = scan(batch_rows(VIEWS, n), "v")
        c_in, c_rows = scan(batch_rows(CLICKS, n), "c")
        late_wm = wm
        if n > 0:
            # watermark for batch n from what batch n-1 saw (already folded into side_wm)
            cands = [x for x in side_wm.values() if x is not None]
            if cands:
                new = (max if p.get("policy") == "max" else min)(cands)
                wm = max(wm, new)
        # eviction bounds (micros), rows with T < bound (or <= for strict) are evicted
        both_wm = p["wl"] is not None and p["wr"] is not None

        def v_evict(r):
            if not both_wm or r["T"] is None:
                return False
            if cond == WINDOW:
                return window_of(r["T"])[1] <= wm
            b = wm - 15 * MIN
            return r["T"] < b if cond == RANGE else r["T"] <= b

        def c_evict(r):
            if not both_wm or r["T"] is None:
                return False
            if cond == WINDOW:
                return window_of(r["T"])[1] <= wm
            return r["T"] < wm if cond == RANGE else r["T"] <= wm

        def late(r, delay):
            if delay is None or r["T"] is None:
                return False
            if cond == WINDOW:
                return window_of(r["T"])[1] <= late_wm
            return r["T"] <= late_wm

        if not has_data:
            # a trailing no-data batch runs iff eviction is possible and the watermark moved
            if not (both_wm and wm > prev_wm):
                break
        dropped = 0
        vj = []
        for r in v_rows:
            if late(r, p["wl"]):
                dropped += 1
            else:
                vj.append(r)
        cj = []
        for r in c_rows:
            if late(r, p["wr"]):
                dropped += 1
            else:
                cj.append(r)
        out, updated, removed = [], 0, 0
        if kind == "semi":
            for c in cj:
                hit = [e for e in vstate if matches(cond, e[0], c)]
                for e in hit:
                    out.append(e[0])
                    vstate.remove(e)
                    removed += 1
                if not c_evict(c):
                    cstate.append([c, bool(hit)])
                    updated += 1
            for v in vj:
                if any(matches(cond, v, e[0]) for e in cstate):
                    out.append(v)
                else:
                    vstate.append([v, False])
                    updated += 1
        else:
            for v in vj:
                hit = [e for e in cstate if matches(cond, v, e[0])]
                for e in hit:
                    out.append((v, e[0]))
                    e[1] = True
                vstate.append([v, bool(hit)])
                updated += 1
            for c in cj:
                hit = [e for e in vstate if matches(cond, e[0], c)]
                for e in hit:
                    out.append((e[0], c))
                    e[1] = True
                if not c_evict(c) or (kind in ("right", "full") and not hit):
                    cstate.append([c, bool(hit)])
                    updated += 1
        # eviction
        for st, ev, side in ((vstate, v_evict, "v"), (cstate, c_evict, "c")):
            keep = []
            for e in st:
                if ev(e[0]):
                    removed += 1
                    if not e[1] and ((side == "v" and kind in ("left", "full")) or
                                     (side == "c" and kind in ("right", "full"))):
                        out.append((e[0], None) if side == "v" else (None, e[0]))
                else:
                    keep.append(e)
            st[:] = keep
        # event-time stats: the first watermark node (views) with rows, else clicks
        stats = None
        if not wm_is_none and has_data:
            for rows, delay in ((v_in, p["wl"]), (c_in, p["wr"])):
                if delay is not None and rows:
                    ts = [r["T"] or 0 for r in rows]
                    stats = (min(ts), max(ts), sum(ts) // len(ts))
                    break
        out_batches.append(dict(
            batch_id=n, watermark=None if wm_is_none else wm,
            source_input_rows=[len(v_in), len(c_in)], dropped=dropped, updated=updated,
            removed=removed, total=len(vstate) + len(cstate), out=out, stats=stats))
        # fold this batch's maxima into the per-side watermarks (used from batch n+1 on)
        for side, rows, delay in (("v", v_in, p["wl"]), ("c", c_in, p["wr"])):
            if delay is not None and rows:
                mx = max(r["T"] or 0 for r in rows) - delay * MIN
                side_wm[side] = mx if side_wm[side] is None else max(side_wm[side], mx)
        prev_wm = wm
        n += 1
        if not has_data:
            break
    return out_batches


def encode_pair(name, cols, pair):
    v, c = pair if isinstance(pair, tuple) else (pair, None)
    vals = {}
    if v is not None:
        vals.update(view_id=v["view_id"], v_ad=v["v_ad"], v_user=v["v_user"], view_time=v["T"])
    if c is not None:
        vals.update(click_id=c["click_id"], c_ad=c["c_ad"], click_time=c["T"], amount=c["amount"])
        if c["amount"] is not None:
            vals["double_amount"] = c["amount"] * 2
    return [vals.get(k) for k in cols]


def check(name):
    exp = json.loads((HERE / "expected" / f"{name}.json").read_text())
    model = run_model(Q[name])
    cols = exp["columns"]
    problems = []
    if len(model) != len(exp["batches"]):
        problems.append(f"batch count model {len(model)} spark {len(exp['batches'])}")
    for m, b in zip(model, exp["batches"]):
        bid = b["batch_id"]
        rows = Counter(json.dumps(encode_pair(name, cols, x)) for x in m["out"])
        srows = Counter(json.dumps(r) for r in b["rows"])
        if rows != srows:
            problems.append(f"b{bid} rows: model-only {list((rows - srows).elements())} "
                            f"spark-only {list((srows - rows).elements())}")
        op = b["state_operators"][0]
        got = dict(wm=b["watermark"], src=b["source_input_rows"],
                   dropped=op["numRowsDroppedByWatermark"], updated=op["numRowsUpdated"],
                   removed=op["numRowsRemoved"], total=op["numRowsTotal"])
        want = dict(wm=m["watermark"], src=m["source_input_rows"], dropped=m["dropped"],
                    updated=m["updated"], removed=m["removed"], total=m["total"])
        if got != want:
            problems.append(f"b{bid} metrics spark {got} model {want}")
        et = b["event_time"] or {}
        if m["stats"]:
            want_et = dict(min=iso(m["stats"][0]), max=iso(m["stats"][1]), avg=iso(m["stats"][2]))
            got_et = {k: et.get(k) for k in ("min", "max", "avg")}
            if got_et != want_et:
                problems.append(f"b{bid} eventTime spark {got_et} model {want_et}")
        elif et.get("min") is not None:
            problems.append(f"b{bid} eventTime spark {et} model none")
    return model, problems


def check_union():
    exp = json.loads((HERE / "expected" / "union_aggregate.json").read_text())
    counts, problems = Counter(), []
    for b in exp["batches"]:
        n = b["batch_id"]
        touched = set()
        for r in batch_rows(VIEWS, n) + batch_rows(CLICKS, n):
            counts[r["K"]] += 1
            touched.add(r["K"])
        want = sorted(([k, counts[k]] for k in touched), key=lambda r: (r[0] is not None, r[0] or ""))
        if want != b["rows"]:
            problems.append(f"b{n}: model {want} spark {b['rows']}")
        op = b["state_operators"][0]
        if (op["numRowsTotal"], op["numRowsUpdated"]) != (len(counts), len(touched)):
            problems.append(f"b{n}: state {op} model total {len(counts)} updated {len(touched)}")
    return problems


def describe(name, model):
    print(f"\n{name}")
    for m in model:
        nulls = [x for x in m["out"] if isinstance(x, tuple) and None in x]
        null_ids = [(x[0] or x[1])["ID"] for x in nulls]
        print(f"  b{m['batch_id']}: wm={hm(m['watermark']) if m['watermark'] is not None else '-'}"
              f" in={m['source_input_rows']} dropped={m['dropped']} out={len(m['out'])}"
              f" updated={m['updated']} removed={m['removed']} total={m['total']}"
              + (f" null-rows={null_ids}" if null_ids else ""))


def main():
    all_ok = True
    for name in Q:
        model, problems = check(name)
        describe(name, model)
        for pr in problems:
            print("  MISMATCH", pr)
        all_ok &= not problems
    problems = check_union()
    for pr in problems:
        print("  MISMATCH union_aggregate", pr)
    all_ok &= not problems
    print("\nAll Spark outputs and state metrics match the model." if all_ok
          else "\nSome outputs differ from the model (see MISMATCH lines).")
    return 0 if all_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
