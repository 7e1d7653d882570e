//! The matrix-product layer: prove `Y = X·W` (`X` is `m×k`, `W` is `k×n`) by one sumcheck
//! whose prover runs in time linear in the operands, not in the `m·k·n` multiplications
//! (Thaler, "Time-optimal interactive proofs for circuit evaluation", 2013, §matmul).
//!
//! # Embedding and padding
//!
//! Integers enter `Fr` by [`crate::field`] (`v < 0` is `r − |v|`). Each dimension is
//! zero-padded to a power of two: `m ≤ 2^a`, `k ≤ 2^c`, `n ≤ 2^b`, and a matrix is the
//! multilinear polynomial of its padded row-major table ([`crate::mle`]: row bits first, most
//! significant first). Padding with zeros keeps `Y = X·W` true for the padded matrices, so the
//! identity below is exact.
//!
//! # Protocol
//!
//! For the multilinear extensions, on the whole of `F^a × F^b`,
//!
//! ```text
//! Ỹ(i, j) = Σ_{l ∈ {0,1}^c} X̃(i, l)·W̃(l, j)
//! ```
//!
//! (both sides are multilinear in `(i, j)` and agree on the hypercube). Given a claim
//! `Ỹ(ρ_i, ρ_j) = v` at a point the verifier chose (from the transcript, after `Y` or its
//! commitment was absorbed), the prover builds the two `2^c` tables
//! `f(l) = X̃(ρ_i, l) = Σ_i eq(ρ_i, i)·X[i][l]` and `g(l) = W̃(l, ρ_j) = Σ_j W[l][j]·eq(ρ_j, j)`
//! (`O(m·k + k·n)`) and runs the degree-2 sumcheck for `v = Σ_l f(l)·g(l)` (`O(k)`). The
//! verifier ends with the point `σ ∈ F^c` and two claims, **which the caller must check**:
//! `X̃(ρ_i ‖ σ) = f(σ)` and `W̃(σ ‖ ρ_j) = g(σ)` — by commitment openings (weights) or as the
//! next layer's output claim (activations).
//!
//! Both sides absorb the shape `(m, k, n)` first. Soundness: the sumcheck's `2c/r` (times the
//! transcript's bias 1.14), plus whatever checks the two final claims.

use ark_bn254::Fr;
use ark_ff::Zero;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use rayon::prelude::*;

use crate::arith::Fs;
use crate::error::MatmulError;
use crate::field::fr_from_i64;
use crate::mle::{eq_table, DenseMle};
use crate::sumcheck::{self, SumcheckProof};
use crate::transcript::Transcript;

/// Rows at which the row-blocked accumulation goes parallel.
const PAR_ROWS: usize = 64;

/// `⌈log2 n⌉` (0 for n ≤ 1).
fn log2_ceil(n: usize) -> usize {
    n.next_power_of_two().trailing_zeros() as usize
}

/// A dense row-major matrix over `Fr` with nonzero dimensions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldMatrix {
    rows: usize,
    cols: usize,
    data: Vec<Fr>,
}

impl FieldMatrix {
    /// A `rows × cols` matrix from row-major data.
    ///
    /// # Errors
    /// [`MatmulError::MatrixShape`] for a zero dimension or `data.len() ≠ rows·cols`.
    pub fn new(rows: usize, cols: usize, data: Vec<Fr>) -> Result<Self, MatmulError> {
        if rows == 0 || cols == 0 || rows.checked_mul(cols) != Some(data.len()) {
            return Err(MatmulError::MatrixShape {
                rows,
                cols,
                len: data.len(),
            });
        }
        Ok(Self { rows, cols, data })
    }

    /// The embedding of an `i32` matrix (negative values as `r − |v|`).
    ///
    /// # Errors
    /// As [`FieldMatrix::new`].
    pub fn from_i32(rows: usize, cols: usize, data: &[i32]) -> Result<Self, MatmulError> {
        Self::new(
            rows,
            cols,
            data.iter().map(|&v| fr_from_i64(i64::from(v))).collect(),
        )
    }

    /// Rows.
    #[must_use]
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Columns.
    #[must_use]
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Row-major entries.
    #[must_use]
    pub fn data(&self) -> &[Fr] {
        &self.data
    }

    /// Row bits `a = ⌈log2 rows⌉` and column bits `b = ⌈log2 cols⌉` of the padded table.
    #[must_use]
    pub fn log_dims(&self) -> (usize, usize) {
        (log2_ceil(self.rows), log2_ceil(self.cols))
    }

    /// The multilinear polynomial of the zero-padded `2^a × 2^b` table (row bits first).
    #[must_use]
    pub fn to_mle(&self) -> DenseMle {
        let (a, b) = self.log_dims();
        let width = 1usize << b;
        let mut evals = vec![Fr::zero(); width << a];
        for (dst, src) in evals.chunks_mut(width).zip(self.data.chunks(self.cols)) {
            dst[..src.len()].copy_from_slice(src);
        }
        DenseMle::from_padded(evals)
    }

    /// `Σ_i weights[i]·row_i` over the rows (`weights` may be longer than the row count: the
    /// padded rows are zero). Row blocks are summed in parallel and combined; exact, so the
    /// result does not depend on the split.
    fn weighted_row_sum(&self, weights: &[Fr]) -> Vec<Fr> {
        let cols = self.cols;
        let add_row = |mut acc: Vec<Fr>, (row, w): (&[Fr], &Fr)| {
            acc.iter_mut().zip(row).for_each(|(a, x)| *a += *w * x);
            acc
        };
        if self.rows >= PAR_ROWS {
            self.data
                .par_chunks(cols)
                .zip(weights.par_iter())
                .fold(|| vec![Fr::zero(); cols], add_row)
                .reduce(
                    || vec![Fr::zero(); cols],
                    |mut a, b| {
                        a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
                        a
                    },
                )
        } else {
            self.data
                .chunks(cols)
                .zip(weights.iter())
                .fold(vec![Fr::zero(); cols], add_row)
        }
    }

    /// `M·v` for a column weight vector (one dot product per row, parallel over rows).
    fn weighted_col_sum(&self, weights: &[Fr]) -> Vec<Fr> {
        let dot = |row: &[Fr]| -> Fr { row.iter().zip(weights).map(|(x, w)| *x * w).sum() };
        if self.rows >= PAR_ROWS {
            self.data.par_chunks(self.cols).map(dot).collect()
        } else {
            self.data.chunks(self.cols).map(dot).collect()
        }
    }
}

/// The dimensions of `Y = X·W`: `X` is `m×k`, `W` is `k×n`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MatmulShape {
    m: usize,
    k: usize,
    n: usize,
}

impl MatmulShape {
    /// A shape with nonzero dimensions.
    ///
    /// # Errors
    /// [`MatmulError::MatrixShape`] for a zero dimension.
    pub fn new(m: usize, k: usize, n: usize) -> Result<Self, MatmulError> {
        if m == 0 || k == 0 || n == 0 {
            return Err(MatmulError::MatrixShape {
                rows: m,
                cols: n,
                len: k,
            });
        }
        Ok(Self { m, k, n })
    }

    /// The shape of `x·w`.
    ///
    /// # Errors
    /// [`MatmulError::InnerDimension`] if `x.cols() ≠ w.rows()`.
    pub fn of(x: &FieldMatrix, w: &FieldMatrix) -> Result<Self, MatmulError> {
        if x.cols != w.rows {
            return Err(MatmulError::InnerDimension {
                x_cols: x.cols,
                w_rows: w.rows,
            });
        }
        Self::new(x.rows, x.cols, w.cols)
    }

    /// `(m, k, n)`.
    #[must_use]
    pub fn dims(&self) -> (usize, usize, usize) {
        (self.m, self.k, self.n)
    }

    /// Bits `(a, c, b)` of the padded `m`, `k`, `n`.
    #[must_use]
    pub fn log_dims(&self) -> (usize, usize, usize) {
        (log2_ceil(self.m), log2_ceil(self.k), log2_ceil(self.n))
    }

    /// Coordinates of a point of `Ỹ`: `a + b`.
    #[must_use]
    pub fn y_vars(&self) -> usize {
        let (a, _, b) = self.log_dims();
        a + b
    }

    fn absorb<F: crate::arith::Fe>(&self, t: &mut impl Fs<F>) {
        for d in [self.m, self.k, self.n] {
            t.absorb_size(d as u64);
        }
    }

    /// Split a point of `Ỹ` into its row part `ρ_i` (first `a`) and column part `ρ_j`.
    fn split<'p, F>(&self, y_point: &'p [F]) -> Result<(&'p [F], &'p [F]), MatmulError> {
        if y_point.len() != self.y_vars() {
            return Err(MatmulError::PointLength {
                expected: self.y_vars(),
                got: y_point.len(),
            });
        }
        Ok(y_point.split_at(self.log_dims().0))
    }
}

/// A proof of one claim `Ỹ(ρ) = v` about `Y = X·W`.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct MatmulProof {
    /// The degree-2 sumcheck over the inner dimension.
    pub sumcheck: SumcheckProof,
}

/// What a matmul proof reduces `Ỹ(ρ_i ‖ ρ_j) = v` to; the caller must check both.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatmulClaims<F = Fr> {
    /// `ρ_i ‖ σ`, a point of `X̃` (`a + c` coordinates).
    pub x_point: Vec<F>,
    /// The claimed `X̃(ρ_i ‖ σ)`.
    pub x_eval: F,
    /// `σ ‖ ρ_j`, a point of `W̃` (`c + b` coordinates).
    pub w_point: Vec<F>,
    /// The claimed `W̃(σ ‖ ρ_j)`.
    pub w_eval: F,
}

impl<F: Copy> MatmulClaims<F> {
    fn new(rho_i: &[F], rho_j: &[F], sigma: &[F], evals: &[F]) -> Result<Self, MatmulError> {
        let [x_eval, w_eval] = evals else {
            return Err(crate::error::SumcheckError::Malformed("two final evaluations").into());
        };
        Ok(Self {
            x_point: [rho_i, sigma].concat(),
            x_eval: *x_eval,
            w_point: [sigma, rho_j].concat(),
            w_eval: *w_eval,
        })
    }
}

/// The prover's result: the proof, the value `v = Ỹ(ρ)` it proves, and the reduced claims.
#[derive(Clone, Debug)]
pub struct MatmulProved {
    /// The proof to send.
    pub proof: MatmulProof,
    /// `Ỹ(ρ)` of the true product (what the verifier must also hold).
    pub y_eval: Fr,
    /// The claims about `X̃` and `W̃` the verifier will hold.
    pub claims: MatmulClaims,
}

/// Prove the value of `(X·W)~` at `y_point = ρ_i ‖ ρ_j` (row bits, then column bits).
///
/// # Errors
/// [`MatmulError::InnerDimension`] for incompatible operands, [`MatmulError::PointLength`] for
/// a point of the wrong length.
pub fn prove(
    x: &FieldMatrix,
    w: &FieldMatrix,
    y_point: &[Fr],
    transcript: &mut impl Fs<Fr>,
) -> Result<MatmulProved, MatmulError> {
    let shape = MatmulShape::of(x, w)?;
    let (rho_i, rho_j) = shape.split(y_point)?;
    let (_, c, _) = shape.log_dims();
    shape.absorb(transcript);
    let mut f = x.weighted_row_sum(&eq_table(rho_i));
    let mut g = w.weighted_col_sum(&eq_table(rho_j));
    f.resize(1 << c, Fr::zero());
    g.resize(1 << c, Fr::zero());
    let proved = sumcheck::prove(vec![DenseMle::new(f)?, DenseMle::new(g)?], transcript)?;
    let claims = MatmulClaims::new(rho_i, rho_j, &proved.reduced.point, &proved.reduced.evals)?;
    Ok(MatmulProved {
        proof: MatmulProof {
            sumcheck: proved.proof,
        },
        y_eval: proved.claim,
        claims,
    })
}

/// Verify a proof of `Ỹ(y_point) = y_eval` for a product of this shape, returning the claims
/// about `X̃` and `W̃` that remain to be checked.
///
/// # Errors
/// [`MatmulError::PointLength`] for a point of the wrong length; [`MatmulError::Sumcheck`] with
/// [`crate::SumcheckError::Rejected`] for a false claim or proof, `Malformed` for a proof of the
/// wrong shape.
pub fn verify(
    shape: MatmulShape,
    y_point: &[Fr],
    y_eval: Fr,
    proof: &MatmulProof,
    transcript: &mut Transcript,
) -> Result<MatmulClaims, MatmulError> {
    verify_sumcheck(shape, y_point, y_eval, &proof.sumcheck, transcript)
}

/// [`verify`] over any interpretation of the verifier's arithmetic, given the proof's
/// sumcheck ([`SumcheckProof::lift`]ed).
///
/// # Errors
/// As [`verify`].
pub fn verify_sumcheck<F: crate::arith::Fe>(
    shape: MatmulShape,
    y_point: &[F],
    y_eval: F,
    sumcheck: &SumcheckProof<F>,
    transcript: &mut impl Fs<F>,
) -> Result<MatmulClaims<F>, MatmulError> {
    let (rho_i, rho_j) = shape.split(y_point)?;
    let (_, c, _) = shape.log_dims();
    shape.absorb(transcript);
    let reduced = sumcheck::verify(c, 2, y_eval, sumcheck, transcript)?;
    MatmulClaims::new(rho_i, rho_j, &reduced.point, &reduced.evals)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::fr_from_i128;
    use crate::SumcheckError;
    use ark_ff::One;
    use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};

    fn random_i32(rng: &mut StdRng, len: usize) -> Vec<i32> {
        (0..len)
            .map(|i| match i % 4 {
                0 => i32::MIN + rng.gen_range(0..3),
                1 => i32::MAX - rng.gen_range(0..3),
                _ => rng.gen(),
            })
            .collect()
    }

    /// The integer product, exactly (i128 accumulators).
    fn product(x: &[i32], w: &[i32], m: usize, k: usize, n: usize) -> Vec<i128> {
        let mut y = vec![0i128; m * n];
        for i in 0..m {
            for l in 0..k {
                for j in 0..n {
                    y[i * n + j] += i128::from(x[i * k + l]) * i128::from(w[l * n + j]);
                }
            }
        }
        y
    }

    fn y_matrix(y: &[i128], m: usize, n: usize) -> FieldMatrix {
        FieldMatrix::new(m, n, y.iter().map(|&v| fr_from_i128(v)).collect()).unwrap()
    }

    /// The whole exchange with the operands public: the verifier evaluates X̃, W̃ and Ỹ
    /// itself. Returns the verifier's verdict on `y` (which may be false).
    fn run(m: usize, k: usize, n: usize, seed: u64, corrupt: Option<usize>) -> bool {
        let mut rng = StdRng::seed_from_u64(seed);
        let (xs, ws) = (random_i32(&mut rng, m * k), random_i32(&mut rng, k * n));
        let x = FieldMatrix::from_i32(m, k, &xs).unwrap();
        let w = FieldMatrix::from_i32(k, n, &ws).unwrap();
        let mut yv = product(&xs, &ws, m, k, n);
        if let Some(at) = corrupt {
            yv[at % (m * n)] += 1;
        }
        let y = y_matrix(&yv, m, n);
        let shape = MatmulShape::of(&x, &w).unwrap();

        let start = |y: &FieldMatrix| {
            let mut t = Transcript::new(b"verinfer.matmul.test");
            t.absorb_frs(y.data());
            let rho = t.challenges(shape.y_vars());
            (t, rho)
        };
        let (mut tp, rho) = start(&y);
        let proved = prove(&x, &w, &rho, &mut tp).unwrap();

        let (mut tv, rho_v) = start(&y);
        let y_eval = y.to_mle().evaluate(&rho_v).unwrap();
        if corrupt.is_none() {
            assert_eq!(y_eval, proved.y_eval);
        }
        let Ok(claims) = verify(shape, &rho_v, y_eval, &proved.proof, &mut tv) else {
            return false;
        };
        assert_eq!(claims, proved.claims);
        x.to_mle().evaluate(&claims.x_point).unwrap() == claims.x_eval
            && w.to_mle().evaluate(&claims.w_point).unwrap() == claims.w_eval
    }

    #[test]
    fn square_power_of_two() {
        assert!(run(8, 8, 8, 1, None));
    }

    #[test]
    fn non_power_of_two_shapes_pad_with_zeros() {
        for (m, k, n) in [(3, 5, 7), (1, 1, 1), (1, 9, 1), (17, 3, 2), (5, 1, 6)] {
            assert!(
                run(m, k, n, (m * 100 + k * 10 + n) as u64, None),
                "{m}x{k}x{n}"
            );
        }
    }

    #[test]
    fn a_wrong_product_is_rejected() {
        for (m, k, n, at) in [(4, 4, 4, 0), (3, 5, 7, 20), (2, 1, 3, 5), (6, 7, 5, 13)] {
            assert!(!run(m, k, n, 42, Some(at)), "{m}x{k}x{n} at {at}");
        }
    }

    #[test]
    fn tampered_proofs_and_claims_are_rejected() {
        let mut rng = StdRng::seed_from_u64(5);
        let (m, k, n) = (6, 10, 3);
        let x = FieldMatrix::from_i32(m, k, &random_i32(&mut rng, m * k)).unwrap();
        let w = FieldMatrix::from_i32(k, n, &random_i32(&mut rng, k * n)).unwrap();
        let shape = MatmulShape::of(&x, &w).unwrap();
        let rho: Vec<Fr> = Transcript::new(b"r").challenges(shape.y_vars());
        let p = prove(&x, &w, &rho, &mut Transcript::new(b"m")).unwrap();
        let v = |y_eval: Fr, proof: &MatmulProof| {
            verify(shape, &rho, y_eval, proof, &mut Transcript::new(b"m"))
        };
        assert!(v(p.y_eval, &p.proof).is_ok());
        assert_eq!(
            v(p.y_eval + Fr::one(), &p.proof),
            Err(MatmulError::Sumcheck(SumcheckError::Rejected))
        );
        for round in 0..p.proof.sumcheck.rounds.len() {
            let mut bad = p.proof.clone();
            bad.sumcheck.rounds[round].0[1] -= Fr::one();
            assert!(v(p.y_eval, &bad).is_err());
        }
        // A prover that lies about X̃'s value must also lie about W̃'s to pass the sumcheck,
        // and both are then caught by the evaluations.
        let mut bad = p.proof.clone();
        bad.sumcheck.final_evals[0] += Fr::one();
        assert!(v(p.y_eval, &bad).is_err());
        // Wrong shape of the statement.
        let other = MatmulShape::new(m, k + 7, n).unwrap();
        assert!(verify(other, &rho, p.y_eval, &p.proof, &mut Transcript::new(b"m")).is_err());
        assert!(matches!(
            verify(
                shape,
                &rho[1..],
                p.y_eval,
                &p.proof,
                &mut Transcript::new(b"m")
            ),
            Err(MatmulError::PointLength { .. })
        ));
    }

    #[test]
    fn bad_operands_are_errors() {
        let x = FieldMatrix::from_i32(2, 3, &[1; 6]).unwrap();
        let w = FieldMatrix::from_i32(2, 3, &[1; 6]).unwrap();
        assert!(matches!(
            prove(&x, &w, &[], &mut Transcript::new(b"m")),
            Err(MatmulError::InnerDimension {
                x_cols: 3,
                w_rows: 2
            })
        ));
        assert!(FieldMatrix::from_i32(2, 3, &[1; 5]).is_err());
        assert!(FieldMatrix::from_i32(0, 3, &[]).is_err());
        assert!(MatmulShape::new(1, 0, 1).is_err());
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(24))]
            #[test]
            fn random_shapes(m in 1usize..12, k in 1usize..12, n in 1usize..12, seed: u64) {
                prop_assert!(run(m, k, n, seed, None));
                prop_assert!(!run(m, k, n, seed, Some(seed as usize)));
            }
        }
    }
}
