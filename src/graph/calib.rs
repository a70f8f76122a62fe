//! Calibration-data readers: JSON (nested arrays or `{shape, data, dtype}` objects) and NumPy `.npy`, then a
//! check of the samples against the model's inputs. Everything here reads user files, so every problem is a
//! [`GraphError::CalibData`] naming the sample, input and field — and non-finite values are refused with the
//! tensor named instead of producing NaN scales later (observers would fail anyway, without saying which input).
//!
//! JSON layout: one sample `{"input_name": value, …}` or a list of samples `[{…}, {…}]`; a value is a nested
//! array of numbers or `{"shape": [..], "data": [flat numbers], "dtype": "float32"}` (dtype optional).

use super::ir::{BaseGraph, Dim, fmt_dims};
use super::{GraphError, Tensor, ops};
use ndarray::{ArrayD, IxDyn};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::collections::BTreeMap;
use std::fmt;

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

/// Reads a calibration JSON file into samples (not yet checked against a model; see [`check_samples`]).
pub fn read_calib_json(bytes: &[u8]) -> Result<Vec<CalibSample>, GraphError> {
    check_size(bytes, "JSON")?;
    let text = std::str::from_utf8(bytes).map_err(|e| err(format!("the JSON file is not UTF-8: {e}")))?;
    let first = text.trim_start().chars().next();
    let mut de = serde_json::Deserializer::from_str(text);
    let raw: Vec<BTreeMap<String, Entry>> = match first {
        Some('[') => de.deserialize_seq(SamplesVisitor),
        Some('{') => BTreeMap::<String, Entry>::deserialize_map(&mut de).map(|m| vec![m]),
        _ => return Err(err("the JSON must be an object {input: values} or a list of such objects")),
    }
    .map_err(|e| json_error(text, &e))?;
    de.end().map_err(|e| json_error(text, &e))?;
    if raw.is_empty() {
        return Err(err("the JSON holds no samples"));
    }
    raw.into_iter()
        .enumerate()
        .map(|(k, sample)| {
            if sample.is_empty() {
                return Err(err(format!("sample {k} has no inputs")));
            }
            sample
                .into_iter()
                .map(|(name, e)| {
                    e.into_tensor()
                        .map(|t| (name.clone(), t))
                        .map_err(|why| err(format!("sample {k}, input '{name}': {why}")))
                })
                .collect()
        })
        .collect()
}

/// A serde_json error with a hint for NaN/Infinity, which JSON cannot hold but Python's `json.dump` writes.
fn json_error(text: &str, e: &serde_json::Error) -> GraphError {
    let at = format!("line {}, column {}", e.line(), e.column());
    let nonfinite = ["NaN", "Infinity"].iter().find(|t| text.contains(*t));
    match nonfinite {
        Some(t) if e.is_syntax() => {
            err(format!("malformed JSON at {at}: found '{t}' — calibration values must be finite numbers ({e})"))
        }
        _ => err(format!("malformed JSON at {at}: {e}")),
    }
}

/// Helper trait so `BTreeMap<String, Entry>` can be read from a map directly.
trait DeserializeMap: Sized {
    fn deserialize_map<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error>;
}

impl DeserializeMap for BTreeMap<String, Entry> {
    fn deserialize_map<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(SampleVisitor)
    }
}

struct SamplesVisitor;

impl<'de> Visitor<'de> for SamplesVisitor {
    type Value = Vec<BTreeMap<String, Entry>>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of samples")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(s) = seq.next_element_seed(SampleSeed)? {
            if out.len() >= MAX_CALIB_SAMPLES {
                return Err(de::Error::custom(format!("more than {MAX_CALIB_SAMPLES} samples (limit)")));
            }
            out.push(s);
        }
        Ok(out)
    }
}

struct SampleSeed;

impl<'de> DeserializeSeed<'de> for SampleSeed {
    type Value = BTreeMap<String, Entry>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(SampleVisitor)
    }
}

struct SampleVisitor;

impl<'de> Visitor<'de> for SampleVisitor {
    type Value = BTreeMap<String, Entry>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a sample object {input name: values}")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = BTreeMap::new();
        while let Some(name) = map.next_key::<String>()? {
            let entry = map.next_value_seed(EntrySeed { name: &name })?;
            if out.insert(name.clone(), entry).is_some() {
                return Err(de::Error::custom(format!("input '{name}' is given twice in one sample")));
            }
        }
        Ok(out)
    }
}

/// One input's values as read: a flat buffer with its shape and requested element type.
struct Entry {
    shape: Vec<usize>,
    data: Vec<f64>,
    dtype: String,
}

impl Entry {
    fn into_tensor(self) -> Result<Tensor, String> {
        if self.data.is_empty() || self.shape.contains(&0) {
            return Err(format!("the array is empty (shape {:?})", self.shape));
        }
        let expected = self.shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
        if expected != Some(self.data.len()) {
            return Err(format!("shape {:?} does not match the {} values given", self.shape, self.data.len()));
        }
        let shape = IxDyn(&self.shape);
        let bad = |e: ndarray::ShapeError| e.to_string();
        match self.dtype.as_str() {
            "float32" => {
                let v: Vec<f32> = self.data.iter().map(|&x| x as f32).collect();
                ArrayD::from_shape_vec(shape, v).map(Tensor::F32).map_err(bad)
            }
            "int64" | "int32" | "uint8" | "int8" => {
                let (lo, hi) = match self.dtype.as_str() {
                    "int64" => (-9.007_199_254_740_992e15, 9.007_199_254_740_992e15),
                    "int32" => (f64::from(i32::MIN), f64::from(i32::MAX)),
                    "uint8" => (0.0, 255.0),
                    _ => (-128.0, 127.0),
                };
                if let Some((i, x)) =
                    self.data.iter().enumerate().find(|(_, x)| x.fract() != 0.0 || !(lo..=hi).contains(*x))
                {
                    return Err(format!("value {x} at flat index {i} is not a valid {}", self.dtype));
                }
                let d = &self.data;
                match self.dtype.as_str() {
                    "int64" => ArrayD::from_shape_vec(shape, d.iter().map(|&x| x as i64).collect()).map(Tensor::I64),
                    "int32" => ArrayD::from_shape_vec(shape, d.iter().map(|&x| x as i32).collect()).map(Tensor::I32),
                    "uint8" => ArrayD::from_shape_vec(shape, d.iter().map(|&x| x as u8).collect()).map(Tensor::U8),
                    _ => ArrayD::from_shape_vec(shape, d.iter().map(|&x| x as i8).collect()).map(Tensor::I8),
                }
                .map_err(bad)
            }
            other => Err(format!("dtype '{other}' is not supported (float32, int64, int32, uint8, int8)")),
        }
    }
}

struct EntrySeed<'a> {
    name: &'a str,
}

impl<'de> DeserializeSeed<'de> for EntrySeed<'_> {
    type Value = Entry;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Entry, D::Error> {
        d.deserialize_any(EntryVisitor { name: self.name })
    }
}

struct EntryVisitor<'a> {
    name: &'a str,
}

impl<'de> Visitor<'de> for EntryVisitor<'_> {
    type Value = Entry;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "input '{}': a nested array of numbers or {{shape, data, dtype}}", self.name)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Entry, A::Error> {
        let mut acc = Nested { shape: Vec::new(), leaf_depth: None, data: Vec::new(), name: self.name };
        Level { acc: &mut acc, depth: 0 }.visit_seq(seq)?;
        let shape = acc.shape.iter().map(|d| d.unwrap_or(0)).collect();
        Ok(Entry { shape, data: acc.data, dtype: "float32".into() })
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entry, A::Error> {
        let (mut shape, mut data, mut dtype) = (None, None, None);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "shape" => shape = Some(map.next_value::<Vec<u64>>()?),
                "data" => {
                    let mut acc = Nested { shape: Vec::new(), leaf_depth: None, data: Vec::new(), name: self.name };
                    map.next_value_seed(Level { acc: &mut acc, depth: 0 })?;
                    if acc.shape.len() != 1 {
                        return Err(de::Error::custom(format!("input '{}': 'data' must be a flat list", self.name)));
                    }
                    data = Some(acc.data);
                }
                "dtype" => dtype = Some(map.next_value::<String>()?),
                other => {
                    return Err(de::Error::custom(format!(
                        "input '{}': unknown field '{other}' (expected shape, data, dtype)",
                        self.name
                    )));
                }
            }
        }
        let missing = |f: &str| de::Error::custom(format!("input '{}': field '{f}' is missing", self.name));
        let shape = shape.ok_or_else(|| missing("shape"))?;
        if shape.len() > MAX_CALIB_RANK {
            return Err(de::Error::custom(format!(
                "input '{}': rank {} over the limit {MAX_CALIB_RANK}",
                self.name,
                shape.len()
            )));
        }
        let shape = small_shape(&shape).ok_or_else(|| {
            de::Error::custom(format!(
                "input '{}': shape {shape:?} is over {} elements",
                self.name,
                ops::MAX_TENSOR_ELEMENTS
            ))
        })?;
        Ok(Entry {
            shape,
            data: data.ok_or_else(|| missing("data"))?,
            dtype: dtype.unwrap_or_else(|| "float32".into()),
        })
    }
}

/// Accumulates a nested JSON array into a flat buffer, checking it is rectangular.
struct Nested<'a> {
    shape: Vec<Option<usize>>,
    leaf_depth: Option<usize>,
    data: Vec<f64>,
    name: &'a str,
}

struct Level<'a, 'n> {
    acc: &'a mut Nested<'n>,
    depth: usize,
}

impl Level<'_, '_> {
    fn leaf<E: de::Error>(self, x: f64) -> Result<(), E> {
        let a = self.acc;
        if *a.leaf_depth.get_or_insert(self.depth) != self.depth {
            return Err(E::custom(format!("input '{}': ragged nesting (numbers at different depths)", a.name)));
        }
        if a.data.len() >= ops::MAX_TENSOR_ELEMENTS {
            return Err(E::custom(format!(
                "input '{}': more than {} values (limit)",
                a.name,
                ops::MAX_TENSOR_ELEMENTS
            )));
        }
        a.data.push(x);
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for Level<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Level<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "input '{}': a number or a list of numbers", self.acc.name)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let (acc, depth) = (self.acc, self.depth);
        if depth >= MAX_CALIB_RANK {
            return Err(de::Error::custom(format!("input '{}': nested deeper than rank {MAX_CALIB_RANK}", acc.name)));
        }
        if acc.leaf_depth.is_some_and(|l| l <= depth) {
            return Err(de::Error::custom(format!("input '{}': ragged nesting (lists at different depths)", acc.name)));
        }
        let mut n = 0usize;
        while seq.next_element_seed(Level { acc: &mut *acc, depth: depth + 1 })?.is_some() {
            n += 1;
        }
        if acc.shape.len() <= depth {
            acc.shape.resize(depth + 1, None);
        }
        match acc.shape[depth] {
            Some(m) if m != n => Err(de::Error::custom(format!(
                "input '{}': ragged array (lengths {m} and {n} at depth {depth})",
                acc.name
            ))),
            _ => {
                acc.shape[depth] = Some(n);
                Ok(())
            }
        }
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.leaf(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.leaf(v as f64)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.leaf(v as f64)
    }
}

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

/// A parsed shape as usizes when its product is within [`ops::MAX_TENSOR_ELEMENTS`] (checked in u64, so 32-bit
/// wasm and native agree).
fn small_shape(shape: &[u64]) -> Option<Vec<usize>> {
    let total = shape.iter().try_fold(1u64, |a, &d| a.checked_mul(d.max(1)))?;
    if total > ops::MAX_TENSOR_ELEMENTS as u64 {
        return None;
    }
    shape.iter().map(|&d| usize::try_from(d).ok()).collect()
}

/// Checks samples against the model's graph inputs: every input present, no unknown names, the declared element
/// type and fixed dims (the leading batch dim may differ when symbolic), non-empty, and only finite float values.
pub fn check_samples(graph: &BaseGraph, samples: &[CalibSample]) -> Result<(), GraphError> {
    if samples.is_empty() {
        return Err(err("no calibration samples"));
    }
    let names: Vec<&str> = graph.inputs.iter().map(|&v| graph.var(v).name.as_str()).collect();
    for (k, sample) in samples.iter().enumerate() {
        if let Some(extra) = sample.keys().find(|n| !names.contains(&n.as_str())) {
            return Err(err(format!(
                "sample {k}: '{extra}' is not an input of the model (inputs: {})",
                names.join(", ")
            )));
        }
        for &v in &graph.inputs {
            let var = graph.var(v);
            let bad = |why: String| err(format!("sample {k}, input '{}': {why}", var.name));
            let t = sample.get(&var.name).ok_or_else(|| bad("missing".into()))?;
            if t.is_empty() {
                return Err(bad(format!("the array is empty (shape {:?})", t.shape())));
            }
            if let Some(dt) = var.dtype
                && dt != t.onnx_dtype()
            {
                return Err(bad(format!("has dtype {}, the model expects ONNX element type {dt}", t.dtype_name())));
            }
            if let Some(dims) = &var.shape {
                let fits = dims.len() == t.shape().len()
                    && dims
                        .iter()
                        .zip(t.shape())
                        .all(|(d, &s)| !matches!(d, Dim::Value(v) if usize::try_from(*v).ok() != Some(s)));
                if !fits {
                    return Err(bad(format!("has shape {:?}, the model declares {}", t.shape(), fmt_dims(dims))));
                }
            }
            if let Tensor::F32(a) = t {
                let mut bad_values = a.iter().enumerate().filter(|(_, x)| !x.is_finite());
                if let Some((i, x)) = bad_values.next() {
                    let n = 1 + bad_values.count();
                    return Err(bad(format!(
                        "{n} non-finite value(s) (first: {x} at flat index {i}); calibration data must be finite"
                    )));
                }
            }
        }
    }
    Ok(())
}
