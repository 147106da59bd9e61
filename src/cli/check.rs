//! `netpc check [PATH...]`: compile a program (parse, resolve, check and plan, as
//! `netpc build` would, without writing anything), print its diagnostics, and exit 0
//! (no error), 1 (errors) or 2 (the files could not be read).

use std::path::PathBuf;
use std::process::ExitCode;

use super::DiagnosticArgs;
use super::program::{compile, report};

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  netpc check netp                          check the program in netp/
  netpc check netp --message-format github  annotations on a pull request
  netpc check netp --message-format sarif > netpc.sarif")]
pub struct CheckArgs {
    /// `.netp` files, or folders searched recursively for them (default `.`)
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub program: super::ProgramArgs,
    #[command(flatten)]
    pub diagnostics: DiagnosticArgs,
}

pub fn run(args: &CheckArgs) -> ExitCode {
    match compile(
        &args.paths,
        &args.program,
        crate::compile::Options::default(),
    ) {
        Ok(mut compiled) => report(
            &compiled.sources,
            &mut compiled.diagnostics,
            args.diagnostics,
        ),
        Err(status) => status,
    }
}
