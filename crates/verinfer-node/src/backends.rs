//! The proof backends this build knows, by the name `keys.json` records
//! (`verinfer_prove::ProofBackend::name`). The node and the CLI hold a model's backend as a
//! `Box<dyn DynBackend>` from here; adding a backend is its crate plus one line in
//! [`BACKENDS`] (docs/adding-a-backend.md).

use verinfer_prove::{DynBackend, ProveError};

/// A backend's constructor.
pub type MakeBackend = fn() -> Box<dyn DynBackend>;

/// Every registered backend: its name and a constructor.
pub const BACKENDS: &[(&str, MakeBackend)] = &[
    (verinfer_zk::groth16::NAME, || {
        Box::new(verinfer_zk::Groth16)
    }),
    // Its setup from the registry samples an insecure local SRS (`verinfer setup --ptau` reads
    // a public one); proving and verifying need only the keys.
    (verinfer_sumcheck::backend::NAME, || {
        Box::new(verinfer_sumcheck::backend::Sumcheck::default())
    }),
];

/// The backend `setup` uses unless told otherwise.
pub const DEFAULT_BACKEND: &str = verinfer_zk::groth16::NAME;

/// The backend named `name`.
///
/// # Errors
/// [`ProveError::UnknownBackend`] listing the known names.
pub fn backend(name: &str) -> Result<Box<dyn DynBackend>, ProveError> {
    BACKENDS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, make)| make())
        .ok_or_else(|| ProveError::UnknownBackend {
            name: name.to_string(),
            known: names().join(", "),
        })
}

/// The registered names.
pub fn names() -> Vec<&'static str> {
    BACKENDS.iter().map(|(n, _)| *n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_backend_answers_to_its_name() {
        for (name, make) in BACKENDS {
            assert_eq!(make().name(), *name);
            assert!(backend(name).is_ok());
        }
        assert!(matches!(
            backend("plonk"),
            Err(ProveError::UnknownBackend { .. })
        ));
        assert!(backend(DEFAULT_BACKEND).is_ok());
    }
}
