//! Fake-quant kernels: one interface, a scalar oracle and SIMD paths that are bit-identical to it (spec §4.2).
