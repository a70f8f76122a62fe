//! The pass-by-pass progress bar of `quantize` on stderr (indicatif), fed by the same per-pass steps the
//! page's worker reports as `Progress`. Hidden when stderr is not a terminal, so scripts and tests see only
//! the per-pass lines on stdout.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::time::Duration;

/// A bar over the pipeline's passes.
pub struct PassBar {
    bar: ProgressBar,
}

impl PassBar {
    /// A bar of `passes` steps on stderr, or a hidden one when stderr is not a terminal.
    pub fn new(passes: usize) -> Self {
        let len = u64::try_from(passes).unwrap_or(u64::MAX);
        let bar = if std::io::stderr().is_terminal() { ProgressBar::new(len) } else { ProgressBar::hidden() };
        if let Ok(style) = ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}") {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(120));
        Self { bar }
    }

    /// Shows `pass` as running after `done` finished passes.
    pub fn start(&self, done: usize, pass: &str) {
        self.bar.set_position(u64::try_from(done).unwrap_or(u64::MAX));
        self.bar.set_message(pass.to_string());
    }

    /// Prints a line on stdout without tearing the bar (a closed stdout, e.g. `| head`, is not an error).
    pub fn println(&self, line: &str) {
        self.bar.suspend(|| {
            let _ = writeln!(std::io::stdout(), "{line}");
        });
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
