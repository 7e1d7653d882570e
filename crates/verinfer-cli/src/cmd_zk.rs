//! `verinfer setup`, `prove`, `verify`, `export-verifier`: proofs of a compiled model, by the
//! backend `keys.json` names (`verinfer_node::backends`; Groth16 by default), through
//! `verinfer_prove::DynBackend`. Only `verify --evm` is Groth16's own (the generic
//! `Groth16Verifier` contract).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use verinfer_commit::{keccak256, ModelCommitment};
use verinfer_exec::Plan;
use verinfer_ir::{Graph, Model};
use verinfer_node::backends;
use verinfer_prove::{os_rng, DynBackend, Vis, Visibility};
use verinfer_zk::files::{self, KeyManifest, ProofFile};
use verinfer_zk::{evm, Bn254Values, PublicValues};

use crate::chain_args::ChainArgs;
use crate::cmd_run::load_input;

/// Arguments of `setup`.
#[derive(clap::Args)]
pub struct SetupArgs {
    /// Compiled model.
    pub model: PathBuf,
    /// Who sees what: `input=public|private|hashed,params=…,output=…` (classes left out are
    /// public). `params=hashed` hides the weights behind a public Poseidon hash.
    #[arg(long, default_value = "input=public,params=public,output=public")]
    pub visibility: String,
    /// Directory for proving.key, verifying.key and keys.json.
    #[arg(short, long)]
    pub out: PathBuf,
    /// Proof backend (`groth16` or `sumcheck`); keys.json records it, and `prove`, `verify`
    /// and the node use the backend the keys name.
    #[arg(long, default_value = backends::DEFAULT_BACKEND)]
    pub backend: String,
    /// With `--backend sumcheck`: the universal SRS from this powers-of-tau file (a public
    /// ceremony's `.ptau`, e.g. the Hermez `powersOfTau28_hez_final_*`). Without it the SRS is
    /// sampled on this machine: INSECURE, whoever ran the setup can forge proofs.
    #[arg(long)]
    pub ptau: Option<PathBuf>,
    /// Print one JSON object on stdout instead of the text (docs/python.md, "--json").
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `prove`.
#[derive(clap::Args)]
pub struct ProveArgs {
    /// Compiled model.
    pub model: PathBuf,
    /// Input data (EZKL input.json, one sample).
    #[arg(long)]
    pub input: PathBuf,
    /// Key directory written by `verinfer setup`.
    #[arg(long)]
    pub keys: PathBuf,
    /// Proof file to write.
    #[arg(short, long)]
    pub out: PathBuf,
    /// Bind the proof to this EIP-155 chain id (0: none). A contract accepts only proofs bound
    /// to its own chain, address, request and caller (docs/zk.md, "Statement").
    #[arg(long, default_value_t = 0)]
    pub chain_id: u64,
    /// Bind the proof to the contract that will accept it.
    #[arg(long, default_value_t = verinfer_chain::Address::ZERO)]
    pub contract: verinfer_chain::Address,
    /// Bind the proof to a request or token id there.
    #[arg(long, default_value_t = verinfer_chain::U256::ZERO)]
    pub tag: verinfer_chain::U256,
    /// Bind the proof to the account that will submit it.
    #[arg(long, default_value_t = verinfer_chain::Address::ZERO)]
    pub answerer: verinfer_chain::Address,
    /// Print one JSON object on stdout instead of the text (docs/python.md, "--json").
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `verify`.
#[derive(clap::Args)]
pub struct VerifyArgs {
    /// Proof file written by `verinfer prove`.
    pub proof: PathBuf,
    /// Key directory written by `verinfer setup`.
    #[arg(long)]
    pub keys: PathBuf,
    /// Also verify on an EVM with the generic Groth16Verifier contract (deployed for these
    /// keys unless --verifier names one), and report the gas.
    #[arg(long)]
    pub evm: bool,
    /// With --evm: an already deployed Groth16Verifier (its key is checked against --keys).
    #[arg(long, requires = "evm")]
    pub verifier: Option<String>,
    /// Print one JSON object on stdout instead of the text (docs/python.md, "--json").
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub chain: ChainArgs,
}

/// Arguments of `export-verifier`.
#[derive(clap::Args)]
pub struct ExportArgs {
    /// Key directory written by `verinfer setup`.
    #[arg(long)]
    pub keys: PathBuf,
    /// Solidity file to write (contract `Verifier`).
    #[arg(short, long)]
    pub out: PathBuf,
    /// Print one JSON object on stdout instead of the text (docs/python.md, "--json").
    #[arg(long)]
    pub json: bool,
}

/// A spinner on stderr for one long step (drawn only on a terminal).
fn spinner(msg: &str) -> ProgressBar {
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    pb.set_message(msg.to_string());
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
}

/// Run `f` under a spinner; returns its result and wall time.
fn step<T>(msg: &str, f: impl FnOnce() -> T) -> (T, Duration) {
    let pb = spinner(msg);
    let t = Instant::now();
    let out = f();
    let took = t.elapsed();
    pb.finish_and_clear();
    (out, took)
}

/// Peak resident memory of this process (Linux `VmHWM`), for the summary lines.
pub fn peak_rss() -> String {
    match crate::cmd_bench_llm::peak_rss_mib() {
        Some(m) => format!("{m:.1} MiB"),
        None => "unknown".to_string(),
    }
}

fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

fn model_id(g: &Graph) -> String {
    ModelCommitment::new(g).model_id.to_string()
}

/// Keys and manifest of `dir`, checked against the model they are used with.
fn manifest_for(dir: &Path, g: Option<&Graph>) -> Result<KeyManifest> {
    let m = files::load_manifest(dir)?;
    if let Some(g) = g {
        let id = model_id(g);
        if m.model_id != id {
            bail!(
                "the keys in {} are for model {}, not this model ({id})",
                dir.display(),
                m.model_id
            );
        }
    }
    Ok(m)
}

/// The backend that keys of `manifest` belong to.
pub(crate) fn backend_of(manifest: &KeyManifest) -> Result<Box<dyn DynBackend>> {
    Ok(backends::backend(&manifest.backend)?)
}

pub fn setup(a: &SetupArgs) -> Result<()> {
    let model = Model::new(verinfer_ir::vmodel::load(&a.model)?)?;
    let vis: Visibility = a
        .visibility
        .parse()
        .map_err(|e: String| anyhow::anyhow!("--visibility: {e}"))?;
    let backend: Box<dyn DynBackend> = match (&a.ptau, a.backend.as_str()) {
        (Some(p), verinfer_sumcheck::backend::NAME) => {
            Box::new(verinfer_sumcheck::backend::Sumcheck::with_ptau(p.clone()))
        }
        (Some(_), other) => bail!(
            "--ptau is the sumcheck backend's universal SRS; {other} keys come from its own \
             setup (Groth16: `verinfer ceremony` for production keys)"
        ),
        (None, _) => backends::backend(&a.backend)?,
    };
    backend.supports(&model, vis)?;
    let (size, count_time) = step("synthesizing the circuit", || backend.size(&model, vis));
    let constraints = size?;
    eprintln!(
        "circuit: {constraints} constraints ({} to synthesize)",
        secs(count_time)
    );
    let mut rng = os_rng();
    let (keys, setup_time) = step(
        &format!(
            "generating {} keys for {constraints} constraints",
            backend.name()
        ),
        || backend.setup(&model, vis, &mut rng),
    );
    let keys = keys?;
    let param_hash = match vis.params {
        Vis::Hashed => Some(backend.param_hash(&model)?),
        _ => None,
    };
    let manifest = KeyManifest::for_backend(
        backend.name(),
        &model,
        model_id(&model),
        vis,
        backend.public_inputs(&keys.verifying)?,
        constraints,
        param_hash,
    );
    files::save_key_bytes(
        &a.out,
        &backend.write_proving_key(&keys.proving)?,
        &backend.write_verifying_key(&keys.verifying)?,
        &manifest,
    )?;
    if a.json {
        setup_trust_note(backend.name(), a.ptau.as_deref());
        return print_setup_json(&manifest, setup_time, &a.out);
    }
    println!("backend:       {}", backend.name());
    println!("model id:      {}", manifest.model_id);
    println!("visibility:    {vis}");
    println!("constraints:   {constraints}");
    println!("public inputs: {}", manifest.public_inputs);
    if let Some(h) = &manifest.param_hash {
        println!("param hash:    {h}");
    }
    println!("setup time:    {}", secs(setup_time));
    println!("peak memory:   {}", peak_rss());
    println!("keys:          {}", a.out.display());
    setup_trust_note(backend.name(), a.ptau.as_deref());
    Ok(())
}

/// What the keys just made can be trusted for, said loudly where it is nothing.
fn setup_trust_note(backend: &str, ptau: Option<&Path>) {
    match (backend, ptau) {
        (verinfer_sumcheck::backend::NAME, Some(p)) => eprintln!(
            "note: SRS from {} — as trustworthy as that powers-of-tau ceremony (one honest \
             participant suffices); no per-model secret exists",
            p.display()
        ),
        (verinfer_sumcheck::backend::NAME, None) => eprintln!(
            "WARNING: INSECURE SRS — tau was sampled on this machine, so whoever ran this setup \
             can forge every proof for these keys. Tests and development only; pass --ptau FILE \
             with a public ceremony's .ptau for real keys (docs/sumcheck.md)"
        ),
        _ => eprintln!(
            "note: this is a local single-party dev setup — whoever ran it can forge proofs; \
             production keys come from `verinfer ceremony` (docs/zk.md, \"Trusted setup\")"
        ),
    }
}

/// How many quantized inputs sit on their bit bound (the float was clamped, or sits exactly
/// there): the proof states the clamped value.
fn clamped_inputs(g: &Graph, q: &[Vec<i32>]) -> usize {
    g.inputs
        .iter()
        .zip(q)
        .map(|(s, v)| {
            let (lo, hi) = (s.info.bits.min_value(), s.info.bits.max_value());
            v.iter()
                .filter(|&&x| i64::from(x) == lo || i64::from(x) == hi)
                .count()
        })
        .sum()
}

pub fn prove(a: &ProveArgs) -> Result<()> {
    let g = Model::new(verinfer_ir::vmodel::load(&a.model)?)?;
    let manifest = manifest_for(&a.keys, Some(&g))?;
    let backend = backend_of(&manifest)?;
    let vis = manifest
        .visibility()
        .map_err(|e| anyhow::anyhow!("{}: {e}", a.keys.display()))?;
    let q = load_input(&g, &a.input)?;
    let clamped = clamped_inputs(&g, &q);
    if clamped > 0 {
        eprintln!(
            "warning: {clamped} input values lie on their {}-bit bound (outside the calibrated \
             range they are clamped); the proof states the clamped values",
            g.inputs.first().map_or(0, |s| s.info.bits.get())
        );
    }
    let (pk, load_time) = step("loading the proving key", || -> Result<_> {
        let bytes = files::read_proving_key_bytes(&a.keys)?;
        Ok(backend.read_proving_key(&bytes)?)
    });
    let pk = pk?;
    let (trace, witness_time) = step("computing the witness (integer executor)", || {
        Plan::new(g.clone()).and_then(|p| p.run(&q))
    });
    let trace = trace?.into_values();
    let ctx = verinfer_prove::Context {
        model_id: manifest
            .model_id
            .parse()
            .with_context(|| format!("model id {:?} in the keys", manifest.model_id))?,
        chain_id: verinfer_chain::U256::from(a.chain_id),
        contract: a.contract,
        tag: a.tag,
        answerer: a.answerer,
    };
    let mut rng = os_rng();
    let (proved, prove_time) = step("proving", || {
        backend.prove(&pk, &g, vis, &ctx, trace, &mut rng)
    });
    let proved = proved?;
    let public = proved.public;
    let file = ProofFile::from_bytes(
        manifest.model_id.clone(),
        backend.name(),
        &proved.proof,
        &public,
    )
    .map_err(|e| anyhow::anyhow!("proof file: {e}"))?;
    file.save(&a.out)?;
    if a.json {
        return print_prove_json(&file, [load_time, witness_time, prove_time], &a.out);
    }
    println!("model id:      {}", manifest.model_id);
    println!("visibility:    {vis}");
    if !public.outputs.is_empty() {
        println!("outputs:       {:?}", public.outputs);
    }
    println!("proof:         {} bytes", file.proof_bytes);
    println!("load key:      {}", secs(load_time));
    println!("witness:       {}", secs(witness_time));
    println!("prove:         {}", secs(prove_time));
    println!("peak memory:   {}", peak_rss());
    println!("written:       {}", a.out.display());
    Ok(())
}

pub fn verify(a: &VerifyArgs) -> Result<()> {
    let manifest = manifest_for(&a.keys, None)?;
    let file = ProofFile::load(&a.proof)?;
    if file.model_id != manifest.model_id {
        bail!(
            "the proof is about model {}, the keys in {} are for model {}",
            file.model_id,
            a.keys.display(),
            manifest.model_id
        );
    }
    let backend = backend_of(&manifest)?;
    let public = file.neutral_public_values(&a.proof, &manifest)?;
    if manifest.param_hash.is_some() && file.public.param_hash != manifest.param_hash {
        bail!(
            "the proof states weights with hash {}, the model's keys record {}",
            file.public.param_hash.as_deref().unwrap_or("none"),
            manifest.param_hash.as_deref().unwrap_or("none")
        );
    }
    let proof = file.proof_bytes(&a.proof)?;
    let vk = backend.read_verifying_key(&files::read_verifying_key_bytes(&a.keys)?)?;
    let t = Instant::now();
    let verdict = backend.verify(&vk, &public, &proof);
    let took = t.elapsed();
    match verdict {
        Ok(()) if a.json => {}
        Ok(()) => {
            println!("native: proof valid ({})", secs(took));
            match &manifest.ceremony {
                Some(h) => println!("keys:   from ceremony {h}"),
                None if backend.name() == verinfer_sumcheck::backend::NAME => eprintln!(
                    "note: sumcheck keys are as trustworthy as their SRS: a public .ptau \
                     (`setup --ptau`), or nothing if setup sampled it locally"
                ),
                None => eprintln!(
                    "note: these keys come from a single-party `verinfer setup`: whoever ran it \
                     can forge proofs"
                ),
            }
        }
        Err(e) => bail!("native: {e}"),
    }
    if a.evm {
        if backend.name() != verinfer_zk::groth16::NAME {
            bail!(
                "--evm checks with the generic Groth16Verifier; these are {} keys (export their \
                 verifier with `verinfer export-verifier`)",
                backend.name()
            );
        }
        let vk = files::load_verifying_key(&a.keys)?;
        let proof = file.proof(&a.proof)?;
        let public = file.public_values(&a.proof, &manifest)?;
        let evm = verify_evm(a, &vk, &proof, &public)?;
        if a.json {
            return print_verify_json(&manifest, took, Some(evm));
        }
    } else if a.json {
        return print_verify_json(&manifest, took, None);
    }
    Ok(())
}

fn verify_evm(
    a: &VerifyArgs,
    vk: &verinfer_zk::groth16::VerifyingKey,
    proof: &verinfer_zk::groth16::Proof,
    public: &PublicValues,
) -> Result<EvmVerdict> {
    let mut open = a.chain.open()?;
    let from = open.sender()?;
    let key = evm::vk_bytes(vk);
    let label = format!("Groth16Verifier@{}", &keccak256(&key).to_string()[..18]);
    let (chain, deployments) = open.parts();
    let chain_id = chain.chain_id();
    let recorded = match &a.verifier {
        Some(s) => Some(
            s.parse::<verinfer_chain::Address>()
                .with_context(|| format!("--verifier {s:?} is not an address"))?,
        ),
        None => deployments.get(chain_id, &label),
    };
    let reusable = match recorded {
        Some(addr) => match evm::deployed_key(chain, from, addr) {
            Ok(k) if k == key => Some(addr),
            Ok(_) if a.verifier.is_some() => {
                bail!("the verifier at {addr} holds another verifying key than --keys")
            }
            Err(e) if a.verifier.is_some() => {
                bail!("--verifier {addr}: not a Groth16Verifier ({e})")
            }
            _ => None,
        },
        None => None,
    };
    let mut deploy_gas = 0;
    let verifier = match reusable {
        Some(addr) => addr,
        None => {
            let (addr, receipt) = evm::deploy_verifier(chain, from, vk)?;
            deploy_gas = receipt.gas_used;
            if !a.json {
                println!(
                    "evm: deployed Groth16Verifier at {addr} ({} gas)",
                    receipt.gas_used
                );
            }
            deployments.set(chain_id, &label, addr);
            addr
        }
    };
    let elements = public.to_field_elements()?;
    let verdict = evm::verify_on_chain(chain, from, verifier, proof, &elements)?;
    open.record_deployments()?;
    open.persist()?;
    if verdict.accepted {
        if !a.json {
            println!(
                "evm: proof valid, verifyProof gas {} ({} public inputs)",
                verdict.gas_used,
                elements.len()
            );
        }
        Ok(EvmVerdict {
            verifier: verifier.to_string(),
            gas_used: verdict.gas_used,
            deploy_gas,
            public_inputs: elements.len(),
        })
    } else {
        bail!(
            "evm: the verifier rejected the proof ({} gas)",
            verdict.gas_used
        )
    }
}

pub fn export_verifier(a: &ExportArgs) -> Result<()> {
    let manifest = manifest_for(&a.keys, None)?;
    let backend = backend_of(&manifest)?;
    let vk = backend.read_verifying_key(&files::read_verifying_key_bytes(&a.keys)?)?;
    let sol = backend.solidity_verifier(&vk)?;
    std::fs::write(&a.out, sol).with_context(|| a.out.display().to_string())?;
    if a.json {
        let v = serde_json::json!({
            "written": a.out.display().to_string(),
            "contract": "Verifier",
            "public_inputs": manifest.public_inputs,
            "model_id": manifest.model_id,
            "backend": manifest.backend,
        });
        println!("{v}");
        return Ok(());
    }
    println!(
        "wrote {} (contract Verifier, {} public inputs, model {})",
        a.out.display(),
        manifest.public_inputs,
        manifest.model_id
    );
    println!(
        "compile it with solc >= 0.8.0 (e.g. node contracts/scripts/compile-one.js {}); \
         verifyProof reverts ProofInvalid() on a wrong proof",
        a.out.display()
    );
    Ok(())
}

// ---------------------------------------------------------------- --json (one object on stdout)

/// What `verify --evm` found on chain.
pub struct EvmVerdict {
    verifier: String,
    gas_used: u64,
    deploy_gas: u64,
    public_inputs: usize,
}

/// `setup --json`: `{"backend", "model_id", "visibility", "constraints", "public_inputs",
/// "param_hash", "setup_s", "keys"}`.
fn print_setup_json(manifest: &KeyManifest, took: Duration, keys: &Path) -> Result<()> {
    let v = serde_json::json!({
        "backend": manifest.backend,
        "model_id": manifest.model_id,
        "visibility": manifest.visibility,
        "constraints": manifest.constraints,
        "public_inputs": manifest.public_inputs,
        "param_hash": manifest.param_hash,
        "setup_s": took.as_secs_f64(),
        "keys": keys.display().to_string(),
    });
    println!("{v}");
    Ok(())
}

/// `prove --json`: `{"model_id", "backend", "outputs", "proof_bytes", "load_key_s",
/// "witness_s", "prove_s", "proof"}` (`outputs`: the public quantized outputs, empty when
/// hidden).
fn print_prove_json(
    file: &ProofFile,
    [load, witness, prove]: [Duration; 3],
    out: &Path,
) -> Result<()> {
    let v = serde_json::json!({
        "model_id": file.model_id,
        "backend": file.backend,
        "outputs": file.public.outputs,
        "proof_bytes": file.proof_bytes,
        "load_key_s": load.as_secs_f64(),
        "witness_s": witness.as_secs_f64(),
        "prove_s": prove.as_secs_f64(),
        "proof": out.display().to_string(),
    });
    println!("{v}");
    Ok(())
}

/// `verify --json` of a valid proof: `{"valid": true, "backend", "model_id", "native_s",
/// "ceremony", "evm"}` (`evm`: `{"verifier", "gas_used", "deploy_gas", "public_inputs"}` with
/// `--evm`, else null). An invalid proof fails as without `--json` (the error on stderr).
fn print_verify_json(
    manifest: &KeyManifest,
    took: Duration,
    evm: Option<EvmVerdict>,
) -> Result<()> {
    let evm = evm.map(|e| {
        serde_json::json!({
            "verifier": e.verifier,
            "gas_used": e.gas_used,
            "deploy_gas": e.deploy_gas,
            "public_inputs": e.public_inputs,
        })
    });
    let v = serde_json::json!({
        "valid": true,
        "backend": manifest.backend,
        "model_id": manifest.model_id,
        "native_s": took.as_secs_f64(),
        "ceremony": manifest.ceremony,
        "evm": evm,
    });
    println!("{v}");
    Ok(())
}
