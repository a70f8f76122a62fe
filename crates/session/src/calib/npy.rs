//! NumPy `.npy` reading (format 1.0–3.0) as NumPy writes it — any byte order, C or Fortran order, float16/32/64,
//! signed and unsigned integers, bool — with every size checked before use, and writing float32 arrays (what
//! `run` outputs).

use super::{MAX_CALIB_RANK, check_size, err, small_shape};
use ndarray::{ArrayD, IxDyn, ShapeBuilder};
use ppq_graph::{GraphError, Tensor, ops};

/// Reads a NumPy `.npy` file. `name` is used in messages.
///
/// Element types map onto the [`Tensor`] types the executor runs: float16 and float64 become float32 (PPQ's
/// torch conversion narrows float64 the same way; a float64 beyond float32's range becomes ±inf and is caught
/// by the finite check), int16/uint16 widen to int32, uint32 to int64, uint64 to int64 when every value fits.
/// Big-endian data is byte-swapped and Fortran-ordered data is reordered to C order, so the result is the array
/// NumPy would show.
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
    let descr_text = header_str(header, "descr").ok_or_else(|| bad("header has no 'descr'".into()))?;
    let fortran = header_value(header, "fortran_order").is_some_and(|v| v.starts_with("True"));
    let shape_text = header_value(header, "shape").ok_or_else(|| bad("header has no 'shape'".into()))?;
    let shape = parse_shape(shape_text).ok_or_else(|| bad(format!("cannot read shape {shape_text:?}")))?;
    if shape.len() > MAX_CALIB_RANK {
        return Err(bad(format!("rank {} over the limit {MAX_CALIB_RANK}", shape.len())));
    }
    let shape = small_shape(&shape).ok_or_else(|| {
        GraphError::TooLarge(format!("'{name}': shape {shape:?} is over {} elements", ops::MAX_TENSOR_ELEMENTS))
    })?;
    let descr = Descr::parse(descr_text).ok_or_else(|| {
        bad(format!(
            "dtype '{descr_text}' is not supported (float16/32/64, int8/16/32/64, uint8/16/32/64 or bool, \
             either byte order)"
        ))
    })?;
    let count: usize = shape.iter().product();
    let needed = count.saturating_mul(descr.width);
    if data.len() != needed {
        return Err(bad(format!(
            "shape {shape:?} of '{descr_text}' needs {needed} data bytes, the file has {}",
            data.len()
        )));
    }
    // Fortran order: the data is column-major over the same shape.
    let s = IxDyn(&shape).set_f(fortran);
    let tensor = descr.decode(data, s).map_err(bad)?;
    Ok(standard_layout(tensor))
}

/// What kind of number a `.npy` element is.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Float,
    Int,
    Uint,
    Bool,
}

/// A `.npy` element type as the header's `descr` spells it (`'<f4'`, `'>i8'`, `'|u1'`, `'|b1'` …).
#[derive(Debug, Clone, Copy)]
struct Descr {
    big_endian: bool,
    kind: Kind,
    width: usize,
}

impl Descr {
    /// Parses a simple (non-structured) numeric descr; `None` for anything else (objects, strings, complex …).
    fn parse(text: &str) -> Option<Self> {
        let mut chars = text.chars();
        // '=' is the writer's native order; every platform NumPy writes from today is little-endian.
        let big_endian = match chars.next()? {
            '<' | '|' | '=' => false,
            '>' => true,
            _ => return None,
        };
        let kind = match chars.next()? {
            'f' => Kind::Float,
            'i' => Kind::Int,
            'u' => Kind::Uint,
            'b' => Kind::Bool,
            _ => return None,
        };
        let width: usize = chars.as_str().parse().ok()?;
        let ok = match kind {
            Kind::Float => matches!(width, 2 | 4 | 8),
            Kind::Int | Kind::Uint => matches!(width, 1 | 2 | 4 | 8),
            Kind::Bool => width == 1,
        };
        ok.then_some(Self { big_endian, kind, width })
    }

    /// Decodes `data` (exactly the shape's element count × width, checked by the caller) into a tensor laid out
    /// by `shape` (C or Fortran strides).
    fn decode(self, data: &[u8], shape: ndarray::Shape<IxDyn>) -> Result<Tensor, String> {
        let words = data.chunks_exact(self.width).map(|c| {
            let mut b = [0u8; 8];
            b[..c.len()].copy_from_slice(c);
            if self.big_endian {
                b[..c.len()].reverse();
            }
            u64::from_le_bytes(b)
        });
        let shape_err = |e: ndarray::ShapeError| e.to_string();
        // Each arm keeps the low `width` bytes of the little-endian word: the truncating casts are the decoding.
        match (self.kind, self.width) {
            (Kind::Float, 2) => collect(shape, words.map(|w| f16_to_f32(w as u16))).map(Tensor::F32),
            (Kind::Float, 4) => collect(shape, words.map(|w| f32::from_bits(w as u32))).map(Tensor::F32),
            (Kind::Float, _) => collect(shape, words.map(|w| f64::from_bits(w) as f32)).map(Tensor::F32),
            (Kind::Int, 1) => collect(shape, words.map(|w| w as u8 as i8)).map(Tensor::I8),
            (Kind::Int, 2) => collect(shape, words.map(|w| i32::from(w as u16 as i16))).map(Tensor::I32),
            (Kind::Int, 4) => collect(shape, words.map(|w| w as u32 as i32)).map(Tensor::I32),
            (Kind::Int, _) => collect(shape, words.map(|w| w as i64)).map(Tensor::I64),
            (Kind::Uint, 1) => collect(shape, words.map(|w| w as u8)).map(Tensor::U8),
            (Kind::Uint, 2) => collect(shape, words.map(|w| i32::from(w as u16))).map(Tensor::I32),
            (Kind::Uint, 4) => collect(shape, words.map(|w| i64::from(w as u32))).map(Tensor::I64),
            (Kind::Uint, _) => {
                let values: Vec<i64> = words
                    .map(|w| i64::try_from(w).map_err(|_| format!("uint64 value {w} does not fit int64")))
                    .collect::<Result<_, _>>()?;
                return ArrayD::from_shape_vec(shape, values).map(Tensor::I64).map_err(shape_err);
            }
            (Kind::Bool, _) => collect(shape, words.map(|w| w != 0)).map(Tensor::Bool),
        }
        .map_err(shape_err)
    }
}

fn collect<T>(shape: ndarray::Shape<IxDyn>, values: impl Iterator<Item = T>) -> Result<ArrayD<T>, ndarray::ShapeError> {
    ArrayD::from_shape_vec(shape, values.collect())
}

/// IEEE 754 binary16 → binary32, exact (every half value is a float).
fn f16_to_f32(h: u16) -> f32 {
    let sign = u32::from(h & 0x8000) << 16;
    let exp = u32::from((h >> 10) & 0x1f);
    let frac = u32::from(h & 0x3ff);
    let bits = match exp {
        0 => {
            // zero or subnormal: frac × 2^-24, exact in f32
            let v = frac as f32 * f32::from_bits(0x3380_0000);
            return if sign != 0 { -v } else { v };
        }
        0x1f => sign | 0x7f80_0000 | (frac << 13),
        e => sign | ((e + 112) << 23) | (frac << 13),
    };
    f32::from_bits(bits)
}

/// The same tensor in C (row-major) order, so Fortran-ordered input looks like any other to the consumers.
fn standard_layout(t: Tensor) -> Tensor {
    macro_rules! std {
        ($($v:ident),*) => {
            match t {
                $(Tensor::$v(a) if !a.is_standard_layout() => Tensor::$v(a.as_standard_layout().into_owned()),)*
                other => other,
            }
        };
    }
    std!(F32, I64, I32, I8, U8, Bool)
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

    #[test]
    fn half_floats_convert_exactly() {
        // 1.0, -2.0, 65504 (max), 2^-24 (smallest subnormal), -0.0, inf, NaN
        let cases = [(0x3c00, 1.0), (0xc000, -2.0), (0x7bff, 65504.0), (0x0001, 5.960_464_5e-8), (0x8000, -0.0)];
        for (h, f) in cases {
            assert_eq!(f16_to_f32(h).to_bits(), f32::to_bits(f), "{h:#06x}");
        }
        assert_eq!(f16_to_f32(0x7c00), f32::INFINITY);
        assert!(f16_to_f32(0x7e00).is_nan());
    }

    #[test]
    fn descrs_numpy_writes_are_understood() {
        for d in ["<f2", "<f4", ">f8", "|i1", ">i2", "<i4", "<i8", "|u1", "<u2", ">u4", "<u8", "|b1"] {
            assert!(Descr::parse(d).is_some(), "{d}");
        }
        for d in ["|O", "<c8", "<U3", "|S4", "<f3", "<f16", "f4", "<b2", ""] {
            assert!(Descr::parse(d).is_none(), "{d}");
        }
    }
}
