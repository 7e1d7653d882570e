//! `verinfer ceremony new|contribute|beacon|verify`: a multi-party phase-2 trusted setup whose
//! final key `prove`, `verify` and `export-verifier` use (docs/zk.md, "Trusted setup ceremony").

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use verinfer_commit::ModelCommitment;
use verinfer_zk::ceremony::{self, Beacon, Params};
use verinfer_zk::files::{self, parse_hex, to_hex};
use verinfer_zk::groth16::os_rng;
use verinfer_zk::Visibility;

use crate::emit::Emit;

/// `verinfer ceremony …`.
#[derive(clap::Subcommand)]
pub enum CeremonyCmd {
    /// Start a ceremony: the initial parameters (δ = 1) for a model, phase 1 from a public
    /// powers-of-tau file (`--ptau`) or, for tests only, sampled locally.
    New(NewArgs),
    /// Add a contribution (fresh OS randomness, discarded afterwards).
    Contribute(ContributeArgs),
    /// Add a contribution derived from a public random value (anyone can recompute it).
    Beacon(BeaconArgs),
    /// Verify a ceremony from its initial file to its last, and optionally write the keys.
    Verify(VerifyArgs),
}

/// Arguments of `ceremony new`.
#[derive(clap::Args)]
pub struct NewArgs {
    /// Compiled model.
    pub model: PathBuf,
    /// Who sees what (as for `verinfer setup`).
    #[arg(long, default_value = "input=public,params=public,output=public")]
    pub visibility: String,
    /// Ceremony file to write.
    #[arg(short, long)]
    pub out: PathBuf,
    /// Phase 1 from this prepared snarkjs / powers-of-tau `.ptau` file (power ≥ log2 of the
    /// circuit's domain). Without it phase 1 is sampled on this machine: insecure for
    /// production.
    #[arg(long)]
    pub ptau: Option<PathBuf>,
    /// Print one JSON object on stdout instead of the text.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `ceremony contribute`.
#[derive(clap::Args)]
pub struct ContributeArgs {
    /// The latest ceremony file.
    pub input: PathBuf,
    /// Ceremony file to write.
    #[arg(short, long)]
    pub out: PathBuf,
    /// Your name in the transcript (not authenticated: publish your contribution hash).
    #[arg(long)]
    pub name: String,
    /// Print one JSON object on stdout instead of the text.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `ceremony beacon`.
#[derive(clap::Args)]
pub struct BeaconArgs {
    /// The latest ceremony file.
    pub input: PathBuf,
    /// Ceremony file to write.
    #[arg(short, long)]
    pub out: PathBuf,
    /// The public random value, 0x-hex (e.g. a block hash announced in advance).
    #[arg(long)]
    pub value: String,
    /// δ′ comes after 2^N Keccak iterations of the value.
    #[arg(long, default_value_t = 10)]
    pub iterations_exp: u32,
    /// Print one JSON object on stdout instead of the text.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `ceremony verify`.
#[derive(clap::Args)]
pub struct VerifyArgs {
    /// The initial file, then any intermediate files, then the final one.
    #[arg(required = true, num_args = 1..)]
    pub files: Vec<PathBuf>,
    /// Also check the ceremony is for this compiled model.
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Write the final keys (proving.key, verifying.key, keys.json) into this directory.
    #[arg(long)]
    pub keys_out: Option<PathBuf>,
    /// Also check that the initial file was built from this `.ptau` (rebuilds it; needs
    /// `--model`).
    #[arg(long, requires = "model")]
    pub ptau: Option<PathBuf>,
    /// Print one JSON object on stdout instead of the text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(cmd: &CeremonyCmd) -> Result<()> {
    match cmd {
        CeremonyCmd::New(a) => new(a),
        CeremonyCmd::Contribute(a) => contribute(a),
        CeremonyCmd::Beacon(a) => beacon(a),
        CeremonyCmd::Verify(a) => verify(a),
    }
}

fn new(a: &NewArgs) -> Result<()> {
    let g = verinfer_ir::vmodel::load(&a.model)?;
    let vis: Visibility = a
        .visibility
        .parse()
        .map_err(|e: String| anyhow::anyhow!("--visibility: {e}"))?;
    let id = ModelCommitment::new(&g).model_id.to_string();
    let p = match &a.ptau {
        Some(f) => from_ptau(&g, id, vis, f)?,
        None => Params::new(&g, id, vis, &mut os_rng())?,
    };
    p.save(&a.out)?;
    let out = Emit::new(a.json);
    out.line(format!("model id:      {}", p.manifest.model_id));
    out.line(format!("visibility:    {vis}"));
    out.line(format!("constraints:   {}", p.manifest.constraints));
    print_phase1(out, &p);
    out.line(format!("circuit hash:  {}", to_hex(&p.transcript())));
    out.line(format!("written:       {}", a.out.display()));
    out.object(&serde_json::json!({
        "model_id": p.manifest.model_id,
        "visibility": vis.to_string(),
        "constraints": p.manifest.constraints,
        "phase1": phase1_json(&p),
        "circuit_hash": to_hex(&p.transcript()),
        "written": a.out.display().to_string(),
    }));
    if p.manifest.phase1.is_none() {
        eprintln!(
            "WARNING: INSECURE FOR PRODUCTION. Phase 1 (τ, α, β, γ) was sampled on this \
             machine: whoever ran this can forge proofs for these keys unless they discarded \
             it, whatever the phase-2 contributions. Use --ptau with a prepared file of a \
             public powers-of-tau ceremony (docs/zk.md, \"Trusted setup ceremony\")."
        );
    } else {
        eprintln!(
            "check the ptau blake2b above against the hash its ceremony published; anyone can \
             rebuild this file with `verinfer ceremony verify … --model … --ptau …`"
        );
    }
    Ok(())
}

/// Initial parameters from a `.ptau`, errors naming the file.
fn from_ptau(
    g: &verinfer_ir::Graph,
    id: String,
    vis: Visibility,
    f: &std::path::Path,
) -> Result<Params> {
    let mut ptau = ceremony::Ptau::open(f).with_context(|| format!("{}", f.display()))?;
    Params::from_ptau(g, id, vis, &mut ptau).with_context(|| format!("{}", f.display()))
}

fn print_phase1(out: Emit, p: &Params) {
    match &p.manifest.phase1 {
        Some(r) => {
            out.line(format!(
                "phase 1:      ptau power {} (ceremony power {})",
                r.power, r.ceremony_power
            ));
            out.line(format!("ptau blake2b: {}", r.ptau_blake2b));
        }
        None => out.line("phase 1:      local (insecure for production)"),
    }
}

/// Phase 1 for `--json`: `{"power", "ceremony_power", "ptau_blake2b"}`, or null when it was
/// sampled locally (insecure for production).
fn phase1_json(p: &Params) -> serde_json::Value {
    match &p.manifest.phase1 {
        Some(r) => serde_json::json!({
            "power": r.power,
            "ceremony_power": r.ceremony_power,
            "ptau_blake2b": r.ptau_blake2b,
        }),
        None => serde_json::Value::Null,
    }
}

fn contribute(a: &ContributeArgs) -> Result<()> {
    let p = Params::load(&a.input)?;
    let next = p.contribute(&a.name, &mut os_rng())?;
    next.save(&a.out)?;
    let out = Emit::new(a.json);
    out.line(format!(
        "contribution {} ({})",
        next.contributions.len(),
        a.name.trim()
    ));
    out.line(format!("contribution hash: {}", to_hex(&next.transcript())));
    out.line(format!("written: {}", a.out.display()));
    out.object(&serde_json::json!({
        "contribution": next.contributions.len(),
        "name": a.name.trim(),
        "contribution_hash": to_hex(&next.transcript()),
        "written": a.out.display().to_string(),
    }));
    eprintln!("publish the contribution hash; check it appears in `verinfer ceremony verify`");
    Ok(())
}

fn beacon(a: &BeaconArgs) -> Result<()> {
    let value = parse_hex(&a.value).map_err(|e| anyhow::anyhow!("--value: {e}"))?;
    let p = Params::load(&a.input)?;
    let next = p.beacon(Beacon {
        value,
        iterations_exp: a.iterations_exp,
    })?;
    next.save(&a.out)?;
    let out = Emit::new(a.json);
    out.line(format!("beacon contribution {}", next.contributions.len()));
    out.line(format!("contribution hash: {}", to_hex(&next.transcript())));
    out.line(format!("written: {}", a.out.display()));
    out.object(&serde_json::json!({
        "contribution": next.contributions.len(),
        "contribution_hash": to_hex(&next.transcript()),
        "written": a.out.display().to_string(),
    }));
    Ok(())
}

fn verify(a: &VerifyArgs) -> Result<()> {
    let out = Emit::new(a.json);
    let files: Vec<Params> = a
        .files
        .iter()
        .map(|f| Params::load(f))
        .collect::<Result<_, _>>()?;
    let v = ceremony::verify(&files)?;
    let last = files.last().context("no ceremony file")?;
    if let Some(m) = &a.model {
        let g = verinfer_ir::vmodel::load(m)?;
        let id = ModelCommitment::new(&g).model_id.to_string();
        if last.manifest.model_id != id {
            bail!(
                "the ceremony is for model {}, not {} ({id})",
                last.manifest.model_id,
                m.display()
            );
        }
    }
    if let (Some(f), Some(m)) = (&a.ptau, &a.model) {
        let g = verinfer_ir::vmodel::load(m)?;
        let first = files.first().context("no ceremony file")?;
        let vis = first
            .manifest
            .visibility()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let rebuilt = from_ptau(&g, first.manifest.model_id.clone(), vis, f)?;
        if &rebuilt != first {
            bail!(
                "the initial file was not built from {} for this model (rebuilding it gives \
                 other parameters)",
                f.display()
            );
        }
        out.line(format!(
            "phase 1 check: the initial file is {}'s, rebuilt",
            f.display()
        ));
    }
    out.line(format!("circuit hash: {}", to_hex(&v.circuit)));
    out.line(format!("model id:     {}", last.manifest.model_id));
    out.line(format!("visibility:   {}", last.manifest.visibility));
    print_phase1(out, last);
    for (i, (name, h, is_beacon)) in v.contributions.iter().enumerate() {
        let kind = if *is_beacon { " [beacon]" } else { "" };
        out.line(format!(
            "contribution {}: {name}{kind} {}",
            i + 1,
            to_hex(h)
        ));
    }
    out.line(format!(
        "ceremony valid: {} contributions",
        v.contributions.len()
    ));
    if v.contributions.is_empty() {
        eprintln!("warning: no contribution yet: δ = 1, anyone can forge proofs with these keys");
    }
    if let Some(dir) = &a.keys_out {
        let (pk, vk, manifest) = last.keys();
        files::save_keys(dir, &pk, &vk, &manifest)?;
        out.line(format!("keys:         {}", dir.display()));
    }
    let contributions: Vec<serde_json::Value> = v
        .contributions
        .iter()
        .map(|(name, h, is_beacon)| {
            serde_json::json!({"name": name, "hash": to_hex(h), "beacon": is_beacon})
        })
        .collect();
    out.object(&serde_json::json!({
        "valid": true,
        "circuit_hash": to_hex(&v.circuit),
        "model_id": last.manifest.model_id,
        "visibility": last.manifest.visibility,
        "phase1": phase1_json(last),
        "ptau_checked": a.ptau.is_some() && a.model.is_some(),
        "contributions": contributions,
        "keys": a.keys_out.as_ref().map(|d| d.display().to_string()),
    }));
    Ok(())
}
