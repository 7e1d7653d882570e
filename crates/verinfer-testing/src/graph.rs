//! Building test graphs node by node, and one-node cases with their input data.

use verinfer_ir::shape::numel;
use verinfer_ir::{
    Binary, BinaryKind, Bits, Graph, InputSpec, Node, Op, Operand, OutputSpec, Param, ParamId,
    ParamKind, Reduce, ReduceKind, Requant, Scale, Shape, TensorInfo, ValueId,
};

use crate::rng::Rng;

/// A tensor of `shape` with `bits`-bit values at scale exponent 0.
pub fn info(shape: &[usize], bits: u32) -> TensorInfo {
    info_at(shape, 0, bits)
}

/// A tensor of `shape` with `bits`-bit values at scale exponent `scale`.
pub fn info_at(shape: &[usize], scale: i32, bits: u32) -> TensorInfo {
    TensorInfo {
        shape: Shape(shape.to_vec()),
        scale: Scale::new(scale).unwrap(),
        bits: Bits::new(bits).unwrap(),
    }
}

/// `clamp(round_shift(acc·mult, shift), bits)`.
pub fn requant(mult: i64, shift: u32, bits: u32) -> Requant {
    Requant {
        mult,
        shift,
        bits: Bits::new(bits).unwrap(),
    }
}

/// `Reduce` of `kind` over `axes`, the reduced axes dropped.
pub fn reduce_op(kind: ReduceKind, axes: &[usize], requant: Requant) -> Op {
    Op::Reduce(Reduce {
        kind,
        axes: axes.to_vec(),
        keep_dims: false,
        requant,
    })
}

/// The value `i` as an operand (graph inputs first, then one value per node).
pub fn value(i: u32) -> Operand {
    Operand::Value(ValueId(i))
}

/// A node named `name` (origin "test").
pub fn node(name: &str, op: Op, inputs: Vec<Operand>, out: TensorInfo) -> Node {
    Node {
        name: name.into(),
        origin: "test".into(),
        op,
        inputs,
        out,
    }
}

/// `y = x + c` over three 16-bit elements at scale 4: the smallest graph every backend and
/// every file format takes (format round trips, fuzz seeds).
pub fn tiny_add() -> Graph {
    let info = |n: usize| info_at(&[n], 4, 16);
    Graph {
        name: "tiny".into(),
        inputs: vec![InputSpec {
            name: "x".into(),
            info: info(3),
        }],
        params: vec![Param {
            name: "c".into(),
            kind: ParamKind::Weight,
            info: info(3),
            data: vec![1, -2, 3].into(),
        }],
        nodes: vec![Node {
            name: "add".into(),
            origin: "Add".into(),
            op: Op::Binary(verinfer_ir::Binary {
                kind: verinfer_ir::BinaryKind::Add,
                a_mult: 1,
                b_mult: 1,
                requant: Requant::clamp_only(Bits::new(16).unwrap()),
            }),
            inputs: vec![Operand::Value(ValueId(0)), Operand::Param(ParamId(0))],
            out: info(3),
        }],
        outputs: vec![OutputSpec {
            name: "y".into(),
            value: ValueId(1),
        }],
    }
}

/// A graph and the data of each of its inputs.
#[derive(Clone, Debug)]
pub struct Case {
    /// The graph.
    pub g: Graph,
    /// One row-major tensor per graph input.
    pub inputs: Vec<Vec<i32>>,
}

/// Builds a graph node by node: inputs (with or without their data) first, then parameters
/// and nodes; the last node is the output unless outputs are named.
#[derive(Clone, Debug)]
pub struct GraphBuilder {
    g: Graph,
    scale: i32,
    data: Vec<Vec<i32>>,
}

impl Default for GraphBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl GraphBuilder {
    /// An empty graph named "test"; tensors at scale exponent 0.
    pub fn new() -> Self {
        Self::named("test")
    }

    /// An empty graph named `name`; tensors at scale exponent 0.
    pub fn named(name: &str) -> Self {
        Self {
            g: Graph {
                name: name.into(),
                inputs: vec![],
                params: vec![],
                nodes: vec![],
                outputs: vec![],
            },
            scale: 0,
            data: vec![],
        }
    }

    /// Tensors added from now on have scale exponent `scale`.
    pub fn with_scale(mut self, scale: i32) -> Self {
        self.scale = scale;
        self
    }

    /// The graph so far.
    pub fn graph(&self) -> &Graph {
        &self.g
    }

    fn info(&self, shape: &[usize], bits: u32) -> TensorInfo {
        info_at(shape, self.scale, bits)
    }

    /// Add a graph input (call before any node).
    pub fn input(&mut self, shape: &[usize], bits: u32) -> Operand {
        assert!(self.g.nodes.is_empty(), "inputs first");
        self.g.inputs.push(InputSpec {
            name: format!("in{}", self.g.inputs.len()),
            info: self.info(shape, bits),
        });
        value(self.g.inputs.len() as u32 - 1)
    }

    /// Add a graph input with its data (see [`GraphBuilder::case`]).
    pub fn input_with(&mut self, shape: &[usize], bits: u32, data: Vec<i32>) -> Operand {
        assert_eq!(data.len(), numel(shape));
        assert_eq!(
            self.data.len(),
            self.g.inputs.len(),
            "every input with data"
        );
        self.data.push(data);
        self.input(shape, bits)
    }

    /// Add a parameter; returns its id.
    pub fn param_id(
        &mut self,
        shape: &[usize],
        bits: u32,
        kind: ParamKind,
        data: Vec<i32>,
    ) -> ParamId {
        assert_eq!(numel(shape), data.len());
        self.g.params.push(Param {
            name: format!("p{}", self.g.params.len()),
            kind,
            info: self.info(shape, bits),
            data: data.into(),
        });
        ParamId(self.g.params.len() as u32 - 1)
    }

    /// Add a weight parameter as an operand.
    pub fn param(&mut self, shape: &[usize], bits: u32, data: Vec<i32>) -> Operand {
        Operand::Param(self.param_id(shape, bits, ParamKind::Weight, data))
    }

    /// A random tensor operand: a graph input with its data or (a third of the time) a weight.
    pub fn tensor(&mut self, rng: &mut Rng, shape: &[usize], bits: u32) -> Operand {
        let data = rng.data(numel(shape), bits);
        if rng.next().is_multiple_of(3) {
            self.param(shape, bits, data)
        } else {
            self.input_with(shape, bits, data)
        }
    }

    /// Add a node; returns its value.
    pub fn node(&mut self, op: Op, inputs: Vec<Operand>, shape: &[usize], bits: u32) -> Operand {
        let name = format!("n{}", self.g.nodes.len());
        let out = self.info(shape, bits);
        self.g.nodes.push(node(&name, op, inputs, out));
        Operand::Value(self.g.node_value(self.g.nodes.len() - 1))
    }

    /// Name `v` an output.
    pub fn output(&mut self, name: &str, v: Operand) {
        let Operand::Value(value) = v else {
            panic!("outputs are values")
        };
        self.g.outputs.push(OutputSpec {
            name: name.into(),
            value,
        });
    }

    /// The graph; the last node is its output when none was named.
    pub fn finish(mut self) -> Graph {
        if self.g.outputs.is_empty() {
            if let Some(i) = self.g.nodes.len().checked_sub(1) {
                let last = Operand::Value(self.g.node_value(i));
                self.output("out", last);
            }
        }
        self.g
    }

    /// The graph (as [`GraphBuilder::finish`]) and the data its inputs were added with.
    pub fn case(mut self) -> Case {
        let inputs = std::mem::take(&mut self.data);
        let g = self.finish();
        assert_eq!(inputs.len(), g.inputs.len(), "every input with data");
        Case { g, inputs }
    }

    /// Add a last node and return the case.
    pub fn node_case(mut self, op: Op, inputs: Vec<Operand>, shape: &[usize], bits: u32) -> Case {
        self.node(op, inputs, shape, bits);
        self.case()
    }
}

/// Random inputs for every graph input, within their bounds (one [`Rng`] from `seed`).
pub fn random_inputs(g: &Graph, seed: u64) -> Vec<Vec<i32>> {
    let mut rng = Rng::new(seed);
    g.inputs
        .iter()
        .map(|i| rng.data(i.info.shape.numel(), i.info.bits.get()))
        .collect()
}

/// `y = rescale((a + 2b)·a)` over two 8-bit inputs of shape [3]: a circuit small enough for
/// the power-8 test `.ptau` (domain 256), every query kind non-trivial — what the ceremony
/// tests of the zk crate and of the CLI prove with.
pub fn small_circuit() -> Graph {
    let v = |i| Operand::Value(ValueId(i));
    let bin = |kind, r, a, b, name: &str| Node {
        name: name.into(),
        origin: "test".into(),
        op: Op::Binary(Binary {
            kind,
            a_mult: 1,
            b_mult: 2,
            requant: r,
        }),
        inputs: vec![a, b],
        out: info(&[3], 8),
    };
    let input = |name: &str| InputSpec {
        name: name.into(),
        info: info(&[3], 8),
    };
    Graph {
        name: "small".into(),
        inputs: vec![input("a"), input("b")],
        params: vec![],
        nodes: vec![
            bin(BinaryKind::Add, requant(1, 1, 8), v(0), v(1), "add"),
            bin(BinaryKind::Mul, requant(1, 5, 8), v(2), v(0), "mul"),
            Node {
                name: "rescale".into(),
                origin: "test".into(),
                op: Op::Rescale(requant(3, 2, 8)),
                inputs: vec![v(3)],
                out: info(&[3], 8),
            },
        ],
        outputs: vec![OutputSpec {
            name: "y".into(),
            value: ValueId(4),
        }],
    }
}

/// `Add`/`Sub`/`Mul` with an epilogue on 16-bit outputs.
pub fn binary_op(kind: BinaryKind, a_mult: i64, b_mult: i64, mult: i64, shift: u32) -> Op {
    Op::Binary(Binary {
        kind,
        a_mult,
        b_mult,
        requant: requant(mult, shift, 16),
    })
}

/// A layer norm's shape with every operand kind of a two-operand layer: `x` `[1, r, c]` (10
/// bits); `m = Σx/4` `[1, r, 1]`; `d = x − m`; `e = d·m/2^8`; `f = e·γ/2^7` (`γ` a `[c]`
/// parameter); `g = (f + 4β)/2`; `h = g + 3·5`; `k = h·(−3)/4`; `k − x`; with `rescale`,
/// then `·3/4` (a `Rescale`).
pub fn norm_like(r: usize, c: usize, rescale: bool) -> Graph {
    let mut rng = Rng::new(5);
    let mut b = GraphBuilder::named("norm-like");
    let x = b.input(&[1, r, c], 10);
    let full = [1, r, c];
    // The mean keeps its axis (`[1, r, 1]`), so the graph validates as a model.
    let mean = Op::Reduce(Reduce {
        kind: ReduceKind::Sum,
        axes: vec![2],
        keep_dims: true,
        requant: requant(1, 2, 16),
    });
    let m = b.node(mean, vec![x], &[1, r, 1], 16);
    let bin = binary_op;
    let d = b.node(bin(BinaryKind::Sub, 1, 1, 1, 0), vec![x, m], &full, 16);
    let e = b.node(bin(BinaryKind::Mul, 1, 1, 1, 8), vec![d, m], &full, 16);
    let gamma = b.param(&[c], 8, rng.data(c, 8));
    let f = b.node(bin(BinaryKind::Mul, 1, 1, 1, 7), vec![e, gamma], &full, 16);
    let beta = b.param(&[c], 8, rng.data(c, 8));
    let g = b.node(bin(BinaryKind::Add, 1, 4, 1, 1), vec![f, beta], &full, 16);
    let five = b.param(&[1], 4, vec![5]);
    let h = b.node(bin(BinaryKind::Add, 1, 3, 1, 0), vec![g, five], &full, 16);
    let minus3 = b.param(&[1], 4, vec![-3]);
    let k = b.node(bin(BinaryKind::Mul, 1, 1, 1, 2), vec![h, minus3], &full, 16);
    let out = b.node(bin(BinaryKind::Sub, 1, 1, 1, 0), vec![k, x], &full, 16);
    if rescale {
        b.node(Op::Rescale(requant(3, 2, 16)), vec![out], &full, 16);
    }
    b.finish()
}

/// One token's RMSNorm with the statistics at 31 bits, as the LLM lowers it: `x` `[1, c]`
/// (16 bits), `x·x` (31 bits), its row sum `/8` (`[1, 1]`, 31 bits), `·3/4` (a `Rescale`,
/// 31 bits), `+ 1` (ε, 31 bits), `q = ⌊√(·2^2)⌋` (20 bits), then `round_div(max(x, 0)·2^8, q)`
/// (20 bits; the division proven for a numerator ≥ 0). Inputs with `|x| < 2^15` keep every
/// step unclamped for `c ≤ 8`.
pub fn rms_norm_wide(c: usize) -> Graph {
    rms_norm_wide_with(c, false)
}

/// [`rms_norm_wide`] with `q` and the quotient at 17 bits instead of the LLM's 20 (both fit:
/// `q = ⌊√(4·s)⌋ < 2^16` for the 31-bit `s`, and `|x|·2^8/q ≤ 2^8·√c`): the same layers and
/// limbs with a `2^17` range table instead of the `2^20` one, which is most of a 20-bit
/// proof's time (for a test proving many of them).
pub fn rms_norm_wide_17(c: usize) -> Graph {
    rms_norm_wide_bits(c, false, 17)
}

/// [`rms_norm_wide`], with `signed` the LLM's numerator instead of `max(x, 0)`: `x·γ/2^7`
/// (16 bits, `γ` a `[1, c]` parameter of 8 bits with negative entries and a zero), so about
/// half the quotients are negative and some 0.
pub fn rms_norm_wide_with(c: usize, signed: bool) -> Graph {
    rms_norm_wide_bits(c, signed, 20)
}

/// [`rms_norm_wide_with`] with `q` and the quotient at `bits`.
pub fn rms_norm_wide_bits(c: usize, signed: bool, bits: u32) -> Graph {
    let wide = |kind, b_mult| {
        Op::Binary(Binary {
            kind,
            a_mult: 1,
            b_mult,
            requant: requant(1, 0, 31),
        })
    };
    let mut b = GraphBuilder::named("rms-norm-31");
    let x = b.input(&[1, c], 16);
    let sq = b.node(wide(BinaryKind::Mul, 1), vec![x, x], &[1, c], 31);
    let sum = Op::Reduce(Reduce {
        kind: ReduceKind::Sum,
        axes: vec![1],
        keep_dims: true,
        requant: requant(1, 3, 31),
    });
    let s = b.node(sum, vec![sq], &[1, 1], 31);
    let s = b.node(Op::Rescale(requant(3, 2, 31)), vec![s], &[1, 1], 31);
    let eps = b.param(&[1], 4, vec![1]);
    let s = b.node(wide(BinaryKind::Add, 1), vec![s, eps], &[1, 1], 31);
    let isqrt = Op::ISqrt(verinfer_ir::ISqrt {
        shift: 2,
        requant: requant(1, 0, bits),
    });
    let q = b.node(isqrt, vec![s], &[1, 1], bits);
    let a = if signed {
        let gamma = (0..c)
            .map(|j| i32::try_from(j * 37 % 201).unwrap_or(0) - 100 + i32::from(j == 0) * 100)
            .collect();
        let gamma = b.param(&[1, c], 8, gamma);
        b.node(
            binary_op(BinaryKind::Mul, 1, 1, 1, 7),
            vec![x, gamma],
            &[1, c],
            16,
        )
    } else {
        let zero = b.param(&[1], 4, vec![0]);
        b.node(
            binary_op(BinaryKind::Max, 1, 1, 1, 0),
            vec![x, zero],
            &[1, c],
            16,
        )
    };
    let div = Op::Div(verinfer_ir::Div {
        shift: 8,
        requant: requant(1, 0, bits),
    });
    b.node(div, vec![a, q], &[1, c], bits);
    b.finish()
}

/// An LLM step's public tensors in small: inputs `token` `[1]`, `pos` `[1]` (8 bits) and a
/// cache `[positions, 8]` (16 bits); `e` = the token's row of a `[10, 8]` embedding, `p` =
/// the position's row of a `[positions, 8]` table (both gathers by a public input), `h = e +
/// p`, `r = max(h, 0)`, `c = cache + r` (`r` spread over the rows), `a = max(c, 0)`. Outputs,
/// not in node order: `a`, `h`, `c`, `r` (`h`, `r` and `c` are public outputs read by later
/// nodes; `a` and `c` have one length).
pub fn kv_step(positions: usize) -> Graph {
    let add = binary_op(BinaryKind::Add, 1, 1, 1, 0);
    let relu = binary_op(BinaryKind::Max, 1, 1, 1, 0);
    let gather = Op::Gather(verinfer_ir::Gather { axis: 0 });
    let table = |rows: usize, salt: usize| -> Vec<i32> {
        (0..rows * 8)
            .map(|e| i32::try_from((e * 7919 + salt) % 4001).unwrap_or(0) - 2000)
            .collect()
    };
    let mut b = GraphBuilder::named("kv-step");
    let token = b.input(&[1], 8);
    let pos = b.input(&[1], 8);
    let cache = b.input(&[positions, 8], 16);
    let emb = b.param(&[10, 8], 12, table(10, 0));
    let rope = b.param(&[positions, 8], 12, table(positions, 33));
    let e = b.node(gather.clone(), vec![emb, token], &[1, 8], 16);
    let p = b.node(gather, vec![rope, pos], &[1, 8], 16);
    let h = b.node(add.clone(), vec![e, p], &[1, 8], 16);
    let zero = b.param(&[1], 4, vec![0]);
    let r = b.node(relu.clone(), vec![h, zero], &[1, 8], 16);
    let c = b.node(add, vec![cache, r], &[positions, 8], 16);
    let a = b.node(relu, vec![c, zero], &[positions, 8], 16);
    for (name, v) in [("a", a), ("h", h), ("c", c), ("r", r)] {
        b.output(name, v);
    }
    b.finish()
}

/// An outer product as an LLM step's cache append makes it: `a` `[r, 1, 1]` times `k` `lo`
/// (`[.., c]`, 8 bits) into `[r, lo..]`, `·3/4` to 16 bits, then `max(·, 0)` (so the product
/// is hidden). With `onehot`, `a` is the column of a `[r, r, 1]` diagonal table (2 on the
/// diagonal) gathered along axis 1 by the input `pos` `[1]`; otherwise `a` is the input
/// `[r, 1, 1]` (8 bits) itself. `k` is the input `lo` through `max(·, −100)`.
pub fn outer_product(r: usize, lo: &[usize], onehot: bool) -> Graph {
    let clip = |bits: u32| {
        Op::Binary(Binary {
            kind: BinaryKind::Max,
            a_mult: 1,
            b_mult: 1,
            requant: Requant::clamp_only(Bits::new(bits).unwrap()),
        })
    };
    let mut b = GraphBuilder::named("outer-product");
    let column = [r, 1, 1];
    let first = b.input(if onehot { &[1] } else { &column }, 8);
    let k = b.input(lo, 8);
    let a = if onehot {
        let diag = (0..r * r)
            .map(|e| if e % (r + 1) == 0 { 2 } else { 0 })
            .collect();
        let table = b.param(&[r, r, 1], 4, diag);
        let gather = Op::Gather(verinfer_ir::Gather { axis: 1 });
        b.node(gather, vec![table, first], &[r, 1, 1], 4)
    } else {
        first
    };
    let floor = b.param(&[1], 8, vec![-100]);
    let k = b.node(clip(8), vec![k, floor], lo, 8);
    let out: Vec<usize> = std::iter::once(r).chain(lo.iter().copied()).collect();
    let y = b.node(binary_op(BinaryKind::Mul, 1, 1, 3, 2), vec![a, k], &out, 16);
    let zero = b.param(&[1], 4, vec![0]);
    b.node(clip(16), vec![y, zero], &out, 16);
    b.finish()
}

/// Grouped-query attention's two products as an LLM step makes them: `q` `[h, d]`, `keys`
/// and `vals` `[c, h_kv, d]` (inputs, 8 bits; `h = h_kv·g`), `s[h, j] = Σ_e q[h, e]·keys[j,
/// h / g, e]` and `a[h, e] = Σ_j s[h, j]·vals[j, h / g, e]`, each iterated `[h_kv, g, ·]`
/// (16 bits). `s` is hidden, `a` the output.
pub fn gqa_attention(h: usize, h_kv: usize, c: usize, d: usize) -> Graph {
    use verinfer_ir::{AffineMap, AffineRow, Contract};
    let g = i64::try_from(h / h_kv.max(1)).unwrap();
    let row = |out: &[(usize, i64)], red: &[(usize, i64)]| AffineRow::terms(3, 1, out, red, 0);
    let contract = |out_iter: Vec<usize>, red: usize, x: Vec<AffineRow>, w: Vec<AffineRow>| {
        let shift = (usize::BITS - red.leading_zeros()) + 6;
        Op::Contract(Contract {
            out_iter,
            red: vec![red],
            x_map: AffineMap { rows: x },
            w_map: AffineMap { rows: w },
            bias_map: None,
            bias_shift: 0,
            requant: requant(3, shift, 16),
        })
    };
    let mut b = GraphBuilder::named("gqa-attention");
    let q = b.input(&[h, d], 8);
    let keys = b.input(&[c, h_kv, d], 8);
    let vals = b.input(&[c, h_kv, d], 8);
    let scores = contract(
        vec![h_kv, h / h_kv.max(1), c],
        d,
        vec![row(&[(0, g), (1, 1)], &[]), row(&[], &[(0, 1)])],
        vec![
            row(&[(2, 1)], &[]),
            row(&[(0, 1)], &[]),
            row(&[], &[(0, 1)]),
        ],
    );
    let s = b.node(scores, vec![q, keys], &[h, c], 16);
    let att = contract(
        vec![h_kv, h / h_kv.max(1), d],
        c,
        vec![row(&[(0, g), (1, 1)], &[]), row(&[], &[(0, 1)])],
        vec![
            row(&[], &[(0, 1)]),
            row(&[(0, 1)], &[]),
            row(&[(2, 1)], &[]),
        ],
    );
    b.node(att, vec![s, vals], &[h, d], 16);
    b.finish()
}
