// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {IProofVerifier} from "../IProofVerifier.sol";
import {ZkStatement} from "../ZkStatement.sol";
import {ContractNodeVerifier} from "./ContractNodeVerifier.sol";

/// @title SumcheckProofVerifier — the sumcheck backend behind `IProofVerifier`
/// @notice Rust: `verinfer_sumcheck::backend` (`EvmVerifiable::proof_calldata`). `proof` is
///         `abi.encode(bytes32 contextWord, bytes x, bytes y, uint256[] words)`: the public
///         input and output (4-byte big-endian integers, what `ContractNodeVerifier` hashes)
///         travel inside the proof. The adapter recomputes the digest statement from them —
///         `sha256(contextWord ‖ classDigest(x) ‖ 0 ‖ classDigest(y)) >> 3`, the classes
///         packed at the key's widths as `ZkStatement` and the oracle pack them — and returns
///         false unless it is `statement`; then the node verifier checks the proof with
///         `statement` absorbed first, so a proof holds for one context only. A proof that
///         does not verify returns false (its words undecodable too); `x` or `y` undecodable or a
///         value outside its width reverts.
contract SumcheckProofVerifier is IProofVerifier {
    /// @notice The node's verifier (its key: shape, requantization, weight commitments, SRS),
    ///         or for a layered key a `ModelVerifier` (same `verifyBound`, the key as a plan).
    ContractNodeVerifier public immutable node;
    /// @notice Packing width of the input class (the model's input bound).
    uint256 public immutable inputBits;
    /// @notice Packing width of the output class (the model's output bound).
    uint256 public immutable outputBits;

    /// @notice A width outside 1..32.
    error BadWidth(uint256 bits);
    /// @notice A value of `x` or `y` outside its class's packing width.
    error ValueOutsideWidth(uint256 index);
    /// @notice The proof bytes are not `abi.encode(bytes32, bytes, bytes, uint256[])`: too
    ///         short, or `x`'s or `y`'s offset or length outside them.
    error BadProof();

    constructor(ContractNodeVerifier node_, uint256 inputBits_, uint256 outputBits_) {
        if (inputBits_ == 0 || inputBits_ > 32) revert BadWidth(inputBits_);
        if (outputBits_ == 0 || outputBits_ > 32) revert BadWidth(outputBits_);
        node = node_;
        inputBits = inputBits_;
        outputBits = outputBits_;
    }

    /// @inheritdoc IProofVerifier
    /// @dev The proof is passed through, not decoded into memory and encoded again:
    ///      `verifyBound(statement, x, y, words)`'s arguments are the proof's own encoding with
    ///      its first word (the context) replaced by `statement`, so the call data is the
    ///      selector, `statement` and `proof[32:]` (one copy). `x` and `y` are read where the
    ///      node's ABI decoder will read them (the same offsets, relative to the same start).
    function verify(bytes calldata proof, bytes32 statement) external view returns (bool ok) {
        if (digest(proof) != statement) return false;
        bytes4 selector = ContractNodeVerifier.verifyBound.selector;
        address to = address(node);
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, selector)
            mstore(add(p, 4), statement)
            let rest := sub(proof.length, 0x20)
            calldatacopy(add(p, 0x24), add(proof.offset, 0x20), rest)
            // A revert (a rejected or undecodable proof) or any other answer than `true`: false.
            let called := staticcall(gas(), to, p, add(rest, 0x24), 0, 0x20)
            ok := and(called, and(eq(returndatasize(), 0x20), eq(mload(0), 1)))
        }
    }

    /// @dev The digest statement of the proof's context word, `x` and `y`.
    function digest(bytes calldata proof) private view returns (bytes32) {
        (bytes32 ctx, uint256 xAt, uint256 xLen, uint256 yAt, uint256 yLen) = parts(proof);
        bytes32 inputDigest = ZkStatement.classDigest(pack(xAt, xLen, inputBits));
        bytes32 outputDigest = ZkStatement.classDigest(pack(yAt, yLen, outputBits));
        return ZkStatement.digestWord(ctx, inputDigest, 0, outputDigest);
    }

    /// @dev The context word and where `x` and `y` lie in calldata (their offsets are the
    ///      proof's second and third words, relative to its start, each pointing at a length
    ///      word then the bytes), as the ABI decoder reads `(bytes32, bytes, bytes, uint256[])`;
    ///      an offset into the head or past the end reverts, as decoding did.
    function parts(bytes calldata proof)
        private
        pure
        returns (bytes32 ctx, uint256 xAt, uint256 xLen, uint256 yAt, uint256 yLen)
    {
        if (proof.length < 0x80) revert BadProof();
        ctx = bytes32(proof[0:32]);
        (xAt, xLen) = part(proof, uint256(bytes32(proof[32:64])));
        (yAt, yLen) = part(proof, uint256(bytes32(proof[64:96])));
    }

    function part(bytes calldata proof, uint256 offset) private pure returns (uint256 start, uint256 len) {
        if (offset < 0x80 || offset > proof.length - 0x20) revert BadProof();
        len = uint256(bytes32(proof[offset:offset + 32]));
        if (len > proof.length - offset - 0x20) revert BadProof();
        start = offset + 0x20;
        assembly ("memory-safe") {
            start := add(start, proof.offset)
        }
    }

    /// @dev `verinfer_prove::statement::pack_words` of the `4·⌊len/4⌋` bytes at calldata `start`:
    ///      `u = v + 2^(w−1)`, `⌊253/w⌋` values per word, little-endian within the word.
    function pack(uint256 start, uint256 len, uint256 w) private pure returns (uint256[] memory out) {
        uint256 n = len / 4;
        uint256 per = 253 / w;
        out = new uint256[]((n + per - 1) / per);
        bytes4 outside = ValueOutsideWidth.selector;
        // `v + 2^(w−1)` wraps to past `2^255` for `v < −2^(w−1)`: one unsigned check covers both
        // ends of the width.
        assembly ("memory-safe") {
            let half := shl(sub(w, 1), 1)
            let span := shl(w, 1)
            let o := add(out, 0x20)
            let acc := 0
            let shift := 0
            let j := 0
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                let u := add(signextend(3, shr(224, calldataload(add(start, shl(2, i))))), half)
                if iszero(lt(u, span)) {
                    mstore(0, outside)
                    mstore(4, i)
                    revert(0, 0x24)
                }
                acc := or(acc, shl(shift, u))
                shift := add(shift, w)
                j := add(j, 1)
                if eq(j, per) {
                    mstore(o, acc)
                    o := add(o, 0x20)
                    acc := 0
                    shift := 0
                    j := 0
                }
            }
            if j { mstore(o, acc) }
        }
    }
}
