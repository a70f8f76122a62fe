//! FP8 (FLOATING) fake-quant in scalar form (spec §4.3).
