// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {SumcheckFr} from "./SumcheckFr.sol";
import {SumcheckTranscript} from "./SumcheckTranscript.sol";
import {SumcheckVerifier} from "./SumcheckVerifier.sol";
import {ModelPlan} from "./ModelPlan.sol";

/// @title ModelLayers — one layer of a layered model proof (Rust: the layer loop of
///        `gkr::verify_model`)
/// @notice A matrix product `Y = requant(X·W (+ bias))`: `ρ`; the stated `Ỹ(ρ)` (unless `Y` is
///         public), `R̃em(ρ)`, `b̃ias(ρ_j)`; `Ãcc(ρ) = (2^s·Ỹ + R̃em − 2^(s−1))/mult − 2^t·rows·b̃ias`;
///         absorb `m, k, n`; the degree-2 sumcheck to `X̃(ρ_i‖σ)·W̃(σ‖ρ_j)`. A clip
///         `Y = max(X, c)`: `z`; the degree-3 zero-check of `eq(z,·)·(Y − X)·(Y − c)` to `Ỹ(σ)`,
///         `X̃(σ)`, with `eq(z, σ)` recomputed. Claims go to `ModelPlan.claim`.
library ModelLayers {
    using SumcheckTranscript for SumcheckTranscript.Transcript;
    using SumcheckFr for SumcheckFr.Cursor;
    using ModelPlan for ModelPlan.Run;

    uint256 internal constant R = SumcheckFr.R;
    /// @notice A clip's `eq` value differs from `eq(z, σ)`.
    uint256 internal constant CLIP_EQ = 63;

    /// @dev A matrix product's plan record and the values read on the way.
    struct Mm {
        uint256 a;
        uint256 c;
        uint256 b;
        uint256 m;
        uint256 k;
        uint256 n;
        uint256 y;
        uint256 rem;
        uint256 bias;
        uint256 x;
        uint256 w;
        uint256 twoS;
        uint256 half;
        uint256 multInv;
        uint256 biasPow;
        uint256[] rho;
        uint256[] rhoJ;
        uint256[] sigma;
        uint256 yEval;
        uint256 remEval;
        uint256 biasEval;
    }

    function matmul(
        ModelPlan.Run memory r,
        SumcheckTranscript.Transcript memory t,
        SumcheckFr.Cursor memory c
    ) internal pure {
        Mm memory l = readMm(r);
        l.rho = t.challenges(l.a + l.b);
        l.rhoJ = ModelPlan.slice(l.rho, l.a, l.b);
        stated(r, t, c, l);
        uint256[] memory f = product(t, c, l);
        r.claim(l.x, ModelPlan.concat(ModelPlan.slice(l.rho, 0, l.a), l.sigma), f[0]);
        r.claim(l.w, ModelPlan.concat(l.sigma, l.rhoJ), f[1]);
    }

    /// @dev Absorb `m, k, n`; the matrix-product sumcheck to `X̃(ρ_i‖σ)·W̃(σ‖ρ_j)`.
    function product(SumcheckTranscript.Transcript memory t, SumcheckFr.Cursor memory c, Mm memory l)
        private
        pure
        returns (uint256[] memory f)
    {
        uint256 acc = accumulator(l);
        t.absorb(l.m);
        t.absorb(l.k);
        t.absorb(l.n);
        uint256 e;
        (l.sigma, e) = SumcheckVerifier.rounds(t, c, l.c, 2, acc);
        f = SumcheckVerifier.finals(t, c, 2);
        SumcheckVerifier.expect(mulmod(f[0], f[1], R), e);
    }

    /// @dev `Ỹ(ρ)` (evaluated if public, else stated), `R̃em(ρ)`, `b̃ias(ρ_j)`: claimed, then
    ///      the stated ones absorbed.
    function stated(
        ModelPlan.Run memory r,
        SumcheckTranscript.Transcript memory t,
        SumcheckFr.Cursor memory c,
        Mm memory l
    ) private pure {
        uint256 first = c.i;
        if (l.y == ModelPlan.OUTPUT) {
            l.yEval = r.evalPublic(l.y, l.rho);
        } else {
            l.yEval = c.nextFr();
            r.claim(l.y, l.rho, l.yEval);
        }
        if (l.rem != ModelPlan.NONE) {
            l.remEval = c.nextFr();
            r.claim(l.rem, l.rho, l.remEval);
        }
        if (l.bias != ModelPlan.NONE) {
            l.biasEval = c.nextFr();
            r.claim(l.bias, l.rhoJ, l.biasEval);
        }
        t.absorbRange(c.w, first, c.i);
    }

    function readMm(ModelPlan.Run memory r) private pure returns (Mm memory l) {
        (l.a, l.c, l.b) = (r.next(), r.next(), r.next());
        (l.m, l.k, l.n) = (r.next(), r.next(), r.next());
        (l.y, l.rem, l.bias, l.x, l.w) = (r.next(), r.next(), r.next(), r.next(), r.next());
        (l.twoS, l.half, l.multInv, l.biasPow) = (r.next(), r.next(), r.next(), r.next());
    }

    /// @dev `(2^s·Ỹ(ρ) + R̃em(ρ) − 2^(s−1))·mult^-1 − 2^t·(Σ_{i<m} eq(ρ_i, i))·b̃ias(ρ_j)`.
    function accumulator(Mm memory l) private pure returns (uint256 acc) {
        acc = addmod(mulmod(l.twoS, l.yEval, R), l.remEval, R);
        acc = mulmod(SumcheckFr.sub(acc, l.half), l.multInv, R);
        if (l.bias != ModelPlan.NONE) {
            uint256 rows = ModelPlan.eqPrefix(l.rho, 0, l.a, l.m);
            acc = SumcheckFr.sub(acc, mulmod(mulmod(l.biasPow, rows, R), l.biasEval, R));
        }
    }

    function clip(
        ModelPlan.Run memory r,
        SumcheckTranscript.Transcript memory t,
        SumcheckFr.Cursor memory c
    ) internal pure {
        uint256 v = r.next();
        uint256 k = r.next();
        uint256 yp = r.next();
        uint256 xp = r.next();
        uint256[] memory z = t.challenges(v);
        (uint256[] memory sigma, uint256 e) = SumcheckVerifier.rounds(t, c, v, 3, 0);
        uint256[] memory f = SumcheckVerifier.finals(t, c, 3);
        // eq·(Y − X)·(Y − c)
        uint256 got = mulmod(mulmod(f[0], SumcheckFr.sub(f[1], f[2]), R), SumcheckFr.sub(f[1], k), R);
        SumcheckVerifier.expect(got, e);
        if (f[0] != SumcheckFr.eqLifted(z, sigma)) revert SumcheckFr.SumcheckRejected(CLIP_EQ);
        r.claim(yp, sigma, f[1]);
        r.claim(xp, sigma, f[2]);
    }
}
