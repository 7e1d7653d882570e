//! EZKL-style data files: `{"input_data": [[flat floats], …]}`, one list per model input; a
//! list holding k whole samples means k samples.

use std::path::Path;

use serde::Deserialize;

use crate::error::QuantError;

#[derive(Deserialize)]
struct DataFile {
    input_data: Vec<Vec<serde_json::Value>>,
}

/// Parsed data: per model input, one flat list (possibly several samples long).
#[derive(Clone, Debug, PartialEq)]
pub struct InputData {
    /// Per input, flat values.
    pub per_input: Vec<Vec<f64>>,
}

/// Read and check a data file.
///
/// # Errors
/// Unreadable file, invalid JSON (NaN/Infinity are named), non-numeric or non-finite entries.
pub fn read_data(path: &Path) -> Result<InputData, QuantError> {
    let text = std::fs::read_to_string(path).map_err(|source| QuantError::Io {
        path: path.display().to_string(),
        source,
    })?;
    parse_data(&text).map_err(|e| QuantError::BadData(format!("{}: {e}", path.display())))
}

/// The data file's optional `"labels"` list (one class index per sample; anything else there
/// is no labels).
///
/// # Errors
/// Unreadable file or invalid JSON.
pub fn read_labels(path: &Path) -> Result<Option<Vec<usize>>, QuantError> {
    let text = std::fs::read_to_string(path).map_err(|source| QuantError::Io {
        path: path.display().to_string(),
        source,
    })?;
    let v: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| QuantError::BadData(format!("{}: {e}", path.display())))?;
    Ok(v.get("labels")
        .and_then(|l| serde_json::from_value(l.clone()).ok()))
}

/// Parse data from JSON text.
///
/// # Errors
/// As [`read_data`].
pub fn parse_data(text: &str) -> Result<InputData, String> {
    let f: DataFile = serde_json::from_str(text).map_err(|e| {
        let hint = ["NaN", "Infinity"].iter().find(|t| text.contains(*t));
        match hint {
            Some(t) => format!("contains {t}: every value must be a finite number ({e})"),
            None => format!("not an EZKL input file ({{\"input_data\": [[...], ...]}}): {e}"),
        }
    })?;
    let mut per_input = Vec::with_capacity(f.input_data.len());
    for (i, list) in f.input_data.iter().enumerate() {
        let mut flat = Vec::with_capacity(list.len());
        for v in list {
            flatten(v, i, &mut flat)?;
        }
        per_input.push(flat);
    }
    Ok(InputData { per_input })
}

/// Append the numbers of `v` (a number, a boolean — `true` is 1, `false` 0, as ONNX casts
/// them — or nested lists of those, row-major) to `out`.
fn flatten(v: &serde_json::Value, input: usize, out: &mut Vec<f64>) -> Result<(), String> {
    match v {
        serde_json::Value::Array(items) => items.iter().try_for_each(|x| flatten(x, input, out)),
        serde_json::Value::Bool(b) => {
            out.push(if *b { 1.0 } else { 0.0 });
            Ok(())
        }
        _ => {
            let x = v.as_f64().ok_or_else(|| {
                format!(
                    "input_data[{input}] element {} is {v}, not a number",
                    out.len()
                )
            })?;
            if !x.is_finite() {
                return Err(format!(
                    "input_data[{input}] element {} is not finite",
                    out.len()
                ));
            }
            out.push(x);
            Ok(())
        }
    }
}

impl InputData {
    /// Split into samples for inputs of the given element counts.
    ///
    /// # Errors
    /// Wrong number of inputs, a list that is not a whole number of samples, or inputs that
    /// disagree on the number of samples.
    pub fn samples(
        &self,
        names: &[String],
        numels: &[usize],
    ) -> Result<Vec<Vec<Vec<f64>>>, QuantError> {
        if self.per_input.len() != numels.len() {
            return Err(QuantError::BadData(format!(
                "input_data has {} lists but the model has {} inputs ({})",
                self.per_input.len(),
                numels.len(),
                names.join(", ")
            )));
        }
        let mut k = None;
        for (i, (list, &n)) in self.per_input.iter().zip(numels).enumerate() {
            if n == 0 || list.is_empty() || list.len() % n != 0 {
                return Err(QuantError::BadData(format!(
                    "input '{}' needs a multiple of {n} values (one sample = {n}), got {}",
                    names.get(i).map_or("?", String::as_str),
                    list.len()
                )));
            }
            let ki = list.len() / n;
            if k.is_some_and(|k| k != ki) {
                return Err(QuantError::BadData(format!(
                    "inputs disagree on the number of samples ({} vs {ki})",
                    k.unwrap_or(0)
                )));
            }
            k = Some(ki);
        }
        let k = k.unwrap_or(0);
        Ok((0..k)
            .map(|s| {
                self.per_input
                    .iter()
                    .zip(numels)
                    .map(|(l, &n)| l[s * n..(s + 1) * n].to_vec())
                    .collect()
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_samples() {
        let d = parse_data(r#"{"input_data": [[1,2,3,4,5,6]]}"#).unwrap();
        let s = d.samples(&["x".into()], &[3]).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[1][0], vec![4.0, 5.0, 6.0]);
        assert!(d.samples(&["x".into()], &[4]).is_err());
    }

    #[test]
    fn flattens_nested_lists() {
        let d = parse_data(r#"{"input_data": [[[1, 2], [3, 4]]], "output_data": [[0]]}"#).unwrap();
        assert_eq!(d.per_input, vec![vec![1.0, 2.0, 3.0, 4.0]]);
    }

    #[test]
    fn accepts_booleans_and_integers() {
        let d = parse_data(r#"{"input_data": [[true, false, 3, -2, 0.5]]}"#).unwrap();
        assert_eq!(d.per_input, vec![vec![1.0, 0.0, 3.0, -2.0, 0.5]]);
        let e = parse_data(r#"{"input_data": [[1, null]]}"#).unwrap_err();
        assert!(e.contains("element 1 is null"), "{e}");
    }

    #[test]
    fn rejects_nan_and_text() {
        assert!(parse_data(r#"{"input_data": [[1, NaN]]}"#)
            .unwrap_err()
            .contains("NaN"));
        assert!(parse_data(r#"{"input_data": [[1, "a"]]}"#).is_err());
        assert!(parse_data(r#"{"x": 1}"#).is_err());
    }
}
