//! Text values numbered in order of first sight: an import's text columns are built
//! as these numbers, and a Parquet dictionary page is their list.
//!
//! ```text
//!  "59350" ─hash─> table slot ─> id 0 ──> offsets [0, 5, 10]   (Arrow's layout,
//!  "62119" ─hash─> table slot ─> id 1        bytes "5935062119"    copied as is)
//! ```
//!
//! Made for what national files are made of, codes and modalities of a few bytes:
//! one multiply per 8 bytes to hash, one probe most of the time, no allocation per
//! value. The seed is random per interner, so a file cannot be crafted to collide.

use std::hash::{BuildHasher, RandomState};

use arrow::array::StringArray;
use arrow::buffer::{Buffer, OffsetBuffer, ScalarBuffer};

const K: u64 = 0x9E37_79B9_7F4A_7C15;

/// Distinct text values and their ids (0, 1, 2… in order of first sight).
#[derive(Debug, Clone)]
pub struct Interner {
    /// Where each value starts in `bytes`, then where the last ends.
    offsets: Vec<i32>,
    bytes: Vec<u8>,
    /// 0: empty; else the hash's high 32 bits, then 1 + the id.
    table: Vec<u64>,
    seed: u64,
}

impl Default for Interner {
    fn default() -> Self {
        Interner { offsets: vec![0], bytes: Vec::new(), table: vec![0; 64], seed: RandomState::new().hash_one(0u8) }
    }
}

impl Interner {
    /// The id of `value`, given a new one if it was never seen.
    #[inline]
    pub fn intern(&mut self, value: &str) -> u32 {
        let v = value.as_bytes();
        let h = hash(v, self.seed);
        let mask = self.table.len() - 1;
        let mut i = h as usize & mask;
        loop {
            let slot = self.table[i];
            if slot == 0 {
                return self.insert(v, h, i);
            }
            if slot >> 32 == h >> 32 {
                let id = (slot as u32) - 1;
                if same(self.get(id), v) {
                    return id;
                }
            }
            i = (i + 1) & mask;
        }
    }

    #[cold]
    fn insert(&mut self, v: &[u8], h: u64, at: usize) -> u32 {
        let id = self.len() as u32;
        self.bytes.extend_from_slice(v);
        self.offsets.push(i32::try_from(self.bytes.len()).expect("a dictionary under 2 GiB"));
        self.table[at] = (h & !0xFFFF_FFFF) | u64::from(id + 1);
        if self.len() * 2 > self.table.len() {
            self.grow();
        }
        id
    }

    fn grow(&mut self) {
        let mut table = vec![0u64; self.table.len() * 2];
        let mask = table.len() - 1;
        for id in 0..self.len() as u32 {
            let h = hash(self.get(id), self.seed);
            let mut i = h as usize & mask;
            while table[i] != 0 {
                i = (i + 1) & mask;
            }
            table[i] = (h & !0xFFFF_FFFF) | u64::from(id + 1);
        }
        self.table = table;
    }

    /// The value of an id.
    #[inline]
    pub fn get(&self, id: u32) -> &[u8] {
        let id = id as usize;
        &self.bytes[self.offsets[id] as usize..self.offsets[id + 1] as usize]
    }

    /// Values so far.
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// Whether no value was seen.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes of all values together.
    pub fn byte_len(&self) -> usize {
        self.bytes.len()
    }

    /// Forgets every value (ids start again at 0).
    pub fn clear(&mut self) {
        self.offsets.truncate(1);
        self.bytes.clear();
        self.table.iter_mut().for_each(|s| *s = 0);
    }

    /// The values, id order, as an Arrow array (a copy: the interner goes on).
    pub fn to_array(&self) -> StringArray {
        let offsets = OffsetBuffer::new(ScalarBuffer::from(self.offsets.clone()));
        // Every value came in as a `&str`: the bytes are UTF-8, checked once more here.
        StringArray::try_new(offsets, Buffer::from(self.bytes.clone()), None).expect("values interned from str")
    }

    /// The values, id order, in Parquet's PLAIN encoding of byte arrays (each
    /// value's length on 4 bytes, little-endian, then its bytes).
    pub fn plain(&self) -> Vec<u8> {
        plain((0..self.len() as u32).map(|id| self.get(id)))
    }
}

/// `values` in Parquet's PLAIN encoding of byte arrays (each value's length on 4
/// bytes, little-endian, then its bytes).
pub(crate) fn plain<'a>(values: impl Iterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    for v in values {
        out.extend_from_slice(&(v.len() as u32).to_le_bytes());
        out.extend_from_slice(v);
    }
    out
}

/// Slice equality without a call to `memcmp` for the usual value of 8 bytes or less.
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && if a.len() <= 8 { short_word(a) == short_word(b) } else { a == b }
}

/// The bytes of a value of at most 8 bytes in one word, without a call to `memcpy`;
/// two values of the same length have the same word only if they are equal (4 to 8
/// bytes: the first four and the last four, which overlap; 1 to 3: first, middle,
/// last).
#[inline]
fn short_word(s: &[u8]) -> u64 {
    let n = s.len();
    if n >= 4 {
        let first = u32::from_le_bytes(s[..4].try_into().expect("4 bytes"));
        let last = u32::from_le_bytes(s[n - 4..].try_into().expect("4 bytes"));
        u64::from(first) | u64::from(last) << 32
    } else if n > 0 {
        u64::from(s[0]) | u64::from(s[n / 2]) << 8 | u64::from(s[n - 1]) << 16
    } else {
        0
    }
}

/// A multiply-and-fold hash over 8-byte words; enough mixing for a linear-probing
/// table whose index is the low bits and whose tag is the high ones.
#[inline]
fn hash(v: &[u8], seed: u64) -> u64 {
    let n = v.len();
    let mut h = seed ^ (n as u64).wrapping_mul(K);
    if n <= 8 {
        h = (h ^ short_word(v)).wrapping_mul(K);
    } else {
        let mut words = v.chunks_exact(8);
        for w in &mut words {
            h = (h ^ u64::from_le_bytes(w.try_into().expect("8 bytes"))).wrapping_mul(K);
            h ^= h >> 29;
        }
        if !words.remainder().is_empty() {
            h = (h ^ u64::from_le_bytes(v[n - 8..].try_into().expect("8 bytes"))).wrapping_mul(K);
        }
    }
    h = (h ^ (h >> 32)).wrapping_mul(K);
    h ^ (h >> 29)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use arrow::array::Array;
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Ids are those of a map filled in order of first sight, whatever the
        /// values (empty, long, sharing prefixes, many).
        #[test]
        fn ids_are_first_sight_order(values in prop::collection::vec("[a-c]{0,3}|[0-9A-Z]{5}|.{0,20}", 0..3000)) {
            let mut interner = Interner::default();
            let mut expected: HashMap<&str, u32> = HashMap::new();
            for v in &values {
                let n = expected.len() as u32;
                let want = *expected.entry(v.as_str()).or_insert(n);
                prop_assert_eq!(interner.intern(v), want);
            }
            prop_assert_eq!(interner.len(), expected.len());
            let array = interner.to_array();
            for (v, id) in &expected {
                prop_assert_eq!(array.value(*id as usize), *v);
                prop_assert_eq!(interner.get(*id), v.as_bytes());
            }
        }
    }

    #[test]
    fn clear_starts_again_and_plain_is_length_prefixed() {
        let mut i = Interner::default();
        assert_eq!(i.intern("62119"), 0);
        assert_eq!(i.intern(""), 1);
        assert_eq!(i.intern("62119"), 0);
        assert_eq!(i.plain(), b"\x05\0\0\x0062119\0\0\0\0".to_vec());
        i.clear();
        assert!(i.is_empty());
        assert_eq!(i.intern("2A004"), 0);
        assert_eq!(i.to_array().len(), 1);
    }
}
