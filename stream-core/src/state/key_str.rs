//! Compact string keys: a key of up to 14 bytes lives inside the state table's group array,
//! with no allocation of its own, so probing a key is one memory access rather than two, and a
//! state of short keys (user ids, event types) costs 16 bytes a key and no heap block.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use super::{KeyPart, OwnedKeyPart};

/// Bytes stored inline; with the length byte and the enum's tag, a `KeyStr` is 16 bytes, two
/// thirds of a `String` — and without the `String`'s heap block.
const INLINE: usize = 14;

const _: () = assert!(size_of::<KeyStr>() == 16);

/// A string key as stored in state: inline when short, on the heap otherwise.
///
/// ```
/// use stream_core::state::KeyStr;
/// let short = KeyStr::from("u012345");
/// assert_eq!(short.as_str(), "u012345");
/// assert_eq!(short.heap_bytes(), 0);
/// let long = KeyStr::from("a key longer than fourteen bytes");
/// assert_eq!(&*long, "a key longer than fourteen bytes");
/// assert!(long < short);
/// ```
#[derive(Clone)]
pub struct KeyStr(Repr);

#[derive(Clone)]
enum Repr {
    Inline {
        len: u8,
        bytes: [u8; INLINE],
    },
    /// A thin pointer, so that the enum fits in 16 bytes; long keys are rare.
    Heap(Box<Box<str>>),
}

impl KeyStr {
    /// The key's text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match &self.0 {
            // Built from a `&str`, so valid: the check cannot fail.
            Repr::Inline { len, bytes } => std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default(),
            Repr::Heap(text) => text,
        }
    }

    /// The key's bytes, without re-checking them.
    #[must_use]
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline { len, bytes } => &bytes[..usize::from(*len)],
            Repr::Heap(text) => text.as_bytes(),
        }
    }

    /// Bytes held on the heap (zero for an inline key).
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        match &self.0 {
            Repr::Inline { .. } => 0,
            Repr::Heap(text) => heap_size(text.len()),
        }
    }
}

impl From<&str> for KeyStr {
    fn from(text: &str) -> Self {
        match u8::try_from(text.len()) {
            Ok(len) if text.len() <= INLINE => {
                let mut bytes = [0; INLINE];
                bytes[..text.len()].copy_from_slice(text.as_bytes());
                Self(Repr::Inline { len, bytes })
            }
            _ => Self(Repr::Heap(Box::new(text.into()))),
        }
    }
}

impl From<String> for KeyStr {
    fn from(text: String) -> Self {
        Self::from(text.as_str())
    }
}

impl std::ops::Deref for KeyStr {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for KeyStr {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for KeyStr {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for KeyStr {}

impl PartialOrd for KeyStr {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for KeyStr {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl Hash for KeyStr {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Debug for KeyStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for KeyStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Heap bytes of a key of `len` bytes stored out of line: its text and the box pointing at it.
const fn heap_size(len: usize) -> usize {
    len + size_of::<Box<str>>()
}

/// A row's string, probing for a [`KeyStr`] key.
#[derive(Debug, Clone, Copy)]
pub struct InlineKey<'a>(pub &'a str);

impl KeyPart for InlineKey<'_> {
    type Owned = KeyStr;
    #[inline]
    fn hash_into<H: Hasher>(self, hasher: &mut H) {
        self.0.hash_into(hasher);
    }
    #[inline]
    fn matches(self, owned: &KeyStr) -> bool {
        short_eq(self.0.as_bytes(), owned.as_bytes())
    }
    #[inline]
    fn to_owned_part(self) -> KeyStr {
        KeyStr::from(self.0)
    }
    fn heap_bytes(self) -> usize {
        if self.0.len() <= INLINE {
            0
        } else {
            heap_size(self.0.len())
        }
    }
}

impl OwnedKeyPart for KeyStr {
    #[inline]
    fn hash_into<H: Hasher>(&self, hasher: &mut H) {
        self.as_str().hash_into(hasher);
    }
    fn heap_bytes(&self) -> usize {
        KeyStr::heap_bytes(self)
    }
}

/// Byte-slice equality that compares short slices with two overlapping word loads each,
/// instead of calling `memcmp`.
#[inline]
fn short_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let len = a.len();
    let word = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().unwrap_or_default());
    let half = |s: &[u8], at: usize| u32::from_le_bytes(s[at..at + 4].try_into().unwrap_or_default());
    match len {
        0 => true,
        1..4 => a.iter().zip(b).all(|(x, y)| x == y),
        4..8 => half(a, 0) == half(b, 0) && half(a, len - 4) == half(b, len - 4),
        8..=16 => word(a, 0) == word(b, 0) && word(a, len - 8) == word(b, len - 8),
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_equality_agrees_with_slices() {
        let texts: Vec<String> = (0..40)
            .map(|n| "abcdefghijklmnopqrstuvwxyz0123456789ABCD"[..n].to_owned())
            .collect();
        for a in &texts {
            for b in &texts {
                assert_eq!(short_eq(a.as_bytes(), b.as_bytes()), a == b);
                let mut changed = b.clone().into_bytes();
                if let Some(last) = changed.last_mut() {
                    *last = b'!';
                    assert_eq!(short_eq(a.as_bytes(), &changed), a.as_bytes() == changed.as_slice());
                }
            }
            let key = KeyStr::from(a.as_str());
            assert_eq!(key.as_str(), a);
            assert_eq!(key.heap_bytes(), if a.len() <= INLINE { 0 } else { a.len() + 16 });
        }
    }

    #[test]
    fn order_and_equality_are_the_texts() {
        let mut keys: Vec<KeyStr> = ["b", "a long key beyond fourteen bytes", "a", ""]
            .map(KeyStr::from)
            .to_vec();
        keys.sort();
        let texts: Vec<&str> = keys.iter().map(KeyStr::as_str).collect();
        assert_eq!(texts, ["", "a", "a long key beyond fourteen bytes", "b"]);
    }
}
