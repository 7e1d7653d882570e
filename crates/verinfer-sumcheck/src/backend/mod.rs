//! The sumcheck backend behind the proof-system seam: [`Sumcheck`] implements
//! `verinfer_prove::ProofBackend` and `EvmVerifiable` (name [`NAME`], `sumcheck`), so the node,
//! the CLI, the oracle and AIGC reach it through `dyn DynBackend` as they reach Groth16.
//!
//! What it proves today ([`model::recognise`]): a model that is one matrix-product `Contract`
//! node `Y = requant(X·W (+ bias))` over its one input, unclamped, every class public (the
//! weights committed in the keys). The statement is verinfer's: the `PublicValues` digest
//! (`verinfer_prove::PublicValues::digest`, whatever the statement kind) is absorbed first in
//! the node proof's transcript, so a proof holds for one context and one `x`, `y` only.
//!
//! Setup is universal: the keys are a slice of a powers-of-tau SRS plus the weight
//! commitments. [`SrsSource::InsecureLocal`] (the default, what the registry builds) samples
//! `τ` on this machine — **whoever ran it can forge proofs**; [`SrsSource::Ptau`] reads a
//! public ceremony's `.ptau` file.

pub mod keys;
pub mod layered;
pub mod model;
pub mod onchain;

use std::path::PathBuf;

use alloy_primitives::{Address, B256};
use verinfer_ir::Model;
use verinfer_prove::statement::per_word;
use verinfer_prove::{
    context, ContractDeployer, EvmVerifiable, Lengths, ProofBackend, ProveError, PublicValues, Rng,
    Statement, StatementError, Unsupported, Visibility, Widths,
};

use crate::contract::{self, ContractError, WeightCommitments};
use crate::error::{EvmDecodeError, LogupError, PcsError};
use crate::evm::{contract_from_words, contract_words};
use crate::gkr::{self, ChainSpec, GkrError};
use crate::pcs::Srs;

pub use keys::{ModelKey, ProvingKey, VerifyingKey};
pub use onchain::Proof;

/// The name `keys.json` records for sumcheck keys.
pub const NAME: &str = "sumcheck";

/// Where the SRS of a setup comes from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum SrsSource {
    /// **INSECURE**: `τ` sampled on this machine from the setup's generator; whoever ran the
    /// setup can forge every proof. Tests and development only.
    #[default]
    InsecureLocal,
    /// A public powers-of-tau ceremony's `.ptau` file (trust: one honest participant).
    Ptau(PathBuf),
}

/// The sumcheck backend (module docs).
#[derive(Clone, Debug, Default)]
pub struct Sumcheck {
    /// The SRS a setup uses.
    pub srs: SrsSource,
}

impl Sumcheck {
    /// The backend with its SRS from the `.ptau` file at `path`.
    #[must_use]
    pub fn with_ptau(path: PathBuf) -> Self {
        Self {
            srs: SrsSource::Ptau(path),
        }
    }
}

/// Why the sumcheck backend failed ([`ProofBackend::Error`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackendError {
    /// A model or visibility it does not prove.
    #[error(transparent)]
    Unsupported(#[from] Unsupported),
    /// Proving failed (a trace that deviates or clamps, an SRS too small).
    #[error("proving: {0}")]
    Prove(ContractError),
    /// Proving a layered model failed.
    #[error("proving: {0}")]
    Model(GkrError),
    /// The proof does not verify.
    #[error("proof rejected: {0}")]
    Rejected(String),
    /// The public values do not make a statement of the key's model.
    #[error(transparent)]
    Statement(#[from] StatementError),
    /// Reading the SRS failed.
    #[error("SRS: {0}")]
    Srs(#[from] PcsError),
    /// Key or proof bytes that do not decode.
    #[error("{what}: {message}")]
    Malformed {
        /// `proving key`, `verifying key`, `proof`.
        what: &'static str,
        /// What is wrong.
        message: String,
    },
}

impl From<BackendError> for ProveError {
    fn from(e: BackendError) -> Self {
        match e {
            BackendError::Unsupported(u) => u.into(),
            BackendError::Prove(
                e @ (ContractError::Clamped { .. }
                | ContractError::TraceMismatch { .. }
                | ContractError::Length { .. }
                | ContractError::OutputOutOfBound { .. }
                | ContractError::Logup(LogupError::OutOfRange { .. })),
            ) => ProveError::Witness(e.to_string()),
            BackendError::Model(
                e @ (GkrError::TraceMismatch { .. }
                | GkrError::Clamped { .. }
                | GkrError::ClampOvershoot { .. }
                | GkrError::Length { .. }
                | GkrError::OutOfBound { .. }),
            ) => ProveError::Witness(e.to_string()),
            BackendError::Model(e) => ProveError::Backend {
                backend: NAME,
                message: e.to_string(),
                transient: false,
            },
            BackendError::Prove(e) => ProveError::Backend {
                backend: NAME,
                message: e.to_string(),
                transient: false,
            },
            BackendError::Rejected(_) => ProveError::Rejected,
            BackendError::Statement(e) => ProveError::Statement(e),
            BackendError::Srs(PcsError::Ptau(verinfer_ptau::PtauError::Io(e))) => ProveError::Io(e),
            BackendError::Srs(e) => ProveError::Backend {
                backend: NAME,
                message: e.to_string(),
                transient: false,
            },
            BackendError::Malformed { what, message } => ProveError::Malformed { what, message },
        }
    }
}

/// Variables of the largest polynomial a node proof commits or opens (the batch's `n`).
fn srs_vars(node: &contract::MatmulNode) -> usize {
    let (a, c, b) = node.log_dims();
    (c + b).max(a + b).max(node.requant().shift as usize)
}

/// What the backend proves a model as.
enum Recognised {
    /// One matrix-product node (the Solidity verifier's shape).
    Node(model::MatmulModel),
    /// A chain of layers (the layered proof).
    Chain(ChainSpec),
}

/// One matrix-product node if it is one, else a chain of layers; the chain's refusal names
/// the first node neither covers.
fn check_model(model: &Model, vis: Visibility) -> Result<Recognised, Unsupported> {
    model::check_visibility(vis)?;
    if let Ok(m) = model::recognise(model) {
        return Ok(Recognised::Node(m));
    }
    match ChainSpec::recognise(model.graph()) {
        Ok(spec) => Ok(Recognised::Chain(spec)),
        Err(GkrError::Unsupported { node, reason }) => Err(Unsupported {
            backend: NAME,
            node,
            reason,
        }),
        Err(e) => Err(Unsupported {
            backend: NAME,
            node: None,
            reason: e.to_string(),
        }),
    }
}

/// The public values of `inputs → outputs` (one list per graph input and output, in graph
/// order) for `model` under `vis`, bound to `ctx`.
fn public_values(
    model: &Model,
    vis: Visibility,
    ctx: &verinfer_prove::Context,
    inputs: Vec<Vec<i32>>,
    outputs: Vec<Vec<i32>>,
) -> PublicValues {
    let w = Widths::of(model.graph());
    PublicValues {
        visibility: vis,
        input_width: w.input,
        output_width: w.output,
        inputs,
        input_hash: None,
        param_hash: None,
        outputs,
        output_hash: None,
        lengths: Lengths::of(model.graph()),
        context: *ctx,
    }
}

fn other_key() -> BackendError {
    BackendError::Malformed {
        what: "proving key",
        message: "made for another model or visibility than this one".into(),
    }
}

/// The field elements a layered proof sums and commits over: every tensor padded, the range
/// tables.
fn chain_size(spec: &ChainSpec) -> usize {
    let tensors: usize = spec
        .weights
        .iter()
        .map(|w| w.layout)
        .chain(spec.layers.iter().map(|l| l.out))
        .chain(spec.inputs.iter().map(|v| v.layout))
        .map(|l| 1usize << l.vars())
        .sum();
    let tables: usize = gkr::columns::groups(spec).keys().map(|b| 1usize << b).sum();
    tensors + tables
}

/// Prove a layered model: the whole trace, bound to the statement.
fn prove_chain(
    pk: &ProvingKey,
    model: &Model,
    spec: &ChainSpec,
    commitments: &[crate::pcs::Commitment],
    ctx: &verinfer_prove::Context,
    trace: Vec<Vec<i32>>,
) -> Result<(Proof, PublicValues), BackendError> {
    // The public tensors in graph order: the inputs lead the trace, the outputs are values.
    let g = model.graph();
    let value = |v: usize| {
        trace.get(v).cloned().ok_or_else(|| {
            BackendError::Model(GkrError::Length {
                what: "trace tensors".into(),
                expected: g.inputs.len() + g.nodes.len(),
                got: trace.len(),
            })
        })
    };
    let inputs = (0..g.inputs.len())
        .map(value)
        .collect::<Result<Vec<_>, _>>()?;
    let outputs = g
        .outputs
        .iter()
        .map(|o| value(o.value.index()))
        .collect::<Result<Vec<_>, _>>()?;
    let (x, y) = (inputs.concat(), outputs.concat());
    let public = public_values(model, pk.vis, ctx, inputs, outputs);
    let statement = public.digest()?;
    let weights = gkr::weight_data(model.graph(), spec).map_err(BackendError::Model)?;
    let proof = gkr::prove_model(
        &pk.commit_key,
        Some(&statement.0),
        spec,
        &weights,
        commitments,
        &trace,
    )
    .map_err(BackendError::Model)?;
    let proof = Proof {
        context: context::context_word(ctx),
        x,
        y,
        words: gkr::words::model_words(&proof),
    };
    Ok((proof, public))
}

impl ProofBackend for Sumcheck {
    type ProvingKey = ProvingKey;
    type VerifyingKey = VerifyingKey;
    type Proof = Proof;
    type Error = BackendError;

    fn name(&self) -> &'static str {
        NAME
    }

    fn supports(&self, model: &Model, vis: Visibility) -> Result<(), Unsupported> {
        check_model(model, vis).map(|_| ())
    }

    /// The field elements the prover sums and commits over: the padded `X`, `W`, `Y` tables
    /// and the range check's table (`2^shift`).
    fn size(&self, model: &Model, vis: Visibility) -> Result<usize, BackendError> {
        let m = match check_model(model, vis)? {
            Recognised::Node(m) => m,
            Recognised::Chain(spec) => return Ok(chain_size(&spec)),
        };
        let (a, c, b) = m.node.log_dims();
        let shift = m.node.requant().shift as usize;
        Ok((1 << (a + c)) + (1 << (c + b)) + (1 << (a + b)) + (1 << shift))
    }

    fn setup(
        &self,
        model: &Model,
        vis: Visibility,
        rng: &mut dyn Rng,
    ) -> Result<(ProvingKey, VerifyingKey), BackendError> {
        let recognised = check_model(model, vis)?;
        let vars = match &recognised {
            Recognised::Node(m) => srs_vars(&m.node),
            Recognised::Chain(spec) => gkr::srs_vars(spec),
        };
        let srs = match &self.srs {
            SrsSource::InsecureLocal => Srs::insecure_local_setup_for_tests(vars, &mut &mut *rng),
            SrsSource::Ptau(path) => {
                let mut ptau = verinfer_ptau::Ptau::open(path).map_err(PcsError::Ptau)?;
                Srs::from_ptau(&mut ptau, vars)?
            }
        };
        let commit_key = srs.commit_key.truncated(vars)?;
        let key_model = match recognised {
            Recognised::Node(m) => ModelKey::Node {
                spec: keys::NodeSpec { node: m.node },
                commitments: WeightCommitments::commit(&commit_key, &m.node, m.weights())
                    .map_err(BackendError::Prove)?,
            },
            Recognised::Chain(spec) => {
                let weights =
                    gkr::weight_data(model.graph(), &spec).map_err(BackendError::Model)?;
                let commitments = gkr::commit_weights(&commit_key, &spec, &weights)
                    .map_err(BackendError::Model)?;
                ModelKey::Chain { spec, commitments }
            }
        };
        let pk = ProvingKey {
            commit_key,
            model: key_model.clone(),
            vis,
        };
        let vk = VerifyingKey {
            srs: srs.verifier_key,
            model: key_model,
            vis,
            widths: Widths::of(model.graph()),
        };
        Ok((pk, vk))
    }

    fn prove(
        &self,
        pk: &ProvingKey,
        model: &Model,
        vis: Visibility,
        ctx: &verinfer_prove::Context,
        trace: Vec<Vec<i32>>,
        _rng: &mut dyn Rng,
    ) -> Result<(Proof, PublicValues), BackendError> {
        let recognised = check_model(model, vis)?;
        if vis != pk.vis {
            return Err(other_key());
        }
        let m = match (recognised, &pk.model) {
            (Recognised::Node(m), ModelKey::Node { spec, .. }) if m.node == spec.node => m,
            (
                Recognised::Chain(spec),
                ModelKey::Chain {
                    spec: key_spec,
                    commitments,
                },
            ) if spec == *key_spec => {
                return prove_chain(pk, model, &spec, commitments, ctx, trace);
            }
            _ => return Err(other_key()),
        };
        let ModelKey::Node { commitments, .. } = &pk.model else {
            return Err(other_key());
        };
        let [x, y]: [Vec<i32>; 2] = trace.try_into().map_err(|t: Vec<Vec<i32>>| {
            BackendError::Prove(ContractError::Length {
                what: "trace",
                expected: 2,
                got: t.len(),
            })
        })?;
        let public = public_values(model, vis, ctx, vec![x], vec![y]);
        let statement = public.digest()?;
        let (x, y) = (&public.inputs[0], &public.outputs[0]);
        let proof = contract::prove_contract_bound(
            &pk.commit_key,
            Some(&statement.0),
            &m.node,
            x,
            m.weights(),
            commitments,
            y,
        )
        .map_err(BackendError::Prove)?;
        let proof = Proof {
            context: context::context_word(ctx),
            x: x.clone(),
            y: y.clone(),
            words: contract_words(&proof),
        };
        Ok((proof, public))
    }

    fn verify(
        &self,
        vk: &VerifyingKey,
        public: &PublicValues,
        proof: &Proof,
    ) -> Result<(), BackendError> {
        let mismatch = |what: &str| {
            StatementError::BadValue(format!("{what} differs from the verifying key's"))
        };
        if public.visibility != vk.vis {
            return Err(mismatch("the visibility").into());
        }
        if public.input_width != vk.widths.input || public.output_width != vk.widths.output {
            return Err(mismatch("a packing width").into());
        }
        let statement = public.digest()?;
        // A node key has one input and one output; a layered key's spec checks the count.
        let (x, y) = (public.inputs.concat(), public.outputs.concat());
        let lens = |t: &[Vec<i32>]| t.iter().map(Vec::len).collect::<Vec<_>>();
        let fits = match &vk.model {
            ModelKey::Node { .. } => public.inputs.len() == 1 && public.outputs.len() == 1,
            ModelKey::Chain { spec, .. } => {
                let (ins, outs) = spec.public_shapes();
                lens(&public.inputs) == ins && lens(&public.outputs) == outs
            }
        };
        if !fits {
            return Err(mismatch("the number or length of tensors").into());
        }
        let (x, y) = (&x, &y);
        let rejected = |why: &str| BackendError::Rejected(why.into());
        if proof.context != context::context_word(&public.context) {
            return Err(rejected("the proof is bound to another context"));
        }
        if proof.x != *x || proof.y != *y {
            return Err(rejected("the proof is about another input or output"));
        }
        let (node, commitments) = match &vk.model {
            ModelKey::Node { spec, commitments } => (&spec.node, commitments),
            ModelKey::Chain { spec, commitments } => {
                let decoded = gkr::words::model_from_words(spec, &proof.words)
                    .map_err(|e| rejected(&e.to_string()))?;
                return gkr::verify_model(
                    &vk.srs,
                    Some(&statement.0),
                    spec,
                    commitments,
                    x,
                    y,
                    &decoded,
                )
                .map_err(|e| rejected(&e.to_string()));
            }
        };
        let decoded = contract_from_words(node, &proof.words)
            .map_err(|e: EvmDecodeError| rejected(&e.to_string()))?;
        contract::verify_contract_bound(
            &vk.srs,
            Some(&statement.0),
            node,
            x,
            commitments,
            y,
            &decoded,
        )
        .map_err(|e| rejected(&e.to_string()))
    }

    fn public_inputs(&self, vk: &VerifyingKey) -> usize {
        match vk.vis.statement {
            Statement::Digest => 1,
            Statement::Packed => {
                let (inputs, outputs) = match &vk.model {
                    ModelKey::Node { spec, .. } => {
                        let (m, k, n) = spec.node.dims();
                        (m * k, m * n)
                    }
                    ModelKey::Chain { spec, .. } => spec.public_lens(),
                };
                1 + inputs.div_ceil(per_word(vk.widths.input))
                    + outputs.div_ceil(per_word(vk.widths.output))
            }
        }
    }

    fn param_hash(&self, _model: &Model) -> Result<B256, BackendError> {
        Err(Unsupported {
            backend: NAME,
            node: None,
            reason: "hashed parameters: the sumcheck backend has no in-proof hash yet".into(),
        }
        .into())
    }

    fn write_proving_key(&self, pk: &ProvingKey) -> Result<Vec<u8>, BackendError> {
        pk.to_bytes()
    }

    fn read_proving_key(&self, bytes: &[u8]) -> Result<ProvingKey, BackendError> {
        ProvingKey::from_bytes(bytes)
    }

    /// Builds the commitment key's fixed-base table (`pcs::fixed_msm`): about 3 s of CPU once
    /// for `2^16` powers, about 0.3 s saved on each MNIST CNN proof, so it pays where a key
    /// stays loaded (the node), not in a one-shot `prove`. Same proof bytes either way.
    fn prepare_proving_key(&self, mut pk: ProvingKey) -> ProvingKey {
        pk.commit_key = pk.commit_key.with_table();
        pk
    }

    fn write_verifying_key(&self, vk: &VerifyingKey) -> Result<Vec<u8>, BackendError> {
        vk.to_bytes()
    }

    fn read_verifying_key(&self, bytes: &[u8]) -> Result<VerifyingKey, BackendError> {
        VerifyingKey::from_bytes(bytes)
    }

    fn write_proof(&self, proof: &Proof) -> Result<Vec<u8>, BackendError> {
        Ok(proof.to_bytes())
    }

    fn read_proof(&self, bytes: &[u8]) -> Result<Proof, BackendError> {
        Proof::from_bytes(bytes)
    }
}

impl EvmVerifiable for Sumcheck {
    fn solidity_verifier(&self, vk: &VerifyingKey) -> Result<String, BackendError> {
        onchain::solidity_source(vk)
    }

    /// The proof's own bytes: `abi.encode(bytes32 contextWord, bytes x, bytes y, uint256[]
    /// words)`, what `SumcheckProofVerifier.verify` decodes.
    fn proof_calldata(&self, proof: &Proof) -> Result<Vec<u8>, BackendError> {
        Ok(proof.to_bytes())
    }

    fn deploy_adapter(
        &self,
        vk: &VerifyingKey,
        deployer: &mut dyn ContractDeployer,
    ) -> Result<Address, ProveError> {
        onchain::deploy(vk, deployer)
    }
}
