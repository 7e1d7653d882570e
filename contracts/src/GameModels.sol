// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {Encoding} from "./Encoding.sol";

/// @notice The registry view the game needs (the full contract is ModelRegistry.sol).
interface IModelRegistry {
    function isRegistered(bytes32 modelId) external view returns (bool);
}

/// @title GameModels — what `InferenceGame` knows about each model
/// @notice The facts a model's claims and games are checked against — input tensors (element
///         count, bit width), output value ids and lengths, node and parameter counts, the graph
///         digest — learned once per model by `InferenceGame.learnModel` from the header leaf of
///         its graph digest, and the views and the input rule (`validateInput`) built on them.
///         A base of `InferenceGame` only, in its own file to keep the game's file short: its
///         storage comes first in the game's layout, where these mappings always were.
/// @dev `learnModel` and its opening stay in `InferenceGame`: the ABI names the opening's type
///      `InferenceGame.ModelOpening`, and the Rust bindings are generated from that name.
abstract contract GameModels {
    // ------------------------------------------------------------------ model facts
    /// @notice What the game must know about a model before claims on it: learned once from
    ///         the header leaf of its graph digest (opened against the model id).
    struct ModelFacts {
        bool known;
        bytes32 graphDigest;
        uint64 numInputs;
        uint64 numNodes;
        uint64 numParams;
    }

    mapping(bytes32 => ModelFacts) public models;
    mapping(bytes32 => uint256[]) internal modelOutputIds;
    mapping(bytes32 => uint256[]) internal modelOutputLens;
    /// Element count and bit width of each input tensor: what the executor accepts, so what
    /// the chain accepts (`validateInput`).
    mapping(bytes32 => uint256[]) internal modelInputLens;
    mapping(bytes32 => uint8[]) internal modelInputBits;

    event ModelLearned(bytes32 indexed modelId, bytes32 graphDigest, uint256 numInputs, uint256 numNodes);

    error UnknownModel(bytes32 modelId);
    error ModelNotRegistered(bytes32 modelId);
    error BadOpening(string what);
    error WrongCount(string what, uint256 expected, uint256 got);
    error InputLength(uint256 tensor, uint256 expected, uint256 got);
    error InputOutOfRange(uint256 tensor, uint256 index, int256 value, uint256 bits);

    /// @notice ceil(log2(max(n, 1))): the depth of a tree over n 32-byte leaves.
    function treeDepth(uint256 n) public pure returns (uint256 d) {
        while ((uint256(1) << d) < n) ++d;
    }

    /// @notice Output value ids and lengths of a learned model.
    function modelOutputs(bytes32 modelId) external view returns (uint256[] memory ids, uint256[] memory lens) {
        return (modelOutputIds[modelId], modelOutputLens[modelId]);
    }

    /// @notice Element count and bit width of each input tensor of a learned model.
    function modelInputs(bytes32 modelId) external view returns (uint256[] memory lens, uint8[] memory bits) {
        return (modelInputLens[modelId], modelInputBits[modelId]);
    }

    /// @notice Reverts unless `input` is one the executor runs for `modelId`: the model's
    ///         tensor count, each tensor's element count, every value within its tensor's
    ///         signed bit width. One rule for claims, oracle requests and ERC-7007 prompts, so
    ///         that everything the chain accepts an honest node can execute and police, and no
    ///         zero-padded or re-split tensor list means a second input.
    function validateInput(bytes32 modelId, int32[][] calldata input) public view {
        if (!models[modelId].known) revert UnknownModel(modelId);
        uint256[] storage lens = modelInputLens[modelId];
        uint8[] storage bits = modelInputBits[modelId];
        if (input.length != lens.length) revert WrongCount("input tensors", lens.length, input.length);
        for (uint256 t = 0; t < input.length; ++t) {
            int32[] calldata x = input[t];
            if (x.length != lens[t]) revert InputLength(t, lens[t], x.length);
            uint256 b = bits[t];
            if (b >= Encoding.BITS_MAX) continue; // every int32 fits
            int256 hi = int256(1 << (b - 1));
            for (uint256 i = 0; i < x.length; ++i) {
                int256 v = x[i];
                if (v >= hi || v < -hi) revert InputOutOfRange(t, i, v, b);
            }
        }
    }

    /// @dev A calldata path as the memory array `MerkleLib` takes.
    function _mem(bytes32[] calldata a) internal pure returns (bytes32[] memory m) {
        m = a;
    }
}
