// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {IProofVerifier} from "../src/IProofVerifier.sol";

/// @title AlwaysTrueVerifier — an attacker's "verifier" that accepts every proof
/// @notice For the attack tests only: what a malicious model owner (or a registration squatter)
///         would publish as a model's zk configuration to answer requests with anything.
///         Never deployed for real.
contract AlwaysTrueVerifier is IProofVerifier {
    function verify(bytes calldata, bytes32) external pure returns (bool) {
        return true;
    }
}
