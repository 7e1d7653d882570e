// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {SumcheckFr} from "./SumcheckFr.sol";
import {SumcheckTranscript} from "./SumcheckTranscript.sol";
import {SumcheckVerifier} from "./SumcheckVerifier.sol";
import {ModelPlan} from "./ModelPlan.sol";
import {ModelArith} from "./ModelArith.sol";

/// @title ModelAttn — the product of two activations, batched (Rust: `gkr::attn`)
/// @notice Attention's `Q·Kᵀ` and `P·V`: `Y[b, i, j] = requant(Σ_l A[b, i, l]·B[b, l, j])`
///         (`A` `batch·m × k`, `B` `batch·k × n`). With `L` the epilogue's left side at `ρ =
///         ρ_b‖ρ_i‖ρ_j`, the degree-3 sumcheck of `L = Σ_{b,l} mult·eq(ρ_b, b)·Ã(b, ρ_i, l)·
///         B̃(b, l, ρ_j)` reduces to `σ = σ_b‖σ_l`; the verifier checks `eq(ρ_b, σ_b)` and claims
///         `A` at `σ_b‖ρ_i‖σ_l`, `B` at `σ_b‖σ_l‖ρ_j`. Plan record (after the kind 5): `y, rem,
///         a, b`, the variables `b, i, l, j`, `mult`, `2^s`, `2^(s−1)`.
library ModelAttn {
    using SumcheckTranscript for SumcheckTranscript.Transcript;
    using ModelPlan for ModelPlan.Run;

    uint256 internal constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;

    /// @notice A product's batch `eq` value differs from `eq(ρ_b, σ_b)`.
    uint256 internal constant BATCH_EQ = 84;

    struct At {
        uint256 y;
        uint256 rem;
        uint256 a;
        uint256 b;
        uint256 bv;
        uint256 iv;
        uint256 lv;
        uint256 jv;
        uint256 mult;
        uint256 twoS;
        uint256 half;
    }

    function verify(ModelPlan.Run memory r, SumcheckTranscript.Transcript memory t, SumcheckFr.Cursor memory c)
        internal
        pure
    {
        At memory p;
        (p.y, p.rem, p.a, p.b) = (r.next(), r.next(), r.next(), r.next());
        (p.bv, p.iv, p.lv, p.jv) = (r.next(), r.next(), r.next(), r.next());
        (p.mult, p.twoS, p.half) = (r.next(), r.next(), r.next());
        ModelArith.Left memory l;
        uint256[] memory rho = t.challenges(p.bv + p.iv + p.jv);
        uint256 first = c.i;
        uint256 lhs = ModelArith.epilogue(r, c, l, rho, p.y, p.rem, p.twoS, p.half);
        t.absorbRange(c.w, first, c.i);
        (uint256[] memory sigma, uint256 e) = SumcheckVerifier.rounds(t, c, p.bv + p.lv, 3, lhs);
        uint256[] memory f = SumcheckVerifier.finals(t, c, 3);
        SumcheckVerifier.expect(mulmod(mulmod(mulmod(p.mult, f[0], R), f[1], R), f[2], R), e);
        uint256[] memory sb = ModelPlan.slice(sigma, 0, p.bv);
        if (f[0] != SumcheckFr.eqLifted(ModelPlan.slice(rho, 0, p.bv), sb)) {
            revert SumcheckFr.SumcheckRejected(BATCH_EQ);
        }
        uint256[] memory sl = ModelPlan.slice(sigma, p.bv, p.lv);
        uint256[] memory ri = ModelPlan.slice(rho, p.bv, p.iv);
        uint256[] memory rj = ModelPlan.slice(rho, p.bv + p.iv, p.jv);
        ModelArith.claim(l, p.a, ModelPlan.concat(ModelPlan.concat(sb, ri), sl), f[1]);
        ModelArith.claim(l, p.b, ModelPlan.concat(ModelPlan.concat(sb, sl), rj), f[2]);
        ModelArith.flush(r, l);
    }
}
