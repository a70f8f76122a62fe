#!/usr/bin/env bash
# Copies the bundled samples into www/samples/ from ../shared/reference (or $PPQ_REFERENCE): the five ONNX models
# and, for each, the tqc.json and passes.json of every PPQ 0.6.6 run (minified), plus www/samples/index.json, the
# manifest the page reads. The copies are committed so the page works offline; rerun after the reference changes.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
REF="${PPQ_REFERENCE:-../shared/reference}"
[ -d "$REF/models" ] || REF=/work/shared/reference
OUT=www/samples
rm -rf "$OUT" && mkdir -p "$OUT"
python3 - "$REF" "$OUT" <<'PY'
import json, os, shutil, sys
ref, out = sys.argv[1], sys.argv[2]
about = {
    "a_concat_pool": "Conv-BN-Relu, two branches, Concat, AveragePool, Gemm: concat and pooling alignment",
    "b_residual": "conv, relu, conv, Add with the skip connection, relu: elementwise alignment",
    "c_soi": "Resize, Slice, Gather and a Shape chain: shape/index inputs that stay unquantized",
    "d_passive": "Conv, Clip with min/max inputs, Pad with a value input, Conv: passive parameters",
    "digits_cnn": "A small CNN trained on scikit-learn's digits (8x8 images)",
}
samples = []
for model in sorted(about):
    shutil.copyfile(os.path.join(ref, "models", f"{model}.onnx"), os.path.join(out, f"{model}.onnx"))
    runs = []
    base = os.path.join(ref, "ppq-0.6.6", model)
    for run in sorted(os.listdir(base)):
        platform, _, observer = run.partition("__")
        dest = os.path.join(out, model, run)
        os.makedirs(dest, exist_ok=True)
        for name in ("tqc.json", "passes.json"):
            with open(os.path.join(base, run, name)) as f:
                data = json.load(f)
            with open(os.path.join(dest, name), "w") as f:
                json.dump(data, f, separators=(",", ":"))
        runs.append({"platform": platform, "observer": observer, "dir": f"{model}/{run}"})
    samples.append({"name": model, "about": about[model], "model": f"{model}.onnx", "runs": runs})
with open(os.path.join(out, "index.json"), "w") as f:
    json.dump({"ppq_version": "0.6.6", "samples": samples}, f, indent=1)
PY
echo "bundled $(find "$OUT" -type f | wc -l) files, $(du -sh "$OUT" | cut -f1) into $OUT"
