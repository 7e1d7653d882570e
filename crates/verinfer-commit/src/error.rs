//! Errors of the commitment crate: bad requests against a tree, failed verifications, and
//! unreadable or mismatched trace files.

use thiserror::Error;

use crate::hash::Hash32;
use crate::model::ModelId;

/// A `0x…` hash string that is not 64 hex digits.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum HexError {
    /// Wrong number of digits.
    #[error("expected 64 hex digits, got {0}")]
    Length(usize),
    /// A character that is not a hex digit.
    #[error("invalid hex digit {0:?}")]
    Digit(char),
}

/// A request for a node, path or reveal that the tree does not have.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum TreeError {
    /// A level above the root.
    #[error("level {level} is above the root (depth {depth})")]
    LevelOutOfRange {
        /// Requested level (0 = leaves).
        level: usize,
        /// Depth of the tree.
        depth: usize,
    },
    /// A position outside the (padded) level.
    #[error("position {pos} is outside level {level} ({width} nodes with padding)")]
    PositionOutOfRange {
        /// Level.
        level: usize,
        /// Requested position.
        pos: u64,
        /// Width of the padded level.
        width: u64,
    },
    /// A leaf index past the last real leaf.
    #[error("leaf {index} does not exist (the tree has {leaves} leaves)")]
    LeafOutOfRange {
        /// Requested leaf.
        index: u64,
        /// Real leaves.
        leaves: u64,
    },
    /// A reveal reaching below the leaves.
    #[error("cannot reveal {d} levels below level {level}")]
    RevealTooDeep {
        /// Requested number of levels.
        d: usize,
        /// Level of the revealed node.
        level: usize,
    },
    /// A reveal of more nodes than [`crate::tree::MAX_REVEAL_LEVELS`] allows.
    #[error("reveal of {d} levels exceeds the limit of {max}")]
    RevealTooWide {
        /// Requested number of levels.
        d: usize,
        /// Limit.
        max: usize,
    },
}

/// A Merkle path that does not lead to the expected root.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum PathError {
    /// The leaf index needs more bits than the path has siblings.
    #[error("leaf index {index} does not fit a path of {siblings} siblings")]
    IndexTooLarge {
        /// Leaf index.
        index: u64,
        /// Path length.
        siblings: usize,
    },
    /// The recomputed root differs.
    #[error("path leads to {computed}, expected {expected}")]
    RootMismatch {
        /// Root the path hashes to.
        computed: Hash32,
        /// Root it should reach.
        expected: Hash32,
    },
}

/// A k-ary reveal that does not hash to the revealed node.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum RevealError {
    /// The number of children is not a power of two (zero included).
    #[error("a reveal must have a power-of-two number of nodes, got {0}")]
    NotPowerOfTwo(usize),
    /// The children hash to another node.
    #[error("revealed nodes hash to {computed}, expected {expected}")]
    Mismatch {
        /// What the children hash to.
        computed: Hash32,
        /// The node they should reveal.
        expected: Hash32,
    },
}

/// An element opening that does not verify against a tensor root.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum OpeningError {
    /// The element index is past the end of the tensor.
    #[error("element {index} is outside a tensor of {len} elements")]
    IndexOutOfRange {
        /// Element index.
        index: u64,
        /// Tensor length.
        len: u64,
    },
    /// The path length is not the depth the tensor's length fixes.
    #[error("path has {got} siblings, a tensor of this length needs {expected}")]
    PathLength {
        /// Depth for the tensor's length.
        expected: usize,
        /// Siblings given.
        got: usize,
    },
    /// The claimed value is not what the leaf holds at the element's slot.
    #[error("element {index}: claimed value {claimed} but the leaf holds {in_leaf}")]
    ValueMismatch {
        /// Element index.
        index: u64,
        /// Claimed value.
        claimed: i32,
        /// Value in the leaf.
        in_leaf: i32,
    },
    /// The leaf does not lead to the root.
    #[error(transparent)]
    Path(#[from] PathError),
}

/// A trace opening that cannot be made or does not verify.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum TraceOpeningError {
    /// No such value in the trace.
    #[error("value {value} does not exist (the trace has {values} values)")]
    ValueOutOfRange {
        /// Requested value id.
        value: u64,
        /// Values in the trace.
        values: u64,
    },
    /// The element opening inside the value fails.
    #[error("value {value}")]
    Element {
        /// Value id.
        value: u64,
        /// Why.
        #[source]
        source: OpeningError,
    },
    /// The value root does not lead to the trace root.
    #[error("value {value}: its root is not in the trace")]
    ValueRoot {
        /// Value id.
        value: u64,
        /// Why.
        #[source]
        source: PathError,
    },
    /// The value-root path has the wrong length for the trace's value count.
    #[error("trace path has {got} siblings, a trace of this many values needs {expected}")]
    PathLength {
        /// Depth for the value count.
        expected: usize,
        /// Siblings given.
        got: usize,
    },
}

/// A trace file that cannot be read, is corrupt, or belongs to another model.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum TraceFileError {
    /// Reading or writing failed.
    #[error("{path}: {source}")]
    Io {
        /// File.
        path: String,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// Not a trace file.
    #[error("missing VINFTRCE magic: not a verinfer trace file")]
    BadMagic,
    /// Written by another format version.
    #[error("trace file format version {found}, this build reads version {supported}")]
    VersionMismatch {
        /// Version in the file.
        found: u32,
        /// Version this build reads.
        supported: u32,
    },
    /// The file ends before its contents do.
    #[error("truncated trace file: {what}")]
    Truncated {
        /// What was being read.
        what: String,
    },
    /// The checksum at the end does not match the contents.
    #[error("trace file checksum mismatch: the file is corrupt")]
    ChecksumMismatch,
    /// A length field that cannot be right.
    #[error("corrupt trace file: {what}")]
    Corrupt {
        /// What is wrong.
        what: String,
    },
    /// The trace was produced by another model.
    #[error("trace file belongs to model {file}, not to this model ({model})")]
    ModelMismatch {
        /// Model id in the file.
        file: ModelId,
        /// Model id of the model given.
        model: ModelId,
    },
    /// The trace has another number of values than the model.
    #[error("trace file holds {got} values, the model has {expected}")]
    ValueCountMismatch {
        /// Values of the model.
        expected: u64,
        /// Values in the file.
        got: u64,
    },
    /// One value has another length than the model's shape says.
    #[error("trace value {value} has {got} elements, the model's shape has {expected}")]
    ValueLengthMismatch {
        /// Value id.
        value: u64,
        /// Elements by the model's shape.
        expected: u64,
        /// Elements in the file.
        got: u64,
    },
}

/// The hashing thread of a [`crate::pipeline::TraceHasher`] could not do its work.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum PipelineError {
    /// The thread (or its one-thread pool) could not be started.
    #[error("cannot start the trace hashing thread: {0}")]
    Spawn(String),
    /// The thread stopped before the generation's values were all hashed (it panicked).
    #[error("the trace hashing thread stopped")]
    Stopped,
    /// A step's values had a gap: no value with this id was given.
    #[error("step {step} of the trace has no value {value}")]
    MissingValue {
        /// Step.
        step: usize,
        /// Missing value id.
        value: usize,
    },
}
