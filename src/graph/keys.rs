//! The symbol table's index: each key's position in the list of live keys.

/// Positions in a list of keys, found by the keys' hashes: an open-addressing
/// table of `u64`s, each a position and the high 32 bits of its key's hash.
///
/// A large flow looks up millions of names in a table of a million keys, and
/// each lookup misses the cache. Here one lookup reads one entry, then the
/// key it points to (only when the 32 bits match, nearly always the right
/// key): two misses, where `hashbrown` takes three (its control bytes and its
/// entries are apart).
///
/// An entry's place comes from the same 32 bits it keeps, so the table grows
/// without reading the keys again.
#[derive(Clone, Debug, Default)]
pub(crate) struct KeyTable {
    /// A power of two long (or empty); [`EMPTY`] where there is no entry.
    entries: Vec<u64>,
    len: usize,
}

/// No entry (every entry's low half is its position plus one).
const EMPTY: u64 = 0;

/// The part of an entry taken from the hash.
const HIGH: u64 = !(u32::MAX as u64);

/// An entry: the hash's high 32 bits above the position plus one.
fn entry(hash: u64, pos: u32) -> u64 {
    (hash & HIGH) | (u64::from(pos) + 1)
}

/// The position an entry holds.
fn position(e: u64) -> u32 {
    u32::try_from((e & !HIGH).saturating_sub(1)).unwrap_or(u32::MAX)
}

/// Where a probe for `hash` (or an entry) starts, in a table of `len` entries.
fn home(hash: u64, len: usize) -> usize {
    usize::try_from(hash >> 32).unwrap_or(0) & (len - 1)
}

impl KeyTable {
    /// A table with room for `n` keys before it grows.
    pub(crate) fn with_capacity(n: usize) -> Self {
        KeyTable {
            // Zeroed memory is only paged in where entries are written.
            entries: vec![EMPTY; n.max(8).next_power_of_two()],
            len: 0,
        }
    }

    /// The position for `hash` at which `is` holds (it compares the key there).
    pub(crate) fn find(&self, hash: u64, mut is: impl FnMut(u32) -> bool) -> Option<u32> {
        if self.entries.is_empty() {
            return None;
        }
        let mut i = home(hash, self.entries.len());
        loop {
            let e = *self.entries.get(i)?;
            if e == EMPTY {
                return None;
            }
            if e & HIGH == hash & HIGH && is(position(e)) {
                return Some(position(e));
            }
            i = (i + 1) & (self.entries.len() - 1);
        }
    }

    /// Adds `pos` (below `u32::MAX`), whose key hashes to `hash` and is not in the table yet.
    pub(crate) fn insert(&mut self, hash: u64, pos: u32) {
        if pos == u32::MAX {
            return;
        }
        // At most three quarters full: probes stay short.
        if (self.len + 1) * 4 > self.entries.len() * 3 {
            let len = (self.entries.len() * 2).max(8);
            let old = std::mem::replace(&mut self.entries, vec![EMPTY; len]);
            for e in old.into_iter().filter(|&e| e != EMPTY) {
                self.place(e);
            }
        }
        self.place(entry(hash, pos));
        self.len += 1;
    }

    /// Writes entry `e` into the first free place from its home.
    fn place(&mut self, e: u64) {
        let mask = self.entries.len() - 1;
        let mut i = home(e, self.entries.len());
        while let Some(slot) = self.entries.get_mut(i) {
            if *slot == EMPTY {
                *slot = e;
                return;
            }
            i = (i + 1) & mask;
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::KeyTable;
    use crate::graph::key_hash;

    fn keys(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("op{i}")).collect()
    }

    fn fill(table: &mut KeyTable, keys: &[String]) {
        for (i, k) in keys.iter().enumerate() {
            let pos = u32::try_from(i).unwrap();
            assert_eq!(table.find(key_hash(k), |p| keys[p as usize] == *k), None);
            table.insert(key_hash(k), pos);
        }
    }

    #[test]
    fn finds_every_key_it_holds_and_no_other() {
        for start in [0, 1, 5000] {
            let keys = keys(5000);
            // From empty (it grows many times) and with room for all.
            let mut table = KeyTable::with_capacity(start);
            fill(&mut table, &keys);
            for (i, k) in keys.iter().enumerate() {
                let found = table.find(key_hash(k), |p| keys[p as usize] == *k);
                assert_eq!(found, Some(u32::try_from(i).unwrap()));
            }
            for other in ["op5000", "", "op-1", "Op1"] {
                assert_eq!(
                    table.find(key_hash(other), |p| keys[p as usize] == other),
                    None
                );
            }
        }
    }

    #[test]
    fn keys_with_the_same_hash_are_told_apart_by_their_key() {
        // Every key "hashes" alike: only the comparison finds the right one.
        let keys = keys(100);
        let mut table = KeyTable::with_capacity(0);
        for i in 0..100 {
            table.insert(42, i);
        }
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(
                table.find(42, |p| keys[p as usize] == *k),
                Some(u32::try_from(i).unwrap())
            );
        }
    }

    #[test]
    fn an_empty_table_finds_nothing() {
        assert_eq!(KeyTable::default().find(key_hash("a"), |_| true), None);
    }
}
