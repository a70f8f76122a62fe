#!/usr/bin/env python3
"""Writes the malformed-input corpus: tests/corpus/models/*.onnx, tests/corpus/calib/*.{json,npy} and
tests/corpus/corpus.rs, the case table (file, bytes via include_bytes!, expected error substring) that both
tests/robust_corpus.rs (native) and tests/wasm_robust_corpus.rs (wasm32) include, and that the page's browser test
can read too (tests/corpus/manifest.json). Deterministic; files are tiny so they can be committed.

Run from the repository root:  python3 scripts/gen_bad_corpus.py
Every model case must be refused by ppq_playground::graph::validate::inspect_onnx with an error containing the
expected text; every calibration case by read_calib_json / read_npy + check_samples against good_small.onnx.
tests/corpus/numpy/ holds arrays written by NumPy itself (NUMPY_CASES), each with the values it must read as.

Each group of cases added after the first draws from its own RNG (robust_models, numpy_layouts), so adding cases
never changes the bytes of existing files. After regenerating, rerun scripts/check_corpus_runtimes.py so
tests/corpus/runtimes.json (onnx.checker / onnxruntime verdicts) matches the model list.
"""
import json
import pathlib
import shutil

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "corpus"
RNG = np.random.default_rng(20261123)
MODELS, CALIBS = [], []


def w(*shape):
    return RNG.uniform(-1, 1, size=shape).astype(np.float32)


def vi(name, shape, elem=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, elem, shape)


def model(nodes, inputs, outputs, inits=(), opset=13, value_info=(), check=False):
    g = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits), value_info=list(value_info))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="gen_bad_corpus")
    m.ir_version = 8
    if check:
        onnx.checker.check_model(m)
    return m


def good():
    """x[1,3,8,8] → Conv 3→4 (3×3, pad 1) → Relu → MaxPool 2 → Flatten → Gemm 64→10 → y[1,10]."""
    return model(
        [helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv", pads=[1, 1, 1, 1]),
         helper.make_node("Relu", ["c"], ["r"], name="relu"),
         helper.make_node("MaxPool", ["r"], ["p"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
         helper.make_node("Flatten", ["p"], ["f"], name="flat"),
         helper.make_node("Gemm", ["f", "fc_w", "fc_b"], ["y"], name="fc", transB=1)],
        [vi("x", ["batch", 3, 8, 8])], [vi("y", ["batch", 10])],
        [numpy_helper.from_array(w(4, 3, 3, 3), "w"), numpy_helper.from_array(w(4), "b"),
         numpy_helper.from_array(w(10, 64), "fc_w"), numpy_helper.from_array(w(10), "fc_b")], check=True)


def relu_model(**kw):
    return model([helper.make_node("Relu", ["x"], ["y"], name="relu")], [vi("x", [1, 4])], [vi("y", [1, 4])], **kw)


def tensor(name, dtype, dims, floats=None, raw=None, doubles=None):
    """A TensorProto built by hand, so its values may disagree with its dims (make_tensor refuses that)."""
    t = TensorProto(name=name, data_type=dtype, dims=dims)
    if floats is not None:
        t.float_data.extend(floats)
    if doubles is not None:
        t.double_data.extend(doubles)
    if raw is not None:
        t.raw_data = raw
    return t


def add_model(name, data, expect):
    MODELS.append((name, bytes(data), expect))


def add_calib(name, data, expect):
    CALIBS.append((name, bytes(data), expect))


def npy(arr, **kw):
    import io
    buf = io.BytesIO()
    np.save(buf, arr, **kw)
    return buf.getvalue()


def models():
    g = good().SerializeToString()
    add_model("good_small.onnx", g, "")
    add_model("empty.onnx", b"", "the file is empty")
    add_model("truncated.onnx", g[: len(g) // 2], "malformed ONNX")
    add_model("truncated_header.onnx", g[:7], "malformed ONNX")
    add_model("random_bytes.onnx", RNG.integers(0, 256, 600, dtype=np.uint8).tobytes(), "malformed ONNX")
    add_model("text_file.onnx", b"this is not an onnx model\n", "malformed ONNX")
    # A valid protobuf of another message (a TensorProto): its fields clash with ModelProto's wire types.
    add_model("tensor_not_model.onnx", numpy_helper.from_array(np.zeros(3, np.int64), "t").SerializeToString(),
              "malformed ONNX: failed to decode")
    add_model("no_graph.onnx", onnx.ModelProto(ir_version=8).SerializeToString(), "the model has no graph")
    add_model("empty_graph.onnx", model([], [vi("x", [1])], []).SerializeToString(), "no operations")
    add_model("no_outputs.onnx", model([helper.make_node("Relu", ["x"], ["y"], name="r")], [vi("x", [1])], [])
              .SerializeToString(), "declares no outputs")
    add_model("missing_input.onnx", model([helper.make_node("Add", ["x", "ghost"], ["y"], name="add")],
                                          [vi("x", [1, 4])], [vi("y", [1, 4])]).SerializeToString(),
              "variable 'ghost' has no value")
    add_model("unknown_output.onnx", model([helper.make_node("Relu", ["x"], ["y"], name="r")], [vi("x", [1])],
                                           [vi("nowhere", [1])]).SerializeToString(),
              "graph output 'nowhere' is not produced")
    add_model("cycle.onnx", model([helper.make_node("Add", ["x", "b"], ["a"], name="n1"),
                                   helper.make_node("Relu", ["a"], ["b"], name="n2"),
                                   helper.make_node("Relu", ["a"], ["y"], name="n3")],
                                  [vi("x", [1])], [vi("y", [1])]).SerializeToString(), "cycle through n1, n2")
    add_model("unknown_op.onnx", model([helper.make_node("FooBar", ["x"], ["y"], name="foo")], [vi("x", [1])],
                                       [vi("y", [1])]).SerializeToString(), "unsupported op 'FooBar' (op 'foo')")
    add_model("custom_domain.onnx", model([helper.make_node("Relu", ["x"], ["y"], name="r", domain="com.acme")],
                                          [vi("x", [1])], [vi("y", [1])]).SerializeToString(),
              "unsupported op 'com.acme::Relu (only the ai.onnx domain is supported)'")
    m = relu_model()
    m.graph.node[0].op_type = "Add"
    m.graph.node[0].input.append("w")
    m.graph.initializer.append(tensor("w", TensorProto.FLOAT, [2, 4], [1.0] * 5))
    add_model("initializer_short.onnx", m.SerializeToString(), "tensor 'w': has 5 values, expected 8")
    m.graph.initializer[0].CopyFrom(tensor("w", TensorProto.FLOAT, [2, 4], raw=b"\0" * 12))
    add_model("initializer_raw_short.onnx", m.SerializeToString(), "tensor 'w': raw_data has 12 bytes, expected 32")
    m.graph.initializer[0].CopyFrom(tensor("w", TensorProto.FLOAT, [2, -4]))
    add_model("initializer_negative_dim.onnx", m.SerializeToString(), "tensor 'w': negative dimension -4")
    m.graph.initializer[0].CopyFrom(tensor("w", TensorProto.FLOAT, [1 << 30, 1 << 30]))
    add_model("initializer_enormous.onnx", m.SerializeToString(), "tensor 'w': too many elements")
    m.graph.initializer[0].CopyFrom(tensor("w", TensorProto.DOUBLE, [1, 4], doubles=[1.0] * 4))
    add_model("initializer_float64.onnx", m.SerializeToString(), "inputs 'x' (float32) and 'w' (float64) must have the same element type")
    t = tensor("w", TensorProto.FLOAT, [1, 4])
    t.data_location = TensorProto.EXTERNAL
    t.external_data.add(key="location", value="weights.bin")
    m.graph.initializer[0].CopyFrom(t)
    add_model("external_data.onnx", m.SerializeToString(), "tensor 'w': external data is not supported")
    m = relu_model()
    m.graph.input[0].type.tensor_type.shape.dim[1].dim_value = -3
    # A negative dim_value is how some exporters mark a dynamic size; onnxruntime treats it as dynamic, so do we (#16)
    add_model("input_negative_dim.onnx", m.SerializeToString(), "")
    m.graph.input[0].type.tensor_type.shape.dim[1].dim_value = 1 << 40
    add_model("input_enormous_dim.onnx", m.SerializeToString(), "graph input 'x': shape [1, 1099511627776] is over")
    m = relu_model()
    m.graph.input[0].type.tensor_type.elem_type = TensorProto.FLOAT16
    add_model("input_float16.onnx", m.SerializeToString(), "output 'y' is declared float32 but its input 'x' is float16")
    add_model("old_opset.onnx", relu_model(opset=1).SerializeToString(), "ai.onnx opset 1")
    then = helper.make_graph([helper.make_node("Relu", ["x"], ["t"])], "then", [], [vi("t", [1, 4])])
    add_model("control_flow_if.onnx", model(
        [helper.make_node("Constant", [], ["c"], name="cond", value=helper.make_tensor("v", TensorProto.BOOL, [], [1])),
         helper.make_node("If", ["c"], ["y"], name="branch", then_branch=then, else_branch=then)],
        [vi("x", [1, 4])], [vi("y", [1, 4])]).SerializeToString(),
              "unsupported op 'If (control flow with subgraphs is not supported)' (op 'branch')")
    body = helper.make_graph([helper.make_node("Identity", ["c_in"], ["c_out"])], "body",
                             [vi("i", [], TensorProto.INT64), vi("c_in", [], TensorProto.BOOL)],
                             [vi("c_out", [], TensorProto.BOOL)])
    add_model("control_flow_loop.onnx", model(
        [helper.make_node("Loop", ["", ""], [], name="loop", body=body)],
        [vi("x", [1])], [vi("x", [1])]).SerializeToString(), "graph output 'x' is not produced or used by any node")
    add_model("duplicate_node_names.onnx", model([helper.make_node("Relu", ["x"], ["a"], name="same"),
                                                  helper.make_node("Relu", ["a"], ["y"], name="same")],
                                                 [vi("x", [1])], [vi("y", [1])]).SerializeToString(),
              "duplicate node name 'same'")
    add_model("duplicate_outputs.onnx", model([helper.make_node("Relu", ["x"], ["y"], name="a"),
                                               helper.make_node("Sigmoid", ["x"], ["y"], name="b")],
                                              [vi("x", [1])], [vi("y", [1])]).SerializeToString(),
              "variable 'y' is produced by both 'a' and 'b'")
    m = relu_model()
    m.graph.node[0].op_type = "Add"
    m.graph.node[0].input.append("w")
    m.graph.initializer.extend([numpy_helper.from_array(w(1, 4), "w"), numpy_helper.from_array(w(1, 4), "w")])
    add_model("duplicate_initializers.onnx", m.SerializeToString(), "duplicate initializer 'w'")
    n = helper.make_node("LeakyRelu", ["x"], ["y"], name="lr", alpha=0.1)
    n.attribute.append(helper.make_attribute("alpha", 0.2))
    add_model("duplicate_attribute.onnx", model([n], [vi("x", [1])], [vi("y", [1])]).SerializeToString(),
              "op 'lr': attribute 'alpha': given twice")
    m = good()
    m.graph.initializer[0].CopyFrom(numpy_helper.from_array(w(4, 2, 3, 3), "w"))
    add_model("conv_weight_mismatch.onnx", m.SerializeToString(),
              "op 'conv': input 'x' has 3 channels (shape [1, 3, 8, 8]) but the weight 'w' [4, 2, 3, 3] expects 2")
    m = good()
    m.graph.initializer[0].CopyFrom(numpy_helper.from_array(w(4, 3, 11, 11), "w"))
    add_model("conv_kernel_too_big.onnx", m.SerializeToString(), "op 'conv': kernel extent 11 is larger than the padded")
    m = good()
    m.graph.initializer[1].CopyFrom(numpy_helper.from_array(w(5), "b"))
    add_model("conv_bias_mismatch.onnx", m.SerializeToString(), "op 'conv': bias 'b' has shape [5]")
    m = good()
    m.graph.initializer[2].CopyFrom(numpy_helper.from_array(w(10, 60), "fc_w"))
    add_model("gemm_mismatch.onnx", m.SerializeToString(), "op 'fc': inner dimensions differ")
    add_model("broadcast_mismatch.onnx", model([helper.make_node("Add", ["x", "w"], ["y"], name="add")],
                                               [vi("x", [1, 4])], [vi("y", [1, 4])],
                                               [numpy_helper.from_array(w(3), "w")]).SerializeToString(),
              "op 'add': input shapes [1, 4] and [3] cannot be broadcast")
    add_model("reshape_mismatch.onnx", model([helper.make_node("Reshape", ["x", "s"], ["y"], name="rs")],
                                             [vi("x", [1, 6])], [vi("y", [5, -1])],
                                             [numpy_helper.from_array(np.array([5, -1], np.int64), "s")])
              .SerializeToString(), "op 'rs'")
    m = relu_model()
    m.graph.output[0].type.tensor_type.shape.dim[1].dim_value = 7
    add_model("declared_shape_mismatch.onnx", m.SerializeToString(),
              "op 'relu': output 'y' is inferred as [1, 4] but the model declares")
    bn = model([helper.make_node("BatchNormalization", ["x", "s", "bb", "m", "v"], ["y"], name="bn")],
               [vi("x", [1, 3, 2, 2])], [vi("y", [1, 3, 2, 2])],
               [numpy_helper.from_array(w(4), n) for n in ["s", "bb", "m", "v"]])
    add_model("batchnorm_mismatch.onnx", bn.SerializeToString(), "op 'bn': scale 's' has shape [4]")
    m = relu_model()
    m.graph.sparse_initializer.add()
    add_model("sparse_initializer.onnx", m.SerializeToString(), "sparse initializers are not supported")
    # Shape-less input: validation cannot check the ConvTranspose, so BN fusion meets the scalar weight.
    add_model("convtranspose_scalar_weight.onnx", model(
        [helper.make_node("ConvTranspose", ["x", "w", "cb"], ["c"], name="deconv"),
         helper.make_node("BatchNormalization", ["c", "s", "bb", "m", "v"], ["y"], name="bn")],
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, None)], [vi("y", None)],
        [numpy_helper.from_array(np.float32(1.0), "w")] + [numpy_helper.from_array(w(2), n) for n in ["cb", "s", "bb", "m", "v"]])
              .SerializeToString(), "op 'deconv': weight shape does not match BatchNorm channels")
    add_model("batchnorm_no_data.onnx", model(
        [helper.make_node("BatchNormalization", ["s", "bb", "m", "v"], ["y"], name="bn")],
        [], [vi("y", [2])], [numpy_helper.from_array(w(2), n) for n in ["s", "bb", "m", "v"]]).SerializeToString(),
              "op 'bn': input must be N×C×…, has shape [2]")
    add_model("pool_no_kernel.onnx", model([helper.make_node("MaxPool", ["x"], ["y"], name="mp")],
                                           [vi("x", [1, 1, 4, 4])], [vi("y", [1, 1, 2, 2])]).SerializeToString(),
              "op 'mp': attribute 'kernel_shape': required attribute is missing")


def robust_models():
    """Issue 20: numbers that truncate on wasm32, allocation and cost bombs, what onnx.checker / onnxruntime
    refuse, and NaN weights. Its own RNG, so these never shift the bytes of the older cases."""
    rng = np.random.default_rng(20261120)

    def rw(*shape):
        return rng.uniform(-1, 1, size=shape).astype(np.float32)

    def i64(name, values):
        return numpy_helper.from_array(np.array(values, np.int64), name)

    # 1. User numbers that `as usize` truncates on 32 bits.
    add_model("slice_step_2_32.onnx", model(
        [helper.make_node("Slice", ["x", "st", "en", "ax", "sp"], ["y"], name="slice")],
        [vi("x", [1, 8])], [vi("y", [1, 1])],
        [i64("st", [0]), i64("en", [8]), i64("ax", [1]), i64("sp", [1 << 32])], check=True).SerializeToString(), "")
    add_model("split_num_outputs_2_32.onnx", model(
        [helper.make_node("Split", ["x"], ["a", "b"], name="split", axis=1, num_outputs=1 << 32)],
        [vi("x", [1, 8])], [vi("a", None), vi("b", None)], opset=18).SerializeToString(),
        "op 'split': attribute 'num_outputs': Split needs split sizes or 1 ≤ num_outputs ≤ the axis size 8")
    add_model("convtranspose_group_2_32.onnx", model(
        [helper.make_node("ConvTranspose", ["x", "w"], ["y"], name="deconv", group=(1 << 32) + 1)],
        [vi("x", [1, 2, 4, 4])], [vi("y", None)], [numpy_helper.from_array(rw(2, 1, 3, 3), "w")]).SerializeToString(),
        "op 'deconv': attribute 'group': 4294967297 is too large (limit 2147483647)")
    add_model("conv_group_2_32.onnx", model(
        [helper.make_node("Conv", ["x", "w"], ["y"], name="conv", group=(1 << 32) + 1)],
        [vi("x", [1, 2, 4, 4])], [vi("y", None)], [numpy_helper.from_array(rw(2, 1, 3, 3), "w")]).SerializeToString(),
        "op 'conv': attribute 'group': 4294967297 is too large (limit 2147483647)")
    add_model("reshape_dim_2_32.onnx", model(
        [helper.make_node("Reshape", ["x", "s"], ["y"], name="rs")],
        [vi("x", [1, 4])], [vi("y", None)], [i64("s", [1 << 32, -1])]).SerializeToString(),
        "op 'rs': input 'shape': 4294967296 is too large")
    add_model("pad_2_32.onnx", model(
        [helper.make_node("Pad", ["x", "p"], ["y"], name="pad")],
        [vi("x", [1, 4])], [vi("y", None)], [i64("p", [0, 1 << 32, 0, 0])]).SerializeToString(),
        f"op 'pad': pads make axis 1 {(1 << 32) + 4} long")
    add_model("conv_dilation_overflow.onnx", model(
        [helper.make_node("Conv", ["x", "w"], ["y"], name="conv", dilations=[1, 1 << 20])],
        [vi("x", [1, 1, 1, 8])], [vi("y", None)], [numpy_helper.from_array(np.zeros((1, 1, 1, 4096), np.float32), "w")])
        .SerializeToString(), f"op 'conv': kernel extent {4095 * (1 << 20) + 1} is larger than the padded input 8")
    # 2. Allocation and cost bombs: each must be refused fast, before it allocates or loops.
    big = numpy_helper.from_array(np.full(1 << 18, 0.5, np.float32), "w")  # 1 MiB
    add_model("concat_bomb.onnx", model(
        [helper.make_node("Concat", ["w"] * 50_000, ["y"], name="cat", axis=0)],
        [], [vi("y", None)], [big]).SerializeToString(), "op 'cat': 50000 copies of parameter 'w' needs")
    add_model("gather_bomb.onnx", model(
        [helper.make_node("ConstantOfShape", ["n"], ["idx"], name="zeros",
                          value=helper.make_tensor("v", TensorProto.INT64, [1], [0])),
         helper.make_node("Gather", ["w", "idx"], ["y"], name="gather", axis=0)],
        [], [vi("y", None)], [i64("n", [1 << 20]), numpy_helper.from_array(np.zeros((1, 1024), np.float32), "w")])
        .SerializeToString(), "op 'gather': output shape [1048576, 1024] is too large")
    add_model("maxpool_bomb.onnx", model(
        [helper.make_node("MaxPool", ["x"], ["y"], name="mp", kernel_shape=[512, 512])],
        [vi("x", [1, 1, 1024, 1024])], [vi("y", [1, 1, 513, 513])], check=True).SerializeToString(),
        f"op 'mp': {513 * 513 * 512 * 512} window reads, over the per-op limit of {1 << 33}")
    add_model("conv_cost_bomb.onnx", model(
        [helper.make_node("Conv", ["x", "w"], ["y"], name="conv")],
        [vi("x", [1, 16, 1024, 1024])], [vi("y", [1, 1, 994, 994])],
        [numpy_helper.from_array(np.zeros((1, 16, 31, 31), np.float32), "w")], check=True).SerializeToString(),
        f"op 'conv': {994 * 994 * 16 * 31 * 31} multiply-adds, over the per-op limit")
    # 4. What onnx.checker / onnxruntime refuse (scripts/check_corpus_runtimes.py records what they say).
    m = relu_model()
    m.ir_version = 99
    add_model("ir_version_99.onnx", m.SerializeToString(), "ir_version 99 is newer than the newest this playground knows")
    m = relu_model()
    m.ir_version = 0
    add_model("ir_version_missing.onnx", m.SerializeToString(), "the model has no ir_version")
    add_model("opset_99.onnx", relu_model(opset=99).SerializeToString(), "imports opset 99 of the default ONNX domain; the playground implements opsets up to 28")
    m = relu_model()
    del m.opset_import[:]
    add_model("no_opset_import.onnx", m.SerializeToString(), "the model has no opset_import")
    # good() draws from the shared RNG: copy the model already written instead.
    good_bytes = next(d for n, d, _ in MODELS if n == "good_small.onnx")
    c = onnx.load_from_string(good_bytes)
    c.graph.input[0].type.tensor_type.elem_type = TensorProto.INT64
    add_model("conv_int64_input.onnx", c.SerializeToString(),
              "op 'conv': input 'x' is int64, but Conv takes float32 for input 'X'")
    add_model("add_mixed_types.onnx", model(
        [helper.make_node("Add", ["x", "k"], ["y"], name="add")], [vi("x", [1, 4])], [vi("y", [1, 4])],
        [i64("k", [[1, 2, 3, 4]])]).SerializeToString(), "op 'add': inputs 'x' (float32) and 'k' (int64) must have")
    add_model("reshape_float_shape.onnx", model(
        [helper.make_node("Reshape", ["x", "s"], ["y"], name="rs")], [vi("x", [1, 4])], [vi("y", [4])],
        [numpy_helper.from_array(np.array([4.0], np.float32), "s")]).SerializeToString(),
        "op 'rs': input 's' is float32, but Reshape takes int64 for input 'shape'")
    # 5. Non-finite weights load (fp32 runs them as they are); quantizing them is refused per tensor.
    n = onnx.load_from_string(good_bytes)
    wt = numpy_helper.to_array(n.graph.initializer[0]).copy()
    wt[0, 0, 0, 0], wt[1, 2, 1, 1] = np.nan, np.inf
    n.graph.initializer[0].CopyFrom(numpy_helper.from_array(wt, "w"))
    add_model("nan_weight.onnx", n.SerializeToString(), "")


def calibs():
    x = RNG.uniform(-1, 1, size=(1, 3, 8, 8)).astype(np.float32).round(3)
    add_calib("good.json", json.dumps({"x": x.tolist()}).encode(), "")
    add_calib("good_list.json", json.dumps([{"x": x.tolist()}, {"x": {"shape": [1, 3, 8, 8],
                                                                        "data": x.ravel().tolist()}}]).encode(), "")
    add_calib("good.npy", npy(x), "")
    add_calib("empty.json", b"", "the JSON file is empty")
    add_calib("empty.npy", b"", "the .npy file is empty")
    add_calib("truncated.json", json.dumps({"x": x.tolist()}).encode()[:100], "malformed JSON at line 1")
    add_calib("not_json.json", b"x = [1, 2, 3]", "must be an object")
    add_calib("nan.json", json.dumps({"x": [[float("nan")] + [0.0] * 191]}).encode(), "found 'NaN'")
    add_calib("wrong_shape.json", json.dumps({"x": x[:, :, :4, :4].tolist()}).encode(),
              "sample 0, input 'x': has shape [1, 3, 4, 4], the model declares")
    add_calib("wrong_rank.json", json.dumps({"x": x[0].tolist()}).encode(), "sample 0, input 'x': has shape [3, 8, 8]")
    add_calib("wrong_dtype.json", json.dumps({"x": {"shape": [1, 3, 8, 8], "data": [0] * 192, "dtype": "int64"}})
              .encode(), "sample 0, input 'x': has dtype int64, the model expects ONNX element type 1")
    add_calib("unknown_dtype.json", json.dumps({"x": {"shape": [1], "data": [0], "dtype": "complex64"}}).encode(),
              "dtype 'complex64' is not supported")
    add_calib("empty_array.json", b'{"x": []}', "sample 0, input 'x': the array is empty")
    add_calib("empty_nested.json", b'{"x": [[], []]}', "the array is empty (shape [2, 0])")
    add_calib("no_samples.json", b"[]", "holds no samples")
    add_calib("empty_sample.json", b"[{}]", "sample 0 has no inputs")
    add_calib("ragged.json", b'{"x": [[1, 2], [3]]}', "ragged array")
    add_calib("ragged_depth.json", b'{"x": [[1, 2], 3]}', "ragged nesting")
    add_calib("strings.json", b'{"x": [["a", "b"]]}', "invalid type: string")
    add_calib("null_value.json", b'{"x": [null]}', "invalid type: null")
    add_calib("scalar.json", b'{"x": 3}', "invalid type: integer")
    add_calib("too_deep.json", ("{\"x\": " + "[" * 20 + "1" + "]" * 20 + "}").encode(), "nested deeper than rank 8")
    add_calib("shape_data_mismatch.json", b'{"x": {"shape": [1, 3, 8, 8], "data": [1, 2]}}',
              "shape [1, 3, 8, 8] does not match the 2 values")
    add_calib("missing_field.json", b'{"x": {"data": [1, 2]}}', "field 'shape' is missing")
    add_calib("unknown_input.json", json.dumps({"x": x.tolist(), "z": [1.0]}).encode(),
              "sample 0: 'z' is not an input of the model (inputs: x)")
    add_calib("duplicate_key.json", json.dumps({"x": [1.0]}).encode()[:-1] + b', "x": [2.0]}', "given twice")
    add_calib("overflow.json", json.dumps({"x": {"shape": [1, 3, 8, 8], "data": [0] * 192}}).encode()
              .replace(b"[0, ", b"[1e39, ", 1), "")  # 1e39 becomes +inf in float32: caught by the finite check
    bad = x.copy()
    bad[0, 1, 2, 3] = np.nan
    add_calib("nan.npy", npy(bad), "sample 0, input 'x': 1 non-finite value(s) (first: NaN at flat index 83)")
    bad = x.copy()
    bad[0, 0, 0, :2] = np.inf
    add_calib("inf.npy", npy(bad), "2 non-finite value(s) (first: inf at flat index 0)")
    add_calib("wrong_shape.npy", npy(x[:, :2]), "has shape [1, 2, 8, 8], the model declares")
    add_calib("int64.npy", npy(x.astype(np.int64)), "has dtype int64")
    add_calib("float16.npy", npy(x.astype(np.float16)), "")  # read as numpy writes it (issue 20)
    add_calib("big_endian.npy", npy(x.astype(">f4")), "")
    # Read (column-major), then refused for its shape like any [8, 8] array.
    add_calib("fortran.npy", npy(np.asfortranarray(x[0, 0])), "has shape [8, 8], the model declares [batch, 3, 8, 8]")
    add_calib("truncated.npy", npy(x)[:300], "needs 768 data bytes, the file has")
    add_calib("header_truncated.npy", npy(x)[:20], "header of 118 bytes is truncated")
    add_calib("bad_magic.npy", RNG.integers(0, 256, 200, dtype=np.uint8).tobytes(), "no \\x93NUMPY magic")
    add_calib("empty_array.npy", npy(np.zeros((1, 3, 0, 8), np.float32)), "the array is empty")
    hdr = npy(np.zeros((1, 3), np.float32)).replace(b"(1, 3)", b"(1099511627776, 1099511627776)")
    add_calib("enormous_shape.npy", hdr, "is over 268435456 elements")
    add_calib("enormous_shape.json", b'{"x": {"shape": [1099511627776, 4], "data": [1]}}', "is over 268435456 elements")
    add_calib("object.npy", npy(np.array([{"a": 1}], dtype=object), allow_pickle=True), "dtype '|O' is not supported")


NUMPY = []  # (file, bytes, member, dtype name, shape, values, expected error)


def numpy_layouts():
    """Arrays as NumPy itself writes them (every dtype the reader maps, both byte orders, Fortran order, format
    2.0, 0-d, .npz stored and compressed), each with the values the reader must return. Its own RNG, so adding
    cases here never shifts the bytes of the other corpus files."""
    import io
    rng = np.random.default_rng(20261203)

    def expect(arr):
        return [float(v) for v in np.ascontiguousarray(arr).ravel()]

    def case(name, arr, dtype_name, data=None, member="", shown=None, error=""):
        data = npy(arr) if data is None else data
        ref = arr if shown is None else shown
        NUMPY.append((name, data, member, dtype_name, list(ref.shape), [] if error else expect(ref), error))

    f = rng.uniform(-4, 4, size=(2, 3, 4))
    half = np.concatenate([f.ravel()[:20], [65504.0, -65504.0, 2.0 ** -24, 0.0]]).reshape(2, 3, 4)
    case("f2_le.npy", half.astype("<f2"), "float32", shown=half.astype("<f2").astype(np.float32))
    case("f2_be_fortran.npy", np.asfortranarray(half.astype(">f2")), "float32",
         shown=half.astype(">f2").astype(np.float32))
    case("f4_be.npy", f.astype(">f4"), "float32", shown=f.astype(np.float32))
    case("f4_fortran.npy", np.asfortranarray(f.astype("<f4")), "float32", shown=f.astype(np.float32))
    case("f8_le.npy", f.astype("<f8"), "float32", shown=f.astype(np.float32))
    case("f8_be.npy", f.astype(">f8"), "float32", shown=f.astype(np.float32))
    ints = rng.integers(-100, 100, size=(3, 5))
    case("i1.npy", ints.astype("|i1"), "int8")
    case("i2_be.npy", (ints * 300).astype(">i2"), "int32")
    case("i4_fortran.npy", np.asfortranarray((ints * 70000).astype("<i4")), "int32")
    big = np.array([[np.iinfo(np.int64).min, -1, 0, 1, 2 ** 53]], dtype="<i8")
    case("i8.npy", big, "int64")
    case("i8_be.npy", big.astype(">i8"), "int64")
    case("u1.npy", (ints + 100).astype("|u1"), "uint8")
    case("u2.npy", np.array([0, 1, 65535], "<u2"), "int32")
    case("u4_be.npy", np.array([0, 4294967295], ">u4"), "int64")
    case("u8.npy", np.array([0, 2 ** 53], "<u8"), "int64")
    case("u8_too_big.npy", np.array([2 ** 63], "<u8"), "int64", error="uint64 value 9223372036854775808 does not fit int64")
    case("b1.npy", ints > 0, "bool")
    case("scalar_f8.npy", np.array(3.5), "float32")
    buf = io.BytesIO()
    np.lib.format.write_array(buf, f.astype("<f4"), version=(2, 0))
    case("format_2_0.npy", f.astype("<f4"), "float32", data=buf.getvalue())
    x, y = np.asfortranarray(f.astype("<f4")), (ints * 1000).astype(">i8")
    for name, save in [("savez.npz", np.savez), ("savez_compressed.npz", np.savez_compressed)]:
        buf = io.BytesIO()
        save(buf, x=x, y=y, h=half.astype(">f2"))
        data = buf.getvalue()
        case(name, x, "float32", data=data, member="x")
        case(name, y, "int64", data=data, member="y")
        case(name, half.astype(">f2"), "float32", data=data, member="h", shown=half.astype(">f2").astype(np.float32))


def rust_str(s):
    return json.dumps(s, ensure_ascii=False)


def main():
    models()
    robust_models()
    calibs()
    numpy_layouts()
    for sub in ("models", "calib", "numpy"):
        shutil.rmtree(ROOT / sub, ignore_errors=True)
        (ROOT / sub).mkdir(parents=True)
    for name, data, _ in MODELS:
        (ROOT / "models" / name).write_bytes(data)
    for name, data, _ in CALIBS:
        (ROOT / "calib" / name).write_bytes(data)
    for name, data, *_ in NUMPY:
        (ROOT / "numpy" / name).write_bytes(data)
    # `overflow.json` is fine as JSON; its error comes from the finite check.
    fix = {"overflow.json": "1 non-finite value(s) (first: inf at flat index 0)"}
    calib_cases = [(n, d, fix.get(n, e)) for n, d, e in CALIBS]
    manifest = {"models": [{"file": f"models/{n}", "error": e} for n, _, e in MODELS],
                "calib": [{"file": f"calib/{n}", "model": "models/good_small.onnx", "error": e}
                          for n, _, e in calib_cases]}
    (ROOT / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    lines = ["// @generated by scripts/gen_bad_corpus.py — do not edit. Included by tests/robust_corpus.rs and",
             "// tests/wasm_robust_corpus.rs. An empty expected error means the input is valid.", "",
             "/// (file, bytes, expected error substring) for ONNX models.",
             "pub const MODEL_CASES: &[(&str, &[u8], &str)] = &["]
    lines += [f'    ({rust_str(n)}, include_bytes!("models/{n}"), {rust_str(e)}),' for n, _, e in MODELS]
    lines += ["];", "", "/// (file, bytes, expected error substring) for calibration data against good_small.onnx.",
              "pub const CALIB_CASES: &[(&str, &[u8], &str)] = &["]
    lines += [f'    ({rust_str(n)}, include_bytes!("calib/{n}"), {rust_str(e)}),' for n, _, e in calib_cases]
    lines += ["];", "", "/// Arrays written by NumPy: (file, bytes, .npz member or \"\", tensor dtype, shape, values, expected error).",
              "pub const NUMPY_CASES: NumpyCases = &["]
    for n, _, member, dt, shape, values, e in NUMPY:
        vals = ", ".join(repr(v) for v in values)
        lines.append(f'    ({rust_str(n)}, include_bytes!("numpy/{n}"), {rust_str(member)}, {rust_str(dt)}, &{shape}, '
                     f'&[{vals}], {rust_str(e)}),')
    lines += ["];", "", "/// The row type of [`NUMPY_CASES`].",
              "pub type NumpyCases = &'static [(&'static str, &'static [u8], &'static str, &'static str, "
              "&'static [usize], &'static [f64], &'static str)];", ""]
    (ROOT / "corpus.rs").write_text("\n".join(lines))
    total = sum(len(d) for _, d, _ in MODELS + CALIBS)
    print(f"{len(MODELS)} model cases, {len(CALIBS)} calibration cases, {total} bytes in {ROOT}")


if __name__ == "__main__":
    main()
