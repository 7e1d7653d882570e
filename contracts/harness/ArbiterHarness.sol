// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {Arbiter} from "../src/Arbiter.sol";

/// @title ArbiterHarness — the Arbiter library behind an ABI, for differential tests only
/// @notice `Arbiter` is all `internal`, so it has no ABI of its own. This contract takes a node's
///         canonical words (as the Rust encoder writes them) and whole small operand tensors,
///         and computes output elements and accumulator segments the way the dispute game's
///         one-step will: decode the words, ask the library which operand elements element `j`
///         (and step `r`) reads, fetch exactly those, and let the library recompute. The Rust
///         tests compare the results with the scalar reference. Not deployed in production.
/// @dev `operands[i]` is operand i's row-major data; `attr` is the data of the parameter the op
///      names (a Lookup's table, a Move's index map; empty otherwise).
contract ArbiterHarness {
    /// @notice The decoded node.
    function decode(int256[] memory words) external pure returns (Arbiter.Node memory) {
        return Arbiter.decodeNode(words);
    }

    /// @notice Shape facts: output element count and accumulation length K.
    function describe(int256[] memory words) external pure returns (uint256 outLen, uint256 steps) {
        Arbiter.Node memory n = Arbiter.decodeNode(words);
        return (Arbiter.outLen(n), Arbiter.steps(n));
    }

    /// @notice Output element `j`, composed from the library's read-set and step functions.
    function elementOf(int256[] memory words, uint256 j, int32[][] memory operands, int32[] memory attr)
        external
        pure
        returns (int32)
    {
        return _element(Arbiter.decodeNode(words), j, operands, attr);
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
        return _segment(Arbiter.decodeNode(words), j, a, b, accA, operands, stepwise);
    }

    /// @notice The node's epilogue on a final accumulator.
    function finish(int256[] memory words, int256 acc) external pure returns (int32) {
        return Arbiter.finish(Arbiter.decodeNode(words), acc);
    }

    /// @notice `Arbiter.contractReads`.
    function contractReads(int256[] memory words, uint256 j, uint256 r)
        external
        pure
        returns (bool xIn, uint256 xi, bool wIn, uint256 wi)
    {
        return Arbiter.contractReads(Arbiter.decodeNode(words), j, r);
    }

    /// @notice `Arbiter.reduceReads`.
    function reduceReads(int256[] memory words, uint256 j, uint256 r) external pure returns (uint256) {
        return Arbiter.reduceReads(Arbiter.decodeNode(words), j, r);
    }

    function roundShift(int256 a, uint256 k) external pure returns (int256) {
        return Arbiter.roundShift(a, k);
    }

    function requant(int256 acc, int256 mult, uint256 shift, uint256 bits) external pure returns (int32) {
        return Arbiter.requant(acc, Arbiter.Requant({mult: mult, shift: shift, bits: bits}));
    }

    function roundDiv(int256 num, int256 d) external pure returns (int256) {
        return Arbiter.roundDiv(num, d);
    }

    function contractSegment(int256 accStart, int32[] memory xs, int32[] memory ws)
        external
        pure
        returns (int256)
    {
        return Arbiter.contractSegment(accStart, xs, ws);
    }

    function moveSource(int256 mapEntry, uint256[] memory inputLens)
        external
        pure
        returns (bool isFill, uint256 input, uint256 index)
    {
        return Arbiter.moveSource(mapEntry, inputLens);
    }

    /// @notice Gas of decoding the words and of computing element `j` from them (library code
    ///         only: no calldata, no ABI decoding), and the element itself.
    function measureElement(int256[] memory words, uint256 j, int32[][] memory operands, int32[] memory attr)
        external
        view
        returns (int32 value, uint256 decodeGas, uint256 elementGas)
    {
        uint256 g0 = gasleft();
        Arbiter.Node memory n = Arbiter.decodeNode(words);
        uint256 g1 = gasleft();
        value = _element(n, j, operands, attr);
        uint256 g2 = gasleft();
        return (value, g0 - g1, g1 - g2);
    }

    /// @notice Gas of a Contract segment [a, b) of element `j` after decoding: the read set
    ///         (`contractSegmentReads`) and the arithmetic (`contractSegment`), and its result.
    function measureContractSegment(
        int256[] memory words,
        uint256 j,
        uint256 a,
        uint256 b,
        int256 accA,
        int32[][] memory operands
    ) external view returns (int256 acc, uint256 readsGas, uint256 segmentGas) {
        Arbiter.Node memory n = Arbiter.decodeNode(words);
        uint256 g0 = gasleft();
        (bool[] memory inB, uint256[] memory xi, uint256[] memory wi) = Arbiter.contractSegmentReads(n, j, a, b);
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
        acc = Arbiter.contractSegment(accA, xs, ws);
        uint256 g3 = gasleft();
        return (acc, g0 - g1, g2 - g3);
    }

    function _element(Arbiter.Node memory n, uint256 j, int32[][] memory operands, int32[] memory attr)
        private
        pure
        returns (int32)
    {
        uint256 t = n.tag;
        if (t == Arbiter.OP_CONTRACT || t == Arbiter.OP_REDUCE) {
            return Arbiter.finish(n, _segment(n, j, 0, Arbiter.steps(n), 0, operands, false));
        }
        if (t == Arbiter.OP_RESCALE) {
            if (j >= Arbiter.outLen(n)) revert Arbiter.ElementOutOfRange(j, Arbiter.outLen(n));
            return Arbiter.rescaleElement(n, operands[0][j]);
        }
        if (t == Arbiter.OP_BINARY || t == Arbiter.OP_DIV) {
            (uint256 ai, uint256 bi) = Arbiter.binaryReads(n, j);
            return t == Arbiter.OP_BINARY
                ? Arbiter.binaryElement(n, operands[0][ai], operands[1][bi])
                : Arbiter.divElement(n, operands[0][ai], operands[1][bi]);
        }
        if (t == Arbiter.OP_LOOKUP) {
            if (j >= Arbiter.outLen(n)) revert Arbiter.ElementOutOfRange(j, Arbiter.outLen(n));
            return attr[Arbiter.lookupIndex(n, operands[0][j])];
        }
        if (t == Arbiter.OP_MOVE) {
            if (j >= Arbiter.outLen(n)) revert Arbiter.ElementOutOfRange(j, Arbiter.outLen(n));
            (bool isFill, uint256 input, uint256 index) = Arbiter.moveSource(attr[j], Arbiter.moveInputLens(n));
            return isFill ? int32(n.fill) : operands[input][index];
        }
        uint256 p = Arbiter.gatherIndexPos(n, j);
        return operands[0][Arbiter.gatherSource(n, j, operands[1][p])];
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
        if (n.tag == Arbiter.OP_CONTRACT) {
            if (a == 0) {
                int32 bias = n.c.hasBias ? operands[2][Arbiter.contractBiasIndex(n, j)] : int32(0);
                acc = Arbiter.contractSeed(n, bias);
            } else {
                acc = accA;
            }
            int32[] memory xs = new int32[](b - a);
            int32[] memory ws = new int32[](b - a);
            if (stepwise) {
                for (uint256 r = a; r < b; ++r) {
                    (bool xIn, uint256 xi, bool wIn, uint256 wi) = Arbiter.contractReads(n, j, r);
                    if (xIn && wIn) {
                        xs[r - a] = operands[0][xi];
                        ws[r - a] = operands[1][wi];
                    }
                }
            } else {
                (bool[] memory inB, uint256[] memory xi, uint256[] memory wi) =
                    Arbiter.contractSegmentReads(n, j, a, b);
                for (uint256 i = 0; i < b - a; ++i) {
                    if (inB[i]) {
                        xs[i] = operands[0][xi[i]];
                        ws[i] = operands[1][wi[i]];
                    }
                }
            }
            return Arbiter.contractSegment(acc, xs, ws);
        }
        acc = a == 0 ? Arbiter.reduceSeed(n) : accA;
        if (stepwise) {
            for (uint256 r = a; r < b; ++r) {
                acc = Arbiter.reduceFold(n, acc, operands[0][Arbiter.reduceReads(n, j, r)]);
            }
            return acc;
        }
        uint256[] memory pos = Arbiter.reduceSegmentReads(n, j, a, b);
        int32[] memory vs = new int32[](b - a);
        for (uint256 i = 0; i < pos.length; ++i) {
            vs[i] = operands[0][pos[i]];
        }
        return Arbiter.reduceSegment(n, acc, vs);
    }
}
