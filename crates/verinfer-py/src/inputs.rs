//! Model inputs from Python: numpy arrays (floats, integers, booleans) or an EZKL
//! `input.json` (a path, or the parsed `{"input_data": …}` dict).

use std::path::PathBuf;

use numpy::PyReadonlyArrayDyn;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};
use verinfer_ir::Graph;
use verinfer_quant::data::{parse_data, read_data, InputData};
use verinfer_quant::pipeline::quantize_inputs;

use crate::error::{Error, ResultExt};

/// Where a sample comes from, read while holding the GIL.
pub enum Source {
    /// An EZKL `input.json` file.
    File(PathBuf),
    /// Parsed data (from arrays or a dict).
    Data(InputData),
}

/// Reads `obj`: a `str`/`os.PathLike` (an `input.json`), a dict in that file's shape, one
/// array or a flat list of numbers (a single-input model), or a list/tuple with one array-like
/// per model input.
///
/// # Errors
/// Values that are not numbers or booleans, or that are not finite.
pub fn source(obj: &Bound<'_, PyAny>) -> PyResult<Source> {
    let py = obj.py();
    let os = py.import("os")?;
    if obj.is_instance_of::<PyString>() || obj.is_instance(&os.getattr("PathLike")?)? {
        return Ok(Source::File(obj.extract::<PathBuf>()?));
    }
    if obj.is_instance_of::<PyDict>() {
        let json = py.import("json")?.call_method1("dumps", (obj,))?;
        let text: String = json.extract()?;
        return Ok(Source::Data(parse_data(&text).map_err(Error::Invalid)?));
    }
    let np = py.import("numpy")?;
    let mut items: Vec<Bound<'_, PyAny>> =
        if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
            obj.try_iter()?.collect::<PyResult<_>>()?
        } else {
            vec![obj.clone()]
        };
    // A flat list of numbers is one input's values, not one input per number.
    let ndim = np.getattr("ndim")?;
    if items.len() > 1
        && items
            .iter()
            .map(|x| ndim.call1((x,))?.extract::<usize>())
            .collect::<PyResult<Vec<_>>>()?
            .iter()
            .all(|&d| d == 0)
    {
        items = vec![obj.clone()];
    }
    let mut per_input = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let arr = np
            .call_method1("asarray", (item,))?
            .call_method1("astype", ("float64",))?;
        let arr: PyReadonlyArrayDyn<'_, f64> = arr.extract()?;
        let flat: Vec<f64> = arr.as_array().iter().copied().collect();
        if let Some(j) = flat.iter().position(|x| !x.is_finite()) {
            return Err(Error::Invalid(format!("inputs[{i}] element {j} is not finite")).into());
        }
        per_input.push(flat);
    }
    Ok(Source::Data(InputData { per_input }))
}

/// The quantized inputs of `g` from `src`, which must hold exactly one sample (the CLI's
/// `load_input`). Runs without the GIL.
///
/// # Errors
/// Unreadable data, a wrong number of inputs or values, several samples.
pub fn quantized(g: &Graph, src: &Source) -> Result<Vec<Vec<i32>>, Error> {
    let read;
    let (data, what) = match src {
        Source::File(p) => {
            read = read_data(p).lib()?;
            (&read, p.display().to_string())
        }
        Source::Data(d) => (d, "the inputs".to_string()),
    };
    let names: Vec<String> = g.inputs.iter().map(|i| i.name.clone()).collect();
    let numels: Vec<usize> = g.inputs.iter().map(|i| i.info.shape.numel()).collect();
    let samples = data.samples(&names, &numels).lib()?;
    let [sample] = samples.as_slice() else {
        return Err(Error::Invalid(format!(
            "{what} holds {} samples; this call takes exactly one",
            samples.len()
        )));
    };
    quantize_inputs(g, sample).lib()
}
