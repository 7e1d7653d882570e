// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {SumcheckFr} from "./SumcheckFr.sol";

/// @title AffineWiring — a move's wiring value in closed form for a map affine per axis (Rust:
///        `gkr::affine`)
/// @notice With every axis padded to a power of two on its own (the padded index is the
///         concatenation of the coordinates' bit fields, the first axis most significant), a map
///         whose input coordinate `i_b = offset + Σ_a c_a·o_a` reads a *group* of output axes
///         (`{oh, kh} → h` of an im2col; one axis of a transpose) has
///         `M̃_ρ(σ) = Π_groups Σ_{o valid} Π_a eq(ρ_a, o_a)·eq(σ_b, i_b(o))` and
///         `F_ρ = Π S_g − Π V_g`: each group enumerates only its own coordinates, so the cost is
///         the sum of the groups' sizes, not the map's length.
library AffineWiring {
    uint256 internal constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// @notice The input axis "none" (output axes the input does not read).
    uint256 internal constant NONE = type(uint256).max;
    uint256 internal constant MAX_RANK = 16;
    uint256 internal constant MAX_GROUP = 1 << 16;
    uint256 internal constant MAX_COORD = 1 << 31;
    /// @notice A malformed form: a rank, dim, axis, coefficient or offset out of range, an axis
    ///         read twice or left out, or a point of the wrong length.
    uint256 internal constant AFFINE_FORM = 71;

    /// @dev The form's dims and their `eq` tables.
    struct Axes {
        uint256[] outDims;
        uint256[] inDims;
        uint256[][] er;
        uint256[][] es;
        bool withSigma;
        /// the next word of the form; the output and input axes the groups read so far
        uint256 p;
        uint256 usedOut;
        uint256 usedIn;
    }

    /// @dev One group's running sums: `Σ w·eq(σ_b, i)`, `Σ w`, `Σ_{valid} w`.
    struct Sums {
        uint256 m;
        uint256 s;
        uint256 v;
    }

    function fail() private pure {
        revert SumcheckFr.SumcheckRejected(AFFINE_FORM);
    }

    function bitsOf(uint256 d) private pure returns (uint256 l) {
        while ((1 << l) < d) l++;
    }

    /// @dev `rank, dims…` at `d[p]`: the dims and the next position.
    function dims(uint256[] memory d, uint256 p) private pure returns (uint256[] memory ds, uint256 q) {
        if (p >= d.length || d[p] > MAX_RANK || p + 1 + d[p] > d.length) fail();
        ds = new uint256[](d[p]);
        for (uint256 k = 0; k < ds.length; k++) {
            ds[k] = d[p + 1 + k];
            if (ds[k] == 0 || ds[k] >= MAX_COORD) fail();
        }
        q = p + 1 + ds.length;
    }

    /// @dev Each axis's `eq` table over its slice of `point` (which must be exactly the axes').
    function tables(uint256[] memory ds, uint256[] memory point) private pure returns (uint256[][] memory t) {
        t = new uint256[][](ds.length);
        uint256 from = 0;
        for (uint256 k = 0; k < ds.length; k++) {
            uint256 b = bitsOf(ds[k]);
            if (from + b > point.length) fail();
            t[k] = SumcheckFr.eqTable(point, from, b);
            from += b;
        }
        if (from != point.length) fail();
    }

    /// @notice `(M̃_ρ(σ), F_ρ)` of the form at `d[start..]` (layout: Rust `AffineWiring::words`) and
    ///         the position after it; `sigma` empty: only `F_ρ` (the first is then 0).
    function eval(uint256[] memory d, uint256 start, uint256[] memory rho, uint256[] memory sigma)
        internal
        pure
        returns (uint256 m, uint256 fw, uint256 end)
    {
        Axes memory x;
        (x.outDims, x.p) = dims(d, start);
        (x.inDims, x.p) = dims(d, x.p);
        x.er = tables(x.outDims, rho);
        x.withSigma = sigma.length != 0;
        if (x.withSigma) x.es = tables(x.inDims, sigma);
        if (x.p >= d.length) fail();
        uint256 groups = d[x.p++];
        (uint256 all, uint256 valid) = (1, 1);
        m = 1;
        for (uint256 g = 0; g < groups; g++) {
            Sums memory s = group(d, x);
            m = mulmod(m, s.m, R);
            all = mulmod(all, s.s, R);
            valid = mulmod(valid, s.v, R);
        }
        if (x.usedOut != (1 << x.outDims.length) - 1) fail();
        if (x.withSigma) {
            for (uint256 b = 0; b < x.inDims.length; b++) {
                if ((x.usedIn >> b) & 1 == 0) m = mulmod(m, x.es[b][0], R);
            }
        } else {
            m = 0;
        }
        fw = addmod(all, R - valid, R);
        end = x.p;
    }

    /// @dev One group at `d[x.p]`: `input, offset, n, (axis, coef) × n`; its sums (`x.p` and
    ///      the axes used move on).
    function group(uint256[] memory d, Axes memory x) private pure returns (Sums memory s) {
        uint256 p = x.p;
        if (p + 3 > d.length) fail();
        uint256 input = d[p];
        int256 offset = int256(d[p + 1]);
        uint256 n = d[p + 2];
        if (n > x.outDims.length || p + 3 + 2 * n > d.length) fail();
        if (offset <= -int256(MAX_COORD) || offset >= int256(MAX_COORD)) fail();
        if (input != NONE) {
            if (input >= x.inDims.length || (x.usedIn >> input) & 1 == 1) fail();
            x.usedIn |= 1 << input;
        }
        uint256[] memory ax = new uint256[](n);
        int256[] memory cf = new int256[](n);
        uint256 size = 1;
        for (uint256 k = 0; k < n; k++) {
            ax[k] = d[p + 3 + 2 * k];
            cf[k] = int256(d[p + 4 + 2 * k]);
            if (ax[k] >= x.outDims.length || (x.usedOut >> ax[k]) & 1 == 1) fail();
            if (cf[k] <= -int256(MAX_COORD) || cf[k] >= int256(MAX_COORD)) fail();
            x.usedOut |= 1 << ax[k];
            size *= x.outDims[ax[k]];
            if (size > MAX_GROUP) fail();
        }
        x.p = p + 3 + 2 * n;
        s = sums(x, ax, cf, offset, input, size);
    }

    /// @dev The group's coordinates in row-major order (an odometer over `ax`): the tables'
    ///      data pointers, sizes and coefficients go to a memory context read by the loop.
    function sums(
        Axes memory x,
        uint256[] memory ax,
        int256[] memory cf,
        int256 offset,
        uint256 input,
        uint256 size
    ) private pure returns (Sums memory s) {
        uint256 n = ax.length;
        uint256[] memory tp = new uint256[](n);
        uint256[] memory dm = new uint256[](n);
        for (uint256 k = 0; k < n; k++) {
            uint256[] memory tk = x.er[ax[k]];
            uint256 ptr;
            assembly ("memory-safe") {
                ptr := add(tk, 0x20)
            }
            tp[k] = ptr;
            dm[k] = x.outDims[ax[k]];
        }
        uint256 colP;
        if (input != NONE && x.withSigma) {
            uint256[] memory col = x.es[input];
            assembly ("memory-safe") {
                colP := add(col, 0x20)
            }
        }
        // tables, sizes, coefficients, coordinates, 32·n, offset, X's size on the axis, σ's
        // table (0: none), whether the input is none, the group's size
        uint256[] memory ctx = new uint256[](10);
        uint256[] memory o = new uint256[](n);
        assembly ("memory-safe") {
            mstore(add(ctx, 0x20), add(tp, 0x20))
            mstore(add(ctx, 0x40), add(dm, 0x20))
            mstore(add(ctx, 0x60), add(cf, 0x20))
            mstore(add(ctx, 0x80), add(o, 0x20))
            mstore(add(ctx, 0xa0), shl(5, n))
            mstore(add(ctx, 0xc0), offset)
        }
        ctx[6] = input == NONE ? 0 : x.inDims[input];
        ctx[7] = colP;
        ctx[8] = input == NONE ? 1 : 0;
        ctx[9] = size;
        (s.m, s.s, s.v) = walk(ctx);
    }

    function walk(uint256[] memory ctx) private pure returns (uint256 sm, uint256 ss, uint256 sv) {
        assembly ("memory-safe") {
            let c := add(ctx, 0x20)
            let oP := mload(add(c, 0x60))
            let nb := mload(add(c, 0x80))
            for { let t := 0 } lt(t, mload(add(c, 0x120))) { t := add(t, 1) } {
                let w := 1
                let i := mload(add(c, 0xa0))
                for { let k := 0 } lt(k, nb) { k := add(k, 0x20) } {
                    let ok := mload(add(oP, k))
                    w := mulmod(w, mload(add(mload(add(mload(c), k)), shl(5, ok))), R)
                    i := add(i, mul(mload(add(mload(add(c, 0x40)), k)), ok))
                }
                ss := addmod(ss, w, R)
                switch mload(add(c, 0x100))
                case 1 {
                    sv := addmod(sv, w, R)
                    sm := addmod(sm, w, R)
                }
                default {
                    if and(iszero(slt(i, 0)), lt(i, mload(add(c, 0xc0)))) {
                        sv := addmod(sv, w, R)
                        let colP := mload(add(c, 0xe0))
                        if colP { sm := addmod(sm, mulmod(w, mload(add(colP, shl(5, i))), R), R) }
                    }
                }
                for { let k := nb } gt(k, 0) { k := sub(k, 0x20) } {
                    let p := add(oP, sub(k, 0x20))
                    let v := add(mload(p), 1)
                    if lt(v, mload(add(mload(add(c, 0x20)), sub(k, 0x20)))) {
                        mstore(p, v)
                        break
                    }
                    mstore(p, 0)
                }
            }
        }
    }
}
