// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {Arbiter} from "../src/Arbiter.sol";
import {Encoding} from "../src/Encoding.sol";
import {NodeDecoder} from "../src/NodeDecoder.sol";
import {Ops} from "../src/ops/Ops.sol";
import {Common} from "../src/ops/Common.sol";
import {Binary} from "../src/ops/Binary.sol";
import {Contract} from "../src/ops/Contract.sol";
import {Div} from "../src/ops/Div.sol";
import {Gather} from "../src/ops/Gather.sol";
import {Lookup} from "../src/ops/Lookup.sol";
import {Movement} from "../src/ops/Movement.sol";
import {Reduce} from "../src/ops/Reduce.sol";
import {Rescale} from "../src/ops/Rescale.sol";
import {ISqrt} from "../src/ops/ISqrt.sol";

/// @title ArbiterHarness — the Arbiter libraries behind an ABI, for differential tests only
/// @notice The arbiter (`Arbiter`, `NodeDecoder`, `ops/*.sol`) is all `internal`, so it has no
///         ABI of its own. This contract takes a node's canonical words (as the Rust encoder
///         writes them) and whole small operand tensors, and computes output elements and
///         accumulator segments the way the dispute game's one-step will: decode the words, ask
///         the op's library which operand elements element `j` (and step `r`) reads, fetch
///         exactly those, and let the library recompute. The Rust tests compare the results with
///         the scalar reference. Not deployed in production.
/// @dev `operands[i]` is operand i's row-major data; `attr` is the data of the parameter the op
///      names (a Lookup's table, a Move's index map; empty otherwise).
contract ArbiterHarness {
    /// @notice The decoded node.
    function decode(int256[] memory words) external pure returns (Arbiter.Node memory) {
        return NodeDecoder.decodeNode(words);
    }

    /// @notice Shape facts: output element count and accumulation length K.
    function describe(int256[] memory words) external pure returns (uint256 outLen, uint256 steps) {
        Arbiter.Node memory n = NodeDecoder.decodeNode(words);
        return (Ops.outLen(n), Ops.steps(n));
    }

    /// @notice Output element `j`, composed from the library's read-set and step functions.
    function elementOf(int256[] memory words, uint256 j, int32[][] memory operands, int32[] memory attr)
        external
        pure
        returns (int32)
    {
        return _element(NodeDecoder.decodeNode(words), j, operands, attr);
    }

    /// @notice The accumulator after step `b` of element `j` (Contract or Reduce), starting from
    ///         `accA` after step `a` (or, for a = 0, from the seed the library derives: the bias
    ///         term or the reduction's identity). `stepwise` uses the one-step read and fold
    ///         functions instead of the segment ones; both must agree.
    function segmentOf(
        int256[] memory words,
        uint256 j,
        uint256 a,
        uint256 b,
        int256 accA,
        int32[][] memory operands,
        bool stepwise
    ) external pure returns (int256) {
        return _segment(NodeDecoder.decodeNode(words), j, a, b, accA, operands, stepwise);
    }

    /// @notice The node's epilogue on a final accumulator.
    function finish(int256[] memory words, int256 acc) external pure returns (int32) {
        return Ops.finish(NodeDecoder.decodeNode(words), acc);
    }

    /// @notice `Contract.reads`.
    function contractReads(int256[] memory words, uint256 j, uint256 r)
        external
        pure
        returns (bool xIn, uint256 xi, bool wIn, uint256 wi)
    {
        return Contract.reads(NodeDecoder.decodeNode(words), j, r);
    }

    /// @notice `Reduce.reads`.
    function reduceReads(int256[] memory words, uint256 j, uint256 r) external pure returns (uint256) {
        return Reduce.reads(NodeDecoder.decodeNode(words), j, r);
    }

    function roundShift(int256 a, uint256 k) external pure returns (int256) {
        return Common.roundShift(a, k);
    }

    function requant(int256 acc, int256 mult, uint256 shift, uint256 bits) external pure returns (int32) {
        return Common.requant(acc, Arbiter.Requant({mult: mult, shift: shift, bits: bits}));
    }

    function roundDiv(int256 num, int256 d) external pure returns (int256) {
        return Div.roundDiv(num, d);
    }

    function contractSegment(int256 accStart, int32[] memory xs, int32[] memory ws)
        external
        pure
        returns (int256)
    {
        return Contract.segment(accStart, xs, ws);
    }

    function moveSource(int256 mapEntry, uint256[] memory inputLens)
        external
        pure
        returns (bool isFill, uint256 input, uint256 index)
    {
        return Movement.source(mapEntry, inputLens);
    }

    /// @notice Gas of decoding the words and of computing element `j` from them (library code
    ///         only: no calldata, no ABI decoding), and the element itself.
    function measureElement(int256[] memory words, uint256 j, int32[][] memory operands, int32[] memory attr)
        external
        view
        returns (int32 value, uint256 decodeGas, uint256 elementGas)
    {
        uint256 g0 = gasleft();
        Arbiter.Node memory n = NodeDecoder.decodeNode(words);
        uint256 g1 = gasleft();
        value = _element(n, j, operands, attr);
        uint256 g2 = gasleft();
        return (value, g0 - g1, g1 - g2);
    }

    /// @notice Gas of a Contract segment [a, b) of element `j` after decoding: the read set
    ///         (`Contract.segmentReads`) and the arithmetic (`Contract.segment`), and its result.
    function measureContractSegment(
        int256[] memory words,
        uint256 j,
        uint256 a,
        uint256 b,
        int256 accA,
        int32[][] memory operands
    ) external view returns (int256 acc, uint256 readsGas, uint256 segmentGas) {
        Arbiter.Node memory n = NodeDecoder.decodeNode(words);
        uint256 g0 = gasleft();
        (bool[] memory inB, uint256[] memory xi, uint256[] memory wi) = Contract.segmentReads(n, j, a, b);
        uint256 g1 = gasleft();
        int32[] memory xs = new int32[](b - a);
        int32[] memory ws = new int32[](b - a);
        for (uint256 i = 0; i < b - a; ++i) {
            if (inB[i]) {
                xs[i] = operands[0][xi[i]];
                ws[i] = operands[1][wi[i]];
            }
        }
        uint256 g2 = gasleft();
        acc = Contract.segment(accA, xs, ws);
        uint256 g3 = gasleft();
        return (acc, g0 - g1, g2 - g3);
    }

    function _element(Arbiter.Node memory n, uint256 j, int32[][] memory operands, int32[] memory attr)
        private
        pure
        returns (int32)
    {
        uint256 t = n.tag;
        if (t == Encoding.OP_CONTRACT || t == Encoding.OP_REDUCE) {
            return Ops.finish(n, _segment(n, j, 0, Ops.steps(n), 0, operands, false));
        }
        if (t == Encoding.OP_RESCALE) {
            if (j >= Ops.outLen(n)) revert Arbiter.ElementOutOfRange(j, Ops.outLen(n));
            return Rescale.element(n, operands[0][j]);
        }
        if (t == Encoding.OP_ISQRT) {
            if (j >= Ops.outLen(n)) revert Arbiter.ElementOutOfRange(j, Ops.outLen(n));
            return ISqrt.element(n, operands[0][j]);
        }
        if (t == Encoding.OP_BINARY || t == Encoding.OP_DIV) {
            (uint256 ai, uint256 bi) = Binary.reads(n, j);
            return t == Encoding.OP_BINARY
                ? Binary.element(n, operands[0][ai], operands[1][bi])
                : Div.element(n, operands[0][ai], operands[1][bi]);
        }
        if (t == Encoding.OP_LOOKUP) {
            if (j >= Ops.outLen(n)) revert Arbiter.ElementOutOfRange(j, Ops.outLen(n));
            return attr[Lookup.index(n, operands[0][j])];
        }
        if (t == Encoding.OP_MOVE) {
            if (j >= Ops.outLen(n)) revert Arbiter.ElementOutOfRange(j, Ops.outLen(n));
            (bool isFill, uint256 input, uint256 index) = Movement.source(attr[j], Movement.inputLens(n));
            return isFill ? int32(n.fill) : operands[input][index];
        }
        uint256 p = Gather.indexPos(n, j);
        return operands[0][Gather.source(n, j, operands[1][p])];
    }

    function _segment(
        Arbiter.Node memory n,
        uint256 j,
        uint256 a,
        uint256 b,
        int256 accA,
        int32[][] memory operands,
        bool stepwise
    ) private pure returns (int256 acc) {
        if (b < a) revert Arbiter.StepOutOfRange(b, a);
        if (n.tag == Encoding.OP_CONTRACT) {
            if (a == 0) {
                int32 bias = n.c.hasBias ? operands[2][Contract.biasIndex(n, j)] : int32(0);
                acc = Contract.seed(n, bias);
            } else {
                acc = accA;
            }
            int32[] memory xs = new int32[](b - a);
            int32[] memory ws = new int32[](b - a);
            if (stepwise) {
                for (uint256 r = a; r < b; ++r) {
                    (bool xIn, uint256 xi, bool wIn, uint256 wi) = Contract.reads(n, j, r);
                    if (xIn && wIn) {
                        xs[r - a] = operands[0][xi];
                        ws[r - a] = operands[1][wi];
                    }
                }
            } else {
                (bool[] memory inB, uint256[] memory xi, uint256[] memory wi) =
                    Contract.segmentReads(n, j, a, b);
                for (uint256 i = 0; i < b - a; ++i) {
                    if (inB[i]) {
                        xs[i] = operands[0][xi[i]];
                        ws[i] = operands[1][wi[i]];
                    }
                }
            }
            return Contract.segment(acc, xs, ws);
        }
        acc = a == 0 ? Reduce.seed(n) : accA;
        if (stepwise) {
            for (uint256 r = a; r < b; ++r) {
                acc = Reduce.fold(n, acc, operands[0][Reduce.reads(n, j, r)], r);
            }
            return acc;
        }
        uint256[] memory pos = Reduce.segmentReads(n, j, a, b);
        int32[] memory vs = new int32[](b - a);
        for (uint256 i = 0; i < pos.length; ++i) {
            vs[i] = operands[0][pos[i]];
        }
        return Reduce.segment(n, acc, vs, a);
    }
}
