// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

/// @title Arbiter — the scalar semantics of every verinfer primitive, on-chain side
/// @notice The one-step of the dispute game (docs/protocol.md) ends at one output element `j` of one
///         node (and, for a reduction, one short segment of its accumulation). This library
///         (1) decodes the node's canonical words (docs/commitments.md, the exact inverse of
///         `verinfer_commit::encode::node_words`), (2) says which operand elements element `j`
///         and reduction step `r` read, and (3) recomputes the element, or the accumulator over a
///         segment, with exactly the integer semantics of the Rust scalar reference
///         (`crates/verinfer-ir/src/ops/*.rs`, `requant.rs`). Opening those operand elements
///         against the committed roots (MerkleLib) is the caller's job.
/// @dev Every function is `internal pure`. Widths: Rust accumulates in i64 with `checked_*`
///      arithmetic and its validator proves no overflow for valid graphs; here everything is
///      int256, and wherever Rust's checked arithmetic would fail (return `None`) this library
///      reverts with `Overflow()` / `AccumulatorOutOfRange`, so the two compute the same partial
///      function: equal results where Rust has one, a revert where it has none. Every operand
///      is bounded far below 2^255 (int32 elements, int64 multipliers, coefficients and
///      accumulators, dims < 2^64 — the decoder enforces the ranges), so checked arithmetic
///      never trips on inputs Rust accepts. `unchecked` arithmetic and assembly appear only in
///      the decoder's list copies and the affine index arithmetic of Contract's read sets, each
///      with its bound argued where it is used. Functions that depend on one op revert
///      `WrongOp(tag)` for another op. See docs/protocol-arbiter.md.
library Arbiter {
    // ---------------------------------------------------------------------------------------
    // Constants (docs/commitments.md)
    // ---------------------------------------------------------------------------------------

    uint256 internal constant OP_CONTRACT = 1;
    uint256 internal constant OP_RESCALE = 2;
    uint256 internal constant OP_BINARY = 3;
    uint256 internal constant OP_LOOKUP = 4;
    uint256 internal constant OP_REDUCE = 5;
    uint256 internal constant OP_DIV = 6;
    uint256 internal constant OP_MOVE = 7;
    uint256 internal constant OP_GATHER = 8;

    uint256 internal constant BINARY_ADD = 0;
    uint256 internal constant BINARY_SUB = 1;
    uint256 internal constant BINARY_MUL = 2;
    uint256 internal constant BINARY_MAX = 3;
    uint256 internal constant BINARY_MIN = 4;

    uint256 internal constant REDUCE_SUM = 0;
    uint256 internal constant REDUCE_MAX = 1;

    uint256 internal constant OPERAND_VALUE = 0;
    uint256 internal constant OPERAND_PARAM = 1;

    int256 internal constant I64_MIN = type(int64).min;
    int256 internal constant I64_MAX = type(int64).max;
    int256 internal constant I32_MIN = type(int32).min;
    int256 internal constant I32_MAX = type(int32).max;
    uint256 internal constant U32_MAX = type(uint32).max;
    /// @notice Rust decodes `usize` fields of a 64-bit target.
    uint256 internal constant USIZE_MAX = type(uint64).max;
    /// @notice `Scale::LIMIT`.
    int256 internal constant SCALE_LIMIT = 60;

    // ---------------------------------------------------------------------------------------
    // Errors
    // ---------------------------------------------------------------------------------------

    /// @notice The words are not a node encoding: bad tag or kind, a field out of its range, a
    ///         length running past the end, or trailing words. `pos` is the offending word.
    error MalformedNode(uint256 pos);
    /// @notice A function for one op was called with a node of another op.
    error WrongOp(uint256 tag);
    /// @notice Rust's checked i64 arithmetic would fail here (never for a validated graph).
    error Overflow();
    /// @notice `requant` takes an i64 accumulator, as `Requant::apply` does.
    error AccumulatorOutOfRange(int256 acc);
    /// @notice Output element `j` does not exist (the node has `len` elements).
    error ElementOutOfRange(uint256 j, uint256 len);
    /// @notice Accumulation step `r` or segment end does not exist (the node has `steps`).
    error StepOutOfRange(uint256 r, uint256 steps);
    /// @notice A node the Rust reference could not evaluate (where it would panic or return
    ///         `None`): never for a graph the validator accepts.
    error InvalidNode();
    /// @notice Two arrays that must have equal lengths do not.
    error LengthMismatch(uint256 a, uint256 b);

    // ---------------------------------------------------------------------------------------
    // The decoded node
    // ---------------------------------------------------------------------------------------

    /// @notice `TensorInfo`: shape (row-major), scale exponent, bit bound.
    struct TensorInfo {
        uint256[] shape;
        int256 scale;
        uint256 bits;
    }

    /// @notice `y = clamp(roundShift(acc · mult, shift), bits)`.
    struct Requant {
        int256 mult;
        uint256 shift;
        uint256 bits;
    }

    /// @notice One operand axis: `index = Σ out[i]·o[i] + Σ red[k]·r[k] + offset`.
    struct AffineRow {
        int256[] out;
        int256[] red;
        int256 offset;
    }

    /// @notice One row per operand axis.
    struct AffineMap {
        AffineRow[] rows;
    }

    /// @notice Where an operand comes from (`kind` 0: value id, 1: parameter id) and its facts.
    struct Operand {
        uint256 kind;
        uint256 id;
        TensorInfo info;
    }

    /// @notice The attributes of `Contract`.
    struct ContractAttrs {
        uint256[] outIter;
        uint256[] red;
        AffineMap xMap;
        AffineMap wMap;
        bool hasBias;
        AffineMap biasMap;
        uint256 biasShift;
    }

    /// @notice A decoded node leaf. Fields an op does not have stay zero / empty.
    struct Node {
        /// Op tag, 1..8.
        uint256 tag;
        /// Contract's attributes (tag 1).
        ContractAttrs c;
        /// Epilogue of Contract, Rescale, Binary, Reduce, Div.
        Requant requant;
        /// Binary kind (Add 0 … Min 4) or Reduce kind (Sum 0, Max 1).
        uint256 kind;
        /// Binary multipliers.
        int256 aMult;
        int256 bMult;
        /// Div: left shift of the numerator.
        uint256 shift;
        /// Lookup's table / Move's index map: parameter id and facts.
        uint256 param;
        TensorInfo paramInfo;
        /// Lookup: input value of the first table entry.
        int256 lo;
        /// Move: value where the map says -1.
        int256 fill;
        /// Reduce: reduced axes and keep_dims.
        uint256[] axes;
        bool keepDims;
        /// Gather: gathered axis of data.
        uint256 axis;
        /// Operands in op order, each with its facts.
        Operand[] operands;
        /// Output facts.
        TensorInfo out;
    }

    // ---------------------------------------------------------------------------------------
    // Decoding (docs/commitments.md §3; inverse of node_words, rejecting exactly what
    // verinfer_commit::decode::decode_node rejects)
    // ---------------------------------------------------------------------------------------

    /// @notice Decodes a node leaf's words. Linear in the number of words.
    function decodeNode(int256[] memory w) internal pure returns (Node memory n) {
        uint256 pos;
        (n.tag, pos) = _uint(w, 0, OP_GATHER);
        uint256 t = n.tag;
        if (t == 0) revert MalformedNode(0);
        if (t == OP_CONTRACT) {
            (n.c.outIter, pos) = _usizes(w, pos);
            (n.c.red, pos) = _usizes(w, pos);
            (n.c.xMap, pos) = _map(w, pos);
            (n.c.wMap, pos) = _map(w, pos);
            (n.c.hasBias, pos) = _flag(w, pos);
            if (n.c.hasBias) (n.c.biasMap, pos) = _map(w, pos);
            (n.c.biasShift, pos) = _uint(w, pos, U32_MAX);
            (n.requant, pos) = _requant(w, pos);
        } else if (t == OP_RESCALE) {
            (n.requant, pos) = _requant(w, pos);
        } else if (t == OP_BINARY) {
            (n.kind, pos) = _uint(w, pos, BINARY_MIN);
            (n.aMult, pos) = _int(w, pos, I64_MIN, I64_MAX);
            (n.bMult, pos) = _int(w, pos, I64_MIN, I64_MAX);
            (n.requant, pos) = _requant(w, pos);
        } else if (t == OP_LOOKUP) {
            (n.param, pos) = _uint(w, pos, U32_MAX);
            (n.paramInfo, pos) = _info(w, pos);
            (n.lo, pos) = _int(w, pos, I32_MIN, I32_MAX);
        } else if (t == OP_REDUCE) {
            (n.kind, pos) = _uint(w, pos, REDUCE_MAX);
            (n.axes, pos) = _usizes(w, pos);
            (n.keepDims, pos) = _flag(w, pos);
            (n.requant, pos) = _requant(w, pos);
        } else if (t == OP_DIV) {
            (n.shift, pos) = _uint(w, pos, U32_MAX);
            (n.requant, pos) = _requant(w, pos);
        } else if (t == OP_MOVE) {
            (n.param, pos) = _uint(w, pos, U32_MAX);
            (n.paramInfo, pos) = _info(w, pos);
            (n.fill, pos) = _int(w, pos, I32_MIN, I32_MAX);
        } else if (t == OP_GATHER) {
            (n.axis, pos) = _uint(w, pos, USIZE_MAX);
        } else {
            // Unreachable while `_uint` bounds the tag by OP_GATHER; an op added later must
            // get its own branch rather than be read as a Gather.
            revert MalformedNode(0);
        }
        uint256 count;
        (count, pos) = _len(w, pos);
        n.operands = new Operand[](count);
        for (uint256 i = 0; i < count; ++i) {
            Operand memory o = n.operands[i];
            (o.kind, pos) = _uint(w, pos, OPERAND_PARAM);
            (o.id, pos) = _uint(w, pos, U32_MAX);
            (o.info, pos) = _info(w, pos);
        }
        (n.out, pos) = _info(w, pos);
        if (pos != w.length) revert MalformedNode(pos);
    }

    /// @dev Word `pos`, or `MalformedNode(pos)` past the end.
    function _word(int256[] memory w, uint256 pos) private pure returns (int256 v) {
        if (pos >= w.length) revert MalformedNode(pos);
        assembly ("memory-safe") {
            v := mload(add(add(w, 0x20), shl(5, pos)))
        }
    }

    function _uint(int256[] memory w, uint256 pos, uint256 max) private pure returns (uint256, uint256) {
        int256 v = _word(w, pos);
        if (v < 0 || uint256(v) > max) revert MalformedNode(pos);
        return (uint256(v), pos + 1);
    }

    function _int(int256[] memory w, uint256 pos, int256 min, int256 max) private pure returns (int256, uint256) {
        int256 v = _word(w, pos);
        if (v < min || v > max) revert MalformedNode(pos);
        return (v, pos + 1);
    }

    /// @dev A length prefix: at most the number of words left (each element takes a word).
    function _len(int256[] memory w, uint256 pos) private pure returns (uint256 n, uint256 next) {
        (n, next) = _uint(w, pos, USIZE_MAX);
        if (n > w.length - next) revert MalformedNode(pos);
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
        bytes4 sel = MalformedNode.selector;
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
        bytes4 sel = MalformedNode.selector;
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
        (b, next) = _uint(w, pos, 32);
        if (b == 0) revert MalformedNode(pos);
    }

    function _info(int256[] memory w, uint256 pos) private pure returns (TensorInfo memory t, uint256 next) {
        (t.shape, next) = _usizes(w, pos);
        (t.scale, next) = _int(w, next, -SCALE_LIMIT, SCALE_LIMIT);
        (t.bits, next) = _bits(w, next);
    }

    function _requant(int256[] memory w, uint256 pos) private pure returns (Requant memory r, uint256 next) {
        (r.mult, next) = _int(w, pos, I64_MIN, I64_MAX);
        (r.shift, next) = _uint(w, next, U32_MAX);
        (r.bits, next) = _bits(w, next);
    }

    function _map(int256[] memory w, uint256 pos) private pure returns (AffineMap memory m, uint256 next) {
        uint256 n;
        (n, next) = _len(w, pos);
        m.rows = new AffineRow[](n);
        for (uint256 i = 0; i < n; ++i) {
            AffineRow memory row = m.rows[i];
            (row.out, next) = _i64s(w, next);
            (row.red, next) = _i64s(w, next);
            (row.offset, next) = _int(w, next, I64_MIN, I64_MAX);
        }
    }

    // ---------------------------------------------------------------------------------------
    // Shapes
    // ---------------------------------------------------------------------------------------

    /// @notice Element count of `dims` (1 for a scalar).
    function numel(uint256[] memory dims) internal pure returns (uint256 n) {
        n = 1;
        for (uint256 i = 0; i < dims.length; ++i) {
            n *= dims[i];
        }
    }

    /// @notice Number of output elements of `n`.
    function outLen(Node memory n) internal pure returns (uint256) {
        return numel(n.out.shape);
    }

    /// @notice Length `K` of the accumulation sequence behind each output element: Π red dims
    ///         for Contract, Π reduced dims for Reduce, 0 for ops computed in one step
    ///         (`verinfer_ir::ops::steps`).
    function steps(Node memory n) internal pure returns (uint256) {
        if (n.tag == OP_CONTRACT) return numel(n.c.red);
        if (n.tag == OP_REDUCE) return reduceSteps(n);
        return 0;
    }

    /// @notice Row-major multi-index of `flat` in `dims` (`shape::unravel_into`, dims of 0 read
    ///         as 1).
    function unravel(uint256 flat, uint256[] memory dims) internal pure returns (uint256[] memory idx) {
        uint256 r = dims.length;
        idx = new uint256[](r);
        for (uint256 i = r; i > 0; --i) {
            uint256 d = dims[i - 1];
            if (d == 0) d = 1;
            idx[i - 1] = flat % d;
            flat /= d;
        }
    }

    /// @notice Flat index into an operand of shape `src` read by output element `j` of shape
    ///         `out` under numpy broadcasting (`binary::broadcast_index`).
    function broadcastIndex(uint256[] memory src, uint256[] memory out, uint256 j)
        internal
        pure
        returns (uint256 flat)
    {
        uint256 r = out.length;
        uint256 s = src.length;
        if (s > r) revert InvalidNode();
        if (s == r) {
            bool same = true;
            for (uint256 i = 0; i < r; ++i) {
                if (src[i] != out[i]) {
                    same = false;
                    break;
                }
            }
            if (same) return j;
        }
        // Walk the output axes from the last: unravel j, and accumulate the source's row-major
        // strides (0 on broadcast axes, where the source dim is 1).
        uint256 stride = 1;
        for (uint256 i = r; i > 0; --i) {
            uint256 d = out[i - 1];
            if (d == 0) d = 1;
            uint256 idx = j % d;
            j /= d;
            if (i + s > r) {
                uint256 sd = src[i - 1 + s - r];
                if (sd != 1) flat += idx * stride;
                stride *= sd;
            }
        }
    }

    // ---------------------------------------------------------------------------------------
    // The epilogue (requant.rs)
    // ---------------------------------------------------------------------------------------

    /// @notice `round_shift(a, k) = (a + 2^(k-1)) >> k` (arithmetic shift, round half up) for
    ///         k ≥ 1, identity for k = 0; k is capped at 126 exactly as Rust's i128 version is.
    function roundShift(int256 a, uint256 k) internal pure returns (int256) {
        if (k == 0) return a;
        if (k > 126) k = 126;
        return (a + (int256(1) << (k - 1))) >> k;
    }

    /// @notice `clamp(roundShift(acc · mult, shift), bits)` for an i64 accumulator
    ///         (`Requant::apply`).
    function requant(int256 acc, Requant memory r) internal pure returns (int32) {
        if (acc < I64_MIN || acc > I64_MAX) revert AccumulatorOutOfRange(acc);
        if (r.mult < I64_MIN || r.mult > I64_MAX || r.bits == 0 || r.bits > 32) revert InvalidNode();
        // |acc · mult| ≤ 2^126 and the rounding term ≤ 2^125: far inside int256.
        int256 y = roundShift(acc * r.mult, r.shift);
        int256 hi = (int256(1) << (r.bits - 1)) - 1;
        int256 lo = -(int256(1) << (r.bits - 1));
        if (y > hi) y = hi;
        if (y < lo) y = lo;
        return int32(y);
    }

    /// @notice The epilogue of an accumulating op (Contract, Reduce) applied to its final
    ///         accumulator (`ops::finish`).
    function finish(Node memory n, int256 acc) internal pure returns (int32) {
        if (n.tag != OP_CONTRACT && n.tag != OP_REDUCE) revert WrongOp(n.tag);
        return requant(acc, n.requant);
    }

    function _i64(int256 v) private pure returns (int256) {
        if (v < I64_MIN || v > I64_MAX) revert Overflow();
        return v;
    }

    function _checkElement(Node memory n, uint256 j) private pure {
        uint256 len = numel(n.out.shape);
        if (j >= len) revert ElementOutOfRange(j, len);
    }

    function _expect(Node memory n, uint256 tag) private pure {
        if (n.tag != tag) revert WrongOp(n.tag);
    }

    // ---------------------------------------------------------------------------------------
    // Rescale (ops/rescale.rs): out[j] = requant(x[j])
    // ---------------------------------------------------------------------------------------

    /// @notice Output element of a Rescale node whose input element (same index j) is `x`.
    function rescaleElement(Node memory n, int32 x) internal pure returns (int32) {
        _expect(n, OP_RESCALE);
        return requant(x, n.requant);
    }

    // ---------------------------------------------------------------------------------------
    // Binary (ops/binary.rs) and Div (ops/div.rs): broadcasting, one element each from a and b
    // ---------------------------------------------------------------------------------------

    /// @notice Flat indices into `a` and `b` read by output element `j` of a Binary or Div node.
    function binaryReads(Node memory n, uint256 j) internal pure returns (uint256 ai, uint256 bi) {
        if (n.tag != OP_BINARY && n.tag != OP_DIV) revert WrongOp(n.tag);
        _checkElement(n, j);
        if (n.operands.length != 2) revert InvalidNode();
        ai = broadcastIndex(n.operands[0].info.shape, n.out.shape, j);
        bi = broadcastIndex(n.operands[1].info.shape, n.out.shape, j);
    }

    /// @notice The exact value `f(a·aMult, b·bMult)` (`binary::exact`), reverting where Rust's
    ///         checked i64 arithmetic fails.
    function binaryExact(uint256 kind, int256 a, int256 aMult, int256 b, int256 bMult)
        internal
        pure
        returns (int256)
    {
        int256 x = _i64(a * aMult);
        int256 y = _i64(b * bMult);
        if (kind == BINARY_ADD) return _i64(x + y);
        if (kind == BINARY_SUB) return _i64(x - y);
        if (kind == BINARY_MUL) return _i64(x * y);
        if (kind == BINARY_MAX) return x > y ? x : y;
        if (kind == BINARY_MIN) return x < y ? x : y;
        revert InvalidNode();
    }

    /// @notice Output element of a Binary node from its operand elements `a`, `b`.
    function binaryElement(Node memory n, int32 a, int32 b) internal pure returns (int32) {
        _expect(n, OP_BINARY);
        return requant(binaryExact(n.kind, a, n.aMult, b, n.bMult), n.requant);
    }

    /// @notice `n / d` rounded half away from zero, 0 for d = 0, clamped to i64
    ///         (`div::round_div`; Solidity's `/` and `%` truncate toward zero like Rust's).
    function roundDiv(int256 num, int256 d) internal pure returns (int256 q) {
        if (d == 0) return 0;
        q = num / d;
        int256 r = num % d;
        int256 ar = r < 0 ? -r : r;
        int256 ad = d < 0 ? -d : d;
        if (2 * ar >= ad) {
            q += ((num < 0) == (d < 0)) ? int256(1) : int256(-1);
            // n.signum() is 0 for n = 0, but then r = 0 and this branch needs |d| ≤ 0: never.
        }
        if (q > I64_MAX) q = I64_MAX;
        if (q < I64_MIN) q = I64_MIN;
    }

    /// @notice The exact quotient `round_div(a · 2^shift, b)` (`div::exact`).
    function divExact(uint256 shift, int256 a, int256 b) internal pure returns (int256) {
        if (shift >= 62) revert Overflow();
        return roundDiv(_i64(a * (int256(1) << shift)), b);
    }

    /// @notice Output element of a Div node from its operand elements `a`, `b`.
    function divElement(Node memory n, int32 a, int32 b) internal pure returns (int32) {
        _expect(n, OP_DIV);
        return requant(divExact(n.shift, a, b), n.requant);
    }

    // ---------------------------------------------------------------------------------------
    // Lookup (ops/lookup.rs): out[j] = table[clamp(x[j], lo, lo + len - 1) - lo]
    // ---------------------------------------------------------------------------------------

    /// @notice Table position of input value `x`: the entry the game opens against the
    ///         table's root; that entry is the output element.
    function lookupIndex(Node memory n, int32 x) internal pure returns (uint256) {
        _expect(n, OP_LOOKUP);
        return tableIndex(n.lo, numel(n.paramInfo.shape), x);
    }

    /// @notice `lookup::table_index`: `clamp(x - lo, 0, max(len - 1, 0))`.
    function tableIndex(int256 lo, uint256 len, int256 x) internal pure returns (uint256) {
        int256 off = x - lo;
        if (off <= 0 || len == 0) return 0;
        if (uint256(off) >= len) return len - 1;
        return uint256(off);
    }

    // ---------------------------------------------------------------------------------------
    // Move (ops/movement.rs): out[j] = cat(inputs)[map[j]], or fill where map[j] < 0
    // ---------------------------------------------------------------------------------------

    /// @notice Element counts of a Move node's inputs, in order.
    function moveInputLens(Node memory n) internal pure returns (uint256[] memory lens) {
        _expect(n, OP_MOVE);
        lens = new uint256[](n.operands.length);
        for (uint256 i = 0; i < lens.length; ++i) {
            lens[i] = numel(n.operands[i].info.shape);
        }
    }

    /// @notice Where map entry `mapEntry` (= map[j], opened against the map's root) points:
    ///         the fill value, or element `index` of input `input`.
    function moveSource(int256 mapEntry, uint256[] memory inputLens)
        internal
        pure
        returns (bool isFill, uint256 input, uint256 index)
    {
        if (mapEntry < 0) return (true, 0, 0);
        uint256 k = uint256(mapEntry);
        for (uint256 t = 0; t < inputLens.length; ++t) {
            if (k < inputLens[t]) return (false, t, k);
            k -= inputLens[t];
        }
        revert InvalidNode();
    }

    // ---------------------------------------------------------------------------------------
    // Gather (ops/gather.rs): out[.., i.., ..] = data[.., resolve(idx[i..]), ..]
    // ---------------------------------------------------------------------------------------

    /// @notice Flat position in `indices` (operand 1) that output element `j` reads.
    function gatherIndexPos(Node memory n, uint256 j) internal pure returns (uint256 pos) {
        _expect(n, OP_GATHER);
        _checkElement(n, j);
        if (n.operands.length != 2) revert InvalidNode();
        uint256[] memory o = unravel(j, n.out.shape);
        uint256[] memory ish = n.operands[1].info.shape;
        uint256 ir = ish.length;
        if (n.axis + ir > o.length) revert InvalidNode();
        uint256 stride = 1;
        for (uint256 i = ir; i > 0; --i) {
            pos += o[n.axis + i - 1] * stride;
            stride *= ish[i - 1];
        }
        if (pos >= numel(ish)) revert InvalidNode();
    }

    /// @notice `gather::resolve`: negative indices count from the end, then clamp into [0, len).
    function gatherResolve(int256 v, uint256 len) internal pure returns (uint256) {
        if (len == 0) revert InvalidNode();
        if (v < 0) v += int256(len);
        if (v < 0) return 0;
        if (uint256(v) >= len) return len - 1;
        return uint256(v);
    }

    /// @notice Flat position in `data` (operand 0) that output element `j` reads, given the
    ///         value `idxValue` at `gatherIndexPos(n, j)` in `indices`.
    function gatherSource(Node memory n, uint256 j, int32 idxValue) internal pure returns (uint256 flat) {
        _expect(n, OP_GATHER);
        _checkElement(n, j);
        if (n.operands.length != 2) revert InvalidNode();
        uint256[] memory o = unravel(j, n.out.shape);
        uint256[] memory dsh = n.operands[0].info.shape;
        uint256 ir = n.operands[1].info.shape.length;
        uint256 axis = n.axis;
        if (axis >= dsh.length || o.length + 1 < dsh.length + ir) revert InvalidNode();
        uint256 row = gatherResolve(idxValue, dsh[axis]);
        // Row-major strides of data, from the last axis.
        uint256 stride = 1;
        for (uint256 a = dsh.length; a > 0; --a) {
            uint256 ax = a - 1;
            if (ax > axis) flat += o[ax + ir - 1] * stride;
            else if (ax == axis) flat += row * stride;
            else flat += o[ax] * stride;
            stride *= dsh[ax];
        }
        if (flat >= stride) revert InvalidNode();
    }

    // ---------------------------------------------------------------------------------------
    // Contract (ops/contract.rs): out[o] = requant(bias[B(o)]·2^shift + Σ_r x[X(o,r)]·w[W(o,r)])
    // ---------------------------------------------------------------------------------------

    /// @notice `AffineMap::locate` at (o, r) against operand dims: the flat index, or
    ///         `inBounds = false` when any axis lands outside (a zero term). Rows, dims and
    ///         coefficients are zipped to the shorter length, as Rust's `zip` does.
    /// @dev `o` and `r` must be multi-indices of dims below 2^64 (what `unravel` of a decoded
    ///      node's dims gives); see `_rowValues`.
    function locate(AffineMap memory m, uint256[] memory o, uint256[] memory r, uint256[] memory dims)
        internal
        pure
        returns (bool inBounds, uint256 flat)
    {
        numel(dims); // reverts if the element count overflows, which `_flat` relies on
        return _flat(_rowValues(m, o, r), dims);
    }

    /// @dev Per row: `offset + Σ out·o + Σ red·r`, the operand index before the bounds check.
    ///      `unchecked` is safe: the decoder bounds every coefficient and offset by 2^63 and the
    ///      callers' indices are below 2^64, so each product is below 2^127 and a row has fewer
    ///      than 2^64 terms: every partial sum stays below 2^191 in magnitude.
    function _rowValues(AffineMap memory m, uint256[] memory o, uint256[] memory r)
        private
        pure
        returns (int256[] memory v)
    {
        uint256 nr = m.rows.length;
        v = new int256[](nr);
        for (uint256 k = 0; k < nr; ++k) {
            AffineRow memory row = m.rows[k];
            int256 x = row.offset;
            uint256 l = row.out.length < o.length ? row.out.length : o.length;
            unchecked {
                for (uint256 i = 0; i < l; ++i) {
                    x += row.out[i] * int256(o[i]);
                }
            }
            l = row.red.length < r.length ? row.red.length : r.length;
            unchecked {
                for (uint256 i = 0; i < l; ++i) {
                    x += row.red[i] * int256(r[i]);
                }
            }
            v[k] = x;
        }
    }

    /// @dev The bounds check and row-major flattening of `locate`. Callers have checked that
    ///      `numel(dims)` does not overflow; then flat < Π dims[..k] before each step, so
    ///      `flat · d + x` < Π dims[..k+1] cannot overflow either.
    function _flat(int256[] memory v, uint256[] memory dims) private pure returns (bool ok, uint256 flat) {
        assembly ("memory-safe") {
            let nr := mload(v)
            if lt(mload(dims), nr) { nr := mload(dims) }
            ok := 1
            for { let k := 0 } lt(k, nr) { k := add(k, 1) } {
                let x := mload(add(add(v, 0x20), shl(5, k)))
                let d := mload(add(add(dims, 0x20), shl(5, k)))
                // x < 0 reads as a huge unsigned number, so one comparison covers both sides.
                if iszero(lt(x, d)) {
                    ok := 0
                    flat := 0
                    break
                }
                flat := add(mul(flat, d), x)
            }
        }
    }

    function _expectContract(Node memory n) private pure {
        _expect(n, OP_CONTRACT);
        uint256 count = n.c.hasBias ? 3 : 2;
        if (n.operands.length != count) revert InvalidNode();
        for (uint256 i = 0; i < count; ++i) {
            numel(n.operands[i].info.shape); // reverts on overflow, which `_flat` relies on
        }
    }

    /// @notice What step `r` (0 ≤ r < K, row-major over `red`) of output element `j` reads:
    ///         `x[xi]` and `w[wi]`; the term is x·w when both are in bounds, else 0.
    function contractReads(Node memory n, uint256 j, uint256 r)
        internal
        pure
        returns (bool xIn, uint256 xi, bool wIn, uint256 wi)
    {
        _expectContract(n);
        _checkElement(n, j);
        uint256 k = numel(n.c.red);
        if (r >= k) revert StepOutOfRange(r, k);
        uint256[] memory o = unravel(j, n.c.outIter);
        uint256[] memory rr = unravel(r, n.c.red);
        (xIn, xi) = locate(n.c.xMap, o, rr, n.operands[0].info.shape);
        (wIn, wi) = locate(n.c.wMap, o, rr, n.operands[1].info.shape);
    }

    /// @notice `contractReads` for every step of the segment [a, b): `inBounds[i]` says whether
    ///         step a + i is a real term (x and w both in bounds); `xi[i]`, `wi[i]` are its flat
    ///         indices (0 when not). Cheaper than b − a calls of `contractReads`: the operand
    ///         indices are updated incrementally from one step to the next.
    function contractSegmentReads(Node memory n, uint256 j, uint256 a, uint256 b)
        internal
        pure
        returns (bool[] memory inBounds, uint256[] memory xi, uint256[] memory wi)
    {
        _expectContract(n);
        _checkElement(n, j);
        uint256 k = numel(n.c.red);
        if (a > b || b > k) revert StepOutOfRange(b, k);
        inBounds = new bool[](b - a);
        xi = new uint256[](b - a);
        wi = new uint256[](b - a);
        _fillReads(n, unravel(j, n.c.outIter), unravel(a, n.c.red), inBounds, xi, wi);
    }

    /// @dev The loop of `contractSegmentReads`. The reduction index `rr` advances as a
    ///      row-major odometer over `red`, and every row value of both maps moves with it: +c
    ///      when its digit steps up, −c·(d − 1) when it wraps to 0 (c the row's coefficient of
    ///      that digit), so each row always equals `_rowValues(map, o, rr)`.
    function _fillReads(
        Node memory n,
        uint256[] memory o,
        uint256[] memory rr,
        bool[] memory inBounds,
        uint256[] memory xi,
        uint256[] memory wi
    ) private pure {
        int256[] memory xv = _rowValues(n.c.xMap, o, rr);
        int256[] memory wv = _rowValues(n.c.wMap, o, rr);
        for (uint256 i = 0; i < inBounds.length; ++i) {
            (bool xIn, uint256 x) = _flat(xv, n.operands[0].info.shape);
            if (xIn) {
                (bool wIn, uint256 w) = _flat(wv, n.operands[1].info.shape);
                if (wIn) {
                    inBounds[i] = true;
                    xi[i] = x;
                    wi[i] = w;
                }
            }
            _advance(n, rr, xv, wv);
        }
    }

    /// @dev `rr` := the next multi-index of `red` in row-major order (wrapping to zeros), with the
    ///      row values of x and w following it.
    function _advance(Node memory n, uint256[] memory rr, int256[] memory xv, int256[] memory wv) private pure {
        uint256[] memory red = n.c.red;
        for (uint256 i = rr.length; i > 0; --i) {
            uint256 d = i - 1;
            if (++rr[d] < red[d]) {
                _addColumn(n.c.xMap, xv, d, 1);
                _addColumn(n.c.wMap, wv, d, 1);
                return;
            }
            rr[d] = 0;
            // red[d] ≥ 1 here (a digit reached it), and red[d] < 2^64.
            int256 back = 1 - int256(red[d]);
            _addColumn(n.c.xMap, xv, d, back);
            _addColumn(n.c.wMap, wv, d, back);
        }
    }

    /// @dev v[k] += row k's reduction coefficient `col` · times. `unchecked` is safe for the
    ///      reason given at `_rowValues`: |coefficient| ≤ 2^63, |times| < 2^64, and each v[k]
    ///      stays the exact row value, below 2^191.
    ///      `v` has one entry per row of `m` (it comes from `_rowValues(m, …)`). In memory an
    ///      `AffineRow[]` is a length and one pointer per row; a row is the words
    ///      [out pointer, red pointer, offset].
    function _addColumn(AffineMap memory m, int256[] memory v, uint256 col, int256 times) private pure {
        AffineRow[] memory rows = m.rows;
        assembly ("memory-safe") {
            let n := mload(v)
            for { let k := 0 } lt(k, n) { k := add(k, 1) } {
                let row := mload(add(add(rows, 0x20), shl(5, k)))
                let red := mload(add(row, 0x20))
                if lt(col, mload(red)) {
                    let slot := add(add(v, 0x20), shl(5, k))
                    mstore(slot, add(mload(slot), mul(mload(add(add(red, 0x20), shl(5, col))), times)))
                }
            }
        }
    }

    /// @notice Flat index into the bias (operand 2) of output element `j`
    ///         (`contract::initial`); reverts for a node without bias.
    function contractBiasIndex(Node memory n, uint256 j) internal pure returns (uint256) {
        _expectContract(n);
        _checkElement(n, j);
        if (!n.c.hasBias) revert InvalidNode();
        uint256[] memory o = unravel(j, n.c.outIter);
        uint256[] memory dims = n.operands[2].info.shape;
        (bool ok, uint256 flat) = locate(n.c.biasMap, o, new uint256[](0), dims);
        if (ok) return flat;
        (ok, flat) = locate(n.c.biasMap, o, new uint256[](n.c.red.length), dims);
        if (ok) return flat;
        revert InvalidNode();
    }

    /// @notice `acc_0`: `biasValue · 2^biasShift` (the bias element at `contractBiasIndex`), or
    ///         0 for a node without bias (`biasValue` ignored).
    function contractSeed(Node memory n, int32 biasValue) internal pure returns (int256) {
        _expectContract(n);
        if (!n.c.hasBias) return 0;
        if (n.c.biasShift >= 62) revert Overflow();
        return _i64(int256(biasValue) * (int256(1) << n.c.biasShift));
    }

    /// @notice `acc_b` from `acc_a = accStart`: adds xs[i]·ws[i] for the steps a..b-1 in order
    ///         (a term outside bounds is passed as x = 0 or w = 0), every partial sum checked to
    ///         stay in i64 like Rust's `checked_add`.
    function contractSegment(int256 accStart, int32[] memory xs, int32[] memory ws)
        internal
        pure
        returns (int256 acc)
    {
        if (xs.length != ws.length) revert LengthMismatch(xs.length, ws.length);
        acc = _i64(accStart);
        for (uint256 i = 0; i < xs.length; ++i) {
            acc = _i64(acc + int256(xs[i]) * int256(ws[i]));
        }
    }

    // ---------------------------------------------------------------------------------------
    // Reduce (ops/reduce.rs): fold over the reduced axes in row-major order, then requant
    // ---------------------------------------------------------------------------------------

    function _expectReduce(Node memory n) private pure returns (uint256[] memory xs) {
        _expect(n, OP_REDUCE);
        if (n.operands.length != 1) revert InvalidNode();
        xs = n.operands[0].info.shape;
        // Sorted, distinct, in range (what `reduce::output_shape` demands).
        uint256[] memory axes = n.axes;
        for (uint256 i = 0; i < axes.length; ++i) {
            if (axes[i] >= xs.length || (i > 0 && axes[i] <= axes[i - 1])) revert InvalidNode();
        }
    }

    /// @notice K = Π of the reduced dims of the input.
    function reduceSteps(Node memory n) internal pure returns (uint256 k) {
        uint256[] memory xs = _expectReduce(n);
        k = 1;
        for (uint256 i = 0; i < n.axes.length; ++i) {
            k *= xs[n.axes[i]];
        }
    }

    /// @notice Flat input position folded at step `r` into output element `j`
    ///         (`reduce::positions`[r]).
    function reduceReads(Node memory n, uint256 j, uint256 r) internal pure returns (uint256 pos) {
        uint256[] memory xs = _expectReduce(n);
        _checkElement(n, j);
        uint256 k = reduceSteps(n);
        if (r >= k) revert StepOutOfRange(r, k);
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

    /// @notice `reduceReads` for every step of the segment [a, b) (the positions folded at
    ///         steps a … b − 1), each from the previous one by an odometer over the reduced axes.
    function reduceSegmentReads(Node memory n, uint256 j, uint256 a, uint256 b)
        internal
        pure
        returns (uint256[] memory pos)
    {
        uint256 k = reduceSteps(n);
        if (a > b || b > k) revert StepOutOfRange(b, k);
        pos = new uint256[](b - a);
        if (a == b) return pos;
        uint256 p = reduceReads(n, j, a);
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
        uint256[] memory digit = unravel(a, dims);
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

    /// @notice `acc_0`: 0 for Sum; i64::MIN for Max (`reduce::seed`: the first fold then yields
    ///         the first element).
    function reduceSeed(Node memory n) internal pure returns (int256) {
        _expectReduce(n);
        return n.kind == REDUCE_SUM ? int256(0) : I64_MIN;
    }

    /// @notice One fold step (`reduce::fold`): acc + v (checked in i64) or max(acc, v).
    function reduceFold(Node memory n, int256 acc, int32 v) internal pure returns (int256) {
        _expect(n, OP_REDUCE);
        if (n.kind == REDUCE_SUM) return _i64(acc + v);
        return acc > v ? acc : int256(v);
    }

    /// @notice `acc_b` from `acc_a = accStart`, folding the elements `vs` of steps a..b-1.
    function reduceSegment(Node memory n, int256 accStart, int32[] memory vs) internal pure returns (int256 acc) {
        _expect(n, OP_REDUCE);
        acc = _i64(accStart);
        bool sum = n.kind == REDUCE_SUM;
        for (uint256 i = 0; i < vs.length; ++i) {
            int256 v = vs[i];
            if (sum) acc = _i64(acc + v);
            else if (v > acc) acc = v;
        }
    }
}
