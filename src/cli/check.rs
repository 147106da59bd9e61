//! `netpc check [PATH...]`: load, parse, resolve and check a program, print its
//! diagnostics, and exit 0 (no error), 1 (errors) or 2 (the files could not be read).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use super::{DiagnosticArgs, EXIT_INPUT, MessageFormat, fatal, load_program};
use crate::diagnostic::Diagnostics;
use crate::source::{FsLoader, Sources};

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// `.netp` files, or folders searched recursively for them (default `.`)
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub diagnostics: DiagnosticArgs,
}

pub fn run(args: &CheckArgs) -> ExitCode {
    let (mut sources, roots, mut diagnostics) = match load_program(&args.paths) {
        Ok(loaded) => loaded,
        Err(err) => return fatal(err),
    };
    let (_program, more) = crate::check(&mut sources, &roots, &FsLoader);
    diagnostics.extend(more);
    report(&sources, &mut diagnostics, args.diagnostics)
}

/// Print diagnostics in the chosen format and turn them into the exit status.
pub fn report(sources: &Sources, diagnostics: &mut Diagnostics, flags: DiagnosticArgs) -> ExitCode {
    diagnostics.sort();
    let mut stderr = std::io::stderr().lock();
    let _ = match flags.message_format {
        MessageFormat::Human => stderr.write_all(&crate::render::human(
            sources,
            diagnostics,
            flags.color.enabled(),
        )),
        MessageFormat::Json => {
            stderr.write_all(crate::render::json(sources, diagnostics).as_bytes())
        }
    };
    if diagnostics.has_errors() {
        ExitCode::from(EXIT_INPUT)
    } else {
        ExitCode::SUCCESS
    }
}
