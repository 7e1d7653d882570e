// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

/// @title PackedTensor — public tensors as the sumcheck verifiers receive them
/// @notice A tensor travels as 4-byte big-endian signed integers, row-major, a `rows × cols`
///         matrix (Rust: `FieldMatrix::from_i32`, padded to `2^a × 2^b` by zeros). The
///         verifier evaluates its multilinear extension at a point from the `eq` tables of the
///         row and column parts, checking the values' bit bound on the way (one pass over the
///         calldata: both node and model verifiers read their public `x`, `y` this way).
library PackedTensor {
    uint256 internal constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;

    /// @notice `Σ_i eqRow[i]·Σ_l eqCol[l]·v[i·cols + l]` over the packed int32 matrix `data`;
    ///         with `check = 1`, `bad` is nonzero unless every value lies in
    ///         `[−2^(bits−1), 2^(bits−1))` (`span = 2^bits`).
    function evalMatrix(
        bytes calldata data,
        uint256 rows,
        uint256 cols,
        uint256[] memory eqRow,
        uint256[] memory eqCol,
        uint256 span,
        uint256 check
    ) internal pure returns (uint256 acc, uint256 bad) {
        uint256 offset;
        assembly ("memory-safe") {
            offset := data.offset
        }
        return evalAt(offset, rows, cols, eqRow, eqCol, span, check);
    }

    /// @notice `evalMatrix` of the matrix at calldata offset `offset` (its length checked by
    ///         the caller).
    function evalAt(
        uint256 offset,
        uint256 rows,
        uint256 cols,
        uint256[] memory eqRow,
        uint256[] memory eqCol,
        uint256 span,
        uint256 check
    ) internal pure returns (uint256 acc, uint256 bad) {
        assembly ("memory-safe") {
            let half := shr(1, span)
            let p := offset
            for { let i := 0 } lt(i, rows) { i := add(i, 1) } {
                let inner := 0
                let col := add(eqCol, 0x20)
                for { let l := 0 } lt(l, cols) { l := add(l, 1) } {
                    let v := signextend(3, shr(224, calldataload(p)))
                    p := add(p, 4)
                    // v + 2^(bits−1) must lie in [0, 2^bits).
                    bad := or(bad, mul(check, iszero(lt(add(v, half), span))))
                    inner := addmod(inner, mulmod(mload(add(col, shl(5, l))), add(v, mul(slt(v, 0), R)), R), R)
                }
                acc := addmod(acc, mulmod(mload(add(eqRow, shl(5, add(i, 1)))), inner, R), R)
            }
        }
    }

    /// @notice `evalAt` without the bit-bound check (the model verifier checks every public
    ///         value once, `outOfBound`, before any evaluation). A value `v` enters as
    ///         `v + r`: for `v < 0` (two's complement) that is `r − |v|`, for `v ≥ 0` it is
    ///         `≡ v` and below `2^256`, so `mulmod` reduces both right.
    function evalPlain(uint256 offset, uint256 rows, uint256 cols, uint256[] memory eqRow, uint256[] memory eqCol)
        internal
        pure
        returns (uint256 acc)
    {
        assembly ("memory-safe") {
            let p := offset
            let colEnd := add(add(eqCol, 0x20), shl(5, cols))
            for { let i := 0 } lt(i, rows) { i := add(i, 1) } {
                let inner := 0
                for { let col := add(eqCol, 0x20) } lt(col, colEnd) { col := add(col, 0x20) } {
                    let v := signextend(3, shr(224, calldataload(p)))
                    p := add(p, 4)
                    inner := addmod(inner, mulmod(mload(col), add(v, R), R), R)
                }
                acc := addmod(acc, mulmod(mload(add(eqRow, shl(5, add(i, 1)))), inner, R), R)
            }
        }
    }

    /// @notice Whether some value of the packed int32 list `data` lies outside
    ///         `[−2^(bits−1), 2^(bits−1))`.
    function outOfBound(bytes calldata data, uint256 bits) internal pure returns (bool bad) {
        uint256 span = 1 << bits;
        assembly ("memory-safe") {
            let half := shr(1, span)
            let end := add(data.offset, data.length)
            for { let p := data.offset } lt(p, end) { p := add(p, 4) } {
                let v := signextend(3, shr(224, calldataload(p)))
                bad := or(bad, iszero(lt(add(v, half), span)))
            }
        }
    }
}
