// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {PublicInputs} from "../src/PublicInputs.sol";
import {ZkStatement} from "../src/ZkStatement.sol";
import {IERC165, IERC721, IERC721Metadata, IERC7007, IERC7007Updatable} from "../src/IERC7007.sol";

/// @title PackHarness — PublicInputs and ZkStatement behind an ABI, and the interface ids the Solidity
///        compiler computes (differential and conformance tests only)
contract PackHarness {
    function pack(int32[] memory values, uint8 bits) external pure returns (uint256[] memory) {
        int32[][] memory one = new int32[][](1);
        one[0] = values;
        return PublicInputs.pack(one, bits);
    }

    function packTensors(int32[][] memory tensors, uint8 bits) external pure returns (uint256[] memory) {
        return PublicInputs.pack(tensors, bits);
    }

    function packTensorsCalldata(int32[][] calldata tensors, uint8 bits) external pure returns (uint256[] memory) {
        return PublicInputs.packCalldata(tensors, bits);
    }

    /// @notice The public inputs of a proof (`digest`: the one-input statement).
    function statement(
        bytes32 modelId,
        uint256 chainId,
        address contract_,
        uint256 tag,
        address answerer,
        int32[][] memory inputs,
        uint8 inputBits,
        bool hasParamHash,
        uint256 paramHash,
        int32[][] memory outputs,
        uint8 outputBits,
        bool digest
    ) external pure returns (uint256[] memory) {
        bytes32 ctx = ZkStatement.contextWord(modelId, chainId, contract_, tag, answerer);
        uint256[] memory ins = PublicInputs.pack(inputs, inputBits);
        uint256[] memory outs = PublicInputs.pack(outputs, outputBits);
        if (digest) {
            return ZkStatement.digest(
                ctx, ZkStatement.classDigest(ins), hasParamHash ? paramHash : 0, ZkStatement.classDigest(outs)
            );
        }
        return ZkStatement.packed(ctx, ins, hasParamHash, paramHash, outs);
    }

    /// @notice type(I).interfaceId of IERC165, IERC721, IERC721Metadata, IERC7007,
    ///         IERC7007Updatable, in that order.
    function interfaceIds() external pure returns (bytes4[5] memory) {
        return [
            type(IERC165).interfaceId,
            type(IERC721).interfaceId,
            type(IERC721Metadata).interfaceId,
            type(IERC7007).interfaceId,
            type(IERC7007Updatable).interfaceId
        ];
    }
}
