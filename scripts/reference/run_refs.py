"""Run real PPQ (0.6.6 and 0.6.5.1, CPU) on the fixtures of make_fixtures.py and on the five shared
reference models, for every quantizer each release has, and write what the parity tests read into
tests/reference/ppq-<version>/<model>/<PLATFORM>__<calib>[__<variant>]/:

  tqc.json         every TQC (state, root, scale, offset, ...), as ../shared/reference/tools/run_ppq.py dumps it
  passes.json      the TQC states/roots/scales before the first pass and after each pass
  sim_outputs.npy  PPQ's simulated outputs on the calibration samples
  run.json         the pass list, calib_steps, number of samples, the setting changes of the variant

and tests/reference/MANIFEST.json: every run tried, with PPQ's error where it refused (FP8 platforms need
PPQ's CUDA kernels; PPQ's ReduceMean forward takes no `axes` input).

The PPQ referee comes from scripts/reference/setup_referee.sh. PPQ is a test referee only: this script
reuses the dump helpers of ../shared/reference/tools (run_ppq.py, run_ppq065.py, pass_trace.py).

  PYTHONHASHSEED=0 /work/venv-ppq/bin/python scripts/reference/run_refs.py            # both releases
  ... run_refs.py --version 0.6.6 [--models e_dwsep f_swish]                         # one release
"""
import argparse
import importlib
import json
import os
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT = os.environ.get("REF_FIXTURES", os.path.join(ROOT, "tests", "reference"))
SHARED = os.environ.get("SHARED_REFERENCE", os.path.join(ROOT, "..", "shared", "reference"))
TOOLS = os.path.join(SHARED, "tools")
VENV = os.environ.get("VENV", "/work/venv-ppq")
PPQ065_DIR = os.environ.get("PPQ065_DIR", os.path.join(VENV, "ppq065"))

NEW_MODELS = ["e_dwsep", "f_swish", "g_mish", "h_attention", "i_dynamo"]
SHARED_MODELS = ["a_concat_pool", "b_residual", "c_soi", "d_passive", "digits_cnn"]
VERSIONS = {"0.6.6": "run_ppq", "0.6.5": "run_ppq065"}


def model_paths(model):
    base = OUT if model in NEW_MODELS else SHARED
    return f"{base}/models/{model}.onnx", f"{base}/calib/{model}_calib.npy"


def variants(model, version):
    """(tag, platform, calib, n_samples or None, calib_steps or None, setting changes) beyond the plain runs."""
    v = []
    if model == "e_dwsep":
        # pre-quant and quant passes that only a setting switches on; TRT_INT8 has none of them by default
        v.append(("ssd", "TRT_INT8", "minmax", None, None, {"ssd_equalization": True}))
        v.append(("channelsplit", "TRT_INT8", "minmax", None, None, {"channel_split": True}))
        v.append(("weightsplit", "TRT_INT8", "minmax", None, None,
                  {"weight_split": True, "weight_split_setting.interested_layers": ["pw1", "gc2", "pw2", "fc"]}))
    if model in ("e_dwsep", "b_residual"):
        # two samples, PPQ's default 32 steps: RuntimeCalibrationPass cycles the dataloader 16 times
        v.append(("calib2", "TRT_INT8", "minmax", 2, 32, {}))
        v.append(("calib2", "TRT_INT8", "percentile", 2, 32, {}))
    return v


def apply_changes(setting, changes):
    for key, value in changes.items():
        target = setting
        parts = key.split(".")
        for p in parts[:-1]:
            target = getattr(target, p)
        setattr(target, parts[-1], value)
    return setting


def run(tool, model, pname, calib, out_dir, n_samples=None, calib_steps=None, changes=None):
    import numpy as np
    import torch
    from ppq.api import quantize_onnx_model
    from ppq.executor import TorchExecutor

    model_file, calib_file = model_paths(model)
    x = np.load(calib_file)
    if n_samples is not None:
        x = x[:n_samples]
    loader = [torch.from_numpy(s) for s in x]
    steps = calib_steps if calib_steps is not None else len(loader)
    setting = apply_changes(tool.make_setting(pname, calib), changes or {})
    patches = referee_patches_for(model, pname)
    torch.manual_seed(0)  # DirectMSEObserver (FP8) samples activations with torch.randint
    tool.pass_trace.reset()
    t0 = time.time()
    graph = quantize_onnx_model(onnx_import_file=model_file, calib_dataloader=loader, calib_steps=steps,
                                input_shape=list(x.shape[1:]), platform=tool.PLATFORMS[pname], setting=setting,
                                device="cpu", verbose=0)
    seconds = time.time() - t0
    os.makedirs(out_dir, exist_ok=True)
    json.dump(tool.pass_trace.passes_json(), open(f"{out_dir}/passes.json", "w"), separators=(",", ":"))
    json.dump(tool.dump_tqcs(graph), open(f"{out_dir}/tqc.json", "w"), separators=(",", ":"))
    ex = TorchExecutor(graph=graph, device="cpu")
    sim = np.stack([ex.forward(inputs=torch.from_numpy(s))[0].detach().numpy() for s in x])
    np.save(f"{out_dir}/sim_outputs.npy", sim)
    info = {"model": model, "platform": pname, "calib": calib, "n_calib": len(loader), "calib_steps": steps,
            "setting_changes": changes or {}, "referee_patches": patches, "quantize_seconds": round(seconds, 3),
            "passes": [p["pass"] for p in tool.pass_trace.TRACE if p["index"] >= 0]}
    json.dump(info, open(f"{out_dir}/run.json", "w"), indent=1)
    return info


FP8_PLATFORMS = ("TRT_FP8", "GRAPHCORE_FP8")


def referee_patches_for(model, pname):
    """The scripts/reference/referee_patches.py patches a run depends on (all are applied to the process)."""
    return (["fp8_python_kernel"] if pname in FP8_PLATFORMS else []) + \
        (["reduce_axes_input"] if model == "i_dynamo" else [])


def apply_referee_patches(version):
    sys.path.insert(0, HERE)
    import referee_patches
    if version == "0.6.6":
        referee_patches.apply_fp8_python_kernel()
    referee_patches.apply_reduce_axes_input()


def run_version(version, models, only_platforms=None):
    os.environ.setdefault("PPQ065_DIR", PPQ065_DIR)
    os.environ["REF_SCRATCH"] = os.environ.get("REF_SCRATCH", "/tmp/ref-h17")
    sys.path.insert(0, TOOLS)
    tool = importlib.import_module(VERSIONS[version])
    platforms = list(tool.PLATFORMS)
    from ppq import TargetPlatform
    if hasattr(TargetPlatform, "EXTENSION") and version == "0.6.6":
        tool.PLATFORMS["EXTENSION"] = TargetPlatform.EXTENSION
        platforms.append("EXTENSION")
    if version == "0.6.6":
        # the FP8 quantizers of __QUANTIZER_COLLECTION__ not in the tool's list
        for extra in ("TRT_FP8", "GRAPHCORE_FP8"):
            if extra not in platforms and hasattr(TargetPlatform, extra):
                tool.PLATFORMS[extra] = getattr(TargetPlatform, extra)
                platforms.append(extra)
    apply_referee_patches(version)
    if only_platforms:
        platforms = [p for p in platforms if p in only_platforms]
    manifest = []
    for model in models:
        jobs = [(f"{p}__minmax", p, "minmax", None, None, {}) for p in platforms]
        jobs += [(f"{p}__{c}__{tag}", p, c, n, s, ch) for tag, p, c, n, s, ch in variants(model, version)
                 if not only_platforms or p in only_platforms]
        for tag, pname, calib, n, steps, changes in jobs:
            out_dir = f"{OUT}/ppq-{version}/{model}/{tag}"
            entry = {"version": version, "model": model, "run": tag, "platform": pname, "calib": calib,
                     "n_calib": n, "calib_steps": steps, "setting_changes": changes,
                     "referee_patches": referee_patches_for(model, pname)}
            try:
                info = run(tool, model, pname, calib, out_dir, n, steps, changes)
                entry.update(status="ok", n_tqc=len(json.load(open(f"{out_dir}/tqc.json"))),
                             passes=info["passes"])
            except Exception as e:  # PPQ refused: record why, keep nothing half-written
                entry.update(status="refused", error=f"{type(e).__name__}: {str(e)[:300]}",
                             where=traceback.format_exc().strip().splitlines()[-3][:200])
                if os.path.isdir(out_dir):
                    for f in os.listdir(out_dir):
                        os.remove(os.path.join(out_dir, f))
                    os.rmdir(out_dir)
            print(json.dumps({k: entry[k] for k in ("version", "model", "run", "status")}), flush=True)
            manifest.append(entry)
    return manifest


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--version", choices=list(VERSIONS))
    ap.add_argument("--models", nargs="*", default=NEW_MODELS + SHARED_MODELS)
    ap.add_argument("--platforms", nargs="*", help="only these quantizers (others' entries are kept)")
    ap.add_argument("--partial", help="write this release's manifest entries to this file (internal)")
    a = ap.parse_args()
    if os.environ.get("PYTHONHASHSEED") != "0":
        sys.exit("run_refs.py: set PYTHONHASHSEED=0 so PPQ's runs are reproducible")
    if a.version:
        entries = run_version(a.version, a.models, a.platforms)
        json.dump(entries, open(a.partial or f"/tmp/run_refs_{a.version}.json", "w"), indent=1)
        return
    # each release in its own interpreter: 0.6.5.1 must come first on sys.path, 0.6.6 must not see it
    merged = []
    for version in VERSIONS:
        part = f"/tmp/run_refs_{version}.json"
        extra = ["--platforms", *a.platforms] if a.platforms else []
        subprocess.run([sys.executable, __file__, "--version", version, "--partial", part, "--models", *a.models,
                        *extra], check=True)
        merged += json.load(open(part))
    manifest_path = f"{OUT}/MANIFEST.json"
    old = json.load(open(manifest_path)) if os.path.exists(manifest_path) else {"runs": []}
    redone = {(e["version"], e["model"], e["run"]) for e in merged}
    keep = [e for e in old["runs"] if (e["version"], e["model"], e["run"]) not in redone
            and (a.platforms or e["model"] not in a.models)]
    runs = sorted(keep + merged, key=lambda e: (e["version"], e["model"], e["run"]))
    json.dump({"generator": "scripts/reference/run_refs.py", "fixtures": "scripts/reference/make_fixtures.py",
               "pythonhashseed": 0, "device": "cpu", "runs": runs}, open(manifest_path, "w"), indent=1)


if __name__ == "__main__":
    main()
