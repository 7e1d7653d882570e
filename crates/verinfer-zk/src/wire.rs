//! A wire: one integer of the computation as a linear combination of circuit variables, with
//! the integer the witness gives it and static bounds that hold for every honest witness.

use ark_bn254::Fr;
use ark_relations::gr1cs::{LinearCombination, Variable};

/// Linear combinations over the BN254 scalar field.
pub(crate) type Lc = LinearCombination<Fr>;

/// Largest magnitude (log2) a wire's bound may reach. Keeping every wire below 2^120 keeps
/// every linear relation of the circuit far from the field modulus (≈ 2^253), so field
/// equalities are integer equalities.
pub(crate) const MAX_WIRE_BITS: u32 = 120;

/// Bound arithmetic left the exact range ([`MAX_WIRE_BITS`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct TooWide;

/// Field element of a signed integer (negative values as `p - |x|`).
pub(crate) fn fr(v: i128) -> Fr {
    Fr::from(v)
}

/// `v` if it lies inside the exact range ([`MAX_WIRE_BITS`]).
pub(crate) fn check(v: i128) -> Result<i128, TooWide> {
    if v.unsigned_abs() < (1u128 << MAX_WIRE_BITS) {
        Ok(v)
    } else {
        Err(TooWide)
    }
}

/// One integer of the computation.
///
/// Invariant (soundness): for every assignment satisfying the constraints emitted so far, `lc`
/// evaluates to an integer in `[lo, hi]`; `val` is the value of the witness being built
/// (meaningless in setup mode).
#[derive(Clone, Debug)]
pub(crate) struct Wire {
    pub(crate) lc: Lc,
    pub(crate) val: i128,
    pub(crate) lo: i128,
    pub(crate) hi: i128,
}

impl Wire {
    /// A constant (costs nothing).
    pub(crate) fn constant(c: i128) -> Self {
        Self {
            lc: LinearCombination(vec![(fr(c), Variable::One)]),
            val: c,
            lo: c,
            hi: c,
        }
    }

    /// A variable whose range the caller has already enforced.
    pub(crate) fn var(v: Variable, val: i128, lo: i128, hi: i128) -> Self {
        Self {
            lc: LinearCombination(vec![(Fr::from(1u8), v)]),
            val,
            lo,
            hi,
        }
    }

    /// An empty sum.
    pub(crate) fn zero() -> Self {
        Self {
            lc: LinearCombination(Vec::new()),
            val: 0,
            lo: 0,
            hi: 0,
        }
    }

    /// Whether the wire is a constant (only the `One` variable).
    pub(crate) fn is_const(&self) -> bool {
        self.lc.0.iter().all(|(_, v)| *v == Variable::One)
    }

    /// `self += c · other` (linear: no constraint).
    pub(crate) fn add_scaled(&mut self, other: &Wire, c: i128) -> Result<(), TooWide> {
        if c == 0 {
            return Ok(());
        }
        let cf = fr(c);
        self.lc
            .0
            .extend(other.lc.0.iter().map(|&(k, v)| (k * cf, v)));
        let (a, b) = (
            other.lo.checked_mul(c).ok_or(TooWide)?,
            other.hi.checked_mul(c).ok_or(TooWide)?,
        );
        self.lo = check(self.lo.checked_add(a.min(b)).ok_or(TooWide)?)?;
        self.hi = check(self.hi.checked_add(a.max(b)).ok_or(TooWide)?)?;
        self.val = self.val.saturating_add(other.val.saturating_mul(c));
        Ok(())
    }

    /// `self += c` (linear: no constraint).
    pub(crate) fn add_const(&mut self, c: i128) -> Result<(), TooWide> {
        self.add_scaled(&Wire::constant(1), c)
    }

    /// `c · self`.
    pub(crate) fn scaled(&self, c: i128) -> Result<Self, TooWide> {
        let mut w = Wire::zero();
        w.add_scaled(self, c)?;
        w.finish();
        Ok(w)
    }

    /// `self + c · other` as a new wire.
    pub(crate) fn plus(&self, other: &Wire, c: i128) -> Result<Self, TooWide> {
        let mut w = self.clone();
        w.add_scaled(other, c)?;
        w.finish();
        Ok(w)
    }

    /// Merge duplicate variables of the linear combination.
    pub(crate) fn finish(&mut self) {
        self.lc.compactify();
    }

    /// Smallest `n` with `-2^n <= lo` and `hi < 2^n`.
    pub(crate) fn signed_width(&self) -> u32 {
        let mut n = 0u32;
        while n < 127 && (self.lo < -(1i128 << n) || self.hi >= (1i128 << n)) {
            n += 1;
        }
        n
    }
}
