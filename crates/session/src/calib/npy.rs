//! NumPy `.npy` reading (format 1.0–3.0, C order, little-endian) with every size checked before use, and
//! writing float32 arrays (what `run` outputs).

use super::{MAX_CALIB_RANK, check_size, err, small_shape};
use ndarray::{ArrayD, IxDyn};
use ppq_graph::{GraphError, Tensor, ops};

/// Reads a NumPy `.npy` file (format 1.0–3.0, C order, little-endian float32/float64/int64/int32/uint8/int8/bool;
/// float64 is narrowed to float32 as PPQ's torch conversion does). `name` is used in messages.
pub fn read_npy(name: &str, bytes: &[u8]) -> Result<Tensor, GraphError> {
    let bad = |why: String| err(format!("'{name}': {why}"));
    check_size(bytes, ".npy")?;
    let rest = bytes.strip_prefix(b"\x93NUMPY").ok_or_else(|| bad("not a .npy file (no \\x93NUMPY magic)".into()))?;
    let (&major, rest) = rest.split_first().ok_or_else(|| bad("truncated header".into()))?;
    let rest = rest.get(1..).ok_or_else(|| bad("truncated header".into()))?;
    let (len, rest) = match major {
        1 => {
            let b = rest.get(..2).ok_or_else(|| bad("truncated header".into()))?;
            (usize::from(u16::from_le_bytes([b[0], b[1]])), &rest[2..])
        }
        2 | 3 => {
            let b = rest.get(..4).ok_or_else(|| bad("truncated header".into()))?;
            let n = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
            (usize::try_from(n).unwrap_or(usize::MAX), &rest[4..])
        }
        v => return Err(bad(format!("unsupported .npy format version {v}"))),
    };
    let header = rest.get(..len).ok_or_else(|| bad(format!("header of {len} bytes is truncated")))?;
    let data = &rest[len..];
    let header = std::str::from_utf8(header).map_err(|_| bad("header is not text".into()))?;
    let descr = header_str(header, "descr").ok_or_else(|| bad("header has no 'descr'".into()))?;
    if header_value(header, "fortran_order").is_some_and(|v| v.starts_with("True")) {
        return Err(bad("Fortran-ordered arrays are not supported; save with np.ascontiguousarray".into()));
    }
    let shape_text = header_value(header, "shape").ok_or_else(|| bad("header has no 'shape'".into()))?;
    let shape = parse_shape(shape_text).ok_or_else(|| bad(format!("cannot read shape {shape_text:?}")))?;
    if shape.len() > MAX_CALIB_RANK {
        return Err(bad(format!("rank {} over the limit {MAX_CALIB_RANK}", shape.len())));
    }
    let shape = small_shape(&shape).ok_or_else(|| {
        GraphError::TooLarge(format!("'{name}': shape {shape:?} is over {} elements", ops::MAX_TENSOR_ELEMENTS))
    })?;
    let count: usize = shape.iter().product();
    let width = match descr {
        "<f4" | "<i4" => 4,
        "<f8" | "<i8" => 8,
        "|u1" | "|i1" | "|b1" => 1,
        other => {
            return Err(bad(format!(
                "dtype '{other}' is not supported (little-endian float32/float64/int64/int32, uint8, int8, bool)"
            )));
        }
    };
    if data.len() != count * width {
        return Err(bad(format!(
            "shape {shape:?} of '{descr}' needs {} data bytes, the file has {}",
            count * width,
            data.len()
        )));
    }
    let s = IxDyn(&shape);
    let shape_err = |e: ndarray::ShapeError| bad(e.to_string());
    macro_rules! le {
        ($t:ty, $n:expr) => {
            data.chunks_exact($n).map(|c| {
                let mut b = [0u8; $n];
                b.copy_from_slice(c);
                <$t>::from_le_bytes(b)
            })
        };
    }
    match descr {
        "<f4" => ArrayD::from_shape_vec(s, le!(f32, 4).collect()).map(Tensor::F32),
        "<f8" => ArrayD::from_shape_vec(s, le!(f64, 8).map(|x| x as f32).collect()).map(Tensor::F32),
        "<i4" => ArrayD::from_shape_vec(s, le!(i32, 4).collect()).map(Tensor::I32),
        "<i8" => ArrayD::from_shape_vec(s, le!(i64, 8).collect()).map(Tensor::I64),
        "|u1" => ArrayD::from_shape_vec(s, data.to_vec()).map(Tensor::U8),
        "|i1" => ArrayD::from_shape_vec(s, data.iter().map(|&b| b as i8).collect()).map(Tensor::I8),
        _ => ArrayD::from_shape_vec(s, data.iter().map(|&b| b != 0).collect()).map(Tensor::Bool),
    }
    .map_err(shape_err)
}

/// The text after `'key':` in a .npy header dict.
fn header_value<'h>(header: &'h str, key: &str) -> Option<&'h str> {
    let at = header.find(&format!("'{key}'"))?;
    let rest = header.get(at + key.len() + 2..)?.trim_start();
    Some(rest.strip_prefix(':')?.trim_start())
}

/// A quoted string value of the .npy header dict.
fn header_str<'h>(header: &'h str, key: &str) -> Option<&'h str> {
    let v = header_value(header, key)?;
    let q = v.chars().next().filter(|&c| c == '\'' || c == '"')?;
    let v = &v[1..];
    v.get(..v.find(q)?)
}

/// Parses a Python shape tuple such as `(1, 3, 4)` or `()`.
fn parse_shape(v: &str) -> Option<Vec<u64>> {
    let inner = v.strip_prefix('(')?;
    let inner = inner.get(..inner.find(')')?)?;
    inner.split(',').map(str::trim).filter(|s| !s.is_empty()).map(|s| s.trim_end_matches('L').parse().ok()).collect()
}

/// A float32 little-endian C-order `.npy` (format 1.0) of `shape` holding `values` (`values.len()` must be the
/// shape's product; checked).
pub fn write_npy_f32(shape: &[usize], values: &[f32]) -> Result<Vec<u8>, String> {
    if shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d)) != Some(values.len()) {
        return Err(format!("shape {shape:?} does not hold {} values", values.len()));
    }
    let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
    let tuple = if dims.len() == 1 { format!("({},)", dims[0]) } else { format!("({})", dims.join(", ")) };
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {tuple}, }}");
    // magic (6) + version (2) + length (2) + header + newline, padded to a multiple of 64 as NumPy does
    while !(10 + header.len() + 1).is_multiple_of(64) {
        header.push(' ');
    }
    header.push('\n');
    let len = u16::try_from(header.len()).map_err(|_| format!("shape {shape:?} makes a header over 64 KiB"))?;
    let mut out = Vec::with_capacity(10 + header.len() + 4 * values.len());
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for v in values {
        out.extend_from_slice(&v.to_le_bytes());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_arrays_read_back() {
        for shape in [vec![3], vec![2, 1, 3], vec![]] {
            let n: usize = shape.iter().product();
            let values: Vec<f32> = (0..n).map(|i| i as f32 * 0.5 - 1.0).collect();
            let bytes = write_npy_f32(&shape, &values).unwrap();
            let Tensor::F32(a) = read_npy("y.npy", &bytes).unwrap() else { panic!("not f32") };
            assert_eq!((a.shape().to_vec(), a.iter().copied().collect::<Vec<_>>()), (shape, values));
        }
        assert!(write_npy_f32(&[2], &[1.0]).is_err());
    }
}
