// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

/// @title ModelPlanStore — a model's plan kept as the code of data contracts ("chunks")
/// @notice A CNN's plan (its im2col index maps) is far past what one contract may hold
///         (EIP-170: 24,576 bytes) and past what one creation may carry (EIP-3860: 49,152
///         bytes of init code), so the plan is cut into chunks of at most `CHUNK_WORDS` words,
///         each deployed on its own (a STOP byte, then the words: SSTORE2-style, so nobody can
///         call into it). The verifier keeps the chunks' addresses in one more data contract
///         (the directory) and the `keccak256` of the whole plan as an immutable: loading
///         recomputes the hash, so a chunk swapped, reordered, left out or changed is refused.
library ModelPlanStore {
    /// @notice Most words one chunk holds (EIP-170, less the leading STOP byte).
    uint256 internal constant CHUNK_WORDS = 767;

    /// @notice The chunks do not hold the plan the verifier was deployed for (hash or length),
    ///         or a data contract could not be created.
    error BadPlan(uint256 words);

    /// @notice The creation code of a data contract whose code is `code`.
    /// @dev PUSH2 len, DUP1, PUSH1 12, PUSH1 0, CODECOPY, PUSH1 0, RETURN, then `code`.
    function initCode(bytes memory code) internal pure returns (bytes memory) {
        return abi.encodePacked(hex"61", uint16(code.length), hex"80600c6000396000f3", code);
    }

    /// @notice Create a data contract holding `code` (after a STOP byte).
    function create(bytes memory data) internal returns (address a) {
        bytes memory init = initCode(abi.encodePacked(hex"00", data));
        assembly ("memory-safe") {
            a := create(0, add(init, 0x20), mload(init))
        }
        if (a == address(0)) revert BadPlan(data.length / 32);
    }

    /// @notice Cut `plan` into chunks and create them (a small plan from one transaction; a
    ///         plan past EIP-3860's init-code limit has its chunks deployed one transaction
    ///         each, Rust's `backend::onchain::plan_chunk_init_codes`).
    function store(uint256[] memory plan) internal returns (address[] memory chunks) {
        uint256 n = plan.length;
        chunks = new address[]((n + CHUNK_WORDS - 1) / CHUNK_WORDS);
        for (uint256 i = 0; i < chunks.length; i++) {
            uint256 from = i * CHUNK_WORDS;
            uint256 len = n - from < CHUNK_WORDS ? n - from : CHUNK_WORDS;
            bytes memory data = new bytes(32 * len);
            for (uint256 k = 0; k < len; k++) {
                uint256 w = plan[from + k];
                assembly ("memory-safe") {
                    mstore(add(add(data, 0x20), shl(5, k)), w)
                }
            }
            chunks[i] = create(data);
        }
    }

    /// @notice The words held by the data contract at `a` (its code after the STOP byte).
    function words(address a) internal view returns (uint256 n) {
        uint256 size;
        assembly ("memory-safe") {
            size := extcodesize(a)
        }
        if (size == 0 || (size - 1) % 32 != 0) revert BadPlan(0);
        n = (size - 1) / 32;
    }

    /// @notice The plan: the chunks listed by `directory` (`chunks` of them) copied one after
    ///         the other, `n` words in all; reverts `BadPlan` unless their `keccak256` is `hash`.
    function load(address directory, uint256 chunks, uint256 n, bytes32 hash)
        internal
        view
        returns (uint256[] memory p)
    {
        uint256[] memory dir = new uint256[](chunks);
        assembly ("memory-safe") {
            extcodecopy(directory, add(dir, 0x20), 1, shl(5, chunks))
        }
        p = new uint256[](n);
        uint256 done = 0;
        for (uint256 i = 0; i < chunks; i++) {
            address c = address(uint160(dir[i]));
            uint256 len = words(c);
            if (done + len > n) revert BadPlan(n);
            assembly ("memory-safe") {
                extcodecopy(c, add(add(p, 0x20), shl(5, done)), 1, shl(5, len))
            }
            done += len;
        }
        bytes32 got;
        assembly ("memory-safe") {
            got := keccak256(add(p, 0x20), shl(5, n))
        }
        if (done != n || got != hash) revert BadPlan(n);
    }
}
