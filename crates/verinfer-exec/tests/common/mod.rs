//! Test helpers: a tiny graph builder, the affine maps of conv2d and batched matmul, random
//! data within bit bounds, and the executor-vs-reference check.
// Test-only code: failing loudly is the point (clippy.toml allows this inside #[test] only).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod maps;

use verinfer_exec::Plan;
use verinfer_ir::shape::numel;
use verinfer_ir::{
    Bits, Graph, InputSpec, Node, Op, Operand, OutputSpec, Param, ParamId, ParamKind, Requant,
    Scale, Shape, TensorInfo, ValueId,
};

/// Builds a graph node by node; the last node is the output.
pub struct Builder {
    g: Graph,
}

fn info(shape: &[usize], bits: u32) -> TensorInfo {
    TensorInfo {
        shape: Shape(shape.to_vec()),
        scale: Scale::new(0).unwrap(),
        bits: Bits::new(bits).unwrap(),
    }
}

impl Default for Builder {
    fn default() -> Self {
        Self::new()
    }
}

impl Builder {
    /// Empty graph.
    pub fn new() -> Self {
        Self {
            g: Graph {
                name: "test".into(),
                inputs: vec![],
                params: vec![],
                nodes: vec![],
                outputs: vec![],
            },
        }
    }

    /// Add a graph input (call before any node).
    pub fn input(&mut self, shape: &[usize], bits: u32) -> Operand {
        assert!(self.g.nodes.is_empty(), "inputs first");
        self.g.inputs.push(InputSpec {
            name: format!("in{}", self.g.inputs.len()),
            info: info(shape, bits),
        });
        Operand::Value(ValueId(self.g.inputs.len() as u32 - 1))
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
            info: info(shape, bits),
            data,
        });
        ParamId(self.g.params.len() as u32 - 1)
    }

    /// Add a weight parameter as an operand.
    pub fn param(&mut self, shape: &[usize], bits: u32, data: Vec<i32>) -> Operand {
        Operand::Param(self.param_id(shape, bits, ParamKind::Weight, data))
    }

    /// Add a node.
    pub fn node(&mut self, op: Op, inputs: Vec<Operand>, shape: &[usize], bits: u32) -> Operand {
        let name = format!("n{}", self.g.nodes.len());
        self.g.nodes.push(Node {
            name,
            origin: "test".into(),
            op,
            inputs,
            out: info(shape, bits),
        });
        Operand::Value(self.g.node_value(self.g.nodes.len() - 1))
    }

    /// Finish with the given outputs (default: the last node).
    pub fn finish(mut self) -> Graph {
        if let Some(i) = self.g.nodes.len().checked_sub(1) {
            self.g.outputs.push(OutputSpec {
                name: "out".into(),
                value: self.g.node_value(i),
            });
        }
        self.g
    }
}

/// Deterministic pseudo-random stream (splitmix64) for test data.
pub struct Rng(u64);

impl Rng {
    /// From a seed.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// Next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A fair coin.
    pub fn coin(&mut self) -> bool {
        self.next() & 1 == 0
    }

    /// Uniform in `[lo, hi]`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % ((hi - lo + 1) as u64)) as i64
    }

    /// `n` values within a `bits`-bit bound, with the extremes over-represented.
    pub fn data(&mut self, n: usize, bits: u32) -> Vec<i32> {
        let b = Bits::new(bits).unwrap();
        (0..n)
            .map(|_| match self.next() % 8 {
                0 => b.min_value() as i32,
                1 => b.max_value() as i32,
                2 => 0,
                _ => self.range(b.min_value(), b.max_value()) as i32,
            })
            .collect()
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

/// Random inputs for every graph input, within their bounds.
pub fn random_inputs(g: &Graph, seed: u64) -> Vec<Vec<i32>> {
    let mut rng = Rng::new(seed);
    g.inputs
        .iter()
        .map(|i| rng.data(i.info.shape.numel(), i.info.bits.get()))
        .collect()
}

/// The executor's trace equals the reference's, with 1, 2 and 8 threads and in the global
/// pool, and repeated runs agree.
pub fn assert_matches_reference(g: &Graph, inputs: &[Vec<i32>]) {
    verinfer_ir::validate::validate(g).expect("test graph must validate");
    let want = verinfer_ir::reference::run(g, inputs).expect("reference run");
    let plan = Plan::for_graph(g.clone()).expect("plan");
    for threads in [1, 2, 8] {
        let got = plan.run_with_threads(inputs, threads).expect("fast run");
        for (v, (a, b)) in got.values().iter().zip(&want).enumerate() {
            assert_eq!(
                a, b,
                "value {v} differs from the reference with {threads} threads"
            );
        }
        assert_eq!(got.len(), want.len());
    }
    let again = plan.run(inputs).expect("fast run");
    assert_eq!(again.into_values(), want, "global pool run");
    // Streaming: the same values in value order, and the graph outputs.
    let mut streamed = Vec::new();
    let outs = plan
        .run_streaming(inputs, |v, d| {
            assert_eq!(v.index(), streamed.len(), "values out of order");
            streamed.push(d.to_vec());
        })
        .expect("streaming run");
    assert_eq!(streamed, want, "streaming run");
    let want_outs: Vec<Vec<i32>> = g
        .outputs
        .iter()
        .map(|o| want[o.value.index()].clone())
        .collect();
    assert_eq!(outs, want_outs, "streaming outputs");
}
