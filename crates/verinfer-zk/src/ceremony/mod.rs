//! A multi-party phase-2 trusted setup for the Groth16 keys (Bowe–Gabizon–Miers 2017, the
//! scheme of snarkjs `zkey contribute` and `phase2-bn254`), so that no single party can forge
//! proofs once one contributor was honest.
//!
//! Phase 2 randomizes δ only. The initial parameters ([`Params::new`]) are a full arkworks key
//! with δ = 1; each contribution samples δ′, multiplies `delta_g1` and `delta_g2` by δ′ and
//! divides every H- and L-query element by δ′ (the only key elements that carry 1/δ). It
//! publishes a proof of knowledge of δ′: `s`, `s·δ′` in G1 for a random `s`, and `r·δ′` in G2,
//! where `r` is hashed to G2 (unknown discrete logarithm) from the transcript so far and `s`,
//! `s·δ′`. The transcript hash starts from the circuit ([`circuit_hash`]: the manifest and every
//! key element phase 2 leaves alone) and absorbs each contribution in turn, so a contribution
//! commits to every earlier one; a contributor publishes its hash and later finds it in
//! [`verify`]'s report. A beacon contribution derives δ′ from a public random value by
//! iterated Keccak, so anyone recomputes it.
//!
//! Phase 1 (τ, α, β) comes either from a public powers-of-tau ceremony ([`Params::from_ptau`]
//! reads a prepared snarkjs `.ptau` file, [`ptau`]; γ = 1 as in snarkjs) — then nobody needs
//! to be trusted beyond one honest participant of each phase — or is sampled locally by
//! whoever runs [`Params::new`] (arkworks' generator): that party must be trusted to discard
//! it, since knowing τ alone forges proofs, whatever δ is. See docs/zk.md ("Trusted setup
//! ceremony").

mod from_ptau;
mod verify;

/// The `.ptau` reader (the `verinfer-ptau` crate, shared with the sumcheck backend).
pub use verinfer_ptau as ptau;

use std::path::Path;

use alloy_primitives::keccak256;
use ark_bn254::{Bn254, Fq, Fq2, Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::{AffineRepr, CurveGroup, PrimeGroup};
use ark_ff::{Field, PrimeField, UniformRand, Zero};
use ark_groth16::Groth16 as ArkGroth16;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use ark_std::rand::{CryptoRng, RngCore};
use verinfer_ir::Graph;

use crate::circuit::GraphCircuit;
use crate::error::ZkError;
use crate::files::KeyManifest;
use crate::groth16::{ProvingKey, VerifyingKey};
use crate::visibility::Visibility;

pub use from_ptau::CheckDomain;
pub use ptau::{Ptau, PtauError};
pub use verify::{verify, Verified};

/// First bytes of a ceremony file.
pub const MAGIC: &[u8] = b"verinfer-groth16-bn254-phase2/1\n";

/// Largest beacon iteration exponent (2^40 Keccak calls is hours already).
pub const MAX_BEACON_EXP: u32 = 40;

/// Why a ceremony step failed or a ceremony did not verify.
#[derive(Debug, thiserror::Error)]
pub enum CeremonyError {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A file is not a ceremony file, or is truncated or corrupt.
    #[error("{path}: {what}")]
    Format {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong.
        what: String,
    },
    /// Building the initial parameters failed.
    #[error(transparent)]
    Setup(#[from] ZkError),
    /// A contribution does not verify.
    #[error("contribution {index} ({name}): {what}")]
    Contribution {
        /// 1-based position in the ceremony.
        index: usize,
        /// The name its contributor gave.
        name: String,
        /// What is wrong.
        what: String,
    },
    /// The parameters are inconsistent in a way no single contribution explains.
    #[error("{0}")]
    Invalid(String),
    /// A bad argument (beacon iterations, an empty name).
    #[error("{0}")]
    Argument(String),
    /// The phase-1 `.ptau` file is malformed, inconsistent or too small for the circuit.
    #[error("powers of tau: {0}")]
    Ptau(#[from] ptau::PtauError),
}

/// A public random value a beacon contribution derives δ′ from.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct Beacon {
    /// The public value (e.g. a future block hash).
    pub value: Vec<u8>,
    /// δ′ comes after `2^iterations_exp` Keccak iterations of the value.
    pub iterations_exp: u32,
}

/// One contribution's public record.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct Contribution {
    /// A name the contributor chose (not authenticated: the hash identifies it).
    pub name: String,
    /// δ after this contribution, in G1.
    pub delta_after: G1Affine,
    /// Random `s` in G1.
    pub s: G1Affine,
    /// `s·δ′`.
    pub s_delta: G1Affine,
    /// `r·δ′`, `r` hashed to G2 from the transcript and `s`, `s·δ′`.
    pub r_delta: G2Affine,
    /// The beacon, for a beacon contribution.
    pub beacon: Option<Beacon>,
}

/// Phase-2 parameters: the key as it stands and the contributions so far.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    /// The manifest the final keys get (model, visibility, widths, lengths).
    pub manifest: KeyManifest,
    /// The Groth16 proving key (its `vk` is the verifying key).
    pub pk: ProvingKey,
    /// Contributions, in order.
    pub contributions: Vec<Contribution>,
}

/// A 32-byte transcript hash.
pub type Hash = [u8; 32];

fn keccak(parts: &[&[u8]]) -> Hash {
    let mut v = Vec::new();
    for p in parts {
        v.extend_from_slice(p);
    }
    keccak256(&v).0
}

fn bytes<T: CanonicalSerialize>(x: &T) -> Vec<u8> {
    let mut v = Vec::new();
    // Serializing into a Vec cannot fail for these types.
    let _ = x.serialize_uncompressed(&mut v);
    v
}

/// The transcript's start: the manifest and every key element phase 2 leaves unchanged
/// (identical in every file of one ceremony), and the H and L query lengths.
#[must_use]
pub fn circuit_hash(p: &Params) -> Hash {
    let manifest = serde_json::to_vec(&p.manifest).unwrap_or_default();
    let pk = &p.pk;
    keccak(&[
        MAGIC,
        &manifest,
        &bytes(&pk.vk.alpha_g1),
        &bytes(&pk.vk.beta_g2),
        &bytes(&pk.vk.gamma_g2),
        &bytes(&pk.vk.gamma_abc_g1),
        &bytes(&pk.beta_g1),
        &bytes(&pk.a_query),
        &bytes(&pk.b_g1_query),
        &bytes(&pk.b_g2_query),
        &bytes(&(pk.h_query.len() as u64)),
        &bytes(&(pk.l_query.len() as u64)),
    ])
}

/// The transcript after `c` (what the next contribution commits to).
#[must_use]
pub fn next_hash(t: &Hash, c: &Contribution) -> Hash {
    keccak(&[t, &bytes(c)])
}

/// A point of G2 from a seed, with a discrete logarithm nobody knows (try-and-increment on x,
/// then cofactor clearing).
pub(crate) fn hash_to_g2(seed: &Hash) -> G2Affine {
    let mut ctr: u64 = 0;
    loop {
        let c = ctr.to_le_bytes();
        let c0 = Fq::from_le_bytes_mod_order(&keccak(&[b"x0", seed, &c]));
        let c1 = Fq::from_le_bytes_mod_order(&keccak(&[b"x1", seed, &c]));
        let greatest = keccak(&[b"y", seed, &c])[0] & 1 == 1;
        if let Some(p) = G2Affine::get_point_from_x_unchecked(Fq2::new(c0, c1), greatest) {
            let p = p.clear_cofactor();
            if !p.is_zero() {
                return p;
            }
        }
        ctr += 1;
    }
}

/// `r` of a contribution: hashed from the transcript before it and its `s`, `s·δ′`.
pub(crate) fn r_of(t: &Hash, s: &G1Affine, s_delta: &G1Affine) -> G2Affine {
    hash_to_g2(&keccak(&[b"r", t, &bytes(s), &bytes(s_delta)]))
}

/// A scalar from a hash (64 bytes reduced: no visible bias).
fn scalar_from(h: &Hash, tag: &[u8]) -> Fr {
    let a = keccak(&[tag, h, b"0"]);
    let b = keccak(&[tag, h, b"1"]);
    Fr::from_le_bytes_mod_order(&[a, b].concat())
}

/// δ′ and the `s` secret of a beacon contribution.
///
/// # Errors
/// [`CeremonyError::Argument`] for an exponent above [`MAX_BEACON_EXP`].
pub fn beacon_secrets(b: &Beacon) -> Result<(Fr, Fr), CeremonyError> {
    if b.iterations_exp > MAX_BEACON_EXP {
        return Err(CeremonyError::Argument(format!(
            "beacon iteration exponent {} is above {MAX_BEACON_EXP}",
            b.iterations_exp
        )));
    }
    let mut h = keccak(&[b"verinfer-beacon", &b.value]);
    for _ in 0..(1u64 << b.iterations_exp) {
        h = keccak256(h).0;
    }
    Ok((scalar_from(&h, b"delta"), scalar_from(&h, b"s")))
}

/// Every point multiplied by `k`, back in affine form.
fn scale(points: &[G1Affine], k: Fr) -> Vec<G1Affine> {
    let proj: Vec<G1Projective> = points.iter().map(|p| *p * k).collect();
    G1Projective::normalize_batch(&proj)
}

impl Params {
    /// Initial parameters for `g` under `vis`: a fresh local phase 1 and δ = 1 (standard
    /// generators, so that δ's chain starts at a known point). Whoever runs this knows τ and
    /// can forge proofs unless they discard it; [`Params::from_ptau`] avoids that.
    ///
    /// # Errors
    /// [`CeremonyError::Setup`] for a graph without a circuit.
    pub fn new<R: RngCore + CryptoRng>(
        g: &Graph,
        model_id: String,
        vis: Visibility,
        rng: &mut R,
    ) -> Result<Self, CeremonyError> {
        Self::new_dyn(g, model_id, vis, rng)
    }

    // Through `dyn Rng`: arkworks' parameter generation compiled once (see `groth16.rs`).
    fn new_dyn(
        g: &Graph,
        model_id: String,
        vis: Visibility,
        mut rng: &mut dyn verinfer_prove::Rng,
    ) -> Result<Self, CeremonyError> {
        let constraints: usize = crate::constraint_counts_with(g, vis)?
            .values()
            .map(|c| c.constraints)
            .sum();
        let circuit = GraphCircuit::blank_with_visibility(g, vis)?;
        let slot = circuit.error_slot();
        let (alpha, beta, gamma) = (Fr::rand(&mut rng), Fr::rand(&mut rng), Fr::rand(&mut rng));
        let pk = ArkGroth16::<Bn254>::generate_parameters_with_qap(
            circuit,
            alpha,
            beta,
            gamma,
            Fr::ONE,
            G1Projective::generator(),
            G2Projective::generator(),
            &mut rng,
        )
        .map_err(|e| crate::groth16::stashed(&slot, e))?;
        let manifest = KeyManifest::new(g, model_id, vis, &pk.vk, constraints)?;
        Ok(Self {
            manifest,
            pk,
            contributions: Vec::new(),
        })
    }

    /// The transcript hash after every contribution so far.
    #[must_use]
    pub fn transcript(&self) -> Hash {
        self.contributions
            .iter()
            .fold(circuit_hash(self), |t, c| next_hash(&t, c))
    }

    /// Contribute fresh randomness from `rng` (δ′ and `s` are dropped afterwards). Returns the
    /// new parameters; their [`Params::transcript`] is the contribution's hash to publish.
    ///
    /// # Errors
    /// [`CeremonyError::Argument`] for an empty name.
    pub fn contribute<R: RngCore + CryptoRng>(
        &self,
        name: &str,
        rng: &mut R,
    ) -> Result<Self, CeremonyError> {
        let mut d = Fr::rand(rng);
        while d.is_zero() {
            d = Fr::rand(rng);
        }
        self.contribute_with_secret(name, d, Fr::rand(rng), None)
    }

    /// A beacon contribution: δ′ from `beacon` ([`beacon_secrets`]), reproducible by anyone.
    ///
    /// # Errors
    /// [`CeremonyError::Argument`] for too many iterations.
    pub fn beacon(&self, beacon: Beacon) -> Result<Self, CeremonyError> {
        let (d, s) = beacon_secrets(&beacon)?;
        self.contribute_with_secret("beacon", d, s, Some(beacon))
    }

    /// Contribute δ′ = `d` with proof-of-knowledge secret `s` (for contributors who bring
    /// their own randomness, and for tests).
    ///
    /// # Errors
    /// [`CeremonyError::Argument`] for an empty name or a zero `d` or `s`.
    pub fn contribute_with_secret(
        &self,
        name: &str,
        d: Fr,
        s: Fr,
        beacon: Option<Beacon>,
    ) -> Result<Self, CeremonyError> {
        if name.trim().is_empty() {
            return Err(CeremonyError::Argument(
                "a contribution needs a name".into(),
            ));
        }
        let d_inv = d
            .inverse()
            .ok_or_else(|| CeremonyError::Argument("δ′ is zero".into()))?;
        if s.is_zero() {
            return Err(CeremonyError::Argument("s is zero".into()));
        }
        let t = self.transcript();
        let s_pt = (G1Affine::generator() * s).into_affine();
        let s_delta = (s_pt * d).into_affine();
        let r = r_of(&t, &s_pt, &s_delta);
        let mut pk = self.pk.clone();
        pk.delta_g1 = (pk.delta_g1 * d).into_affine();
        pk.vk.delta_g2 = (pk.vk.delta_g2 * d).into_affine();
        pk.h_query = scale(&pk.h_query, d_inv);
        pk.l_query = scale(&pk.l_query, d_inv);
        let mut contributions = self.contributions.clone();
        contributions.push(Contribution {
            name: name.trim().to_string(),
            delta_after: pk.delta_g1,
            s: s_pt,
            s_delta,
            r_delta: (r * d).into_affine(),
            beacon,
        });
        Ok(Self {
            manifest: self.manifest.clone(),
            pk,
            contributions,
        })
    }

    /// The keys for `verinfer prove` / `verify` / `export-verifier` (verify the ceremony
    /// first: [`verify`]).
    #[must_use]
    pub fn keys(&self) -> (ProvingKey, VerifyingKey, KeyManifest) {
        let mut m = self.manifest.clone();
        m.ceremony = Some(crate::files::to_hex(&self.transcript()));
        (self.pk.clone(), self.pk.vk.clone(), m)
    }

    /// The file's bytes: [`MAGIC`], the manifest as length-prefixed JSON, the proving key and
    /// the contributions (arkworks uncompressed serialization).
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let manifest = serde_json::to_vec(&self.manifest).unwrap_or_default();
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&(manifest.len() as u64).to_le_bytes());
        out.extend_from_slice(&manifest);
        out.extend(bytes(&self.pk));
        out.extend(bytes(&self.contributions));
        out
    }

    /// Parse [`Params::to_bytes`]; every point is checked on the curve and in its subgroup.
    ///
    /// # Errors
    /// A message naming what is wrong.
    pub fn from_bytes(b: &[u8]) -> Result<Self, String> {
        let rest = b
            .strip_prefix(MAGIC)
            .ok_or("not a verinfer phase-2 ceremony file")?;
        let (len, rest) = rest.split_at_checked(8).ok_or("truncated")?;
        let len: [u8; 8] = len.try_into().map_err(|_| "truncated")?;
        let len = usize::try_from(u64::from_le_bytes(len)).map_err(|_| "bad manifest length")?;
        let (manifest, mut rest) = rest.split_at_checked(len).ok_or("truncated manifest")?;
        let manifest: KeyManifest =
            serde_json::from_slice(manifest).map_err(|e| format!("manifest: {e}"))?;
        let pk = ProvingKey::deserialize_uncompressed(&mut rest)
            .map_err(|e| format!("proving key: {e}"))?;
        let contributions = Vec::<Contribution>::deserialize_uncompressed(&mut rest)
            .map_err(|e| format!("contributions: {e}"))?;
        if !rest.is_empty() {
            return Err(format!("{} trailing bytes", rest.len()));
        }
        Ok(Self {
            manifest,
            pk,
            contributions,
        })
    }

    /// Read a ceremony file.
    ///
    /// # Errors
    /// [`CeremonyError`] for a missing or malformed file.
    pub fn load(path: &Path) -> Result<Self, CeremonyError> {
        let b = std::fs::read(path).map_err(|source| CeremonyError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_bytes(&b).map_err(|what| CeremonyError::Format {
            path: path.to_path_buf(),
            what,
        })
    }

    /// Write a ceremony file (through a temporary file and a rename).
    ///
    /// # Errors
    /// [`CeremonyError::Io`] when writing fails.
    pub fn save(&self, path: &Path) -> Result<(), CeremonyError> {
        let io = |source| CeremonyError::Io {
            path: path.to_path_buf(),
            source,
        };
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, self.to_bytes()).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }
}
