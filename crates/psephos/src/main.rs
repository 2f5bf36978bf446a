//! The `psephos` command: a thin layer over the library crates.

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod apportion;
mod audit;
mod audit_workflow;
mod cli;
mod commands;
mod demo;
mod export;
mod forensics;
mod ledger;
mod output;
mod pipeline;
mod ranked;
mod rcv;
mod reconcile;
mod report;
mod verify;
mod views;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

/// Exit codes that scripts can rely on (documented in `docs/cli.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Exit {
    /// Everything worked; warnings may have been printed.
    Ok = 0,
    /// The input has errors; every one was reported and nothing was changed.
    InputErrors = 1,
    /// The command line is wrong (clap also exits with 2).
    Usage = 2,
    /// An output file or directory could not be written (unreadable input is an input error).
    Io = 3,
}

/// Writes to standard error, ignoring a closed stream.
pub(crate) fn eprint_lines(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(text.as_bytes());
}

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let exit = match &cli.command {
        cli::Command::Validate(a) => commands::validate(a, cli.quiet),
        cli::Command::Tabulate(a) => commands::tabulate(a, cli.quiet),
        cli::Command::Allocate(a) => commands::allocate(a, cli.quiet),
        cli::Command::Apportion(a) => apportion::apportion(a),
        cli::Command::Rcv(a) => rcv::rcv(a),
        cli::Command::Reconcile(a) => reconcile::reconcile_command(a, cli.quiet),
        cli::Command::Margins(a) => reconcile::margins_command(a, cli.quiet),
        cli::Command::Forensics(a) => forensics::forensics(a, cli.quiet),
        cli::Command::Audit(c) => audit::audit(c),
        cli::Command::Export(a) => export::export(a, cli.quiet),
        cli::Command::Ledger(c) => ledger::ledger(c, cli.quiet),
        cli::Command::Verify(a) => verify::verify_command(a, cli.quiet),
        cli::Command::Report(a) => report::report(a, cli.quiet),
        cli::Command::Init(a) => commands::init(a),
        cli::Command::Demo(a) => demo::demo(a, cli.quiet),
    };
    ExitCode::from(exit as u8)
}
