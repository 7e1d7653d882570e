//! The bundled digits MLP (`testdata/golden/v1/digits_mlp.vmodel`, a layered-proof model) and
//! the bundled digit quantized at the input's scale.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

/// The graph and its input.
pub fn digits_graph() -> (verinfer_ir::Graph, Vec<i32>) {
    let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata"));
    let g = verinfer_ir::vmodel::load(&root.join("golden/v1/digits_mlp.vmodel")).unwrap();
    let v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join("models/digits_mlp/input.json")).unwrap())
            .unwrap();
    let scale = f64::from(g.inputs[0].info.scale.exponent()).exp2();
    let x: Vec<i32> = v["input_data"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p.as_f64().unwrap() * scale).round() as i32)
        .collect();
    (g, x)
}

/// The graph and its reference trace.
pub fn digits_mlp() -> (verinfer_ir::Graph, Vec<Vec<i32>>) {
    let (g, x) = digits_graph();
    let trace = verinfer_ir::reference::run(&g, &[x]).unwrap();
    (g, trace)
}
