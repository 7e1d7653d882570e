//! Constants kept as exact integers (`Builder::exact_ints`, what a language model's Q8_0
//! blocks become) must give exactly what the same values as `f64` give: the float graph's
//! outputs bit for bit, the same calibration and the same integer graph — at one byte an
//! element instead of eight.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use verinfer_ir::{AffineMap, AffineRow, BinaryKind, ParamData, ParamView};
use verinfer_quant::builder::Builder;
use verinfer_quant::fgraph::{ContractSpec, FGraph};
use verinfer_quant::frun::run_outputs;
use verinfer_quant::pipeline::calibrate_and_quantize;
use verinfer_quant::quantize::QuantOptions;

const K: usize = 64;
const O: usize = 5;
/// The scales' shared exponent: `scale[r] = n_r · 2^-S`.
const S: i32 = 13;

fn row(out: &[i64], red: &[i64]) -> AffineRow {
    AffineRow {
        out: out.to_vec(),
        red: red.to_vec(),
        offset: 0,
    }
}

fn q_ints() -> Vec<i8> {
    (0..O * K)
        .map(|i| i8::try_from((i * 37 % 255) as i64 - 127).unwrap())
        .collect()
}

fn d_ints() -> Vec<i32> {
    vec![3, -700, 9000, 1, 32_000]
}

/// `y = (x · qᵀ) ⊙ d + d`, with `q` and `d` given as integers (`exact`) or as the reals they
/// stand for; the trailing `+ d` reads an exact constant outside a contraction, and
/// `d · 2` is folded at build time.
fn graph(exact: bool) -> FGraph {
    let mut b = Builder::new("exact");
    let x = b.add_input("x", vec![1, K], false);
    b.begin_node("w", "Const");
    let (q, d) = if exact {
        (
            b.exact_ints("q", vec![O, K], ParamData::from_i8(q_ints()), 0),
            b.exact_ints("d", vec![1, O], ParamData::new(d_ints()), S),
        )
    } else {
        let q = q_ints().into_iter().map(f64::from).collect();
        let unit = 2f64.powi(-S);
        let d = d_ints().into_iter().map(|v| f64::from(v) * unit).collect();
        (
            b.exact_constant("q", vec![O, K], q, 0),
            b.exact_constant("d", vec![1, O], d, S),
        )
    };
    b.begin_node("fc", "MatMul");
    let spec = ContractSpec {
        out_iter: vec![1, O],
        red: vec![K],
        x_map: AffineMap {
            rows: vec![row(&[1, 0], &[0]), row(&[0, 0], &[1])],
        },
        w_map: AffineMap {
            rows: vec![row(&[0, 1], &[0]), row(&[0, 0], &[1])],
        },
        bias_map: None,
    };
    let y = b.contract(x, q, None, spec, vec![1, O]).unwrap();
    let y = b.binary(BinaryKind::Mul, y, d).unwrap();
    let two = b.scalar(2.0);
    let d2 = b.binary(BinaryKind::Mul, d, two).unwrap();
    let y = b.binary(BinaryKind::Add, y, d2).unwrap();
    let mut g = b.g;
    g.outputs.push(("y".into(), y));
    g
}

#[test]
fn exact_integers_evaluate_and_quantize_as_their_reals() {
    let (gi, gr) = (graph(true), graph(false));
    assert!(
        gi.consts[0].data.is_empty(),
        "the integers are not kept as f64"
    );
    for seed in 0..8 {
        let x: Vec<f64> = (0..K)
            .map(|i| (f64::from(u32::try_from(i * 7 + seed * 13).unwrap()) * 0.37).sin() * 3.0)
            .collect();
        let (a, b) = (
            run_outputs(&gi, std::slice::from_ref(&x)).unwrap(),
            run_outputs(&gr, &[x]).unwrap(),
        );
        let bits = |v: &[Vec<f64>]| -> Vec<u64> { v[0].iter().map(|f| f.to_bits()).collect() };
        assert_eq!(bits(&a), bits(&b));
    }
    let opts = QuantOptions {
        bits: 20,
        table_bits: 12,
        headroom_bits: 1,
        wide_inputs: true,
    };
    let ci = calibrate_and_quantize(gi, None, opts, &|| {}).unwrap();
    let cr = calibrate_and_quantize(gr, None, opts, &|| {}).unwrap();
    assert_eq!(ci.graph, cr.graph);
    let q = ci.graph.params.iter().find(|p| p.name == "q").unwrap();
    assert!(matches!(q.data.view(), ParamView::I8(_)));
    assert_eq!(q.info.scale.exponent(), 0);
    let d = ci.graph.params.iter().find(|p| p.name == "d").unwrap();
    assert_eq!(d.info.scale.exponent(), S);
    assert_eq!(d.data.to_vec(), d_ints());
}
