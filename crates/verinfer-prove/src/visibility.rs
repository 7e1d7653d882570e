//! Who sees what: each tensor class of a proof (graph inputs, weight parameters, graph outputs)
//! is public, private, or hashed (only its Poseidon hash is public).
//!
//! Parameters here are the model's weights and biases ([`ParamKind::Weight`] /
//! [`ParamKind::Bias`]). Lookup tables and index maps are the op semantics themselves and stay
//! circuit constants whatever the visibility: hiding them would hide the function being proven.

use std::fmt;
use std::str::FromStr;

use verinfer_ir::{Graph, ParamKind};

/// `as_str`, `FromStr` and `Display` of a fieldless enum from one table of spellings, so the
/// words the CLI and the key and proof files read are the words written.
macro_rules! spellings {
    ($ty:ident, $what:literal, $expected:literal, { $($v:ident => $s:literal),+ $(,)? }) => {
        impl $ty {
            /// The spelling used by the CLI and in key and proof files.
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$v => $s),+
                }
            }
        }

        impl FromStr for $ty {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($s => Ok($ty::$v),)+
                    other => Err(format!(
                        concat!("unknown ", $what, " {:?} (expected ", $expected, ")"),
                        other
                    )),
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// Visibility of one tensor class.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Vis {
    /// The values are public: packed into public inputs (parameters: baked into the keys as
    /// circuit constants, so the keys attest the model).
    #[default]
    Public,
    /// The values are a witness only; the proof says nothing about them.
    Private,
    /// The values are a witness; their hash (the backend's: Poseidon over BN254 for Groth16)
    /// is public.
    Hashed,
}

spellings!(Vis, "visibility", "public, private or hashed", {
    Public => "public",
    Private => "private",
    Hashed => "hashed",
});

/// How a proof states its classes to the verifier ([`crate::context`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Statement {
    /// Public inputs: the context word, then every class element. Nothing is hashed in the
    /// circuit; EVM verification (Groth16) costs ~6k gas per element.
    #[default]
    Packed,
    /// One public input: the SHA-256 digest of the context and the classes
    /// ([`crate::context::statement_digest`]). Verification costs the same for every model;
    /// a Groth16 circuit pays ~40k constraints per 64 bytes hashed.
    Digest,
}

spellings!(Statement, "statement", "packed or digest", {
    Packed => "packed",
    Digest => "digest",
});

/// Visibility of the three tensor classes of a proof, and how the statement carries them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Visibility {
    /// Graph inputs.
    pub input: Vis,
    /// Weights and biases.
    pub params: Vis,
    /// Graph outputs.
    pub output: Vis,
    /// Packed public inputs or one digest.
    pub statement: Statement,
}

impl Visibility {
    /// EZKL's "public input, private model" scenario: weights hidden behind a public hash.
    #[must_use]
    pub fn hashed_params() -> Self {
        Self {
            params: Vis::Hashed,
            ..Self::default()
        }
    }
}

/// The visibility `word` of tensor class `class`, in verinfer's words (`public`, `private`,
/// `hashed`) or EZKL's, so that EZKL users' settings read the same in the CLI and in Python.
///
/// EZKL's `fixed` (constants baked into the circuit) is what verinfer's public params are (the
/// keys attest the weights); its `hashed` and `hashed/public` are verinfer's `hashed` (a public
/// Poseidon hash). `fixed` inputs or outputs, `hashed/private` and polynomial commitments have
/// no verinfer equivalent and are refused by name.
fn class_word(class: &str, word: &str) -> Result<Vis, String> {
    let w = word.trim().to_ascii_lowercase();
    match (class, w.as_str()) {
        ("params", "fixed") => Ok(Vis::Public),
        (_, "fixed") => Err(format!(
            "{class} visibility \"fixed\" (values baked into the circuit) applies to params \
             only; use public, private or hashed"
        )),
        (_, "hashed/public") => Ok(Vis::Hashed),
        (_, "hashed/private" | "polycommit" | "kzgcommit") => Err(format!(
            "{class} visibility {word:?} is not supported: verinfer has public, private and \
             hashed (a public Poseidon hash)"
        )),
        (_, w) => w.parse().map_err(|_| {
            format!(
                "unknown visibility {word:?} (expected public, private or hashed; EZKL's fixed \
                 and hashed/public are accepted too)"
            )
        }),
    }
}

impl FromStr for Visibility {
    type Err = String;

    /// `input=public,params=hashed,output=public[,statement=digest]`; classes left out stay
    /// public, the statement packed. EZKL's words are accepted beside verinfer's
    /// (`params=fixed`, `hashed/public`).
    fn from_str(s: &str) -> Result<Self, String> {
        let mut v = Visibility::default();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (class, vis) = part
                .split_once('=')
                .ok_or_else(|| format!("visibility {part:?} is not CLASS=VIS"))?;
            if class.trim() == "statement" {
                v.statement = vis.trim().parse()?;
                continue;
            }
            match class.trim() {
                "input" | "inputs" => v.input = class_word("input", vis)?,
                "params" | "param" | "weights" => v.params = class_word("params", vis)?,
                "output" | "outputs" => v.output = class_word("output", vis)?,
                other => {
                    return Err(format!(
                        "unknown tensor class {other:?} (expected input, params or output)"
                    ))
                }
            }
        }
        Ok(v)
    }
}

impl fmt::Display for Visibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "input={},params={},output={}",
            self.input, self.params, self.output
        )?;
        if self.statement == Statement::Digest {
            f.write_str(",statement=digest")?;
        }
        Ok(())
    }
}

/// Whether parameter `kind` follows the `params` visibility (weights and biases do; tables and
/// index maps are always constants).
#[must_use]
pub fn is_model_param(kind: ParamKind) -> bool {
    matches!(kind, ParamKind::Weight | ParamKind::Bias)
}

/// Indices of the parameters that follow the `params` visibility, in parameter order.
#[must_use]
pub fn model_params(g: &Graph) -> Vec<usize> {
    g.params
        .iter()
        .enumerate()
        .filter(|(_, p)| is_model_param(p.kind))
        .map(|(i, _)| i)
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn parses_and_prints() {
        let v: Visibility = "input=private, params=hashed".parse().unwrap();
        assert_eq!(v.input, Vis::Private);
        assert_eq!(v.params, Vis::Hashed);
        assert_eq!(v.output, Vis::Public);
        assert_eq!(v.to_string().parse::<Visibility>().unwrap(), v);
        assert!("input=secret".parse::<Visibility>().is_err());
        assert!("weights".parse::<Visibility>().is_err());
        assert!("model=public".parse::<Visibility>().is_err());
        let d: Visibility = "statement=digest,params=hashed".parse().unwrap();
        assert_eq!(d.statement, Statement::Digest);
        assert_eq!(
            d.to_string(),
            "input=public,params=hashed,output=public,statement=digest"
        );
        assert_eq!(d.to_string().parse::<Visibility>().unwrap(), d);
        assert!("statement=hashed".parse::<Visibility>().is_err());
    }

    #[test]
    fn spellings_round_trip_and_refuse_by_name() {
        for v in [Vis::Public, Vis::Private, Vis::Hashed] {
            assert_eq!(v.to_string().parse::<Vis>().unwrap(), v);
        }
        for st in [Statement::Packed, Statement::Digest] {
            assert_eq!(st.as_str().parse::<Statement>().unwrap(), st);
        }
        assert_eq!(
            "secret".parse::<Vis>().unwrap_err(),
            "unknown visibility \"secret\" (expected public, private or hashed)"
        );
        assert_eq!(
            "hashed".parse::<Statement>().unwrap_err(),
            "unknown statement \"hashed\" (expected packed or digest)"
        );
    }

    #[test]
    fn ezkl_words() {
        let v: Visibility = "input=private,params=fixed,output=hashed/public"
            .parse()
            .unwrap();
        assert_eq!(v.to_string(), "input=private,params=public,output=hashed");
        let fixed_input = "input=fixed".parse::<Visibility>().unwrap_err();
        assert!(fixed_input.contains("params only"), "{fixed_input}");
        let kzg = "params=polycommit".parse::<Visibility>().unwrap_err();
        assert!(kzg.contains("not supported"), "{kzg}");
        let unknown = "params=secret".parse::<Visibility>().unwrap_err();
        assert!(unknown.contains("unknown visibility"), "{unknown}");
    }
}
