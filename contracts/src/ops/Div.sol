// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {Arbiter} from "../Arbiter.sol";
import {Encoding} from "../Encoding.sol";
import {Common} from "./Common.sol";

/// @title Div — `verinfer_ir::ops::div`: out[j] = requant(round_div(a·2^shift, b))
/// @notice The read set is Binary's (`Binary.reads`: both operands broadcast).
/// @dev One library per op, named like the Rust file. `internal pure`, inlined into its callers.
library Div {
    /// @notice `n / d` rounded half away from zero, 0 for d = 0, clamped to i64
    ///         (`div::round_div`; Solidity's `/` and `%` truncate toward zero like Rust's).
    function roundDiv(int256 num, int256 d) internal pure returns (int256 q) {
        if (d == 0) return 0;
        q = num / d;
        int256 r = num % d;
        int256 ar = r < 0 ? -r : r;
        int256 ad = d < 0 ? -d : d;
        if (2 * ar >= ad) {
            q += ((num < 0) == (d < 0)) ? int256(1) : int256(-1);
            // n.signum() is 0 for n = 0, but then r = 0 and this branch needs |d| ≤ 0: never.
        }
        if (q > Encoding.I64_MAX) q = Encoding.I64_MAX;
        if (q < Encoding.I64_MIN) q = Encoding.I64_MIN;
    }

    /// @notice The exact quotient `round_div(a · 2^shift, b)` (`div::exact`).
    function exact(uint256 shift, int256 a, int256 b) internal pure returns (int256) {
        if (shift >= 62) revert Arbiter.Overflow();
        return roundDiv(Common.i64(a * (int256(1) << shift)), b);
    }

    /// @notice Output element of a Div node from its operand elements `a`, `b`.
    function element(Arbiter.Node memory n, int32 a, int32 b) internal pure returns (int32) {
        Common.expectOp(n, Encoding.OP_DIV);
        return Common.requant(exact(n.shift, a, b), n.requant);
    }
}
