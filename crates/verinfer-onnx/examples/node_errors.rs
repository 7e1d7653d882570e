//! Where a compiled model's error grows on inputs calibration did not see: compiles an ONNX
//! model as `verinfer compile` does (calibration, width probe), then per held-out sample the
//! outputs' error against the `f64` float graph in units of the tolerance, and for the worst
//! sample every node beyond `--show` times its tolerance, in graph order, with its calibrated
//! range (a value beyond `2^headroom` times that range saturates).
//!
//! Usage: `cargo run --release --example node_errors -- MODEL.onnx CAL.json HELD.json
//! [NAME=D1,D2,..] [--bits B] [--show R]` (CAL and HELD in the EZKL `input_data` format, one
//! or more whole samples each).
#![allow(clippy::print_stdout, missing_docs)]

use std::collections::BTreeMap;
use std::path::Path;

use verinfer_onnx::compile::{compile, CompileOptions};
use verinfer_onnx::ImportOptions;
use verinfer_quant::calibrate::calibrate;
use verinfer_quant::data::read_data;
use verinfer_quant::pipeline::split_samples;
use verinfer_quant::tolerance::node_errors;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mut pos, mut bits, mut show) = (vec![], None, 0.5f64);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--bits" => bits = it.next().and_then(|b| b.parse().ok()),
            "--show" => show = it.next().and_then(|b| b.parse().ok()).unwrap_or(show),
            _ => pos.push(a.clone()),
        }
    }
    let [model, cal, held, rest @ ..] = pos.as_slice() else {
        println!("usage: node_errors MODEL.onnx CAL.json HELD.json [NAME=D1,D2,..] [--bits B] [--show R]");
        return Ok(());
    };
    let mut input_shapes = BTreeMap::new();
    for s in rest {
        let (name, dims) = s.split_once('=').ok_or("shape is NAME=D1,D2,..")?;
        let dims: Vec<usize> = dims.split(',').map(str::parse).collect::<Result<_, _>>()?;
        input_shapes.insert(name.to_string(), dims);
    }
    let mut opts = CompileOptions {
        import: ImportOptions {
            input_shapes,
            ..ImportOptions::default()
        },
        ..CompileOptions::default()
    };
    if let Some(b) = bits {
        opts.quant.bits = b;
    }
    let cal = read_data(Path::new(cal))?;
    let c = compile(Path::new(model), Some(&cal), &opts)?;
    let stats = calibrate(&c.fgraph, &c.samples, &|| {})?;
    let held = split_samples(&c.fgraph, &read_data(Path::new(held))?)?;
    let outs = c.fgraph.output_nodes();
    let head = 2f64.powi(i32::try_from(opts.quant.headroom_bits)?);
    let mut worst = (0usize, 0.0f64);
    for (k, s) in held.iter().enumerate() {
        let errs = node_errors(&c.fgraph, &c.graph, std::slice::from_ref(s))?;
        let r = outs
            .iter()
            .filter_map(|&i| errs[i])
            .map(|e| e.ratio())
            .fold(0.0, f64::max);
        let first = errs
            .iter()
            .position(|e| e.is_some_and(|e| e.ratio() > 1.0))
            .map_or("-".into(), |i| c.fgraph.nodes[i].name.clone());
        println!("sample {k}: output error / tolerance {r:.3}; first node beyond: {first}");
        if r > worst.1 {
            worst = (k, r);
        }
    }
    let errs = node_errors(&c.fgraph, &c.graph, std::slice::from_ref(&held[worst.0]))?;
    println!(
        "worst sample {} ({:.3}); nodes beyond {show} x tolerance:",
        worst.0, worst.1
    );
    println!("node\top\tratio\terr\tmax|f|\tscale\tcal max|f|\tsaturates");
    for (i, e) in errs.iter().enumerate() {
        let Some(e) = e.filter(|e| e.ratio() > show) else {
            continue;
        };
        let node = &c.fgraph.nodes[i];
        let cal_abs = stats.nodes[i].max_abs();
        println!(
            "{}\t{}\t{:.3}\t{:.3e}\t{:.3e}\t{}\t{:.3e}\t{}",
            node.name,
            node.origin,
            e.ratio(),
            e.max_abs_err,
            e.float_max_abs,
            e.scale,
            cal_abs,
            e.float_max_abs > head * cal_abs
        );
    }
    Ok(())
}
