// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {MerkleLib} from "./MerkleLib.sol";
import {PublicInputs} from "./PublicInputs.sol";
import {ZkStatement} from "./ZkStatement.sol";
import {IInferenceConsumer} from "./IInferenceConsumer.sol";
import {IProofVerifier} from "./IProofVerifier.sol";

/// @notice What the oracle reads from the model registry (ModelRegistry.sol).
interface IOracleRegistry {
    function isRegistered(bytes32 modelId) external view returns (bool);
    function ownerOf(bytes32 modelId) external view returns (address);
}

/// @notice What the oracle reads from the dispute game (InferenceGame.sol). The struct mirrors
///         `InferenceGame.Claim` field for field (the enum `status` is its uint8:
///         0 None, 1 Pending, 2 Finalized, 3 Rejected).
interface IOracleGame {
    struct GameClaim {
        bytes32 modelId;
        address submitter;
        uint64 windowEnd;
        uint32 openGames;
        uint8 status;
        bool bondPaid;
        bytes32 traceRoot;
        bytes32 inputsHash;
        bytes32 outputsHash;
    }

    function getClaim(uint256 claimId) external view returns (GameClaim memory);
    function claimCount() external view returns (uint256);
    function inputPosted(uint256 claimId) external view returns (bool);
    function validateInput(bytes32 modelId, int32[][] calldata input) external view;
    function models(bytes32 modelId)
        external
        view
        returns (bool known, bytes32 graphDigest, uint64 numInputs, uint64 numNodes, uint64 numParams);
    function modelOutputs(bytes32 modelId) external view returns (uint256[] memory ids, uint256[] memory lens);
}

/// @title InferenceOracle — paid inference requests answered optimistically or by a zk proof
/// @notice Lifecycle of a request (docs/oracle.md; ABI v4):
///
///           request ──▶ Open ──answer (claimAndCall)──▶ Claimed ──settle (a claim Finalized)──▶ Fulfilled
///                        │                              │ ▲ more answers while no claim is final
///                        ├──answerWithProof─────────────┴─┴────────────────────────────────▶ Fulfilled
///                        └──cancel (requester, after cancelDelay, no answer standing)───────▶ Cancelled
///
///         - Optimistic: a node posts its claim through `InferenceGame.claimAndCall` with this
///           oracle as listener and the request id as tag: the claim and the answer are one
///           call, so the claim is made after the request (its input was public for the whole
///           window) and nobody can copy its data into an answer of their own first. Several
///           answers may stand at once (at most MAX_ANSWERS), so a lying claim cannot lock the
///           request; the first claim the game finalizes settles it.
///         - zk: `answerWithProof` with a proof, in whatever backend's encoding, that the
///           `IProofVerifier` of the zk configuration the requester pinned (`request`'s
///           `zkVersion`; 0 refuses zk answers) accepts; final at once, also while optimistic
///           answers stand. The statement is the `ZkStatement` digest bound to this oracle,
///           the request and the answerer (docs/oracle.md §2–3). A request stores hashes of its input, never the input: the
///           `Requested` event carries it.
///         On fulfilment the fee is split (`ownerShareBps` to the model's owner, the rest to the
///         answering node) as pull payments, and the requester's callback runs with exactly
///         the gas it asked for; its failure never blocks settlement.
/// @dev No owner, no admin: every parameter is fixed at deployment. Model owners only publish
///      zk configurations (immutable once published, numbered); a request names the one it
///      accepts, so no configuration published later applies to it.
contract InferenceOracle {
    // ------------------------------------------------------------------ configuration
    IOracleRegistry public immutable registry;
    IOracleGame public immutable game;
    /// @notice Minimum fee of a request (wei); the whole `msg.value` is the request's fee.
    uint256 public immutable fee;
    /// @notice Share of a fee paid to the model's owner (basis points); the rest goes to the
    ///         node that answered.
    uint16 public immutable ownerShareBps;
    /// @notice Seconds after a request before its requester may cancel it (if still Open).
    uint64 public immutable cancelDelay;
    /// @notice Largest callback gas limit a request may ask for (settling pays for it).
    uint64 public immutable maxCallbackGas;

    /// @notice Gas kept back beyond the callback's own limit before calling it: the CALL
    ///         itself (cold account, memory) and the event after it.
    uint256 internal constant CALLBACK_RESERVE = 20_000;
    /// @notice Optimistic answers a request may hold (each with its bond in the game).
    uint256 public constant MAX_ANSWERS = 8;

    // ------------------------------------------------------------------ requests
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
        /// The zk configuration the requester accepts (0: no zk answers).
        uint32 zkVersion;
        /// Who answered (Claimed: the claim's submitter; Fulfilled: the node paid).
        address answerer;
        /// Fulfilled through a zk proof (false: through a claim).
        bool viaProof;
        uint256 fee;
        /// The block the request was made in (its `Requested` event holds the input).
        uint64 createdBlock;
        /// keccak256(abi.encode(inputRoots)): what a claim's `inputsHash` must equal.
        bytes32 inputsHash;
        /// ZkStatement class digest of the input packed at the pinned zk configuration's
        /// width (zero when the request refuses zk): all a zk answer needs of the input, so
        /// the input itself is not stored (it is in the `Requested` event).
        bytes32 zkInputDigest;
        /// The latest claim answering the request while Claimed; the claim that fulfilled it.
        uint256 claimId;
    }

    Request[] internal requests;
    /// Outputs of a Fulfilled request.
    mapping(uint256 requestId => int32[][]) internal outputData;
    mapping(uint256 requestId => uint256[]) internal claimHistory;

    // ------------------------------------------------------------------ zk configuration
    struct ZkConfig {
        /// The `IProofVerifier` of the model's keys (any backend; statement: the digest).
        address verifier;
        uint8 inputBits;
        uint8 outputBits;
        bool hasParamHash;
        /// The configuration's number (the model's first: 1).
        uint32 version;
        uint256 paramHash;
    }

    /// Every zk configuration a model's owner published, by version; never changed after.
    mapping(bytes32 modelId => mapping(uint32 version => ZkConfig)) internal zkConfigs;
    mapping(bytes32 modelId => uint32) public zkLatest;

    /// @notice Pull payments owed to each address.
    mapping(address => uint256) public owed;

    // ------------------------------------------------------------------ events
    event Requested(
        uint256 indexed requestId,
        bytes32 indexed modelId,
        address indexed requester,
        uint256 fee,
        address callback,
        uint64 callbackGasLimit,
        bytes32[] inputRoots,
        int32[][] input
    );
    event AnsweredWithClaim(uint256 indexed requestId, uint256 indexed claimId, address indexed answerer);
    event AnsweredWithProof(uint256 indexed requestId, address indexed answerer, int32[][] outputs);
    event Fulfilled(
        uint256 indexed requestId, address indexed answerer, address indexed modelOwner, uint256 ownerShare, uint256 answererShare
    );
    event CallbackDelivered(uint256 indexed requestId, address indexed callback);
    event CallbackFailed(uint256 indexed requestId, address indexed callback);
    event Cancelled(uint256 indexed requestId, uint256 refund);
    event ZkVerifierSet(
        bytes32 indexed modelId,
        address indexed verifier,
        uint8 inputBits,
        uint8 outputBits,
        bool hasParamHash,
        uint256 paramHash,
        uint32 version
    );
    event Withdrawn(address indexed account, uint256 amount);

    // ------------------------------------------------------------------ errors
    error InvalidParameter(string what);
    error FeeTooLow(uint256 required, uint256 paid);
    error UnknownModel(bytes32 modelId);
    error ModelNotLearned(bytes32 modelId);
    error EmptyInput();
    error WrongInputCount(uint256 expected, uint256 got);
    error WrongOutputCount(uint256 expected, uint256 got);
    error WrongOutputLength(uint256 index, uint256 expected, uint256 got);
    error CallbackGasTooHigh(uint256 max, uint256 got);
    error NoSuchRequest(uint256 requestId);
    error NotOpen(uint256 requestId, Status status);
    error NotClaimed(uint256 requestId, Status status);
    error NotFinal(uint256 requestId);
    error NoSuchClaim(uint256 claimId);
    error ClaimNotPending(uint256 claimId, uint8 status);
    error ClaimNotFinalized(uint256 claimId, uint8 status);
    error ModelMismatch(bytes32 requestModel, bytes32 claimModel);
    error InputMismatch(uint256 requestId, uint256 claimId);
    error OutputMismatch(uint256 claimId);
    error NotRequester(uint256 requestId, address caller);
    error CancelTooEarly(uint256 requestId, uint256 availableAt);
    error NotModelOwner(bytes32 modelId, address caller);
    error NotAContract(address account);
    error ParamHashWithoutFlag();
    error NoZkVerifier(bytes32 modelId);
    error NoSuchZkVersion(bytes32 modelId, uint32 version);
    error ZkRefused(uint256 requestId);
    error TooManyAnswers(uint256 requestId);
    error NotGame(address caller);
    error InvalidInput(bytes reason);
    error AnswerStanding(uint256 requestId, uint256 claimId);
    error DuplicateAnswer(uint256 requestId, uint256 standingClaimId);
    error InvalidProof(uint256 requestId);
    /// @notice The configuration's `IProofVerifier` reverted (a malformed proof: its reason,
    ///         e.g. `Groth16ProofVerifier.MalformedProof(length)`, is `reason`).
    error VerifierReverted(uint256 requestId, bytes reason);
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
        registry = IOracleRegistry(registry_);
        game = IOracleGame(game_);
        fee = fee_;
        ownerShareBps = ownerShareBps_;
        cancelDelay = cancelDelay_;
        maxCallbackGas = maxCallbackGas_;
    }

    // ================================================================== requests

    /// @notice The least a request with `callbackGasLimit` pays: the fee, plus its callback's
    ///         gas at this block's base fee (whoever settles pays for the callback).
    function requiredFee(uint64 callbackGasLimit) public view returns (uint256) {
        return fee + uint256(callbackGasLimit) * block.basefee;
    }

    /// @notice Asks for `modelId` run on `input` (its tensors in the model's input order,
    ///         row-major), paying at least `requiredFee`. `callback` (zero for none) is called
    ///         with exactly `callbackGasLimit` gas when the request is fulfilled. `zkVersion`
    ///         is the model's zk configuration the requester trusts (0: answers by claim only);
    ///         it must be published, and no later configuration ever applies to this request.
    ///         The model must be learned by the game; the input must be one its executor runs
    ///         (`InferenceGame.validateInput`: tensor count, lengths, bit widths).
    function request(
        bytes32 modelId,
        int32[][] calldata input,
        address callback,
        uint64 callbackGasLimit,
        uint32 zkVersion
    ) external payable returns (uint256 requestId) {
        _checkRequest(modelId, input, callbackGasLimit, zkVersion);

        bytes32[] memory roots = _roots(input);
        bytes32 zkInputDigest;
        if (zkVersion != 0) {
            zkInputDigest =
                ZkStatement.classDigest(PublicInputs.packCalldata(input, zkConfigs[modelId][zkVersion].inputBits));
        }
        requestId = requests.length;
        requests.push(
            Request({
                modelId: modelId,
                requester: msg.sender,
                createdAt: uint64(block.timestamp),
                status: Status.Open,
                callback: callback,
                callbackGasLimit: callbackGasLimit,
                zkVersion: zkVersion,
                answerer: address(0),
                viaProof: false,
                createdBlock: uint64(block.number),
                fee: msg.value,
                inputsHash: keccak256(abi.encode(roots)),
                zkInputDigest: zkInputDigest,
                claimId: 0
            })
        );
        emit Requested(requestId, modelId, msg.sender, msg.value, callback, callbackGasLimit, roots, input);
    }

    /// @notice The game tells of a claim posted by `submitter` through
    ///         `InferenceGame.claimAndCall(claim, address(this), requestId)`: the claim answers
    ///         request `requestId` if it is for the request's model and input (a revert here
    ///         reverts the claim). Its outputs are in the game's `ClaimSubmitted` event when
    ///         posted; the request settles with them once the claim is final.
    function onClaim(uint256 claimId, address submitter, uint256 requestId) external {
        if (msg.sender != address(game)) revert NotGame(msg.sender);
        Request storage r = _request(requestId);
        if (r.status != Status.Open && r.status != Status.Claimed) revert NotOpen(requestId, r.status);
        if (claimHistory[requestId].length >= MAX_ANSWERS) revert TooManyAnswers(requestId);
        IOracleGame.GameClaim memory c = game.getClaim(claimId);
        if (c.modelId != r.modelId) revert ModelMismatch(r.modelId, c.modelId);
        if (c.inputsHash != r.inputsHash) revert InputMismatch(requestId, claimId);
        // A further answer must disagree with every standing one: a copy of a standing
        // answer's data (outputs and trace root are public once it is posted) cannot share
        // its fee, and an honest answer only needs to be posted again once the one with its
        // outputs is rejected.
        uint256[] storage history = claimHistory[requestId];
        for (uint256 i = 0; i < history.length; ++i) {
            IOracleGame.GameClaim memory o = game.getClaim(history[i]);
            if (o.outputsHash == c.outputsHash && o.status != 3) revert DuplicateAnswer(requestId, history[i]);
        }

        r.status = Status.Claimed;
        r.claimId = claimId;
        history.push(claimId);
        emit AnsweredWithClaim(requestId, claimId, submitter);
    }

    /// @dev Every check of `request` (split out of it for the stack).
    function _checkRequest(bytes32 modelId, int32[][] calldata input, uint64 callbackGasLimit, uint32 zkVersion)
        internal
        view
    {
        if (callbackGasLimit > maxCallbackGas) revert CallbackGasTooHigh(maxCallbackGas, callbackGasLimit);
        uint256 required = requiredFee(callbackGasLimit);
        if (msg.value < required) revert FeeTooLow(required, msg.value);
        if (!registry.isRegistered(modelId)) revert UnknownModel(modelId);
        if (input.length == 0) revert EmptyInput();
        (bool known,,,,) = game.models(modelId);
        if (!known) revert ModelNotLearned(modelId);
        try game.validateInput(modelId, input) {}
        catch (bytes memory reason) {
            revert InvalidInput(reason);
        }
        if (zkVersion != 0 && zkConfigs[modelId][zkVersion].version == 0) revert NoSuchZkVersion(modelId, zkVersion);
    }

    /// @notice Fulfils a Claimed request with `outputs`, the outputs of one of its answering
    ///         claims that the game has finalized (anyone may call; shape and roots checked):
    ///         pays that claim's submitter, then calls back.
    function settle(uint256 requestId, int32[][] calldata outputs) external {
        Request storage r = _request(requestId);
        if (r.status != Status.Claimed) revert NotClaimed(requestId, r.status);
        _checkOutputShape(r.modelId, outputs);
        bytes32 outputsHash = keccak256(abi.encode(_roots(outputs)));
        uint256[] storage history = claimHistory[requestId];
        for (uint256 i = 0; i < history.length; ++i) {
            IOracleGame.GameClaim memory c = game.getClaim(history[i]);
            if (c.status == 2 && c.outputsHash == outputsHash) {
                r.claimId = history[i];
                r.answerer = c.submitter;
                _store(outputData[requestId], outputs);
                _fulfil(requestId, r);
                return;
            }
        }
        revert NotFinal(requestId);
    }

    /// @notice Answers an Open or Claimed request with a proof of `outputs`, final at once,
    ///         against the zk configuration the request pinned (`ZkRefused` when none): its
    ///         `IProofVerifier` must accept `proof` (the backend's encoding) for the digest
    ///         statement of the input digest stored with the request, `outputs` and the context
    ///         this chain, this oracle, `requestId`, the caller — so a proof seen in the
    ///         mempool is of no use to anyone else. `InvalidProof` when the verifier says no,
    ///         `VerifierReverted` (its reason inside) when it reverts on a malformed proof.
    function answerWithProof(uint256 requestId, int32[][] calldata outputs, bytes calldata proof) external {
        Request storage r = _request(requestId);
        if (r.status != Status.Open && r.status != Status.Claimed) revert NotOpen(requestId, r.status);
        if (r.zkVersion == 0) revert ZkRefused(requestId);
        bytes32 modelId = r.modelId;
        ZkConfig storage cfg = zkConfigs[modelId][r.zkVersion];
        _checkOutputShape(modelId, outputs);
        bytes32 ctx = ZkStatement.contextWord(modelId, block.chainid, address(this), requestId, msg.sender);
        bytes32 statement = _statement(cfg, ctx, r.zkInputDigest, PublicInputs.pack(outputs, cfg.outputBits));
        try IProofVerifier(cfg.verifier).verify(proof, statement) returns (bool ok) {
            if (!ok) revert InvalidProof(requestId);
        } catch (bytes memory reason) {
            revert VerifierReverted(requestId, reason);
        }

        r.answerer = msg.sender;
        r.viaProof = true;
        _store(outputData[requestId], outputs);
        emit AnsweredWithProof(requestId, msg.sender, outputs);
        _fulfil(requestId, r);
    }

    /// @dev The digest statement of `cfg` (docs/oracle.md §3).
    function _statement(ZkConfig storage cfg, bytes32 ctx, bytes32 inputDigest, uint256[] memory outs)
        internal
        view
        returns (bytes32)
    {
        return ZkStatement.digestWord(
            ctx, inputDigest, cfg.hasParamHash ? cfg.paramHash : 0, ZkStatement.classDigest(outs)
        );
    }

    /// @notice The requester takes the fee back (as a pull payment) from a request not
    ///         fulfilled `cancelDelay` seconds after it was made, once none of its answers can
    ///         still settle it (every answering claim Rejected).
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

    // ================================================================== zk configuration

    /// @notice The model's owner (per the registry) publishes a zk configuration: the
    ///         `IProofVerifier` of its keys (any backend's adapter; the statement is the digest)
    ///         and the statement's layout (widths, weight hash). It gets the next version
    ///         number and never changes; requests and ERC-7007 collections name the version
    ///         they trust.
    function setZkVerifier(
        bytes32 modelId,
        IProofVerifier verifier,
        uint8 inputBits,
        uint8 outputBits,
        bool hasParamHash,
        uint256 paramHash
    ) external {
        if (registry.ownerOf(modelId) != msg.sender) revert NotModelOwner(modelId, msg.sender);
        if (address(verifier).code.length == 0) revert NotAContract(address(verifier));
        // perElement reverts BadBitWidth outside 1..=32.
        PublicInputs.perElement(inputBits);
        PublicInputs.perElement(outputBits);
        if (!hasParamHash && paramHash != 0) revert ParamHashWithoutFlag();
        uint32 version = zkLatest[modelId] + 1;
        zkLatest[modelId] = version;
        zkConfigs[modelId][version] = ZkConfig({
            verifier: address(verifier),
            inputBits: inputBits,
            outputBits: outputBits,
            hasParamHash: hasParamHash,
            version: version,
            paramHash: paramHash
        });
        emit ZkVerifierSet(modelId, address(verifier), inputBits, outputBits, hasParamHash, paramHash, version);
    }

    /// @notice The latest zk configuration of `modelId` (verifier zero: none).
    function zkConfig(bytes32 modelId) external view returns (ZkConfig memory) {
        return zkConfigs[modelId][zkLatest[modelId]];
    }

    /// @notice zk configuration `version` of `modelId` (verifier zero: none).
    function zkConfigAt(bytes32 modelId, uint32 version) external view returns (ZkConfig memory) {
        return zkConfigs[modelId][version];
    }

    /// @notice The statement a proof of `modelId` on (`inputs`, `outputs`) under configuration
    ///         `version` proves, bound to this chain, `contract_`, `tag` and `answerer` (this
    ///         oracle checks `answerWithProof` with itself, the request id and the caller; AIGC
    ///         with itself, the token id and the prover): what the configuration's
    ///         `IProofVerifier` is asked about. Reverts `NoZkVerifier`, or
    ///         `PublicInputs.ValueOutOfRange` for a value outside its width.
    function zkStatement(
        bytes32 modelId,
        uint32 version,
        address contract_,
        uint256 tag,
        address answerer,
        int32[][] calldata inputs,
        int32[][] calldata outputs
    ) external view returns (bytes32) {
        ZkConfig storage cfg = zkConfigs[modelId][version];
        if (cfg.verifier == address(0)) revert NoZkVerifier(modelId);
        bytes32 ctx = ZkStatement.contextWord(modelId, block.chainid, contract_, tag, answerer);
        bytes32 inputDigest = ZkStatement.classDigest(PublicInputs.pack(inputs, cfg.inputBits));
        return _statement(cfg, ctx, inputDigest, PublicInputs.pack(outputs, cfg.outputBits));
    }

    // ================================================================== views

    function requestCount() external view returns (uint256) {
        return requests.length;
    }

    function getRequest(uint256 requestId) external view returns (Request memory) {
        return _request(requestId);
    }

    /// @notice The answer of a Fulfilled request (empty otherwise: a standing claim's outputs
    ///         are in its `ClaimSubmitted` event); readable whatever the callback did.
    function outputsOf(uint256 requestId) external view returns (int32[][] memory) {
        _request(requestId);
        return outputData[requestId];
    }

    /// @notice Every claim that answered the request, oldest first (rejected ones included).
    function claimsOf(uint256 requestId) external view returns (uint256[] memory) {
        _request(requestId);
        return claimHistory[requestId];
    }

    // ================================================================== internals

    function _request(uint256 requestId) internal view returns (Request storage) {
        if (requestId >= requests.length) revert NoSuchRequest(requestId);
        return requests[requestId];
    }

    /// @dev Appends each tensor of `src` to the (empty) `dst` (the legacy code generator cannot
    ///      copy nested calldata arrays to storage in one assignment).
    function _store(int32[][] storage dst, int32[][] calldata src) internal {
        for (uint256 i = 0; i < src.length; ++i) {
            dst.push(src[i]);
        }
    }

    /// @dev MerkleLib tensor roots of each tensor.
    function _roots(int32[][] calldata tensors) internal pure returns (bytes32[] memory roots) {
        roots = new bytes32[](tensors.length);
        for (uint256 i = 0; i < tensors.length; ++i) {
            roots[i] = MerkleLib.tensorRoot(tensors[i]);
        }
    }

    /// @dev `outputs` has the model's output count and lengths (known to the game), so that no
    ///      truncated or re-split tensor can pass for the real one (zero padding hashes alike).
    function _checkOutputShape(bytes32 modelId, int32[][] calldata outputs) internal view {
        (, uint256[] memory lens) = game.modelOutputs(modelId);
        if (outputs.length != lens.length) revert WrongOutputCount(lens.length, outputs.length);
        for (uint256 i = 0; i < lens.length; ++i) {
            if (outputs[i].length != lens[i]) revert WrongOutputLength(i, lens[i], outputs[i].length);
        }
    }

    /// @dev Marks the request fulfilled, credits the fee split, then calls back with the
    ///      stored outputs. Everything the callback could observe or re-enter is final before
    ///      the call.
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
        int32[][] memory outputs = outputData[requestId];
        bytes memory data = abi.encodeCall(IInferenceConsumer.onInference, (requestId, r.modelId, outputs));
        if (_callWithExactGas(r.callbackGasLimit, cb, data)) {
            emit CallbackDelivered(requestId, cb);
        } else {
            emit CallbackFailed(requestId, cb);
        }
    }

    /// @dev Calls `target` with exactly `gasAmount` gas, ignoring its return data (no copy, so
    ///      no return-data bomb). Reverts if less than that can be forwarded (EIP-150 keeps
    ///      1/64 back): the settler must supply the callback's gas, the callback cannot be
    ///      starved. A target without code counts as a failed callback.
    function _callWithExactGas(uint256 gasAmount, address target, bytes memory data) internal returns (bool success) {
        if (target.code.length == 0) return false;
        uint256 needed = gasAmount + gasAmount / 63 + CALLBACK_RESERVE;
        uint256 left = gasleft();
        if (left < needed) revert InsufficientGasForCallback(left, needed);
        assembly ("memory-safe") {
            success := call(gasAmount, target, 0, add(data, 0x20), mload(data), 0, 0)
        }
    }
}
