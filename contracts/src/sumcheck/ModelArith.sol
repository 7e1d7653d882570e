// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {SumcheckFr} from "./SumcheckFr.sol";
import {SumcheckTranscript} from "./SumcheckTranscript.sol";
import {SumcheckVerifier} from "./SumcheckVerifier.sol";
import {ModelPlan} from "./ModelPlan.sol";
import {ModelWiring} from "./ModelWiring.sol";

/// @title ModelArith — two-operand layers, `Rescale` and last-axis sums (Rust: `gkr::arith`)
/// @notice `Y = requant(f(a·A, b·B))` for `f ∈ {+, −, ·}` (`B` an activation, a committed
///         parameter broadcast over rows or columns, or a public scalar; a `Rescale` is the
///         add `A·1 + A·0`) and `Y[r] = requant(Σ_i X[r, i])`. With `L = 2^s·Ỹ(ρ) + R̃em(ρ) −
///         2^(s−1)`: an add/sub checks `L = mult·(a·Ã(ρ) ± b·B̃(ρ))`; a product runs the
///         degree-3 sumcheck of `L = Σ mult·a·b·eq(ρ, x)·A(x)·B(x)`; a sum the degree-2 one of
///         `L = Σ X(x)·mult·T_ρ(x)` (the row table, `ModelWiring.rowSum`). As in Rust, the
///         layer's claims are made after its checks (`Left`). Plan record (after the kind 4):
///         `op` (0 add/sub, 1 product, 2 sum), `y, rem, a, b` (polynomials; `b` 0 for a scalar),
///         `Y`'s `rows, cols`, `B`'s spread (0 full, 1 one value per row, 2 one row), the scalar, `a`, `±b`, `mult`, `2^s`, `2^(s−1)`, `X`'s `rows, cols`.
library ModelArith {
    using SumcheckTranscript for SumcheckTranscript.Transcript;
    using SumcheckFr for SumcheckFr.Cursor;
    using ModelPlan for ModelPlan.Run;

    uint256 internal constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;

    /// @notice An add or sub's relation `L = mult·(a·Ã ± b·B̃)` fails.
    uint256 internal constant RELATION = 80;
    /// @notice A product's `eq` value differs from `eq(ρ, σ)`.
    uint256 internal constant PRODUCT_EQ = 81;
    /// @notice A product's scalar operand's final value differs from the scalar.
    uint256 internal constant PRODUCT_CONST = 82;
    /// @notice A sum's row-table value differs from `mult·T̃_ρ(σ)`.
    uint256 internal constant SUM_ROWS = 83;

    struct Ar {
        uint256 op;
        uint256 y;
        uint256 rem;
        uint256 a;
        uint256 b;
        ModelWiring.Layout out;
        uint256 spread;
        uint256 scalar;
        uint256 aMult;
        uint256 bMult;
        uint256 mult;
        uint256 twoS;
        uint256 half;
        ModelWiring.Layout x;
    }

    function verify(ModelPlan.Run memory r, SumcheckTranscript.Transcript memory t, SumcheckFr.Cursor memory c)
        internal
        pure
    {
        Ar memory ar = read(r);
        Left memory l;
        uint256[] memory rho = t.challenges(ar.out.a + ar.out.b);
        uint256 first = c.i;
        uint256 lhs = epilogue(r, c, l, rho, ar.y, ar.rem, ar.twoS, ar.half);
        if (ar.op == 0) linear(l, t, c, ar, rho, lhs, first);
        else if (ar.op == 1) product(l, t, c, ar, rho, lhs, first);
        else sum(l, t, c, ar, rho, lhs, first);
        flush(r, l);
    }

    /// @notice The claims a layer leaves, made after its checks as Rust's `verify_model` makes
    ///         them after the layer's module returns (at most six; shared by `ModelAttn`,
    ///         `ModelDiv`).
    struct Left {
        uint256[6] polys;
        uint256[][6] points;
        uint256[6] evals;
        uint256 n;
    }

    function claim(Left memory l, uint256 poly, uint256[] memory point, uint256 eval) internal pure {
        (l.polys[l.n], l.points[l.n], l.evals[l.n]) = (poly, point, eval);
        l.n += 1;
    }

    function flush(ModelPlan.Run memory r, Left memory l) internal pure {
        for (uint256 j = 0; j < l.n; j++) {
            r.claim(l.polys[j], l.points[j], l.evals[j]);
        }
    }

    /// @notice The stated `Ỹ(ρ)` (or the public output's value) and `R̃em(ρ)`, and
    ///         `L = 2^s·Ỹ(ρ) + R̃em(ρ) − 2^(s−1)`: the requantization every kind here shares.
    function epilogue(
        ModelPlan.Run memory r,
        SumcheckFr.Cursor memory c,
        Left memory l,
        uint256[] memory rho,
        uint256 y,
        uint256 rem,
        uint256 twoS,
        uint256 half
    ) internal pure returns (uint256 lhs) {
        uint256 yEval;
        if (y == ModelPlan.OUTPUT) {
            yEval = ModelPlan.evalPublic(r, y, rho);
        } else {
            yEval = c.nextFr();
            claim(l, y, rho, yEval);
        }
        uint256 remEval;
        if (rem != ModelPlan.NONE) {
            remEval = c.nextFr();
            claim(l, rem, rho, remEval);
        }
        lhs = SumcheckFr.sub(addmod(mulmod(twoS, yEval, R), remEval, R), half);
    }

    function read(ModelPlan.Run memory r) private pure returns (Ar memory ar) {
        (ar.op, ar.y, ar.rem, ar.a, ar.b) = (r.next(), r.next(), r.next(), r.next(), r.next());
        ar.out = dims(r);
        (ar.spread, ar.scalar, ar.aMult, ar.bMult, ar.mult) = (r.next(), r.next(), r.next(), r.next(), r.next());
        (ar.twoS, ar.half) = (r.next(), r.next());
        ar.x = dims(r);
    }

    function dims(ModelPlan.Run memory r) internal pure returns (ModelWiring.Layout memory o) {
        (o.rows, o.cols) = (r.next(), r.next());
        (o.a, o.b) = (ModelPlan.log2Ceil(o.rows), ModelPlan.log2Ceil(o.cols));
    }

    /// @dev Add/sub: the operands' values at `ρ` stated, no sumcheck.
    function linear(
        Left memory l,
        SumcheckTranscript.Transcript memory t,
        SumcheckFr.Cursor memory c,
        Ar memory ar,
        uint256[] memory rho,
        uint256 lhs,
        uint256 first
    ) private pure {
        uint256 aV = c.nextFr();
        claim(l, ar.a, rho, aV);
        uint256 bV;
        if (ar.b != ModelPlan.NONE) {
            (uint256[] memory sub, uint256 factor) = split(ar.spread, ar.out, rho);
            uint256 e = c.nextFr();
            claim(l, ar.b, sub, e);
            bV = mulmod(e, factor, R);
        } else {
            bV = mulmod(ar.scalar, ModelPlan.maskEval(ar.out.rows, ar.out.cols, rho), R);
        }
        t.absorbRange(c.w, first, c.i);
        uint256 rhs = mulmod(ar.mult, addmod(mulmod(ar.aMult, aV, R), mulmod(ar.bMult, bV, R), R), R);
        if (lhs != rhs) revert SumcheckFr.SumcheckRejected(RELATION);
    }

    /// @dev Product: `L = Σ coeff·eq(ρ, x)·A(x)·B(x)` to `[eq, A, B]` at `σ`.
    function product(
        Left memory l,
        SumcheckTranscript.Transcript memory t,
        SumcheckFr.Cursor memory c,
        Ar memory ar,
        uint256[] memory rho,
        uint256 lhs,
        uint256 first
    ) private pure {
        t.absorbRange(c.w, first, c.i);
        uint256 coeff = mulmod(mulmod(ar.mult, ar.aMult, R), ar.bMult, R);
        (uint256[] memory sigma, uint256 e) = SumcheckVerifier.rounds(t, c, rho.length, 3, lhs);
        uint256[] memory f = SumcheckVerifier.finals(t, c, 3);
        SumcheckVerifier.expect(mulmod(mulmod(mulmod(coeff, f[0], R), f[1], R), f[2], R), e);
        if (f[0] != SumcheckFr.eqLifted(rho, sigma)) revert SumcheckFr.SumcheckRejected(PRODUCT_EQ);
        claim(l, ar.a, sigma, f[1]);
        if (ar.b == ModelPlan.NONE) {
            if (f[2] != ar.scalar) revert SumcheckFr.SumcheckRejected(PRODUCT_CONST);
        } else {
            (uint256[] memory sub,) = split(ar.spread, ar.out, sigma);
            claim(l, ar.b, sub, f[2]);
        }
    }

    /// @dev Sum over the last axis: `L = Σ X(x)·mult·T_ρ(x)` to `[X, T]` at `σ`.
    function sum(
        Left memory l,
        SumcheckTranscript.Transcript memory t,
        SumcheckFr.Cursor memory c,
        Ar memory ar,
        uint256[] memory rho,
        uint256 lhs,
        uint256 first
    ) private pure {
        t.absorbRange(c.w, first, c.i);
        (uint256[] memory sigma, uint256 e) = SumcheckVerifier.rounds(t, c, ar.x.a + ar.x.b, 2, lhs);
        uint256[] memory f = SumcheckVerifier.finals(t, c, 2);
        SumcheckVerifier.expect(mulmod(f[0], f[1], R), e);
        if (f[1] != mulmod(ar.mult, ModelWiring.rowSum(ar.x, ar.out, sigma, rho), R)) {
            revert SumcheckFr.SumcheckRejected(SUM_ROWS);
        }
        claim(l, ar.a, sigma, f[0]);
    }

    /// @dev `B`'s point for a claim on its masked spread at `point`, and the mask's factor
    ///      (Rust: `broadcast::split`).
    function split(uint256 spread, ModelWiring.Layout memory out, uint256[] memory point)
        internal
        pure
        returns (uint256[] memory, uint256)
    {
        uint256 a = out.a;
        uint256 rest = point.length - a;
        if (spread == 1) return (ModelPlan.slice(point, 0, a), ModelPlan.eqPrefix(point, a, rest, out.cols));
        if (spread == 2) return (ModelPlan.slice(point, a, rest), ModelPlan.eqPrefix(point, 0, a, out.rows));
        return (point, 1);
    }
}
