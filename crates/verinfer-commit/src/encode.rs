//! The canonical word encoding of a graph, and the graph digest.
//!
//! Every leaf of the graph-digest tree is `keccak256` of a list of 32-byte big-endian two's
//! complement words, i.e. Solidity's `keccak256(abi.encodePacked(int256[] words))`. Leaf 0 is
//! the header (inputs, parameters, outputs, node count); leaf `1 + i` is node `i` (op tag,
//! every attribute, operands, output facts). A node leaf is self-contained: next to every
//! operand id (and the id of the parameter a `Lookup` or `Move` names) it repeats that tensor's
//! facts, so the arbiter's one-step knows every shape it needs from this one leaf. Every list is length-prefixed and every variant
//! tagged, so the words decode back to exactly one graph (see [`crate::decode`]); names and ONNX
//! origins are not semantics and are left out. The full layout is tabled in
//! `docs/commitments.md`, which the Solidity arbiter's decoder follows.
//!
//! Every match below is exhaustive and every struct is destructured without `..`, so adding an
//! op, an attribute or a kind fails to compile here until its encoding is decided.

use rayon::prelude::*;
use verinfer_ir::{
    AffineMap, AffineRow, Binary, BinaryKind, Contract, Div, Gather, Graph, ISqrt, InputSpec,
    Lookup, Move, Node, Op, Operand, OutputSpec, Param, ParamId, ParamKind, Reduce, ReduceKind,
    Requant, TensorInfo,
};

use crate::hash::{keccak256, Hash32};
use crate::tree::{root_of, MerkleTree};

/// One word: an `int256` whose value always fits `i128` here.
pub type Word = i128;

/// First header word: ASCII `verinfer.graph` as a big-endian integer (domain separation).
pub const GRAPH_DOMAIN: Word = 0x7665_7269_6e66_6572_2e67_7261_7068;
/// Second header word: version of this encoding. Bump on any layout change.
///
/// Version 2: node leaves carry the facts of every operand and of the attribute parameter.
pub const ENCODING_VERSION: Word = 2;

/// Op tags (first word of a node leaf).
pub mod tag {
    use super::Word;
    /// [`verinfer_ir::Op::Contract`].
    pub const CONTRACT: Word = 1;
    /// [`verinfer_ir::Op::Rescale`].
    pub const RESCALE: Word = 2;
    /// [`verinfer_ir::Op::Binary`].
    pub const BINARY: Word = 3;
    /// [`verinfer_ir::Op::Lookup`].
    pub const LOOKUP: Word = 4;
    /// [`verinfer_ir::Op::Reduce`].
    pub const REDUCE: Word = 5;
    /// [`verinfer_ir::Op::Div`].
    pub const DIV: Word = 6;
    /// [`verinfer_ir::Op::Move`].
    pub const MOVE: Word = 7;
    /// [`verinfer_ir::Op::Gather`].
    pub const GATHER: Word = 8;
    /// [`verinfer_ir::Op::ISqrt`].
    pub const ISQRT: Word = 9;
    /// Operand tag of a value (graph input or node output).
    pub const OPERAND_VALUE: Word = 0;
    /// Operand tag of a parameter.
    pub const OPERAND_PARAM: Word = 1;
}

/// The [`BinaryKind`]s in word order: each one's [`binary_kind_word`] is its index, which is how
/// [`crate::decode`] reads a kind word back.
pub const BINARY_KINDS: [BinaryKind; 5] = [
    BinaryKind::Add,
    BinaryKind::Sub,
    BinaryKind::Mul,
    BinaryKind::Max,
    BinaryKind::Min,
];

/// The [`ReduceKind`]s in word order (see [`BINARY_KINDS`]).
pub const REDUCE_KINDS: [ReduceKind; 3] = [ReduceKind::Sum, ReduceKind::Max, ReduceKind::ArgMax];

/// The [`ParamKind`]s in word order (see [`BINARY_KINDS`]).
pub const PARAM_KINDS: [ParamKind; 4] = [
    ParamKind::Weight,
    ParamKind::Bias,
    ParamKind::Table,
    ParamKind::IndexMap,
];

/// Word of a [`BinaryKind`].
#[must_use]
pub fn binary_kind_word(k: BinaryKind) -> Word {
    match k {
        BinaryKind::Add => 0,
        BinaryKind::Sub => 1,
        BinaryKind::Mul => 2,
        BinaryKind::Max => 3,
        BinaryKind::Min => 4,
    }
}

/// Word of a [`ReduceKind`].
#[must_use]
pub fn reduce_kind_word(k: ReduceKind) -> Word {
    match k {
        ReduceKind::Sum => 0,
        ReduceKind::Max => 1,
        ReduceKind::ArgMax => 2,
    }
}

/// Word of a [`ParamKind`].
#[must_use]
pub fn param_kind_word(k: ParamKind) -> Word {
    match k {
        ParamKind::Weight => 0,
        ParamKind::Bias => 1,
        ParamKind::Table => 2,
        ParamKind::IndexMap => 3,
    }
}

/// Appends words; one method per IR building block.
#[derive(Default)]
struct Enc(Vec<Word>);

impl Enc {
    fn w(&mut self, v: impl Into<Word>) {
        self.0.push(v.into());
    }

    /// `usize` always fits `i128`.
    #[allow(clippy::cast_possible_wrap)]
    fn n(&mut self, v: usize) {
        self.0.push(v as Word);
    }

    fn usizes(&mut self, v: &[usize]) {
        self.n(v.len());
        v.iter().for_each(|&x| self.n(x));
    }

    fn i64s(&mut self, v: &[i64]) {
        self.n(v.len());
        v.iter().for_each(|&x| self.w(x));
    }

    fn info(&mut self, t: &TensorInfo) {
        let TensorInfo { shape, scale, bits } = t;
        self.usizes(shape.dims());
        self.w(scale.exponent());
        self.w(bits.get());
    }

    /// The parameter an op names in its attributes: its id, then its facts (the tensor it
    /// reads must be the one committed).
    fn attr_param(&mut self, g: &Graph, p: ParamId) {
        self.w(p.0);
        self.info_of(g.operand_info(Operand::Param(p)));
    }

    /// The layout of the ops that name a parameter (Lookup, Move): the tag, the parameter's id
    /// and facts, then one integer attribute.
    fn param_and_int(&mut self, tag: Word, g: &Graph, p: ParamId, v: i32) {
        self.w(tag);
        self.attr_param(g, p);
        self.w(v);
    }

    /// An op of a shift and an epilogue (`Div`, `ISqrt`): tag, shift, requant.
    fn shift_and_requant(&mut self, tag: Word, shift: u32, rq: &Requant) {
        self.w(tag);
        self.w(shift);
        self.requant(rq);
    }

    /// The facts of a tensor the node refers to. A dangling reference (only in a graph the
    /// validator rejects) is written `0, 0, 0`: bits 0, which no decoder accepts.
    fn info_of(&mut self, t: Option<&TensorInfo>) {
        match t {
            Some(t) => self.info(t),
            None => {
                self.n(0);
                self.w(0);
                self.w(0);
            }
        }
    }

    fn requant(&mut self, r: &Requant) {
        let Requant { mult, shift, bits } = r;
        self.w(*mult);
        self.w(*shift);
        self.w(bits.get());
    }

    fn map(&mut self, m: &AffineMap) {
        let AffineMap { rows } = m;
        self.n(rows.len());
        for row in rows {
            let AffineRow { out, red, offset } = row;
            self.i64s(out);
            self.i64s(red);
            self.w(*offset);
        }
    }

    fn op(&mut self, g: &Graph, op: &Op) {
        match op {
            Op::Contract(c) => {
                let Contract {
                    out_iter,
                    red,
                    x_map,
                    w_map,
                    bias_map,
                    bias_shift,
                    requant,
                } = c;
                self.w(tag::CONTRACT);
                self.usizes(out_iter);
                self.usizes(red);
                self.map(x_map);
                self.map(w_map);
                match bias_map {
                    None => self.w(0),
                    Some(m) => {
                        self.w(1);
                        self.map(m);
                    }
                }
                self.w(*bias_shift);
                self.requant(requant);
            }
            Op::Rescale(r) => {
                self.w(tag::RESCALE);
                self.requant(r);
            }
            Op::Binary(b) => {
                let Binary {
                    kind,
                    a_mult,
                    b_mult,
                    requant,
                } = b;
                self.w(tag::BINARY);
                self.w(binary_kind_word(*kind));
                self.w(*a_mult);
                self.w(*b_mult);
                self.requant(requant);
            }
            Op::Lookup(l) => {
                let Lookup { table, lo } = l;
                self.param_and_int(tag::LOOKUP, g, *table, *lo);
            }
            Op::Reduce(r) => {
                let Reduce {
                    kind,
                    axes,
                    keep_dims,
                    requant,
                } = r;
                self.w(tag::REDUCE);
                self.w(reduce_kind_word(*kind));
                self.usizes(axes);
                self.w(i8::from(*keep_dims));
                self.requant(requant);
            }
            Op::Div(d) => {
                let Div { shift, requant } = d;
                self.shift_and_requant(tag::DIV, *shift, requant);
            }
            Op::Move(m) => {
                let Move { map, fill } = m;
                self.param_and_int(tag::MOVE, g, *map, *fill);
            }
            Op::Gather(g) => {
                let Gather { axis } = g;
                self.w(tag::GATHER);
                self.n(*axis);
            }
            Op::ISqrt(s) => {
                let ISqrt { shift, requant } = s;
                self.shift_and_requant(tag::ISQRT, *shift, requant);
            }
        }
    }

    fn operand(&mut self, g: &Graph, o: Operand) {
        match o {
            Operand::Value(v) => {
                self.w(tag::OPERAND_VALUE);
                self.w(v.0);
            }
            Operand::Param(p) => {
                self.w(tag::OPERAND_PARAM);
                self.w(p.0);
            }
        }
        self.info_of(g.operand_info(o));
    }
}

/// Words of the header leaf: `[GRAPH_DOMAIN, ENCODING_VERSION, inputs, params, outputs,
/// node count]`, each list length-prefixed.
#[must_use]
pub fn header_words(g: &Graph) -> Vec<Word> {
    let Graph {
        name: _,
        inputs,
        params,
        nodes,
        outputs,
    } = g;
    let mut e = Enc::default();
    e.w(GRAPH_DOMAIN);
    e.w(ENCODING_VERSION);
    e.n(inputs.len());
    for i in inputs {
        let InputSpec { name: _, info } = i;
        e.info(info);
    }
    e.n(params.len());
    for p in params {
        let Param {
            name: _,
            kind,
            info,
            data,
        } = p;
        e.w(param_kind_word(*kind));
        e.info(info);
        e.n(data.len());
    }
    e.n(outputs.len());
    for o in outputs {
        let OutputSpec { name: _, value } = o;
        e.w(value.0);
    }
    e.n(nodes.len());
    e.0
}

/// Words of a node leaf of graph `g`: `[op tag, attributes…, operand count, (operand tag, id,
/// operand info)…, output info]`; a `Lookup`'s table and a `Move`'s index map are followed by
/// their info too.
///
/// The operands' facts are looked up in `g` (`n` is normally one of `g.nodes`). A graph the
/// validator accepts has them all; a dangling reference is written as the info `0, 0, 0`, which
/// [`crate::decode::decode_node`] rejects, so such a leaf never decodes.
#[must_use]
pub fn node_words(g: &Graph, n: &Node) -> Vec<Word> {
    let Node {
        name: _,
        origin: _,
        op,
        inputs,
        out,
    } = n;
    let mut e = Enc::default();
    e.op(g, op);
    e.n(inputs.len());
    inputs.iter().for_each(|&o| e.operand(g, o));
    e.info(out);
    e.0
}

/// `abi.encodePacked(int256[] words)`: each word as 32 bytes, big-endian two's complement.
#[must_use]
pub fn words_bytes(words: &[Word]) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 * words.len());
    for &w in words {
        let fill = if w < 0 { 0xff } else { 0 };
        out.extend_from_slice(&[fill; 16]);
        out.extend_from_slice(&w.to_be_bytes());
    }
    out
}

/// `keccak256(abi.encodePacked(int256[] words))`.
pub fn words_hash(words: &[Word]) -> Hash32 {
    keccak256(&words_bytes(words))
}

/// Leaves of the graph-digest tree: the header leaf, then one leaf per node.
#[must_use]
pub fn graph_leaves(g: &Graph) -> Vec<Hash32> {
    let mut leaves = Vec::with_capacity(1 + g.nodes.len());
    leaves.push(words_hash(&header_words(g)));
    leaves.par_extend(g.nodes.par_iter().map(|n| words_hash(&node_words(g, n))));
    leaves
}

/// The graph-digest tree (node `i`'s leaf is at index `1 + i`), for opening one node's op
/// against the model id.
pub fn graph_tree(g: &Graph) -> MerkleTree {
    MerkleTree::from_leaves(graph_leaves(g))
}

/// The graph digest: root of [`graph_leaves`].
pub fn graph_digest(g: &Graph) -> Hash32 {
    root_of(&graph_leaves(g))
}
