//! What the EVM differential tests and the `evm_gas` example share: the in-process chain,
//! the Solidity bindings, word conversions and a random matrix-product `Contract` node.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use alloy_sol_types::{sol, SolCall, SolConstructor};
use ark_bn254::{Fr, G1Affine};
use ark_std::rand::{rngs::StdRng, Rng};
use verinfer_chain::{Address, Bytes, Chain, ChainError, RevmChain, Tx, U256};
use verinfer_ir::ops::{contract as reference, TensorRef};
use verinfer_ir::{AffineMap, AffineRow, Bits, Contract, Requant};
use verinfer_sumcheck::contract::{MatmulNode, WeightCommitments, Weights};
use verinfer_sumcheck::evm::{verifier_key_words, Word};
use verinfer_sumcheck::pcs::VerifierKey;
use verinfer_sumcheck::transcript::{fr_word, g1_words};

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
        let row = |out: [i64; 2], red: i64| AffineRow {
            out: out.to_vec(),
            red: vec![red],
            offset: 0,
        };
        let contract = Contract {
            out_iter: vec![m, n],
            red: vec![k],
            x_map: AffineMap {
                rows: vec![row([1, 0], 0), row([0, 0], 1)],
            },
            w_map: AffineMap {
                rows: vec![row([0, 0], 1), row([0, 1], 0)],
            },
            bias_map: bias_shift.map(|_| AffineMap {
                rows: vec![row([0, 1], 0)],
            }),
            bias_shift: bias_shift.unwrap_or(0),
            requant: Requant {
                mult,
                shift,
                bits: Bits::new(16).unwrap(),
            },
        };
        let x: Vec<i32> = (0..m * k).map(|_| rng.gen_range(-128..128)).collect();
        let w: Vec<i32> = (0..k * n).map(|_| rng.gen_range(-128..128)).collect();
        let bias: Option<Vec<i32>> =
            bias_shift.map(|_| (0..n).map(|_| rng.gen_range(-128..128)).collect());
        let (xs, ws, bs) = ([m, k], [k, n], [n]);
        let mut ins = vec![
            TensorRef {
                shape: &xs,
                data: &x,
            },
            TensorRef {
                shape: &ws,
                data: &w,
            },
        ];
        if let Some(b) = &bias {
            ins.push(TensorRef {
                shape: &bs,
                data: b,
            });
        }
        let y = (0..m * n)
            .map(|j| reference::element(&contract, &ins, j).unwrap())
            .collect();
        let node = MatmulNode::from_contract(&contract).unwrap();
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
