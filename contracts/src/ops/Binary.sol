// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {Arbiter} from "../Arbiter.sol";
import {Encoding} from "../Encoding.sol";
import {Common} from "./Common.sol";

/// @title Binary — `verinfer_ir::ops::binary`: elementwise Add, Sub, Mul, Max, Min
/// @notice out[j] = requant(f(a[A(j)]·aMult, b[B(j)]·bMult)) under numpy broadcasting. The read
///         set (`reads`, `broadcastIndex`) is also Div's, as in Rust, where `div` broadcasts
///         with `binary::broadcast_index`.
/// @dev One library per op, named like the Rust file. `internal pure`, inlined into its callers.
library Binary {
    /// @notice Flat index into an operand of shape `src` read by output element `j` of shape
    ///         `out` under numpy broadcasting (`binary::broadcast_index`).
    function broadcastIndex(uint256[] memory src, uint256[] memory out, uint256 j)
        internal
        pure
        returns (uint256 flat)
    {
        uint256 r = out.length;
        uint256 s = src.length;
        if (s > r) revert Arbiter.InvalidNode();
        if (s == r) {
            bool same = true;
            for (uint256 i = 0; i < r; ++i) {
                if (src[i] != out[i]) {
                    same = false;
                    break;
                }
            }
            if (same) return j;
        }
        // Walk the output axes from the last: unravel j, and accumulate the source's row-major
        // strides (0 on broadcast axes, where the source dim is 1).
        uint256 stride = 1;
        for (uint256 i = r; i > 0; --i) {
            uint256 d = out[i - 1];
            if (d == 0) d = 1;
            uint256 idx = j % d;
            j /= d;
            if (i + s > r) {
                uint256 sd = src[i - 1 + s - r];
                if (sd != 1) flat += idx * stride;
                stride *= sd;
            }
        }
    }

    /// @notice Flat indices into `a` and `b` read by output element `j` of a Binary or Div node.
    function reads(Arbiter.Node memory n, uint256 j) internal pure returns (uint256 ai, uint256 bi) {
        if (n.tag != Encoding.OP_BINARY && n.tag != Encoding.OP_DIV) revert Arbiter.WrongOp(n.tag);
        Common.checkElement(n, j);
        if (n.operands.length != 2) revert Arbiter.InvalidNode();
        ai = broadcastIndex(n.operands[0].info.shape, n.out.shape, j);
        bi = broadcastIndex(n.operands[1].info.shape, n.out.shape, j);
    }

    /// @notice The exact value `f(a·aMult, b·bMult)` (`binary::exact`), reverting where Rust's
    ///         checked i64 arithmetic fails.
    function exact(uint256 kind, int256 a, int256 aMult, int256 b, int256 bMult)
        internal
        pure
        returns (int256)
    {
        int256 x = Common.i64(a * aMult);
        int256 y = Common.i64(b * bMult);
        if (kind == Encoding.BINARY_ADD) return Common.i64(x + y);
        if (kind == Encoding.BINARY_SUB) return Common.i64(x - y);
        if (kind == Encoding.BINARY_MUL) return Common.i64(x * y);
        if (kind == Encoding.BINARY_MAX) return x > y ? x : y;
        if (kind == Encoding.BINARY_MIN) return x < y ? x : y;
        revert Arbiter.InvalidNode();
    }

    /// @notice Output element of a Binary node from its operand elements `a`, `b`.
    function element(Arbiter.Node memory n, int32 a, int32 b) internal pure returns (int32) {
        Common.expectOp(n, Encoding.OP_BINARY);
        return Common.requant(exact(n.kind, a, n.aMult, b, n.bMult), n.requant);
    }
}
