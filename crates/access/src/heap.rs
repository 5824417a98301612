//! A radix heap: a priority queue for monotone integer keys.
//!
//! Dijkstra's algorithm only ever pushes keys at least as large as the last one
//! popped. A radix heap uses that: items sit in 33 buckets by the highest bit in which
//! their key differs from the last popped key, and each item moves down at most 32
//! times. On road graphs this beats a binary heap by a wide margin (no sift-down
//! through a deep tree of cache-missing entries).

/// A min-queue of `(key, value)` pairs whose keys never go below the last popped key.
pub struct RadixHeap<T: Copy> {
    last: u32,
    len: usize,
    buckets: Vec<Vec<(u32, T)>>,
}

impl<T: Copy> Default for RadixHeap<T> {
    fn default() -> Self {
        Self::new()
    }
}

fn bucket(key: u32, last: u32) -> usize {
    (32 - (key ^ last).leading_zeros()) as usize
}

impl<T: Copy> RadixHeap<T> {
    /// An empty heap whose last popped key is 0.
    pub fn new() -> Self {
        RadixHeap { last: 0, len: 0, buckets: (0..33).map(|_| Vec::new()).collect() }
    }

    /// Empties the heap and makes 0 the last popped key (buffers are kept).
    pub fn clear(&mut self) {
        for b in &mut self.buckets {
            b.clear();
        }
        self.last = 0;
        self.len = 0;
    }

    /// Items in the heap.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the heap holds no item.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Pushes `value` with `key`; `key` must not be below the last popped key.
    #[inline]
    pub fn push(&mut self, key: u32, value: T) {
        debug_assert!(key >= self.last, "radix heap: key {key} below last popped {}", self.last);
        self.buckets[bucket(key, self.last)].push((key, value));
        self.len += 1;
    }

    /// Pops a pair with the smallest key.
    #[inline]
    pub fn pop(&mut self) -> Option<(u32, T)> {
        if self.buckets[0].is_empty() {
            let i = self.buckets.iter().position(|b| !b.is_empty())?;
            let items = std::mem::take(&mut self.buckets[i]);
            self.last = items.iter().map(|x| x.0).min().unwrap_or(self.last);
            for &(k, v) in &items {
                self.buckets[bucket(k, self.last)].push((k, v));
            }
            // Give the emptied buffer back so its capacity is reused.
            let mut items = items;
            items.clear();
            self.buckets[i] = items;
        }
        let item = self.buckets[0].pop()?;
        self.len -= 1;
        Some(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_key_order_with_monotone_pushes() {
        let mut h = RadixHeap::new();
        let mut x: u64 = 12345;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % 1000) as u32
        };
        let mut last = 0;
        for k in 0..200 {
            h.push(next() + 1, k);
        }
        let mut popped = 0;
        while let Some((k, _)) = h.pop() {
            assert!(k >= last);
            last = k;
            popped += 1;
            if popped < 500 {
                h.push(k + next(), 0);
            }
        }
        assert_eq!(popped, 200 + 499);
        assert!(h.is_empty());
        h.clear();
        h.push(0, 1);
        assert_eq!(h.pop(), Some((0, 1)));
    }
}
