//! Keyed state for streaming aggregations.
//!
//! [`GroupTable`] maps each group key to a dense index: each key lives once, beside its
//! accumulator, in an array grown in chunks ([`ChunkedVec`]), and the hash table holds only
//! `u32` indices, so a group costs its key and accumulator plus about eight bytes (a
//! `HashMap<String, (i64, f64)>` costs about twice that).
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

mod chunked;
mod key_str;
mod slot_index;
pub mod snapshot;
pub mod store;

pub use chunked::ChunkedVec;
pub use key_str::{InlineKey, KeyStr};

use std::hash::{BuildHasher, Hasher};

use slot_index::SlotIndex;
use snapshot::StateValue;
use store::StoreWriter;

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
    i8 => |v| u64::from(v.cast_unsigned()),
    i16 => |v| u64::from(v.cast_unsigned()),
    f32 => |v| normalized_bits(f64::from(v)),
    i32 => |v| u64::from(v.cast_unsigned()),
    i64 => |v| v.cast_unsigned(),
    bool => |v| u64::from(v),
    f64 => |v| normalized_bits(v),
    Timestamp => |v| v.micros().cast_unsigned(),
    Date => |v| u64::from(v.days().cast_unsigned()),
    // A window's start and size pin it down; mixing them keeps the key to one word.
    Window => |v| v.start.micros().cast_unsigned().rotate_left(17) ^ v.end.micros().cast_unsigned(),
}

impl<const P: u8, const S: u8> KeyPart for crate::decimal::Decimal<P, S> {
    type Owned = Self;
    #[inline]
    fn hash_into<H: Hasher>(self, hasher: &mut H) {
        hasher.write_u128(self.unscaled().cast_unsigned());
    }
    #[inline]
    fn matches(self, owned: &Self) -> bool {
        self == *owned
    }
    #[inline]
    fn to_owned_part(self) -> Self {
        self
    }
}

impl<const P: u8, const S: u8> OwnedKeyPart for crate::decimal::Decimal<P, S> {
    #[inline]
    fn hash_into<H: Hasher>(&self, hasher: &mut H) {
        KeyPart::hash_into(*self, hasher);
    }
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

/// What changed in a [`GroupTable`] since its last checkpoint delta.
#[derive(Debug)]
struct Changes<K> {
    /// One bit per group: changed other than by an update (which `updated_bits` records).
    bits: Vec<u64>,
    /// The encoded keys of the groups removed.
    removed: Vec<Vec<u8>>,
    encode_key: fn(&K) -> Vec<u8>,
    /// Whether this batch's changes were written (so `begin_batch` need not keep its updates).
    written: bool,
}

/// Keyed aggregation state: one accumulator `A` per distinct key `K`, in insertion order.
#[derive(Debug)]
pub struct GroupTable<K, A> {
    index: SlotIndex,
    /// Each group's key beside its accumulator, so a probe that finds the key has the
    /// accumulator in the same cache line.
    groups: ChunkedVec<(K, A)>,
    /// One bit per group: whether it was updated in the current batch.
    updated_bits: Vec<u64>,
    /// Groups updated in the current batch, in first-update order.
    updated: Vec<u32>,
    /// Change tracking for checkpoint deltas, once [`track_changes`](Self::track_changes) is called.
    changes: Option<Changes<K>>,
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
            index: SlotIndex::new(),
            groups: ChunkedVec::new(),
            updated_bits: Vec::new(),
            updated: Vec::new(),
            changes: None,
            removed: 0,
            touched: 0,
            key_heap_bytes: 0,
            hasher: foldhash::fast::FixedState::with_seed(0x5eed_0f71_1100),
        }
    }

    /// Starts a new micro-batch: from now on [`updated`](Self::updated) lists only groups
    /// touched in this batch.
    pub fn begin_batch(&mut self) {
        if let Some(changes) = &mut self.changes
            && !std::mem::take(&mut changes.written)
        {
            // The last batch's updates were not written yet: they go in the next delta.
            for &slot in &self.updated {
                changes.bits[slot as usize / 64] |= 1 << (slot % 64);
            }
        }
        for &slot in &self.updated {
            self.updated_bits[slot as usize / 64] &= !(1 << (slot % 64));
        }
        self.updated.clear();
        self.removed = 0;
        self.touched = 0;
    }

    /// Inserts `probe`'s key with `value` if it is new (deduplication); returns whether it was.
    /// Only a new key counts as updated.
    #[inline]
    pub fn insert_new<P: KeyProbe<Owned = K>>(&mut self, probe: P, value: A) -> bool {
        let hash = self.hash(probe);
        let (slot, inserted) = self.find_or_insert(probe, hash);
        if inserted {
            self.groups[slot as usize].1 = value;
            self.mark_updated(slot);
        }
        inserted
    }

    /// The accumulator of `probe`'s group, inserting a default one for a new key.
    #[inline]
    pub fn upsert<P: KeyProbe<Owned = K>>(&mut self, probe: P) -> &mut A {
        let hash = self.hash(probe);
        self.upsert_hashed(probe, hash)
    }

    /// [`upsert`](Self::upsert) with the probe's [`hash`](Self::hash) already computed, as a
    /// query that [prefetches](Self::prefetch_index) has it.
    #[inline]
    pub fn upsert_hashed<P: KeyProbe<Owned = K>>(&mut self, probe: P, hash: u64) -> &mut A {
        let (slot, _) = self.find_or_insert(probe, hash);
        self.mark_updated(slot);
        &mut self.groups[slot as usize].1
    }

    /// [`upsert_hashed`](Self::upsert_hashed), giving the group's slot (for
    /// [`slot_mut`](Self::slot_mut)), whether this is the group's first update in the batch, and
    /// whether it was new.
    #[inline]
    pub fn upsert_hashed_first<P: KeyProbe<Owned = K>>(&mut self, probe: P, hash: u64) -> (u32, bool, bool) {
        let (slot, inserted) = self.find_or_insert(probe, hash);
        let first = self.mark_updated(slot);
        (slot, first, inserted)
    }

    /// The value of the group in `slot`.
    #[inline]
    pub fn slot_mut(&mut self, slot: u32) -> &mut A {
        &mut self.groups[slot as usize].1
    }

    /// The value stored under `probe`'s key, if any; never inserts.
    #[inline]
    pub fn get<P: KeyProbe<Owned = K>>(&self, probe: P) -> Option<&A> {
        let hash = self.hash(probe);
        let slot = self
            .index
            .find(hash, |slot| probe.matches(&self.groups[slot as usize].0))
            .ok()?;
        Some(&self.groups[slot as usize].1)
    }

    /// The value stored under `probe`'s key, writable, if any; never inserts (nor counts as an
    /// update).
    #[inline]
    pub fn get_mut<P: KeyProbe<Owned = K>>(&mut self, probe: P) -> Option<&mut A> {
        let hash = self.hash(probe);
        let slot = self
            .index
            .find(hash, |slot| probe.matches(&self.groups[slot as usize].0))
            .ok()?;
        self.mark_changed(slot);
        Some(&mut self.groups[slot as usize].1)
    }

    /// Calls `update` on every group, in insertion order; it says whether it changed the value
    /// (so that a checkpoint delta holds the group). It does not count as an update.
    pub fn update_each(&mut self, mut update: impl FnMut(&K, &mut A) -> bool) {
        for slot in 0..self.groups.len() {
            let (key, value) = &mut self.groups[slot];
            if update(key, value) {
                #[expect(clippy::cast_possible_truncation, reason = "slots are u32")]
                self.mark_changed(slot as u32);
            }
        }
    }

    /// Records that `slot`'s value changed, for the next checkpoint delta.
    #[inline]
    fn mark_changed(&mut self, slot: u32) {
        if let Some(changes) = &mut self.changes {
            changes.bits[slot as usize / 64] |= 1 << (slot % 64);
        }
    }

    /// The hash under which `probe`'s key is (or would be) stored.
    #[inline]
    pub fn hash<P: KeyProbe<Owned = K>>(&self, probe: P) -> u64 {
        let mut state = self.hasher.build_hasher();
        probe.hash_into(&mut state);
        state.finish()
    }

    /// Starts loading the index entry for `hash` into the cache. A query calls this some rows
    /// ahead of the row it updates, and [`prefetch_group`](Self::prefetch_group) a few rows
    /// later, so that the probe finds both in the cache instead of waiting on memory twice.
    ///
    /// ```
    /// use stream_core::state::{GroupTable, InlineKey, KeyStr};
    /// let users = ["u1", "u2", "u1", "u3"];
    /// let mut table: GroupTable<(KeyStr,), i64> = GroupTable::new();
    /// table.begin_batch();
    /// let hashes: Vec<u64> = users.iter().map(|u| table.hash((InlineKey(u),))).collect();
    /// for (row, user) in users.iter().enumerate() {
    ///     if let Some(&ahead) = hashes.get(row + 2) {
    ///         table.prefetch_index(ahead);
    ///     }
    ///     if let Some(&ahead) = hashes.get(row + 1) {
    ///         table.prefetch_group(ahead);
    ///     }
    ///     *table.upsert_hashed((InlineKey(user),), hashes[row]) += 1;
    /// }
    /// assert_eq!(table.iter().map(|(_, n)| *n).collect::<Vec<_>>(), [2, 1, 1]);
    /// ```
    #[inline]
    pub fn prefetch_index(&self, hash: u64) {
        self.index.prefetch(hash);
    }

    /// Starts loading the group `hash` most likely belongs to (its index entry should be in the
    /// cache by now; see [`prefetch_index`](Self::prefetch_index)).
    #[inline]
    pub fn prefetch_group(&self, hash: u64) {
        if let Some(group) = self
            .index
            .likely_slot(hash)
            .and_then(|slot| self.groups.get(slot as usize))
        {
            prefetch(group);
        }
    }

    /// The slot of `probe`'s key, and whether it was just inserted.
    #[inline]
    fn find_or_insert<P: KeyProbe<Owned = K>>(&mut self, probe: P, hash: u64) -> (u32, bool) {
        let groups = &self.groups;
        match self.index.find(hash, |slot| probe.matches(&groups[slot as usize].0)) {
            Ok(slot) => (slot, false),
            Err(position) => {
                let slot = u32::try_from(self.groups.len()).expect("more than 4 billion groups in one state store");
                self.index.insert(position, hash, slot);
                self.key_heap_bytes += probe.heap_bytes();
                self.push_group(probe.to_owned_key(), A::default());
                (slot, true)
            }
        }
    }

    /// Appends a group whose key the index already holds.
    fn push_group(&mut self, key: K, value: A) {
        if self.groups.len().is_multiple_of(64) {
            self.updated_bits.push(0);
            if let Some(changes) = &mut self.changes {
                changes.bits.push(0);
            }
        }
        self.groups.push((key, value));
    }

    /// Records that `slot` changed in the current batch; whether this is its first change in it.
    #[inline]
    fn mark_updated(&mut self, slot: u32) -> bool {
        let (word, bit) = (slot as usize / 64, 1 << (slot % 64));
        if self.updated_bits[word] & bit == 0 {
            self.updated_bits[word] |= bit;
            self.updated.push(slot);
            self.touched += 1;
            return true;
        }
        false
    }

    /// Adds a group restored from a snapshot (its key must not be present yet).
    pub fn insert_restored(&mut self, key: K, value: A) {
        let slot = u32::try_from(self.groups.len()).expect("more than 4 billion groups in one state store");
        self.index_slot(slot, &key);
        self.key_heap_bytes += key.heap_bytes();
        self.push_group(key, value);
    }

    /// Adds `slot`, holding `key`, to the index.
    fn index_slot(&mut self, slot: u32, key: &K) {
        let mut state = self.hasher.build_hasher();
        key.hash_into(&mut state);
        self.index.insert_unique(state.finish(), slot);
    }

    /// Removes every group.
    pub fn clear(&mut self) {
        if let Some(changes) = &mut self.changes {
            changes
                .removed
                .extend(self.groups.iter().map(|(key, _)| (changes.encode_key)(key)));
            changes.bits.clear();
        }
        self.index.clear();
        self.groups.clear();
        self.updated_bits.clear();
        self.updated.clear();
        self.key_heap_bytes = 0;
    }

    /// Number of groups.
    #[must_use]
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    /// Whether there are no groups.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// Every group, in insertion order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&K, &A)> {
        self.groups.iter().map(|(key, value)| (key, value))
    }

    /// Every group, with its accumulator writable, in insertion order.
    pub fn iter_mut(&mut self) -> impl ExactSizeIterator<Item = (&K, &mut A)> {
        self.groups.iter_mut().map(|(key, value)| (&*key, value))
    }

    /// Groups updated in the current batch, in the order they were first touched.
    pub fn updated(&self) -> impl ExactSizeIterator<Item = (&K, &A)> {
        self.updated.iter().map(|&slot| {
            let (key, value) = &self.groups[slot as usize];
            (key, value)
        })
    }

    /// Removes every group for which `expired` holds and returns them, in insertion order.
    /// Used to drop state the watermark has passed (and, in append mode, to emit it).
    pub fn evict(&mut self, mut expired: impl FnMut(&K, &A) -> bool) -> Vec<(K, A)> {
        if !self.groups.iter().any(|(key, value)| expired(key, value)) {
            self.removed = 0;
            return Vec::new();
        }
        let groups: Vec<(K, A)> = self.groups.drain_all().collect();
        self.index.clear();
        self.updated_bits.clear();
        let changed_before = self.changes.as_mut().map(|changes| std::mem::take(&mut changes.bits));
        // Where each kept group moves to, so the updated list keeps its first-touch order.
        let mut moved_to = vec![u32::MAX; groups.len()];
        let mut evicted = Vec::new();
        for (old_slot, (key, value)) in groups.into_iter().enumerate() {
            if expired(&key, &value) {
                self.key_heap_bytes = self.key_heap_bytes.saturating_sub(key.heap_bytes());
                if let Some(changes) = &mut self.changes {
                    changes.removed.push((changes.encode_key)(&key));
                }
                evicted.push((key, value));
                continue;
            }
            let slot = u32::try_from(self.groups.len()).unwrap_or(u32::MAX);
            moved_to[old_slot] = slot;
            self.index_slot(slot, &key);
            self.push_group(key, value);
            if let Some(before) = &changed_before
                && before[old_slot / 64] & (1 << (old_slot % 64)) != 0
            {
                self.mark_changed(slot);
            }
        }
        let updated = std::mem::take(&mut self.updated);
        for slot in updated
            .into_iter()
            .map(|old| moved_to[old as usize])
            .filter(|&s| s != u32::MAX)
        {
            self.updated_bits[slot as usize / 64] |= 1 << (slot % 64);
            self.updated.push(slot);
        }
        self.removed = evicted.len();
        evicted
    }

    /// Starts recording which groups change and which go, for checkpoint deltas
    /// ([`write_changes`](Self::write_changes)). Until then a table records nothing.
    pub fn track_changes(&mut self)
    where
        K: StateValue,
    {
        self.changes = Some(Changes {
            bits: vec![0; self.updated_bits.len()],
            removed: Vec::new(),
            encode_key: |key| {
                let mut bytes = Vec::new();
                key.encode(&mut bytes);
                bytes
            },
            written: false,
        });
    }

    /// Writes the groups removed, then those changed (in insertion order), since the last call
    /// or since [`track_changes`](Self::track_changes), and starts recording afresh.
    ///
    /// ```
    /// use stream_core::state::GroupTable;
    /// use stream_core::state::store::{FileKind, StoreWriter};
    /// let mut table: GroupTable<(String,), i64> = GroupTable::new();
    /// table.track_changes();
    /// table.begin_batch();
    /// *table.upsert(("u1",)) += 1;
    /// *table.upsert(("u2",)) += 1;
    /// let mut delta = StoreWriter::new(FileKind::Delta);
    /// table.write_changes(&mut delta);
    /// assert_eq!(delta.records(), 2);
    /// table.begin_batch();
    /// *table.upsert(("u2",)) += 1;
    /// let mut delta = StoreWriter::new(FileKind::Delta);
    /// table.write_changes(&mut delta);
    /// assert_eq!(delta.records(), 1);
    /// ```
    pub fn write_changes(&mut self, out: &mut StoreWriter)
    where
        K: StateValue,
        A: StateValue,
    {
        let Some(changes) = &mut self.changes else {
            return;
        };
        for key in changes.removed.drain(..) {
            out.remove_encoded(&key);
        }
        for (word, (&changed, &updated)) in changes.bits.iter().zip(&self.updated_bits).enumerate() {
            let mut bits = changed | updated;
            while bits != 0 {
                let (key, value) = &self.groups[word * 64 + bits.trailing_zeros() as usize];
                out.put(key, value);
                bits &= bits - 1;
            }
        }
        changes.bits.fill(0);
        changes.written = true;
    }

    /// Writes every group, in insertion order.
    pub fn write_all(&self, out: &mut StoreWriter)
    where
        K: StateValue,
        A: StateValue,
    {
        for (key, value) in self.iter() {
            out.put(key, value);
        }
    }

    /// A table of `rows` (encoded keys and values, as [`store::MergedRows`] gives them), in order.
    ///
    /// # Errors
    /// A message naming the first row that is not of the table's types.
    pub fn restore_rows<'a>(rows: impl IntoIterator<Item = (&'a [u8], &'a [u8])>) -> Result<Self, String>
    where
        K: StateValue,
        A: StateValue,
    {
        let mut table = Self::new();
        for (index, (key, value)) in rows.into_iter().enumerate() {
            let (key, value) = store::decode_row(index, key, value)?;
            table.insert_restored(key, value);
        }
        Ok(table)
    }

    /// Metrics for progress reports. Memory counts what is allocated (capacity, not length).
    #[must_use]
    pub fn metrics(&self) -> StateMetrics {
        let bytes = self.groups.allocated_bytes()
            + self.updated_bits.capacity() * size_of::<u64>()
            + self.index.allocated_bytes()
            + self.key_heap_bytes;
        StateMetrics {
            num_rows_total: self.groups.len() as u64,
            num_rows_updated: self.touched as u64,
            num_rows_removed: self.removed as u64,
            memory_used_bytes: bytes as u64,
        }
    }
}

/// Starts loading `value`'s cache line (a hint: it changes nothing the program can observe).
#[inline(always)]
#[allow(unsafe_code, reason = "the prefetch intrinsic; see the SAFETY note")]
fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `_mm_prefetch` needs SSE, which every x86-64 processor has; a prefetch reads no
    // memory the program sees and cannot fault, and `value` is a live reference in any case.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(std::ptr::from_ref(value).cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
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

        /// Across batches and evictions, `updated` lists exactly the groups touched since the
        /// batch began, in first-touch order, and `iter` keeps insertion order.
        #[test]
        fn updated_groups_follow_batches_and_evictions(
            ops in proptest::collection::vec((0u8..10, "[a-c][0-9]{0,2}"), 0..400),
        ) {
            let mut table: GroupTable<(KeyStr,), i64> = GroupTable::new();
            let mut model: Vec<(String, i64)> = Vec::new();
            let mut touched: Vec<String> = Vec::new();
            table.begin_batch();
            for (op, key) in &ops {
                match op {
                    0 => {
                        table.begin_batch();
                        touched.clear();
                    }
                    1 => {
                        let evicted: Vec<String> = table
                            .evict(|k, _| k.0.starts_with('a'))
                            .into_iter()
                            .map(|(k, _)| k.0.to_string())
                            .collect();
                        let expected: Vec<String> =
                            model.iter().filter(|(k, _)| k.starts_with('a')).map(|(k, _)| k.clone()).collect();
                        prop_assert_eq!(evicted, expected);
                        model.retain(|(k, _)| !k.starts_with('a'));
                        touched.retain(|k| !k.starts_with('a'));
                    }
                    _ => {
                        *table.upsert((InlineKey(key.as_str()),)) += 1;
                        match model.iter_mut().find(|(k, _)| k == key) {
                            Some((_, count)) => *count += 1,
                            None => model.push((key.clone(), 1)),
                        }
                        if !touched.contains(key) {
                            touched.push(key.clone());
                        }
                    }
                }
                let updated: Vec<String> = table.updated().map(|(k, _)| k.0.to_string()).collect();
                prop_assert_eq!(&updated, &touched);
            }
            let rows: Vec<(String, i64)> = table.iter().map(|(k, v)| (k.0.to_string(), *v)).collect();
            prop_assert_eq!(rows, model);
        }
    }
}
