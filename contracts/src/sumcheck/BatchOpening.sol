// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {SumcheckFr} from "./SumcheckFr.sol";
import {SumcheckTranscript} from "./SumcheckTranscript.sol";
import {SumcheckVerifier} from "./SumcheckVerifier.sol";
import {HyperKZG} from "./HyperKZG.sol";

/// @title BatchOpening — many evaluation claims, one HyperKZG opening (Rust: `pcs::batch`)
/// @notice Absorb `k`, `n` (the most variables of any claim), each `C_j`, its point lifted to
///         `n` coordinates by leading zeros, `v_j`; `α`; a degree-2 sumcheck of
///         `Σ_j α^j·f_j·eq(p_j, ·)` to `Σ α^j·v_j` (final values `f_j(ρ), eq_j(ρ)` in pairs; the
///         verifier recomputes each `eq(p_j, ρ)`); `β`; one HyperKZG opening of `Σ β^j·f_j` at
///         `ρ` against `Σ β^j·C_j`.
library BatchOpening {
    using SumcheckTranscript for SumcheckTranscript.Transcript;

    uint256 internal constant R = SumcheckFr.R;
    uint256 internal constant EMPTY = 30;
    uint256 internal constant EQ = 31;

    struct Claim {
        SumcheckFr.G1 c;
        uint256[] point;
        uint256 eval;
    }

    function verify(
        SumcheckTranscript.Transcript memory t,
        SumcheckFr.Cursor memory c,
        HyperKZG.Vk memory vk,
        Claim[] memory claims
    ) internal view {
        (uint256[] memory rho, uint256[] memory f) = reduce(t, c, claims);
        uint256 beta = t.challenge();
        (SumcheckFr.G1 memory cc, uint256 eval) = combine(claims, f, beta);
        HyperKZG.verify(t, c, vk, cc, rho, eval);
    }

    /// @dev Steps 1–2: the claims, `α`, the sumcheck and the verifier's own `eq(p_j, ρ)`.
    function reduce(SumcheckTranscript.Transcript memory t, SumcheckFr.Cursor memory c, Claim[] memory claims)
        private
        pure
        returns (uint256[] memory rho, uint256[] memory f)
    {
        uint256 k = claims.length;
        if (k == 0) revert SumcheckFr.SumcheckRejected(EMPTY);
        uint256 n = 0;
        for (uint256 j = 0; j < k; j++) {
            if (claims[j].point.length > n) n = claims[j].point.length;
        }
        uint256 alpha = absorbClaims(t, claims, n);
        uint256 e;
        (rho, e) = SumcheckVerifier.rounds(t, c, n, 2, claimedSum(claims, alpha));
        f = SumcheckVerifier.finals(t, c, 2 * k);
        uint256 combined = 0;
        uint256 aj = 1;
        for (uint256 j = 0; j < k; j++) {
            combined = addmod(combined, mulmod(aj, mulmod(f[2 * j], f[2 * j + 1], R), R), R);
            aj = mulmod(aj, alpha, R);
        }
        SumcheckVerifier.expect(combined, e);
        for (uint256 j = 0; j < k; j++) {
            if (f[2 * j + 1] != SumcheckFr.eqLifted(claims[j].point, rho)) revert SumcheckFr.SumcheckRejected(EQ);
        }
    }

    /// @dev `Σ α^j·v_j`.
    function claimedSum(Claim[] memory claims, uint256 alpha) private pure returns (uint256 sum) {
        uint256 aj = 1;
        for (uint256 j = 0; j < claims.length; j++) {
            sum = addmod(sum, mulmod(aj, claims[j].eval, R), R);
            aj = mulmod(aj, alpha, R);
        }
    }

    function absorbClaims(SumcheckTranscript.Transcript memory t, Claim[] memory claims, uint256 n)
        private
        pure
        returns (uint256 alpha)
    {
        t.absorb(claims.length);
        t.absorb(n);
        for (uint256 j = 0; j < claims.length; j++) {
            t.absorbG1(claims[j].c);
            for (uint256 i = claims[j].point.length; i < n; i++) {
                t.absorb(0);
            }
            t.absorbAll(claims[j].point);
            t.absorb(claims[j].eval);
        }
        alpha = t.challenge();
    }

    /// @dev `Σ β^j·C_j` and `Σ β^j·f_j(ρ)`.
    function combine(Claim[] memory claims, uint256[] memory f, uint256 beta)
        private
        view
        returns (SumcheckFr.G1 memory cc, uint256 eval)
    {
        cc = claims[0].c;
        eval = f[0];
        uint256 bj = 1;
        for (uint256 j = 1; j < claims.length; j++) {
            bj = mulmod(bj, beta, R);
            cc = SumcheckFr.ecAdd(cc, SumcheckFr.ecMul(claims[j].c, bj));
            eval = addmod(eval, mulmod(bj, f[2 * j], R), R);
        }
    }
}
