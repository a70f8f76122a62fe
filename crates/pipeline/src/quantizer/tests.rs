//! Unit tests of the quantizer rules that the reference runs do not cover.

use super::*;
use ppq_core::QuantizationStates as S;

fn conv(k: i64, stride: i64) -> OpDesc {
    let mut op = OpDesc::new("conv", "Conv", &[false, true, true], 1);
    op.attrs.kernel_shape = Some(vec![k, k]);
    op.attrs.strides = Some(vec![stride, stride]);
    op
}

#[test]
fn ncnn_uses_6_bit_weights_for_plain_3x3_convs() {
    let m = StateModel::Ppq066;
    let s = QuantizerKind::NcnnInt8.init_quantize_config(&conv(3, 1), m).unwrap();
    assert_eq!((s.inputs[1].num_of_bits, s.inputs[1].quant_min, s.inputs[1].quant_max), (6, -31, 31));
    assert_eq!(s.inputs[2].state, S::FP32);
    assert_eq!(s.outputs[0].state, S::FP32);
    let s = QuantizerKind::NcnnInt8.init_quantize_config(&conv(3, 2), m).unwrap();
    assert_eq!(s.inputs[1].num_of_bits, 8);
    let gemm = OpDesc::new("fc", "Gemm", &[false, true, true], 1);
    let e = QuantizerKind::NcnnInt8.init_quantize_config(&gemm, m).unwrap_err();
    assert!(e.to_string().contains("'fc'") && e.to_string().contains("transB"), "{e}");
}

#[test]
fn conv_transpose_weights_use_axis_1() {
    let op = OpDesc::new("deconv", "ConvTranspose", &[false, true], 1);
    let s = QuantizerKind::TrtInt8.init_quantize_config(&op, StateModel::Ppq066).unwrap();
    assert_eq!(s.inputs[1].channel_axis, Some(1));
}

#[test]
fn trt_layernorm_and_attention_extra_inputs_are_fp32() {
    let ln = OpDesc::new("ln", "LayerNormalization", &[false, true, true], 1);
    let s = QuantizerKind::TrtInt8.init_quantize_config(&ln, StateModel::Ppq066).unwrap();
    assert_eq!(s.inputs.iter().map(|c| c.state).collect::<Vec<_>>(), [S::INITIAL, S::FP32, S::FP32]);
    let at = OpDesc::new("at", "Attention", &[false, true, true, false], 1);
    let s = QuantizerKind::OpenvinoInt8.init_quantize_config(&at, StateModel::Ppq066).unwrap();
    assert_eq!(s.inputs.iter().map(|c| c.state).collect::<Vec<_>>(), [S::INITIAL, S::INITIAL, S::FP32, S::FP32]);
}

#[test]
fn nxp_and_fpga_biases() {
    let m = StateModel::Ppq066;
    let s = QuantizerKind::NxpInt8.init_quantize_config(&conv(1, 1), m).unwrap();
    assert_eq!(s.inputs[0].rounding, RoundingPolicy::ROUND_HALF_UP);
    assert_eq!(s.inputs[1].rounding, RoundingPolicy::ROUND_HALF_FAR_FORM_ZERO);
    assert_eq!((s.inputs[2].num_of_bits, s.inputs[2].quant_max, s.inputs[2].state), (30, 1 << 30, S::PASSIVE_INIT));
    let s = QuantizerKind::FpgaInt8.init_quantize_config(&conv(1, 1), m).unwrap();
    assert!(!s.inputs[1].policy.is_per_channel());
    assert_eq!((s.inputs[2].quant_min, s.inputs[2].state), (-(1 << 29), S::PASSIVE_INIT));
}

#[test]
fn classic_only_quantizers_are_refused_in_066() {
    let op = conv(1, 1);
    assert!(QuantizerKind::AcademicInt8.init_quantize_config(&op, StateModel::Ppq066).is_err());
    let s = QuantizerKind::AcademicInt8.init_quantize_config(&op, StateModel::Ppq065).unwrap();
    assert_eq!(s.outputs[0].state, S::FP32);
    assert!(QuantizerKind::OrtOosInt8.quantizes("Flatten", StateModel::Ppq065));
}

#[test]
fn names_round_trip() {
    for k in QuantizerKind::ALL {
        assert_eq!(QuantizerKind::from_name(k.name()), Some(k));
        assert_eq!(k.target_platform().is_none(), matches!(k, QuantizerKind::AcademicInt8 | QuantizerKind::OrtOosInt8));
    }
}
