//! `netpc check [PATH...]`: load, parse, resolve and check a program, print its
//! diagnostics, and exit 0 (no error), 1 (errors) or 2 (the files could not be read).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use super::{DiagnosticArgs, EXIT_INPUT, MessageFormat, ProgramArgs, fatal, load_program};
use crate::diagnostic::Diagnostics;
use crate::ir::Program;
use crate::source::Sources;

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// `.netp` files, or folders searched recursively for them (default `.`)
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub program: ProgramArgs,
    #[command(flatten)]
    pub diagnostics: DiagnosticArgs,
}

pub fn run(args: &CheckArgs) -> ExitCode {
    match load_and_check(&args.paths, &args.program) {
        Ok((sources, mut diagnostics, _)) => report(&sources, &mut diagnostics, args.diagnostics),
        Err(status) => status,
    }
}

/// Load the program at `paths` and check it: its sources, every diagnostic so far, and
/// the checked program when it has no error. A path that cannot be read is reported
/// here and becomes `Err` with exit status 2.
pub fn load_and_check(
    paths: &[PathBuf],
    flags: &ProgramArgs,
) -> Result<(Sources, Diagnostics, Option<Program>), ExitCode> {
    let (mut sources, roots, mut diagnostics) = load_program(paths).map_err(fatal)?;
    let loader = flags.loader(&sources, &roots).map_err(fatal)?;
    let (program, more) = crate::check(&mut sources, &roots, &loader);
    diagnostics.extend(more);
    let program = program.filter(|_| !diagnostics.has_errors());
    Ok((sources, diagnostics, program))
}

/// [`load_and_check`] for commands that need the checked program: when it has errors
/// (or cannot be read), its diagnostics are printed and the exit status is the `Err`.
pub fn checked_program(
    paths: &[PathBuf],
    program_flags: &ProgramArgs,
    flags: DiagnosticArgs,
) -> Result<(Sources, Diagnostics, Program), ExitCode> {
    let (sources, mut diagnostics, program) = load_and_check(paths, program_flags)?;
    match program {
        Some(program) => Ok((sources, diagnostics, program)),
        None => Err(report(&sources, &mut diagnostics, flags)),
    }
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
