// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

/// @title PublicInputs — the packing of a zk statement's tensor classes
/// @notice A fixed spec shared with the Rust prover (docs/oracle.md §4); `ZkStatement` hashes
///         the packed elements into the proof's one public input.
///
///         A class (all input tensors concatenated in order, row-major; likewise all output
///         tensors) is packed with a bit width W (1..=32): each value v, which must lie in the
///         W-bit two's-complement range [−2^(W−1), 2^(W−1)), becomes u = v + 2^(W−1) in
///         [0, 2^W); k = floor(253 / W) values go into one field element, little-endian within
///         it: element e = Σ_{i<k} u_{e·k+i} · 2^(W·i); the last element holds the remainder
///         (its unused high positions are zero). k·W ≤ 253 < log2(BN254's r), so every element
///         is a canonical field element.
/// @dev The Rust mirror is `verinfer_oracle::pack::pack_public`; `harness/PackHarness.sol`
///      exposes this library to the differential test between the two.
library PublicInputs {
    /// @notice Width outside 1..=32.
    error BadBitWidth(uint256 bits);
    /// @notice `value` does not fit the signed `bits`-bit range of its class.
    error ValueOutOfRange(int256 value, uint256 bits);

    /// @notice Values per field element at width `bits`.
    function perElement(uint256 bits) internal pure returns (uint256) {
        if (bits == 0 || bits > 32) revert BadBitWidth(bits);
        return 253 / bits;
    }

    /// @notice Field elements needed for `n` values at width `bits`: ceil(n / k).
    function packedLength(uint256 n, uint256 bits) internal pure returns (uint256) {
        uint256 k = perElement(bits);
        return n / k + (n % k == 0 ? 0 : 1);
    }

    /// @notice Total element count of a tensor list.
    function count(int32[][] memory tensors) internal pure returns (uint256 n) {
        for (uint256 t = 0; t < tensors.length; ++t) {
            n += tensors[t].length;
        }
    }

    /// @notice Packs the concatenation of `tensors` at width `bits` into `out[pos…]`; returns the
    ///         index after the last element written. `out` must have room (see packedLength).
    /// @dev The loop is unchecked: `v + half` lies in [0, 2^bits) once the range check passed,
    ///      `shift` stays below k·bits ≤ 253, and `i`, `slot`, `pos` are bounded by lengths.
    function packInto(int32[][] memory tensors, uint256 bits, uint256[] memory out, uint256 pos)
        internal
        pure
        returns (uint256)
    {
        uint256 top = perElement(bits) * bits;
        int256 half = int256(uint256(1) << (bits - 1));
        uint256 acc;
        uint256 shift;
        for (uint256 t = 0; t < tensors.length; ++t) {
            int32[] memory values = tensors[t];
            uint256 len = values.length;
            for (uint256 i = 0; i < len;) {
                int256 v = values[i];
                if (v < -half || v >= half) revert ValueOutOfRange(v, bits);
                unchecked {
                    acc |= uint256(v + half) << shift;
                    shift += bits;
                    ++i;
                }
                if (shift == top) {
                    out[pos] = acc;
                    unchecked {
                        ++pos;
                    }
                    acc = 0;
                    shift = 0;
                }
            }
        }
        if (shift != 0) out[pos++] = acc;
        return pos;
    }

    /// @notice `pack` of tensors still in calldata (a request's input), without copying them
    ///         to memory first; the same loop as `packInto`.
    function packCalldata(int32[][] calldata tensors, uint256 bits) internal pure returns (uint256[] memory out) {
        uint256 n;
        for (uint256 t = 0; t < tensors.length; ++t) {
            n += tensors[t].length;
        }
        out = new uint256[](packedLength(n, bits));
        uint256 top = perElement(bits) * bits;
        int256 half = int256(uint256(1) << (bits - 1));
        uint256 acc;
        uint256 shift;
        uint256 pos;
        for (uint256 t = 0; t < tensors.length; ++t) {
            int32[] calldata values = tensors[t];
            uint256 len = values.length;
            for (uint256 i = 0; i < len;) {
                int256 v = values[i];
                if (v < -half || v >= half) revert ValueOutOfRange(v, bits);
                unchecked {
                    acc |= uint256(v + half) << shift;
                    shift += bits;
                    ++i;
                }
                if (shift == top) {
                    out[pos] = acc;
                    unchecked {
                        ++pos;
                    }
                    acc = 0;
                    shift = 0;
                }
            }
        }
        if (shift != 0) out[pos] = acc;
    }

    /// @notice One class packed on its own (what the differential test compares).
    function pack(int32[][] memory tensors, uint256 bits) internal pure returns (uint256[] memory out) {
        out = new uint256[](packedLength(count(tensors), bits));
        packInto(tensors, bits, out, 0);
    }
}
