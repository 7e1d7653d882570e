// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {Arbiter} from "../Arbiter.sol";
import {Encoding} from "../Encoding.sol";
import {Common} from "./Common.sol";
import {Reduce} from "./Reduce.sol";

/// @title Ops — what the arbiter answers for every op (`verinfer_ir::ops`, i.e. `ops/mod.rs`)
/// @notice Output length, accumulation length K and the epilogue of the accumulating ops,
///         dispatched on the tag; the per-op read sets and recomputes are in the library of
///         each op (`Binary.sol` … `Rescale.sol`, named like the Rust files).
/// @dev `internal pure`, inlined into its callers.
library Ops {
    /// @notice Number of output elements of `n`.
    function outLen(Arbiter.Node memory n) internal pure returns (uint256) {
        return Common.numel(n.out.shape);
    }

    /// @notice Length `K` of the accumulation sequence behind each output element: Π red dims
    ///         for Contract, Π reduced dims for Reduce, 0 for ops computed in one step
    ///         (`verinfer_ir::ops::steps`).
    function steps(Arbiter.Node memory n) internal pure returns (uint256) {
        if (n.tag == Encoding.OP_CONTRACT) return Common.numel(n.c.red);
        if (n.tag == Encoding.OP_REDUCE) return Reduce.steps(n);
        return 0;
    }

    /// @notice The epilogue of an accumulating op (Contract, Reduce) applied to its final
    ///         accumulator (`ops::finish`).
    function finish(Arbiter.Node memory n, int256 acc) internal pure returns (int32) {
        if (n.tag == Encoding.OP_REDUCE) return Reduce.finish(n, acc);
        if (n.tag != Encoding.OP_CONTRACT) revert Arbiter.WrongOp(n.tag);
        return Common.requant(acc, n.requant);
    }
}
