//! A growable array stored in fixed-size chunks: growing never copies what is stored (no
//! latency spike when a large state grows) and wastes at most one chunk, where a `Vec`
//! that doubles may leave half its capacity unused.

/// Elements per chunk, a power of two. The first chunk grows as a `Vec` does up to this
/// size, so a small table stays small.
const CHUNK_SHIFT: u32 = 12;
const CHUNK: usize = 1 << CHUNK_SHIFT;
const CHUNK_MASK: usize = CHUNK - 1;

/// An append-only array of `T` in chunks of 4096 elements.
///
/// ```
/// # use stream_core::state::ChunkedVec;
/// let mut squares = ChunkedVec::new();
/// for n in 0..10_000_u64 {
///     squares.push(n * n);
/// }
/// assert_eq!(squares.len(), 10_000);
/// assert_eq!(squares[9_999], 9_999 * 9_999);
/// squares[3] = 0;
/// assert_eq!(squares.iter().take(4).copied().collect::<Vec<_>>(), [0, 1, 4, 0]);
/// ```
#[derive(Debug, Clone)]
pub struct ChunkedVec<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for ChunkedVec<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T> ChunkedVec<T> {
    /// An empty array; it allocates on the first push.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            chunks: Vec::new(),
            len: 0,
        }
    }

    /// Number of elements.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no elements.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends `value`.
    #[inline]
    pub fn push(&mut self, value: T) {
        match self.chunks.last_mut() {
            Some(last) if last.len() < CHUNK => last.push(value),
            Some(_) => {
                let mut chunk = Vec::with_capacity(CHUNK);
                chunk.push(value);
                self.chunks.push(chunk);
            }
            None => self.chunks.push(vec![value]),
        }
        self.len += 1;
    }

    /// The element at `index`, if there is one.
    #[must_use]
    #[inline]
    pub fn get(&self, index: usize) -> Option<&T> {
        self.chunks.get(index >> CHUNK_SHIFT)?.get(index & CHUNK_MASK)
    }

    /// The element at `index`, writable, if there is one.
    #[must_use]
    #[inline]
    pub fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        self.chunks.get_mut(index >> CHUNK_SHIFT)?.get_mut(index & CHUNK_MASK)
    }

    /// Every element, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &T> + DoubleEndedIterator {
        ExactLen {
            inner: self.chunks.iter().flatten(),
            remaining: self.len,
        }
    }

    /// Every element, writable, in order.
    pub fn iter_mut(&mut self) -> impl ExactSizeIterator<Item = &mut T> + DoubleEndedIterator {
        ExactLen {
            inner: self.chunks.iter_mut().flatten(),
            remaining: self.len,
        }
    }

    /// Removes every element and frees the chunks.
    pub fn clear(&mut self) {
        self.chunks = Vec::new();
        self.len = 0;
    }

    /// Takes every element out, in order, leaving the array empty.
    pub fn drain_all(&mut self) -> impl Iterator<Item = T> + use<T> {
        self.len = 0;
        std::mem::take(&mut self.chunks).into_iter().flatten()
    }

    /// Bytes allocated for elements (capacity, not length), for memory reports.
    #[must_use]
    pub fn allocated_bytes(&self) -> usize {
        self.chunks.iter().map(Vec::capacity).sum::<usize>() * size_of::<T>()
            + self.chunks.capacity() * size_of::<Vec<T>>()
    }
}

impl<T> std::ops::Index<usize> for ChunkedVec<T> {
    type Output = T;
    #[inline]
    fn index(&self, index: usize) -> &T {
        &self.chunks[index >> CHUNK_SHIFT][index & CHUNK_MASK]
    }
}

impl<T> std::ops::IndexMut<usize> for ChunkedVec<T> {
    #[inline]
    fn index_mut(&mut self, index: usize) -> &mut T {
        &mut self.chunks[index >> CHUNK_SHIFT][index & CHUNK_MASK]
    }
}

/// A flattened iterator that knows its length (`Flatten` cannot tell).
struct ExactLen<I> {
    inner: I,
    remaining: usize,
}

impl<I: Iterator> Iterator for ExactLen<I> {
    type Item = I::Item;
    #[inline]
    fn next(&mut self) -> Option<I::Item> {
        let item = self.inner.next()?;
        self.remaining -= 1;
        Some(item)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<I: DoubleEndedIterator> DoubleEndedIterator for ExactLen<I> {
    fn next_back(&mut self) -> Option<I::Item> {
        let item = self.inner.next_back()?;
        self.remaining -= 1;
        Some(item)
    }
}

impl<I: Iterator> ExactSizeIterator for ExactLen<I> {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_across_chunks_and_wastes_at_most_one() {
        let mut numbers = ChunkedVec::new();
        let count = 3 * CHUNK + 17;
        for n in 0..count {
            numbers.push(n);
        }
        assert_eq!(numbers.len(), count);
        assert!(numbers.iter().copied().eq(0..count));
        assert!(numbers.iter().rev().copied().eq((0..count).rev()));
        assert_eq!(numbers.get(count), None);
        assert_eq!(numbers.get(CHUNK), Some(&CHUNK));
        *numbers.get_mut(CHUNK + 1).unwrap_or(&mut 0) = 7;
        assert_eq!(numbers[CHUNK + 1], 7);
        let element_bytes = numbers.allocated_bytes() - numbers.chunks.capacity() * size_of::<Vec<usize>>();
        assert_eq!(element_bytes, 4 * CHUNK * size_of::<usize>());
        let drained: Vec<usize> = numbers.drain_all().collect();
        assert_eq!(drained.len(), count);
        assert!(numbers.is_empty());
    }

    #[test]
    fn a_small_array_stays_small() {
        let mut few = ChunkedVec::new();
        for n in 0..5_u64 {
            few.push(n);
        }
        assert!(few.allocated_bytes() < 16 * size_of::<u64>() + 4 * size_of::<Vec<u64>>());
    }
}
