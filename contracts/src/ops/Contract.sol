// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {Arbiter} from "../Arbiter.sol";
import {Encoding} from "../Encoding.sol";
import {Common} from "./Common.sol";

/// @title Contract — `verinfer_ir::ops::contract`:
///        out[o] = requant(bias[B(o)]·2^shift + Σ_r x[X(o,r)]·w[W(o,r)])
/// @notice The affine contraction behind Gemm, MatMul and convolutions. An accumulating op: K =
///         Π red steps per output element, each adding one product x·w (zero where an affine
///         map lands outside its operand, i.e. padding); `seed` is the bias term and
///         `Ops.finish` applies the epilogue. The read sets evaluate the affine maps
///         (`AffineMap::locate`), incrementally over a segment.
/// @dev One library per op, named like the Rust file. `internal pure`, inlined into its callers.
///      `unchecked` arithmetic and assembly only in the affine index arithmetic, each with its
///      bound argued where it is used.
library Contract {
    /// @notice `AffineMap::locate` at (o, r) against operand dims: the flat index, or
    ///         `inBounds = false` when any axis lands outside (a zero term). Rows, dims and
    ///         coefficients are zipped to the shorter length, as Rust's `zip` does.
    /// @dev `o` and `r` must be multi-indices of dims below 2^64 (what `unravel` of a decoded
    ///      node's dims gives); see `_rowValues`.
    function locate(Arbiter.AffineMap memory m, uint256[] memory o, uint256[] memory r, uint256[] memory dims)
        internal
        pure
        returns (bool inBounds, uint256 flat)
    {
        Common.numel(dims); // reverts if the element count overflows, which `_flat` relies on
        return _flat(_rowValues(m, o, r), dims);
    }

    /// @dev Per row: `offset + Σ out·o + Σ red·r`, the operand index before the bounds check.
    ///      `unchecked` is safe: the decoder bounds every coefficient and offset by 2^63 and the
    ///      callers' indices are below 2^64, so each product is below 2^127 and a row has fewer
    ///      than 2^64 terms: every partial sum stays below 2^191 in magnitude.
    function _rowValues(Arbiter.AffineMap memory m, uint256[] memory o, uint256[] memory r)
        private
        pure
        returns (int256[] memory v)
    {
        uint256 nr = m.rows.length;
        v = new int256[](nr);
        for (uint256 k = 0; k < nr; ++k) {
            Arbiter.AffineRow memory row = m.rows[k];
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

    /// @dev Checks that `n` is a Contract node with its operands (x, w, and the bias if it has
    ///      one) and that no operand's element count overflows.
    function _expectContract(Arbiter.Node memory n) private pure {
        Common.expectOp(n, Encoding.OP_CONTRACT);
        uint256 count = n.c.hasBias ? 3 : 2;
        if (n.operands.length != count) revert Arbiter.InvalidNode();
        for (uint256 i = 0; i < count; ++i) {
            Common.numel(n.operands[i].info.shape); // reverts on overflow, which `_flat` relies on
        }
    }

    /// @notice What step `r` (0 ≤ r < K, row-major over `red`) of output element `j` reads:
    ///         `x[xi]` and `w[wi]`; the term is x·w when both are in bounds, else 0.
    function reads(Arbiter.Node memory n, uint256 j, uint256 r)
        internal
        pure
        returns (bool xIn, uint256 xi, bool wIn, uint256 wi)
    {
        _expectContract(n);
        Common.checkElement(n, j);
        uint256 k = Common.numel(n.c.red);
        if (r >= k) revert Arbiter.StepOutOfRange(r, k);
        uint256[] memory o = Common.unravel(j, n.c.outIter);
        uint256[] memory rr = Common.unravel(r, n.c.red);
        (xIn, xi) = locate(n.c.xMap, o, rr, n.operands[0].info.shape);
        (wIn, wi) = locate(n.c.wMap, o, rr, n.operands[1].info.shape);
    }

    /// @notice `reads` for every step of the segment [a, b): `inBounds[i]` says whether
    ///         step a + i is a real term (x and w both in bounds); `xi[i]`, `wi[i]` are its flat
    ///         indices (0 when not). Cheaper than b − a calls of `reads`: the operand
    ///         indices are updated incrementally from one step to the next.
    function segmentReads(Arbiter.Node memory n, uint256 j, uint256 a, uint256 b)
        internal
        pure
        returns (bool[] memory inBounds, uint256[] memory xi, uint256[] memory wi)
    {
        _expectContract(n);
        Common.checkElement(n, j);
        uint256 k = Common.numel(n.c.red);
        if (a > b || b > k) revert Arbiter.StepOutOfRange(b, k);
        inBounds = new bool[](b - a);
        xi = new uint256[](b - a);
        wi = new uint256[](b - a);
        _fillReads(n, Common.unravel(j, n.c.outIter), Common.unravel(a, n.c.red), inBounds, xi, wi);
    }

    /// @dev The loop of `segmentReads`. The reduction index `rr` advances as a
    ///      row-major odometer over `red`, and every row value of both maps moves with it: +c
    ///      when its digit steps up, −c·(d − 1) when it wraps to 0 (c the row's coefficient of
    ///      that digit), so each row always equals `_rowValues(map, o, rr)`.
    function _fillReads(
        Arbiter.Node memory n,
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
    function _advance(Arbiter.Node memory n, uint256[] memory rr, int256[] memory xv, int256[] memory wv)
        private
        pure
    {
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
    ///      `Arbiter.AffineRow[]` is a length and one pointer per row; a row is the words
    ///      [out pointer, red pointer, offset].
    function _addColumn(Arbiter.AffineMap memory m, int256[] memory v, uint256 col, int256 times)
        private
        pure
    {
        Arbiter.AffineRow[] memory rows = m.rows;
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
    function biasIndex(Arbiter.Node memory n, uint256 j) internal pure returns (uint256) {
        _expectContract(n);
        Common.checkElement(n, j);
        if (!n.c.hasBias) revert Arbiter.InvalidNode();
        uint256[] memory o = Common.unravel(j, n.c.outIter);
        uint256[] memory dims = n.operands[2].info.shape;
        (bool ok, uint256 flat) = locate(n.c.biasMap, o, new uint256[](0), dims);
        if (ok) return flat;
        (ok, flat) = locate(n.c.biasMap, o, new uint256[](n.c.red.length), dims);
        if (ok) return flat;
        revert Arbiter.InvalidNode();
    }

    /// @notice `acc_0`: `biasValue · 2^biasShift` (the bias element at `biasIndex`), or
    ///         0 for a node without bias (`biasValue` ignored).
    function seed(Arbiter.Node memory n, int32 biasValue) internal pure returns (int256) {
        _expectContract(n);
        if (!n.c.hasBias) return 0;
        if (n.c.biasShift >= 62) revert Arbiter.Overflow();
        return Common.i64(int256(biasValue) * (int256(1) << n.c.biasShift));
    }

    /// @notice `acc_b` from `acc_a = accStart`: adds xs[i]·ws[i] for the steps a..b-1 in order
    ///         (a term outside bounds is passed as x = 0 or w = 0), every partial sum checked to
    ///         stay in i64 like Rust's `checked_add`.
    function segment(int256 accStart, int32[] memory xs, int32[] memory ws)
        internal
        pure
        returns (int256 acc)
    {
        if (xs.length != ws.length) revert Arbiter.LengthMismatch(xs.length, ws.length);
        acc = Common.i64(accStart);
        for (uint256 i = 0; i < xs.length; ++i) {
            acc = Common.i64(acc + int256(xs[i]) * int256(ws[i]));
        }
    }
}
