// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {IProofVerifier} from "../src/IProofVerifier.sol";

/// @title SignedStatementVerifier — a second `IProofVerifier` backend: statements attested by one key
/// @notice A "proof" is a 65-byte secp256k1 signature `r ‖ s ‖ v` by `signer` over its own
///         encoding of the statement, `keccak256(abi.encode(DOMAIN, block.chainid,
///         address(this), statement))` (a trusted attester — a TEE or a committee key — stands
///         behind it, not a circuit). It exists to show that the oracle and AIGC take any
///         backend behind `IProofVerifier` unchanged (`crates/verinfer-oracle/tests/
///         second_backend.rs`). A proof of another length, a high `s` (the malleable twin of a
///         valid signature) or a `v` other than 27/28 reverts `MalformedProof`; a signature by
///         anyone else, or over another statement, verifies false.
contract SignedStatementVerifier is IProofVerifier {
    /// @notice Domain separator (the ASCII, right-padded with zeros).
    bytes32 public constant DOMAIN = "verinfer.signed-statement.v1";
    /// @notice secp256k1 order / 2: signatures with a larger `s` are refused (EIP-2).
    uint256 internal constant HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

    /// @notice The attesting key.
    address public immutable signer;

    error MalformedProof(uint256 length, string why);
    error ZeroSigner();

    constructor(address signer_) {
        if (signer_ == address(0)) revert ZeroSigner();
        signer = signer_;
    }

    /// @notice The hash `signer` signs for `statement`.
    function digestOf(bytes32 statement) public view returns (bytes32) {
        return keccak256(abi.encode(DOMAIN, block.chainid, address(this), statement));
    }

    /// @inheritdoc IProofVerifier
    function verify(bytes calldata proof, bytes32 statement) external view returns (bool) {
        if (proof.length != 65) revert MalformedProof(proof.length, "length");
        bytes32 r = bytes32(proof[0:32]);
        bytes32 s = bytes32(proof[32:64]);
        uint8 v = uint8(proof[64]);
        if (uint256(s) > HALF_N) revert MalformedProof(proof.length, "high s");
        if (v != 27 && v != 28) revert MalformedProof(proof.length, "v");
        address got = ecrecover(digestOf(statement), v, r, s);
        return got != address(0) && got == signer;
    }
}
