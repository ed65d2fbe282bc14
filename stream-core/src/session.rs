//! Session windows: per key, events closer than the gap form one session
//! `[first event, last event + gap)`, and a new event can join — and so merge — sessions.
//!
//! A batch's rows are first aggregated per initial session `[t, t + gap]`, in arrival order
//! ([`add`](Sessions::add)); [`settle`](Sessions::settle) then folds those partial results and
//! the stored sessions, in order of their start, into fresh accumulators, merging every run of
//! sessions that meet. These are the steps of Spark's plan (its partial aggregation, then
//! `MergingSessionsExec` over the restored sessions), so order-sensitive aggregates — a mean's
//! last bits, `first`, `last` — come out as Spark's.
//!
//! ```
//! use stream_core::Timestamp;
//! use stream_core::session::{Merge, Sessions};
//! #[derive(Default)]
//! struct Count(i64);
//! impl Merge for Count {
//!     fn merge(&mut self, other: Self) {
//!         self.0 += other.0;
//!     }
//! }
//! let minute = 60_000_000;
//! let at = |m: i64| Timestamp::from_micros(m * minute);
//! let mut sessions: Sessions<Count> = Sessions::default();
//! sessions.add(at(0), 10 * minute, 1).0 += 1;
//! sessions.add(at(30), 10 * minute, 1).0 += 1; // a second session
//! sessions.add(at(15), 10 * minute, 1).0 += 1; // 15 joins neither (0+10 < 15, 15+10 < 30)
//! sessions.settle(1);
//! assert_eq!(sessions.len(), 3);
//! sessions.add(at(22), 10 * minute, 2).0 += 1; // 22 bridges [15, 25] and [30, 40]
//! sessions.settle(2);
//! let spans: Vec<(i64, i64, i64)> = sessions.iter().map(|s| (s.start.micros() / minute, s.end.micros() / minute, s.value.0)).collect();
//! assert_eq!(spans, [(0, 10, 1), (15, 40, 3)]);
//! assert_eq!(sessions.merged_away(2), 1); // the row of the session that started at 30
//! ```

use crate::types::Timestamp;

/// Accumulators that can be combined: two sessions that merge, or the total kept in state and
/// a batch's partial result.
pub trait Merge: Sized {
    /// Whether a batch's partial result changes on its way to the state even when nothing is
    /// stored for its group (Spark merges it into fresh buffers first, which moves a mean's
    /// last bits: [`Moments`](crate::aggregate::Moments)).
    const SETTLES: bool = false;

    /// Folds `other` into `self`.
    fn merge(&mut self, other: Self);

    /// Combines the batch's partial result `self` with the total kept in state, if the group
    /// had one, as Spark's streaming aggregation does: the stored total first, then the batch's
    /// result merged into it.
    fn merge_stored(&mut self, stored: Option<Self>) {
        if let Some(mut total) = stored {
            std::mem::swap(self, &mut total);
            self.merge(total);
        }
    }
}

/// One session of a key.
#[derive(Debug, Clone, PartialEq)]
pub struct Session<A> {
    /// The first event's time.
    pub start: Timestamp,
    /// The last event's time plus the gap.
    pub end: Timestamp,
    /// The session's accumulator.
    pub value: A,
    /// The batch epoch that last changed the session.
    changed_in: u32,
}

/// The sessions of one key, ordered by start, neither overlapping nor touching.
#[derive(Debug, Clone, PartialEq)]
pub struct Sessions<A> {
    list: Vec<Session<A>>,
    /// The starts the sessions had when the current batch first touched this key: a state
    /// row is keyed by its start, so one that merges into an earlier start is removed.
    starts_before: Vec<Timestamp>,
    snapshot_epoch: Option<u32>,
    /// The current batch's rows aggregated per initial session `[t, t + gap]`, ordered by
    /// start then end, until [`settle`](Self::settle).
    pending: Vec<Session<A>>,
}

impl<A> Default for Sessions<A> {
    fn default() -> Self {
        Self {
            list: Vec::new(),
            starts_before: Vec::new(),
            snapshot_epoch: None,
            pending: Vec::new(),
        }
    }
}

impl<A: Default + Merge> Sessions<A> {
    /// Adds an event at `ts` (in batch `epoch`): returns the accumulator of its initial
    /// session `[ts, ts + gap]`, which the batch's other events at `ts` with that gap share.
    /// [`settle`](Self::settle) merges it with the sessions it meets.
    pub fn add(&mut self, ts: Timestamp, gap: i64, epoch: u32) -> &mut A {
        if self.snapshot_epoch != Some(epoch) {
            self.snapshot_epoch = Some(epoch);
            self.starts_before = self.list.iter().map(|s| s.start).collect();
        }
        let span = (ts, Timestamp::from_micros(ts.micros().saturating_add(gap)));
        // Events mostly come in time order: the new span then goes last, with no search.
        let at = match self.pending.last() {
            Some(last) if (last.start, last.end) < span => self.pending.len(),
            None => 0,
            Some(_) => match self.pending.binary_search_by(|s| (s.start, s.end).cmp(&span)) {
                Ok(found) => return &mut self.pending[found].value,
                Err(at) => at,
            },
        };
        self.pending.insert(
            at,
            Session {
                start: span.0,
                end: span.1,
                value: A::default(),
                changed_in: epoch,
            },
        );
        &mut self.pending[at].value
    }

    /// Folds the batch's partial sessions into the stored ones as Spark's `MergingSessionsExec`
    /// does: all of them in order of start (a stored session before a new one with the same
    /// start), each run of sessions that meet (`next.start <= end`) merged into a fresh
    /// accumulator. A session the batch added to is marked changed in `epoch`.
    pub fn settle(&mut self, epoch: u32) {
        if self.pending.is_empty() {
            return;
        }
        let (stored, new) = (std::mem::take(&mut self.list), std::mem::take(&mut self.pending));
        let mut stored = stored.into_iter().peekable();
        let mut new = new.into_iter().peekable();
        let mut current: Option<Session<A>> = None;
        loop {
            let next = match (stored.peek(), new.peek()) {
                (Some(old), Some(added)) if old.start <= added.start => stored.next(),
                (Some(_), Some(_)) | (None, Some(_)) => new.next(),
                (Some(_), None) => stored.next(),
                (None, None) => None,
            };
            let Some(session) = next else {
                break;
            };
            match &mut current {
                Some(run) if session.start <= run.end => {
                    run.end = run.end.max(session.end);
                    if session.changed_in == epoch {
                        run.changed_in = epoch;
                    }
                    run.value.merge(session.value);
                }
                _ => {
                    self.list.extend(current.take());
                    let mut value = A::default();
                    value.merge(session.value);
                    current = Some(Session { value, ..session });
                }
            }
        }
        self.list.extend(current);
    }
}

impl<A> Sessions<A> {
    /// Number of sessions.
    #[must_use]
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether the key has no session.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The sessions, by start.
    pub fn iter(&self) -> impl Iterator<Item = &Session<A>> {
        self.list.iter()
    }

    /// The sessions changed in batch `epoch`.
    pub fn changed_in(&self, epoch: u32) -> impl Iterator<Item = &Session<A>> {
        self.list.iter().filter(move |s| s.changed_in == epoch)
    }

    /// Adds a session restored from a snapshot (sessions are restored in order).
    pub fn restore(&mut self, start: Timestamp, end: Timestamp, value: A) {
        self.list.push(Session {
            start,
            end,
            value,
            changed_in: u32::MAX,
        });
    }

    /// Whether batch `epoch` added an event to this key.
    #[must_use]
    pub fn touched_in(&self, epoch: u32) -> bool {
        self.snapshot_epoch == Some(epoch)
    }

    /// How many of the sessions this key had before batch `epoch` were merged into a session
    /// with another start (their state rows are gone).
    #[must_use]
    pub fn merged_away(&self, epoch: u32) -> usize {
        if !self.touched_in(epoch) {
            return 0;
        }
        self.starts_before
            .iter()
            .filter(|start| !self.list.iter().any(|s| s.start == **start))
            .count()
    }

    /// Removes and returns the sessions that end at or before `watermark`.
    pub fn close(&mut self, watermark: Timestamp) -> Vec<Session<A>> {
        let closed = self.list.partition_point(|s| s.end <= watermark);
        self.list.drain(..closed).collect()
    }
}

/// A session gap computed per row (Spark's dynamic gap), as an interval string such as
/// `"5 minutes"`, in microseconds; `None` for a gap that is not a positive interval, whose row
/// Spark drops.
///
/// ```
/// use stream_core::session::gap_micros;
/// assert_eq!(gap_micros("5 minutes"), Some(300_000_000));
/// assert_eq!(gap_micros("0 seconds"), None);
/// assert_eq!(gap_micros("soon"), None);
/// ```
#[must_use]
pub fn gap_micros(text: &str) -> Option<i64> {
    stream_grammar::interval::parse(text).ok().filter(|gap| *gap > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default, Debug, PartialEq)]
    struct Total(i64);
    impl Merge for Total {
        fn merge(&mut self, other: Self) {
            self.0 += other.0;
        }
    }

    const MINUTE: i64 = 60_000_000;

    fn at(minute: i64) -> Timestamp {
        Timestamp::from_micros(minute * MINUTE)
    }

    fn spans(sessions: &Sessions<Total>) -> Vec<(i64, i64, i64)> {
        sessions
            .iter()
            .map(|s| (s.start.micros() / MINUTE, s.end.micros() / MINUTE, s.value.0))
            .collect()
    }

    #[test]
    fn events_closer_than_the_gap_share_a_session_in_any_order() {
        let mut sessions: Sessions<Total> = Sessions::default();
        for minute in [5, 0, 12, 3] {
            sessions.add(at(minute), 10 * MINUTE, 1).0 += 1;
        }
        sessions.settle(1);
        assert_eq!(spans(&sessions), [(0, 22, 4)]);
    }

    #[test]
    fn events_exactly_a_gap_apart_share_a_session() {
        let mut sessions: Sessions<Total> = Sessions::default();
        sessions.add(at(0), 10 * MINUTE, 1).0 += 1;
        sessions.add(at(10), 10 * MINUTE, 1).0 += 1;
        sessions.settle(1);
        assert_eq!(spans(&sessions), [(0, 20, 2)]);
    }

    #[test]
    fn closing_removes_sessions_the_watermark_passed() {
        let mut sessions: Sessions<Total> = Sessions::default();
        sessions.add(at(0), 10 * MINUTE, 1).0 += 1;
        sessions.settle(1);
        sessions.add(at(30), 10 * MINUTE, 2).0 += 1;
        sessions.settle(2);
        let closed: Vec<i64> = sessions.close(at(10)).iter().map(|s| s.value.0).collect();
        assert_eq!(closed, [1]);
        assert_eq!(spans(&sessions), [(30, 40, 1)]);
        assert_eq!(sessions.changed_in(2).count(), 1);
    }
}
