//! `encode-calldata` and `deploy-verifier`: what a user of another Ethereum toolchain needs
//! from a proof and its keys (EZKL's `encode-evm-calldata` and `deploy-evm`).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Serialize;
use verinfer_chain::{Address, Tx};
use verinfer_commit::keccak256;
use verinfer_zk::files::{self, KeyManifest, ProofFile};
use verinfer_zk::{evm, groth16, Bn254Values};

use crate::chain_args::ChainArgs;

/// Arguments of `encode-calldata`.
#[derive(clap::Args)]
pub struct EncodeCalldataArgs {
    /// Proof file written by `verinfer prove`.
    pub proof: PathBuf,
    /// Key directory written by `verinfer setup` (the proof's public values are laid out by it).
    #[arg(long)]
    pub keys: PathBuf,
    /// Encode `verifyCompressedProof(uint256[4], uint256[n])` (compressed points: less
    /// calldata, more gas to decompress) instead of `verifyProof(uint256[8], uint256[n])`.
    #[arg(long)]
    pub compressed: bool,
    /// Also write the calldata (0x-hex) to this file.
    #[arg(short, long)]
    pub out: Option<PathBuf>,
    /// Print a JSON object instead of the hex line.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `deploy-verifier`.
#[derive(clap::Args)]
pub struct DeployVerifierArgs {
    /// Key directory written by `verinfer setup`: deploys the generic Groth16Verifier with this
    /// key (no Solidity compiler needed); `verify --evm` on the same chain reuses it.
    #[arg(long)]
    pub keys: PathBuf,
    /// Deploy this creation code instead: the compiled `verinfer export-verifier` contract (a
    /// file holding the 0x-hex bytecode, as `solc --bin` or forge's `bytecode.object` give it).
    #[arg(long)]
    pub bytecode: Option<PathBuf>,
    /// Print a JSON object instead of the address line.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub chain: ChainArgs,
}

/// Keys whose verifying key the EVM verifiers take (Groth16's).
fn groth16_keys(dir: &Path) -> Result<(KeyManifest, groth16::VerifyingKey)> {
    let manifest = files::load_manifest(dir)?;
    if manifest.backend != groth16::NAME {
        bail!(
            "the EVM verifiers are Groth16's; the keys in {} are {} keys",
            dir.display(),
            manifest.backend
        );
    }
    Ok((manifest, files::load_verifying_key(dir)?))
}

/// The deployment label `verify --evm` looks for: one generic verifier per key.
pub fn verifier_label(key: &[u8]) -> String {
    format!("Groth16Verifier@{}", &keccak256(key).to_string()[..18])
}

#[derive(Serialize)]
struct Calldata {
    /// The function the calldata calls.
    function: String,
    /// 0x-hex calldata.
    calldata: String,
    bytes: usize,
    public_inputs: usize,
}

/// The proof file at `proof`, refused when it is about another model than the keys in `keys`
/// (whose manifest is `manifest`). `verify` in cmd_zk.rs has the same check inline.
pub fn proof_for_keys(proof: &Path, keys: &Path, manifest: &KeyManifest) -> Result<ProofFile> {
    let file = ProofFile::load(proof)?;
    if file.model_id != manifest.model_id {
        bail!(
            "the proof is about model {}, the keys in {} are for model {}",
            file.model_id,
            keys.display(),
            manifest.model_id
        );
    }
    Ok(file)
}

pub fn encode_calldata(a: &EncodeCalldataArgs) -> Result<()> {
    let (manifest, _) = groth16_keys(&a.keys)?;
    let file = proof_for_keys(&a.proof, &a.keys, &manifest)?;
    let proof = file.proof(&a.proof)?;
    let public = file.public_values(&a.proof, &manifest)?;
    let inputs = evm::public_words(&public.to_field_elements()?);
    let exported = evm::exported_proof(&proof, a.compressed)?;
    let data = evm::exported_calldata(&exported, &inputs);
    let function = if a.compressed {
        format!(
            "verifyCompressedProof(uint256[4],uint256[{}])",
            inputs.len()
        )
    } else {
        format!("verifyProof(uint256[8],uint256[{}])", inputs.len())
    };
    let hex = data.to_string();
    if let Some(out) = &a.out {
        std::fs::write(out, format!("{hex}\n")).with_context(|| out.display().to_string())?;
    }
    if a.json {
        let c = Calldata {
            function,
            calldata: hex,
            bytes: data.len(),
            public_inputs: inputs.len(),
        };
        println!("{}", serde_json::to_string_pretty(&c)?);
    } else {
        println!("{hex}");
        eprintln!(
            "{function}: {} bytes, for the `verinfer export-verifier` contract",
            data.len()
        );
    }
    Ok(())
}

#[derive(Serialize)]
struct Deployed {
    address: String,
    contract: &'static str,
    chain_id: u64,
    /// Gas of the deployment; 0 when a recorded verifier with the same key was reused.
    gas_used: u64,
    reused: bool,
}

/// Creation code from a hex file (`0x` optional, whitespace ignored).
fn read_bytecode(path: &Path) -> Result<Vec<u8>> {
    let text = std::fs::read_to_string(path).with_context(|| path.display().to_string())?;
    let hex: String = text.split_whitespace().collect();
    let code = files::parse_hex(&hex)
        .map_err(|e| anyhow::anyhow!("{}: not hex bytecode: {e}", path.display()))?;
    if code.is_empty() {
        bail!("{}: empty bytecode", path.display());
    }
    Ok(code)
}

pub fn deploy_verifier(a: &DeployVerifierArgs) -> Result<()> {
    let (_, vk) = groth16_keys(&a.keys)?;
    let code = a.bytecode.as_deref().map(read_bytecode).transpose()?;
    let mut open = a.chain.open()?;
    let from = open.sender()?;
    let (chain, deployments) = open.parts();
    let chain_id = chain.chain_id();
    let deployed = match code {
        Some(code) => {
            let r = chain.send(Tx::deploy(from, code, "deploy Verifier"))?;
            let address = r
                .contract_address
                .context("the deployment created no contract")?;
            Deployed {
                address: address.to_string(),
                contract: "Verifier",
                chain_id,
                gas_used: r.gas_used,
                reused: false,
            }
        }
        None => {
            let key = evm::vk_bytes(&vk);
            let label = verifier_label(&key);
            let recorded: Option<Address> = deployments
                .get(chain_id, &label)
                .filter(|addr| evm::deployed_key(chain, from, *addr).is_ok_and(|k| k == key));
            let (address, gas_used) = match recorded {
                Some(addr) => (addr, 0),
                None => {
                    let (addr, r) = evm::deploy_verifier(chain, from, &vk)?;
                    deployments.set(chain_id, &label, addr);
                    (addr, r.gas_used)
                }
            };
            Deployed {
                address: address.to_string(),
                contract: "Groth16Verifier",
                chain_id,
                gas_used,
                reused: gas_used == 0,
            }
        }
    };
    open.record_deployments()?;
    open.persist()?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&deployed)?);
    } else {
        println!("{}", deployed.address);
        eprintln!(
            "{} on chain {}: {}",
            deployed.contract,
            deployed.chain_id,
            if deployed.reused {
                "the recorded one, same key".to_string()
            } else {
                format!("deployed, {} gas", deployed.gas_used)
            }
        );
    }
    Ok(())
}
