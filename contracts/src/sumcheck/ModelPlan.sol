// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {SumcheckFr} from "./SumcheckFr.sol";
import {SumcheckTranscript} from "./SumcheckTranscript.sol";
import {BatchOpening} from "./BatchOpening.sol";
import {HyperKZG} from "./HyperKZG.sol";
import {PackedTensor} from "./PackedTensor.sol";

/// @title ModelPlan — a layered model's verifying key as words, and the claims a proof leaves
/// @notice Rust builds the plan from the `ChainSpec` (`backend::layered::model_plan`): every
///         length, shape, requantization constant and column the verifier needs, in the order
///         it needs them, so the Solidity verifier replays `gkr::verify_model` with no
///         knowledge of the spec's encoding. The plan lives in the code of data contracts
///         (`ModelPlanStore`: chunks read with one `extcodecopy` each, bound by the plan's
///         hash), not in storage. Layout:
///         `digest, capacity, proofWords, K, inRows, inCols, inBits, outRows, outCols, outBits,
///         nw, nc, vk[8], C_W (2·nw)`; `L`, then per layer (last first) `0, a, c, b, m, k, n,
///         y, rem, bias, x, w, 2^s, 2^(s−1), mult^-1, 2^t` (a matrix product) or
///         `1, v, c, y, x` (a clip), `2, …` (a move), `3, …` (a `ReduceMax`: `ModelWiring`) or `4, …`
///         (a two-operand layer or a sum: `ModelArith`), `5, …` (`ModelAttn`), `6, …`
///         (`ModelDiv`) or `7` (a lookup) — the layers run in `ModelLayerVerifier`
///         (`ModelLayerCall`);
///         `G`, then per range group `bits, p, m, cols` and per
///         column `rows, cols, constant, terms, (poly, coeff)·terms`; then the lookup count and per
///         lookup layer its `ModelLookup` record. A polynomial is `0`
///         (none), `1` (the public input), `2` (the public output) or `3 + slot`, slot
///         indexing the weight commitments followed by the proof's commitments.
library ModelPlan {
    uint256 internal constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;

    uint256 internal constant NONE = 0;
    uint256 internal constant INPUT = 1;
    uint256 internal constant OUTPUT = 2;
    uint256 internal constant SLOTS = 3;

    uint256 internal constant DIGEST = 0;
    uint256 internal constant CAPACITY = 1;
    uint256 internal constant PROOF_WORDS = 2;
    uint256 internal constant CLAIM_COUNT = 3;
    uint256 internal constant IN_ROWS = 4;
    uint256 internal constant IN_COLS = 5;
    uint256 internal constant IN_BITS = 6;
    uint256 internal constant OUT_ROWS = 7;
    uint256 internal constant OUT_COLS = 8;
    uint256 internal constant OUT_BITS = 9;
    uint256 internal constant NW = 10;
    uint256 internal constant NC = 11;
    uint256 internal constant VK = 12;
    uint256 internal constant WEIGHTS = 20;

    /// @notice The public input or output differs in length from the model's.
    uint256 internal constant LENGTH = 60;
    /// @notice A public value lies outside its bit bound.
    uint256 internal constant OUT_OF_BOUND = 61;
    /// @notice A claim on the public input or output differs from its value at the point.
    uint256 internal constant PUBLIC_EVAL = 62;
    /// @notice The proof leaves another number of claims than the plan says (a bad plan).
    uint256 internal constant CLAIMS = 66;

    /// @notice A verification under way: the plan and where it is read, the commitment
    ///         table (weights, then the proof's), the claims collected for the batch, where the public `x`, `y` sit in calldata.
    struct Run {
        uint256[] plan;
        uint256 pc;
        SumcheckFr.G1[] table;
        BatchOpening.Claim[] claims;
        uint256 nClaims;
        uint256 xOffset;
        uint256 yOffset;
    }

    function next(Run memory r) internal pure returns (uint256 v) {
        uint256[] memory p = r.plan;
        uint256 at = r.pc;
        // The bound an indexed read would check (a plan shorter than its own records).
        require(at < p.length);
        assembly ("memory-safe") {
            v := mload(add(p, shl(5, add(at, 1))))
        }
        // `at < p.length`: no overflow.
        unchecked {
            r.pc = at + 1;
        }
    }

    function vk(Run memory r) internal pure returns (HyperKZG.Vk memory v) {
        // The plan is longer than `WEIGHTS` (the constructor refuses a shorter one).
        uint256[] memory p = r.plan;
        (uint256[4] memory g2, uint256[4] memory tauG2) = (v.g2, v.tauG2);
        assembly ("memory-safe") {
            mcopy(g2, add(p, shl(5, add(VK, 1))), 0x80)
            mcopy(tauG2, add(p, shl(5, add(VK, 5))), 0x80)
        }
    }

    /// @notice A claim `poly(point) = eval`: checked now for a public tensor, kept for the
    ///         batched opening otherwise (Rust: the `claim` closure of `verify_model`).
    function claim(Run memory r, uint256 poly, uint256[] memory point, uint256 eval) internal pure {
        if (poly == INPUT || poly == OUTPUT) {
            if (evalPublic(r, poly, point) != eval) revert SumcheckFr.SumcheckRejected(PUBLIC_EVAL);
            return;
        }
        push(r, r.table[poly - SLOTS], point, eval);
    }

    function push(Run memory r, SumcheckFr.G1 memory c, uint256[] memory point, uint256 eval) internal pure {
        if (r.nClaims == r.claims.length) revert SumcheckFr.SumcheckRejected(CLAIMS);
        r.claims[r.nClaims] = BatchOpening.Claim(c, point, eval);
        // Below `claims.length` (checked above): no overflow.
        unchecked {
            r.nClaims += 1;
        }
    }

    /// @notice The free memory pointer: where `compact`'s caller marks the start of a step.
    function mark() internal pure returns (uint256 m) {
        assembly ("memory-safe") {
            m := mload(0x40)
        }
    }

    /// @notice Free what a step (a layer, a range group, a lookup, the layer call) allocated
    ///         since `base` (`mark()` before it), keeping the claims it added — from claim
    ///         `from` on, their structs and the points and commitments among them that lie
    ///         past `base` — moved down to `base`. Solidity never frees memory and its expansion
    ///         gas is quadratic in the peak, so without this every layer's `eq` tables, points
    ///         and sumcheck buffers stay allocated to the end of the proof. The caller keeps
    ///         nothing else allocated past `base` (the run, transcript and cursor were allocated
    ///         before; the steps write only their own locals and the claims) but the
    ///         transcript's buffer where the step grew it (`SumcheckTranscript.reserve`): its
    ///         state and pending words move down too.
    function compact(Run memory r, SumcheckTranscript.Transcript memory t, uint256 base, uint256 from)
        internal
        pure
    {
        BatchOpening.Claim[] memory claims = r.claims;
        uint256 n = r.nClaims;
        assembly ("memory-safe") {
            // Stage the kept words past the free pointer, with the addresses they will have
            // once moved to `base`, then move them with one copy (`mcopy` allows the overlap).
            let top := mload(0x40)
            let q := top
            for { let j := from } lt(j, n) { j := add(j, 1) } {
                let slot := add(claims, shl(5, add(j, 1)))
                let cl := mload(slot)
                let s := q
                q := add(q, 0x60)
                // a `BatchOpening.Claim`: `c` (a G1), `point`, `eval`
                let g := mload(cl)
                if iszero(lt(g, base)) {
                    mstore(q, mload(g))
                    mstore(add(q, 0x20), mload(add(g, 0x20)))
                    g := add(base, sub(q, top))
                    q := add(q, 0x40)
                }
                let pt := mload(add(cl, 0x20))
                if iszero(lt(pt, base)) {
                    let len := shl(5, add(mload(pt), 1))
                    mcopy(q, pt, len)
                    pt := add(base, sub(q, top))
                    q := add(q, len)
                }
                mstore(s, g)
                mstore(add(s, 0x20), pt)
                mstore(add(s, 0x40), mload(add(cl, 0x40)))
                mstore(slot, add(base, sub(s, top)))
            }
            // `Transcript`: `buf`, `len`. A buffer grown in the step keeps its state and
            // pending words (its length those: the next absorb grows it again).
            let b := mload(t)
            if iszero(lt(b, base)) {
                let keep := add(mload(add(t, 0x20)), 1)
                mstore(q, keep)
                mcopy(add(q, 0x20), add(b, 0x20), shl(5, keep))
                mstore(t, add(base, sub(q, top)))
                q := add(q, shl(5, add(keep, 1)))
            }
            mcopy(base, top, sub(q, top))
            mstore(0x40, add(base, sub(q, top)))
        }
    }

    /// @notice The public input's or output's multilinear extension at `point` (row bits,
    ///         then column bits).
    function evalPublic(Run memory r, uint256 poly, uint256[] memory point) internal pure returns (uint256 v) {
        bool input = poly == INPUT;
        uint256 rows = r.plan[input ? IN_ROWS : OUT_ROWS];
        uint256 cols = r.plan[input ? IN_COLS : OUT_COLS];
        uint256 a = log2Ceil(rows);
        if (point.length != a + log2Ceil(cols)) revert SumcheckFr.SumcheckRejected(CLAIMS);
        uint256[] memory eqRow = SumcheckFr.eqTable(point, 0, a);
        uint256[] memory eqCol = SumcheckFr.eqTable(point, a, point.length - a);
        v = PackedTensor.evalPlain(input ? r.xOffset : r.yOffset, rows, cols, eqRow, eqCol);
    }

    /// @notice The multilinear extension of the indicator of a `rows × cols` layout's real
    ///         entries at `point` (Rust: `columns::mask_eval`).
    function maskEval(uint256 rows, uint256 cols, uint256[] memory point) internal pure returns (uint256) {
        uint256 a = log2Ceil(rows);
        return mulmod(eqPrefix(point, 0, a, rows), eqPrefix(point, a, point.length - a, cols), R);
    }

    /// @notice `Σ_{i < n} eq(r, i)` for `r = point[from..from+len]` (`r_1` the most significant
    ///         bit, `n ≤ 2^len`) in `len` steps, without the table: walking `n`'s bits from the
    ///         top, each 1 bit adds the indices that match `n` so far and have a 0 there (their
    ///         `eq` weights sum to the matched prefix's product times `1 − r_k`).
    function eqPrefix(uint256[] memory point, uint256 from, uint256 len, uint256 n)
        internal
        pure
        returns (uint256 s)
    {
        require(from + len <= point.length && n <= (1 << len));
        if (n == (1 << len)) return 1;
        assembly ("memory-safe") {
            let acc := 1
            for { let k := 0 } lt(k, len) { k := add(k, 1) } {
                let rk := mload(add(point, shl(5, add(add(from, k), 1))))
                let one := addmod(1, sub(R, rk), R)
                switch and(shr(sub(sub(len, 1), k), n), 1)
                case 1 {
                    s := addmod(s, mulmod(acc, one, R), R)
                    acc := mulmod(acc, rk, R)
                }
                default { acc := mulmod(acc, one, R) }
            }
        }
    }

    /// @notice `p[from..from+len]` as a new array.
    function slice(uint256[] memory p, uint256 from, uint256 len) internal pure returns (uint256[] memory s) {
        // Every caller's slice lies inside `p` (a point split at a layout's row bits, a tail).
        s = new uint256[](len);
        assembly ("memory-safe") {
            mcopy(add(s, 0x20), add(p, shl(5, add(from, 1))), shl(5, len))
        }
    }

    /// @notice `a ‖ b`.
    function concat(uint256[] memory a, uint256[] memory b) internal pure returns (uint256[] memory s) {
        s = new uint256[](a.length + b.length);
        assembly ("memory-safe") {
            let n := mload(a)
            mcopy(add(s, 0x20), add(a, 0x20), shl(5, n))
            mcopy(add(s, shl(5, add(n, 1))), add(b, 0x20), shl(5, mload(b)))
        }
    }

    /// @notice The least `l` with `2^l ≥ x` (0 for `x ≤ 1`): the bit length of `x − 1`, by
    ///         halving the range eight times instead of a loop of up to `l` steps.
    function log2Ceil(uint256 x) internal pure returns (uint256 l) {
        assembly ("memory-safe") {
            let v := sub(x, gt(x, 0))
            let s := shl(7, gt(v, 0xffffffffffffffffffffffffffffffff))
            v := shr(s, v)
            l := s
            s := shl(6, gt(v, 0xffffffffffffffff))
            v := shr(s, v)
            l := or(l, s)
            s := shl(5, gt(v, 0xffffffff))
            v := shr(s, v)
            l := or(l, s)
            s := shl(4, gt(v, 0xffff))
            v := shr(s, v)
            l := or(l, s)
            s := shl(3, gt(v, 0xff))
            v := shr(s, v)
            l := or(l, s)
            s := shl(2, gt(v, 0xf))
            v := shr(s, v)
            l := or(l, s)
            s := shl(1, gt(v, 0x3))
            v := shr(s, v)
            l := or(l, s)
            s := gt(v, 0x1)
            v := shr(s, v)
            l := or(l, s)
            // `v` is now 0 (`x − 1 = 0`) or 1 (the top bit, at `l`).
            l := add(l, v)
        }
    }
}
