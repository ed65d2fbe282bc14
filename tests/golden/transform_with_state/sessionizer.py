"""The Sessionizer stateful processor of the transform_with_state goldens (pyspark's Row-based
`transformWithState` API), shared by make_transform_with_state_golden.py and
make_ttl_golden.py.  The scripts register this module with cloudpickle
(`register_pickle_by_value`), so the Python workers get the classes by value and need no path.

State (created in init):
  session        value state (start_ms LONG, last_ms LONG, clicks LONG), no TTL
  pages          list state of (page STRING)
  page_counts    map state page STRING -> (count LONG)
  sessions_seen  value state (n LONG); TTL = `ttl_ms` (None = no TTL).  Spark 4.3.0 refuses a
                 TTL unless timeMode is "ProcessingTime" (see README.md and errors.json).

handleInputRows: fold the key's rows of the batch into `session` (start = min, last = max,
clicks += n), append each row's page to `pages`, add 1 per row to `page_counts[page]`, delete
the old timer (old last_ms + 10 min) if there was a session and register a timer at
new last_ms + 10 min.  Emits nothing.

handleExpiredTimer: emit (user, start, last + 10 min, clicks, distinct pages in `pages`,
top page by count with ties to the smallest string, (sessions_seen or 0) + 1), then set
sessions_seen and clear session, pages and page_counts.
"""
import calendar
import datetime

from pyspark.sql import Row
from pyspark.sql.streaming import StatefulProcessor

GAP_MS = 10 * 60 * 1000

OUTPUT_SCHEMA = ("user STRING, session_start TIMESTAMP, session_end TIMESTAMP, clicks LONG, "
                 "distinct_pages LONG, top_page STRING, session_number LONG")
TRACE_SCHEMA = "seq LONG, call STRING, user STRING, detail STRING"


def to_ms(t):
    """A collected TIMESTAMP (naive: the worker's local zone, TZ=UTC; or aware) -> epoch ms."""
    if t.tzinfo is not None:
        t = t.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return calendar.timegm(t.timetuple()) * 1000 + t.microsecond // 1000


def from_ms(ms):
    return datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(
        milliseconds=ms)


class Sessionizer(StatefulProcessor):
    ttl_ms = None  # subclasses set 20000 for the TTL run

    def init(self, handle):
        self.handle = handle
        self.session = handle.getValueState("session", "start_ms LONG, last_ms LONG, clicks LONG")
        self.pages = handle.getListState("pages", "page STRING")
        self.page_counts = handle.getMapState("page_counts", "page STRING", "count LONG")
        if self.ttl_ms is None:
            self.sessions_seen = handle.getValueState("sessions_seen", "n LONG")
        else:
            self.sessions_seen = handle.getValueState("sessions_seen", "n LONG", self.ttl_ms)

    # -- the processor's logic, shared with the tracing subclass -------------------------
    def fold_rows(self, rows):
        rows = list(rows)
        times = [to_ms(r.event_time) for r in rows]
        if self.session.exists():
            start, last, clicks = self.session.get()
            old_timer = last + GAP_MS
            start, last, clicks = min(start, min(times)), max(last, max(times)), clicks + len(rows)
        else:
            old_timer = None
            start, last, clicks = min(times), max(times), len(rows)
        self.session.update((start, last, clicks))
        for r in rows:
            self.pages.appendValue((r.page,))
            old = self.page_counts.getValue((r.page,))
            self.page_counts.updateValue((r.page,), ((old[0] if old else 0) + 1,))
        if old_timer is not None:
            self.handle.deleteTimer(old_timer)
        self.handle.registerTimer(last + GAP_MS)
        return rows, old_timer, last + GAP_MS

    def close_session(self, key):
        start, last, clicks = self.session.get()
        distinct = len({p[0] for p in self.pages.get()})
        counts = [(k[0], v[0]) for k, v in self.page_counts.iterator()]
        top = min(counts, key=lambda kv: (-kv[1], kv[0]))[0]
        seen = self.sessions_seen.get() if self.sessions_seen.exists() else None
        number = (seen[0] if seen is not None else 0) + 1
        self.sessions_seen.update((number,))
        self.session.clear()
        self.pages.clear()
        self.page_counts.clear()
        return Row(user=key[0], session_start=from_ms(start), session_end=from_ms(last + GAP_MS),
                   clicks=clicks, distinct_pages=distinct, top_page=top, session_number=number)

    # -- the StatefulProcessor interface -----------------------------------------------
    def handleInputRows(self, key, rows, timerValues):
        self.fold_rows(rows)
        return iter([])

    def handleExpiredTimer(self, key, timerValues, expiredTimerInfo):
        yield self.close_session(key)

    def close(self):
        pass


class SessionizerTTL(Sessionizer):
    ttl_ms = 20000


def hms(ms):
    return from_ms(ms).strftime("%H:%M:%S") if ms is not None else None


class TracingSessionizer(Sessionizer):
    """The same state logic; instead of the session rows it emits one trace row per call:
    handleInputRows (the rows it was given, TimerValues, the timer it deleted / registered) and
    handleExpiredTimer (the expiry, TimerValues, the session row it would emit).  `seq` numbers
    the calls of one partition task in call order (reset in init, which runs once per task)."""

    def init(self, handle):
        super().init(handle)
        self.seq = 0

    def next_seq(self):
        self.seq += 1
        return self.seq

    def handleInputRows(self, key, rows, timerValues):
        rows, old_timer, new_timer = self.fold_rows(rows)
        detail = ("rows=" + ",".join(f"{hms(to_ms(r.event_time))}/{r.page}"
                                     for r in sorted(rows, key=lambda r: (r.event_time, r.page)))
                  + f" wm={timerValues.getCurrentWatermarkInMs()}"
                  + f" pt={timerValues.getCurrentProcessingTimeInMs()}"
                  + f" deleted_timer={hms(old_timer)} registered_timer={hms(new_timer)}")
        yield Row(seq=self.next_seq(), call="handleInputRows", user=key[0], detail=detail)

    def handleExpiredTimer(self, key, timerValues, expiredTimerInfo):
        row = self.close_session(key)
        detail = (f"expiry={hms(expiredTimerInfo.getExpiryTimeInMs())}"
                  f" wm={timerValues.getCurrentWatermarkInMs()}"
                  f" pt={timerValues.getCurrentProcessingTimeInMs()}"
                  f" session={row.session_start.strftime('%H:%M:%S')}-"
                  f"{row.session_end.strftime('%H:%M:%S')} clicks={row.clicks}"
                  f" distinct={row.distinct_pages} top={row.top_page} n={row.session_number}")
        yield Row(seq=self.next_seq(), call="handleExpiredTimer", user=key[0], detail=detail)
