// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {SumcheckFr} from "./SumcheckFr.sol";
import {ModelPlan} from "./ModelPlan.sol";

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

    /// @dev The form's dims, the points, where each axis's coordinates start in them, and
    ///      their `eq` tables.
    struct Axes {
        uint256[] outDims;
        uint256[] inDims;
        uint256[] rho;
        uint256[] sigma;
        uint256[] rOff;
        uint256[] sOff;
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
        uint256 n = d[p];
        ds = new uint256[](n);
        bool bad;
        assembly ("memory-safe") {
            let src := add(d, shl(5, add(p, 2)))
            mcopy(add(ds, 0x20), src, shl(5, n))
            // every dim in [1, MAX_COORD)
            for { let k := 0 } lt(k, n) { k := add(k, 1) } {
                let v := mload(add(src, shl(5, k)))
                bad := or(bad, or(iszero(v), iszero(lt(v, 0x80000000))))
            }
        }
        if (bad) fail();
        q = p + 1 + n;
    }

    /// @dev Each axis's `eq` table over its slice of `point` (which must be exactly the
    ///      axes') and where the slice starts.
    function tables(uint256[] memory ds, uint256[] memory point)
        private
        pure
        returns (uint256[][] memory t, uint256[] memory off)
    {
        t = new uint256[][](ds.length);
        off = new uint256[](ds.length);
        uint256 from = 0;
        for (uint256 k = 0; k < ds.length; k++) {
            uint256 b = bitsOf(ds[k]);
            if (from + b > point.length) fail();
            t[k] = SumcheckFr.eqTable(point, from, b);
            off[k] = from;
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
        (x.rho, x.sigma) = (rho, sigma);
        (x.er, x.rOff) = tables(x.outDims, rho);
        x.withSigma = sigma.length != 0;
        if (x.withSigma) (x.es, x.sOff) = tables(x.inDims, sigma);
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
        if (!concatenated(x, ax, cf, offset, input, s)) s = sums(x, ax, cf, offset, input, size);
    }

    /// @dev A group whose sums factor over its axes, in `O(bits)` instead of one term per
    ///      coordinate: one that reads no input (`Σ w = Π_a Σ_{o < d_a} eq(ρ_a, o)`), or one whose
    ///      input coordinate is the concatenation of its axes' bit fields (offset 0, the last
    ///      axis's coefficient 1 and each other's the padded sizes after it multiplied: a
    ///      transpose's axis, a pooling window's `2·oh + kh`) and always inside `X` — then
    ///      `eq(σ_b, i)` is the product of the fields' `eq`s and `M` is `eq(σ_top, 0)` times
    ///      `Π_a Σ_{o < d_a} eq(ρ_a, o)·eq(σ_field_a, o)`. False (the caller walks the group)
    ///      for any other group.
    function concatenated(
        Axes memory x,
        uint256[] memory ax,
        int256[] memory cf,
        int256 offset,
        uint256 input,
        Sums memory s
    ) private pure returns (bool ok) {
        uint256 sum = 1;
        // From the last axis up: each coefficient the padded sizes after it multiplied
        // (`low`), the largest coordinate `maxI` inside `X`, the fields within `X`'s bits.
        (uint256 low, uint256 maxI) = (1, 0);
        ok = offset == 0;
        unchecked {
            for (uint256 k = ax.length; k > 0; k--) {
                uint256 d = x.outDims[ax[k - 1]];
                uint256 b = bitsOf(d);
                sum = mulmod(sum, ModelPlan.eqPrefix(x.rho, x.rOff[ax[k - 1]], b, d), R);
                ok = ok && cf[k - 1] == int256(low) && b < 32;
                maxI += low * (d - 1);
                if (ok) low <<= b;
            }
        }
        (s.m, s.s, s.v) = (sum, sum, sum);
        if (input == NONE) return true;
        uint256 inBits = bitsOf(x.inDims[input]);
        if (!ok || maxI >= x.inDims[input] || low > (1 << inBits)) return false;
        if (x.withSigma) s.m = fieldsEq(x, ax, x.sOff[input], inBits);
    }

    /// @dev `eq(σ_b, i)` summed as the fields' product: `σ_b = σ[from..from+bits]` most
    ///      significant first, its top coordinates paired with zeros, then the fields in the
    ///      group's order: per axis `Σ_{o < d_a} eq(ρ_a, o)·eq(σ_field, o)`.
    function fieldsEq(Axes memory x, uint256[] memory ax, uint256 from, uint256 bits)
        private
        pure
        returns (uint256 m)
    {
        uint256 pos = from + bits;
        m = 1;
        unchecked {
            for (uint256 k = ax.length; k > 0; k--) {
                uint256 a = ax[k - 1];
                uint256 b = bitsOf(x.outDims[a]);
                pos -= b;
                m = mulmod(m, pairPrefix(x.rho, x.rOff[a], x.sigma, pos, b, x.outDims[a]), R);
            }
            uint256[] memory sg = x.sigma;
            assembly ("memory-safe") {
                for { let k := from } lt(k, pos) { k := add(k, 1) } {
                    m := mulmod(m, sub(add(R, 1), mload(add(sg, shl(5, add(k, 1))))), R)
                }
            }
        }
    }

    /// @notice `Σ_{q < n} eq(a[af..af+len], q)·eq(b[bf..bf+len], q)` (first coordinate the most
    ///         significant bit) in `len` steps: per bit `g(1) = a·b`, `g(0) = (1 − a)(1 − b)`;
    ///         from the least significant bit up, `full` is the sum over all lower bits and `s`
    ///         the sum below `n`'s lower bits (a 1 bit of `n` adds the 0 branch's `g(0)·full`).
    function pairPrefix(uint256[] memory a, uint256 af, uint256[] memory b, uint256 bf, uint256 len, uint256 n)
        internal
        pure
        returns (uint256 s)
    {
        require(af + len <= a.length && bf + len <= b.length && n <= (1 << len));
        assembly ("memory-safe") {
            let full := 1
            for { let k := len } gt(k, 0) { k := sub(k, 1) } {
                let ak := mload(add(a, shl(5, add(af, k))))
                let bk := mload(add(b, shl(5, add(bf, k))))
                let g1 := mulmod(ak, bk, R)
                let g0 := mulmod(addmod(1, sub(R, ak), R), addmod(1, sub(R, bk), R), R)
                switch and(shr(sub(len, k), n), 1)
                case 1 { s := addmod(mulmod(g0, full, R), mulmod(g1, s, R), R) }
                default { s := mulmod(g0, s, R) }
                full := mulmod(full, addmod(g0, g1, R), R)
            }
            if eq(n, shl(len, 1)) { s := full }
        }
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
