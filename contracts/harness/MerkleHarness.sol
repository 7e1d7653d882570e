// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {MerkleLib} from "../src/MerkleLib.sol";

/// @title MerkleHarness — MerkleLib behind an ABI, for differential tests only
/// @notice `MerkleLib` is all `internal`, so it is inlined into its callers and has no ABI of its
///         own. This contract exposes every library function under the same name and arguments,
///         so the Rust tests can run the exact compiled library code (through revm or anvil) and
///         compare it with the Rust commitment implementation. Not deployed in production.
/// @dev Calldata arrays are copied to memory by the ABI decoder, which is what the library
///      takes; `subtreeRoot`/`verifyReveal` overwrite that copy, never the caller's data.
contract MerkleHarness {
    function hashPair(bytes32 a, bytes32 b) external pure returns (bytes32) {
        return MerkleLib.hashPair(a, b);
    }

    function zeroHash(uint256 level) external pure returns (bytes32) {
        return MerkleLib.zeroHash(level);
    }

    function leafCount(uint256 len) external pure returns (uint256) {
        return MerkleLib.leafCount(len);
    }

    function depthOf(uint256 len) external pure returns (uint256) {
        return MerkleLib.depthOf(len);
    }

    function element(bytes32 leaf, uint256 slot) external pure returns (int32) {
        return MerkleLib.element(leaf, slot);
    }

    function rootFromPath(bytes32 leaf, uint256 leafIndex, bytes32[] memory siblings)
        external
        pure
        returns (bytes32)
    {
        return MerkleLib.rootFromPath(leaf, leafIndex, siblings);
    }

    function verifyLeaf(bytes32 root, bytes32 leaf, uint256 leafIndex, bytes32[] memory siblings)
        external
        pure
        returns (bool)
    {
        return MerkleLib.verifyLeaf(root, leaf, leafIndex, siblings);
    }

    function verifyElement(
        bytes32 root,
        uint256 len,
        uint256 index,
        int32 value,
        bytes32 leaf,
        bytes32[] memory siblings
    ) external pure returns (bool) {
        return MerkleLib.verifyElement(root, len, index, value, leaf, siblings);
    }

    function subtreeRoot(bytes32[] memory nodes) external pure returns (bytes32) {
        return MerkleLib.subtreeRoot(nodes);
    }

    function verifyReveal(bytes32 node, bytes32[] memory children) external pure returns (bool) {
        return MerkleLib.verifyReveal(node, children);
    }

    function tensorRoot(int32[] memory values) external pure returns (bytes32) {
        return MerkleLib.tensorRoot(values);
    }
}
