// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {SumcheckFr} from "./SumcheckFr.sol";
import {SumcheckTranscript} from "./SumcheckTranscript.sol";

/// @title HyperKZG — verifies one multilinear opening on the BN254 precompiles
/// @notice Rust: `verinfer_sumcheck::pcs::hyperkzg::verify`, same transcript. Absorb `ℓ`, `C`,
///         `u`, `v`; the fold commitments `C_1..C_(ℓ−1)`; `r` (`r ∈ {0, ±1}` refused); the
///         `3ℓ` values `f_i(r), f_i(−r), f_i(r²)`; `q`; `W`; `z`; `W'`. Checks every fold
///         `2r·f_(i+1)(r²) = r(1−u)(f_i(r)+f_i(−r)) + u(f_i(r)−f_i(−r))` (`f_ℓ(r²) = v`) and
///         `e(C_B − I(z)·G1 − Z(z)·W + z·W', G2)·e(−W', τ·G2) = 1`, `C_B = Σ q^i·C_i`: an
///         `ℓ+3`-point MSM (ecMul/ecAdd) and one two-pair ecPairing.
library HyperKZG {
    using SumcheckTranscript for SumcheckTranscript.Transcript;
    using SumcheckFr for SumcheckFr.Cursor;

    uint256 internal constant R = SumcheckFr.R;

    /// @notice The verifying key: `G2` and `τ·G2` in EIP-197 order (`x.c1, x.c0, y.c1, y.c0`).
    struct Vk {
        uint256[4] g2;
        uint256[4] tauG2;
    }

    uint256 internal constant CONSTANT = 20;
    uint256 internal constant DEGENERATE = 21;
    uint256 internal constant FOLD = 22;
    uint256 internal constant PAIRING = 23;

    /// @dev The opening's challenges and the values derived from them.
    struct Open {
        uint256 r;
        uint256 q;
        uint256 z;
        uint256[] evals;
        SumcheckFr.G1[] cs;
        SumcheckFr.G1 w;
        SumcheckFr.G1 w2;
    }

    function verify(
        SumcheckTranscript.Transcript memory t,
        SumcheckFr.Cursor memory c,
        Vk memory vk,
        SumcheckFr.G1 memory commitment,
        uint256[] memory u,
        uint256 v
    ) internal view {
        uint256 ell = u.length;
        t.absorb(ell);
        t.absorbG1(commitment);
        t.absorbAll(u);
        t.absorb(v);
        if (ell == 0) {
            SumcheckFr.G1 memory g = SumcheckFr.ecMul(SumcheckFr.G1(1, 2), v);
            if (g.x != commitment.x || g.y != commitment.y) revert SumcheckFr.SumcheckRejected(CONSTANT);
            return;
        }
        Open memory o = readOpening(t, c, commitment, ell);
        checkFolds(o, u, v);
        checkPairing(o, vk);
    }

    function readOpening(
        SumcheckTranscript.Transcript memory t,
        SumcheckFr.Cursor memory c,
        SumcheckFr.G1 memory commitment,
        uint256 ell
    ) private pure returns (Open memory o) {
        o.cs = new SumcheckFr.G1[](ell);
        o.cs[0] = commitment;
        for (uint256 i = 1; i < ell; i++) {
            o.cs[i] = c.nextG1();
            t.absorbG1(o.cs[i]);
        }
        o.r = t.challenge();
        uint256 r2 = mulmod(o.r, o.r, R);
        if (o.r == 0 || r2 == o.r || r2 == R - o.r) revert SumcheckFr.SumcheckRejected(DEGENERATE);
        o.evals = new uint256[](3 * ell);
        for (uint256 i = 0; i < 3 * ell; i++) {
            o.evals[i] = c.nextFr();
            t.absorb(o.evals[i]);
        }
        o.q = t.challenge();
        o.w = c.nextG1();
        t.absorbG1(o.w);
        o.z = t.challenge();
        o.w2 = c.nextG1();
        t.absorbG1(o.w2);
    }

    /// @dev `2r·f_(i+1)(r²) = r(1−u)(pos+neg) + u(pos−neg)`, `u = u_(ℓ−i)`.
    function checkFolds(Open memory o, uint256[] memory u, uint256 v) private pure {
        uint256 ell = u.length;
        uint256 twoR = addmod(o.r, o.r, R);
        for (uint256 i = 0; i < ell; i++) {
            uint256 ui = u[ell - 1 - i];
            uint256 pos = o.evals[3 * i];
            uint256 neg = o.evals[3 * i + 1];
            uint256 lhs = mulmod(mulmod(SumcheckFr.sub(1, ui), o.r, R), addmod(pos, neg, R), R);
            lhs = addmod(lhs, mulmod(ui, SumcheckFr.sub(pos, neg), R), R);
            uint256 next = i + 1 < ell ? o.evals[3 * i + 5] : v;
            if (lhs != mulmod(twoR, next, R)) revert SumcheckFr.SumcheckRejected(FOLD);
        }
    }

    /// @dev `(I(z), Z(z))` for the quadratic through `(a_k, B(a_k))`, `a = (r, −r, r²)`.
    function interpolant(Open memory o) private view returns (uint256 iz, uint256 zz) {
        uint256 ell = o.cs.length;
        uint256[3] memory a = [o.r, R - o.r, mulmod(o.r, o.r, R)];
        uint256[3] memory b;
        uint256 qi = 1;
        for (uint256 i = 0; i < ell; i++) {
            for (uint256 k = 0; k < 3; k++) {
                b[k] = addmod(b[k], mulmod(o.evals[3 * i + k], qi, R), R);
            }
            qi = mulmod(qi, o.q, R);
        }
        uint256[3] memory den;
        uint256[3] memory num;
        for (uint256 k = 0; k < 3; k++) {
            (uint256 j1, uint256 j2) = (k == 0 ? 1 : 0, k == 2 ? 1 : 2);
            den[k] = mulmod(SumcheckFr.sub(a[k], a[j1]), SumcheckFr.sub(a[k], a[j2]), R);
            num[k] = mulmod(SumcheckFr.sub(o.z, a[j1]), SumcheckFr.sub(o.z, a[j2]), R);
        }
        uint256 dinv = SumcheckFr.inv(mulmod(mulmod(den[0], den[1], R), den[2], R));
        for (uint256 k = 0; k < 3; k++) {
            uint256 others = mulmod(den[(k + 1) % 3], den[(k + 2) % 3], R);
            iz = addmod(iz, mulmod(mulmod(b[k], num[k], R), mulmod(others, dinv, R), R), R);
        }
        zz = mulmod(mulmod(SumcheckFr.sub(o.z, a[0]), SumcheckFr.sub(o.z, a[1]), R), SumcheckFr.sub(o.z, a[2]), R);
    }

    function checkPairing(Open memory o, Vk memory vk) private view {
        (uint256 iz, uint256 zz) = interpolant(o);
        SumcheckFr.G1 memory acc = o.cs[0];
        uint256 qi = 1;
        for (uint256 i = 1; i < o.cs.length; i++) {
            qi = mulmod(qi, o.q, R);
            acc = SumcheckFr.ecAdd(acc, SumcheckFr.ecMul(o.cs[i], qi));
        }
        acc = SumcheckFr.ecAdd(acc, SumcheckFr.ecMul(SumcheckFr.G1(1, 2), R - iz));
        acc = SumcheckFr.ecAdd(acc, SumcheckFr.ecMul(o.w, (R - zz) % R));
        acc = SumcheckFr.ecAdd(acc, SumcheckFr.ecMul(o.w2, o.z));
        if (!pairing(acc, vk.g2, SumcheckFr.neg(o.w2), vk.tauG2)) revert SumcheckFr.SumcheckRejected(PAIRING);
    }

    /// @notice `e(a, b)·e(c, d) = 1` by ecPairing (0x08).
    function pairing(SumcheckFr.G1 memory a, uint256[4] memory b, SumcheckFr.G1 memory c, uint256[4] memory d)
        internal
        view
        returns (bool)
    {
        uint256[12] memory input =
            [a.x, a.y, b[0], b[1], b[2], b[3], c.x, c.y, d[0], d[1], d[2], d[3]];
        uint256[1] memory out;
        bool ok;
        assembly ("memory-safe") {
            ok := staticcall(gas(), 0x08, input, 0x180, out, 0x20)
        }
        if (!ok) revert SumcheckFr.SumcheckRejected(SumcheckFr.PRECOMPILE);
        return out[0] == 1;
    }
}
