// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {Arbiter} from "../Arbiter.sol";
import {Encoding} from "../Encoding.sol";
import {Common} from "./Common.sol";

/// @title Reduce — `verinfer_ir::ops::reduce`: fold over the reduced axes in row-major order,
///        then requant
/// @notice Sum, Max or ArgMax. An accumulating op: K = Π reduced dims steps per output element,
///         each folding one input element (`reads` / `segmentReads`: `reduce::positions`) into
///         the accumulator (`seed`, `fold`, `segment`); `Ops.finish` applies the epilogue
///         (`finish`). ArgMax folds the packed key `v · 2^32 + (2^32 − 1 − k)` of the element
///         read at step `k`, so one accumulator carries the first maximum's value and index and
///         a one-step needs the step index, which the game's step facts carry (`stepA`).
/// @dev One library per op, named like the Rust file. `internal pure`, inlined into its callers.
library Reduce {
    /// @dev The input's shape, after checking that `n` is a Reduce node with one operand and
    ///      valid axes.
    function _expectReduce(Arbiter.Node memory n) private pure returns (uint256[] memory xs) {
        Common.expectOp(n, Encoding.OP_REDUCE);
        if (n.operands.length != 1) revert Arbiter.InvalidNode();
        xs = n.operands[0].info.shape;
        // Sorted, distinct, in range (what `reduce::output_shape` demands).
        uint256[] memory axes = n.axes;
        for (uint256 i = 0; i < axes.length; ++i) {
            if (axes[i] >= xs.length || (i > 0 && axes[i] <= axes[i - 1])) revert Arbiter.InvalidNode();
        }
    }

    /// @notice K = Π of the reduced dims of the input.
    function steps(Arbiter.Node memory n) internal pure returns (uint256 k) {
        uint256[] memory xs = _expectReduce(n);
        k = 1;
        for (uint256 i = 0; i < n.axes.length; ++i) {
            k *= xs[n.axes[i]];
        }
    }

    /// @notice Flat input position folded at step `r` into output element `j`
    ///         (`reduce::positions`[r]).
    function reads(Arbiter.Node memory n, uint256 j, uint256 r) internal pure returns (uint256 pos) {
        uint256[] memory xs = _expectReduce(n);
        Common.checkElement(n, j);
        uint256 k = steps(n);
        if (r >= k) revert Arbiter.StepOutOfRange(r, k);
        // One pass from the last input axis: kept axes unravel j, reduced axes unravel r (axes
        // are sorted, so this is row-major over each), strides are the input's row-major ones.
        uint256 stride = 1;
        uint256 na = n.axes.length;
        for (uint256 a = xs.length; a > 0; --a) {
            uint256 d = xs[a - 1];
            uint256 dd = d == 0 ? 1 : d;
            uint256 idx;
            if (na > 0 && n.axes[na - 1] == a - 1) {
                --na;
                idx = r % dd;
                r /= dd;
            } else {
                idx = j % dd;
                j /= dd;
            }
            pos += idx * stride;
            stride *= d;
        }
    }

    /// @notice `reads` for every step of the segment [a, b) (the positions folded at
    ///         steps a … b − 1), each from the previous one by an odometer over the reduced axes.
    function segmentReads(Arbiter.Node memory n, uint256 j, uint256 a, uint256 b)
        internal
        pure
        returns (uint256[] memory pos)
    {
        uint256 k = steps(n);
        if (a > b || b > k) revert Arbiter.StepOutOfRange(b, k);
        pos = new uint256[](b - a);
        if (a == b) return pos;
        uint256 p = reads(n, j, a);
        uint256[] memory xs = n.operands[0].info.shape;
        uint256 na = n.axes.length;
        // Row-major strides of the reduced axes, and the step's digits over their dims.
        uint256[] memory st = new uint256[](na);
        uint256[] memory dims = new uint256[](na);
        uint256 stride = 1;
        uint256 q = na;
        for (uint256 ax = xs.length; ax > 0; --ax) {
            if (q > 0 && n.axes[q - 1] == ax - 1) {
                --q;
                st[q] = stride;
                dims[q] = xs[ax - 1];
            }
            stride *= xs[ax - 1];
        }
        uint256[] memory digit = Common.unravel(a, dims);
        for (uint256 i = 0; i < pos.length; ++i) {
            pos[i] = p;
            // Next step: every position stays below the input's element count, so neither the
            // addition nor the subtraction (which undoes a wrapped digit) can overflow.
            for (uint256 d = na; d > 0; --d) {
                if (++digit[d - 1] < dims[d - 1]) {
                    p += st[d - 1];
                    break;
                }
                digit[d - 1] = 0;
                p -= st[d - 1] * (dims[d - 1] - 1);
            }
        }
    }

    /// @notice `acc_0`: 0 for Sum; i64::MIN for Max and ArgMax (`reduce::seed`: below every
    ///         element and every key, so the first fold yields the first one).
    function seed(Arbiter.Node memory n) internal pure returns (int256) {
        _expectReduce(n);
        return n.kind == Encoding.REDUCE_SUM ? int256(0) : Encoding.I64_MIN;
    }

    /// @notice ArgMax's key of `v` read at step `k` (`reduce::argmax_key`):
    ///         `v · 2^32 + (2^32 − 1 − k)`; reverts for k ≥ 2^32, where Rust returns `None`.
    function argmaxKey(int256 v, uint256 k) internal pure returns (int256) {
        if (k >= Encoding.REDUCE_MAX_STEPS) revert Arbiter.Overflow();
        return v * int256(Encoding.REDUCE_MAX_STEPS) + int256(Encoding.REDUCE_MAX_STEPS - 1 - k);
    }

    /// @notice One fold step (`reduce::fold`) of the element `v` read at step `k`: acc + v
    ///         (checked in i64), max(acc, v), or max(acc, argmaxKey(v, k)).
    function fold(Arbiter.Node memory n, int256 acc, int32 v, uint256 k) internal pure returns (int256) {
        Common.expectOp(n, Encoding.OP_REDUCE);
        if (n.kind == Encoding.REDUCE_SUM) return Common.i64(acc + v);
        int256 e = n.kind == Encoding.REDUCE_ARGMAX ? argmaxKey(v, k) : int256(v);
        return acc > e ? acc : e;
    }

    /// @notice `acc_b` from `acc_a = accStart`, folding the elements `vs` of steps a..b-1.
    function segment(Arbiter.Node memory n, int256 accStart, int32[] memory vs, uint256 a)
        internal
        pure
        returns (int256 acc)
    {
        Common.expectOp(n, Encoding.OP_REDUCE);
        acc = Common.i64(accStart);
        uint256 kind = n.kind;
        for (uint256 i = 0; i < vs.length; ++i) {
            int256 v = vs[i];
            if (kind == Encoding.REDUCE_SUM) {
                acc = Common.i64(acc + v);
            } else {
                if (kind == Encoding.REDUCE_ARGMAX) v = argmaxKey(v, a + i);
                if (v > acc) acc = v;
            }
        }
    }

    /// @notice The epilogue (`reduce::finish`): requant(acc) for Sum and Max; for ArgMax
    ///         requant of the index the accumulator holds, `(2^32 − 1) − (acc mod 2^32)`.
    function finish(Arbiter.Node memory n, int256 acc) internal pure returns (int32) {
        Common.expectOp(n, Encoding.OP_REDUCE);
        if (n.kind != Encoding.REDUCE_ARGMAX) return Common.requant(acc, n.requant);
        int256 m = int256(Encoding.REDUCE_MAX_STEPS);
        int256 low = acc % m;
        if (low < 0) low += m; // Euclidean, like Rust's rem_euclid
        return Common.requant(m - 1 - low, n.requant);
    }
}
