//! R1CS gadgets, one file per primitive (the same file names as `verinfer_ir::ops`), plus the
//! shared building blocks below: witness allocation, products and bit decompositions.

pub(crate) mod binary;
pub(crate) mod contract;
pub(crate) mod div;
pub(crate) mod gather;
pub(crate) mod isqrt;
pub(crate) mod lookup;
pub(crate) mod movement;
pub(crate) mod poseidon;
pub(crate) mod reduce;
pub(crate) mod rescale;
pub(crate) mod sha256;

use ark_bn254::Fr;
use ark_ff::AdditiveGroup;
use ark_relations::gr1cs::{ConstraintSystemRef, LinearCombination, SynthesisError, Variable};

use crate::circuit::Src;
use crate::wire::{check, fr, Lc, TooWide, Wire};
use verinfer_ir::ops::binary::pair_indices;

/// Why a gadget failed.
#[derive(Debug)]
pub(crate) enum GadgetError {
    /// A bound left the exact range.
    Wide(u32),
    /// The node does not fit its op (an unvalidated graph).
    Malformed(&'static str),
    /// The constraint system failed.
    Synth(SynthesisError),
}

impl From<TooWide> for GadgetError {
    fn from(_: TooWide) -> Self {
        GadgetError::Wide(crate::wire::MAX_WIRE_BITS)
    }
}

impl From<SynthesisError> for GadgetError {
    fn from(e: SynthesisError) -> Self {
        GadgetError::Synth(e)
    }
}

/// Result of a gadget.
pub(crate) type GResult<T> = Result<T, GadgetError>;

/// The operand of a one-input node (`Rescale`, `Reduce`, `ISqrt`); `what` says which node
/// lacked it.
pub(crate) fn sole<'s, 'a>(srcs: &'s [Src<'a>], what: &'static str) -> GResult<&'s Src<'a>> {
    srcs.first().ok_or(GadgetError::Malformed(what))
}

/// The two operands of a broadcasting binary node (`Binary`, `Div`) at element `j` of its
/// output shape `out`; `what` says which node lacked one.
pub(crate) fn broadcast_pair(
    srcs: &[Src<'_>],
    out: &[usize],
    j: usize,
    what: &'static str,
) -> GResult<(Wire, Wire)> {
    match srcs {
        [x, w, ..] => {
            let (xi, wi) = pair_indices(x.shape, w.shape, out, j);
            Ok((x.get(xi), w.get(wi)))
        }
        _ => Err(GadgetError::Malformed(what)),
    }
}

/// The constraint system being built.
pub(crate) struct Builder {
    pub(crate) cs: ConstraintSystemRef<Fr>,
}

impl Builder {
    /// A private variable holding `val`.
    pub(crate) fn witness(&self, val: Fr) -> GResult<Variable> {
        Ok(self.cs.new_witness_variable(|| Ok(val))?)
    }

    /// A public variable holding `val`.
    pub(crate) fn instance(&self, val: Fr) -> GResult<Variable> {
        Ok(self.cs.new_input_variable(|| Ok(val))?)
    }

    /// Enforce `a · b = c` (one constraint).
    pub(crate) fn enforce(&self, a: Lc, b: Lc, c: Lc) -> GResult<()> {
        Ok(self.cs.enforce_r1cs_constraint(|| a, || b, || c)?)
    }

    /// Enforce `a = b` (one constraint).
    pub(crate) fn enforce_eq(&self, a: Lc, b: Lc) -> GResult<()> {
        self.enforce(a, one(), b)
    }

    /// `a · b` of two wires: free when one is a constant, else one constraint.
    pub(crate) fn mul(&self, a: &Wire, b: &Wire) -> GResult<Wire> {
        if a.is_const() {
            return Ok(b.scaled(a.val)?);
        }
        if b.is_const() {
            return Ok(a.scaled(b.val)?);
        }
        let corners = [
            a.lo.checked_mul(b.lo),
            a.lo.checked_mul(b.hi),
            a.hi.checked_mul(b.lo),
            a.hi.checked_mul(b.hi),
        ];
        let corners: Option<Vec<i128>> = corners.into_iter().collect();
        let corners = corners.ok_or(TooWide)?;
        let lo = corners.iter().copied().min().unwrap_or(0);
        let hi = corners.iter().copied().max().unwrap_or(0);
        let (lo, hi) = (check(lo)?, check(hi)?);
        let val = a.val.saturating_mul(b.val);
        let p = self.witness(fr(val))?;
        self.enforce(a.lc.clone(), b.lc.clone(), var(p))?;
        Ok(Wire::var(p, val, lo, hi))
    }

    /// Decompose `u` (which must be an integer in `[0, 2^n)` for an honest witness, `val` its
    /// value) into `n` boolean variables, enforcing `u = Σ b_i 2^i`: `n + 1` constraints.
    /// Afterwards `u` is proven to lie in `[0, 2^n)` (as `n < 253`).
    pub(crate) fn bits(&self, u: &Lc, val: i128, n: u32) -> GResult<Vec<Variable>> {
        let bits = self.bits_free(val, n)?;
        self.enforce_eq(u.clone(), weighted(&bits))?;
        Ok(bits)
    }

    /// `n` boolean variables holding the low `n` bits of `val` (`n` constraints); their
    /// weighted sum is an integer in `[0, 2^n)`.
    pub(crate) fn bits_free(&self, val: i128, n: u32) -> GResult<Vec<Variable>> {
        if n > 126 {
            return Err(GadgetError::Wide(126));
        }
        // Two's complement bits of a (possibly dishonest) value: never panics.
        #[allow(clippy::cast_sign_loss)]
        let raw = val as u128;
        let mut out = Vec::with_capacity(n as usize);
        for i in 0..n {
            let b = self.witness(Fr::from(u8::from((raw >> i) & 1 == 1)))?;
            // b · (b - 1) = 0
            self.enforce(var(b), var(b) - (Fr::from(1u8), Variable::One), zero())?;
            out.push(b);
        }
        Ok(out)
    }
}

/// The linear combination `1`.
pub(crate) fn one() -> Lc {
    LinearCombination(vec![(Fr::from(1u8), Variable::One)])
}

/// The linear combination `0`.
pub(crate) fn zero() -> Lc {
    LinearCombination(Vec::new())
}

/// The linear combination `v`.
pub(crate) fn var(v: Variable) -> Lc {
    LinearCombination(vec![(Fr::from(1u8), v)])
}

/// `Σ 2^i b_i` over `bits`.
pub(crate) fn weighted(bits: &[Variable]) -> Lc {
    let mut sum = LinearCombination(Vec::with_capacity(bits.len()));
    let mut pow = Fr::from(1u8);
    for &b in bits {
        sum.0.push((pow, b));
        pow.double_in_place();
    }
    sum
}
