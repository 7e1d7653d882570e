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
    if let Ok(e) = ModelRegistry::ModelRegistryErrors::abi_decode(data) {
        return format!("ModelRegistry.{e:?}");
    }
    if let Ok(e) = InferenceGame::InferenceGameErrors::abi_decode(data) {
        return format!("InferenceGame.{e:?}");
    }
    if let Ok(e) = InferenceOracle::InferenceOracleErrors::abi_decode(data) {
        return format!("InferenceOracle.{e:?}");
    }
    if let Ok(e) = AIGC::AIGCErrors::abi_decode(data) {
        return format!("AIGC.{e:?}");
    }
    if let Ok(e) = OneStepVerifier::OneStepVerifierErrors::abi_decode(data) {
        return format!("OneStepVerifier.{e:?}");
    }
    if let Ok(e) = MerkleHarness::MerkleHarnessErrors::abi_decode(data) {
        return format!("MerkleLib.{e:?}");
    }
    if let Ok(e) = ArbiterHarness::ArbiterHarnessErrors::abi_decode(data) {
        return format!("Arbiter.{e:?}");
    }
    if let Some(r) = RevertReason::decode(data) {
        return r.to_string();
    }
    format!("0x{}", alloy_primitives::hex::encode(data))
}
