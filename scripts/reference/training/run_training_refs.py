"""PPQ 0.6.6 references for the training passes (issue 18): BiasCorrectionPass and LearnedStepSizePass.

Runs real PPQ 0.6.6 on CPU (the referee; see ../shared/reference/tools/README.md) with `bias_correct` or
`lsq_optimization` on, for each MODEL x PLATFORM (TRT_INT8, PPL_DSP_INT8) x weight bits (8, 4), the platform's
factory setting with minmax activation calibration on every calibration sample. 4-bit weights are set the way PPQ
users do it: num_of_bits / quant_min / quant_max on the weight TQC (input 1 of every computing op) right after
the quantizer creates it, i.e. before any pass runs.

For each run writes OUT/<model>/<PLATFORM>__w<bits>__<mode>/:
  trained.json   the pass's block list with pre/post block losses, the biases (float, before baking) of every
                 Conv/Gemm and every TQC's scale/offset right after the training pass, and whether PPQ on CPU
                 aliases a parameter's value with its stored fp32 copy (it does: see training/mod.rs)
  tqc.json       every TQC at the end (tools/run_ppq.py's dump; not committed: trained.json holds the scales)
  layer_snr.json PPQ's graphwise_error_analyse (per computing op, noise/signal) after the pipeline
  run.json       wall times, settings, digits accuracy of the simulated model
With CAPTURE_WEIGHTS=1 trained.json also holds the weights, and `withdrawn` what a withdrawn LSQ block had
trained; the one-step reference is `CAPTURE_WEIGHTS=1 LSQ_STEPS=1 MODES=lsq TAG=_1step PLATFORMS=TRT_INT8 BITS=8`.

Usage: PYTHONHASHSEED=0 nice $VENV/bin/python run_training_refs.py OUT [MODEL ...]   (env LSQ_STEPS, LSQ_LR)
"""
import json
import os
import random
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REF = os.path.abspath(os.path.join(HERE, "..", "..", "..", "..", "shared", "reference"))
if not os.path.isdir(REF):
    REF = os.environ["REF_DIR"]
sys.path.insert(0, os.path.join(REF, "tools", "shim"))
sys.path.insert(0, os.path.join(REF, "tools"))
import ppq_compat  # noqa: F401,E402  (before ppq)
os.environ.setdefault("REF_NO_PASS_TRACE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from ppq import QuantizationSettingFactory, TargetPlatform  # noqa: E402
from ppq.api import quantize_onnx_model  # noqa: E402
from ppq.executor import TorchExecutor  # noqa: E402
from ppq.IR import QuantableOperation  # noqa: E402
from ppq.quantization.analyse import graphwise_error_analyse  # noqa: E402
from ppq.quantization.optim import training as ppq_training  # noqa: E402
from ppq.quantization.quantizer.base import BaseQuantizer  # noqa: E402
from run_ppq import dump_tqcs, tolist  # noqa: E402

PLATFORMS = {"TRT_INT8": TargetPlatform.TRT_INT8, "PPL_DSP_INT8": TargetPlatform.PPL_DSP_INT8}
MODELS = ["digits_cnn", "a_concat_pool", "b_residual"]
COMPUTING = {"Conv", "Gemm", "ConvTranspose", "MatMul"}
STATE = {"weight_bits": 8, "capture": None}


def seed_everything():
    random.seed(0)
    np.random.seed(0)
    torch.manual_seed(0)


def bits_range(bits, lo, hi):
    """The playground's rule (crates/pipeline/src/bit_width.rs): keep the range's shape."""
    half = 1 << (bits - 1)
    if lo < 0:
        return (-(half - 1), half - 1) if lo == -hi else (-half, half - 1)
    return 0, (1 << bits) - 1


_orig_quantize_operation = BaseQuantizer.quantize_operation


def quantize_operation(self, op_name, platform=None):
    op = _orig_quantize_operation(self, op_name, platform)
    bits = STATE["weight_bits"]
    if bits != 8 and isinstance(op, QuantableOperation) and op.type in COMPUTING:
        cfg = op.config.input_quantization_config[1]
        cfg.quant_min, cfg.quant_max = bits_range(bits, cfg.quant_min, cfg.quant_max)
        cfg.num_of_bits = bits
    return op


BaseQuantizer.quantize_operation = quantize_operation


def tqc_key(op, cfg):
    n_in = len(op.config.input_quantization_config)
    for i, (c, var) in enumerate(op.config_with_variable):
        if c is cfg:
            io, idx = ("in", i) if i < n_in else ("out", i - n_in)
            return f"{op.name}:{io}{idx}:{var.name}"
    return None


def capture(graph):
    biases, weights, scales, aliased = {}, {}, {}, {}
    for op in graph.topological_sort():
        if op.type in {"Conv", "ConvTranspose", "Gemm"} and len(op.inputs) == 3:
            biases[op.name] = tolist(op.inputs[-1].value)
        if os.environ.get("CAPTURE_WEIGHTS") and op.type in COMPUTING:
            weights[op.name] = tolist(op.inputs[1].value)
        if isinstance(op, QuantableOperation):
            for cfg, var in op.config_with_variable:
                scales[tqc_key(op, cfg)] = {"state": cfg.state.name, "scale": tolist(cfg.scale),
                                            "offset": tolist(cfg.offset)}
                if var.is_parameter and op.type in COMPUTING:
                    aliased[var.name] = var.value is var.stored_value
    out = {"biases": biases, "scales": scales, "value_is_stored_value": aliased}
    if weights:
        out["weights"] = weights  # CAPTURE_WEIGHTS=1 (the one-step reference)
    return out


def wrap_pass(cls, method):
    """Records the blocks and their (pre, post) losses, then the graph right after the pass."""
    orig_optimize, orig_method = cls.optimize, getattr(cls, method)
    orig_split = ppq_training.TrainingBasedPass.split_graph_into_blocks

    def split(self, *a, **k):
        blocks = orig_split(self, *a, **k)
        STATE["capture"]["blocks"] = [{"sp": b.sp.name, "ep": b.ep.name, "ops": [o.name for o in b.rps]}
                                      for b in blocks]
        return blocks

    def step(self, *a, **k):
        pre, post = orig_method(self, *a, **k)
        STATE["capture"].setdefault("losses", []).append([float(pre), float(post)])
        return pre, post

    def optimize(self, graph, *a, **k):
        STATE["capture"] = {"pass": self.name}
        t0 = time.time()
        ppq_training.TrainingBasedPass.split_graph_into_blocks = split
        setattr(cls, method, step)
        try:
            orig_optimize(self, graph, *a, **k)
        finally:
            ppq_training.TrainingBasedPass.split_graph_into_blocks = orig_split
            setattr(cls, method, orig_method)
        STATE["capture"]["seconds"] = round(time.time() - t0, 3)
        STATE["capture"].update(capture(graph))

    cls.optimize = optimize


_orig_withdraw = ppq_training.LSQDelegator.withdraw


def withdraw(self):
    """Records what a withdrawn block had trained (scale, parameter) before PPQ puts the backups back."""
    w = STATE["capture"].setdefault("withdrawn", {})
    w.setdefault("scales", []).append(tolist(self.config.scale) if self.scale_backup is not None else None)
    w.setdefault("params", {})[self.var.name] = tolist(self.var.value) if self.param_backup is not None else None
    _orig_withdraw(self)


ppq_training.LSQDelegator.withdraw = withdraw
wrap_pass(ppq_training.BiasCorrectionPass, "correct_bias")
wrap_pass(ppq_training.LearnedStepSizePass, "finetune")


def make_setting(pname, mode):
    s = QuantizationSettingFactory.trt_setting() if pname == "TRT_INT8" else QuantizationSettingFactory.dsp_setting()
    s.quantize_activation_setting.calib_algorithm = "minmax"
    if mode == "bias_correct":
        s.bias_correct = True
        s.bias_correct_setting.collecting_device = "cpu"
    else:
        s.lsq_optimization = True
        s.lsq_optimization_setting.collecting_device = "cpu"  # PPQ's default 'cuda' fails on a CPU-only machine
        s.lsq_optimization_setting.steps = int(os.environ.get("LSQ_STEPS", s.lsq_optimization_setting.steps))
        s.lsq_optimization_setting.lr = float(os.environ.get("LSQ_LR", s.lsq_optimization_setting.lr))
    return s


def run_one(out, model, pname, bits, mode, tag):
    d = f"{out}/{model}/{pname}__w{bits}__{tag}"
    os.makedirs(d, exist_ok=True)
    x = np.load(f"{REF}/calib/{model}_calib.npy")
    loader = [torch.from_numpy(s) for s in x]
    STATE["weight_bits"] = bits
    seed_everything()
    setting = make_setting(pname, mode)
    t0 = time.time()
    graph = quantize_onnx_model(onnx_import_file=f"{REF}/models/{model}.onnx", calib_dataloader=loader,
                                calib_steps=len(loader), input_shape=list(x.shape[1:]), platform=PLATFORMS[pname],
                                setting=setting, device="cpu", verbose=0)
    seconds = time.time() - t0
    json.dump(STATE["capture"], open(f"{d}/trained.json", "w"), indent=1)
    json.dump(dump_tqcs(graph), open(f"{d}/tqc.json", "w"), indent=1)
    snr = graphwise_error_analyse(graph=graph, running_device="cpu", dataloader=loader, collate_fn=None,
                                  steps=len(loader), verbose=False)
    json.dump({k: float(v) for k, v in snr.items()}, open(f"{d}/layer_snr.json", "w"), indent=1)
    info = {"model": model, "platform": pname, "weight_bits": bits, "mode": mode, "quantize_seconds": round(seconds, 3),
            "pass_seconds": STATE["capture"].get("seconds"), "torch_threads": torch.get_num_threads(),
            "n_calib": len(loader), "torch": torch.__version__}
    if mode == "lsq":
        ls = setting.lsq_optimization_setting
        info.update({"steps": ls.steps, "lr": ls.lr, "block_size": ls.block_size, "gamma": ls.gamma,
                     "is_scale_trainable": ls.is_scale_trainable})
    else:
        info.update({"block_size": setting.bias_correct_setting.block_size})
    ex = TorchExecutor(graph=graph, device="cpu")
    if model == "digits_cnn":
        xt = np.load(f"{REF}/calib/digits_test_x.npy")
        yt = np.load(f"{REF}/calib/digits_test_y.npy")
        p = np.array([ex.forward(inputs=torch.from_numpy(s[None]))[0].argmax().item() for s in xt])
        info["ppq_sim_acc"] = float((p == yt).mean())
    json.dump(info, open(f"{d}/run.json", "w"), indent=1)
    print(json.dumps(info), flush=True)


if __name__ == "__main__":
    out = sys.argv[1]
    models = sys.argv[2:] or MODELS
    modes = os.environ.get("MODES", "bias_correct,lsq").split(",")
    tag_suffix = os.environ.get("TAG", "")
    platforms = os.environ.get("PLATFORMS", ",".join(PLATFORMS)).split(",")
    all_bits = [int(b) for b in os.environ.get("BITS", "8,4").split(",")]
    for m in models:
        for pname in platforms:
            for bits in all_bits:
                for mode in modes:
                    run_one(out, m, pname, bits, mode, mode + tag_suffix)
