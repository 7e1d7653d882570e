//! Comparisons (`Equal`, `Less`, `Greater`, `LessOrEqual`, `GreaterOrEqual`), the boolean
//! connectives (`Not`, `And`, `Or`, `Xor`) and `CastLike`.
//!
//! A comparison is a difference followed by a step table: `a < b` is `Step(b − a)`, `a = b` is
//! `IsZero(a − b)`. On constants (masks, shape arithmetic) this folds exactly. On run-time
//! tensors the difference is quantized first, so two values closer than the difference's
//! quantization step compare as equal — the documented price of a fixed-point comparison.

use tract_onnx::pb::NodeProto;
use verinfer_ir::BinaryKind;
use verinfer_quant::builder::Builder;
use verinfer_quant::fgraph::FRef;
use verinfer_quant::func::Func;

use crate::attrs::input;
use crate::error::OnnxError;
use crate::lower::Lowered;

/// Op types lowered here.
pub const OPS: &[&str] = &[
    "And",
    "CastLike",
    "Equal",
    "Greater",
    "GreaterOrEqual",
    "Less",
    "LessOrEqual",
    "Not",
    "Or",
    "Xor",
];

/// Lower `node` if this file owns its op type.
pub fn lower(b: &mut Builder, node: &NodeProto, _opset: i64) -> Lowered {
    let r = match node.op_type.as_str() {
        "Equal" => compare(b, node, false, Func::IsZero, false),
        "Less" => compare(b, node, true, Func::Step, false),
        "Greater" => compare(b, node, false, Func::Step, false),
        "LessOrEqual" => compare(b, node, false, Func::Step, true),
        "GreaterOrEqual" => compare(b, node, true, Func::Step, true),
        "Not" => not(b, node),
        "And" => connective(b, node, BinaryKind::Min),
        "Or" => connective(b, node, BinaryKind::Max),
        "Xor" => xor(b, node),
        "CastLike" => cast_like(b, node),
        _ => return None,
    };
    Some(r.map(|r| vec![r]))
}

/// `f(x − y)` (or `f(y − x)` when `swap`), negated as `1 − f` when `negate`.
fn compare(
    b: &mut Builder,
    node: &NodeProto,
    swap: bool,
    f: Func,
    negate: bool,
) -> Result<FRef, OnnxError> {
    let (x, y) = (input(b, node, 0)?, input(b, node, 1)?);
    let (x, y) = if swap { (y, x) } else { (x, y) };
    let d = b.binary(BinaryKind::Sub, x, y)?;
    let mut r = b.func(d, f);
    if negate {
        let one = b.scalar(1.0);
        r = b.binary(BinaryKind::Sub, one, r)?;
    }
    b.mark_integer(r);
    Ok(r)
}

/// `1 − x` on a boolean tensor.
fn not(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let x = input(b, node, 0)?;
    let one = b.scalar(1.0);
    let r = b.binary(BinaryKind::Sub, one, x)?;
    b.mark_integer(r);
    Ok(r)
}

/// `And` / `Or` on boolean tensors (broadcasting): the minimum / maximum of 0s and 1s.
fn connective(b: &mut Builder, node: &NodeProto, kind: BinaryKind) -> Result<FRef, OnnxError> {
    let (x, y) = (input(b, node, 0)?, input(b, node, 1)?);
    let r = b.binary(kind, x, y)?;
    b.mark_integer(r);
    Ok(r)
}

/// `Xor` on boolean tensors (broadcasting): `max(a − b, b − a)`, which is 1 exactly when they
/// differ.
fn xor(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let (x, y) = (input(b, node, 0)?, input(b, node, 1)?);
    let d1 = b.binary(BinaryKind::Sub, x, y)?;
    let d2 = b.binary(BinaryKind::Sub, y, x)?;
    let r = b.binary(BinaryKind::Max, d1, d2)?;
    b.mark_integer(r);
    Ok(r)
}

/// Cast `x` to the element type of `like`: truncation when `like` is an integer constant and
/// `x` is constant; the identity when both are real-valued.
fn cast_like(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let x = input(b, node, 0)?;
    let like = input(b, node, 1)?;
    let like_integer = b.is_integer_const(like) || crate::lower::elementwise::is_integer(b, like);
    if !like_integer {
        // To a float type: an integer constant becomes a float constant of the same values,
        // so that arithmetic on it is no longer integer arithmetic (`2 / W` with `W` cast
        // like a float must be 1/3, not 0, as ONNX's expanded `AffineGrid` computes it).
        return Ok(match b.const_data(x).map(<[f64]>::to_vec) {
            Some(d) if b.is_integer_const(x) => {
                let name = format!("{}/float", b.node_name());
                let s = b.shape(x);
                b.typed_constant(&name, s, d, false)
            }
            _ => x,
        });
    }
    if b.is_integer_const(x) || !b.is_integer_const(like) {
        return Ok(x);
    }
    match b.const_data(x).map(<[f64]>::to_vec) {
        Some(d) => {
            let name = format!("{}/cast", b.node_name());
            let s = b.shape(x);
            Ok(b.typed_constant(&name, s, d.iter().map(|v| v.trunc()).collect(), true))
        }
        None => Err(b
            .unsupported("casting a run-time tensor to an integer type")
            .into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use verinfer_quant::frun::run_outputs;

    fn run(op: &str, a: Vec<f64>, bv: Vec<f64>) -> Vec<f64> {
        let mut b = Builder::new("t");
        let x = b.add_input("a", vec![a.len()], false);
        let _ = x;
        b.add_input("b", vec![bv.len()], false);
        let node = NodeProto {
            op_type: op.into(),
            name: "n".into(),
            input: vec!["a".into(), "b".into()],
            output: vec!["y".into()],
            ..NodeProto::default()
        };
        b.begin_node("n", op);
        let r = crate::lower::lower_node(&mut b, &node, 17).unwrap();
        let mut g = b.g.clone();
        g.outputs.push(("y".into(), r[0]));
        run_outputs(&g, &[a, bv]).unwrap().remove(0)
    }

    #[test]
    fn comparisons_match_numpy() {
        let a = vec![1.0, 2.0, 3.0];
        let c = vec![2.0, 2.0, 2.0];
        assert_eq!(run("Less", a.clone(), c.clone()), vec![1.0, 0.0, 0.0]);
        assert_eq!(run("Greater", a.clone(), c.clone()), vec![0.0, 0.0, 1.0]);
        assert_eq!(
            run("LessOrEqual", a.clone(), c.clone()),
            vec![1.0, 1.0, 0.0]
        );
        assert_eq!(
            run("GreaterOrEqual", a.clone(), c.clone()),
            vec![0.0, 1.0, 1.0]
        );
        assert_eq!(run("Equal", a, c), vec![0.0, 1.0, 0.0]);
    }

    /// `CastLike` of an integer constant like a float is a float: ONNX's expanded
    /// `AffineGrid` divides `2` by `W`, both integer constants cast like the float `theta`
    /// (the first through a chain of two casts), and must get 1/3, not the integer 0.
    #[test]
    fn cast_like_a_float_makes_integer_constants_float() {
        let mut b = Builder::new("t");
        let theta = b.add_input("theta", vec![1], false);
        let two = b.typed_constant("two", vec![], vec![2.0], true);
        let w = b.typed_constant("w", vec![], vec![6.0], true);
        let nine = b.typed_constant("nine", vec![], vec![9.5], false);
        for (n, r) in [("two", two), ("w", w), ("nine", nine)] {
            b.bind(n, r);
        }
        let node = |op: &str, ins: &[&str], out: &str| NodeProto {
            op_type: op.into(),
            name: out.into(),
            input: ins.iter().map(|s| (*s).into()).collect(),
            output: vec![out.into()],
            ..NodeProto::default()
        };
        let lower = |b: &mut Builder, n: NodeProto| {
            b.begin_node(&n.name, &n.op_type);
            let r = crate::lower::lower_node(b, &n, 17).unwrap()[0];
            b.bind(&n.output[0], r);
            r
        };
        let two_f = lower(&mut b, node("CastLike", &["two", "theta"], "two_f"));
        let w_f = lower(&mut b, node("CastLike", &["w", "two_f"], "w_f"));
        assert!(!b.is_integer_const(two_f) && !b.is_integer_const(w_f));
        let step = lower(&mut b, node("Div", &["two_f", "w_f"], "step"));
        assert_eq!(b.const_data(step), Some(&[2.0 / 6.0][..]));
        // Like an integer: a float constant is truncated, an integer one kept.
        let nine_i = lower(&mut b, node("CastLike", &["nine", "w"], "nine_i"));
        assert_eq!(b.const_data(nine_i), Some(&[9.0][..]));
        assert!(b.is_integer_const(nine_i));
        let _ = theta;
    }

    #[test]
    fn connectives_match_their_truth_tables() {
        let a = vec![0.0, 0.0, 1.0, 1.0];
        let c = vec![0.0, 1.0, 0.0, 1.0];
        assert_eq!(run("And", a.clone(), c.clone()), vec![0.0, 0.0, 0.0, 1.0]);
        assert_eq!(run("Or", a.clone(), c.clone()), vec![0.0, 1.0, 1.0, 1.0]);
        assert_eq!(run("Xor", a, c), vec![0.0, 1.0, 1.0, 0.0]);
    }
}
