//! PPQ's `TargetPlatform` (`ppq/core/quant.py`, 0.6.6): where an op runs. The dispatcher assigns one to every
//! Operation; quantized platforms select the quantizer, FP32 and SOI keep ops in float.

use std::fmt;

/// A PPQ target platform, with PPQ's integer values (spec §7.1) so exported configs keep the same numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[allow(missing_docs)]
pub enum TargetPlatform {
    MnnInt8,
    TrtInt8,
    NcnnInt8,
    OpenvinoInt8,
    TengineInt8,
    TrtFp8,
    AscInt8,
    PplCudaInt8,
    PplCudaInt4,
    PplCudaFp16,
    PplCudaMix,
    PplDspInt8,
    SnpeInt8,
    PplDspTiInt8,
    QnnDspInt8,
    HostInt8,
    NxpInt8,
    FpgaInt8,
    RknnInt8,
    MetaxInt8C,
    MetaxInt8T,
    HexagonInt8,
    GraphcoreFp8,
    Fp32,
    Fp16,
    Bf16,
    Fp8,
    Int8,
    /// Shape-or-index: ops computing shapes/indices, kept unquantized (≤0.6.5 name `SHAPE_OR_INDEX`).
    Soi,
    /// "The quantizer decides" (dispatcher output for quant candidates).
    Unspecified,
    Boundary,
    Onnx,
    Caffe,
    Native,
    Onnxruntime,
    Extension,
}

/// (platform, PPQ value, PPQ name), the single table every conversion reads.
const TABLE: &[(TargetPlatform, i32, &str)] = {
    use TargetPlatform::*;
    &[
        (MnnInt8, 100, "MNN_INT8"),
        (TrtInt8, 101, "TRT_INT8"),
        (NcnnInt8, 102, "NCNN_INT8"),
        (OpenvinoInt8, 103, "OPENVINO_INT8"),
        (TengineInt8, 104, "TENGINE_INT8"),
        (TrtFp8, 105, "TRT_FP8"),
        (AscInt8, 106, "ASC_INT8"),
        (PplCudaInt8, 201, "PPL_CUDA_INT8"),
        (PplCudaInt4, 202, "PPL_CUDA_INT4"),
        (PplCudaFp16, 203, "PPL_CUDA_FP16"),
        (PplCudaMix, 204, "PPL_CUDA_MIX"),
        (PplDspInt8, 301, "PPL_DSP_INT8"),
        (SnpeInt8, 302, "SNPE_INT8"),
        (PplDspTiInt8, 303, "PPL_DSP_TI_INT8"),
        (QnnDspInt8, 304, "QNN_DSP_INT8"),
        (HostInt8, 401, "HOST_INT8"),
        (NxpInt8, 501, "NXP_INT8"),
        (FpgaInt8, 502, "FPGA_INT8"),
        (RknnInt8, 601, "RKNN_INT8"),
        (MetaxInt8C, 701, "METAX_INT8_C"),
        (MetaxInt8T, 702, "METAX_INT8_T"),
        (HexagonInt8, 801, "HEXAGON_INT8"),
        (GraphcoreFp8, 901, "GRAPHCORE_FP8"),
        (Fp32, 0, "FP32"),
        (Fp16, 1, "FP16"),
        (Bf16, 2, "BF16"),
        (Fp8, 3, "FP8"),
        (Int8, 4, "INT8"),
        (Soi, -1, "SOI"),
        (Unspecified, -2, "UNSPECIFIED"),
        (Boundary, -3, "BOUNDARY"),
        (Onnx, -4, "ONNX"),
        (Caffe, -5, "CAFFE"),
        (Native, -6, "NATIVE"),
        (Onnxruntime, -7, "ONNXRUNTIME"),
        (Extension, -10086, "EXTENSION"),
    ]
};

impl TargetPlatform {
    /// Every platform, in PPQ's declaration order.
    pub fn all() -> impl Iterator<Item = TargetPlatform> {
        TABLE.iter().map(|e| e.0)
    }

    fn entry(self) -> &'static (TargetPlatform, i32, &'static str) {
        // The table lists every variant; the fallback is unreachable but keeps this total without a panic.
        TABLE.iter().find(|e| e.0 == self).unwrap_or(&TABLE[0])
    }

    /// PPQ's integer value (`TargetPlatform.X.value`), as written in exported JSON.
    pub fn value(self) -> i32 {
        self.entry().1
    }

    /// PPQ's enum name (`TargetPlatform.X.name`), as shown in reports and tqc.json.
    pub fn name(self) -> &'static str {
        self.entry().2
    }

    /// The platform's name in the PPQ release a state model follows: SOI was `SHAPE_OR_INDEX` up to 0.6.5.
    pub fn name_in(self, model: crate::state::StateModel) -> &'static str {
        match (self, model) {
            (Self::Soi, crate::state::StateModel::Ppq065) => "SHAPE_OR_INDEX",
            _ => self.name(),
        }
    }

    /// The platform with PPQ value `v`.
    pub fn from_value(v: i32) -> Option<Self> {
        TABLE.iter().find(|e| e.1 == v).map(|e| e.0)
    }

    /// The platform with PPQ name `name` (`SHAPE_OR_INDEX`, the ≤0.6.5 name, maps to SOI).
    pub fn from_name(name: &str) -> Option<Self> {
        if name == "SHAPE_OR_INDEX" {
            return Some(Self::Soi);
        }
        TABLE.iter().find(|e| e.2 == name).map(|e| e.0)
    }

    /// True for platforms whose ops get quantization configs (vendor targets and INT8/FP8 generics),
    /// false for FP32/FP16/BF16, SOI, UNSPECIFIED, BOUNDARY and exporter-only values.
    pub fn is_quantized(self) -> bool {
        let v = self.value();
        v >= 100 || v == 3 || v == 4
    }
}

impl fmt::Display for TargetPlatform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::TargetPlatform;

    #[test]
    fn values_and_names_round_trip() {
        for p in TargetPlatform::all() {
            assert_eq!(TargetPlatform::from_value(p.value()), Some(p));
            assert_eq!(TargetPlatform::from_name(p.name()), Some(p));
        }
        assert_eq!(TargetPlatform::TrtInt8.value(), 101);
        assert_eq!(TargetPlatform::Soi.value(), -1);
        assert_eq!(TargetPlatform::from_name("SHAPE_OR_INDEX"), Some(TargetPlatform::Soi));
        assert!(TargetPlatform::TrtInt8.is_quantized());
        assert!(!TargetPlatform::Fp32.is_quantized());
    }
}
