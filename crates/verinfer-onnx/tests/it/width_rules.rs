//! The width rules on the small models built to need them (scripts/models/wide_root.py,
//! cancel_sigmoid.py and attention_ties.py), compiled on their calibration data and run by the integer reference
//! interpreter on 20 held-out inputs against onnxruntime's outputs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use verinfer_ir::{Graph, Op};
use verinfer_onnx::compile::{compile, CompileOptions};
use verinfer_quant::calibrate::calibrate;
use verinfer_quant::data::read_data;
use verinfer_quant::pipeline::{dequantize, quantize_inputs, Compiled};
use verinfer_quant::quantize::{quantize, QuantOptions};
use verinfer_quant::tolerance::node_errors;

fn folder(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/models")
        .join(name)
}

fn compiled(name: &str) -> Compiled {
    let dir = folder(name);
    let calib = read_data(&dir.join("calibration.json")).unwrap();
    compile(
        &dir.join("network.onnx"),
        Some(&calib),
        &CompileOptions::default(),
    )
    .unwrap()
}

/// Per holdout sample: every output of `g`, dequantized and concatenated, beside
/// onnxruntime's (holdout_expected.json).
fn pairs(name: &str, c: &Compiled, g: &Graph) -> Vec<(Vec<f64>, Vec<f64>)> {
    let dir = folder(name);
    let (hold, exp) = crate::holdout::holdout(&c.fgraph, &dir);
    let per = exp.len() / hold.len();
    hold.iter()
        .enumerate()
        .map(|(k, s)| {
            let trace = verinfer_ir::reference::run(g, &quantize_inputs(g, s).unwrap()).unwrap();
            let got: Vec<f64> = g
                .outputs
                .iter()
                .flat_map(|o| {
                    let scale = g.value_info(o.value).unwrap().scale;
                    dequantize(&trace[o.value.index()], scale)
                })
                .collect();
            (got, exp[k * per..(k + 1) * per].to_vec())
        })
        .collect()
}

/// Largest error over elements `range` of every sample.
fn worst(pairs: &[(Vec<f64>, Vec<f64>)], range: std::ops::Range<usize>) -> f64 {
    pairs
        .iter()
        .flat_map(|(g, e)| g[range.clone()].iter().zip(&e[range.clone()]))
        .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()))
}

/// A root read by a log (through wide nodes) and by a MatMul: the root is computed at 31 bits
/// and the MatMul reads a 16-bit rescale of it (without the rule the root is a 16-bit
/// `ISqrt` and no rescale exists, so the first two assertions fail).
#[test]
fn a_root_feeding_a_log_is_held_wide() {
    let c = compiled("wide_root");
    let g = &c.graph;
    let root = g
        .nodes
        .iter()
        .find(|n| matches!(n.op, Op::ISqrt(_)))
        .unwrap();
    assert_eq!(
        root.out.bits.get(),
        31,
        "the root is held at the radicand width"
    );
    let narrow = g
        .nodes
        .iter()
        .find(|n| n.name.ends_with("/narrow/rescale"))
        .unwrap();
    assert_eq!(
        narrow.out.bits.get(),
        16,
        "the MatMul reads the root at 16 bits"
    );
    let p = pairs("wide_root", &c, g);
    let (logs, energies) = (8 * 65, 8 * 4);
    let (log_err, energy_err) = (worst(&p, 0..logs), worst(&p, logs..logs + energies));
    eprintln!("wide_root: 20 holdout inputs, log-magnitude max abs error {log_err:.3e}, energy {energy_err:.3e}");
    assert!(log_err < 0.1, "log-magnitude error {log_err}");
    assert!(energy_err < 0.05, "energy error {energy_err}");
}

/// A model compiled, beside the plain quantizer's graph on the same calibration.
struct Widened {
    c: Compiled,
    plain: Graph,
    /// Largest holdout error of the outputs against onnxruntime's: plain, compiled.
    before: f64,
    after: f64,
    /// The nodes compile held wider than 16 bits.
    wide: Vec<(String, u32)>,
}

/// The model `name` compiled and quantized plainly, measured on its `0..n` outputs.
fn plain_and_widened(name: &str, n: usize) -> Widened {
    let c = compiled(name);
    let stats = calibrate(&c.fgraph, &c.samples, &|| ()).unwrap();
    let plain = quantize(&c.fgraph, &stats, QuantOptions::default()).unwrap();
    let before = worst(&pairs(name, &c, &plain), 0..n);
    let after = worst(&pairs(name, &c, &c.graph), 0..n);
    let wide = c
        .graph
        .nodes
        .iter()
        .filter(|n| n.out.bits.get() > 16)
        .map(|n| (n.name.clone(), n.out.bits.get()))
        .collect();
    eprintln!(
        "{name}: 20 holdout inputs, max abs error {before:.3e} at 16 bits, {after:.3e} \
         widened ({wide:?})"
    );
    Widened {
        c,
        plain,
        before,
        after,
        wide,
    }
}

/// A sigmoid of 100·(a − b), a and b large and nearly equal: the output is beyond tolerance at
/// 16 bits (checked here with the plain quantizer on the same calibration), and compile widens
/// the nodes on the path of that error — only those — until it is within tolerance.
#[test]
fn compile_widens_the_path_whose_error_reaches_the_output() {
    let Widened {
        before,
        after,
        wide,
        ..
    } = plain_and_widened("cancel_sigmoid", 8);
    assert!(
        before > 0.1,
        "the 16-bit graph was expected beyond tolerance: {before}"
    );
    assert!(after < 0.05, "widened error {after}");
    assert!(!wide.is_empty(), "no node was widened");
}

/// The largest error of `g`'s outputs against `fg`'s over `samples`, in units of the tolerance.
fn output_ratio(c: &Compiled, g: &Graph, samples: &[Vec<Vec<f64>>]) -> f64 {
    let errs = node_errors(&c.fgraph, g, samples).unwrap();
    c.fgraph
        .output_nodes()
        .into_iter()
        .filter_map(|i| errs[i])
        .map(|e| e.ratio())
        .fold(0.0, f64::max)
}

/// An attention softmax whose error shows only on the inputs whose best two keys nearly tie
/// (scripts/models/attention_ties.py, the shape of an OCR recognizer's attention): on the
/// first two calibration samples the plain 16-bit graph is within tolerance, on all of them it
/// is not, and compile — probing every calibration sample — widens the path.
#[test]
fn compile_widens_an_attention_whose_error_shows_on_some_samples() {
    let Widened {
        c,
        plain,
        before,
        after,
        wide,
    } = plain_and_widened("attention_ties", 8);
    let (first_two, all) = (
        output_ratio(&c, &plain, &c.samples[..2]),
        output_ratio(&c, &plain, &c.samples),
    );
    eprintln!("attention_ties: 16-bit output error / tolerance {first_two:.3} on the first 2 calibration samples, {all:.3} on all");
    assert!(
        first_two <= 1.0,
        "the first two samples show the error: {first_two}"
    );
    assert!(all > 1.0, "no calibration sample shows the error: {all}");
    assert!(
        before > 0.1,
        "the 16-bit graph was expected beyond tolerance: {before}"
    );
    assert!(after < 0.05, "widened error {after}");
    assert!(!wide.is_empty(), "no node was widened");
}
