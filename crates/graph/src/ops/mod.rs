//! The executor's op kernels: pure functions from input tensors and attributes to output tensors, on ndarray.
//! The executor knows nothing of individual ops; it calls [`run_op`], and the UI/CLI can ask
//! [`supported_ops`] which op types of a model will run before running it.
//!
//! Every kernel checks shapes, dtypes and attributes and reports problems as a [`GraphError`] naming the op
//! (`attrs.op`), because the models come from users: no kernel may panic on a malformed model.

pub mod backward;
mod cast;
mod conv;
mod elementwise;
mod gemm;
mod indexing;
mod norm;
mod norm_extra;
mod numeric;
mod pool;
mod quant;
mod reduce;
mod resize;
mod shape;
mod slicing;
mod softmax;
mod unary;

/// A value declared float16/bfloat16 (a graph output of such a model), rounded to that format: the f32 the
/// executor computes is what the model would store after its final rounding.
pub(crate) fn round_to_declared(dtype: Option<i32>, t: Tensor) -> Tensor {
    match (dtype, t) {
        (Some(10), Tensor::F32(a)) => Tensor::F32(a.mapv(|v| half::f16::from_f32(v).to_f32())),
        (Some(16), Tensor::F32(a)) => Tensor::F32(a.mapv(|v| half::bf16::from_f32(v).to_f32())),
        (_, t) => t,
    }
}

/// The element type code a declared ONNX type is stored as here (float16/bfloat16/float64 → float32).
pub(crate) fn storage_code(code: i32) -> i32 {
    if matches!(code, 10 | 11 | 16) { 1 } else { code }
}

use super::{Attributes, GraphError, Tensor, budget, checked};
use ndarray::ArrayD;
use std::cell::Cell;

/// The ONNX op types [`run_op`] implements (default domain), sorted.
const SUPPORTED: &[&str] = &[
    "Abs",
    "Acos",
    "Acosh",
    "Add",
    "And",
    "ArgMax",
    "ArgMin",
    "Asin",
    "Asinh",
    "Atan",
    "Atanh",
    "AveragePool",
    "BatchNormalization",
    "BitShift",
    "Cast",
    "CastLike",
    "Ceil",
    "Celu",
    "Clip",
    "Concat",
    "Constant",
    "ConstantOfShape",
    "Conv",
    "ConvTranspose",
    "Cos",
    "Cosh",
    "CumSum",
    "DepthToSpace",
    "DequantizeLinear",
    "Div",
    "Dropout",
    "Elu",
    "Equal",
    "Erf",
    "Exp",
    "Expand",
    "EyeLike",
    "Flatten",
    "Floor",
    "Gather",
    "GatherElements",
    "GatherND",
    "Gelu",
    "Gemm",
    "GlobalAveragePool",
    "GlobalMaxPool",
    "Greater",
    "GreaterOrEqual",
    "GroupNormalization",
    "HardSigmoid",
    "HardSwish",
    "Hardmax",
    "Identity",
    "InstanceNormalization",
    "IsInf",
    "IsNaN",
    "LRN",
    "LayerNormalization",
    "LeakyRelu",
    "Less",
    "LessOrEqual",
    "Log",
    "LogSoftmax",
    "LpNormalization",
    "MatMul",
    "Max",
    "MaxPool",
    "Mean",
    "Min",
    "Mish",
    "Mod",
    "Mul",
    "Neg",
    "Not",
    "OneHot",
    "Or",
    "PRelu",
    "Pad",
    "Pow",
    "QuantizeLinear",
    "Range",
    "Reciprocal",
    "ReduceL1",
    "ReduceL2",
    "ReduceLogSum",
    "ReduceLogSumExp",
    "ReduceMax",
    "ReduceMean",
    "ReduceMin",
    "ReduceProd",
    "ReduceSum",
    "ReduceSumSquare",
    "Relu",
    "Reshape",
    "Resize",
    "Round",
    "Scatter",
    "ScatterElements",
    "ScatterND",
    "Selu",
    "Shape",
    "Shrink",
    "Sigmoid",
    "Sign",
    "Sin",
    "Sinh",
    "Size",
    "Slice",
    "Softmax",
    "Softplus",
    "Softsign",
    "SpaceToDepth",
    "Split",
    "Sqrt",
    "Squeeze",
    "Sub",
    "Sum",
    "Tan",
    "Tanh",
    "ThresholdedRelu",
    "Tile",
    "TopK",
    "Transpose",
    "Trilu",
    "Unsqueeze",
    "Where",
    "Xor",
];

/// The op types [`run_op`] can execute, so a front end can list a model's unsupported ops up front
/// instead of failing halfway through a run.
pub fn supported_ops() -> &'static [&'static str] {
    SUPPORTED
}

/// Runs one ONNX op. `inputs` holds `None` for omitted optional inputs (empty names in ONNX).
/// Returns the op's outputs in order, or an error naming the op (`attrs.op`).
///
/// The opset version is not passed in, so version-dependent forms are told apart by what is present:
/// e.g. Clip's bounds, Unsqueeze's/Squeeze's/Reduce*'s axes and Split's sizes are read from the attribute
/// when it exists and from the input otherwise. Split without sizes needs `num_outputs` (the executor can set
/// it from the node's output count).
pub fn run_op(op_type: &str, inputs: &[Option<&Tensor>], attrs: &Attributes) -> Result<Vec<Tensor>, GraphError> {
    let one = |t: Tensor| Ok(vec![t]);
    match op_type {
        "Add" | "Sub" | "Mul" | "Div" => match (input(inputs, 0, attrs)?, input(inputs, 1, attrs)?) {
            (a @ (Tensor::F32(_) | Tensor::I64(_) | Tensor::I32(_)), b) if a.onnx_dtype() == b.onnx_dtype() => {
                one(elementwise::binary(op_type, inputs, attrs)?)
            }
            (a, b) => one(numeric::binary(op_type, a, b, attrs)?),
        },
        "Mod" => one(numeric::binary(op_type, input(inputs, 0, attrs)?, input(inputs, 1, attrs)?, attrs)?),
        "Max" | "Min" | "Mean" => one(numeric::variadic(op_type, inputs, attrs)?),
        "Pow" => one(numeric::pow(inputs, attrs)?),
        "Equal" | "Less" | "Greater" | "LessOrEqual" | "GreaterOrEqual" => {
            one(numeric::compare(op_type, inputs, attrs)?)
        }
        "And" | "Or" | "Xor" | "Not" => one(numeric::logical(op_type, inputs, attrs)?),
        "Where" => one(numeric::where_op(inputs, attrs)?),
        "Abs" | "Neg" | "Sign" => one(numeric::signed_unary(op_type, input(inputs, 0, attrs)?, attrs)?),
        "BitShift" => one(numeric::bit_shift(inputs, attrs)?),
        "Range" => one(numeric::range(inputs, attrs)?),
        "Shrink" => one(unary::shrink(inputs, attrs)?),
        "IsNaN" | "IsInf" => one(unary::float_predicate(op_type, inputs, attrs)?),
        t if unary::OPS.contains(&t) => one(unary::unary(op_type, inputs, attrs)?),
        "CastLike" => one(cast::cast_like(inputs, attrs)?),
        "Size" => {
            let n = i64::try_from(input(inputs, 0, attrs)?.len())
                .map_err(|_| GraphError::shape(&attrs.op, "too many elements"))?;
            one(Tensor::I64(ndarray::arr0(n).into_dyn()))
        }
        "Relu" | "Sigmoid" | "Tanh" | "LeakyRelu" | "HardSigmoid" | "HardSwish" | "Erf" | "Gelu" => {
            one(elementwise::unary(op_type, inputs, attrs)?)
        }
        "Clip" => one(elementwise::clip(inputs, attrs)?),
        "PRelu" => one(elementwise::prelu(inputs, attrs)?),
        "Conv" => one(conv::conv(inputs, attrs)?),
        "ConvTranspose" => one(conv::conv_transpose(inputs, attrs)?),
        "Gemm" => one(gemm::gemm(inputs, attrs)?),
        "MatMul" => one(gemm::matmul(inputs, attrs)?),
        "Softmax" | "LogSoftmax" | "Hardmax" => one(softmax::softmax_family(op_type, inputs, attrs)?),
        "LayerNormalization" => norm::layer_norm(inputs, attrs),
        "InstanceNormalization" => one(norm_extra::instance_norm(inputs, attrs)?),
        "GroupNormalization" => one(norm_extra::group_norm(inputs, attrs)?),
        "LpNormalization" => one(norm_extra::lp_norm(inputs, attrs)?),
        "LRN" => one(norm_extra::lrn(inputs, attrs)?),
        "SpaceToDepth" | "DepthToSpace" => one(norm_extra::space_depth(op_type, inputs, attrs)?),
        "ArgMax" | "ArgMin" => one(indexing::arg_extreme(op_type, inputs, attrs)?),
        "TopK" => indexing::top_k(inputs, attrs),
        "GatherElements" => one(indexing::gather_elements(inputs, attrs)?),
        "GatherND" => one(indexing::gather_nd(inputs, attrs)?),
        "ScatterElements" | "Scatter" => one(indexing::scatter_elements(inputs, attrs)?),
        "ScatterND" => one(indexing::scatter_nd(inputs, attrs)?),
        "Trilu" => one(indexing::trilu(inputs, attrs)?),
        "EyeLike" => one(indexing::eye_like(inputs, attrs)?),
        "Tile" => one(indexing::tile(inputs, attrs)?),
        "OneHot" => one(indexing::one_hot(inputs, attrs)?),
        "CumSum" => one(indexing::cum_sum(inputs, attrs)?),
        "BatchNormalization" => one(norm::batch_norm(inputs, attrs)?),
        "MaxPool" | "AveragePool" => one(pool::pool(op_type == "MaxPool", inputs, attrs)?),
        "GlobalAveragePool" | "GlobalMaxPool" => one(pool::global_pool(op_type == "GlobalMaxPool", inputs, attrs)?),
        "Flatten" => one(shape::flatten(inputs, attrs)?),
        "Reshape" => one(shape::reshape(inputs, attrs)?),
        "Transpose" => one(shape::transpose(inputs, attrs)?),
        "Squeeze" => one(shape::squeeze(inputs, attrs)?),
        "Unsqueeze" => one(shape::unsqueeze(inputs, attrs)?),
        "Shape" => one(shape::shape_of(inputs, attrs)?),
        "ConstantOfShape" => one(shape::constant_of_shape(inputs, attrs)?),
        "Constant" => one(shape::constant(attrs)?),
        "Identity" => one(input(inputs, 0, attrs)?.clone()),
        // inference: Dropout passes its input through (the optional mask output is all true)
        "Dropout" => {
            let x = input(inputs, 0, attrs)?.clone();
            let mask = Tensor::Bool(ndarray::ArrayD::from_elem(ndarray::IxDyn(x.shape()), true));
            Ok(vec![x, mask])
        }
        // Sum of n inputs with broadcasting, folded pairwise like Add
        "Sum" => one(numeric::variadic(op_type, inputs, attrs)?),
        "Cast" => one(cast::cast(inputs, attrs)?),
        "Expand" => one(shape::expand(inputs, attrs)?),
        "Concat" => one(slicing::concat(inputs, attrs)?),
        "Split" => slicing::split(inputs, attrs),
        "Slice" => one(slicing::slice(inputs, attrs)?),
        "Gather" => one(slicing::gather(inputs, attrs)?),
        "Pad" => one(slicing::pad(inputs, attrs)?),
        "Resize" => one(resize::resize(inputs, attrs)?),
        t if reduce::OPS.contains(&t) => one(reduce::reduce(op_type, inputs, attrs)?),
        "QuantizeLinear" => one(quant::quantize(inputs, attrs)?),
        "DequantizeLinear" => one(quant::dequantize(inputs, attrs)?),
        _ => Err(GraphError::UnsupportedOp { op: attrs.op.clone(), op_type: op_type.to_string() }),
    }
}

/// Applies `$body` to the array inside any [`Tensor`] variant and rewraps the result in the same variant,
/// so dtype-agnostic ops (reshape, slice, gather …) are written once.
macro_rules! map_any {
    ($t:expr, $a:ident => $body:expr) => {
        match $t {
            Tensor::F32($a) => Tensor::F32($body),
            Tensor::I64($a) => Tensor::I64($body),
            Tensor::I32($a) => Tensor::I32($body),
            Tensor::I8($a) => Tensor::I8($body),
            Tensor::U8($a) => Tensor::U8($body),
            Tensor::Bool($a) => Tensor::Bool($body),
            Tensor::I16($a) => Tensor::I16($body),
            Tensor::U16($a) => Tensor::U16($body),
            Tensor::U32($a) => Tensor::U32($body),
            Tensor::U64($a) => Tensor::U64($body),
        }
    };
}
pub(crate) use map_any;

/// Input `i`, required.
fn input<'a>(inputs: &[Option<&'a Tensor>], i: usize, attrs: &Attributes) -> Result<&'a Tensor, GraphError> {
    inputs
        .get(i)
        .copied()
        .flatten()
        .ok_or_else(|| GraphError::shape(&attrs.op, format!("required input #{i} is missing")))
}

/// Input `i` when present and non-empty-named (ONNX's way of omitting an optional input).
fn opt_input<'a>(inputs: &[Option<&'a Tensor>], i: usize) -> Option<&'a Tensor> {
    inputs.get(i).copied().flatten()
}

/// Input `i` as float32, required.
fn f32_input<'a>(inputs: &[Option<&'a Tensor>], i: usize, attrs: &Attributes) -> Result<&'a ArrayD<f32>, GraphError> {
    input(inputs, i, attrs)?.as_f32(&attrs.op)
}

/// Resolves a possibly negative `axis` against `rank` (ONNX counts negative axes from the back).
fn norm_axis(axis: i64, rank: usize, attrs: &Attributes) -> Result<usize, GraphError> {
    let r = i64::try_from(rank).unwrap_or(i64::MAX);
    let a = if axis < 0 { axis.saturating_add(r) } else { axis };
    if (0..r).contains(&a) {
        usize::try_from(a).map_err(|_| GraphError::shape(&attrs.op, format!("axis {axis} is out of range")))
    } else {
        Err(GraphError::shape(&attrs.op, format!("axis {axis} is out of range for rank {rank}")))
    }
}

/// Numpy (multidirectional) broadcast of two shapes, or an error naming both.
fn broadcast_shapes(a: &[usize], b: &[usize], attrs: &Attributes) -> Result<Vec<usize>, GraphError> {
    let n = a.len().max(b.len());
    let mut out = vec![0; n];
    for (i, o) in out.iter_mut().enumerate() {
        let da = if i + a.len() >= n { a[i + a.len() - n] } else { 1 };
        let db = if i + b.len() >= n { b[i + b.len() - n] } else { 1 };
        *o = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => {
                return Err(GraphError::shape(
                    &attrs.op,
                    format!("shapes {a:?} and {b:?} cannot be broadcast together"),
                ));
            }
        };
    }
    // [n, 1] with [1, m] is n·m elements: bound it before any kernel allocates it.
    element_count(&out, attrs)?;
    Ok(out)
}

/// The most elements one op output may have (2^28 f32 = 1 GiB): user-supplied shapes must not abort the process
/// (or the browser tab) with an allocation failure or an overflowing product.
const MAX_ELEMENTS: usize = 1 << 28;

/// Largest stride, dilation, pad or kernel extent accepted, so window arithmetic cannot overflow.
pub(crate) const MAX_WINDOW_PARAM: i64 = 1 << 20;

/// The element count of an output of `shape` about to be allocated, or [`GraphError::TooLarge`] when it exceeds
/// [`MAX_ELEMENTS`] or the run's memory budget ([`budget::check_alloc`], at [`budget::ELEMENT_BYTES`] per
/// element). Zero dims do not hide the others: ndarray refuses (panics on) shapes whose non-zero axes overflow,
/// e.g. `[0, 2^40, 2^40]`.
fn element_count(shape: &[usize], attrs: &Attributes) -> Result<usize, GraphError> {
    let limit = ELEMENT_LIMIT.with(Cell::get) as u64;
    if checked::nonzero_product(shape).is_none_or(|n| n > limit) {
        return Err(GraphError::TooLarge(format!("op '{}': output shape {shape:?} is too large", attrs.op)));
    }
    let n = checked::product(shape).unwrap_or(u64::MAX);
    budget::check_alloc(&attrs.op, &format!("output {shape:?}"), n.checked_mul(budget::ELEMENT_BYTES))?;
    // n ≤ MAX_ELEMENTS, which fits usize on every target
    Ok(shape.iter().product())
}

thread_local! {
    /// The output cap [`element_count`] enforces: [`MAX_ELEMENTS`], lowered by [`with_element_limit`].
    static ELEMENT_LIMIT: Cell<usize> = const { Cell::new(MAX_ELEMENTS) };
}

/// Runs `f` with op outputs capped at `limit` elements (at most [`MAX_ELEMENTS`]), so the validator's dry runs
/// stay cheap: an op that would build a big tensor fails fast with [`GraphError::TooLarge`] instead.
pub(crate) fn with_element_limit<T>(limit: usize, f: impl FnOnce() -> T) -> T {
    let old = ELEMENT_LIMIT.with(|l| l.replace(limit.min(MAX_ELEMENTS)));
    let out = f();
    ELEMENT_LIMIT.with(|l| l.set(old));
    out
}

/// True when the product of the non-zero dims of `shape` is at most [`MAX_ELEMENTS`] — the check to make before
/// any ndarray allocation from user-derived dims.
pub fn shape_fits(shape: &[usize]) -> bool {
    checked::nonzero_product(shape).is_some_and(|n| n <= MAX_ELEMENTS as u64)
}

/// Converts a shape-like i64 list to dimensions, rejecting negatives and oversized shapes.
fn to_dims(v: &[i64], what: &str, attrs: &Attributes) -> Result<Vec<usize>, GraphError> {
    if let Some(&d) = v.iter().find(|&&d| d < 0) {
        return Err(GraphError::shape(&attrs.op, format!("{what} has a negative value {d}")));
    }
    // Checked before converting: on wasm32 a dim of 2^32 would otherwise wrap to 0.
    if v.iter().any(|&d| d > checked::MAX_USER_SIZE) {
        return Err(GraphError::TooLarge(format!("op '{}': {what} {v:?} is too large", attrs.op)));
    }
    let dims = checked::to_usizes(v, &attrs.op, what)?;
    element_count(&dims, attrs)?;
    Ok(dims)
}

/// Output spatial sizes of a Conv/pool window over `input` (1 or 2 spatial axes, lifted to two, a 1-D op has
/// a leading unit axis), with the kernels' own attribute parsing, so the validator's shape inference agrees
/// with execution exactly.
pub(crate) fn window_output(
    attrs: &Attributes,
    spatial: usize,
    kernel: [usize; 2],
    input: [usize; 2],
    ceil: bool,
) -> Result<[usize; 2], GraphError> {
    let w = conv::window(attrs, spatial, kernel, input, true)?;
    Ok([conv::out_len(&w, 0, input[0], ceil, attrs)?, conv::out_len(&w, 1, input[1], ceil, attrs)?])
}

/// The most elements one tensor may have anywhere in the graph layer (op outputs, inferred shapes).
pub const MAX_TENSOR_ELEMENTS: usize = MAX_ELEMENTS;

#[cfg(test)]
mod tests;
