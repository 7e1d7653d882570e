// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {MerkleLib} from "./MerkleLib.sol";
import {IProofVerifier} from "./IProofVerifier.sol";
import {InferenceOracle, IOracleGame, IOracleRegistry} from "./InferenceOracle.sol";
import {AIGCBase} from "./AIGCBase.sol";
import {IERC7007} from "./IERC7007.sol";

/// @title AIGC — ERC-7007 tokens of one model's verified outputs
/// @notice A token is the output (`aigcData`) of the model bound at deployment on an input
///         (`prompt`); both are the tensors encoded as `abi.encode(int32[][])` (canonical
///         encoding only), and the token id is `uint256(keccak256(prompt))`, so a prompt is
///         minted at most once. `proof` is tagged by its first ABI word (ABI v4):
///         - zk:   `abi.encode(uint8(1), address prover, bytes proof)` — `proof` in the
///                 backend's encoding, verified by the `IProofVerifier` of the zk
///                 configuration this collection pinned at deployment (`zkVersion`) against
///                 the digest statement (`ZkStatement`), bound to this chain, this
///                 collection, the token id and `prover` (docs/oracle.md §4), so only
///                 `prover` may mint with it: a copy seen in the mempool is useless.
///         - opML: `abi.encode(uint8(2), uint256 claimId)` — a claim in the game for this model,
///                 whose input roots are the prompt's and output roots the aigcData's, that
///                 posted its input (so every watcher could check it during its whole window),
///                 minted by the claim's submitter. Mint is allowed while the claim is Pending
///                 or Finalized; `verify` is true only once it is Finalized.
///         - request: `abi.encode(uint8(3), uint256 requestId)` — an oracle request for this
///                 model and prompt, Fulfilled (by a final claim or a zk proof) with aigcData,
///                 minted by its requester (who paid for it). Final at once.
///         Update rule (docs/oracle.md §5): when a token's claim is Rejected, anyone may call
///         `update(prompt, aigcData, uri, proof)` with a replacement proof that would be
///         accepted by `mint` (a Pending/Finalized matching claim on the same input, or a zk
///         proof); the token keeps its owner and id, and takes the new aigcData and evidence.
///         The EIP's `update(prompt, aigcData, uri)` changes only the uri (owner or approved,
///         same aigcData, evidence not defeated). A non-empty uri different from the current
///         one is applied only for the owner or an approved address.
/// @dev Minting, the update rule and ERC-165 come from `AIGCBase`, ERC-721 from `ERC721Core`
///      (ERC-6093 error names). No admin; everything is fixed at deployment.
contract AIGC is AIGCBase {
    // ------------------------------------------------------------------ configuration
    /// @notice The model every token of this collection is an output of.
    bytes32 public immutable modelId;
    InferenceOracle public immutable oracle;
    IOracleGame public immutable game;
    IOracleRegistry public immutable registry;

    /// @notice Element counts of the model's input tensors (the prompt's shape).
    uint256[] internal inputLens;
    /// @notice Element counts of the model's output tensors (the aigcData's shape).
    uint256[] internal outputLens;

    uint8 public constant PROOF_ZK = 1;
    uint8 public constant PROOF_OPML = 2;
    /// @notice The oracle zk configuration of the model this collection trusts (0: none).
    uint32 public immutable zkVersion;

    // ------------------------------------------------------------------ errors
    error BadShape(string what);
    error WrongTensorCount(string what, uint256 expected, uint256 got);
    error WrongTensorLength(string what, uint256 index, uint256 expected, uint256 got);
    error InvalidZkProof();
    /// @notice The zk configuration's `IProofVerifier` reverted on the proof (malformed for its
    ///         backend); `reason` is its revert data.
    error ZkVerifierReverted(bytes reason);
    error NoSuchClaim(uint256 claimId);
    error InputNotPosted(uint256 claimId);
    error NoSuchZkVersion(uint32 version);
    error InvalidPrompt(bytes reason);

    /// @param name_ collection name
    /// @param symbol_ collection symbol
    /// @param modelId_ the model (registered in the oracle's registry)
    /// @param oracle_ the oracle whose zk configuration and game this collection uses
    /// @param inputLens_ element count of each input tensor (checked against the game's model
    ///        facts when the game knows the model)
    /// @param outputLens_ element count of each output tensor (likewise)
    /// @param zkVersion_ the oracle's zk configuration of the model that `verify` trusts for
    ///        zk proofs (0: none); configurations published later never apply
    constructor(
        string memory name_,
        string memory symbol_,
        bytes32 modelId_,
        address oracle_,
        uint256[] memory inputLens_,
        uint256[] memory outputLens_,
        uint32 zkVersion_
    ) AIGCBase(name_, symbol_) {
        InferenceOracle o = InferenceOracle(oracle_);
        IOracleGame g = o.game();
        IOracleRegistry reg = o.registry();
        if (!reg.isRegistered(modelId_)) revert UnknownModel(modelId_);
        if (inputLens_.length == 0) revert BadShape("no input tensor");
        if (outputLens_.length == 0) revert BadShape("no output tensor");
        (bool known,, uint64 numInputs,,) = g.models(modelId_);
        if (known) {
            if (numInputs != inputLens_.length) revert BadShape("input count differs from the model's");
            (, uint256[] memory lens) = g.modelOutputs(modelId_);
            if (keccak256(abi.encode(lens)) != keccak256(abi.encode(outputLens_))) {
                revert BadShape("output lengths differ from the model's");
            }
        }
        modelId = modelId_;
        oracle = o;
        game = g;
        registry = reg;
        if (zkVersion_ != 0 && o.zkConfigAt(modelId_, zkVersion_).version == 0) revert NoSuchZkVersion(zkVersion_);
        zkVersion = zkVersion_;
        inputLens = inputLens_;
        outputLens = outputLens_;
    }

    // ================================================================== ERC-7007

    /// @inheritdoc IERC7007
    /// @dev False for a wrong shape, a non-canonical encoding, a proof that does not verify, a
    ///      claim that does not match or is not Finalized. Reverts only for bytes that do not
    ///      decode at all (prompt, aigcData) or an unknown proof tag.
    function verify(bytes calldata prompt, bytes calldata aigcData, bytes calldata proof)
        public
        view
        returns (bool success)
    {
        (int32[][] memory input, bool okIn) = _decodeSoft(prompt, inputLens);
        (int32[][] memory output, bool okOut) = _decodeSoft(aigcData, outputLens);
        if (!okIn || !okOut) return false;
        try game.validateInput(modelId, input) {}
        catch {
            return false;
        }
        uint256 kind = _kind(proof);
        if (kind == PROOF_ZK) {
            (address prover, bytes calldata p) = _zkProof(proof);
            return _zkVerifies(prompt, input, output, prover, p, false);
        }
        if (kind == PROOF_REQUEST) {
            return bytes(_requestMismatch(_evidenceId(proof), input, aigcData)).length == 0;
        }
        uint256 claimId = _evidenceId(proof);
        if (claimId >= game.claimCount()) return false;
        IOracleGame.GameClaim memory c = game.getClaim(claimId);
        return c.status == 2 && game.inputPosted(claimId) && bytes(_mismatch(c, input, output)).length == 0;
    }

    /// @notice Whether a token's aigcData is final: zk, or a Finalized claim.
    function isVerified(uint256 tokenId) external view returns (bool) {
        _requireOwned(tokenId);
        Evidence storage e = evidence[tokenId];
        return e.kind == PROOF_ZK || e.kind == PROOF_REQUEST || game.getClaim(e.id).status == 2;
    }

    /// @notice The prompt and aigcData shapes (element counts per tensor).
    function shapes() external view returns (uint256[] memory inputs, uint256[] memory outputs) {
        return (inputLens, outputLens);
    }

    // ================================================================== internals

    /// @dev An opML token whose claim the game rejected.
    function _defeated(Evidence storage e) internal view override returns (bool) {
        return e.kind == PROOF_OPML && game.getClaim(e.id).status == 3;
    }

    /// @inheritdoc AIGCBase
    function _prove(bytes calldata prompt, bytes calldata aigcData, bytes calldata proof)
        internal
        view
        override
        returns (uint8 kind, uint256 id, address holder)
    {
        int32[][] memory input = _decodeStrict(prompt, inputLens, "prompt");
        int32[][] memory output = _decodeStrict(aigcData, outputLens, "aigcData");
        try game.validateInput(modelId, input) {}
        catch (bytes memory reason) {
            revert InvalidPrompt(reason);
        }
        uint256 k = _kind(proof);
        if (k == PROOF_ZK) {
            (address prover, bytes calldata p) = _zkProof(proof);
            if (!_zkVerifies(prompt, input, output, prover, p, true)) revert InvalidZkProof();
            return (PROOF_ZK, 0, prover);
        }
        id = _evidenceId(proof);
        if (k == PROOF_REQUEST) {
            string memory whyNot = _requestMismatch(id, input, aigcData);
            if (bytes(whyNot).length != 0) revert RequestNotUsable(id, whyNot);
            return (PROOF_REQUEST, id, oracle.getRequest(id).requester);
        }
        if (id >= game.claimCount()) revert NoSuchClaim(id);
        IOracleGame.GameClaim memory c = game.getClaim(id);
        if (c.status != 1 && c.status != 2) revert ClaimNotUsable(id, c.status);
        if (!game.inputPosted(id)) revert InputNotPosted(id);
        string memory why = _mismatch(c, input, output);
        if (bytes(why).length != 0) revert ClaimDoesNotMatch(id, why);
        return (PROOF_OPML, id, c.submitter);
    }

    /// @dev "" when oracle request `requestId` is Fulfilled for this model on `input` (the
    ///      decoded prompt) with `aigcData`; else what differs.
    function _requestMismatch(uint256 requestId, int32[][] memory input, bytes calldata aigcData)
        internal
        view
        returns (string memory)
    {
        if (requestId >= oracle.requestCount()) return "no such request";
        InferenceOracle.Request memory r = oracle.getRequest(requestId);
        if (r.modelId != modelId) return "model";
        if (r.status != InferenceOracle.Status.Fulfilled) return "not fulfilled";
        if (r.inputsHash != _rootsHash(input)) return "prompt";
        if (keccak256(abi.encode(oracle.outputsOf(requestId))) != keccak256(aigcData)) return "aigcData";
        return "";
    }

    /// @dev "" when the claim is about this model, this input and this output; else what differs.
    function _mismatch(IOracleGame.GameClaim memory c, int32[][] memory input, int32[][] memory output)
        internal
        view
        returns (string memory)
    {
        if (c.modelId != modelId) return "model";
        if (c.inputsHash != _rootsHash(input)) return "input roots";
        if (c.outputsHash != _rootsHash(output)) return "output roots";
        return "";
    }

    /// @dev Whether the pinned configuration's `IProofVerifier` accepts `p` for the digest
    ///      statement bound to this chain, this collection, the prompt's token id and `prover`.
    ///      A proof that fails is false; one the verifier reverts on (malformed for its
    ///      backend) is false too, or `ZkVerifierReverted` with its reason when `strict`.
    function _zkVerifies(
        bytes calldata prompt,
        int32[][] memory input,
        int32[][] memory output,
        address prover,
        bytes calldata p,
        bool strict
    ) internal view returns (bool) {
        if (zkVersion == 0) return false;
        bytes32 statement;
        try oracle.zkStatement(modelId, zkVersion, address(this), uint256(keccak256(prompt)), prover, input, output)
        returns (bytes32 s) {
            statement = s;
        } catch {
            return false;
        }
        try IProofVerifier(oracle.zkConfigAt(modelId, zkVersion).verifier).verify(p, statement) returns (bool ok) {
            return ok;
        } catch (bytes memory reason) {
            if (strict) revert ZkVerifierReverted(reason);
            return false;
        }
    }

    function _rootsHash(int32[][] memory tensors) internal pure returns (bytes32) {
        bytes32[] memory roots = new bytes32[](tensors.length);
        for (uint256 i = 0; i < tensors.length; ++i) {
            roots[i] = MerkleLib.tensorRoot(tensors[i]);
        }
        return keccak256(abi.encode(roots));
    }

    /// @dev The proof's tag: its first ABI word.
    function _kind(bytes calldata proof) internal pure returns (uint256 kind) {
        if (proof.length < 32) revert MalformedProof(0, proof.length);
        kind = uint256(bytes32(proof[0:32]));
        if (kind != PROOF_ZK && kind != PROOF_OPML && kind != PROOF_REQUEST) revert UnknownProofKind(kind);
    }

    /// @dev The prover and the backend's proof of zk evidence `abi.encode(uint8(1), address,
    ///      bytes)`, canonical encoding only (offset 0x60, exact length, zero padding, a clean
    ///      address word): other bytes for the same proof would be other evidence bytes.
    function _zkProof(bytes calldata proof) internal pure returns (address prover, bytes calldata p) {
        uint256 n = proof.length;
        if (n < 128) revert MalformedProof(PROOF_ZK, n);
        uint256 who = uint256(bytes32(proof[32:64]));
        uint256 len = uint256(bytes32(proof[96:128]));
        if (
            who >> 160 != 0 || uint256(bytes32(proof[64:96])) != 0x60 || len > n - 128
                || n - 128 != ((len + 31) / 32) * 32
        ) revert MalformedProof(PROOF_ZK, n);
        if (len % 32 != 0 && uint256(bytes32(proof[n - 32:n])) << (8 * (len % 32)) != 0) {
            revert MalformedProof(PROOF_ZK, n);
        }
        prover = address(uint160(who));
        p = proof[128:128 + len];
    }

    /// @dev The id (claim or request) of an opML or request proof.
    function _evidenceId(bytes calldata proof) internal pure returns (uint256 claimId) {
        if (proof.length != 64) revert MalformedProof(uint256(bytes32(proof[0:32])), proof.length);
        (, claimId) = abi.decode(proof, (uint8, uint256));
    }

    /// @dev Decodes `abi.encode(int32[][])`; false unless canonical and of the given shape.
    function _decodeSoft(bytes calldata data, uint256[] storage lens)
        internal
        view
        returns (int32[][] memory tensors, bool ok)
    {
        tensors = abi.decode(data, (int32[][]));
        if (keccak256(abi.encode(tensors)) != keccak256(data)) return (tensors, false);
        if (tensors.length != lens.length) return (tensors, false);
        for (uint256 i = 0; i < lens.length; ++i) {
            if (tensors[i].length != lens[i]) return (tensors, false);
        }
        return (tensors, true);
    }

    /// @dev As `_decodeSoft`, reverting with the reason.
    function _decodeStrict(bytes calldata data, uint256[] storage lens, string memory what)
        internal
        view
        returns (int32[][] memory tensors)
    {
        tensors = abi.decode(data, (int32[][]));
        if (keccak256(abi.encode(tensors)) != keccak256(data)) revert NonCanonicalEncoding(what);
        if (tensors.length != lens.length) revert WrongTensorCount(what, lens.length, tensors.length);
        for (uint256 i = 0; i < lens.length; ++i) {
            if (tensors[i].length != lens[i]) revert WrongTensorLength(what, i, lens[i], tensors[i].length);
        }
    }
}
