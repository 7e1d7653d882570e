//! The crate's typed errors, one enum per protocol layer. A rejected proof is an error of the
//! verifier (`Rejected`-like variants); a malformed input (wrong lengths, shapes) is another
//! variant, so a caller can tell "this proof is false" from "this call was wrong".

/// Misuse of a multilinear polynomial.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MleError {
    /// A table whose length is not a power of two (zero included).
    #[error("a multilinear table needs a power-of-two length, got {len}")]
    NotPowerOfTwo {
        /// The length given.
        len: usize,
    },
    /// A point with the wrong number of coordinates.
    #[error("point has {got} coordinates, the polynomial has {expected} variables")]
    PointLength {
        /// Variables of the polynomial.
        expected: usize,
        /// Coordinates given.
        got: usize,
    },
}

/// Why a sumcheck could not be proven or did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SumcheckError {
    /// The product has no factors or more than [`crate::sumcheck::MAX_DEGREE`].
    #[error("a product of {factors} factors; 1 to {max} are supported")]
    Degree {
        /// Factors given.
        factors: usize,
        /// The most supported.
        max: usize,
    },
    /// The factors do not all have the same number of variables.
    #[error("factor {index} has {got} variables, factor 0 has {expected}")]
    FactorShape {
        /// Which factor.
        index: usize,
        /// Variables of factor 0.
        expected: usize,
        /// Its variables.
        got: usize,
    },
    /// The proof's shape does not match the statement (rounds, message or evaluation count).
    #[error("malformed sumcheck proof: {0}")]
    Malformed(&'static str),
    /// The final evaluations do not give the value the rounds reduce the claim to: the claimed
    /// sum, a round message or a final evaluation is false.
    #[error("sumcheck rejected: the final evaluations do not match the reduced claim")]
    Rejected,
}

/// Why a matrix-product proof could not be made or did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MatmulError {
    /// A matrix whose data does not have `rows × cols` entries, or a zero dimension.
    #[error("matrix data has {len} entries for {rows}×{cols}")]
    MatrixShape {
        /// Rows.
        rows: usize,
        /// Columns.
        cols: usize,
        /// Entries given.
        len: usize,
    },
    /// `X` is `m×k` but `W` is `k'×n` with `k ≠ k'`.
    #[error("inner dimensions differ: X has {x_cols} columns, W has {w_rows} rows")]
    InnerDimension {
        /// Columns of `X`.
        x_cols: usize,
        /// Rows of `W`.
        w_rows: usize,
    },
    /// The point for `Ỹ` has the wrong number of coordinates.
    #[error("the point for Y has {got} coordinates, the padded shape needs {expected}")]
    PointLength {
        /// Coordinates the shape needs.
        expected: usize,
        /// Coordinates given.
        got: usize,
    },
    /// The inner sumcheck failed.
    #[error(transparent)]
    Sumcheck(#[from] SumcheckError),
    /// Evaluating an operand failed.
    #[error(transparent)]
    Mle(#[from] MleError),
}

/// Why a polynomial commitment operation failed or an opening did not verify.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PcsError {
    /// The polynomial is larger than the structured reference string.
    #[error(
        "a polynomial of 2^{num_vars} coefficients needs more than the SRS's {srs_len} powers"
    )]
    SrsTooSmall {
        /// Variables of the polynomial.
        num_vars: usize,
        /// Powers of τ in the SRS.
        srs_len: usize,
    },
    /// The evaluation point has the wrong number of coordinates.
    #[error("point has {got} coordinates, the polynomial has {expected} variables")]
    PointLength {
        /// Variables of the polynomial.
        expected: usize,
        /// Coordinates given.
        got: usize,
    },
    /// The proof's shape does not match the statement.
    #[error("malformed opening proof: {0}")]
    Malformed(&'static str),
    /// A Fiat–Shamir challenge hit a value the protocol cannot use (zero); probability
    /// about 2^-253, reported instead of panicking.
    #[error("degenerate Fiat-Shamir challenge (probability ~2^-253)")]
    DegenerateChallenge,
    /// The opening does not verify: the evaluation, the point, the commitment or the proof is
    /// false.
    #[error("opening rejected: {0}")]
    Rejected(&'static str),
    /// The `.ptau` file was refused.
    #[error(transparent)]
    Ptau(#[from] verinfer_ptau::PtauError),
    /// The `.ptau` points do not describe successive powers of one τ.
    #[error("the SRS is inconsistent: {0}")]
    InconsistentSrs(&'static str),
    /// A multilinear-polynomial misuse.
    #[error(transparent)]
    Mle(#[from] MleError),
}

/// Why a range check (logUp) could not be proven or did not verify.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LogupError {
    /// A value to prove in range is not: no proof exists (a witness error, not a bug).
    #[error("value {index} is not in [0, 2^{bits})")]
    OutOfRange {
        /// Its index in the (padded) vector.
        index: usize,
        /// The range's bits.
        bits: u32,
    },
    /// A range wider than supported.
    #[error("a range of 2^{bits} values; at most 2^{max} are supported")]
    TooWide {
        /// The range's bits.
        bits: u32,
        /// The most supported.
        max: u32,
    },
    /// A Fiat–Shamir challenge hit a pole `β = −v` (probability `2^bits/r`).
    #[error("degenerate Fiat-Shamir challenge (β is minus a table value)")]
    DegenerateChallenge,
    /// A claimed value the verifier computes itself (`eq`, the table) differs.
    #[error("range check rejected: {0}")]
    Rejected(&'static str),
    /// A sumcheck failed.
    #[error(transparent)]
    Sumcheck(#[from] SumcheckError),
    /// A commitment or opening failed.
    #[error(transparent)]
    Pcs(#[from] PcsError),
    /// A multilinear-polynomial misuse.
    #[error(transparent)]
    Mle(#[from] MleError),
}

/// Why a word list is not a proof of the expected shape (the inverse of [`crate::evm`]).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum EvmDecodeError {
    /// Fewer or more words than the statement's shape needs.
    #[error("the proof has {got} words, the statement's shape needs {expected}")]
    Length {
        /// Words needed.
        expected: usize,
        /// Words given.
        got: usize,
    },
    /// A scalar word at or above `r`.
    #[error("word {index} is not a canonical scalar")]
    NonCanonical {
        /// Word index.
        index: usize,
    },
    /// Two words that are not a point of `G1` (nor `0 ‖ 0`).
    #[error("words {index} and {} are not a G1 point", index + 1)]
    NotOnCurve {
        /// Index of the `x` word.
        index: usize,
    },
}
