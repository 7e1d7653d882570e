//! Who sees what: re-exported from [`verinfer_prove::visibility`] (backend-neutral).

pub use verinfer_prove::visibility::*;
