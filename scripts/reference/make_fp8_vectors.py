"""FP8 test vectors for tests/parity_fp8.rs, written to tests/reference/fp8/:

  inputs.npy            float32 [N] inputs: normals over many magnitudes, exact mantissa ties, subnormals,
                        values beyond the clip, zeros
  ppq_<fmt>_<r>_s<k>.npy   PPQ's FP8 fake-quant of inputs (QuantizeScalarFloating then DequantizeScalar,
                        offset 0) for format fmt (e4m3: clip +-448, e5m2: clip +-57344), rounding r
                        (half_even = 0, half_up = 1) and scale k, from the numpy port of PPQ's CUDA kernel
                        in referee_patches.py (the one the TRT_FP8 / GRAPHCORE_FP8 references ran with)
  onnx_<fmt>.npy        onnx's Cast(float -> FLOAT8E4M3FN / FLOAT8E5M2, saturate=1) and back, run by
                        onnx.reference (round to nearest even, ties included)

  python3 scripts/reference/make_fp8_vectors.py        # numpy + onnx only; seeded
"""
import os
import sys

import numpy as np
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from referee_patches import quantize_scalar_floating  # noqa: E402

OUT = os.path.join(HERE, "..", "..", "tests", "reference", "fp8")
FORMATS = {"e4m3": (4, 3, 448.0, TensorProto.FLOAT8E4M3FN), "e5m2": (5, 2, 57344.0, TensorProto.FLOAT8E5M2)}
SCALES = {"s1": 1.0, "s0125": 0.125, "s37": 3.7}


def inputs():
    rng = np.random.default_rng(17)
    parts = [rng.standard_normal(1500) * 10.0 ** rng.uniform(-4, 5, 1500),
             np.array([0.0, -0.0, 448.0, -448.0, 480.0, 1e6, -1e6, 57344.0, 2.0 ** -9, 2.0 ** -10, 2.0 ** -17])]
    # exact ties of 3 and 2 mantissa bits: 1 + (2k + 1) / 16 and / 8, times powers of two
    k = np.arange(8)
    for e in range(-8, 10):
        parts.append((1 + (2 * k + 1) / 16.0) * 2.0 ** e)
        parts.append(-(1 + (2 * k[:4] + 1) / 8.0) * 2.0 ** e)
    parts.append(rng.uniform(-2.0 ** -6, 2.0 ** -6, 200))  # the subnormal branch of e4m3
    return np.concatenate(parts).astype(np.float32)


def onnx_cast(x, to):
    node_a = helper.make_node("Cast", ["x"], ["q"], to=to, saturate=1)
    node_b = helper.make_node("Cast", ["q"], ["y"], to=TensorProto.FLOAT)
    g = helper.make_graph([node_a, node_b], "fp8", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 19)])
    return ReferenceEvaluator(m).run(None, {"x": x})[0].astype(np.float32)


def main():
    os.makedirs(OUT, exist_ok=True)
    x = inputs()
    np.save(f"{OUT}/inputs.npy", x)
    for fmt, (e, m, clip, to) in FORMATS.items():
        for rname, r in (("half_even", 0), ("half_up", 1)):
            for sname, s in SCALES.items():
                y = quantize_scalar_floating(x, np.float32(s), np.float32(0), e, m, -clip, clip, r)
                np.save(f"{OUT}/ppq_{fmt}_{rname}_{sname}.npy", y)
        np.save(f"{OUT}/onnx_{fmt}.npy", onnx_cast(x, to))
    print(f"{len(x)} inputs -> {OUT}")


if __name__ == "__main__":
    main()
