//! A small deterministic generator (xorshift64) for the randomized tests
//! (`tests/linearizability.rs`, `tests/soak.rs`), so a run is named by its
//! seed. Included with `#[path]`.

/// xorshift64 state; the seed must not be 0 (callers pass `seed | 1`).
pub struct Rng(pub u64);

impl Rng {
    /// The next value, below `n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}
