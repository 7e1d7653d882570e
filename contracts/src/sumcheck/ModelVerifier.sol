// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {SumcheckFr} from "./SumcheckFr.sol";
import {SumcheckTranscript} from "./SumcheckTranscript.sol";
import {BatchOpening} from "./BatchOpening.sol";
import {PackedTensor} from "./PackedTensor.sol";
import {ModelPlan} from "./ModelPlan.sol";
import {ModelRanges} from "./ModelRanges.sol";
import {ModelPlanStore} from "./ModelPlanStore.sol";
import {ModelLayerVerifier} from "./ModelLayerVerifier.sol";
import {ModelLayerCall} from "./ModelLayerCall.sol";
import {ModelLookup} from "./ModelLookup.sol";

/// @title ModelVerifier — verifies a layered (whole-model) sumcheck proof
/// @notice Rust: `verinfer_sumcheck::gkr::verify_model`, label `verinfer.model.v1`, the proof as
///         the words of `gkr::words::model_words`. One deployment per verifying key: the
///         key's plan (`ModelPlan`: shapes, requantization constants, index maps, range
///         columns, weight commitments, the SRS's `G2`, `τ·G2`) lives in the code of data
///         contracts (`ModelPlanStore`, bound by the plan's hash), so this contract's size
///         does not grow with the model. `x`, `y` are the
///         public input and output as 4-byte big-endian integers. Same interface as
///         `ContractNodeVerifier` (the `SumcheckProofVerifier` adapter calls `verifyBound`):
///         reverts with `SumcheckRejected(code)` on any failed check, returns true otherwise.
contract ModelVerifier {
    using SumcheckTranscript for SumcheckTranscript.Transcript;
    using SumcheckFr for SumcheckFr.Cursor;
    using ModelPlan for ModelPlan.Run;

    /// @notice The data contract listing the plan's chunks (`ModelPlanStore`).
    address public immutable directory;
    uint256 private immutable chunkCount;
    uint256 private immutable planWords;
    /// @notice `keccak256` of the plan's words: what binds the chunks to this verifier.
    bytes32 public immutable planHash;
    /// @notice The contract verifying the layers (`ModelLayerVerifier`, created here).
    address public immutable layerVerifier;

    /// @param chunks_ the plan's data contracts in order (`ModelPlanStore.store`, or one
    ///        transaction each for a plan past the init-code limit)
    /// @param planHash_ `keccak256` of the plan's words (Rust: `backend::onchain::plan_hash`)
    constructor(address[] memory chunks_, bytes32 planHash_) {
        uint256 n = 0;
        for (uint256 i = 0; i < chunks_.length; i++) {
            n += ModelPlanStore.words(chunks_[i]);
        }
        if (n <= ModelPlan.WEIGHTS) revert ModelPlanStore.BadPlan(n);
        address dir = ModelPlanStore.create(abi.encodePacked(chunks_));
        // Refuses a chunk swapped, changed or out of order now, not at the first proof.
        ModelPlanStore.load(dir, chunks_.length, n, planHash_);
        (directory, chunkCount, planWords, planHash) = (dir, chunks_.length, n, planHash_);
        layerVerifier = address(new ModelLayerVerifier());
    }

    function verify(bytes calldata x, bytes calldata y, uint256[] calldata proof) external view returns (bool) {
        return checkProof(false, 0, x, y, proof);
    }

    /// @notice The proof of a statement: `statement` (the `IProofVerifier` digest word) is
    ///         absorbed first, so the proof holds for it alone.
    function verifyBound(bytes32 statement, bytes calldata x, bytes calldata y, uint256[] calldata proof)
        external
        view
        returns (bool)
    {
        return checkProof(true, statement, x, y, proof);
    }

    /// @notice The plan's words (its chunks' hash checked again, as on every proof).
    function loadPlan() public view returns (uint256[] memory p) {
        p = ModelPlanStore.load(directory, chunkCount, planWords, planHash);
    }

    function checkProof(bool bound, bytes32 statement, bytes calldata x, bytes calldata y, uint256[] calldata proof)
        private
        view
        returns (bool)
    {
        ModelPlan.Run memory r;
        r.plan = loadPlan();
        checkPublic(r.plan, x, y, proof.length);
        (r.xOffset, r.yOffset) = (offset(x), offset(y));
        SumcheckFr.Cursor memory c = SumcheckFr.Cursor(proof, 0);
        // Room for the header (the statement, three digests, every commitment) and a
        // layer's words; the batched opening's claims (the plan's capacity) grow the buffer
        // when they come, over memory the steps before have freed.
        SumcheckTranscript.Transcript memory t = SumcheckTranscript.init(
            "verinfer.model.v1", 2 * (r.plan[ModelPlan.NW] + r.plan[ModelPlan.NC]) + ModelLayerCall.LAYER_WORDS
        );
        if (bound) t.absorb(uint256(statement));
        t.absorb(r.plan[ModelPlan.DIGEST]);
        t.absorb(uint256(keccak256(x)));
        t.absorb(uint256(keccak256(y)));
        header(r, t, c);
        body(r, t, c);
        return true;
    }

    /// @dev The layers, the range groups, the batched opening.
    function body(
        ModelPlan.Run memory r,
        SumcheckTranscript.Transcript memory t,
        SumcheckFr.Cursor memory c
    ) private view {
        r.claims = new BatchOpening.Claim[](r.plan[ModelPlan.CLAIM_COUNT]);
        // Each step's scratch (a group's or a lookup's tables) freed after it, its claims kept
        // (`ModelPlan.compact`). Not the layer call's: its answer overwrites its request, and
        // the claims point into the answer, so moving them down would only stage a copy of
        // them above it.
        ModelLayerCall.run(layerVerifier, r, t, c);
        uint256 groups = r.next();
        for (uint256 i = 0; i < groups; i++) {
            (uint256 from, uint256 start) = (r.nClaims, ModelPlan.mark());
            ModelRanges.group(r, t, c);
            r.compact(t, start, from);
        }
        uint256 lookups = r.next();
        for (uint256 i = 0; i < lookups; i++) {
            (uint256 from, uint256 start) = (r.nClaims, ModelPlan.mark());
            ModelLookup.verify(r, t, c);
            r.compact(t, start, from);
        }
        if (r.nClaims != r.claims.length) revert SumcheckFr.SumcheckRejected(ModelPlan.CLAIMS);
        BatchOpening.verify(t, c, r.vk(), r.claims);
    }

    function offset(bytes calldata data) private pure returns (uint256 o) {
        assembly ("memory-safe") {
            o := data.offset
        }
    }

    /// @dev Lengths of `x`, `y` and the proof, then the bit bounds of `x` and `y`.
    function checkPublic(uint256[] memory p, bytes calldata x, bytes calldata y, uint256 words) private pure {
        if (
            x.length != 4 * p[ModelPlan.IN_ROWS] * p[ModelPlan.IN_COLS]
                || y.length != 4 * p[ModelPlan.OUT_ROWS] * p[ModelPlan.OUT_COLS] || words != p[ModelPlan.PROOF_WORDS]
        ) revert SumcheckFr.SumcheckRejected(ModelPlan.LENGTH);
        if (PackedTensor.outOfBound(x, p[ModelPlan.IN_BITS]) || PackedTensor.outOfBound(y, p[ModelPlan.OUT_BITS])) {
            revert SumcheckFr.SumcheckRejected(ModelPlan.OUT_OF_BOUND);
        }
    }

    /// @dev The weight commitments (plan) and the proof's commitments, absorbed in that order;
    ///      leaves the plan cursor at the layer count.
    function header(ModelPlan.Run memory r, SumcheckTranscript.Transcript memory t, SumcheckFr.Cursor memory c)
        private
        pure
    {
        uint256 nw = r.plan[ModelPlan.NW];
        uint256 nc = r.plan[ModelPlan.NC];
        r.table = new SumcheckFr.G1[](nw + nc);
        r.pc = ModelPlan.WEIGHTS;
        for (uint256 j = 0; j < nw; j++) {
            r.table[j] = SumcheckFr.G1(r.next(), r.next());
            t.absorbG1(r.table[j]);
        }
        for (uint256 j = 0; j < nc; j++) {
            r.table[nw + j] = c.nextG1();
            t.absorbG1(r.table[nw + j]);
        }
    }
}
