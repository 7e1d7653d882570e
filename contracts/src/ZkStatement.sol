// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {PublicInputs} from "./PublicInputs.sol";

/// @title ZkStatement — the public inputs of a zk inference proof
/// @notice Every proof is bound to a context word (the Rust mirror is `verinfer_zk::binding`,
///         docs/zk.md):
///
///         contextWord = sha256(DOMAIN ‖ modelId ‖ chainId ‖ contract ‖ tag ‖ answerer)
///
///         every item a 32-byte word (`abi.encode`). A contract accepting a proof puts its own
///         chain id and address, the request (or token) it answers and the caller in it, so a
///         proof can be neither replayed elsewhere nor taken over by someone who saw it in the
///         mempool. The public inputs are then, by the statement kind of the keys:
///         - packed: [contextWord >> 3, packed input elements…, paramHash (if any), packed
///           output elements…] (~6k gas per element to verify);
///         - digest: [uint256(sha256(contextWord ‖ inputDigest ‖ paramsWord ‖ outputDigest))
///           >> 3], one input whatever the model, with classDigest = sha256(packed elements…)
///           and paramsWord the weights' Poseidon hash or zero.
///         The shift keeps a word below 2^253, a canonical BN254 scalar.
library ZkStatement {
    /// @notice Domain separator (the ASCII, right-padded with zeros).
    bytes32 internal constant DOMAIN = "verinfer.zk.statement.v1";

    /// @notice sha256 of the class's packed elements, each a 32-byte word.
    function classDigest(uint256[] memory elements) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(elements));
    }

    /// @notice The context word.
    function contextWord(bytes32 modelId, uint256 chainId, address contract_, uint256 tag, address answerer)
        internal
        pure
        returns (bytes32)
    {
        return sha256(abi.encode(DOMAIN, modelId, chainId, contract_, tag, answerer));
    }

    /// @notice The packed statement's public inputs.
    function packed(bytes32 ctx, uint256[] memory inputs, bool hasParamHash, uint256 paramHash, uint256[] memory outputs)
        internal
        pure
        returns (uint256[] memory pub)
    {
        pub = new uint256[](1 + inputs.length + (hasParamHash ? 1 : 0) + outputs.length);
        pub[0] = uint256(ctx) >> 3;
        uint256 k = 1;
        for (uint256 i = 0; i < inputs.length; ++i) {
            pub[k++] = inputs[i];
        }
        if (hasParamHash) pub[k++] = paramHash;
        for (uint256 i = 0; i < outputs.length; ++i) {
            pub[k++] = outputs[i];
        }
    }

    /// @notice The digest statement's one public input.
    function digest(bytes32 ctx, bytes32 inputDigest, uint256 paramsWord, bytes32 outputDigest)
        internal
        pure
        returns (uint256[] memory pub)
    {
        pub = new uint256[](1);
        pub[0] = uint256(digestWord(ctx, inputDigest, paramsWord, outputDigest));
    }

    /// @notice The digest statement as the `bytes32` an `IProofVerifier` takes (< 2^253).
    function digestWord(bytes32 ctx, bytes32 inputDigest, uint256 paramsWord, bytes32 outputDigest)
        internal
        pure
        returns (bytes32)
    {
        return bytes32(uint256(sha256(abi.encode(ctx, inputDigest, paramsWord, outputDigest))) >> 3);
    }
}
