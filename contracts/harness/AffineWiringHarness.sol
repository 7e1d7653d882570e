// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {AffineWiring} from "../src/sumcheck/AffineWiring.sol";

/// @title AffineWiringHarness — exposes `AffineWiring.eval` for the Rust differential tests
contract AffineWiringHarness {
    /// @notice `(M̃_ρ(σ), F_ρ)` of the form `desc` and the words it spans.
    function eval(uint256[] calldata desc, uint256[] calldata rho, uint256[] calldata sigma)
        external
        pure
        returns (uint256 m, uint256 fw, uint256 used)
    {
        (m, fw, used) = AffineWiring.eval(desc, 0, rho, sigma);
    }
}
