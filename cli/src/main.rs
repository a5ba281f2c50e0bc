//! `talkjs`: a command line for operating a TalkJS app, on top of the
//! `talkjs` SDK. `talkjs --help` lists the commands and the exit codes;
//! the crate's README has examples.

// Output goes through `output` (stdout: a closed pipe is success; stderr:
// never a panic), not through the print macros that panic on a closed pipe.
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod args;
mod commands;
mod convert;
mod credentials;
mod failure;
mod interrupt;
mod jsonl;
mod output;
mod progress;
mod records;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

fn main() -> ExitCode {
    // The `api` subcommands come from the spec, so they are added to the
    // derived command tree here; clap exits with 2 on a usage error.
    let command = args::Cli::command().mut_subcommand("api", |api| {
        api.subcommands(commands::api::subcommands())
            .subcommand_required(true)
            .arg_required_else_help(true)
    });
    let matches = command.get_matches();
    let cli = args::Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            output::note(format_args!("error: cannot start the async runtime: {e}"));
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli, &matches)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            output::note(format_args!("error: {failure}"));
            ExitCode::from(failure.code)
        }
    }
}
