//! The iteration order of a Java `HashMap<String, _>` / `HashSet<String>`, which RCTab's output
//! depends on (rows of equal tallies in its CSV; the fallback list of a previous-rounds tie).
//!
//! Java hashes a string over its UTF-16 code units (s[0]·31^(n−1) + … + s[n−1], wrapping at 32
//! bits), spreads it (h XOR h>>>16), and iterates buckets in index order (index = spread AND
//! (capacity − 1)), inside a bucket in insertion order. A table starts at 16 buckets and doubles
//! whenever its size exceeds 0.75 × capacity; resizing keeps the relative order within a bucket,
//! so the final order is "by bucket in the final capacity, then by insertion".

/// `String.hashCode()`.
pub fn string_hash(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

fn spread(h: i32) -> u32 {
    let h = h as u32;
    h ^ (h >> 16)
}

/// The capacity a table reaches after inserting `n` keys one by one into `new HashMap<>()`.
pub fn capacity_after_inserts(n: usize) -> usize {
    let mut capacity = 16usize;
    while n * 4 > capacity * 3 {
        capacity *= 2;
    }
    capacity
}

/// The capacity of `new HashSet<>(collection)` for a collection of `n`:
/// `max((int)(n / 0.75f) + 1, 16)` rounded up to a power of two.
pub fn capacity_of_copy(n: usize) -> usize {
    let wanted = ((n as f32 / 0.75f32) as usize + 1).max(16);
    wanted.next_power_of_two()
}

/// The order in which a Java hash table of `capacity` buckets iterates these keys, given in
/// insertion order; returns indices into `keys`.
pub fn iteration_order(keys: &[&str], capacity: usize) -> Vec<usize> {
    let mask = capacity.max(1) as u32 - 1;
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by_key(|&i| (spread(string_hash(keys[i])) & mask, i));
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_hashes_match_java() {
        // "".hashCode() = 0, "a" = 97, "Aa" and "BB" collide at 2112, "hello" = 99162322.
        assert_eq!(string_hash(""), 0);
        assert_eq!(string_hash("a"), 97);
        assert_eq!(string_hash("Aa"), 2112);
        assert_eq!(string_hash("BB"), 2112);
        assert_eq!(string_hash("hello"), 99_162_322);
        // Wrapping: "polygenelubricants".hashCode() = Integer.MIN_VALUE.
        assert_eq!(string_hash("polygenelubricants"), i32::MIN);
    }

    #[test]
    fn capacities() {
        assert_eq!(capacity_after_inserts(12), 16);
        assert_eq!(capacity_after_inserts(13), 32);
        assert_eq!(capacity_of_copy(2), 16);
        // (int)(11 / 0.75f) + 1 = 15 → 16; (int)(12 / 0.75f) + 1 = 17 → 32.
        assert_eq!(capacity_of_copy(11), 16);
        assert_eq!(capacity_of_copy(12), 32);
    }
}
