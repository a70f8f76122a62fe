//! The native command-line tool `ppq-playground`. It parses arguments and prints what the core reports;
//! exit codes: 0 success, 1 bad input (an `error: …` line), 2 usage error (clap's own).

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// PPQ Playground on the command line: the same quantization core as the browser playground.
#[derive(Debug, Parser)]
#[command(name = "ppq-playground", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the core self-check (the status line the web page shows) and print it.
    Selfcheck,
    /// Print PPQ's 12 quantization states and what they mean in both state models.
    States,
}

/// Runs the CLI with the process arguments.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match cli.command {
        None | Some(Command::Selfcheck) => println!("{}", crate::front::status::status_line()),
        Some(Command::States) => print_states(),
    }
    ExitCode::SUCCESS
}

fn print_states() {
    use crate::core::state::state_table;
    println!("{:<14} {:>6} {:>6}  {:<13} meaning", "state", "0.6.6", "0.6.5", "in 0.6.6");
    for row in state_table() {
        println!(
            "{:<14} {:>6} {:>6}  {:<13} {}",
            row.state.name(),
            row.value_066,
            row.value_065,
            row.maps_to_066.name(),
            row.meaning
        );
    }
}
