//! The repository's test data: bundled models compiled with their calibration data, their
//! sample inputs quantized, the golden digits MLP, and fresh temporary directories.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::tmp::TestDir;
use verinfer_exec::Plan;
use verinfer_ir::Graph;
use verinfer_onnx::compile::{compile, CompileOptions};
use verinfer_quant::data::read_data;
use verinfer_quant::pipeline::quantize_inputs;

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A path under `testdata/`.
pub fn testdata(p: &str) -> PathBuf {
    repo().join("testdata").join(p)
}

/// The first sample of the data file `path` (an `input.json`), quantized for `g`'s inputs.
pub fn quantized_sample(g: &Graph, path: &Path) -> Vec<Vec<i32>> {
    let data = read_data(path).unwrap();
    let names: Vec<String> = g.inputs.iter().map(|i| i.name.clone()).collect();
    let numels: Vec<usize> = g.inputs.iter().map(|i| i.info.shape.numel()).collect();
    let samples = data.samples(&names, &numels).unwrap();
    quantize_inputs(g, &samples[0]).unwrap()
}

/// The bundled model `testdata/models/<name>` compiled with its calibration data (default
/// options), and its `input.json` quantized.
pub fn bundled(name: &str) -> (Graph, Vec<Vec<i32>>) {
    let dir = testdata(&format!("models/{name}"));
    let cal = read_data(&dir.join("calibration.json")).unwrap();
    let g = compile(
        &dir.join("network.onnx"),
        Some(&cal),
        &CompileOptions::default(),
    )
    .unwrap()
    .graph;
    let q = quantized_sample(&g, &dir.join("input.json"));
    (g, q)
}

/// The whole execution trace (every value) of `g` on `inputs`.
pub fn trace(g: &Graph, inputs: &[Vec<i32>]) -> Vec<Vec<i32>> {
    Plan::for_graph(g.clone())
        .unwrap()
        .run(inputs)
        .unwrap()
        .into_values()
}

/// The golden digits MLP `.vmodel` (the compile of the bundled ONNX model the commitment
/// goldens pin).
pub const GOLDEN_MLP: &str = "golden/v1/digits_mlp.vmodel";

/// The golden digits MLP and the quantized input the commitment goldens pin (computed once).
pub fn golden_mlp() -> &'static (Graph, Vec<Vec<i32>>) {
    static M: OnceLock<(Graph, Vec<Vec<i32>>)> = OnceLock::new();
    M.get_or_init(|| {
        let g = verinfer_ir::vmodel::load(&testdata(GOLDEN_MLP)).unwrap();
        let text = std::fs::read_to_string(testdata("golden/v1/commitments.json")).unwrap();
        let j: serde_json::Value = serde_json::from_str(&text).unwrap();
        let input: Vec<i32> = j["traces"]["digits_mlp"]["quantized_input"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| i32::try_from(v.as_i64().unwrap()).unwrap())
            .collect();
        (g, vec![input])
    })
}

/// The golden digits MLP and its whole trace on `testdata/models/digits_mlp/input.json`.
pub fn golden_mlp_trace() -> (Graph, Vec<Vec<i32>>) {
    let g = verinfer_ir::vmodel::load(&testdata(GOLDEN_MLP)).unwrap();
    let q = quantized_sample(&g, &testdata("models/digits_mlp/input.json"));
    let t = trace(&g, &q);
    (g, t)
}

/// A fresh, empty directory `<tmp>/<prefix>-<name>-<random>`, removed when the guard drops
/// (see [`TestDir`]).
pub fn tmpdir(prefix: &str, name: &str) -> TestDir {
    TestDir::new(prefix, name)
}

/// The golden digits MLP with one weight changed: another model (another id) of the same
/// shapes.
pub fn other_mlp() -> Graph {
    let mut g = golden_mlp().0.clone();
    let p = g
        .params
        .iter_mut()
        .find(|p| p.data.len() > 1)
        .expect("a weight tensor");
    let mut vals = p.data.to_vec();
    vals[0] = if vals[0] > 0 {
        vals[0] - 1
    } else {
        vals[0] + 1
    };
    p.data = vals.into();
    g
}

/// The digits MLP's shape in small, for tests whose point is not the model's size (the proof
/// seam, the visibilities, the digest statement): input `[1, 64]` (12-bit values in a 16-bit
/// tensor, like the digit) → `Gemm` 8 with a bias → ReLU (`Max` with a zero parameter) →
/// `Gemm` 10 with a bias, seeded 8-bit weights — 611 parameters against the golden MLP's
/// 6 572, so a Groth16 setup and proof with hashed weights take seconds, not minutes. The
/// graph and its whole trace on a seeded input.
pub fn small_mlp_trace() -> (Graph, Vec<Vec<i32>>) {
    use crate::graph::{binary_op, requant, GraphBuilder};
    use crate::maps::MatMul;
    use crate::rng::Rng;
    use verinfer_ir::{BinaryKind, Op, Operand, ParamKind};
    let mut rng = Rng::new(64);
    let mut b = GraphBuilder::named("small-mlp").with_scale(8);
    let x = b.input(&[1, 64], 16);
    let mut dense = |b: &mut GraphBuilder, x: Operand, k: usize, n: usize, shift: u32| {
        let mm = MatMul {
            batch_x: vec![],
            batch_w: vec![],
            m: 1,
            k,
            n,
            trans_x: false,
            trans_w: false,
        };
        let w = b.param(&mm.w_shape(), 8, rng.data(k * n, 8));
        let bias = b.param_id(&[n], 12, ParamKind::Bias, rng.data(n, 12));
        let op = mm.contract(requant(1, shift, 16), Some(2));
        b.node(
            Op::Contract(op),
            vec![x, w, Operand::Param(bias)],
            &[1, n],
            16,
        )
    };
    let h = dense(&mut b, x, 64, 8, 10);
    let zero = b.param(&[1], 4, vec![0]);
    let h = b.node(
        binary_op(BinaryKind::Max, 1, 1, 1, 0),
        vec![h, zero],
        &[1, 8],
        16,
    );
    dense(&mut b, h, 8, 10, 8);
    let g = b.finish();
    let x = Rng::new(65).data(64, 12);
    let t = trace(&g, &[x]);
    (g, t)
}
