//! `verinfer.Model`: a compiled fixed-point model (`.vmodel`), with its tokenizer when it is a
//! language model; `compile`, `load`, `run`, `inspect`, `generate`.

use std::path::{Path, PathBuf};

use numpy::ndarray::{ArrayD, IxDyn};
use numpy::IntoPyArray;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use verinfer_commit::ModelCommitment;
use verinfer_exec::Plan;
use verinfer_gguf::{GgufFile, Tokenizer, TokenizerSpec};
use verinfer_ir::Model as IrModel;
use verinfer_llm::{GgufWeights, HfWeights, IntEngine, WeightSource};
use verinfer_onnx::compile::{compile as compile_onnx, float_reference, CompileOptions};
use verinfer_quant::data::read_data;
use verinfer_quant::pipeline::dequantize;
use verinfer_quant::quantize::QuantOptions;
use verinfer_quant::report::{evaluate, Report};

use crate::error::{Error, ResultExt};
use crate::inputs;
use crate::progress::report;

/// A compiled model: the validated integer graph, its executor, and (for a language model) its
/// tokenizer. Immutable; share it freely between threads.
#[pyclass(module = "verinfer", frozen)]
pub struct Model {
    /// The validated graph.
    pub(crate) model: IrModel,
    /// The executor of the graph.
    plan: Plan,
    /// The tokenizer of a language model.
    tokenizer: Option<Tokenizer>,
    /// The accuracy report of the compile (ONNX models compiled in this process).
    report: Option<Report>,
    /// The ONNX file it was compiled from in this process: `evaluate`'s default reference.
    source: Option<PathBuf>,
}

impl Model {
    fn new(
        graph: verinfer_ir::Graph,
        tokenizer: Option<Tokenizer>,
        report: Option<Report>,
    ) -> Result<Self, Error> {
        let model = IrModel::new(graph).lib()?;
        let plan = Plan::new(model.clone()).lib()?;
        Ok(Self {
            model,
            plan,
            tokenizer,
            report,
            source: None,
        })
    }
}

impl Model {
    /// The token ids of `prompt`: text tokenized with the model's tokenizer (BOS first when
    /// the model asks), or a list of ids used as given.
    pub(crate) fn prompt_ids(&self, prompt: &Bound<'_, PyAny>) -> PyResult<Vec<u32>> {
        let Ok(text) = prompt.extract::<String>() else {
            return prompt.extract::<Vec<u32>>();
        };
        let Some(t) = self.tokenizer.as_ref() else {
            return Err(Error::Invalid(
                "a text prompt needs the model's tokenizer: this model has none (pass token ids)"
                    .into(),
            )
            .into());
        };
        let mut ids: Vec<u32> = t.bos().filter(|_| t.adds_bos()).into_iter().collect();
        ids.extend(t.encode(&text).lib()?);
        Ok(ids)
    }

    /// The tokenizer of a language model.
    pub(crate) fn tokenizer(&self) -> Option<&Tokenizer> {
        self.tokenizer.as_ref()
    }
}

/// Where the tokenizer of a compiled model is kept: `M.vmodel` → `M.tokenizer.json` (as the CLI
/// writes it).
fn tokenizer_path(vmodel: &Path) -> PathBuf {
    vmodel.with_extension("tokenizer.json")
}

/// Whether `p` starts with GGUF's magic.
fn is_gguf(p: &Path) -> bool {
    let mut magic = [0u8; 4];
    std::fs::File::open(p)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
        .is_ok()
        && &magic == b"GGUF"
}

/// Whether `p` is a Hugging Face checkpoint directory.
fn is_hf_dir(p: &Path) -> bool {
    p.is_dir() && p.join("config.json").exists()
}

/// A tokenizer from a GGUF file or a `.tokenizer.json` written by `compile`.
fn read_tokenizer(p: &Path) -> Result<Tokenizer, Error> {
    if is_gguf(p) {
        let f = GgufFile::open(p).context(|| format!("reading {}", p.display()))?;
        return Tokenizer::from_gguf(&f).lib();
    }
    let bytes = std::fs::read(p).context(|| p.display().to_string())?;
    let spec: TokenizerSpec = serde_json::from_slice(&bytes)
        .context(|| format!("{}: not a tokenizer file", p.display()))?;
    Tokenizer::from_spec(spec).lib()
}

/// Options of [`compile`] as Python passes them.
struct Options {
    calibration: Option<PathBuf>,
    bits: Option<u32>,
    table_bits: Option<u32>,
    headroom_bits: u32,
    ctx: Option<usize>,
    input_shapes: std::collections::BTreeMap<String, Vec<usize>>,
    calibration_samples: usize,
    tokenizer: Option<PathBuf>,
    /// The Python progress callback.
    progress: Option<Py<PyAny>>,
}

/// `verinfer compile` of an ONNX model: import, calibrate, quantize, and the accuracy report
/// against float inference (the CLI's `compile_model`).
fn compile_onnx_model(path: &Path, o: &Options) -> Result<Model, Error> {
    if o.ctx.is_some() || o.tokenizer.is_some() {
        return Err(Error::Invalid(
            "ctx and tokenizer apply to language models (GGUF, Hugging Face checkpoints) only"
                .into(),
        ));
    }
    let opts = CompileOptions {
        import: verinfer_onnx::ImportOptions {
            input_shapes: o.input_shapes.clone(),
            ..verinfer_onnx::ImportOptions::default()
        },
        quant: QuantOptions::default().overridden(o.bits, o.table_bits, o.headroom_bits),
        progress: None,
    };
    let data = o.calibration.as_deref().map(read_data).transpose().lib()?;
    report(
        o.progress.as_ref(),
        &format!("importing {} and calibrating", path.display()),
    )?;
    let compiled = compile_onnx(path, data.as_ref(), &opts).lib()?;
    report(
        o.progress.as_ref(),
        &format!(
            "quantized: {} nodes; checking against float inference on {} samples",
            compiled.graph.nodes.len(),
            compiled.samples.len()
        ),
    )?;
    let reference = float_reference(path, &compiled.fgraph, &compiled.samples).lib()?;
    let plan = Plan::for_graph(compiled.graph.clone()).lib()?;
    let run_q = |q: &[Vec<i32>]| -> Result<Vec<Vec<i32>>, String> {
        let t = plan.run(q).map_err(|e| e.to_string())?;
        let outs = plan.outputs(&t).map_err(|e| e.to_string())?;
        Ok(outs.into_iter().map(<[i32]>::to_vec).collect())
    };
    let report = evaluate(&compiled.graph, &compiled.samples, reference, &run_q).lib()?;
    let mut m = Model::new(compiled.graph, None, Some(report))?;
    m.source = Some(path.to_path_buf());
    Ok(m)
}

/// `verinfer compile` of a language model (GGUF file or Hugging Face checkpoint), calibrated on
/// text sampled from the model itself (the CLI's `compile_llm` without `--calibration-text`).
fn compile_language_model(path: &Path, o: &Options) -> Result<Model, Error> {
    if o.calibration.is_some() || !o.input_shapes.is_empty() {
        return Err(Error::Invalid(
            "a GGUF model takes no calibration file or input shapes (it is calibrated on text sampled from the model)".into(),
        ));
    }
    let quant = verinfer_llm::compile::LLM_QUANT.overridden(o.bits, o.table_bits, o.headroom_bits);
    let tok = o.tokenizer.as_deref().map(read_tokenizer).transpose()?;
    let (w, tok): (Box<dyn WeightSource>, Option<Tokenizer>) = if is_hf_dir(path) {
        (Box::new(HfWeights::open(path).lib()?), tok)
    } else {
        let w = GgufWeights::open(path).context(|| format!("reading {}", path.display()))?;
        let tok = match tok {
            Some(t) => t,
            None => Tokenizer::from_gguf(w.file()).lib()?,
        };
        (Box::new(w), Some(tok))
    };
    let n_ctx = usize::try_from(w.config().n_ctx).unwrap_or(usize::MAX);
    let ctx = o.ctx.unwrap_or_else(|| n_ctx.min(256));
    let bos = tok.as_ref().and_then(Tokenizer::bos).unwrap_or(1);
    let opts = verinfer_llm::CompileOptions {
        ctx,
        quant,
        sequences: Vec::new(),
        samples: o.calibration_samples,
        sample_len: ctx.min(64),
        bos,
        seed: 7,
        sampling: false,
    };
    let name = path
        .file_stem()
        .map_or_else(|| "llm".into(), |s| s.to_string_lossy().to_string());
    report(
        o.progress.as_ref(),
        &format!(
            "compiling {} (context {ctx}), calibrating on {} sampled texts",
            path.display(),
            o.calibration_samples
        ),
    )?;
    let c = verinfer_llm::compile(w.as_ref(), &name, &opts, &|| {}).lib()?;
    report(
        o.progress.as_ref(),
        &format!("compiled: {} nodes", c.graph.nodes.len()),
    )?;
    Model::new(c.graph, tok, None)
}

/// Compiles a model into a calibrated fixed-point `Model` (what `verinfer compile` does).
///
/// `model_path` is an ONNX file, a GGUF file (architecture `llama`) or a Hugging Face LLaMA
/// checkpoint directory. ONNX models take `calibration`, an EZKL `input.json` (k whole samples
/// per input list = k samples; without it 32 synthetic samples uniform in [-1, 1]) and
/// `input_shapes` for symbolic dimensions; language models take `ctx` (positions of the step
/// graph, default the model's, at most 256) and are calibrated on text sampled from the model.
/// `bits` bounds activations and weights (default 16; 20 for language models), `table_bits`
/// sizes lookup tables (default 12; 16 for language models). `progress(line)`: one line per
/// stage (import and calibration, the float check; a language model's compile).
///
/// Raises `VerinferError` with the CLI's message when the model cannot be read or expressed.
#[pyfunction]
#[pyo3(signature = (model_path, calibration=None, bits=None, table_bits=None, ctx=None, *, headroom_bits=1, input_shapes=None, calibration_samples=8, tokenizer=None, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn compile(
    py: Python<'_>,
    model_path: PathBuf,
    calibration: Option<PathBuf>,
    bits: Option<u32>,
    table_bits: Option<u32>,
    ctx: Option<usize>,
    headroom_bits: u32,
    input_shapes: Option<std::collections::BTreeMap<String, Vec<usize>>>,
    calibration_samples: usize,
    tokenizer: Option<PathBuf>,
    progress: Option<Py<PyAny>>,
) -> PyResult<Model> {
    let o = Options {
        calibration,
        bits,
        table_bits,
        headroom_bits,
        ctx,
        input_shapes: input_shapes.unwrap_or_default(),
        calibration_samples,
        tokenizer,
        progress,
    };
    py.detach(|| {
        if is_gguf(&model_path) || is_hf_dir(&model_path) {
            compile_language_model(&model_path, &o)
        } else {
            compile_onnx_model(&model_path, &o)
        }
    })
    .map_err(PyErr::from)
}

/// Loads a compiled model (`.vmodel`) written by `Model.save` or `verinfer compile`, with the
/// tokenizer beside it (`M.tokenizer.json`) when there is one.
///
/// Raises `VerinferError` for a missing, corrupt or invalid file.
#[pyfunction]
pub fn load(py: Python<'_>, path: PathBuf) -> PyResult<Model> {
    py.detach(|| {
        let g = verinfer_ir::vmodel::load(&path).lib()?;
        let tp = tokenizer_path(&path);
        let tok = if tp.is_file() {
            Some(read_tokenizer(&tp)?)
        } else {
            None
        };
        Model::new(g, tok, None)
    })
    .map_err(PyErr::from)
}

/// A dict per tensor spec: name, shape, scale exponent, bit bound.
fn tensor_dict<'py>(
    py: Python<'py>,
    name: &str,
    info: &verinfer_ir::TensorInfo,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("name", name)?;
    d.set_item("shape", info.shape.dims().to_vec())?;
    d.set_item("scale", info.scale.exponent())?;
    d.set_item("bits", info.bits.get())?;
    Ok(d)
}

#[pymethods]
impl Model {
    /// Writes the model as a `.vmodel` file (and, for a language model, its tokenizer beside
    /// it as `M.tokenizer.json`), readable by `verinfer.load` and the CLI.
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        py.detach(|| {
            verinfer_ir::vmodel::save(self.model.graph(), &path).lib()?;
            if let Some(t) = &self.tokenizer {
                let tp = tokenizer_path(&path);
                let bytes = serde_json::to_vec(&t.spec()).lib()?;
                std::fs::write(&tp, bytes).context(|| tp.display().to_string())?;
            }
            Ok::<(), Error>(())
        })
        .map_err(PyErr::from)
    }

    /// Runs the model on one sample and returns the outputs as numpy arrays of the output
    /// shapes: dequantized floats (`quantized / 2^scale`), or the int32 values themselves with
    /// `quantized=True`.
    ///
    /// `inputs` is a list with one array-like per model input (floats, integers or booleans,
    /// any shape with the right number of elements), a single array for a one-input model, an
    /// EZKL `input.json` path, or that file's dict (`{"input_data": [[...], ...]}`).
    #[pyo3(signature = (inputs, *, quantized=false))]
    fn run<'py>(
        &self,
        py: Python<'py>,
        inputs: &Bound<'py, PyAny>,
        quantized: bool,
    ) -> PyResult<Bound<'py, PyList>> {
        let src = inputs::source(inputs)?;
        let g = self.model.graph();
        let outs: Vec<(Vec<usize>, Vec<i32>, verinfer_ir::Scale)> = py
            .detach(|| {
                let q = inputs::quantized(g, &src)?;
                let trace = self.plan.run(&q).lib()?;
                let outs = self.plan.outputs(&trace).lib()?;
                g.outputs
                    .iter()
                    .zip(outs)
                    .map(|(spec, v)| {
                        let info = g.value_info(spec.value).ok_or_else(|| {
                            Error::Invalid(format!("output {} has no value info", spec.name))
                        })?;
                        Ok((info.shape.dims().to_vec(), v.to_vec(), info.scale))
                    })
                    .collect::<Result<_, Error>>()
            })
            .map_err(PyErr::from)?;
        let list = PyList::empty(py);
        for (shape, q, scale) in outs {
            let shape_err = |e: numpy::ndarray::ShapeError| Error::Invalid(e.to_string());
            if quantized {
                let a = ArrayD::from_shape_vec(IxDyn(&shape), q).map_err(shape_err)?;
                list.append(a.into_pyarray(py))?;
            } else {
                let a = ArrayD::from_shape_vec(IxDyn(&shape), dequantize(&q, scale))
                    .map_err(shape_err)?;
                list.append(a.into_pyarray(py))?;
            }
        }
        Ok(list)
    }

    /// The model inputs: a list of dicts with `name`, `shape`, `scale` (values are
    /// `quantized / 2^scale`) and `bits` (the bound of the quantized values).
    #[getter]
    fn inputs<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        self.model
            .inputs
            .iter()
            .map(|i| tensor_dict(py, &i.name, &i.info))
            .collect()
    }

    /// The model outputs, as `inputs` describes them.
    #[getter]
    fn outputs<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let g = self.model.graph();
        let mut v = Vec::with_capacity(g.outputs.len());
        for o in &g.outputs {
            let info = g
                .value_info(o.value)
                .ok_or_else(|| Error::Invalid(format!("output {} has no value info", o.name)))?;
            v.push(tensor_dict(py, &o.name, info)?);
        }
        Ok(v)
    }

    /// Number of nodes of the integer graph.
    #[getter]
    fn node_count(&self) -> usize {
        self.model.nodes.len()
    }

    /// Number of parameter elements (weights, biases, tables).
    #[getter]
    fn param_count(&self) -> usize {
        self.model.num_param_elements()
    }

    /// The model id: the Keccak-Merkle root over the graph digest and the parameters (what
    /// `verinfer commit` prints and the registry records), as 0x-hex.
    #[getter]
    fn model_id(&self, py: Python<'_>) -> String {
        py.detach(|| {
            ModelCommitment::new(self.model.graph())
                .model_id
                .to_string()
        })
    }

    /// Whether this is a language model's step graph with a tokenizer (`generate` works).
    #[getter]
    fn is_language_model(&self) -> bool {
        self.tokenizer.is_some()
    }

    /// The accuracy report of the compile against float inference, as the CLI's
    /// `--report-json` writes it; `None` for loaded models and language models.
    #[getter]
    fn report<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        let Some(r) = &self.report else {
            return Ok(None);
        };
        let d = PyDict::new(py);
        d.set_item("reference", &r.reference)?;
        d.set_item("samples", r.samples)?;
        let outs = PyList::empty(py);
        for o in &r.outputs {
            let od = PyDict::new(py);
            od.set_item("name", &o.name)?;
            od.set_item("scale", o.scale)?;
            od.set_item("max_abs_err", o.max_abs_err)?;
            od.set_item("mean_abs_err", o.mean_abs_err)?;
            od.set_item("float_max_abs", o.float_max_abs)?;
            od.set_item("argmax_agree", o.argmax.map(|a| a.0))?;
            od.set_item("argmax_total", o.argmax.map(|a| a.1))?;
            outs.append(od)?;
        }
        d.set_item("outputs", outs)?;
        Ok(Some(d))
    }

    /// Compares the model with float inference on a data set (what `verinfer eval --json`
    /// prints): every sample of `data` (an EZKL `input.json` path; an optional `"labels"`
    /// list adds accuracy) through the integer executor and through `onnx` run in float
    /// (tract). `onnx`: the ONNX file the model was compiled from (default: the one `compile`
    /// read in this process; a loaded model needs it).
    ///
    /// Returns `{"reference", "samples", "outputs": [{"name", "scale", "max_abs_err",
    /// "mean_abs_err", "float_max_abs", "argmax_agree", "argmax_total"}]}`, plus
    /// `"accuracy": {"quantized", "float", "total"}` with labels.
    ///
    /// Raises `VerinferError` with the CLI's message (unreadable data, samples of the wrong
    /// size, an ONNX file of another model).
    #[pyo3(signature = (data, *, onnx=None))]
    fn evaluate<'py>(
        &self,
        py: Python<'py>,
        data: PathBuf,
        onnx: Option<PathBuf>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let Some(onnx) = onnx.or_else(|| self.source.clone()) else {
            return Err(Error::Invalid(
                "evaluate needs the float reference: pass onnx=PATH, the ONNX file this model \
                 was compiled from (a loaded model does not know it)"
                    .into(),
            )
            .into());
        };
        if self.tokenizer.is_some() {
            return Err(Error::Invalid(
                "evaluate compares an ONNX model with its float reference; this is a language \
                 model"
                    .into(),
            )
            .into());
        }
        let g = self.model.graph();
        let v = py
            .detach(|| crate::eval::evaluate_on(g, &onnx, &data))
            .map_err(PyErr::from)?;
        py.import("json")?.call_method1("loads", (v.to_string(),))
    }

    /// A summary of the model: name, node count, parameter elements, inputs, outputs, model
    /// id, and the count of nodes per primitive op.
    fn inspect<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("name", &self.model.name)?;
        d.set_item("nodes", self.node_count())?;
        d.set_item("param_elements", self.param_count())?;
        d.set_item("inputs", self.inputs(py)?)?;
        d.set_item("outputs", self.outputs(py)?)?;
        d.set_item("model_id", self.model_id(py))?;
        d.set_item("is_language_model", self.is_language_model())?;
        let ops = PyDict::new(py);
        let mut counts = std::collections::BTreeMap::<String, usize>::new();
        for n in &self.model.nodes {
            *counts.entry(n.op.name().to_string()).or_default() += 1;
        }
        for (k, v) in counts {
            ops.set_item(k, v)?;
        }
        d.set_item("ops", ops)?;
        Ok(d)
    }

    /// Greedy generation with a compiled language model (what `verinfer generate --json`
    /// prints): `prompt` is text (tokenized with the model's tokenizer, BOS first when the
    /// model asks) or a list of token ids used as given. Stops after `max_new_tokens` tokens or
    /// after the end-of-sequence token unless `ignore_eos`. Returns
    /// `{"prompt_ids": [...], "tokens": [...], "text": str | None}`. Deterministic.
    #[pyo3(signature = (prompt, max_new_tokens=32, *, ignore_eos=false))]
    fn generate<'py>(
        &self,
        py: Python<'py>,
        prompt: &Bound<'py, PyAny>,
        max_new_tokens: usize,
        ignore_eos: bool,
    ) -> PyResult<Bound<'py, PyDict>> {
        let tok = self.tokenizer.as_ref();
        let prompt_ids = self.prompt_ids(prompt)?;
        let stop = if ignore_eos {
            None
        } else {
            tok.and_then(Tokenizer::eos)
        };
        let model = self.model.clone();
        let tokens = py
            .detach(|| {
                let e = IntEngine::new(Plan::new(model).lib()?).lib()?;
                verinfer_llm::generate(&e, &prompt_ids, max_new_tokens, stop, &mut |_| {}).lib()
            })
            .map_err(PyErr::from)?;
        let d = PyDict::new(py);
        d.set_item("prompt_ids", &prompt_ids)?;
        d.set_item("tokens", &tokens)?;
        d.set_item("text", tok.map(|t| t.decode(&tokens)))?;
        Ok(d)
    }

    fn __repr__(&self) -> String {
        format!(
            "<verinfer.Model {:?}: {} nodes, {} inputs, {} outputs{}>",
            self.model.name,
            self.model.nodes.len(),
            self.model.inputs.len(),
            self.model.outputs.len(),
            if self.tokenizer.is_some() {
                ", language model"
            } else {
                ""
            }
        )
    }
}
