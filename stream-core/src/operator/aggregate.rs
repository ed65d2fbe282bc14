//! Keyed streaming aggregation: Spark's `StateStoreSave` over groups (plain or windowed).

use super::StatefulOperator;
use crate::plan::{BatchContext, OutputMode, StateMetrics};
use crate::session::Merge;
use crate::state::snapshot::StateValue;
use crate::state::{GroupTable, KeyProbe, OwnedKey};
use crate::types::Timestamp;

/// Spark's streaming aggregation over groups keyed by `K`, each holding accumulators `A`.
///
/// The query updates groups row by row ([`upsert`](Self::upsert)); the operator decides the
/// rest, as Spark does:
/// - a row whose group is bounded in event time (by a window's end, or a watermarked timestamp
///   key) at or before the previous batch's watermark is late: dropped in append and update
///   modes and counted once per group ([`drop_if_late`](Self::drop_if_late)); complete mode
///   keeps every row;
/// - [`emit`](Self::emit) hands out the groups the mode emits: every group (complete), the
///   groups this batch changed (update), or the groups the watermark made final, which it
///   evicts (append);
/// - [`end_batch`](Self::end_batch) evicts, in update mode, the groups the watermark passed,
///   after they were emitted. Complete mode never evicts.
///
/// The event-time bound of a group is given by the query as a function of its key (`None` for
/// a group without one, never evicted).
///
/// ```
/// use stream_core::operator::{KeyedAggregate, StatefulOperator};
/// use stream_core::plan::{BatchContext, OutputMode};
/// use stream_core::{Timestamp, Window};
///
/// let at = |minute: i64| Timestamp::from_micros(minute * 60_000_000);
/// let hour = |start: i64| Window { start: at(start), end: at(start + 60) };
/// let bound = |key: &(Window,)| Some(key.0.end);
/// let mut counts: KeyedAggregate<(Window,), i64> = KeyedAggregate::new();
/// // Batch 0: two rows in the 10:00 window.
/// let mut context = BatchContext::new(at(0), at(0));
/// counts.begin_batch(OutputMode::Append, &context);
/// for _ in 0..2 {
///     *counts.upsert((hour(600),)) += 1;
/// }
/// assert!(counts.emit(&mut context, bound).is_empty(), "not final yet");
/// counts.end_batch(bound);
/// // Batch 1, with the watermark past 11:00: the window is final, emitted once and evicted.
/// let mut context = BatchContext::new(at(665), at(600));
/// counts.begin_batch(OutputMode::Append, &context);
/// let emitted: Vec<i64> = counts.emit(&mut context, bound).into_iter().map(|(_, n)| *n).collect();
/// assert_eq!(emitted, [2]);
/// counts.end_batch(bound);
/// assert_eq!(counts.metrics().num_rows_total, 0);
/// ```
#[derive(Debug)]
pub struct KeyedAggregate<K, A> {
    groups: GroupTable<K, A>,
    /// The groups whose late rows this batch dropped (Spark counts groups, after its partial
    /// aggregation, not rows).
    late_groups: GroupTable<K, ()>,
    /// How many groups the last batch dropped as late.
    dropped_late: u64,
    mode: OutputMode,
    late_event_watermark: Timestamp,
    watermark: Timestamp,
    /// The groups append mode emitted this batch, evicted from `groups`.
    evicted: Vec<(K, A)>,
    /// The totals of the groups this batch updated that existed before it, and the new groups
    /// whose partial results settle (see [`upsert_rebased`](Self::upsert_rebased)).
    saved: Vec<(u32, Option<A>)>,
}

impl<K: OwnedKey, A: Default> Default for KeyedAggregate<K, A> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: OwnedKey, A: Default> KeyedAggregate<K, A> {
    /// An empty operator.
    #[must_use]
    pub fn new() -> Self {
        Self {
            groups: GroupTable::new(),
            late_groups: GroupTable::new(),
            dropped_late: 0,
            mode: OutputMode::Append,
            late_event_watermark: Timestamp::default(),
            watermark: Timestamp::default(),
            evicted: Vec::new(),
            saved: Vec::new(),
        }
    }

    /// Starts a batch in `mode` with `context`'s watermarks.
    pub fn begin_batch(&mut self, mode: OutputMode, context: &BatchContext) {
        self.groups.begin_batch();
        self.mode = mode;
        self.late_event_watermark = context.late_event_watermark;
        self.watermark = context.watermark;
    }

    /// Whether a row of group `probe`, bounded in event time by `bound`, is late; a late row's
    /// group is counted. Complete mode keeps every row.
    #[inline]
    pub fn drop_if_late<P: KeyProbe<Owned = K>>(&mut self, probe: P, bound: Option<Timestamp>) -> bool {
        let late = self.mode != OutputMode::Complete
            && bound.is_some_and(|time| super::is_late(time, self.late_event_watermark));
        if late {
            self.late_groups.insert_new(probe, ());
        }
        late
    }

    /// The accumulators of `probe`'s group, a new default one for a new key.
    #[inline]
    pub fn upsert<P: KeyProbe<Owned = K>>(&mut self, probe: P) -> &mut A {
        self.groups.upsert(probe)
    }

    /// [`upsert`](Self::upsert) with the key's [`hash`](Self::hash) computed ahead.
    #[inline]
    pub fn upsert_hashed<P: KeyProbe<Owned = K>>(&mut self, probe: P, hash: u64) -> &mut A {
        self.groups.upsert_hashed(probe, hash)
    }

    /// [`upsert`](Self::upsert) for accumulators whose result depends on the order of their
    /// updates (sums of doubles, means, `first`, ...), made to aggregate as Spark does: the
    /// batch's rows are aggregated apart (the first update of an existing group in a batch sets
    /// its total aside and starts it afresh), and [`merge_rebased`](Self::merge_rebased) then
    /// merges that partial result into the total — Spark's partial aggregation, then its merge
    /// with the state store's row. Floating-point addition is not associative, so the other
    /// order would differ in the last bits (`(a + b) + c` is not `a + (b + c)`).
    #[inline]
    pub fn upsert_rebased<P: KeyProbe<Owned = K>>(&mut self, probe: P) -> &mut A
    where
        A: Merge,
    {
        let hash = self.groups.hash(probe);
        self.upsert_hashed_rebased(probe, hash)
    }

    /// [`upsert_rebased`](Self::upsert_rebased) with the key's [`hash`](Self::hash) computed ahead.
    #[inline]
    pub fn upsert_hashed_rebased<P: KeyProbe<Owned = K>>(&mut self, probe: P, hash: u64) -> &mut A
    where
        A: Merge,
    {
        let (slot, first, inserted) = self.groups.upsert_hashed_first(probe, hash);
        if first && !inserted {
            let total = std::mem::take(self.groups.slot_mut(slot));
            self.saved.push((slot, Some(total)));
        } else if first && A::SETTLES {
            self.saved.push((slot, None));
        }
        self.groups.slot_mut(slot)
    }

    /// Merges the batch's partial results into the totals set aside by
    /// [`upsert_rebased`](Self::upsert_rebased) ([`Merge::merge_stored`]): `total ⊕ partial`,
    /// in that order, as Spark merges them.
    pub fn merge_rebased(&mut self)
    where
        A: Merge,
    {
        for (slot, total) in self.saved.drain(..) {
            self.groups.slot_mut(slot).merge_stored(total);
        }
    }

    /// The hash of `probe`'s key, for [`prefetch_index`](Self::prefetch_index) rows ahead.
    #[inline]
    pub fn hash<P: KeyProbe<Owned = K>>(&self, probe: P) -> u64 {
        self.groups.hash(probe)
    }

    /// Starts loading the index entry of `hash` (see [`GroupTable::prefetch_index`]).
    #[inline]
    pub fn prefetch_index(&self, hash: u64) {
        self.groups.prefetch_index(hash);
    }

    /// Starts loading the group of `hash` (see [`GroupTable::prefetch_group`]).
    #[inline]
    pub fn prefetch_group(&self, hash: u64) {
        self.groups.prefetch_group(hash);
    }

    /// The groups the batch's mode emits, with the late groups counted into `context`: all of
    /// them (complete), those the batch changed (update), or those the watermark made final,
    /// evicted now (append).
    pub fn emit(&mut self, context: &mut BatchContext, bound: impl Fn(&K) -> Option<Timestamp>) -> Vec<(&K, &A)> {
        self.dropped_late = self.late_groups.len() as u64;
        context.dropped_by_watermark += self.dropped_late;
        self.late_groups.clear();
        match self.mode {
            OutputMode::Complete => self.groups.iter().collect(),
            OutputMode::Update => self.groups.updated().collect(),
            OutputMode::Append => {
                let watermark = self.watermark;
                self.evicted = self
                    .groups
                    .evict(|key, _| bound(key).is_some_and(|time| super::is_expired(time, watermark)));
                self.evicted.iter().map(|(key, value)| (key, value)).collect()
            }
        }
    }

    /// Ends the batch: in update mode, evicts the groups the watermark passed (after
    /// [`emit`](Self::emit) handed them out: update mode emits every group the batch changed).
    pub fn end_batch(&mut self, bound: impl Fn(&K) -> Option<Timestamp>) {
        self.evicted.clear();
        if self.mode == OutputMode::Update {
            let watermark = self.watermark;
            self.groups
                .evict(|key, _| bound(key).is_some_and(|time| super::is_expired(time, watermark)));
        }
    }

    /// Every group, in insertion order.
    pub fn groups(&self) -> impl ExactSizeIterator<Item = (&K, &A)> {
        self.groups.iter()
    }
}

impl<K: OwnedKey + StateValue, A: StateValue + Default> StatefulOperator for KeyedAggregate<K, A> {
    fn name(&self) -> &'static str {
        "stateStoreSave"
    }

    fn metrics(&self) -> StateMetrics {
        self.groups.metrics()
    }

    fn dropped_by_watermark(&self) -> u64 {
        self.dropped_late
    }

    one_table_state!(groups: K => A);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::{Window, WindowSpec};
    use proptest::prelude::*;

    fn minutes(m: i64) -> Timestamp {
        Timestamp::from_micros(m * 60_000_000)
    }

    /// What a run emitted: per batch (and the final no-data batch), `(window start minute,
    /// count)` rows; the groups dropped as late per batch; and the groups left in state.
    type Run = (Vec<Vec<(i64, i64)>>, Vec<u64>, usize);

    /// Counts `(minute)` events per 60-minute window over `batches`, with a watermark of
    /// `delay` minutes, in `mode`.
    fn run(mode: OutputMode, delay: i64, batches: &[Vec<i64>]) -> Run {
        let spec = WindowSpec::new(minutes(60).micros(), minutes(60).micros(), 0);
        let bound = |key: &(Window,)| Some(key.0.end);
        let mut op: KeyedAggregate<(Window,), i64> = KeyedAggregate::new();
        let (mut late, mut watermark) = (minutes(0), minutes(0));
        let (mut emitted, mut drops) = (Vec::new(), Vec::new());
        let mut run_batch = |batch: &[i64], late: Timestamp, watermark: Timestamp| {
            let mut context = BatchContext::new(watermark, late);
            op.begin_batch(mode, &context);
            for &minute in batch {
                for window in spec.assign(minutes(minute)) {
                    if !op.drop_if_late((window,), Some(window.end)) {
                        *op.upsert((window,)) += 1;
                    }
                }
            }
            let out: Vec<(i64, i64)> = op
                .emit(&mut context, bound)
                .into_iter()
                .map(|(key, n)| (key.0.start.micros() / 60_000_000, *n))
                .collect();
            op.end_batch(bound);
            (out, context.dropped_by_watermark)
        };
        for batch in batches {
            let (out, dropped) = run_batch(batch, late, watermark);
            emitted.push(out);
            drops.push(dropped);
            late = watermark;
            if let Some(max) = batch.iter().max() {
                watermark = watermark.max(minutes(max - delay));
            }
        }
        // The no-data batch the engine runs when the watermark moved.
        let (out, dropped) = run_batch(&[], late, watermark);
        emitted.push(out);
        drops.push(dropped);
        (emitted, drops, op.metrics().num_rows_total as usize)
    }

    const BATCHES: [&[i64]; 4] = [&[5, 30, 65], &[130], &[140], &[10, 20, 150]];

    fn batches() -> Vec<Vec<i64>> {
        BATCHES.iter().map(|batch| batch.to_vec()).collect()
    }

    #[test]
    fn append_emits_each_window_once_when_final_and_drops_late_rows_per_group() {
        let (emitted, drops, left) = run(OutputMode::Append, 10, &batches());
        // Batch 2's watermark (12:00) makes the 0:00 and 1:00 windows final.
        assert_eq!(emitted, [vec![], vec![], vec![(0, 2), (60, 1)], vec![], vec![]]);
        // Batch 3's two late rows fall in one window: one group dropped.
        assert_eq!(drops, [0, 0, 0, 1, 0]);
        assert_eq!(left, 1, "the 2:00 window is not final");
    }

    #[test]
    fn update_emits_changed_groups_then_evicts_and_complete_keeps_everything() {
        let (emitted, drops, left) = run(OutputMode::Update, 10, &batches());
        assert_eq!(
            emitted,
            [
                vec![(0, 2), (60, 1)],
                vec![(120, 1)],
                vec![(120, 2)],
                vec![(120, 3)],
                vec![]
            ]
        );
        assert_eq!(drops, [0, 0, 0, 1, 0]);
        assert_eq!(left, 1);
        let (emitted, drops, left) = run(OutputMode::Complete, 10, &batches());
        assert_eq!(emitted[4], [(0, 4), (60, 1), (120, 3)]);
        assert_eq!(drops, [0, 0, 0, 0, 0]);
        assert_eq!(left, 3);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Append mode emits every window exactly once in total, with the count of its on-time
        /// rows, and never keeps a window the watermark has passed.
        #[test]
        fn append_emits_each_window_once(batches in proptest::collection::vec(proptest::collection::vec(0i64..600, 0..15), 1..8)) {
            let (emitted, _, _) = run(OutputMode::Append, 15, &batches);
            let mut starts: Vec<i64> = emitted.iter().flatten().map(|(start, _)| *start).collect();
            let total = starts.len();
            starts.sort_unstable();
            starts.dedup();
            prop_assert_eq!(starts.len(), total, "a window was emitted twice");
        }

        /// Without a watermark bound, complete mode's final table does not depend on how the
        /// input is split into batches.
        #[test]
        fn complete_mode_does_not_depend_on_batching(rows in proptest::collection::vec(0i64..600, 0..60), cut in 0usize..60) {
            let cut = cut.min(rows.len());
            let whole = run(OutputMode::Complete, 15, std::slice::from_ref(&rows)).0.pop().unwrap();
            let split = run(OutputMode::Complete, 15, &[rows[..cut].to_vec(), rows[cut..].to_vec()]).0.pop().unwrap();
            let sorted = |mut v: Vec<(i64, i64)>| { v.sort_unstable(); v };
            prop_assert_eq!(sorted(whole), sorted(split));
        }
    }
}
