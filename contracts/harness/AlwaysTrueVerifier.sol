// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {IGroth16Verifier} from "../src/IGroth16Verifier.sol";

/// @title AlwaysTrueVerifier — an attacker's "verifier" that accepts every proof
/// @notice For the attack tests only: what a malicious model owner (or a registration squatter)
///         would publish as a model's zk configuration to answer requests with anything.
///         Never deployed for real.
contract AlwaysTrueVerifier is IGroth16Verifier {
    uint256 internal immutable count;

    constructor(uint256 publicInputs) {
        count = publicInputs;
    }

    function publicInputCount() external view returns (uint256) {
        return count;
    }

    function verifyProof(uint256[8] calldata, uint256[] calldata) external pure returns (bool) {
        return true;
    }
}
