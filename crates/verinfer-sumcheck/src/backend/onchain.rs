//! The backend's proof as bytes and on the EVM: the `bytes proof` of its `IProofVerifier`
//! adapter (`contracts/src/sumcheck/SumcheckProofVerifier.sol`) is
//! `abi.encode(bytes32 contextWord, bytes x, bytes y, uint256[] words)` — the public input and
//! output ride inside it (the adapter recomputes the statement digest from them) — and the
//! same bytes are the proof file's. The adapter wraps a `ContractNodeVerifier` holding the
//! node's key as immutables, or for a layered key a `ModelVerifier` holding the key's plan
//! ([`super::layered`]); both answer `verifyBound`. [`deploy`] creates the verifier and the
//! adapter.

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_sol_types::{SolConstructor, SolValue};
use verinfer_prove::{ContractDeployer, ProveError, Statement, Unsupported};

use crate::evm::{verifier_key_words, Word};
use crate::transcript::g1_words;

use super::keys::{ModelKey, VerifyingKey};
use super::{BackendError, NAME};

alloy_sol_types::sol!(
    #[sol(all_derives)]
    ContractNodeVerifier,
    "../../contracts/artifacts/ContractNodeVerifier.json"
);

alloy_sol_types::sol!(
    #[sol(all_derives)]
    ModelVerifier,
    "../../contracts/artifacts/ModelVerifier.json"
);

alloy_sol_types::sol!(
    #[sol(all_derives)]
    SumcheckProofVerifier,
    "../../contracts/artifacts/SumcheckProofVerifier.json"
);

/// A proof of the sumcheck backend: the context word it is bound to, the public `x` and `y`
/// it is about, and the node proof as the Solidity verifier's words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proof {
    /// `verinfer_prove::context::context_word` of the proof's context.
    pub context: [u8; 32],
    /// The graph input, row-major.
    pub x: Vec<i32>,
    /// The graph output, row-major.
    pub y: Vec<i32>,
    /// `crate::evm::contract_words` of the node proof (made with the statement digest
    /// absorbed first).
    pub words: Vec<Word>,
}

/// Values as 4-byte big-endian integers (what `ContractNodeVerifier` hashes).
fn packed(values: &[i32]) -> Bytes {
    Bytes::from(
        values
            .iter()
            .flat_map(|v| v.to_be_bytes())
            .collect::<Vec<u8>>(),
    )
}

fn unpacked(b: &[u8]) -> Option<Vec<i32>> {
    if !b.len().is_multiple_of(4) {
        return None;
    }
    b.chunks_exact(4)
        .map(|c| c.try_into().ok().map(i32::from_be_bytes))
        .collect()
}

impl Proof {
    /// `abi.encode(bytes32 contextWord, bytes x, bytes y, uint256[] words)`.
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let words: Vec<U256> = self.words.iter().map(|w| U256::from_be_bytes(*w)).collect();
        (
            B256::from(self.context),
            packed(&self.x),
            packed(&self.y),
            words,
        )
            .abi_encode_params()
    }

    /// [`Proof::to_bytes`] back; only the canonical encoding is accepted (it is re-encoded and
    /// compared), so any changed byte is refused or changes the proof.
    ///
    /// # Errors
    /// [`BackendError::Malformed`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BackendError> {
        let bad = |message: String| BackendError::Malformed {
            what: "proof",
            message,
        };
        type Fields = (B256, Bytes, Bytes, Vec<U256>);
        let (context, x, y, words) =
            Fields::abi_decode_params(bytes).map_err(|e| bad(e.to_string()))?;
        let proof = Self {
            context: context.0,
            x: unpacked(&x).ok_or_else(|| bad("x is not a list of 4-byte integers".into()))?,
            y: unpacked(&y).ok_or_else(|| bad("y is not a list of 4-byte integers".into()))?,
            words: words.iter().map(|w| w.to_be_bytes::<32>()).collect(),
        };
        if proof.to_bytes() != bytes {
            return Err(bad("not the canonical ABI encoding".into()));
        }
        Ok(proof)
    }
}

fn u(w: &Word) -> U256 {
    U256::from_be_bytes(*w)
}

/// `ContractNodeVerifier`'s constructor input for `vk`.
fn node_params(vk: &VerifyingKey) -> Result<ContractNodeKey::Params, BackendError> {
    let (node, commitments) = vk.node()?;
    let (m, k, n) = node.dims();
    let rq = node.requant();
    let g1 = |c: &crate::pcs::Commitment| g1_words(&c.0).map(|w| u(&w));
    let int = |v: i64| {
        alloy_primitives::I256::try_from(v).map_err(|e| BackendError::Malformed {
            what: "verifying key",
            message: e.to_string(),
        })
    };
    Ok(ContractNodeKey::Params {
        m: U256::from(m),
        k: U256::from(k),
        n: U256::from(n),
        mult: int(rq.mult)?,
        shift: U256::from(rq.shift),
        bits: U256::from(rq.bits.get()),
        biasShift: int(node.bias_shift().map_or(-1, i64::from))?,
        w: g1(&commitments.w),
        bias: commitments.bias.as_ref().map_or([U256::ZERO; 2], g1),
        vk: verifier_key_words(&vk.srs).map(|w| u(&w)),
    })
}

/// The creation code of the node verifier of `vk`.
///
/// # Errors
/// A multiplier the contract cannot hold.
pub fn node_init_code(vk: &VerifyingKey) -> Result<Vec<u8>, BackendError> {
    let mut code = ContractNodeVerifier::BYTECODE.to_vec();
    code.extend(
        ContractNodeVerifier::constructorCall {
            p: node_params(vk)?,
        }
        .abi_encode(),
    );
    Ok(code)
}

/// The plan of a layered key (`ModelVerifier`'s constructor input).
///
/// # Errors
/// [`BackendError::Unsupported`] for a key of one node or a spec the verifier does not read.
pub fn model_plan_words(vk: &VerifyingKey) -> Result<Vec<U256>, BackendError> {
    let ModelKey::Chain { spec, commitments } = &vk.model else {
        return Err(verinfer_prove::Unsupported {
            backend: NAME,
            node: None,
            reason: "a key of one matrix-product node has no model plan".into(),
        }
        .into());
    };
    Ok(super::layered::model_plan(spec, commitments, &vk.srs)?
        .iter()
        .map(u)
        .collect())
}

/// `keccak256` of the plan's words: what `ModelVerifier` holds and checks its chunks against
/// (on deployment and on every proof).
#[must_use]
pub fn plan_hash(plan: &[U256]) -> B256 {
    let bytes: Vec<u8> = plan.iter().flat_map(U256::to_be_bytes::<32>).collect();
    alloy_primitives::keccak256(bytes)
}

/// The creation code of each data contract holding a slice of the plan (`ModelPlanStore`):
/// at most [`super::layered::CHUNK_WORDS`] words each, in order, every one under EIP-170
/// and EIP-3860, deployed one transaction each before the verifier.
#[must_use]
pub fn plan_chunk_init_codes(plan: &[U256]) -> Vec<Vec<u8>> {
    plan.chunks(super::layered::CHUNK_WORDS)
        .map(|c| {
            let mut code = vec![0u8];
            code.extend(c.iter().flat_map(U256::to_be_bytes::<32>));
            // PUSH2 len, DUP1, PUSH1 12, PUSH1 0, CODECOPY, PUSH1 0, RETURN, then the code.
            let len = u16::try_from(code.len()).unwrap_or(u16::MAX);
            let mut init = vec![0x61];
            init.extend(len.to_be_bytes());
            init.extend([0x80, 0x60, 0x0c, 0x60, 0x00, 0x39, 0x60, 0x00, 0xf3]);
            init.extend(code);
            init
        })
        .collect()
}

/// The creation code of the model verifier of a layered key whose plan chunks were deployed
/// at `chunks` (in order, [`plan_chunk_init_codes`]).
///
/// # Errors
/// As [`model_plan_words`].
pub fn model_init_code(vk: &VerifyingKey, chunks: &[Address]) -> Result<Vec<u8>, BackendError> {
    let plan = model_plan_words(vk)?;
    Ok(model_init_code_for(&plan, chunks))
}

/// [`model_init_code`] for a plan given as words (a test deploys a changed plan with it).
#[must_use]
pub fn model_init_code_for(plan: &[U256], chunks: &[Address]) -> Vec<u8> {
    let mut code = ModelVerifier::BYTECODE.to_vec();
    code.extend(
        ModelVerifier::constructorCall {
            chunks_: chunks.to_vec(),
            planHash_: plan_hash(plan),
        }
        .abi_encode(),
    );
    code
}

/// Deploy the model verifier of a layered key: its plan's chunks, then the verifier over them.
///
/// # Errors
/// As [`model_plan_words`]; the deployer's error.
pub fn deploy_model_verifier(
    vk: &VerifyingKey,
    deployer: &mut dyn ContractDeployer,
) -> Result<Address, ProveError> {
    let plan = model_plan_words(vk)?;
    let chunks = plan_chunk_init_codes(&plan)
        .into_iter()
        .enumerate()
        .map(|(i, code)| deployer.create(&format!("ModelPlanChunk {i}"), code))
        .collect::<Result<Vec<_>, _>>()?;
    deployer.create("ModelVerifier", model_init_code_for(&plan, &chunks))
}

/// The creation code of the adapter over the node verifier at `node`.
#[must_use]
pub fn adapter_init_code(vk: &VerifyingKey, node: Address) -> Vec<u8> {
    let mut code = SumcheckProofVerifier::BYTECODE.to_vec();
    code.extend(
        SumcheckProofVerifier::constructorCall {
            node_: node,
            inputBits_: U256::from(vk.widths.input),
            outputBits_: U256::from(vk.widths.output),
        }
        .abi_encode(),
    );
    code
}

/// `EvmVerifiable::deploy_adapter`: the node verifier, then the adapter around it.
///
/// # Errors
/// [`ProveError::Unsupported`] for a key of the packed statement, [`ProveError::Malformed`]
/// for a key the contract cannot hold, the deployer's error.
pub fn deploy(
    vk: &VerifyingKey,
    deployer: &mut dyn ContractDeployer,
) -> Result<Address, ProveError> {
    if vk.vis.statement != Statement::Digest {
        return Err(Unsupported {
            backend: NAME,
            node: None,
            reason: "a packed-statement key: the oracle and AIGC (ABI v4) verify the one digest \
                     word through IProofVerifier; set the keys up with statement=digest"
                .into(),
        }
        .into());
    }
    let node = match &vk.model {
        ModelKey::Node { .. } => deployer.create("ContractNodeVerifier", node_init_code(vk)?)?,
        ModelKey::Chain { .. } => deploy_model_verifier(vk, deployer)?,
    };
    deployer.create("SumcheckProofVerifier", adapter_init_code(vk, node))
}

/// The verifier's sources in dependency order (a flattened file needs no imports).
const SOURCES: [(&str, &str); 26] = [
    (
        "SumcheckFr.sol",
        include_str!("../../../../contracts/src/sumcheck/SumcheckFr.sol"),
    ),
    (
        "SumcheckTranscript.sol",
        include_str!("../../../../contracts/src/sumcheck/SumcheckTranscript.sol"),
    ),
    (
        "SumcheckVerifier.sol",
        include_str!("../../../../contracts/src/sumcheck/SumcheckVerifier.sol"),
    ),
    (
        "HyperKZG.sol",
        include_str!("../../../../contracts/src/sumcheck/HyperKZG.sol"),
    ),
    (
        "LogupRange.sol",
        include_str!("../../../../contracts/src/sumcheck/LogupRange.sol"),
    ),
    (
        "BatchOpening.sol",
        include_str!("../../../../contracts/src/sumcheck/BatchOpening.sol"),
    ),
    (
        "PackedTensor.sol",
        include_str!("../../../../contracts/src/sumcheck/PackedTensor.sol"),
    ),
    (
        "ModelPlan.sol",
        include_str!("../../../../contracts/src/sumcheck/ModelPlan.sol"),
    ),
    (
        "ModelLayers.sol",
        include_str!("../../../../contracts/src/sumcheck/ModelLayers.sol"),
    ),
    (
        "ModelRanges.sol",
        include_str!("../../../../contracts/src/sumcheck/ModelRanges.sol"),
    ),
    (
        "AffineWiring.sol",
        include_str!("../../../../contracts/src/sumcheck/AffineWiring.sol"),
    ),
    (
        "ModelWiring.sol",
        include_str!("../../../../contracts/src/sumcheck/ModelWiring.sol"),
    ),
    (
        "ModelArith.sol",
        include_str!("../../../../contracts/src/sumcheck/ModelArith.sol"),
    ),
    (
        "ModelAttn.sol",
        include_str!("../../../../contracts/src/sumcheck/ModelAttn.sol"),
    ),
    (
        "ModelDiv.sol",
        include_str!("../../../../contracts/src/sumcheck/ModelDiv.sol"),
    ),
    (
        "ModelLookup.sol",
        include_str!("../../../../contracts/src/sumcheck/ModelLookup.sol"),
    ),
    (
        "ModelLayerCall.sol",
        include_str!("../../../../contracts/src/sumcheck/ModelLayerCall.sol"),
    ),
    (
        "ModelLayerVerifier.sol",
        include_str!("../../../../contracts/src/sumcheck/ModelLayerVerifier.sol"),
    ),
    (
        "ModelPlanStore.sol",
        include_str!("../../../../contracts/src/sumcheck/ModelPlanStore.sol"),
    ),
    (
        "ModelVerifier.sol",
        include_str!("../../../../contracts/src/sumcheck/ModelVerifier.sol"),
    ),
    (
        "ContractNodeKey.sol",
        include_str!("../../../../contracts/src/sumcheck/ContractNodeKey.sol"),
    ),
    (
        "ContractNodeVerifier.sol",
        include_str!("../../../../contracts/src/sumcheck/ContractNodeVerifier.sol"),
    ),
    (
        "IProofVerifier.sol",
        include_str!("../../../../contracts/src/IProofVerifier.sol"),
    ),
    (
        "PublicInputs.sol",
        include_str!("../../../../contracts/src/PublicInputs.sol"),
    ),
    (
        "ZkStatement.sol",
        include_str!("../../../../contracts/src/ZkStatement.sol"),
    ),
    (
        "SumcheckProofVerifier.sol",
        include_str!("../../../../contracts/src/sumcheck/SumcheckProofVerifier.sol"),
    ),
];

/// One Solidity file holding the whole verifier of `vk`: the sources above flattened, then
/// `contract Verifier`, a `SumcheckProofVerifier` whose constructor creates the node verifier
/// with `vk`'s statement, commitments and SRS points, so deploying `Verifier` alone gives an
/// `IProofVerifier` for the key — or, for a layered key, [`layered_source`]'s contracts.
///
/// # Errors
/// A multiplier the contract cannot hold.
pub fn solidity_source(vk: &VerifyingKey) -> Result<String, BackendError> {
    use std::fmt::Write;
    if let ModelKey::Chain { .. } = vk.model {
        let plan = model_plan_words(vk)?;
        return Ok(layered_source(vk, &plan));
    }
    let p = node_params(vk)?;
    let mut out = flattened();
    let list = |xs: &[U256]| {
        xs.iter()
            .map(U256::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = write!(
        out,
        "\n/// @notice The `IProofVerifier` of one sumcheck verifying key.\n\
         contract Verifier is SumcheckProofVerifier {{\n    constructor()\n        \
         SumcheckProofVerifier(\n            new ContractNodeVerifier(\n                \
         ContractNodeKey.Params({{\n                    m: {m},\n                    k: {k},\n                    \
         n: {n},\n                    mult: {mult},\n                    shift: {shift},\n                    \
         bits: {bits},\n                    biasShift: {bias_shift},\n                    \
         w: [uint256({w0}), {w1}],\n                    bias: [uint256({b0}), {b1}],\n                    \
         vk: [uint256({vk})]\n                }})\n            ),\n            {win},\n            {wout}\n        )\n    \
         {{}}\n}}\n",
        m = p.m,
        k = p.k,
        n = p.n,
        mult = p.mult,
        shift = p.shift,
        bits = p.bits,
        bias_shift = p.biasShift,
        w0 = p.w[0],
        w1 = p.w[1],
        b0 = p.bias[0],
        b1 = p.bias[1],
        vk = list(&p.vk),
        win = vk.widths.input,
        wout = vk.widths.output,
    );
    Ok(out)
}

/// The exported verifier of a layered key whose plan is `plan`: the flattened sources, then
/// one `VerifierPlan<i>` per chunk of the plan (at most [`super::layered::CHUNK_WORDS`] words,
/// a `hex` literal its constructor stores as one data contract: every creation code under
/// EIP-3860's 49 152 bytes and every data contract under EIP-170, however big the plan), then
/// `Verifier(VerifierPlan0 p0, …)`, which creates the model verifier over their chunks, bound
/// to the plan's hash (a literal: chunks of another plan, or in another order, are refused).
/// Deployed in `chunks + 1` transactions, the plan's parts first.
fn layered_source(vk: &VerifyingKey, plan: &[U256]) -> String {
    use std::fmt::Write;
    let mut out = flattened();
    let parts: Vec<&[U256]> = plan.chunks(super::layered::CHUNK_WORDS).collect();
    for (i, part) in parts.iter().enumerate() {
        let hex: String = part
            .iter()
            .map(|w| alloy_primitives::hex::encode(w.to_be_bytes::<32>()))
            .collect();
        let _ = write!(
            out,
            "\n/// @notice Step {step} of {steps}: words {from}..{to} of the plan (`ModelPlan`) as \
             one data contract.\n\
             contract VerifierPlan{i} {{\n    address public immutable chunk;\n\n    \
             constructor() {{\n        chunk = ModelPlanStore.create(hex\"{hex}\");\n    }}\n}}\n",
            step = i + 1,
            steps = parts.len() + 1,
            from = i * super::layered::CHUNK_WORDS,
            to = i * super::layered::CHUNK_WORDS + part.len(),
        );
    }
    let params: Vec<String> = (0..parts.len())
        .map(|i| format!("VerifierPlan{i} p{i}"))
        .collect();
    let _ = write!(
        out,
        "\n/// @notice The plan's data contracts, in order.\n\
         function verifierChunks({params}) view returns (address[] memory c) {{\n    \
         c = new address[]({n});\n",
        params = params.join(", "),
        n = parts.len(),
    );
    for i in 0..parts.len() {
        let _ = writeln!(out, "    c[{i}] = p{i}.chunk();");
    }
    let args: Vec<String> = (0..parts.len()).map(|i| format!("p{i}")).collect();
    let _ = write!(
        out,
        "}}\n\n/// @notice Step {steps} of {steps}: the `IProofVerifier` of one layered sumcheck key, \
         its model verifier over the chunks the `VerifierPlan` contracts created (bound to the \
         plan by its hash).\n\
         contract Verifier is SumcheckProofVerifier {{\n    constructor({params})\n        \
         SumcheckProofVerifier(\n            \
         ContractNodeVerifier(address(new ModelVerifier(verifierChunks({args}), {hash}))),\n            \
         {win},\n            {wout}\n        )\n    {{}}\n}}\n",
        steps = parts.len() + 1,
        params = params.join(", "),
        args = args.join(", "),
        hash = plan_hash(plan),
        win = vk.widths.input,
        wout = vk.widths.output,
    );
    out
}

/// The verifier's sources flattened into one file (no imports).
fn flattened() -> String {
    use std::fmt::Write;
    let mut out = String::from(
        "// SPDX-License-Identifier: Apache-2.0 OR MIT\n// Generated by `verinfer export-verifier` \
         (sumcheck backend): the verifier contracts flattened, then `Verifier` for one key.\n\
         pragma solidity ^0.8.24;\n",
    );
    for (name, src) in SOURCES {
        let _ = writeln!(out, "\n// ---- {name} ----");
        for line in src.lines() {
            let t = line.trim_start();
            if !(t.starts_with("import ") || t.starts_with("pragma ") || t.starts_with("// SPDX")) {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}
