// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {IProofVerifier} from "./IProofVerifier.sol";
import {IGroth16Verifier} from "./IGroth16Verifier.sol";

/// @title Groth16ProofVerifier — the Groth16 backend behind `IProofVerifier`
/// @notice Wraps a `Groth16Verifier` whose key is of the digest statement (exactly one public
///         input): `verify(proof, statement)` decodes `proof` as `abi.encode(uint256[8])` and
///         checks it against the one input `uint256(statement)`. It returns the wrapped
///         verifier's verdict; a proof of another length reverts `MalformedProof`, and the
///         wrapped verifier's reverts (a coordinate ≥ q, a statement ≥ r) pass through.
contract Groth16ProofVerifier is IProofVerifier {
    /// @notice The wrapped verifier (its key has one public input).
    IGroth16Verifier public immutable groth16;

    /// @notice The wrapped verifier's key takes `publicInputs` inputs, not the one digest.
    error NotADigestKey(uint256 publicInputs);
    /// @notice A proof of `length` bytes; Groth16 proofs are 256 (eight words).
    error MalformedProof(uint256 length);

    constructor(IGroth16Verifier verifier) {
        uint256 n = verifier.publicInputCount();
        if (n != 1) revert NotADigestKey(n);
        groth16 = verifier;
    }

    /// @inheritdoc IProofVerifier
    function verify(bytes calldata proof, bytes32 statement) external view returns (bool) {
        if (proof.length != 256) revert MalformedProof(proof.length);
        uint256[8] memory words = abi.decode(proof, (uint256[8]));
        uint256[] memory input = new uint256[](1);
        input[0] = uint256(statement);
        return groth16.verifyProof(words, input);
    }
}
