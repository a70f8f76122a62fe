//! The self-check both front ends show first: a fake-quant of a few values, computed by the core,
//! proving the module runs (and, in the browser, that it was built with simd128).

use ppq_core::rounding::{RoundingPolicy, tensor_round};

/// Sample inputs of the self-check (spec §11's fake-quant row inputs).
pub const SAMPLE: [f32; 8] = [-3.0, -1.0, -0.3, 0.0, 0.37, 1.0, 2.0, 3.0];

/// Whether this build was compiled with wasm simd128 (always false natively).
pub const fn simd128_enabled() -> bool {
    cfg!(all(target_arch = "wasm32", target_feature = "simd128"))
}

/// Fake-quantizes [`SAMPLE`] with the int8 symmetric scale 4/255 (spec §11, row 1), returning the
/// dequantized values.
pub fn sample_fake_quant() -> [f32; 8] {
    let scale = (4.0f64 / 255.0) as f32;
    SAMPLE.map(|x| (tensor_round(x / scale, RoundingPolicy::ROUND_HALF_EVEN).clamp(-128.0, 127.0)) * scale)
}

/// One line for the status bar.
pub fn status_line() -> String {
    let values: Vec<String> = sample_fake_quant().iter().map(|v| format!("{v}")).collect();
    format!(
        "core {} ready · simd128: {} · int8 fake-quant of [-3, -1, -0.3, 0, 0.37, 1, 2, 3] @ s=4/255 → [{}]",
        env!("CARGO_PKG_VERSION"),
        if simd128_enabled() { "on" } else { "off" },
        values.join(", ")
    )
}
