//! Which run-time tensors hold only 0 and 1: comparison results and the connectives of them.
//!
//! Exporters write `Cast(Greater(x, t), to=bool)` (a classifier's threshold feeding an `If`
//! or a `Where`) although the comparison already is boolean. A cast of such a tensor to `bool`
//! or to an integer type changes no value, so it lowers to the identity; a cast of any other
//! run-time real to a signed integer type truncates (`elementwise::truncate`), and to `bool`
//! or an unsigned type stays refused.

use std::collections::HashSet;

use verinfer_ir::BinaryKind;
use verinfer_quant::builder::Builder;
use verinfer_quant::fgraph::{FOp, FRef};
use verinfer_quant::func::Func;

/// Whether every value `r` can take is 0 or 1: a comparison (`Step`/`IsZero` of a
/// difference), `1 − b`, `min`/`max` of booleans (`And`, `Or`, `Xor`'s last step), data
/// movement of booleans with a 0/1 fill, and constants of 0s and 1s.
#[must_use]
pub fn is_boolean(b: &Builder, r: FRef) -> bool {
    holds_upstream(r, |r, stack| match r {
        FRef::Input(_) => false,
        FRef::Const(_) => b
            .const_data(r)
            .is_some_and(|d| d.iter().all(|&v| v == 0.0 || v == 1.0)),
        FRef::Node(i) => match b.g.nodes.get(i) {
            Some(n) => match &n.op {
                FOp::Lookup(Func::Step | Func::IsZero) => true,
                FOp::Move { fill, .. } if *fill == 0.0 || *fill == 1.0 => {
                    stack.extend(&n.inputs);
                    true
                }
                FOp::Binary {
                    kind: BinaryKind::Min | BinaryKind::Max,
                    a_factor,
                    b_factor,
                } if *a_factor == 1.0 && *b_factor == 1.0 => {
                    if !is_xor(b, &n.inputs) {
                        stack.extend(&n.inputs);
                    }
                    true
                }
                FOp::Binary {
                    kind: BinaryKind::Sub,
                    a_factor,
                    b_factor,
                } if *a_factor == 1.0 && *b_factor == 1.0 => match n.inputs.as_slice() {
                    // `Not`: 1 − b.
                    [one, x] if b.const_data(*one).is_some_and(|d| d == [1.0]) => {
                        stack.push(*x);
                        true
                    }
                    _ => false,
                },
                _ => false,
            },
            None => false,
        },
    })
}

/// Whether `holds` accepts `r` and every tensor it pushes on the stack, each judged once:
/// the walk [`is_boolean`] and the integer test of `Cast` share. `holds` judges one tensor
/// and pushes the tensors its verdict rests on.
pub(crate) fn holds_upstream(r: FRef, mut holds: impl FnMut(FRef, &mut Vec<FRef>) -> bool) -> bool {
    let mut stack = vec![r];
    let mut seen = HashSet::new();
    while let Some(r) = stack.pop() {
        if seen.insert(r) && !holds(r, &mut stack) {
            return false;
        }
    }
    true
}

/// `max(a − c, c − a)` of booleans `a`, `c` (`Xor`): 1 exactly when they differ.
fn is_xor(b: &Builder, inputs: &[FRef]) -> bool {
    let sub = |r: FRef| match r {
        FRef::Node(i) => {
            b.g.nodes
                .get(i)
                .and_then(|n| match (&n.op, n.inputs.as_slice()) {
                    (
                        FOp::Binary {
                            kind: BinaryKind::Sub,
                            a_factor,
                            b_factor,
                        },
                        [x, y],
                    ) if *a_factor == 1.0 && *b_factor == 1.0 => Some((*x, *y)),
                    _ => None,
                })
        }
        _ => None,
    };
    match inputs {
        [d1, d2] => match (sub(*d1), sub(*d2)) {
            (Some((a, c)), Some((c2, a2))) if a == a2 && c == c2 => {
                is_boolean(b, a) && is_boolean(b, c)
            }
            _ => false,
        },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use tract_onnx::pb::{AttributeProto, NodeProto};
    use verinfer_quant::builder::Builder;
    use verinfer_quant::error::QuantError;
    use verinfer_quant::fgraph::FRef;
    use verinfer_quant::frun::run_outputs;

    use crate::error::OnnxError;
    use crate::lower::lower_node;

    fn lower(b: &mut Builder, op: &str, ins: &[&str], out: &str, to: Option<i64>) -> FRef {
        try_lower(b, op, ins, out, to).unwrap()
    }

    fn try_lower(
        b: &mut Builder,
        op: &str,
        ins: &[&str],
        out: &str,
        to: Option<i64>,
    ) -> Result<FRef, OnnxError> {
        let node = NodeProto {
            op_type: op.into(),
            name: out.into(),
            input: ins.iter().map(|s| (*s).to_string()).collect(),
            output: vec![out.into()],
            attribute: to
                .map(|i| AttributeProto {
                    name: "to".into(),
                    i,
                    ..AttributeProto::default()
                })
                .into_iter()
                .collect(),
            ..NodeProto::default()
        };
        b.begin_node(out, op);
        let r = lower_node(b, &node, 13)?[0];
        b.bind(out, r);
        Ok(r)
    }

    #[test]
    fn a_cast_of_a_comparison_is_the_identity_and_of_a_real_value_is_refused() {
        let mut b = Builder::new("t");
        b.add_input("x", vec![4], false);
        let t = b.constant("t", vec![], vec![0.5]);
        b.bind("t", t);
        let ge = lower(&mut b, "GreaterOrEqual", &["x", "t"], "ge", None);
        let lt = lower(&mut b, "Less", &["x", "t"], "lt", None);
        let not = lower(&mut b, "Not", &["ge"], "not", None);
        let xor = lower(&mut b, "Xor", &["ge", "not"], "xor", None);
        let and = lower(&mut b, "And", &["lt", "xor"], "and", None);
        for (src, to) in [("ge", 9), ("not", 9), ("xor", 7), ("and", 9), ("lt", 6)] {
            let want = b.get(src).unwrap();
            let c = lower(&mut b, "Cast", &[src], &format!("{src}_cast{to}"), Some(to));
            assert_eq!(c, want, "Cast({src}, to={to}) is the identity");
        }
        let _ = (ge, lt, not, xor, and);
        // A difference is not boolean: a cast of it (or of the input) must truncate.
        lower(&mut b, "Sub", &["x", "t"], "d", None);
        for src in ["x", "d"] {
            let e = try_lower(&mut b, "Cast", &[src], "bad", Some(9)).unwrap_err();
            assert!(
                matches!(e, OnnxError::Quant(QuantError::UnsupportedOp { .. })),
                "{e}"
            );
        }
        let c = b.get("ge_cast9").unwrap();
        let mut g = b.g.clone();
        g.outputs.push(("y".into(), c));
        let y = run_outputs(&g, &[vec![0.2, 0.5, 0.7, -1.0]]).unwrap();
        assert_eq!(y, vec![vec![0.0, 1.0, 1.0, 0.0]]);
    }
}
