// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {SumcheckFr} from "./SumcheckFr.sol";
import {SumcheckTranscript} from "./SumcheckTranscript.sol";
import {SumcheckVerifier} from "./SumcheckVerifier.sol";
import {HyperKZG} from "./HyperKZG.sol";
import {LogupRange} from "./LogupRange.sol";
import {BatchOpening} from "./BatchOpening.sol";
import {ContractNodeKey} from "./ContractNodeKey.sol";
import {PackedTensor} from "./PackedTensor.sol";

/// @title ContractNodeVerifier — verifies a sumcheck proof of one matrix-product `Contract` node
/// @notice `Y = requant(X·W (+ bias·2^t))` with `X` (m×k) and `Y` (m×n) public, `W` and the
///         bias committed (Rust: `verinfer_sumcheck::contract::verify_contract`, label
///         `verinfer.contract.v1`). One deployment per node and verifying key: the node's
///         shape, requantization, weight commitments and the SRS's `G2`, `τ·G2` are immutables
///         (`ContractNodeKey`). `x` and `y` are the tensors packed as 4-byte big-endian
///         integers; `proof` the words of Rust's `evm::contract_words`. Reverts with
///         `SumcheckRejected(code)` on any failed check; returns true otherwise.
contract ContractNodeVerifier is ContractNodeKey {
    using SumcheckTranscript for SumcheckTranscript.Transcript;

    uint256 internal constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    uint256 internal constant LENGTH = 50;
    uint256 internal constant OUT_OF_BOUND = 51;
    uint256 internal constant X_EVAL = 52;
    uint256 internal constant TRAILING = 53;

    /// @dev The statement's challenges and the claims collected on the way.
    struct State {
        uint256[] rho;
        uint256 remEval;
        uint256 biasEval;
        uint256[] eqI;
        uint256[] sigma;
        uint256 xEval;
        uint256 wEval;
        SumcheckFr.G1 rem;
    }

    constructor(Params memory p) ContractNodeKey(p) {}

    function verify(bytes calldata x, bytes calldata y, uint256[] calldata proof) external view returns (bool) {
        return checkProof(false, 0, x, y, proof);
    }

    /// @notice The proof of a statement: `statement` (the `IProofVerifier` digest word) is
    ///         absorbed first, so the proof holds for it alone (Rust: `verify_contract_bound`).
    function verifyBound(bytes32 statement, bytes calldata x, bytes calldata y, uint256[] calldata proof)
        external
        view
        returns (bool)
    {
        return checkProof(true, statement, x, y, proof);
    }

    function checkProof(bool bound, bytes32 statement, bytes calldata x, bytes calldata y, uint256[] calldata proof)
        private
        view
        returns (bool)
    {
        if (x.length != 4 * M * K || y.length != 4 * M * N) revert SumcheckFr.SumcheckRejected(LENGTH);
        SumcheckFr.Cursor memory c = SumcheckFr.Cursor(proof, 0);
        SumcheckTranscript.Transcript memory t = SumcheckTranscript.init("verinfer.contract.v1", CAPACITY);
        if (bound) t.absorb(uint256(statement));
        State memory s = head(t, c, x, y);
        uint256 acc = accumulator(s, y);
        t.absorb(M);
        t.absorb(K);
        t.absorb(N);
        uint256 e;
        (s.sigma, e) = SumcheckVerifier.rounds(t, c, LOG_K, 2, acc);
        uint256[] memory f = SumcheckVerifier.finals(t, c, 2);
        SumcheckVerifier.expect(mulmod(f[0], f[1], R), e);
        s.xEval = f[0];
        s.wEval = f[1];
        LogupRange.Claims memory range = LogupRange.verifyDeferred(t, c, LOG_M + LOG_N, SHIFT);
        uint256 xe = evalMatrix(x, M, K, s.eqI, SumcheckFr.eqTable(s.sigma, 0, LOG_K), 0, 0);
        if (xe != s.xEval) revert SumcheckFr.SumcheckRejected(X_EVAL);
        BatchOpening.verify(t, c, vk(), claims(s, range));
        if (c.i != proof.length) revert SumcheckFr.SumcheckRejected(TRAILING);
        return true;
    }

    /// @dev Step 1–2: the statement, `C_rem`, `ρ`, `R̃em(ρ)` (and `b̃ias(ρ_j)`).
    function head(
        SumcheckTranscript.Transcript memory t,
        SumcheckFr.Cursor memory c,
        bytes calldata x,
        bytes calldata y
    ) private view returns (State memory s) {
        t.absorb(M);
        t.absorb(K);
        t.absorb(N);
        t.absorb(MULT);
        t.absorb(SHIFT);
        t.absorb(BITS);
        t.absorb(uint256(keccak256(x)));
        t.absorb(uint256(keccak256(y)));
        t.absorbG1(SumcheckFr.G1(W_X, W_Y));
        t.absorb(BIAS_SHIFT);
        if (HAS_BIAS) t.absorbG1(SumcheckFr.G1(B_X, B_Y));
        s.rem = SumcheckFr.nextG1(c);
        t.absorbG1(s.rem);
        s.rho = t.challenges(LOG_M + LOG_N);
        s.remEval = SumcheckFr.nextFr(c);
        t.absorb(s.remEval);
        if (HAS_BIAS) {
            s.biasEval = SumcheckFr.nextFr(c);
            t.absorb(s.biasEval);
        }
        s.eqI = SumcheckFr.eqTable(s.rho, 0, LOG_M);
    }

    /// @dev `(X·W)~(ρ) = (2^s·Ỹ(ρ) + R̃em(ρ) − 2^(s−1))/mult − 2^t·(Σ_{i<m} eq(ρ_i, i))·b̃ias(ρ_j)`,
    ///      checking every public `y` lies in the bit bound on the way.
    function accumulator(State memory s, bytes calldata y) private view returns (uint256 acc) {
        uint256[] memory eqJ = SumcheckFr.eqTable(s.rho, LOG_M, LOG_N);
        uint256 ye = evalMatrix(y, M, N, s.eqI, eqJ, 1 << BITS, 1);
        uint256 twoS = 1 << SHIFT;
        acc = addmod(mulmod(twoS, ye, R), s.remEval, R);
        acc = mulmod(SumcheckFr.sub(acc, SHIFT == 0 ? 0 : 1 << (SHIFT - 1)), MULT_INV, R);
        if (HAS_BIAS) {
            uint256 rows = 0;
            for (uint256 i = 0; i < M; i++) {
                rows = addmod(rows, s.eqI[i], R);
            }
            acc = SumcheckFr.sub(acc, mulmod(mulmod(BIAS_POW, rows, R), s.biasEval, R));
        }
    }

    /// @dev `PackedTensor.evalMatrix`, reverting on a value outside the bound.
    function evalMatrix(
        bytes calldata data,
        uint256 rows,
        uint256 cols,
        uint256[] memory eqRow,
        uint256[] memory eqCol,
        uint256 span,
        uint256 check
    ) private pure returns (uint256 acc) {
        uint256 bad;
        (acc, bad) = PackedTensor.evalMatrix(data, rows, cols, eqRow, eqCol, span, check);
        if (bad != 0) revert SumcheckFr.SumcheckRejected(OUT_OF_BOUND);
    }

    /// @dev The batched opening's claims, in the prover's order.
    function claims(State memory s, LogupRange.Claims memory range)
        private
        view
        returns (BatchOpening.Claim[] memory cl)
    {
        cl = new BatchOpening.Claim[](HAS_BIAS ? 7 : 6);
        uint256[] memory wPoint = new uint256[](LOG_K + LOG_N);
        uint256[] memory rhoJ = new uint256[](LOG_N);
        for (uint256 i = 0; i < LOG_K; i++) {
            wPoint[i] = s.sigma[i];
        }
        for (uint256 j = 0; j < LOG_N; j++) {
            wPoint[LOG_K + j] = s.rho[LOG_M + j];
            rhoJ[j] = s.rho[LOG_M + j];
        }
        cl[0] = BatchOpening.Claim(SumcheckFr.G1(W_X, W_Y), wPoint, s.wEval);
        cl[1] = BatchOpening.Claim(s.rem, s.rho, s.remEval);
        cl[2] = BatchOpening.Claim(s.rem, range.rhoA, range.aA);
        cl[3] = BatchOpening.Claim(range.h, range.rhoA, range.hA);
        cl[4] = BatchOpening.Claim(range.g, range.rhoT, range.gT);
        cl[5] = BatchOpening.Claim(range.mu, range.rhoT, range.muT);
        if (HAS_BIAS) cl[6] = BatchOpening.Claim(SumcheckFr.G1(B_X, B_Y), rhoJ, s.biasEval);
    }
}
