//! Checked conversions of the numbers a model supplies (attributes, shape and index inputs) into sizes.
//!
//! A model's integers are i64; the page runs in wasm32, where `usize` is 32 bits, so `v as usize` silently
//! truncates there (2^32 becomes 0, 2^32 + 1 becomes 1) and the same file behaves differently natively and in the
//! browser: a Split with `num_outputs` 2^32 divides by zero, a ConvTranspose with `group` 2^32 + 1 runs as one
//! group. Every such number goes through [`to_usize`] instead, which refuses values over one platform-independent
//! limit ([`MAX_USER_SIZE`]) with an error naming the op and the attribute or input, so both builds give the
//! same message. Products of dims go through [`product`], which multiplies in u64 with overflow checks.

use super::error::GraphError;

/// The largest size, count or index a model may give (2^31 − 1): far above any dimension the element limit
/// allows, and representable as `usize` on every target, so the check is the same on wasm32 and 64-bit.
pub const MAX_USER_SIZE: i64 = i32::MAX as i64;

/// Converts a model-supplied `value` to `usize`. `op` is the op's name and `what` names the number, e.g.
/// `"attribute 'group'"` or `"input 'split'"`. Negative values and values over [`MAX_USER_SIZE`] are errors.
pub fn to_usize(value: i64, op: &str, what: &str) -> Result<usize, GraphError> {
    if value < 0 {
        return Err(GraphError::shape(op, format!("{what}: {value} is negative")));
    }
    if value > MAX_USER_SIZE {
        return Err(GraphError::shape(op, format!("{what}: {value} is too large (limit {MAX_USER_SIZE})")));
    }
    usize::try_from(value).map_err(|_| GraphError::shape(op, format!("{what}: {value} does not fit this platform")))
}

/// Like [`to_usize`] for a whole list (e.g. `kernel_shape`, `output_shape`).
pub fn to_usizes(values: &[i64], op: &str, what: &str) -> Result<Vec<usize>, GraphError> {
    values.iter().map(|&v| to_usize(v, op, what)).collect()
}

/// The product of `factors` in u64, `None` on overflow. Zero factors count as zero here: use
/// [`nonzero_product`] to bound an allocation (ndarray refuses shapes whose non-zero axes overflow).
pub fn product(factors: &[usize]) -> Option<u64> {
    factors.iter().try_fold(1u64, |acc, &d| acc.checked_mul(u64::try_from(d).ok()?))
}

/// The product of the non-zero `factors` in u64, `None` on overflow: the size ndarray must be able to index even
/// when a zero dim makes the tensor empty.
pub fn nonzero_product(factors: &[usize]) -> Option<u64> {
    factors.iter().try_fold(1u64, |acc, &d| acc.checked_mul(u64::try_from(d.max(1)).ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncating_values_are_refused_the_same_on_every_target() {
        assert_eq!(to_usize(7, "g", "attribute 'group'"), Ok(7));
        for v in [1i64 << 32, (1 << 32) + 1, i64::MAX, MAX_USER_SIZE + 1] {
            let e = to_usize(v, "g", "attribute 'group'").unwrap_err().to_string();
            assert_eq!(e, format!("op 'g': attribute 'group': {v} is too large (limit 2147483647)"));
        }
        let e = to_usize(-1, "s", "input 'split'").unwrap_err().to_string();
        assert_eq!(e, "op 's': input 'split': -1 is negative");
        assert!(to_usizes(&[1, 2, -3], "k", "attribute 'kernel_shape'").is_err());
    }

    #[test]
    fn products_overflow_to_none() {
        assert_eq!(product(&[2, 3, 4]), Some(24));
        assert_eq!(product(&[0, usize::MAX]), Some(0));
        assert_eq!(nonzero_product(&[0, 5]), Some(5));
        assert_eq!(product(&[1 << 31, 1 << 31, 1 << 31]), None);
        assert_eq!(nonzero_product(&[0, 1 << 31, 1 << 31, 1 << 31]), None);
    }
}
