// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {SumcheckFr} from "./SumcheckFr.sol";
import {SumcheckTranscript} from "./SumcheckTranscript.sol";

/// @title SumcheckVerifier — the rounds of a sumcheck of degree ≤ 3 (Rust: `sumcheck::verify_terms`)
/// @notice Transcript: absorb `n`, `d`, the claim; per round absorb `p(0), p(2), …, p(d)`
///         (`p(1) = e − p(0)` implied), `ρ_k = challenge()`, `e = p(ρ_k)` by Lagrange over
///         `0..d`; then the final evaluations `f_i(ρ)` are absorbed. `rounds` returns `ρ` and
///         `e`; `finals` reads the evaluations; the caller checks its own combination of
///         them equals `e` (each protocol has its own terms) and the claims they leave.
library SumcheckVerifier {
    using SumcheckTranscript for SumcheckTranscript.Transcript;
    using SumcheckFr for SumcheckFr.Cursor;

    uint256 internal constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    uint256 internal constant INV2 = 10944121435919637611123202872628637544274182200208017171849102093287904247809;
    uint256 internal constant INV6 = 18240202393199396018538671454381062573790303667013361953081836822146507079681;

    /// @notice The sumcheck's final value differs from the statement at `ρ`.
    uint256 internal constant FINAL = 10;

    function rounds(
        SumcheckTranscript.Transcript memory t,
        SumcheckFr.Cursor memory c,
        uint256 n,
        uint256 d,
        uint256 claim
    ) internal pure returns (uint256[] memory point, uint256 e) {
        t.absorb(n);
        t.absorb(d);
        t.absorb(claim);
        point = new uint256[](n);
        e = claim;
        // One buffer for every round (a fresh one per round would grow memory each round).
        uint256[4] memory v;
        for (uint256 k = 0; k < n; k++) {
            uint256 at = c.i;
            v[0] = c.nextFr();
            v[1] = SumcheckFr.sub(e, v[0]);
            // `j < d + 1`, not `j <= d`: the compiler drops the increment's overflow check
            // only for a `<` loop.
            for (uint256 j = 2; j < d + 1; j++) {
                v[j] = c.nextFr();
            }
            // p(0), p(2), …, p(d): the round's words, as read.
            t.absorbRange(c.w, at, c.i);
            uint256 r = t.challenge();
            e = interpolate(d, v, r);
            point[k] = r;
        }
    }

    /// @notice Read and absorb `count` final evaluations.
    function finals(SumcheckTranscript.Transcript memory t, SumcheckFr.Cursor memory c, uint256 count)
        internal
        pure
        returns (uint256[] memory evals)
    {
        evals = new uint256[](count);
        uint256 at = c.i;
        for (uint256 i = 0; i < count; i++) {
            uint256 v = c.nextFr();
            // `i < count = evals.length`: in bounds.
            assembly ("memory-safe") {
                mstore(add(evals, shl(5, add(i, 1))), v)
            }
        }
        // The words as read, absorbed with one copy (the same bytes as one by one).
        t.absorbRange(c.w, at, c.i);
    }

    /// @notice Reject unless `got == want` (the final check of a sumcheck).
    function expect(uint256 got, uint256 want) internal pure {
        if (got != want) revert SumcheckFr.SumcheckRejected(FINAL);
    }

    /// @notice The polynomial of degree `d ≤ 3` through `(j, v[j])`, `j = 0..d`, at `r`.
    function interpolate(uint256 d, uint256[4] memory v, uint256 r) internal pure returns (uint256 out) {
        assembly ("memory-safe") {
            let v0 := mload(v)
            let v1 := mload(add(v, 0x20))
            let r1 := addmod(r, sub(R, 1), R)
            switch d
            case 1 { out := addmod(v0, mulmod(r, addmod(v1, sub(R, v0), R), R), R) }
            case 2 {
                // L0 = (r−1)(r−2)/2, L1 = −r(r−2), L2 = r(r−1)/2
                let r2 := addmod(r, sub(R, 2), R)
                let a := mulmod(mulmod(r1, r2, R), v0, R)
                let b := mulmod(mulmod(r, r1, R), mload(add(v, 0x40)), R)
                let half := mulmod(addmod(a, b, R), INV2, R)
                out := addmod(half, sub(R, mulmod(mulmod(r, r2, R), v1, R)), R)
            }
            default {
                // L0 = −(r−1)(r−2)(r−3)/6, L1 = r(r−2)(r−3)/2, L2 = −r(r−1)(r−3)/2, L3 = r(r−1)(r−2)/6
                let r2 := addmod(r, sub(R, 2), R)
                let r3 := addmod(r, sub(R, 3), R)
                let rr1 := mulmod(r, r1, R)
                let r2r3 := mulmod(r2, r3, R)
                let sixth := addmod(
                    mulmod(mulmod(rr1, r2, R), mload(add(v, 0x60)), R),
                    sub(R, mulmod(mulmod(r1, r2r3, R), v0, R)),
                    R
                )
                let halves := addmod(
                    mulmod(mulmod(r, r2r3, R), v1, R), sub(R, mulmod(mulmod(rr1, r3, R), mload(add(v, 0x40)), R)), R
                )
                out := addmod(mulmod(sixth, INV6, R), mulmod(halves, INV2, R), R)
            }
        }
    }
}
