// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {MerkleLib} from "./MerkleLib.sol";
import {InferenceGame} from "./InferenceGame.sol";
import {GameBonds} from "./GameBonds.sol";
import {GumbelNoise} from "./GumbelNoise.sol";

/// @title GenerationGame — optimistic claims of whole LLM generations and their dispute games
/// @notice A claim states: model (a step graph learned by `InferenceGame`), prompt p[0..P),
///         generated tokens t[0..N) and G, the Merkle root over the trace roots R_0..R_{T−1}
///         (T = P + N − 1) of the step graph's runs. Step s runs on derived inputs: token p[s]
///         (s < P) or next_{s−1}, position s, caches whose row r is row r of step s−1's cache
///         (r < s−1), step s−1's new row (r = s−1) or zero (r ≥ s). Two challenge modes
///         (docs/protocol.md, "The step level"):
///         - bisection: k-ary descent of G to the first step whose root the challenger
///           disputes; the submitter must then post R_s as an `InferenceGame` trace claim
///           (the sub-claim, constant size) and show R_s's input roots (leaves 0..2+2·layers
///           of R_s, checked against it); the challenger either disputes one input of step s
///           (its root opened against R_s, element descent, then the submitter proves the
///           element's derivation from step s−1, opened against G) or disputes R_s itself,
///           which the sub-claim's own games settle (`settle`);
///         - binding: the challenger names a posted token t[i]; the submitter must open
///           next_{P−1+i} against G and it must equal t[i].
///         A sampled claim (seed ≠ 0, temperature T) is of a sampling step graph, whose last
///         input `noise` is derived too: noise[j] of step s is GumbelNoise.noise(seed, T, s, j),
///         recomputed here for the one disputed element (its `next` is the first maximum of
///         logits·2^16 + noise: a Gumbel-max sample, a function of the request).
/// @dev Step-graph convention (what `verinfer-llm` compiles): inputs token, pos, then
///      (k_cache.l, v_cache.l) per layer, then noise (sampling graphs only); outputs next,
///      logits, then (k_row.l, v_row.l).
///      Permissionless, no owner; payouts are pulled. Parameters, clocks and payouts: `GameBonds`.
contract GenerationGame is GameBonds {
    InferenceGame public immutable steps;

    /// @notice What the game knows of a step graph (learned from `steps`' model facts).
    struct GenModel {
        bool known;
        uint64 numValues;
        uint64 layers;
        uint64 row;
        uint64 ctx;
        uint64 vocab;
        /// The graph has the `noise` input (last): it can sample.
        bool sampling;
    }

    /// Largest temperature a sampled claim may state: 8.0 in Q.16 (noise within 25 bits).
    uint32 public constant MAX_TEMP = 8 << 16;

    mapping(bytes32 => GenModel) public genModels;
    mapping(bytes32 => uint256[]) internal outputIds;

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
        bytes32 root;
        bytes32 promptRoot;
        bytes32 tokensRoot;
        uint64 promptLen;
        uint64 numTokens;
        /// Sampling seed (0: greedy) and temperature in Q.16.
        uint64 seed;
        uint32 temp;
    }

    Claim[] internal claims;

    enum Phase {
        None,
        StepReveal, // submitter: reveal children of the current node of G
        StepPick, // challenger: pick the leftmost disputed child
        PostStep, // submitter: post R_s as an InferenceGame claim (`handoff`)
        Choose, // challenger: dispute one input (`disputeInput`) or R_s itself (`disputeStep`)
        InputReveal, // submitter: reveal children of the disputed input's tensor tree
        InputPick, // challenger: pick a disputed child
        InputName, // challenger: name the disputed slot
        Derive, // submitter: prove the element's derivation (`derive`)
        AwaitStep, // nobody: the sub-claim's games decide (`settle`)
        OpenToken, // submitter: open next_{P−1+i} (binding mode)
        SubmitterWon,
        ChallengerWon,
        Moot
    }

    struct Game {
        uint256 claimId;
        address challenger;
        Phase phase;
        uint64 lastMove;
        uint64 submitterTime;
        uint64 challengerTime;
        bytes32 cur;
        uint64 level;
        uint256 pos;
        /// The disputed step (bisection) or step P−1+i (binding).
        uint256 step;
        bytes32 stepRoot;
        /// The sub-claim posting R_s, and the first claim id it may have.
        uint256 subClaim;
        uint256 subClaimFloor;
        uint256 input;
        uint256 inputLen;
        uint256 element;
        int256 claimed;
        uint32 moves;
    }

    Game[] internal games;

    /// @notice One element of one value of one step, opened against G.
    struct StepOpening {
        bytes32 stepRoot;
        bytes32[] stepPath;
        bytes32 valueRoot;
        bytes32[] valuePath;
        bytes32 leaf;
        bytes32[] leafPath;
        int32 value;
    }

    event GenModelLearned(bytes32 indexed modelId, uint256 layers, uint256 row, uint256 ctx);
    event GenerationClaimed(
        uint256 indexed claimId,
        bytes32 indexed modelId,
        address indexed submitter,
        int32[] prompt,
        int32[] tokens,
        bytes32 root
    );
    event ClaimFinalized(uint256 indexed claimId);
    event ClaimRejected(uint256 indexed claimId, uint256 indexed gameId);
    event GameOpened(uint256 indexed gameId, uint256 indexed claimId, address indexed challenger, bool binding);
    event Revealed(uint256 indexed gameId, Phase phase, uint64 level, uint256 pos, bytes32[] children);
    event Picked(uint256 indexed gameId, Phase phase, uint256 index);
    /// R_s's input roots and the path of the last one: what the challenger chooses from, and
    /// builds any input's path in R_s from (`disputeInput`).
    event StepPosted(uint256 indexed gameId, uint256 step, uint256 subClaim, bytes32[] inputRoots, bytes32[] edge);
    event InputDisputed(uint256 indexed gameId, uint256 input, bytes32 root);
    event ElementNamed(uint256 indexed gameId, uint256 element, int256 claimed);
    event GameResolved(uint256 indexed gameId, bool submitterWon, string reason);

    error NoSuchClaim(uint256 claimId);
    error NoSuchGame(uint256 gameId);
    error ClaimNotPending(uint256 claimId);
    error WindowClosed(uint256 claimId);
    error WindowOpen(uint256 claimId);
    error GamesOpen(uint256 claimId, uint256 open);
    error NotYourTurn(Phase phase, address caller);
    error BadMove(string why);
    error BadOpening(string what);
    error NotAStepGraph(string why);
    error UnknownModel(bytes32 modelId);

    constructor(
        address steps_,
        uint256 submitterBond_,
        uint256 challengerBond_,
        uint64 challengeWindow_,
        uint64 clock_,
        uint16 burnBps_,
        uint8 revealDepth_
    ) GameBonds(submitterBond_, challengerBond_, challengeWindow_, clock_, burnBps_, revealDepth_) {
        steps = InferenceGame(steps_);
    }

    // ================================================================== models

    /// @notice Learns a step graph from the facts `steps` learned (`InferenceGame.learnModel`)
    ///         and checks the step-graph convention on its shapes.
    function learnGeneration(bytes32 modelId) external {
        (bool known,, uint64 numInputs, uint64 numNodes,) = steps.models(modelId);
        if (!known) revert UnknownModel(modelId);
        (uint256[] memory inLens,) = steps.modelInputs(modelId);
        (uint256[] memory ids, uint256[] memory outLens) = steps.modelOutputs(modelId);
        bool sampling = numInputs % 2 == 1;
        uint256 nCaches = sampling ? numInputs - 1 : numInputs;
        if (nCaches < 4 || ids.length != nCaches) revert NotAStepGraph("input/output count");
        if (inLens[0] != 1 || inLens[1] != 1 || outLens[0] != 1) revert NotAStepGraph("token, pos or next not scalar");
        if (sampling && inLens[nCaches] != outLens[1]) revert NotAStepGraph("noise length");
        uint256 row = outLens[2];
        uint256 cache = inLens[2];
        if (row == 0 || cache % row != 0) revert NotAStepGraph("cache rows");
        for (uint256 i = 2; i < nCaches; ++i) {
            if (inLens[i] != cache || outLens[i] != row) revert NotAStepGraph("cache or row length");
        }
        genModels[modelId] = GenModel({
            known: true,
            numValues: numInputs + numNodes,
            layers: uint64((nCaches - 2) / 2),
            row: uint64(row),
            ctx: uint64(cache / row),
            vocab: uint64(outLens[1]),
            sampling: sampling
        });
        outputIds[modelId] = ids;
        emit GenModelLearned(modelId, (nCaches - 2) / 2, row, cache / row);
    }

    // ================================================================== claims

    /// @notice Posts a greedy generation claim with the submitter bond.
    function claim(bytes32 modelId, int32[] calldata prompt, int32[] calldata tokens, bytes32 root)
        external
        payable
        returns (uint256 claimId)
    {
        return _post(modelId, prompt, tokens, root, 0, 0);
    }

    /// @notice Posts a sampled generation claim (seed ≠ 0, temperature `temp` = T·2^16 ≤ 8·2^16)
    ///         of a sampling step graph with the submitter bond; seed 0 is greedy.
    function claimSampled(
        bytes32 modelId,
        int32[] calldata prompt,
        int32[] calldata tokens,
        bytes32 root,
        uint64 seed,
        uint32 temp
    ) external payable returns (uint256 claimId) {
        return _post(modelId, prompt, tokens, root, seed, temp);
    }

    function _post(
        bytes32 modelId,
        int32[] calldata prompt,
        int32[] calldata tokens,
        bytes32 root,
        uint64 seed,
        uint32 temp
    ) internal returns (uint256 claimId) {
        GenModel storage m = genModels[modelId];
        if (!m.known) revert UnknownModel(modelId);
        if (seed != 0 && !m.sampling) revert BadMove("model cannot sample");
        if (temp > MAX_TEMP) revert BadMove("temperature above 8");
        if (msg.value != submitterBond) revert WrongBond(submitterBond, msg.value);
        if (prompt.length == 0 || tokens.length == 0) revert BadMove("empty prompt or generation");
        if (prompt.length + tokens.length - 1 > m.ctx) revert BadMove("generation longer than the context");
        for (uint256 i = 0; i < prompt.length; ++i) {
            if (prompt[i] < 0 || uint256(int256(prompt[i])) >= m.vocab) revert BadMove("prompt token outside the vocabulary");
        }
        claimId = claims.length;
        claims.push(
            Claim({
                modelId: modelId,
                submitter: msg.sender,
                windowEnd: uint64(block.timestamp) + challengeWindow,
                openGames: 0,
                status: ClaimStatus.Pending,
                root: root,
                promptRoot: MerkleLib.tensorRoot(prompt),
                tokensRoot: MerkleLib.tensorRoot(tokens),
                promptLen: uint64(prompt.length),
                numTokens: uint64(tokens.length),
                seed: seed,
                temp: seed == 0 ? 0 : temp
            })
        );
        emit GenerationClaimed(claimId, modelId, msg.sender, prompt, tokens, root);
    }

    /// @notice Finalizes a claim whose window has passed with no game open.
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

    function _claim(uint256 claimId) internal view returns (Claim storage) {
        if (claimId >= claims.length) revert NoSuchClaim(claimId);
        return claims[claimId];
    }

    /// @notice Steps of a claim: T = P + N − 1.
    function _steps(Claim storage c) internal view returns (uint256) {
        return c.promptLen + c.numTokens - 1;
    }

    // ================================================================== games

    function _open(uint256 claimId, bool binding) internal returns (uint256 gameId, Game storage g, Claim storage c) {
        c = _claim(claimId);
        if (c.status != ClaimStatus.Pending) revert ClaimNotPending(claimId);
        if (block.timestamp > c.windowEnd) revert WindowClosed(claimId);
        if (msg.value != challengerBond) revert WrongBond(challengerBond, msg.value);
        c.openGames += 1;
        gameId = games.length;
        g = games.push();
        g.claimId = claimId;
        g.challenger = msg.sender;
        g.lastMove = uint64(block.timestamp);
        g.submitterTime = clock;
        g.challengerTime = clock;
        emit GameOpened(gameId, claimId, msg.sender, binding);
    }

    /// @notice Bisection mode: opens a game that descends G to the first disputed step.
    function challenge(uint256 claimId) external payable returns (uint256 gameId) {
        Game storage g;
        Claim storage c;
        (gameId, g, c) = _open(claimId, false);
        g.phase = Phase.StepReveal;
        g.cur = c.root;
        g.level = uint64(_depth(_steps(c)));
        if (g.level == 0) _stepLeaf(gameId, g, c);
    }

    /// @notice Binding mode: disputes posted token t[i] (`value`, opened against the claim's
    ///         token root); the submitter must open next_{P−1+i} against G.
    function challengeToken(uint256 claimId, uint256 i, int32 value, bytes32 leaf, bytes32[] calldata path)
        external
        payable
        returns (uint256 gameId)
    {
        Game storage g;
        Claim storage c;
        (gameId, g, c) = _open(claimId, true);
        if (!MerkleLib.verifyElement(c.tokensRoot, c.numTokens, i, value, leaf, path)) revert BadOpening("token");
        g.step = c.promptLen - 1 + i;
        g.claimed = value;
        g.phase = Phase.OpenToken;
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

    /// @notice Whether the submitter must move in `phase` (AwaitStep: nobody).
    function submitterMoves(Phase phase) public pure returns (bool) {
        return phase == Phase.StepReveal || phase == Phase.PostStep || phase == Phase.InputReveal
            || phase == Phase.Derive || phase == Phase.OpenToken;
    }

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
    ///         of G (step phase) or of the disputed input tensor (input phase).
    function reveal(uint256 gameId, bytes32[] calldata children) external {
        Phase phase = _game(gameId).phase;
        if (phase != Phase.StepReveal && phase != Phase.InputReveal) revert BadMove("not a reveal phase");
        (Game storage g,) = _move(gameId, phase);
        _checkChildren(g, children);
        emit Revealed(gameId, phase, g.level, g.pos, children);
        g.phase = phase == Phase.StepReveal ? Phase.StepPick : Phase.InputPick;
    }

    /// @notice The challenger picks child `index` of the last reveal (the children again).
    function pick(uint256 gameId, bytes32[] calldata children, uint256 index) external {
        Phase phase = _game(gameId).phase;
        if (phase != Phase.StepPick && phase != Phase.InputPick) revert BadMove("not a pick phase");
        (Game storage g, Claim storage c) = _move(gameId, phase);
        uint256 k = _checkChildren(g, children);
        if (index >= children.length) revert BadMove("bad child");
        g.cur = children[index];
        g.pos = (g.pos << k) | index;
        g.level -= uint64(k);
        emit Picked(gameId, phase, index);
        if (g.level > 0) {
            g.phase = phase == Phase.StepPick ? Phase.StepReveal : Phase.InputReveal;
        } else if (phase == Phase.StepPick) {
            _stepLeaf(gameId, g, c);
        } else {
            g.phase = Phase.InputName;
        }
    }

    function _checkChildren(Game storage g, bytes32[] calldata children) internal view returns (uint256 k) {
        k = g.level < revealDepth ? g.level : revealDepth;
        if (children.length != (uint256(1) << k)) revert BadMove("children count");
        if (MerkleLib.subtreeRoot(_mem(children)) != g.cur) revert BadOpening("children do not hash to the node");
    }

    /// @dev The descent reached step `g.pos`, the first the challenger disputes.
    function _stepLeaf(uint256 gameId, Game storage g, Claim storage c) internal {
        g.step = g.pos;
        g.stepRoot = g.cur;
        if (g.pos >= _steps(c)) {
            _resolve(gameId, g, c, g.cur == bytes32(0), "step padding leaf");
            return;
        }
        g.subClaimFloor = steps.claimCount();
        g.phase = Phase.PostStep;
    }

    /// @notice The submitter has posted R_s as `InferenceGame` claim `subClaim` (after the
    ///         descent ended, from its own account, on this model; a trace claim suffices), so
    ///         its games can decide whether R_s is the canonical trace of R_s's inputs, and
    ///         shows those inputs: `inputRoots` must be leaves 0..n (n = 2 + 2·layers) of R_s,
    ///         `edge` the Merkle path of leaf n−1 in R_s (its right siblings close the range).
    ///         The challenger chooses from them; a shown root that is not R_s's leaf would let
    ///         a liar hide a wrong input behind an honest-looking one.
    function handoff(uint256 gameId, uint256 subClaim, bytes32[] calldata inputRoots, bytes32[] calldata edge)
        external
    {
        (Game storage g, Claim storage c) = _move(gameId, Phase.PostStep);
        InferenceGame.Claim memory s = steps.getClaim(subClaim);
        if (subClaim < g.subClaimFloor || s.submitter != c.submitter || s.modelId != c.modelId || s.traceRoot != g.stepRoot)
        {
            revert BadMove("sub-claim");
        }
        GenModel storage m = genModels[c.modelId];
        if (inputRoots.length != _numInputs(m) || edge.length != _depth(m.numValues)) {
            revert BadOpening("input roots");
        }
        if (MerkleLib.rangeRoot(_mem(inputRoots), _mem(edge)) != g.stepRoot) revert BadOpening("input roots");
        g.subClaim = subClaim;
        emit StepPosted(gameId, g.step, subClaim, inputRoots, edge);
        g.phase = Phase.Choose;
    }

    /// @notice The challenger disputes R_s itself: the sub-claim's games decide (`settle`).
    function disputeStep(uint256 gameId) external {
        (Game storage g,) = _move(gameId, Phase.Choose);
        g.phase = Phase.AwaitStep;
    }

    /// @notice Ends a game in AwaitStep once its sub-claim is decided: rejected ⇒ R_s is not
    ///         the canonical trace of its inputs, the challenger wins; finalized ⇒ the submitter.
    function settle(uint256 gameId) external {
        Game storage g = _game(gameId);
        if (g.phase != Phase.AwaitStep) revert BadMove("wrong phase");
        Claim storage c = claims[g.claimId];
        if (c.status != ClaimStatus.Pending) revert ClaimNotPending(g.claimId);
        InferenceGame.ClaimStatus s = steps.claimStatus(g.subClaim);
        if (s == InferenceGame.ClaimStatus.Pending) revert BadMove("sub-claim pending");
        _resolve(gameId, g, c, s == InferenceGame.ClaimStatus.Finalized, "step trace (sub-claim)");
    }

    /// @notice The challenger disputes input `input` of step s: `root` opened at leaf `input`
    ///         of R_s (`path`, the depth of the step graph's value tree); the element descent
    ///         starts there.
    function disputeInput(uint256 gameId, uint256 input, bytes32 root, bytes32[] calldata path) external {
        (Game storage g, Claim storage c) = _move(gameId, Phase.Choose);
        GenModel storage m = genModels[c.modelId];
        if (input >= _numInputs(m)) revert BadMove("input");
        if (path.length != _depth(m.numValues) || !MerkleLib.verifyLeaf(g.stepRoot, root, input, _mem(path))) {
            revert BadOpening("input root");
        }
        g.input = input;
        g.inputLen = input < 2 ? 1 : (_isNoise(m, input) ? uint256(m.vocab) : uint256(m.row) * m.ctx);
        g.cur = root;
        g.level = uint64(MerkleLib.depthOf(g.inputLen));
        g.pos = 0;
        emit InputDisputed(gameId, input, root);
        g.phase = g.level == 0 ? Phase.InputName : Phase.InputReveal;
    }

    /// @notice The challenger names the disputed element in the leaf reached. Position, a
    ///         prompt-free zero row and padding are decided here; the rest needs `derive`.
    function nameElement(uint256 gameId, uint256 slot) external {
        (Game storage g, Claim storage c) = _move(gameId, Phase.InputName);
        if (slot >= MerkleLib.ELEMENTS_PER_LEAF) revert BadMove("slot");
        if (g.pos >= MerkleLib.leafCount(g.inputLen)) {
            _resolve(gameId, g, c, g.cur == bytes32(0), "tensor padding leaf");
            return;
        }
        uint256 j = g.pos * MerkleLib.ELEMENTS_PER_LEAF + slot;
        int32 value = MerkleLib.element(g.cur, slot);
        if (j >= g.inputLen) {
            _resolve(gameId, g, c, value == 0, "tensor padding slot");
            return;
        }
        g.element = j;
        g.claimed = value;
        emit ElementNamed(gameId, j, value);
        GenModel storage m = genModels[c.modelId];
        if (g.input == 1) {
            _resolve(gameId, g, c, int256(value) == int256(g.step), "position");
        } else if (_isNoise(m, g.input)) {
            int256 n = GumbelNoise.noise(c.seed, c.temp, uint64(g.step), uint64(j));
            _resolve(gameId, g, c, int256(value) == n, "sampling noise");
        } else if (g.input >= 2 && j / m.row >= g.step) {
            _resolve(gameId, g, c, value == 0, "cache row not yet written");
        } else {
            g.phase = Phase.Derive;
        }
    }

    /// @notice The submitter proves the disputed element's derivation: prompt token p[s]
    ///         (opened against the prompt root: `leaf`, `leafPath`), or one element of step s−1
    ///         opened against G — next_{s−1} for the token, the new row of step s−1 for cache
    ///         row s−1, the same cache element below it. Equal ⇒ the submitter wins.
    function derive(uint256 gameId, StepOpening calldata o) external {
        (Game storage g, Claim storage c) = _move(gameId, Phase.Derive);
        bool ok;
        if (g.input == 0 && g.step < c.promptLen) {
            ok = MerkleLib.verifyElement(c.promptRoot, c.promptLen, g.step, o.value, o.leaf, _mem(o.leafPath));
            if (!ok) revert BadOpening("prompt token");
        } else {
            (uint256 valueId, uint256 index, uint256 len) = _source(c, g);
            _verifyStep(c, g.step - 1, valueId, index, len, o);
        }
        _resolve(gameId, g, c, int256(o.value) == g.claimed, "derived input");
    }

    /// @dev Which value of step s−1 the disputed element of step s copies, at which index.
    function _source(Claim storage c, Game storage g) internal view returns (uint256 valueId, uint256 index, uint256 len) {
        GenModel storage m = genModels[c.modelId];
        uint256[] storage ids = outputIds[c.modelId];
        if (g.input == 0) return (ids[0], 0, 1);
        uint256 r = g.element / m.row;
        // Row s−1 was written by step s−1 (output 2 + (input − 2) for input `input`).
        if (r + 1 == g.step) return (ids[g.input], g.element % m.row, m.row);
        return (g.input, g.element, uint256(m.row) * m.ctx);
    }

    function _verifyStep(Claim storage c, uint256 step, uint256 valueId, uint256 index, uint256 len, StepOpening calldata o)
        internal
        view
    {
        if (o.stepPath.length != _depth(_steps(c)) || !MerkleLib.verifyLeaf(c.root, o.stepRoot, step, _mem(o.stepPath))) {
            revert BadOpening("step root");
        }
        GenModel storage m = genModels[c.modelId];
        if (
            o.valuePath.length != _depth(m.numValues)
                || !MerkleLib.verifyLeaf(o.stepRoot, o.valueRoot, valueId, _mem(o.valuePath))
        ) revert BadOpening("value root");
        if (!MerkleLib.verifyElement(o.valueRoot, len, index, o.value, o.leaf, _mem(o.leafPath))) {
            revert BadOpening("element");
        }
    }

    /// @notice Binding mode: the submitter opens next_{P−1+i} against G; it must be t[i].
    function openToken(uint256 gameId, StepOpening calldata o) external {
        (Game storage g, Claim storage c) = _move(gameId, Phase.OpenToken);
        _verifyStep(c, g.step, outputIds[c.modelId][0], 0, 1, o);
        _resolve(gameId, g, c, int256(o.value) == g.claimed, "posted token");
    }

    /// @notice Ends a game whose mover's clock has run out, in favour of the other party.
    function timeout(uint256 gameId) external {
        Game storage g = _game(gameId);
        Claim storage c = claims[g.claimId];
        if (g.phase == Phase.None || g.phase == Phase.AwaitStep || uint8(g.phase) >= uint8(Phase.SubmitterWon)) {
            revert BadMove("no clock running");
        }
        if (c.status != ClaimStatus.Pending) revert ClaimNotPending(g.claimId);
        bool sub = submitterMoves(g.phase);
        _requireExpired(gameId, g.lastMove, sub ? g.submitterTime : g.challengerTime);
        _resolve(gameId, g, c, !sub, "timeout");
    }

    /// @notice Closes a game left open after its claim was rejected by another game.
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

    /// @dev Ends a game: the loser's bond to the winner less the burn (`GameBonds`); a lost
    ///      game rejects the claim at once.
    function _resolve(uint256 gameId, Game storage g, Claim storage c, bool submitterWon, string memory reason) internal {
        c.openGames -= 1;
        if (submitterWon) {
            g.phase = Phase.SubmitterWon;
            _payChallengeLost(c.submitter);
        } else {
            g.phase = Phase.ChallengerWon;
            c.status = ClaimStatus.Rejected;
            _payClaimRejected(g.claimId, g.challenger, c.openGames);
            emit ClaimRejected(g.claimId, gameId);
        }
        emit GameResolved(gameId, submitterWon, reason);
    }


    /// @dev Inputs of a step graph: token, pos, the caches, and noise when it samples.
    function _numInputs(GenModel storage m) internal view returns (uint256) {
        return 2 + 2 * uint256(m.layers) + (m.sampling ? 1 : 0);
    }

    function _isNoise(GenModel storage m, uint256 input) internal view returns (bool) {
        return m.sampling && input == 2 + 2 * uint256(m.layers);
    }

    /// @notice ceil(log2(max(n, 1))).
    function _depth(uint256 n) internal pure returns (uint256 d) {
        while ((uint256(1) << d) < n) ++d;
    }

    function _mem(bytes32[] calldata a) internal pure returns (bytes32[] memory m) {
        m = a;
    }
}
