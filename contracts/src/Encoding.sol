// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

/// @title Encoding — the constants of the graph-digest words, in one place
/// @notice Mirrors `verinfer_commit::encode` (header domain and version, op tags, operand,
///         binary, reduce and parameter kind words) and the numeric ranges
///         `verinfer_commit::decode` enforces (`Scale::LIMIT`, `Bits`, the integer types of the
///         IR's fields). Every contract that reads those words — the node decoder
///         (`NodeDecoder`), the ops (`ops/*.sol`), the header decoder (`GraphHeader`), the step
///         verifier and the game — takes its numbers from here, so each exists once on this side
///         too. `crates/verinfer-chain/tests/encoding_differential.rs` compares every one with
///         the Rust value (through `harness/EncodingHarness.sol`): changing either side fails it.
/// @dev Constants only; they are inlined wherever used.
library Encoding {
    // ------------------------------------------------------------------ header leaf
    /// @notice First header word: ASCII `verinfer.graph` (`encode::GRAPH_DOMAIN`).
    int256 internal constant GRAPH_DOMAIN = 0x766572696e6665722e6772617068;
    /// @notice Second header word (`encode::ENCODING_VERSION`).
    int256 internal constant ENCODING_VERSION = 2;

    // ------------------------------------------------------------------ op tags (`encode::tag`)
    uint256 internal constant OP_CONTRACT = 1;
    uint256 internal constant OP_RESCALE = 2;
    uint256 internal constant OP_BINARY = 3;
    uint256 internal constant OP_LOOKUP = 4;
    uint256 internal constant OP_REDUCE = 5;
    uint256 internal constant OP_DIV = 6;
    uint256 internal constant OP_MOVE = 7;
    uint256 internal constant OP_GATHER = 8;
    uint256 internal constant OP_ISQRT = 9;
    /// @notice The largest tag the decoder accepts (tags are 1 … OP_LAST).
    uint256 internal constant OP_LAST = OP_ISQRT;

    // ------------------------------------------------------------------ operand tags
    uint256 internal constant OPERAND_VALUE = 0;
    uint256 internal constant OPERAND_PARAM = 1;
    uint256 internal constant OPERAND_LAST = OPERAND_PARAM;

    // ------------------------------------------------------------------ kinds
    /// @notice `encode::binary_kind_word`.
    uint256 internal constant BINARY_ADD = 0;
    uint256 internal constant BINARY_SUB = 1;
    uint256 internal constant BINARY_MUL = 2;
    uint256 internal constant BINARY_MAX = 3;
    uint256 internal constant BINARY_MIN = 4;
    uint256 internal constant BINARY_LAST = BINARY_MIN;

    /// @notice `encode::reduce_kind_word`.
    uint256 internal constant REDUCE_SUM = 0;
    uint256 internal constant REDUCE_MAX = 1;
    uint256 internal constant REDUCE_ARGMAX = 2;
    uint256 internal constant REDUCE_LAST = REDUCE_ARGMAX;

    /// @notice `encode::param_kind_word`: the role word of each header parameter entry. The
    ///         header decoder skips it (the game needs no parameter role); listed so that the
    ///         differential test pins every word of the encoding.
    uint256 internal constant PARAM_WEIGHT = 0;
    uint256 internal constant PARAM_BIAS = 1;
    uint256 internal constant PARAM_TABLE = 2;
    uint256 internal constant PARAM_INDEX_MAP = 3;
    uint256 internal constant PARAM_LAST = PARAM_INDEX_MAP;

    // ------------------------------------------------------------------ ranges of fields
    int256 internal constant I64_MIN = type(int64).min;
    int256 internal constant I64_MAX = type(int64).max;
    int256 internal constant I32_MIN = type(int32).min;
    int256 internal constant I32_MAX = type(int32).max;
    uint256 internal constant U32_MAX = type(uint32).max;
    /// @notice Rust decodes `usize` fields of a 64-bit target.
    uint256 internal constant USIZE_MAX = type(uint64).max;
    /// @notice `Scale::LIMIT`: a scale exponent lies in [−SCALE_LIMIT, SCALE_LIMIT].
    int256 internal constant SCALE_LIMIT = 60;
    /// @notice `Bits`: a bit bound lies in 1 … BITS_MAX.
    uint256 internal constant BITS_MAX = 32;
    /// @notice `verinfer_ir::ISQRT_MAX_SHIFT`: the largest radicand shift of an ISqrt.
    uint256 internal constant ISQRT_MAX_SHIFT = 32;
    /// @notice `reduce::MAX_STEPS`: ArgMax keeps the step index in the low 32 bits of its
    ///         accumulator, so a step index is below 2^32.
    uint256 internal constant REDUCE_MAX_STEPS = 1 << 32;
}
