//! Raw tabular inputs whose features span orders of magnitude (scikit-learn's breast-cancer
//! features: an area near 1,000 beside a smoothness near 0.1): the input is held wide, so a
//! scaler's `(x − mean)/std` and a tree's `x > θ` read the small features as well as the large.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use verinfer_ir::BinaryKind;
use verinfer_quant::builder::Builder;
use verinfer_quant::data::parse_data;
use verinfer_quant::fgraph::FGraph;
use verinfer_quant::func::Func;
use verinfer_quant::pipeline::{calibrate_and_quantize, quantize_inputs, Compiled};
use verinfer_quant::quantize::QuantOptions;
use verinfer_quant::report::{evaluate, lowered_outputs};

const MEAN: [f64; 4] = [650.0, 0.096, 0.0627, 14.1];
const STD: [f64; 4] = [350.0, 0.014, 0.007, 3.5];

/// `(x − mean) · (1/std)` per feature, and the decision bits `x > θ` (θ the means, but 0.1 for
/// the smoothness: a tree's splits), for `x` of shape `[1, 4]`.
fn scaler_and_split() -> FGraph {
    let mut b = Builder::new("tabular");
    let x = b.add_input("x", vec![1, 4], false);
    b.begin_node("scaler", "Scaler");
    let off = b.constant("offset", vec![4], MEAN.to_vec());
    let sc = b.constant("scale", vec![4], STD.iter().map(|s| 1.0 / s).collect());
    let d = b.binary(BinaryKind::Sub, x, off).unwrap();
    let z = b.binary(BinaryKind::Mul, d, sc).unwrap();
    b.begin_node("split", "TreeEnsembleClassifier");
    let th = b.constant("theta", vec![1, 4], vec![MEAN[0], 0.1, MEAN[2], MEAN[3]]);
    let diff = b.binary(BinaryKind::Sub, x, th).unwrap();
    let bit = b.func(diff, Func::Step);
    let mut g = b.g.clone();
    g.outputs.push(("z".into(), z));
    g.outputs.push(("bit".into(), bit));
    g
}

/// 16 rows spread over ±2 standard deviations, scaled by `gain`; the smoothness alternates
/// around the split at 0.1 by 0.002 (a fifth of its standard deviation).
fn rows(gain: f64) -> Vec<Vec<f64>> {
    (0..16u8)
        .map(|k| {
            let t = f64::from(k) / 7.5 - 1.0;
            (0..4)
                .map(|f| {
                    if f == 1 {
                        0.1 + if k % 2 == 0 { 0.002 } else { -0.002 } * (1.0 + t.abs())
                    } else {
                        MEAN[f] + 2.0 * t * STD[f]
                    }
                })
                .map(|v| v * gain)
                .collect()
        })
        .collect()
}

fn compile(rows: &[Vec<f64>]) -> Compiled {
    let flat: Vec<String> = rows.concat().iter().map(f64::to_string).collect();
    let data = parse_data(&format!("{{\"input_data\": [[{}]]}}", flat.join(","))).unwrap();
    calibrate_and_quantize(
        scaler_and_split(),
        Some(&data),
        QuantOptions::default(),
        &|| (),
    )
    .unwrap()
}

#[test]
fn features_of_very_different_ranges_keep_their_precision() {
    let c = compile(&rows(1.0));
    let x = &c.graph.inputs[0].info;
    assert_eq!(x.bits.get(), 31, "the input is held wide: {x:?}");
    let floats = lowered_outputs(&c.fgraph, &c.samples).unwrap();
    let report = evaluate(&c.graph, &c.samples, ("f64".to_string(), floats), &|q| {
        let values = verinfer_ir::reference::run(&c.graph, q).map_err(|e| e.to_string())?;
        Ok(c.graph
            .outputs
            .iter()
            .map(|o| values[o.value.index()].clone())
            .collect())
    })
    .unwrap();
    // At 16 bits the input's step would be 2^-3 (the area, with a headroom bit, reaches
    // ~2,700): the smoothness and the fractal dimension would read as 0 or 0.125, several
    // standard deviations off, and the splits at 0.1 would go one way for every row.
    let z = &report.outputs[0];
    assert!(z.max_abs_err < 0.01, "standardized features: {z:?}");
    let bit = &report.outputs[1];
    assert_eq!(bit.max_abs_err, 0.0, "decisions x > 0.1: {bit:?}");
    // Both decisions occur, so the check above can fail.
    let q = quantize_inputs(&c.graph, &[rows(1.0)[0].clone()]).unwrap();
    assert_ne!(q[0][1], 0);
}

#[test]
fn features_of_one_range_stay_at_the_working_width() {
    // The same model on features of one range (all four near 1): nothing is widened, so the
    // compiled graphs of such models are what they were before this rule.
    let even: Vec<Vec<f64>> = rows(1.0)
        .iter()
        .map(|r| r.iter().zip(MEAN).map(|(v, m)| v / m).collect())
        .collect();
    let c = compile(&even);
    assert_eq!(c.graph.inputs[0].info.bits.get(), 16);
    assert!(c.graph.nodes.iter().all(|n| n.out.bits.get() <= 16));
}
