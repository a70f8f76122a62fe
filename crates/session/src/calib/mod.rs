//! Calibration data, read once for both front ends (CLI and page) and the fuzz targets. Every reader takes
//! user bytes, bounds sizes before allocating, and reports a problem as an error naming the file part, input
//! or sample — never a panic.
//!
//! Formats:
//! - `.npy` ([`npy`]): an array `[N, …]`, one sample per leading index (the reference `*_calib.npy`);
//! - `.npz` ([`npz`]): one such array per model input, named after it;
//! - the reference calib JSON (`{"input_name", "shape", "samples": [[flat floats]…]}`, [`calib_from_json`]) or the
//!   per-input JSON ([`json`]: `{"input": nested array}` or a list of such samples);
//! - a folder of PNG/JPEG images ([`images`]), resized and normalised into NCHW.
//!
//! Two shapes of result: [`CalibData`] (one input, flat float samples; what the pipeline calibrates on) and
//! [`CalibSample`] maps (a tensor per input, any dtype; checked against a model by [`check_samples`]).

mod check;
pub mod images;
pub mod json;
pub mod npy;
pub mod npz;

pub use check::check_samples;
pub use images::{ImageOptions, calib_from_images, is_image_name};
pub use json::read_calib_json;
pub use npy::{read_npy, write_npy_f32};
pub use npz::read_npz;

use ppq_graph::{GraphError, Tensor, ops};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Largest calibration file accepted (JSON or .npy), checked before parsing.
pub const MAX_CALIB_BYTES: usize = 64 << 20;
/// Most samples (batches) in one JSON file.
pub const MAX_CALIB_SAMPLES: usize = 4096;
/// Deepest nesting of a JSON array (tensor rank).
pub const MAX_CALIB_RANK: usize = 8;

/// One calibration batch: a tensor per graph input, by name.
pub type CalibSample = BTreeMap<String, Tensor>;

fn err(why: impl Into<String>) -> GraphError {
    GraphError::CalibData(why.into())
}

fn check_size(bytes: &[u8], what: &str) -> Result<(), GraphError> {
    if bytes.is_empty() {
        return Err(err(format!("the {what} file is empty")));
    }
    if bytes.len() > MAX_CALIB_BYTES {
        return Err(GraphError::TooLarge(format!(
            "calibration {what} file of {} bytes (limit {MAX_CALIB_BYTES})",
            bytes.len()
        )));
    }
    Ok(())
}

/// A parsed shape as usizes when its product is within [`ops::MAX_TENSOR_ELEMENTS`] (checked in u64, so 32-bit
/// wasm and native agree).
fn small_shape(shape: &[u64]) -> Option<Vec<usize>> {
    let total = shape.iter().try_fold(1u64, |a, &d| a.checked_mul(d.max(1)))?;
    if total > ops::MAX_TENSOR_ELEMENTS as u64 {
        return None;
    }
    shape.iter().map(|&d| usize::try_from(d).ok()).collect()
}

/// Calibration samples for one model input.
#[derive(Debug, Clone, PartialEq)]
pub struct CalibData {
    /// The input they feed (`None` when the file names nothing, as a `.npy`).
    pub input_name: Option<String>,
    /// The shape of one sample (batch 1 included), e.g. `[1, 4, 8, 8]`.
    pub sample_shape: Vec<usize>,
    /// The samples, each `sample_shape.product()` floats.
    pub samples: Vec<Vec<f32>>,
}

impl CalibData {
    /// Splits an array `[N, …]` into N samples of shape `[…]`. Float64 is narrowed to float32 as PPQ's torch
    /// conversion does; integer arrays are refused (calibration feeds float inputs).
    pub fn from_batch(input_name: Option<String>, t: &Tensor) -> Result<Self, String> {
        let what = input_name.as_deref().map_or_else(String::new, |n| format!("array '{n}': "));
        let Tensor::F32(a) = t else {
            return Err(format!("{what}dtype {} is not float32 (or float64)", t.dtype_name()));
        };
        let Some((&n, rest)) = a.shape().split_first() else {
            return Err(format!("{what}calibration data must have a leading sample axis, got a scalar"));
        };
        if n == 0 {
            return Err(format!("{what}calibration data holds no samples"));
        }
        if n > MAX_CALIB_SAMPLES {
            return Err(format!("{what}{n} samples (limit {MAX_CALIB_SAMPLES})"));
        }
        let per: usize = rest.iter().product();
        let flat: Vec<f32> = a.iter().copied().collect();
        let samples = if per == 0 { Vec::new() } else { flat.chunks(per).map(<[f32]>::to_vec).collect() };
        Ok(Self { input_name, sample_shape: rest.to_vec(), samples })
    }

    /// Adapts the sample shape to a model input declaring `declared` dims: a sample given without the batch axis
    /// (`[C, H, W]` for a `[1, C, H, W]` input, i.e. a `.npy` of shape `[N, C, H, W]`) gets a leading 1.
    /// Anything else is left for [`CalibData::check`] to judge.
    pub fn conform(mut self, declared: Option<&[Option<i64>]>) -> Self {
        if let Some(dims) = declared
            && dims.len() == self.sample_shape.len() + 1
            && dims.first().is_some_and(|d| d.is_none_or(|d| d == 1))
        {
            self.sample_shape.insert(0, 1);
        }
        self
    }

    /// Checks the samples against the model input `name` with declared dims (`None` = symbolic/unknown),
    /// and that no value is NaN or infinite. Errors name the input.
    pub fn check(&self, name: &str, declared: Option<&[Option<i64>]>) -> Result<(), String> {
        if let Some(want) = &self.input_name
            && want != name
        {
            return Err(format!("calibration data is for input '{want}', the model's input is '{name}'"));
        }
        if let Some(dims) = declared {
            let fits = dims.len() == self.sample_shape.len()
                && dims.iter().zip(&self.sample_shape).all(|(d, &s)| d.is_none_or(|d| i64::try_from(s) == Ok(d)));
            if !fits {
                return Err(format!(
                    "input '{name}': calibration samples have shape {:?}, the model declares {:?}",
                    self.sample_shape,
                    dims.iter().map(|d| d.map_or("?".to_string(), |v| v.to_string())).collect::<Vec<_>>()
                ));
            }
        }
        for (i, s) in self.samples.iter().enumerate() {
            if let Some((j, v)) = s.iter().enumerate().find(|(_, v)| !v.is_finite()) {
                return Err(format!("input '{name}': calibration sample {i} has a non-finite value ({v}) at {j}"));
            }
        }
        Ok(())
    }
}

/// Reads a `.npy` `[N, …]` as N samples (see [`CalibData::from_batch`]).
pub fn calib_from_npy(bytes: &[u8]) -> Result<CalibData, String> {
    let t = read_npy("calibration .npy", bytes).map_err(|e| e.to_string())?;
    CalibData::from_batch(None, &t)
}

/// Reads a `.npz` into one [`CalibData`] per array, named after the array (`x.npy` → `x`).
pub fn calib_from_npz(bytes: &[u8]) -> Result<Vec<CalibData>, String> {
    read_npz(bytes)
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|(name, t)| CalibData::from_batch(Some(name), &t))
        .collect()
}

/// The reference calib JSON (`reference/calib/*_calib.json`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReferenceJson {
    input_name: Option<String>,
    shape: Vec<u64>,
    samples: Vec<Vec<f32>>,
}

/// Parses calibration JSON: the reference format, or else the per-input format of [`read_calib_json`] when
/// its samples feed exactly one input with float values. Every sample must hold the shape's element count.
pub fn calib_from_json(text: &str) -> Result<CalibData, String> {
    check_size(text.as_bytes(), "JSON").map_err(|e| e.to_string())?;
    let c: ReferenceJson = match serde_json::from_str(text) {
        Ok(c) => c,
        Err(reference_err) => return calib_from_input_json(text, &reference_err),
    };
    if c.shape.len() > MAX_CALIB_RANK {
        return Err(format!("calibration JSON: rank {} over the limit {MAX_CALIB_RANK}", c.shape.len()));
    }
    let shape = small_shape(&c.shape).ok_or_else(|| {
        format!("calibration JSON: shape {:?} is over {} elements", c.shape, ops::MAX_TENSOR_ELEMENTS)
    })?;
    let per: usize = shape.iter().product();
    if c.samples.is_empty() {
        return Err("calibration JSON holds no samples".into());
    }
    if c.samples.len() > MAX_CALIB_SAMPLES {
        return Err(format!("calibration JSON: {} samples (limit {MAX_CALIB_SAMPLES})", c.samples.len()));
    }
    if let Some((i, s)) = c.samples.iter().enumerate().find(|(_, s)| s.len() != per) {
        return Err(format!("calibration sample {i} has {} values, shape {shape:?} needs {per}", s.len()));
    }
    Ok(CalibData { input_name: c.input_name, sample_shape: shape, samples: c.samples })
}

/// The per-input JSON as one input's samples; when it is not that either, the message says what both formats
/// expected (the reference format's error first when the text looks like it).
fn calib_from_input_json(text: &str, reference_err: &serde_json::Error) -> Result<CalibData, String> {
    let samples = match read_calib_json(text.as_bytes()) {
        Ok(s) => s,
        Err(_) if text.contains("\"samples\"") => return Err(format!("calibration JSON: {reference_err}")),
        Err(e) => return Err(e.to_string()),
    };
    let mut names = samples.iter().flat_map(BTreeMap::keys);
    let Some(name) = names.next().cloned() else { return Err("calibration JSON holds no samples".into()) };
    if let Some(other) = samples.iter().flat_map(BTreeMap::keys).find(|n| **n != name) {
        return Err(format!("calibration JSON feeds inputs '{name}' and '{other}'; the pipeline calibrates one input"));
    }
    let mut out = CalibData { input_name: Some(name.clone()), sample_shape: Vec::new(), samples: Vec::new() };
    for (k, s) in samples.iter().enumerate() {
        let Some(Tensor::F32(a)) = s.get(&name) else {
            return Err(format!("calibration JSON, sample {k}, input '{name}': values must be float32"));
        };
        if k == 0 {
            out.sample_shape = a.shape().to_vec();
        } else if a.shape() != out.sample_shape.as_slice() {
            return Err(format!(
                "calibration JSON, sample {k}, input '{name}': shape {:?} differs from sample 0's {:?}",
                a.shape(),
                out.sample_shape
            ));
        }
        out.samples.push(a.iter().copied().collect());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn npy(header: &str, data: &[f32]) -> Vec<u8> {
        let mut h = header.to_string();
        while !(10 + h.len() + 1).is_multiple_of(16) {
            h.push(' ');
        }
        h.push('\n');
        let mut b = b"\x93NUMPY".to_vec();
        b.extend([1, 0]);
        b.extend((h.len() as u16).to_le_bytes());
        b.extend(h.as_bytes());
        b.extend(data.iter().flat_map(|v| v.to_le_bytes()));
        b
    }

    #[test]
    fn reads_a_well_formed_array() {
        let b = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1, 3), }", &[1., 2., 3., 4., 5., 6.]);
        let c = calib_from_npy(&b).unwrap();
        assert_eq!(c.sample_shape, vec![1, 3]);
        assert_eq!(c.samples, vec![vec![1., 2., 3.], vec![4., 5., 6.]]);
        assert!(c.check("x", Some(&[Some(1), Some(3)])).is_ok());
        assert!(c.check("x", Some(&[Some(1), Some(4)])).unwrap_err().contains("'x'"));
    }

    #[test]
    fn a_batch_without_its_unit_axis_conforms() {
        let b = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", &[0.0; 6]);
        let c = calib_from_npy(&b).unwrap().conform(Some(&[Some(1), Some(3)]));
        assert_eq!(c.sample_shape, vec![1, 3]);
        let c = calib_from_npy(&b).unwrap().conform(Some(&[Some(2), Some(3)]));
        assert_eq!(c.sample_shape, vec![3], "only a batch of 1 is implied");
    }

    #[test]
    fn rejects_bad_bytes_without_panicking() {
        let good = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", &[0.0; 6]);
        for cut in 0..good.len() {
            assert!(calib_from_npy(&good[..cut]).is_err(), "truncated at {cut}");
        }
        let ints = npy("{'descr': '<i4', 'fortran_order': False, 'shape': (1,), }", &[0.0]);
        assert!(calib_from_npy(&ints).unwrap_err().contains("float32"));
        // Fortran order is read (column-major data), not refused: [[1, 2, 3], [4, 5, 6]] stored as 1 4 2 5 3 6.
        let f = npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", &[1., 4., 2., 5., 3., 6.]);
        assert_eq!(calib_from_npy(&f).unwrap().samples, vec![vec![1., 2., 3.], vec![4., 5., 6.]]);
        assert!(calib_from_npy(&npy("{'descr': '<f4', 'fortran_order': False, 'shape': (a,), }", &[0.0])).is_err());
        let nan = calib_from_npy(&npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }", &[0.0, f32::NAN]));
        assert!(nan.unwrap().check("img", None).unwrap_err().contains("'img'"));
    }

    #[test]
    fn both_json_formats_read_into_one_input() {
        let r = calib_from_json(r#"{"input_name": "x", "shape": [1, 2], "samples": [[1, 2], [3, 4]]}"#).unwrap();
        let p = calib_from_json(r#"[{"x": [[1, 2]]}, {"x": [[3, 4]]}]"#).unwrap();
        assert_eq!(r, p);
        assert!(
            calib_from_json(r#"{"input_name": "x", "shape": [1, 3], "samples": [[1, 2]]}"#)
                .unwrap_err()
                .contains("sample 0")
        );
        let huge = r#"{"input_name": "x", "shape": [4294967296, 4294967296, 4294967296], "samples": [[1]]}"#;
        assert!(calib_from_json(huge).unwrap_err().contains("elements"));
        assert!(calib_from_json(r#"[{"x": [1], "y": [2]}]"#).unwrap_err().contains("'y'"));
    }
}
