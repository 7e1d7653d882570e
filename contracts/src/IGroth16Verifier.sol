// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

/// @title IGroth16Verifier — checks a Groth16 proof over BN254 against fixed verifying keys
/// @notice Encodings (32-byte big-endian words, EIP-197 order):
///         - proof: A.x, A.y, B.x.c1, B.x.c0, B.y.c1, B.y.c0, C.x, C.y, each < q (the base field
///           modulus); the point at infinity is (0, 0) / (0, 0, 0, 0);
///         - input: the public inputs, each < r (the scalar field modulus), in circuit order.
///         A proof that does not verify — including points off their curve or outside the
///         prime-order subgroup — makes `verifyProof` return false. Only a malformed call
///         reverts: a wrong input count, an input >= r, a coordinate >= q (unreduced values are
///         refused rather than silently reduced, so no two encodings of one statement exist).
interface IGroth16Verifier {
    /// @notice `input` has `given` elements, the verifying key expects `expected`.
    error PublicInputCountMismatch(uint256 expected, uint256 given);
    /// @notice Public input `index` is not reduced modulo r.
    error PublicInputNotInField(uint256 index);
    /// @notice Proof word `index` (0..7, order as above) is not reduced modulo q.
    error ProofCoordinateNotInField(uint256 index);
    /// @notice Too little gas left to run the pairing check (it is never attempted short).
    error NotEnoughGas(uint256 left, uint256 needed);
    /// @notice A precompile (0x06 ecAdd, 0x07 ecMul) failed on key points: out of gas.
    error PrecompileFailed(uint256 precompile);

    /// @notice Whether `proof` proves the statement with public inputs `input`.
    function verifyProof(uint256[8] calldata proof, uint256[] calldata input) external view returns (bool);

    /// @notice How many public inputs the verifying key takes.
    function publicInputCount() external view returns (uint256);
}
