// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

/// @title GumbelNoise — the sampling noise N(seed, T, s, j) of a sampling step graph
/// @notice A sampled generation's step s adds `noise[j] = N(seed, T, s, j)` to `logits[j]·2^16`
///         and takes the first maximum (Gumbel-max: a draw from softmax(logits / T)). The noise is
///         a function of the request only, so the dispute game recomputes the one element it is
///         shown. Every operation here must agree bit for bit with `verinfer_llm::noise` (Rust);
///         the two are differential-tested through `NoiseHarness`.
/// @dev In integers only (R = 32 fractional bits, mantissa of 62):
///      h = first 8 bytes of keccak256(abi.encode(uint64 seed, uint64 s, uint64 j)); a = 2h + 1;
///      L = 65·2^R − log2(a); t = R·2^R − log2(L) + C (C = −log2(ln 2)·2^R);
///      noise = floor(t · LN2 · temp / 2^(2R)) (LN2 = ln 2 · 2^R), i.e. G·T in Q.16 with
///      G = −ln(−ln u), u = a / 2^65. log2 is bit-serial (one squaring per fractional bit,
///      truncating). Seed 0 is greedy: the noise is 0.
library GumbelNoise {
    uint256 internal constant R = 32;
    uint256 internal constant P = 62;
    int256 internal constant C = 2271034279;
    int256 internal constant LN2 = 2977044472;

    /// @notice log2(x) of an integer x ≥ 1 in Q.32, truncated bit by bit (0 for x = 0).
    function log2Fix(uint256 x) internal pure returns (uint256 r) {
        if (x == 0) return 0;
        uint256 n = 0;
        uint256 v = x;
        while (v > 1) {
            v >>= 1;
            ++n;
        }
        uint256 y = n <= P ? x << (P - n) : x >> (n - P);
        r = n << R;
        unchecked {
            for (uint256 i = R; i > 0; --i) {
                y = (y * y) >> P;
                if (y >= (uint256(2) << P)) {
                    y >>= 1;
                    r |= uint256(1) << (i - 1);
                }
            }
        }
    }

    /// @notice The 64-bit draw of element j of step s.
    function draw(uint64 seed, uint64 s, uint64 j) internal pure returns (uint64) {
        return uint64(uint256(keccak256(abi.encode(seed, s, j))) >> 192);
    }

    /// @notice G = t · ln 2 / 2^32 for a draw h.
    function gumbelT(uint64 h) internal pure returns (int256) {
        uint256 a = 2 * uint256(h) + 1;
        uint256 l = (uint256(65) << R) - log2Fix(a);
        return int256(R << R) - int256(log2Fix(l)) + C;
    }

    /// @notice N(seed, temp, s, j): G·T in Q.16 (temp = T·2^16); 0 for seed 0.
    function noise(uint64 seed, uint32 temp, uint64 s, uint64 j) internal pure returns (int256) {
        if (seed == 0) return 0;
        return (gumbelT(draw(seed, s, j)) * LN2 * int256(uint256(temp))) >> (2 * R);
    }
}
