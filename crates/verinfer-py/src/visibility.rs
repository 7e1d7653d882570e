//! Visibility from Python: verinfer's `input=public,params=hashed,output=public` string, a dict
//! per tensor class, or EZKL's keyword arguments — in verinfer's words (`public`, `private`,
//! `hashed`) or EZKL's (`public`, `private`, `fixed`, `hashed`, `hashed/public`).

use std::collections::BTreeMap;

use verinfer_prove::Visibility;

use crate::error::Error;

/// The tensor class a key names (`input`, `params`, `output`, or `statement`), EZKL's
/// `input_visibility`, `param_visibility`, `output_visibility` included.
fn class(key: &str) -> Option<&'static str> {
    match key.trim().to_ascii_lowercase().as_str() {
        "input" | "inputs" | "input_visibility" => Some("input"),
        "params" | "param" | "weights" | "param_visibility" => Some("params"),
        "output" | "outputs" | "output_visibility" => Some("output"),
        "statement" => Some("statement"),
        _ => None,
    }
}

/// Parses pairs of (class, word) into a [`Visibility`] through verinfer's own parser, which
/// accepts EZKL's words too (classes left out are public).
///
/// # Errors
/// Unknown classes or words, as `Visibility::from_str` (which knows EZKL's words).
pub fn from_pairs(pairs: &BTreeMap<String, String>) -> Result<Visibility, Error> {
    let mut parts = Vec::with_capacity(pairs.len());
    for (k, v) in pairs {
        let c = class(k).ok_or_else(|| {
            Error::Invalid(format!(
                "visibility: unknown tensor class {k:?} (expected input, params or output)"
            ))
        })?;
        parts.push(format!("{c}={}", v.trim()));
    }
    parts
        .join(",")
        .parse()
        .map_err(|e: String| Error::Invalid(format!("visibility: {e}")))
}

/// Parses verinfer's `CLASS=VIS,…` string, EZKL's words accepted for VIS.
///
/// # Errors
/// As [`from_pairs`]; a part that is not `CLASS=VIS`.
pub fn from_str(s: &str) -> Result<Visibility, Error> {
    let mut pairs = BTreeMap::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = part.split_once('=').ok_or_else(|| {
            Error::Invalid(format!("visibility: visibility {part:?} is not CLASS=VIS"))
        })?;
        pairs.insert(k.trim().to_string(), v.trim().to_string());
    }
    from_pairs(&pairs)
}
