#!/usr/bin/env python3
"""Builds single-op ONNX models with onnx.helper, runs them in onnxruntime on seeded random inputs and writes
tests/fixtures/ops/<case>.json (op_type, attributes, inputs, expected outputs) for tests/ops_vs_onnxruntime.rs.

Run from the repository root:  python3 scripts/gen_op_fixtures.py
Shapes are tiny on purpose: the fixtures are committed and must stay small.
"""
import json
import pathlib
import shutil

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "ops"
RNG = np.random.default_rng(20241123)
NP2ONNX = {np.float32: TensorProto.FLOAT, np.int64: TensorProto.INT64, np.int32: TensorProto.INT32,
           np.int8: TensorProto.INT8, np.uint8: TensorProto.UINT8, np.bool_: TensorProto.BOOL}
CASES = []


def f(*shape, lo=-2.0, hi=2.0):
    """Random float32 rounded to 3 decimals (short JSON, exact round trip)."""
    return np.round(RNG.uniform(lo, hi, size=shape), 3).astype(np.float32)


def i64(*v):
    return np.array(v, dtype=np.int64)


def enc_tensor(a):
    a = np.asarray(a)
    dt = a.dtype.type
    if dt == np.float32:
        data = [float(str(v)) for v in a.ravel()]
    elif dt == np.bool_:
        data = [bool(v) for v in a.ravel()]
    else:
        data = [int(v) for v in a.ravel()]
    return {"shape": list(a.shape), "dtype": np.dtype(dt).name, "data": data}


def enc_attr(at):
    t = at.type
    A = onnx.AttributeProto
    if t == A.INT:
        return {"type": "int", "value": at.i}
    if t == A.INTS:
        return {"type": "ints", "value": list(at.ints)}
    if t == A.FLOAT:
        return {"type": "float", "value": float(str(np.float32(at.f)))}
    if t == A.FLOATS:
        return {"type": "floats", "value": [float(str(np.float32(v))) for v in at.floats]}
    if t == A.STRING:
        return {"type": "string", "value": at.s.decode()}
    if t == A.TENSOR:
        return {"type": "tensor", "value": enc_tensor(numpy_helper.to_array(at.t))}
    raise ValueError(f"attribute type {t}")


def case(name, op, inputs, attrs=None, opset=17, outs=1, out_dtypes=None):
    CASES.append((name, op, inputs, attrs or {}, opset, outs, out_dtypes))


def run(name, op, inputs, attrs, opset, outs, out_dtypes):
    in_names = [f"i{k}" if x is not None else "" for k, x in enumerate(inputs)]
    out_names = [f"o{k}" for k in range(outs)]
    node = helper.make_node(op, in_names, out_names, **attrs)
    first = next((x for x in inputs if x is not None), np.zeros(1, np.float32))
    dts = out_dtypes or [first.dtype.type] * outs
    g_in = [helper.make_tensor_value_info(n, NP2ONNX[x.dtype.type], list(x.shape))
            for n, x in zip(in_names, inputs) if x is not None]
    g_out = [helper.make_tensor_value_info(n, NP2ONNX[d], None) for n, d in zip(out_names, dts)]
    graph = helper.make_graph([node], name, g_in, g_out)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    # No onnx.checker: outputs are declared without a shape, which onnxruntime accepts.
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    feed = {n: x for n, x in zip(in_names, inputs) if x is not None}
    res = sess.run(None, feed)
    doc = {
        "name": name,
        "op_type": op,
        "opset": opset,
        "attributes": {a.name: enc_attr(a) for a in node.attribute},
        "inputs": [enc_tensor(x) if x is not None else None for x in inputs],
        "outputs": [enc_tensor(r) for r in res],
    }
    (OUT / f"{name}.json").write_text(json.dumps(doc, separators=(",", ":")))


def elementwise():
    case("add_bcast", "Add", [f(2, 3, 4), f(3, 1)])
    case("sub_bcast_both", "Sub", [f(2, 1, 4), f(3, 1)])
    case("mul_scalar", "Mul", [f(2, 3), np.array(1.5, np.float32)])
    case("div_lastdim", "Div", [f(2, 3, 4), f(4, lo=0.5, hi=2.0)])
    case("add_i64", "Add", [i64(1, 2, 3), i64(10)])
    case("mul_i64", "Mul", [i64(4, 5, 6).reshape(3, 1), i64(2, -3)])
    case("div_i64_trunc", "Div", [i64(7, -7, 9), i64(2, 2, -4)])
    for op, kw in [("Relu", {}), ("Sigmoid", {}), ("Tanh", {}), ("LeakyRelu", {"alpha": 0.1}),
                   ("HardSigmoid", {"alpha": 0.3, "beta": 0.4}), ("HardSwish", {}), ("Erf", {})]:
        case(op.lower(), op, [f(2, 3, 5, lo=-4, hi=4)], kw, opset=14)
    case("erf_wide", "Erf", [np.linspace(-5, 5, 41).astype(np.float32)])
    case("gelu", "Gelu", [f(3, 7, lo=-4, hi=4)], opset=20)
    case("gelu_tanh", "Gelu", [f(3, 7, lo=-4, hi=4)], {"approximate": "tanh"}, opset=20)
    case("clip_inputs", "Clip", [f(3, 4), np.array(-0.5, np.float32), np.array(0.7, np.float32)], opset=13)
    case("clip_min_only", "Clip", [f(3, 4), np.array(-0.5, np.float32)], opset=13)
    case("clip_max_only", "Clip", [f(3, 4), None, np.array(0.3, np.float32)], opset=13)
    case("clip_attrs_opset6", "Clip", [f(3, 4)], {"min": -1.0, "max": 0.25}, opset=6)
    case("prelu_channel", "PRelu", [f(1, 3, 2, 2), f(3, 1, 1)])


def conv():
    case("conv2d_basic", "Conv", [f(1, 3, 7, 7), f(4, 3, 3, 3), f(4)], {"pads": [1, 1, 1, 1]})
    case("conv2d_stride_dil_pads", "Conv", [f(1, 2, 9, 8), f(3, 2, 3, 3)],
         {"strides": [2, 2], "dilations": [2, 1], "pads": [1, 0, 2, 1]})
    case("conv2d_group2", "Conv", [f(1, 4, 6, 6), f(6, 2, 3, 3), f(6)], {"group": 2})
    case("conv2d_depthwise", "Conv", [f(2, 4, 5, 5), f(4, 1, 3, 3), f(4)],
         {"group": 4, "strides": [2, 2], "pads": [1, 1, 1, 1]})
    case("conv2d_depthwise_dil_asym", "Conv", [f(1, 3, 6, 7), f(3, 1, 3, 2)],
         {"group": 3, "dilations": [2, 1], "pads": [0, 2, 1, 0], "strides": [1, 3]})
    case("conv2d_depthwise_mult2", "Conv", [f(1, 3, 5, 5), f(6, 1, 3, 3), f(6)], {"group": 3, "pads": [1, 1, 1, 1]})
    case("conv1d_depthwise", "Conv", [f(2, 4, 9), f(4, 1, 3), f(4)], {"group": 4, "auto_pad": "SAME_LOWER"})
    case("conv2d_1x1", "Conv", [f(2, 8, 4, 3), f(5, 8, 1, 1), f(5)])
    case("conv2d_1x1_stride2", "Conv", [f(1, 3, 5, 5), f(2, 3, 1, 1)], {"strides": [2, 2]})
    case("conv2d_rect_kernel", "Conv", [f(1, 2, 6, 9), f(3, 2, 2, 3)], {"strides": [1, 2], "kernel_shape": [2, 3]})
    for mode in ["SAME_UPPER", "SAME_LOWER", "VALID"]:
        case(f"conv2d_{mode.lower()}", "Conv", [f(1, 2, 5, 6), f(3, 2, 4, 3)], {"auto_pad": mode, "strides": [2, 2]})
    case("conv1d_stride_dil", "Conv", [f(2, 3, 10), f(4, 3, 3), f(4)],
         {"strides": [2], "pads": [1, 2], "dilations": [2]})
    case("convtr2d_stride_pad_outpad", "ConvTranspose", [f(1, 2, 3, 3), f(2, 3, 3, 3), f(3)],
         {"strides": [2, 2], "pads": [1, 1, 1, 1], "output_padding": [1, 1]})
    case("convtr2d_group", "ConvTranspose", [f(1, 4, 3, 4), f(4, 1, 2, 2)], {"group": 2, "strides": [2, 1]})
    case("convtr2d_dilation", "ConvTranspose", [f(1, 2, 3, 3), f(2, 2, 3, 3)], {"dilations": [2, 2], "pads": [0, 1, 2, 0]})
    case("convtr2d_output_shape", "ConvTranspose", [f(1, 2, 3, 3), f(2, 2, 3, 3)],
         {"strides": [2, 2], "output_shape": [6, 6]})
    case("convtr1d", "ConvTranspose", [f(1, 3, 5), f(3, 2, 3), f(2)], {"strides": [3], "pads": [1, 0]})


def gemm():
    case("gemm_basic", "Gemm", [f(3, 4), f(4, 5), f(5)])
    case("gemm_trans_alpha_beta", "Gemm", [f(4, 3), f(5, 4), f(3, 1)],
         {"transA": 1, "transB": 1, "alpha": 0.5, "beta": 2.0})
    case("gemm_no_c", "Gemm", [f(2, 6), f(6, 3)])
    case("gemm_scalar_c", "Gemm", [f(2, 6), f(6, 3), np.array(0.25, np.float32)], {"beta": -1.0})
    case("matmul_2d", "MatMul", [f(3, 4), f(4, 2)])
    case("matmul_batched", "MatMul", [f(2, 3, 4), f(2, 4, 5)])
    case("matmul_bcast", "MatMul", [f(2, 1, 3, 4), f(3, 4, 2)])
    case("matmul_vec_mat", "MatMul", [f(4), f(2, 4, 3)])
    case("matmul_mat_vec", "MatMul", [f(3, 4), f(4)])


def norm():
    case("softmax_last", "Softmax", [f(2, 3, 5, lo=-5, hi=5)], opset=13)
    case("softmax_axis1", "Softmax", [f(2, 3, 4)], {"axis": 1}, opset=13)
    case("layernorm_last", "LayerNormalization", [f(2, 3, 6), f(6), f(6)], opset=17)
    case("layernorm_axis1_noB", "LayerNormalization", [f(2, 3, 4), f(3, 4)], {"axis": 1, "epsilon": 1e-3}, opset=17)
    case("batchnorm", "BatchNormalization", [f(2, 3, 2, 3), f(3), f(3), f(3), f(3, lo=0.1, hi=2)],
         {"epsilon": 1e-3}, opset=15)


def pool():
    x = f(1, 2, 7, 7)
    case("maxpool_2x2_s2", "MaxPool", [x], {"kernel_shape": [2, 2], "strides": [2, 2]}, opset=12)
    case("maxpool_3x3_pad_ceil", "MaxPool", [x], {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1],
                                                  "ceil_mode": 1}, opset=12)
    case("maxpool_ceil_drop", "MaxPool", [f(1, 1, 6, 6)], {"kernel_shape": [2, 2], "strides": [3, 3], "ceil_mode": 1},
         opset=12)
    case("maxpool_dilated", "MaxPool", [x], {"kernel_shape": [2, 2], "dilations": [2, 2]}, opset=12)
    case("maxpool_same_upper", "MaxPool", [x], {"kernel_shape": [3, 2], "strides": [2, 2], "auto_pad": "SAME_UPPER"},
         opset=12)
    case("maxpool1d", "MaxPool", [f(2, 3, 9)], {"kernel_shape": [3], "strides": [2], "pads": [1, 1]}, opset=12)
    case("avgpool_pads_excl", "AveragePool", [x], {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]},
         opset=11)
    case("avgpool_pads_incl", "AveragePool", [x], {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 0, 1, 2],
                                                   "count_include_pad": 1}, opset=11)
    case("avgpool_ceil_incl", "AveragePool", [f(1, 1, 6, 6)], {"kernel_shape": [3, 3], "strides": [2, 2],
                                                               "pads": [1, 1, 1, 1], "ceil_mode": 1,
                                                               "count_include_pad": 1}, opset=11)
    case("avgpool_ceil_excl", "AveragePool", [f(1, 1, 6, 6)], {"kernel_shape": [3, 3], "strides": [2, 2],
                                                               "ceil_mode": 1}, opset=11)
    case("avgpool1d", "AveragePool", [f(1, 2, 8)], {"kernel_shape": [3], "strides": [3], "pads": [0, 1]}, opset=11)
    case("global_avgpool", "GlobalAveragePool", [f(2, 3, 4, 5)])
    case("global_maxpool", "GlobalMaxPool", [f(2, 3, 4, 5)])
    case("global_avgpool_1d", "GlobalAveragePool", [f(2, 3, 7)])


def shapes():
    x = f(2, 3, 4)
    case("flatten_axis0", "Flatten", [x], {"axis": 0})
    case("flatten_axis2", "Flatten", [x], {"axis": 2})
    case("flatten_neg", "Flatten", [x], {"axis": -1})
    case("reshape_zero_neg1", "Reshape", [x, i64(0, -1, 2)])
    case("reshape_allowzero", "Reshape", [x, i64(4, 3, 2)], {"allowzero": 1}, opset=14)
    case("transpose_default", "Transpose", [x])
    case("transpose_perm", "Transpose", [f(2, 3, 4, 5)], {"perm": [0, 2, 3, 1]})
    case("squeeze_input", "Squeeze", [f(1, 3, 1, 2), i64(-2)], opset=13)
    case("squeeze_all", "Squeeze", [f(1, 3, 1, 2)], opset=13)
    case("squeeze_attr", "Squeeze", [f(1, 3, 1, 2)], {"axes": [0]}, opset=11)
    case("unsqueeze_input", "Unsqueeze", [f(3, 2), i64(0, -1)], opset=13)
    case("unsqueeze_attr", "Unsqueeze", [f(3, 2)], {"axes": [1, 3]}, opset=11)
    case("unsqueeze_i64", "Unsqueeze", [i64(5, 6), i64(0)], opset=13)
    case("concat_neg", "Concat", [f(2, 2), f(2, 3), f(2, 1)], {"axis": -1})
    case("concat_i64", "Concat", [i64(1, 2), i64(3), i64(4, 5, 6)], {"axis": 0})
    case("split_input", "Split", [f(5, 4), i64(2, 3)], {"axis": 0}, opset=13, outs=2)
    case("split_attr", "Split", [f(3, 6)], {"axis": -1, "split": [1, 2, 3]}, opset=11, outs=3)
    case("split_num_outputs", "Split", [f(2, 7)], {"axis": 1, "num_outputs": 3}, opset=18, outs=3)
    case("slice_basic", "Slice", [f(4, 6), i64(1, 0), i64(3, 5)])
    case("slice_neg_steps", "Slice", [f(4, 6), i64(-1, 5), i64(-100, 0), i64(0, 1), i64(-1, -2)])
    case("slice_clamped_axes", "Slice", [f(3, 4, 5), i64(-3, 2), i64(1000, 100), i64(-1, 1), i64(2, 1)])
    case("slice_opset9_attrs", "Slice", [f(3, 4)], {"starts": [1], "ends": [-1], "axes": [1]}, opset=9)
    case("slice_i64", "Slice", [i64(2, 3, 5, 7), i64(-2), i64(1000)])
    case("gather_axis0_2d_idx", "Gather", [f(5, 3), i64(0, -1, 2, 2).reshape(2, 2)])
    case("gather_axis1_scalar", "Gather", [f(2, 4, 3), np.array(-2, np.int64)], {"axis": 1})
    case("gather_i64_data", "Gather", [i64(4, 8, 15, 16), np.array([3, 0], np.int32)])
    case("shape_full", "Shape", [x], out_dtypes=[np.int64])
    case("shape_start_end", "Shape", [f(2, 3, 4, 5)], {"start": 1, "end": -1}, opset=15, out_dtypes=[np.int64])
    case("constantofshape_i64", "ConstantOfShape", [i64(2, 3)],
         {"value": numpy_helper.from_array(np.array([7], np.int64))}, out_dtypes=[np.int64])
    case("constantofshape_default", "ConstantOfShape", [i64(3)], out_dtypes=[np.float32])
    case("constant_floats", "Constant", [], {"value_floats": [1.5, -2.0]}, out_dtypes=[np.float32])
    case("constant_tensor", "Constant", [], {"value": numpy_helper.from_array(i64(1, 2, 3).reshape(3, 1))},
         out_dtypes=[np.int64])
    case("identity", "Identity", [x])
    case("cast_f2i64", "Cast", [f(2, 3, lo=-5, hi=5)], {"to": TensorProto.INT64}, out_dtypes=[np.int64])
    case("cast_i642f", "Cast", [i64(1, -2, 3)], {"to": TensorProto.FLOAT}, out_dtypes=[np.float32])
    case("cast_f2u8", "Cast", [f(2, 3, lo=0, hi=200)], {"to": TensorProto.UINT8}, out_dtypes=[np.uint8])
    case("cast_f2bool", "Cast", [np.array([0, 1.5, -2, 0], np.float32)], {"to": TensorProto.BOOL},
         out_dtypes=[np.bool_])
    case("expand_bidir", "Expand", [f(3, 1), i64(2, 1, 4)])
    case("pad_constant_value", "Pad", [f(2, 3), i64(1, 0, 0, 2), np.array(1.25, np.float32)], opset=13)
    case("pad_reflect", "Pad", [f(1, 2, 3, 4), i64(0, 0, 2, 1, 0, 0, 1, 3)], {"mode": "reflect"}, opset=13)
    case("pad_edge", "Pad", [f(2, 3), i64(2, 1, 1, 2)], {"mode": "edge"}, opset=13)
    case("pad_negative_crop", "Pad", [f(3, 4), i64(-1, 1, 0, -2)], opset=13)
    case("pad_opset2_attrs", "Pad", [f(2, 2)], {"pads": [1, 1, 0, 1], "value": -3.0}, opset=2)
    case("pad_axes_opset18", "Pad", [f(2, 3, 2), i64(1, 2), None, i64(-2)], opset=18)


def resize():
    x = f(1, 2, 3, 4)
    s2 = np.array([1, 1, 2, 2], np.float32)
    case("resize_nearest_asym_floor", "Resize", [x, None, s2],
         {"mode": "nearest", "coordinate_transformation_mode": "asymmetric", "nearest_mode": "floor"}, opset=13)
    case("resize_nearest_halfpixel_sizes", "Resize", [f(1, 1, 3, 5), None, None, i64(1, 1, 7, 8)],
         {"mode": "nearest"}, opset=13)
    case("resize_nearest_align_ceil", "Resize", [x, None, None, i64(1, 2, 5, 7)],
         {"mode": "nearest", "coordinate_transformation_mode": "align_corners", "nearest_mode": "round_prefer_ceil"},
         opset=13)
    case("resize_nearest_ceil_down", "Resize", [f(1, 1, 6, 7), None, np.array([1, 1, 0.5, 0.6], np.float32)],
         {"mode": "nearest", "nearest_mode": "ceil"}, opset=13)
    case("resize_linear_halfpixel", "Resize", [x, None, s2], {"mode": "linear"}, opset=13)
    case("resize_linear_align_sizes", "Resize", [x, None, None, i64(1, 2, 5, 9)],
         {"mode": "linear", "coordinate_transformation_mode": "align_corners"}, opset=13)
    case("resize_linear_asym_down", "Resize", [f(1, 1, 5, 6), None, np.array([1, 1, 0.6, 0.5], np.float32)],
         {"mode": "linear", "coordinate_transformation_mode": "asymmetric"}, opset=13)
    case("resize_linear_pytorch", "Resize", [x, None, np.array([1, 1, 1.5, 2.5], np.float32)],
         {"mode": "linear", "coordinate_transformation_mode": "pytorch_half_pixel"}, opset=13)
    case("resize_opset11_roi_empty", "Resize", [x, np.zeros(0, np.float32), s2], {"mode": "nearest"}, opset=11)


def reduce():
    x = f(2, 3, 4)
    case("reducemean_attr", "ReduceMean", [x], {"axes": [1]}, opset=13)
    case("reducemean_neg_axes", "ReduceMean", [x], {"axes": [-1, -2], "keepdims": 0}, opset=13)
    case("reducemax_input_nokeep", "ReduceMax", [x, i64(0, 2)], {"keepdims": 0}, opset=18)
    case("reducesum_input", "ReduceSum", [x, i64(-1)], opset=13)
    case("reducesum_all", "ReduceSum", [x], {"keepdims": 0}, opset=13)
    case("reducemin_all_keep", "ReduceMin", [x], opset=13)


def quant():
    x = f(2, 3, 2, lo=-3, hi=3)
    case("quantize_u8", "QuantizeLinear", [x, np.array(0.02, np.float32), np.array(128, np.uint8)], opset=13,
         out_dtypes=[np.uint8])
    case("quantize_i8_axis1", "QuantizeLinear", [x, np.array([0.01, 0.03, 0.05], np.float32),
                                                 np.array([0, 1, -2], np.int8)], {"axis": 1}, opset=13,
         out_dtypes=[np.int8])
    case("quantize_no_zp", "QuantizeLinear", [np.abs(x), np.array(0.01, np.float32)], opset=13,
         out_dtypes=[np.uint8])
    case("dequantize_i8", "DequantizeLinear", [np.array([-128, -1, 0, 5, 127], np.int8),
                                               np.array(0.1, np.float32), np.array(3, np.int8)], opset=13,
         out_dtypes=[np.float32])
    case("dequantize_u8_axis0", "DequantizeLinear", [np.array([[0, 10, 255], [128, 7, 1]], np.uint8),
                                                     np.array([0.5, 0.25], np.float32),
                                                     np.array([128, 0], np.uint8)], {"axis": 0}, opset=13,
         out_dtypes=[np.float32])
    case("dequantize_i32", "DequantizeLinear", [np.array([-100000, 3, 70000], np.int32),
                                                np.array(0.001, np.float32)], opset=13, out_dtypes=[np.float32])


def inference_only():
    """Ops that opset-9 model zoos still carry: Dropout in inference mode and the variadic Sum."""
    case("dropout_inference", "Dropout", [f(2, 3, 4)], opset=12, outs=2, out_dtypes=[np.float32, np.bool_])
    case("sum_three_broadcast", "Sum", [f(2, 3, 4), f(3, 1), f(4)])
    case("sum_one", "Sum", [f(2, 3)])


def versions():
    """One case per opset where ONNX changed an op's meaning (issue 16): the test runs each with its opset."""
    x = f(1, 5, 1, 1)
    case("v_softmax11_1511", "Softmax", [x], opset=11)
    case("v_softmax13_1511", "Softmax", [x], opset=13)
    y = f(2, 3, 4)
    case("v_softmax11_axis1", "Softmax", [y], {"axis": 1}, opset=11)
    case("v_logsoftmax11", "LogSoftmax", [y], opset=11)
    case("v_hardmax11", "Hardmax", [y], opset=11)
    case("v_hardmax13", "Hardmax", [y], opset=13)
    img = f(1, 2, 4, 5)
    s2 = np.array([1, 1, 2, 2], np.float32)
    case("v_resize10_nearest_x2", "Resize", [img, s2], {"mode": "nearest"}, opset=10)
    case("v_resize10_linear_x2", "Resize", [img, s2], {"mode": "linear"}, opset=10)
    case("v_resize10_nearest_down", "Resize", [f(1, 1, 5, 10), np.array([1, 1, 0.6, 0.35], np.float32)],
         {"mode": "nearest"}, opset=10)
    case("v_resize10_nearest_up_frac", "Resize", [f(1, 1, 3, 10), np.array([1, 1, 1.5, 1.7], np.float32)],
         {"mode": "nearest"}, opset=10)
    roi = np.zeros(0, np.float32)
    case("v_resize11_tf_half_pixel_for_nn", "Resize", [img, roi, np.array([1, 1, 1.5, 2.5], np.float32)],
         {"mode": "nearest", "coordinate_transformation_mode": "tf_half_pixel_for_nn"}, opset=11)
    case("v_resize11_cubic", "Resize", [img, roi, s2], {"mode": "cubic"}, opset=11)
    case("v_resize13_cubic_exclude", "Resize", [img, None, np.array([1, 1, 1.5, 0.8], np.float32)],
         {"mode": "cubic", "exclude_outside": 1, "cubic_coeff_a": -0.5}, opset=13)
    case("v_resize13_crop", "Resize", [img, np.array([0, 0, 0.1, 0.2, 1, 1, 0.8, 0.9], np.float32),
                                       None, i64(1, 2, 3, 3)],
         {"mode": "linear", "coordinate_transformation_mode": "tf_crop_and_resize", "extrapolation_value": 2.0},
         opset=13)
    case("v_resize18_linear_antialias", "Resize", [f(1, 1, 8, 9), None, np.array([1, 1, 0.5, 0.4], np.float32)],
         {"mode": "linear", "antialias": 1}, opset=18)
    case("v_resize18_cubic_antialias", "Resize", [f(1, 1, 8, 9), None, None, i64(1, 1, 3, 4)],
         {"mode": "cubic", "antialias": 1}, opset=18)
    case("v_resize18_axes_not_larger", "Resize", [img, None, None, i64(7, 8)],
         {"mode": "nearest", "axes": [2, 3], "keep_aspect_ratio_policy": "not_larger"}, opset=18)
    case("v_resize19_half_pixel_symmetric", "Resize", [img, None, np.array([1, 1, 1.5, 0.7], np.float32)],
         {"mode": "linear", "coordinate_transformation_mode": "half_pixel_symmetric"}, opset=19)
    case("v_upsample9_nearest", "Upsample", [img, np.array([1, 1, 2, 1.7], np.float32)], {"mode": "nearest"},
         opset=9)
    case("v_upsample9_linear", "Upsample", [img, np.array([1, 1, 2, 2.5], np.float32)], {"mode": "linear"}, opset=9)
    pads = i64(0, 0, 2, 3, 0, 0, 1, 4)
    case("v_pad19_wrap", "Pad", [img, pads], {"mode": "wrap"}, opset=19)
    case("v_pad11_reflect", "Pad", [img, pads], {"mode": "reflect"}, opset=11)
    case("v_pad11_edge_crop", "Pad", [img, i64(0, 0, -1, 2, 0, 0, 1, -2)], {"mode": "edge"}, opset=11)
    case("v_pad2_attr", "Pad", [img], {"mode": "constant", "pads": [0, 0, 1, 1, 0, 0, 1, 1], "value": 1.5},
         opset=9)
    case("v_clip6_attrs", "Clip", [y], {"min": -0.5, "max": 0.6}, opset=9)
    case("v_split11_attr", "Split", [y], {"axis": 2, "split": [1, 3]}, opset=11, outs=2)
    case("v_split13_input", "Split", [y, i64(3, 1)], {"axis": 2}, opset=13, outs=2)
    case("v_split18_num_outputs", "Split", [f(2, 5)], {"axis": 1, "num_outputs": 3}, opset=18, outs=3)
    case("v_squeeze11_attr", "Squeeze", [f(1, 3, 1)], {"axes": [0]}, opset=11)
    case("v_unsqueeze13_input", "Unsqueeze", [f(3, 2), i64(0, 3)], opset=13)
    case("v_reducesum11_attr", "ReduceSum", [y], {"axes": [1], "keepdims": 0}, opset=11)
    case("v_reducesum13_input", "ReduceSum", [y, i64(1)], {"keepdims": 0}, opset=13)
    case("v_reducemean18_input", "ReduceMean", [y, i64(-1)], opset=18)
    case("v_dropout12_ratio", "Dropout", [y, np.array(0.3, np.float32)], opset=12, outs=2,
         out_dtypes=[np.float32, np.bool_])
    case("v_einsum12_matmul", "Einsum", [f(2, 3, 4), f(2, 4, 5)], {"equation": "bij,bjk->bik"}, opset=12)
    case("v_einsum12_implicit_diag", "Einsum", [f(3, 3), f(3)], {"equation": "ii,i"}, opset=12)
    case("v_einsum12_ellipsis", "Einsum", [f(2, 3, 4), f(4)], {"equation": "...j,j->..."}, opset=12)
    case("v_maxpool12_indices", "MaxPool", [f(1, 2, 5, 6)], {"kernel_shape": [2, 3], "strides": [2, 2],
                                                            "pads": [1, 0, 0, 1]}, opset=12, outs=2,
         out_dtypes=[np.float32, np.int64])
    case("v_maxpool12_indices_colmajor", "MaxPool", [f(2, 1, 4, 4)], {"kernel_shape": [2, 2], "storage_order": 1},
         opset=12, outs=2, out_dtypes=[np.float32, np.int64])
    case("v_maxpool3d", "MaxPool", [f(1, 2, 4, 5, 6)], {"kernel_shape": [2, 2, 3], "strides": [1, 2, 2]}, opset=12)
    case("v_avgpool3d_incl", "AveragePool", [f(1, 2, 4, 5, 6)], {"kernel_shape": [3, 2, 2], "pads": [1, 1, 0, 1, 0, 1],
                                                                "count_include_pad": 1}, opset=11)
    case("v_avgpool19_dilated", "AveragePool", [f(1, 1, 7, 7)], {"kernel_shape": [2, 2], "dilations": [2, 2]},
         opset=19)
    case("v_conv3d", "Conv", [f(1, 4, 4, 5, 6), f(6, 2, 2, 3, 3), f(6)], {"group": 2, "pads": [0, 1, 1, 1, 0, 1],
                                                                        "strides": [1, 2, 1]}, opset=11)
    case("v_convtranspose3d", "ConvTranspose", [f(1, 2, 3, 3, 4), f(2, 3, 2, 3, 2), f(3)],
         {"strides": [2, 1, 2], "output_padding": [1, 0, 0]}, opset=11)
    case("v_convtranspose_output_shape", "ConvTranspose", [f(1, 1, 3, 3), f(1, 2, 3, 3)],
         {"strides": [3, 2], "output_shape": [10, 8]}, opset=11)


def main():
    for group in [elementwise, conv, gemm, norm, pool, shapes, resize, reduce, quant, inference_only, versions]:
        group()
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    for c in CASES:
        run(*c)
    total = sum(p.stat().st_size for p in OUT.iterdir())
    print(f"{len(CASES)} fixtures, {total / 1024:.1f} KiB in {OUT}")


if __name__ == "__main__":
    main()
