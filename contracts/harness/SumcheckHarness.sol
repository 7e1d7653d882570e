// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {SumcheckFr} from "../src/sumcheck/SumcheckFr.sol";
import {SumcheckTranscript} from "../src/sumcheck/SumcheckTranscript.sol";
import {SumcheckVerifier} from "../src/sumcheck/SumcheckVerifier.sol";
import {HyperKZG} from "../src/sumcheck/HyperKZG.sol";
import {BatchOpening} from "../src/sumcheck/BatchOpening.sol";

/// @title SumcheckHarness — exposes the sumcheck verifier's pieces for differential tests
/// @notice Each function replays one Rust protocol from a fresh transcript with `label`, so the
///         Rust tests compare challenges, reduced claims and verdicts with `verinfer_sumcheck`.
contract SumcheckHarness {
    using SumcheckTranscript for SumcheckTranscript.Transcript;

    error Trailing();

    /// @notice Absorb `words` in segments of `segments[i]` words, squeezing one challenge after
    ///         each; returns the challenges and the final state.
    function transcript(bytes calldata label, uint256[] calldata words, uint256[] calldata segments)
        external
        pure
        returns (uint256[] memory cs, bytes32 state)
    {
        uint256 cap = 0;
        for (uint256 i = 0; i < segments.length; i++) {
            if (segments[i] > cap) cap = segments[i];
        }
        SumcheckTranscript.Transcript memory t = SumcheckTranscript.init(label, cap);
        cs = new uint256[](segments.length);
        uint256 w = 0;
        for (uint256 i = 0; i < segments.length; i++) {
            for (uint256 j = 0; j < segments[i]; j++) {
                t.absorb(words[w++]);
            }
            cs[i] = t.challenge();
        }
        state = t.state();
    }

    /// @notice Verify a sumcheck of `Π_{i<degree} f_i` over `numVars` variables to `claim`
    ///         (Rust: `sumcheck::verify`); returns `ρ` and the `f_i(ρ)`.
    function sumcheckProduct(
        bytes calldata label,
        uint256 numVars,
        uint256 degree,
        uint256 claim,
        uint256[] calldata proof
    ) external pure returns (uint256[] memory point, uint256[] memory evals) {
        SumcheckTranscript.Transcript memory t = SumcheckTranscript.init(label, 8);
        SumcheckFr.Cursor memory c = SumcheckFr.Cursor(proof, 0);
        uint256 e;
        (point, e) = SumcheckVerifier.rounds(t, c, numVars, degree, claim);
        evals = SumcheckVerifier.finals(t, c, degree);
        uint256 prod = 1;
        for (uint256 i = 0; i < degree; i++) {
            prod = mulmod(prod, evals[i], SumcheckFr.R);
        }
        SumcheckVerifier.expect(prod, e);
        if (c.i != proof.length) revert Trailing();
    }

    /// @notice Verify one HyperKZG opening (Rust: `pcs::verify`).
    function hyperkzg(
        bytes calldata label,
        uint256[8] calldata vk,
        uint256[2] calldata commitment,
        uint256[] calldata point,
        uint256 eval,
        uint256[] calldata proof
    ) external view returns (bool) {
        SumcheckTranscript.Transcript memory t = SumcheckTranscript.init(label, 8 + 3 * point.length);
        SumcheckFr.Cursor memory c = SumcheckFr.Cursor(proof, 0);
        HyperKZG.verify(t, c, key(vk), SumcheckFr.G1(commitment[0], commitment[1]), point, eval);
        if (c.i != proof.length) revert Trailing();
        return true;
    }

    /// @notice Verify a batched opening (Rust: `pcs::verify_batch`). `claims` is flat: per claim
    ///         `C.x, C.y, len, point[len], eval`.
    function batch(bytes calldata label, uint256[8] calldata vk, uint256[] calldata claims, uint256[] calldata proof)
        external
        view
        returns (bool)
    {
        (BatchOpening.Claim[] memory cl, uint256 n) = toClaims(claims);
        SumcheckTranscript.Transcript memory t = SumcheckTranscript.init(label, 16 + cl.length * (3 + n) + 3 * n);
        SumcheckFr.Cursor memory c = SumcheckFr.Cursor(proof, 0);
        BatchOpening.verify(t, c, key(vk), cl);
        if (c.i != proof.length) revert Trailing();
        return true;
    }

    function toClaims(uint256[] calldata flat) private pure returns (BatchOpening.Claim[] memory cl, uint256 n) {
        uint256 count = 0;
        for (uint256 i = 0; i < flat.length; i += 4 + flat[i + 2]) {
            count++;
        }
        cl = new BatchOpening.Claim[](count);
        uint256 pos = 0;
        for (uint256 j = 0; j < count; j++) {
            uint256 len = flat[pos + 2];
            cl[j] = BatchOpening.Claim(SumcheckFr.G1(flat[pos], flat[pos + 1]), flat[pos + 3:pos + 3 + len], flat[pos + 3 + len]);
            if (len > n) n = len;
            pos += 4 + len;
        }
    }

    function key(uint256[8] calldata vk) private pure returns (HyperKZG.Vk memory v) {
        v.g2 = [vk[0], vk[1], vk[2], vk[3]];
        v.tauG2 = [vk[4], vk[5], vk[6], vk[7]];
    }
}
