//! Proofs: `setup` → `Keys`, `prove` → `Proof`, `verify`, `export_verifier` — what
//! `verinfer setup`, `prove`, `verify` and `export-verifier` do, by the backend the keys name
//! (`verinfer_node::backends`; Groth16 by default).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use pyo3::prelude::*;
use pyo3::types::PyDict;
use verinfer_commit::ModelCommitment;
use verinfer_exec::Plan;
use verinfer_node::backends;
use verinfer_prove::{os_rng, DynBackend, Vis, Visibility};
use verinfer_zk::files::{self, KeyManifest, ProofFile};

use crate::error::{Error, ResultExt};
use crate::inputs;
use crate::model::Model;
use crate::progress::report;
use crate::visibility;

/// Proving and verifying keys of one model with their manifest (`keys.json`): what
/// `verinfer setup` writes into a key directory.
///
/// Keys from `verinfer.setup` come from a local single-party setup: whoever ran it can forge
/// proofs. Production keys come from `verinfer ceremony` (docs/zk.md, "Trusted setup").
#[pyclass(module = "verinfer", frozen)]
pub struct Keys {
    pub(crate) manifest: KeyManifest,
    proving: Vec<u8>,
    pub(crate) verifying: Vec<u8>,
}

/// A proof file: the proof and the public values it attests (what `verinfer prove` writes).
#[pyclass(module = "verinfer", frozen)]
pub struct Proof {
    pub(crate) file: ProofFile,
}

/// Label of a proof that has no file yet, in error messages.
pub(crate) const IN_MEMORY: &str = "<proof>";

fn backend_of(manifest: &KeyManifest) -> Result<Box<dyn DynBackend>, Error> {
    backends::backend(&manifest.backend).lib()
}

/// The visibility Python gave: `None` (all public), a `CLASS=VIS,…` string or a dict, plus
/// EZKL's keyword arguments.
fn parse_visibility(
    visibility: Option<&Bound<'_, PyAny>>,
    ezkl: [(&str, Option<String>); 3],
) -> PyResult<Visibility> {
    let mut pairs: BTreeMap<String, String> = BTreeMap::new();
    if let Some(v) = visibility {
        if let Ok(s) = v.extract::<String>() {
            let base = visibility::from_str(&s)?;
            pairs.insert("input".into(), base.input.as_str().into());
            pairs.insert("params".into(), base.params.as_str().into());
            pairs.insert("output".into(), base.output.as_str().into());
            pairs.insert("statement".into(), base.statement.as_str().into());
        } else if let Ok(d) = v.extract::<BTreeMap<String, String>>() {
            pairs = d;
        } else {
            return Err(Error::Invalid(
                "visibility must be a string like \"input=public,params=hashed,output=public\" or a dict"
                    .into(),
            )
            .into());
        }
    }
    for (k, v) in ezkl {
        if let Some(v) = v {
            pairs.insert(k.to_string(), v);
        }
    }
    Ok(visibility::from_pairs(&pairs)?)
}

/// Generates proof keys for `model` (what `verinfer setup` does; a local single-party dev
/// setup).
///
/// `backend` names the proof system (`"groth16"`). `visibility` says who sees what: `None`
/// (everything public), a string `"input=public,params=hashed,output=public"` or a dict
/// `{"input": ..., "params": ..., "output": ...}`; EZKL's `input_visibility`,
/// `param_visibility`, `output_visibility` keywords work too. Words: `public`, `private`,
/// `hashed` (a public Poseidon hash), and EZKL's `fixed` (params: constants of the circuit,
/// verinfer's public params) and `hashed/public`.
///
/// `backend="sumcheck"` is the sumcheck/LogUp backend: it proves a single matrix-product
/// model today (every class public) and samples an insecure local SRS here; any other model
/// raises its reason. `progress(line)`: one line per stage (size, key generation).
///
/// Raises `VerinferError` when the backend does not support the model or the visibility.
#[pyfunction]
#[pyo3(signature = (model, backend="groth16", visibility=None, *, input_visibility=None, param_visibility=None, output_visibility=None, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn setup(
    py: Python<'_>,
    model: &Model,
    backend: &str,
    visibility: Option<&Bound<'_, PyAny>>,
    input_visibility: Option<String>,
    param_visibility: Option<String>,
    output_visibility: Option<String>,
    progress: Option<Py<PyAny>>,
) -> PyResult<Keys> {
    let vis = parse_visibility(
        visibility,
        [
            ("input", input_visibility),
            ("params", param_visibility),
            ("output", output_visibility),
        ],
    )?;
    let m = model.model.clone();
    let backend = backend.to_string();
    py.detach(|| {
        let backend = backends::backend(&backend).lib()?;
        backend.supports(&m, vis).lib()?;
        let constraints = backend.size(&m, vis).lib()?;
        report(
            progress.as_ref(),
            &format!(
                "{}: {constraints} constraints; generating keys",
                backend.name()
            ),
        )?;
        let mut rng = os_rng();
        let keys = backend.setup(&m, vis, &mut rng).lib()?;
        report(progress.as_ref(), "keys generated")?;
        let param_hash = match vis.params {
            Vis::Hashed => Some(backend.param_hash(&m).lib()?),
            _ => None,
        };
        let manifest = KeyManifest::for_backend(
            backend.name(),
            &m,
            ModelCommitment::new(&m).model_id.to_string(),
            vis,
            backend.public_inputs(&keys.verifying).lib()?,
            constraints,
            param_hash,
        );
        Ok::<Keys, Error>(Keys {
            manifest,
            proving: backend.write_proving_key(&keys.proving).lib()?,
            verifying: backend.write_verifying_key(&keys.verifying).lib()?,
        })
    })
    .map_err(PyErr::from)
}

/// Loads keys from a key directory written by `Keys.save` or `verinfer setup` / `ceremony`.
///
/// Raises `VerinferError` for a missing or malformed directory.
#[pyfunction]
pub fn load_keys(py: Python<'_>, path: PathBuf) -> PyResult<Keys> {
    py.detach(|| {
        Ok::<Keys, Error>(Keys {
            manifest: files::load_manifest(&path).lib()?,
            proving: files::read_proving_key_bytes(&path).lib()?,
            verifying: files::read_verifying_key_bytes(&path).lib()?,
        })
    })
    .map_err(PyErr::from)
}

/// Loads a proof file written by `Proof.save` or `verinfer prove`.
///
/// Raises `VerinferError` for a missing, malformed or foreign file.
#[pyfunction]
pub fn load_proof(py: Python<'_>, path: PathBuf) -> PyResult<Proof> {
    py.detach(|| ProofFile::load(&path).lib())
        .map(|file| Proof { file })
        .map_err(PyErr::from)
}

/// An address or a 256-bit number from Python (an int or a string).
fn parse_word<T: std::str::FromStr>(
    what: &str,
    v: Option<&Bound<'_, PyAny>>,
    default: T,
) -> PyResult<T> {
    let Some(v) = v else { return Ok(default) };
    let s = v.str()?.to_string();
    s.parse()
        .map_err(|_| Error::Invalid(format!("{what} {s:?} does not parse")).into())
}

/// Proves one inference of `model` on `inputs` with `keys` (what `verinfer prove` does): runs
/// the integer executor for the witness, then the backend's prover.
///
/// `inputs` is what `Model.run` takes. The proof can be bound to where it will be used:
/// `chain_id` (EIP-155), `contract` and `answerer` (0x addresses) and `tag` (a request or token
/// id); a contract accepts only proofs bound to itself (docs/zk.md, "Statement").
///
/// `progress(line)`: one line per stage (witness, proof).
///
/// Raises `VerinferError` when the keys are for another model or the inputs do not fit.
#[pyfunction]
#[pyo3(signature = (model, keys, inputs, *, chain_id=0, contract=None, tag=None, answerer=None, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn prove(
    py: Python<'_>,
    model: &Model,
    keys: &Keys,
    inputs: &Bound<'_, PyAny>,
    chain_id: u64,
    contract: Option<&Bound<'_, PyAny>>,
    tag: Option<&Bound<'_, PyAny>>,
    answerer: Option<&Bound<'_, PyAny>>,
    progress: Option<Py<PyAny>>,
) -> PyResult<Proof> {
    let src = inputs::source(inputs)?;
    let contract = parse_word("contract", contract, verinfer_chain::Address::ZERO)?;
    let answerer = parse_word("answerer", answerer, verinfer_chain::Address::ZERO)?;
    let tag = parse_word("tag", tag, verinfer_chain::U256::ZERO)?;
    let g = model.model.clone();
    py.detach(|| {
        let manifest = &keys.manifest;
        let id = ModelCommitment::new(&g).model_id.to_string();
        if manifest.model_id != id {
            return Err(Error::Invalid(format!(
                "the keys are for model {}, not this model ({id})",
                manifest.model_id
            )));
        }
        let backend = backend_of(manifest)?;
        let vis = manifest
            .visibility()
            .map_err(|e| Error::Invalid(format!("keys: {e}")))?;
        let q = inputs::quantized(&g, &src)?;
        report(progress.as_ref(), "running the model for the witness")?;
        let pk = backend.read_proving_key(&keys.proving).lib()?;
        let trace = Plan::new(g.clone()).and_then(|p| p.run(&q)).lib()?;
        report(
            progress.as_ref(),
            &format!("proving with {}", backend.name()),
        )?;
        let ctx = verinfer_prove::Context {
            model_id: manifest
                .model_id
                .parse()
                .context(|| format!("model id {:?} in the keys", manifest.model_id))?,
            chain_id: verinfer_chain::U256::from(chain_id),
            contract,
            tag,
            answerer,
        };
        let mut rng = os_rng();
        let proved = backend
            .prove(&pk, &g, vis, &ctx, trace.into_values(), &mut rng)
            .lib()?;
        report(
            progress.as_ref(),
            &format!("proved: {} bytes", proved.proof.len()),
        )?;
        let file = ProofFile::from_bytes(
            manifest.model_id.clone(),
            backend.name(),
            &proved.proof,
            &proved.public,
        )
        .map_err(|e| Error::Invalid(format!("proof file: {e}")))?;
        Ok(Proof { file })
    })
    .map_err(PyErr::from)
}

/// Why `proof` does not verify under `keys`, or `Ok` (the CLI's `verify`, native only).
fn check(proof: &ProofFile, keys: &Keys) -> Result<(), Error> {
    let manifest = &keys.manifest;
    if proof.model_id != manifest.model_id {
        return Err(Error::Invalid(format!(
            "the proof is about model {}, the keys are for model {}",
            proof.model_id, manifest.model_id
        )));
    }
    let backend = backend_of(manifest)?;
    let path = Path::new(IN_MEMORY);
    let public = proof.neutral_public_values(path, manifest).lib()?;
    if manifest.param_hash.is_some() && proof.public.param_hash != manifest.param_hash {
        return Err(Error::Invalid(format!(
            "the proof states weights with hash {}, the model's keys record {}",
            proof.public.param_hash.as_deref().unwrap_or("none"),
            manifest.param_hash.as_deref().unwrap_or("none")
        )));
    }
    let bytes = proof.proof_bytes(path).lib()?;
    let vk = backend.read_verifying_key(&keys.verifying).lib()?;
    backend
        .verify(&vk, &public, &bytes)
        .context(|| "native".to_string())
}

/// Verifies `proof` with `keys` natively (what `verinfer verify` does without `--evm`).
///
/// Returns `True` for a valid proof and `False` for one the verifier rejects or that does not
/// belong to these keys (another model, backend or weights hash, malformed points). With
/// `raise_on_invalid=True` a rejection raises `VerinferError` with the CLI's message instead.
#[pyfunction]
#[pyo3(signature = (proof, keys, *, raise_on_invalid=false))]
pub fn verify(
    py: Python<'_>,
    proof: &Proof,
    keys: &Keys,
    raise_on_invalid: bool,
) -> PyResult<bool> {
    match py.detach(|| check(&proof.file, keys)) {
        Ok(()) => Ok(true),
        Err(e) if raise_on_invalid => Err(e.into()),
        Err(_) => Ok(false),
    }
}

/// Writes a standalone Solidity verifier for `keys` to `path` (what `verinfer export-verifier`
/// does; contract `Verifier`, compile with solc >= 0.8.0; `verifyProof` reverts
/// `ProofInvalid()` on a wrong proof).
///
/// Raises `VerinferError` when the file cannot be written.
#[pyfunction]
pub fn export_verifier(py: Python<'_>, keys: &Keys, path: PathBuf) -> PyResult<()> {
    py.detach(|| {
        let backend = backend_of(&keys.manifest)?;
        let vk = backend.read_verifying_key(&keys.verifying).lib()?;
        let sol = backend.solidity_verifier(&vk).lib()?;
        std::fs::write(&path, sol).context(|| path.display().to_string())
    })
    .map_err(PyErr::from)
}

#[pymethods]
impl Keys {
    /// Writes the key directory (`proving.key`, `verifying.key`, `keys.json`; created if
    /// missing), readable by `verinfer.load_keys` and the CLI's `--keys`.
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        py.detach(|| files::save_key_bytes(&path, &self.proving, &self.verifying, &self.manifest))
            .lib()
            .map_err(PyErr::from)
    }

    /// The backend the keys belong to (`"groth16"`).
    #[getter]
    fn backend(&self) -> &str {
        &self.manifest.backend
    }

    /// The model id the keys are for (0x-hex, as `Model.model_id`).
    #[getter]
    fn model_id(&self) -> &str {
        &self.manifest.model_id
    }

    /// The visibility, in verinfer's words (`input=public,params=public,output=public`).
    #[getter]
    fn visibility(&self) -> &str {
        &self.manifest.visibility
    }

    /// Constraints of the circuit (the backend's size unit).
    #[getter]
    fn constraints(&self) -> usize {
        self.manifest.constraints
    }

    /// Number of public inputs the verifying key takes.
    #[getter]
    fn public_inputs(&self) -> usize {
        self.manifest.public_inputs
    }

    /// The manifest (`keys.json`) as a dict.
    fn manifest<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let text = serde_json::to_string(&self.manifest).lib()?;
        py.import("json")?.call_method1("loads", (text,))
    }

    fn __repr__(&self) -> String {
        format!(
            "<verinfer.Keys {} for model {}: {}, {} constraints>",
            self.manifest.backend,
            self.manifest.model_id,
            self.manifest.visibility,
            self.manifest.constraints
        )
    }
}

#[pymethods]
impl Proof {
    /// Writes the proof file (JSON), readable by `verinfer.load_proof` and `verinfer verify`.
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        py.detach(|| self.file.save(&path))
            .lib()
            .map_err(PyErr::from)
    }

    /// The model id the proof is about.
    #[getter]
    fn model_id(&self) -> &str {
        &self.file.model_id
    }

    /// The quantized output values the proof attests (empty when outputs are private or
    /// hashed), per output.
    #[getter]
    fn outputs(&self) -> Vec<Vec<i32>> {
        self.file.public.outputs.clone()
    }

    /// The proof file as a dict (its JSON).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let text = serde_json::to_string(&self.file).lib()?;
        py.import("json")?.call_method1("loads", (text,))
    }

    /// A proof from the dict `to_dict` returns (or a proof file's parsed JSON).
    #[staticmethod]
    fn from_dict(d: &Bound<'_, PyDict>) -> PyResult<Proof> {
        let text: String = d
            .py()
            .import("json")?
            .call_method1("dumps", (d,))?
            .extract()?;
        let file: ProofFile = serde_json::from_str(&text).context(|| IN_MEMORY.to_string())?;
        Ok(Proof { file })
    }

    fn __repr__(&self) -> String {
        format!(
            "<verinfer.Proof {} for model {}: {} bytes>",
            self.file.backend, self.file.model_id, self.file.proof_bytes
        )
    }
}
