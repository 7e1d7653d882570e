// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {IInferenceConsumer} from "../src/IInferenceConsumer.sol";
import {InferenceOracle} from "../src/InferenceOracle.sol";

/// @title ClassifierConsumer — the smallest dApp on the InferenceOracle (an example to copy)
/// @notice Asks the oracle to run one classifier on an input and keeps the predicted class
///         (the argmax of the first output) when the oracle calls back. The oracle fulfils a
///         request when an optimistic answer has outlived its challenge window, or at once
///         with a zk proof; either way it calls `onInference` exactly once.
/// @dev Import path for consumers: `verinfer-contracts/src/...` (npm) or
///      `verinfer/contracts/src/...` with a remapping (forge install); see docs/python.md.
contract ClassifierConsumer is IInferenceConsumer {
    /// The oracle this contract trusts: only it may call back.
    InferenceOracle public immutable oracle;
    /// The model asked for (the id `verinfer commit` prints).
    bytes32 public immutable modelId;
    /// Gas the callback is given: enough for the argmax over a small output and two stores.
    uint64 public constant CALLBACK_GAS = 200_000;

    /// Requests asked by this contract and not answered yet.
    mapping(uint256 => bool) public pending;
    /// The predicted class per answered request.
    mapping(uint256 => uint256) public predicted;
    /// How many answers arrived.
    uint256 public answered;

    event Asked(uint256 indexed requestId, address indexed by);
    event Classified(uint256 indexed requestId, uint256 label);

    error NotTheOracle(address caller);
    error NotAsked(uint256 requestId);
    error WrongModel(bytes32 modelId);
    error NoOutput();

    constructor(InferenceOracle oracle_, bytes32 modelId_) {
        oracle = oracle_;
        modelId = modelId_;
    }

    /// @notice The fee `ask` must carry (the oracle's fee plus the callback's gas).
    function fee() external view returns (uint256) {
        return oracle.requiredFee(CALLBACK_GAS);
    }

    /// @notice Asks for the model run on `input` (its tensors in input order, row-major,
    ///         quantized as the model's input scale says), paying `fee()`; answers by claim
    ///         only (zk configuration 0).
    function ask(int32[][] calldata input) external payable returns (uint256 requestId) {
        requestId = oracle.request{value: msg.value}(modelId, input, address(this), CALLBACK_GAS, 0);
        pending[requestId] = true;
        emit Asked(requestId, msg.sender);
    }

    /// @inheritdoc IInferenceConsumer
    function onInference(uint256 requestId, bytes32 modelId_, int32[][] calldata outputs) external {
        if (msg.sender != address(oracle)) revert NotTheOracle(msg.sender);
        if (!pending[requestId]) revert NotAsked(requestId);
        if (modelId_ != modelId) revert WrongModel(modelId_);
        if (outputs.length == 0 || outputs[0].length == 0) revert NoOutput();
        delete pending[requestId];
        int32[] calldata logits = outputs[0];
        uint256 best = 0;
        for (uint256 i = 1; i < logits.length; ++i) {
            if (logits[i] > logits[best]) best = i;
        }
        predicted[requestId] = best;
        answered += 1;
        emit Classified(requestId, best);
    }
}
