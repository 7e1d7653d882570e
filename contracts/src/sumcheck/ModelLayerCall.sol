// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {SumcheckFr} from "./SumcheckFr.sol";
import {SumcheckTranscript} from "./SumcheckTranscript.sol";
import {BatchOpening} from "./BatchOpening.sol";
import {ModelPlan} from "./ModelPlan.sol";

/// @title ModelLayerCall — the layer loop of a layered proof, run in a second contract
/// @notice `ModelVerifier` reached EIP-170's 24 576 bytes with four layer kinds, so the layers
///         (every kind, from the last layer to the first) are verified by `ModelLayerVerifier`,
///         which the verifier creates in its constructor and calls once per proof
///         (`staticcall`); the verifier keeps the header, the range groups and the batched
///         opening. The call carries the whole state the layers read and leave — nothing is
///         trusted across it but the code both contracts were built from. Both sides are here:
///         - request (raw words): `pc, i, tlen, nTable, xLen, yLen, planLen, proofLen`, the
///           plan, the commitment table (`x, y` each), the proof, the transcript's state and
///           its `tlen` pending words, then `x` and `y` as the verifier received them;
///         - answer (raw words): `pc', i', tlen'`, the state and pending words, the claim
///           count, per claim `cx, cy, eval, len, point[len]` (kept for the batched opening;
///           claims on the public tensors were checked inside, as `ModelPlan.claim` does).
///         A rejection inside reverts with its `SumcheckRejected(code)`, re-raised unchanged.
library ModelLayerCall {
    uint256 private constant HEAD = 8;
    /// @notice Words the layers may absorb between two challenges beyond those pending when
    ///         the call starts (the plan's `64`-word margin, four times over).
    uint256 internal constant LAYER_WORDS = 256;

    // ---- the verifier's side ----

    /// @notice Verify the layers (the plan cursor at their count) in the contract at `layers`.
    function run(
        address layers,
        ModelPlan.Run memory r,
        SumcheckTranscript.Transcript memory t,
        SumcheckFr.Cursor memory c
    ) internal view {
        uint256[] memory ret = send(layers, r, t, c);
        uint256 k = ret[2];
        // Room for the state and the `k` pending words the answer carries.
        t.len = 0;
        SumcheckTranscript.reserve(t, k);
        uint256[] memory buf = t.buf;
        assembly ("memory-safe") {
            mcopy(add(buf, 0x20), add(ret, 0x80), shl(5, add(k, 1)))
        }
        (r.pc, c.i, t.len) = (ret[0], ret[1], k);
        k += 4;
        uint256 claims = ret[k];
        require(claims <= r.claims.length);
        k = 32 * (k + 1);
        for (uint256 j = 0; j < claims; j++) {
            BatchOpening.Claim memory cl;
            assembly ("memory-safe") {
                let w := add(add(ret, 0x20), k)
                let g := mload(0x40)
                mstore(g, mload(w))
                mstore(add(g, 0x20), mload(add(w, 0x20)))
                mstore(0x40, add(g, 0x40))
                mstore(cl, g)
                mstore(add(cl, 0x40), mload(add(w, 0x40)))
                let point := add(w, 0x60)
                mstore(add(cl, 0x20), point)
                k := add(k, shl(5, add(4, mload(point))))
            }
            r.claims[j] = cl;
        }
        r.nClaims = claims;
    }

    /// @dev The request (struct fields read in place: `Run.plan`, `.pc`, `.table`, `.xOffset`,
    ///      `.yOffset`; `Transcript.buf`, `.len`; `Cursor.w`, `.i`), the call, the answer.
    function send(
        address layers,
        ModelPlan.Run memory r,
        SumcheckTranscript.Transcript memory t,
        SumcheckFr.Cursor memory c
    ) private view returns (uint256[] memory ret) {
        assembly ("memory-safe") {
            let p := mload(0x40)
            let plan := mload(r)
            let table := mload(add(r, 0x40))
            mstore(p, mload(add(r, 0x20)))
            mstore(add(p, 0x20), mload(add(c, 0x20)))
            mstore(add(p, 0x40), mload(add(t, 0x20)))
            mstore(add(p, 0x60), mload(table))
            // x: inRows·inCols, y: outRows·outCols int32s (plan words 4, 5, 7, 8)
            mstore(add(p, 0x80), shl(2, mul(mload(add(plan, 0xa0)), mload(add(plan, 0xc0)))))
            mstore(add(p, 0xa0), shl(2, mul(mload(add(plan, 0x100)), mload(add(plan, 0x120)))))
            mstore(add(p, 0xc0), mload(plan))
            mstore(add(p, 0xe0), mload(mload(c)))
            let q := add(p, 0x100)
            let len := shl(5, mload(plan))
            mcopy(q, add(plan, 0x20), len)
            q := add(q, len)
            for { let j := 0 } lt(j, mload(table)) { j := add(j, 1) } {
                let g := mload(add(table, shl(5, add(j, 1))))
                mstore(q, mload(g))
                mstore(add(q, 0x20), mload(add(g, 0x20)))
                q := add(q, 0x40)
            }
            len := shl(5, mload(mload(c)))
            mcopy(q, add(mload(c), 0x20), len)
            q := add(q, len)
            len := shl(5, add(mload(add(t, 0x20)), 1))
            mcopy(q, add(mload(t), 0x20), len)
            q := add(q, len)
            len := mload(add(p, 0x80))
            calldatacopy(q, mload(add(r, 0xa0)), len)
            q := add(q, len)
            len := mload(add(p, 0xa0))
            calldatacopy(q, mload(add(r, 0xc0)), len)
            q := add(q, len)
            if iszero(staticcall(gas(), layers, p, sub(q, p), 0, 0)) {
                returndatacopy(p, 0, returndatasize())
                revert(p, returndatasize())
            }
            ret := p
            mstore(ret, shr(5, returndatasize()))
            returndatacopy(add(ret, 0x20), 0, returndatasize())
            mstore(0x40, add(add(ret, 0x20), returndatasize()))
        }
    }

    // ---- the layer verifier's side ----

    /// @notice Read a request: the run (plan, cursor, commitment table, claim list, where `x`
    ///         and `y` sit in this call's data), the transcript and the proof cursor.
    function open()
        internal
        pure
        returns (ModelPlan.Run memory r, SumcheckTranscript.Transcript memory t, SumcheckFr.Cursor memory c)
    {
        uint256 nTable = word(3);
        uint256 pos = HEAD;
        r.plan = words(pos, word(6));
        pos += word(6);
        r.pc = word(0);
        r.table = new SumcheckFr.G1[](nTable);
        for (uint256 j = 0; j < nTable; j++) {
            r.table[j] = SumcheckFr.G1(word(pos), word(pos + 1));
            pos += 2;
        }
        c.w = words(pos, word(7));
        c.i = word(1);
        pos += word(7);
        uint256 tlen = word(2);
        // The plan's capacity covers the batched opening's claims, absorbed in the verifier;
        // the layers absorb a few stated values or round messages between challenges.
        uint256 capacity = tlen + LAYER_WORDS;
        if (capacity > r.plan[ModelPlan.CAPACITY]) capacity = r.plan[ModelPlan.CAPACITY];
        uint256[] memory buf = new uint256[](capacity + 1);
        require(tlen < buf.length);
        // The state and the `tlen` pending words, one copy.
        assembly ("memory-safe") {
            calldatacopy(add(buf, 0x20), shl(5, pos), shl(5, add(tlen, 1)))
        }
        t.buf = buf;
        t.len = tlen;
        pos += tlen + 1;
        r.xOffset = 32 * pos;
        r.yOffset = r.xOffset + word(4);
        require(r.yOffset + word(5) == msg.data.length);
        r.claims = new BatchOpening.Claim[](r.plan[ModelPlan.CLAIM_COUNT]);
    }

    /// @notice The answer: the cursors, the transcript's state and pending words, the claims
    ///         (struct fields read in place, as `send` does; one copy per claim).
    function answer(ModelPlan.Run memory r, SumcheckTranscript.Transcript memory t, SumcheckFr.Cursor memory c)
        internal
        pure
        returns (bytes memory out)
    {
        uint256 n = t.len + 5;
        for (uint256 j = 0; j < r.nClaims; j++) {
            n += 4 + r.claims[j].point.length;
        }
        out = new bytes(32 * n);
        assembly ("memory-safe") {
            let o := add(out, 0x20)
            mstore(o, mload(add(r, 0x20)))
            mstore(add(o, 0x20), mload(add(c, 0x20)))
            mstore(add(o, 0x40), mload(add(t, 0x20)))
            let len := shl(5, add(mload(add(t, 0x20)), 1))
            mcopy(add(o, 0x60), add(mload(t), 0x20), len)
            o := add(add(o, 0x60), len)
            let count := mload(add(r, 0x80))
            mstore(o, count)
            o := add(o, 0x20)
            let claims := mload(add(r, 0x60))
            for { let j := 0 } lt(j, count) { j := add(j, 1) } {
                // a `BatchOpening.Claim`: `c` (a G1), `point`, `eval`
                let cl := mload(add(claims, shl(5, add(j, 1))))
                let g := mload(cl)
                mstore(o, mload(g))
                mstore(add(o, 0x20), mload(add(g, 0x20)))
                mstore(add(o, 0x40), mload(add(cl, 0x40)))
                let point := mload(add(cl, 0x20))
                len := shl(5, add(mload(point), 1))
                mcopy(add(o, 0x60), point, len)
                o := add(add(o, 0x60), len)
            }
        }
    }

    function word(uint256 i) private pure returns (uint256 v) {
        assembly ("memory-safe") {
            v := calldataload(shl(5, i))
        }
    }

    function words(uint256 from, uint256 n) private pure returns (uint256[] memory v) {
        v = new uint256[](n);
        assembly ("memory-safe") {
            calldatacopy(add(v, 0x20), shl(5, from), shl(5, n))
        }
    }
}
