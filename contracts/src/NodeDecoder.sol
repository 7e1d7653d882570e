// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {Arbiter} from "./Arbiter.sol";
import {Encoding} from "./Encoding.sol";

/// @title NodeDecoder — a node leaf's canonical words into an `Arbiter.Node`
/// @notice docs/commitments.md §3: the inverse of `verinfer_commit::encode::node_words`,
///         rejecting exactly what `verinfer_commit::decode::decode_node` rejects, with the
///         tags, kinds and ranges of `Encoding`. The one decoder of node words on chain: the
///         step verifier decodes with it, and through the verifier the game learns a node's
///         shape facts (`IStepVerifier.describe`). The header leaf has its own reader
///         (`GraphHeader`), since it reads calldata and the game keeps only a few of its fields.
/// @dev `internal pure`, inlined into its callers. Linear in the number of words; `unchecked`
///      assembly only in the list copies, each word range-checked as it is copied.
library NodeDecoder {
    /// @notice Decodes a node leaf's words. Linear in the number of words.
    function decodeNode(int256[] memory w) internal pure returns (Arbiter.Node memory n) {
        uint256 pos;
        (n.tag, pos) = _uint(w, 0, Encoding.OP_LAST);
        uint256 t = n.tag;
        if (t == 0) revert Arbiter.MalformedNode(0);
        if (t == Encoding.OP_CONTRACT) {
            (n.c.outIter, pos) = _usizes(w, pos);
            (n.c.red, pos) = _usizes(w, pos);
            (n.c.xMap, pos) = _map(w, pos);
            (n.c.wMap, pos) = _map(w, pos);
            (n.c.hasBias, pos) = _flag(w, pos);
            if (n.c.hasBias) (n.c.biasMap, pos) = _map(w, pos);
            (n.c.biasShift, pos) = _uint(w, pos, Encoding.U32_MAX);
            (n.requant, pos) = _requant(w, pos);
        } else if (t == Encoding.OP_RESCALE) {
            (n.requant, pos) = _requant(w, pos);
        } else if (t == Encoding.OP_BINARY) {
            (n.kind, pos) = _uint(w, pos, Encoding.BINARY_LAST);
            (n.aMult, pos) = _int(w, pos, Encoding.I64_MIN, Encoding.I64_MAX);
            (n.bMult, pos) = _int(w, pos, Encoding.I64_MIN, Encoding.I64_MAX);
            (n.requant, pos) = _requant(w, pos);
        } else if (t == Encoding.OP_LOOKUP) {
            (n.param, pos) = _uint(w, pos, Encoding.U32_MAX);
            (n.paramInfo, pos) = _info(w, pos);
            (n.lo, pos) = _int(w, pos, Encoding.I32_MIN, Encoding.I32_MAX);
        } else if (t == Encoding.OP_REDUCE) {
            (n.kind, pos) = _uint(w, pos, Encoding.REDUCE_LAST);
            (n.axes, pos) = _usizes(w, pos);
            (n.keepDims, pos) = _flag(w, pos);
            (n.requant, pos) = _requant(w, pos);
        } else if (t == Encoding.OP_DIV) {
            (n.shift, pos) = _uint(w, pos, Encoding.U32_MAX);
            (n.requant, pos) = _requant(w, pos);
        } else if (t == Encoding.OP_MOVE) {
            (n.param, pos) = _uint(w, pos, Encoding.U32_MAX);
            (n.paramInfo, pos) = _info(w, pos);
            (n.fill, pos) = _int(w, pos, Encoding.I32_MIN, Encoding.I32_MAX);
        } else if (t == Encoding.OP_GATHER) {
            (n.axis, pos) = _uint(w, pos, Encoding.USIZE_MAX);
        } else if (t == Encoding.OP_ISQRT) {
            (n.shift, pos) = _uint(w, pos, Encoding.U32_MAX);
            (n.requant, pos) = _requant(w, pos);
        } else {
            // Unreachable while OP_LAST is OP_ISQRT; an op added later must get its own
            // branch rather than be read as another.
            revert Arbiter.MalformedNode(0);
        }
        uint256 count;
        (count, pos) = _len(w, pos);
        n.operands = new Arbiter.Operand[](count);
        for (uint256 i = 0; i < count; ++i) {
            Arbiter.Operand memory o = n.operands[i];
            (o.kind, pos) = _uint(w, pos, Encoding.OPERAND_LAST);
            (o.id, pos) = _uint(w, pos, Encoding.U32_MAX);
            (o.info, pos) = _info(w, pos);
        }
        (n.out, pos) = _info(w, pos);
        if (pos != w.length) revert Arbiter.MalformedNode(pos);
    }

    /// @dev Word `pos`, or `MalformedNode(pos)` past the end.
    function _word(int256[] memory w, uint256 pos) private pure returns (int256 v) {
        if (pos >= w.length) revert Arbiter.MalformedNode(pos);
        assembly ("memory-safe") {
            v := mload(add(add(w, 0x20), shl(5, pos)))
        }
    }

    function _uint(int256[] memory w, uint256 pos, uint256 max) private pure returns (uint256, uint256) {
        int256 v = _word(w, pos);
        if (v < 0 || uint256(v) > max) revert Arbiter.MalformedNode(pos);
        return (uint256(v), pos + 1);
    }

    function _int(int256[] memory w, uint256 pos, int256 min, int256 max) private pure returns (int256, uint256) {
        int256 v = _word(w, pos);
        if (v < min || v > max) revert Arbiter.MalformedNode(pos);
        return (v, pos + 1);
    }

    /// @dev A length prefix: at most the number of words left (each element takes a word).
    function _len(int256[] memory w, uint256 pos) private pure returns (uint256 n, uint256 next) {
        (n, next) = _uint(w, pos, Encoding.USIZE_MAX);
        if (n > w.length - next) revert Arbiter.MalformedNode(pos);
    }

    function _flag(int256[] memory w, uint256 pos) private pure returns (bool, uint256) {
        (uint256 v, uint256 next) = _uint(w, pos, 1);
        return (v == 1, next);
    }

    function _usizes(int256[] memory w, uint256 pos) private pure returns (uint256[] memory v, uint256 next) {
        uint256 n;
        (n, next) = _len(w, pos);
        v = new uint256[](n);
        // `_len` proved words next … next + n − 1 exist; copy them, each in [0, 2^64).
        bytes4 sel = Arbiter.MalformedNode.selector;
        assembly ("memory-safe") {
            let src := add(add(w, 0x20), shl(5, next))
            let dst := add(v, 0x20)
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                let x := mload(add(src, shl(5, i)))
                if gt(x, 0xffffffffffffffff) {
                    mstore(0, sel)
                    mstore(4, add(next, i))
                    revert(0, 0x24)
                }
                mstore(add(dst, shl(5, i)), x)
            }
        }
        next += n;
    }

    function _i64s(int256[] memory w, uint256 pos) private pure returns (int256[] memory v, uint256 next) {
        uint256 n;
        (n, next) = _len(w, pos);
        v = new int256[](n);
        // As `_usizes`, each word in [−2^63, 2^63): x + 2^63 (mod 2^256) < 2^64.
        bytes4 sel = Arbiter.MalformedNode.selector;
        assembly ("memory-safe") {
            let src := add(add(w, 0x20), shl(5, next))
            let dst := add(v, 0x20)
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                let x := mload(add(src, shl(5, i)))
                if gt(add(x, 0x8000000000000000), 0xffffffffffffffff) {
                    mstore(0, sel)
                    mstore(4, add(next, i))
                    revert(0, 0x24)
                }
                mstore(add(dst, shl(5, i)), x)
            }
        }
        next += n;
    }

    function _bits(int256[] memory w, uint256 pos) private pure returns (uint256 b, uint256 next) {
        (b, next) = _uint(w, pos, Encoding.BITS_MAX);
        if (b == 0) revert Arbiter.MalformedNode(pos);
    }

    function _info(int256[] memory w, uint256 pos)
        private
        pure
        returns (Arbiter.TensorInfo memory t, uint256 next)
    {
        (t.shape, next) = _usizes(w, pos);
        (t.scale, next) = _int(w, next, -Encoding.SCALE_LIMIT, Encoding.SCALE_LIMIT);
        (t.bits, next) = _bits(w, next);
    }

    function _requant(int256[] memory w, uint256 pos)
        private
        pure
        returns (Arbiter.Requant memory r, uint256 next)
    {
        (r.mult, next) = _int(w, pos, Encoding.I64_MIN, Encoding.I64_MAX);
        (r.shift, next) = _uint(w, next, Encoding.U32_MAX);
        (r.bits, next) = _bits(w, next);
    }

    function _map(int256[] memory w, uint256 pos)
        private
        pure
        returns (Arbiter.AffineMap memory m, uint256 next)
    {
        uint256 n;
        (n, next) = _len(w, pos);
        m.rows = new Arbiter.AffineRow[](n);
        for (uint256 i = 0; i < n; ++i) {
            Arbiter.AffineRow memory row = m.rows[i];
            (row.out, next) = _i64s(w, next);
            (row.red, next) = _i64s(w, next);
            (row.offset, next) = _int(w, next, Encoding.I64_MIN, Encoding.I64_MAX);
        }
    }
}
