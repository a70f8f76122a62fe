//! One run's budget: how much memory its tensors may hold and how much work one op may do.
//!
//! The page runs on one thread with a fixed wasm memory: a model that asks for more than that traps the
//! instance, and one whose op does 10^11 window reads freezes it, with no message either way. So every place that
//! allocates from user-derived sizes (op outputs, constant folding, broadcast copies, per-consumer parameter
//! copies, the inputs a hook copies) asks [`check_alloc`] first, and every op whose work is not bounded by its
//! output size (Conv, ConvTranspose, Gemm, MatMul, the pools) asks [`check_cost`] before running. Both fail with
//! [`GraphError::TooLarge`] naming the op, what it needed and the budget.
//!
//! The budget is per thread (the page's worker, the CLI's main thread), set with [`set_budget`] /
//! [`set_memory_budget`]; the page derives the memory budget from its wasm memory limit, the CLI takes the
//! defaults ([`DEFAULT_MEMORY_BYTES`], [`DEFAULT_OP_COST`]). The executor tells the budget how many bytes of
//! activations are live ([`LiveBytes`]), so an output is checked against what is actually left.

use super::error::GraphError;
use super::tensor::Tensor;
use std::cell::Cell;

/// Default memory budget of a run: 2 GiB of tensors.
pub const DEFAULT_MEMORY_BYTES: u64 = 2 << 30;
/// Default work bound of one op: 2^33 elementary steps (multiply-adds, window reads), some seconds natively
/// and in wasm; ResNet-50's largest Conv needs about 2^27.
pub const DEFAULT_OP_COST: u64 = 1 << 33;
/// Bytes per element assumed when a size is checked before the element type is known (float32 activations).
pub const ELEMENT_BYTES: u64 = 4;

/// The limits of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Most bytes of tensors alive at once (activations, copies, folded constants).
    pub memory_bytes: u64,
    /// Most elementary steps one op may take.
    pub op_cost: u64,
}

impl Default for Budget {
    fn default() -> Self {
        Self { memory_bytes: DEFAULT_MEMORY_BYTES, op_cost: DEFAULT_OP_COST }
    }
}

thread_local! {
    static BUDGET: Cell<Budget> = Cell::new(Budget::default());
    /// Bytes of activations the running executor holds (0 outside a run).
    static LIVE: Cell<u64> = const { Cell::new(0) };
}

/// The budget in force on this thread.
pub fn budget() -> Budget {
    BUDGET.with(Cell::get)
}

/// Sets this thread's budget (the page: from its wasm memory limit; tests: small values).
pub fn set_budget(b: Budget) {
    BUDGET.with(|c| c.set(b));
}

/// Sets only the memory part of this thread's budget.
pub fn set_memory_budget(bytes: u64) {
    set_budget(Budget { memory_bytes: bytes, ..budget() });
}

/// Runs `f` with budget `b`, restoring the previous one afterwards (tests, the validator's dry runs).
pub fn with_budget<T>(b: Budget, f: impl FnOnce() -> T) -> T {
    let old = BUDGET.with(|c| c.replace(b));
    let out = f();
    set_budget(old);
    out
}

/// Bytes held by a tensor.
pub fn nbytes(t: &Tensor) -> u64 {
    let width = match t {
        Tensor::F32(_) | Tensor::I32(_) | Tensor::U32(_) => 4,
        Tensor::I64(_) | Tensor::U64(_) => 8,
        Tensor::I16(_) | Tensor::U16(_) => 2,
        Tensor::I8(_) | Tensor::U8(_) | Tensor::Bool(_) => 1,
    };
    u64::try_from(t.len()).unwrap_or(u64::MAX).saturating_mul(width)
}

/// A byte count for messages: bytes below 1 MiB, MiB above.
fn mib(b: u64) -> String {
    if b < 1 << 20 { format!("{b} bytes") } else { format!("{:.1} MiB", b as f64 / f64::from(1 << 20)) }
}

/// Checks that `bytes` more fit the memory budget next to what is live; `what` says what would be allocated
/// (e.g. "output [1, 3, 4096, 4096]"). `bytes = None` means the size overflowed.
pub fn check_alloc(op: &str, what: &str, bytes: Option<u64>) -> Result<(), GraphError> {
    let b = budget();
    let live = LIVE.with(Cell::get);
    match bytes {
        Some(n) if n.saturating_add(live) <= b.memory_bytes => Ok(()),
        _ => Err(GraphError::TooLarge(format!(
            "op '{op}': {what} needs {}, over the memory budget of {} ({} already in use)",
            bytes.map_or_else(|| "more than 2^64 bytes".to_string(), mib),
            mib(b.memory_bytes),
            mib(live)
        ))),
    }
}

/// Checks an op's work (`steps`, `None` when it overflowed) against the per-op bound; `what` names the unit
/// ("multiply-adds", "window reads").
pub fn check_cost(op: &str, what: &str, steps: Option<u64>) -> Result<(), GraphError> {
    let limit = budget().op_cost;
    match steps {
        Some(s) if s <= limit => Ok(()),
        _ => Err(GraphError::TooLarge(format!(
            "op '{op}': {} {what}, over the per-op limit of {limit}; the model is too heavy to run here",
            steps.map_or_else(|| "more than 2^64".to_string(), |s| s.to_string())
        ))),
    }
}

/// The executor's account of live activation bytes, published to [`check_alloc`] while a run lasts and reset
/// when it is dropped (also on an early error return).
#[derive(Debug)]
pub struct LiveBytes {
    bytes: u64,
    outer: u64,
}

impl LiveBytes {
    /// Starts an account on top of whatever an enclosing run already holds.
    pub fn start() -> Self {
        let outer = LIVE.with(Cell::get);
        Self { bytes: 0, outer }
    }

    fn publish(&self) {
        LIVE.with(|c| c.set(self.outer.saturating_add(self.bytes)));
    }

    /// A tensor became live.
    pub fn add(&mut self, t: &Tensor) {
        self.bytes = self.bytes.saturating_add(nbytes(t));
        self.publish();
    }

    /// A tensor was freed.
    pub fn remove(&mut self, t: &Tensor) {
        self.bytes = self.bytes.saturating_sub(nbytes(t));
        self.publish();
    }
}

impl Drop for LiveBytes {
    fn drop(&mut self) {
        LIVE.with(|c| c.set(self.outer));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::ArrayD;

    #[test]
    fn allocations_are_checked_against_what_is_live() {
        let small = Budget { memory_bytes: 1000, op_cost: 10 };
        with_budget(small, || {
            assert!(check_alloc("a", "output", Some(1000)).is_ok());
            let mut live = LiveBytes::start();
            live.add(&Tensor::F32(ArrayD::zeros(ndarray::IxDyn(&[100]))));
            let e = check_alloc("a", "output [200]", Some(800)).unwrap_err().to_string();
            assert!(
                e.contains("op 'a': output [200] needs 800 bytes, over the memory budget of 1000 bytes (400 bytes"),
                "{e}"
            );
            assert!(check_alloc("a", "output", Some(600)).is_ok());
            drop(live);
            assert!(check_alloc("a", "output", Some(1000)).is_ok(), "the account resets when the run ends");
            assert!(check_alloc("a", "output", None).is_err());
            assert!(check_cost("c", "multiply-adds", Some(10)).is_ok());
            let e = check_cost("c", "multiply-adds", Some(11)).unwrap_err().to_string();
            assert!(e.contains("op 'c': 11 multiply-adds, over the per-op limit of 10"), "{e}");
        });
        assert_eq!(budget(), Budget::default());
    }
}
