// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {Arbiter} from "../Arbiter.sol";
import {Encoding} from "../Encoding.sol";
import {Common} from "./Common.sol";

/// @title Gather — `verinfer_ir::ops::gather`: out[.., i.., ..] = data[.., resolve(idx[i..]), ..]
/// @notice The read set is the indices element `indexPos` names, then the data element
///         `source` computes from its value.
/// @dev One library per op, named like the Rust file. `internal pure`, inlined into its callers.
library Gather {
    /// @notice Flat position in `indices` (operand 1) that output element `j` reads.
    function indexPos(Arbiter.Node memory n, uint256 j) internal pure returns (uint256 pos) {
        Common.expectOp(n, Encoding.OP_GATHER);
        Common.checkElement(n, j);
        if (n.operands.length != 2) revert Arbiter.InvalidNode();
        uint256[] memory o = Common.unravel(j, n.out.shape);
        uint256[] memory ish = n.operands[1].info.shape;
        uint256 ir = ish.length;
        if (n.axis + ir > o.length) revert Arbiter.InvalidNode();
        uint256 stride = 1;
        for (uint256 i = ir; i > 0; --i) {
            pos += o[n.axis + i - 1] * stride;
            stride *= ish[i - 1];
        }
        if (pos >= Common.numel(ish)) revert Arbiter.InvalidNode();
    }

    /// @notice `gather::resolve`: negative indices count from the end, then clamp into [0, len).
    function resolve(int256 v, uint256 len) internal pure returns (uint256) {
        if (len == 0) revert Arbiter.InvalidNode();
        if (v < 0) v += int256(len);
        if (v < 0) return 0;
        if (uint256(v) >= len) return len - 1;
        return uint256(v);
    }

    /// @notice Flat position in `data` (operand 0) that output element `j` reads, given the
    ///         value `idxValue` at `indexPos(n, j)` in `indices`.
    function source(Arbiter.Node memory n, uint256 j, int32 idxValue) internal pure returns (uint256 flat) {
        Common.expectOp(n, Encoding.OP_GATHER);
        Common.checkElement(n, j);
        if (n.operands.length != 2) revert Arbiter.InvalidNode();
        uint256[] memory o = Common.unravel(j, n.out.shape);
        uint256[] memory dsh = n.operands[0].info.shape;
        uint256 ir = n.operands[1].info.shape.length;
        uint256 axis = n.axis;
        if (axis >= dsh.length || o.length + 1 < dsh.length + ir) revert Arbiter.InvalidNode();
        uint256 row = resolve(idxValue, dsh[axis]);
        // Row-major strides of data, from the last axis.
        uint256 stride = 1;
        for (uint256 a = dsh.length; a > 0; --a) {
            uint256 ax = a - 1;
            if (ax > axis) flat += o[ax + ir - 1] * stride;
            else if (ax == axis) flat += row * stride;
            else flat += o[ax] * stride;
            stride *= dsh[ax];
        }
        if (flat >= stride) revert Arbiter.InvalidNode();
    }
}
