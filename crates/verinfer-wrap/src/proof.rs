//! Keys, proving and native verification of a tape's circuit (SHPLONK, EVM transcript).

use halo2_base::gates::circuit::builder::BaseCircuitBuilder;
use halo2_base::gates::circuit::{BaseCircuitParams, CircuitBuilderStage};
use halo2_base::gates::flex_gate::MultiPhaseThreadBreakPoints;
use halo2_base::halo2_proofs::halo2curves::bn256::{Bn256, Fr as HFr, G1Affine};
use halo2_base::halo2_proofs::plonk::{
    create_proof, keygen_pk, keygen_vk, verify_proof, ProvingKey, VerifyingKey,
};
use halo2_base::halo2_proofs::poly::commitment::{Params, ParamsProver};
use halo2_base::halo2_proofs::poly::kzg::commitment::{KZGCommitmentScheme, ParamsKZG};
use halo2_base::halo2_proofs::poly::kzg::multiopen::{ProverSHPLONK, VerifierSHPLONK};
use halo2_base::halo2_proofs::poly::kzg::strategy::SingleStrategy;
use halo2_base::halo2_proofs::transcript::{TranscriptReadBuffer, TranscriptWriterBuffer};
use rand_core::RngCore;
use snark_verifier_sdk::snark_verifier::system::halo2::transcript::evm::EvmTranscript;
use verinfer_tape::{Tape, Values};

use crate::circuit::{assign, MINIMUM_ROWS};
use crate::convert::fr_to_halo2;
use crate::WrapError;

/// A tape's keys: the proving key (with its verifying key) and the circuit's layout, which
/// the prover must reproduce.
#[derive(Debug)]
pub struct WrapKeys {
    /// The proving key.
    pub pk: ProvingKey<G1Affine>,
    /// The circuit's configuration (k, columns).
    pub config: BaseCircuitParams,
    /// Where halo2-base broke the single virtual column into physical ones.
    pub break_points: MultiPhaseThreadBreakPoints,
    /// The number of public inputs.
    pub num_public: usize,
}

impl WrapKeys {
    /// The verifying key.
    pub fn vk(&self) -> &VerifyingKey<G1Affine> {
        self.pk.get_vk()
    }
    /// log2 of the circuit's rows.
    pub fn k(&self) -> u32 {
        self.config.k as u32
    }
    /// Advice columns.
    pub fn num_advice(&self) -> usize {
        self.config.num_advice_per_phase.iter().sum()
    }
}

fn halo2(stage: &'static str) -> impl Fn(halo2_base::halo2_proofs::plonk::Error) -> WrapError {
    move |e| WrapError::Halo2 {
        stage,
        message: e.to_string(),
    }
}

/// Keys for `tape` on the rows of `srs` (2^k, with `k = srs.k()`): made from the tape alone
/// (its values are not needed). The advice is spread over as many columns as 2^k rows need.
///
/// # Errors
/// [`WrapError::Halo2`] if halo2 refuses (e.g. more constants than rows).
pub fn keygen(srs: &ParamsKZG<Bn256>, tape: &Tape) -> Result<WrapKeys, WrapError> {
    let mut b = BaseCircuitBuilder::<HFr>::from_stage(CircuitBuilderStage::Keygen)
        .use_k(srs.k() as usize)
        .use_instance_columns(1);
    assign(&mut b, tape, None)?;
    let config = b.calculate_params(Some(MINIMUM_ROWS));
    let vk = keygen_vk(srs, &b).map_err(halo2("keygen_vk"))?;
    let pk = keygen_pk(srs, vk, &b).map_err(halo2("keygen_pk"))?;
    let break_points = b.break_points();
    Ok(WrapKeys {
        pk,
        config,
        break_points,
        num_public: tape.num_public(),
    })
}

/// A proof that `values` satisfy `tape` (checked natively first, so a failing run is named
/// by its op instead of producing a proof that does not verify). `rng` blinds the proof.
///
/// # Errors
/// [`WrapError::Tape`] for values that do not check, [`WrapError::Halo2`] if proving fails.
pub fn prove(
    srs: &ParamsKZG<Bn256>,
    keys: &WrapKeys,
    tape: &Tape,
    values: &Values,
    rng: impl RngCore,
) -> Result<Vec<u8>, WrapError> {
    verinfer_tape::check(tape, values)?;
    let mut b = BaseCircuitBuilder::prover(keys.config.clone(), keys.break_points.clone());
    let publics = assign(&mut b, tape, Some(values))?;
    let mut transcript = TranscriptWriterBuffer::<_, G1Affine, _>::init(Vec::new());
    create_proof::<
        KZGCommitmentScheme<Bn256>,
        ProverSHPLONK<'_, Bn256>,
        _,
        _,
        EvmTranscript<_, _, _, _>,
        _,
    >(srs, &keys.pk, &[b], &[&[&publics]], rng, &mut transcript)
    .map_err(halo2("prove"))?;
    Ok(transcript.finalize())
}

/// Checks `proof` against the verifying key and the public inputs (as the tape takes them).
///
/// # Errors
/// [`WrapError::PublicCount`] for a wrong number of publics, [`WrapError::Rejected`] for a
/// proof that does not verify.
pub fn verify(
    srs: &ParamsKZG<Bn256>,
    keys: &WrapKeys,
    public: &[ark_bn254::Fr],
    proof: &[u8],
) -> Result<(), WrapError> {
    if public.len() != keys.num_public {
        return Err(WrapError::PublicCount {
            expected: keys.num_public,
            got: public.len(),
        });
    }
    let publics: Vec<HFr> = public.iter().map(fr_to_halo2).collect();
    let verifier_params = srs.verifier_params();
    let mut transcript = TranscriptReadBuffer::<_, G1Affine, _>::init(proof);
    verify_proof::<
        KZGCommitmentScheme<Bn256>,
        VerifierSHPLONK<'_, Bn256>,
        _,
        EvmTranscript<_, _, _, _>,
        _,
    >(
        verifier_params,
        keys.vk(),
        SingleStrategy::new(verifier_params),
        &[&[&publics]],
        &mut transcript,
    )
    .map_err(|_| WrapError::Rejected)
}
