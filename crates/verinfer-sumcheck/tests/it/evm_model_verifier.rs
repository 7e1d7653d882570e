//! The Solidity verifier of layered proofs (`contracts/src/sumcheck/ModelVerifier.sol`) against
//! `gkr::verify_model` on the in-process EVM (revm), on the bundled digits MLP: the honest
//! proof verifies on chain; every word of it tampered, another statement, the unbound entry,
//! a changed public input or output, a truncated or extended proof — each rejected by both,
//! with the same verdict (the Solidity code of the Rust error). Then the `IProofVerifier`
//! adapter over it, deployed by the backend. Prints the gas figures of docs/sumcheck.md.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::digits;
use crate::common::evm;
use crate::common::pooled;
use crate::common::profile;

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolCall;
use digits::digits_mlp;
use evm::*;
use verinfer_chain::{Chain, RevmChain, Tx};
use verinfer_ir::Model;
use verinfer_oracle::ChainDeployer;
use verinfer_prove::{os_rng, Context, DynBackend, ProofBackend, Statement, Vis, Visibility};
use verinfer_sumcheck::backend::keys::ModelKey;
use verinfer_sumcheck::backend::{layered, onchain, Sumcheck};
use verinfer_sumcheck::gkr::{self, GkrError};
use verinfer_sumcheck::{EvmDecodeError, LogupError, MatmulError, PcsError, SumcheckError};

alloy_sol_types::sol!(
    #[sol(all_derives)]
    ModelVerifier,
    "../../contracts/artifacts/ModelVerifier.json"
);

alloy_sol_types::sol! {
    interface IProofVerifier {
        function verify(bytes calldata proof, bytes32 statement) external view returns (bool);
        /// `SumcheckProofVerifier.node`: the model verifier under the adapter.
        function node() external view returns (address);
    }
}

const DIGEST: Visibility = Visibility {
    input: Vis::Public,
    params: Vis::Public,
    output: Vis::Public,
    statement: Statement::Digest,
};

type Vk = <Sumcheck as ProofBackend>::VerifyingKey;
type Proof = <Sumcheck as ProofBackend>::Proof;
type Public = verinfer_prove::PublicValues;

/// `g`'s digest-statement keys and honest proof of `trace` (context tag `tag`), the proof
/// checked natively first.
pub(crate) fn proved(g: verinfer_ir::Graph, trace: Vec<Vec<i32>>, tag: u8) -> (Vk, Proof, Public) {
    let model = Model::new(g).unwrap();
    let b = Sumcheck::default();
    let (pk, vk) = ProofBackend::setup(&b, &model, DIGEST, &mut os_rng()).unwrap();
    let (proof, public) =
        ProofBackend::prove(&b, &pk, &model, DIGEST, &ctx(tag), trace, &mut os_rng()).unwrap();
    ProofBackend::verify(&b, &vk, &public, &proof).unwrap();
    (vk, proof, public)
}

fn ctx(tag: u8) -> Context {
    Context {
        model_id: B256::repeat_byte(9),
        chain_id: U256::from(31337u64),
        contract: Address::repeat_byte(1),
        tag: U256::from(tag),
        answerer: Address::repeat_byte(2),
    }
}

/// `w + 1` (wrapping): a tamper that keeps every other word.
fn bump(w: &mut [u8; 32]) {
    for b in w.iter_mut().rev() {
        let (v, carry) = b.overflowing_add(1);
        *b = v;
        if !carry {
            break;
        }
    }
}

/// The Solidity verifier's `SumcheckRejected` code for each rejection of the Rust verifier.
fn rust_code(e: &GkrError) -> u64 {
    match e {
        GkrError::Sumcheck(SumcheckError::Rejected)
        | GkrError::Matmul(MatmulError::Sumcheck(SumcheckError::Rejected))
        | GkrError::Logup(LogupError::Sumcheck(SumcheckError::Rejected))
        | GkrError::Pcs(PcsError::Rejected("the batching sumcheck")) => 10,
        GkrError::Pcs(PcsError::Rejected("the constant differs from the commitment")) => 20,
        GkrError::Pcs(PcsError::DegenerateChallenge) => 21,
        GkrError::Pcs(PcsError::Rejected("a fold is inconsistent with the next")) => 22,
        GkrError::Pcs(PcsError::Rejected("the KZG openings do not verify")) => 23,
        GkrError::Pcs(PcsError::Rejected("an eq value differs from eq(p, ρ)")) => 31,
        GkrError::Logup(LogupError::Rejected("the eq value differs from eq(z, ρ)")) => 40,
        GkrError::Logup(LogupError::Rejected("the table value differs from T̃(ρ)")) => 41,
        GkrError::Length { .. } => 60,
        GkrError::OutOfBound { .. } => 61,
        GkrError::Rejected("a public tensor's value at a reduced point") => 62,
        GkrError::Rejected("a clip's eq value") => 63,
        GkrError::Rejected("the stacked range columns' value") => 64,
        GkrError::Rejected("a move's wiring value") => 67,
        GkrError::Rejected("a max's broadcast wiring value") => 68,
        GkrError::Rejected("a max's eq value") => 69,
        GkrError::Rejected("a max's row table value") => 70,
        GkrError::Rejected("an add or sub's relation") => 80,
        GkrError::Rejected("a product's eq value") => 81,
        GkrError::Rejected("a product's constant operand") => 82,
        GkrError::Rejected("a sum's row table value") => 83,
        GkrError::Rejected("a product's batch eq value") => 84,
        GkrError::Rejected("a division's broadcast divisor") => 85,
        GkrError::Rejected("a division's eq value") => 86,
        GkrError::Rejected("a lookup's eq value") => 87,
        GkrError::Rejected("a lookup's mask value") => 88,
        GkrError::Rejected("a lookup's index column value") => 89,
        other => panic!("no Solidity code for {other}"),
    }
}

fn decode_code(e: &EvmDecodeError) -> u64 {
    match e {
        EvmDecodeError::NonCanonical { .. } => 1,
        EvmDecodeError::NotOnCurve { .. } => 3,
        EvmDecodeError::Length { .. } => 60,
        other => panic!("no Solidity code for {other}"),
    }
}

struct Fixture {
    spec: gkr::ChainSpec,
    commitments: Vec<verinfer_sumcheck::pcs::Commitment>,
    vk: verinfer_sumcheck::backend::keys::VerifyingKey,
    statement: [u8; 32],
    proof: onchain::Proof,
}

impl Fixture {
    /// `g`'s keys and honest proof of `trace` (context tag 5); `label` names the model.
    fn proved(label: &str, g: verinfer_ir::Graph, trace: Vec<Vec<i32>>) -> Self {
        let (vk, proof, public) = proved(g, trace, 5);
        let ModelKey::Chain { spec, commitments } = vk.model.clone() else {
            panic!("{label} is a layered model");
        };
        Fixture {
            spec,
            commitments,
            statement: public.digest().unwrap().0,
            vk,
            proof,
        }
    }

    /// The same proof of `statement` before a verifier for other weights: weight
    /// commitment `c` doubled.
    fn with_doubled_commitment(&self, c: usize, statement: [u8; 32]) -> Self {
        let mut vk = self.vk.clone();
        let ModelKey::Chain { commitments, .. } = &mut vk.model else {
            unreachable!()
        };
        let p = commitments[c].0;
        commitments[c] = verinfer_sumcheck::pcs::Commitment(ark_ec::CurveGroup::into_affine(p + p));
        Fixture {
            commitments: commitments.clone(),
            spec: self.spec.clone(),
            vk,
            statement,
            proof: self.proof.clone(),
        }
    }

    /// The Rust verdict: 0 accepted, else the Solidity code of the rejection.
    fn rust(&self, statement: Option<&[u8; 32]>, x: &[i32], y: &[i32], words: &[[u8; 32]]) -> u64 {
        let p = match gkr::words::model_from_words(&self.spec, words) {
            Ok(p) => p,
            Err(e) => return decode_code(&e),
        };
        gkr::verify_model(
            &self.vk.srs,
            statement,
            &self.spec,
            &self.commitments,
            x,
            y,
            &p,
        )
        .map_or_else(|e| rust_code(&e), |()| 0)
    }
}

fn sol(evm: &mut Evm, at: Address, st: &[u8; 32], x: &[i32], y: &[i32], w: &[[u8; 32]]) -> u64 {
    verdict_code(evm.view(
        at,
        &ModelVerifier::verifyBoundCall {
            statement: B256::from(*st),
            x: packed(x),
            y: packed(y),
            proof: us(w),
        },
    ))
}

/// Deploy a plan's chunks, then the model verifier over them: the verifier, the chunks and
/// the receipt of the verifier's creation (its gas).
fn deploy_model(evm: &mut Evm, plan: &[U256]) -> (Address, Vec<Address>, u64) {
    let chunks: Vec<Address> = onchain::plan_chunk_init_codes(plan)
        .into_iter()
        .map(|c| evm.deploy(c, "plan chunk").0)
        .collect();
    let (at, gas) = deploy_over(evm, plan, &chunks).unwrap();
    (at, chunks, gas)
}

/// The model verifier for `plan` over the data contracts `chunks`.
fn deploy_over(
    evm: &mut Evm,
    plan: &[U256],
    chunks: &[Address],
) -> Result<(Address, u64), verinfer_chain::ChainError> {
    let mut tx = Tx::deploy(
        evm.from,
        onchain::model_init_code_for(plan, chunks),
        "ModelVerifier",
    );
    tx.gas_limit = Some(TX_GAS_CAP);
    let r = evm.chain.send(tx)?;
    Ok((r.contract_address.unwrap(), r.gas_used))
}

/// The bundled MNIST CNN (compiled with its calibration data) and its trace on the bundled
/// digit: two convolutions (im2col move → product → transposing move), ReLUs, two max-pools
/// (window move → `ReduceMax`), a flatten and two `Gemm`s.
fn mnist_cnn() -> (verinfer_ir::Graph, Vec<Vec<i32>>) {
    let (g, x) = verinfer_testing::models::bundled("mnist_cnn");
    let trace = verinfer_ir::reference::run(&g, &x).unwrap();
    (g, trace)
}

/// The gas limit of a CNN call: the chain's `2^24` cap (EIP-7825), the default of every
/// other call here — with its moves over expanded layouts the CNN's `verifyBound` fits it.
const CNN_GAS: u64 = TX_GAS_CAP;

/// The verdict of the verifier of `plan` on a bare revm (the plan's chunks and the verifier
/// deployed fresh), the call given `gas`: 0 accepted, 1 answered false, else the
/// `SumcheckRejected` code (`u64::MAX` for another revert or a halt).
fn verdict(gas: u64, plan: &[U256], st: &[u8; 32], x: &[i32], y: &[i32], w: &[[u8; 32]]) -> u64 {
    let call = ModelVerifier::verifyBoundCall {
        statement: B256::from(*st),
        x: packed(x),
        y: packed(y),
        proof: us(w),
    };
    match profile::try_profile_with_gas(
        onchain::plan_chunk_init_codes(plan),
        |cs| onchain::model_init_code_for(plan, cs),
        call.abi_encode(),
        gas,
    ) {
        Ok(p) => u64::from(p.output.last() != Some(&1)),
        Err(Some(data)) => revert_code(&data).unwrap_or(u64::MAX),
        Err(None) => u64::MAX,
    }
}

/// The CNN on the EVM: six of its seven moves take closed forms over the expanded layouts
/// (`gkr::layout`), so its plan (the flatten's map, 2 bytes an entry, and the forms) fits one
/// data contract bound by the plan's hash; the honest proof's `verifyBound` runs to the end
/// (a `true`) under the chain's `2^24` gas cap and its gas is profiled per part. Tampers, each
/// rejected by the Rust verifier and on revm with the same code: a proof word (first, middle,
/// last), a public input or output element, a weight commitment (a verifier deployed for
/// other weights); a plan chunk with one word changed is refused at deployment (`BadPlan`).
#[test]
#[allow(clippy::print_stdout, clippy::too_many_lines)]
fn the_mnist_cnn_verifies_on_the_evm_under_the_gas_cap() {
    let (g, trace) = mnist_cnn();
    let f = Fixture::proved("the CNN", g, trace);
    let plan = onchain::model_plan_words(&f.vk).unwrap();
    let chunks = onchain::plan_chunk_init_codes(&plan);
    println!(
        "MNIST CNN: plan {} words in {} chunks; proof {} words",
        plan.len(),
        chunks.len(),
        f.proof.words.len()
    );
    let formed: Vec<usize> = (0..f.spec.maps.len())
        .filter(|&m| f.spec.form(m).is_some())
        .collect();
    println!(
        "MNIST CNN: {} maps, closed forms for {formed:?}",
        f.spec.maps.len(),
    );
    // The two im2cols, the two transposes and the two pooling windows take closed forms
    // over the expanded layouts; only the flatten is walked.
    assert_eq!(formed.len(), 6, "{formed:?}");
    assert_eq!(f.spec.maps.len(), 7);
    tampers_rejected_alike("MNIST CNN", &f, (&plan, chunks), CNN_GAS, 2);
}

/// A big model's verifier (`plan`, its `chunks`' creation codes) on a bare revm, each call
/// given `gas`: the honest proof of `f` verifies (a `true`, profiled per part); tampers, each
/// rejected by the Rust verifier and on revm with the same code: a proof word (`spread` of
/// them evenly from the first, and the last), a public input or output element, a weight commitment (a verifier deployed for
/// other weights); a plan chunk changed, reordered, left out or repeated is refused at
/// deployment (`BadPlan`).
#[allow(clippy::print_stdout)]
fn tampers_rejected_alike(
    label: &str,
    f: &Fixture,
    (plan, chunks): (&[U256], Vec<Vec<u8>>),
    gas: u64,
    spread: usize,
) {
    let st = f.statement;
    let (x, y, words) = (&f.proof.x, &f.proof.y, &f.proof.words);
    let call = |words: &[[u8; 32]]| ModelVerifier::verifyBoundCall {
        statement: B256::from(st),
        x: packed(x),
        y: packed(y),
        proof: us(words),
    };
    let p = profile::profile_with_gas(
        chunks,
        |cs| onchain::model_init_code_for(plan, cs),
        call(words).abi_encode(),
        gas,
    );
    profile::print(&format!("{label} verifyBound"), &p);
    write_pcs(&p);
    // The honest proof verified: `true` came back.
    assert_eq!(p.output.last(), Some(&1u8), "{:?}", p.output);
    assert_eq!(f.rust(Some(&st), x, y, words), 0);
    assert_eq!(verdict(gas, plan, &st, x, y, words), 0);

    // A proof word changed.
    let n = words.len();
    for i in (0..spread).map(|k| k * n / spread).chain([n - 1]) {
        let mut bad = words.clone();
        bump(&mut bad[i]);
        let rust = f.rust(Some(&st), x, y, &bad);
        assert_ne!(rust, 0, "Rust accepts word {i} tampered");
        assert_eq!(rust, verdict(gas, plan, &st, x, y, &bad), "word {i}");
        println!("{label}: proof word {i} changed: SumcheckRejected({rust})");
    }
    // One element of the public output or input changed.
    let (nx, ny) = (x.len(), y.len());
    for (i, j, dx, dy) in [(0, 3 % ny, 0, 1), (0, ny - 1, 0, -1), (nx / 2, 0, 1, 0)] {
        let (mut x2, mut y2) = (x.clone(), y.clone());
        x2[i] += dx;
        y2[j] += dy;
        let rust = f.rust(Some(&st), &x2, &y2, words);
        assert_ne!(rust, 0, "{i}/{j}");
        assert_eq!(rust, verdict(gas, plan, &st, &x2, &y2, words), "{i}/{j}");
        println!("{label}: input {i} +{dx}, output {j} +{dy}: SumcheckRejected({rust})");
    }
    // A verifier deployed for other weights (each commitment in turn doubled): the honest
    // proof fails on both sides.
    for c in [0, f.commitments.len() - 1] {
        let g2 = f.with_doubled_commitment(c, st);
        let rust = g2.rust(Some(&st), x, y, words);
        assert_ne!(rust, 0);
        let plan2 = onchain::model_plan_words(&g2.vk).unwrap();
        assert_eq!(
            rust,
            verdict(gas, &plan2, &st, x, y, words),
            "commitment {c}"
        );
        println!("{label}: weight commitment {c} changed: SumcheckRejected({rust})");
    }
    // A plan chunk changed, reordered, left out or repeated: refused at deployment (the
    // deployment fits the chain's cap).
    let mut evm = Evm::new();
    let (_, chunk_at, _) = deploy_model(&mut evm, plan);
    plan_chunks_are_bound(&mut evm, plan, &chunk_at);
}

#[test]
fn digits_mlp_layered_proof_verifies_on_chain_and_every_tamper_is_rejected_alike() {
    let (g, trace) = digits_mlp();
    every_tamper_alike("digits MLP", g, trace, 0);
}

/// Moves (a max-pool's 2×2 windows, a flatten as the public output) and a `ReduceMax` on
/// chain: the same checks as the digits MLP's.
#[test]
fn a_pooling_model_with_moves_and_reduce_max_verifies_on_chain_and_tampers_are_rejected_alike() {
    let (g, trace) = pooled::pooled_mlp();
    // The flatten has a closed form (the verifiers evaluate it instead of walking the map);
    // the windows `[16, 4]` of the 8×8 image (`[1, 64]`) do not (16 windows are one axis).
    let spec = gkr::ChainSpec::recognise(&g).unwrap();
    assert_eq!(spec.maps.len(), 2);
    assert!(
        spec.form(0).is_none() && spec.form(1).is_some(),
        "{:?}",
        spec.forms
    );
    // The forms are in the spec's bytes (as the views they were fitted over) and decode to
    // the same forms; a view changed (the flatten's input read as `[8, 2]`) is not the map's.
    let bytes = spec.to_bytes();
    assert_eq!(gkr::ChainSpec::from_bytes(&bytes).unwrap(), spec);
    let mut bad = bytes[..bytes.len() - 16].to_vec();
    for v in [2u64, 8, 2] {
        bad.extend(v.to_le_bytes());
    }
    assert!(
        matches!(
            gkr::ChainSpec::from_bytes(&bad),
            Err(GkrError::Malformed("spec: a form that is not its map's"))
        ),
        "{:?}",
        gkr::ChainSpec::from_bytes(&bad)
    );
    every_tamper_alike("pooled model", g, trace, 0);
}

/// Two-operand layers, a `Rescale` and a last-axis sum on chain (`ModelArith`): a layer norm's
/// shape on a `3 × 6` input (neither axis a power of two) — `Sub`/`Mul` with a `[.., 1]`
/// activation, `Mul`/`Add` with a committed `[C]` parameter, `Add`/`Mul` with a public scalar,
/// `Sub` of two full activations as the public output, then (second model) a `Rescale` as the
/// public output. The same checks as the digits MLP's, every proof word tampered.
#[test]
fn two_operand_layers_rescales_and_sums_verify_on_chain_and_tampers_are_rejected_alike() {
    for rescale in [false, true] {
        let g = verinfer_testing::graph::norm_like(3, 6, rescale);
        let x = verinfer_testing::random_inputs(&g, 4);
        let trace = verinfer_ir::reference::run(&g, &x).unwrap();
        every_tamper_alike(&format!("norm-like (rescale {rescale})"), g, trace, 0);
    }
}

/// The gas a call of the transformer block's verifier is given: the chain's `2^24` cap
/// (EIP-7825), which its `verifyBound` fits since memory is freed between the layers
/// (docs/sumcheck.md, "Gas profile").
pub(crate) const BLOCK_GAS: u64 = TX_GAS_CAP;

/// The bundled transformer block on chain: layer norms (sums, broadcast subs and products,
/// parameters), attention (products of two activations per head, a softmax's exponent as a
/// `Lookup` and its normalisation as a `Div`), the MLP and the residual adds. The honest
/// proof verifies (profiled per part); 24 proof words spread over the proof and the last,
/// public values, weight commitments and plan chunks tampered, each rejected alike.
#[test]
#[allow(clippy::print_stdout)]
fn the_transformer_block_verifies_on_chain_and_tampers_are_rejected_alike() {
    let (g, x) = verinfer_testing::models::bundled("transformer_block");
    let trace = verinfer_ir::reference::run(&g, &x).unwrap();
    let f = Fixture::proved("the transformer block", g, trace);
    let plan = onchain::model_plan_words(&f.vk).unwrap();
    let chunks = onchain::plan_chunk_init_codes(&plan);
    let (k, n) = gkr::columns::claim_shape(&f.spec);
    println!(
        "transformer block: {} layers, plan {} words in {} chunks; proof {} words; {k} claims \
         in the batch over {n} variables",
        f.spec.layers.len(),
        plan.len(),
        chunks.len(),
        f.proof.words.len()
    );
    tampers_rejected_alike("transformer block", &f, (&plan, chunks), BLOCK_GAS, 24);
}

/// The honest proof of `g` verifies natively and on chain; every tamper is judged alike.
/// `spread`: 0 tampers every proof word, else about `spread` words spread over the proof
/// (and the last).
#[allow(clippy::too_many_lines, clippy::print_stdout)]
fn every_tamper_alike(label: &str, g: verinfer_ir::Graph, trace: Vec<Vec<i32>>, spread: usize) {
    let f = Fixture::proved(label, g, trace);
    let (x, y, words) = (&f.proof.x, &f.proof.y, &f.proof.words);
    assert_eq!(words.len(), layered::proof_words(&f.spec));

    let mut evm = Evm::new();
    let plan = onchain::model_plan_words(&f.vk).unwrap();
    let plan_words = plan.len();
    let (at, chunks, deploy_gas) = deploy_model(&mut evm, &plan);
    let size = evm.chain.code_at(at).unwrap().len();
    let chunk_sizes: Vec<usize> = chunks
        .iter()
        .map(|c| evm.chain.code_at(*c).unwrap().len())
        .collect();
    assert!(
        size < 24_576 && chunk_sizes.iter().all(|&s| s < 24_576),
        "{size}, {chunk_sizes:?}"
    );
    assert_eq!(
        evm.view(at, &ModelVerifier::planHashCall {}).unwrap(),
        onchain::plan_hash(&plan)
    );
    assert_eq!(evm.view(at, &ModelVerifier::loadPlanCall {}).unwrap(), plan);
    plan_chunks_are_bound(&mut evm, &plan, &chunks);

    let st = f.statement;
    assert_eq!(f.rust(Some(&st), x, y, words), 0);
    let call = ModelVerifier::verifyBoundCall {
        statement: B256::from(st),
        x: packed(x),
        y: packed(y),
        proof: us(words),
    };
    let honest = evm.view(at, &call);
    assert!(matches!(honest, Ok(true)), "the honest proof: {honest:?}");
    let gas = evm.gas(at, &call);
    let calldata = call.abi_encode().len();
    let (k, n) = gkr::columns::claim_shape(&f.spec);
    let groups = gkr::columns::groups(&f.spec);
    println!(
        "{label}: {} layers {:?}, {} range groups (widths {:?}), {k} claims in the batch over \
         {n} variables",
        f.spec.layers.len(),
        f.spec.layers.iter().map(|l| l.kind).collect::<Vec<_>>(),
        groups.len(),
        groups.keys().collect::<Vec<_>>()
    );
    println!(
        "{label} layered proof: {} words, {calldata} calldata bytes; verifyBound {gas} gas; \
         ModelVerifier deploy {deploy_gas} gas, {size} bytes; plan {plan_words} words in {} \
         chunks ({chunk_sizes:?} bytes)",
        words.len(),
        chunks.len()
    );
    assert!(gas < TX_GAS_CAP, "{gas}");
    // The oracle's entry: the `IProofVerifier` adapter over this verifier.
    let (adapter, _) = evm.deploy(onchain::adapter_init_code(&f.vk, at), "adapter");
    let via = IProofVerifier::verifyCall {
        proof: f.proof.to_bytes().into(),
        statement: B256::from(st),
    };
    assert!(evm.view(adapter, &via).unwrap(), "the adapter");
    println!(
        "{label}: the adapter's verify {} gas",
        evm.gas(adapter, &via)
    );
    let mut bad = f.proof.clone();
    bump(&mut bad.words[0]);
    assert!(!evm
        .view(
            adapter,
            &IProofVerifier::verifyCall {
                proof: bad.to_bytes().into(),
                ..via.clone()
            }
        )
        .unwrap());

    // Every word tampered: Rust (decoding the words as the chain reads them, then verifying)
    // and Solidity reject it for the same reason.
    let step = words.len().checked_div(spread).map_or(1, |q| q + 1);
    for i in (0..words.len()).step_by(step).chain([words.len() - 1]) {
        let mut bad = words.clone();
        bump(&mut bad[i]);
        let rust = f.rust(Some(&st), x, y, &bad);
        assert_ne!(rust, 0, "Rust accepts word {i} tampered");
        assert_eq!(rust, sol(&mut evm, at, &st, x, y, &bad), "word {i}");
    }
    // Truncated and extended proofs.
    for w in [
        &words[..words.len() - 1],
        &[&words[..], &[[0u8; 32]]].concat()[..],
    ] {
        assert_eq!(f.rust(Some(&st), x, y, w), 60);
        assert_eq!(sol(&mut evm, at, &st, x, y, w), 60);
    }
    // Another statement (another context or output), and the unbound entry.
    let mut other = st;
    bump(&mut other);
    assert_ne!(f.rust(Some(&other), x, y, words), 0);
    assert_eq!(
        f.rust(Some(&other), x, y, words),
        sol(&mut evm, at, &other, x, y, words)
    );
    assert_ne!(f.rust(None, x, y, words), 0);
    let unbound = verdict_code(evm.view(
        at,
        &ModelVerifier::verifyCall {
            x: packed(x),
            y: packed(y),
            proof: us(words),
        },
    ));
    assert_eq!(f.rust(None, x, y, words), unbound);
    // One element of the public input or output changed; an output outside its bound.
    for (i, j, dx, dy) in [(0, 0, 1, 0), (17, 0, -1, 0), (0, 3, 0, 1), (0, 9, 0, -1)] {
        let (mut x2, mut y2) = (x.clone(), y.clone());
        x2[i] += dx;
        y2[j] += dy;
        let rust = f.rust(Some(&st), &x2, &y2, words);
        assert_ne!(rust, 0, "{i}/{j}");
        assert_eq!(rust, sol(&mut evm, at, &st, &x2, &y2, words), "{i}/{j}");
    }
    let mut y2 = y.clone();
    y2[0] = 1 << 30;
    assert_eq!(f.rust(Some(&st), x, &y2, words), 61);
    assert_eq!(sol(&mut evm, at, &st, x, &y2, words), 61);
    // A verifier deployed for other weights (the first commitment doubled): the honest proof
    // fails the batched opening on both sides.
    let g2 = f.with_doubled_commitment(0, st);
    let (at2, _, _) = deploy_model(&mut evm, &onchain::model_plan_words(&g2.vk).unwrap());
    let rust = g2.rust(Some(&st), x, y, words);
    assert_ne!(rust, 0);
    assert_eq!(rust, sol(&mut evm, at2, &st, x, y, words));
}

/// `g` set up and proven on `trace` through the dynamic seam (context tag `tag`): the
/// backend, the keys and the proof that the adapter tests deploy and verify.
fn set_up_and_prove(
    g: verinfer_ir::Graph,
    trace: Vec<Vec<i32>>,
    tag: u8,
) -> (Sumcheck, verinfer_prove::KeyPair, verinfer_prove::Proved) {
    let model = Model::new(g).unwrap();
    let b = Sumcheck::default();
    let keys = DynBackend::setup(&b, &model, DIGEST, &mut os_rng()).unwrap();
    let proved = DynBackend::prove(
        &b,
        &keys.proving,
        &model,
        DIGEST,
        &ctx(tag),
        trace,
        &mut os_rng(),
    )
    .unwrap();
    (b, keys, proved)
}

#[test]
fn the_backend_deploys_the_adapter_over_the_model_verifier() {
    let (g, trace) = digits_mlp();
    let (b, keys, proved) = set_up_and_prove(g, trace, 6);
    let statement = proved.public.digest().unwrap();
    let calldata = DynBackend::proof_calldata(&b, &proved.proof).unwrap();
    let mut chain = RevmChain::new().unwrap();
    let owner = chain.accounts()[0];
    let mut deployer = ChainDeployer::new(&mut chain, owner);
    let adapter = DynBackend::deploy_adapter(&b, &keys.verifying, &mut deployer).unwrap();
    let labels: Vec<(String, u64)> = deployer
        .receipts
        .iter()
        .map(|r| (r.label.clone(), r.gas_used))
        .collect();
    println!("deployed: {labels:?}");
    assert!(labels[0].0.contains("ModelPlanChunk"), "{labels:?}");
    assert!(labels[1].0.contains("ModelVerifier"), "{labels:?}");
    let call = |chain: &mut RevmChain, proof: Vec<u8>, statement: B256| {
        verinfer_chain::view(
            chain,
            owner,
            adapter,
            &IProofVerifier::verifyCall {
                proof: proof.into(),
                statement,
            },
            "verify",
        )
    };
    assert!(call(&mut chain, calldata.clone(), statement).unwrap());
    let mut tx = Tx::call(
        owner,
        adapter,
        IProofVerifier::verifyCall {
            proof: calldata.clone().into(),
            statement,
        }
        .abi_encode(),
        "gas",
    );
    tx.gas_limit = Some(TX_GAS_CAP);
    println!("adapter verify: {} gas", chain.send(tx).unwrap().gas_used);
    // Another statement, a tampered proof word: false.
    let mut other = statement.0;
    other[31] ^= 1;
    assert!(!call(&mut chain, calldata.clone(), B256::from(other)).unwrap());
    let mut bad = calldata.clone();
    let n = bad.len();
    bad[n - 40] ^= 1;
    assert!(!call(&mut chain, bad, statement).unwrap());
    // The exported source carries the plan's deployer and the model verifier over its
    // chunks (compiled and deployed in `evm_export`).
    let src = DynBackend::solidity_verifier(&b, &keys.verifying).unwrap();
    assert!(
        src.contains("contract VerifierPlan0")
            && src.contains("new ModelVerifier(verifierChunks(p0), 0x"),
        "{src}"
    );
}

/// The two gas figures of the CNN, on one proof: `verinfer bench-zk`'s (the oracle's call,
/// `IProofVerifier.verify` on the adapter the backend deploys) and `ModelVerifier.verifyBound`
/// on the same `x`, `y` and words (this file's other tests). The adapter's own work —
/// ABI-decoding the proof into memory, packing `x` and `y` into the statement's classes,
/// `sha256`, the nested call with the proof encoded again — is the difference
/// (docs/sumcheck.md, "The MNIST CNN on chain").
#[test]
#[allow(clippy::print_stdout)]
fn the_mnist_cnn_adapter_and_verify_bound_gas_on_one_proof() {
    let (g, trace) = mnist_cnn();
    let (b, keys, proved) = set_up_and_prove(g, trace, 8);
    let statement = B256::from(proved.public.digest().unwrap().0);
    let calldata = DynBackend::proof_calldata(&b, &proved.proof).unwrap();
    let mut evm = Evm::new();
    let adapter = {
        let mut deployer = ChainDeployer::new(&mut evm.chain, evm.from);
        DynBackend::deploy_adapter(&b, &keys.verifying, &mut deployer).unwrap()
    };
    let verify = IProofVerifier::verifyCall {
        proof: calldata.clone().into(),
        statement,
    };
    assert!(evm.view(adapter, &verify).unwrap());
    let adapter_gas = evm.gas(adapter, &verify);
    // The same proof's words, input and output, straight to the model verifier.
    let (_, x, y, words) = <(
        B256,
        alloy_primitives::Bytes,
        alloy_primitives::Bytes,
        Vec<U256>,
    ) as alloy_sol_types::SolValue>::abi_decode_params(&calldata)
    .unwrap();
    let node = evm.view(adapter, &IProofVerifier::nodeCall {}).unwrap();
    let bound = ModelVerifier::verifyBoundCall {
        statement,
        x,
        y,
        proof: words,
    };
    assert!(evm.view(node, &bound).unwrap());
    let bound_gas = evm.gas(node, &bound);
    println!(
        "MNIST CNN, one proof ({} calldata bytes): adapter verify {adapter_gas} gas, \
         ModelVerifier.verifyBound {bound_gas} gas (the adapter adds {})",
        calldata.len(),
        adapter_gas - bound_gas
    );
    assert!(adapter_gas > bound_gas);
}

/// A second size for the gas figures: `verinfer_testing::proof::small_mlp` (8 → 6 → 4 → 3,
/// 16-bit hidden tensors), verified on chain and natively.
#[test]
fn a_smaller_mlp_verifies_on_chain() {
    let (g, trace) = verinfer_testing::proof::small_mlp();
    let (vk, proof, public) = proved(g, trace, 7);
    let ModelKey::Chain { spec, .. } = &vk.model else {
        panic!("the small MLP is a layered model");
    };
    let st = B256::from(public.digest().unwrap().0);
    let mut evm = Evm::new();
    let (at, _, _) = deploy_model(&mut evm, &onchain::model_plan_words(&vk).unwrap());
    let call = ModelVerifier::verifyBoundCall {
        statement: st,
        x: packed(&proof.x),
        y: packed(&proof.y),
        proof: us(&proof.words),
    };
    assert!(evm.view(at, &call).unwrap());
    let gas = evm.gas(at, &call);
    let (k, n) = gkr::columns::claim_shape(spec);
    let groups = gkr::columns::groups(spec);
    println!(
        "small MLP: {} layers, range widths {:?}, {k} claims over {n} variables, {} words: \
         verifyBound {gas} gas",
        spec.layers.len(),
        groups.keys().collect::<Vec<_>>(),
        proof.words.len()
    );
    let mut bad = proof.words.clone();
    bump(&mut bad[7]);
    assert!(evm
        .view(
            at,
            &ModelVerifier::verifyBoundCall {
                proof: us(&bad),
                ..call
            }
        )
        .is_err());
}

/// Where the digits MLP's verification gas goes (docs/sumcheck.md, "Gas profile"): per
/// opcode, per precompile, memory expansion. With `GAS_PROFILE_PCS=FILE` it also writes the
/// gas per call depth and program counter (`ModelVerifier` at depth 0, `ModelLayerVerifier`
/// at 1; for a source map).
#[test]
fn digits_mlp_gas_profile() {
    let (g, trace) = digits_mlp();
    gas_profile("digits MLP", g, trace);
}

/// [`digits_mlp_gas_profile`] for the MNIST CNN and the transformer block (with
/// `GAS_PROFILE_PCS`, the block's profile is the file's).
#[test]
fn cnn_and_block_gas_profiles() {
    let (g, trace) = mnist_cnn();
    gas_profile("MNIST CNN", g, trace);
    let (g, x) = verinfer_testing::models::bundled("transformer_block");
    let trace = verinfer_ir::reference::run(&g, &x).unwrap();
    gas_profile("transformer block", g, trace);
}

fn gas_profile(label: &str, g: verinfer_ir::Graph, trace: Vec<Vec<i32>>) {
    let (vk, proof, public) = proved(g, trace, 5);
    let call = ModelVerifier::verifyBoundCall {
        statement: B256::from(public.digest().unwrap().0),
        x: packed(&proof.x),
        y: packed(&proof.y),
        proof: us(&proof.words),
    };
    let plan = onchain::model_plan_words(&vk).unwrap();
    let p = profile::profile_with_gas(
        onchain::plan_chunk_init_codes(&plan),
        |chunks| onchain::model_init_code_for(&plan, chunks),
        call.abi_encode(),
        TX_GAS_CAP,
    );
    profile::print(&format!("{label} verifyBound"), &p);
    write_pcs(&p);
    assert!(p.tx_gas > 0 && p.executed < p.tx_gas);
}

/// With `GAS_PROFILE_PCS=FILE`, writes the gas per call depth and program counter (one
/// `depth pc gas` line each, for a source map).
fn write_pcs(p: &profile::Profile) {
    if let Ok(path) = std::env::var("GAS_PROFILE_PCS") {
        let lines: String = p
            .by_pc
            .iter()
            .map(|((d, pc), g)| format!("{d} {pc} {g}\n"))
            .collect();
        std::fs::write(path, lines).unwrap();
    }
}

/// A verifier is bound to its plan's chunks by the plan's hash: a chunk with one word changed
/// (deployed as another data contract), the chunks in another order, one left out or one
/// extra — each refused at deployment (`BadPlan`); so is a plan hash that is not the plan's.
fn plan_chunks_are_bound(evm: &mut Evm, plan: &[U256], chunks: &[Address]) {
    // `BadPlan(uint256)`'s selector, as the revert data shows it.
    let selector =
        alloy_primitives::hex::encode(&alloy_primitives::keccak256("BadPlan(uint256)")[..4]);
    let refused = |r: Result<(Address, u64), verinfer_chain::ChainError>, what: &str| match r {
        Err(e) => {
            let text = format!("{e} {e:?}");
            assert!(
                text.contains("BadPlan") || text.contains(&selector),
                "{what}: {text}"
            );
        }
        Ok(_) => panic!("{what}: accepted"),
    };
    for k in [0, plan.len() / 2, plan.len() - 1] {
        let mut changed = plan.to_vec();
        changed[k] += U256::from(1u8);
        let codes = onchain::plan_chunk_init_codes(&changed);
        let c = k / layered::CHUNK_WORDS;
        let mut swapped = chunks.to_vec();
        swapped[c] = evm.deploy(codes[c].clone(), "changed chunk").0;
        refused(
            deploy_over(evm, plan, &swapped),
            &format!("word {k} changed"),
        );
    }
    if chunks.len() > 1 {
        let mut order = chunks.to_vec();
        order.swap(0, 1);
        refused(deploy_over(evm, plan, &order), "chunks reordered");
    }
    refused(
        deploy_over(evm, plan, &chunks[..chunks.len() - 1]),
        "a chunk left out",
    );
    let extra = [chunks, &chunks[..1]].concat();
    refused(deploy_over(evm, plan, &extra), "a chunk repeated");
    // The honest chunks under another plan's hash.
    let mut other = plan.to_vec();
    other[1] += U256::from(1u8);
    let mut tx = Tx::deploy(
        evm.from,
        onchain::model_init_code_for(&other, chunks),
        "ModelVerifier",
    );
    tx.gas_limit = Some(TX_GAS_CAP);
    assert!(evm.chain.send(tx).is_err(), "another plan's hash accepted");
}
