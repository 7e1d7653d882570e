// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {Arbiter} from "../Arbiter.sol";
import {Encoding} from "../Encoding.sol";
import {Common} from "./Common.sol";

/// @title Rescale — `verinfer_ir::ops::rescale`: out[j] = requant(x[j])
/// @notice The read set is element `j` of the input itself; the recompute is the epilogue.
/// @dev One library per op, named like the Rust file, so that each Solidity op sits beside
///      its reference. `internal pure`, inlined into its callers.
library Rescale {
    /// @notice Output element of a Rescale node whose input element (same index j) is `x`.
    function element(Arbiter.Node memory n, int32 x) internal pure returns (int32) {
        Common.expectOp(n, Encoding.OP_RESCALE);
        return Common.requant(x, n.requant);
    }
}
