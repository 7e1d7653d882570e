// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

/// @notice A contract told of a claim in the same call that posts it
///         (`InferenceGame.claimAndCall`): the oracle binds an answer to its answerer and request
///         this way, so that no one can copy a claim's public data into a claim of their own
///         before it answers.
interface IClaimListener {
    function onClaim(uint256 claimId, address submitter, uint256 tag) external;
}
