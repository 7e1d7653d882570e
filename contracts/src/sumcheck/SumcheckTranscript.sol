// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {SumcheckFr} from "./SumcheckFr.sol";

/// @title SumcheckTranscript — the Keccak-256 Fiat–Shamir transcript of the sumcheck backend
/// @notice The twin of Rust's `verinfer_sumcheck::Transcript`, byte for byte (docs/sumcheck.md):
///         every item is a 32-byte word; `new(label)`: state = keccak256(label); `absorb(w)`:
///         buffer ‖= w; `challenge()`: state = keccak256(state ‖ buffer), buffer = "",
///         c = uint256(state) mod r. The state sits in the word before the buffer, so a
///         challenge is one `keccak256` over one memory slice.
library SumcheckTranscript {
    /// @dev `buf[0]` is the state, `buf[1..len]` the words absorbed since the last challenge.
    struct Transcript {
        uint256[] buf;
        uint256 len;
    }

    /// @notice A transcript for `label` with room for `capacity` words between challenges;
    ///         absorbing more moves the buffer to a bigger one (`reserve`), so a small first
    ///         size only costs a copy where a step absorbs many words (the batched opening's
    ///         claims), and that buffer is allocated then, not under every step's memory.
    function init(bytes memory label, uint256 capacity) internal pure returns (Transcript memory t) {
        t.buf = new uint256[](capacity + 1);
        t.buf[0] = uint256(keccak256(label));
    }

    /// @notice Make room for `words` more words: a buffer of the size needed and 64 words
    ///         more (single absorbs grow it rarely; a large one, the batch's claims, is not
    ///         doubled into memory every later step would sit on), the state and the pending
    ///         words copied, allocated at the free pointer (not zeroed: only words absorbed
    ///         after are hashed).
    function reserve(Transcript memory t, uint256 words) internal pure {
        uint256[] memory b = t.buf;
        uint256 need = t.len + words + 1;
        if (need <= b.length) return;
        uint256 keep = t.len + 1;
        assembly ("memory-safe") {
            let size := add(need, 64)
            let p := mload(0x40)
            mstore(p, size)
            mcopy(add(p, 0x20), add(b, 0x20), shl(5, keep))
            mstore(0x40, add(add(p, 0x20), shl(5, size)))
            b := p
        }
        t.buf = b;
    }

    function absorb(Transcript memory t, uint256 w) internal pure {
        uint256 n;
        // `t.len` is below the buffer's length, a memory size: no overflow.
        unchecked {
            n = t.len + 1;
        }
        uint256[] memory b = t.buf;
        if (n >= b.length) {
            reserve(t, 1);
            b = t.buf;
        }
        // `n < b.length`: in bounds.
        assembly ("memory-safe") {
            mstore(add(b, shl(5, add(n, 1))), w)
        }
        t.len = n;
    }

    /// @notice Absorb a G1 point `x ‖ y` (infinity is `0 ‖ 0`, the precompiles' encoding).
    function absorbG1(Transcript memory t, SumcheckFr.G1 memory p) internal pure {
        absorb(t, p.x);
        absorb(t, p.y);
    }

    function absorbAll(Transcript memory t, uint256[] memory ws) internal pure {
        absorbRange(t, ws, 0, ws.length);
    }

    /// @notice Absorb `ws[from..to]` with one memory copy (the words a verifier read from the
    ///         proof since `from`, or a point): the same bytes as absorbing them one by one.
    function absorbRange(Transcript memory t, uint256[] memory ws, uint256 from, uint256 to) internal pure {
        // The source range in bounds, as the indexed reads would require (a Panic otherwise).
        require(from <= to && to <= ws.length);
        reserve(t, to - from);
        uint256 n = t.len;
        uint256[] memory b = t.buf;
        assembly ("memory-safe") {
            mcopy(add(b, shl(5, add(n, 2))), add(ws, shl(5, add(from, 1))), shl(5, sub(to, from)))
        }
        t.len = n + (to - from);
    }

    function challenge(Transcript memory t) internal pure returns (uint256) {
        uint256[] memory b = t.buf;
        uint256 n = t.len;
        bytes32 s;
        assembly ("memory-safe") {
            s := keccak256(add(b, 0x20), shl(5, add(n, 1)))
        }
        b[0] = uint256(s);
        t.len = 0;
        return uint256(s) % SumcheckFr.R;
    }

    function challenges(Transcript memory t, uint256 n) internal pure returns (uint256[] memory cs) {
        cs = new uint256[](n);
        for (uint256 i = 0; i < n; i++) {
            cs[i] = challenge(t);
        }
    }

    function state(Transcript memory t) internal pure returns (bytes32) {
        return bytes32(t.buf[0]);
    }
}
