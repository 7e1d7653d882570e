//! The first end-to-end proof of a graph op: one `Contract` node in matrix-product (Gemm)
//! form with its requantization epilogue, `Y = requant(X·W + bias·2^t)` with the semantics of
//! `verinfer_ir::ops::contract` (`acc = bias[j]·2^t + Σ_l x[i,l]·w[l,j]`,
//! `y = clamp(round_shift(acc·mult, shift), bits)`; the bias is optional).
//!
//! Statement: `X` (`m×k`) and `Y` (`m×n`) public, `W` (`k×n`) and the bias (`n`) committed
//! (HyperKZG, [`WeightCommitments`]: registered with the model), the requantization public.
//!
//! # Relation
//!
//! For each element, with the remainder `rem` the prover commits:
//!
//! ```text
//! mult·acc + 2^(s−1) = 2^s·y + rem,   0 ≤ rem < 2^s           (s = shift ≥ 1)
//! mult·acc           = y                                         (s = 0, rem = 0)
//! ```
//!
//! Every term is an integer below `2^200` in magnitude (`|acc| < K·2^62`, `|mult| < 2^63`), far
//! under `r/2`, so the field identity is the integer one; with `rem` in range it says
//! `y = ⌊(mult·acc + 2^(s−1))/2^s⌋ = round_shift(mult·acc, s)`, and the verifier checks every
//! public `y` lies in the bit bound, so the clamp did nothing. **Clamped outputs are not
//! supported yet** (the prover refuses them with [`ContractError::Clamped`]; a clamp needs a
//! selector and two more range checks — docs/sumcheck.md). Padded entries (to `2^a × 2^b`)
//! have `acc = y = 0`, so their `rem` is `2^(s−1)`, in range — the identity then holds on the
//! whole hypercube without a mask.
//!
//! # Protocol (label `verinfer.contract.v1`)
//!
//! 1. Absorb `m, k, n, mult, s, bits`, the digests `keccak256` of `X` and of `Y` packed as
//!    4-byte big-endian integers ([`packed_i32_digest`]: what an EVM verifier hashes from
//!    calldata, instead of absorbing `mk + mn` words), `C_W`, `t` (`2^64 − 1` without a
//!    bias), `C_bias` (with one); the prover commits `rem`; absorb `C_rem`;
//!    `ρ = ρ_i ‖ ρ_j = challenges(a + b)`.
//! 2. The prover sends `R̃em(ρ)` and, with a bias, `b̃ias(ρ_j)`; absorb them. The verifier
//!    derives `Ãcc(ρ) = (2^s·Ỹ(ρ) + R̃em(ρ) − 2^(s−1))/mult` (`Ỹ` from the public `Y`) and
//!    `(X·W)~(ρ) = Ãcc(ρ) − 2^t·(Σ_{i<m} eq(ρ_i, i))·b̃ias(ρ_j)` (the bias broadcast over the
//!    `m` real rows; padded rows have `acc = 0`).
//! 3. The matmul sumcheck ([`crate::matmul`]) reduces `(X·W)~(ρ)` to `X̃(ρ_i‖σ)` (the verifier
//!    evaluates the public `X`) and `W̃(σ‖ρ_j)`.
//! 4. The logUp range check ([`crate::logup`]) of `rem` in `[0, 2^s)`, its openings
//!    deferred: it leaves `R̃em(ρ')`, `h̃(ρ')`, `g̃(ρ_t)`, `μ̃(ρ_t)`.
//! 5. One batched HyperKZG opening ([`crate::pcs::batch`]) of every claim: `W̃(σ‖ρ_j)`,
//!    `R̃em(ρ)`, the four above and `b̃ias(ρ_j)` — one pairing check for the whole node.
//!
//! Soundness: the sum of the parts' (matmul `2c/r`, logUp, the batched opening) plus
//! `(a+b)/r` for the identity at `ρ` (Schwartz–Zippel on the multilinear difference), times
//! the transcript bias. The bias term stays below `2^93` (`|bias| < 2^31`, `t < 62`), inside
//! the `2^200` bound.

use ark_bn254::Fr;
use ark_ff::{Field, Zero};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use rayon::prelude::*;
use verinfer_ir::{AffineMap, Contract, Requant};

use crate::error::{LogupError, MatmulError, MleError, PcsError};
use crate::evm::Word;
use crate::field::{fr_from_i128, fr_from_i64};
use crate::logup::{self, RangeArgument, MAX_RANGE_BITS};
use crate::matmul::{self, FieldMatrix, MatmulProof, MatmulShape};
use crate::mle::{eq_table, DenseMle};
use crate::pcs::{self, BatchOpeningProof, Claim, CommitKey, Commitment, VerifierKey};
use crate::transcript::{packed_i32_digest, Transcript};

/// Why a `Contract` node could not be proven or its proof did not verify.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ContractError {
    /// The node is not a plain 2-D matrix product this module proves yet.
    #[error("unsupported Contract: {0}")]
    Unsupported(&'static str),
    /// An output element saturated (clamping is not proven yet).
    #[error(
        "output {index} saturates its {bits}-bit bound; clamped outputs are not supported yet"
    )]
    Clamped {
        /// Flat output index.
        index: usize,
        /// The bound's bits.
        bits: u32,
    },
    /// The stated output differs from the node's semantics (a witness error: no proof exists).
    #[error("output {index} is {got}, the node computes {expected}")]
    TraceMismatch {
        /// Flat output index.
        index: usize,
        /// What the semantics give.
        expected: i64,
        /// What was stated.
        got: i64,
    },
    /// Operand or output data of the wrong length.
    #[error("{what} has {got} elements, the shape needs {expected}")]
    Length {
        /// Which tensor.
        what: &'static str,
        /// Elements needed.
        expected: usize,
        /// Elements given.
        got: usize,
    },
    /// A public output outside the node's bit bound.
    #[error("output {index} = {value} lies outside the {bits}-bit bound")]
    OutputOutOfBound {
        /// Flat output index.
        index: usize,
        /// The value.
        value: i32,
        /// The bound's bits.
        bits: u32,
    },
    /// The matrix-product sumcheck failed.
    #[error(transparent)]
    Matmul(#[from] MatmulError),
    /// The range check failed.
    #[error(transparent)]
    Logup(#[from] LogupError),
    /// A commitment or an opening failed.
    #[error(transparent)]
    Pcs(#[from] PcsError),
    /// A multilinear-polynomial misuse.
    #[error(transparent)]
    Mle(#[from] MleError),
    /// The proof or the weights do not have the node's shape (a bias where the node has none,
    /// or none where it has one).
    #[error("malformed: {0}")]
    Malformed(&'static str),
}

/// The weights of a node as the prover holds them.
#[derive(Clone, Copy, Debug)]
pub struct Weights<'a> {
    /// `W`, row-major `k×n`.
    pub w: &'a [i32],
    /// The bias (`n` values), iff the node has one.
    pub bias: Option<&'a [i32]>,
}

/// The commitments to a node's weights (registered with the model; the verifier's view).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WeightCommitments {
    /// `C_W`.
    pub w: Commitment,
    /// `C_bias`, iff the node has a bias.
    pub bias: Option<Commitment>,
}

impl WeightCommitments {
    /// Commit a node's weights (what registering the model does).
    ///
    /// # Errors
    /// [`ContractError::Length`] / [`ContractError::Malformed`] for weights that do not fit the
    /// node, [`ContractError::Pcs`] for an SRS too small.
    pub fn commit(
        ck: &CommitKey,
        node: &MatmulNode,
        weights: Weights<'_>,
    ) -> Result<Self, ContractError> {
        node.check_weights(weights)?;
        let (_, k, n) = node.dims();
        let w = pcs::commit(ck, &FieldMatrix::from_i32(k, n, weights.w)?.to_mle())?;
        let bias = match weights.bias {
            Some(b) => Some(pcs::commit(ck, &bias_mle(b))?),
            None => None,
        };
        Ok(Self { w, bias })
    }
}

/// The bias as a polynomial over the column bits (zero-padded).
fn bias_mle(b: &[i32]) -> DenseMle {
    DenseMle::from_padded(b.iter().map(|&v| fr_from_i64(i64::from(v))).collect())
}

/// The `Contract` that the ONNX lowering makes for `MatMul([m, k], [k, n])` — with
/// `bias_shift`, `Gemm`'s bias `bias[j]·2^bias_shift` — the form
/// [`MatmulNode::from_contract`] recognises.
#[must_use]
pub fn matmul_contract(
    (m, k, n): (usize, usize, usize),
    requant: Requant,
    bias_shift: Option<u32>,
) -> Contract {
    let row = |out: [i64; 2], red: i64| verinfer_ir::AffineRow {
        out: out.to_vec(),
        red: vec![red],
        offset: 0,
    };
    Contract {
        out_iter: vec![m, n],
        red: vec![k],
        x_map: AffineMap {
            rows: vec![row([1, 0], 0), row([0, 0], 1)],
        },
        w_map: AffineMap {
            rows: vec![row([0, 0], 1), row([0, 1], 0)],
        },
        bias_map: bias_shift.map(|_| AffineMap {
            rows: vec![row([0, 1], 0)],
        }),
        bias_shift: bias_shift.unwrap_or(0),
        requant,
    }
}

/// The node's outputs by verinfer-ir's reference semantics
/// (`verinfer_ir::ops::contract::element`): the `y` an honest prover states.
///
/// # Errors
/// [`ContractError::Length`] / [`ContractError::Malformed`] for operands that do not fit the
/// node.
pub fn reference_outputs(
    contract: &Contract,
    node: &MatmulNode,
    x: &[i32],
    weights: Weights<'_>,
) -> Result<Vec<i32>, ContractError> {
    use verinfer_ir::ops::TensorRef;
    node.check_weights(weights)?;
    let (m, k, n) = node.dims();
    if x.len() != m * k {
        return Err(ContractError::Length {
            what: "x",
            expected: m * k,
            got: x.len(),
        });
    }
    let (xs, ws, bs) = ([m, k], [k, n], [n]);
    let mut ins = vec![
        TensorRef {
            shape: &xs,
            data: x,
        },
        TensorRef {
            shape: &ws,
            data: weights.w,
        },
    ];
    if let Some(b) = weights.bias {
        ins.push(TensorRef {
            shape: &bs,
            data: b,
        });
    }
    (0..m * n)
        .map(|j| {
            verinfer_ir::ops::contract::element(contract, &ins, j).ok_or(ContractError::Malformed(
                "the reference semantics read outside an operand",
            ))
        })
        .collect()
}

/// A `Contract` node recognised as `Y[m×n] = requant(X[m×k]·W[k×n])`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MatmulNode {
    shape: MatmulShape,
    requant: Requant,
    /// `Some(s)`: the accumulator starts at `bias[j]·2^s`.
    bias_shift: Option<u32>,
}

/// Whether `map`'s rows are exactly `rows` (each `(out coefficients, red coefficients)`,
/// offset 0).
fn map_is(map: &AffineMap, rows: &[(&[i64], &[i64])]) -> bool {
    map.rows.len() == rows.len()
        && map
            .rows
            .iter()
            .zip(rows)
            .all(|(r, (o, k))| r.offset == 0 && r.out == *o && r.red == *k)
}

impl MatmulNode {
    /// Recognise a plain matrix product: `out_iter = [m, n]`, `red = [k]`,
    /// `x[i, l]`, `w[l, j]`, optionally a bias `bias[j]` (shape `[n]`).
    ///
    /// # Errors
    /// [`ContractError::Unsupported`] naming what differs (batch axes, transposes and
    /// convolutions are the next increments).
    pub fn from_contract(c: &Contract) -> Result<Self, ContractError> {
        let ([m, n], [k]) = (&c.out_iter[..], &c.red[..]) else {
            return Err(ContractError::Unsupported(
                "only [m, n] outputs over one reduced axis",
            ));
        };
        let bias_shift = match &c.bias_map {
            None => None,
            Some(bm) if map_is(bm, &[(&[0, 1], &[0])]) && c.bias_shift < 62 => Some(c.bias_shift),
            Some(_) => {
                return Err(ContractError::Unsupported(
                    "a bias other than bias[j] with a shift below 62",
                ))
            }
        };
        let x_ok = map_is(&c.x_map, &[(&[1, 0], &[0]), (&[0, 0], &[1])]);
        let w_ok = map_is(&c.w_map, &[(&[0, 0], &[1]), (&[0, 1], &[0])]);
        if !(x_ok && w_ok) {
            return Err(ContractError::Unsupported(
                "operand maps other than x[i, l]·w[l, j]",
            ));
        }
        if c.requant.mult == 0 {
            return Err(ContractError::Unsupported("a zero multiplier"));
        }
        if c.requant.shift > MAX_RANGE_BITS {
            return Err(ContractError::Unsupported(
                "a shift wider than the range check supports",
            ));
        }
        Ok(Self {
            shape: MatmulShape::new(*m, *k, *n)?,
            requant: c.requant,
            bias_shift,
        })
    }

    /// The requantization epilogue.
    pub fn requant(&self) -> Requant {
        self.requant
    }

    /// The bias shift `t` (the accumulator starts at `bias[j]·2^t`), iff the node has a bias.
    #[must_use]
    pub fn bias_shift(&self) -> Option<u32> {
        self.bias_shift
    }

    /// `(a, c, b)`: the variables of the padded `m`, `k`, `n`.
    #[must_use]
    pub fn log_dims(&self) -> (usize, usize, usize) {
        self.shape.log_dims()
    }

    /// Whether the node adds a bias.
    #[must_use]
    pub fn has_bias(&self) -> bool {
        self.bias_shift.is_some()
    }

    fn check_weights(&self, weights: Weights<'_>) -> Result<(), ContractError> {
        let (_, k, n) = self.shape.dims();
        if weights.w.len() != k * n {
            return Err(ContractError::Length {
                what: "w",
                expected: k * n,
                got: weights.w.len(),
            });
        }
        match (self.has_bias(), weights.bias) {
            (true, Some(b)) if b.len() != n => Err(ContractError::Length {
                what: "bias",
                expected: n,
                got: b.len(),
            }),
            (true, Some(_)) | (false, None) => Ok(()),
            _ => Err(ContractError::Malformed(
                "bias presence differs from the node's",
            )),
        }
    }

    fn check_commitments(&self, c: &WeightCommitments) -> Result<(), ContractError> {
        if self.has_bias() != c.bias.is_some() {
            return Err(ContractError::Malformed(
                "bias commitment presence differs from the node's",
            ));
        }
        Ok(())
    }

    /// `B̃(ρ_i, ρ_j) = 2^s·(Σ_{i<m} eq(ρ_i, i))·b̃ias(ρ_j)`: the bias broadcast over the
    /// `m` real rows (zero on padded rows, like the accumulator there).
    fn bias_term(&self, rho_i: &[Fr], bias_eval: Fr) -> Fr {
        let Some(s) = self.bias_shift else {
            return Fr::zero();
        };
        let (m, _, _) = self.shape.dims();
        let rows: Fr = eq_table(rho_i).iter().take(m).sum();
        Fr::from(2u64).pow([u64::from(s)]) * rows * bias_eval
    }

    /// `(m, k, n)`.
    #[must_use]
    pub fn dims(&self) -> (usize, usize, usize) {
        self.shape.dims()
    }

    /// Variables of `W̃` (the SRS must cover them, and the output's and the shift's).
    #[must_use]
    pub fn w_vars(&self) -> usize {
        let (_, c, b) = self.shape.log_dims();
        c + b
    }

    fn check_lengths(&self, x: &[i32], y: &[i32]) -> Result<(), ContractError> {
        let (m, k, n) = self.shape.dims();
        for (what, expected, got) in [("x", m * k, x.len()), ("y", m * n, y.len())] {
            if expected != got {
                return Err(ContractError::Length {
                    what,
                    expected,
                    got,
                });
            }
        }
        let bits = self.requant.bits;
        if let Some((index, &value)) = y
            .iter()
            .enumerate()
            .find(|(_, &v)| i64::from(v) < bits.min_value() || i64::from(v) > bits.max_value())
        {
            return Err(ContractError::OutputOutOfBound {
                index,
                value,
                bits: bits.get(),
            });
        }
        Ok(())
    }

    fn absorb(
        &self,
        t: &mut Transcript,
        statement: Option<&Word>,
        x: &[i32],
        y: &[i32],
        c: &WeightCommitments,
    ) {
        if let Some(s) = statement {
            t.absorb_word(s);
        }
        let (m, k, n) = self.shape.dims();
        for d in [m, k, n] {
            t.absorb_u64(d as u64);
        }
        t.absorb_fr(&fr_from_i64(self.requant.mult));
        t.absorb_u64(u64::from(self.requant.shift));
        t.absorb_u64(u64::from(self.requant.bits.get()));
        t.absorb_word(&packed_i32_digest(x));
        t.absorb_word(&packed_i32_digest(y));
        t.absorb_g1(&c.w.0);
        t.absorb_u64(self.bias_shift.map_or(u64::MAX, u64::from));
        if let Some(cb) = &c.bias {
            t.absorb_g1(&cb.0);
        }
    }

    /// `2^(s−1)` (0 for `s = 0`), the rounding offset and the padding's remainder.
    fn half(&self) -> Fr {
        match self.requant.shift {
            0 => Fr::zero(),
            s => Fr::from(2u64).pow([u64::from(s - 1)]),
        }
    }

    /// `Ãcc(ρ)` from `Ỹ(ρ)` and `R̃em(ρ)` by the relation (module docs).
    fn acc_eval(&self, y_eval: Fr, rem_eval: Fr) -> Result<Fr, ContractError> {
        let two_s = Fr::from(2u64).pow([u64::from(self.requant.shift)]);
        let inv = fr_from_i64(self.requant.mult)
            .inverse()
            .ok_or(ContractError::Unsupported("a multiplier divisible by r"))?;
        Ok((two_s * y_eval + rem_eval - self.half()) * inv)
    }
}

/// A proof of one `Contract` node (module docs).
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct ContractProof {
    /// Commitment to the remainders.
    pub rem: Commitment,
    /// `R̃em(ρ)`.
    pub rem_eval: Fr,
    /// `b̃ias(ρ_j)`, iff the node has a bias.
    pub bias_eval: Option<Fr>,
    /// The matmul sumcheck.
    pub matmul: MatmulProof,
    /// The range check of the remainders, its openings deferred to `openings`.
    pub range: RangeArgument,
    /// One batched opening of every claim: `W̃(σ‖ρ_j)`, `R̃em(ρ)`, `R̃em(ρ')` and the range
    /// check's `h̃(ρ')`, `g̃(ρ_t)`, `μ̃(ρ_t)`.
    pub openings: BatchOpeningProof,
}

const LABEL: &[u8] = b"verinfer.contract.v1";

/// The remainders (padded as the module docs say), or the first output that clamps or
/// differs from the semantics.
fn remainders(
    node: &MatmulNode,
    x: &[i32],
    weights: Weights<'_>,
    y: &[i32],
) -> Result<DenseMle, ContractError> {
    let w = weights.w;
    let bias = |j: usize| -> i128 {
        match (weights.bias, node.bias_shift) {
            (Some(b), Some(s)) => i128::from(b[j]) << s,
            _ => 0,
        }
    };
    let (m, k, n) = node.shape.dims();
    let (a, _, b) = node.shape.log_dims();
    let Requant { mult, shift, bits } = node.requant;
    let half = if shift == 0 { 0 } else { 1i128 << (shift - 1) };
    let width = 1usize << b;
    let rows: Vec<Vec<Fr>> = (0..1usize << a)
        .into_par_iter()
        .map(|i| {
            let mut row = vec![fr_from_i128(half); width];
            if i >= m {
                return Ok(row);
            }
            for (j, slot) in row.iter_mut().enumerate().take(n) {
                let index = i * n + j;
                let acc: i128 = bias(j)
                    + (0..k)
                        .map(|l| i128::from(x[i * k + l]) * i128::from(w[l * n + j]))
                        .sum::<i128>();
                let v = acc * i128::from(mult);
                let q = verinfer_ir::round_shift(v, shift);
                if q < i128::from(bits.min_value()) || q > i128::from(bits.max_value()) {
                    return Err(ContractError::Clamped {
                        index,
                        bits: bits.get(),
                    });
                }
                if q != i128::from(y[index]) {
                    return Err(ContractError::TraceMismatch {
                        index,
                        expected: i64::try_from(q).unwrap_or(i64::MAX),
                        got: i64::from(y[index]),
                    });
                }
                *slot = fr_from_i128(v + half - (q << shift));
            }
            Ok(row)
        })
        .collect::<Result<_, ContractError>>()?;
    Ok(DenseMle::new(rows.concat())?)
}

/// Prove `y = requant(x·w (+ bias))` for `node`, with the weights committed as `commitments`
/// (the model's commitments).
///
/// # Errors
/// [`ContractError::Length`] / [`ContractError::Malformed`] for data of the wrong size or a
/// bias the node does not have, [`ContractError::Clamped`] for an output that saturates,
/// [`ContractError::TraceMismatch`] for an output that is not the node's,
/// [`ContractError::Pcs`] for an SRS too small.
pub fn prove_contract(
    ck: &CommitKey,
    node: &MatmulNode,
    x: &[i32],
    weights: Weights<'_>,
    commitments: &WeightCommitments,
    y: &[i32],
) -> Result<ContractProof, ContractError> {
    prove_contract_bound(ck, None, node, x, weights, commitments, y)
}

/// [`prove_contract`] for a statement: the 32-byte `statement` (the proof backend's digest of
/// the context and the public values) is absorbed before anything else, so the proof verifies
/// for that statement only ([`verify_contract_bound`]; `None` is [`prove_contract`]).
///
/// # Errors
/// As [`prove_contract`].
pub fn prove_contract_bound(
    ck: &CommitKey,
    statement: Option<&Word>,
    node: &MatmulNode,
    x: &[i32],
    weights: Weights<'_>,
    commitments: &WeightCommitments,
    y: &[i32],
) -> Result<ContractProof, ContractError> {
    node.check_lengths(x, y)?;
    node.check_weights(weights)?;
    node.check_commitments(commitments)?;
    let rem = remainders(node, x, weights, y)?;
    let io = Io { statement, x, y };
    prove_with_remainders(ck, node, io, weights, commitments, &rem)
}

/// The public side of a node proof: the optional statement word, `x`, `y`.
#[derive(Clone, Copy)]
struct Io<'a> {
    statement: Option<&'a Word>,
    x: &'a [i32],
    y: &'a [i32],
}

/// The protocol from step 1 for given remainders (honest ones from [`prove_contract`]; the
/// tests pass others to play a cheating prover).
fn prove_with_remainders(
    ck: &CommitKey,
    node: &MatmulNode,
    io: Io<'_>,
    weights: Weights<'_>,
    commitments: &WeightCommitments,
    rem: &DenseMle,
) -> Result<ContractProof, ContractError> {
    let Io { statement, x, y } = io;
    let (m, k, n) = node.shape.dims();
    let xm = FieldMatrix::from_i32(m, k, x)?;
    let wm = FieldMatrix::from_i32(k, n, weights.w)?;
    let t = &mut Transcript::new(LABEL);
    node.absorb(t, statement, x, y, commitments);
    let c_rem = pcs::commit(ck, rem)?;
    t.absorb_g1(&c_rem.0);
    let rho = t.challenges(node.shape.y_vars());
    let rem_eval = rem.evaluate(&rho)?;
    t.absorb_fr(&rem_eval);
    let rho_j = &rho[node.shape.log_dims().0..];
    let bias = weights.bias.map(bias_mle);
    let bias_eval = bias.as_ref().map(|b| b.evaluate(rho_j)).transpose()?;
    if let Some(e) = &bias_eval {
        t.absorb_fr(e);
    }
    let mm = matmul::prove(&xm, &wm, &rho, t)?;
    let (range, [oh, og, om], range_claim) =
        logup::prove_range_deferred(ck, node.requant.shift, rem, t)?;
    let w_mle = wm.to_mle();
    let mut polys: Vec<(&DenseMle, &Commitment, &[Fr])> = vec![
        (&w_mle, &commitments.w, &mm.claims.w_point[..]),
        (rem, &c_rem, &rho[..]),
        (rem, &c_rem, &range_claim.point[..]),
        (&oh.poly, &oh.claim.commitment, &oh.claim.point[..]),
        (&og.poly, &og.claim.commitment, &og.claim.point[..]),
        (&om.poly, &om.claim.commitment, &om.claim.point[..]),
    ];
    if let (Some(b), Some(cb)) = (&bias, &commitments.bias) {
        polys.push((b, cb, rho_j));
    }
    let (openings, _) = pcs::open_batch(ck, &polys, t)?;
    Ok(ContractProof {
        rem: c_rem,
        rem_eval,
        bias_eval,
        matmul: mm.proof,
        range,
        openings,
    })
}

/// Verify a proof that `y = requant(x·w (+ bias))` for `node`, the weights being those
/// committed as `commitments`.
///
/// # Errors
/// [`ContractError::Length`] / [`ContractError::OutputOutOfBound`] /
/// [`ContractError::Malformed`] for a malformed statement or proof; the parts' rejections
/// ([`ContractError::Matmul`], [`ContractError::Logup`], [`ContractError::Pcs`]) for a false
/// proof.
pub fn verify_contract(
    vk: &VerifierKey,
    node: &MatmulNode,
    x: &[i32],
    commitments: &WeightCommitments,
    y: &[i32],
    proof: &ContractProof,
) -> Result<(), ContractError> {
    verify_contract_bound(vk, None, node, x, commitments, y, proof)
}

/// [`verify_contract`] of a proof made for `statement` ([`prove_contract_bound`]).
///
/// # Errors
/// As [`verify_contract`]; a proof made for another statement fails like a false one.
pub fn verify_contract_bound(
    vk: &VerifierKey,
    statement: Option<&Word>,
    node: &MatmulNode,
    x: &[i32],
    commitments: &WeightCommitments,
    y: &[i32],
    proof: &ContractProof,
) -> Result<(), ContractError> {
    node.check_lengths(x, y)?;
    node.check_commitments(commitments)?;
    if node.has_bias() != proof.bias_eval.is_some() {
        return Err(ContractError::Malformed(
            "the proof's bias value does not match the node",
        ));
    }
    let (m, k, n) = node.shape.dims();
    let t = &mut Transcript::new(LABEL);
    node.absorb(t, statement, x, y, commitments);
    t.absorb_g1(&proof.rem.0);
    let rho = t.challenges(node.shape.y_vars());
    t.absorb_fr(&proof.rem_eval);
    let (rho_i, rho_j) = rho.split_at(node.shape.log_dims().0);
    if let Some(e) = &proof.bias_eval {
        t.absorb_fr(e);
    }
    let y_mle = FieldMatrix::from_i32(m, n, y)?.to_mle();
    let acc = node.acc_eval(y_mle.evaluate(&rho)?, proof.rem_eval)?
        - node.bias_term(rho_i, proof.bias_eval.unwrap_or_default());
    let claims = matmul::verify(node.shape, &rho, acc, &proof.matmul, t)?;
    let ([h, g, mu], range_claim) =
        logup::verify_range_deferred(node.requant.shift, rho.len(), &proof.range, t)?;
    let x_mle = FieldMatrix::from_i32(m, k, x)?.to_mle();
    if x_mle.evaluate(&claims.x_point)? != claims.x_eval {
        return Err(MatmulError::Sumcheck(crate::SumcheckError::Rejected).into());
    }
    let claim = |commitment, point, eval| Claim {
        commitment,
        point,
        eval,
    };
    let mut opened = vec![
        claim(&commitments.w, &claims.w_point[..], claims.w_eval),
        claim(&proof.rem, &rho[..], proof.rem_eval),
        claim(&proof.rem, &range_claim.point[..], range_claim.eval),
        claim(&h.commitment, &h.point[..], h.eval),
        claim(&g.commitment, &g.point[..], g.eval),
        claim(&mu.commitment, &mu.point[..], mu.eval),
    ];
    if let (Some(cb), Some(e)) = (&commitments.bias, proof.bias_eval) {
        opened.push(claim(cb, rho_j, e));
    }
    pcs::verify_batch(vk, &opened, &proof.openings, t)?;
    Ok(())
}

#[cfg(test)]
mod tests;
