//! `TensorQuantizationConfig` (TQC) and its sharing relations (spec §3). Filled in by the core work.
