"""Two patches run_refs.py applies to the PPQ referee, each only for the runs that need it (run.json and
MANIFEST.json record `referee_patches` for those runs):

fp8_python_kernel
    PPQ 0.6.6's FP8 fake-quant (TensorwiseFloatingQuantImpl / ChannelwiseFloatingQuantImpl) only exists as
    the CUDA kernel `QuantizeScalarFloating` (ppq/csrc/cuda/common.cuh) and raises on CPU. This replaces both
    with a numpy version of the same per-element formula, written from the kernel's steps (clip to
    min(clip, theoretical maximum), fixed-grid subnormal branch, mantissa rounding through a float with
    exponent 127, carry into the exponent, final clip, then DequantizeScalar (q - o) * s), and lets
    PPQFloatingQuantFunction run on CPU tensors. `_round2int` is reproduced case by case (nearbyint for
    HALF_EVEN, floor(v + .5) in double for HALF_UP, ...). DirectMSEObserver samples activations with
    torch.randint: run_refs.py seeds torch (torch.manual_seed(0)) before each run so reruns agree.

reduce_axes_input
    PPQ 0.6.6's ReduceMean forward reads `axes` only from the attribute (opset < 18) and fails on an opset-18
    graph whose axes is the second input (what torch dynamo writes). This forward takes axes from the input
    when there is one, as ONNX opset 18 defines it; the quantizers' dispatch is untouched.
"""
import numpy as np


ROUND_HALF_EVEN, ROUND_HALF_UP, ROUND_HALF_DOWN = 0, 1, 2
ROUND_HALF_TOWARDS_ZERO, ROUND_HALF_FAR_FORM_ZERO, ROUND_TO_NEAR_INT, ROUND_UP, ROUND_DOWN = 3, 4, 5, 6, 7


def _round2int(v, rounding):
    """CUDA `_round2int` on a float32 array (the int result as float64)."""
    v = v.astype(np.float64)
    if rounding == ROUND_HALF_EVEN:
        return np.rint(v)
    if rounding == ROUND_HALF_UP:
        return np.floor(v + .5)
    if rounding == ROUND_HALF_DOWN:
        return np.ceil(v - .5)
    if rounding == ROUND_HALF_TOWARDS_ZERO:
        return np.where(v > 0, np.ceil(v - .5), np.floor(v + .5))
    if rounding == ROUND_HALF_FAR_FORM_ZERO:
        return np.where(v > 0, np.floor(v + .5), np.ceil(v - .5))
    if rounding == ROUND_UP:
        return np.ceil(v)
    if rounding == ROUND_DOWN:
        return np.floor(v)
    return np.where(v >= 0, np.floor(np.abs(v) + .5), -np.floor(np.abs(v) + .5))  # C round(): ties away


def quantize_scalar_floating(x, scale, offset, exponent, mantissa, clip_min, clip_max, rounding):
    """QuantizeScalarFloating then DequantizeScalar, elementwise; x, scale, offset broadcast float32 arrays."""
    x = np.asarray(x, np.float32)
    scale = np.broadcast_to(np.asarray(scale, np.float32), x.shape)
    offset = np.broadcast_to(np.asarray(offset, np.float32), x.shape)
    u = (x / scale).astype(np.float32)
    exponent_min = -(1 << (exponent - 1)) + 1
    exponent_max = 1 << (exponent - 1)
    tmax_bits = np.uint32(((exponent_max + 127) << 23) + (~(0x007FFFFF >> mantissa) & 0x007FFFFF))
    tmax = float(np.array([tmax_bits], np.uint32).view(np.float32)[0])
    hi, lo = np.float32(min(clip_max, tmax)), np.float32(max(clip_min, -tmax))

    bits = u.view(np.uint32)
    sign = bits & np.uint32(0x80000000)
    exp = bits & np.uint32(0x7F800000)
    man = bits & np.uint32(0x007FFFFF)
    # normal branch: round the discarded mantissa bits through a float in [1, 2)
    frac_bits = ((man << np.uint32(mantissa)) & np.uint32(0x007FFFFF)) + np.uint32(0x3F800000)
    frac = (frac_bits.view(np.float32) - np.float32(1)).astype(np.float32)
    round_bit = _round2int(frac, rounding).astype(np.int64).astype(np.uint32)
    man2 = ((man >> np.uint32(23 - mantissa)) + round_bit) << np.uint32(23 - mantissa)
    normal = (sign + man2 + exp).astype(np.uint32).view(np.float32)
    normal = np.clip(normal, np.float32(clip_min), np.float32(clip_max)).astype(np.float32)
    # subnormal branch
    min_sub = np.float32(1.0 / (1 << ((1 << (exponent - 1)) + mantissa - 2)))
    sub = (_round2int((u / min_sub).astype(np.float32), rounding) * np.float64(min_sub)).astype(np.float32)
    unbiased = (exp >> np.uint32(23)).astype(np.int64) - 127
    q = np.where(unbiased < exponent_min + 1, sub, normal)
    q = np.where(u < lo, lo, q)
    q = np.where(u > hi, hi, q)
    return ((q - offset) * scale).astype(np.float32)


def apply_fp8_python_kernel():
    import torch
    from ppq.core import QuantizationProperty, QuantizationStates
    import ppq.quantization.qfunction as qf
    import ppq.quantization.qfunction.floating as fl

    def run(tensor, config):
        if not QuantizationStates.is_activated(config.state):
            return tensor
        if not config.policy.has_property(QuantizationProperty.FLOATING):
            raise ValueError('PPQFloatingQuantFunction (python) expects a floating TQC')
        x = tensor.detach().cpu().numpy().astype(np.float32)
        s = config.scale.detach().cpu().numpy().astype(np.float32).reshape(-1)
        o = config.offset.detach().cpu().numpy().astype(np.float32).reshape(-1)
        if config.policy.has_property(QuantizationProperty.PER_CHANNEL):
            shape = [1] * x.ndim
            shape[config.channel_axis] = -1
            s, o = s.reshape(shape), o.reshape(shape)
        else:
            s, o = s.reshape([]), o.reshape([])
        y = quantize_scalar_floating(x, s, o, config.exponent_bits, config.mantissa_bits,
                                     float(config.quant_min), float(config.quant_max), config.rounding.value)
        out = torch.from_numpy(np.array(y, dtype=np.float32).reshape(x.shape)).to(tensor.device)
        # straight-through, as the CUDA Function's backward
        return tensor + (out - tensor).detach() if tensor.requires_grad else out

    fl.PPQFloatingQuantFunction = run
    qf.PPQFloatingQuantFunction = run


def apply_reduce_axes_input():
    import torch
    from ppq.executor.op.torch import default

    def reduce_mean(op, values, ctx=None, **kwargs):
        x = values[0]
        if len(values) > 1 and values[1] is not None and values[1].numel() > 0:
            dim = [int(a) for a in values[1].flatten().tolist()]
        else:
            dim = op.attributes.get('axes', None)
        keepdim = bool(op.attributes.get('keepdims', 1))
        if dim is None:
            out = torch.mean(x)
            return out.reshape([1] * x.dim()) if keepdim else out
        return torch.mean(x, dim=dim, keepdim=keepdim)

    try:
        from ppq.executor.base import OPERATION_FORWARD_TABLE as tables  # 0.6.6
    except ImportError:
        from ppq.executor.base import GLOBAL_DISPATCHING_TABLE as tables  # 0.6.5.1
    default.ReduceMean_forward = reduce_mean
    for table in tables.values():
        if 'ReduceMean' in table:
            table['ReduceMean'] = reduce_mean
