//! Compiles the vendored `proto/onnx.proto` into Rust types with prost.
//! protox parses the schema in pure Rust, so no `protoc` binary is needed on any machine.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto/onnx.proto");
    let descriptors = protox::compile(["proto/onnx.proto"], ["proto"])?;
    prost_build::Config::new().compile_fds(descriptors)?;
    Ok(())
}
