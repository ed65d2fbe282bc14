//! Keyed state for streaming aggregations.
//!
//! [`GroupTable`] maps each group key to a dense index: keys live once in an arena (`Vec<K>`),
//! accumulators in a parallel `Vec<A>`, and the hash table holds only `u32` indices, so a key
//! costs its own bytes plus a few more (a `HashMap<String, (i64, f64)>` costs about twice that).
//! The key and accumulator types are the query's real Rust types, chosen by the macro.
//!
//! Probing uses a borrowed form of the key ([`KeyProbe`]): a row's `&str` finds a stored
//! `String` without allocating, and only a new group copies its key.
//!
//! ```
//! use stream_core::state::GroupTable;
//! let mut table: GroupTable<(String,), i64> = GroupTable::new();
//! table.begin_batch();
//! for user in ["u01", "u02", "u01"] {
//!     *table.upsert((user,)) += 1;
//! }
//! let counts: Vec<_> = table.iter().map(|(key, count)| (key.0.as_str(), *count)).collect();
//! assert_eq!(counts, [("u01", 2), ("u02", 1)]);
//! ```

mod key_str;
pub mod snapshot;

pub use key_str::{InlineKey, KeyStr};

use std::hash::{BuildHasher, Hasher};

use hashbrown::HashTable;

use crate::plan::StateMetrics;
use crate::types::{Date, Timestamp};
use crate::window::Window;

/// One component of a probe key, borrowed from the current row.
pub trait KeyPart: Copy {
    /// The component as stored in state.
    type Owned: OwnedKeyPart;
    /// Feeds the component to `hasher` exactly as [`OwnedKeyPart::hash_into`] does for its owned form.
    fn hash_into<H: Hasher>(self, hasher: &mut H);
    /// Whether the component equals a stored one (with SQL grouping equality: NaN equals NaN, -0.0 equals 0.0).
    fn matches(self, owned: &Self::Owned) -> bool;
    /// Copies the component into state.
    fn to_owned_part(self) -> Self::Owned;
    /// Heap bytes the owned form holds.
    fn heap_bytes(self) -> usize {
        0
    }
}

/// One component of a key stored in state.
pub trait OwnedKeyPart {
    /// Feeds the component to `hasher`.
    fn hash_into<H: Hasher>(&self, hasher: &mut H);
    /// Heap bytes the component holds.
    fn heap_bytes(&self) -> usize {
        0
    }
}

impl KeyPart for &str {
    type Owned = String;
    #[inline]
    fn hash_into<H: Hasher>(self, hasher: &mut H) {
        hasher.write(self.as_bytes());
        hasher.write_u8(0xff);
    }
    #[inline]
    fn matches(self, owned: &String) -> bool {
        self == owned
    }
    #[inline]
    fn to_owned_part(self) -> String {
        self.to_owned()
    }
    fn heap_bytes(self) -> usize {
        self.len()
    }
}

impl OwnedKeyPart for String {
    #[inline]
    fn hash_into<H: Hasher>(&self, hasher: &mut H) {
        self.as_str().hash_into(hasher);
    }
    fn heap_bytes(&self) -> usize {
        self.len()
    }
}

macro_rules! copy_key_part {
    ($($ty:ty => |$value:ident| $bits:expr),* $(,)?) => {$(
        impl KeyPart for $ty {
            type Owned = $ty;
            #[inline]
            fn hash_into<H: Hasher>(self, hasher: &mut H) {
                let $value = self;
                hasher.write_u64($bits);
            }
            #[inline]
            fn matches(self, owned: &$ty) -> bool {
                let $value = self;
                let left = $bits;
                let $value = *owned;
                left == $bits
            }
            #[inline]
            fn to_owned_part(self) -> $ty {
                self
            }
        }
        impl OwnedKeyPart for $ty {
            #[inline]
            fn hash_into<H: Hasher>(&self, hasher: &mut H) {
                KeyPart::hash_into(*self, hasher);
            }
        }
    )*};
}

copy_key_part! {
    i32 => |v| u64::from(v.cast_unsigned()),
    i64 => |v| v.cast_unsigned(),
    bool => |v| u64::from(v),
    f64 => |v| normalized_bits(v),
    Timestamp => |v| v.micros().cast_unsigned(),
    Date => |v| u64::from(v.days().cast_unsigned()),
    // A window's start and size pin it down; mixing them keeps the key to one word.
    Window => |v| v.start.micros().cast_unsigned().rotate_left(17) ^ v.end.micros().cast_unsigned(),
}

/// Grouping treats all NaNs as one value and -0.0 as 0.0, as Spark does.
#[inline]
fn normalized_bits(value: f64) -> u64 {
    if value.is_nan() {
        f64::NAN.to_bits()
    } else if value == 0.0 {
        0
    } else {
        value.to_bits()
    }
}

impl<P: KeyPart> KeyPart for Option<P> {
    type Owned = Option<P::Owned>;
    #[inline]
    fn hash_into<H: Hasher>(self, hasher: &mut H) {
        match self {
            None => hasher.write_u8(0),
            Some(part) => {
                hasher.write_u8(1);
                part.hash_into(hasher);
            }
        }
    }
    #[inline]
    fn matches(self, owned: &Self::Owned) -> bool {
        match (self, owned) {
            (None, None) => true,
            (Some(part), Some(owned)) => part.matches(owned),
            _ => false,
        }
    }
    #[inline]
    fn to_owned_part(self) -> Self::Owned {
        self.map(KeyPart::to_owned_part)
    }
    fn heap_bytes(self) -> usize {
        self.map_or(0, KeyPart::heap_bytes)
    }
}

impl<T: OwnedKeyPart> OwnedKeyPart for Option<T> {
    #[inline]
    fn hash_into<H: Hasher>(&self, hasher: &mut H) {
        match self {
            None => hasher.write_u8(0),
            Some(part) => {
                hasher.write_u8(1);
                part.hash_into(hasher);
            }
        }
    }
    fn heap_bytes(&self) -> usize {
        self.as_ref().map_or(0, OwnedKeyPart::heap_bytes)
    }
}

/// A whole key borrowed from a row: a tuple of [`KeyPart`]s.
pub trait KeyProbe: Copy {
    /// The key as stored.
    type Owned: OwnedKey;
    /// Feeds every component to `hasher`.
    fn hash_into<H: Hasher>(self, hasher: &mut H);
    /// Whether this is the stored key `owned`.
    fn matches(self, owned: &Self::Owned) -> bool;
    /// Copies the key into state.
    fn to_owned_key(self) -> Self::Owned;
    /// Heap bytes the owned key holds.
    fn heap_bytes(self) -> usize;
}

/// A whole key as stored in state.
pub trait OwnedKey {
    /// Feeds every component to `hasher`, as the matching [`KeyProbe`] does.
    fn hash_into<H: Hasher>(&self, hasher: &mut H);
    /// Heap bytes the key holds.
    fn heap_bytes(&self) -> usize;
}

macro_rules! tuple_keys {
    ($(($($part:ident . $index:tt),+)),* $(,)?) => {$(
        impl<$($part: KeyPart),+> KeyProbe for ($($part,)+) {
            type Owned = ($($part::Owned,)+);
            #[inline]
            fn hash_into<H: Hasher>(self, hasher: &mut H) {
                $(self.$index.hash_into(hasher);)+
            }
            #[inline]
            fn matches(self, owned: &Self::Owned) -> bool {
                $(self.$index.matches(&owned.$index))&&+
            }
            #[inline]
            fn to_owned_key(self) -> Self::Owned {
                ($(self.$index.to_owned_part(),)+)
            }
            fn heap_bytes(self) -> usize {
                0 $(+ self.$index.heap_bytes())+
            }
        }
        impl<$($part: OwnedKeyPart),+> OwnedKey for ($($part,)+) {
            #[inline]
            fn hash_into<H: Hasher>(&self, hasher: &mut H) {
                $(self.$index.hash_into(hasher);)+
            }
            fn heap_bytes(&self) -> usize {
                0 $(+ self.$index.heap_bytes())+
            }
        }
    )*};
}

/// The key of a global aggregation (`agg(..)` without `group_by`): one group.
impl KeyProbe for () {
    type Owned = ();
    #[inline]
    fn hash_into<H: Hasher>(self, _hasher: &mut H) {}
    #[inline]
    fn matches(self, _owned: &()) -> bool {
        true
    }
    #[inline]
    fn to_owned_key(self) {}
    fn heap_bytes(self) -> usize {
        0
    }
}

impl OwnedKey for () {
    #[inline]
    fn hash_into<H: Hasher>(&self, _hasher: &mut H) {}
    fn heap_bytes(&self) -> usize {
        0
    }
}

tuple_keys! {
    (A.0),
    (A.0, B.1),
    (A.0, B.1, C.2),
    (A.0, B.1, C.2, D.3),
    (A.0, B.1, C.2, D.3, E.4),
    (A.0, B.1, C.2, D.3, E.4, F.5),
    (A.0, B.1, C.2, D.3, E.4, F.5, G.6),
    (A.0, B.1, C.2, D.3, E.4, F.5, G.6, I.7),
}

/// Keyed aggregation state: one accumulator `A` per distinct key `K`, in insertion order.
#[derive(Debug)]
pub struct GroupTable<K, A> {
    index: HashTable<u32>,
    keys: Vec<K>,
    accumulators: Vec<A>,
    /// The batch epoch in which each group was last updated.
    updated_in: Vec<u32>,
    /// Groups updated in the current batch, in first-update order.
    updated: Vec<u32>,
    epoch: u32,
    /// Groups removed by the last [`evict`](Self::evict).
    removed: usize,
    /// Groups inserted or updated in the current batch, evicted ones included.
    touched: usize,
    key_heap_bytes: usize,
    hasher: foldhash::fast::FixedState,
}

impl<K: OwnedKey, A: Default> Default for GroupTable<K, A> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: OwnedKey, A: Default> GroupTable<K, A> {
    /// An empty table.
    #[must_use]
    pub fn new() -> Self {
        Self {
            index: HashTable::new(),
            keys: Vec::new(),
            accumulators: Vec::new(),
            updated_in: Vec::new(),
            updated: Vec::new(),
            epoch: 0,
            removed: 0,
            touched: 0,
            key_heap_bytes: 0,
            hasher: foldhash::fast::FixedState::with_seed(0x5eed_0f71_1100),
        }
    }

    /// Starts a new micro-batch: from now on [`updated`](Self::updated) lists only groups
    /// touched in this batch.
    pub fn begin_batch(&mut self) {
        self.epoch = self.epoch.wrapping_add(1);
        self.updated.clear();
        self.removed = 0;
        self.touched = 0;
    }

    /// Inserts `probe`'s key with `value` if it is new (deduplication); returns whether it was.
    /// Only a new key counts as updated.
    #[inline]
    pub fn insert_new<P: KeyProbe<Owned = K>>(&mut self, probe: P, value: A) -> bool {
        let (slot, inserted) = self.find_or_insert(probe);
        if inserted {
            self.accumulators[slot as usize] = value;
            self.mark_updated(slot);
        }
        inserted
    }

    /// The accumulator of `probe`'s group, inserting a default one for a new key.
    #[inline]
    pub fn upsert<P: KeyProbe<Owned = K>>(&mut self, probe: P) -> &mut A {
        let (slot, _) = self.find_or_insert(probe);
        self.mark_updated(slot);
        &mut self.accumulators[slot as usize]
    }

    /// The slot of `probe`'s key, and whether it was just inserted.
    #[inline]
    fn find_or_insert<P: KeyProbe<Owned = K>>(&mut self, probe: P) -> (u32, bool) {
        let mut state = self.hasher.build_hasher();
        probe.hash_into(&mut state);
        let hash = state.finish();
        let keys = &self.keys;
        let hasher = &self.hasher;
        let entry = self.index.entry(
            hash,
            |&slot| probe.matches(&keys[slot as usize]),
            |&slot| {
                let mut state = hasher.build_hasher();
                keys[slot as usize].hash_into(&mut state);
                state.finish()
            },
        );
        match entry {
            hashbrown::hash_table::Entry::Occupied(occupied) => (*occupied.get(), false),
            hashbrown::hash_table::Entry::Vacant(vacant) => {
                let slot = u32::try_from(self.keys.len()).expect("more than 4 billion groups in one state store");
                vacant.insert(slot);
                self.key_heap_bytes += probe.heap_bytes();
                self.keys.push(probe.to_owned_key());
                self.accumulators.push(A::default());
                self.updated_in.push(self.epoch.wrapping_sub(1));
                (slot, true)
            }
        }
    }

    /// Records that `slot` changed in the current batch.
    #[inline]
    fn mark_updated(&mut self, slot: u32) {
        let index = slot as usize;
        if self.updated_in[index] != self.epoch {
            self.updated_in[index] = self.epoch;
            self.updated.push(slot);
            self.touched += 1;
        }
    }

    /// Adds a group restored from a snapshot (its key must not be present yet).
    pub fn insert_restored(&mut self, key: K, value: A) {
        let slot = u32::try_from(self.keys.len()).expect("more than 4 billion groups in one state store");
        let hash = self.hash_owned(&key);
        let keys = &self.keys;
        let hasher = &self.hasher;
        self.index.insert_unique(hash, slot, |&s| {
            let mut state = hasher.build_hasher();
            keys[s as usize].hash_into(&mut state);
            state.finish()
        });
        self.key_heap_bytes += key.heap_bytes();
        self.keys.push(key);
        self.accumulators.push(value);
        self.updated_in.push(self.epoch.wrapping_sub(1));
    }

    /// Removes every group.
    pub fn clear(&mut self) {
        self.index.clear();
        self.keys.clear();
        self.accumulators.clear();
        self.updated_in.clear();
        self.updated.clear();
        self.key_heap_bytes = 0;
    }

    /// Number of groups.
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there are no groups.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Every group, in insertion order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&K, &A)> {
        self.keys.iter().zip(&self.accumulators)
    }

    /// Every group, with its accumulator writable, in insertion order.
    pub fn iter_mut(&mut self) -> impl ExactSizeIterator<Item = (&K, &mut A)> {
        self.keys.iter().zip(&mut self.accumulators)
    }

    /// Groups updated in the current batch, in the order they were first touched.
    pub fn updated(&self) -> impl ExactSizeIterator<Item = (&K, &A)> {
        self.updated
            .iter()
            .map(|&slot| (&self.keys[slot as usize], &self.accumulators[slot as usize]))
    }

    /// Removes every group for which `expired` holds and returns them, in insertion order.
    /// Used to drop state the watermark has passed (and, in append mode, to emit it).
    pub fn evict(&mut self, mut expired: impl FnMut(&K, &A) -> bool) -> Vec<(K, A)> {
        if !self
            .keys
            .iter()
            .zip(&self.accumulators)
            .any(|(key, value)| expired(key, value))
        {
            self.removed = 0;
            return Vec::new();
        }
        let keys = std::mem::take(&mut self.keys);
        let accumulators = std::mem::take(&mut self.accumulators);
        let updated_in = std::mem::take(&mut self.updated_in);
        self.index.clear();
        self.updated.clear();
        let mut evicted = Vec::new();
        for ((key, accumulator), epoch) in keys.into_iter().zip(accumulators).zip(updated_in) {
            if expired(&key, &accumulator) {
                self.key_heap_bytes = self.key_heap_bytes.saturating_sub(key.heap_bytes());
                evicted.push((key, accumulator));
                continue;
            }
            let slot = u32::try_from(self.keys.len()).unwrap_or(u32::MAX);
            let hash = self.hash_owned(&key);
            let keys = &self.keys;
            let hasher = &self.hasher;
            self.index.insert_unique(hash, slot, |&s| {
                let mut state = hasher.build_hasher();
                keys[s as usize].hash_into(&mut state);
                state.finish()
            });
            if epoch == self.epoch {
                self.updated.push(slot);
            }
            self.keys.push(key);
            self.accumulators.push(accumulator);
            self.updated_in.push(epoch);
        }
        self.removed = evicted.len();
        evicted
    }

    fn hash_owned(&self, key: &K) -> u64 {
        let mut state = self.hasher.build_hasher();
        key.hash_into(&mut state);
        state.finish()
    }

    /// Metrics for progress reports.
    #[must_use]
    pub fn metrics(&self) -> StateMetrics {
        let bytes = self.keys.capacity() * size_of::<K>()
            + self.accumulators.capacity() * (size_of::<A>() + size_of::<u32>())
            + self.index.capacity() * (size_of::<u32>() + 1)
            + self.key_heap_bytes;
        StateMetrics {
            num_rows_total: self.keys.len() as u64,
            num_rows_updated: self.touched as u64,
            num_rows_removed: self.removed as u64,
            memory_used_bytes: bytes as u64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    #[test]
    fn tracks_groups_updated_per_batch() {
        let mut table: GroupTable<(String, i64), i64> = GroupTable::new();
        table.begin_batch();
        *table.upsert(("a", 1i64)) += 1;
        *table.upsert(("b", 1i64)) += 1;
        table.begin_batch();
        *table.upsert(("b", 1i64)) += 1;
        *table.upsert(("b", 1i64)) += 1;
        let updated: Vec<_> = table.updated().map(|(k, v)| (k.0.clone(), *v)).collect();
        assert_eq!(updated, [("b".to_owned(), 3)]);
        assert_eq!(table.len(), 2);
        assert_eq!(table.metrics().num_rows_updated, 1);
    }

    #[test]
    fn float_keys_group_nan_and_signed_zero() {
        let mut table: GroupTable<(f64,), u32> = GroupTable::new();
        table.begin_batch();
        for value in [0.0, -0.0, f64::NAN, -f64::NAN, 1.5] {
            *table.upsert((value,)) += 1;
        }
        let counts: Vec<u32> = table.iter().map(|(_, count)| *count).collect();
        assert_eq!(counts, [2, 2, 1]);
    }

    #[test]
    fn nullable_key_parts_keep_null_apart() {
        let mut table: GroupTable<(Option<String>,), u32> = GroupTable::new();
        table.begin_batch();
        for value in [None, Some(""), None, Some("x")] {
            *table.upsert((value,)) += 1;
        }
        assert_eq!(table.iter().map(|(_, c)| *c).collect::<Vec<_>>(), [2, 1, 1]);
    }

    #[test]
    fn insert_new_reports_first_sightings_only() {
        let mut seen: GroupTable<(String,), Timestamp> = GroupTable::new();
        seen.begin_batch();
        assert!(seen.insert_new(("e1",), Timestamp::from_micros(5)));
        assert!(!seen.insert_new(("e1",), Timestamp::from_micros(9)));
        assert!(seen.insert_new(("e2",), Timestamp::from_micros(7)));
        let stored: Vec<i64> = seen.iter().map(|(_, ts)| ts.micros()).collect();
        assert_eq!(stored, [5, 7]);
        assert_eq!(seen.metrics().num_rows_updated, 2);
    }

    #[test]
    fn eviction_keeps_order_lookups_and_memory_accounting() {
        let mut table: GroupTable<(String, i64), i64> = GroupTable::new();
        table.begin_batch();
        for (name, hour) in [("a", 9i64), ("b", 10), ("c", 9), ("d", 11)] {
            *table.upsert((name, hour)) += 1;
        }
        let before = table.metrics().memory_used_bytes;
        let evicted: Vec<String> = table
            .evict(|key, _| key.1 <= 9)
            .into_iter()
            .map(|(key, _)| key.0)
            .collect();
        assert_eq!(evicted, ["a", "c"]);
        assert_eq!(table.metrics().num_rows_removed, 2);
        assert!(table.metrics().memory_used_bytes < before);
        *table.upsert(("d", 11i64)) += 1;
        *table.upsert(("a", 9i64)) += 5;
        let rows: Vec<(String, i64)> = table.iter().map(|(key, count)| (key.0.clone(), *count)).collect();
        assert_eq!(rows, [("b".to_owned(), 1), ("d".to_owned(), 2), ("a".to_owned(), 5)]);
    }

    proptest! {
        #[test]
        fn equals_a_btreemap_model(ops in proptest::collection::vec(("[a-d]{0,3}", 0i64..4, 1i64..100), 0..300)) {
            let mut table: GroupTable<(String, i64), i64> = GroupTable::new();
            let mut model: BTreeMap<(String, i64), i64> = BTreeMap::new();
            table.begin_batch();
            for (name, number, amount) in &ops {
                *table.upsert((name.as_str(), *number)) += amount;
                *model.entry((name.clone(), *number)).or_default() += amount;
            }
            let got: BTreeMap<(String, i64), i64> = table.iter().map(|(k, v)| (k.clone(), *v)).collect();
            prop_assert_eq!(got, model);
        }
    }
}
