//! The tape: ops and their operands (the structure, from which keys are made) apart from
//! the values (public inputs and witnesses, which change per proof), and the builder that
//! records one while evaluating it.

use std::collections::HashMap;

use ark_bn254::Fr;
use ark_ff::{Field, Zero};

use crate::poseidon;

/// A value of the tape: the index of the op that defined it among the value-defining ops.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Var(u32);

impl Var {
    /// The index of this value among the tape's values (0-based, in definition order).
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// One step of a tape. The value-defining ops (all but the asserts) define the next [`Var`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// A constant of the structure (the same in every run).
    Constant(Fr),
    /// The next public input of the outer proof.
    Public,
    /// The next prover-supplied witness (a proof word, a hint).
    Witness,
    /// `a + b`.
    Add(Var, Var),
    /// `a - b`.
    Sub(Var, Var),
    /// `a · b`.
    Mul(Var, Var),
    /// `a · b + c`.
    MulAdd(Var, Var, Var),
    /// `w` with `a · w = 1` (the prover supplies `w`; `a = 0` has none).
    Inv(Var),
    /// The fixed-length Poseidon hash of the operands ([`poseidon::hash`]).
    Hash(Vec<Var>),
    /// `a = b`; defines no value.
    AssertEq(Var, Var),
    /// `a = 0`; defines no value.
    AssertZero(Var),
}

impl Op {
    /// Whether this op defines a value (every op but the asserts).
    pub fn defines_value(&self) -> bool {
        !matches!(self, Op::AssertEq(..) | Op::AssertZero(_))
    }

    /// The op's name, as errors and statistics say it.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Constant(_) => "constant",
            Op::Public => "public",
            Op::Witness => "witness",
            Op::Add(..) => "add",
            Op::Sub(..) => "sub",
            Op::Mul(..) => "mul",
            Op::MulAdd(..) => "mul_add",
            Op::Inv(_) => "inv",
            Op::Hash(_) => "hash",
            Op::AssertEq(..) => "assert_eq",
            Op::AssertZero(_) => "assert_zero",
        }
    }
}

/// Why a tape and its values do not agree, or why recording failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TapeError {
    /// An assertion does not hold.
    #[error("op {op} ({kind}) fails")]
    AssertFailed {
        /// The index of the failed op in the tape.
        op: usize,
        /// `assert_eq` or `assert_zero`.
        kind: &'static str,
    },
    /// `inv` of zero.
    #[error("op {op} (inv): zero has no inverse")]
    InverseOfZero {
        /// The index of the op in the tape.
        op: usize,
    },
    /// The values hold a different number of public inputs or witnesses than the tape takes.
    #[error("the tape takes {expected} {what}, the values hold {got}")]
    CountMismatch {
        /// `public inputs` or `witnesses`.
        what: &'static str,
        /// What the tape takes.
        expected: usize,
        /// What the values hold.
        got: usize,
    },
    /// A [`Var`] that this builder did not define (another builder's).
    #[error("op {op}: var {var} is not defined on this tape")]
    UnknownVar {
        /// The index the op would have had.
        op: usize,
        /// The var's index.
        var: usize,
    },
}

/// A straight-line program over `Fr`: its ops and counts, no values.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Tape {
    ops: Vec<Op>,
    num_vars: usize,
    num_public: usize,
    num_witness: usize,
}

impl Tape {
    /// The ops in order.
    pub fn ops(&self) -> &[Op] {
        &self.ops
    }
    /// How many values the ops define.
    pub fn num_vars(&self) -> usize {
        self.num_vars
    }
    /// How many public inputs the tape takes.
    pub fn num_public(&self) -> usize {
        self.num_public
    }
    /// How many witnesses the tape takes.
    pub fn num_witness(&self) -> usize {
        self.num_witness
    }
    /// How many ops of each kind (by [`Op::name`]), sorted by name.
    pub fn op_counts(&self) -> Vec<(&'static str, usize)> {
        let mut counts: HashMap<&'static str, usize> = HashMap::new();
        for op in &self.ops {
            *counts.entry(op.name()).or_default() += 1;
        }
        let mut v: Vec<_> = counts.into_iter().collect();
        v.sort();
        v
    }
}

/// The values of one run: the public inputs and the witnesses, in the order the tape takes them.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Values {
    /// Public inputs of the outer proof.
    pub public: Vec<Fr>,
    /// Prover-supplied witnesses.
    pub witness: Vec<Fr>,
}

/// Every value the tape defines, computed from `values`, checking each assertion and
/// inverse: the native meaning of a tape (the outer circuit proves the same).
///
/// # Errors
/// [`TapeError::CountMismatch`] for values of another shape, [`TapeError::AssertFailed`] or
/// [`TapeError::InverseOfZero`] naming the first op that fails.
pub fn evaluate(tape: &Tape, values: &Values) -> Result<Vec<Fr>, TapeError> {
    if values.public.len() != tape.num_public {
        return Err(TapeError::CountMismatch {
            what: "public inputs",
            expected: tape.num_public,
            got: values.public.len(),
        });
    }
    if values.witness.len() != tape.num_witness {
        return Err(TapeError::CountMismatch {
            what: "witnesses",
            expected: tape.num_witness,
            got: values.witness.len(),
        });
    }
    let mut vals: Vec<Fr> = Vec::with_capacity(tape.num_vars);
    let (mut next_public, mut next_witness) = (0usize, 0usize);
    for (i, op) in tape.ops.iter().enumerate() {
        // Operands always precede their use: the builder only hands out defined vars.
        let get = |v: &Var| vals.get(v.index()).copied().unwrap_or_default();
        let value = match op {
            Op::Constant(c) => *c,
            Op::Public => {
                next_public += 1;
                values.public[next_public - 1]
            }
            Op::Witness => {
                next_witness += 1;
                values.witness[next_witness - 1]
            }
            Op::Add(a, b) => get(a) + get(b),
            Op::Sub(a, b) => get(a) - get(b),
            Op::Mul(a, b) => get(a) * get(b),
            Op::MulAdd(a, b, c) => get(a) * get(b) + get(c),
            Op::Inv(a) => get(a).inverse().ok_or(TapeError::InverseOfZero { op: i })?,
            Op::Hash(xs) => poseidon::hash(&xs.iter().map(get).collect::<Vec<_>>()),
            Op::AssertEq(a, b) => {
                if get(a) != get(b) {
                    return Err(TapeError::AssertFailed {
                        op: i,
                        kind: op.name(),
                    });
                }
                continue;
            }
            Op::AssertZero(a) => {
                if !get(a).is_zero() {
                    return Err(TapeError::AssertFailed {
                        op: i,
                        kind: op.name(),
                    });
                }
                continue;
            }
        };
        vals.push(value);
    }
    Ok(vals)
}

/// Whether `values` satisfy `tape` (see [`evaluate`]).
///
/// # Errors
/// As [`evaluate`].
pub fn check(tape: &Tape, values: &Values) -> Result<(), TapeError> {
    evaluate(tape, values).map(|_| ())
}

/// Records a tape while evaluating it: every method appends one op and returns its value's
/// [`Var`]. The ops recorded depend only on the calls made, never on the values, so one
/// verifier shape records one tape for every honest run (keys are made from the tape).
/// Constants are recorded once each (a second `constant(c)` returns the first var).
#[derive(Debug, Default)]
pub struct TapeBuilder {
    tape: Tape,
    values: Values,
    vals: Vec<Fr>,
    constants: HashMap<Fr, Var>,
}

impl TapeBuilder {
    /// An empty tape.
    pub fn new() -> Self {
        Self::default()
    }

    fn push(&mut self, op: Op, value: Fr) -> Var {
        let v = Var(self.vals.len() as u32);
        self.tape.ops.push(op);
        self.tape.num_vars += 1;
        self.vals.push(value);
        v
    }

    /// The value of `v` in this run.
    ///
    /// # Errors
    /// [`TapeError::UnknownVar`] for a var this builder did not define.
    pub fn value(&self, v: Var) -> Result<Fr, TapeError> {
        self.vals
            .get(v.index())
            .copied()
            .ok_or(TapeError::UnknownVar {
                op: self.tape.ops.len(),
                var: v.index(),
            })
    }

    /// A constant (recorded once per distinct value).
    pub fn constant(&mut self, c: Fr) -> Var {
        if let Some(v) = self.constants.get(&c) {
            return *v;
        }
        let v = self.push(Op::Constant(c), c);
        self.constants.insert(c, v);
        v
    }

    /// The next public input of the outer proof, `x` in this run.
    pub fn public(&mut self, x: Fr) -> Var {
        self.tape.num_public += 1;
        self.values.public.push(x);
        self.push(Op::Public, x)
    }

    /// The next prover-supplied witness, `x` in this run.
    pub fn witness(&mut self, x: Fr) -> Var {
        self.tape.num_witness += 1;
        self.values.witness.push(x);
        self.push(Op::Witness, x)
    }

    /// `a + b`.
    ///
    /// # Errors
    /// [`TapeError::UnknownVar`] for another builder's var.
    pub fn add(&mut self, a: Var, b: Var) -> Result<Var, TapeError> {
        let x = self.value(a)? + self.value(b)?;
        Ok(self.push(Op::Add(a, b), x))
    }

    /// `a - b`.
    ///
    /// # Errors
    /// [`TapeError::UnknownVar`] for another builder's var.
    pub fn sub(&mut self, a: Var, b: Var) -> Result<Var, TapeError> {
        let x = self.value(a)? - self.value(b)?;
        Ok(self.push(Op::Sub(a, b), x))
    }

    /// `a · b`.
    ///
    /// # Errors
    /// [`TapeError::UnknownVar`] for another builder's var.
    pub fn mul(&mut self, a: Var, b: Var) -> Result<Var, TapeError> {
        let x = self.value(a)? * self.value(b)?;
        Ok(self.push(Op::Mul(a, b), x))
    }

    /// `a · b + c` (one gate in the outer circuit).
    ///
    /// # Errors
    /// [`TapeError::UnknownVar`] for another builder's var.
    pub fn mul_add(&mut self, a: Var, b: Var, c: Var) -> Result<Var, TapeError> {
        let x = self.value(a)? * self.value(b)? + self.value(c)?;
        Ok(self.push(Op::MulAdd(a, b, c), x))
    }

    /// `1 / a`.
    ///
    /// # Errors
    /// [`TapeError::InverseOfZero`] for `a = 0` (nothing is recorded then),
    /// [`TapeError::UnknownVar`] for another builder's var.
    pub fn inv(&mut self, a: Var) -> Result<Var, TapeError> {
        let x = self.value(a)?.inverse().ok_or(TapeError::InverseOfZero {
            op: self.tape.ops.len(),
        })?;
        Ok(self.push(Op::Inv(a), x))
    }

    /// The Poseidon hash of `xs` ([`poseidon::hash`]).
    ///
    /// # Errors
    /// [`TapeError::UnknownVar`] for another builder's var.
    pub fn hash(&mut self, xs: &[Var]) -> Result<Var, TapeError> {
        let inputs = xs
            .iter()
            .map(|v| self.value(*v))
            .collect::<Result<Vec<_>, _>>()?;
        let x = poseidon::hash(&inputs);
        Ok(self.push(Op::Hash(xs.to_vec()), x))
    }

    /// Asserts `a = b`. The op is recorded even when it fails (the structure stays the same).
    ///
    /// # Errors
    /// [`TapeError::AssertFailed`] when `a ≠ b` in this run, [`TapeError::UnknownVar`].
    pub fn assert_eq(&mut self, a: Var, b: Var) -> Result<(), TapeError> {
        let holds = self.value(a)? == self.value(b)?;
        let op = self.tape.ops.len();
        self.tape.ops.push(Op::AssertEq(a, b));
        if holds {
            Ok(())
        } else {
            Err(TapeError::AssertFailed {
                op,
                kind: "assert_eq",
            })
        }
    }

    /// Asserts `a = 0`. The op is recorded even when it fails.
    ///
    /// # Errors
    /// [`TapeError::AssertFailed`] when `a ≠ 0` in this run, [`TapeError::UnknownVar`].
    pub fn assert_zero(&mut self, a: Var) -> Result<(), TapeError> {
        let holds = self.value(a)?.is_zero();
        let op = self.tape.ops.len();
        self.tape.ops.push(Op::AssertZero(a));
        if holds {
            Ok(())
        } else {
            Err(TapeError::AssertFailed {
                op,
                kind: "assert_zero",
            })
        }
    }

    /// How many ops are recorded so far.
    pub fn len(&self) -> usize {
        self.tape.ops.len()
    }

    /// Whether nothing is recorded yet.
    pub fn is_empty(&self) -> bool {
        self.tape.ops.is_empty()
    }

    /// The tape and this run's values.
    pub fn finish(self) -> (Tape, Values) {
        (self.tape, self.values)
    }
}
