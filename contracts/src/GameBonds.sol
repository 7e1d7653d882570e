// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

/// @title GameBonds — the parameters, chess clocks and payouts every dispute game shares
/// @notice Bonds, window, clock, burn and reveal depth (immutables, public), the pull-payment
///         ledger and the rules that move bonds when a game ends, for `InferenceGame` (claims
///         of one run) and `GenerationGame` (claims of whole generations). Written once so that
///         the two games cannot drift apart on what a win pays or how a clock runs out.
abstract contract GameBonds {
    /// @notice Bond of a claim; pays the winning challenger (less the burn).
    uint256 public immutable submitterBond;
    /// @notice Bond of a challenge; pays the submitter when the challenge fails (less the burn).
    uint256 public immutable challengerBond;
    /// @notice Seconds after a claim during which games may be opened.
    uint64 public immutable challengeWindow;
    /// @notice Chess-clock budget of each party in each game (seconds).
    uint64 public immutable clock;
    /// @notice Share of a forfeited bond that is burned (basis points), so that a colluding
    ///         submitter/challenger pair cannot recycle bonds for free.
    uint16 public immutable burnBps;
    /// @notice d: a reveal shows the 2^d nodes d levels below the current one.
    uint8 public immutable revealDepth;

    /// Each challenger's share of a rejected claim's forfeited bond (the bond less the burn,
    /// split equally among the games open when the claim was rejected), so that a liar's own
    /// challenger cannot take it all and leave the honest ones with nothing.
    mapping(uint256 claimId => uint256) public forfeitShare;
    /// @notice Pull payments owed to each address.
    mapping(address => uint256) public owed;
    /// @notice Total wei burned (held here forever: no function can move it).
    uint256 public burned;

    error WrongBond(uint256 expected, uint256 got);
    error ClockExpired(uint256 gameId);
    error ClockRunning(uint256 gameId, uint256 remaining);
    error NothingOwed();
    error TransferFailed();

    constructor(
        uint256 submitterBond_,
        uint256 challengerBond_,
        uint64 challengeWindow_,
        uint64 clock_,
        uint16 burnBps_,
        uint8 revealDepth_
    ) {
        require(burnBps_ <= 10_000, "burnBps > 100%");
        require(revealDepth_ >= 1 && revealDepth_ <= 8, "revealDepth outside 1..8");
        submitterBond = submitterBond_;
        challengerBond = challengerBond_;
        challengeWindow = challengeWindow_;
        clock = clock_;
        burnBps = burnBps_;
        revealDepth = revealDepth_;
    }

    /// @dev The mover's clock `left` less the time since `lastMove`; reverts once it ran out.
    function _charge(uint256 gameId, uint64 lastMove, uint64 left) internal view returns (uint64) {
        uint64 elapsed = uint64(block.timestamp) - lastMove;
        if (elapsed > left) revert ClockExpired(gameId);
        return left - elapsed;
    }

    /// @dev Reverts unless the mover's clock `left` has run out since `lastMove`.
    function _requireExpired(uint256 gameId, uint64 lastMove, uint64 left) internal view {
        uint256 elapsed = block.timestamp - lastMove;
        if (elapsed <= left) revert ClockRunning(gameId, left - elapsed);
    }

    /// @dev A challenge failed: its bond, less the burn, to the submitter.
    function _payChallengeLost(address submitter) internal {
        uint256 burn = (challengerBond * burnBps) / 10_000;
        burned += burn;
        owed[submitter] += challengerBond - burn;
    }

    /// @dev A claim was rejected by `challenger`'s game while `othersOpen` other games were
    ///      open: every one of them was right, so each challenger gets an equal share of the
    ///      forfeited bond less the burn (the others through `_payMoot`); the rounding
    ///      remainder is burned too.
    function _payClaimRejected(uint256 claimId, address challenger, uint256 othersOpen) internal {
        uint256 pool = submitterBond - (submitterBond * burnBps) / 10_000;
        uint256 share = pool / (othersOpen + 1);
        forfeitShare[claimId] = share;
        burned += submitterBond - share * (othersOpen + 1);
        owed[challenger] += challengerBond + share;
    }

    /// @dev A game left open when another rejected its claim: bond back plus its share.
    function _payMoot(uint256 claimId, address challenger) internal {
        owed[challenger] += challengerBond + forfeitShare[claimId];
    }

    /// @notice Withdraws everything owed to the caller.
    function withdraw() external {
        uint256 amount = owed[msg.sender];
        if (amount == 0) revert NothingOwed();
        owed[msg.sender] = 0;
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert TransferFailed();
    }
}
