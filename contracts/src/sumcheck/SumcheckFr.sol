// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

/// @title SumcheckFr — BN254 scalars, G1 points and the proof cursor of the sumcheck verifier
/// @notice Arithmetic mod r (the scalar field), the `eq` polynomial, G1 operations on the
///         ecAdd (0x06) / ecMul (0x07) precompiles, and the cursor that reads a proof as the
///         flat word list of Rust's `verinfer_sumcheck::evm` (scalars must be canonical and
///         points on the curve, as the arkworks decoder demands).
library SumcheckFr {
    uint256 internal constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    uint256 internal constant P = 21888242871839275222246405745257275088696311157297823662689037894645226208583;

    struct G1 {
        uint256 x;
        uint256 y;
    }

    /// @notice A proof being read: words and the next index.
    struct Cursor {
        uint256[] w;
        uint256 i;
    }

    /// @notice A verifier check failed; `what` names it (see docs/sumcheck.md's table).
    error SumcheckRejected(uint256 what);

    uint256 internal constant NON_CANONICAL = 1;
    uint256 internal constant PRECOMPILE = 2;
    uint256 internal constant NOT_ON_CURVE = 3;

    function next(Cursor memory c) internal pure returns (uint256 v) {
        assembly ("memory-safe") {
            let w := mload(c)
            let i := mload(add(c, 0x20))
            // Past the proof's end: the out-of-bounds Panic(0x32) an indexed read raises
            // (the proof's length is checked against the plan's first, so an honest
            // verifier never gets here).
            if iszero(lt(i, mload(w))) {
                mstore(0, shl(224, 0x4e487b71))
                mstore(4, 0x32)
                revert(0, 0x24)
            }
            v := mload(add(w, shl(5, add(i, 1))))
            mstore(add(c, 0x20), add(i, 1))
        }
    }

    function nextFr(Cursor memory c) internal pure returns (uint256 v) {
        v = next(c);
        if (v >= R) revert SumcheckRejected(NON_CANONICAL);
    }

    /// @notice A G1 point `x ‖ y` with canonical coordinates on `y² = x³ + 3`, or `0 ‖ 0`
    ///         (BN254's G1 has cofactor 1: on the curve is in the group) — refused as it is
    ///         read, as Rust's `evm::contract_from_words` refuses it.
    function nextG1(Cursor memory c) internal pure returns (G1 memory p) {
        p.x = next(c);
        p.y = next(c);
        if (p.x == 0 && p.y == 0) return p;
        if (p.x >= P || p.y >= P || mulmod(p.y, p.y, P) != addmod(mulmod(mulmod(p.x, p.x, P), p.x, P), 3, P)) {
            revert SumcheckRejected(NOT_ON_CURVE);
        }
    }

    /// @notice `a − b mod r` (for any `b`: `r − (b mod r)` is at most `r`, never below 0).
    function sub(uint256 a, uint256 b) internal pure returns (uint256 v) {
        assembly ("memory-safe") {
            v := addmod(a, sub(R, mod(b, R)), R)
        }
    }

    /// @notice `x^(r−2)` by the modexp precompile (0 for 0).
    function inv(uint256 x) internal view returns (uint256 y) {
        bool ok;
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, 0x20)
            mstore(add(p, 0x20), 0x20)
            mstore(add(p, 0x40), 0x20)
            mstore(add(p, 0x60), x)
            mstore(add(p, 0x80), sub(R, 2))
            mstore(add(p, 0xa0), R)
            ok := staticcall(gas(), 0x05, p, 0xc0, p, 0x20)
            y := mload(p)
        }
        if (!ok) revert SumcheckRejected(PRECOMPILE);
    }

    /// @notice `eq(a, b) = Π (a_k·b_k + (1 − a_k)(1 − b_k))`, `a` lifted to `b`'s length by
    ///         leading zeros (a polynomial in fewer variables read as its table followed by
    ///         zeros, as `pcs::batch` does).
    function eqLifted(uint256[] memory a, uint256[] memory b) internal pure returns (uint256 acc) {
        uint256 n = b.length;
        uint256 pad = n - a.length;
        acc = 1;
        assembly ("memory-safe") {
            // The leading `pad` coordinates pair 0 with b_k: a factor 1 − b_k.
            for { let k := 0 } lt(k, pad) { k := add(k, 1) } {
                let bk := mload(add(b, shl(5, add(k, 1))))
                acc := mulmod(acc, addmod(1, sub(R, bk), R), R)
            }
            // 1 − a − b + 2ab = 1 + (2a − 1)·b − a
            for { let k := pad } lt(k, n) { k := add(k, 1) } {
                let bk := mload(add(b, shl(5, add(k, 1))))
                let ak := mload(add(a, shl(5, add(sub(k, pad), 1))))
                let twoA1 := addmod(addmod(ak, ak, R), sub(R, 1), R)
                let t := addmod(addmod(1, mulmod(twoA1, bk, R), R), sub(R, ak), R)
                acc := mulmod(acc, t, R)
            }
        }
    }

    /// @notice The table `eq(r, x)` over `x ∈ {0,1}^len` for `r = point[from..from+len]`,
    ///         `r_1` the most significant bit (Rust's `mle::eq_table`).
    function eqTable(uint256[] memory point, uint256 from, uint256 len)
        internal
        pure
        returns (uint256[] memory t)
    {
        require(from + len <= point.length);
        t = new uint256[](1 << len);
        assembly ("memory-safe") {
            let base := add(t, 0x20)
            mstore(base, 1)
            let size := 1
            for { let k := 0 } lt(k, len) { k := add(k, 1) } {
                let rk := mload(add(point, shl(5, add(from, add(k, 1)))))
                // Split each entry e into (e·(1 − r_k), e·r_k), from the top down.
                for { let i := size } gt(i, 0) { i := sub(i, 1) } {
                    let e := mload(add(base, shl(5, sub(i, 1))))
                    let hi := mulmod(e, rk, R)
                    mstore(add(base, shl(5, sub(shl(1, i), 1))), hi)
                    mstore(add(base, shl(5, sub(shl(1, i), 2))), addmod(e, sub(R, hi), R))
                }
                size := shl(1, size)
            }
        }
    }

    function ecAdd(G1 memory a, G1 memory b) internal view returns (G1 memory c) {
        bool ok;
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, mload(a))
            mstore(add(p, 0x20), mload(add(a, 0x20)))
            mstore(add(p, 0x40), mload(b))
            mstore(add(p, 0x60), mload(add(b, 0x20)))
            ok := staticcall(gas(), 0x06, p, 0x80, p, 0x40)
            mstore(c, mload(p))
            mstore(add(c, 0x20), mload(add(p, 0x20)))
        }
        if (!ok) revert SumcheckRejected(PRECOMPILE);
    }

    function ecMul(G1 memory a, uint256 s) internal view returns (G1 memory c) {
        bool ok;
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, mload(a))
            mstore(add(p, 0x20), mload(add(a, 0x20)))
            mstore(add(p, 0x40), s)
            ok := staticcall(gas(), 0x07, p, 0x60, p, 0x40)
            mstore(c, mload(p))
            mstore(add(c, 0x20), mload(add(p, 0x20)))
        }
        if (!ok) revert SumcheckRejected(PRECOMPILE);
    }

    function neg(G1 memory a) internal pure returns (G1 memory) {
        if (a.x == 0 && a.y == 0) return a;
        return G1(a.x, (P - (a.y % P)) % P);
    }
}
