// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {SumcheckFr} from "./SumcheckFr.sol";
import {SumcheckTranscript} from "./SumcheckTranscript.sol";
import {SumcheckVerifier} from "./SumcheckVerifier.sol";
import {ModelPlan} from "./ModelPlan.sol";

/// @title ModelLookup — a lookup layer's two-column logUp (Rust: `gkr::lookup::verify`)
/// @notice `Y = T[X − lo]` against a table committed as a weight: after the range groups, per
///         lookup layer, `m` and `k` absorbed, `C_μ`, challenges `γ`, `β`, `C_h`, `C_g`, the
///         sum `S`, `z_a`, `z_t`, `λ`; then the values' sumcheck over `[eq, h, X, Y, mask]`
///         (`h + λ·eq·(h·(β − lo + X + γ·Y) − mask)`) and the table's over `[eq, g, id, T, μ]`
///         (`g + λ·eq·(g·(β + id + γ·T) − μ)`), both of sum `S`; `eq`, the mask and the
///         index column recomputed; `h`, `g`, `μ` opened (claims on the argument's own
///         commitments), `X`, `Y`, `T` claimed. Plan record: `m, k, x, y, table, lo, rows,
///         cols` (`Y`'s layout).
library ModelLookup {
    using SumcheckTranscript for SumcheckTranscript.Transcript;
    using SumcheckFr for SumcheckFr.Cursor;
    using ModelPlan for ModelPlan.Run;

    uint256 internal constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;

    /// @notice A lookup's `eq` value differs from `eq(z, ρ)`.
    uint256 internal constant EQ = 87;
    /// @notice A lookup's mask value differs from the output layout's mask at `ρ`.
    uint256 internal constant MASK = 88;
    /// @notice A lookup's index column value differs from `Σ 2^i·ρ_i`.
    uint256 internal constant INDEX = 89;

    struct Lk {
        uint256 m;
        uint256 k;
        uint256 x;
        uint256 y;
        uint256 table;
        uint256 lo;
        uint256 rows;
        uint256 cols;
        SumcheckFr.G1 mu;
        SumcheckFr.G1 h;
        SumcheckFr.G1 g;
        uint256 gamma;
        uint256 beta;
        uint256 lambda;
        uint256 sum;
    }

    function verify(ModelPlan.Run memory r, SumcheckTranscript.Transcript memory t, SumcheckFr.Cursor memory c)
        internal
        pure
    {
        Lk memory a;
        (a.m, a.k, a.x, a.y, a.table) = (r.next(), r.next(), r.next(), r.next(), r.next());
        (a.lo, a.rows, a.cols) = (r.next(), r.next(), r.next());
        t.absorb(a.m);
        t.absorb(a.k);
        a.mu = c.nextG1();
        t.absorbG1(a.mu);
        a.gamma = t.challenge();
        a.beta = t.challenge();
        a.h = c.nextG1();
        a.g = c.nextG1();
        t.absorbG1(a.h);
        t.absorbG1(a.g);
        a.sum = c.nextFr();
        t.absorb(a.sum);
        uint256[] memory zA = t.challenges(a.m);
        uint256[] memory zT = t.challenges(a.k);
        a.lambda = t.challenge();
        // [eq, h, X, Y, mask]: the shift β − lo, the value X + γ·Y, the weight mask.
        (uint256[] memory rv, uint256[] memory fa) = side(t, c, a, a.m, SumcheckFr.sub(a.beta, a.lo));
        // [eq, g, id, T, μ]
        (uint256[] memory rt, uint256[] memory ft) = side(t, c, a, a.k, a.beta);
        if (fa[0] != SumcheckFr.eqLifted(zA, rv) || ft[0] != SumcheckFr.eqLifted(zT, rt)) {
            revert SumcheckFr.SumcheckRejected(EQ);
        }
        if (fa[4] != ModelPlan.maskEval(a.rows, a.cols, rv)) revert SumcheckFr.SumcheckRejected(MASK);
        uint256 id = 0;
        for (uint256 j = 0; j < rt.length; j++) {
            id = addmod(addmod(id, id, R), rt[j], R);
        }
        if (ft[2] != id) revert SumcheckFr.SumcheckRejected(INDEX);
        r.push(a.h, rv, fa[1]);
        r.push(a.g, rt, ft[1]);
        r.push(a.mu, rt, ft[4]);
        r.claim(a.x, rv, fa[2]);
        r.claim(a.y, rv, fa[3]);
        r.claim(a.table, rt, ft[3]);
    }

    /// @dev One side's sumcheck of sum `S` and its statement at the final values
    ///      `[eq, h, u, v, w]`: `h + λ·eq·(h·(shift + u + γ·v) − w)`.
    function side(
        SumcheckTranscript.Transcript memory t,
        SumcheckFr.Cursor memory c,
        Lk memory a,
        uint256 n,
        uint256 shift
    ) private pure returns (uint256[] memory rho, uint256[] memory f) {
        uint256 e;
        (rho, e) = SumcheckVerifier.rounds(t, c, n, 3, a.sum);
        f = SumcheckVerifier.finals(t, c, 5);
        uint256 inner = addmod(addmod(shift, f[2], R), mulmod(a.gamma, f[3], R), R);
        uint256 le = mulmod(a.lambda, f[0], R);
        uint256 got = addmod(f[1], SumcheckFr.sub(mulmod(le, mulmod(f[1], inner, R), R), mulmod(le, f[4], R)), R);
        SumcheckVerifier.expect(got, e);
    }
}
