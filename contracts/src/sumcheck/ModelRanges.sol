// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {SumcheckFr} from "./SumcheckFr.sol";
import {SumcheckTranscript} from "./SumcheckTranscript.sol";
import {LogupRange} from "./LogupRange.sol";
import {ModelPlan} from "./ModelPlan.sol";

/// @title ModelRanges — one range group of a layered model proof (Rust: the range loop of
///        `gkr::verify_model`)
/// @notice The columns of one width are stacked (`n` variables: one after the other, largest
///         first, so a column of `v` variables starts at an offset `o` that is a multiple of
///         `2^v`) and checked by one deferred logUp argument; its claim on the stack at `ρ`
///         must equal `Σ_c eq(ρ_lead, o_c/2^v)·(k_c·mask(tail) + Σ coeff·T(tail))` (`tail` the
///         last `v` coordinates), the hidden tensors' values at the tail stated by the prover
///         (then absorbed, and claimed for the batch), the public ones evaluated here.
library ModelRanges {
    using SumcheckTranscript for SumcheckTranscript.Transcript;
    using SumcheckFr for SumcheckFr.Cursor;
    using ModelPlan for ModelPlan.Run;

    uint256 internal constant R = SumcheckFr.R;
    /// @notice The stacked columns' value differs from the range argument's claim.
    uint256 internal constant STACK = 64;

    /// @dev The group's shape and running values.
    struct Group {
        uint256 n;
        uint256 off;
        uint256[] rho;
        uint256 total;
    }

    function group(
        ModelPlan.Run memory r,
        SumcheckTranscript.Transcript memory t,
        SumcheckFr.Cursor memory c
    ) internal pure {
        uint256 bits = r.next();
        Group memory g;
        g.n = r.next();
        uint256 cols = r.next();
        LogupRange.Claims memory lc = LogupRange.verifyDeferred(t, c, g.n, bits);
        r.push(lc.h, lc.rhoA, lc.hA);
        r.push(lc.g, lc.rhoT, lc.gT);
        r.push(lc.mu, lc.rhoT, lc.muT);
        g.rho = lc.rhoA;
        uint256 first = c.i;
        for (uint256 k = 0; k < cols; k++) {
            column(r, c, g);
        }
        if (g.total != lc.aA) revert SumcheckFr.SumcheckRejected(STACK);
        t.absorbRange(c.w, first, c.i);
    }

    /// @dev The next column: its value at the tail of `ρ`, weighted by its block's selector
    ///      into `g.total`.
    function column(ModelPlan.Run memory r, SumcheckFr.Cursor memory c, Group memory g) private pure {
        uint256 rows = r.next();
        uint256 cols = r.next();
        uint256 vars = ModelPlan.log2Ceil(rows) + ModelPlan.log2Ceil(cols);
        uint256 cut = g.n - vars;
        uint256[] memory tail = ModelPlan.slice(g.rho, cut, vars);
        uint256 block = g.off >> vars;
        g.off += 1 << vars;
        uint256 lead = 1;
        uint256[] memory rho = g.rho;
        // The reads' bound (`cut ≤ g.n`, the coordinates of `ρ`).
        require(cut <= rho.length);
        uint256 q = R;
        assembly ("memory-safe") {
            for { let i := 0 } lt(i, cut) { i := add(i, 1) } {
                let ri := mload(add(rho, shl(5, add(i, 1))))
                // Bit `cut − 1 − i` of the block: `r_i` where it is 1, `1 − r_i` where 0.
                switch and(shr(sub(sub(cut, 1), i), block), 1)
                case 1 { lead := mulmod(lead, ri, q) }
                default { lead := mulmod(lead, addmod(1, sub(q, ri), q), q) }
            }
        }
        uint256 v = mulmod(r.next(), ModelPlan.maskEval(rows, cols, tail), R);
        v = addmod(v, terms(r, c, tail), R);
        g.total = addmod(g.total, mulmod(lead, v, R), R);
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
