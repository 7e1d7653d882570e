// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {GraphHeader} from "./GraphHeader.sol";
import {Arbiter} from "./Arbiter.sol";
import {Encoding} from "./Encoding.sol";
import {NodeDecoder} from "./NodeDecoder.sol";
import {MerkleLib} from "./MerkleLib.sol";
import {IStepVerifier} from "./IStepVerifier.sol";
import {Ops} from "./ops/Ops.sol";
import {Common} from "./ops/Common.sol";
import {Binary} from "./ops/Binary.sol";
import {Contract} from "./ops/Contract.sol";
import {Div} from "./ops/Div.sol";
import {Gather} from "./ops/Gather.sol";
import {Lookup} from "./ops/Lookup.sol";
import {Movement} from "./ops/Movement.sol";
import {Reduce} from "./ops/Reduce.sol";
import {Rescale} from "./ops/Rescale.sol";
import {ISqrt} from "./ops/ISqrt.sol";

/// @title OneStepVerifier — re-executes the disputed step with the Arbiter's scalar semantics
/// @notice The game hands over what it has established (node, operand roots, element,
///         segment, the submitter's statement); the challenger's proof supplies every element
///         the step reads, each opened against its root: value operands against the roots the
///         submitter opened from its trace, parameters (weights, bias, table, index map)
///         against their roots, which are opened against the model id. The read set itself —
///         which indices are read — comes from the Arbiter (the op's library under `ops/`),
///         never from the proof.
/// @dev Proof layout: `abi.encode(StepProof)`. Read slots are the node's operands in order,
///      then the attribute parameter of Lookup (table) and Move (index map). For each slot the
///      proof opens the leaves the step reads — each once, in increasing leaf order — and every
///      element read is taken from its leaf: neighbouring elements (a contraction's row, a
///      pooling window) share one opening. Each opened leaf must be read at least once.
contract OneStepVerifier is IStepVerifier {
    /// @notice A parameter's root and its path in the model tree (leaf 1 + param).
    struct ParamRoot {
        uint256 param;
        bytes32 root;
        bytes32[] path;
    }

    /// @notice One opened leaf (8 elements) of a tensor, with its Merkle path.
    struct LeafOpening {
        uint256 leafIndex;
        bytes32 leaf;
        bytes32[] siblings;
    }

    /// @notice Everything a one-step reads: parameter roots, and per read slot the leaves.
    struct StepProof {
        ParamRoot[] params;
        LeafOpening[][] leaves;
    }

    /// @notice The proof does not fit the step (wrong root, index, count, or opening).
    error BadProof(string what, uint256 slot);

    /// @dev Roots and lengths of the slots of one step, and which opened leaves were read.
    struct Slots {
        bytes32[] roots;
        uint256[] lens;
        bool[][] used;
    }

    /// @inheritdoc IStepVerifier
    function describe(int256[] calldata words)
        external
        pure
        returns (uint256 outLen, uint256 steps, uint256[] memory valueOperands)
    {
        Arbiter.Node memory n = NodeDecoder.decodeNode(words);
        outLen = Ops.outLen(n);
        steps = Ops.steps(n);
        uint256 count;
        for (uint256 i = 0; i < n.operands.length; ++i) {
            if (n.operands[i].kind == Encoding.OPERAND_VALUE) ++count;
        }
        valueOperands = new uint256[](count);
        count = 0;
        for (uint256 i = 0; i < n.operands.length; ++i) {
            if (n.operands[i].kind == Encoding.OPERAND_VALUE) valueOperands[count++] = n.operands[i].id;
        }
    }

    /// @inheritdoc IStepVerifier
    function describeHeader(int256[] calldata words)
        external
        pure
        returns (
            uint256[] memory inputLens,
            uint8[] memory inputBits,
            uint256 numParams,
            uint256[] memory outputIds,
            uint256 numNodes
        )
    {
        return GraphHeader.decode(words);
    }

    /// @inheritdoc IStepVerifier
    function finalize(int256[] calldata words, int256 acc) external pure returns (int256) {
        return Ops.finish(NodeDecoder.decodeNode(words), acc);
    }

    /// @inheritdoc IStepVerifier
    function verifyStep(StepFacts calldata f, int256[] calldata words, bytes calldata proof)
        external
        pure
        returns (bool submitterRight)
    {
        if (keccak256(abi.encodePacked(words)) != f.nodeHash) revert BadProof("node words", 0);
        Arbiter.Node memory n = NodeDecoder.decodeNode(words);
        StepProof memory p = abi.decode(proof, (StepProof));
        Slots memory s = _slots(f, n, p);
        int256 result;
        if (n.tag == Encoding.OP_CONTRACT) {
            result = _contract(n, f, p, s);
        } else if (n.tag == Encoding.OP_REDUCE) {
            result = _reduce(n, f, p, s);
        } else {
            result = _elementwise(n, f.element, p, s);
        }
        for (uint256 k = 0; k < p.leaves.length; ++k) {
            for (uint256 i = 0; i < s.used[k].length; ++i) {
                if (!s.used[k][i]) revert BadProof("unused leaf", k);
            }
        }
        return result == f.claimed;
    }

    /// @dev Roots and lengths of every read slot; parameter roots checked against the model.
    function _slots(StepFacts calldata f, Arbiter.Node memory n, StepProof memory p)
        private
        pure
        returns (Slots memory s)
    {
        bool attr = n.tag == Encoding.OP_LOOKUP || n.tag == Encoding.OP_MOVE;
        uint256 count = n.operands.length + (attr ? 1 : 0);
        if (p.leaves.length != count) revert BadProof("slot count", p.leaves.length);
        s.roots = new bytes32[](count);
        s.lens = new uint256[](count);
        s.used = new bool[][](count);
        uint256 modelDepth = _treeDepth(1 + f.numParams);
        uint256 v;
        for (uint256 k = 0; k < count; ++k) {
            bool isParam;
            uint256 id;
            if (k < n.operands.length) {
                s.lens[k] = Common.numel(n.operands[k].info.shape);
                isParam = n.operands[k].kind == Encoding.OPERAND_PARAM;
                id = n.operands[k].id;
            } else {
                s.lens[k] = Common.numel(n.paramInfo.shape);
                isParam = true;
                id = n.param;
            }
            if (!isParam) {
                if (v >= f.operandRoots.length) revert BadProof("operand roots", k);
                s.roots[k] = f.operandRoots[v++];
                continue;
            }
            // A parameter the step reads nothing of needs no root (and its slot no leaves):
            // the proof does not grow with operands the step never reads. A read of such a
            // slot finds no leaf and reverts.
            if (p.leaves[k].length == 0) continue;
            s.roots[k] = _paramRoot(f.modelId, modelDepth, id, p.params, k);
        }
        if (v != f.operandRoots.length) revert BadProof("operand roots", v);
        for (uint256 k = 0; k < count; ++k) {
            _checkLeaves(s.roots[k], s.lens[k], p.leaves[k], k);
            s.used[k] = new bool[](p.leaves[k].length);
        }
    }

    /// @dev Every opened leaf of a slot verifies against the slot's root at the depth its
    ///      length fixes; leaf indices strictly increase (each leaf once, found by search).
    function _checkLeaves(bytes32 root, uint256 len, LeafOpening[] memory ls, uint256 slot) private pure {
        uint256 depth = MerkleLib.depthOf(len);
        uint256 count = MerkleLib.leafCount(len);
        for (uint256 i = 0; i < ls.length; ++i) {
            LeafOpening memory o = ls[i];
            if (o.leafIndex >= count || (i > 0 && o.leafIndex <= ls[i - 1].leafIndex)) {
                revert BadProof("leaf order", slot);
            }
            if (o.siblings.length != depth || !MerkleLib.verifyLeaf(root, o.leaf, o.leafIndex, o.siblings)) {
                revert BadProof("leaf does not verify", slot);
            }
        }
    }

    /// @dev The root of parameter `id` from the proof, verified at leaf 1 + id of the model tree.
    function _paramRoot(bytes32 modelId, uint256 depth, uint256 id, ParamRoot[] memory params, uint256 slot)
        private
        pure
        returns (bytes32)
    {
        for (uint256 i = 0; i < params.length; ++i) {
            if (params[i].param != id) continue;
            if (params[i].path.length != depth || !MerkleLib.verifyLeaf(modelId, params[i].root, 1 + id, params[i].path))
            {
                revert BadProof("parameter root", slot);
            }
            return params[i].root;
        }
        revert BadProof("missing parameter root", slot);
    }

    function _treeDepth(uint256 n) private pure returns (uint256 d) {
        while ((uint256(1) << d) < n) ++d;
    }

    /// @dev Element `index` of `slot`, from its opened (already verified) leaf.
    function _read(Slots memory s, StepProof memory p, uint256 slot, uint256 index) private pure returns (int32) {
        if (index >= s.lens[slot]) revert BadProof("element outside the tensor", slot);
        uint256 want = index / MerkleLib.ELEMENTS_PER_LEAF;
        LeafOpening[] memory ls = p.leaves[slot];
        // Binary search: leaf indices strictly increase.
        uint256 lo = 0;
        uint256 hi = ls.length;
        while (lo < hi) {
            uint256 mid = (lo + hi) / 2;
            uint256 found = ls[mid].leafIndex;
            if (found == want) {
                s.used[slot][mid] = true;
                return MerkleLib.element(ls[mid].leaf, index % MerkleLib.ELEMENTS_PER_LEAF);
            }
            if (found < want) lo = mid + 1;
            else hi = mid;
        }
        revert BadProof("leaf not opened", slot);
    }

    /// @dev Contract: accumulate [stepA, stepB) from accA (or the seed), then the epilogue if
    ///      the statement is the element itself.
    function _contract(Arbiter.Node memory n, StepFacts calldata f, StepProof memory p, Slots memory s)
        private
        pure
        returns (int256 acc)
    {
        uint256 j = f.element;
        if (f.stepA == 0) {
            int32 bias = n.c.hasBias ? _read(s, p, 2, Contract.biasIndex(n, j)) : int32(0);
            acc = Contract.seed(n, bias);
        } else {
            acc = f.accA;
        }
        (bool[] memory inB, uint256[] memory xi, uint256[] memory wi) =
            Contract.segmentReads(n, j, f.stepA, f.stepB);
        int32[] memory xs = new int32[](inB.length);
        int32[] memory ws = new int32[](inB.length);
        for (uint256 i = 0; i < inB.length; ++i) {
            if (!inB[i]) continue;
            xs[i] = _read(s, p, 0, xi[i]);
            ws[i] = _read(s, p, 1, wi[i]);
        }
        acc = Contract.segment(acc, xs, ws);
        if (f.isFinal) acc = Ops.finish(n, acc);
    }

    /// @dev Reduce: fold [stepA, stepB) from accA (or the seed), then the epilogue if final.
    function _reduce(Arbiter.Node memory n, StepFacts calldata f, StepProof memory p, Slots memory s)
        private
        pure
        returns (int256 acc)
    {
        acc = f.stepA == 0 ? Reduce.seed(n) : f.accA;
        uint256[] memory pos = Reduce.segmentReads(n, f.element, f.stepA, f.stepB);
        int32[] memory vs = new int32[](pos.length);
        for (uint256 i = 0; i < pos.length; ++i) {
            vs[i] = _read(s, p, 0, pos[i]);
        }
        acc = Reduce.segment(n, acc, vs, f.stepA);
        if (f.isFinal) acc = Ops.finish(n, acc);
    }

    /// @dev Ops computed in one step: the output element itself.
    function _elementwise(Arbiter.Node memory n, uint256 j, StepProof memory p, Slots memory s)
        private
        pure
        returns (int256)
    {
        uint256 tag = n.tag;
        uint256 len = Ops.outLen(n);
        if (j >= len) revert BadProof("element", j);
        if (tag == Encoding.OP_RESCALE) {
            return Rescale.element(n, _read(s, p, 0, j));
        }
        if (tag == Encoding.OP_ISQRT) {
            return ISqrt.element(n, _read(s, p, 0, j));
        }
        if (tag == Encoding.OP_BINARY || tag == Encoding.OP_DIV) {
            (uint256 ai, uint256 bi) = Binary.reads(n, j);
            int32 a = _read(s, p, 0, ai);
            int32 b = _read(s, p, 1, bi);
            return tag == Encoding.OP_BINARY ? Binary.element(n, a, b) : Div.element(n, a, b);
        }
        if (tag == Encoding.OP_LOOKUP) {
            int32 x = _read(s, p, 0, j);
            return _read(s, p, n.operands.length, Lookup.index(n, x));
        }
        if (tag == Encoding.OP_MOVE) {
            int32 entry = _read(s, p, n.operands.length, j);
            (bool isFill, uint256 input, uint256 index) = Movement.source(entry, Movement.inputLens(n));
            return isFill ? n.fill : int256(_read(s, p, input, index));
        }
        if (tag == Encoding.OP_GATHER) {
            int32 iv = _read(s, p, 1, Gather.indexPos(n, j));
            return _read(s, p, 0, Gather.source(n, j, iv));
        }
        revert Arbiter.WrongOp(tag);
    }
}
