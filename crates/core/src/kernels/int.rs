//! Quantize to integers for exporters (PPQ `PPQLinearQuant_toInt`): the same q as fake-quant, no dequant,
//! cast to the dtype PPQ picks from the bit width and the symmetry.

use super::params::LinearQuantParams;
use super::scalar;
use crate::error::QuantError;

/// The integer tensor PPQ's `PPQLinearQuant_toInt` returns, by dtype.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuantizedInts {
    /// 8 bits, SYMMETRICAL → `torch.int8`.
    I8(Vec<i8>),
    /// 8 bits, ASYMMETRICAL → `torch.uint8`.
    U8(Vec<u8>),
    /// More than 8 bits → `torch.int32` (e.g. 32-bit biases).
    I32(Vec<i32>),
}

impl QuantizedInts {
    /// Number of elements.
    pub fn len(&self) -> usize {
        match self {
            Self::I8(v) => v.len(),
            Self::U8(v) => v.len(),
            Self::I32(v) => v.len(),
        }
    }

    /// Whether the tensor has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The values widened to i64, handy for display and tests.
    pub fn to_i64(&self) -> Vec<i64> {
        match self {
            Self::I8(v) => v.iter().map(|&q| q.into()).collect(),
            Self::U8(v) => v.iter().map(|&q| q.into()).collect(),
            Self::I32(v) => v.iter().map(|&q| q.into()).collect(),
        }
    }
}

/// PPQ's `PPQLinearQuant_toInt`: q = clamp(R(x / s) + o, qmin, qmax), then int8 (8 bits SYM), uint8
/// (8 bits ASYM) or int32 (> 8 bits); any other width is an error, as in PPQ.
///
/// Stricter than PPQ where torch's cast would silently wrap or be undefined: NaN inputs are `BadData`, and
/// the range [quant_min, quant_max] must fit the dtype (and a 32-bit range saturates: q = 2^31 as float,
/// which is what torch's clamp produces for quant_max = 2^31 − 1, becomes i32::MAX instead of x86's
/// 0x80000000). Runs on the scalar oracle: exports touch parameters only, never activations.
pub fn quantize_to_int(
    input: &[f32],
    shape: &[usize],
    params: &LinearQuantParams<'_>,
    num_of_bits: u32,
    symmetrical: bool,
) -> Result<QuantizedInts, QuantError> {
    let layout = params.layout(shape, input.len())?;
    let (qmin, qmax) = (params.quant_min(), params.quant_max());
    let fits = |lo: i64, hi: i64| {
        if i64::from(qmin) < lo || i64::from(qmax) > hi {
            Err(QuantError::InvalidConfig(format!(
                "range [{qmin}, {qmax}] does not fit the {num_of_bits}-bit export dtype [{lo}, {hi}]"
            )))
        } else {
            Ok(())
        }
    };
    match (num_of_bits, symmetrical) {
        (8, true) => fits(i8::MIN.into(), i8::MAX.into())?,
        (8, false) => fits(u8::MIN.into(), u8::MAX.into())?,
        (9..=32, _) => {}
        _ => {
            return Err(QuantError::InvalidConfig(format!(
                "do not know how to convert a {num_of_bits}-bit tensor into integers"
            )));
        }
    }
    if let Some(i) = input.iter().position(|x| x.is_nan()) {
        return Err(QuantError::BadData(format!("NaN at element {i} cannot be exported as an integer")));
    }
    let mut q = vec![0.0f32; input.len()];
    scalar::quantize_into(input, &mut q, layout, params);
    // q is integral, finite (clamped) and inside the dtype's range, so the casts are exact.
    Ok(match (num_of_bits, symmetrical) {
        (8, true) => QuantizedInts::I8(q.iter().map(|&v| v as i8).collect()),
        (8, false) => QuantizedInts::U8(q.iter().map(|&v| v as u8).collect()),
        _ => QuantizedInts::I32(q.iter().map(|&v| v as i32).collect()),
    })
}
