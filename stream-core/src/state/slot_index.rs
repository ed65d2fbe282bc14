//! The hash index of a [`GroupTable`](super::GroupTable): from a key's hash to its group's
//! slot, in one flat array that a query can prefetch rows ahead.
//!
//! Each entry packs the hash's top 32 bits (its tag) with the slot plus one; zero is empty.
//! An entry's home position is the top bits of its tag, so growing re-places entries from
//! their tags alone, without hashing any key again. Probing is linear, at most 7/8 full: a
//! probe reads one cache line, rarely two.

/// An entry's tag is the hash's top 32 bits.
const TAG_SHIFT: u32 = 32;
const MIN_BITS: u32 = 4;
/// Entries are placed by their tag's top bits, so a table can have at most 2^32 positions.
const MAX_BITS: u32 = 32;

#[derive(Debug, Clone)]
pub(crate) struct SlotIndex {
    entries: Vec<u64>,
    /// log2 of the number of positions (when `entries` is allocated).
    bits: u32,
    len: usize,
}

impl SlotIndex {
    pub(crate) const fn new() -> Self {
        Self {
            entries: Vec::new(),
            bits: 0,
            len: 0,
        }
    }

    #[inline]
    fn home(&self, tag: u64) -> usize {
        (tag >> (TAG_SHIFT - self.bits)) as usize
    }

    #[inline]
    fn mask(&self) -> usize {
        self.entries.len() - 1
    }

    /// The slot whose entry has `hash`'s tag and for which `is_key` holds, or else the empty
    /// position where `hash`'s key would go.
    #[inline]
    pub(crate) fn find(&self, hash: u64, mut is_key: impl FnMut(u32) -> bool) -> Result<u32, usize> {
        if self.entries.is_empty() {
            return Err(usize::MAX);
        }
        let tag = hash >> TAG_SHIFT;
        let mask = self.mask();
        let mut position = self.home(tag);
        loop {
            let entry = self.entries[position];
            if entry == 0 {
                return Err(position);
            }
            if entry >> TAG_SHIFT == tag {
                let slot = (entry as u32).wrapping_sub(1);
                if is_key(slot) {
                    return Ok(slot);
                }
            }
            position = (position + 1) & mask;
        }
    }

    /// Adds `slot` for `hash` at `position`, the empty position [`find`](Self::find) returned
    /// for it (or anywhere, when `position` is `usize::MAX`).
    #[inline]
    pub(crate) fn insert(&mut self, position: usize, hash: u64, slot: u32) {
        if position == usize::MAX || (self.len + 1) * 8 > self.entries.len() * 7 {
            self.grow();
            self.insert_unique(hash, slot);
        } else {
            self.entries[position] = entry(hash, slot);
            self.len += 1;
        }
    }

    /// Adds `slot` for `hash`, whose key the index does not hold yet.
    pub(crate) fn insert_unique(&mut self, hash: u64, slot: u32) {
        if (self.len + 1) * 8 > self.entries.len() * 7 {
            self.grow();
        }
        self.place(entry(hash, slot));
        self.len += 1;
    }

    fn place(&mut self, entry: u64) {
        let mask = self.mask();
        let mut position = self.home(entry >> TAG_SHIFT);
        while self.entries[position] != 0 {
            position = (position + 1) & mask;
        }
        self.entries[position] = entry;
    }

    fn grow(&mut self) {
        let bits = if self.entries.is_empty() {
            MIN_BITS
        } else {
            self.bits + 1
        };
        assert!(
            bits <= MAX_BITS,
            "a state store's index cannot hold more than 3.7 billion groups"
        );
        let old = std::mem::replace(&mut self.entries, vec![0; 1 << bits]);
        self.bits = bits;
        for entry in old.into_iter().filter(|&e| e != 0) {
            self.place(entry);
        }
    }

    /// Starts loading the cache line where `hash`'s entry is, for a probe a few rows later.
    #[inline]
    pub(crate) fn prefetch(&self, hash: u64) {
        if let Some(entry) = self.entries.get(self.home(hash >> TAG_SHIFT)) {
            super::prefetch(entry);
        }
    }

    /// The slot of the first entry with `hash`'s tag: most likely its key's, but unchecked.
    #[inline]
    pub(crate) fn likely_slot(&self, hash: u64) -> Option<u32> {
        self.find(hash, |_| true).ok()
    }

    pub(crate) fn clear(&mut self) {
        *self = Self::new();
    }

    pub(crate) fn allocated_bytes(&self) -> usize {
        self.entries.capacity() * size_of::<u64>()
    }
}

#[inline]
fn entry(hash: u64, slot: u32) -> u64 {
    ((hash >> TAG_SHIFT) << TAG_SHIFT) | u64::from(slot.wrapping_add(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A poor hash on purpose: many equal tags and homes, so probing and growth are exercised.
    fn clustered(key: u32) -> u64 {
        u64::from(key % 37).rotate_right(7) ^ u64::from(key % 5)
    }

    #[test]
    fn finds_every_slot_through_growth_and_collisions() {
        let mut index = SlotIndex::new();
        let keys: Vec<u32> = (0..5_000).map(|k| k * 7 + 1).collect();
        for (slot, &key) in keys.iter().enumerate() {
            let slot = u32::try_from(slot).unwrap_or(u32::MAX);
            let hash = clustered(key);
            match index.find(hash, |s| keys[s as usize] == key) {
                Ok(found) => panic!("key {key} found at {found} before it was inserted"),
                Err(position) => index.insert(position, hash, slot),
            }
        }
        for (slot, &key) in keys.iter().enumerate() {
            assert_eq!(index.find(clustered(key), |s| keys[s as usize] == key), Ok(slot as u32));
        }
        assert!(index.find(clustered(2), |s| keys[s as usize] == 2).is_err());
        assert!(index.len * 8 <= index.entries.len() * 7);
        index.clear();
        assert!(index.find(clustered(1), |_| true).is_err());
    }
}
