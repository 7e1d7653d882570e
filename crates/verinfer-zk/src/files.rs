//! Key directories and proof files: what `verinfer setup` writes and `prove` / `verify` read.
//!
//! A key directory holds `proving.key` and `verifying.key` (arkworks canonical serialization,
//! uncompressed: loading skips square roots) and `keys.json`, the manifest naming the model id
//! and the statement's shape (visibility, packing widths, parameter hash). A proof file is JSON
//! carrying the proof and the public values it attests, so it can be checked with the
//! verifying key alone; the field elements are recomputed from those values at verification,
//! never read from the file.

use std::fs;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use alloy_primitives::B256;
use ark_bn254::Fr;
use ark_ff::{BigInteger, PrimeField};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use serde::{Deserialize, Serialize};

use crate::binding::Context;
use crate::error::ZkError;
use crate::groth16::{Proof, ProvingKey, VerifyingKey};
use crate::statement::{param_hash, Bn254Values, Lengths, PublicValues, Widths};
use crate::visibility::Visibility;

/// Format tag of `keys.json` (`/4`: the manifest names its proof backend; `/3` was Groth16's
/// `verinfer-groth16-bn254-keys/3`, keys of the one-input digest statement; `/2` recorded the
/// tensor lengths of the packed statement; older manifests are refused).
pub const KEYS_FORMAT: &str = "verinfer-keys/4";
/// Format tag of a proof file (`/3`: the file names its proof backend; `/2` was Groth16's
/// `verinfer-groth16-bn254-proof/2`, where the proof states its context).
pub const PROOF_FORMAT: &str = "verinfer-proof/3";

/// Why a key directory or proof file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// Reading or writing failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The JSON is malformed or of another format.
    #[error("{path}: {what}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        what: String,
    },
    /// A key or proof does not deserialize to valid curve points.
    #[error("{path}: not a valid {what}: {source}")]
    Point {
        /// The file.
        path: PathBuf,
        /// Which object.
        what: &'static str,
        /// The cause.
        source: ark_serialize::SerializationError,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> FileError + '_ {
    move |source| FileError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn format_err(path: &Path, what: impl Into<String>) -> FileError {
    FileError::Format {
        path: path.to_path_buf(),
        what: what.into(),
    }
}

/// Write `bytes` to `path` through [`verinfer_ir::atomic`] (no torn files, no collisions
/// between concurrent writers, no rewrite of unchanged bytes).
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    verinfer_ir::atomic::write_atomic(path, bytes).map_err(io(path))?;
    Ok(())
}

/// A field element as `0x` + 64 hex digits (big-endian).
#[must_use]
pub fn fr_hex(x: &Fr) -> String {
    to_hex(&x.into_bigint().to_bytes_be())
}

/// Parse [`fr_hex`]'s output; values at or above the modulus are refused.
///
/// # Errors
/// A message naming what is wrong.
pub fn parse_fr(s: &str) -> Result<Fr, String> {
    let bytes = parse_hex(s)?;
    if bytes.len() != 32 {
        return Err(format!("{s:?} is not 32 bytes"));
    }
    let x = Fr::from_be_bytes_mod_order(&bytes);
    if fr_hex(&x) != s.to_ascii_lowercase() {
        return Err(format!("{s} is not below the BN254 scalar modulus"));
    }
    Ok(x)
}

/// `0x`-prefixed hex to bytes.
///
/// # Errors
/// A message naming what is wrong.
pub fn parse_hex(s: &str) -> Result<Vec<u8>, String> {
    let h = s
        .strip_prefix("0x")
        .ok_or_else(|| format!("{s:?} does not start with 0x"))?;
    if h.len() % 2 != 0 {
        return Err(format!("{s:?} has an odd number of hex digits"));
    }
    (0..h.len())
        .step_by(2)
        .map(|i| {
            h.get(i..i + 2)
                .and_then(|d| u8::from_str_radix(d, 16).ok())
                .ok_or_else(|| format!("{s:?} is not hex"))
        })
        .collect()
}

/// Bytes as `0x`-prefixed hex.
#[must_use]
pub fn to_hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(2 + 2 * bytes.len());
    s.push_str("0x");
    for b in bytes {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// `keys.json`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct KeyManifest {
    /// [`KEYS_FORMAT`].
    pub format: String,
    /// The proof backend the keys belong to (`groth16`; `verinfer_prove::ProofBackend::name`).
    pub backend: String,
    /// The model id (Keccak Merkle commitment of graph and parameters) the keys were made for.
    pub model_id: String,
    /// `input=…,params=…,output=…`.
    pub visibility: String,
    /// Packing width of the inputs.
    pub input_width: u32,
    /// Packing width of the outputs.
    pub output_width: u32,
    /// The weights' Poseidon hash, when hashed (the model as the proofs state it).
    pub param_hash: Option<String>,
    /// Public field elements of every proof.
    pub public_inputs: usize,
    /// R1CS constraints of the circuit.
    pub constraints: usize,
    /// Count and length of the graph's input and output tensors: a proof file must state
    /// exactly these (packing alone does not tell `[a, b]` from `[a], [b]` or `[a, b, min]`).
    pub lengths: Lengths,
    /// The final transcript hash of the phase-2 ceremony the keys come from
    /// ([`crate::ceremony`]); absent for a local single-party `setup`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ceremony: Option<String>,
    /// The public powers-of-tau file phase 1 came from, for a ceremony started with
    /// `--ptau`; absent when phase 1 was sampled locally (one party must then be trusted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase1: Option<Phase1>,
}

/// Which public phase-1 (powers of tau) file a ceremony's initial parameters were built from:
/// compare the hash with the one the ceremony published, and rebuild the initial parameters
/// from the file (`verinfer ceremony verify --ptau`) to check they really came from it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Phase1 {
    /// BLAKE2b-512 of the whole `.ptau` file (`b2sum`), `0x`-hex: the hash public ceremonies
    /// publish.
    pub ptau_blake2b: String,
    /// The file's power (domains up to 2^power).
    pub power: u32,
    /// The power of the ceremony it was cut from.
    pub ceremony_power: u32,
}

impl KeyManifest {
    /// The manifest of keys for `g` under `vis` (`vk` gives the public-input count).
    ///
    /// # Errors
    /// [`ZkError::BadWitness`] when a hashed weight leaves its bit width.
    pub fn new(
        g: &verinfer_ir::Graph,
        model_id: String,
        vis: Visibility,
        vk: &VerifyingKey,
        constraints: usize,
    ) -> Result<Self, ZkError> {
        let hash = match vis.params {
            crate::Vis::Hashed => Some(B256::from(crate::binding::fr_word(&param_hash(g)?))),
            _ => None,
        };
        Ok(Self::for_backend(
            crate::groth16::NAME,
            g,
            model_id,
            vis,
            vk.gamma_abc_g1.len().saturating_sub(1),
            constraints,
            hash,
        ))
    }

    /// The manifest of keys of `backend` for `g` under `vis`: `public_inputs` as the
    /// verifying key takes them, `size` in the backend's unit, the weights' hash when hashed.
    #[must_use]
    pub fn for_backend(
        backend: &str,
        g: &verinfer_ir::Graph,
        model_id: String,
        vis: Visibility,
        public_inputs: usize,
        size: usize,
        param_hash: Option<B256>,
    ) -> Self {
        let w = Widths::of(g);
        Self {
            format: KEYS_FORMAT.to_string(),
            backend: backend.to_string(),
            model_id,
            visibility: vis.to_string(),
            input_width: w.input,
            output_width: w.output,
            param_hash: param_hash.map(|h| to_hex(h.as_slice())),
            public_inputs,
            constraints: size,
            lengths: Lengths::of(g),
            ceremony: None,
            phase1: None,
        }
    }

    /// The visibility the keys were made for.
    ///
    /// # Errors
    /// A message when the manifest's visibility does not parse.
    pub fn visibility(&self) -> Result<Visibility, String> {
        self.visibility.parse()
    }

    /// The packing widths.
    #[must_use]
    pub fn widths(&self) -> Widths {
        Widths {
            input: self.input_width,
            output: self.output_width,
        }
    }
}

/// Save keys and their manifest into `dir` (created if missing).
///
/// # Errors
/// [`FileError`] when writing fails.
pub fn save_keys(
    dir: &Path,
    pk: &ProvingKey,
    vk: &VerifyingKey,
    manifest: &KeyManifest,
) -> Result<(), FileError> {
    let mut keys = Vec::with_capacity(2);
    for (name, obj) in [
        ("proving.key", pk as &dyn CanonicalSerializeDyn),
        ("verifying.key", vk as &dyn CanonicalSerializeDyn),
    ] {
        let mut bytes = Vec::new();
        obj.write(&mut bytes).map_err(|source| FileError::Point {
            path: dir.join(name),
            what: "key",
            source,
        })?;
        keys.push(bytes);
    }
    let [pk, vk] =
        <[Vec<u8>; 2]>::try_from(keys).map_err(|_| format_err(dir, "two keys expected"))?;
    save_key_bytes(dir, &pk, &vk, manifest)
}

/// Save keys as their backend wrote them (`verinfer_prove::DynBackend::write_proving_key`,
/// `write_verifying_key`) and their manifest into `dir` (created if missing).
///
/// # Errors
/// [`FileError`] when writing fails.
pub fn save_key_bytes(
    dir: &Path,
    pk: &[u8],
    vk: &[u8],
    manifest: &KeyManifest,
) -> Result<(), FileError> {
    fs::create_dir_all(dir).map_err(io(dir))?;
    write_atomic(&dir.join("proving.key"), pk)?;
    write_atomic(&dir.join("verifying.key"), vk)?;
    let path = dir.join("keys.json");
    let text = serde_json::to_vec_pretty(manifest).map_err(|e| format_err(&path, e.to_string()))?;
    write_atomic(&path, &text)
}

/// Object-safe uncompressed serialization (keys of two types in one loop).
trait CanonicalSerializeDyn {
    fn write(&self, out: &mut Vec<u8>) -> Result<(), ark_serialize::SerializationError>;
}

impl<T: CanonicalSerialize> CanonicalSerializeDyn for T {
    fn write(&self, out: &mut Vec<u8>) -> Result<(), ark_serialize::SerializationError> {
        self.serialize_uncompressed(out)
    }
}

/// Read `keys.json` of `dir`.
///
/// # Errors
/// [`FileError`] for a missing, malformed or foreign manifest.
pub fn load_manifest(dir: &Path) -> Result<KeyManifest, FileError> {
    let path = dir.join("keys.json");
    let text = fs::read(&path).map_err(io(&path))?;
    let format = serde_json::from_slice::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("format").and_then(|f| f.as_str()).map(str::to_string));
    match format.as_deref() {
        Some("verinfer-groth16-bn254-keys/1") => {
            return Err(format_err(
                &path,
                "keys of format /1 do not record the tensor lengths a proof must state; \
                 run `verinfer setup` again",
            ))
        }
        Some("verinfer-groth16-bn254-keys/2") => {
            return Err(format_err(
                &path,
                "keys of format /2 are for the packed statement (one public input per packed \
                 element, no context binding); run `verinfer setup` again",
            ))
        }
        Some("verinfer-groth16-bn254-keys/3") => {
            return Err(format_err(
                &path,
                format!(
                    "keys of format verinfer-groth16-bn254-keys/3 do not name their proof \
                     backend; they are Groth16 keys: set \"format\": \"{KEYS_FORMAT}\" and \
                     add \"backend\": \"groth16\" to keys.json, or run `verinfer setup` again"
                ),
            ))
        }
        _ => {}
    }
    let m: KeyManifest =
        serde_json::from_slice(&text).map_err(|e| format_err(&path, e.to_string()))?;
    if m.format != KEYS_FORMAT {
        return Err(format_err(
            &path,
            format!("format {:?}, expected {KEYS_FORMAT:?}", m.format),
        ));
    }
    m.visibility().map_err(|e| format_err(&path, e))?;
    Ok(m)
}

/// The bytes of `proving.key` of `dir`, for `verinfer_prove::DynBackend::read_proving_key`.
///
/// # Errors
/// [`FileError::Io`] for a missing or unreadable file.
pub fn read_proving_key_bytes(dir: &Path) -> Result<Vec<u8>, FileError> {
    let path = dir.join("proving.key");
    fs::read(&path).map_err(io(&path))
}

/// The bytes of `verifying.key` of `dir`, for
/// `verinfer_prove::DynBackend::read_verifying_key`.
///
/// # Errors
/// [`FileError::Io`] for a missing or unreadable file.
pub fn read_verifying_key_bytes(dir: &Path) -> Result<Vec<u8>, FileError> {
    let path = dir.join("verifying.key");
    fs::read(&path).map_err(io(&path))
}

/// Read the verifying key of `dir` (points checked on the curve and in the subgroup).
///
/// # Errors
/// [`FileError`] for a missing or invalid key.
pub fn load_verifying_key(dir: &Path) -> Result<VerifyingKey, FileError> {
    let path = dir.join("verifying.key");
    let f = fs::File::open(&path).map_err(io(&path))?;
    VerifyingKey::deserialize_uncompressed(BufReader::new(f)).map_err(|source| FileError::Point {
        path,
        what: "verifying key",
        source,
    })
}

/// Read the proving key of `dir`. Its points are not subgroup-checked (that would dominate
/// loading): a corrupted proving key can only produce proofs that fail verification.
///
/// # Errors
/// [`FileError`] for a missing or malformed key.
pub fn load_proving_key(dir: &Path) -> Result<ProvingKey, FileError> {
    let path = dir.join("proving.key");
    let f = fs::File::open(&path).map_err(io(&path))?;
    ProvingKey::deserialize_uncompressed_unchecked(BufReader::new(f)).map_err(|source| {
        FileError::Point {
            path,
            what: "proving key",
            source,
        }
    })
}

/// The public values as a proof file states them.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct PublicJson {
    /// Quantized graph inputs (public inputs only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<Vec<i32>>,
    /// Poseidon hash of the inputs (hashed inputs only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_hash: Option<String>,
    /// Poseidon hash of the weights (hashed weights only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub param_hash: Option<String>,
    /// Quantized graph outputs (public outputs only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outputs: Vec<Vec<i32>>,
    /// Poseidon hash of the outputs (hashed outputs only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_hash: Option<String>,
    /// Where and for whom the proof holds (the model id is the file's `model_id`).
    pub context: ContextJson,
}

/// A proof's [`Context`] as a file states it (hex; the zero context by default).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ContextJson {
    /// EIP-155 chain id, `0x` hex.
    pub chain_id: String,
    /// The accepting contract, `0x` + 40 hex digits.
    pub contract: String,
    /// The request or token id, `0x` hex.
    pub tag: String,
    /// Who may use the proof, `0x` + 40 hex digits.
    pub answerer: String,
}

impl Default for ContextJson {
    fn default() -> Self {
        Self::of(&Context::default())
    }
}

impl ContextJson {
    /// The file form of `ctx`.
    #[must_use]
    pub fn of(ctx: &Context) -> Self {
        Self {
            chain_id: format!("{:#x}", ctx.chain_id),
            contract: format!("{:#x}", ctx.contract),
            tag: format!("{:#x}", ctx.tag),
            answerer: format!("{:#x}", ctx.answerer),
        }
    }

    /// The context of `model_id` these fields state.
    ///
    /// # Errors
    /// A message naming the malformed field.
    pub fn context(&self, model_id: &str) -> Result<Context, String> {
        use std::str::FromStr;
        let num = |s: &str, what: &str| {
            alloy_primitives::U256::from_str(s).map_err(|e| format!("context {what} {s:?}: {e}"))
        };
        let addr = |s: &str, what: &str| {
            alloy_primitives::Address::from_str(s).map_err(|e| format!("context {what} {s:?}: {e}"))
        };
        Ok(Context {
            model_id: alloy_primitives::B256::from_str(model_id)
                .map_err(|e| format!("model id {model_id:?}: {e}"))?,
            chain_id: num(&self.chain_id, "chain_id")?,
            contract: addr(&self.contract, "contract")?,
            tag: num(&self.tag, "tag")?,
            answerer: addr(&self.answerer, "answerer")?,
        })
    }
}

/// A proof file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ProofFile {
    /// [`PROOF_FORMAT`].
    pub format: String,
    /// The proof backend that made it (`groth16`).
    pub backend: String,
    /// The model id the proof is about.
    pub model_id: String,
    /// `input=…,params=…,output=…`.
    pub visibility: String,
    /// What the proof attests.
    pub public: PublicJson,
    /// The public field elements (the statement digest), for reading (verification
    /// recomputes them).
    pub public_inputs: Vec<String>,
    /// The proof: arkworks compressed serialization (A, B, C), hex.
    pub proof: String,
    /// Proof size in bytes.
    pub proof_bytes: usize,
}

impl ProofFile {
    /// A proof file of `proof` attesting `public` about `model_id` (`0x` + 64 hex digits, the
    /// model id the proof's context is bound to).
    ///
    /// # Errors
    /// A message when `model_id` is not the context's, or the public values do not pack
    /// (never for a proof `prove` returned).
    pub fn new(model_id: String, proof: &Proof, public: &PublicValues) -> Result<Self, String> {
        let mut bytes = Vec::new();
        proof
            .serialize_compressed(&mut bytes)
            .map_err(|e| e.to_string())?;
        Self::from_bytes(model_id, crate::groth16::NAME, &bytes, &public.to_neutral())
    }

    /// A proof file of a proof as its backend wrote it
    /// (`verinfer_prove::DynBackend::prove`), attesting `public` about `model_id`.
    ///
    /// # Errors
    /// As [`ProofFile::new`].
    pub fn from_bytes(
        model_id: String,
        backend: &str,
        proof: &[u8],
        public: &verinfer_prove::PublicValues,
    ) -> Result<Self, String> {
        let id: alloy_primitives::B256 = model_id
            .parse()
            .map_err(|e| format!("model id {model_id:?}: {e}"))?;
        if id != public.context.model_id {
            return Err(format!(
                "the proof is bound to model {}, not {model_id}",
                public.context.model_id
            ));
        }
        let words = public.words().map_err(|e| e.to_string())?;
        let hex = |w: &B256| to_hex(w.as_slice());
        Ok(Self {
            format: PROOF_FORMAT.to_string(),
            backend: backend.to_string(),
            model_id,
            visibility: public.visibility.to_string(),
            public: PublicJson {
                inputs: public.inputs.clone(),
                input_hash: public.input_hash.as_ref().map(hex),
                param_hash: public.param_hash.as_ref().map(hex),
                outputs: public.outputs.clone(),
                output_hash: public.output_hash.as_ref().map(hex),
                context: ContextJson::of(&public.context),
            },
            public_inputs: words.iter().map(hex).collect(),
            proof_bytes: proof.len(),
            proof: to_hex(proof),
        })
    }

    /// Read a proof file.
    ///
    /// # Errors
    /// [`FileError`] for a missing, malformed or foreign file.
    pub fn load(path: &Path) -> Result<Self, FileError> {
        let text = fs::read(path).map_err(io(path))?;
        let format = serde_json::from_slice::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v.get("format").and_then(|f| f.as_str()).map(str::to_string));
        if format.as_deref() == Some("verinfer-groth16-bn254-proof/2") {
            return Err(format_err(
                path,
                format!(
                    "proof files of format verinfer-groth16-bn254-proof/2 do not name their \
                     backend; they are Groth16 proofs: set \"format\": \"{PROOF_FORMAT}\" and add \
                     \"backend\": \"groth16\", or prove again"
                ),
            ));
        }
        let f: ProofFile =
            serde_json::from_slice(&text).map_err(|e| format_err(path, e.to_string()))?;
        if f.format != PROOF_FORMAT {
            return Err(format_err(
                path,
                format!("format {:?}, expected {PROOF_FORMAT:?}", f.format),
            ));
        }
        Ok(f)
    }

    /// Write the file atomically.
    ///
    /// # Errors
    /// [`FileError`] when writing fails.
    pub fn save(&self, path: &Path) -> Result<(), FileError> {
        let text = serde_json::to_vec_pretty(self).map_err(|e| format_err(path, e.to_string()))?;
        write_atomic(path, &text)
    }

    /// The proof as its backend wrote it (for `verinfer_prove::DynBackend::verify`).
    ///
    /// # Errors
    /// [`FileError`] for bad hex.
    pub fn proof_bytes(&self, path: &Path) -> Result<Vec<u8>, FileError> {
        parse_hex(&self.proof).map_err(|e| format_err(path, format!("proof: {e}")))
    }

    /// [`ProofFile::public_values`] in the backend-neutral form.
    ///
    /// # Errors
    /// As there.
    pub fn neutral_public_values(
        &self,
        path: &Path,
        manifest: &KeyManifest,
    ) -> Result<verinfer_prove::PublicValues, FileError> {
        if self.backend != manifest.backend {
            return Err(format_err(
                path,
                format!(
                    "the proof was made by backend {:?}, the keys are for {:?}",
                    self.backend, manifest.backend
                ),
            ));
        }
        self.public_values(path, manifest).map(|p| p.to_neutral())
    }

    /// The proof (points checked on the curve and in the subgroup).
    ///
    /// # Errors
    /// [`FileError`] for bad hex or invalid points.
    pub fn proof(&self, path: &Path) -> Result<Proof, FileError> {
        let bytes = parse_hex(&self.proof).map_err(|e| format_err(path, format!("proof: {e}")))?;
        Proof::deserialize_compressed(bytes.as_slice()).map_err(|source| FileError::Point {
            path: path.to_path_buf(),
            what: "proof",
            source,
        })
    }

    /// The public values under the statement shape of `manifest` (the keys decide the
    /// visibility, widths and tensor lengths, not the file).
    ///
    /// # Errors
    /// [`FileError`] when the file's visibility differs from the keys', its tensors are not
    /// the model's (count or length; the message names the tensor) or a hash is malformed.
    pub fn public_values(
        &self,
        path: &Path,
        manifest: &KeyManifest,
    ) -> Result<PublicValues, FileError> {
        let vis = manifest.visibility().map_err(|e| format_err(path, e))?;
        let own: Visibility = self
            .visibility
            .parse()
            .map_err(|e: String| format_err(path, e))?;
        if own != vis {
            return Err(format_err(
                path,
                format!("the proof is for visibility {own}, the keys for {vis}"),
            ));
        }
        manifest
            .lengths
            .check(vis, &self.public.inputs, &self.public.outputs)
            .map_err(|e| format_err(path, e.to_string()))?;
        let hash = |h: &Option<String>, what: &str| -> Result<Option<Fr>, FileError> {
            h.as_deref()
                .map(parse_fr)
                .transpose()
                .map_err(|e| format_err(path, format!("{what}: {e}")))
        };
        Ok(PublicValues {
            visibility: vis,
            input_width: manifest.input_width,
            output_width: manifest.output_width,
            inputs: self.public.inputs.clone(),
            input_hash: hash(&self.public.input_hash, "input_hash")?,
            param_hash: hash(&self.public.param_hash, "param_hash")?,
            outputs: self.public.outputs.clone(),
            output_hash: hash(&self.public.output_hash, "output_hash")?,
            lengths: manifest.lengths.clone(),
            context: self
                .public
                .context
                .context(&self.model_id)
                .map_err(|e| format_err(path, e))?,
        })
    }
}
