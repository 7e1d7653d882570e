//! `verinfer bench-zk`: the zk backends side by side on the same models, in one run — setup,
//! prove and verify time, peak RSS, proof size and the EVM gas of verifying through the
//! backend's `IProofVerifier` adapter (a transaction on an in-process revm chain). Each
//! (model, backend) runs in a child process of this binary, so each peak RSS is its own.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context as _, Result};
use verinfer_chain::{Address, Chain, RevmChain, B256, U256};
use verinfer_ir::Model;
use verinfer_node::backends;
use verinfer_oracle::zk_verifier::ChainDeployer;
use verinfer_prove::{os_rng, Context, DynBackend, Statement, Vis, Visibility};

use crate::cmd_bench_llm::peak_rss_mib;

/// Arguments of `bench-zk`.
#[derive(clap::Args)]
pub struct Args {
    /// EZKL-style model folders (network.onnx, calibration.json, input.json), a compiled
    /// `.vmodel` (measured on all-zero inputs: for an LLM's step graph, token 0 at position 0
    /// with empty caches), or `synthetic:gpt2-small-block` (one GPT-2-small-shaped block,
    /// d 768, 12 heads, 16 tokens, seeded weights, built in memory).
    #[arg(default_values = ["testdata/models/digits_mlp", "testdata/models/mnist_cnn"])]
    pub models: Vec<PathBuf>,
    /// The backends to compare.
    #[arg(long, value_delimiter = ',', default_value = "groth16,sumcheck")]
    pub backends: Vec<String>,
    /// Internal: measure this one backend on the one model here and print one JSON line.
    #[arg(long, hide = true)]
    pub child: Option<String>,
    /// Print one JSON object on stdout (the figures per model and backend) instead of the
    /// table.
    #[arg(long)]
    pub json: bool,
}

/// The synthetic GPT-2-small-shaped block's name on the command line.
const SYNTHETIC_BLOCK: &str = "synthetic:gpt2-small-block";

/// Bytes per Groth16 constraint of the prover's peak memory (the transformer block: 4.7 GB
/// for 2.6M constraints), to refuse a circuit that would not fit rather than run out.
const GROTH16_BYTES_PER_CONSTRAINT: f64 = 1800.0;

/// `MemAvailable` of `/proc/meminfo` in bytes (`None` elsewhere).
fn available_memory() -> Option<f64> {
    let m = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kb: f64 = m
        .lines()
        .find_map(|l| l.strip_prefix("MemAvailable:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024.0)
}

/// Why a Groth16 proof of `g` would not fit in memory here, if it would not: a lower bound
/// of its constraints (one per multiplication of every `Contract`, counted from the shapes
/// without building the circuit, which alone takes gigabytes on a large model).
fn groth16_too_big(g: &verinfer_ir::Graph) -> Option<String> {
    let n: usize = g
        .nodes
        .iter()
        .filter_map(|node| match &node.op {
            verinfer_ir::Op::Contract(c) => {
                Some(node.out.shape.numel() * verinfer_ir::ops::contract::steps(c))
            }
            _ => None,
        })
        .sum();
    #[allow(clippy::cast_precision_loss)]
    let need = n as f64 * GROTH16_BYTES_PER_CONSTRAINT;
    let have = available_memory()?;
    (need > have).then(|| {
        format!(
            "at least {n} Groth16 constraints (one per multiplication) need about {:.0} GiB \
             ({GROTH16_BYTES_PER_CONSTRAINT} B per constraint, as measured on the transformer \
             block), {:.0} GiB are available",
            need / f64::from(1u32 << 30),
            have / f64::from(1u32 << 30)
        )
    })
}

/// Everything public, one digest word on chain (what the oracle and AIGC verify).
const VIS: Visibility = Visibility {
    input: Vis::Public,
    params: Vis::Public,
    output: Vis::Public,
    statement: Statement::Digest,
};

pub fn run(a: &Args) -> Result<()> {
    if let Some(b) = &a.child {
        let [dir] = &a.models[..] else {
            bail!("--child measures one model");
        };
        return child(b, dir);
    }
    let emit = crate::emit::Emit::new(a.json);
    emit.line(format!(
        "{:<18} {:<9} {:>9} {:>9} {:>9} {:>9} {:>10} {:>11}",
        "model", "backend", "setup s", "prove s", "verify ms", "RSS MiB", "proof B", "EVM gas"
    ));
    let mut rows = Vec::new();
    let exe = std::env::current_exe()?;
    for dir in &a.models {
        let name = dir
            .file_name()
            .map_or_else(|| dir.display().to_string(), |n| n.to_string_lossy().into());
        for b in &a.backends {
            let out = Command::new(&exe)
                .args(["bench-zk", "--child", b])
                .arg(dir)
                .output()
                .context("running the measurement")?;
            let stdout = String::from_utf8_lossy(&out.stdout);
            let line = stdout.lines().last().unwrap_or_default();
            let v: serde_json::Value = match (out.status.success(), serde_json::from_str(line)) {
                (true, Ok(v)) => v,
                _ => {
                    let stderr = String::from_utf8_lossy(&out.stderr);
                    // A child the kernel killed (out of memory: SIGKILL) says nothing itself.
                    let err = match stderr.lines().last() {
                        Some(l) if !l.trim().is_empty() => l.to_string(),
                        _ => format!("ended by {} without a message", out.status),
                    };
                    let err = err.as_str();
                    emit.line(format!("{name:<18} {b:<9} failed: {err}"));
                    rows.push(serde_json::json!({"model": name, "backend": b, "failed": err}));
                    continue;
                }
            };
            if let Some(why) = v.get("unsupported").and_then(|w| w.as_str()) {
                emit.line(format!("{name:<18} {b:<9} unsupported: {why}"));
                rows.push(serde_json::json!({"model": name, "backend": b, "unsupported": why}));
                continue;
            }
            let f = |k: &str| {
                v.get(k)
                    .and_then(serde_json::Value::as_f64)
                    .unwrap_or(f64::NAN)
            };
            let gas = v
                .get("evm_gas")
                .and_then(serde_json::Value::as_u64)
                .map_or_else(|| "n/a".to_string(), |g| g.to_string());
            emit.line(format!(
                "{name:<18} {b:<9} {:>9.3} {:>9.3} {:>9.2} {:>9.0} {:>10} {:>11}",
                f("setup_s"),
                f("prove_s"),
                f("verify_s") * 1e3,
                f("peak_rss_mib"),
                f("proof_bytes"),
                gas
            ));
            if let Some(why) = v.get("evm_note").and_then(|w| w.as_str()) {
                emit.line(format!("{:<28} EVM: {why}", ""));
            }
            let mut row = v.clone();
            if let Some(o) = row.as_object_mut() {
                o.insert("model".into(), name.clone().into());
                o.insert("backend".into(), b.clone().into());
            }
            rows.push(row);
        }
    }
    emit.object(&serde_json::json!({ "results": rows }));
    Ok(())
}

/// The model folder compiled with its calibration data, and its first input quantized.
fn load(dir: &Path) -> Result<(verinfer_ir::Graph, Vec<Vec<i32>>)> {
    if dir == Path::new(SYNTHETIC_BLOCK) {
        let mut g = crate::synthetic::build(crate::synthetic::GPT2_SMALL_BLOCK, 7)?;
        let x = crate::synthetic::input(&g, 8);
        crate::synthetic::fit_shifts(&mut g, &x)?;
        return Ok((g, x));
    }
    if dir.extension().is_some_and(|e| e == "vmodel") {
        let g =
            verinfer_ir::vmodel::load(dir).with_context(|| format!("reading {}", dir.display()))?;
        let x = g
            .inputs
            .iter()
            .map(|i| vec![0; i.info.shape.numel()])
            .collect();
        return Ok((g, x));
    }
    let (compiled, _, q) = crate::cmd_bench::load(dir)?;
    Ok((compiled.graph, q))
}

fn ctx() -> Context {
    Context {
        model_id: B256::repeat_byte(1),
        chain_id: U256::from(31337u64),
        contract: Address::repeat_byte(3),
        tag: U256::from(1u8),
        answerer: Address::repeat_byte(2),
    }
}

/// Transaction gas of one `IProofVerifier.verify` of `proof` (which must return true).
fn evm_gas(
    b: &dyn DynBackend,
    vk: &verinfer_prove::AnyKey,
    proof: &[u8],
    statement: B256,
) -> Result<u64> {
    let mut chain = RevmChain::new()?;
    let from = chain.accounts()[0];
    let at = b.deploy_adapter(vk, &mut ChainDeployer::new(&mut chain, from))?;
    // Every adapter implements `IProofVerifier.verify(bytes, bytes32)`: one ABI for all.
    let call = verinfer_chain::bindings_zk::Groth16ProofVerifier::verifyCall {
        proof: b.proof_calldata(proof)?.into(),
        statement,
    };
    let ok = verinfer_chain::view(&mut chain, from, at, &call, "IProofVerifier.verify")?;
    if !ok {
        bail!("the adapter rejected the honest proof");
    }
    Ok(verinfer_chain::send_call(&mut chain, from, at, &call, "IProofVerifier.verify")?.gas_used)
}

fn child(backend: &str, dir: &Path) -> Result<()> {
    let (g, inputs) = load(dir)?;
    let model = Model::new(g)?;
    let trace = verinfer_ir::reference::run(model.graph(), &inputs)?;
    let b = backends::backend(backend)?;
    if let Some(why) = (backend == verinfer_zk::groth16::NAME)
        .then(|| groth16_too_big(model.graph()))
        .flatten()
    {
        println!("{}", serde_json::json!({ "unsupported": why }));
        return Ok(());
    }
    if let Err(e) = b.supports(&model, VIS) {
        println!("{}", serde_json::json!({ "unsupported": e.to_string() }));
        return Ok(());
    }
    let t = Instant::now();
    let keys = b.setup(&model, VIS, &mut os_rng())?;
    let setup_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let p = b.prove(&keys.proving, &model, VIS, &ctx(), trace, &mut os_rng())?;
    let prove_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    b.verify(&keys.verifying, &p.public, &p.proof)?;
    let verify_s = t.elapsed().as_secs_f64();
    let rss = peak_rss_mib();
    let statement = B256::from(p.public.digest()?.0);
    let (gas, note) = match evm_gas(&*b, &keys.verifying, &p.proof, statement) {
        Ok(g) => (Some(g), None),
        Err(e) => (None, Some(e.to_string())),
    };
    println!(
        "{}",
        serde_json::json!({
            "setup_s": setup_s, "prove_s": prove_s, "verify_s": verify_s,
            "peak_rss_mib": rss, "proof_bytes": p.proof.len(),
            "evm_gas": gas, "evm_note": note,
        })
    );
    Ok(())
}
