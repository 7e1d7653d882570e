//! The refusal tolerance (where a quantized graph's error first appears), the synthetic-range
//! warning, and nodes pinned to exact integers (already-quantized models).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use verinfer_ir::BinaryKind;
use verinfer_quant::builder::Builder;
use verinfer_quant::calibrate::{calibrate, calibrate_keeping};
use verinfer_quant::fgraph::FGraph;
use verinfer_quant::func::Func;
use verinfer_quant::pipeline::{dequantize, quantize_inputs};
use verinfer_quant::quantize::{quantize, QuantOptions};
use verinfer_quant::tolerance::{
    allowed_error, first_divergence, node_errors, synthetic_range_warnings,
};

/// `exp(x + 0.5)` then `· 2`: the table covers only the calibrated range of its input.
fn exp_chain() -> FGraph {
    let mut b = Builder::new("chain");
    let x = b.add_input("x", vec![4], false);
    b.begin_node("shift", "Add");
    let c = b.scalar(0.5);
    let s = b.binary(BinaryKind::Add, x, c).unwrap();
    b.begin_node("exp", "Exp");
    let e = b.func(s, Func::Exp);
    b.begin_node("double", "Mul");
    let y = b.scale(e, 2.0);
    let mut g = b.g.clone();
    g.outputs.push(("y".into(), y));
    g
}

fn samples(lo: f64, hi: f64) -> Vec<Vec<Vec<f64>>> {
    (0..8)
        .map(|k| {
            let t = f64::from(k) / 7.0;
            vec![(0..4)
                .map(|j| lo + (hi - lo) * (t + f64::from(j) * 0.01).min(1.0))
                .collect()]
        })
        .collect()
}

#[test]
fn tolerance_is_relative_with_a_floor_of_steps() {
    assert!((allowed_error(10.0, 12) - 1.0).abs() < 1e-12);
    assert!((allowed_error(0.0, 4) - 0.5).abs() < 1e-12);
}

#[test]
fn first_divergence_names_the_node_where_the_error_starts() {
    let fg = exp_chain();
    let stats = calibrate(&fg, &samples(-1.0, 1.0), &|| ()).unwrap();
    let g = quantize(&fg, &stats, QuantOptions::default()).unwrap();
    // On the calibration range every node is within tolerance.
    assert_eq!(
        first_divergence(&fg, &g, &samples(-1.0, 1.0)).unwrap(),
        None
    );
    // Inputs far beyond it saturate the input's scale (headroom 2): the first node whose
    // values stray is the first to see them, not the output.
    let d = first_divergence(&fg, &g, &samples(3.0, 6.0))
        .unwrap()
        .unwrap();
    assert_eq!(d.node, "shift", "{d:?}");
    assert!(d.max_abs_err > allowed_error(d.float_max_abs, d.scale));
}

/// The width probe's check of a quantization against the float outputs kept from
/// calibration: per sample, the same verdict as comparing every node over all samples (each
/// output's tolerance from its float range over all of them), and with `stop` it ends at the
/// first sample beyond tolerance.
#[test]
fn probe_check_judges_each_sample_against_the_whole_range_and_stops_at_a_failure() {
    let fg = exp_chain();
    let stats = calibrate(&fg, &samples(-1.0, 1.0), &|| ()).unwrap();
    let g = quantize(&fg, &stats, QuantOptions::default()).unwrap();
    // Calibrated on [-1, 1]; probed on those samples and on [1.5, 2] (beyond the input's
    // headroom: saturated).
    let mut probe = samples(-1.0, 1.0);
    probe.extend(samples(1.5, 2.0));
    let all: Vec<usize> = (0..probe.len()).collect();
    let (_, float) = calibrate_keeping(&fg, &probe, &all, &|| ()).unwrap();
    let checks = float.check(&fg, &g, &probe, &all, false).unwrap();
    assert_eq!(checks.len(), probe.len());
    let out = *fg.output_nodes().iter().next().unwrap();
    let whole = node_errors(&fg, &g, &probe).unwrap()[out].unwrap().ratio();
    let worst = checks.iter().map(|c| c.worst).fold(0.0, f64::max);
    assert!((worst - whole).abs() < 1e-12, "{worst} vs {whole}");
    assert!(
        whole > 1.0,
        "the saturated samples were expected beyond tolerance"
    );
    let failed: Vec<usize> = checks
        .iter()
        .filter(|c| !c.failing.is_empty())
        .map(|c| c.sample)
        .collect();
    assert!(
        failed.iter().all(|&j| j >= 8) && !failed.is_empty(),
        "{failed:?}"
    );
    assert!(checks
        .iter()
        .all(|c| c.failing.is_empty() || c.failing == vec![out]));
    // Stopping: the calibration-range samples pass, the first saturated one ends the check.
    let stopped = float.check(&fg, &g, &probe, &all, true).unwrap();
    assert_eq!(stopped.len(), failed[0] + 1);
    // A failing sample put first ends it at once.
    let mut order = all.clone();
    order.retain(|&j| j != failed[0]);
    order.insert(0, failed[0]);
    assert_eq!(float.check(&fg, &g, &probe, &order, true).unwrap().len(), 1);
}

#[test]
fn synthetic_range_warning_names_an_input_meant_to_be_large() {
    let mut b = Builder::new("norm");
    let x = b.add_input("pixels", vec![3], false);
    let z = b.add_input("small", vec![3], false);
    b.begin_node("mean", "Sub");
    let m = b.constant("mean", vec![3], vec![123.7, 116.3, 103.5]);
    let y = b.binary(BinaryKind::Sub, x, m).unwrap();
    b.begin_node("relu", "Relu");
    let zero = b.scalar(0.0);
    let r = b.binary(BinaryKind::Max, z, zero).unwrap();
    let mut g = b.g.clone();
    g.outputs.push(("y".into(), y));
    g.outputs.push(("r".into(), r));
    let w = synthetic_range_warnings(&g);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].contains("'pixels'") && w[0].contains("'mean'"),
        "{}",
        w[0]
    );
    // Pixels divided by 255 are large too.
    let mut b = Builder::new("scaled");
    let x = b.add_input("img", vec![3], false);
    b.begin_node("div", "Div");
    let y = b.scale(x, 1.0 / 255.0);
    let mut g = b.g.clone();
    g.outputs.push(("y".into(), y));
    assert_eq!(synthetic_range_warnings(&g).len(), 1);
}

/// `clamp(round(x / 0.3), -128, 127)` pinned to exact integers: the integer graph computes the
/// rounded integers themselves (round half up), not an approximation at a calibrated scale.
#[test]
fn pinned_nodes_compute_exact_integers() {
    let mut b = Builder::new("q");
    let x = b.add_input("x", vec![6], false);
    b.begin_node("q", "QuantizeLinear");
    let r = b.scale(x, 1.0 / 0.3);
    b.pin_integer(r, 8);
    let mut g = b.g.clone();
    g.outputs.push(("q".into(), r));
    let xs = vec![vec![-50.0, -0.44, 0.14, 0.16, 1.0, 37.9]];
    let stats = calibrate(&g, std::slice::from_ref(&xs), &|| ()).unwrap();
    let ig = quantize(&g, &stats, QuantOptions::default()).unwrap();
    let out = ig.outputs[0].value;
    let info = ig.value_info(out).unwrap();
    assert_eq!(info.scale.exponent(), 0);
    assert_eq!(info.bits.get(), 8);
    let q = quantize_inputs(&ig, &xs).unwrap();
    let trace = verinfer_ir::reference::run(&ig, &q).unwrap();
    let got = dequantize(&trace[out.index()], info.scale);
    assert_eq!(got, vec![-128.0, -1.0, 0.0, 1.0, 3.0, 126.0]);
}
