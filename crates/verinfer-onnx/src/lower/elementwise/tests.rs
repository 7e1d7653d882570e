//! Unit tests of the elementwise lowerings.

use tract_onnx::pb::NodeProto;
use verinfer_quant::builder::Builder;
use verinfer_quant::fgraph::{FOp, FRef};
use verinfer_quant::frun::run_float;

use crate::lower::lower_node;
pub(crate) use crate::lower::movement::testutil::{
    float as af, int as ai, ints as ais, node, string as astr,
};

/// A builder with one run-time input `x` of `shape` and the constants as given, bound by name.
fn with_consts(shape: &[usize], consts: &[(&str, Vec<usize>, Vec<f64>)]) -> Builder {
    let mut b = Builder::new("t");
    b.add_input("x", shape.to_vec(), false);
    for (name, s, d) in consts {
        let r = b.constant(name, s.clone(), d.clone());
        b.bind(name, r);
    }
    b
}

/// [`with_consts`], then `n` lowered at `opset`; returns the builder and output 0.
pub(crate) fn lower_one(
    n: &NodeProto,
    opset: i64,
    shape: &[usize],
    consts: &[(&str, Vec<usize>, Vec<f64>)],
) -> (Builder, FRef) {
    let mut b = with_consts(shape, consts);
    b.begin_node(&n.name, &n.op_type);
    let outs = lower_node(&mut b, n, opset).unwrap();
    (b, outs[0])
}

/// Value of `r` after running the graph on `x`.
pub(crate) fn value(b: &Builder, r: FRef, x: &[f64]) -> Vec<f64> {
    let inputs = vec![x.to_vec()];
    let nodes = run_float(&b.g, &inputs).unwrap();
    verinfer_quant::frun::tensor(&b.g, &inputs, &nodes, r)
        .data
        .to_vec()
}

pub(crate) fn close(a: &[f64], e: &[f64]) {
    assert_eq!(a.len(), e.len(), "{a:?} vs {e:?}");
    for (x, y) in a.iter().zip(e) {
        assert!((x - y).abs() <= 1e-9 * (1.0 + y.abs()), "{a:?} vs {e:?}");
    }
}

/// Lower `n` on `x` and compare with `f` elementwise.
fn check_unary(n: &NodeProto, opset: i64, f: impl Fn(f64) -> f64) -> Builder {
    let xs = [-3.5, -1.0, -0.25, 0.0, 0.3, 1.0, 2.5, 7.0];
    let (b, y) = lower_one(n, opset, &[8], &[]);
    let e: Vec<f64> = xs.iter().map(|&v| f(v)).collect();
    close(&value(&b, y, &xs), &e);
    b
}

fn ops(b: &Builder) -> Vec<FOp> {
    b.g.nodes.iter().map(|n| n.op.clone()).collect()
}

#[test]
fn div_by_constant_is_a_scale() {
    let n = node("Div", &["x", "c"], &["y"], vec![]);
    let (b, y) = lower_one(&n, 13, &[3], &[("c", vec![], vec![4.0])]);
    assert_eq!(ops(&b), vec![FOp::Scale(0.25)]);
    close(&value(&b, y, &[1.0, 2.0, -8.0]), &[0.25, 0.5, -2.0]);
}

#[test]
fn div_by_constant_vector_multiplies_by_reciprocals() {
    let n = node("Div", &["x", "c"], &["y"], vec![]);
    let (b, y) = lower_one(&n, 13, &[2, 2], &[("c", vec![2], vec![2.0, -0.5])]);
    assert!(matches!(
        ops(&b)[..],
        [FOp::Binary {
            kind: verinfer_ir::BinaryKind::Mul,
            ..
        }]
    ));
    close(
        &value(&b, y, &[1.0, 2.0, 3.0, 4.0]),
        &[0.5, -4.0, 1.5, -8.0],
    );
}

#[test]
fn div_by_zero_constant_is_rejected() {
    let n = node("Div", &["x", "c"], &["y"], vec![]);
    let mut b = with_consts(&[2], &[("c", vec![2], vec![1.0, 0.0])]);
    assert!(lower_node(&mut b, &n, 13).is_err());
}

#[test]
fn mean_uses_factors_only() {
    let n = node("Mean", &["x", "x", "x", "x"], &["y"], vec![]);
    let (b, y) = lower_one(&n, 13, &[2], &[]);
    assert!(b.g.nodes.iter().all(|n| matches!(n.op, FOp::Binary { .. })));
    close(&value(&b, y, &[4.0, -2.0]), &[4.0, -2.0]);
}

#[test]
fn sum_folds_constants_first() {
    let n = node("Sum", &["a", "x", "c"], &["y"], vec![]);
    let (b, y) = lower_one(
        &n,
        13,
        &[2],
        &[("a", vec![2], vec![1.0, 2.0]), ("c", vec![], vec![10.0])],
    );
    assert_eq!(b.g.nodes.len(), 1);
    close(&value(&b, y, &[0.5, 0.25]), &[11.5, 12.25]);
}

#[test]
fn pow_by_constants() {
    for (p, nodes, f) in [
        (2.0, 1, (|v: f64| v * v) as fn(f64) -> f64),
        (3.0, 2, |v: f64| v * v * v),
        (1.0, 0, |v: f64| v),
        (0.5, 1, |v: f64| v.max(0.0).sqrt()),
        (1.5, 1, |v: f64| if v < 0.0 { 0.0 } else { v.powf(1.5) }),
    ] {
        let n = node("Pow", &["x", "p"], &["y"], vec![]);
        let (b, y) = lower_one(&n, 15, &[3], &[("p", vec![], vec![p])]);
        assert_eq!(b.g.nodes.len(), nodes, "p = {p}");
        let xs = [-2.0, 0.5, 3.0];
        close(&value(&b, y, &xs), &xs.map(f));
    }
}

#[test]
fn pow_by_a_per_element_constant_exponent() {
    let n = node("Pow", &["x", "p"], &["y"], vec![]);
    let (b, y) = lower_one(&n, 15, &[4], &[("p", vec![4], vec![2.0, 3.0, 2.0, 0.5])]);
    let xs = [-2.0, 1.5, 3.0, 4.0];
    close(&value(&b, y, &xs), &[4.0, 3.375, 9.0, 2.0]);
    // More distinct exponents than powers worth computing: refused by name.
    let many: Vec<f64> = (0..9).map(f64::from).collect();
    let mut b = with_consts(&[9], &[("p", vec![9], many)]);
    let e = lower_node(&mut b, &n, 15).unwrap_err().to_string();
    assert!(e.contains("9 distinct values"), "{e}");
}

#[test]
fn pow_with_run_time_exponent_is_unsupported() {
    let n = node("Pow", &["c", "x"], &["y"], vec![]);
    let mut b = with_consts(&[2], &[("c", vec![2], vec![1.0, 3.0])]);
    let e = lower_node(&mut b, &n, 15).unwrap_err().to_string();
    assert!(e.contains("unsupported"), "{e}");
    // A constant positive scalar base is exp(y·ln c).
    let (b, y) = lower_one(&n, 15, &[2], &[("c", vec![], vec![2.0])]);
    close(&value(&b, y, &[3.0, -1.0]), &[8.0, 0.5]);
}

#[test]
fn legacy_broadcast_aligns_at_axis() {
    let n = node(
        "Add",
        &["x", "c"],
        &["y"],
        vec![ai("broadcast", 1), ai("axis", 0)],
    );
    let (b, y) = lower_one(&n, 6, &[2, 3], &[("c", vec![2], vec![10.0, 20.0])]);
    close(
        &value(&b, y, &[0.0, 1.0, 2.0, 3.0, 4.0, 5.0]),
        &[10.0, 11.0, 12.0, 23.0, 24.0, 25.0],
    );
}

#[test]
fn piecewise_linear_activations_use_no_tables() {
    for (n, opset, f) in [
        (
            node("Relu", &["x"], &["y"], vec![]),
            14,
            (|v: f64| v.max(0.0)) as fn(f64) -> f64,
        ),
        (node("Abs", &["x"], &["y"], vec![]), 13, |v: f64| v.abs()),
        (node("Neg", &["x"], &["y"], vec![]), 13, |v: f64| -v),
        (node("LeakyRelu", &["x"], &["y"], vec![]), 16, |v: f64| {
            if v < 0.0 {
                0.01 * v
            } else {
                v
            }
        }),
        (
            node("LeakyRelu", &["x"], &["y"], vec![af("alpha", 2.0)]),
            16,
            |v: f64| if v < 0.0 { 2.0 * v } else { v },
        ),
        (node("HardSigmoid", &["x"], &["y"], vec![]), 6, |v: f64| {
            (0.2 * v + 0.5).clamp(0.0, 1.0)
        }),
        (
            node(
                "Clip",
                &["x"],
                &["y"],
                vec![af("min", -1.0), af("max", 2.0)],
            ),
            6,
            |v: f64| v.clamp(-1.0, 2.0),
        ),
        (
            node(
                "Shrink",
                &["x"],
                &["y"],
                vec![af("lambd", 1.0), af("bias", 1.0)],
            ),
            9,
            |v: f64| {
                if v > 1.0 {
                    v - 1.0
                } else if v < -1.0 {
                    v + 1.0
                } else {
                    0.0
                }
            },
        ),
    ] {
        let b = check_unary(&n, opset, f);
        assert!(
            !ops(&b).iter().any(|o| matches!(o, FOp::Lookup(_))),
            "{}",
            n.op_type
        );
    }
}

#[test]
fn clip_with_optional_inputs() {
    let n = node("Clip", &["x", "", "hi"], &["y"], vec![]);
    let (b, y) = lower_one(&n, 13, &[3], &[("hi", vec![], vec![1.0])]);
    assert_eq!(b.g.nodes.len(), 1);
    close(&value(&b, y, &[-5.0, 0.5, 3.0]), &[-5.0, 0.5, 1.0]);
}

#[test]
fn clip_drops_bounds_nothing_can_cross() {
    // Audio front-ends export `Clip(min=1e-10, max=+inf)`; the +inf (or f32::MAX) bound is no
    // clamp and must not become one.
    let n = node("Clip", &["x", "lo", "hi"], &["y"], vec![]);
    for hi in [f64::INFINITY, f64::from(f32::MAX)] {
        let (b, y) = lower_one(
            &n,
            13,
            &[3],
            &[("lo", vec![], vec![1e-10]), ("hi", vec![], vec![hi])],
        );
        assert_eq!(b.g.nodes.len(), 1, "only the Max of the lower bound");
        close(&value(&b, y, &[-5.0, 0.5, 3e6]), &[1e-10, 0.5, 3e6]);
    }
    let (b, y) = lower_one(
        &n,
        13,
        &[3],
        &[
            ("lo", vec![], vec![f64::NEG_INFINITY]),
            ("hi", vec![], vec![2.0]),
        ],
    );
    assert_eq!(b.g.nodes.len(), 1, "only the Min of the upper bound");
    close(&value(&b, y, &[-5.0, 0.5, 3.0]), &[-5.0, 0.5, 2.0]);
    // A bound that is finite on its side is kept.
    let (b, _) = lower_one(
        &n,
        13,
        &[3],
        &[("lo", vec![], vec![-1.0]), ("hi", vec![], vec![1e30])],
    );
    assert_eq!(b.g.nodes.len(), 2);
}

#[test]
fn prelu_with_constant_slopes() {
    let n = node("PRelu", &["x", "s"], &["y"], vec![]);
    let (b, y) = lower_one(&n, 16, &[2, 2], &[("s", vec![2], vec![0.1, 0.5])]);
    assert_eq!(b.g.nodes.len(), 2);
    close(
        &value(&b, y, &[-1.0, -1.0, 2.0, 2.0]),
        &[-0.1, -0.5, 2.0, 2.0],
    );
    let (b, y) = lower_one(&n, 16, &[2, 2], &[("s", vec![2], vec![0.1, 3.0])]);
    close(
        &value(&b, y, &[-1.0, -1.0, 2.0, 2.0]),
        &[-0.1, -3.0, 2.0, 2.0],
    );
}

#[test]
fn tabled_activations() {
    use verinfer_quant::func::Func;
    for (n, opset, f) in [
        (node("Sigmoid", &["x"], &["y"], vec![]), 13, Func::Sigmoid),
        (
            node("Gelu", &["x"], &["y"], vec![astr("approximate", "tanh")]),
            20,
            Func::GeluTanh,
        ),
        (
            node("Selu", &["x"], &["y"], vec![]),
            6,
            Func::Selu {
                alpha: 1.673_263_192_176_818_8,
                gamma: 1.050_701_022_148_132_3,
            },
        ),
        (
            node("HardSwish", &["x"], &["y"], vec![]),
            14,
            Func::HardSwish,
        ),
        (
            node("Celu", &["x"], &["y"], vec![af("alpha", 2.0)]),
            12,
            Func::Celu { alpha: 2.0 },
        ),
    ] {
        let b = check_unary(&n, opset, |v| f.eval(v));
        assert_eq!(b.g.nodes.len(), 1, "{}", n.op_type);
    }
    let n = node("Gelu", &["x"], &["y"], vec![astr("approximate", "fast")]);
    let mut b = Builder::new("t");
    b.add_input("x", vec![2], false);
    assert!(lower_node(&mut b, &n, 20).is_err());
}

/// `Sqrt` and `Pow(x, 0.5)` are the exact integer root, not a table.
#[test]
fn sqrt_and_pow_half_are_isqrt() {
    let b = check_unary(&node("Sqrt", &["x"], &["y"], vec![]), 13, |v| {
        v.max(0.0).sqrt()
    });
    assert_eq!(ops(&b), vec![FOp::Sqrt]);
    let n = node("Pow", &["x", "p"], &["y"], vec![]);
    let (b, y) = lower_one(&n, 13, &[3], &[("p", vec![], vec![0.5])]);
    assert_eq!(ops(&b), vec![FOp::Sqrt]);
    close(&value(&b, y, &[4.0, 0.25, 9.0]), &[2.0, 0.5, 3.0]);
}

/// `Mod` folds constant operands (integer: divisor's sign; `fmod`: dividend's) and rejects a
/// run-time one.
#[test]
fn mod_of_constants_folds_with_onnx_signs() {
    let mut b = Builder::new("t");
    let a = b.constant("a", vec![4], vec![7.0, -7.0, 7.0, -7.0]);
    b.bind("a", a);
    let m = b.constant("m", vec![4], vec![3.0, 3.0, -3.0, -3.0]);
    b.bind("m", m);
    for (fmod, want) in [(0, [1.0, 2.0, -2.0, -1.0]), (1, [1.0, -1.0, 1.0, -1.0])] {
        let n = node("Mod", &["a", "m"], &["y"], vec![ai("fmod", fmod)]);
        b.begin_node(&n.name, &n.op_type);
        let y = lower_node(&mut b, &n, 13).unwrap()[0];
        assert_eq!(b.const_data(y).unwrap(), want);
    }
    b.add_input("x", vec![4], false);
    let n = node("Mod", &["x", "m"], &["y"], vec![]);
    b.begin_node(&n.name, &n.op_type);
    // A run-time real operand lowers (`real_mod`) instead of being refused.
    let y = lower_node(&mut b, &n, 13).unwrap()[0];
    assert_eq!(b.shape(y), vec![4]);
}

#[test]
fn swish_with_alpha_is_a_scaled_silu() {
    let n = node("Swish", &["x"], &["y"], vec![af("alpha", 2.0)]);
    check_unary(&n, 24, |v| v / (1.0 + (-2.0 * v).exp()));
}
