"""Writes the bundled sample e_resblock (www/samples/e_resblock.onnx + calib/e_resblock_calib.json): a ResNet
basic block whose skip connection leaves a ReLU that also feeds the next convolution. That ReLU is a producer with
two consumers feeding an Add, the one case where PPQ's force_overlap changes the result (it is aligned only when
force_overlap is on). There is no real-PPQ run for it; the page runs our pipeline. Deterministic (seed 7).

usage: python3 scripts/make_resblock_sample.py OUT_DIR
"""
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
rng = np.random.default_rng(7)
C = 4


def conv_params(name, cin, cout):
    w = (rng.standard_normal((cout, cin, 3, 3)) * 0.3).astype(np.float32)
    b = (rng.standard_normal(cout) * 0.1).astype(np.float32)
    return [numpy_helper.from_array(w, f"{name}_w"), numpy_helper.from_array(b, f"{name}_b")]


inits = conv_params("stem", C, C) + conv_params("c1", C, C) + conv_params("c2", C, C)
pads = {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1]}
nodes = [
    helper.make_node("Conv", ["input", "stem_w", "stem_b"], ["s"], name="stem", **pads),
    helper.make_node("Relu", ["s"], ["r0"], name="relu0"),  # feeds conv1 AND the Add: two consumers
    helper.make_node("Conv", ["r0", "c1_w", "c1_b"], ["c1"], name="conv1", **pads),
    helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
    helper.make_node("Conv", ["r1", "c2_w", "c2_b"], ["c2"], name="conv2", **pads),
    helper.make_node("Add", ["c2", "r0"], ["add"], name="add"),
    helper.make_node("Relu", ["add"], ["output"], name="relu_out"),
]
shape = [1, C, 8, 8]
graph = helper.make_graph(
    nodes,
    "e_resblock",
    [helper.make_tensor_value_info("input", TensorProto.FLOAT, shape)],
    [helper.make_tensor_value_info("output", TensorProto.FLOAT, shape)],
    inits,
)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="ppq-playground")
model.ir_version = 7
onnx.checker.check_model(model, full_check=True)
onnx.save(model, os.path.join(out, "e_resblock.onnx"))

samples = rng.standard_normal((16, int(np.prod(shape)))).astype(np.float32)
os.makedirs(os.path.join(out, "calib"), exist_ok=True)
with open(os.path.join(out, "calib", "e_resblock_calib.json"), "w") as f:
    json.dump({"input_name": "input", "shape": shape, "samples": [[float(v) for v in s] for s in samples]}, f,
              separators=(",", ":"))
