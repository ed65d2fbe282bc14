//! Stream–stream joins: Spark's symmetric hash join (`StreamingSymmetricHashJoinExec`).
//!
//! Each side buffers its rows in state, keyed by the join key. A micro-batch first runs the
//! left side's new rows (each probes the right side's state, then joins the left state), then
//! the right side's (each probes the left state, which now holds this batch's left rows too),
//! so every pair of rows meets exactly once. When the watermark passes, a side's rows that can
//! no longer match leave its state; in an outer join those that never matched are emitted with
//! nulls for the other side, exactly once.
//!
//! When a row leaves state is Spark's rule, per side ([`Eviction`]): when the join keys hold the
//! watermarked event time (or a window over it), rows leave once that time is at or before the
//! watermark; when the join condition bounds this side's event time from below by the other
//! side's watermarked event time (`click_time <= view_time + interval 15 minutes` bounds
//! `view_time`), rows leave once their event time is at or before that bound evaluated at the
//! watermark — Spark's *state value watermark*, computed here from the constant the macro
//! solves the condition for ([`TimeBound`]); otherwise they stay forever.

use super::StatefulOperator;
use crate::plan::{BatchContext, StateMetrics};
use crate::state::snapshot::{StateType, StateValue};
use crate::state::store::{OperatorSchema, StoreSchema, StoreWriter};
use crate::state::{GroupTable, KeyProbe, OwnedKey};
use crate::types::Timestamp;

/// Which rows a stream–stream join emits (Spark's join types for two streams).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamJoinType {
    /// Matched pairs only.
    Inner,
    /// Matched pairs, and each left row that never matched, with nulls, once it expires.
    LeftOuter,
    /// Matched pairs, and each right row that never matched, with nulls, once it expires.
    RightOuter,
    /// Matched pairs, and each row of either side that never matched, once it expires.
    FullOuter,
    /// Each left row that matches, once, with the left side's columns only.
    LeftSemi,
}

impl StreamJoinType {
    /// Whether the left side's unmatched rows are emitted.
    const fn keeps_left(self) -> bool {
        matches!(self, Self::LeftOuter | Self::FullOuter)
    }

    /// Whether the right side's unmatched rows are emitted.
    const fn keeps_right(self) -> bool {
        matches!(self, Self::RightOuter | Self::FullOuter)
    }
}

/// One input of a stream–stream join, in [`StreamJoin::input_order`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinInput {
    /// The left side's rows, through [`StreamJoin::join_left`].
    Left,
    /// The right side's rows, through [`StreamJoin::join_right`].
    Right,
}

/// A lower bound on one side's event time given by the join condition, relative to the other
/// side's watermarked event time: `this_time > other_time + offset` (or `>=` when `inclusive`).
///
/// Spark solves each conjunct of the condition for it (`StreamingJoinHelper`); at a watermark
/// `W` (milliseconds) the bound gives the state value watermark `(W·1000 + offset) / 1000`,
/// truncated to milliseconds, less one millisecond when `inclusive`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeBound {
    /// The constant, in microseconds.
    pub offset_micros: i64,
    /// Whether the bound is inclusive (`>=`, `<=`).
    pub inclusive: bool,
}

/// When one side's buffered rows leave state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Eviction {
    /// Never: the side has no watermark the join can use, and its state grows forever (as in
    /// Spark, an inner join without watermarks).
    Never,
    /// Once the event time in the join key (a watermarked column, or a window's end) is at or
    /// before the watermark: Spark's `JoinStateKeyWatermarkPredicate`.
    AtWatermark,
    /// Once the row's watermarked event time is at or before the state value watermark the
    /// bounds give (their minimum): Spark's `JoinStateValueWatermarkPredicate`.
    Bounded(&'static [TimeBound]),
}

impl Eviction {
    /// The time at or before which this side's rows leave state, at `watermark`.
    fn threshold(self, watermark: Timestamp) -> Option<Timestamp> {
        match self {
            Self::Never => None,
            Self::AtWatermark => Some(watermark),
            Self::Bounded(bounds) => {
                let watermark_ms = watermark.micros().div_euclid(1000);
                bounds
                    .iter()
                    .map(|bound| {
                        // Spark evaluates the bound in double microseconds and truncates the
                        // milliseconds toward zero.
                        #[expect(clippy::cast_precision_loss, reason = "Spark computes in doubles")]
                        let micros = watermark_ms as f64 * 1000.0 + bound.offset_micros as f64;
                        #[expect(clippy::cast_possible_truncation, reason = "Spark truncates to a long")]
                        let millis = (micros / 1000.0) as i64;
                        millis - i64::from(bound.inclusive)
                    })
                    .min()
                    .map(|millis| Timestamp::from_micros(millis.saturating_mul(1000)))
            }
        }
    }
}

/// A row one side of a [`StreamJoin`] buffers: the generated row types of `stream!` implement it.
pub trait JoinRow: StateValue {
    /// Heap bytes the row holds (its strings), for the state's memory metric.
    fn heap_bytes(&self) -> usize;
}

/// A row in a side's state: the row, the event time that evicts it, and whether it has
/// matched a row of the other side.
#[derive(Debug, Clone)]
struct Buffered<V> {
    row: V,
    time: Option<Timestamp>,
    matched: bool,
}

impl<V: StateValue> StateValue for Buffered<V> {
    fn state_type() -> StateType {
        StateType::Struct(vec![
            ("row".to_owned(), V::state_type()),
            ("time".to_owned(), Option::<Timestamp>::state_type()),
            ("matched".to_owned(), bool::state_type()),
        ])
    }

    fn encode(&self, out: &mut Vec<u8>) {
        self.row.encode(out);
        self.time.encode(out);
        self.matched.encode(out);
    }

    fn decode(input: &mut &[u8]) -> Option<Self> {
        Some(Self {
            row: V::decode(input)?,
            time: Option::decode(input)?,
            matched: bool::decode(input)?,
        })
    }
}

/// One side's state: its rows by join key.
#[derive(Debug)]
struct Side<K, V> {
    eviction: Eviction,
    by_key: GroupTable<K, Vec<Buffered<V>>>,
    rows: u64,
    /// Heap bytes of the buffered rows.
    heap_bytes: usize,
    /// Whether some key has no rows left (its entry goes at the next eviction).
    emptied: bool,
    /// Rows at or before this time leave state (this batch's).
    threshold: Option<Timestamp>,
}

impl<K: OwnedKey, V: JoinRow> Side<K, V> {
    fn new(eviction: Eviction) -> Self {
        Self {
            eviction,
            by_key: GroupTable::new(),
            rows: 0,
            heap_bytes: 0,
            emptied: false,
            threshold: None,
        }
    }

    fn expired(&self, time: Option<Timestamp>) -> bool {
        matches!((time, self.threshold), (Some(time), Some(threshold)) if super::is_expired(time, threshold))
    }

    /// Buffers `row` (until the end of the batch at least).
    fn buffer<P: KeyProbe<Owned = K>>(&mut self, key: P, row: V, time: Option<Timestamp>, matched: bool) {
        self.heap_bytes += row.heap_bytes();
        self.by_key.upsert(key).push(Buffered { row, time, matched });
        self.rows += 1;
    }

    /// Removes the rows past the state watermark, handing each to `removed`; returns how many.
    fn remove_expired(&mut self, mut removed: impl FnMut(Buffered<V>)) -> u64 {
        let Some(threshold) = self.threshold else {
            return 0;
        };
        let expired = |row: &Buffered<V>| row.time.is_some_and(|time| super::is_expired(time, threshold));
        let (mut count, mut heap) = (0, 0);
        let mut emptied = self.emptied;
        self.by_key.update_each(|_, rows| {
            if !rows.iter().any(expired) {
                return false;
            }
            for row in std::mem::take(rows) {
                if expired(&row) {
                    count += 1;
                    heap += row.row.heap_bytes();
                    removed(row);
                } else {
                    rows.push(row);
                }
            }
            emptied |= rows.is_empty();
            true
        });
        // Rebuilding the table costs a pass over every key: only when one has gone.
        if emptied {
            self.by_key.evict(|_, rows| rows.is_empty());
            self.emptied = false;
        }
        self.rows -= count;
        self.heap_bytes = self.heap_bytes.saturating_sub(heap);
        count
    }

    fn restore(&mut self, rows: &[(&[u8], &[u8])]) -> Result<(), String>
    where
        K: StateValue,
        V: StateValue,
    {
        let by_key: GroupTable<K, Vec<Buffered<V>>> = GroupTable::restore_rows(rows.iter().copied())?;
        self.rows = by_key.iter().map(|(_, rows)| rows.len() as u64).sum();
        self.heap_bytes = by_key
            .iter()
            .flat_map(|(_, rows)| rows.iter().map(|row| row.row.heap_bytes()))
            .sum();
        self.emptied = by_key.iter().any(|(_, rows)| rows.is_empty());
        self.by_key = by_key;
        Ok(())
    }

    fn memory_bytes(&self) -> u64 {
        let rows = usize::try_from(self.rows).unwrap_or(usize::MAX);
        let rows_bytes = rows
            .saturating_mul(size_of::<Buffered<V>>())
            .saturating_add(self.heap_bytes);
        self.by_key.metrics().memory_used_bytes + rows_bytes as u64
    }
}

/// Spark's stream–stream join of left rows `L` and right rows `R` on keys `K`.
///
/// The generated code calls, per micro-batch: [`begin_batch`](Self::begin_batch); then, side by
/// side in [`input_order`](Self::input_order), for each row that is not [late](Self::is_late),
/// [`join_left`](Self::join_left) or [`join_right`](Self::join_right); then
/// [`end_batch`](Self::end_batch). Joined rows go to the
/// `emit` closure as `(Some(left), Some(right))`, an outer row as `(Some(left), None)` or
/// `(None, Some(right))`, and a left semi join's row as `(Some(left), None)`.
///
/// ```
/// use stream_core::operator::{Eviction, JoinRow, StatefulOperator, StreamJoin, StreamJoinType, TimeBound};
/// use stream_core::plan::BatchContext;
/// use stream_core::state::snapshot::{StateType, StateValue};
/// use stream_core::state::{InlineKey, KeyStr};
/// use stream_core::Timestamp;
///
/// /// A view or a click: its number and event time.
/// #[derive(Clone, Debug)]
/// struct Seen(u32, Timestamp);
/// impl StateValue for Seen {
///     fn state_type() -> StateType {
///         <(u32, Timestamp)>::state_type()
///     }
///     fn encode(&self, out: &mut Vec<u8>) {
///         (self.0, self.1).encode(out);
///     }
///     fn decode(input: &mut &[u8]) -> Option<Self> {
///         let (id, at) = StateValue::decode(input)?;
///         Some(Seen(id, at))
///     }
/// }
/// impl JoinRow for Seen {
///     fn heap_bytes(&self) -> usize {
///         0
///     }
/// }
///
/// let minute = |m: i64| Timestamp::from_micros(m * 60_000_000);
/// // views.join(clicks, v_ad == c_ad && click_time >= view_time
/// //     && click_time <= view_time + interval("15 minutes"), "left_outer")
/// static VIEW_BOUND: [TimeBound; 1] = [TimeBound { offset_micros: -900_000_000, inclusive: true }];
/// static CLICK_BOUND: [TimeBound; 1] = [TimeBound { offset_micros: 0, inclusive: true }];
/// let mut join: StreamJoin<(KeyStr,), Seen, Seen> = StreamJoin::new(
///     StreamJoinType::LeftOuter, Eviction::Bounded(&VIEW_BOUND), Eviction::Bounded(&CLICK_BOUND));
/// let in_range = |view: &Seen, click: &Seen| {
///     click.1 >= view.1 && click.1 <= Timestamp::from_micros(view.1.micros() + 900_000_000)
/// };
/// let mut out = Vec::new();
/// let mut emit = |l: Option<&Seen>, r: Option<&Seen>| out.push((l.map(|l| l.0), r.map(|r| r.0)));
///
/// let mut context = BatchContext::new(minute(0), minute(0));
/// join.begin_batch(&context);
/// join.join_left((InlineKey("ad1"),), Seen(1, minute(600)), Some(minute(600)), in_range, &mut emit);
/// join.join_left((InlineKey("ad2"),), Seen(2, minute(600)), Some(minute(600)), in_range, &mut emit);
/// join.join_right((InlineKey("ad1"),), Seen(10, minute(605)), Some(minute(605)), in_range, &mut emit);
/// join.end_batch(&mut context, &mut emit);
/// assert_eq!(join.metrics().num_rows_total, 3);
///
/// // The watermark passes 10:15: no click can match view 2 any more.
/// let mut context = BatchContext::new(minute(616), minute(0));
/// join.begin_batch(&context);
/// join.end_batch(&mut context, &mut emit);
/// assert_eq!(out, [(Some(1), Some(10)), (Some(2), None)]);
/// assert_eq!(join.name(), "symmetricHashJoin");
/// ```
#[derive(Debug)]
pub struct StreamJoin<K, L, R> {
    join_type: StreamJoinType,
    left: Side<K, L>,
    right: Side<K, R>,
    late_event_watermark: Timestamp,
    dropped_late: u64,
    updated: u64,
    removed: u64,
}

impl<K: OwnedKey, L: JoinRow, R: JoinRow> StreamJoin<K, L, R> {
    /// An empty join of `join_type`, each side's rows leaving state as its [`Eviction`] says.
    #[must_use]
    pub fn new(join_type: StreamJoinType, left: Eviction, right: Eviction) -> Self {
        Self {
            join_type,
            left: Side::new(left),
            right: Side::new(right),
            late_event_watermark: Timestamp::default(),
            dropped_late: 0,
            updated: 0,
            removed: 0,
        }
    }

    /// The order in which a batch's inputs go through the join: the left side's rows first, as
    /// Spark's symmetric hash join runs them, except in a left semi join, where Spark's
    /// results are those of the right side's rows first (each left row then matches this
    /// batch's right rows on arrival, and is emitted at once).
    #[must_use]
    pub fn input_order(&self) -> [JoinInput; 2] {
        if self.join_type == StreamJoinType::LeftSemi {
            [JoinInput::Right, JoinInput::Left]
        } else {
            [JoinInput::Left, JoinInput::Right]
        }
    }

    /// Starts a micro-batch with `context`'s watermarks.
    pub fn begin_batch(&mut self, context: &BatchContext) {
        self.late_event_watermark = context.late_event_watermark;
        self.left.threshold = self.left.eviction.threshold(context.watermark);
        self.right.threshold = self.right.eviction.threshold(context.watermark);
        self.dropped_late = 0;
        self.updated = 0;
        self.removed = 0;
    }

    /// Whether a row of a side with a watermark is late — its event time at or before the
    /// previous batch's watermark — and so dropped before the join, and counted.
    #[inline]
    pub fn is_late(&mut self, event_time: Timestamp) -> bool {
        let late = super::is_late(event_time, self.late_event_watermark);
        self.dropped_late += u64::from(late);
        late
    }

    /// Joins a left row with the right side's state, then buffers it. Null key columns match
    /// null ones, as in Spark (whose optimizer drops rows with a null key before a join that
    /// does not keep them: the generated code does that). `time` is the event time that evicts
    /// the row (see [`Eviction`]); `condition` is the rest of the join condition.
    pub fn join_left<P: KeyProbe<Owned = K>>(
        &mut self,
        key: P,
        row: L,
        time: Option<Timestamp>,
        mut condition: impl FnMut(&L, &R) -> bool,
        mut emit: impl FnMut(Option<&L>, Option<&R>),
    ) {
        let semi = self.join_type == StreamJoinType::LeftSemi;
        let mut matched = false;
        if let Some(candidates) = self.right.by_key.get_mut(key) {
            for candidate in candidates.iter_mut() {
                if condition(&row, &candidate.row) {
                    candidate.matched = true;
                    matched = true;
                    if semi {
                        // Spark's semi join stops at the first match.
                        break;
                    }
                    emit(Some(&row), Some(&candidate.row));
                }
            }
        }
        if semi && matched {
            // Emitted once, now; it need not wait for another match.
            emit(Some(&row), None);
            return;
        }
        // Buffered even when the watermark expires it in this batch: this batch's right rows
        // have yet to meet it (then it leaves, emitted with nulls if the join keeps it).
        self.left.buffer(key, row, time, matched);
        self.updated += 1;
    }

    /// Joins a right row with the left side's state (this batch's left rows included), then
    /// buffers it; see [`join_left`](Self::join_left).
    pub fn join_right<P: KeyProbe<Owned = K>>(
        &mut self,
        key: P,
        row: R,
        time: Option<Timestamp>,
        mut condition: impl FnMut(&L, &R) -> bool,
        mut emit: impl FnMut(Option<&L>, Option<&R>),
    ) {
        let semi = self.join_type == StreamJoinType::LeftSemi;
        let mut matched = false;
        if let Some(candidates) = self.left.by_key.get_mut(key) {
            if semi {
                // A semi join emits a buffered left row at its first match, and forgets it.
                let before = candidates.len();
                let mut freed = 0;
                candidates.retain(|candidate| {
                    let hit = condition(&candidate.row, &row);
                    if hit {
                        emit(Some(&candidate.row), None);
                        freed += candidate.row.heap_bytes();
                    }
                    !hit
                });
                let gone = (before - candidates.len()) as u64;
                matched = gone > 0;
                self.left.emptied |= candidates.is_empty();
                self.left.rows -= gone;
                self.left.heap_bytes = self.left.heap_bytes.saturating_sub(freed);
                self.removed += gone;
            } else {
                for candidate in candidates.iter_mut() {
                    if condition(&candidate.row, &row) {
                        candidate.matched = true;
                        matched = true;
                        emit(Some(&candidate.row), Some(&row));
                    }
                }
            }
        }
        // It has met every left row that can match it; one the watermark expires in this batch
        // is buffered only to leave at its end, emitted with nulls, when unmatched and kept.
        if !self.right.expired(time) || (self.join_type.keeps_right() && !matched) {
            self.right.buffer(key, row, time, matched);
            self.updated += 1;
        }
    }

    /// Ends the batch: removes the rows the watermark expired from both sides, emitting an
    /// outer join's unmatched ones with nulls, and reports the late rows into `context`.
    pub fn end_batch(&mut self, context: &mut BatchContext, mut emit: impl FnMut(Option<&L>, Option<&R>)) {
        let (keeps_left, keeps_right) = (self.join_type.keeps_left(), self.join_type.keeps_right());
        self.removed += self.left.remove_expired(|row| {
            if keeps_left && !row.matched {
                emit(Some(&row.row), None);
            }
        });
        self.removed += self.right.remove_expired(|row| {
            if keeps_right && !row.matched {
                emit(None, Some(&row.row));
            }
        });
        context.dropped_by_watermark += self.dropped_late;
    }
}

impl<K: OwnedKey + StateValue, L: JoinRow, R: JoinRow> StatefulOperator for StreamJoin<K, L, R> {
    fn name(&self) -> &'static str {
        "symmetricHashJoin"
    }

    fn metrics(&self) -> StateMetrics {
        StateMetrics {
            num_rows_total: self.left.rows + self.right.rows,
            num_rows_updated: self.updated,
            num_rows_removed: self.removed,
            memory_used_bytes: self.left.memory_bytes() + self.right.memory_bytes(),
        }
    }

    fn dropped_by_watermark(&self) -> u64 {
        self.dropped_late
    }

    /// The smaller of the sides' state watermarks (Spark's `produceOutputWatermark` of a
    /// join): no row it emits later is older. The input watermark when neither side evicts.
    fn output_watermark(&self, input: Timestamp) -> Timestamp {
        [self.left.eviction, self.right.eviction]
            .into_iter()
            .filter_map(|eviction| eviction.threshold(input))
            .min()
            .unwrap_or(input)
    }

    fn store_names(&self) -> &'static [&'static str] {
        &["left", "right"]
    }

    fn state_schema(&self) -> OperatorSchema {
        OperatorSchema {
            operator: self.name().to_owned(),
            stores: vec![
                StoreSchema::of::<K, Vec<Buffered<L>>>("left"),
                StoreSchema::of::<K, Vec<Buffered<R>>>("right"),
            ],
        }
    }

    fn track_changes(&mut self) {
        self.left.by_key.track_changes();
        self.right.by_key.track_changes();
    }

    fn write_changes(&mut self, store: usize, out: &mut StoreWriter) {
        match store {
            0 => self.left.by_key.write_changes(out),
            _ => self.right.by_key.write_changes(out),
        }
    }

    fn write_all(&self, store: usize, out: &mut StoreWriter) {
        match store {
            0 => self.left.by_key.write_all(out),
            _ => self.right.by_key.write_all(out),
        }
    }

    fn restore(&mut self, store: usize, rows: &[(&[u8], &[u8])]) -> Result<(), String> {
        let restored = if store == 0 {
            self.left.restore(rows)
        } else {
            self.right.restore(rows)
        };
        restored.map_err(|message| format!("the {} side: {message}", self.store_names()[store.min(1)]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{InlineKey, KeyStr};
    use proptest::prelude::*;

    fn minutes(m: i64) -> Timestamp {
        Timestamp::from_micros(m * 60_000_000)
    }

    #[test]
    fn state_value_watermark_is_sparks() {
        static BOUND: [TimeBound; 2] = [
            TimeBound {
                offset_micros: -900_000_000,
                inclusive: true,
            },
            TimeBound {
                offset_micros: -600_000_000,
                inclusive: false,
            },
        ];
        // The minimum of (W − 15 min − 1 ms) and (W − 10 min).
        assert_eq!(
            Eviction::Bounded(&BOUND).threshold(minutes(60)),
            Some(Timestamp::from_micros(minutes(45).micros() - 1000))
        );
        // Sub-millisecond offsets truncate toward zero, as Spark's `toLong`.
        static FINE: [TimeBound; 1] = [TimeBound {
            offset_micros: -1500,
            inclusive: false,
        }];
        assert_eq!(
            Eviction::Bounded(&FINE).threshold(Timestamp::from_micros(0)),
            Some(Timestamp::from_micros(-1000))
        );
        assert_eq!(Eviction::Never.threshold(minutes(60)), None);
        assert_eq!(Eviction::AtWatermark.threshold(minutes(60)), Some(minutes(60)));
    }

    impl JoinRow for (u32, Timestamp) {
        fn heap_bytes(&self) -> usize {
            0
        }
    }

    type Join = StreamJoin<(Option<KeyStr>,), (u32, Timestamp), (u32, Timestamp)>;

    #[test]
    fn the_output_watermark_is_the_smaller_state_watermark() {
        static FIVE_MINUTES_BACK: [TimeBound; 1] = [TimeBound {
            offset_micros: -300_000_000,
            inclusive: true,
        }];
        let join = Join::new(
            StreamJoinType::Inner,
            Eviction::Bounded(&FIVE_MINUTES_BACK),
            Eviction::AtWatermark,
        );
        // Spark's `produceOutputWatermark`: W − 5 min − 1 ms, the left side's.
        assert_eq!(
            join.output_watermark(minutes(60)),
            Timestamp::from_micros(minutes(55).micros() - 1000)
        );
        // A join whose state is never evicted passes its input watermark on.
        let unbounded = Join::new(StreamJoinType::Inner, Eviction::Never, Eviction::Never);
        assert_eq!(unbounded.output_watermark(minutes(60)), minutes(60));
    }

    /// One batch: the watermarks, then left rows and right rows as (key, id, minute).
    #[derive(Debug, Clone)]
    struct Batch {
        watermark: i64,
        left: Vec<(Option<&'static str>, u32, i64)>,
        right: Vec<(Option<&'static str>, u32, i64)>,
    }

    /// Runs `batches` through a join with a ±`range` minute condition on event times and
    /// key-based eviction, snapshotting and restoring between batches when `restart`; returns
    /// every emitted pair.
    fn run(join_type: StreamJoinType, range: i64, batches: &[Batch], restart: bool) -> Vec<(Option<u32>, Option<u32>)> {
        static LEFT: [TimeBound; 1] = [TimeBound {
            offset_micros: -600_000_000,
            inclusive: true,
        }];
        static RIGHT: [TimeBound; 1] = [TimeBound {
            offset_micros: -600_000_000,
            inclusive: true,
        }];
        let new = || Join::new(join_type, Eviction::Bounded(&LEFT), Eviction::Bounded(&RIGHT));
        let mut join = new();
        join.track_changes();
        let mut checkpoint = crate::operator::ReplayedState::default();
        let mut out = Vec::new();
        let mut late_watermark = minutes(0);
        let within =
            |l: &(u32, Timestamp), r: &(u32, Timestamp)| (l.1.micros() - r.1.micros()).abs() <= range * 60_000_000;
        for batch in batches {
            if restart {
                join = new();
                checkpoint.restore_into(&mut join);
            }
            let mut context = BatchContext::new(minutes(batch.watermark), late_watermark);
            join.begin_batch(&context);
            let mut emit =
                |l: Option<&(u32, Timestamp)>, r: Option<&(u32, Timestamp)>| out.push((l.map(|l| l.0), r.map(|r| r.0)));
            for side in join.input_order() {
                let rows = if side == JoinInput::Left {
                    &batch.left
                } else {
                    &batch.right
                };
                for &(key, id, minute) in rows {
                    if join.is_late(minutes(minute)) {
                        continue;
                    }
                    let (key, row, time) = ((key.map(InlineKey),), (id, minutes(minute)), Some(minutes(minute)));
                    if side == JoinInput::Left {
                        join.join_left(key, row, time, within, &mut emit);
                    } else {
                        join.join_right(key, row, time, within, &mut emit);
                    }
                }
            }
            join.end_batch(&mut context, &mut emit);
            checkpoint.commit(&mut join);
            late_watermark = minutes(batch.watermark);
        }
        out.sort_unstable();
        out
    }

    #[test]
    fn outer_rows_are_emitted_once_when_no_match_can_come() {
        let batches = [
            Batch {
                watermark: 0,
                left: vec![(Some("a"), 1, 100), (Some("b"), 2, 100), (None, 3, 100)],
                right: vec![(Some("a"), 10, 105)],
            },
            Batch {
                watermark: 100,
                left: vec![],
                right: vec![(Some("b"), 11, 108)],
            },
            Batch {
                watermark: 200,
                left: vec![],
                right: vec![],
            },
        ];
        let full = run(StreamJoinType::FullOuter, 10, &batches, false);
        assert_eq!(full, [(Some(1), Some(10)), (Some(2), Some(11)), (Some(3), None)]);
        let left_semi = run(StreamJoinType::LeftSemi, 10, &batches, false);
        assert_eq!(left_semi, [(Some(1), None), (Some(2), None)]);
        let inner = run(StreamJoinType::Inner, 10, &batches, false);
        assert_eq!(inner, [(Some(1), Some(10)), (Some(2), Some(11))]);
    }

    fn batches() -> impl Strategy<Value = Vec<Batch>> {
        let rows = || {
            prop::collection::vec(
                (
                    prop::option::weighted(0.9, prop::sample::select(vec!["a", "b", "c"])),
                    0u32..1000,
                    0i64..120,
                ),
                0..6,
            )
        };
        prop::collection::vec((rows(), rows(), 0i64..30), 1..8).prop_map(|raw| {
            let mut watermark = 0;
            raw.into_iter()
                .map(|(left, right, step)| {
                    let batch = Batch { watermark, left, right };
                    watermark += step;
                    batch
                })
                .collect()
        })
    }

    proptest! {
        /// A restart between every batch (snapshot, restore) changes nothing.
        #[test]
        fn restoring_state_changes_nothing(batches in batches(), kind in 0usize..5) {
            let join_type = [StreamJoinType::Inner, StreamJoinType::LeftOuter, StreamJoinType::RightOuter, StreamJoinType::FullOuter, StreamJoinType::LeftSemi][kind];
            prop_assert_eq!(run(join_type, 10, &batches, false), run(join_type, 10, &batches, true));
        }

        /// An outer join gives the inner join's pairs, and a left semi join only matched left rows.
        #[test]
        fn outer_and_semi_joins_agree_with_the_inner_join(batches in batches()) {
            let inner = run(StreamJoinType::Inner, 10, &batches, false);
            let full = run(StreamJoinType::FullOuter, 10, &batches, false);
            let pairs: Vec<_> = full.iter().copied().filter(|(l, r)| l.is_some() && r.is_some()).collect();
            prop_assert_eq!(&pairs, &inner);
            let left = run(StreamJoinType::LeftOuter, 10, &batches, false);
            let left_pairs: Vec<_> = left.iter().copied().filter(|(_, r)| r.is_some()).collect();
            prop_assert_eq!(&left_pairs, &inner);
            // A semi join emits only left rows the inner join matched (not every one: as
            // Spark's, it runs a batch's right rows first, so a left and a right row of one batch
            // that are both past the state watermark never meet).
            let semi = run(StreamJoinType::LeftSemi, 10, &batches, false);
            for (left, _) in &semi {
                prop_assert!(inner.iter().any(|(l, _)| l == left));
            }
        }
    }
}
