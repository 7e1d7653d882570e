// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {IGroth16Verifier} from "./IGroth16Verifier.sol";

/// @title Groth16Verifier — a generic BN254 Groth16 verifier whose key is constructor data
/// @notice One bytecode for every circuit: the verifying key is given to the constructor, so
///         deploying a verifier for a new model needs no Solidity compiler. The key is stored as
///         the runtime code of a data contract created here (read back with one EXTCODECOPY,
///         far cheaper than one SLOAD per word).
/// @dev Key encoding (`vk`), 32-byte big-endian words, G2 coordinates in the EIP-197 order
///      (x.c1, x.c0, y.c1, y.c0), the point at infinity as all zeros:
///        alpha (G1, 2 words) | beta (G2, 4) | gamma (G2, 4) | delta (G2, 4) | IC[0..n] (G1, 2 each)
///      i.e. 448 + 64·(n + 1) bytes for n public inputs. The constructor checks every word < q,
///      every G1 point on the curve (BN254's G1 has cofactor 1, so that is subgroup membership)
///      and the three G2 points on the twist and in the subgroup (one pairing call that the
///      precompile must accept). The data contract's code is a STOP byte followed by `vk`, so it
///      cannot be called into doing anything.
///
///      Verification: L = IC[0] + Σ input[i]·IC[i+1] (ecMul/ecAdd, zero inputs skipped), then
///      e(−A, B)·e(alpha, beta)·e(L, gamma)·e(C, delta) == 1 (one pairing call, 4 pairs).
///      The pairing precompile validates A, B, C (curve and subgroup) itself; it is given
///      exactly its EIP-1108 price after a check that that much gas is available, so its failure
///      can only mean an invalid point: the proof is rejected (false), never reverted.
contract Groth16Verifier is IGroth16Verifier {
    /// @notice BN254 base field modulus.
    uint256 internal constant Q = 0x30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd47;
    /// @notice BN254 scalar field modulus (the group order).
    uint256 internal constant R = 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001;
    /// @notice Bytes of alpha, beta, gamma, delta.
    uint256 internal constant HEADER = 448;
    /// @notice Largest key one data contract holds (EIP-170 limit minus the leading STOP).
    uint256 public constant MAX_KEY_BYTES = 24575;
    /// @notice Pairing precompile price for 4 pairs (EIP-1108: 45 000 + 34 000 per pair): the
    ///         least gas a verification needs. The call itself forwards all remaining gas, so
    ///         that a chain pricing the precompile higher still verifies.
    uint256 internal constant PAIRING4_GAS = 181000;
    /// @notice Pairing precompile price for 3 pairs (the constructor's G2 check).
    uint256 internal constant PAIRING3_GAS = 147000;

    /// @notice The verifying key is not 448 + 64·(n + 1) bytes long.
    error MalformedVerifyingKey(uint256 length);
    /// @notice The verifying key does not fit one data contract.
    error VerifyingKeyTooLarge(uint256 length, uint256 max);
    /// @notice Word `index` of the verifying key is not reduced modulo q.
    error VerifyingKeyNotInField(uint256 index);
    /// @notice G1 point `index` of the key (0 = alpha, 1 + i = IC[i]) is not on the curve.
    error VerifyingKeyG1NotOnCurve(uint256 index);
    /// @notice beta, gamma or delta is not a point of the G2 subgroup.
    error VerifyingKeyG2Invalid();
    /// @notice Creating the data contract that holds the key failed.
    error VerifyingKeyStoreFailed();

    /// @notice The data contract holding the key (its code: 0x00 then the key bytes).
    address public immutable keyStore;
    /// @notice Length of the key in bytes.
    uint256 internal immutable KEY_BYTES;
    /// @notice Number of public inputs n.
    uint256 internal immutable INPUTS;

    /// @param vk The verifying key, encoded as documented above.
    constructor(bytes memory vk) {
        uint256 len = vk.length;
        if (len < HEADER + 64 || (len - HEADER) % 64 != 0) revert MalformedVerifyingKey(len);
        if (len > MAX_KEY_BYTES) revert VerifyingKeyTooLarge(len, MAX_KEY_BYTES);

        uint256 words = len / 32;
        for (uint256 i = 0; i < words; ++i) {
            if (_word(vk, i) >= Q) revert VerifyingKeyNotInField(i);
        }
        // G1 points: alpha at word 0, IC[j] at word 14 + 2j.
        if (!_onCurveG1(_word(vk, 0), _word(vk, 1))) revert VerifyingKeyG1NotOnCurve(0);
        for (uint256 j = 0; 14 + 2 * j < words; ++j) {
            if (!_onCurveG1(_word(vk, 14 + 2 * j), _word(vk, 15 + 2 * j))) revert VerifyingKeyG1NotOnCurve(1 + j);
        }
        _checkG2(vk);

        bytes memory init = abi.encodePacked(
            // PUSH2 size, DUP1, PUSH1 12, PUSH1 0, CODECOPY, PUSH1 0, RETURN: returns the code
            // that follows these 12 bytes, i.e. STOP then the key.
            hex"61",
            uint16(len + 1),
            hex"80600c6000396000f3",
            hex"00",
            vk
        );
        address store;
        assembly ("memory-safe") {
            store := create(0, add(init, 0x20), mload(init))
        }
        if (store == address(0)) revert VerifyingKeyStoreFailed();
        keyStore = store;
        KEY_BYTES = len;
        INPUTS = (len - HEADER) / 64 - 1;
    }

    /// @inheritdoc IGroth16Verifier
    function publicInputCount() external view returns (uint256) {
        return INPUTS;
    }

    /// @notice The verifying key this verifier was deployed with (the constructor's `vk`).
    function verifyingKey() external view returns (bytes memory vk) {
        address store = keyStore;
        uint256 len = KEY_BYTES;
        vk = new bytes(len);
        assembly ("memory-safe") {
            extcodecopy(store, add(vk, 0x20), 1, len)
        }
    }

    /// @inheritdoc IGroth16Verifier
    function verifyProof(uint256[8] calldata proof, uint256[] calldata input) external view returns (bool ok) {
        uint256 n = INPUTS;
        if (input.length != n) revert PublicInputCountMismatch(n, input.length);
        for (uint256 i = 0; i < 8; ++i) {
            if (proof[i] >= Q) revert ProofCoordinateNotInField(i);
        }
        address store = keyStore;
        uint256 keyBytes = KEY_BYTES;
        bytes4 notInField = PublicInputNotInField.selector;
        bytes4 precompileFailed = PrecompileFailed.selector;
        bytes4 notEnoughGas = NotEnoughGas.selector;
        assembly ("memory-safe") {
            // Scratch past the free memory pointer (never allocated, nothing outlives the call):
            //   p   .. p+0x300  pairing input, 4 pairs of (G1, G2)
            //   k   .. k+len    the verifying key
            //   acc .. acc+0x40 running sum L; term .. term+0x60 (point, scalar) for ecMul,
            //   whose result lands right after acc so that ecAdd reads acc‖term in one go.
            let p := mload(0x40)
            let k := add(p, 0x300)
            extcodecopy(store, k, 1, keyBytes)
            let acc := add(k, keyBytes)
            let term := add(acc, 0x40)
            mcopy(acc, add(k, HEADER), 0x40) // IC[0]
            let ic := add(k, add(HEADER, 0x40)) // IC[1]
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                let s := calldataload(add(input.offset, shl(5, i)))
                if iszero(lt(s, R)) {
                    mstore(0, notInField)
                    mstore(4, i)
                    revert(0, 0x24)
                }
                if s {
                    mcopy(term, add(ic, shl(6, i)), 0x40)
                    mstore(add(term, 0x40), s)
                    if iszero(staticcall(gas(), 0x07, term, 0x60, term, 0x40)) {
                        mstore(0, precompileFailed)
                        mstore(4, 0x07)
                        revert(0, 0x24)
                    }
                    if iszero(staticcall(gas(), 0x06, acc, 0x80, acc, 0x40)) {
                        mstore(0, precompileFailed)
                        mstore(4, 0x06)
                        revert(0, 0x24)
                    }
                }
            }

            // e(-A, B)
            mstore(p, calldataload(proof))
            mstore(add(p, 0x20), mod(sub(Q, calldataload(add(proof, 0x20))), Q))
            calldatacopy(add(p, 0x40), add(proof, 0x40), 0x80)
            // e(alpha, beta): the first 0xc0 bytes of the key
            mcopy(add(p, 0xc0), k, 0xc0)
            // e(L, gamma)
            mcopy(add(p, 0x180), acc, 0x40)
            mcopy(add(p, 0x1c0), add(k, 0xc0), 0x80)
            // e(C, delta)
            calldatacopy(add(p, 0x240), add(proof, 0xc0), 0x40)
            mcopy(add(p, 0x280), add(k, 0x140), 0x80)

            // With this much left, 63/64 of it covers the price: a failure is an invalid point.
            let needed := add(PAIRING4_GAS, div(PAIRING4_GAS, 32))
            if lt(gas(), needed) {
                // 0x44 bytes: past the scratch space, so in free memory.
                mstore(p, notEnoughGas)
                mstore(add(p, 4), gas())
                mstore(add(p, 0x24), needed)
                revert(p, 0x44)
            }
            // (Yul evaluates arguments right to left: the call gets its own statement.)
            let success := staticcall(gas(), 0x08, p, 0x300, p, 0x20)
            ok := and(success, eq(mload(p), 1))
        }
    }

    /// @dev Word `i` of `b`; the caller keeps `i` in bounds.
    function _word(bytes memory b, uint256 i) private pure returns (uint256 w) {
        assembly ("memory-safe") {
            w := mload(add(add(b, 0x20), shl(5, i)))
        }
    }

    /// @dev (x, y) is the point at infinity (0, 0) or satisfies y² = x³ + 3 (x, y < q).
    function _onCurveG1(uint256 x, uint256 y) private pure returns (bool) {
        if (x == 0 && y == 0) return true;
        return mulmod(y, y, Q) == addmod(mulmod(mulmod(x, x, Q), x, Q), 3, Q);
    }

    /// @dev The pairing precompile validates every point it is given (on the twist, in the
    ///      subgroup) before it skips pairs holding the point at infinity, so pairing
    ///      (O, beta), (O, gamma), (O, delta) succeeds (with the empty product, 1) exactly when
    ///      the three are valid G2 points.
    function _checkG2(bytes memory vk) private view {
        uint256 needed = PAIRING3_GAS + PAIRING3_GAS / 32;
        if (gasleft() < needed) revert NotEnoughGas(gasleft(), needed);
        bool ok;
        assembly ("memory-safe") {
            let p := mload(0x40)
            let src := add(vk, 0x60) // beta: after the 0x20 length word and alpha's 0x40 bytes
            for { let j := 0 } lt(j, 3) { j := add(j, 1) } {
                let pair := add(p, mul(j, 0xc0))
                mstore(pair, 0)
                mstore(add(pair, 0x20), 0)
                mcopy(add(pair, 0x40), add(src, mul(j, 0x80)), 0x80)
            }
            let success := staticcall(gas(), 0x08, p, 0x240, p, 0x20)
            ok := and(success, eq(mload(p), 1))
        }
        if (!ok) revert VerifyingKeyG2Invalid();
    }
}
