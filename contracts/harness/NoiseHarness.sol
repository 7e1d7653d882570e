// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {GumbelNoise} from "../src/GumbelNoise.sol";

/// @title NoiseHarness — GumbelNoise behind an ABI, for differential tests only
/// @notice Exposes the library so the Rust tests run the compiled code on the in-process EVM
///         and compare it with `verinfer_llm::noise`; `noiseGas` measures one derivation.
contract NoiseHarness {
    function log2Fix(uint256 x) external pure returns (uint256) {
        return GumbelNoise.log2Fix(x);
    }

    function noise(uint64 seed, uint32 temp, uint64 s, uint64 j) external pure returns (int256) {
        return GumbelNoise.noise(seed, temp, s, j);
    }

    function noiseGas(uint64 seed, uint32 temp, uint64 s, uint64 j) external view returns (int256 v, uint256 gas) {
        uint256 g0 = gasleft();
        v = GumbelNoise.noise(seed, temp, s, j);
        gas = g0 - gasleft();
    }
}
