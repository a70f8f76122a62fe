//! The three fuzz targets on a 32-bit target: wasm32 under Node (wasm-bindgen-test-runner), where `usize` is 32
//! bits as in the page. cargo-fuzz has no wasm32 backend and no i686 standard library is installed here, so
//! this is a seeded mutational fuzzer, not a coverage-guided one: each execution takes a seed from the
//! malformed-input corpus, applies 1–8 random edits (bit flips, random bytes, interesting integers written
//! over 1/2/4/8 bytes, inserted and deleted runs, splices from another seed) and calls the very body the
//! libFuzzer target runs (`fuzz/bodies/*.rs`). Any panic aborts the test; the panic hook names the target and
//! the execution, and the PRNG is seeded, so `PPQ_WASM_FUZZ_FROM=<n>` replays from that execution.
//!
//! The test command runs a short round (`PPQ_WASM_FUZZ_RUNS`, default 2,000 per target, set at build time);
//! fuzz/README.md records the long runs.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::*;

#[allow(dead_code)]
mod corpus {
    include!("corpus/corpus.rs");
}
use corpus::{CALIB_CASES, MODEL_CASES};

const GOOD_SMALL: &[u8] = include_bytes!("corpus/models/good_small.onnx");

mod onnx_import {
    include!("../fuzz/bodies/onnx_import.rs");
}
mod calib_reader {
    use super::GOOD_SMALL;
    include!("../fuzz/bodies/calib_reader.rs");
}
mod pipeline_small {
    use super::GOOD_SMALL;
    include!("../fuzz/bodies/pipeline_small.rs");
}

/// Executions per target.
fn runs() -> u64 {
    option_env!("PPQ_WASM_FUZZ_RUNS").and_then(|s| s.parse().ok()).unwrap_or(2_000)
}

/// First execution (to replay a reported crash without the runs before it).
fn first() -> u64 {
    option_env!("PPQ_WASM_FUZZ_FROM").and_then(|s| s.parse().ok()).unwrap_or(0)
}

/// xorshift64*, seeded per (target, execution), so one execution can be replayed alone.
struct Rng(u64);

impl Rng {
    fn new(target: u64, exec: u64) -> Self {
        let mut r = Self((target.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ exec.wrapping_mul(0xD1B5_4A32_D192_ED03)) | 1);
        r.next();
        r
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }
}

const INTERESTING: &[u64] = &[
    0,
    1,
    0x7f,
    0x80,
    0xff,
    0x7fff,
    0xffff,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    1 << 32,
    (1 << 32) + 1,
    1 << 40,
    i64::MAX as u64,
    i64::MIN as u64,
    u64::MAX,
];

/// One mutated input from `seeds`.
fn mutate(rng: &mut Rng, seeds: &[&[u8]], max_len: usize) -> Vec<u8> {
    let mut d = seeds[rng.below(seeds.len())].to_vec();
    for _ in 0..1 + rng.below(8) {
        let at = rng.below(d.len().max(1));
        match rng.below(6) {
            0 if !d.is_empty() => d[at] ^= 1 << rng.below(8),
            1 if !d.is_empty() => d[at] = rng.next() as u8,
            2 => {
                let v = INTERESTING[rng.below(INTERESTING.len())].to_le_bytes();
                let w = [1, 2, 4, 8][rng.below(4)];
                for (k, b) in v.iter().take(w).enumerate() {
                    if let Some(x) = d.get_mut(at + k) {
                        *x = *b;
                    }
                }
            }
            3 => {
                let n = 1 + rng.below(16);
                let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                d.splice(at.min(d.len())..at.min(d.len()), bytes);
            }
            4 if !d.is_empty() => {
                let n = (1 + rng.below(16)).min(d.len() - at);
                d.drain(at..at + n);
            }
            _ => {
                let other = seeds[rng.below(seeds.len())];
                if !other.is_empty() {
                    let from = rng.below(other.len());
                    let n = (1 + rng.below(64)).min(other.len() - from);
                    d.splice(at.min(d.len())..at.min(d.len()), other[from..from + n].iter().copied());
                }
            }
        }
    }
    d.truncate(max_len);
    d
}

/// Runs `body` on `runs()` mutations of `seeds`; a panic names the target and execution.
fn fuzz(target: &'static str, id: u64, seeds: &[&[u8]], max_len: usize, body: fn(&[u8])) {
    use std::sync::atomic::{AtomicU64, Ordering};
    static EXEC: AtomicU64 = AtomicU64::new(0);
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let n = EXEC.load(Ordering::Relaxed);
        log_line(&format!("wasm fuzz {target}: execution {n} panicked (replay: PPQ_WASM_FUZZ_FROM={n})"));
        previous(info);
    }));
    let (from, n) = (first(), runs());
    for exec in from..from + n {
        EXEC.store(exec, Ordering::Relaxed);
        let mut rng = Rng::new(id, exec);
        body(&mutate(&mut rng, seeds, max_len));
    }
    console_log!("wasm fuzz {target}: {n} executions from {from}, 0 panics");
}

/// Writes a line to the runner's console (wasm-bindgen-test's `console_log!` needs a literal format string).
fn log_line(s: &str) {
    console_log!("{}", s);
}

#[wasm_bindgen_test]
fn onnx_import_on_wasm32() {
    let seeds: Vec<&[u8]> = MODEL_CASES.iter().map(|c| c.1).filter(|b| b.len() <= 16_384).collect();
    fuzz("onnx_import", 1, &seeds, 16_384, onnx_import::run);
}

#[wasm_bindgen_test]
fn calib_reader_on_wasm32() {
    // Byte 0 picks the reader (even: JSON, odd: .npy; mod 3 for the session readers): seed both.
    let mut owned = Vec::new();
    for c in CALIB_CASES.iter().filter(|c| c.1.len() <= 16_384) {
        let first = if c.0.ends_with(".npy") { [1u8, 3] } else { [0u8, 2] };
        for b in first {
            let mut v = vec![b];
            v.extend_from_slice(c.1);
            owned.push(v);
        }
    }
    let seeds: Vec<&[u8]> = owned.iter().map(Vec::as_slice).collect();
    fuzz("calib_reader", 2, &seeds, 16_384, calib_reader::run);
}

#[wasm_bindgen_test]
fn pipeline_small_on_wasm32() {
    // Its input is a list of 4-byte field edits of good_small.onnx: seed with a few edit lists.
    let seeds: Vec<&[u8]> =
        vec![&[0, 0, 1, 0], &[1, 0, 0, 1, 2, 0, 3, 0], &[3, 1, 4, 0, 0, 2, 0x80, 9], &[7, 0, 13, 0]];
    fuzz("pipeline_small", 3, &seeds, 256, pipeline_small::run);
}
