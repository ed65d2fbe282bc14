//! Session-window aggregation: Spark's `SessionWindowStateStoreSaveExec`.

use std::collections::HashSet;

use super::StatefulOperator;
use crate::plan::{BatchContext, OutputMode, StateMetrics};
use crate::session::{Merge, Session, Sessions};
use crate::state::snapshot::StateValue;
use crate::state::{GroupTable, KeyProbe, OwnedKey};
use crate::types::Timestamp;

/// Spark's session-window aggregation over keys `K` (the grouping keys besides the session),
/// each session holding accumulators `A`.
///
/// A row opens the session `[t, t + gap]`, which merges with every session of its key it
/// overlaps or touches ([`add`](Self::add)), when the batch's rows are all in
/// ([`Sessions::settle`]). The operator decides the rest, as Spark does:
/// - under a watermark, a row whose own session ends at or before the previous batch's
///   watermark is late: dropped in every mode (complete mode included, unlike windows) and
///   counted once per distinct key and event time ([`drop_if_late`](Self::drop_if_late));
/// - [`emit`](Self::emit) hands out every session (complete), the sessions the batch changed
///   (update), or the sessions the watermark closed, which it removes (append);
/// - its metrics count state rows as Spark's session state store does: a key's sessions are
///   rewritten when it has input, and a session merged into an earlier start is removed.
///
/// ```
/// use stream_core::operator::SessionAggregate;
/// use stream_core::plan::{BatchContext, OutputMode};
/// use stream_core::session::Merge;
/// use stream_core::state::{InlineKey, KeyStr};
/// use stream_core::Timestamp;
///
/// #[derive(Default, Debug)]
/// struct Count(i64);
/// impl Merge for Count {
///     fn merge(&mut self, other: Self) {
///         self.0 += other.0;
///     }
/// }
/// let minute = 60_000_000;
/// let at = |m: i64| Timestamp::from_micros(m * minute);
/// let mut sessions: SessionAggregate<(KeyStr,), Count> = SessionAggregate::new(10 * minute, true);
/// let mut context = BatchContext::new(at(0), at(0));
/// sessions.begin_batch(OutputMode::Append, &context);
/// for m in [1, 5, 30] {
///     sessions.add((InlineKey("u1"),), at(m)).0 += 1;
/// }
/// assert!(sessions.emit(&mut context).is_empty());
/// // The watermark passes 0:15: the first session, [0:01, 0:15], closes.
/// let mut context = BatchContext::new(at(20), at(0));
/// sessions.begin_batch(OutputMode::Append, &context);
/// let closed: Vec<(i64, i64)> = sessions.emit(&mut context).iter().map(|(_, s)| (s.start.micros() / minute, s.value.0)).collect();
/// assert_eq!(closed, [(1, 2)]);
/// ```
#[derive(Debug)]
pub struct SessionAggregate<K, A> {
    keys: GroupTable<K, Sessions<A>>,
    gap: i64,
    /// Whether the query has a watermark, so late rows are dropped and sessions close.
    watermarked: bool,
    /// The batch, numbered, so sessions know which batch changed them.
    epoch: u32,
    mode: OutputMode,
    late_event_watermark: Timestamp,
    watermark: Timestamp,
    /// The distinct (key hash, event time) pairs of the late rows this batch dropped.
    late: HashSet<(u64, Timestamp), foldhash::fast::FixedState>,
    /// The sessions append mode emitted this batch, removed from state.
    closed: Vec<(K, Session<A>)>,
    metrics: StateMetrics,
}

impl<K: OwnedKey + Clone, A: Default + Merge> SessionAggregate<K, A> {
    /// An empty operator with sessions of `gap` microseconds; `watermarked` when the query has
    /// a watermark.
    #[must_use]
    pub fn new(gap: i64, watermarked: bool) -> Self {
        Self {
            keys: GroupTable::new(),
            gap,
            watermarked,
            epoch: 0,
            mode: OutputMode::Append,
            late_event_watermark: Timestamp::default(),
            watermark: Timestamp::default(),
            late: HashSet::with_hasher(foldhash::fast::FixedState::with_seed(0x5e55_1011)),
            closed: Vec::new(),
            metrics: StateMetrics::default(),
        }
    }

    /// Starts a batch in `mode` with `context`'s watermarks.
    pub fn begin_batch(&mut self, mode: OutputMode, context: &BatchContext) {
        self.epoch = self.epoch.wrapping_add(1);
        self.keys.begin_batch();
        self.mode = mode;
        self.late_event_watermark = context.late_event_watermark;
        self.watermark = context.watermark;
        self.late.clear();
    }

    /// Whether a row of key `probe` at `ts` is late (its session `[ts, ts + gap]` ended at or
    /// before the previous watermark); a late row's key and time are counted.
    #[inline]
    pub fn drop_if_late<P: KeyProbe<Owned = K>>(&mut self, probe: P, ts: Timestamp) -> bool {
        self.drop_if_late_with_gap(probe, ts, self.gap)
    }

    /// [`drop_if_late`](Self::drop_if_late) for a row with its own gap (Spark's dynamic gap).
    #[inline]
    pub fn drop_if_late_with_gap<P: KeyProbe<Owned = K>>(&mut self, probe: P, ts: Timestamp, gap: i64) -> bool {
        let end = Timestamp::from_micros(ts.micros().saturating_add(gap));
        let late = self.watermarked && super::is_late(end, self.late_event_watermark);
        if late {
            let key = self.keys.hash(probe);
            self.late.insert((key, ts));
        }
        late
    }

    /// Adds a row of key `probe` at `ts`: returns the accumulators of its initial session, which
    /// [`emit`](Self::emit) merges with the sessions it meets.
    #[inline]
    pub fn add<P: KeyProbe<Owned = K>>(&mut self, probe: P, ts: Timestamp) -> &mut A {
        self.add_with_gap(probe, ts, self.gap)
    }

    /// [`add`](Self::add) for a row with its own gap (Spark's dynamic gap): its session is
    /// `[ts, ts + gap]`, merged with every session it meets, whatever their gaps.
    #[inline]
    pub fn add_with_gap<P: KeyProbe<Owned = K>>(&mut self, probe: P, ts: Timestamp, gap: i64) -> &mut A {
        self.keys.upsert(probe).add(ts, gap, self.epoch)
    }

    /// The sessions the batch's mode emits, with the late rows counted into `context`: every
    /// session (complete), those the batch changed (update), or those the watermark closed,
    /// removed now (append).
    pub fn emit(&mut self, context: &mut BatchContext) -> Vec<(&K, &Session<A>)> {
        context.dropped_by_watermark += self.late.len() as u64;
        let epoch = self.epoch;
        // The batch's rows meet the stored sessions (the keys with input are already marked
        // changed for the checkpoint).
        self.keys.update_each(|_, sessions| {
            sessions.settle(epoch);
            false
        });
        // Spark rewrites every session of each key that had input, and deletes the state rows
        // of sessions merged into an earlier start.
        let (changed, merged_away) = self
            .keys
            .iter()
            .filter(|(_, sessions)| sessions.touched_in(epoch))
            .fold((0, 0), |(changed, merged), (_, sessions)| {
                (changed + sessions.len(), merged + sessions.merged_away(epoch))
            });
        self.closed.clear();
        if self.mode == OutputMode::Append && self.watermarked {
            let watermark = self.watermark;
            let closed = &mut self.closed;
            self.keys.update_each(|key, sessions| {
                let before = closed.len();
                closed.extend(
                    sessions
                        .close(watermark)
                        .into_iter()
                        .map(|session| (key.clone(), session)),
                );
                closed.len() > before
            });
            self.keys.evict(|_, sessions| sessions.is_empty());
        }
        let total: usize = self.keys.iter().map(|(_, sessions)| sessions.len()).sum();
        self.metrics = StateMetrics {
            num_rows_total: total as u64,
            num_rows_updated: changed as u64,
            num_rows_removed: (self.closed.len() + merged_away) as u64,
            memory_used_bytes: self.keys.metrics().memory_used_bytes,
        };
        match self.mode {
            OutputMode::Complete => self
                .keys
                .iter()
                .flat_map(|(key, sessions)| sessions.iter().map(move |session| (key, session)))
                .collect(),
            OutputMode::Update => self
                .keys
                .iter()
                .flat_map(|(key, sessions)| sessions.changed_in(epoch).map(move |session| (key, session)))
                .collect(),
            OutputMode::Append => self.closed.iter().map(|(key, session)| (key, session)).collect(),
        }
    }
}

impl<K: OwnedKey + StateValue, A: StateValue + Default> StatefulOperator for SessionAggregate<K, A>
where
    Sessions<A>: StateValue,
{
    fn name(&self) -> &'static str {
        "sessionWindowStateStoreSaveExec"
    }

    fn metrics(&self) -> StateMetrics {
        self.metrics
    }

    fn dropped_by_watermark(&self) -> u64 {
        self.late.len() as u64
    }

    one_table_state!(keys: K => Sessions<A>);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{InlineKey, KeyStr};

    #[derive(Default, Debug, PartialEq)]
    struct Count(i64);
    impl Merge for Count {
        fn merge(&mut self, other: Self) {
            self.0 += other.0;
        }
    }

    const MINUTE: i64 = 60_000_000;

    fn at(minute: i64) -> Timestamp {
        Timestamp::from_micros(minute * MINUTE)
    }

    /// A session as emitted: user, start and end minutes, count.
    type Emitted = (String, i64, i64, i64);

    /// Runs `batches` of `(user, minute)` rows with a 10-minute gap and a 5-minute watermark
    /// delay; returns each batch's emitted sessions and late drops.
    fn run(mode: OutputMode, batches: &[Vec<(&str, i64)>]) -> Vec<(Vec<Emitted>, u64)> {
        let mut op: SessionAggregate<(KeyStr,), Count> = SessionAggregate::new(10 * MINUTE, true);
        let (mut late, mut watermark) = (at(0), at(0));
        let mut out = Vec::new();
        for batch in batches.iter().map(Vec::as_slice).chain([&[][..]]) {
            let mut context = BatchContext::new(watermark, late);
            op.begin_batch(mode, &context);
            for &(user, minute) in batch {
                if !op.drop_if_late((InlineKey(user),), at(minute)) {
                    op.add((InlineKey(user),), at(minute)).0 += 1;
                }
            }
            let emitted = op
                .emit(&mut context)
                .into_iter()
                .map(|(key, s)| {
                    (
                        key.0.to_string(),
                        s.start.micros() / MINUTE,
                        s.end.micros() / MINUTE,
                        s.value.0,
                    )
                })
                .collect();
            out.push((emitted, context.dropped_by_watermark));
            late = watermark;
            if let Some(max) = batch.iter().map(|&(_, m)| m).max() {
                watermark = watermark.max(at(max - 5));
            }
        }
        out
    }

    #[test]
    fn append_emits_closed_sessions_once_and_late_rows_are_counted_per_key_and_time() {
        let got = run(
            OutputMode::Append,
            &[
                vec![("a", 10), ("a", 15), ("b", 12)],
                vec![("a", 60)],
                vec![("b", 70)],
                vec![("a", 20), ("a", 20)],
            ],
        );
        // Batch 2's watermark (0:55) closes a's [10, 25] and b's [12, 22].
        assert_eq!(got[2].0, [("a".to_owned(), 10, 25, 2), ("b".to_owned(), 12, 22, 1)]);
        // Batch 3: a@20, twice, is late (its session would end at 0:30, before 0:55): one pair.
        assert_eq!(got[3].1, 1);
        assert_eq!(got.iter().map(|(rows, _)| rows.len()).sum::<usize>(), 2);
    }

    /// The final sessions of complete mode, without a watermark, over `batches` of
    /// `(user, minute)` rows: sorted.
    fn complete_sessions(batches: &[&[(u8, i64)]]) -> Vec<Emitted> {
        let mut op: SessionAggregate<(KeyStr,), Count> = SessionAggregate::new(10 * MINUTE, false);
        let mut last = Vec::new();
        for batch in batches {
            let mut context = BatchContext::new(at(0), at(0));
            op.begin_batch(OutputMode::Complete, &context);
            for &(user, minute) in *batch {
                let user = user.to_string();
                op.add((InlineKey(user.as_str()),), at(minute)).0 += 1;
            }
            last = op
                .emit(&mut context)
                .into_iter()
                .map(|(key, s)| {
                    (
                        key.0.to_string(),
                        s.start.micros() / MINUTE,
                        s.end.micros() / MINUTE,
                        s.value.0,
                    )
                })
                .collect();
        }
        last.sort();
        last
    }

    /// Sessions computed directly: each user's sorted times, split where the gap to the next one
    /// is more than the 10-minute gap (events exactly a gap apart share a session).
    fn reference_sessions(rows: &[(u8, i64)]) -> Vec<Emitted> {
        let mut by_user: std::collections::BTreeMap<u8, Vec<i64>> = std::collections::BTreeMap::new();
        for &(user, minute) in rows {
            by_user.entry(user).or_default().push(minute);
        }
        let mut sessions = Vec::new();
        for (user, mut minutes) in by_user {
            minutes.sort_unstable();
            let mut current: Option<(i64, i64, i64)> = None;
            for minute in minutes {
                current = match current {
                    Some((start, end, n)) if minute <= end => Some((start, end.max(minute + 10), n + 1)),
                    Some(done) => {
                        sessions.push((user.to_string(), done.0, done.1, done.2));
                        Some((minute, minute + 10, 1))
                    }
                    None => Some((minute, minute + 10, 1)),
                };
            }
            sessions.extend(current.map(|(start, end, n)| (user.to_string(), start, end, n)));
        }
        sessions.sort();
        sessions
    }

    proptest::proptest! {
        /// Without a watermark, complete mode's sessions are those of all rows at once, however
        /// the rows are split into batches and in whatever order they arrive.
        #[test]
        fn complete_sessions_do_not_depend_on_batching(
            rows in proptest::collection::vec((0u8..3, 0i64..120), 0..40),
            cut in 0usize..40,
        ) {
            let cut = cut.min(rows.len());
            let expected = reference_sessions(&rows);
            proptest::prop_assert_eq!(&complete_sessions(&[&rows]), &expected);
            proptest::prop_assert_eq!(&complete_sessions(&[&rows[..cut], &rows[cut..]]), &expected);
        }

        /// In append mode each closed session is emitted once and no row is counted twice. (A
        /// user's emitted sessions may overlap: a row arriving after its neighbours' session was
        /// closed and evicted, yet not late, starts a session of its own, as in Spark.)
        #[test]
        fn append_emits_each_session_once(
            batches in proptest::collection::vec(proptest::collection::vec((0u8..3, 0i64..200), 0..12), 1..6),
        ) {
            let names: Vec<Vec<(String, i64)>> = batches
                .iter()
                .map(|batch| batch.iter().map(|&(user, minute)| (user.to_string(), minute)).collect())
                .collect();
            let borrowed: Vec<Vec<(&str, i64)>> = names
                .iter()
                .map(|batch| batch.iter().map(|(user, minute)| (user.as_str(), *minute)).collect())
                .collect();
            let emitted: Vec<Emitted> = run(OutputMode::Append, &borrowed).into_iter().flat_map(|(rows, _)| rows).collect();
            let distinct: std::collections::BTreeSet<(&str, i64)> =
                emitted.iter().map(|(user, start, _, _)| (user.as_str(), *start)).collect();
            proptest::prop_assert_eq!(distinct.len(), emitted.len(), "a session emitted twice: {:?}", emitted);
            let counted: i64 = emitted.iter().map(|session| session.3).sum();
            proptest::prop_assert!(counted <= batches.iter().map(Vec::len).sum::<usize>() as i64);
        }
    }

    #[test]
    fn a_late_arriving_event_merges_two_sessions_in_update_mode() {
        let got = run(OutputMode::Update, &[vec![("a", 10), ("a", 30)], vec![("a", 20)]]);
        assert_eq!(got[0].0, [("a".to_owned(), 10, 20, 1), ("a".to_owned(), 30, 40, 1)]);
        assert_eq!(got[1].0, [("a".to_owned(), 10, 40, 3)]);
    }
}
