//! The oracle contracts' custom errors out of a failed client call (feature `oracle`): what
//! the tampering tests of several crates assert on.

use std::fmt::Debug;

use verinfer_chain::bindings_oracle::InferenceOracle::InferenceOracleErrors;
use verinfer_chain::bindings_oracle::AIGC::AIGCErrors;
use verinfer_oracle::bindings_text::GenerationOracle::GenerationOracleErrors;
use verinfer_oracle::OracleError;

/// The `InferenceOracle`'s custom error of a failed call (panics on success or another error).
pub fn oracle_err<T: Debug>(r: Result<T, OracleError>) -> InferenceOracleErrors {
    custom(r, "an InferenceOracle", OracleError::oracle_error)
}

/// The `AIGC`'s custom error of a failed call (panics on success or another error).
pub fn aigc_err<T: Debug>(r: Result<T, OracleError>) -> AIGCErrors {
    custom(r, "an AIGC", OracleError::aigc_error)
}

/// The `GenerationOracle`'s custom error inside `e` (panics on any other error).
pub fn text_err(e: OracleError) -> GenerationOracleErrors {
    custom::<(), _>(Err(e), "a GenerationOracle", OracleError::text_error)
}

/// The custom error `pick` finds in `r`'s error; a panic naming `what` contract otherwise.
fn custom<T: Debug, E: Clone>(
    r: Result<T, OracleError>,
    what: &str,
    pick: fn(&OracleError) -> Option<&E>,
) -> E {
    match r {
        Err(e) => match pick(&e) {
            Some(error) => error.clone(),
            None => panic!("expected {what} revert, got {e:?}"),
        },
        Ok(v) => panic!("expected {what} revert, got Ok({v:?})"),
    }
}
