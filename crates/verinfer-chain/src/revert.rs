use alloy_sol_types::{RevertReason, SolInterface};

use crate::bindings::{
    ArbiterHarness, InferenceGame, MerkleHarness, ModelRegistry, OneStepVerifier,
};
use crate::bindings_oracle::{InferenceOracle, AIGC};

/// A readable revert reason: a custom error of one of our contracts (with its arguments),
/// `Error(string)`, `Panic(uint256)`, or the raw data in hex when nothing matches.
pub fn revert_reason(data: &[u8]) -> String {
    if data.is_empty() {
        return "no revert data".into();
    }
    decoded::<ModelRegistry::ModelRegistryErrors>(data, "ModelRegistry")
        .or_else(|| decoded::<InferenceGame::InferenceGameErrors>(data, "InferenceGame"))
        .or_else(|| decoded::<InferenceOracle::InferenceOracleErrors>(data, "InferenceOracle"))
        .or_else(|| decoded::<AIGC::AIGCErrors>(data, "AIGC"))
        .or_else(|| decoded::<OneStepVerifier::OneStepVerifierErrors>(data, "OneStepVerifier"))
        .or_else(|| decoded::<MerkleHarness::MerkleHarnessErrors>(data, "MerkleLib"))
        .or_else(|| decoded::<ArbiterHarness::ArbiterHarnessErrors>(data, "Arbiter"))
        .or_else(|| RevertReason::decode(data).map(|r| r.to_string()))
        .unwrap_or_else(|| format!("0x{}", alloy_primitives::hex::encode(data)))
}

/// `data` as one of `contract`'s custom errors `E`, printed `contract.Error { .. }`.
fn decoded<E: SolInterface + std::fmt::Debug>(data: &[u8], contract: &str) -> Option<String> {
    E::abi_decode(data)
        .ok()
        .map(|e| format!("{contract}.{e:?}"))
}
