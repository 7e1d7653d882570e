// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {SumcheckFr} from "./SumcheckFr.sol";
import {SumcheckTranscript} from "./SumcheckTranscript.sol";
import {SumcheckVerifier} from "./SumcheckVerifier.sol";

/// @title LogupRange — the logUp range check `a_i ∈ [0, 2^k)`, openings deferred
/// @notice Rust: `logup::verify_range_deferred`. Absorb `m`, `k`, `C_μ`; `β`; absorb `C_h`,
///         `C_g`, `S`; `z_a` (m), `z_t` (k), `λ`; sumcheck (degree 3, m variables) over
///         `[eq(z_a,·), h, a]` of `h + λβ·eq·h + λ·eq·h·a − λ·eq` to `S`; sumcheck (degree 3,
///         k variables) over `[eq(z_t,·), g, T, μ]` of `g + λβ·eq·g + λ·eq·g·T − λ·eq·μ` to
///         `S`; the verifier checks `eq(z, ρ)` and `T̃(ρ_t) = Σ ρ_j·2^(k−1−j)` itself. Returns
///         the claims on `h`, `g`, `μ` and on `a` for the caller's batched opening.
library LogupRange {
    using SumcheckTranscript for SumcheckTranscript.Transcript;
    using SumcheckFr for SumcheckFr.Cursor;

    uint256 internal constant R = SumcheckFr.R;
    uint256 internal constant EQ = 40;
    uint256 internal constant TABLE = 41;
    uint256 internal constant TOO_WIDE = 42;
    uint256 internal constant MAX_BITS = 24;

    /// @notice What remains: `h̃(ρ_a)`, `ã(ρ_a)`, `g̃(ρ_t)`, `μ̃(ρ_t)` and the commitments.
    struct Claims {
        SumcheckFr.G1 mu;
        SumcheckFr.G1 h;
        SumcheckFr.G1 g;
        uint256[] rhoA;
        uint256[] rhoT;
        uint256 hA;
        uint256 aA;
        uint256 gT;
        uint256 muT;
    }

    /// @dev The challenges the two sumchecks' statements use.
    struct Ch {
        uint256 beta;
        uint256 lambda;
        uint256 sum;
        uint256[] zA;
        uint256[] zT;
    }

    function verifyDeferred(
        SumcheckTranscript.Transcript memory t,
        SumcheckFr.Cursor memory c,
        uint256 m,
        uint256 bits
    ) internal pure returns (Claims memory out) {
        if (bits > MAX_BITS) revert SumcheckFr.SumcheckRejected(TOO_WIDE);
        Ch memory ch;
        t.absorb(m);
        t.absorb(bits);
        out.mu = c.nextG1();
        t.absorbG1(out.mu);
        ch.beta = t.challenge();
        out.h = c.nextG1();
        out.g = c.nextG1();
        t.absorbG1(out.h);
        t.absorbG1(out.g);
        ch.sum = c.nextFr();
        t.absorb(ch.sum);
        ch.zA = t.challenges(m);
        ch.zT = t.challenges(bits);
        ch.lambda = t.challenge();
        uint256[] memory f;
        (out.rhoA, f) = side(t, c, ch, ch.zA, 3);
        (out.hA, out.aA) = (f[1], f[2]);
        (out.rhoT, f) = side(t, c, ch, ch.zT, 4);
        checkTable(out.rhoT, f[2]);
        (out.gT, out.muT) = (f[1], f[3]);
    }

    /// @dev `x + λβ·eq·x + λ·eq·x·y − λ·eq·w` (`w` = 1 for the values, `μ` for the table).
    function statement(Ch memory ch, uint256 eq, uint256 x, uint256 y, uint256 w) private pure returns (uint256) {
        uint256 le = mulmod(ch.lambda, eq, R);
        uint256 inner = addmod(mulmod(ch.beta, x, R), mulmod(x, y, R), R);
        return addmod(x, SumcheckFr.sub(mulmod(le, inner, R), mulmod(le, w, R)), R);
    }

    /// @dev One side's sumcheck to `S` over `vars` variables with `count` final values
    ///      (`eq` first, then the factor, the table or values, `μ` on the table side), its
    ///      final check and the verifier's own `eq(z, ρ)`.
    function side(
        SumcheckTranscript.Transcript memory t,
        SumcheckFr.Cursor memory c,
        Ch memory ch,
        uint256[] memory z,
        uint256 count
    ) private pure returns (uint256[] memory rho, uint256[] memory f) {
        uint256 e;
        (rho, e) = SumcheckVerifier.rounds(t, c, z.length, 3, ch.sum);
        f = SumcheckVerifier.finals(t, c, count);
        SumcheckVerifier.expect(statement(ch, f[0], f[1], f[2], count == 4 ? f[3] : 1), e);
        if (f[0] != SumcheckFr.eqLifted(z, rho)) revert SumcheckFr.SumcheckRejected(EQ);
    }

    /// @dev `T̃(ρ_t) = Σ ρ_j·2^(k−1−j)`, the identity table's value.
    function checkTable(uint256[] memory rho, uint256 claimed) private pure {
        uint256 tab = 0;
        for (uint256 j = 0; j < rho.length; j++) {
            tab = addmod(addmod(tab, tab, R), rho[j], R);
        }
        if (claimed != tab) revert SumcheckFr.SumcheckRejected(TABLE);
    }
}
