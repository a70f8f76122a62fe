"""Trains and writes the bundled sample dwsep_digits: a MobileNet-style depthwise-separable CNN on scikit-learn's
digits data set (8x8 grey images, BSD-3-Clause, shipped inside the scikit-learn package; nothing is downloaded).

Architecture (input [1,1,8,8] = pixels/16, the digits_cnn preprocessing):
  stem   Conv 3x3 1->16, BN, SiLU                                  8x8
  ds1    depthwise Conv 3x3 (16 groups), BN, SiLU; pointwise 1x1 16->24, BN (linear, as MobileNetV2's bottleneck)
  ds2    depthwise Conv 3x3 stride 2 (24 groups), BN, SiLU; pointwise 24->32, BN, SiLU      4x4
  res    depthwise Conv 3x3 (32 groups), BN, SiLU; pointwise 32->32, BN (linear); Add with ds2's output
  head   GlobalAveragePool, Flatten, Gemm 32->10 (logits)
torch's TorchScript exporter at opset 13 writes SiLU as Sigmoid followed by Mul (x * sigmoid(x)); the model is
exported in training=PRESERVE mode so the BatchNormalization nodes stay in the file (PPQ's and our formatting fold
them into the convolutions). ds1's linear pointwise conv feeding ds2's depthwise conv directly is the one Conv → Conv
pair PPQ's LayerwiseEqualizationPass (PPL_DSP_INT8) can equalize: it crosses Relu/pools/Add, not SiLU.

Split and calibration as digits_cnn (../shared/reference/models/digits_float_acc.json): train_test_split(test_size=0.3,
random_state=0, stratify=y) -> 1257 train / 540 test images; calibration = the first 64 training images.
Deterministic: seeded torch/numpy, one thread, deterministic algorithms.

Writes OUT_DIR in the layout of ../shared/reference (so ../shared/reference/tools/run_ppq.py reads it as REF_OUT):
  models/dwsep_digits.onnx
  models/dwsep_digits_float_acc.json     fp32 test accuracy (torch and onnxruntime), split and preprocessing
  calib/dwsep_digits_calib.npy           [64,1,1,8,8] float32 calibration samples
  calib/dwsep_digits_calib.json          the same as {"input_name", "shape", "samples"}
  calib/dwsep_digits_float_outputs.npy   onnxruntime fp32 outputs of the calibration samples
  calib/dwsep_digits_test_x.npy          [540,1,1,8,8] float32 test images
  calib/dwsep_digits_test_y.npy          [540] int64 labels
  calib/dwsep_digits_test.json           the test split as {"input_name", "shape", "samples", "labels"}

Needs torch, scikit-learn, onnx, onnxruntime (e.g. a venv with torch + scikit-learn).
usage: python scripts/make_dwsep_sample.py OUT_DIR      (tests/reference/dwsep_digits is the committed copy)
"""
import json
import os
import random
import sys

import numpy as np
import onnx
import onnxruntime as ort
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn

NAME = "dwsep_digits"
SEED = 0
EPOCHS = 60
BATCH = 32


def seed_everything():
    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)


def conv_bn(cin, cout, k, stride=1, groups=1, act=True):
    layers = [nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    if act:
        layers.append(nn.SiLU())
    return nn.Sequential(*layers)


def dwsep(cin, cout, stride=1, last_act=True):
    return nn.Sequential(conv_bn(cin, cin, 3, stride, groups=cin), conv_bn(cin, cout, 1, act=last_act))


class DwSepNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = conv_bn(1, 16, 3)
        self.ds1 = dwsep(16, 24, last_act=False)  # linear bottleneck: its pointwise conv feeds ds2's depthwise
        self.ds2 = dwsep(24, 32, stride=2)
        self.res = dwsep(32, 32, last_act=False)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = self.ds2(self.ds1(self.stem(x)))
        x = x + self.res(x)
        return self.fc(torch.flatten(self.gap(x), 1))


def main(out):
    seed_everything()
    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None]  # [N,1,8,8]
    y = digits.target.astype(np.int64)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.3, random_state=0, stratify=y)

    model = DwSepNet()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, EPOCHS)
    gen = torch.Generator().manual_seed(SEED)
    xt, yt = torch.from_numpy(xtr), torch.from_numpy(ytr)
    for epoch in range(EPOCHS):
        model.train()
        perm = torch.randperm(len(xt), generator=gen)
        total = 0.0
        for i in range(0, len(xt), BATCH):
            idx = perm[i:i + BATCH]
            loss = nn.functional.cross_entropy(model(xt[idx]), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        sched.step()
        if epoch % 10 == 9:
            print(f"epoch {epoch + 1}: train loss {total / len(xt):.4f}", flush=True)
    model.eval()
    with torch.no_grad():
        torch_acc = float((model(torch.from_numpy(xte)).argmax(1).numpy() == yte).mean())

    os.makedirs(os.path.join(out, "models"), exist_ok=True)
    os.makedirs(os.path.join(out, "calib"), exist_ok=True)
    path = os.path.join(out, "models", f"{NAME}.onnx")
    torch.onnx.export(model, (torch.zeros(1, 1, 8, 8),), path, dynamo=False, opset_version=13,
                      input_names=["input"], output_names=["output"],
                      training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=True)
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    ops = [n.op_type for n in m.graph.node]
    print("ops:", " ".join(ops))

    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    ort_pred = np.array([sess.run(None, {"input": s[None]})[0].argmax() for s in xte])
    ort_acc = float((ort_pred == yte).mean())
    calib = xtr[:64][:, None]  # [64,1,1,8,8]: batch-1 samples
    np.save(os.path.join(out, "calib", f"{NAME}_calib.npy"), calib)
    np.save(os.path.join(out, "calib", f"{NAME}_float_outputs.npy"),
            np.stack([sess.run(None, {"input": s})[0] for s in calib]))
    np.save(os.path.join(out, "calib", f"{NAME}_test_x.npy"), xte[:, None])
    np.save(os.path.join(out, "calib", f"{NAME}_test_y.npy"), yte)
    flat = lambda a: [[float(v) for v in s.ravel()] for s in a]  # noqa: E731  (float32 values print exactly)
    with open(os.path.join(out, "calib", f"{NAME}_calib.json"), "w") as f:
        json.dump({"input_name": "input", "shape": [1, 1, 8, 8], "samples": flat(calib)}, f, separators=(",", ":"))
    with open(os.path.join(out, "calib", f"{NAME}_test.json"), "w") as f:
        json.dump({"input_name": "input", "shape": [1, 1, 8, 8], "samples": flat(xte),
                   "labels": [int(v) for v in yte]}, f, separators=(",", ":"))
    acc = {"torch_test_acc": torch_acc, "ort_test_acc": ort_acc, "n_test": int(len(yte)),
           "split": "train_test_split(test_size=0.3, random_state=0, stratify=y)",
           "preprocess": "images/16.0, NCHW [1,1,8,8]", "calib": "first 64 train images",
           "train": f"Adam lr 3e-3 wd 1e-4, cosine, {EPOCHS} epochs, batch {BATCH}, seed {SEED}",
           "ops": ops, "onnx_bytes": os.path.getsize(path), "torch": torch.__version__}
    with open(os.path.join(out, "models", f"{NAME}_float_acc.json"), "w") as f:
        json.dump(acc, f, indent=1)
    print(json.dumps({k: acc[k] for k in ("torch_test_acc", "ort_test_acc", "onnx_bytes")}))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
