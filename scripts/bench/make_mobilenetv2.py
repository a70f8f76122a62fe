#!/usr/bin/env python3
"""Exports a random-init torchvision MobileNetV2 (seed 0, eval mode, opset 13, batch 1, 3x224x224) to
bench-models/mobilenetv2.onnx, with 8 deterministic calibration samples in bench-models/mobilenetv2_calib.npy.
The folder is gitignored: the model is ~14 MB and regenerated on demand by scripts/bench.sh."""
import os
import sys

import numpy as np
import torch
import torchvision

OUT = sys.argv[1] if len(sys.argv) > 1 else "bench-models"


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    model = torchvision.models.mobilenet_v2(weights=None).eval()
    x = torch.randn(1, 3, 224, 224)
    path = os.path.join(OUT, "mobilenetv2.onnx")
    torch.onnx.export(model, (x,), path, opset_version=13, input_names=["input"], output_names=["logits"],
                      dynamo=False, do_constant_folding=True)
    rng = np.random.default_rng(0)
    calib = rng.standard_normal((8, 1, 3, 224, 224), dtype=np.float32)
    np.save(os.path.join(OUT, "mobilenetv2_calib.npy"), calib)
    calib.tofile(os.path.join(OUT, "mobilenetv2_calib.f32"))
    print(f"wrote {path} ({os.path.getsize(path) / 1e6:.1f} MB) and 8 calibration samples")


if __name__ == "__main__":
    main()
