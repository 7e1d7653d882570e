// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {IGenerationConsumer} from "../src/IGenerationConsumer.sol";

/// @title GenerationConsumerHarness — records every GenerationOracle callback (tests only)
contract GenerationConsumerHarness is IGenerationConsumer {
    uint256 public calls;
    uint256 public lastRequestId;
    bytes32 public lastModelId;
    address public lastCaller;
    int32[] internal lastTokens;

    function onGeneration(uint256 requestId, bytes32 modelId, int32[] calldata tokens) external {
        calls += 1;
        lastRequestId = requestId;
        lastModelId = modelId;
        lastCaller = msg.sender;
        lastTokens = tokens;
    }

    function received() external view returns (int32[] memory) {
        return lastTokens;
    }
}
