// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {MerkleLib} from "./MerkleLib.sol";
import {IStepVerifier} from "./IStepVerifier.sol";
import {IClaimListener} from "./IClaimListener.sol";
import {GameModels, IModelRegistry} from "./GameModels.sol";
import {GameBonds} from "./GameBonds.sol";

/// @title InferenceGame — optimistic inference claims and their dispute games
/// @notice A submitter posts (model, inputs, outputs, trace root) with a bond. During the
///         challenge window anyone may open a game against the claim with a bond of their own.
///         Each game is an independent two-party bisection (docs/protocol.md):
///         1. node phase — k-ary descent of the trace tree to the FIRST value whose root the
///            challenger disputes (every value left of it then agrees, so the node's inputs do);
///         2. element phase — k-ary descent of that value's tensor tree to one element;
///         3. step phase — for long reductions, k-ary bisection of the accumulation sequence;
///         4. one step — the step verifier re-executes the remaining few steps.
///         The submitter reveals, the challenger picks; each party has a chess clock and loses
///         when it runs out. The claim is rejected as soon as the submitter loses one game and
///         final once its window has passed with no game open.
/// @dev Everything is permissionless: there is no owner and no admin switch. Parameters are
///      fixed at deployment and public. Payouts are pulled (`withdraw`), never pushed. The
///      model facts the game checks claims against, and their storage, are in `GameModels`;
///      the parameters, clocks and payouts it shares with `GenerationGame` in `GameBonds`.
contract InferenceGame is GameModels, GameBonds {
    // ------------------------------------------------------------------ configuration
    IModelRegistry public immutable registry;
    IStepVerifier public immutable verifier;
    /// @notice The one-step recomputes at most this many accumulation steps.
    uint64 public immutable maxSegment;

    // ------------------------------------------------------------------ claims
    enum ClaimStatus {
        None,
        Pending,
        Finalized,
        Rejected
    }

    struct Claim {
        bytes32 modelId;
        address submitter;
        uint64 windowEnd;
        uint32 openGames;
        ClaimStatus status;
        bool bondPaid;
        bytes32 traceRoot;
        bytes32 inputsHash;
        bytes32 outputsHash;
    }

    Claim[] internal claims;
    /// Whether a claim posted its input data (in its `ClaimSubmitted` event), so that every
    /// watcher could re-execute it during its whole window.
    mapping(uint256 claimId => bool) public inputPosted;

    // ------------------------------------------------------------------ games
    enum Phase {
        None,
        NodeReveal, // submitter: reveal the children of the current trace-tree node
        NodePick, // challenger: pick a child (the leftmost disputed one)
        NodeWords, // challenger: name the node by its words (the value is a node output)
        OpenInputs, // submitter: open the node's value-operand roots against the trace root
        ElementReveal, // submitter: reveal the children of the current tensor-tree node
        ElementPick, // challenger: pick a disputed child
        ElementName, // challenger: name the disputed element in the leaf
        StateAcc, // submitter: state the final accumulator of the element
        StepReveal, // submitter: reveal checkpoints of the current segment
        StepPick, // challenger: pick the first disputed segment
        OneStep, // challenger: supply the openings for the one-step re-execution
        SubmitterWon,
        ChallengerWon,
        Moot // the claim was rejected by another game; bond refunded
    }

    struct Game {
        uint256 claimId;
        address challenger;
        Phase phase;
        uint64 lastMove;
        uint64 submitterTime;
        uint64 challengerTime;
        // descent state (trace tree, then tensor tree)
        bytes32 cur;
        uint64 level;
        uint256 pos;
        // the disputed node
        uint256 valueId;
        bytes32 nodeHash;
        uint256 outLen;
        uint256 steps;
        bytes32 operandIdsHash;
        bytes32 operandRootsHash;
        // the disputed element and segment
        uint256 element;
        int256 claimed;
        uint256 stepA;
        uint256 stepB;
        int256 accA;
        int256 accB;
        bytes32 checkpointsHash;
        /// Moves made in time by either party.
        uint32 moves;
    }

    Game[] internal games;

    // ------------------------------------------------------------------ events
    event ClaimSubmitted(
        uint256 indexed claimId,
        bytes32 indexed modelId,
        address indexed submitter,
        bytes32[] inputRoots,
        int32[][] inputs,
        bytes32[] outputRoots,
        int32[][] outputs,
        bytes32 traceRoot
    );
    /// A trace claim (`claimTrace`): no inputs or outputs, only the trace root.
    event TraceClaimed(uint256 indexed claimId, bytes32 indexed modelId, address indexed submitter, bytes32 traceRoot);
    event ClaimFinalized(uint256 indexed claimId);
    event ClaimRejected(uint256 indexed claimId, uint256 indexed gameId);
    event GameOpened(uint256 indexed gameId, uint256 indexed claimId, address indexed challenger);
    event Revealed(uint256 indexed gameId, Phase phase, uint64 level, uint256 pos, bytes32[] children);
    event Picked(uint256 indexed gameId, Phase phase, uint256 index);
    event NodeNamed(uint256 indexed gameId, uint256 valueId, uint256 outLen, uint256 steps, uint256[] operandIds);
    event InputsOpened(uint256 indexed gameId, bytes32[] operandRoots);
    event ElementNamed(uint256 indexed gameId, uint256 element, int256 claimed);
    event AccStated(uint256 indexed gameId, int256 acc);
    event CheckpointsRevealed(uint256 indexed gameId, uint256 stepA, uint256 stepB, int256[] checkpoints);
    event GameResolved(uint256 indexed gameId, bool submitterWon, string reason);

    // ------------------------------------------------------------------ errors
    error NoSuchClaim(uint256 claimId);
    error NoSuchGame(uint256 gameId);
    error ClaimNotPending(uint256 claimId);
    error WindowClosed(uint256 claimId);
    error WindowOpen(uint256 claimId);
    error GamesOpen(uint256 claimId, uint256 open);
    error NotYourTurn(Phase phase, address caller);
    error BadMove(string why);

    constructor(
        address registry_,
        address verifier_,
        uint256 submitterBond_,
        uint256 challengerBond_,
        uint64 challengeWindow_,
        uint64 clock_,
        uint16 burnBps_,
        uint8 revealDepth_,
        uint64 maxSegment_
    ) GameBonds(submitterBond_, challengerBond_, challengeWindow_, clock_, burnBps_, revealDepth_) {
        require(maxSegment_ >= 1, "maxSegment 0");
        registry = IModelRegistry(registry_);
        verifier = IStepVerifier(verifier_);
        maxSegment = maxSegment_;
    }

    // ================================================================== model facts
    // (what is learned, the views and `validateInput`: GameModels.sol)

    /// @notice The openings `learnModel` needs.
    struct ModelOpening {
        /// The graph digest (leaf 0 of the model tree) and its path there.
        bytes32 graphDigest;
        bytes32[] digestPath;
        /// The header words (leaf 0 of the graph-digest tree) and their path there.
        int256[] headerWords;
        bytes32[] headerPath;
        /// For each graph output that is a node output, in output order: that node's words
        /// and their path in the graph-digest tree (outputs that are graph inputs take none).
        int256[][] outputNodeWords;
        bytes32[][] outputNodePaths;
    }

    /// @notice Learns a registered model's shape facts from its graph header, opened against
    ///         the model id; anyone may call it (again, harmlessly: the facts are the same).
    function learnModel(bytes32 modelId, ModelOpening calldata o) external {
        if (!registry.isRegistered(modelId)) revert ModelNotRegistered(modelId);
        (uint256[] memory inputLens, uint8[] memory inputBits, uint256 numParams, uint256[] memory outputIds, uint256 numNodes)
        = verifier.describeHeader(o.headerWords);
        if (o.digestPath.length != treeDepth(1 + numParams)) revert BadOpening("graph digest path length");
        if (!MerkleLib.verifyLeaf(modelId, o.graphDigest, 0, _mem(o.digestPath))) revert BadOpening("graph digest");
        if (o.headerPath.length != treeDepth(1 + numNodes)) revert BadOpening("header path length");
        if (!MerkleLib.verifyLeaf(o.graphDigest, keccak256(abi.encodePacked(o.headerWords)), 0, _mem(o.headerPath))) {
            revert BadOpening("header");
        }
        modelOutputLens[modelId] = _outputLens(o, inputLens, outputIds, numNodes);
        modelOutputIds[modelId] = outputIds;
        modelInputLens[modelId] = inputLens;
        modelInputBits[modelId] = inputBits;
        models[modelId] = ModelFacts({
            known: true,
            graphDigest: o.graphDigest,
            numInputs: uint64(inputLens.length),
            numNodes: uint64(numNodes),
            numParams: uint64(numParams)
        });
        emit ModelLearned(modelId, o.graphDigest, inputLens.length, numNodes);
    }

    function _outputLens(
        ModelOpening calldata o,
        uint256[] memory inputLens,
        uint256[] memory outputIds,
        uint256 numNodes
    ) private view returns (uint256[] memory outputLens) {
        uint256 digestDepth = treeDepth(1 + numNodes);
        outputLens = new uint256[](outputIds.length);
        uint256 k;
        for (uint256 i = 0; i < outputIds.length; ++i) {
            uint256 v = outputIds[i];
            if (v < inputLens.length) {
                outputLens[i] = inputLens[v];
                continue;
            }
            if (k >= o.outputNodeWords.length || k >= o.outputNodePaths.length || o.outputNodePaths[k].length != digestDepth)
            {
                revert BadOpening("output node");
            }
            bytes32 leaf = keccak256(abi.encodePacked(o.outputNodeWords[k]));
            if (!MerkleLib.verifyLeaf(o.graphDigest, leaf, 1 + v - inputLens.length, _mem(o.outputNodePaths[k]))) {
                revert BadOpening("output node");
            }
            (outputLens[i],,) = verifier.describe(o.outputNodeWords[k]);
            ++k;
        }
        if (k != o.outputNodeWords.length) revert WrongCount("output node words", k, o.outputNodeWords.length);
    }

    // ================================================================== claims

    /// @notice What a claim states. Inputs and outputs are bound to the trace by their roots
    ///         (value i of the trace tree for input i, the output value ids for the outputs).
    ///         Their data may be posted too — `inputs` / `outputs` either empty or complete, in
    ///         which case every tensor must hash to its root and have its model-given length —
    ///         so that anyone can re-execute, and consumers read outputs, from the chain alone
    ///         (~1.1k gas per element); otherwise the data is published off chain.
    struct ClaimRequest {
        bytes32 modelId;
        bytes32[] inputRoots;
        bytes32[][] inputPaths;
        int32[][] inputs;
        bytes32[] outputRoots;
        bytes32[][] outputPaths;
        int32[][] outputs;
        bytes32 traceRoot;
    }

    /// @notice Posts a claim with the submitter bond.
    function claim(ClaimRequest calldata r) external payable returns (uint256 claimId) {
        return _post(r);
    }

    /// @notice Posts a claim with the submitter bond, then tells `listener` of it in the same
    ///         call (`IClaimListener.onClaim(claimId, msg.sender, tag)`); a revert
    ///         there reverts the claim. The oracle's answers go this way (docs/oracle.md).
    function claimAndCall(ClaimRequest calldata r, address listener, uint256 tag)
        external
        payable
        returns (uint256 claimId)
    {
        claimId = _post(r);
        IClaimListener(listener).onClaim(claimId, msg.sender, tag);
    }

    function _post(ClaimRequest calldata r) internal returns (uint256 claimId) {
        ModelFacts storage m = models[r.modelId];
        if (!m.known) revert UnknownModel(r.modelId);
        if (msg.value != submitterBond) revert WrongBond(submitterBond, msg.value);
        uint256 depth = treeDepth(m.numInputs + m.numNodes);
        if (r.inputRoots.length != m.numInputs || r.inputPaths.length != m.numInputs) {
            revert WrongCount("inputs", m.numInputs, r.inputRoots.length);
        }
        for (uint256 i = 0; i < r.inputRoots.length; ++i) {
            _bind(r.traceRoot, depth, r.inputRoots[i], i, r.inputPaths[i]);
        }
        if (r.inputs.length != 0) {
            validateInput(r.modelId, r.inputs);
            for (uint256 i = 0; i < r.inputs.length; ++i) {
                if (MerkleLib.tensorRoot(r.inputs[i]) != r.inputRoots[i]) revert BadOpening("input data");
            }
        }
        _checkOutputs(r, depth);
        claimId = _push(r.modelId, r.traceRoot, keccak256(abi.encode(r.inputRoots)), keccak256(abi.encode(r.outputRoots)));
        if (r.inputs.length != 0) inputPosted[claimId] = true;
        emit ClaimSubmitted(claimId, r.modelId, msg.sender, r.inputRoots, r.inputs, r.outputRoots, r.outputs, r.traceRoot);
    }

    /// @notice Posts a *trace claim* with the submitter bond: "every node value of the trace
    ///         under `traceRoot` is its node applied to the values before it", whatever the
    ///         trace's inputs are. Constant size, whatever the model: what `GenerationGame`
    ///         posts for a disputed step, whose inputs it binds and judges itself. Its games run
    ///         as any claim's (a descent reaching an input leaf goes to the submitter); its
    ///         `inputsHash` and `outputsHash` are zero, which no list of roots hashes to, so no
    ///         oracle request or token can take it for an answer.
    function claimTrace(bytes32 modelId, bytes32 traceRoot) external payable returns (uint256 claimId) {
        if (!models[modelId].known) revert UnknownModel(modelId);
        if (msg.value != submitterBond) revert WrongBond(submitterBond, msg.value);
        claimId = _push(modelId, traceRoot, 0, 0);
        emit TraceClaimed(claimId, modelId, msg.sender, traceRoot);
    }

    function _push(bytes32 modelId, bytes32 traceRoot, bytes32 inputsHash, bytes32 outputsHash)
        private
        returns (uint256 claimId)
    {
        claimId = claims.length;
        claims.push(
            Claim({
                modelId: modelId,
                submitter: msg.sender,
                windowEnd: uint64(block.timestamp) + challengeWindow,
                openGames: 0,
                status: ClaimStatus.Pending,
                bondPaid: false,
                traceRoot: traceRoot,
                inputsHash: inputsHash,
                outputsHash: outputsHash
            })
        );
    }

    /// @dev Root `root` is value `v` of the trace tree.
    function _bind(bytes32 traceRoot, uint256 depth, bytes32 root, uint256 v, bytes32[] calldata path) private pure {
        if (path.length != depth || !MerkleLib.verifyLeaf(traceRoot, root, v, _mem(path))) {
            revert BadOpening("value root not in the trace");
        }
    }

    function _checkOutputs(ClaimRequest calldata r, uint256 depth) private view {
        uint256[] storage ids = modelOutputIds[r.modelId];
        uint256[] storage lens = modelOutputLens[r.modelId];
        if (r.outputRoots.length != ids.length || r.outputPaths.length != ids.length) {
            revert WrongCount("outputs", ids.length, r.outputRoots.length);
        }
        for (uint256 k = 0; k < ids.length; ++k) {
            _bind(r.traceRoot, depth, r.outputRoots[k], ids[k], r.outputPaths[k]);
        }
        if (r.outputs.length == 0) return;
        if (r.outputs.length != ids.length) revert WrongCount("output data", ids.length, r.outputs.length);
        for (uint256 k = 0; k < ids.length; ++k) {
            if (r.outputs[k].length != lens[k]) revert WrongCount("output length", lens[k], r.outputs[k].length);
            if (MerkleLib.tensorRoot(r.outputs[k]) != r.outputRoots[k]) revert BadOpening("output data");
        }
    }

    /// @notice Finalizes a claim whose window has passed with no game open; returns the bond.
    function finalize(uint256 claimId) external {
        Claim storage c = _claim(claimId);
        if (c.status != ClaimStatus.Pending) revert ClaimNotPending(claimId);
        if (block.timestamp <= c.windowEnd) revert WindowOpen(claimId);
        if (c.openGames != 0) revert GamesOpen(claimId, c.openGames);
        c.status = ClaimStatus.Finalized;
        owed[c.submitter] += submitterBond;
        emit ClaimFinalized(claimId);
    }

    function claimCount() external view returns (uint256) {
        return claims.length;
    }

    function getClaim(uint256 claimId) external view returns (Claim memory) {
        return _claim(claimId);
    }

    /// @notice Pending, Finalized or Rejected (Pending also while games run after the window).
    function claimStatus(uint256 claimId) external view returns (ClaimStatus) {
        return _claim(claimId).status;
    }

    function _claim(uint256 claimId) internal view returns (Claim storage) {
        if (claimId >= claims.length) revert NoSuchClaim(claimId);
        return claims[claimId];
    }

    // ================================================================== games

    /// @notice Opens a game against a pending claim, within its window, with the challenger bond.
    function challenge(uint256 claimId) external payable returns (uint256 gameId) {
        Claim storage c = _claim(claimId);
        if (c.status != ClaimStatus.Pending) revert ClaimNotPending(claimId);
        if (block.timestamp > c.windowEnd) revert WindowClosed(claimId);
        if (msg.value != challengerBond) revert WrongBond(challengerBond, msg.value);
        ModelFacts storage m = models[c.modelId];
        c.openGames += 1;
        gameId = games.length;
        Game storage g = games.push();
        g.claimId = claimId;
        g.challenger = msg.sender;
        g.phase = Phase.NodeReveal;
        g.lastMove = uint64(block.timestamp);
        g.submitterTime = clock;
        g.challengerTime = clock;
        g.cur = c.traceRoot;
        g.level = uint64(treeDepth(m.numInputs + m.numNodes));
        emit GameOpened(gameId, claimId, msg.sender);
    }

    function gameCount() external view returns (uint256) {
        return games.length;
    }

    function getGame(uint256 gameId) external view returns (Game memory) {
        return _game(gameId);
    }

    function _game(uint256 gameId) internal view returns (Game storage) {
        if (gameId >= games.length) revert NoSuchGame(gameId);
        return games[gameId];
    }

    /// @notice Whether the submitter (true) or the challenger (false) must move in `phase`.
    function submitterMoves(Phase phase) public pure returns (bool) {
        return phase == Phase.NodeReveal || phase == Phase.OpenInputs || phase == Phase.ElementReveal
            || phase == Phase.StateAcc || phase == Phase.StepReveal;
    }

    /// @dev Checks phase, caller and clock, then charges the mover the time it took.
    function _move(uint256 gameId, Phase expected) internal returns (Game storage g, Claim storage c) {
        g = _game(gameId);
        if (g.phase != expected) revert BadMove("wrong phase");
        c = claims[g.claimId];
        if (c.status != ClaimStatus.Pending) revert ClaimNotPending(g.claimId);
        bool sub = submitterMoves(expected);
        if (msg.sender != (sub ? c.submitter : g.challenger)) revert NotYourTurn(expected, msg.sender);
        if (sub) g.submitterTime = _charge(gameId, g.lastMove, g.submitterTime);
        else g.challengerTime = _charge(gameId, g.lastMove, g.challengerTime);
        g.lastMove = uint64(block.timestamp);
        g.moves += 1;
    }

    /// @notice The submitter reveals the 2^k children (k = min(d, level)) of the current node
    ///         of the trace tree (node phase) or of the disputed tensor (element phase).
    function reveal(uint256 gameId, bytes32[] calldata children) external {
        Game storage g = _game(gameId);
        Phase next;
        if (g.phase == Phase.NodeReveal) next = Phase.NodePick;
        else if (g.phase == Phase.ElementReveal) next = Phase.ElementPick;
        else revert BadMove("not a reveal phase");
        (g,) = _move(gameId, g.phase);
        uint256 k = g.level < revealDepth ? g.level : revealDepth;
        if (children.length != (uint256(1) << k)) revert WrongCount("children", uint256(1) << k, children.length);
        if (MerkleLib.subtreeRoot(_mem(children)) != g.cur) revert BadOpening("children do not hash to the node");
        emit Revealed(gameId, g.phase, g.level, g.pos, children);
        g.phase = next;
    }

    /// @notice The challenger picks child `index` of the last reveal (passing the revealed
    ///         children again; they are re-hashed against the current node).
    function pick(uint256 gameId, bytes32[] calldata children, uint256 index) external {
        Game storage g = _game(gameId);
        Phase phase = g.phase;
        if (phase != Phase.NodePick && phase != Phase.ElementPick) revert BadMove("not a pick phase");
        Claim storage c;
        (g, c) = _move(gameId, phase);
        uint256 k = g.level < revealDepth ? g.level : revealDepth;
        if (children.length != (uint256(1) << k) || index >= children.length) revert BadMove("bad child");
        if (MerkleLib.subtreeRoot(_mem(children)) != g.cur) revert BadOpening("children do not hash to the node");
        g.cur = children[index];
        g.pos = (g.pos << k) | index;
        g.level -= uint64(k);
        emit Picked(gameId, phase, index);
        if (g.level > 0) {
            g.phase = phase == Phase.NodePick ? Phase.NodeReveal : Phase.ElementReveal;
            return;
        }
        if (phase == Phase.NodePick) {
            _nodeLeaf(gameId, g, c);
        } else {
            g.phase = Phase.ElementName;
        }
    }

    /// @dev The node phase reached value `g.pos`, the first the challenger disputes.
    function _nodeLeaf(uint256 gameId, Game storage g, Claim storage c) internal {
        ModelFacts storage m = models[c.modelId];
        uint256 v = g.pos;
        g.valueId = v;
        if (v >= m.numInputs + m.numNodes) {
            // Padding of the trace tree must be zero leaves.
            _resolve(gameId, g, c, g.cur == bytes32(0), "trace padding leaf");
        } else if (v < m.numInputs) {
            // Input roots were bound to the trace when the claim was posted.
            _resolve(gameId, g, c, true, "disputed a graph input bound at claim time");
        } else {
            g.phase = Phase.NodeWords;
        }
    }

    /// @notice The challenger names the disputed node by its canonical words (opened against
    ///         the graph digest); the verifier reads its shape facts from them.
    function nameNode(uint256 gameId, int256[] calldata words, bytes32[] calldata digestPath) external {
        (Game storage g, Claim storage c) = _move(gameId, Phase.NodeWords);
        ModelFacts storage m = models[c.modelId];
        uint256 node = g.valueId - m.numInputs;
        bytes32 h = keccak256(abi.encodePacked(words));
        if (digestPath.length != treeDepth(1 + m.numNodes) || !MerkleLib.verifyLeaf(m.graphDigest, h, 1 + node, _mem(digestPath)))
        {
            revert BadOpening("node words");
        }
        (uint256 outLen, uint256 steps, uint256[] memory operandIds) = verifier.describe(words);
        // A node reads only values computed before it (defence in depth: the model's own
        // decoder refuses such graphs, and a forward read would make the trace circular).
        for (uint256 i = 0; i < operandIds.length; ++i) {
            if (operandIds[i] >= g.valueId) revert BadOpening("operand id not below the node's value id");
        }
        g.nodeHash = h;
        g.outLen = outLen;
        g.steps = steps;
        g.operandIdsHash = keccak256(abi.encode(operandIds));
        emit NodeNamed(gameId, g.valueId, outLen, steps, operandIds);
        g.phase = Phase.OpenInputs;
    }

    /// @notice The submitter opens the roots of the node's value operands against its trace
    ///         root; the element phase then starts at the disputed value's root.
    function openInputs(
        uint256 gameId,
        uint256[] calldata operandIds,
        bytes32[] calldata roots,
        bytes32[][] calldata paths
    ) external {
        (Game storage g, Claim storage c) = _move(gameId, Phase.OpenInputs);
        if (keccak256(abi.encode(operandIds)) != g.operandIdsHash) revert BadMove("operand ids");
        if (roots.length != operandIds.length || paths.length != operandIds.length) {
            revert WrongCount("operand roots", operandIds.length, roots.length);
        }
        ModelFacts storage m = models[c.modelId];
        uint256 depth = treeDepth(m.numInputs + m.numNodes);
        for (uint256 i = 0; i < roots.length; ++i) {
            if (paths[i].length != depth || !MerkleLib.verifyLeaf(c.traceRoot, roots[i], operandIds[i], _mem(paths[i]))) {
                revert BadOpening("operand root");
            }
        }
        g.operandRootsHash = keccak256(abi.encode(roots));
        emit InputsOpened(gameId, roots);
        g.level = uint64(MerkleLib.depthOf(g.outLen));
        g.pos = 0;
        g.phase = g.level == 0 ? Phase.ElementName : Phase.ElementReveal;
    }

    /// @notice The challenger names the disputed element in the leaf the descent reached.
    function nameElement(uint256 gameId, uint256 slot) external {
        (Game storage g, Claim storage c) = _move(gameId, Phase.ElementName);
        if (slot >= MerkleLib.ELEMENTS_PER_LEAF) revert BadMove("slot");
        uint256 leafIndex = g.pos;
        if (leafIndex >= MerkleLib.leafCount(g.outLen)) {
            _resolve(gameId, g, c, g.cur == bytes32(0), "tensor padding leaf");
            return;
        }
        uint256 j = leafIndex * MerkleLib.ELEMENTS_PER_LEAF + slot;
        int32 value = MerkleLib.element(g.cur, slot);
        if (j >= g.outLen) {
            _resolve(gameId, g, c, value == 0, "tensor padding slot");
            return;
        }
        g.element = j;
        g.claimed = value;
        emit ElementNamed(gameId, j, value);
        if (g.steps > maxSegment) {
            g.phase = Phase.StateAcc;
        } else {
            g.stepA = 0;
            g.stepB = g.steps;
            g.phase = Phase.OneStep;
        }
    }

    /// @notice The submitter states the final accumulator behind the disputed element; it must
    ///         produce the element through the node's epilogue.
    function stateAcc(uint256 gameId, int256[] calldata words, int256 acc) external {
        (Game storage g,) = _move(gameId, Phase.StateAcc);
        if (keccak256(abi.encodePacked(words)) != g.nodeHash) revert BadMove("node words");
        if (verifier.finalize(words, acc) != g.claimed) revert BadMove("accumulator does not produce the element");
        g.stepA = 0;
        g.stepB = g.steps;
        g.accB = acc;
        emit AccStated(gameId, acc);
        g.phase = Phase.StepReveal;
    }

    /// @notice Segment count of the current bisection round: min(2^d, b − a).
    function _segments(Game storage g) internal view returns (uint256) {
        uint256 span = g.stepB - g.stepA;
        uint256 m = uint256(1) << revealDepth;
        return span < m ? span : m;
    }

    /// @notice Boundary i of the current round (0 = stepA, segments = stepB).
    function _boundary(Game storage g, uint256 i, uint256 segs) internal view returns (uint256) {
        return g.stepA + ((g.stepB - g.stepA) * i) / segs;
    }

    /// @notice The submitter reveals the accumulator after each interior boundary of the
    ///         current segment: boundaries a + (b − a)·i / m for i = 1..m−1.
    function revealSteps(uint256 gameId, int256[] calldata checkpoints) external {
        (Game storage g,) = _move(gameId, Phase.StepReveal);
        uint256 segs = _segments(g);
        if (checkpoints.length != segs - 1) revert WrongCount("checkpoints", segs - 1, checkpoints.length);
        g.checkpointsHash = keccak256(abi.encode(checkpoints));
        emit CheckpointsRevealed(gameId, g.stepA, g.stepB, checkpoints);
        g.phase = Phase.StepPick;
    }

    /// @notice The challenger picks the first segment whose end accumulator it disputes.
    function pickStep(uint256 gameId, int256[] calldata checkpoints, uint256 index) external {
        (Game storage g,) = _move(gameId, Phase.StepPick);
        if (keccak256(abi.encode(checkpoints)) != g.checkpointsHash) revert BadMove("checkpoints");
        uint256 segs = _segments(g);
        if (index >= segs) revert BadMove("segment");
        uint256 a = _boundary(g, index, segs);
        uint256 b = _boundary(g, index + 1, segs);
        if (index > 0) g.accA = checkpoints[index - 1];
        if (index + 1 < segs) g.accB = checkpoints[index];
        g.stepA = a;
        g.stepB = b;
        emit Picked(gameId, Phase.StepPick, index);
        g.phase = b - a > maxSegment ? Phase.StepReveal : Phase.OneStep;
    }

    /// @notice The challenger supplies the openings; the verifier re-executes the segment (or
    ///         the whole element) and the game ends. A proof the verifier rejects reverts: the
    ///         challenger may try again until its clock runs out.
    function oneStep(uint256 gameId, int256[] calldata words, bytes32[] calldata operandRoots, bytes calldata proof)
        external
    {
        (Game storage g, Claim storage c) = _move(gameId, Phase.OneStep);
        if (keccak256(abi.encode(operandRoots)) != g.operandRootsHash) revert BadMove("operand roots");
        bool isFinal = g.steps <= maxSegment;
        IStepVerifier.StepFacts memory f = IStepVerifier.StepFacts({
            modelId: c.modelId,
            numParams: models[c.modelId].numParams,
            nodeHash: g.nodeHash,
            operandRoots: operandRoots,
            element: g.element,
            stepA: g.stepA,
            stepB: g.stepB,
            accA: g.accA,
            claimed: isFinal ? g.claimed : g.accB,
            isFinal: isFinal
        });
        bool submitterRight = verifier.verifyStep(f, words, proof);
        _resolve(gameId, g, c, submitterRight, "one-step re-execution");
    }

    /// @notice Ends a game whose mover's clock has run out, in favour of the other party.
    function timeout(uint256 gameId) external {
        Game storage g = _game(gameId);
        Claim storage c = claims[g.claimId];
        if (uint8(g.phase) == 0 || uint8(g.phase) >= uint8(Phase.SubmitterWon)) revert BadMove("game over");
        if (c.status != ClaimStatus.Pending) revert ClaimNotPending(g.claimId);
        bool sub = submitterMoves(g.phase);
        _requireExpired(gameId, g.lastMove, sub ? g.submitterTime : g.challengerTime);
        _resolve(gameId, g, c, !sub, "timeout");
    }

    /// @notice Closes a game left open after its claim was rejected by another game: the
    ///         challenger gets its bond back and its share of the forfeited bond (it was right).
    function closeMoot(uint256 gameId) external {
        Game storage g = _game(gameId);
        Claim storage c = claims[g.claimId];
        if (c.status != ClaimStatus.Rejected) revert BadMove("claim not rejected");
        if (uint8(g.phase) >= uint8(Phase.SubmitterWon)) revert BadMove("game over");
        g.phase = Phase.Moot;
        c.openGames -= 1;
        _payMoot(g.claimId, g.challenger);
        emit GameResolved(gameId, false, "moot: claim rejected by another game");
    }

    /// @dev Ends a game: the loser's bond goes to the winner less the burned share; a lost
    ///      game rejects the claim at once.
    function _resolve(uint256 gameId, Game storage g, Claim storage c, bool submitterWon, string memory reason)
        internal
    {
        c.openGames -= 1;
        if (submitterWon) {
            g.phase = Phase.SubmitterWon;
            _payChallengeLost(c.submitter);
        } else {
            g.phase = Phase.ChallengerWon;
            c.status = ClaimStatus.Rejected;
            // Every game open at this moment (this one and `c.openGames` others) was right.
            _payClaimRejected(g.claimId, g.challenger, c.openGames);
            c.bondPaid = true;
            emit ClaimRejected(g.claimId, gameId);
        }
        emit GameResolved(gameId, submitterWon, reason);
    }

}
