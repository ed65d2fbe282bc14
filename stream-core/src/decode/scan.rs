//! Byte-class searches for the text decoders, sixteen bytes at a time: the only `unsafe` code in
//! Rill.
//!
//! A validating decoder spends most of its time finding the end of a run of ordinary bytes: the
//! closing quote of a string (where a backslash, a control character or a non-ASCII byte must
//! stop the fast path), or the next delimiter of a CSV field (where a non-ASCII byte means its
//! UTF-8 must be checked). These searches classify sixteen
//! bytes per step into a bitmask with SSE2 — part of every x86-64 processor, so the code needs no
//! run-time detection and inlines into the decoder `stream!` generates — and take the first set
//! bit. Other targets use the same searches eight bytes at a time in a `u64` (SWAR).
//!
//! `unsafe` appears for two operations, each time with its reason beside it: an unaligned
//! 16-byte load from a `&[u8; 16]` (SSE2 has no safe load), and `str::from_utf8_unchecked` on
//! bytes the same function has just found all ASCII. The searches are checked against plain loops by the unit
//! tests and proptests below and by the `json_decoder` fuzz target, which compares whole
//! decoded records with `serde_json` and with the decoder's general path.

#![allow(unsafe_code, reason = "SSE2 loads and an ASCII-checked `&str`; see the module docs")]

/// The first byte at or after `from` that ends a plain run inside a string quoted with
/// `quote`: the closing quote, a backslash, a control character (below 0x20) or, when
/// `stop_at_non_ascii`, a byte of 0x80 or more — with its position, or `None` (and the
/// length) when `bytes` ends first.
#[inline(always)]
pub(crate) fn find_string_stop(bytes: &[u8], from: usize, quote: u8, stop_at_non_ascii: bool) -> (usize, Option<u8>) {
    let mut pos = from;
    while let Some(chunk) = bytes
        .get(pos..pos + LANES)
        .and_then(|c| <&[u8; LANES]>::try_from(c).ok())
    {
        let found = string_stops(chunk, quote, stop_at_non_ascii);
        if found != 0 {
            let index = pos + found.trailing_zeros() as usize;
            return (index, Some(bytes[index]));
        }
        pos += LANES;
    }
    while let Some(&byte) = bytes.get(pos) {
        if byte == quote || byte == b'\\' || byte < 0x20 || (stop_at_non_ascii && byte >= 0x80) {
            return (pos, Some(byte));
        }
        pos += 1;
    }
    (pos, None)
}

/// The text of a double-quoted string of plain ASCII opening at `open` (no escapes, no control
/// or non-ASCII bytes), and the position after its closing quote; `None` when the string at
/// `open` is anything else (or `bytes[open]` is not `"`).
#[inline(always)]
pub(crate) fn plain_ascii_string(bytes: &[u8], open: usize) -> Option<(&str, usize)> {
    if bytes.get(open) != Some(&b'"') {
        return None;
    }
    let (end, stop) = find_string_stop(bytes, open + 1, b'"', true);
    if stop != Some(b'"') {
        return None;
    }
    let text = bytes.get(open + 1..end)?;
    // SAFETY: `find_string_stop` with `stop_at_non_ascii` returned the first byte in
    // `open + 1..` that is 0x80 or more, a quote, a backslash or a control character, and it
    // is the quote at `end`: every byte of `text` is below 0x80, so `text` is ASCII, which is
    // valid UTF-8.
    Some((unsafe { std::str::from_utf8_unchecked(text) }, end + 1))
}

/// The first `needle` at or after `from`, or the length when there is none: a CSV field's
/// delimiter. Inline, for fields of a few bytes, where a call to `memchr` costs more than the
/// search.
#[inline(always)]
pub(crate) fn find_byte(bytes: &[u8], from: usize, needle: u8) -> usize {
    let mut pos = from;
    while let Some(chunk) = bytes
        .get(pos..pos + LANES)
        .and_then(|c| <&[u8; LANES]>::try_from(c).ok())
    {
        let found = equal_to(chunk, needle);
        if found != 0 {
            return pos + found.trailing_zeros() as usize;
        }
        pos += LANES;
    }
    bytes
        .get(pos..)
        .and_then(|rest| rest.iter().position(|&b| b == needle))
        .map_or(bytes.len(), |i| pos + i)
}

/// The text of an unquoted CSV field of plain ASCII starting at `from` and ending at the next
/// `delimiter` (or the end of `bytes`), with that end; `None` when a non-ASCII byte comes first
/// (the caller then checks the field's UTF-8 itself).
#[inline(always)]
pub(crate) fn plain_ascii_field(bytes: &[u8], from: usize, delimiter: u8) -> Option<(&str, usize)> {
    let mut pos = from;
    let end = loop {
        let Some(chunk) = bytes
            .get(pos..pos + LANES)
            .and_then(|c| <&[u8; LANES]>::try_from(c).ok())
        else {
            let rest = bytes.get(pos..)?;
            let length = rest
                .iter()
                .position(|&b| b == delimiter || b >= 0x80)
                .unwrap_or(rest.len());
            if rest.get(length).is_some_and(|&b| b != delimiter) {
                return None;
            }
            break pos + length;
        };
        let found = equal_to_or_non_ascii(chunk, delimiter);
        if found != 0 {
            let index = pos + found.trailing_zeros() as usize;
            if bytes[index] != delimiter {
                return None;
            }
            break index;
        }
        pos += LANES;
    };
    let text = bytes.get(from..end)?;
    // SAFETY: every byte of `text` was found below 0x80 (the search stops at the first byte of
    // 0x80 or more, and returned `None` when that byte was not the delimiter): `text` is ASCII,
    // which is valid UTF-8.
    Some((unsafe { std::str::from_utf8_unchecked(text) }, end))
}

#[cfg(target_arch = "x86_64")]
const LANES: usize = 16;
#[cfg(not(target_arch = "x86_64"))]
const LANES: usize = 8;

#[cfg(target_arch = "x86_64")]
mod lanes {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_cmplt_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };

    // SAFETY (every block below): SSE2 is part of the x86-64 baseline, so each instruction
    // exists on every processor this code runs on. The only load reads through a pointer made
    // from a reference to sixteen initialised bytes, and `loadu` has no alignment requirement.

    /// Bit `i` set when byte `i` stops a string (see `find_string_stop`).
    #[inline(always)]
    pub(super) fn string_stops(chunk: &[u8; 16], quote: u8, stop_at_non_ascii: bool) -> u32 {
        let [quote, backslash, space, last_control] = [quote, b'\\', 0x20, 0x1f].map(|b| i8::from_ne_bytes([b]));
        // SAFETY: see the module's note.
        let found = unsafe {
            let bytes = _mm_loadu_si128(chunk.as_ptr().cast::<__m128i>());
            let special = _mm_or_si128(
                _mm_cmpeq_epi8(bytes, _mm_set1_epi8(quote)),
                _mm_cmpeq_epi8(bytes, _mm_set1_epi8(backslash)),
            );
            let low = if stop_at_non_ascii {
                // Signed: below 0x20 or, negative, 0x80 and above.
                _mm_cmplt_epi8(bytes, _mm_set1_epi8(space))
            } else {
                // Unsigned: min(byte, 0x1f) == byte exactly when byte <= 0x1f.
                _mm_cmpeq_epi8(_mm_min_epu8(bytes, _mm_set1_epi8(last_control)), bytes)
            };
            _mm_movemask_epi8(_mm_or_si128(special, low))
        };
        u32::from_ne_bytes(found.to_ne_bytes())
    }

    /// Bit `i` set when byte `i` is `needle` or 0x80 and above.
    #[inline(always)]
    pub(super) fn equal_to_or_non_ascii(chunk: &[u8; 16], needle: u8) -> u32 {
        let needle = i8::from_ne_bytes([needle]);
        // SAFETY: see the module's note.
        let found = unsafe {
            let bytes = _mm_loadu_si128(chunk.as_ptr().cast::<__m128i>());
            // Signed: bytes of 0x80 and above are negative.
            let non_ascii = _mm_cmplt_epi8(bytes, _mm_set1_epi8(0));
            _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(bytes, _mm_set1_epi8(needle)), non_ascii))
        };
        u32::from_ne_bytes(found.to_ne_bytes())
    }

    /// Bit `i` set when byte `i` is `needle`.
    #[inline(always)]
    pub(super) fn equal_to(chunk: &[u8; 16], needle: u8) -> u32 {
        let needle = i8::from_ne_bytes([needle]);
        // SAFETY: see the module's note.
        let found = unsafe {
            let bytes = _mm_loadu_si128(chunk.as_ptr().cast::<__m128i>());
            _mm_movemask_epi8(_mm_cmpeq_epi8(bytes, _mm_set1_epi8(needle)))
        };
        u32::from_ne_bytes(found.to_ne_bytes())
    }
}

/// The same classes eight bytes at a time in a `u64`, where SSE2 is not at hand. A class's
/// high bit marks each byte in it, so the mask's trailing zeros are eight times the index.
#[cfg(not(target_arch = "x86_64"))]
mod lanes {
    const LOW_BITS: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

    const fn splat(byte: u8) -> u64 {
        0x0101_0101_0101_0101 * byte as u64
    }

    /// High bit set in each byte of `word` that is zero (exactly: no false positives).
    #[inline(always)]
    const fn zero_bytes(word: u64) -> u64 {
        !(((word & LOW_BITS).wrapping_add(LOW_BITS)) | word | LOW_BITS)
    }

    /// One bit per byte, at the byte's index, from a mask of high bits.
    #[inline(always)]
    fn compress(high: u64) -> u32 {
        let mut out = 0;
        for i in 0..8 {
            out |= u32::from((high >> (8 * i + 7)) & 1 == 1) << i;
        }
        out
    }

    pub(super) fn string_stops(chunk: &[u8; 8], quote: u8, stop_at_non_ascii: bool) -> u32 {
        let word = u64::from_le_bytes(*chunk);
        // Bytes below 0x20 with the high bit clear: adding 0x60 leaves their high bit clear.
        let control = !((word & LOW_BITS).wrapping_add(splat(0x60)) | word) & HIGH_BITS;
        let non_ascii = if stop_at_non_ascii { word & HIGH_BITS } else { 0 };
        compress(zero_bytes(word ^ splat(quote)) | zero_bytes(word ^ splat(b'\\')) | control | non_ascii)
    }

    pub(super) fn equal_to(chunk: &[u8; 8], needle: u8) -> u32 {
        compress(zero_bytes(u64::from_le_bytes(*chunk) ^ splat(needle)))
    }

    pub(super) fn equal_to_or_non_ascii(chunk: &[u8; 8], needle: u8) -> u32 {
        let word = u64::from_le_bytes(*chunk);
        compress(zero_bytes(word ^ splat(needle)) | (word & HIGH_BITS))
    }
}

use lanes::{equal_to, equal_to_or_non_ascii, string_stops};

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn plain_stop(bytes: &[u8], from: usize, quote: u8, stop_at_non_ascii: bool) -> (usize, Option<u8>) {
        bytes[from..]
            .iter()
            .position(|&b| b == quote || b == b'\\' || b < 0x20 || (stop_at_non_ascii && b >= 0x80))
            .map_or((bytes.len(), None), |i| (from + i, Some(bytes[from + i])))
    }

    #[test]
    fn every_class_is_found_at_every_position() {
        let plain = b"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH";
        for special in [0x00, 0x1f, b'"', b'\'', b'\\', 0x7f, 0x80, 0xc3, 0xff, b',', b';'] {
            for at in 0..=plain.len() {
                let mut sample = plain.to_vec();
                sample.insert(at, special);
                for start in 0..sample.len() {
                    for quote in [b'"', b'\''] {
                        for non_ascii in [true, false] {
                            assert_eq!(
                                find_string_stop(&sample, start, quote, non_ascii),
                                plain_stop(&sample, start, quote, non_ascii),
                                "{special:#x} at {at}, from {start}"
                            );
                        }
                    }
                    let expected = sample[start..]
                        .iter()
                        .position(|&b| b == b',')
                        .map_or(sample.len(), |i| start + i);
                    assert_eq!(find_byte(&sample, start, b','), expected);
                }
            }
        }
    }

    #[test]
    fn plain_strings_are_ascii_without_escapes() {
        assert_eq!(plain_ascii_string(br#"x"abc" "#, 1), Some(("abc", 6)));
        assert_eq!(plain_ascii_string(br#""""#, 0), Some(("", 2)));
        assert_eq!(
            plain_ascii_string(br#""a long string of plain text, ok""#, 0).map(|s| s.1),
            Some(33)
        );
        for not_plain in [
            &br#""a\"b""#[..],
            "\"é\"".as_bytes(),
            b"\"tab\t\"",
            b"\"open",
            b"'single'",
            b"x",
        ] {
            assert_eq!(plain_ascii_string(not_plain, 0), None, "{not_plain:?}");
        }
    }

    proptest! {
        #[test]
        fn searches_agree_with_plain_loops(
            bytes in proptest::collection::vec(prop_oneof![Just(b'"'), Just(b'\\'), Just(0x05u8), Just(0x90u8), Just(b','), 0x20u8..0x7f], 0..80),
            from in 0usize..80,
        ) {
            let from = from.min(bytes.len());
            for non_ascii in [true, false] {
                prop_assert_eq!(find_string_stop(&bytes, from, b'"', non_ascii), plain_stop(&bytes, from, b'"', non_ascii));
            }
            let expected = bytes[from..].iter().position(|&b| b == b',').map_or(bytes.len(), |i| from + i);
            prop_assert_eq!(find_byte(&bytes, from, b','), expected);
            match plain_ascii_field(&bytes, from, b',') {
                Some((text, end)) => {
                    let expected_end = bytes[from..].iter().position(|&b| b == b',').map_or(bytes.len(), |i| from + i);
                    prop_assert_eq!(end, expected_end);
                    prop_assert_eq!(text.as_bytes(), &bytes[from..end]);
                }
                None => prop_assert!(bytes[from..].iter().take_while(|&&b| b != b',').any(|&b| b >= 0x80)),
            }
            if let Some((text, end)) = plain_ascii_string(&bytes, from) {
                prop_assert_eq!(text.as_bytes(), &bytes[from + 1..end - 1]);
                prop_assert!(text.bytes().all(|b| (0x20..0x80).contains(&b) && b != b'"' && b != b'\\'));
            }
        }
    }
}
