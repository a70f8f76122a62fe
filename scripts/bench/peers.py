#!/usr/bin/env python3
"""Python peers of the benches, on CPU with one torch thread (except where noted), medians of repeated runs:
torch fake_quantize_per_tensor_affine / _per_channel_affine, torch.aminmax, torch.histc (2048 / 4096 bins),
a tensor copy (the memory ceiling) on 16M float32; and PPQ 0.6.6 quantize_onnx_model (TRT_INT8, the
platform's factory setting, minmax, device='cpu', called as the reference runs did) on the digits CNN with its
64 reference samples and on the random-init MobileNetV2 with 8 samples. Writes bench-results/python.json."""
import json
import os
import statistics
import sys
import time

import numpy as np
import torch

REF = "/work/shared/reference"
OUT = sys.argv[1] if len(sys.argv) > 1 else "bench-results"
N = 16 << 20
REPS = int(os.environ.get("BENCH_REPS", "7"))


def timed(fn, reps=REPS):
    fn()
    ms = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ms.append((time.perf_counter() - t0) * 1e3)
    return {"median": statistics.median(ms), "min": min(ms), "max": max(ms), "runs": reps, "ms": ms}


def rate(t, elems=N):
    return {**t, "unit": "G elem/s", "median_rate": elems / t["median"] / 1e6}


def kernels():
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(0)
    x = torch.rand(N, generator=g) * 8 - 4
    out = torch.empty_like(x)
    res = {"copy": rate(timed(lambda: out.copy_(x)))}
    res["fake_quantize_per_tensor_affine"] = rate(timed(lambda: torch.fake_quantize_per_tensor_affine(x, 1 / 32, 0, -128, 127)))
    xc = x.view(64, N // 64)
    scales = torch.linspace(0.01, 0.073, 64)
    zeros = torch.zeros(64, dtype=torch.int32)
    res["fake_quantize_per_channel_affine"] = rate(timed(lambda: torch.fake_quantize_per_channel_affine(xc, scales, zeros, 0, -128, 127)))
    res["aminmax"] = rate(timed(lambda: torch.aminmax(x)))
    res["histc_2048"] = rate(timed(lambda: torch.histc(x.abs(), 2048, 0.0, 4.0)))
    res["histc_4096"] = rate(timed(lambda: torch.histc(x.abs(), 4096, 0.0, 4.0)))
    return res


def ppq_quantize(model, samples, shape, reps):
    """PPQ 0.6.6 quantize_onnx_model as the reference runs called it; wall time of the call."""
    from ppq import TargetPlatform
    from ppq.api import quantize_onnx_model
    from ppq.api.setting import QuantizationSettingFactory

    data = [torch.from_numpy(np.ascontiguousarray(s)) for s in samples]

    def run():
        setting = QuantizationSettingFactory.trt_setting()
        setting.quantize_activation_setting.calib_algorithm = "minmax"
        quantize_onnx_model(onnx_import_file=model, calib_dataloader=data, calib_steps=len(data), input_shape=shape,
                            platform=TargetPlatform.TRT_INT8, setting=setting, device="cpu", verbose=0)
    return timed(run, reps)


def main():
    os.makedirs(OUT, exist_ok=True)
    res = {"torch": torch.__version__, "machine": os.uname().machine, "cpus": os.cpu_count(), "reps": REPS}
    res["kernels_1_thread"] = kernels()
    # PPQ with torch's default thread count (2 here), as in the reference runs (run.json: torch_threads 2).
    torch.set_num_threads(os.cpu_count() or 1)
    digits = np.load(f"{REF}/calib/digits_cnn_calib.npy").astype(np.float32)
    res["ppq_digits_64"] = ppq_quantize(f"{REF}/models/digits_cnn.onnx", list(digits), [1, 1, 8, 8], REPS)
    if os.path.exists("bench-models/mobilenetv2.onnx"):
        calib = np.load("bench-models/mobilenetv2_calib.npy").astype(np.float32)
        res["ppq_mobilenetv2_8"] = ppq_quantize("bench-models/mobilenetv2.onnx", list(calib), [1, 3, 224, 224],
                                                max(3, REPS // 2))
    with open(os.path.join(OUT, "python.json"), "w") as f:
        json.dump(res, f, indent=1)
    for k, v in res["kernels_1_thread"].items():
        print(f"torch 1 thread {k:35s} {v['median_rate']:.3f} G elem/s")
    for k in ("ppq_digits_64", "ppq_mobilenetv2_8"):
        if k in res:
            print(f"{k:50s} {res[k]['median']:.0f} ms")


if __name__ == "__main__":
    main()
