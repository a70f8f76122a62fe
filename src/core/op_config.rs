//! `OperationQuantizationConfig`: the input and output TQCs of one op (spec §3.2).
