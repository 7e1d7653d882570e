// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {SumcheckFr} from "./SumcheckFr.sol";
import {SumcheckTranscript} from "./SumcheckTranscript.sol";
import {SumcheckVerifier} from "./SumcheckVerifier.sol";
import {ModelPlan} from "./ModelPlan.sol";
import {ModelWiring} from "./ModelWiring.sol";
import {ModelArith} from "./ModelArith.sol";

/// @title ModelDiv — a rounded division by an activation (Rust: `gkr::div`)
/// @notice Softmax's normalisation `Y = round(A·2^s / B)` with `B` broadcast (`B'`, committed):
///         the prover states `B̃'(ρ)`, `R̃(ρ)`, `Ã(ρ)`, `B̃(ρ_sub)`; the verifier checks the
///         broadcast `B̃'(ρ) = B̃(ρ_sub)·S` and runs the degree-3 sumcheck of
///         `(2^(s+1)·Ã(ρ) + B̃'(ρ) − R̃(ρ))/2 = Σ eq(ρ, x)·B'(x)·Y(x)` (`R` range-checked), then
///         checks `eq(ρ, σ)`. Plan record (after the kind 6): `y, bc, rem, a, b`, `Y`'s `rows,
///         cols`, `B`'s spread, `2^(s+1)`.
library ModelDiv {
    using SumcheckTranscript for SumcheckTranscript.Transcript;
    using SumcheckFr for SumcheckFr.Cursor;
    using ModelPlan for ModelPlan.Run;

    uint256 internal constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    uint256 internal constant INV2 = 10944121435919637611123202872628637544274182200208017171849102093287904247809;

    /// @notice The stated broadcast divisor differs from the divisor's value times the mask.
    uint256 internal constant BROADCAST = 85;
    /// @notice A division's `eq` value differs from `eq(ρ, σ)`.
    uint256 internal constant DIV_EQ = 86;

    struct Dv {
        uint256 y;
        uint256 bc;
        uint256 rem;
        uint256 a;
        uint256 b;
        ModelWiring.Layout out;
        uint256 spread;
        uint256 twoS1;
    }

    function verify(ModelPlan.Run memory r, SumcheckTranscript.Transcript memory t, SumcheckFr.Cursor memory c)
        internal
        pure
    {
        Dv memory d;
        (d.y, d.bc, d.rem, d.a, d.b) = (r.next(), r.next(), r.next(), r.next(), r.next());
        d.out = ModelArith.dims(r);
        (d.spread, d.twoS1) = (r.next(), r.next());
        uint256 first = c.i;
        // [B'(ρ), R(ρ), A(ρ), B(ρ_sub)]
        uint256[4] memory e = [c.nextFr(), c.nextFr(), c.nextFr(), c.nextFr()];
        uint256[] memory rho = t.challenges(d.out.a + d.out.b);
        (uint256[] memory sub, uint256 factor) = ModelArith.split(d.spread, d.out, rho);
        ModelArith.Left memory l;
        ModelArith.claim(l, d.bc, rho, e[0]);
        ModelArith.claim(l, d.rem, rho, e[1]);
        ModelArith.claim(l, d.a, rho, e[2]);
        ModelArith.claim(l, d.b, sub, e[3]);
        t.absorbRange(c.w, first, c.i);
        if (e[0] != mulmod(e[3], factor, R)) revert SumcheckFr.SumcheckRejected(BROADCAST);
        uint256 sum = mulmod(SumcheckFr.sub(addmod(mulmod(d.twoS1, e[2], R), e[0], R), e[1]), INV2, R);
        (uint256[] memory sigma, uint256 fin) = SumcheckVerifier.rounds(t, c, rho.length, 3, sum);
        uint256[] memory f = SumcheckVerifier.finals(t, c, 3);
        SumcheckVerifier.expect(mulmod(mulmod(f[0], f[1], R), f[2], R), fin);
        if (f[0] != SumcheckFr.eqLifted(rho, sigma)) revert SumcheckFr.SumcheckRejected(DIV_EQ);
        ModelArith.claim(l, d.bc, sigma, f[1]);
        ModelArith.claim(l, d.y, sigma, f[2]);
        ModelArith.flush(r, l);
    }
}
