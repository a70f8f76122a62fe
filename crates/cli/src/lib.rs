//! The native command-line tool `ppq-playground`. It parses arguments and prints what the core reports;
//! exit codes: 0 success, 1 bad input (an `error: …` line on stderr), 2 usage error (clap's own).
//! Native only: on wasm32 the crate is empty (the page has no command line).
#![cfg(not(target_arch = "wasm32"))]

mod analyse;
mod commands;
pub mod inspect;
mod progress;
mod run;
pub mod settings_args;

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// PPQ Playground on the command line: the same quantization core as the browser playground.
#[derive(Debug, Parser)]
#[command(name = "ppq-playground", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Most MiB of tensors a run may hold at once (activations, folded constants, copies); an op whose output
    /// would go over it is refused with its name before it allocates. Default: 2048 (the page derives its own
    /// from the wasm memory it can still grow).
    #[arg(long, global = true, value_name = "MIB", value_parser = clap::value_parser!(u64).range(1..=1 << 40))]
    pub memory_budget: Option<u64>,
    /// Most elementary steps (multiply-adds, window reads) one op may take before it is refused. Default: 2^33.
    #[arg(long, global = true, value_name = "STEPS", value_parser = clap::value_parser!(u64).range(1..))]
    pub op_cost: Option<u64>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the core self-check (the status line the web page shows) and print it.
    Selfcheck,
    /// Print PPQ's 12 quantization states and what they mean in both state models.
    States,
    /// Summarise an ONNX model: op types, variables, opsets, inputs/outputs, unsupported ops, parameters.
    Inspect {
        /// The ONNX model.
        model: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Quantize a model like PPQ's `quantize_onnx_model` and write every export into a directory.
    Quantize {
        /// Model, calibration data and pipeline options.
        #[command(flatten)]
        run: PipelineArgs,
        /// Output directory (created if needed).
        #[arg(long)]
        out: PathBuf,
    },
    /// Quantize a model, then print the per-op sensitivity ranking (the output error when only that op is
    /// kept in float) and the per-layer SNR against the fp32 graph.
    Analyse {
        /// Model, calibration data and pipeline options.
        #[command(flatten)]
        run: PipelineArgs,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Run a model on inputs from a `.npy`: fp32, or with `--quantized DIR` the fake-quant simulation of a
    /// `quantize` output folder (its `tqc.json`, and the parameters of its `model.baked.onnx`).
    Run(run::RunArgs),
    /// Write the exports of an existing quantization: the model plus its `tqc.json` records.
    Export {
        /// The ONNX model (original; it is formatted like PPQ 0.6.6 before export).
        model: PathBuf,
        /// The `tqc.json` records (e.g. one of the reference runs).
        #[arg(long)]
        tqc: PathBuf,
        /// Output directory (created if needed).
        #[arg(long)]
        out: PathBuf,
    },
}

/// What `quantize` and `analyse` need to run the pipeline.
#[derive(Debug, Clone, Args)]
pub struct PipelineArgs {
    /// The ONNX model.
    pub model: PathBuf,
    /// Calibration data: `.npy` [N, ...], `.npz`, calibration JSON or a folder of images; the samples are
    /// cycled until `--steps` batches are fed.
    #[arg(long)]
    pub calib: PathBuf,
    /// The run's settings: one flag per option of the session's table.
    #[command(flatten)]
    pub settings: settings_args::SettingsArgs,
    /// Image folders: resize every image to H,W (bilinear) before normalising.
    #[arg(long, value_name = "H,W", value_delimiter = ',', num_args = 1)]
    pub image_size: Option<Vec<usize>>,
    /// Image folders: per-channel mean subtracted from pixel values in [0, 255] (one value or one per channel).
    #[arg(long, value_name = "M[,M…]", value_delimiter = ',', allow_negative_numbers = true)]
    pub mean: Option<Vec<f32>>,
    /// Image folders: per-channel divisor applied after the mean (one value or one per channel).
    #[arg(long, value_name = "S[,S…]", value_delimiter = ',')]
    pub std: Option<Vec<f32>>,
    /// Image folders: channel order of the model input.
    #[arg(long, value_enum, default_value = "rgb")]
    pub channel_order: ChannelOrderArg,
}

/// Channel order of images fed to the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ChannelOrderArg {
    /// Red, green, blue.
    Rgb,
    /// Blue, green, red (OpenCV-trained models).
    Bgr,
}

/// Runs the CLI with the process arguments.
pub fn main() -> ExitCode {
    die_quietly_on_closed_pipe();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let defaults = ppq_graph::budget::Budget::default();
    ppq_graph::budget::set_budget(ppq_graph::budget::Budget {
        memory_bytes: cli.memory_budget.map_or(defaults.memory_bytes, |m| m.saturating_mul(1 << 20)),
        op_cost: cli.op_cost.unwrap_or(defaults.op_cost),
    });
    match commands::run(cli.command.unwrap_or(Command::Selfcheck)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// `ppq-playground states | head -1` closes stdout early. Rust ignores SIGPIPE, which turns that into a panic
/// inside `println!`; restoring the default action makes the CLI end silently like other Unix filters.
fn die_quietly_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in `main`, before any thread exists; SIG_DFL is a valid action for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
