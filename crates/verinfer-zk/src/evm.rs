//! EVM verification of the Groth16 proofs: encodings, deployment, on-chain checks, and the
//! Solidity export.
//!
//! Two verifiers, for two needs (`docs/zk.md`, "EVM verification"):
//!
//! - **`Groth16Verifier`** (`contracts/src/Groth16Verifier.sol`), generic: one committed
//!   bytecode for every circuit, the verifying key given to the constructor ([`vk_bytes`]) and
//!   stored as the code of a data contract. Deploying a verifier for a new model needs no
//!   Solidity compiler: [`deploy_verifier`], then [`verify_on_chain`] / [`check_on_chain`]. It
//!   returns `false` for a wrong proof and reverts (a typed [`EvmError::VerifierReverted`]) only
//!   for a malformed call.
//! - **The exported verifier** ([`export_solidity`]): a standalone `Verifier.sol` with the key
//!   as constants, rendered by `taceo-groth16-sol` (gnark's template), for audit and for
//!   deployment with one's own toolchain. It reverts `ProofInvalid()` on a wrong proof;
//!   [`verify_exported_on_chain`] maps that to a rejection. Proofs for it come from
//!   [`exported_proof`] (uncompressed, the same 8 words as [`proof_words`], or compressed to 4).
//!
//! Words are 32-byte big-endian integers; G2 coordinates go in the EIP-197 order
//! `x.c1, x.c0, y.c1, y.c0`; the point at infinity is all zeros.

use alloy_primitives::{keccak256, Address, Bytes, U256};
use alloy_sol_types::{SolConstructor, SolInterface};
use ark_bn254::{Fq, Fq2, Fr, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{BigInt, PrimeField};
use taceo_groth16_sol::askama::Template;
use taceo_groth16_sol::{SolidityVerifierConfig, SolidityVerifierContext};
use verinfer_chain::bindings_zk::{Groth16ProofVerifier, Groth16Verifier};
use verinfer_chain::{deploy_code, send_call, view, Chain, ChainError, Receipt, Tx};

pub use crate::error::EvmError;
use crate::groth16::{Proof, VerifyingKey};

/// Bytes of alpha (G1), beta, gamma, delta (G2) at the start of the key encoding.
pub const KEY_HEADER_BYTES: usize = 448;
/// Largest key encoding the generic verifier stores (one data contract: the EIP-170 code size
/// limit, 24 576 bytes, minus its leading STOP byte).
pub const MAX_KEY_BYTES: usize = 24_575;
/// Most public inputs the generic verifier takes: `(MAX_KEY_BYTES − 448) / 64 − 1` = 375.
pub const MAX_PUBLIC_INPUTS: usize = (MAX_KEY_BYTES - KEY_HEADER_BYTES) / 64 - 1;
/// Pragma of the exported verifier.
pub const EXPORT_PRAGMA: &str = "^0.8.0";

/// What an on-chain verification said, and what it cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EvmVerdict {
    /// Whether the verifier accepted the proof.
    pub accepted: bool,
    /// Gas of the verification transaction as its receipt states it (21 000 intrinsic and the
    /// calldata included). For a rejected proof on the exported verifier, the gas of the
    /// reverted transaction (0 on an RPC node that refuses it at estimation).
    pub gas_used: u64,
}

fn fq_word(x: &Fq) -> U256 {
    U256::from_limbs(x.into_bigint().0)
}

fn g1_words(p: &G1Affine) -> [U256; 2] {
    p.xy()
        .map_or([U256::ZERO; 2], |(x, y)| [fq_word(&x), fq_word(&y)])
}

fn g2_words(p: &G2Affine) -> [U256; 4] {
    p.xy().map_or([U256::ZERO; 4], |(x, y)| {
        [
            fq_word(&x.c1),
            fq_word(&x.c0),
            fq_word(&y.c1),
            fq_word(&y.c0),
        ]
    })
}

/// The verifying key as `Groth16Verifier`'s constructor takes it: alpha (G1), beta, gamma,
/// delta (G2), then `IC[0..=n]` (G1), as 32-byte big-endian words, G2 as
/// `x.c1, x.c0, y.c1, y.c0`; `448 + 64·(n + 1)` bytes for `n` public inputs.
#[must_use]
pub fn vk_bytes(vk: &VerifyingKey) -> Vec<u8> {
    let mut words: Vec<U256> = Vec::with_capacity(14 + 2 * vk.gamma_abc_g1.len());
    words.extend(g1_words(&vk.alpha_g1));
    words.extend(g2_words(&vk.beta_g2));
    words.extend(g2_words(&vk.gamma_g2));
    words.extend(g2_words(&vk.delta_g2));
    for p in &vk.gamma_abc_g1 {
        words.extend(g1_words(p));
    }
    words.iter().flat_map(|w| w.to_be_bytes::<32>()).collect()
}

/// The proof as `verifyProof` takes it: `A.x, A.y, B.x.c1, B.x.c0, B.y.c1, B.y.c0, C.x, C.y`
/// (the EIP-197 encoding; also what the exported verifier's `verifyProof` takes).
#[must_use]
pub fn proof_words(proof: &Proof) -> [U256; 8] {
    let [ax, ay] = g1_words(&proof.a);
    let [bx1, bx0, by1, by0] = g2_words(&proof.b);
    let [cx, cy] = g1_words(&proof.c);
    [ax, ay, bx1, bx0, by1, by0, cx, cy]
}

/// The public inputs as words (each `< r`, in circuit order).
#[must_use]
pub fn public_words(public: &[Fr]) -> Vec<U256> {
    public
        .iter()
        .map(|x| U256::from_limbs(x.into_bigint().0))
        .collect()
}

fn word_fq(words: &[U256; 8], i: usize) -> Result<Fq, EvmError> {
    Fq::from_bigint(BigInt::new(words[i].into_limbs()))
        .ok_or_else(|| EvmError::BadProof(format!("word {i} is not reduced modulo q")))
}

fn g1_from(x: Fq, y: Fq, name: &str) -> Result<G1Affine, EvmError> {
    if x == Fq::from(0u8) && y == Fq::from(0u8) {
        return Ok(G1Affine::zero());
    }
    let p = G1Affine::new_unchecked(x, y);
    if p.is_on_curve() && p.is_in_correct_subgroup_assuming_on_curve() {
        Ok(p)
    } else {
        Err(EvmError::BadProof(format!("{name} is not a point of G1")))
    }
}

/// Decodes [`proof_words`] back into a proof, refusing unreduced coordinates and points off
/// their curve or outside the prime-order subgroup (what the EVM precompiles refuse too).
///
/// # Errors
/// [`EvmError::BadProof`] naming the word or point.
pub fn proof_from_words(words: &[U256; 8]) -> Result<Proof, EvmError> {
    let w = |i| word_fq(words, i);
    let a = g1_from(w(0)?, w(1)?, "A")?;
    let (bx, by) = (Fq2::new(w(3)?, w(2)?), Fq2::new(w(5)?, w(4)?));
    let b = if bx == Fq2::from(0u8) && by == Fq2::from(0u8) {
        G2Affine::zero()
    } else {
        let p = G2Affine::new_unchecked(bx, by);
        if !(p.is_on_curve() && p.is_in_correct_subgroup_assuming_on_curve()) {
            return Err(EvmError::BadProof("B is not a point of G2".into()));
        }
        p
    };
    let c = g1_from(w(6)?, w(7)?, "C")?;
    Ok(Proof { a, b, c })
}

/// Public-input count of a key, refusing a key without `IC[0]`.
fn input_count(vk: &VerifyingKey) -> Result<usize, EvmError> {
    vk.gamma_abc_g1
        .len()
        .checked_sub(1)
        .ok_or_else(|| EvmError::BadKey("no IC points (not even the constant term)".into()))
}

/// A revert of the generic verifier, decoded into its custom error where it is one.
fn verifier_error(e: ChainError) -> EvmError {
    match &e {
        ChainError::Reverted { data, .. } => {
            match Groth16Verifier::Groth16VerifierErrors::abi_decode(data) {
                Ok(err) => EvmError::VerifierReverted(err),
                Err(_) => EvmError::Chain(e),
            }
        }
        _ => EvmError::Chain(e),
    }
}

/// Deploys the generic `Groth16Verifier` for `vk` (its constructor also creates the data
/// contract holding the key, and checks the key's points).
///
/// # Errors
/// [`EvmError::BadKey`] for more than [`MAX_PUBLIC_INPUTS`] public inputs (checked before
/// sending), [`EvmError::VerifierReverted`] if the constructor refuses the key, or a chain error.
pub fn deploy_verifier(
    chain: &mut dyn Chain,
    from: Address,
    vk: &VerifyingKey,
) -> Result<(Address, Receipt), EvmError> {
    let init = verifier_init_code(vk)?;
    deploy_code(chain, from, &init, &[], "Groth16Verifier").map_err(verifier_error)
}

/// The verifying-key encoding a deployed `Groth16Verifier` holds (compare with [`vk_bytes`]
/// to check that an address verifies for the keys one expects).
///
/// # Errors
/// A chain error (e.g. no verifier at `verifier`).
pub fn deployed_key(
    chain: &mut dyn Chain,
    from: Address,
    verifier: Address,
) -> Result<Vec<u8>, EvmError> {
    let key = view(
        chain,
        from,
        verifier,
        &Groth16Verifier::verifyingKeyCall {},
        "Groth16Verifier.verifyingKey",
    )
    .map_err(verifier_error)?;
    Ok(key.to_vec())
}

/// Asks the generic verifier for its verdict on raw words, by a call (free, nothing mined).
///
/// # Errors
/// [`EvmError::VerifierReverted`] for a malformed call (input count, an input ≥ r, a
/// coordinate ≥ q), or a chain error.
pub fn check_on_chain(
    chain: &mut dyn Chain,
    from: Address,
    verifier: Address,
    proof: &[U256; 8],
    inputs: &[U256],
) -> Result<bool, EvmError> {
    let call = Groth16Verifier::verifyProofCall {
        proof: *proof,
        input: inputs.to_vec(),
    };
    view(chain, from, verifier, &call, "Groth16Verifier.verifyProof").map_err(verifier_error)
}

/// [`verify_on_chain`] on raw words (for proofs and inputs read from elsewhere, or tampered).
///
/// # Errors
/// As [`check_on_chain`].
pub fn verify_words_on_chain(
    chain: &mut dyn Chain,
    from: Address,
    verifier: Address,
    proof: &[U256; 8],
    inputs: &[U256],
) -> Result<EvmVerdict, EvmError> {
    let accepted = check_on_chain(chain, from, verifier, proof, inputs)?;
    let call = Groth16Verifier::verifyProofCall {
        proof: *proof,
        input: inputs.to_vec(),
    };
    let receipt = send_call(chain, from, verifier, &call, "Groth16Verifier.verifyProof")
        .map_err(verifier_error)?;
    Ok(EvmVerdict {
        accepted,
        gas_used: receipt.gas_used,
    })
}

/// Verifies `proof` of `public` with the generic verifier at `verifier`: the verdict from a
/// call, the gas from a real transaction's receipt (sent from `from`; on a live chain it
/// costs that gas — use [`check_on_chain`] for a free verdict).
///
/// # Errors
/// As [`check_on_chain`].
pub fn verify_on_chain(
    chain: &mut dyn Chain,
    from: Address,
    verifier: Address,
    proof: &Proof,
    public: &[Fr],
) -> Result<EvmVerdict, EvmError> {
    verify_words_on_chain(
        chain,
        from,
        verifier,
        &proof_words(proof),
        &public_words(public),
    )
}

fn adapter_error(e: ChainError) -> EvmError {
    match &e {
        ChainError::Reverted { data, .. } => {
            match Groth16ProofVerifier::Groth16ProofVerifierErrors::abi_decode(data) {
                Ok(err) => EvmError::AdapterReverted(err),
                Err(_) => verifier_error(e),
            }
        }
        _ => verifier_error(e),
    }
}

/// The creation code of the generic `Groth16Verifier` for `vk` (bytecode and constructor
/// arguments).
fn verifier_init_code(vk: &VerifyingKey) -> Result<Vec<u8>, EvmError> {
    let n = input_count(vk)?;
    if n > MAX_PUBLIC_INPUTS {
        return Err(EvmError::BadKey(format!(
            "{n} public inputs; the generic verifier holds at most {MAX_PUBLIC_INPUTS} (one data \
             contract of {MAX_KEY_BYTES} bytes)"
        )));
    }
    let args = Groth16Verifier::constructorCall {
        vk: Bytes::from(vk_bytes(vk)),
    }
    .abi_encode();
    let mut init = Groth16Verifier::BYTECODE.to_vec();
    init.extend_from_slice(&args);
    Ok(init)
}

/// The creation code of the `Groth16ProofVerifier` adapter over the verifier at `groth16`.
fn adapter_init_code(groth16: Address) -> Vec<u8> {
    let args = Groth16ProofVerifier::constructorCall { verifier: groth16 }.abi_encode();
    let mut init = Groth16ProofVerifier::BYTECODE.to_vec();
    init.extend_from_slice(&args);
    init
}

/// The Groth16 backend's `EvmVerifiable::deploy_adapter`: the generic `Groth16Verifier` of
/// `vk`, then the `Groth16ProofVerifier` around it; returns the adapter's address. Keys of the
/// packed statement are refused before anything is sent: `IProofVerifier` takes the one
/// digest word, and the oracle and AIGC (ABI v4) take nothing else.
///
/// # Errors
/// [`verinfer_prove::ProveError::Unsupported`] for a packed-statement key,
/// [`verinfer_prove::ProveError::Malformed`] for a key the verifier cannot hold, or the
/// deployer's error.
pub fn deploy_adapter(
    vk: &VerifyingKey,
    deployer: &mut dyn verinfer_prove::ContractDeployer,
) -> Result<Address, verinfer_prove::ProveError> {
    let bad_key = |e: EvmError| verinfer_prove::ProveError::Malformed {
        what: "verifying key",
        message: e.to_string(),
    };
    let n = input_count(vk).map_err(bad_key)?;
    if n != 1 {
        return Err(verinfer_prove::Unsupported {
            backend: crate::groth16::NAME,
            node: None,
            reason: format!(
                "a packed-statement key ({n} public inputs): the oracle and AIGC (ABI v4) \
                 verify the one digest word through IProofVerifier; set the keys up with \
                 statement=digest"
            ),
        }
        .into());
    }
    let groth16 = deployer.create("Groth16Verifier", verifier_init_code(vk).map_err(bad_key)?)?;
    deployer.create("Groth16ProofVerifier", adapter_init_code(groth16))
}

/// Deploys the `Groth16ProofVerifier` adapter (`IProofVerifier` of the Groth16 backend) over
/// the generic verifier at `groth16`, whose key must be of the digest statement.
///
/// # Errors
/// [`EvmError::AdapterReverted`] (`NotADigestKey`) for a key with another public-input count,
/// or a chain error.
pub fn deploy_proof_verifier(
    chain: &mut dyn Chain,
    from: Address,
    groth16: Address,
) -> Result<(Address, Receipt), EvmError> {
    deploy_code(
        chain,
        from,
        &adapter_init_code(groth16),
        &[],
        "Groth16ProofVerifier",
    )
    .map_err(adapter_error)
}

/// `IProofVerifier(verifier).verify(proof, statement)` by a call (free, nothing mined):
/// `proof` as `verinfer_prove::EvmVerifiable::proof_calldata` encodes it, `statement` the
/// digest word (`verinfer_prove::PublicValues::digest`).
///
/// # Errors
/// [`EvmError::AdapterReverted`] (`MalformedProof`), [`EvmError::VerifierReverted`] (a
/// coordinate ≥ q, a statement ≥ r), or a chain error.
pub fn check_statement_on_chain(
    chain: &mut dyn Chain,
    from: Address,
    verifier: Address,
    proof: &[u8],
    statement: alloy_primitives::B256,
) -> Result<bool, EvmError> {
    let call = Groth16ProofVerifier::verifyCall {
        proof: Bytes::copy_from_slice(proof),
        statement,
    };
    view(chain, from, verifier, &call, "IProofVerifier.verify").map_err(adapter_error)
}

/// Renders a standalone Solidity verifier for `vk` (contract `Verifier`, pragma
/// [`EXPORT_PRAGMA`]) with `taceo-groth16-sol` (gnark's Groth16 template): the key as
/// constants, `verifyProof(uint256[8], uint256[n])` and `verifyCompressedProof(uint256[4],
/// uint256[n])`, which revert `ProofInvalid()` on a wrong proof. Compile it with any solc ≥
/// 0.8.0; for more than a few hundred inputs its code exceeds the EIP-170 size limit.
///
/// # Errors
/// [`EvmError::BadKey`] for a key the template cannot hold (no public input, a point at
/// infinity), [`EvmError::Render`] if rendering fails.
pub fn export_solidity(vk: &VerifyingKey) -> Result<String, EvmError> {
    if input_count(vk)? == 0 {
        return Err(EvmError::BadKey(
            "the exported verifier needs at least one public input".into(),
        ));
    }
    let infinite = vk.alpha_g1.xy().is_none()
        || vk.beta_g2.xy().is_none()
        || vk.gamma_g2.xy().is_none()
        || vk.delta_g2.xy().is_none()
        || vk.gamma_abc_g1.iter().any(|p| p.xy().is_none());
    if infinite {
        return Err(EvmError::BadKey(
            "a key point is at infinity; the exported verifier needs affine coordinates".into(),
        ));
    }
    let ctx = SolidityVerifierContext {
        vk: vk.clone(),
        config: SolidityVerifierConfig {
            pragma_version: EXPORT_PRAGMA.into(),
        },
    };
    let mut text = ctx.render().map_err(|e| EvmError::Render(e.to_string()))?;
    text.push('\n');
    Ok(text)
}

/// A proof prepared for the exported verifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportedProof {
    /// For `verifyProof(uint256[8], uint256[n])`: the 8 words of [`proof_words`].
    Uncompressed([U256; 8]),
    /// For `verifyCompressedProof(uint256[4], uint256[n])`: A, B, C compressed (cheaper
    /// calldata, more computation on chain).
    Compressed([U256; 4]),
}

/// Prepares `proof` for the exported verifier with `taceo-groth16-sol`'s own encoders.
///
/// # Errors
/// [`EvmError::BadProof`] for points off their curve (the compression needs valid points).
pub fn exported_proof(proof: &Proof, compressed: bool) -> Result<ExportedProof, EvmError> {
    if !(proof.a.is_on_curve() && proof.b.is_on_curve() && proof.c.is_on_curve()) {
        return Err(EvmError::BadProof(
            "a proof point is not on its curve".into(),
        ));
    }
    Ok(if compressed {
        ExportedProof::Compressed(taceo_groth16_sol::prepare_compressed_proof(proof))
    } else {
        ExportedProof::Uncompressed(taceo_groth16_sol::prepare_uncompressed_proof(proof))
    })
}

/// Calldata of the exported verifier's `verifyProof` / `verifyCompressedProof` for `inputs`
/// (the input array is fixed-size there, so the selector depends on the input count).
#[must_use]
pub fn exported_calldata(proof: &ExportedProof, inputs: &[U256]) -> Bytes {
    let n = inputs.len();
    let (signature, words): (String, &[U256]) = match proof {
        ExportedProof::Uncompressed(w) => (format!("verifyProof(uint256[8],uint256[{n}])"), w),
        ExportedProof::Compressed(w) => {
            (format!("verifyCompressedProof(uint256[4],uint256[{n}])"), w)
        }
    };
    let mut data = keccak256(signature.as_bytes())[..4].to_vec();
    for w in words.iter().chain(inputs) {
        data.extend_from_slice(&w.to_be_bytes::<32>());
    }
    data.into()
}

/// Selector of a parameterless custom error.
fn error_selector(signature: &str) -> [u8; 4] {
    let h = keccak256(signature.as_bytes());
    [h[0], h[1], h[2], h[3]]
}

/// Verifies with the exported verifier at `verifier` by a transaction: accepted when it does
/// not revert, rejected when it reverts `ProofInvalid()` (with the reverted transaction's gas).
///
/// # Errors
/// [`EvmError::ExportedReverted`] for any other revert (`PublicInputNotInField()` for an input
/// ≥ r, or a wrong input count), or a chain error.
pub fn verify_exported_on_chain(
    chain: &mut dyn Chain,
    from: Address,
    verifier: Address,
    proof: &ExportedProof,
    inputs: &[U256],
) -> Result<EvmVerdict, EvmError> {
    let tx = Tx::call(
        from,
        verifier,
        exported_calldata(proof, inputs),
        "Verifier.verifyProof",
    );
    match chain.send(tx) {
        Ok(r) => Ok(EvmVerdict {
            accepted: true,
            gas_used: r.gas_used,
        }),
        Err(ChainError::Reverted { data, gas_used, .. })
            if data.as_ref() == error_selector("ProofInvalid()") =>
        {
            Ok(EvmVerdict {
                accepted: false,
                gas_used,
            })
        }
        Err(ChainError::Reverted { data, .. })
            if data.as_ref() == error_selector("PublicInputNotInField()") =>
        {
            Err(EvmError::ExportedReverted("PublicInputNotInField()".into()))
        }
        Err(ChainError::Reverted { reason, .. }) => Err(EvmError::ExportedReverted(reason)),
        Err(e) => Err(EvmError::Chain(e)),
    }
}
