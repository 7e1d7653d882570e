//! The layers a whole-model proof is made of: what each computes ([`LayerKind`]), where it
//! reads ([`Src`], [`Arg`]) and how its tensors are laid out ([`Layout`]); the spec that
//! lists them is [`super::spec::ChainSpec`].

use verinfer_ir::Bits;

use crate::contract::MatmulNode;

/// A tensor as a padded `2^a × 2^b` matrix: the last axis is the columns, the others the
/// rows (row-major, so a rank-2 tensor needs no reordering and an elementwise op keeps it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Rows (product of all axes but the last; 1 for rank ≤ 1).
    pub rows: usize,
    /// Columns (the last axis).
    pub cols: usize,
}

impl Layout {
    pub(crate) fn of(dims: &[usize]) -> Self {
        match dims.split_last() {
            None => Self { rows: 1, cols: 1 },
            Some((&c, rest)) => Self {
                rows: rest.iter().product(),
                cols: c,
            },
        }
    }

    /// `(a, b)`: the variables of the padded rows and columns.
    #[must_use]
    pub fn log_dims(&self) -> (usize, usize) {
        (log2(self.rows), log2(self.cols))
    }

    /// Variables of the padded table.
    #[must_use]
    pub fn vars(&self) -> usize {
        let (a, b) = self.log_dims();
        a + b
    }

    /// Elements.
    #[must_use]
    pub fn len(&self) -> usize {
        self.rows * self.cols
    }

    /// Whether it has no elements.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn log2(n: usize) -> usize {
    n.next_power_of_two().trailing_zeros() as usize
}

/// Where a layer reads its (activation) input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Src {
    /// Graph input `k` (public), in graph order.
    Input(usize),
    /// The output of layer `i` (committed, or the public graph output).
    Layer(usize),
}

/// What a layer computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayerKind {
    /// `Y = requant(X·W (+ bias·2^t))`; `w`, `bias` index
    /// [`super::spec::ChainSpec::weights`].
    Matmul {
        /// The node's shape and epilogue.
        node: MatmulNode,
        /// `W`'s weight index.
        w: usize,
        /// The bias's weight index.
        bias: Option<usize>,
    },
    /// `Y = max(X, c)` (or `min`), elementwise with a constant: ReLU and clips.
    Clip {
        /// `min` instead of `max`.
        min: bool,
        /// The constant `c` (the scalar parameter times its multiplier).
        constant: i64,
    },
    /// `Y[j] = X[map[j]]`, `fill` where the map is negative (a gather with a public map:
    /// reshape, transpose, pooling windows, padding); `map` indexes
    /// [`super::spec::ChainSpec::maps`].
    Move {
        /// The map's index.
        map: usize,
        /// The fill value.
        fill: i64,
    },
    /// `Y[r] = max_i X[r, i]` over the last axis (`ReduceMax`, no rescale).
    ReduceMax,
    /// `Y = requant(f(X·a_mult, B·b_mult))` elementwise for two activations of one shape
    /// (residual adds, gating products): [`super::arith`].
    Binary {
        /// `f`.
        op: Arith,
        /// The second operand (the first is [`Layer::input`]), broadcast to the output as
        /// its layout says ([`super::broadcast`]).
        b: Arg,
        /// `X`'s multiplier.
        a_mult: i64,
        /// `B`'s multiplier.
        b_mult: i64,
        /// The epilogue's multiplier (positive).
        mult: i64,
        /// The epilogue's shift.
        shift: u32,
        /// Whether the epilogue's saturation is proven (an `Add`/`Sub` whose output may
        /// clamp by design, [`super::clamp::flagged`]; kind word 15): otherwise a trace that
        /// clamps has no proof.
        clamp: bool,
    },
    /// `Y[r] = requant(Σ_i X[r, i])` over the last axis: [`super::arith`].
    ReduceSum {
        /// The epilogue's multiplier (positive).
        mult: i64,
        /// The epilogue's shift.
        shift: u32,
    },
    /// `Y = T[X − lo]` elementwise for a table `T` committed as weight `table` (`1 × L`), its
    /// input already clamped into `[lo, lo + L − 1]`: [`super::lookup`].
    Lookup {
        /// The table's weight index.
        table: usize,
        /// The input value of the table's first entry.
        lo: i64,
    },
    /// `Y[b, i, j] = requant(Σ_l X[b, i, l]·B[b, l, j])` of two activations (attention's
    /// `Q·Kᵀ` and `P·V` per head): [`super::attn`].
    Product {
        /// The second operand.
        b: Src,
        /// The batch (heads): `X` is `[batch·m, k]`, `B` `[batch·k, n]`.
        batch: usize,
        /// The epilogue's multiplier (positive).
        mult: i64,
        /// The epilogue's shift.
        shift: u32,
    },
    /// `Y = round_div(X·2^shift, B)` with `B` an activation broadcast over the output
    /// (softmax's normalisation, RMSNorm's), identity epilogue: [`super::div`].
    Div {
        /// The divisor.
        b: Src,
        /// The numerator's left shift.
        shift: u32,
        /// Whether `X` may be negative (a committed sign selector; kind word 14).
        signed: bool,
    },
    /// `Y = requant(X·a_mult · B·b_mult)` elementwise, both operands broadcast (an outer
    /// product: a cache append's one-hot row times its key): `X` is `[R, 1, …, 1]` over the
    /// output's leading axes, `B` `[S…, C]` over the rest, `S` a power of two, so the
    /// output's extension factors: [`super::outer`].
    Outer {
        /// The second operand.
        b: Src,
        /// `X`'s multiplier.
        a_mult: i64,
        /// `B`'s multiplier.
        b_mult: i64,
        /// The epilogue's multiplier (positive).
        mult: i64,
        /// The epilogue's shift.
        shift: u32,
    },
    /// `Y[r, ·] = T[row(idx[r]), ·]`: rows of a committed table `table` (a weight index) by
    /// the public graph input [`Layer::input`] names (an embedding row by the token, a RoPE
    /// or mask row by the position): [`super::gather`].
    Gather {
        /// The table's weight index.
        table: usize,
    },
    /// `Y = ⌊√(X·2^shift)⌋` elementwise, identity epilogue (RMSNorm): [`super::isqrt`].
    ISqrt {
        /// The radicand's left shift.
        shift: u32,
    },
    /// `Y[r]` = the index of the first maximum of `X[r, ·]` (the last axis), identity
    /// epilogue (an LLM step's next token): [`super::argmax`].
    ArgMax,
}

/// The second operand of a [`LayerKind::Binary`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arg {
    /// An activation (the input or a layer's output).
    Act(Src),
    /// A committed parameter (index into [`super::spec::ChainSpec::weights`]), like a layer
    /// norm's `γ`.
    Weight(usize),
    /// A one-element parameter's value: public, evaluated by the verifier.
    Const(i64),
}

/// The elementwise functions of two activations a [`LayerKind::Binary`] proves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arith {
    /// `a + b`.
    Add,
    /// `a − b`.
    Sub,
    /// `a · b`.
    Mul,
}

/// One layer: its op, its input, its output's layout and bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layer {
    /// The op.
    pub kind: LayerKind,
    /// The input.
    pub input: Src,
    /// The output's layout.
    pub out: Layout,
    /// The output's bit bound.
    pub bits: Bits,
    /// A step of a node's lowering whose output is no graph node's (a convolution's patches
    /// or its product before the transpose): the prover computes it from its input.
    pub internal: bool,
}
