//! The recording interpretation of the verifier's arithmetic ([`crate::arith::Fe`]): a
//! verifier run over [`Rec`] inside [`record`] writes every operation it performs down as a
//! `verinfer_tape` tape — proof words as witnesses, its checks as assertions, its transcript
//! as Poseidon hashes ([`PoseidonTranscript`]) — which `verinfer-wrap` proves in a small outer
//! proof for the EVM (docs/sumcheck.md, "Reaching ≤ 2M gas").
//!
//! Why a thread-local builder: [`Fe`] values are `Copy` and combine by operators, so the
//! verifier's code reads the same over `Fr` and over `Rec`; the builder they append to is the
//! one [`record`] installed on this thread for the duration of its closure. A `Rec` made
//! outside [`record`] is a plain value (it records nothing), and one from another run is
//! refused: [`record`] returns [`RecordError::Tape`] naming the op.
//!
//! Constants fold: an operation on two constants gives a constant, recorded only where it
//! meets a recorded value (once per distinct value), so the shape's arithmetic (sizes,
//! Lagrange weights, powers of two) costs the outer circuit nothing.

use std::cell::RefCell;
use std::iter::{Product, Sum};
use std::ops::{Add, AddAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use ark_bn254::Fr;
use ark_ff::{Field, One, PrimeField, Zero};
use verinfer_tape::{Tape, TapeBuilder, TapeError, Values, Var};

use crate::arith::{Fe, Fs};

/// Why a recording failed (the verifier's own verdict is the closure's result).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// An operation the builder refused (a value from another recording).
    #[error("recording the verifier: {0}")]
    Tape(#[from] TapeError),
    /// [`record`] called inside another recording on the same thread.
    #[error("a recording is already running on this thread")]
    Nested,
    /// A recorded value of another recording used in this one.
    #[error("a value recorded by another recording was used in this one")]
    Foreign,
}

struct Session {
    builder: TapeBuilder,
    id: u64,
    /// The first error an operation met (recorded ops cannot return one).
    error: Option<RecordError>,
}

thread_local! {
    static SESSION: RefCell<Option<Session>> = const { RefCell::new(None) };
    static NEXT_ID: std::cell::Cell<u64> = const { std::cell::Cell::new(1) };
}

/// The running recording's id (0 outside [`record`]).
fn current_id() -> u64 {
    SESSION.with(|s| s.borrow().as_ref().map_or(0, |s| s.id))
}

/// Remember `e` as the running recording's error (the first one wins).
fn fail(e: RecordError) {
    SESSION.with(|s| {
        if let Some(session) = s.borrow_mut().as_mut() {
            session.error.get_or_insert(e);
        }
    });
}

/// Run `f` with a fresh tape, and return its result with the tape and the run's values.
///
/// # Errors
/// [`RecordError::Nested`] inside another recording; [`RecordError::Tape`] for an operation
/// on a value from another recording.
pub fn record<R>(f: impl FnOnce() -> R) -> Result<(R, Tape, Values), RecordError> {
    let fresh = SESSION.with(|s| {
        let mut s = s.borrow_mut();
        if s.is_some() {
            return false;
        }
        let id = NEXT_ID.with(|n| {
            let id = n.get();
            n.set(id + 1);
            id
        });
        *s = Some(Session {
            builder: TapeBuilder::new(),
            id,
            error: None,
        });
        true
    });
    if !fresh {
        return Err(RecordError::Nested);
    }
    let out = f();
    let session = SESSION.with(|s| s.borrow_mut().take());
    let Some(session) = session else {
        return Err(RecordError::Nested);
    };
    if let Some(e) = session.error {
        return Err(e);
    }
    let (tape, values) = session.builder.finish();
    Ok((out, tape, values))
}

/// Apply `op` to the running builder, if any; `None` outside [`record`] or after an error.
fn with_builder<T>(op: impl FnOnce(&mut TapeBuilder) -> Result<T, TapeError>) -> Option<T> {
    SESSION.with(|s| {
        let mut s = s.borrow_mut();
        let session = s.as_mut()?;
        if session.error.is_some() {
            return None;
        }
        match op(&mut session.builder) {
            Ok(v) => Some(v),
            Err(e) => {
                session.error = Some(e.into());
                None
            }
        }
    })
}

/// A value of a recorded verifier run: its recorded [`Var`] (none for a constant, or outside
/// [`record`]) and its value in this run.
#[derive(Clone, Copy, Debug)]
pub struct Rec {
    var: Option<Var>,
    val: Fr,
    /// The recording that defined `var`.
    session: u64,
}

impl Rec {
    /// A new public input of the outer proof, `x` in this run (a claim the chain checks
    /// itself: a public tensor's value, an opening's point and value).
    #[must_use]
    pub fn public(x: Fr) -> Self {
        Self::recorded(with_builder(|b| Ok(b.public(x))), x)
    }

    /// A value recorded by the running recording (`var`), or a plain value outside one.
    fn recorded(var: Option<Var>, val: Fr) -> Self {
        Self {
            var,
            val,
            session: current_id(),
        }
    }

    /// Make `self` a public input too: a new public input constrained equal to it (what the
    /// verifier leaves for the chain to check, e.g. an opening's point and value).
    #[must_use]
    pub fn publish(self) -> Self {
        let p = Self::public(self.val);
        let _ = self.same(p);
        p
    }

    /// The recorded var, materializing a constant; `None` (and the recording's error) for
    /// a value another recording defined.
    fn var(self) -> Option<Var> {
        match self.var {
            Some(_) if self.session != current_id() => {
                fail(RecordError::Foreign);
                None
            }
            Some(v) => Some(v),
            None => with_builder(|b| Ok(b.constant(self.val))),
        }
    }

    /// `op` on the recorded vars of `a` and `b` with value `val`; a constant if both are.
    fn binary(
        a: Self,
        b: Self,
        val: Fr,
        op: impl FnOnce(&mut TapeBuilder, Var, Var) -> Result<Var, TapeError>,
    ) -> Self {
        if a.var.is_none() && b.var.is_none() {
            return Self::constant(val);
        }
        let var = match (a.var(), b.var()) {
            (Some(x), Some(y)) => with_builder(|bld| op(bld, x, y)),
            _ => None,
        };
        Self::recorded(var, val)
    }
}

impl Add for Rec {
    type Output = Self;
    fn add(self, o: Self) -> Self {
        Self::binary(self, o, self.val + o.val, TapeBuilder::add)
    }
}

impl Sub for Rec {
    type Output = Self;
    fn sub(self, o: Self) -> Self {
        Self::binary(self, o, self.val - o.val, TapeBuilder::sub)
    }
}

impl Mul for Rec {
    type Output = Self;
    fn mul(self, o: Self) -> Self {
        Self::binary(self, o, self.val * o.val, TapeBuilder::mul)
    }
}

impl Neg for Rec {
    type Output = Self;
    fn neg(self) -> Self {
        Self::constant(<Fr as Zero>::zero()) - self
    }
}

impl AddAssign for Rec {
    fn add_assign(&mut self, o: Self) {
        *self = *self + o;
    }
}

impl SubAssign for Rec {
    fn sub_assign(&mut self, o: Self) {
        *self = *self - o;
    }
}

impl MulAssign for Rec {
    fn mul_assign(&mut self, o: Self) {
        *self = *self * o;
    }
}

impl Sum for Rec {
    fn sum<I: Iterator<Item = Self>>(it: I) -> Self {
        it.fold(Self::constant(<Fr as Zero>::zero()), |a, b| a + b)
    }
}

impl Product for Rec {
    fn product<I: Iterator<Item = Self>>(it: I) -> Self {
        it.fold(Self::constant(<Fr as One>::one()), |a, b| a * b)
    }
}

impl Fe for Rec {
    fn constant(c: Fr) -> Self {
        Self {
            var: None,
            val: c,
            session: 0,
        }
    }

    fn witness(v: Fr) -> Self {
        Self::recorded(with_builder(|b| Ok(b.witness(v))), v)
    }

    fn value(self) -> Fr {
        self.val
    }

    fn inverse(self) -> Option<Self> {
        let inv = Field::inverse(&self.val)?;
        if self.var.is_none() {
            return Some(Self::constant(inv));
        }
        let var = self.var().and_then(|x| with_builder(|b| b.inv(x)));
        Some(Self::recorded(var, inv))
    }

    fn same(self, other: Self) -> bool {
        let holds = self.val == other.val;
        if self.var.is_some() || other.var.is_some() {
            if let (Some(a), Some(b)) = (self.var(), other.var()) {
                // A failing assertion is recorded all the same (the structure does not depend
                // on the values); the verifier returns its own error for it.
                let _ = with_builder(|bld| match bld.assert_eq(a, b) {
                    Ok(()) | Err(TapeError::AssertFailed { .. }) => Ok(()),
                    Err(e) => Err(e),
                });
            }
        }
        holds
    }
}

/// A value a transcript can hash: Poseidon natively ([`verinfer_tape::poseidon::hash`]), a
/// recorded hash for [`Rec`].
pub trait PoseidonFe: Fe {
    /// The fixed-length Poseidon hash of `xs`.
    fn poseidon(xs: &[Self]) -> Self;
}

impl PoseidonFe for Fr {
    fn poseidon(xs: &[Self]) -> Self {
        verinfer_tape::poseidon::hash(xs)
    }
}

impl PoseidonFe for Rec {
    fn poseidon(xs: &[Self]) -> Self {
        let vals: Vec<Fr> = xs.iter().map(|x| x.val).collect();
        let val = verinfer_tape::poseidon::hash(&vals);
        let vars: Option<Vec<Var>> = xs.iter().map(|x| x.var()).collect();
        let var = vars.and_then(|vs| with_builder(|b| b.hash(&vs)));
        Self::recorded(var, val)
    }
}

/// A Fiat–Shamir transcript by Poseidon over `Fr`, for proofs whose verifier is recorded
/// (Keccak inside the outer circuit would cost ≈ 150k constraints a permutation):
///
/// ```text
/// new(label):   state = keccak256(label) mod r          (a constant)
/// absorb(x):    buffer = buffer ‖ x                     (sizes absorbed as constants)
/// challenge():  state = Poseidon(state ‖ buffer); buffer = ""; the challenge is state
/// ```
///
/// The prover runs it over `Fr`, the recorded verifier over [`Rec`]: the same challenges.
#[derive(Clone, Debug)]
pub struct PoseidonTranscript<F> {
    state: F,
    buffer: Vec<F>,
}

impl<F: PoseidonFe> PoseidonTranscript<F> {
    /// A transcript whose first state is the label's Keccak hash reduced mod `r`.
    #[must_use]
    pub fn new(label: &[u8]) -> Self {
        let w = crate::transcript::keccak256(label);
        Self {
            state: F::constant(Fr::from_be_bytes_mod_order(&w)),
            buffer: Vec::new(),
        }
    }
}

impl<F: PoseidonFe> Fs<F> for PoseidonTranscript<F> {
    fn absorb(&mut self, x: F) {
        self.buffer.push(x);
    }

    fn absorb_size(&mut self, n: u64) {
        self.buffer.push(F::from_u64(n));
    }

    fn challenge(&mut self) -> F {
        let mut input = Vec::with_capacity(1 + self.buffer.len());
        input.push(self.state);
        input.append(&mut self.buffer);
        self.state = F::poseidon(&input);
        self.state
    }
}

/// Why [`matmul`] recorded no accepting run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordVerifyError {
    /// The recording itself failed.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// The verifier refused the proof.
    #[error(transparent)]
    Rejected(#[from] crate::MatmulError),
}

/// Record the verification of a matrix-product proof (made over a [`PoseidonTranscript`]
/// with `label`) of `Ỹ(point) = y_eval`: the claim enters as public inputs, and the claims the
/// verifier leaves on `X̃` and `W̃` (their points, then their values) leave as public inputs,
/// for whoever checks them by openings. The first interpreted verifier the outer proof
/// wraps; the layered model verifier follows the same way.
///
/// # Errors
/// [`RecordVerifyError::Rejected`] if the verifier refuses the proof (the tape is then of no
/// use), [`RecordVerifyError::Record`] if the recording fails.
pub fn matmul(
    shape: crate::matmul::MatmulShape,
    point: &[Fr],
    y_eval: Fr,
    proof: &crate::sumcheck::SumcheckProof,
    label: &[u8],
) -> Result<(Tape, Values), RecordVerifyError> {
    let (verdict, tape, values) = record(|| {
        let point: Vec<Rec> = point.iter().map(|&p| Rec::public(p)).collect();
        let y = Rec::public(y_eval);
        let mut t = PoseidonTranscript::<Rec>::new(label);
        let r = crate::matmul::verify_sumcheck(shape, &point, y, &proof.lift(), &mut t)?;
        for x in r
            .x_point
            .iter()
            .chain(&r.w_point)
            .chain([&r.x_eval, &r.w_eval])
        {
            let _ = x.publish();
        }
        Ok::<_, crate::MatmulError>(())
    })?;
    verdict?;
    Ok((tape, values))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matmul::{self, FieldMatrix, MatmulShape};
    use crate::sumcheck::SumcheckProof;
    use verinfer_tape::check;

    const LABEL: &[u8] = b"verinfer.record.test";
    const DIMS: (usize, usize, usize) = (2, 8, 4);

    struct Case {
        shape: MatmulShape,
        point: Vec<Fr>,
        y_eval: Fr,
        proof: SumcheckProof,
    }

    /// An honest matrix-product proof over the Poseidon transcript, operands from `seed`.
    fn honest(seed: u64) -> Case {
        let (m, k, n) = DIMS;
        let int = |i: usize, salt: u64| {
            let v = (i as u64)
                .wrapping_mul(2_654_435_761)
                .wrapping_add(seed * salt)
                % 31;
            i32::try_from(v).unwrap() - 15
        };
        let x: Vec<i32> = (0..m * k).map(|i| int(i, 7)).collect();
        let w: Vec<i32> = (0..k * n).map(|i| int(i, 11)).collect();
        let mut y = vec![0i32; m * n];
        for i in 0..m {
            for l in 0..k {
                for j in 0..n {
                    y[i * n + j] += x[i * k + l] * w[l * n + j];
                }
            }
        }
        let shape = MatmulShape::new(m, k, n).unwrap();
        let point: Vec<Fr> = (0..shape.y_vars())
            .map(|i| Fr::from(seed * 1000 + i as u64 + 3))
            .collect();
        let xm = FieldMatrix::from_i32(m, k, &x).unwrap();
        let wm = FieldMatrix::from_i32(k, n, &w).unwrap();
        let ym = FieldMatrix::from_i32(m, n, &y).unwrap();
        let mut t = PoseidonTranscript::<Fr>::new(LABEL);
        let proved = matmul::prove(&xm, &wm, &point, &mut t).unwrap();
        assert_eq!(proved.y_eval, ym.to_mle().evaluate(&point).unwrap());
        Case {
            shape,
            point,
            y_eval: proved.y_eval,
            proof: proved.proof.sumcheck,
        }
    }

    fn recorded(c: &Case) -> Result<(Tape, Values), RecordVerifyError> {
        super::matmul(c.shape, &c.point, c.y_eval, &c.proof, LABEL)
    }

    #[test]
    fn every_honest_proof_records_one_tape_that_checks() {
        let (a, b) = (honest(1), honest(2));
        let (ta, va) = recorded(&a).unwrap();
        let (tb, vb) = recorded(&b).unwrap();
        assert_eq!(ta, tb, "the structure does not depend on the proof");
        assert_ne!(va, vb);
        check(&ta, &va).unwrap();
        check(&ta, &vb).unwrap();
        // The published claims are what the native verifier over the same transcript leaves.
        let mut t = PoseidonTranscript::<Fr>::new(LABEL);
        let n = matmul::verify_sumcheck(a.shape, &a.point, a.y_eval, &a.proof, &mut t).unwrap();
        let inputs = a.point.len() + 1;
        let left: Vec<Fr> = n
            .x_point
            .iter()
            .chain(&n.w_point)
            .chain([&n.x_eval, &n.w_eval])
            .copied()
            .collect();
        assert_eq!(va.public[inputs..], left[..]);
        // Rounds: log2(k) of them, one hash each; the shape's constants fold away.
        let hashes = ta.ops().iter().filter(|o| o.name() == "hash").count();
        assert_eq!(hashes, DIMS.1.trailing_zeros() as usize);
    }

    #[test]
    fn a_tampered_proof_is_refused_recorded_and_by_the_tape() {
        let mut c = honest(3);
        let (tape, mut values) = recorded(&c).unwrap();
        // The honest tape with one proof word changed fails its check (the outer proof's
        // soundness: the witnesses must be a proof the verifier accepts).
        values.witness[0] += Fr::from(1u64);
        assert!(matches!(
            check(&tape, &values),
            Err(TapeError::AssertFailed { .. })
        ));
        // A changed claim (public input) fails the honest tape too.
        let (_, mut values) = recorded(&c).unwrap();
        values.public[0] += Fr::from(1u64);
        assert!(check(&tape, &values).is_err());
        // Recording a tampered proof: the verifier itself refuses it.
        c.proof.rounds[0].0[0] += Fr::from(1u64);
        assert!(matches!(recorded(&c), Err(RecordVerifyError::Rejected(_))));
    }

    #[test]
    fn constants_fold_and_nesting_is_refused() {
        let ((), tape, _) = record(|| {
            let a = Rec::constant(Fr::from(3u64)) * Rec::constant(Fr::from(5u64));
            assert_eq!(a.value(), Fr::from(15u64));
            assert!(a.same(Rec::constant(Fr::from(15u64))));
            assert!(matches!(record(|| ()), Err(RecordError::Nested)));
        })
        .unwrap();
        assert!(tape.ops().is_empty());
        // A value from another recording is refused by name, not silently used.
        let ((), _, _) = record(|| ()).unwrap();
        let (w, _, _) = record(|| Rec::witness(Fr::from(2u64))).unwrap();
        let err = record(|| {
            let _ = w + Rec::witness(Fr::from(1u64));
        });
        assert!(matches!(err, Err(RecordError::Foreign)));
    }
}
