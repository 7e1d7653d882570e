// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

/// @title IGenerationConsumer — the callback of a GenerationOracle text request
/// @notice The oracle calls `onGeneration` once, when the request is fulfilled (the answering
///         generation claim finalized), with exactly the gas the requester asked for. A revert
///         or out-of-gas here does not undo the fulfilment: the oracle emits `CallbackFailed`
///         and the tokens stay readable through `GenerationOracle.tokensOf(requestId)`.
///         (Tensor requests keep `IInferenceConsumer.onInference`.)
/// @dev Check `msg.sender` against the oracle you requested from: anyone can call this.
interface IGenerationConsumer {
    /// @param requestId the oracle's request id
    /// @param modelId the step graph that generated
    /// @param tokens the generated token ids (the prompt excluded), in order; detokenize them
    ///        off chain with the model's tokenizer
    function onGeneration(uint256 requestId, bytes32 modelId, int32[] calldata tokens) external;
}
