//! A synthetic GPT-2-medium-shaped model built directly in the IR, for benchmarks: real layer
//! shapes (d_model 1024, 16 heads, FFN 4096) with seeded random weights, nothing on disk.
//!
//! Each block is attention (QKV projection, per-head scores, softmax as max/sub/exp-table/
//! sum/div, context, output projection, residual) then an MLP (1024→4096, GELU table,
//! 4096→1024, residual). No layer norm: the benchmark measures time, not accuracy, and the
//! saturating requantization keeps every value in its bound.

use anyhow::Result;
use verinfer_ir::{
    AffineMap, AffineRow, Binary, BinaryKind, Bits, Contract, Div, Graph, InputSpec, Lookup, Node,
    Op, Operand, OutputSpec, Param, ParamId, ParamKind, Reduce, ReduceKind, Requant, Scale, Shape,
    TensorInfo, ValueId,
};

/// Shape of the synthetic model.
#[derive(Clone, Copy, Debug)]
pub struct Dims {
    /// Tokens.
    pub seq: usize,
    /// Model width.
    pub d_model: usize,
    /// Attention heads.
    pub heads: usize,
    /// MLP width.
    pub ffn: usize,
    /// Blocks.
    pub blocks: usize,
}

/// GPT-2 medium's widths, 8 blocks, 16 tokens: about 100.7M parameters.
pub const GPT2_MEDIUM_8: Dims = Dims {
    seq: 16,
    d_model: 1024,
    heads: 16,
    ffn: 4096,
    blocks: 8,
};

/// One GPT-2-small-shaped block (d 768, 12 heads, FFN 3072) on 16 tokens: about 7.1M
/// parameters (what `bench-zk synthetic:gpt2-small-block` proves).
pub const GPT2_SMALL_BLOCK: Dims = Dims {
    seq: 16,
    d_model: 768,
    heads: 12,
    ffn: 3072,
    blocks: 1,
};

/// SplitMix64: a tiny seeded generator (reproducible across platforms).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `[-2^(b-1), 2^(b-1))`.
    fn int(&mut self, b: u32) -> i32 {
        let v = (self.next() >> (64 - b)) as i64 - (1i64 << (b - 1));
        i32::try_from(v).unwrap_or(0)
    }
}

fn row(n_out: usize, n_red: usize, o: &[(usize, i64)], r: Option<usize>, offset: i64) -> AffineRow {
    let mut out = vec![0i64; n_out];
    let mut red = vec![0i64; n_red];
    for &(i, c) in o {
        out[i] = c;
    }
    if let Some(r) = r {
        red[r] = 1;
    }
    AffineRow { out, red, offset }
}

struct G {
    g: Graph,
    rng: Rng,
    b16: Bits,
}

impl G {
    fn info(&self, dims: &[usize], scale: i32, bits: Bits) -> Result<TensorInfo> {
        Ok(TensorInfo {
            shape: Shape(dims.to_vec()),
            scale: Scale::new(scale)?,
            bits,
        })
    }

    fn param(&mut self, kind: ParamKind, info: TensorInfo, data: Vec<i32>) -> Operand {
        let id = ParamId(u32::try_from(self.g.params.len()).unwrap_or(u32::MAX));
        self.g.params.push(Param {
            name: format!("p{}", id.0),
            kind,
            info,
            data: data.into(),
        });
        Operand::Param(id)
    }

    fn random(
        &mut self,
        kind: ParamKind,
        dims: &[usize],
        scale: i32,
        range_bits: u32,
    ) -> Result<Operand> {
        let n: usize = dims.iter().product();
        let data = (0..n).map(|_| self.rng.int(range_bits)).collect();
        let info = self.info(dims, scale, self.b16)?;
        Ok(self.param(kind, info, data))
    }

    fn node(&mut self, op: Op, inputs: Vec<Operand>, out: TensorInfo) -> Operand {
        let v = self.g.node_value(self.g.nodes.len());
        self.g.nodes.push(Node {
            name: format!("n{}", self.g.nodes.len()),
            origin: "synthetic".into(),
            op,
            inputs,
            out,
        });
        Operand::Value(v)
    }

    fn requant(&self, shift: u32, bits: Bits) -> Requant {
        Requant {
            mult: 1,
            shift,
            bits,
        }
    }

    /// `x[T,K] · W[K,N] + b[N]`, weights and bias random, rescaled by `shift`.
    fn linear(&mut self, x: Operand, t: usize, k: usize, n: usize, shift: u32) -> Result<Operand> {
        let w = self.random(ParamKind::Weight, &[k, n], 12, 8)?;
        let b = self.random(ParamKind::Bias, &[n], 20, 12)?;
        let c = Contract {
            out_iter: vec![t, n],
            red: vec![k],
            x_map: AffineMap {
                rows: vec![row(2, 1, &[(0, 1)], None, 0), row(2, 1, &[], Some(0), 0)],
            },
            w_map: AffineMap {
                rows: vec![row(2, 1, &[], Some(0), 0), row(2, 1, &[(1, 1)], None, 0)],
            },
            bias_map: Some(AffineMap {
                rows: vec![row(2, 1, &[(1, 1)], None, 0)],
            }),
            bias_shift: 0,
            requant: self.requant(shift, self.b16),
        };
        let out = self.info(&[t, n], 8, self.b16)?;
        Ok(self.node(Op::Contract(c), vec![x, w, b], out))
    }

    fn add(&mut self, a: Operand, b: Operand, dims: &[usize]) -> Result<Operand> {
        let op = Op::Binary(Binary {
            kind: BinaryKind::Add,
            a_mult: 1,
            b_mult: 1,
            requant: Requant::clamp_only(self.b16),
        });
        let out = self.info(dims, 8, self.b16)?;
        Ok(self.node(op, vec![a, b], out))
    }

    /// `kind` over the last of three axes (kept), clamped to `out.bits`.
    fn reduce_last(&mut self, kind: ReduceKind, x: Operand, out: TensorInfo) -> Operand {
        let op = Op::Reduce(Reduce {
            kind,
            axes: vec![2],
            keep_dims: true,
            requant: Requant::clamp_only(out.bits),
        });
        self.node(op, vec![x], out)
    }
}

/// Table of `f(q / 2^in_scale) · 2^out_scale` for `q` in `lo..=hi`, saturated to 16 bits.
fn table(lo: i32, hi: i32, in_scale: i32, out_scale: i32, f: impl Fn(f64) -> f64) -> Vec<i32> {
    (lo..=hi)
        .map(|q| {
            let y = f(f64::from(q) / f64::from(1 << in_scale)) * f64::from(1 << out_scale);
            #[allow(clippy::cast_possible_truncation)]
            let r = y.round().clamp(-32768.0, 32767.0) as i32;
            r
        })
        .collect()
}

fn gelu(x: f64) -> f64 {
    0.5 * x * (1.0 + (0.797_884_560_802_865_4 * (x + 0.044_715 * x * x * x)).tanh())
}

/// Build the model. Seeded: the same `dims` and `seed` give the same graph.
///
/// # Errors
/// Only if a constant is out of its range (it is not for the shapes here).
pub fn build(d: Dims, seed: u64) -> Result<Graph> {
    let b16 = Bits::new(16)?;
    let b24 = Bits::new(24)?;
    let mut s = G {
        g: Graph {
            name: "synthetic-gpt2-medium".into(),
            inputs: vec![],
            params: vec![],
            nodes: vec![],
            outputs: vec![],
        },
        rng: Rng(seed),
        b16,
    };
    let (t, dm, h, f) = (d.seq, d.d_model, d.heads, d.ffn);
    let dh = dm / h;
    let x_info = s.info(&[t, dm], 8, b16)?;
    s.g.inputs.push(InputSpec {
        name: "x".into(),
        info: x_info,
    });
    let exp_lo = -4096;
    let exp_t = table(exp_lo, 0, 8, 12, f64::exp);
    let exp_info = s.info(&[exp_t.len()], 12, b16)?;
    let exp_table = s.param(ParamKind::Table, exp_info, exp_t);
    let gelu_t = table(-32768, 32767, 8, 8, gelu);
    let gelu_info = s.info(&[gelu_t.len()], 8, b16)?;
    let gelu_table = s.param(ParamKind::Table, gelu_info, gelu_t);
    let as_id = |o: Operand| match o {
        Operand::Param(p) => p,
        Operand::Value(_) => ParamId(u32::MAX),
    };
    let mut x = Operand::Value(ValueId(0));
    for _ in 0..d.blocks {
        // Attention.
        let qkv = s.linear(x, t, dm, 3 * dm, 9)?;
        let scores = Contract {
            out_iter: vec![h, t, t],
            red: vec![dh],
            x_map: AffineMap {
                rows: vec![
                    row(3, 1, &[(1, 1)], None, 0),
                    row(3, 1, &[(0, dh as i64)], Some(0), 0),
                ],
            },
            w_map: AffineMap {
                rows: vec![
                    row(3, 1, &[(2, 1)], None, 0),
                    row(3, 1, &[(0, dh as i64)], Some(0), dm as i64),
                ],
            },
            bias_map: None,
            bias_shift: 0,
            requant: s.requant(16, b16),
        };
        let sc_info = s.info(&[h, t, t], 8, b16)?;
        let sc = s.node(Op::Contract(scores), vec![qkv, qkv], sc_info.clone());
        let max_info = s.info(&[h, t, 1], 8, b16)?;
        let mx = s.reduce_last(ReduceKind::Max, sc, max_info);
        let sub = Op::Binary(Binary {
            kind: BinaryKind::Sub,
            a_mult: 1,
            b_mult: 1,
            requant: Requant::clamp_only(b16),
        });
        let centered = s.node(sub, vec![sc, mx], sc_info);
        let p_info = s.info(&[h, t, t], 12, b16)?;
        let p = s.node(
            Op::Lookup(Lookup {
                table: as_id(exp_table),
                lo: exp_lo,
            }),
            vec![centered],
            p_info.clone(),
        );
        let sum_info = s.info(&[h, t, 1], 12, b24)?;
        let sum = s.reduce_last(ReduceKind::Sum, p, sum_info);
        let probs = s.node(
            Op::Div(Div {
                shift: 12,
                requant: Requant::clamp_only(b16),
            }),
            vec![p, sum],
            p_info,
        );
        let ctx = Contract {
            out_iter: vec![t, h, dh],
            red: vec![t],
            x_map: AffineMap {
                rows: vec![
                    row(3, 1, &[(1, 1)], None, 0),
                    row(3, 1, &[(0, 1)], None, 0),
                    row(3, 1, &[], Some(0), 0),
                ],
            },
            w_map: AffineMap {
                rows: vec![
                    row(3, 1, &[], Some(0), 0),
                    row(3, 1, &[(1, dh as i64), (2, 1)], None, 2 * dm as i64),
                ],
            },
            bias_map: None,
            bias_shift: 0,
            requant: s.requant(12, b16),
        };
        let ctx_info = s.info(&[t, dm], 8, b16)?;
        let ctx = s.node(Op::Contract(ctx), vec![probs, qkv], ctx_info);
        let o = s.linear(ctx, t, dm, dm, 9)?;
        let x1 = s.add(x, o, &[t, dm])?;
        // MLP.
        let h1 = s.linear(x1, t, dm, f, 9)?;
        let g_info = s.info(&[t, f], 8, b16)?;
        let g = s.node(
            Op::Lookup(Lookup {
                table: as_id(gelu_table),
                lo: -32768,
            }),
            vec![h1],
            g_info,
        );
        let h2 = s.linear(g, t, f, dm, 10)?;
        x = s.add(x1, h2, &[t, dm])?;
    }
    if let Operand::Value(v) = x {
        s.g.outputs.push(OutputSpec {
            name: "y".into(),
            value: v,
        });
    }
    verinfer_ir::validate::validate(&s.g)?;
    Ok(s.g)
}

/// Whether a value of `out` sits at a bound of `bits` (a saturated output, or one that may be).
fn at_bound(bits: Bits, out: &[i32]) -> bool {
    out.iter()
        .any(|&v| i64::from(v) == bits.min_value() || i64::from(v) == bits.max_value())
}

/// Raise each matrix product's shift until none of its outputs on `x` sits at a bound of its
/// bits. The seeded weights are not calibrated against data, so a product may saturate — and
/// the sumcheck prover refuses a saturated product by name (its clamp is not proven), while a
/// compiled model's calibration leaves headroom instead. At most 16 rounds, each raising every
/// saturated product's shift by one.
///
/// # Errors
/// The reference run's error, or products that still saturate after 16 rounds.
pub fn fit_shifts(g: &mut Graph, x: &[Vec<i32>]) -> Result<()> {
    for _ in 0..16 {
        let trace = verinfer_ir::reference::run(g, x)?;
        let first = g.inputs.len();
        let mut changed = false;
        for (i, node) in g.nodes.iter_mut().enumerate() {
            let Op::Contract(c) = &mut node.op else {
                continue;
            };
            if trace
                .get(first + i)
                .is_some_and(|out| at_bound(c.requant.bits, out))
            {
                c.requant.shift += 1;
                changed = true;
            }
        }
        if !changed {
            return Ok(());
        }
    }
    anyhow::bail!("the synthetic model's products still saturate after 16 rounds of shifts")
}

/// A seeded random input within the model's input bounds (values of magnitude up to 2^11).
#[must_use]
pub fn input(g: &Graph, seed: u64) -> Vec<Vec<i32>> {
    let mut rng = Rng(seed);
    g.inputs
        .iter()
        .map(|i| (0..i.info.shape.numel()).map(|_| rng.int(12)).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A block of GPT-2 small's width on two tokens: its seeded products saturate as built,
    /// and after [`fit_shifts`] no product output sits at a bound (what the sumcheck prover
    /// needs).
    #[test]
    fn fitted_shifts_leave_no_product_at_its_bound() {
        let d = Dims {
            seq: 2,
            d_model: 768,
            heads: 12,
            ffn: 768,
            blocks: 1,
        };
        let at_bound = |g: &Graph, x: &[Vec<i32>]| -> usize {
            let trace = verinfer_ir::reference::run(g, x).unwrap();
            g.nodes
                .iter()
                .enumerate()
                .filter(|(i, n)| match &n.op {
                    Op::Contract(c) => at_bound(c.requant.bits, &trace[g.inputs.len() + i]),
                    _ => false,
                })
                .count()
        };
        let mut g = build(d, 7).unwrap();
        let x = input(&g, 8);
        assert!(at_bound(&g, &x) > 0, "the unfitted block saturates");
        let shifts = |g: &Graph| -> Vec<u32> {
            g.nodes
                .iter()
                .filter_map(|n| match &n.op {
                    Op::Contract(c) => Some(c.requant.shift),
                    _ => None,
                })
                .collect()
        };
        let before = shifts(&g);
        fit_shifts(&mut g, &x).unwrap();
        assert_eq!(at_bound(&g, &x), 0);
        let after = shifts(&g);
        assert!(before.iter().zip(&after).all(|(b, a)| a >= b));
        assert_ne!(before, after);
    }
}
