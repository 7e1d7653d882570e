//! The seam a model format uses, exercised without any format: build a float graph with the
//! `Builder`, calibrate and quantize it, run the integer graph with the reference interpreter
//! and compare with the float graph's own outputs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use verinfer_ir::{AffineMap, AffineRow, BinaryKind, Graph};
use verinfer_quant::builder::Builder;
use verinfer_quant::data::parse_data;
use verinfer_quant::fgraph::{ContractSpec, FGraph, FRef};
use verinfer_quant::func::Func;
use verinfer_quant::pipeline::{calibrate_and_quantize, quantize_inputs, DEFAULT_SAMPLES};
use verinfer_quant::quantize::QuantOptions;
use verinfer_quant::report::{evaluate, lowered_outputs};
use verinfer_quant::QuantError;

/// Row of an affine map reading output axis `o` and/or reduction axis `r`.
fn row(n_out: usize, o: Option<usize>, r: Option<usize>) -> AffineRow {
    AffineRow::unit(n_out, 1, o, r)
}

/// `sigmoid(max(x·W + b, 0))` and `x·W + b`, for `x` of shape `[2, 4]` and `W` of `[4, 3]`,
/// the way an importer would lower two named source nodes.
fn dense_relu_sigmoid() -> FGraph {
    let mut b = Builder::new("dense");
    b.add_input("x", vec![2, 4], false);
    let w: Vec<f64> = (0..12).map(|i| f64::from(i - 6) / 8.0).collect();
    let w = b.typed_constant("W", vec![4, 3], w, false);
    let bias = b.typed_constant("B", vec![3], vec![0.25, -0.5, 0.125], false);
    b.bind("W", w);
    b.bind("B", bias);

    b.begin_node("fc", "Linear");
    let spec = ContractSpec {
        out_iter: vec![2, 3],
        red: vec![4],
        x_map: AffineMap {
            rows: vec![row(2, Some(0), None), row(2, None, Some(0))],
        },
        w_map: AffineMap {
            rows: vec![row(2, None, Some(0)), row(2, Some(1), None)],
        },
        bias_map: Some(AffineMap {
            rows: vec![row(2, Some(1), None)],
        }),
    };
    let (x, w, bias) = (
        b.get("x").unwrap(),
        b.get("W").unwrap(),
        b.get("B").unwrap(),
    );
    let y = b.contract(x, w, Some(bias), spec, vec![2, 3]).unwrap();
    b.bind("y", y);

    b.begin_node("act", "ReluSigmoid");
    let zero = b.scalar(0.0);
    let r = b.binary(BinaryKind::Max, y, zero).unwrap();
    let s = b.func(r, Func::Sigmoid);
    b.bind("out", s);

    let mut g = b.g.clone();
    g.outputs.push(("out".into(), b.get("out").unwrap()));
    g.outputs.push(("y".into(), b.get("y").unwrap()));
    g
}

fn graph_outputs(g: &Graph, q: &[Vec<i32>]) -> Result<Vec<Vec<i32>>, String> {
    let values = verinfer_ir::reference::run(g, q).map_err(|e| e.to_string())?;
    Ok(g.outputs
        .iter()
        .map(|o| values[o.value.index()].clone())
        .collect())
}

#[test]
fn builds_calibrates_quantizes_and_agrees_with_the_float_graph() {
    let fg = dense_relu_sigmoid();
    assert_eq!(fg.nodes.len(), 3, "contract, max, sigmoid lookup");
    assert_eq!(fg.nodes[0].name, "fc");
    assert_eq!(fg.nodes[2].origin, "ReluSigmoid");

    // Three samples of `x`, EZKL style: one flat list per input, k samples long.
    let values: Vec<String> = (0..24)
        .map(|i| format!("{}", f64::from((i * 7) % 11 - 5) / 4.0))
        .collect();
    let data = parse_data(&format!("{{\"input_data\": [[{}]]}}", values.join(","))).unwrap();
    let progress = std::sync::atomic::AtomicUsize::new(0);
    let tick = || {
        progress.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    };
    let c = calibrate_and_quantize(fg, Some(&data), QuantOptions::default(), &tick).unwrap();
    assert!(!c.defaulted);
    assert_eq!(c.samples.len(), 3);
    assert_eq!(progress.into_inner(), 3);
    assert_eq!(c.graph.inputs.len(), 1);
    assert_eq!(c.graph.outputs.len(), 2);

    let reference = (
        "f64".to_string(),
        lowered_outputs(&c.fgraph, &c.samples).unwrap(),
    );
    let report = evaluate(&c.graph, &c.samples, reference, &|q| {
        graph_outputs(&c.graph, q)
    })
    .unwrap();
    assert_eq!(report.samples, 3);
    for o in &report.outputs {
        assert!(o.float_max_abs > 0.1, "{o:?}");
        assert!(o.max_abs_err < 0.01, "{o:?}");
    }

    // Inputs quantized for the integer graph run through the reference interpreter.
    let q = quantize_inputs(&c.graph, &c.samples[0]).unwrap();
    assert_eq!(graph_outputs(&c.graph, &q).unwrap()[0].len(), 6);
}

#[test]
fn without_data_calibrates_on_synthetic_samples() {
    let c = calibrate_and_quantize(dense_relu_sigmoid(), None, QuantOptions::default(), &|| ())
        .unwrap();
    assert!(c.defaulted);
    assert_eq!(c.samples.len(), DEFAULT_SAMPLES);
    assert!(c.samples.iter().flatten().flatten().all(|v| v.abs() <= 1.0));
}

#[test]
fn data_that_does_not_fit_the_graph_is_a_typed_error() {
    let data = parse_data(r#"{"input_data": [[1, 2, 3]]}"#).unwrap();
    let e = calibrate_and_quantize(
        dense_relu_sigmoid(),
        Some(&data),
        QuantOptions::default(),
        &|| (),
    )
    .unwrap_err();
    assert!(matches!(e, QuantError::BadData(_)), "{e}");
    let bits = QuantOptions {
        bits: 40,
        ..QuantOptions::default()
    };
    let e = calibrate_and_quantize(dense_relu_sigmoid(), None, bits, &|| ()).unwrap_err();
    assert!(
        matches!(e, QuantError::BadData(ref m) if m.contains("--bits")),
        "{e}"
    );
}

#[test]
fn builder_errors_name_the_source_node() {
    let mut b = Builder::new("m");
    let x = b.add_input("x", vec![2, 3], false);
    b.begin_node("blk.0.attn_q", "MUL_MAT");
    match b.reshape(x, vec![4]) {
        Err(QuantError::BadNode { node, op_type, .. }) => {
            assert_eq!(
                (node.as_str(), op_type.as_str()),
                ("blk.0.attn_q", "MUL_MAT")
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        b.require_const(x, "the rotary base"),
        Err(QuantError::UnsupportedOp { .. })
    ));
    let e = b.get("missing").unwrap_err();
    assert!(e.to_string().contains("'missing'"), "{e}");
    assert!(matches!(b.get("x"), Ok(FRef::Input(0))));
}

/// `sqrt(mean(x²))` per row (RMSNorm's denominator) and the row's first argmax, for `x` of
/// shape `[2, 8]`.
fn rms_and_argmax() -> FGraph {
    let mut b = Builder::new("llm_prims");
    let x = b.add_input("x", vec![2, 8], false);
    b.begin_node("rms", "RMSNorm");
    let sq = b.binary(BinaryKind::Mul, x, x).unwrap();
    let sum = b
        .reduce(sq, verinfer_ir::ReduceKind::Sum, &[1], true)
        .unwrap();
    let mean = b.scale(sum, 1.0 / 8.0);
    let rms = b.sqrt(mean);
    b.begin_node("argmax", "ArgMax");
    let idx = b
        .reduce(x, verinfer_ir::ReduceKind::ArgMax, &[1], false)
        .unwrap();
    let mut g = b.g.clone();
    g.outputs.push(("rms".into(), rms));
    g.outputs.push(("argmax".into(), idx));
    g
}

#[test]
fn sqrt_and_argmax_quantize_to_the_exact_primitives_and_agree_with_the_float_graph() {
    // Values on a 1/4 grid: ties within a row are exact in both graphs (first maximum wins).
    let values: Vec<String> = (0..48)
        .map(|i| format!("{}", f64::from((i * 7) % 11 - 5) / 4.0))
        .collect();
    let data = parse_data(&format!("{{\"input_data\": [[{}]]}}", values.join(","))).unwrap();
    let c = calibrate_and_quantize(
        rms_and_argmax(),
        Some(&data),
        QuantOptions::default(),
        &|| (),
    )
    .unwrap();
    let isqrt = c
        .graph
        .nodes
        .iter()
        .find_map(|n| match &n.op {
            verinfer_ir::Op::ISqrt(s) => Some((s, n.out.scale.exponent())),
            _ => None,
        })
        .expect("an ISqrt node");
    assert!(isqrt.0.shift <= verinfer_ir::ISQRT_MAX_SHIFT);
    let argmax = c
        .graph
        .nodes
        .iter()
        .find(|n| matches!(&n.op, verinfer_ir::Op::Reduce(r) if r.kind == verinfer_ir::ReduceKind::ArgMax))
        .expect("an ArgMax node");
    assert_eq!(argmax.out.scale.exponent(), 0);
    assert!(argmax.out.bits.contains(7), "holds the largest index");

    let floats = lowered_outputs(&c.fgraph, &c.samples).unwrap();
    let report = evaluate(
        &c.graph,
        &c.samples,
        ("f64".to_string(), floats.clone()),
        &|q| graph_outputs(&c.graph, q),
    )
    .unwrap();
    let rms = &report.outputs[0];
    assert!(rms.float_max_abs > 0.5, "{rms:?}");
    assert!(rms.max_abs_err < 2e-3, "{rms:?}");
    // The argmax is exact: the same index on every sample.
    assert_eq!(
        report.outputs[1].max_abs_err, 0.0,
        "{:?}",
        report.outputs[1]
    );
    for (s, sample) in c.samples.iter().enumerate() {
        let q = quantize_inputs(&c.graph, sample).unwrap();
        let got = &graph_outputs(&c.graph, &q).unwrap()[1];
        let want: Vec<i32> = sample[0]
            .chunks(8)
            .map(|row| {
                let m = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                i32::try_from(row.iter().position(|&v| v == m).unwrap()).unwrap()
            })
            .collect();
        assert_eq!(got, &want, "sample {s}");
    }
}

/// An integer input declared narrow (an ONNX `int8`) keeps its width: the product of two such
/// inputs fits the accumulator, where two 32-bit integers would need 63 bits and be refused.
#[test]
fn narrow_integer_inputs_keep_their_width() {
    let product = |bits: Option<u32>| {
        let mut b = Builder::new("mul");
        let x = b.add_input("x", vec![3], true);
        let y = b.add_input("y", vec![3], true);
        if let Some(bits) = bits {
            b.set_input_bits(x, bits);
            b.set_input_bits(y, bits);
        }
        b.begin_node("mul", "Mul");
        let z = b.binary(BinaryKind::Mul, x, y).unwrap();
        let mut g = b.g.clone();
        g.outputs.push(("z".into(), z));
        let data = parse_data(r#"{"input_data": [[-128, 5, 127], [3, -7, 127]]}"#).unwrap();
        calibrate_and_quantize(g, Some(&data), QuantOptions::default(), &|| ())
    };
    let c = product(Some(8)).unwrap();
    assert!(c.graph.inputs.iter().all(|i| i.info.bits.get() == 8));
    let q = quantize_inputs(
        &c.graph,
        &[vec![-128.0, 5.0, 127.0], vec![3.0, -7.0, 127.0]],
    )
    .unwrap();
    let out = graph_outputs(&c.graph, &q).unwrap();
    let scale = c.graph.value_info(c.graph.outputs[0].value).unwrap().scale;
    let got = verinfer_quant::pipeline::dequantize(&out[0], scale);
    assert_eq!(got, vec![-384.0, -35.0, 16129.0]);
    // The default width of an integer input is 32 bits: the same product is refused.
    assert!(product(None).is_err());
}

/// A magnitude spectrum `sqrt(re² + im²)`: a few large bins and many small ones, as a speech
/// front end sees. Squared, the small bins fall below one step of the working width; the
/// radicand is held wider (docs/quantization.md), so every root keeps the output's precision.
#[test]
fn a_magnitude_spectrum_keeps_its_small_bins() {
    let mut b = Builder::new("stft_magnitude");
    let re = b.add_input("re", vec![64], false);
    let im = b.add_input("im", vec![64], false);
    b.begin_node("magnitude", "Sqrt");
    let re2 = b.binary(BinaryKind::Mul, re, re).unwrap();
    let im2 = b.binary(BinaryKind::Mul, im, im).unwrap();
    let power = b.binary(BinaryKind::Add, re2, im2).unwrap();
    let mag = b.sqrt(power);
    let mut g = b.g.clone();
    g.outputs.push(("mag".into(), mag));
    // Bins from 0.01 to 40: a tone's peak among faint noise.
    let bins = |phase: usize| -> Vec<String> {
        (0..64)
            .map(|k| {
                let v = if (k + phase).is_multiple_of(16) {
                    40.0
                } else {
                    0.01 * f64::from(u8::try_from((k * 7 + phase) % 23).unwrap())
                };
                format!("{v}")
            })
            .collect()
    };
    let list = |off: usize| {
        (0..4)
            .flat_map(|p| bins(p + off))
            .collect::<Vec<_>>()
            .join(",")
    };
    let data = parse_data(&format!(
        "{{\"input_data\": [[{}], [{}]]}}",
        list(0),
        list(5)
    ))
    .unwrap();
    let c = calibrate_and_quantize(g, Some(&data), QuantOptions::default(), &|| ()).unwrap();
    let radicand = c
        .graph
        .nodes
        .iter()
        .find(|n| matches!(&n.op, verinfer_ir::Op::ISqrt(_)))
        .and_then(|n| match n.inputs[0] {
            verinfer_ir::Operand::Value(v) => c.graph.value_info(v),
            verinfer_ir::Operand::Param(_) => None,
        })
        .expect("an ISqrt reading a node");
    assert!(
        radicand.bits.get() > 16,
        "the radicand is wide: {radicand:?}"
    );
    let floats = lowered_outputs(&c.fgraph, &c.samples).unwrap();
    let report = evaluate(&c.graph, &c.samples, ("f64".to_string(), floats), &|q| {
        graph_outputs(&c.graph, q)
    })
    .unwrap();
    let mag = &report.outputs[0];
    // A step of the 16-bit output (40, with a headroom bit) is 2^-8 ≈ 0.004; at 16 bits the
    // radicand's step would be 2^-3, and a bin below 0.25 (power below 1/16) would read as 0.
    assert!(mag.max_abs_err < 0.02, "{mag:?}");
}
