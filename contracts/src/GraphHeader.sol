// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {Encoding} from "./Encoding.sol";

/// @title GraphHeader — the header leaf of a model's graph digest (docs/commitments.md §3)
/// @notice The game learns a model's shape facts from it; it is decoded here, beside the node
///         words' decoder (`NodeDecoder.decodeNode`), with the same constants (`Encoding`), and
///         reached through the step verifier (`IStepVerifier.describeHeader`) so that the
///         game's own code stays under the EIP-170 size limit. Its own small reader, not
///         `NodeDecoder`'s: it reads calldata, reverts `MalformedHeader`, and keeps only what
///         the game needs. All `internal pure`.
library GraphHeader {
    /// @notice The words are not a graph header (bad domain, version, a field out of range or
    ///         trailing words); `cursor` is where decoding stopped.
    error MalformedHeader(uint256 cursor);

    /// @notice Reads the header words (docs/commitments.md §3): domain, version, inputs,
    ///      params, outputs, node count. Only what the game needs is kept.
    function decode(int256[] calldata w)
        internal
        pure
        returns (
            uint256[] memory inputLens,
            uint8[] memory inputBits,
            uint256 numParams,
            uint256[] memory outputIds,
            uint256 numNodes
        )
    {
        uint256 cursor = 0;
        if (w.length < 2 || Encoding.GRAPH_DOMAIN != w[0] || Encoding.ENCODING_VERSION != w[1]) {
            revert MalformedHeader(0);
        }
        cursor = 2;
        uint256 n;
        (n, cursor) = _u(w, cursor);
        inputLens = new uint256[](n);
        inputBits = new uint8[](n);
        for (uint256 i = 0; i < n; ++i) {
            (inputLens[i], cursor) = _tensorInfo(w, cursor);
            // The TensorInfo's last word is its bit width, 1..=BITS_MAX (checked by the registry
            // side's decoder; re-checked here since the game relies on it).
            if (cursor > w.length) revert MalformedHeader(cursor);
            int256 b = w[cursor - 1];
            if (b < 1 || b > int256(Encoding.BITS_MAX)) revert MalformedHeader(cursor - 1);
            inputBits[i] = uint8(uint256(b));
        }
        (numParams, cursor) = _u(w, cursor);
        for (uint256 i = 0; i < numParams; ++i) {
            cursor += 1; // kind (Encoding.PARAM_*), not needed by the game
            uint256 len;
            uint256 declared;
            (len, cursor) = _tensorInfo(w, cursor);
            (declared, cursor) = _u(w, cursor);
            if (len != declared) revert MalformedHeader(cursor);
        }
        (n, cursor) = _u(w, cursor);
        outputIds = new uint256[](n);
        for (uint256 i = 0; i < n; ++i) {
            (outputIds[i], cursor) = _u(w, cursor);
        }
        (numNodes, cursor) = _u(w, cursor);
        if (cursor != w.length) revert MalformedHeader(cursor);
        for (uint256 i = 0; i < outputIds.length; ++i) {
            if (outputIds[i] >= inputLens.length + numNodes) revert MalformedHeader(cursor);
        }
    }

    /// @dev A word in [0, Encoding.USIZE_MAX] at `cursor` (written `< 2^64`: the form the
    ///      deployed bytecode was compiled from).
    function _u(int256[] calldata w, uint256 cursor) private pure returns (uint256, uint256) {
        if (cursor >= w.length || w[cursor] < 0 || w[cursor] >= int256(1 << 64)) revert MalformedHeader(cursor);
        return (uint256(w[cursor]), cursor + 1);
    }

    /// @dev A TensorInfo (list(shape), scale, bits); returns its element count.
    function _tensorInfo(int256[] calldata w, uint256 cursor) private pure returns (uint256 len, uint256) {
        uint256 rank;
        (rank, cursor) = _u(w, cursor);
        len = 1;
        for (uint256 i = 0; i < rank; ++i) {
            uint256 d;
            (d, cursor) = _u(w, cursor);
            len *= d;
        }
        return (len, cursor + 2); // scale, bits
    }
}
