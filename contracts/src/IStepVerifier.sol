// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

/// @title IStepVerifier — the one-step judge of the dispute game
/// @notice The game narrows a dispute down to one node, one output element and (for long
///         reductions) one short segment of its accumulation; a step verifier then decides it by
///         re-execution. It sits behind this interface so that a zk proof of a whole node can
///         later replace the element and step phases without touching the game (docs/protocol.md).
interface IStepVerifier {
    /// @notice What the game has established when it asks for a verdict. Nothing here is
    ///         taken from either party on trust: every field was checked on chain.
    struct StepFacts {
        /// The registered model (root over graph digest and parameter roots).
        bytes32 modelId;
        /// Its parameter count (fixes the depth of parameter-root paths in the model tree).
        uint256 numParams;
        /// keccak256(abi.encodePacked(words)) of the disputed node, already opened against the
        /// graph digest; the verifier re-checks the words it is given against it.
        bytes32 nodeHash;
        /// The submitter's roots of the node's value operands, in operand order (params are
        /// opened against the model id instead), already opened against the trace root.
        bytes32[] operandRoots;
        /// The disputed output element (row-major index).
        uint256 element;
        /// Segment [stepA, stepB) of the accumulation sequence to recompute; for an op
        /// without accumulation both are 0.
        uint256 stepA;
        uint256 stepB;
        /// Accumulator before stepA (ignored when stepA == 0: the verifier derives the seed).
        int256 accA;
        /// What the submitter claims: the accumulator after stepB, or — when `isFinal` — the
        /// output element itself (after the epilogue).
        int256 claimed;
        /// Whether `claimed` is the final output element (all steps recomputed, then requant).
        bool isFinal;
    }

    /// @notice Shape facts of a node, read from its canonical words.
    /// @return outLen number of output elements
    /// @return steps accumulation length K (0 for ops computed in one step)
    /// @return valueOperands value ids of the node's value operands, in operand order
    function describe(int256[] calldata words)
        external
        view
        returns (uint256 outLen, uint256 steps, uint256[] memory valueOperands);

    /// @notice Shape facts of a model, read from the header leaf of its graph digest
    ///         (`GraphHeader.decode`; reverts `GraphHeader.MalformedHeader`).
    /// @return inputLens element count of each input tensor
    /// @return inputBits bit width of each input tensor (1..=32)
    /// @return numParams parameter tensors
    /// @return outputIds value id of each graph output
    /// @return numNodes nodes of the graph
    function describeHeader(int256[] calldata words)
        external
        pure
        returns (
            uint256[] memory inputLens,
            uint8[] memory inputBits,
            uint256 numParams,
            uint256[] memory outputIds,
            uint256 numNodes
        );

    /// @notice The node's epilogue applied to a final accumulator: what element the
    ///         accumulator `acc` produces.
    function finalize(int256[] calldata words, int256 acc) external view returns (int256);

    /// @notice Recomputes the disputed step from `proof` (operand and parameter openings,
    ///         abi-encoded as the verifier documents) and says whether the submitter's
    ///         statement holds. Reverts — without a verdict — when the proof itself is invalid
    ///         (an opening that does not verify, words that do not match `nodeHash`): whoever
    ///         must supply it then loses on time, not on a malformed move.
    function verifyStep(StepFacts calldata facts, int256[] calldata words, bytes calldata proof)
        external
        view
        returns (bool submitterRight);
}
