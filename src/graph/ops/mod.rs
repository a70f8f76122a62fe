//! The executor's op kernels: pure functions from input tensors and attributes to outputs, on ndarray.
