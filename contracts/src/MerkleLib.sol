// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

/// @title MerkleLib — the tensor commitment of verinfer, on-chain side
/// @notice Verifies openings of the Keccak-256 tensor commitment (docs/commitments.md). Every function
///         here must agree bit for bit with the Rust implementation, which computes the
///         commitments off-chain; the two are differential-tested through `MerkleHarness`.
/// @dev The scheme:
///      - A tensor of `len` int32 elements is packed 8 per 32-byte leaf, row-major. Element `k`
///        of a leaf occupies bytes [4k, 4k+4) as 4-byte big-endian two's complement, so slot 0
///        is the most significant 4 bytes of the `bytes32`. The last leaf is zero-padded.
///      - Leaves are the raw 32 bytes, not hashed: a leaf *is* its data, which lets the arbiter
///        read elements straight out of a proven leaf. (Second-preimage confusion between a leaf
///        and an inner node does not matter here: the depth is fixed by the shape, which the
///        model fixes, and every path is checked against that depth.)
///      - leaves = max(1, ceil(len / 8)); depth = ceil(log2(leaves)), 0 for one leaf.
///      - parent = keccak256(left ‖ right). The leaf level is padded to 2^depth with zero
///        leaves, i.e. missing subtrees at level l hash to Z_l with Z_0 = 0 and
///        Z_{l+1} = keccak256(Z_l ‖ Z_l). The root of a one-leaf tensor is the leaf itself.
///      - A Merkle path lists siblings bottom-up (`siblings[0]` is at the leaf level). Bit i of
///        `leafIndex` set means the running node is the RIGHT child at level i.
library MerkleLib {
    /// @notice Zero-subtree hashes are defined only up to this level: a tensor with more than
    ///         2^64 leaves cannot exist, and the bound keeps `zeroHash` gas bounded.
    uint256 internal constant MAX_ZERO_LEVEL = 64;

    /// @notice Number of int32 elements packed into one 32-byte leaf.
    uint256 internal constant ELEMENTS_PER_LEAF = 8;

    /// @notice `zeroHash` was asked for a level above `MAX_ZERO_LEVEL`.
    error ZeroLevelTooHigh(uint256 level);
    /// @notice `element` was asked for a slot outside 0..7.
    error SlotOutOfRange(uint256 slot);
    /// @notice `subtreeRoot` needs a power-of-two number of nodes (at least one).
    error NotPowerOfTwo(uint256 length);
    /// @notice `rangeRoot` got more leaves than a tree of that depth holds.
    error RangeTooWide(uint256 leaves, uint256 depth);

    /// @notice keccak256(a ‖ b): the inner-node hash of the tree.
    /// @dev Hashes in the scratch space (0x00–0x3f), which Solidity reserves for exactly this:
    ///      no memory is allocated, and the free-memory pointer is untouched.
    function hashPair(bytes32 a, bytes32 b) internal pure returns (bytes32 h) {
        assembly ("memory-safe") {
            mstore(0x00, a)
            mstore(0x20, b)
            h := keccak256(0x00, 0x40)
        }
    }

    /// @notice Root of an all-zero subtree of height `level` (Z_0 = 0).
    /// @dev Iterative so that no table has to be kept in sync with Rust; at most 64 hashes.
    function zeroHash(uint256 level) internal pure returns (bytes32 z) {
        if (level > MAX_ZERO_LEVEL) revert ZeroLevelTooHigh(level);
        for (uint256 l = 0; l < level; ++l) {
            z = hashPair(z, z);
        }
    }

    /// @notice Number of leaves of a tensor of `len` elements: max(1, ceil(len / 8)).
    /// @dev An empty tensor still commits to one (zero) leaf, so every tensor has a root.
    function leafCount(uint256 len) internal pure returns (uint256) {
        if (len == 0) return 1;
        // len / 8 + (len % 8 != 0) cannot overflow, unlike (len + 7) / 8 for len near 2^256.
        return len / ELEMENTS_PER_LEAF + (len % ELEMENTS_PER_LEAF == 0 ? 0 : 1);
    }

    /// @notice Tree depth of a tensor of `len` elements: ceil(log2(leafCount(len))).
    function depthOf(uint256 len) internal pure returns (uint256 depth) {
        uint256 leaves = leafCount(len);
        // Smallest depth with 2^depth >= leaves. leaves <= 2^253, so 1 << depth never overflows
        // before the loop ends (depth stops at 253 at the latest).
        while ((uint256(1) << depth) < leaves) {
            ++depth;
        }
    }

    /// @notice Element `slot` (0..7) of a leaf: bytes [4·slot, 4·slot + 4), big-endian,
    ///         two's complement.
    function element(bytes32 leaf, uint256 slot) internal pure returns (int32) {
        if (slot >= ELEMENTS_PER_LEAF) revert SlotOutOfRange(slot);
        // Slot 0 is the most significant word: shift it down to the low 32 bits, truncate to
        // uint32, then reinterpret the bits as int32 (same width, so no value conversion).
        return int32(uint32(uint256(leaf) >> (224 - 32 * slot)));
    }

    /// @notice Walks a Merkle path from `leaf` up to the root it implies.
    /// @dev Bits of `leafIndex` at or above `siblings.length` are ignored here; `verifyLeaf`
    ///      rejects them, so a path cannot be reused for a different index.
    function rootFromPath(bytes32 leaf, uint256 leafIndex, bytes32[] memory siblings)
        internal
        pure
        returns (bytes32 node)
    {
        node = leaf;
        uint256 n = siblings.length;
        for (uint256 i = 0; i < n; ++i) {
            // i < 256 is not guaranteed for a huge array, so test the bit by shifting the index
            // down instead of shifting 1 up (a shift by >= 256 just yields 0 in the EVM).
            if ((leafIndex >> i) & 1 == 1) {
                node = hashPair(siblings[i], node);
            } else {
                node = hashPair(node, siblings[i]);
            }
        }
    }

    /// @notice True iff `leaf` sits at `leafIndex` under `root` along `siblings`.
    /// @return false if `leafIndex >= 2^siblings.length` (no such position in a tree that deep).
    function verifyLeaf(bytes32 root, bytes32 leaf, uint256 leafIndex, bytes32[] memory siblings)
        internal
        pure
        returns (bool)
    {
        // For 256 or more siblings every uint256 index fits; `>>` by >= 256 yields 0.
        if (siblings.length < 256 && (leafIndex >> siblings.length) != 0) return false;
        return rootFromPath(leaf, leafIndex, siblings) == root;
    }

    /// @notice True iff element `index` of the committed tensor of `len` elements is `value`,
    ///         proven by the leaf holding it and that leaf's Merkle path.
    /// @dev Checks the path length against the depth the shape implies, so a path of another
    ///      depth (e.g. one that treats an inner node as a leaf) is rejected.
    function verifyElement(
        bytes32 root,
        uint256 len,
        uint256 index,
        int32 value,
        bytes32 leaf,
        bytes32[] memory siblings
    ) internal pure returns (bool) {
        if (index >= len) return false;
        if (siblings.length != depthOf(len)) return false;
        if (element(leaf, index % ELEMENTS_PER_LEAF) != value) return false;
        return verifyLeaf(root, leaf, index / ELEMENTS_PER_LEAF, siblings);
    }

    /// @notice Hashes `nodes` pairwise, level by level, down to one node.
    /// @dev Works in place: `nodes` is overwritten (callers pass a memory copy they own).
    function subtreeRoot(bytes32[] memory nodes) internal pure returns (bytes32) {
        uint256 n = nodes.length;
        if (n == 0 || (n & (n - 1)) != 0) revert NotPowerOfTwo(n);
        while (n > 1) {
            // n is a power of two >= 2, so n / 2 is exact and 2i + 1 < n for every i < n / 2.
            n >>= 1;
            for (uint256 i = 0; i < n; ++i) {
                nodes[i] = hashPair(nodes[2 * i], nodes[2 * i + 1]);
            }
        }
        return nodes[0];
    }

    /// @notice The k-ary reveal check of the dispute game: the 2^d `children` (the nodes d
    ///         levels below `node`, left to right) hash back to `node`.
    /// @return false (no revert) for an empty or non-power-of-two `children`, so a bad reveal is
    ///         a lost move rather than a stuck transaction.
    /// @dev `children` is overwritten (see `subtreeRoot`).
    function verifyReveal(bytes32 node, bytes32[] memory children) internal pure returns (bool) {
        uint256 n = children.length;
        if (n == 0 || (n & (n - 1)) != 0) return false;
        return subtreeRoot(children) == node;
    }

    /// @notice Root of a tree whose leaves 0..n are `leaves` (n = leaves.length ≥ 1), given
    ///         `edge`, the Merkle path of leaf n−1: the tree's depth is `edge.length`, and at
    ///         each level where the range ends on a left child its right sibling is `edge`'s.
    ///         Showing a prefix of a tree's leaves costs one word a leaf plus one path.
    /// @dev `leaves` is overwritten (a memory copy the caller owns). Empty `leaves` or a range
    ///      wider than the depth allows revert with `NotPowerOfTwo`/`RangeTooWide`.
    function rangeRoot(bytes32[] memory leaves, bytes32[] memory edge) internal pure returns (bytes32) {
        uint256 n = leaves.length;
        uint256 depth = edge.length;
        if (n == 0) revert NotPowerOfTwo(0);
        if (depth < 256 && n > (uint256(1) << depth)) revert RangeTooWide(n, depth);
        for (uint256 l = 0; l < depth; ++l) {
            uint256 half = n / 2 + n % 2;
            for (uint256 i = 0; i < half; ++i) {
                bytes32 right = 2 * i + 1 < n ? leaves[2 * i + 1] : edge[l];
                leaves[i] = hashPair(leaves[2 * i], right);
            }
            n = half;
        }
        return leaves[0];
    }

    /// @notice Commitment root of a whole tensor, for small tensors posted on-chain.
    function tensorRoot(int32[] memory values) internal pure returns (bytes32) {
        uint256 len = values.length;
        // 2^depth >= leafCount(len): the leaves past the data stay zero, which is exactly the
        // zero-leaf padding of the scheme (equivalent to padding with zero-subtree hashes).
        bytes32[] memory level = new bytes32[](uint256(1) << depthOf(len));
        for (uint256 k = 0; k < len; ++k) {
            // Two's complement bits of the int32, zero-extended: int32 -> uint32 keeps the bits.
            uint256 word = uint256(uint32(values[k]));
            uint256 slot = k % ELEMENTS_PER_LEAF;
            level[k / ELEMENTS_PER_LEAF] |= bytes32(word << (224 - 32 * slot));
        }
        return subtreeRoot(level);
    }
}
