// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {Arbiter} from "../Arbiter.sol";
import {Encoding} from "../Encoding.sol";

/// @title Common — what several of the arbiter's ops share
/// @notice Row-major shapes (`verinfer_ir::shape`: `numel`, `unravel_into`), the requant epilogue
///         (`verinfer_ir::requant`: `round_shift`, `Requant::apply`), Rust's checked i64
///         arithmetic, and the guards every op function starts with (the node is of my op; the
///         element exists). One copy here instead of one per op library.
/// @dev `internal pure`, inlined into its callers (docs/protocol-arbiter.md).
library Common {
    /// @notice Element count of `dims` (1 for a scalar).
    function numel(uint256[] memory dims) internal pure returns (uint256 n) {
        n = 1;
        for (uint256 i = 0; i < dims.length; ++i) {
            n *= dims[i];
        }
    }

    /// @notice Row-major multi-index of `flat` in `dims` (`shape::unravel_into`, dims of 0 read
    ///         as 1).
    function unravel(uint256 flat, uint256[] memory dims) internal pure returns (uint256[] memory idx) {
        uint256 r = dims.length;
        idx = new uint256[](r);
        for (uint256 i = r; i > 0; --i) {
            uint256 d = dims[i - 1];
            if (d == 0) d = 1;
            idx[i - 1] = flat % d;
            flat /= d;
        }
    }

    /// @notice `round_shift(a, k) = (a + 2^(k-1)) >> k` (arithmetic shift, round half up) for
    ///         k ≥ 1, identity for k = 0; k is capped at 126 exactly as Rust's i128 version is.
    function roundShift(int256 a, uint256 k) internal pure returns (int256) {
        if (k == 0) return a;
        if (k > 126) k = 126;
        return (a + (int256(1) << (k - 1))) >> k;
    }

    /// @notice `clamp(roundShift(acc · mult, shift), bits)` for an i64 accumulator
    ///         (`Requant::apply`).
    function requant(int256 acc, Arbiter.Requant memory r) internal pure returns (int32) {
        if (acc < Encoding.I64_MIN || acc > Encoding.I64_MAX) revert Arbiter.AccumulatorOutOfRange(acc);
        if (r.mult < Encoding.I64_MIN || r.mult > Encoding.I64_MAX || r.bits == 0 || r.bits > Encoding.BITS_MAX) {
            revert Arbiter.InvalidNode();
        }
        // |acc · mult| ≤ 2^126 and the rounding term ≤ 2^125: far inside int256.
        int256 y = roundShift(acc * r.mult, r.shift);
        int256 hi = (int256(1) << (r.bits - 1)) - 1;
        int256 lo = -(int256(1) << (r.bits - 1));
        if (y > hi) y = hi;
        if (y < lo) y = lo;
        return int32(y);
    }

    /// @notice `v`, or `Overflow()` where Rust's checked i64 arithmetic would have failed.
    function i64(int256 v) internal pure returns (int256) {
        if (v < Encoding.I64_MIN || v > Encoding.I64_MAX) revert Arbiter.Overflow();
        return v;
    }

    /// @notice Reverts `ElementOutOfRange` unless output element `j` of `n` exists.
    function checkElement(Arbiter.Node memory n, uint256 j) internal pure {
        uint256 len = numel(n.out.shape);
        if (j >= len) revert Arbiter.ElementOutOfRange(j, len);
    }

    /// @notice Reverts `WrongOp` unless `n` is a node of op `tag`.
    function expectOp(Arbiter.Node memory n, uint256 tag) internal pure {
        if (n.tag != tag) revert Arbiter.WrongOp(n.tag);
    }
}
