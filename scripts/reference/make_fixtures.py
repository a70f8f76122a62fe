"""Write the small ONNX fixtures that the five shared reference models never contain, with their
calibration data, into tests/reference/{models,calib}/ (numpy + onnx only, seeded, so reruns give the
same bytes).

  e_dwsep        MobileNet-style depthwise-separable stack: grouped and depthwise Conv + BN + Relu/Clip
  f_swish        Conv -> Sigmoid -> Mul(x, sigmoid(x)) chains (one non-exclusive), and a Gemm swish
  g_mish         Conv -> Softplus -> Tanh -> Mul(x, tanh(softplus(x))) chains
  h_attention    a single-head attention block: decomposed LayerNorm, MatMul, Softmax, residual Add
  i_dynamo       what a torch dynamo export looks like (opset 18): ReduceMean whose `axes` is an int64 input

calib/<m>_calib.npy has shape [N, *input_shape] (N batch-1 samples), as run_refs.py and the tests read it.

  python scripts/reference/make_fixtures.py [OUT_DIR]     # OUT_DIR defaults to tests/reference
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "tests", "reference")
N_CALIB = 16


class Builder:
    """Accumulates nodes and initializers; names every node so TQC ids are readable."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits = [], []

    def init(self, name, value):
        self.inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def rand(self, name, shape, scale=0.5):
        return self.init(name, (self.rng.standard_normal(shape) * scale).astype(np.float32))

    def node(self, op, name, inputs, n_out=1, **attrs):
        outs = [f"{name}_out"] if n_out == 1 else [f"{name}_out{i}" for i in range(n_out)]
        self.nodes.append(helper.make_node(op, inputs, outs, name=name, **attrs))
        return outs[0] if n_out == 1 else outs

    def conv(self, name, x, cin, cout, k=3, group=1, stride=1, bias=True):
        w = self.rand(f"{name}.weight", [cout, cin // group, k, k], scale=1.0 / np.sqrt(cin // group * k * k))
        ins = [x, w] + ([self.rand(f"{name}.bias", [cout], 0.1)] if bias else [])
        return self.node("Conv", name, ins, kernel_shape=[k, k], pads=[k // 2] * 4, strides=[stride, stride],
                         group=group)

    def bn(self, name, x, c):
        r = self.rng
        ins = [x,
               self.init(f"{name}.gamma", (0.5 + r.random(c)).astype(np.float32)),
               self.init(f"{name}.beta", (r.standard_normal(c) * 0.2).astype(np.float32)),
               self.init(f"{name}.mean", (r.standard_normal(c) * 0.1).astype(np.float32)),
               self.init(f"{name}.var", (0.5 + r.random(c)).astype(np.float32))]
        return self.node("BatchNormalization", name, ins, epsilon=1e-5)

    def gemm(self, name, x, cin, cout):
        w = self.rand(f"{name}.weight", [cout, cin], 1.0 / np.sqrt(cin))
        return self.node("Gemm", name, [x, w, self.rand(f"{name}.bias", [cout], 0.1)], transB=1)

    def model(self, name, inp, shape, out, out_shape, opset=13):
        g = helper.make_graph(self.nodes, name,
                              [helper.make_tensor_value_info(inp, TensorProto.FLOAT, shape)],
                              [helper.make_tensor_value_info(out, TensorProto.FLOAT, out_shape)], self.inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="ppq-playground")
        m.ir_version = 8
        onnx.checker.check_model(m)
        return m


def e_dwsep():
    b = Builder(5)
    x = b.node("Relu", "relu0", [b.bn("bn0", b.conv("conv0", "input", 3, 8), 8)])
    clip_lo, clip_hi = b.init("clip.min", np.float32(0.0)), b.init("clip.max", np.float32(6.0))
    x = b.node("Clip", "clip1", [b.bn("bn_dw1", b.conv("dw1", x, 8, 8, group=8, bias=False), 8), clip_lo, clip_hi])
    x = b.node("Relu", "relu_pw1", [b.bn("bn_pw1", b.conv("pw1", x, 8, 16, k=1, bias=False), 16)])
    x = b.node("Relu", "relu_gc2", [b.bn("bn_gc2", b.conv("gc2", x, 16, 16, group=4), 16)])
    x = b.node("Relu", "relu_pw2", [b.bn("bn_pw2", b.conv("pw2", x, 16, 8, k=1), 8)])
    x = b.node("Relu", "relu_dw3", [b.bn("bn_dw3", b.conv("dw3", x, 8, 8, group=8, stride=2), 8)])
    x = b.node("Relu", "relu_pw3", [b.conv("pw3", x, 8, 16, k=1)])
    x = b.node("Flatten", "flatten", [b.node("GlobalAveragePool", "gap", [x])], axis=1)
    return b.model("e_dwsep", "input", [1, 3, 12, 12], b.gemm("fc", x, 16, 5), [1, 5]), [1, 3, 12, 12]


def swish(b, name, x):
    return b.node("Mul", f"{name}_mul", [x, b.node("Sigmoid", f"{name}_sigmoid", [x])])


def f_swish():
    b = Builder(6)
    x = swish(b, "act0", b.conv("conv0", "input", 3, 8))
    c1 = b.conv("conv1", x, 8, 8)
    x = b.node("Mul", "act1_mul", [b.node("Sigmoid", "act1_sigmoid", [c1]), c1])  # operands the other way round
    c2 = b.conv("conv2", x, 8, 8, k=1)
    x = b.node("Add", "skip2", [swish(b, "act2", c2), c2])  # conv2 also feeds the Add: not an exclusive swish
    x = b.node("Flatten", "flatten", [b.node("GlobalAveragePool", "gap", [x])], axis=1)
    return b.model("f_swish", "input", [1, 3, 12, 12], swish(b, "act_fc", b.gemm("fc", x, 8, 6)), [1, 6]), [1, 3, 12, 12]


def mish(b, name, x):
    t = b.node("Tanh", f"{name}_tanh", [b.node("Softplus", f"{name}_softplus", [x])])
    return b.node("Mul", f"{name}_mul", [x, t])


def g_mish():
    b = Builder(7)
    x = mish(b, "act0", b.conv("conv0", "input", 3, 8))
    x = mish(b, "act1", b.conv("conv1", x, 8, 8))
    x = b.node("Flatten", "flatten", [b.node("GlobalAveragePool", "gap", [x])], axis=1)
    return b.model("g_mish", "input", [1, 3, 12, 12], b.gemm("fc", x, 8, 5), [1, 5]), [1, 3, 12, 12]


def layer_norm(b, name, x, d):
    """LayerNorm as torch exports it below opset 17."""
    mean = b.node("ReduceMean", f"{name}_mean", [x], axes=[-1], keepdims=1)
    diff = b.node("Sub", f"{name}_sub", [x, mean])
    sq = b.node("Pow", f"{name}_pow", [diff, b.init(f"{name}.two", np.float32(2.0))])
    var = b.node("ReduceMean", f"{name}_var", [sq], axes=[-1], keepdims=1)
    std = b.node("Sqrt", f"{name}_sqrt", [b.node("Add", f"{name}_eps", [var, b.init(f"{name}.eps", np.float32(1e-5))])])
    norm = b.node("Div", f"{name}_div", [diff, std])
    gamma = b.init(f"{name}.gamma", (1 + 0.1 * b.rng.standard_normal(d)).astype(np.float32))
    beta = b.init(f"{name}.beta", (0.1 * b.rng.standard_normal(d)).astype(np.float32))
    return b.node("Add", f"{name}_beta", [b.node("Mul", f"{name}_gamma", [norm, gamma]), beta])


def linear(b, name, x, din, dout):
    w = b.rand(f"{name}.weight", [din, dout], 1.0 / np.sqrt(din))
    return b.node("Add", f"{name}_bias", [b.node("MatMul", name, [x, w]), b.rand(f"{name}.bias", [dout], 0.1)])


def h_attention():
    t, d = 8, 16
    b = Builder(8)
    h = layer_norm(b, "ln1", "input", d)
    q, k, v = (linear(b, n, h, d, d) for n in ("q_proj", "k_proj", "v_proj"))
    kt = b.node("Transpose", "k_t", [k], perm=[0, 2, 1])
    scores = b.node("Mul", "scale", [b.node("MatMul", "qk", [q, kt]), b.init("inv_sqrt_d", np.float32(d ** -0.5))])
    attn = b.node("Softmax", "softmax", [scores], axis=-1)
    ctx = linear(b, "o_proj", b.node("MatMul", "av", [attn, v]), d, d)
    x = b.node("Add", "residual", ["input", ctx])
    y = linear(b, "fc", layer_norm(b, "ln2", x, d), d, d)
    return b.model("h_attention", "input", [1, t, d], y, [1, t, d]), [1, t, d]


def i_dynamo():
    b = Builder(9)
    x = b.node("Relu", "relu0", [b.conv("conv0", "input", 3, 8)])
    axes = b.init("reduce.axes", np.array([2, 3], dtype=np.int64))
    x = b.node("ReduceMean", "reduce_mean", [x, axes], keepdims=0)  # opset 18: axes is an input
    return b.model("i_dynamo", "input", [1, 3, 12, 12], b.gemm("fc", x, 8, 5), [1, 5], opset=18), [1, 3, 12, 12]


FIXTURES = [e_dwsep, f_swish, g_mish, h_attention, i_dynamo]


def main():
    os.makedirs(f"{OUT}/models", exist_ok=True)
    os.makedirs(f"{OUT}/calib", exist_ok=True)
    for i, make in enumerate(FIXTURES):
        model, shape = make()
        name = model.graph.name
        onnx.save(model, f"{OUT}/models/{name}.onnx")
        rng = np.random.default_rng(1000 + i)
        calib = rng.standard_normal([N_CALIB] + shape).astype(np.float32)
        np.save(f"{OUT}/calib/{name}_calib.npy", calib)
        print(name, shape, os.path.getsize(f"{OUT}/models/{name}.onnx"), "bytes")


if __name__ == "__main__":
    main()
