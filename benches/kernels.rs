//! Criterion benches of the fake-quant kernels (filled in by the core work).
fn main() {}
