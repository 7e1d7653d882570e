// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {Arbiter} from "../Arbiter.sol";
import {Encoding} from "../Encoding.sol";
import {Common} from "./Common.sol";

/// @title Movement — `verinfer_ir::ops::movement` (the `Move` op): out[j] = cat(inputs)[map[j]],
///        or the fill value where map[j] < 0
/// @notice The read set is the map entry map[j] (from the index-map parameter), then the input
///         element `source` says it points at.
/// @dev One library per op, named like the Rust file. `internal pure`, inlined into its callers.
library Movement {
    /// @notice Element counts of a Move node's inputs, in order.
    function inputLens(Arbiter.Node memory n) internal pure returns (uint256[] memory lens) {
        Common.expectOp(n, Encoding.OP_MOVE);
        lens = new uint256[](n.operands.length);
        for (uint256 i = 0; i < lens.length; ++i) {
            lens[i] = Common.numel(n.operands[i].info.shape);
        }
    }

    /// @notice Where map entry `mapEntry` (= map[j], opened against the map's root) points:
    ///         the fill value, or element `index` of input `input` (`lens`: `inputLens(n)`).
    function source(int256 mapEntry, uint256[] memory lens)
        internal
        pure
        returns (bool isFill, uint256 input, uint256 index)
    {
        if (mapEntry < 0) return (true, 0, 0);
        uint256 k = uint256(mapEntry);
        for (uint256 t = 0; t < lens.length; ++t) {
            if (k < lens[t]) return (false, t, k);
            k -= lens[t];
        }
        revert Arbiter.InvalidNode();
    }
}
