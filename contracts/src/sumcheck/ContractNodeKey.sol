// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {SumcheckFr} from "./SumcheckFr.sol";
import {HyperKZG} from "./HyperKZG.sol";

/// @title ContractNodeKey — one matrix-product node's statement and the SRS's verifying key
/// @notice Everything the verifier knows before a proof arrives, as immutables (in the
///         bytecode, no storage reads): the shape `m, k, n`, the requantization
///         `mult, shift, bits`, the bias shift, the weight commitments `C_W`, `C_bias` (what
///         registering the model commits) and `G2`, `τ·G2`. The constructor refuses what the
///         Rust verifier refuses (`MatmulNode::from_contract`).
abstract contract ContractNodeKey {
    /// @notice The constructor's input. `mult` may be negative (embedded as `mult mod r`);
    ///         `biasShift < 0` means no bias; `vk` is `G2 ‖ τ·G2` in EIP-197 order.
    struct Params {
        uint256 m;
        uint256 k;
        uint256 n;
        int256 mult;
        uint256 shift;
        uint256 bits;
        int256 biasShift;
        uint256[2] w;
        uint256[2] bias;
        uint256[8] vk;
    }

    error UnsupportedNode(string what);

    uint256 internal immutable M;
    uint256 internal immutable K;
    uint256 internal immutable N;
    uint256 internal immutable LOG_M;
    uint256 internal immutable LOG_K;
    uint256 internal immutable LOG_N;
    uint256 internal immutable MULT;
    uint256 internal immutable MULT_INV;
    uint256 internal immutable SHIFT;
    uint256 internal immutable BITS;
    uint256 internal immutable BIAS_SHIFT;
    bool internal immutable HAS_BIAS;
    uint256 internal immutable BIAS_POW;
    uint256 internal immutable W_X;
    uint256 internal immutable W_Y;
    uint256 internal immutable B_X;
    uint256 internal immutable B_Y;
    uint256 internal immutable CAPACITY;
    uint256 private immutable G2_0;
    uint256 private immutable G2_1;
    uint256 private immutable G2_2;
    uint256 private immutable G2_3;
    uint256 private immutable T2_0;
    uint256 private immutable T2_1;
    uint256 private immutable T2_2;
    uint256 private immutable T2_3;

    constructor(Params memory p) {
        if (p.m == 0 || p.k == 0 || p.n == 0 || p.m > 1 << 24 || p.k > 1 << 24 || p.n > 1 << 24) {
            revert UnsupportedNode("dimensions must lie in [1, 2^24]");
        }
        if (p.shift > 24) revert UnsupportedNode("a shift wider than the range check supports");
        if (p.bits == 0 || p.bits > 32) revert UnsupportedNode("output bits must lie in [1, 32]");
        if (p.biasShift >= 62) revert UnsupportedNode("a bias shift of 62 or more");
        if (p.mult == 0 || p.mult > type(int64).max || p.mult < type(int64).min) {
            revert UnsupportedNode("the multiplier must be a nonzero i64");
        }
        (M, K, N) = (p.m, p.k, p.n);
        (LOG_M, LOG_K, LOG_N) = (log2Ceil(p.m), log2Ceil(p.k), log2Ceil(p.n));
        uint256 mult = p.mult >= 0 ? uint256(p.mult) : SumcheckFr.R - uint256(-p.mult);
        MULT = mult;
        MULT_INV = SumcheckFr.inv(mult);
        (SHIFT, BITS) = (p.shift, p.bits);
        HAS_BIAS = p.biasShift >= 0;
        BIAS_SHIFT = HAS_BIAS ? uint256(p.biasShift) : type(uint64).max;
        BIAS_POW = HAS_BIAS ? 1 << uint256(p.biasShift) : 0;
        (W_X, W_Y) = (p.w[0], p.w[1]);
        (B_X, B_Y) = HAS_BIAS ? (p.bias[0], p.bias[1]) : (0, 0);
        (G2_0, G2_1, G2_2, G2_3) = (p.vk[0], p.vk[1], p.vk[2], p.vk[3]);
        (T2_0, T2_1, T2_2, T2_3) = (p.vk[4], p.vk[5], p.vk[6], p.vk[7]);
        // Most words absorbed between two challenges: the batched opening's claims (7 claims
        // of at most `vars` coordinates) dominate.
        uint256 vars = max(LOG_M + LOG_N, max(LOG_K + LOG_N, p.shift));
        CAPACITY = 32 + 8 * (3 + vars);
    }

    function vk() internal view returns (HyperKZG.Vk memory v) {
        v.g2 = [G2_0, G2_1, G2_2, G2_3];
        v.tauG2 = [T2_0, T2_1, T2_2, T2_3];
    }

    function log2Ceil(uint256 x) private pure returns (uint256 l) {
        while ((1 << l) < x) l++;
    }

    function max(uint256 a, uint256 b) private pure returns (uint256) {
        return a > b ? a : b;
    }
}
