// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

/// @title Arbiter — the scalar semantics of every verinfer primitive, on-chain side: its types
/// @notice The one-step of the dispute game (docs/protocol.md) ends at one output element `j` of one
///         node (and, for a reduction, one short segment of its accumulation). The arbiter
///         (1) decodes the node's canonical words (`NodeDecoder`, docs/commitments.md, the exact
///         inverse of `verinfer_commit::encode::node_words`), (2) says which operand elements
///         element `j` and reduction step `r` read, and (3) recomputes the element, or the
///         accumulator over a segment, with exactly the integer semantics of the Rust scalar
///         reference — (2) and (3) in one library per op under `ops/`, named like the Rust files
///         (`crates/verinfer-ir/src/ops/*.rs`), over the shared helpers of `ops/Common.sol`
///         (shapes, `requant.rs`) and the dispatch of `ops/Ops.sol` (`ops/mod.rs`). The words'
///         constants live in `Encoding`. Opening the operand elements against the committed
///         roots (MerkleLib) is the caller's job (`OneStepVerifier`).
///
///         This library holds what all of them share: the decoded node and the errors. It keeps
///         the name `Arbiter` because the ABI names its types (`struct Arbiter.Node`, returned by
///         `ArbiterHarness.decode`), and the Rust bindings are generated from those names.
/// @dev Every function of the arbiter is `internal pure`, so all of it is inlined into its
///      caller: no library is deployed or linked. Widths: Rust accumulates in i64 with
///      `checked_*` arithmetic and its validator proves no overflow for valid graphs; here
///      everything is int256, and wherever Rust's checked arithmetic would fail (return `None`)
///      the arbiter reverts with `Overflow()` / `AccumulatorOutOfRange`, so the two compute the
///      same partial function: equal results where Rust has one, a revert where it has none.
///      Every operand is bounded far below 2^255 (int32 elements, int64 multipliers,
///      coefficients and accumulators, dims < 2^64 — the decoder enforces the ranges), so
///      checked arithmetic never trips on inputs Rust accepts. `unchecked` arithmetic and
///      assembly appear only in the decoder's list copies and the affine index arithmetic of
///      Contract's read sets, each with its bound argued where it is used. Functions that
///      depend on one op revert `WrongOp(tag)` for another op. See docs/protocol-arbiter.md.
library Arbiter {
    // ---------------------------------------------------------------------------------------
    // Errors
    // ---------------------------------------------------------------------------------------

    /// @notice The words are not a node encoding: bad tag or kind, a field out of its range, a
    ///         length running past the end, or trailing words. `pos` is the offending word.
    error MalformedNode(uint256 pos);
    /// @notice A function for one op was called with a node of another op.
    error WrongOp(uint256 tag);
    /// @notice Rust's checked i64 arithmetic would fail here (never for a validated graph).
    error Overflow();
    /// @notice `requant` takes an i64 accumulator, as `Requant::apply` does.
    error AccumulatorOutOfRange(int256 acc);
    /// @notice Output element `j` does not exist (the node has `len` elements).
    error ElementOutOfRange(uint256 j, uint256 len);
    /// @notice Accumulation step `r` or segment end does not exist (the node has `steps`).
    error StepOutOfRange(uint256 r, uint256 steps);
    /// @notice A node the Rust reference could not evaluate (where it would panic or return
    ///         `None`): never for a graph the validator accepts.
    error InvalidNode();
    /// @notice Two arrays that must have equal lengths do not.
    error LengthMismatch(uint256 a, uint256 b);

    // ---------------------------------------------------------------------------------------
    // The decoded node
    // ---------------------------------------------------------------------------------------

    /// @notice `TensorInfo`: shape (row-major), scale exponent, bit bound.
    struct TensorInfo {
        uint256[] shape;
        int256 scale;
        uint256 bits;
    }

    /// @notice `y = clamp(roundShift(acc · mult, shift), bits)`.
    struct Requant {
        int256 mult;
        uint256 shift;
        uint256 bits;
    }

    /// @notice One operand axis: `index = Σ out[i]·o[i] + Σ red[k]·r[k] + offset`.
    struct AffineRow {
        int256[] out;
        int256[] red;
        int256 offset;
    }

    /// @notice One row per operand axis.
    struct AffineMap {
        AffineRow[] rows;
    }

    /// @notice Where an operand comes from (`kind` 0: value id, 1: parameter id) and its facts.
    struct Operand {
        uint256 kind;
        uint256 id;
        TensorInfo info;
    }

    /// @notice The attributes of `Contract`.
    struct ContractAttrs {
        uint256[] outIter;
        uint256[] red;
        AffineMap xMap;
        AffineMap wMap;
        bool hasBias;
        AffineMap biasMap;
        uint256 biasShift;
    }

    /// @notice A decoded node leaf. Fields an op does not have stay zero / empty.
    struct Node {
        /// Op tag, 1..9.
        uint256 tag;
        /// Contract's attributes (tag 1).
        ContractAttrs c;
        /// Epilogue of Contract, Rescale, Binary, Reduce, Div, ISqrt.
        Requant requant;
        /// Binary kind (Add 0 … Min 4) or Reduce kind (Sum 0, Max 1, ArgMax 2).
        uint256 kind;
        /// Binary multipliers.
        int256 aMult;
        int256 bMult;
        /// Div: left shift of the numerator; ISqrt: left shift of the radicand.
        uint256 shift;
        /// Lookup's table / Move's index map: parameter id and facts.
        uint256 param;
        TensorInfo paramInfo;
        /// Lookup: input value of the first table entry.
        int256 lo;
        /// Move: value where the map says -1.
        int256 fill;
        /// Reduce: reduced axes and keep_dims.
        uint256[] axes;
        bool keepDims;
        /// Gather: gathered axis of data.
        uint256 axis;
        /// Operands in op order, each with its facts.
        Operand[] operands;
        /// Output facts.
        TensorInfo out;
    }
}
