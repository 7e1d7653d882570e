// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

/// @title IInferenceConsumer — the callback of an InferenceOracle request
/// @notice The oracle calls `onInference` once, when the request is fulfilled (an optimistic
///         answer settled after its claim's window, or a zk answer at once), with exactly the
///         gas the requester asked for. A revert or out-of-gas here does not undo the
///         fulfilment: the oracle emits `CallbackFailed` and the outputs stay readable through
///         `InferenceOracle.outputsOf(requestId)`.
/// @dev Check `msg.sender` against the oracle you requested from: anyone can call this.
interface IInferenceConsumer {
    /// @param requestId the oracle's request id
    /// @param modelId the model that was run
    /// @param outputs the model's output tensors, in output order, row-major
    function onInference(uint256 requestId, bytes32 modelId, int32[][] calldata outputs) external;
}
