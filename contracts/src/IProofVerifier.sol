// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

/// @title IProofVerifier — checks a proof of one verinfer digest statement, whatever the backend
/// @notice `statement` is the `ZkStatement.digest` word: `uint256(sha256(contextWord ‖
///         inputDigest ‖ paramsWord ‖ outputDigest)) >> 3`, below 2^253 (one BN254 scalar and a
///         `bytes32` alike; Rust: `verinfer_prove::PublicValues::digest`). `proof` is the
///         backend's encoding (Rust: `verinfer_prove::EvmVerifiable::proof_calldata`; Groth16:
///         `abi.encode(uint256[8])`). A proof that does not verify makes `verify` return false;
///         a malformed one may revert. Backends plug in behind this interface, one deployed
///         adapter per verifying key (docs/adding-a-backend.md).
interface IProofVerifier {
    /// @notice Whether `proof` proves the digest statement `statement`.
    function verify(bytes calldata proof, bytes32 statement) external view returns (bool);
}
