// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {SumcheckFr} from "./SumcheckFr.sol";
import {SumcheckTranscript} from "./SumcheckTranscript.sol";
import {SumcheckVerifier} from "./SumcheckVerifier.sol";
import {ModelPlan} from "./ModelPlan.sol";
import {AffineWiring} from "./AffineWiring.sol";

/// @title ModelWiring — the layers proven by a wiring sumcheck over a public index map (Rust:
///        `gkr::movement`, `gkr::reduce_max` and their arms of `gkr::verify_model`)
/// @notice A move `Y[j] = X[map[j]]` (`fill` where `map[j] < 0`): `ρ`; `Ỹ(ρ)` (stated unless
///         public); the degree-2 sumcheck `Ỹ(ρ) − fill·F_ρ = Σ_x X̃(x)·M̃_ρ(x)` over `X`'s
///         variables to `X̃(σ)`, `M̃_ρ(σ)`, the latter recomputed here from the map in the plan:
///         `M̃_ρ(σ) = Σ_{j real, map[j] ≥ 0} eq(ρ, j)·eq(σ, map[j])` (padded positions), so no
///         table of `X`'s size is built. A `ReduceMax` over the last axis: the committed
///         broadcast `B` at `ρ`, its wiring sumcheck to `Y` (map `e ↦ ⌊e/k⌋`), then the
///         selector's degree-3 sumcheck `Σ eq(z,x)·(S² − S + λ·S·(B − X)) + μ·S·T_ρ'` to
///         `μ·Σ_{r real} eq(ρ', r)`, with `eq(z, σ)` and `T̃_ρ'(σ)` recomputed here.
library ModelWiring {
    using SumcheckTranscript for SumcheckTranscript.Transcript;
    using SumcheckFr for SumcheckFr.Cursor;
    using ModelPlan for ModelPlan.Run;

    uint256 internal constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// @notice A move's `M̃_ρ(σ)` differs from the map's.
    uint256 internal constant MOVE_WIRE = 67;
    /// @notice A max's broadcast wiring value differs from the map's.
    uint256 internal constant MAX_WIRE = 68;
    /// @notice A max's `eq` value differs from `eq(z, σ)`.
    uint256 internal constant MAX_EQ = 69;
    /// @notice A max's row-table value differs from `T̃_ρ'(σ)`.
    uint256 internal constant MAX_ROWS = 70;

    /// @dev A `rows × cols` layout and its padded column bits.
    struct Layout {
        uint256 rows;
        uint256 cols;
        uint256 a;
        uint256 b;
    }

    function layout(ModelPlan.Run memory r) private pure returns (Layout memory l) {
        (l.rows, l.cols) = (r.next(), r.next());
        (l.a, l.b) = (ModelPlan.log2Ceil(l.rows), ModelPlan.log2Ceil(l.cols));
    }

    /// @dev The row and column `eq` tables of `point` for `l` (`eq(point, (i, j))` is their product).
    function tables(Layout memory l, uint256[] memory point)
        private
        pure
        returns (uint256[] memory rows, uint256[] memory cols)
    {
        rows = SumcheckFr.eqTable(point, 0, l.a);
        cols = SumcheckFr.eqTable(point, l.a, l.b);
    }

    /// @notice Plan record `2, y, x, fill, out (rows, cols), in (rows, cols), width, map`
    ///         (width 0: the map's closed form follows instead, `AffineWiring`): the
    ///         map over the output's real entries in row-major order, each the *padded*
    ///         position of its source in `X` (`(row << b) | col`, so no division by the
    ///         input's column count on chain) or negative for `fill`, as `width`-byte (2 or 4)
    ///         big-endian signed integers, `32 / width` a word.
    /// @dev A move's plan record and `ρ`'s tables.
    struct Mv {
        uint256 y;
        uint256 x;
        uint256 fill;
        uint256 mapAt;
        uint256 width;
        Layout lo;
        Layout li;
        uint256[] eqRow;
        uint256[] eqCol;
    }

    function move(ModelPlan.Run memory r, SumcheckTranscript.Transcript memory t, SumcheckFr.Cursor memory c)
        internal
        pure
    {
        Mv memory mv;
        (mv.y, mv.x, mv.fill) = (r.next(), r.next(), r.next());
        mv.lo = layout(r);
        mv.li = layout(r);
        mv.width = r.next();
        if (mv.width != 0 && mv.width != 2 && mv.width != 4) revert SumcheckFr.SumcheckRejected(ModelPlan.CLAIMS);
        mv.mapAt = r.pc;
        if (mv.width != 0) {
            r.pc += (mv.lo.rows * mv.lo.cols * mv.width + 31) / 32;
            if (r.pc > r.plan.length) revert SumcheckFr.SumcheckRejected(ModelPlan.CLAIMS);
        }
        uint256[] memory rho = t.challenges(mv.lo.a + mv.lo.b);
        uint256 claimed;
        if (mv.y == ModelPlan.OUTPUT) {
            claimed = r.evalPublic(mv.y, rho);
        } else {
            claimed = c.nextFr();
            r.claim(mv.y, rho, claimed);
            t.absorb(claimed);
        }
        if (mv.width == 0) {
            // The map's closed form (Rust `AffineWiring::words`) instead of the map.
            if (mv.fill != 0) {
                (, uint256 fw,) = AffineWiring.eval(r.plan, mv.mapAt, rho, new uint256[](0));
                claimed = SumcheckFr.sub(claimed, mulmod(mv.fill, fw, R));
            }
            (uint256[] memory sg, uint256 eg) = SumcheckVerifier.rounds(t, c, mv.li.a + mv.li.b, 2, claimed);
            uint256[] memory fg = SumcheckVerifier.finals(t, c, 2);
            SumcheckVerifier.expect(mulmod(fg[0], fg[1], R), eg);
            (uint256 mg,, uint256 end) = AffineWiring.eval(r.plan, mv.mapAt, rho, sg);
            if (fg[1] != mg) revert SumcheckFr.SumcheckRejected(MOVE_WIRE);
            r.pc = end;
            r.claim(mv.x, sg, fg[0]);
            return;
        }
        (mv.eqRow, mv.eqCol) = tables(mv.lo, rho);
        if (mv.fill != 0) {
            (, uint256 fw) = wiring(r.plan, mv, new uint256[](0), new uint256[](0));
            claimed = SumcheckFr.sub(claimed, mulmod(mv.fill, fw, R));
        }
        (uint256[] memory sigma, uint256 e) = SumcheckVerifier.rounds(t, c, mv.li.a + mv.li.b, 2, claimed);
        uint256[] memory f = SumcheckVerifier.finals(t, c, 2);
        SumcheckVerifier.expect(mulmod(f[0], f[1], R), e);
        (uint256[] memory sRow, uint256[] memory sCol) = tables(mv.li, sigma);
        (uint256 m,) = wiring(r.plan, mv, sRow, sCol);
        if (f[1] != m) revert SumcheckFr.SumcheckRejected(MOVE_WIRE);
        r.claim(mv.x, sigma, f[0]);
    }

    /// @dev `(M̃_ρ(σ), F_ρ)` of the move's map in one pass: `eq(ρ, (i, j)) = eqRow[i]·eqCol[j]`
    ///      and `eq(σ, s) = sRow[s >> b]·sCol[s & (2^b − 1)]` (the product trick: tables of
    ///      `2^a + 2^b` entries, not `2^(a+b)`); per output row the column sums are taken
    ///      first and multiplied by `eqRow[i]` once. `sRow`, `sCol` empty: only `F_ρ` wanted.
    function wiring(uint256[] memory plan, Mv memory mv, uint256[] memory sRow, uint256[] memory sCol)
        private
        pure
        returns (uint256 m, uint256 fw)
    {
        bool bad;
        assembly ("memory-safe") {
            // One output row: Σ_j eqCol[j]·eq(σ, src_j) over its real sources (`acc`) and
            // whether a source lies past X's padded table (`miss`; never read past σ's tables).
            // An entry is the top `w` bytes of the word at its byte, sign-extended.
            // `w` is the pass's constants on entry (below), then the entry width.
            function wireRow(p, w) -> acc, miss {
                let end := add(p, mload(add(w, 0x20)))
                let colP := mload(add(w, 0x60))
                let sRowP := mload(add(w, 0x80))
                let sColP := mload(add(w, 0xa0))
                let bits := mload(add(w, 0xc0))
                let lim := mload(add(w, 0xe0))
                w := mload(add(w, 0x100))
                for {} lt(p, end) { p := add(p, w) } {
                    let src := signextend(sub(w, 1), shr(sub(256, shl(3, w)), mload(p)))
                    let wc := mload(colP)
                    colP := add(colP, 0x20)
                    if iszero(slt(src, 0)) {
                        let ok := lt(src, lim)
                        miss := or(miss, iszero(ok))
                        if ok {
                            wc := mulmod(wc, mload(add(sRowP, shl(5, shr(bits, src)))), R)
                            acc := addmod(acc, mulmod(wc, mload(add(sColP, shl(5, and(src, sub(shl(bits, 1), 1))))), R), R)
                        }
                    }
                }
            }
            // One output row: Σ_j eqCol[j] over its fill entries.
            function fillRow(p, w) -> acc {
                let end := add(p, mload(add(w, 0x20)))
                let colP := mload(add(w, 0x60))
                w := mload(add(w, 0x100))
                for {} lt(p, end) { p := add(p, w) } {
                    if slt(signextend(sub(w, 1), shr(sub(256, shl(3, w)), mload(p))), 0) {
                        acc := addmod(acc, mload(colP), R)
                    }
                    colP := add(colP, 0x20)
                }
            }
            // The rows: the pass's constants sit in scratch memory at the free pointer (nothing
            // is allocated meanwhile) so that few stay on the stack: rows, bytes a row, ρ's row
            // and column tables, σ's row and column tables, σ's column bits, X's padded size,
            // the entry width, whether σ's tables are given.
            function pass(ctx, ptr) -> mv_, fw_, miss {
                for { let i := 0 } lt(i, mload(ctx)) { i := add(i, 1) } {
                    let wr := mload(add(mload(add(ctx, 0x40)), shl(5, i)))
                    switch mload(add(ctx, 0x120))
                    case 0 { fw_ := addmod(fw_, mulmod(wr, fillRow(ptr, ctx), R), R) }
                    default {
                        let acc, b := wireRow(ptr, ctx)
                        mv_ := addmod(mv_, mulmod(wr, acc, R), R)
                        miss := or(miss, b)
                    }
                    ptr := add(ptr, mload(add(ctx, 0x20)))
                }
            }
            // mv: y, x, fill, mapAt, width, lo, li, eqRow, eqCol; a layout: rows, cols, a, b.
            let lo := mload(add(mv, 0xa0))
            let li := mload(add(mv, 0xc0))
            let w := mload(add(mv, 0x80))
            let ctx := mload(0x40)
            mstore(ctx, mload(lo))
            mstore(add(ctx, 0x20), mul(mload(add(lo, 0x20)), w))
            mstore(add(ctx, 0x40), add(mload(add(mv, 0xe0)), 0x20))
            mstore(add(ctx, 0x60), add(mload(add(mv, 0x100)), 0x20))
            mstore(add(ctx, 0x80), add(sRow, 0x20))
            mstore(add(ctx, 0xa0), add(sCol, 0x20))
            mstore(add(ctx, 0xc0), mload(add(li, 0x60)))
            mstore(add(ctx, 0xe0), shl(add(mload(add(li, 0x40)), mload(add(li, 0x60))), 1))
            mstore(add(ctx, 0x100), w)
            mstore(add(ctx, 0x120), mload(sRow))
            // The map's first byte: the plan's data, then `mapAt` words (zero-padded to a whole
            // word and followed by more plan words: a read past the last entry is shifted out).
            let ptr := add(add(plan, 0x20), shl(5, mload(add(mv, 0x60))))
            m, fw, bad := pass(ctx, ptr)
        }
        if (bad) revert SumcheckFr.SumcheckRejected(ModelPlan.CLAIMS);
    }

    function reduceMax(
        ModelPlan.Run memory r,
        SumcheckTranscript.Transcript memory t,
        SumcheckFr.Cursor memory c
    ) internal pure {
        Max memory mx;
        (mx.y, mx.x, mx.b, mx.s) = (r.next(), r.next(), r.next(), r.next());
        mx.lx = layout(r);
        mx.ly = layout(r);
        uint256[] memory rho = t.challenges(mx.lx.a + mx.lx.b);
        uint256 bEval = c.nextFr();
        r.claim(mx.b, rho, bEval);
        t.absorb(bEval);
        // B = broadcast(Y): a wiring sumcheck over Y's variables.
        (uint256[] memory sigma, uint256 e) = SumcheckVerifier.rounds(t, c, mx.ly.a + mx.ly.b, 2, bEval);
        uint256[] memory f = SumcheckVerifier.finals(t, c, 2);
        SumcheckVerifier.expect(mulmod(f[0], f[1], R), e);
        if (f[1] != rowSum(mx.lx, mx.ly, rho, sigma)) revert SumcheckFr.SumcheckRejected(MAX_WIRE);
        r.claim(mx.y, sigma, f[0]);
        selector(r, t, c, mx);
    }

    /// @dev A max's polynomials and layouts.
    struct Max {
        uint256 y;
        uint256 x;
        uint256 b;
        uint256 s;
        Layout lx;
        Layout ly;
    }

    /// @dev The selector sumcheck: `S` boolean, zero where `B ≠ X`, one per real row.
    function selector(
        ModelPlan.Run memory r,
        SumcheckTranscript.Transcript memory t,
        SumcheckFr.Cursor memory c,
        Max memory mx
    ) private pure {
        uint256[] memory z = t.challenges(mx.lx.a + mx.lx.b);
        uint256[] memory rhoY = t.challenges(mx.ly.a + mx.ly.b);
        // λ, μ
        uint256[] memory lm = t.challenges(2);
        (uint256[] memory sigma, uint256 e) = SumcheckVerifier.rounds(
            t, c, mx.lx.a + mx.lx.b, 3, mulmod(lm[1], ModelPlan.maskEval(mx.ly.rows, mx.ly.cols, rhoY), R)
        );
        // [eq, S, B, X, T]
        uint256[] memory f = SumcheckVerifier.finals(t, c, 5);
        SumcheckVerifier.expect(selectorValue(f, lm[0], lm[1]), e);
        if (f[0] != SumcheckFr.eqLifted(z, sigma)) revert SumcheckFr.SumcheckRejected(MAX_EQ);
        if (f[4] != rowSum(mx.lx, mx.ly, sigma, rhoY)) revert SumcheckFr.SumcheckRejected(MAX_ROWS);
        r.claim(mx.s, sigma, f[1]);
        r.claim(mx.b, sigma, f[2]);
        r.claim(mx.x, sigma, f[3]);
    }

    /// @dev `eq·S·(S − 1 + λ·(B − X)) + μ·S·T` at the final values `[eq, S, B, X, T]`.
    function selectorValue(uint256[] memory f, uint256 lambda, uint256 mu) private pure returns (uint256) {
        uint256 inner = addmod(SumcheckFr.sub(f[1], 1), mulmod(lambda, SumcheckFr.sub(f[2], f[3]), R), R);
        return addmod(mulmod(mulmod(f[0], f[1], R), inner, R), mulmod(mu, mulmod(f[1], f[4], R), R), R);
    }

    /// @dev `Σ_{e real in X} eq(px, pad(e))·eq(py, pad(⌊e/k⌋))` (`k` = `X`'s columns): row `q` of
    ///      `X` contributes `eqRow(px)[q]·(Σ_{i<k} eqCol(px)[i])·eq(py, pad(q))` — the broadcast's wiring value
    ///      and the selector's row table alike.
    function rowSum(Layout memory lx, Layout memory ly, uint256[] memory px, uint256[] memory py)
        internal
        pure
        returns (uint256 v)
    {
        uint256 cols = ModelPlan.eqPrefix(px, lx.a, lx.b, lx.cols);
        uint256 yc = ly.cols;
        if (yc & (yc - 1) == 0 && ly.a + ly.b == lx.a && py.length == lx.a) {
            // `Y`'s columns a power of two: `pad(q) = q`, so the sum is
            // `Σ_{q < rows} eq(px_rows, q)·eq(py, q)`, a prefix sum of a product over bits.
            return mulmod(AffineWiring.pairPrefix(px, 0, py, 0, lx.a, lx.rows), cols, R);
        }
        uint256[] memory xRow = SumcheckFr.eqTable(px, 0, lx.a);
        (uint256[] memory yRow, uint256[] memory yCol) = tables(ly, py);
        for (uint256 q = 0; q < lx.rows; q++) {
            uint256 ey = mulmod(yRow[q / yc], yCol[q % yc], R);
            v = addmod(v, mulmod(xRow[q], ey, R), R);
        }
        v = mulmod(v, cols, R);
    }
}
