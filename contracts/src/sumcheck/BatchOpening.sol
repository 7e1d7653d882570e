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

    uint256 internal constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
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
        // A claim at the same point as the one before it (a layer's output and remainder at
        // its `ρ`) has the same `eq(p_j, ρ)`: compared word by word, not recomputed.
        uint256 eqPrev;
        uint256[] memory prev = new uint256[](0);
        for (uint256 j = 0; j < k; j++) {
            uint256[] memory p = claims[j].point;
            if (j == 0 || !samePoint(p, prev)) {
                eqPrev = SumcheckFr.eqLifted(p, rho);
                prev = p;
            }
            if (f[2 * j + 1] != eqPrev) revert SumcheckFr.SumcheckRejected(EQ);
        }
    }

    /// @dev Whether `a` and `b` hold the same coordinates.
    function samePoint(uint256[] memory a, uint256[] memory b) private pure returns (bool same) {
        assembly ("memory-safe") {
            let n := mload(a)
            same := eq(n, mload(b))
            for { let i := 0 } and(same, lt(i, n)) { i := add(i, 1) } {
                let o := shl(5, add(i, 1))
                same := eq(mload(add(a, o)), mload(add(b, o)))
            }
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
        uint256 k = claims.length;
        t.absorb(k);
        t.absorb(n);
        uint256 words = k * (n + 3);
        // The indexed writes' bound: every word lands inside the buffer.
        t.reserve(words);
        uint256[] memory b = t.buf;
        uint256 len = t.len;
        // Per claim `C_j.x, C_j.y, 0^(n − |p_j|), p_j, v_j` (`|p_j| ≤ n`: `n` is their maximum),
        // written straight into the buffer — the words `absorb` would write one by one.
        assembly ("memory-safe") {
            let p := add(b, shl(5, add(len, 2)))
            for { let j := 0 } lt(j, k) { j := add(j, 1) } {
                let cl := mload(add(claims, shl(5, add(j, 1))))
                let g := mload(cl)
                mstore(p, mload(g))
                mstore(add(p, 0x20), mload(add(g, 0x20)))
                p := add(p, 0x40)
                let pt := mload(add(cl, 0x20))
                let m := mload(pt)
                for { let z := m } lt(z, n) { z := add(z, 1) } {
                    mstore(p, 0)
                    p := add(p, 0x20)
                }
                mcopy(p, add(pt, 0x20), shl(5, m))
                p := add(p, shl(5, m))
                mstore(p, mload(add(cl, 0x40)))
                p := add(p, 0x20)
            }
        }
        t.len = len + words;
        alpha = t.challenge();
    }

    /// @dev `Σ β^j·C_j` and `Σ β^j·f_j(ρ)`.
    function combine(Claim[] memory claims, uint256[] memory f, uint256 beta)
        private
        view
        returns (SumcheckFr.G1 memory cc, uint256 eval)
    {
        uint256 k = claims.length;
        // coef[i]: the sum of β^j over the claims j whose commitment equals claim i's, i the
        // first of them — one ecMul per distinct commitment (a tensor claimed at several
        // points, the range arguments' `g` and `μ`), the same sum Σ β^j·C_j.
        // The first claim of a commitment is found by open addressing in `2k + 1` slots
        // (claim index + 1, keyed by `x mod (2k + 1)`; zeroed by copying from past the
        // calldata), about one probe a claim instead of a scan of the claims before it.
        uint256[] memory coef = new uint256[](k);
        assembly ("memory-safe") {
            let size := add(shl(1, k), 1)
            // Scratch past the free pointer (nothing is allocated in this block).
            let slots := mload(0x40)
            calldatacopy(slots, calldatasize(), shl(5, size))
            let bj := 1
            for { let j := 0 } lt(j, k) { j := add(j, 1) } {
                let gj := mload(mload(add(claims, shl(5, add(j, 1)))))
                let first := j
                for { let h := mod(mload(gj), size) } 1 { h := mod(add(h, 1), size) } {
                    let i := mload(add(slots, shl(5, h)))
                    if iszero(i) {
                        mstore(add(slots, shl(5, h)), add(j, 1))
                        break
                    }
                    let gi := mload(mload(add(claims, shl(5, i))))
                    if and(eq(mload(gi), mload(gj)), eq(mload(add(gi, 0x20)), mload(add(gj, 0x20)))) {
                        first := sub(i, 1)
                        break
                    }
                }
                let slot := add(coef, shl(5, add(first, 1)))
                mstore(slot, addmod(mload(slot), bj, R))
                eval := addmod(eval, mulmod(bj, mload(add(f, shl(5, add(shl(1, j), 1)))), R), R)
                bj := mulmod(bj, beta, R)
            }
        }
        for (uint256 j = 0; j < k; j++) {
            uint256 cj = coef[j];
            if (cj == 0) continue;
            SumcheckFr.G1 memory g = claims[j].c;
            cc = SumcheckFr.ecAdd(cc, cj == 1 ? g : SumcheckFr.ecMul(g, cj));
        }
    }
}
