//! Deterministic derivation of anything from (seed, index, salt): a splitmix64 mixer.
//! Nothing in the generated enterprise is stored if it can be recomputed from these.

#[inline]
pub fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A hash of the seed and a few integers.
#[inline]
pub fn h(seed: u64, a: u64, b: u64) -> u64 {
    mix(mix(mix(seed) ^ a) ^ b.wrapping_mul(0x2545_F491_4F6C_DD1D))
}

/// A uniform float in [0, 1) from a hash.
#[inline]
pub fn unit(x: u64) -> f64 {
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// A small sequential generator for places that need several draws.
#[derive(Clone)]
pub struct Draw(u64);

impl Draw {
    pub fn new(seed: u64, a: u64, b: u64) -> Self {
        Draw(h(seed, a, b))
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = mix(self.0);
        self.0
    }
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }
    pub fn chance(&mut self, p: f64) -> bool {
        unit(self.next_u64()) < p
    }
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo).max(1))
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    /// Log-uniform integer in [lo, hi): many small values, a few large ones.
    pub fn log_range(&mut self, lo: u64, hi: u64) -> u64 {
        let (l, u) = ((lo.max(1) as f64).ln(), (hi.max(2) as f64).ln());
        (l + unit(self.next_u64()) * (u - l)).exp() as u64
    }
}
