//! PPQ's graph formatting before quantization (`ppq/api/interface.py::format_graph`, `ppq/IR/morph.py`; spec
//! §13.2). `load_onnx_graph` always runs it, so op and variable names after formatting are the names users see
//! in PPQ's reports: folded BatchNorms give `<conv>_weight` / `<conv>_bias`, shared parameters are split into
//! `PPQ_Variable_<n>` copies, and so on.

mod cleanup;
mod fusion;
mod rewrite;

use super::GraphError;
use super::ir::BaseGraph;

pub use cleanup::{delete_isolated, remove_identity};
pub use fusion::{fuse_bias_add, fuse_bn, replace_batchnorm_to_conv};
pub use rewrite::{format_clip, format_pad, format_parameter, format_resize, format_slice, remove_constant_input};

/// Which PPQ release's `format_graph` to follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FormatVersion {
    /// 0.6.6 (tag = PyPI): the thirteen steps of §13.2.1.
    #[default]
    V066,
    /// 0.6.5: constant input, BN fusion, parameter split, cast, slice, clip, isolated-op deletion (§13.2.3).
    /// Approximation: BN fusion uses the 0.6.6 code path and split copies use 0.6.6 names (`PPQ_Variable_<n>`,
    /// not `<orig>_<idx>`), and 0.6.5's extra deletion of producer-less non-parameter variables is not done.
    V065,
}

/// Runs PPQ's default formatting steps in the order of `version`.
pub fn format_graph(graph: &mut BaseGraph, version: FormatVersion) -> Result<(), GraphError> {
    match version {
        FormatVersion::V066 => {
            remove_constant_input(graph)?;
            // CONVERT_TO_TENSOR: values are already typed tensors here.
            format_parameter(graph)?;
            fuse_bias_add(graph)?;
            fuse_bn(graph)?;
            replace_batchnorm_to_conv(graph)?;
            // FORMAT_CAST: `to` stays the ONNX element-type code, which is what PPQ's DataType encodes.
            format_slice(graph)?;
            format_clip(graph)?;
            format_pad(graph)?;
            format_resize(graph)?;
            remove_identity(graph)?;
            delete_isolated(graph);
        }
        FormatVersion::V065 => {
            remove_constant_input(graph)?;
            fuse_bn(graph)?;
            format_parameter(graph)?;
            format_slice(graph)?;
            format_clip(graph)?;
            delete_isolated(graph);
        }
    }
    Ok(())
}
