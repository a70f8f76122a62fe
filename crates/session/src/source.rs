//! Where a run's calibration samples come from, and the one reader that turns any source into
//! [`CalibData`] for a model's input. The CLI reads files into a source, the page posts one to the worker,
//! and teaching builds one from a link's seed, so every front end calibrates through [`load_calib`].

use crate::calib::{CalibData, ImageOptions, calib_from_images, calib_from_json, calib_from_npy, calib_from_npz};
use crate::prepare::{declared_dims, random_calib};
use ppq_graph::BaseGraph;
use serde::{Deserialize, Serialize};

/// Where the calibration samples come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CalibSource {
    /// A calib JSON text (`{"input_name", "shape", "samples"}`), as bundled with the samples.
    Json(String),
    /// `.npy` bytes `[N, …]`.
    Npy(Vec<u8>),
    /// `.npz` bytes: the array named after the input, or the only array.
    Npz(Vec<u8>),
    /// PNG/JPEG files (name, bytes; one sample each, in this order).
    Images {
        /// The files.
        files: Vec<(String, Vec<u8>)>,
        /// Size, mean/std and channel order.
        options: ImageOptions,
    },
    /// `count` uniform samples in [-1, 1) of the model's declared input shape, from `seed`.
    Random {
        /// Generator seed.
        seed: u64,
        /// Number of samples.
        count: usize,
    },
}

impl CalibSource {
    /// A few words for the page and `report.md` (`calibration JSON`, `16 random samples, seed 3`).
    pub fn describe(&self) -> String {
        match self {
            Self::Json(_) => "calibration JSON".into(),
            Self::Npy(_) => "a .npy file".into(),
            Self::Npz(_) => "a .npz file".into(),
            Self::Images { files, .. } => format!("{} images", files.len()),
            Self::Random { seed, count } => format!("{count} random samples, seed {seed}"),
        }
    }
}

/// Reads `src` for input `input` declaring `dims` (random sources need the model: see [`load_calib`]).
fn read(input: &str, dims: Option<&[Option<i64>]>, src: &CalibSource) -> Result<CalibData, String> {
    match src {
        CalibSource::Json(text) => calib_from_json(text).map_err(|e| format!("calibration JSON: {e}")),
        CalibSource::Npy(bytes) => calib_from_npy(bytes).map_err(|e| format!("calibration .npy: {e}")),
        CalibSource::Npz(bytes) => {
            let mut arrays = calib_from_npz(bytes).map_err(|e| format!("calibration .npz: {e}"))?;
            let names: Vec<String> = arrays.iter().filter_map(|c| c.input_name.clone()).collect();
            match arrays.iter().position(|c| c.input_name.as_deref() == Some(input)) {
                Some(i) => Ok(arrays.swap_remove(i)),
                None if arrays.len() == 1 => {
                    arrays.pop().map(|c| CalibData { input_name: None, ..c }).ok_or_else(|| "empty .npz".into())
                }
                None => Err(format!(
                    "calibration .npz: no array named '{input}' (the model's input); arrays: {}",
                    names.join(", ")
                )),
            }
        }
        CalibSource::Images { files, options } => {
            calib_from_images(files, input, dims, options).map_err(|e| format!("calibration images: {e}"))
        }
        CalibSource::Random { .. } => Err("random calibration data is drawn for a loaded model".into()),
    }
}

/// The calibration samples `src` gives the model's single input, conformed to its declared shape and checked.
pub fn load_calib(g: &BaseGraph, src: &CalibSource) -> Result<CalibData, String> {
    if let CalibSource::Random { seed, count } = src {
        return random_calib(g, *seed, *count);
    }
    let &[input] = &g.inputs[..] else {
        return Err(format!("the model has {} inputs; calibration supports exactly one", g.inputs.len()));
    };
    let dims = declared_dims(g, input);
    let name = g.var(input).name.clone();
    let data = read(&name, dims.as_deref(), src)?.conform(dims.as_deref());
    data.check(&name, dims.as_deref())?;
    Ok(data)
}

/// How many samples `src` holds for input `input` declaring `dims`, once they fit (the page checks a file
/// before adopting it, without a loaded model).
pub fn count_samples(input: &str, dims: Option<&[Option<i64>]>, src: &CalibSource) -> Result<usize, String> {
    if let CalibSource::Random { count, .. } = src {
        return Ok(*count);
    }
    let data = read(input, dims, src)?.conform(dims);
    data.check(input, dims)?;
    Ok(data.samples.len())
}
