// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {Arbiter} from "../Arbiter.sol";
import {Encoding} from "../Encoding.sol";
import {Common} from "./Common.sol";

/// @title ISqrt — `verinfer_ir::ops::isqrt`: out[j] = requant(⌊√(max(x[j], 0) · 2^shift)⌋)
/// @notice The read set is element `j` of the input itself (like Rescale); the recompute is the
///         exact integer square root of the radicand, then the epilogue.
/// @dev One library per op, named like the Rust file. `internal pure`, inlined into its callers.
library ISqrt {
    /// @notice `⌊√a⌋` by Babylonian (Newton) steps from above, exact for every uint256: the
    ///         iterates decrease strictly until the floor root is reached.
    function sqrt(uint256 a) internal pure returns (uint256 x) {
        if (a < 2) return a;
        // 2^⌈bitlen(a)/2⌉ ≥ √a: a start above the root, so the iteration descends onto it.
        uint256 bits;
        for (uint256 t = a; t > 0; t >>= 1) ++bits;
        x = uint256(1) << ((bits + 1) / 2);
        uint256 y = (x + a / x) / 2;
        while (y < x) {
            x = y;
            y = (x + a / x) / 2;
        }
    }

    /// @notice The exact (pre-requant) root `⌊√(max(x, 0) · 2^shift)⌋` (`isqrt::exact`);
    ///         reverts for a shift past `ISQRT_MAX_SHIFT`, where Rust returns `None`.
    function exact(uint256 shift, int256 x) internal pure returns (int256) {
        if (shift > Encoding.ISQRT_MAX_SHIFT) revert Arbiter.Overflow();
        uint256 radicand = x > 0 ? uint256(x) << shift : 0;
        uint256 y = sqrt(radicand);
        // The defining inequalities, checked: y² ≤ radicand < (y + 1)².
        if (y * y > radicand || (y + 1) * (y + 1) <= radicand) revert Arbiter.Overflow();
        return int256(y);
    }

    /// @notice Output element of an ISqrt node whose input element (same index j) is `x`.
    function element(Arbiter.Node memory n, int32 x) internal pure returns (int32) {
        Common.expectOp(n, Encoding.OP_ISQRT);
        return Common.requant(exact(n.shift, x), n.requant);
    }
}
