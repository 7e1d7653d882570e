//! Cheap deterministic mutations for the corpus-replay test: not a fuzzer, just the hostile
//! edits that find the usual decoder bugs (flipped bits, huge length prefixes, truncation,
//! spliced chunks) on every CI run, reproducibly.

/// xorshift64*: deterministic, no dependency.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed (any value; zero is remapped).
    #[must_use]
    pub fn new(seed: u64) -> Self {
        Self(seed | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A value in `0..n` (`0` when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            // Truncation is the point: a uniform-enough index.
            #[allow(clippy::cast_possible_truncation)]
            let r = self.next_u64() as usize;
            r % n
        }
    }
}

/// Values that break length and index arithmetic.
const INTERESTING: [u64; 10] = [
    0,
    1,
    0x7f,
    0xff,
    0xffff,
    0x7fff_ffff,
    0xffff_ffff,
    1 << 32,
    1 << 40,
    u64::MAX,
];

/// One to four random edits of `input`.
#[must_use]
pub fn mutate(input: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut b = input.to_vec();
    for _ in 0..=rng.below(4) {
        edit(&mut b, rng);
    }
    b
}

fn edit(b: &mut Vec<u8>, rng: &mut Rng) {
    let at = rng.below(b.len() + 1);
    match rng.below(8) {
        0 if !b.is_empty() => {
            let i = rng.below(b.len());
            b[i] ^= 1 << rng.below(8);
        }
        1 if !b.is_empty() => {
            let i = rng.below(b.len());
            b[i] = [0, 0xff, 0x7f, 0x80, b'0', b'"', b'['][rng.below(7)];
        }
        2 => {
            let v = INTERESTING[rng.below(INTERESTING.len())];
            let bytes = match rng.below(4) {
                0 => v.to_le_bytes().to_vec(),
                1 => v.to_be_bytes().to_vec(),
                2 => (v as u32).to_le_bytes().to_vec(),
                _ => v.to_string().into_bytes(),
            };
            let end = (at + bytes.len()).min(b.len());
            b.splice(at..end, bytes);
        }
        3 => b.truncate(at),
        4 if !b.is_empty() => {
            let start = rng.below(b.len());
            let len = rng.below((b.len() - start).min(64) + 1);
            let chunk = b[start..start + len].to_vec();
            let to = rng.below(b.len() + 1);
            b.splice(to..to, chunk);
        }
        5 if !b.is_empty() => {
            let start = rng.below(b.len());
            let len = rng.below((b.len() - start).min(64) + 1);
            b.drain(start..start + len);
        }
        6 => {
            let n = rng.below(16) + 1;
            let fresh: Vec<u8> = (0..n).map(|_| rng.next_u64().to_le_bytes()[0]).collect();
            b.splice(at..at, fresh);
        }
        _ => {
            let i = rng.below(b.len() + 1);
            b.insert(i, 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutations_are_deterministic_and_change_things() {
        let seed = b"hello, fuzzer: 0123456789".to_vec();
        let run = || {
            let mut r = Rng::new(7);
            (0..50).map(|_| mutate(&seed, &mut r)).collect::<Vec<_>>()
        };
        let a = run();
        assert_eq!(a, run());
        assert!(a.iter().filter(|m| **m != seed).count() > 40);
    }
}
