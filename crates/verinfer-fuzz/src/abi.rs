//! What comes back from a chain: calldata, revert data, `int32[][]` tensors, event logs and
//! proof words, decoded with the bindings of our contracts.
//!
//! Selectors are 4 (calls, errors) or 32 (events) bytes that a fuzzer seldom guesses, so the
//! first input byte may pick one: with its top bit set, its low bits index the known
//! selectors and the rest of the input follows the selector; without, the input is used raw.

use alloy_primitives::{Bytes, B256, U256};
use alloy_sol_types::{SolEventInterface, SolInterface};
use verinfer_chain::bindings::{
    ArbiterHarness, InferenceGame, MerkleHarness, ModelRegistry, OneStepVerifier,
};
use verinfer_chain::bindings_oracle::{InferenceOracle, AIGC};
use verinfer_chain::bindings_zk::Groth16Verifier;
use verinfer_chain::ChainError;
use verinfer_oracle::OracleError;

/// Splits off the mode byte: `Some(index)` when it asks for a known selector.
fn mode(data: &[u8]) -> Option<(Option<usize>, &[u8])> {
    let (&m, rest) = data.split_first()?;
    Some(((m & 0x80 != 0).then_some(usize::from(m & 0x7f)), rest))
}

/// Decodes with `I` (lenient and validating); a value that decodes must re-encode to bytes
/// that decode to it again.
fn decode<I: SolInterface + PartialEq + std::fmt::Debug>(data: &[u8]) {
    if let Ok(v) = I::abi_decode(data) {
        let again = I::abi_decode(&v.abi_encode());
        assert_eq!(again.ok().as_ref(), Some(&v), "{} must round-trip", I::NAME);
    }
    let _ = I::abi_decode_validate(data);
}

/// Whether an interface lists a contract's functions or its custom errors.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Calls,
    Errors,
}

/// One interface as the fuzzer drives it: what it lists, its selectors, and [`decode`] with it.
struct Interface {
    kind: Kind,
    selectors: Vec<[u8; 4]>,
    decode: fn(&[u8]),
}

impl Interface {
    fn of<I: SolInterface + PartialEq + std::fmt::Debug>(kind: Kind) -> Self {
        Self {
            kind,
            selectors: (0..I::COUNT).filter_map(I::selector_at).collect(),
            decode: decode::<I>,
        }
    }
}

/// Every interface of our contracts that a chain answers with.
fn interfaces() -> [Interface; 14] {
    use Kind::{Calls, Errors};
    [
        Interface::of::<InferenceGame::InferenceGameCalls>(Calls),
        Interface::of::<InferenceOracle::InferenceOracleCalls>(Calls),
        Interface::of::<AIGC::AIGCCalls>(Calls),
        Interface::of::<ModelRegistry::ModelRegistryCalls>(Calls),
        Interface::of::<OneStepVerifier::OneStepVerifierCalls>(Calls),
        Interface::of::<Groth16Verifier::Groth16VerifierCalls>(Calls),
        Interface::of::<InferenceGame::InferenceGameErrors>(Errors),
        Interface::of::<InferenceOracle::InferenceOracleErrors>(Errors),
        Interface::of::<AIGC::AIGCErrors>(Errors),
        Interface::of::<ModelRegistry::ModelRegistryErrors>(Errors),
        Interface::of::<OneStepVerifier::OneStepVerifierErrors>(Errors),
        Interface::of::<MerkleHarness::MerkleHarnessErrors>(Errors),
        Interface::of::<ArbiterHarness::ArbiterHarnessErrors>(Errors),
        Interface::of::<Groth16Verifier::Groth16VerifierErrors>(Errors),
    ]
}

/// `data` (after its mode byte) through the decoders of every interface of `kind`, a selector
/// of theirs or of `extra` picked first when the mode byte asks; the bytes decoded, `None`
/// when empty.
fn decode_each(data: &[u8], kind: Kind, extra: &[[u8; 4]]) -> Option<Vec<u8>> {
    let (pick, rest) = mode(data)?;
    let ifaces: Vec<Interface> = interfaces()
        .into_iter()
        .filter(|i| i.kind == kind)
        .collect();
    let all: Vec<[u8; 4]> = ifaces
        .iter()
        .flat_map(|i| i.selectors.iter().copied())
        .chain(extra.iter().copied())
        .collect();
    let bytes = with_selector(pick, &all, rest);
    for i in &ifaces {
        (i.decode)(&bytes);
    }
    Some(bytes)
}

/// Calldata of every contract's functions.
pub fn abi_calldata(data: &[u8]) {
    decode_each(data, Kind::Calls, &[]);
}

fn with_selector(pick: Option<usize>, all: &[[u8; 4]], rest: &[u8]) -> Vec<u8> {
    match pick {
        Some(i) if !all.is_empty() => {
            let mut b = all[i % all.len()].to_vec();
            b.extend_from_slice(rest);
            b
        }
        _ => rest.to_vec(),
    }
}

/// Revert data through `revert_reason` and the oracle's error classification.
pub fn abi_revert(data: &[u8]) {
    // Error(string), Panic(uint256)
    let builtin = [[0x08, 0xc3, 0x79, 0xa0], [0x4e, 0x48, 0x7b, 0x71]];
    let Some(bytes) = decode_each(data, Kind::Errors, &builtin) else {
        return;
    };
    let reason = verinfer_chain::revert_reason(&bytes);
    for what in ["request", "AIGC mint"] {
        let e = ChainError::Reverted {
            what: what.into(),
            reason: reason.clone(),
            data: Bytes::copy_from_slice(&bytes),
            gas_used: 0,
        };
        let _ = OracleError::from(e).to_string();
    }
}

/// `abi.encode(int32[][])` (an ERC-7007 prompt or output) through `decode_tensors`.
pub fn abi_tensors(data: &[u8]) {
    if let Ok(t) = verinfer_oracle::decode_tensors(data) {
        assert_eq!(
            verinfer_oracle::encode_tensors(&t).as_ref(),
            data,
            "decode_tensors accepts only canonical encodings"
        );
    }
}

/// An event log through every contract's event decoder: after the mode byte, a topic count
/// byte (0–4), the topics (32 bytes each; the first may be a picked event signature) and the
/// data.
pub fn event_log(data: &[u8]) {
    let Some((pick, rest)) = mode(data) else {
        return;
    };
    let Some((&n, mut rest)) = rest.split_first() else {
        return;
    };
    let sigs: Vec<B256> = InferenceGame::InferenceGameEvents::SELECTORS
        .iter()
        .chain(InferenceOracle::InferenceOracleEvents::SELECTORS)
        .chain(AIGC::AIGCEvents::SELECTORS)
        .chain(ModelRegistry::ModelRegistryEvents::SELECTORS)
        .map(|s| B256::from(*s))
        .collect();
    let mut topics = Vec::new();
    if let Some(i) = pick {
        topics.push(sigs[i % sigs.len()]);
    }
    for _ in 0..usize::from(n % 5).saturating_sub(topics.len()) {
        let (t, r) = rest.split_at(rest.len().min(32));
        let mut w = [0u8; 32];
        w[..t.len()].copy_from_slice(t);
        topics.push(B256::from(w));
        rest = r;
    }
    let _ = InferenceGame::InferenceGameEvents::decode_raw_log(&topics, rest);
    let _ = InferenceOracle::InferenceOracleEvents::decode_raw_log(&topics, rest);
    let _ = AIGC::AIGCEvents::decode_raw_log(&topics, rest);
    let _ = ModelRegistry::ModelRegistryEvents::decode_raw_log(&topics, rest);
}

/// Eight proof words (as the zk verifier contract takes them) through `proof_from_words`.
pub fn zk_proof_words(data: &[u8]) {
    let mut words = [U256::ZERO; 8];
    for (w, c) in words.iter_mut().zip(data.chunks(32)) {
        let mut a = [0u8; 32];
        a[..c.len()].copy_from_slice(c);
        *w = U256::from_be_bytes(a);
    }
    let _ = verinfer_zk::evm::proof_from_words(&words);
}
