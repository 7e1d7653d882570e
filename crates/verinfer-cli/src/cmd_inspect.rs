//! `verinfer inspect`.

use std::path::Path;

use anyhow::Result;
use serde_json::json;
use verinfer_ir::{Graph, Op, Operand};

fn operands(ops: &[Operand]) -> String {
    ops.iter()
        .map(|o| match o {
            Operand::Value(v) => format!("v{}", v.0),
            Operand::Param(p) => format!("p{}", p.0),
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn params_of(g: &Graph, op: &Op, ins: &[Operand]) -> usize {
    let attr = op.attr_param();
    let direct: usize = ins
        .iter()
        .filter_map(|o| {
            if let Operand::Param(p) = o {
                g.params.get(p.index()).map(|p| p.data.len())
            } else {
                None
            }
        })
        .sum();
    direct
        + attr
            .and_then(|p| g.params.get(p.index()))
            .map_or(0, |p| p.data.len())
}

/// The model as one JSON object: inputs, nodes (as the table prints them), outputs, and the zk
/// circuit's constraints per op when asked.
fn inspect_json(g: &Graph, zk: Option<verinfer_zk::Visibility>) -> serde_json::Value {
    let tensor = |name: &str, info: &verinfer_ir::TensorInfo| {
        json!({
            "name": name,
            "shape": info.shape.dims(),
            "scale": info.scale.exponent(),
            "bits": info.bits.get(),
        })
    };
    let nodes: Vec<_> = g
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            json!({
                "value": g.node_value(i).0,
                "op": n.op.name(),
                "origin": n.origin,
                "name": n.name,
                "shape": n.out.shape.dims(),
                "scale": n.out.scale.exponent(),
                "bits": n.out.bits.get(),
                "params": params_of(g, &n.op, &n.inputs),
                "from": operands(&n.inputs),
            })
        })
        .collect();
    let outputs: Vec<_> = g
        .outputs
        .iter()
        .map(|o| json!({"name": o.name, "value": o.value.0}))
        .collect();
    let mut v = json!({
        "name": g.name,
        "inputs": g.inputs.iter().map(|i| tensor(&i.name, &i.info)).collect::<Vec<_>>(),
        "nodes": nodes,
        "params": g.params.len(),
        "param_elements": g.num_param_elements(),
        "outputs": outputs,
    });
    if let (Some(vis), Some(o)) = (zk, v.as_object_mut()) {
        let zk = match verinfer_zk::constraint_counts_with(g, vis) {
            Ok(counts) => json!({
                "visibility": vis.to_string(),
                "constraints": counts.values().map(|c| c.constraints).sum::<usize>(),
                "per_op": counts.iter().map(|(op, c)| {
                    (op.to_string(), json!({"nodes": c.nodes, "constraints": c.constraints}))
                }).collect::<serde_json::Map<_, _>>(),
            }),
            Err(e) => json!({"visibility": vis.to_string(), "unavailable": e.to_string()}),
        };
        o.insert("zk".into(), zk);
    }
    v
}

/// `zk`: the visibility to count the zk circuit for, when asked; `backend`: whose cost
/// (`groth16` constraints or the `sumcheck` prover's work); `json`: one JSON object.
pub fn run(path: &Path, zk: Option<&str>, backend: &str, json: bool) -> Result<()> {
    let g = verinfer_ir::vmodel::load(path)?;
    match backend {
        "groth16" => {}
        verinfer_sumcheck::backend::NAME => {
            if zk.is_some() {
                print_sumcheck(&g);
            }
            return Ok(());
        }
        other => anyhow::bail!("--backend {other}: groth16 or sumcheck"),
    }
    let vis = zk
        .map(|v| v.parse::<verinfer_zk::Visibility>())
        .transpose()
        .map_err(|e: String| anyhow::anyhow!("--visibility: {e}"))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&inspect_json(&g, vis))?);
        return Ok(());
    }
    if let Some(vis) = vis {
        print_zk(&g, vis);
    }
    println!(
        "model {}: {} inputs, {} nodes, {} params ({} elements), {} outputs",
        g.name,
        g.inputs.len(),
        g.nodes.len(),
        g.params.len(),
        g.num_param_elements(),
        g.outputs.len()
    );
    for (i, inp) in g.inputs.iter().enumerate() {
        println!(
            "  input v{i} {}: shape {:?}, scale 2^-{}, {} bits",
            inp.name,
            inp.info.shape.dims(),
            inp.info.scale.exponent(),
            inp.info.bits.get()
        );
    }
    println!(
        "{:>5} {:<10} {:<22} {:<28} {:<18} {:>6} {:>5} {:>9}",
        "value", "op", "from", "name", "shape", "scale", "bits", "params"
    );
    for (i, n) in g.nodes.iter().enumerate() {
        let v = g.node_value(i);
        let shape = format!("{:?}", n.out.shape.dims());
        let name: String = n.name.chars().take(28).collect();
        println!(
            "{:>5} {:<10} {:<22} {:<28} {:<18} {:>6} {:>5} {:>9}   <- {}",
            format!("v{}", v.0),
            n.op.name(),
            n.origin.chars().take(22).collect::<String>(),
            name,
            shape,
            n.out.scale.exponent(),
            n.out.bits.get(),
            params_of(&g, &n.op, &n.inputs),
            operands(&n.inputs)
        );
    }
    for o in &g.outputs {
        println!("  output {} = v{}", o.name, o.value.0);
    }
    Ok(())
}

/// Constraints of the Groth16 circuit per op type (docs/zk.md), or why there is no circuit yet.
fn print_zk(g: &verinfer_ir::Graph, vis: verinfer_zk::Visibility) {
    match verinfer_zk::constraint_counts_with(g, vis) {
        Ok(counts) => {
            let total: usize = counts.values().map(|c| c.constraints).sum();
            println!("zk circuit (Groth16, BN254, {vis}): {total} constraints");
            for (op, c) in &counts {
                println!(
                    "  {op:<12} {:>6} × {:>10} constraints",
                    c.nodes, c.constraints
                );
            }
        }
        Err(e) => println!("zk circuit: not available yet: {e}"),
    }
}

/// The sumcheck prover's cost per op (docs/sumcheck.md), or the first node it does not cover.
fn print_sumcheck(g: &verinfer_ir::Graph) {
    use verinfer_sumcheck::gkr::{cost::cost, srs_vars, ChainSpec};
    match ChainSpec::recognise(g) {
        Ok(spec) => {
            println!(
                "zk proof (sumcheck + logUp + HyperKZG, BN254, layered): {} layers, SRS 2^{} \
                 powers",
                spec.layers.len(),
                srs_vars(&spec)
            );
            println!(
                "  {:<20} {:>6} {:>18} {:>18}",
                "op", "count", "sumcheck elements", "committed elements"
            );
            for (op, c) in cost(&spec) {
                println!(
                    "  {op:<20} {:>6} {:>18} {:>18}",
                    c.count, c.sumcheck_elements, c.committed_elements
                );
            }
        }
        Err(e) => println!("zk proof (sumcheck): not available yet: {e}"),
    }
}
