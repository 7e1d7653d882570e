//! `verinfer inspect`.

use std::path::Path;

use anyhow::Result;
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

/// `zk`: the visibility to count the zk circuit for, when asked.
pub fn run(path: &Path, zk: Option<&str>) -> Result<()> {
    let g = verinfer_ir::vmodel::load(path)?;
    if let Some(vis) = zk {
        let vis: verinfer_zk::Visibility = vis
            .parse()
            .map_err(|e: String| anyhow::anyhow!("--visibility: {e}"))?;
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
