//! The per-input calibration JSON: every problem is a [`GraphError::CalibData`] naming the sample, input and
//! field, and sizes are bounded while parsing (samples, rank, elements) so a hostile file cannot exhaust memory.
//!
//! Layout: one sample `{"input_name": value, …}` or a list of samples `[{…}, {…}]`; a value is a nested
//! array of numbers or `{"shape": [..], "data": [flat numbers], "dtype": "float32"}` (dtype optional).

use super::{CalibSample, MAX_CALIB_RANK, MAX_CALIB_SAMPLES, check_size, err, small_shape};
use ndarray::{ArrayD, IxDyn};
use ppq_graph::{GraphError, Tensor, ops};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::collections::BTreeMap;
use std::fmt;

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
