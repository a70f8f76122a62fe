"""Torch-free MobileNetV2 for the benches: bench-models/mobilenetv2.onnx + mobilenetv2_calib.f32 (8 samples).

The torchvision layout after an eval-mode ONNX export (BN folded into the Conv bias, ReLU6 as Clip 0..6, Add on the
residuals, GlobalAveragePool, Flatten, Gemm), built with onnx.helper and random weights (seed 0): same 100 ops and
shapes as scripts/bench/make_mobilenetv2.py, 14.0 MB, without installing torch. usage: python3 THIS [OUT_DIR]
"""
import os
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto
rng = np.random.default_rng(0)
nodes, inits = [], []
cnt = [0]
def name(p):
    cnt[0] += 1; return f"{p}{cnt[0]}"
def conv(x, cin, cout, k, s, groups=1, relu6=True):
    n = name("conv"); w = (rng.standard_normal((cout, cin // groups, k, k)) * np.sqrt(2.0 / (cin // groups * k * k))).astype(np.float32)
    b = (rng.standard_normal(cout) * 0.01).astype(np.float32)
    inits.extend([numpy_helper.from_array(w, n + "_w"), numpy_helper.from_array(b, n + "_b")])
    y = n + "_y"
    nodes.append(helper.make_node("Conv", [x, n + "_w", n + "_b"], [y], name=n, kernel_shape=[k, k], strides=[s, s],
                                  pads=[k // 2] * 4, group=groups))
    if relu6:
        z = n + "_r"
        nodes.append(helper.make_node("Clip", [y, "c_min", "c_max"], [z], name=n + "_clip")); return z
    return y
inits += [numpy_helper.from_array(np.array(0.0, np.float32), "c_min"), numpy_helper.from_array(np.array(6.0, np.float32), "c_max")]
x = conv("input", 3, 32, 3, 2)
cin = 32
for t, c, n, s in [(1,16,1,1),(6,24,2,2),(6,32,3,2),(6,64,4,2),(6,96,3,1),(6,160,3,2),(6,320,1,1)]:
    for i in range(n):
        stride = s if i == 0 else 1
        h = x
        hid = cin * t
        if t != 1: h = conv(h, cin, hid, 1, 1)
        h = conv(h, hid, hid, 3, stride, groups=hid)
        h = conv(h, hid, c, 1, 1, relu6=False)
        if stride == 1 and cin == c:
            a = name("add"); nodes.append(helper.make_node("Add", [h, x], [a], name=a)); h = a
        x, cin = h, c
x = conv(x, 320, 1280, 1, 1)
nodes.append(helper.make_node("GlobalAveragePool", [x], ["gap"], name="gap"))
nodes.append(helper.make_node("Flatten", ["gap"], ["flat"], name="flatten", axis=1))
w = (rng.standard_normal((1000, 1280)) * 0.01).astype(np.float32); b = np.zeros(1000, np.float32)
inits += [numpy_helper.from_array(w, "fc_w"), numpy_helper.from_array(b, "fc_b")]
nodes.append(helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["logits"], name="fc", transB=1))
g = helper.make_graph(nodes, "mobilenetv2", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1,3,224,224])],
                      [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1,1000])], inits)
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]); m.ir_version = 7
onnx.checker.check_model(m)
out = sys.argv[1] if len(sys.argv) > 1 else "bench-models"
os.makedirs(out, exist_ok=True)
onnx.save(m, os.path.join(out, "mobilenetv2.onnx"))
calib = np.random.default_rng(0).standard_normal((8, 1, 3, 224, 224), dtype=np.float32)
calib.tofile(os.path.join(out, "mobilenetv2_calib.f32"))
print(len(nodes), "nodes", os.path.getsize(os.path.join(out, "mobilenetv2.onnx")) / 1e6, "MB")
