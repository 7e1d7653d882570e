//! Static checks that make a graph safe to interpret: references, shapes, bit bounds, and an
//! interval analysis proving no `i64` accumulator can overflow.
//!
//! A graph that passes is total: every interpreter computes every element without error for
//! every input within the declared input bounds. Loading a `.vmodel` always re-runs this.

use crate::error::IrError;
use crate::graph::{Graph, Node, Operand};
use crate::op::{BinaryKind, Op, ReduceKind};
use crate::ops;
use crate::shape::numel;

/// Accumulators must stay below `2^62` (headroom below `2^63` for the sum of bounds).
const ACC_LIMIT: u128 = 1 << 62;

/// Validate the whole graph.
///
/// # Errors
/// The first problem found, naming the node.
pub fn validate(g: &Graph) -> Result<(), IrError> {
    if g.num_values() > u32::MAX as usize || g.params.len() > u32::MAX as usize {
        return Err(IrError::BadFile("too many values or parameters".into()));
    }
    for (i, p) in g.params.iter().enumerate() {
        if p.data.len() != p.info.shape.numel() {
            return Err(IrError::BadFile(format!(
                "parameter {i} ({}) has {} elements for shape {:?}",
                p.name,
                p.data.len(),
                p.info.shape.dims()
            )));
        }
        if let Some((k, v)) = p
            .data
            .values()
            .enumerate()
            .find(|&(_, v)| !p.info.bits.contains(i64::from(v)))
        {
            return Err(IrError::OutOfBound {
                what: format!("parameter {}", p.name),
                index: k,
                value: i64::from(v),
                bits: p.info.bits.get(),
            });
        }
    }
    for (i, node) in g.nodes.iter().enumerate() {
        validate_node(g, i, node)?;
    }
    for o in &g.outputs {
        if o.value.index() >= g.num_values() {
            return Err(IrError::BadFile(format!(
                "output {} refers to a missing value",
                o.name
            )));
        }
    }
    Ok(())
}

fn bad(i: usize, n: &Node, what: impl Into<String>) -> IrError {
    IrError::BadAttribute {
        node: i,
        name: n.name.clone(),
        what: what.into(),
    }
}

/// Largest magnitude an operand can hold: its bound for values, its actual maximum for params.
fn max_abs(g: &Graph, o: Operand) -> u64 {
    match o {
        Operand::Value(v) => g.value_info(v).map_or(u64::MAX, |t| t.bits.max_abs()),
        Operand::Param(p) => g
            .params
            .get(p.index())
            .map_or(u64::MAX, |p| p.data.max_abs()),
    }
}

fn check_acc(i: usize, n: &Node, bound: u128) -> Result<(), IrError> {
    if bound >= ACC_LIMIT {
        return Err(IrError::AccumulatorOverflow {
            node: i,
            name: n.name.clone(),
            bound_bits: 128 - bound.leading_zeros(),
        });
    }
    Ok(())
}

fn validate_node(g: &Graph, i: usize, n: &Node) -> Result<(), IrError> {
    let own = g.node_value(i);
    let mut shapes = Vec::with_capacity(n.inputs.len());
    for &o in &n.inputs {
        if let Operand::Value(v) = o {
            if v >= own {
                return Err(IrError::BadReference {
                    node: i,
                    name: n.name.clone(),
                    what: format!("reads value {} which is not computed before it", v.0),
                });
            }
        }
        let info = g.operand_info(o).ok_or_else(|| IrError::BadReference {
            node: i,
            name: n.name.clone(),
            what: format!("operand {o:?} does not exist"),
        })?;
        shapes.push(info.shape.dims());
    }
    let attr_param = n.op.attr_param();
    let attr = match attr_param {
        Some(p) => Some(
            g.params
                .get(p.index())
                .ok_or_else(|| bad(i, n, format!("parameter {} does not exist", p.0)))?,
        ),
        None => None,
    };
    let out_dims = n.out.shape.dims();
    match &n.op {
        Op::Move(m) => {
            let attr = attr.ok_or_else(|| bad(i, n, "missing map"))?;
            let total: usize = shapes.iter().map(|s| numel(s)).sum();
            if attr.data.len() != numel(out_dims) {
                return Err(bad(
                    i,
                    n,
                    format!(
                        "map has {} entries for {} outputs",
                        attr.data.len(),
                        numel(out_dims)
                    ),
                ));
            }
            if attr
                .data
                .values()
                .any(|v| v < -1 || (v >= 0 && v as usize >= total))
            {
                return Err(bad(i, n, "map entry outside the inputs"));
            }
            if !n.out.bits.contains(i64::from(m.fill)) {
                return Err(bad(i, n, "fill value outside the output bound"));
            }
            for &o in &n.inputs {
                if g.operand_info(o).is_some_and(|t| t.bits > n.out.bits) {
                    return Err(bad(i, n, "input bound wider than output bound"));
                }
            }
        }
        op => {
            let got = ops::output_shape(op, &shapes, None).map_err(|e| bad(i, n, e))?;
            let ok = match op {
                Op::Contract(_) => numel(&got) == numel(out_dims),
                _ => got == out_dims,
            };
            if !ok {
                return Err(IrError::ShapeMismatch {
                    node: i,
                    name: n.name.clone(),
                    expected: got,
                    got: out_dims.to_vec(),
                });
            }
        }
    }
    // Bounds and overflow, in saturating u128 arithmetic.
    let m = |k: usize| u128::from(n.inputs.get(k).map_or(0, |&o| max_abs(g, o)));
    match &n.op {
        Op::Contract(c) => {
            same_bits(i, n, c.requant.bits)?;
            let terms = (numel(&c.red) as u128)
                .saturating_mul(m(0))
                .saturating_mul(m(1));
            let bias = if c.bias_map.is_some() {
                // `max(1)`: the reference rejects `bias_shift >= 62` even for an all-zero bias.
                m(2).max(1)
                    .saturating_mul(1u128.checked_shl(c.bias_shift).unwrap_or(u128::MAX))
            } else {
                0
            };
            check_acc(i, n, terms.saturating_add(bias))?;
        }
        Op::Rescale(r) => same_bits(i, n, r.bits)?,
        Op::Binary(b) => {
            same_bits(i, n, b.requant.bits)?;
            let a = m(0).saturating_mul(u128::from(b.a_mult.unsigned_abs()));
            let bb = m(1).saturating_mul(u128::from(b.b_mult.unsigned_abs()));
            let bound = match b.kind {
                // Each factor is formed on its own first, so it must fit even when the other is 0.
                BinaryKind::Mul => a.saturating_mul(bb).max(a).max(bb),
                BinaryKind::Add | BinaryKind::Sub => a.saturating_add(bb),
                BinaryKind::Max | BinaryKind::Min => a.max(bb),
            };
            check_acc(i, n, bound)?;
        }
        Op::Lookup(_) => {
            let t = attr.ok_or_else(|| bad(i, n, "missing table"))?;
            if t.info.shape.rank() != 1 || t.data.is_empty() {
                return Err(bad(i, n, "table must be a non-empty rank-1 parameter"));
            }
            if t.info.bits > n.out.bits {
                return Err(bad(i, n, "table bound wider than output bound"));
            }
        }
        Op::Reduce(r) => {
            same_bits(i, n, r.requant.bits)?;
            let len: usize = r.axes.iter().map(|&a| shapes[0][a]).product();
            // ArgMax keeps the step index in 32 bits; the bound holds for every kind so that
            // the game's step indices have one width.
            if len as u128 >= u128::from(ops::reduce::MAX_STEPS) {
                return Err(bad(
                    i,
                    n,
                    format!("reduces {len} elements per output; at most 2^32 - 1 are allowed"),
                ));
            }
            match r.kind {
                ReduceKind::Sum => check_acc(i, n, (len as u128).saturating_mul(m(0)))?,
                ReduceKind::Max => {}
                ReduceKind::ArgMax => {
                    // The largest index must come out unsaturated, or two indices would merge.
                    let last = i64::try_from(len.saturating_sub(1)).unwrap_or(i64::MAX);
                    let exact = crate::requant::round_shift(
                        i128::from(last) * i128::from(r.requant.mult),
                        r.requant.shift,
                    );
                    if !i64::try_from(exact).is_ok_and(|v| r.requant.bits.contains(v)) {
                        return Err(bad(
                            i,
                            n,
                            format!(
                                "ArgMax over {len} elements: its largest index {last} requantizes \
                                 to {exact}, outside the {}-bit output",
                                r.requant.bits.get()
                            ),
                        ));
                    }
                }
            }
        }
        Op::ISqrt(s) => {
            same_bits(i, n, s.requant.bits)?;
            if s.shift > crate::op::ISQRT_MAX_SHIFT {
                return Err(bad(
                    i,
                    n,
                    format!(
                        "ISqrt shift {} exceeds {} (the radicand must stay below 2^63)",
                        s.shift,
                        crate::op::ISQRT_MAX_SHIFT
                    ),
                ));
            }
        }
        Op::Div(d) => {
            same_bits(i, n, d.requant.bits)?;
            // `max(1)`: the reference rejects `shift >= 62` even for an all-zero numerator.
            check_acc(
                i,
                n,
                m(0).max(1)
                    .saturating_mul(1u128.checked_shl(d.shift).unwrap_or(u128::MAX)),
            )?;
        }
        Op::Gather(_) => {
            if g.operand_info(n.inputs[0])
                .is_some_and(|t| t.bits > n.out.bits)
            {
                return Err(bad(i, n, "data bound wider than output bound"));
            }
        }
        Op::Move(_) => {}
    }
    Ok(())
}

fn same_bits(i: usize, n: &Node, b: crate::types::Bits) -> Result<(), IrError> {
    if b != n.out.bits {
        return Err(bad(
            i,
            n,
            format!(
                "epilogue saturates to {} bits but the output is declared {} bits",
                b.get(),
                n.out.bits.get()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::affine::{AffineMap, AffineRow};
    use crate::graph::{InputSpec, Node, OutputSpec, Param, ParamKind, TensorInfo};
    use crate::op::Contract;
    use crate::requant::Requant;
    use crate::shape::Shape;
    use crate::types::{Bits, ParamId, Scale, ValueId};

    /// A dot product of length `k` between a `bits`-bit input and a weight vector of `w`.
    fn dot(k: usize, bits: u32, w: i32) -> Graph {
        let b = Bits::new(bits).unwrap();
        let info = |n: usize, b: Bits| TensorInfo {
            shape: Shape(vec![n]),
            scale: Scale::new(0).unwrap(),
            bits: b,
        };
        let row = AffineRow {
            out: vec![0],
            red: vec![1],
            offset: 0,
        };
        Graph {
            name: "dot".into(),
            inputs: vec![InputSpec {
                name: "x".into(),
                info: info(k, b),
            }],
            params: vec![Param {
                name: "w".into(),
                kind: ParamKind::Weight,
                info: info(k, Bits::new(32).unwrap()),
                data: vec![w; k].into(),
            }],
            nodes: vec![Node {
                name: "dot".into(),
                origin: "MatMul".into(),
                op: Op::Contract(Contract {
                    out_iter: vec![1],
                    red: vec![k],
                    x_map: AffineMap {
                        rows: vec![row.clone()],
                    },
                    w_map: AffineMap { rows: vec![row] },
                    bias_map: None,
                    bias_shift: 0,
                    requant: Requant::clamp_only(b),
                }),
                inputs: vec![Operand::Value(ValueId(0)), Operand::Param(ParamId(0))],
                out: info(1, b),
            }],
            outputs: vec![OutputSpec {
                name: "y".into(),
                value: ValueId(1),
            }],
        }
    }

    #[test]
    fn accepts_realistic_reductions() {
        validate(&dot(4096, 16, 32767)).unwrap();
    }

    #[test]
    fn rejects_a_possible_accumulator_overflow() {
        // 2^23 · 2^31 · 2^16 terms = 2^70 > 2^62.
        let e = validate(&dot(1 << 16, 24, i32::MAX)).unwrap_err();
        assert!(
            matches!(e, IrError::AccumulatorOverflow { bound_bits, .. } if bound_bits > 62),
            "{e}"
        );
    }

    #[test]
    fn rejects_forward_references_and_bad_shapes() {
        let mut g = dot(8, 16, 1);
        g.nodes[0].inputs[0] = Operand::Value(ValueId(1));
        assert!(matches!(validate(&g), Err(IrError::BadReference { .. })));
        let mut g = dot(8, 16, 1);
        g.nodes[0].out.shape = Shape(vec![2]);
        assert!(matches!(validate(&g), Err(IrError::ShapeMismatch { .. })));
    }

    /// One node `op` over an input of `shape` (`bits`-bit) with an output of `out`/`out_bits`.
    fn one(op: Op, shape: &[usize], bits: u32, out: &[usize], out_bits: u32) -> Graph {
        let info = |s: &[usize], b: u32| TensorInfo {
            shape: Shape(s.to_vec()),
            scale: Scale::new(0).unwrap(),
            bits: Bits::new(b).unwrap(),
        };
        Graph {
            name: "one".into(),
            inputs: vec![InputSpec {
                name: "x".into(),
                info: info(shape, bits),
            }],
            params: vec![],
            nodes: vec![Node {
                name: "n".into(),
                origin: "test".into(),
                op,
                inputs: vec![Operand::Value(ValueId(0))],
                out: info(out, out_bits),
            }],
            outputs: vec![OutputSpec {
                name: "y".into(),
                value: ValueId(1),
            }],
        }
    }

    fn isqrt(shift: u32) -> Op {
        Op::ISqrt(crate::op::ISqrt {
            shift,
            requant: Requant::clamp_only(Bits::new(32).unwrap()),
        })
    }

    #[test]
    fn isqrt_shift_is_bounded() {
        validate(&one(isqrt(32), &[3], 32, &[3], 32)).unwrap();
        let e = validate(&one(isqrt(33), &[3], 32, &[3], 32)).unwrap_err();
        assert!(e.to_string().contains("ISqrt shift 33 exceeds 32"), "{e}");
    }

    fn argmax(n: usize, bits: u32, mult: i64) -> Graph {
        let op = Op::Reduce(crate::op::Reduce {
            kind: ReduceKind::ArgMax,
            axes: vec![0],
            keep_dims: false,
            requant: Requant {
                mult,
                shift: 0,
                bits: Bits::new(bits).unwrap(),
            },
        });
        one(op, &[n], 8, &[], bits)
    }

    #[test]
    fn argmax_output_must_hold_the_largest_index() {
        // 128 elements: index 127 fits 8 bits, 128 elements doubled do not.
        validate(&argmax(128, 8, 1)).unwrap();
        let e = validate(&argmax(129, 8, 1)).unwrap_err();
        assert!(e.to_string().contains("largest index 128"), "{e}");
        assert!(validate(&argmax(128, 8, 2)).is_err());
    }

    #[test]
    fn reductions_are_shorter_than_2_pow_32() {
        let op = Op::Reduce(crate::op::Reduce {
            kind: ReduceKind::Max,
            axes: vec![0, 1],
            keep_dims: false,
            requant: Requant::clamp_only(Bits::new(8).unwrap()),
        });
        let e = validate(&one(op, &[1 << 16, 1 << 16], 8, &[], 8)).unwrap_err();
        assert!(e.to_string().contains("at most 2^32 - 1"), "{e}");
    }
}
