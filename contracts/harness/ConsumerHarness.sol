// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {IInferenceConsumer} from "../src/IInferenceConsumer.sol";
import {IERC721Receiver} from "../src/IERC7007.sol";

/// @title ConsumerHarness — records every InferenceOracle callback (tests only)
/// @notice Has no `onERC721Received`, so it also serves as the "contract that cannot receive
///         tokens" of the ERC-721 tests.
contract ConsumerHarness is IInferenceConsumer {
    uint256 public calls;
    uint256 public lastRequestId;
    bytes32 public lastModelId;
    address public lastCaller;
    int32[][] internal lastOutputs;

    function onInference(uint256 requestId, bytes32 modelId, int32[][] calldata outputs) external {
        calls += 1;
        lastRequestId = requestId;
        lastModelId = modelId;
        lastCaller = msg.sender;
        delete lastOutputs;
        for (uint256 i = 0; i < outputs.length; ++i) {
            lastOutputs.push(outputs[i]);
        }
    }

    function received() external view returns (int32[][] memory) {
        return lastOutputs;
    }
}

/// @title RevertingConsumer — a callback that always reverts (tests only)
contract RevertingConsumer is IInferenceConsumer {
    error NotToday(uint256 requestId);

    function onInference(uint256 requestId, bytes32, int32[][] calldata) external pure {
        revert NotToday(requestId);
    }
}

/// @title GasBurningConsumer — a callback that spins until its gas runs out (tests only)
contract GasBurningConsumer is IInferenceConsumer {
    uint256 public counter;

    function onInference(uint256, bytes32, int32[][] calldata) external {
        while (true) {
            counter += 1;
        }
    }
}

/// @title ReceiverHarness — accepts ERC-721 tokens and records the last one (tests only)
contract ReceiverHarness is IERC721Receiver {
    address public lastOperator;
    address public lastFrom;
    uint256 public lastTokenId;
    bytes public lastData;

    function onERC721Received(address operator, address from, uint256 tokenId, bytes calldata data)
        external
        returns (bytes4)
    {
        lastOperator = operator;
        lastFrom = from;
        lastTokenId = tokenId;
        lastData = data;
        return IERC721Receiver.onERC721Received.selector;
    }
}
