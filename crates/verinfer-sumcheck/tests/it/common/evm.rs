//! What the EVM differential tests and the `evm_gas` example share: the in-process chain,
//! the Solidity bindings, word conversions and a random matrix-product `Contract` node.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use alloy_sol_types::{sol, SolCall, SolConstructor};
use ark_bn254::{Fr, G1Affine};
use ark_std::rand::{rngs::StdRng, Rng};
use verinfer_chain::{Address, Bytes, Chain, ChainError, RevmChain, Tx, U256};
use verinfer_ir::{Bits, Contract, Requant};
use verinfer_sumcheck::contract::{
    matmul_contract, reference_outputs, MatmulNode, WeightCommitments, Weights,
};
use verinfer_sumcheck::evm::{batch_words, verifier_key_words, Word};
use verinfer_sumcheck::pcs::{self, BatchOpeningProof, Claim, CommitKey, Commitment, VerifierKey};
use verinfer_sumcheck::transcript::{fr_word, g1_words};
use verinfer_sumcheck::{DenseMle, Transcript};

sol!(
    #[sol(all_derives)]
    SumcheckHarness,
    "../../contracts/artifacts/SumcheckHarness.json"
);

sol!(
    #[sol(all_derives)]
    ContractNodeVerifier,
    "../../contracts/artifacts/ContractNodeVerifier.json"
);

/// The per-transaction gas cap of the chain revm runs (EIP-7825: 2^24).
pub const TX_GAS_CAP: u64 = 1 << 24;

/// A fresh chain and its first account.
pub struct Evm {
    pub chain: RevmChain,
    pub from: Address,
}

impl Evm {
    pub fn new() -> Self {
        let chain = RevmChain::new().unwrap();
        let from = chain.accounts()[0];
        Self { chain, from }
    }

    /// Deploy creation code; returns the address and the deployed code's size.
    pub fn deploy(&mut self, code: Vec<u8>, label: &str) -> (Address, usize) {
        let mut tx = Tx::deploy(self.from, code, label);
        tx.gas_limit = Some(TX_GAS_CAP);
        let at = self.chain.send(tx).unwrap().contract_address.unwrap();
        let size = self.chain.code_at(at).unwrap().len();
        (at, size)
    }

    pub fn harness(&mut self) -> Address {
        self.deploy(SumcheckHarness::BYTECODE.to_vec(), "SumcheckHarness")
            .0
    }

    /// A view call: the decoded answer, or the revert.
    pub fn view<C: SolCall>(&mut self, to: Address, call: &C) -> Result<C::Return, ChainError> {
        verinfer_chain::view(&mut self.chain, self.from, to, call, "view")
    }

    /// The gas a transaction making `call` uses (21000 and calldata included).
    pub fn gas<C: SolCall>(&mut self, to: Address, call: &C) -> u64 {
        let mut tx = Tx::call(self.from, to, call.abi_encode(), "gas");
        tx.gas_limit = Some(TX_GAS_CAP);
        self.chain.send(tx).unwrap().gas_used
    }
}

pub fn u(w: &Word) -> U256 {
    U256::from_be_bytes(*w)
}

pub fn us(ws: &[Word]) -> Vec<U256> {
    ws.iter().map(u).collect()
}

pub fn fr_u(x: &Fr) -> U256 {
    u(&fr_word(x))
}

pub fn frs_u(xs: &[Fr]) -> Vec<U256> {
    xs.iter().map(fr_u).collect()
}

pub fn g1_u(p: &G1Affine) -> [U256; 2] {
    g1_words(p).map(|w| u(&w))
}

pub fn vk_u(vk: &VerifierKey) -> [U256; 8] {
    verifier_key_words(vk).map(|w| u(&w))
}

/// `values` as 4-byte big-endian integers (the verifier's `x`, `y`).
pub fn packed(values: &[i32]) -> Bytes {
    values
        .iter()
        .flat_map(|v| v.to_be_bytes())
        .collect::<Vec<u8>>()
        .into()
}

/// A random matrix-product node `Y = requant(X·W (+ bias·2^t))` with 8-bit operands and a
/// 16-bit output, `y` from verinfer-ir's reference semantics.
pub struct Case {
    pub contract: Contract,
    pub node: MatmulNode,
    pub x: Vec<i32>,
    pub w: Vec<i32>,
    pub bias: Option<Vec<i32>>,
    pub y: Vec<i32>,
}

impl Case {
    pub fn random(
        rng: &mut StdRng,
        (m, k, n): (usize, usize, usize),
        mult: i64,
        shift: u32,
        bias_shift: Option<u32>,
    ) -> Self {
        let contract = matmul_contract(
            (m, k, n),
            Requant {
                mult,
                shift,
                bits: Bits::new(16).unwrap(),
            },
            bias_shift,
        );
        let x: Vec<i32> = (0..m * k).map(|_| rng.gen_range(-128..128)).collect();
        let w: Vec<i32> = (0..k * n).map(|_| rng.gen_range(-128..128)).collect();
        let bias: Option<Vec<i32>> =
            bias_shift.map(|_| (0..n).map(|_| rng.gen_range(-128..128)).collect());
        let node = MatmulNode::from_contract(&contract).unwrap();
        let weights = Weights {
            w: &w,
            bias: bias.as_deref(),
        };
        let y = reference_outputs(&contract, &node, &x, weights).unwrap();
        Self {
            contract,
            node,
            x,
            w,
            bias,
            y,
        }
    }

    pub fn weights(&self) -> Weights<'_> {
        Weights {
            w: &self.w,
            bias: self.bias.as_deref(),
        }
    }
}

/// Deploy the node's verifier for `commitments` under `vk`; returns its address and size.
pub fn deploy_node(
    evm: &mut Evm,
    node: &MatmulNode,
    commitments: &WeightCommitments,
    vk: &VerifierKey,
) -> Result<(Address, usize), ChainError> {
    let (m, k, n) = node.dims();
    let rq = node.requant();
    let p = ContractNodeKey::Params {
        m: U256::from(m),
        k: U256::from(k),
        n: U256::from(n),
        mult: alloy_sol_types::private::primitives::I256::try_from(rq.mult).unwrap(),
        shift: U256::from(rq.shift),
        bits: U256::from(rq.bits.get()),
        biasShift: alloy_sol_types::private::primitives::I256::try_from(
            node.bias_shift().map_or(-1, i64::from),
        )
        .unwrap(),
        w: g1_u(&commitments.w.0),
        bias: commitments.bias.map_or([U256::ZERO; 2], |c| g1_u(&c.0)),
        vk: vk_u(vk),
    };
    let mut code = ContractNodeVerifier::BYTECODE.to_vec();
    code.extend(ContractNodeVerifier::constructorCall { p }.abi_encode());
    let mut tx = Tx::deploy(evm.from, code, "ContractNodeVerifier");
    tx.gas_limit = Some(TX_GAS_CAP);
    let at = evm.chain.send(tx)?.contract_address.unwrap();
    let size = evm.chain.code_at(at)?.len();
    Ok((at, size))
}

/// The on-chain verdict on a node proof: `Ok` iff it verifies.
pub fn node_verdict(
    evm: &mut Evm,
    at: Address,
    x: &[i32],
    y: &[i32],
    words: &[Word],
) -> Result<bool, ChainError> {
    evm.view(
        at,
        &ContractNodeVerifier::verifyCall {
            x: packed(x),
            y: packed(y),
            proof: us(words),
        },
    )
}

/// The gas of a transaction verifying a node proof.
pub fn node_gas(evm: &mut Evm, at: Address, x: &[i32], y: &[i32], words: &[Word]) -> u64 {
    evm.gas(
        at,
        &ContractNodeVerifier::verifyCall {
            x: packed(x),
            y: packed(y),
            proof: us(words),
        },
    )
}

/// A random word list of `n` 32-byte words.
pub fn random_words(rng: &mut StdRng, n: usize) -> Vec<Word> {
    (0..n).map(|_| rng.gen()).collect()
}

/// A random multilinear polynomial in `n` variables.
pub fn random_mle(rng: &mut StdRng, n: usize) -> DenseMle {
    use ark_ff::UniformRand;
    DenseMle::new((0..1 << n).map(|_| Fr::rand(rng)).collect()).unwrap()
}

/// The harness's batched-opening call: claims flat (`C.x, C.y, len, point, eval` each).
pub fn batch_call(
    label: &[u8],
    vk: &VerifierKey,
    claims: &[Claim<'_>],
    proof: &BatchOpeningProof,
) -> SumcheckHarness::batchCall {
    let mut flat = Vec::new();
    for c in claims {
        flat.extend(g1_u(&c.commitment.0));
        flat.push(U256::from(c.point.len()));
        flat.extend(frs_u(c.point));
        flat.push(fr_u(&c.eval));
    }
    let mut words = Vec::new();
    batch_words(proof, &mut words);
    SumcheckHarness::batchCall {
        label: label.to_vec().into(),
        vk: vk_u(vk),
        claims: flat,
        proof: us(&words),
    }
}

/// Random polynomials of the given numbers of variables, committed, each claimed at a random
/// point, and the batched opening of all the claims (transcript `label`).
pub struct RandomBatch {
    pub cs: Vec<Commitment>,
    pub points: Vec<Vec<Fr>>,
    pub evals: Vec<Fr>,
    pub proof: BatchOpeningProof,
}

impl RandomBatch {
    pub fn new(rng: &mut StdRng, ck: &CommitKey, sizes: &[usize], label: &[u8]) -> Self {
        use ark_ff::UniformRand;
        let polys: Vec<DenseMle> = sizes.iter().map(|&n| random_mle(rng, n)).collect();
        let cs: Vec<Commitment> = polys.iter().map(|f| pcs::commit(ck, f).unwrap()).collect();
        let points: Vec<Vec<Fr>> = sizes
            .iter()
            .map(|&n| (0..n).map(|_| Fr::rand(rng)).collect())
            .collect();
        let opened: Vec<_> = polys
            .iter()
            .zip(&cs)
            .zip(&points)
            .map(|((f, c), p)| (f, c, &p[..]))
            .collect();
        let (proof, evals) = pcs::open_batch(ck, &opened, &mut Transcript::new(label)).unwrap();
        Self {
            cs,
            points,
            evals,
            proof,
        }
    }

    /// The claims with the values `evals` (the true ones, or tampered).
    pub fn claims<'a>(&'a self, evals: &[Fr]) -> Vec<Claim<'a>> {
        self.cs
            .iter()
            .zip(&self.points)
            .zip(evals)
            .map(|((c, p), e)| Claim {
                commitment: c,
                point: p,
                eval: *e,
            })
            .collect()
    }
}

/// The code of a `SumcheckRejected(code)` revert (`None` for any other failure).
pub fn rejection_code(e: &ChainError) -> Option<u64> {
    let ChainError::Reverted { data, .. } = e else {
        return None;
    };
    revert_code(data)
}

/// The code of revert data `SumcheckRejected(code)` (`None` for any other revert).
pub fn revert_code(data: &[u8]) -> Option<u64> {
    let selector = &verinfer_sumcheck::transcript::keccak256(b"SumcheckRejected(uint256)")[..4];
    (data.len() == 36 && &data[..4] == selector)
        .then(|| U256::from_be_slice(&data[4..]).to::<u64>())
}

/// A verifier call's verdict as a code: 0 accepted, 1 answered false, else the
/// `SumcheckRejected` code (`u64::MAX` for any other failure).
pub fn verdict_code(r: Result<bool, ChainError>) -> u64 {
    match r {
        Ok(accepted) => u64::from(!accepted),
        Err(e) => rejection_code(&e).unwrap_or(u64::MAX),
    }
}
