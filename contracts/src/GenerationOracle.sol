// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {MerkleLib} from "./MerkleLib.sol";
import {IGenerationConsumer} from "./IGenerationConsumer.sol";

/// @notice What the text oracle reads from the model registry (ModelRegistry.sol).
interface IGenRegistry {
    function isRegistered(bytes32 modelId) external view returns (bool);
    function ownerOf(bytes32 modelId) external view returns (address);
}

/// @notice What the text oracle reads from `GenerationGame`. The struct mirrors
///         `GenerationGame.Claim` field for field (`status` is its uint8: 0 None, 1 Pending,
///         2 Finalized, 3 Rejected).
interface IGenGame {
    struct GenClaim {
        bytes32 modelId;
        address submitter;
        uint64 windowEnd;
        uint32 openGames;
        uint8 status;
        bytes32 root;
        bytes32 promptRoot;
        bytes32 tokensRoot;
        uint64 promptLen;
        uint64 numTokens;
        uint64 seed;
        uint32 temp;
    }

    function getClaim(uint256 claimId) external view returns (GenClaim memory);
    function claimCount() external view returns (uint256);
    function genModels(bytes32 modelId)
        external
        view
        returns (
            bool known,
            uint64 numValues,
            uint64 layers,
            uint64 row,
            uint64 ctx,
            uint64 vocab,
            bool sampling
        );
}

/// @title GenerationOracle — paid text requests answered by optimistic generation claims
/// @notice Lifecycle of a request (docs/oracle.md, "Text requests"):
///
///           request ──▶ Open ──answer (a GenerationGame claim)──▶ Claimed ──settle (claim Finalized)──▶ Fulfilled
///                        │                                        │ ▲ more answers while none is final
///                        └──cancel (requester, after cancelDelay, every answer Rejected)──────────────▶ Cancelled
///
///         A request names a step graph learned by `GenerationGame`, the prompt's token ids
///         (tokenized off chain with the model's tokenizer), how many tokens to generate, and
///         the sampling: a seed and a temperature T·2^16 (≤ 8·2^16). Seed 0 or T 0 is greedy
///         decoding (stored as seed 0, T 0); a sampled request needs a step graph compiled
///         with the `noise` input (`ModelCannotSample` otherwise). A node answers by posting a
///         claim in `GenerationGame` (prompt, exactly `maxNewTokens` tokens, the root over its
///         steps' trace roots; `claimSampled` with the request's seed and T for a sampled
///         request) and then calling `answer` from the claim's submitter account; the claim
///         must be made after the request, with the request's seed and T (`SamplingMismatch`:
///         a generation of another seed is a correct claim of another request). Several answers may stand (at
///         most MAX_ANSWERS) so that a lying one cannot lock the request; the first one the
///         game finalizes settles it, delivering the tokens to `IGenerationConsumer`.
///         Copies: a claim's data is public once posted, so someone may copy it into a claim
///         of their own and answer first. Two standing answers never carry the same tokens;
///         the one whose claim was posted first (lower claim id) keeps the place, so a copy
///         (posted after the original was on chain) is replaced when the original answers.
/// @dev A separate contract from `InferenceOracle` (tensor requests, zk answers): that one is
///      16 kB of 24 kB and the two request kinds share no state; fees, pull payments and the
///      exact-gas callback follow it rule for rule. No owner, no admin.
contract GenerationOracle {
    IGenRegistry public immutable registry;
    IGenGame public immutable game;
    /// @notice Minimum fee of a request (wei); the whole `msg.value` is the request's fee.
    uint256 public immutable fee;
    /// @notice Share of a fee paid to the model's owner (basis points); the rest to the node.
    uint16 public immutable ownerShareBps;
    /// @notice Seconds after a request before its requester may cancel it.
    uint64 public immutable cancelDelay;
    /// @notice Largest callback gas limit a request may ask for (settling pays for it).
    uint64 public immutable maxCallbackGas;

    /// @notice Gas kept back beyond the callback's own limit (the CALL itself, the event).
    uint256 internal constant CALLBACK_RESERVE = 20_000;
    /// @notice Answers a request may hold (each with its bond in the game).
    uint256 public constant MAX_ANSWERS = 8;
    /// @notice Largest temperature a request may ask for (`GenerationGame.MAX_TEMP`: 8.0 in Q.16).
    uint32 public constant MAX_TEMP = 8 << 16;

    enum Status {
        None,
        Open,
        Claimed,
        Fulfilled,
        Cancelled
    }

    struct Request {
        bytes32 modelId;
        address requester;
        uint64 createdAt;
        Status status;
        address callback;
        uint64 callbackGasLimit;
        /// Tokens to generate: an answering claim posts exactly this many.
        uint32 maxNewTokens;
        /// Who answered (Claimed: the latest answer's submitter; Fulfilled: the node paid).
        address answerer;
        uint64 promptLen;
        uint256 fee;
        /// MerkleLib tensor root of the prompt (the `TextRequested` event holds the prompt).
        bytes32 promptRoot;
        /// `GenerationGame.claimCount()` when the request was made: answers are claims at or
        /// after it, so no claim made before the request was public can answer it.
        uint256 claimFloor;
        /// The latest answering claim while Claimed; the claim that fulfilled it.
        uint256 claimId;
        /// Sampling seed (0: greedy); an answering claim states the same.
        uint64 seed;
        /// Temperature T·2^16 (0 when greedy); an answering claim states the same.
        uint32 temp;
    }

    Request[] internal requests;
    mapping(uint256 requestId => int32[]) internal tokenData;
    mapping(uint256 requestId => uint256[]) internal claimHistory;
    /// @notice Pull payments owed to each address.
    mapping(address => uint256) public owed;

    event TextRequested(
        uint256 indexed requestId,
        bytes32 indexed modelId,
        address indexed requester,
        uint256 fee,
        address callback,
        uint64 callbackGasLimit,
        uint32 maxNewTokens,
        int32[] prompt,
        uint64 seed,
        uint32 temp
    );
    event Answered(uint256 indexed requestId, uint256 indexed claimId, address indexed answerer);
    /// @notice `copy`'s answer gave its place to `original`, the earlier claim with its tokens.
    event AnswerReplaced(uint256 indexed requestId, uint256 indexed copy, uint256 indexed original);
    event Fulfilled(
        uint256 indexed requestId, address indexed answerer, address indexed modelOwner, uint256 ownerShare, uint256 answererShare
    );
    event CallbackDelivered(uint256 indexed requestId, address indexed callback);
    event CallbackFailed(uint256 indexed requestId, address indexed callback);
    event Cancelled(uint256 indexed requestId, uint256 refund);
    event Withdrawn(address indexed account, uint256 amount);

    error InvalidParameter(string what);
    error FeeTooLow(uint256 required, uint256 paid);
    error CallbackGasTooHigh(uint256 max, uint256 got);
    error UnknownModel(bytes32 modelId);
    error ModelNotLearned(bytes32 modelId);
    error ModelCannotSample(bytes32 modelId);
    error TemperatureTooHigh(uint32 max, uint32 got);
    error SamplingMismatch(uint256 requestId, uint256 claimId);
    error EmptyPrompt();
    error NoNewTokens();
    error TooLongForContext(uint256 ctx, uint256 steps);
    error TokenOutsideVocab(uint256 index, int32 token, uint256 vocab);
    error NoSuchRequest(uint256 requestId);
    error NotOpen(uint256 requestId, Status status);
    error NotClaimed(uint256 requestId, Status status);
    error NotFinal(uint256 requestId);
    error ClaimBeforeRequest(uint256 claimId, uint256 floor);
    error NotSubmitter(uint256 claimId, address caller);
    error ClaimNotPending(uint256 claimId, uint8 status);
    error ModelMismatch(bytes32 requestModel, bytes32 claimModel);
    error PromptMismatch(uint256 requestId, uint256 claimId);
    error WrongTokenCount(uint256 expected, uint256 got);
    error TooManyAnswers(uint256 requestId);
    error DuplicateAnswer(uint256 requestId, uint256 standingClaimId);
    error AnswerStanding(uint256 requestId, uint256 claimId);
    error NotRequester(uint256 requestId, address caller);
    error CancelTooEarly(uint256 requestId, uint256 availableAt);
    error InsufficientGasForCallback(uint256 left, uint256 needed);
    error NothingOwed();
    error TransferFailed();

    constructor(
        address registry_,
        address game_,
        uint256 fee_,
        uint16 ownerShareBps_,
        uint64 cancelDelay_,
        uint64 maxCallbackGas_
    ) {
        if (registry_.code.length == 0) revert InvalidParameter("registry");
        if (game_.code.length == 0) revert InvalidParameter("game");
        if (ownerShareBps_ > 10_000) revert InvalidParameter("ownerShareBps > 100%");
        registry = IGenRegistry(registry_);
        game = IGenGame(game_);
        fee = fee_;
        ownerShareBps = ownerShareBps_;
        cancelDelay = cancelDelay_;
        maxCallbackGas = maxCallbackGas_;
    }

    // ================================================================== requests

    /// @notice The least a request with `callbackGasLimit` pays: the fee plus its callback's
    ///         gas at this block's base fee (whoever settles pays for the callback).
    function requiredFee(uint64 callbackGasLimit) public view returns (uint256) {
        return fee + uint256(callbackGasLimit) * block.basefee;
    }

    /// @notice Asks for `maxNewTokens` tokens of `modelId` (a step graph `GenerationGame`
    ///         learned) after `prompt` (token ids), sampled with `seed` at temperature
    ///         `temp` = T·2^16 (seed 0 or T 0: greedy; a sampled request needs a sampling step
    ///         graph, else `ModelCannotSample`). `callback` (zero for none) gets `onGeneration`
    ///         with exactly `callbackGasLimit` gas on fulfilment.
    ///         Refused: a prompt token outside the vocabulary, or a prompt plus generation that
    ///         needs more steps (P + N − 1) than the model's context has cache rows.
    function request(
        bytes32 modelId,
        int32[] calldata prompt,
        uint32 maxNewTokens,
        uint64 seed,
        uint32 temp,
        address callback,
        uint64 callbackGasLimit
    ) external payable returns (uint256 requestId) {
        if (temp > MAX_TEMP) revert TemperatureTooHigh(MAX_TEMP, temp);
        if (seed == 0 || temp == 0) (seed, temp) = (0, 0);
        _checkRequest(modelId, prompt, maxNewTokens, seed, callbackGasLimit);
        requestId = requests.length;
        requests.push(
            Request({
                modelId: modelId,
                requester: msg.sender,
                createdAt: uint64(block.timestamp),
                status: Status.Open,
                callback: callback,
                callbackGasLimit: callbackGasLimit,
                maxNewTokens: maxNewTokens,
                answerer: address(0),
                promptLen: uint64(prompt.length),
                fee: msg.value,
                promptRoot: MerkleLib.tensorRoot(prompt),
                claimFloor: game.claimCount(),
                claimId: 0,
                seed: seed,
                temp: temp
            })
        );
        emit TextRequested(
            requestId, modelId, msg.sender, msg.value, callback, callbackGasLimit, maxNewTokens, prompt, seed, temp
        );
    }

    /// @dev Every check of `request` (split out of it for the stack).
    function _checkRequest(
        bytes32 modelId,
        int32[] calldata prompt,
        uint32 maxNewTokens,
        uint64 seed,
        uint64 callbackGasLimit
    ) internal view {
        if (callbackGasLimit > maxCallbackGas) revert CallbackGasTooHigh(maxCallbackGas, callbackGasLimit);
        uint256 required = requiredFee(callbackGasLimit);
        if (msg.value < required) revert FeeTooLow(required, msg.value);
        if (!registry.isRegistered(modelId)) revert UnknownModel(modelId);
        (bool known,,,, uint64 ctx, uint64 vocab, bool sampling) = game.genModels(modelId);
        if (!known) revert ModelNotLearned(modelId);
        if (seed != 0 && !sampling) revert ModelCannotSample(modelId);
        if (prompt.length == 0) revert EmptyPrompt();
        if (maxNewTokens == 0) revert NoNewTokens();
        uint256 steps = prompt.length + maxNewTokens - 1;
        if (steps > ctx) revert TooLongForContext(ctx, steps);
        for (uint256 i = 0; i < prompt.length; ++i) {
            int32 t = prompt[i];
            if (t < 0 || uint256(int256(t)) >= vocab) revert TokenOutsideVocab(i, t, vocab);
        }
    }

    /// @notice The caller's generation claim `claimId` answers request `requestId`: a Pending
    ///         claim made after the request by the caller, for its model and prompt, with
    ///         exactly `maxNewTokens` tokens and the request's seed and temperature, whose
    ///         tokens no earlier standing answer carries.
    function answer(uint256 requestId, uint256 claimId) external {
        Request storage r = _request(requestId);
        if (r.status != Status.Open && r.status != Status.Claimed) revert NotOpen(requestId, r.status);
        if (claimId < r.claimFloor) revert ClaimBeforeRequest(claimId, r.claimFloor);
        IGenGame.GenClaim memory c = game.getClaim(claimId);
        if (c.submitter != msg.sender) revert NotSubmitter(claimId, msg.sender);
        if (c.status != 1) revert ClaimNotPending(claimId, c.status);
        if (c.modelId != r.modelId) revert ModelMismatch(r.modelId, c.modelId);
        if (c.promptRoot != r.promptRoot || c.promptLen != r.promptLen) revert PromptMismatch(requestId, claimId);
        if (c.numTokens != r.maxNewTokens) revert WrongTokenCount(r.maxNewTokens, c.numTokens);
        if (c.seed != r.seed || c.temp != r.temp) revert SamplingMismatch(requestId, claimId);

        uint256[] storage history = claimHistory[requestId];
        for (uint256 i = 0; i < history.length; ++i) {
            IGenGame.GenClaim memory o = game.getClaim(history[i]);
            if (o.tokensRoot != c.tokensRoot || o.status == 3) continue;
            if (history[i] <= claimId) revert DuplicateAnswer(requestId, history[i]);
            // A later claim with these tokens answered first: a copy gives way to its original.
            emit AnswerReplaced(requestId, history[i], claimId);
            history[i] = claimId;
            _record(requestId, r, claimId, msg.sender);
            return;
        }
        if (history.length >= MAX_ANSWERS) revert TooManyAnswers(requestId);
        history.push(claimId);
        _record(requestId, r, claimId, msg.sender);
    }

    function _record(uint256 requestId, Request storage r, uint256 claimId, address answerer) internal {
        r.status = Status.Claimed;
        r.claimId = claimId;
        r.answerer = answerer;
        emit Answered(requestId, claimId, answerer);
    }

    /// @notice Fulfils a Claimed request with `tokens`, the tokens of one of its answering
    ///         claims that the game has finalized (anyone may call; count and root checked):
    ///         pays that claim's submitter, then calls back.
    function settle(uint256 requestId, int32[] calldata tokens) external {
        Request storage r = _request(requestId);
        if (r.status != Status.Claimed) revert NotClaimed(requestId, r.status);
        if (tokens.length != r.maxNewTokens) revert WrongTokenCount(r.maxNewTokens, tokens.length);
        bytes32 root = MerkleLib.tensorRoot(tokens);
        uint256[] storage history = claimHistory[requestId];
        for (uint256 i = 0; i < history.length; ++i) {
            IGenGame.GenClaim memory c = game.getClaim(history[i]);
            if (c.status == 2 && c.tokensRoot == root) {
                r.claimId = history[i];
                r.answerer = c.submitter;
                tokenData[requestId] = tokens;
                _fulfil(requestId, r);
                return;
            }
        }
        revert NotFinal(requestId);
    }

    /// @notice The requester takes the fee back (as a pull payment) from a request not
    ///         fulfilled `cancelDelay` seconds after it was made, once every answer is Rejected.
    function cancel(uint256 requestId) external {
        Request storage r = _request(requestId);
        if (msg.sender != r.requester) revert NotRequester(requestId, msg.sender);
        if (r.status != Status.Open && r.status != Status.Claimed) revert NotOpen(requestId, r.status);
        uint256[] storage history = claimHistory[requestId];
        for (uint256 i = 0; i < history.length; ++i) {
            if (game.getClaim(history[i]).status != 3) revert AnswerStanding(requestId, history[i]);
        }
        uint256 availableAt = uint256(r.createdAt) + cancelDelay;
        if (block.timestamp < availableAt) revert CancelTooEarly(requestId, availableAt);
        r.status = Status.Cancelled;
        owed[msg.sender] += r.fee;
        emit Cancelled(requestId, r.fee);
    }

    /// @notice Withdraws everything owed to the caller.
    function withdraw() external {
        uint256 amount = owed[msg.sender];
        if (amount == 0) revert NothingOwed();
        owed[msg.sender] = 0;
        emit Withdrawn(msg.sender, amount);
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert TransferFailed();
    }

    // ================================================================== views

    function requestCount() external view returns (uint256) {
        return requests.length;
    }

    function getRequest(uint256 requestId) external view returns (Request memory) {
        return _request(requestId);
    }

    /// @notice The generated tokens of a Fulfilled request (empty otherwise: a standing
    ///         claim's tokens are in its `GenerationClaimed` event).
    function tokensOf(uint256 requestId) external view returns (int32[] memory) {
        _request(requestId);
        return tokenData[requestId];
    }

    /// @notice The claims standing as answers (and rejected ones), oldest answer first.
    function claimsOf(uint256 requestId) external view returns (uint256[] memory) {
        _request(requestId);
        return claimHistory[requestId];
    }

    // ================================================================== internals

    function _request(uint256 requestId) internal view returns (Request storage) {
        if (requestId >= requests.length) revert NoSuchRequest(requestId);
        return requests[requestId];
    }

    /// @dev Marks the request fulfilled, credits the fee split, then calls back with the
    ///      stored tokens; everything the callback could observe or re-enter is final first.
    function _fulfil(uint256 requestId, Request storage r) internal {
        r.status = Status.Fulfilled;
        address modelOwner = registry.ownerOf(r.modelId);
        uint256 ownerShare = (r.fee * ownerShareBps) / 10_000;
        uint256 answererShare = r.fee - ownerShare;
        owed[modelOwner] += ownerShare;
        owed[r.answerer] += answererShare;
        emit Fulfilled(requestId, r.answerer, modelOwner, ownerShare, answererShare);

        address cb = r.callback;
        if (cb == address(0)) return;
        bytes memory data =
            abi.encodeCall(IGenerationConsumer.onGeneration, (requestId, r.modelId, tokenData[requestId]));
        if (cb.code.length == 0) {
            emit CallbackFailed(requestId, cb);
            return;
        }
        uint256 gasAmount = r.callbackGasLimit;
        uint256 needed = gasAmount + gasAmount / 63 + CALLBACK_RESERVE;
        uint256 left = gasleft();
        if (left < needed) revert InsufficientGasForCallback(left, needed);
        bool success;
        assembly ("memory-safe") {
            success := call(gasAmount, cb, 0, add(data, 0x20), mload(data), 0, 0)
        }
        if (success) emit CallbackDelivered(requestId, cb);
        else emit CallbackFailed(requestId, cb);
    }
}
