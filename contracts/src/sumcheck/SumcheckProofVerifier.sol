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
///         does not verify returns false; undecodable bytes or a value outside its width revert.
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

    constructor(ContractNodeVerifier node_, uint256 inputBits_, uint256 outputBits_) {
        if (inputBits_ == 0 || inputBits_ > 32) revert BadWidth(inputBits_);
        if (outputBits_ == 0 || outputBits_ > 32) revert BadWidth(outputBits_);
        node = node_;
        inputBits = inputBits_;
        outputBits = outputBits_;
    }

    /// @inheritdoc IProofVerifier
    function verify(bytes calldata proof, bytes32 statement) external view returns (bool) {
        (bytes32 ctx, bytes memory x, bytes memory y, uint256[] memory words) =
            abi.decode(proof, (bytes32, bytes, bytes, uint256[]));
        bytes32 inputDigest = ZkStatement.classDigest(pack(x, inputBits));
        bytes32 outputDigest = ZkStatement.classDigest(pack(y, outputBits));
        if (ZkStatement.digestWord(ctx, inputDigest, 0, outputDigest) != statement) return false;
        try node.verifyBound(statement, x, y, words) returns (bool ok) {
            return ok;
        } catch {
            return false;
        }
    }

    /// @dev `verinfer_prove::statement::pack_words`: `u = v + 2^(w−1)`, `⌊253/w⌋` values per
    ///      word, little-endian within the word.
    function pack(bytes memory data, uint256 w) private pure returns (uint256[] memory out) {
        uint256 n = data.length / 4;
        uint256 per = 253 / w;
        out = new uint256[]((n + per - 1) / per);
        uint256 half = 1 << (w - 1);
        uint256 span = 1 << w;
        for (uint256 i = 0; i < n; i++) {
            int256 v;
            assembly ("memory-safe") {
                v := signextend(3, shr(224, mload(add(add(data, 0x20), mul(i, 4)))))
            }
            uint256 u = uint256(v + int256(half));
            if (v + int256(half) < 0 || u >= span) revert ValueOutsideWidth(i);
            out[i / per] |= u << (w * (i % per));
        }
    }
}
