"""Real PPQ 0.6.6 references for the bundled sample dwsep_digits (scripts/make_dwsep_sample.py), issue 21 part 4.

Runs ../shared/reference/tools/run_ppq.py's run_one (the script that wrote ../shared/reference/ppq-0.6.6, unchanged:
the platform's factory setting with minmax activation calibration on the 64 calibration samples, the same
quantize_onnx_model call, the same tqc.json / passes.json / tensors.json / sim_outputs.npy / run.json) for TRT_INT8,
PPL_CUDA_INT8 and PPL_DSP_INT8, the platforms of the other bundled samples. run_one computes the digits accuracy
only for the model named digits_cnn, so this script adds, for every run, the accuracy of PPQ's simulated
(TorchExecutor) quantized model on the 540-image test split to run.json as `ppq_sim_int8_acc` (and of PPQ's QDQ
export in onnxruntime as `ppq_qdq_onnx_ort_acc` where it loads), with the predicted classes as `ppq_sim_pred`.

SAMPLE is the folder make_dwsep_sample.py wrote (models/, calib/; the committed copy is tests/reference/dwsep_digits).
Results go to SAMPLE/ppq-0.6.6/dwsep_digits/<PLATFORM>__minmax/ (the exporter outputs stay in the scratch folder).

usage: PYTHONHASHSEED=0 nice $VENV/bin/python scripts/reference/dwsep/run_dwsep_refs.py SAMPLE [PLATFORM ...]
       ($VENV: PPQ 0.6.6 on CPU, /work/venv-ppq here; see ../shared/reference/tools/README.md)
"""
import json
import os
import random
import shutil
import sys
import tempfile

if os.environ.get("PYTHONHASHSEED") != "0":
    sys.exit("run with PYTHONHASHSEED=0 (PPQ's set iteration order decides some pass orders)")
HERE = os.path.dirname(os.path.abspath(__file__))
REF = os.path.abspath(os.path.join(HERE, "..", "..", "..", "..", "shared", "reference"))
if not os.path.isdir(REF):
    REF = os.environ.get("REF_DIR", "/work/shared/reference")
sys.path.insert(0, os.path.join(REF, "tools"))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import run_ppq  # noqa: E402  (imports the shim before ppq, installs the pass tracer)

MODEL = "dwsep_digits"
PLATFORMS = ["TRT_INT8", "PPL_CUDA_INT8", "PPL_DSP_INT8"]
FILES = ["tqc.json", "passes.json", "tensors.json", "sim_outputs.npy", "run.json"]

_executors = []


class RecordingExecutor(run_ppq.TorchExecutor):
    """run_one builds one TorchExecutor on the quantized graph: keep it to score the test split."""

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        _executors.append(self)


run_ppq.TorchExecutor = RecordingExecutor


def main(sample, platforms):
    model_file = os.path.join(sample, "models", f"{MODEL}.onnx")
    calib_file = os.path.join(sample, "calib", f"{MODEL}_calib.npy")
    xt = np.load(os.path.join(sample, "calib", f"{MODEL}_test_x.npy"))
    yt = np.load(os.path.join(sample, "calib", f"{MODEL}_test_y.npy"))
    scratch = tempfile.mkdtemp(prefix="dwsep_ref_")
    for pname in platforms:
        random.seed(0)
        np.random.seed(0)
        torch.manual_seed(0)
        _executors.clear()
        d = os.path.join(scratch, f"{pname}__minmax")
        info = run_ppq.run_one(MODEL, pname, "minmax", model_file=model_file, calib_file=calib_file, out_dir=d)
        ex = _executors[-1]
        with torch.no_grad():
            pred = np.array([ex.forward(inputs=torch.from_numpy(s))[0].argmax().item() for s in xt])
        info["ppq_sim_int8_acc"] = float((pred == yt).mean())
        info["ppq_sim_pred"] = [int(p) for p in pred]
        if info.get("qdq.onnx_ort", {}).get("loads"):
            import onnxruntime as ort
            sess = ort.InferenceSession(os.path.join(d, "qdq.onnx"), providers=["CPUExecutionProvider"])
            iname = sess.get_inputs()[0].name
            p2 = np.array([sess.run(None, {iname: s})[0].argmax() for s in xt])
            info["ppq_qdq_onnx_ort_acc"] = float((p2 == yt).mean())
        info["torch"] = torch.__version__
        info["pythonhashseed"] = os.environ["PYTHONHASHSEED"]
        with open(os.path.join(d, "run.json"), "w") as f:
            json.dump(info, f, indent=1)
        dest = os.path.join(sample, "ppq-0.6.6", MODEL, f"{pname}__minmax")
        os.makedirs(dest, exist_ok=True)
        for name in FILES:
            shutil.copyfile(os.path.join(d, name), os.path.join(dest, name))
        print(json.dumps({k: info.get(k) for k in ("platform", "passes", "ppq_sim_int8_acc",
                                                    "ppq_qdq_onnx_ort_acc", "exports")}), flush=True)
    print(f"exporter outputs in {scratch}")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2:] or PLATFORMS)
