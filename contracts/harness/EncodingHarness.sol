// SPDX-License-Identifier: Apache-2.0 OR MIT
pragma solidity ^0.8.24;

import {Encoding} from "../src/Encoding.sol";

/// @title EncodingHarness — the `Encoding` constants behind an ABI, for the differential test only
/// @notice `crates/verinfer-chain/tests/encoding_differential.rs` reads every constant the
///         contracts decode graph-digest words with and compares it with `verinfer_commit`'s
///         (and `verinfer_ir`'s) value: a change on either side fails it. Orders follow the Rust
///         enums. Not deployed in production.
contract EncodingHarness {
    /// @notice The first two header words: domain and encoding version.
    function header() external pure returns (int256 domain, int256 version) {
        return (Encoding.GRAPH_DOMAIN, Encoding.ENCODING_VERSION);
    }

    /// @notice Op tags in `Op` order (Contract, Rescale, Binary, Lookup, Reduce, Div, Move,
    ///         Gather, ISqrt), and the largest tag the decoder accepts.
    function opTags() external pure returns (uint256[9] memory tags, uint256 last) {
        tags = [
            Encoding.OP_CONTRACT,
            Encoding.OP_RESCALE,
            Encoding.OP_BINARY,
            Encoding.OP_LOOKUP,
            Encoding.OP_REDUCE,
            Encoding.OP_DIV,
            Encoding.OP_MOVE,
            Encoding.OP_GATHER,
            Encoding.OP_ISQRT
        ];
        last = Encoding.OP_LAST;
    }

    /// @notice Operand tags (value, parameter), and the largest the decoder accepts.
    function operandTags() external pure returns (uint256 value, uint256 param, uint256 last) {
        return (Encoding.OPERAND_VALUE, Encoding.OPERAND_PARAM, Encoding.OPERAND_LAST);
    }

    /// @notice Binary kind words in `BinaryKind` order (Add, Sub, Mul, Max, Min), and the
    ///         largest the decoder accepts.
    function binaryKinds() external pure returns (uint256[5] memory kinds, uint256 last) {
        kinds = [
            Encoding.BINARY_ADD, Encoding.BINARY_SUB, Encoding.BINARY_MUL, Encoding.BINARY_MAX, Encoding.BINARY_MIN
        ];
        last = Encoding.BINARY_LAST;
    }

    /// @notice Reduce kind words in `ReduceKind` order (Sum, Max, ArgMax), and the largest the
    ///         decoder accepts.
    function reduceKinds() external pure returns (uint256[3] memory kinds, uint256 last) {
        kinds = [Encoding.REDUCE_SUM, Encoding.REDUCE_MAX, Encoding.REDUCE_ARGMAX];
        last = Encoding.REDUCE_LAST;
    }

    /// @notice Parameter kind words in `ParamKind` order (Weight, Bias, Table, IndexMap), and
    ///         the largest.
    function paramKinds() external pure returns (uint256[4] memory kinds, uint256 last) {
        kinds = [Encoding.PARAM_WEIGHT, Encoding.PARAM_BIAS, Encoding.PARAM_TABLE, Encoding.PARAM_INDEX_MAP];
        last = Encoding.PARAM_LAST;
    }

    /// @notice The op limits the arbiter enforces at recompute time (`verinfer_ir`'s
    ///         `ISQRT_MAX_SHIFT` and `ops::reduce::MAX_STEPS`).
    function opLimits() external pure returns (uint256 isqrtMaxShift, uint256 reduceMaxSteps) {
        return (Encoding.ISQRT_MAX_SHIFT, Encoding.REDUCE_MAX_STEPS);
    }

    /// @notice The ranges the decoders enforce.
    function bounds()
        external
        pure
        returns (
            int256 i64Min,
            int256 i64Max,
            int256 i32Min,
            int256 i32Max,
            uint256 u32Max,
            uint256 usizeMax,
            int256 scaleLimit,
            uint256 bitsMax
        )
    {
        return (
            Encoding.I64_MIN,
            Encoding.I64_MAX,
            Encoding.I32_MIN,
            Encoding.I32_MAX,
            Encoding.U32_MAX,
            Encoding.USIZE_MAX,
            Encoding.SCALE_LIMIT,
            Encoding.BITS_MAX
        );
    }
}
