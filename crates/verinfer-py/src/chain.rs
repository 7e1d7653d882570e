//! Chains from Python: `Chain` (the in-process EVM, or a node at a URL), and what runs on it —
//! deploying the Groth16 verifier and verifying a proof there (`verinfer verify --evm`), the
//! calldata of the exported verifier, and an optimistic claim watched by an honest node (what
//! `verinfer game simulate` plays).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};
use verinfer_chain::{
    dev_signers, parse_key, Address, Chain as ChainApi, Deployments, RevmChain, RpcChain, Tx, U256,
};
use verinfer_prove::ProofBackend;
use verinfer_zk::{evm, groth16, Bn254Values, Groth16};

use crate::error::{Error, ResultExt};
use crate::zk::{Keys, Proof, IN_MEMORY};

/// Where transactions go.
enum Backend {
    /// revm in this process: funded dev accounts, time moved by hand.
    Revm(RevmChain),
    /// A node at a URL.
    Rpc(RpcChain),
}

/// A chain and the contracts deployed on it through this object.
pub(crate) struct State {
    backend: Backend,
    /// The opML contracts (what `ensure_opml` records).
    deployments: Deployments,
    /// Generic verifiers: key encoding, address.
    verifiers: Vec<(Vec<u8>, Address)>,
}

impl State {
    pub(crate) fn chain(&mut self) -> &mut dyn ChainApi {
        self.parts().0
    }

    /// The chain and the opML deployments on it, borrowed together.
    pub(crate) fn parts(&mut self) -> (&mut dyn ChainApi, &mut Deployments) {
        let chain: &mut dyn ChainApi = match &mut self.backend {
            Backend::Revm(c) => c,
            Backend::Rpc(c) => c,
        };
        (chain, &mut self.deployments)
    }
}

/// An EVM chain: `Chain()` is an in-process EVM (revm; ten funded dev accounts, every
/// transaction mined at once, nothing to install); `Chain.connect(url)` is a node at a URL.
///
/// Contracts deployed through it (verifiers, the dispute game) are remembered and reused.
#[pyclass(module = "verinfer", frozen)]
pub struct Chain {
    state: Mutex<State>,
}

impl Chain {
    /// Runs `f` on the chain with the GIL released.
    pub(crate) fn with<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut State) -> Result<T, Error> + Send,
    ) -> PyResult<T> {
        py.detach(|| {
            let mut guard = self
                .state
                .lock()
                .map_err(|_| Error::Invalid("the chain is poisoned by an earlier panic".into()))?;
            f(&mut guard)
        })
        .map_err(PyErr::from)
    }

    /// `chain`, or a fresh in-process EVM kept in `slot` (the default of the chain calls).
    pub(crate) fn given_or_fresh<'a>(
        chain: Option<&'a Chain>,
        slot: &'a mut Option<Chain>,
    ) -> PyResult<&'a Chain> {
        match chain {
            Some(c) => Ok(c),
            None => Ok(slot.insert(Chain::new()?)),
        }
    }

    fn of(backend: Backend) -> Self {
        Self {
            state: Mutex::new(State {
                backend,
                deployments: Deployments::default(),
                verifiers: Vec::new(),
            }),
        }
    }
}

/// An address from Python, or an error naming the argument.
pub(crate) fn parse_address(what: &str, text: &str) -> Result<Address, Error> {
    text.parse()
        .map_err(|_| Error::Invalid(format!("{what} {text:?} is not an address")))
}

/// A sender as Python gave it: an account index or an address.
pub(crate) enum SenderArg {
    /// The chain's first account.
    Default,
    /// An index into the chain's accounts.
    Index(usize),
    /// An address.
    Address(Address),
}

impl SenderArg {
    /// Reads `sender` (an int index, an 0x address, or `None`).
    pub(crate) fn parse(sender: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let Some(s) = sender else {
            return Ok(Self::Default);
        };
        if let Ok(i) = s.extract::<usize>() {
            return Ok(Self::Index(i));
        }
        let text = s.str()?.to_string();
        text.parse()
            .map(Self::Address)
            .map_err(|_| Error::Invalid(format!("sender {text:?} is not an address")).into())
    }

    /// The address on `chain`.
    pub(crate) fn resolve(&self, chain: &dyn ChainApi) -> Result<Address, Error> {
        let accounts = chain.accounts();
        let pick = |i: usize| {
            accounts.get(i).copied().ok_or_else(|| {
                Error::Invalid(format!(
                    "account {i}: the chain has {} accounts to send from",
                    accounts.len()
                ))
            })
        };
        match self {
            Self::Default => pick(0),
            Self::Index(i) => pick(*i),
            Self::Address(a) => Ok(*a),
        }
    }
}

#[pymethods]
impl Chain {
    /// A fresh in-process EVM with the dev accounts funded.
    #[new]
    pub(crate) fn new() -> PyResult<Self> {
        Ok(Self::of(Backend::Revm(RevmChain::new().lib()?)))
    }

    /// A node at `url` (http/https), sending with `private_keys` (0x-hex; the first is the
    /// default sender) or, when none are given, with the well-known dev keys of anvil/hardhat.
    ///
    /// Raises `VerinferError` for a bad URL, a bad key or a node that does not answer.
    #[staticmethod]
    #[pyo3(signature = (url, private_keys=None))]
    fn connect(py: Python<'_>, url: String, private_keys: Option<Vec<String>>) -> PyResult<Self> {
        py.detach(|| {
            let signers = match private_keys {
                None => dev_signers().lib()?,
                Some(keys) => keys
                    .iter()
                    .map(|k| parse_key(k).lib())
                    .collect::<Result<_, _>>()?,
            };
            RpcChain::connect(&url, signers).lib()
        })
        .map(|c| Self::of(Backend::Rpc(c)))
        .map_err(PyErr::from)
    }

    /// An in-process EVM saved by `Chain.save` (or the CLI's `--chain-state`).
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        py.detach(|| RevmChain::load(&path).lib())
            .map(|c| Self::of(Backend::Revm(c)))
            .map_err(PyErr::from)
    }

    /// Saves the whole state of an in-process EVM (a node at a URL keeps its own).
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        self.with(py, |s| match &s.backend {
            Backend::Revm(c) => c.save(&path).lib(),
            Backend::Rpc(c) => Err(Error::Invalid(format!(
                "the chain at {} keeps its own state; only an in-process chain is saved",
                c.url()
            ))),
        })
    }

    /// Uses the contracts recorded in `path`, a deployments file as the CLI writes it
    /// (`--deployments`, default `.verinfer/deployments.json`): `claim`, `challenge`, `watch`
    /// and `Oracle` then find the game and oracle that `verinfer` deployed on this chain.
    ///
    /// Raises `VerinferError` for a missing or malformed file.
    fn use_deployments(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        self.with(py, |s| {
            s.deployments = Deployments::load(&path).lib()?;
            Ok(())
        })
    }

    /// Writes the contracts deployed through this `Chain` to `path` in the CLI's deployments
    /// format (`verinfer … --deployments path` then finds them).
    ///
    /// Raises `VerinferError` when the file cannot be written.
    fn save_deployments(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        self.with(py, |s| s.deployments.save(&path).lib())
    }

    /// The EIP-155 chain id.
    #[getter]
    fn chain_id(&self, py: Python<'_>) -> PyResult<u64> {
        self.with(py, |s| Ok(s.chain().chain_id()))
    }

    /// The accounts that can send (0x addresses); the first is the default sender.
    #[getter]
    fn accounts(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        self.with(py, |s| {
            Ok(s.chain().accounts().iter().map(|a| a.to_string()).collect())
        })
    }

    /// The balance of `address` in wei.
    fn balance(&self, py: Python<'_>, address: String) -> PyResult<u128> {
        let a = parse_address("address", &address)?;
        self.with(py, |s| {
            let b = s.chain().balance(a).lib()?;
            u128::try_from(b).map_err(|_| Error::Invalid(format!("balance {b} exceeds 2^128")))
        })
    }

    /// Moves the chain's clock forward by `seconds` (an in-process EVM, or a dev node that
    /// supports it).
    fn advance_time(&self, py: Python<'_>, seconds: u64) -> PyResult<()> {
        self.with(py, |s| s.chain().advance_time(seconds).lib())
    }

    /// Deploys `code` (creation code: bytecode and encoded constructor arguments, e.g. the
    /// compiled `Verifier.sol` of `export_verifier`) and returns the new contract's address.
    ///
    /// Raises `VerinferError` when the deployment reverts or creates no contract.
    #[pyo3(signature = (code, *, sender=None))]
    fn deploy(
        &self,
        py: Python<'_>,
        code: Vec<u8>,
        sender: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<String> {
        let sender = SenderArg::parse(sender)?;
        self.with(py, |s| {
            let from = sender.resolve(s.chain())?;
            let r = s.chain().send(Tx::deploy(from, code, "deploy")).lib()?;
            r.contract_address
                .map(|a| a.to_string())
                .ok_or_else(|| Error::Invalid("the deployment created no contract".into()))
        })
    }

    /// Calls `to` with `data` without a transaction (nothing is mined) and returns what it
    /// returned.
    ///
    /// Raises `VerinferError` with the revert reason when the call reverts.
    #[pyo3(signature = (to, data, *, sender=None))]
    fn call<'py>(
        &self,
        py: Python<'py>,
        to: String,
        data: Vec<u8>,
        sender: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let sender = SenderArg::parse(sender)?;
        let to = parse_address("to", &to)?;
        let out = self.with(py, |s| {
            let from = sender.resolve(s.chain())?;
            s.chain().call(from, to, data.into()).lib()
        })?;
        Ok(PyBytes::new(py, &out))
    }

    /// Sends a transaction to `to` with `data` (and `value` wei) and returns its receipt:
    /// `{"tx_hash", "gas_used", "block_number"}`.
    ///
    /// Raises `VerinferError` with the revert reason when it reverts.
    #[pyo3(signature = (to, data, *, value=0, sender=None))]
    fn send<'py>(
        &self,
        py: Python<'py>,
        to: String,
        data: Vec<u8>,
        value: u128,
        sender: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let sender = SenderArg::parse(sender)?;
        let to = parse_address("to", &to)?;
        let r = self.with(py, |s| {
            let from = sender.resolve(s.chain())?;
            let tx = Tx::call(from, to, data, "send").with_value(U256::from(value));
            s.chain().send(tx).lib()
        })?;
        let d = PyDict::new(py);
        d.set_item("tx_hash", r.tx_hash.to_string())?;
        d.set_item("gas_used", r.gas_used)?;
        d.set_item("block_number", r.block_number)?;
        Ok(d)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        self.with(py, |s| {
            Ok(format!("<verinfer.Chain {}>", s.chain().describe()))
        })
    }
}

/// The Groth16 verifying key of `keys`, or why the generic EVM verifier cannot take them.
fn groth16_key(keys: &Keys) -> Result<groth16::VerifyingKey, Error> {
    if keys.manifest.backend != groth16::NAME {
        return Err(Error::Invalid(format!(
            "the EVM verifiers are Groth16's; these are {} keys",
            keys.manifest.backend
        )));
    }
    Groth16.read_verifying_key(&keys.verifying).lib()
}

/// The proof and its public values (as words) as the EVM verifiers take them.
fn evm_statement(proof: &Proof, keys: &Keys) -> Result<(groth16::Proof, Vec<U256>), Error> {
    let manifest = &keys.manifest;
    if proof.file.model_id != manifest.model_id {
        return Err(Error::Invalid(format!(
            "the proof is about model {}, the keys are for model {}",
            proof.file.model_id, manifest.model_id
        )));
    }
    let path = Path::new(IN_MEMORY);
    let public = proof.file.public_values(path, manifest).lib()?;
    Ok((
        proof.file.proof(path).lib()?,
        evm::public_words(&public.to_field_elements().lib()?),
    ))
}

/// The generic verifier for `vk` on this chain: the one deployed earlier through this `Chain`
/// if it still holds the same key, else a new one. Returns its address and the deployment's
/// gas (0 when reused).
fn ensure_verifier(
    s: &mut State,
    from: Address,
    vk: &groth16::VerifyingKey,
) -> Result<(Address, u64), Error> {
    let key = evm::vk_bytes(vk);
    let known = s.verifiers.iter().find(|(k, _)| *k == key).map(|(_, a)| *a);
    if let Some(addr) = known {
        if evm::deployed_key(s.chain(), from, addr).is_ok_and(|k| k == key) {
            return Ok((addr, 0));
        }
    }
    let (addr, receipt) = evm::deploy_verifier(s.chain(), from, vk).lib()?;
    s.verifiers.retain(|(k, _)| *k != key);
    s.verifiers.push((key, addr));
    Ok((addr, receipt.gas_used))
}

/// Deploys the generic `Groth16Verifier` for `keys` on `chain` and returns its address (what
/// `verinfer deploy-verifier` does). It needs no Solidity compiler: one committed bytecode,
/// the key given to its constructor. A verifier for the same key deployed earlier through this
/// `Chain` is reused.
///
/// `sender`: an account index or an 0x address (default: the chain's first account).
///
/// Raises `VerinferError` for keys of another backend or a failed deployment.
#[pyfunction]
#[pyo3(signature = (keys, chain, *, sender=None))]
pub fn deploy_verifier(
    py: Python<'_>,
    keys: &Keys,
    chain: &Chain,
    sender: Option<&Bound<'_, PyAny>>,
) -> PyResult<String> {
    let sender = SenderArg::parse(sender)?;
    let vk = groth16_key(keys)?;
    chain.with(py, |s| {
        let from = sender.resolve(s.chain())?;
        ensure_verifier(s, from, &vk).map(|(a, _)| a.to_string())
    })
}

/// Verifies `proof` with `keys` on an EVM (what `verinfer verify --evm` does): deploys the
/// generic `Groth16Verifier` for the keys (or uses `verifier`, an address it checks holds
/// these keys), then sends `verifyProof`.
///
/// `chain`: a `Chain` (default: a fresh in-process EVM). Returns
/// `{"valid": bool, "gas_used": int, "verifier": "0x…", "deploy_gas": int}`: `gas_used` is the
/// verification transaction's (calldata included), `deploy_gas` 0 when a verifier was reused.
///
/// Raises `VerinferError` for keys of another backend, a proof of another model, a verifier
/// holding another key, or a malformed call the verifier reverts.
#[pyfunction]
#[pyo3(signature = (proof, keys, chain=None, *, verifier=None, sender=None))]
pub fn verify_evm<'py>(
    py: Python<'py>,
    proof: &Proof,
    keys: &Keys,
    chain: Option<&Chain>,
    verifier: Option<String>,
    sender: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let sender = SenderArg::parse(sender)?;
    let vk = groth16_key(keys)?;
    let (p, public) = evm_statement(proof, keys)?;
    let verifier = verifier
        .map(|v| parse_address("verifier", &v))
        .transpose()?;
    let mut fresh = None;
    let chain = Chain::given_or_fresh(chain, &mut fresh)?;
    let (addr, deploy_gas, verdict) = chain.with(py, |s| {
        let from = sender.resolve(s.chain())?;
        let (addr, deploy_gas) = match verifier {
            Some(addr) => {
                let held = evm::deployed_key(s.chain(), from, addr)
                    .context(|| format!("verifier {addr}: not a Groth16Verifier"))?;
                if held != evm::vk_bytes(&vk) {
                    return Err(Error::Invalid(format!(
                        "the verifier at {addr} holds another verifying key than these keys"
                    )));
                }
                (addr, 0)
            }
            None => ensure_verifier(s, from, &vk)?,
        };
        let verdict =
            evm::verify_words_on_chain(s.chain(), from, addr, &evm::proof_words(&p), &public)
                .lib()?;
        Ok((addr, deploy_gas, verdict))
    })?;
    let d = PyDict::new(py);
    d.set_item("valid", verdict.accepted)?;
    d.set_item("gas_used", verdict.gas_used)?;
    d.set_item("verifier", addr.to_string())?;
    d.set_item("deploy_gas", deploy_gas)?;
    Ok(d)
}

/// The calldata of the exported verifier's (`export_verifier`'s `Verifier.sol`) check of
/// `proof`: `verifyProof(uint256[8], uint256[n])`, or with `compressed=True`
/// `verifyCompressedProof(uint256[4], uint256[n])` (smaller calldata, more gas to
/// decompress). Send it to the deployed `Verifier` with any Ethereum library; it reverts
/// `ProofInvalid()` for a wrong proof.
///
/// Raises `VerinferError` for keys of another backend or a proof of another model.
#[pyfunction]
#[pyo3(signature = (proof, keys, *, compressed=false))]
pub fn encode_calldata<'py>(
    py: Python<'py>,
    proof: &Proof,
    keys: &Keys,
    compressed: bool,
) -> PyResult<Bound<'py, PyBytes>> {
    groth16_key(keys)?;
    let (p, public) = evm_statement(proof, keys)?;
    let exported = evm::exported_proof(&p, compressed).lib()?;
    let data = evm::exported_calldata(&exported, &public);
    Ok(PyBytes::new(py, &data))
}
