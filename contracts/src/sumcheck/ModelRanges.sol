// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {SumcheckFr} from "./SumcheckFr.sol";
import {SumcheckTranscript} from "./SumcheckTranscript.sol";
import {LogupRange} from "./LogupRange.sol";
import {ModelPlan} from "./ModelPlan.sol";

/// @title ModelRanges — one range group of a layered model proof (Rust: the range loop of
///        `gkr::verify_model`)
/// @notice The columns of one width are stacked (`p` index variables, `m` for the longest
///         column) and checked by one deferred logUp argument; its claim on the stack at
///         `ρ_c‖ρ_x` must equal `Σ_c eq(ρ_c, c)·Π_{lead}(1 − ρ_x,i)·(k_c·mask(tail) + Σ coeff·T(tail))`,
///         the hidden tensors' values at the tail stated by the prover (then absorbed, and
///         claimed for the batch), the public ones evaluated here.
library ModelRanges {
    using SumcheckTranscript for SumcheckTranscript.Transcript;
    using SumcheckFr for SumcheckFr.Cursor;
    using ModelPlan for ModelPlan.Run;

    uint256 internal constant R = SumcheckFr.R;
    /// @notice The stacked columns' value differs from the range argument's claim.
    uint256 internal constant STACK = 64;

    /// @dev The group's shape and running values.
    struct Group {
        uint256 p;
        uint256 m;
        uint256[] rho;
        uint256[] eqC;
        uint256 total;
    }

    function group(
        ModelPlan.Run memory r,
        SumcheckTranscript.Transcript memory t,
        SumcheckFr.Cursor memory c
    ) internal pure {
        uint256 bits = r.next();
        Group memory g;
        (g.p, g.m) = (r.next(), r.next());
        uint256 cols = r.next();
        LogupRange.Claims memory lc = LogupRange.verifyDeferred(t, c, g.p + g.m, bits);
        r.push(lc.h, lc.rhoA, lc.hA);
        r.push(lc.g, lc.rhoT, lc.gT);
        r.push(lc.mu, lc.rhoT, lc.muT);
        g.rho = lc.rhoA;
        g.eqC = SumcheckFr.eqTable(g.rho, 0, g.p);
        uint256 first = c.i;
        for (uint256 k = 0; k < cols; k++) {
            column(r, c, g, k);
        }
        if (g.total != lc.aA) revert SumcheckFr.SumcheckRejected(STACK);
        t.absorbRange(c.w, first, c.i);
    }

    /// @dev Column `k`: its value at the tail of `ρ_x`, weighted into `g.total`.
    function column(
        ModelPlan.Run memory r,
        SumcheckFr.Cursor memory c,
        Group memory g,
        uint256 k
    ) private pure {
        uint256 rows = r.next();
        uint256 cols = r.next();
        uint256 vars = ModelPlan.log2Ceil(rows) + ModelPlan.log2Ceil(cols);
        uint256 cut = g.p + g.m - vars;
        uint256[] memory tail = ModelPlan.slice(g.rho, cut, vars);
        uint256 lead = 1;
        for (uint256 i = g.p; i < cut; i++) {
            lead = mulmod(lead, SumcheckFr.sub(1, g.rho[i]), R);
        }
        uint256 v = mulmod(r.next(), ModelPlan.maskEval(rows, cols, tail), R);
        v = addmod(v, terms(r, c, tail), R);
        g.total = addmod(g.total, mulmod(mulmod(g.eqC[k], lead, R), v, R), R);
    }

    /// @dev `Σ coeff·T(tail)` over the column's terms: public tensors evaluated, hidden ones
    ///      read from the proof and claimed.
    function terms(ModelPlan.Run memory r, SumcheckFr.Cursor memory c, uint256[] memory tail)
        private
        pure
        returns (uint256 v)
    {
        uint256 n = r.next();
        for (uint256 j = 0; j < n; j++) {
            uint256 poly = r.next();
            uint256 coeff = r.next();
            uint256 e;
            if (poly == ModelPlan.INPUT || poly == ModelPlan.OUTPUT) {
                e = r.evalPublic(poly, tail);
            } else {
                e = c.nextFr();
                r.claim(poly, tail, e);
            }
            v = addmod(v, mulmod(coeff, e, R), R);
        }
    }
}
