//! Deterministic pseudo-random streams for test data: `Rng` (splitmix64, the generators' and
//! the executor tests' stream) and `Lcg` (Knuth's MMIX LCG, the zk fixtures' stream). Both are
//! part of what the tests pin: a seed means the same values forever.

use verinfer_ir::{Bits, Requant};

/// splitmix64: every structure and value of a case derives from one seed.
#[derive(Clone, Debug)]
pub struct Rng(pub u64);

impl Rng {
    /// From a seed.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// Next 64 random bits.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A fair coin.
    pub fn coin(&mut self) -> bool {
        self.next() & 1 == 0
    }

    /// Uniform in `[lo, hi]`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % ((hi - lo + 1) as u64)) as i64
    }

    /// Uniform in `[lo, hi]`.
    pub fn size(&mut self, lo: usize, hi: usize) -> usize {
        self.range(lo as i64, hi as i64) as usize
    }

    /// `n` values within a `bits`-bit bound, extremes and zero over-represented.
    pub fn data(&mut self, n: usize, bits: u32) -> Vec<i32> {
        let b = Bits::new(bits).unwrap();
        (0..n)
            .map(|_| match self.next() % 8 {
                0 => b.min_value() as i32,
                1 => b.max_value() as i32,
                2 => 0,
                _ => self.range(b.min_value(), b.max_value()) as i32,
            })
            .collect()
    }

    /// A shape of rank in `[rank_lo, rank_hi]` with every dimension in `[1, hi]`.
    pub fn dims(&mut self, rank_lo: usize, rank_hi: usize, hi: usize) -> Vec<usize> {
        let r = self.size(rank_lo, rank_hi);
        (0..r).map(|_| self.size(1, hi)).collect()
    }

    /// A requant epilogue saturating to `bits`: multipliers and shifts of every size (the shift
    /// sometimes past Rust's cap of 126), and a quarter of the time only the clamp.
    pub fn requant(&mut self, bits: u32) -> Requant {
        if self.next().is_multiple_of(4) {
            // Only the clamp: every difference below it shows.
            return Requant::clamp_only(Bits::new(bits).unwrap());
        }
        let mult = match self.next() % 6 {
            0 => 1,
            1 => self.range(1, 1 << 40),
            2 => -self.range(1, 1 << 20),
            _ => self.range(1, 1 << 12),
        };
        let shift = match self.next() % 8 {
            0 => 0,
            1 => self.range(60, 200) as u32,
            _ => self.range(1, 24) as u32,
        };
        Requant {
            mult,
            shift,
            bits: Bits::new(bits).unwrap(),
        }
    }
}

/// Knuth's MMIX linear congruential generator, high bits out.
#[derive(Clone, Debug)]
pub struct Lcg(pub u64);

impl Lcg {
    /// From a seed (the state itself: the first output already mixes it).
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// Next 31 random bits.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    /// Uniform in `[lo, hi]`, with the extremes mixed in.
    pub fn int(&mut self, lo: i64, hi: i64) -> i32 {
        let r = self.next();
        let x = match r % 11 {
            0 => lo,
            1 => hi,
            _ => lo + (r / 11) as i64 % (hi - lo + 1),
        };
        i32::try_from(x).unwrap()
    }
}

/// A proptest runner of `cases` cases on proptest's fixed default seed, persisting no failures
/// (the differential tests drive it by hand with `runner.run(&strategy, …)`).
pub fn runner(cases: u32) -> proptest::test_runner::TestRunner {
    proptest::test_runner::TestRunner::new(proptest::test_runner::Config {
        cases,
        failure_persistence: None,
        ..proptest::test_runner::Config::default()
    })
}
