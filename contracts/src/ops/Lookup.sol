// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {Arbiter} from "../Arbiter.sol";
import {Encoding} from "../Encoding.sol";
import {Common} from "./Common.sol";

/// @title Lookup — `verinfer_ir::ops::lookup`: out[j] = table[clamp(x[j], lo, lo + len − 1) − lo]
/// @notice The read set is element `j` of the input, then the table entry `index` names; that
///         entry, opened against the table's root, is the output element.
/// @dev One library per op, named like the Rust file. `internal pure`, inlined into its callers.
library Lookup {
    /// @notice Table position of input value `x`: the entry the game opens against the
    ///         table's root; that entry is the output element.
    function index(Arbiter.Node memory n, int32 x) internal pure returns (uint256) {
        Common.expectOp(n, Encoding.OP_LOOKUP);
        return tableIndex(n.lo, Common.numel(n.paramInfo.shape), x);
    }

    /// @notice `lookup::table_index`: `clamp(x - lo, 0, max(len - 1, 0))`.
    function tableIndex(int256 lo, uint256 len, int256 x) internal pure returns (uint256) {
        int256 off = x - lo;
        if (off <= 0 || len == 0) return 0;
        if (uint256(off) >= len) return len - 1;
        return uint256(off);
    }
}
