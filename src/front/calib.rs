//! Calibration data for both front ends (CLI and page): `.npy` float32 `[N, …]` (one batch-1 sample per leading index, like
//! `reference/calib/*_calib.npy`) or the calib JSON (`{"input_name", "shape", "samples": [[flat floats]…]}`).
//!
//! The `.npy` reader is a small header parser written here (no extra crate): format versions 1–3,
//! little-endian `<f4` only, C order only. Every malformed byte sequence is an error message, never a panic.

use serde::Deserialize;

/// Calibration samples for one model input.
#[derive(Debug, Clone, PartialEq)]
pub struct CalibData {
    /// The input they feed (from the JSON; `None` for `.npy`, which names nothing).
    pub input_name: Option<String>,
    /// The shape of one sample (batch 1 included), e.g. `[1, 4, 8, 8]`.
    pub sample_shape: Vec<usize>,
    /// The samples, each `sample_shape.product()` floats.
    pub samples: Vec<Vec<f32>>,
}

const NPY_MAGIC: &[u8] = b"\x93NUMPY";

/// Parses `.npy` bytes into (shape, values). Only float32 little-endian C-order arrays are accepted.
pub fn parse_npy_f32(bytes: &[u8]) -> Result<(Vec<usize>, Vec<f32>), String> {
    if bytes.len() < 10 || !bytes.starts_with(NPY_MAGIC) {
        return Err("not a .npy file (bad magic)".into());
    }
    let (header_len, start): (usize, usize) = match bytes[6] {
        1 => (usize::from(u16::from_le_bytes([bytes[8], bytes[9]])), 10),
        2 | 3 if bytes.len() >= 12 => (u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize, 12),
        v => return Err(format!("unsupported .npy format version {v}")),
    };
    let end = start.checked_add(header_len).filter(|&e| e <= bytes.len()).ok_or(".npy header is truncated")?;
    let header = std::str::from_utf8(&bytes[start..end]).map_err(|_| ".npy header is not text")?;
    let field = |key: &str| -> Result<&str, String> {
        let k = format!("'{key}':");
        let at = header.find(&k).ok_or_else(|| format!(".npy header has no '{key}'"))?;
        Ok(header[at + k.len()..].trim_start())
    };
    let descr = field("descr")?;
    if !(descr.starts_with("'<f4'") || descr.starts_with("'float32'")) {
        let shown: String = descr.chars().take(8).collect();
        return Err(format!(".npy dtype {shown} is not little-endian float32 ('<f4')"));
    }
    if !field("fortran_order")?.starts_with("False") {
        return Err(".npy array is in Fortran order; save it in C order".into());
    }
    let shape_text = field("shape")?;
    let close = shape_text.find(')').ok_or(".npy shape is not a tuple")?;
    let inner = shape_text.get(1..close).filter(|_| shape_text.starts_with('(')).ok_or(".npy shape is not a tuple")?;
    let shape = inner
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<usize>().map_err(|_| format!(".npy shape entry '{s}' is not a size")))
        .collect::<Result<Vec<_>, _>>()?;
    let count = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d)).ok_or(".npy shape overflows")?;
    let data = &bytes[end..];
    if Some(data.len()) != count.checked_mul(4) {
        return Err(format!(".npy shape {shape:?} needs {count} float32 values, the file holds {} bytes", data.len()));
    }
    let values = data.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
    Ok((shape, values))
}

/// Splits an `[N, …]` array into N samples of shape `[1, …]`… when the rest already starts with 1 (the
/// reference layout `[N, 1, C, H, W]`), or `[…]` otherwise.
pub fn calib_from_npy(bytes: &[u8]) -> Result<CalibData, String> {
    let (shape, values) = parse_npy_f32(bytes)?;
    let Some((&n, rest)) = shape.split_first() else {
        return Err(".npy calibration data must have a leading sample axis, got a scalar".into());
    };
    if n == 0 {
        return Err(".npy calibration data holds no samples".into());
    }
    let per: usize = rest.iter().product();
    let samples = if per == 0 { Vec::new() } else { values.chunks(per).map(<[f32]>::to_vec).collect() };
    Ok(CalibData { input_name: None, sample_shape: rest.to_vec(), samples })
}

#[derive(Deserialize)]
struct CalibJson {
    input_name: Option<String>,
    shape: Vec<usize>,
    samples: Vec<Vec<f32>>,
}

/// Parses the calib JSON format; every sample must hold `shape.product()` values.
pub fn calib_from_json(text: &str) -> Result<CalibData, String> {
    let c: CalibJson = serde_json::from_str(text).map_err(|e| format!("calibration JSON: {e}"))?;
    let per: usize = c.shape.iter().product();
    if c.samples.is_empty() {
        return Err("calibration JSON holds no samples".into());
    }
    if let Some((i, s)) = c.samples.iter().enumerate().find(|(_, s)| s.len() != per) {
        return Err(format!("calibration sample {i} has {} values, shape {:?} needs {per}", s.len(), c.shape));
    }
    Ok(CalibData { input_name: c.input_name, sample_shape: c.shape, samples: c.samples })
}

impl CalibData {
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
                && dims.iter().zip(&self.sample_shape).all(|(d, &s)| d.is_none_or(|d| d == s as i64));
            if !fits {
                return Err(format!(
                    "input '{name}': calibration samples have shape {:?}, the model declares {:?}",
                    self.sample_shape,
                    dims.iter().map(|d| d.map_or("?".to_string(), |v| v.to_string())).collect::<Vec<_>>()
                ));
            }
        }
        for (i, s) in self.samples.iter().enumerate() {
            if let Some(j) = s.iter().position(|v| !v.is_finite()) {
                return Err(format!("input '{name}': calibration sample {i} has a non-finite value ({}) at {j}", s[j]));
            }
        }
        Ok(())
    }
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
        let mut b = NPY_MAGIC.to_vec();
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
    fn rejects_bad_bytes_without_panicking() {
        let good = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", &[0.0; 6]);
        for cut in 0..good.len() {
            assert!(parse_npy_f32(&good[..cut]).is_err(), "truncated at {cut}");
        }
        assert!(parse_npy_f32(&npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", &[0.0; 2])).is_err());
        assert!(parse_npy_f32(&npy("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", &[0.0])).is_err());
        assert!(parse_npy_f32(&npy("{'descr': '<f4', 'fortran_order': False, 'shape': (a,), }", &[0.0])).is_err());
        let nan = calib_from_npy(&npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2), }", &[0.0, f32::NAN]));
        assert!(nan.unwrap().check("img", None).unwrap_err().contains("'img'"));
    }
}
