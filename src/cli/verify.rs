//! `netpc verify [PATH...] [--against DIR] [--enforcement [DIRECTION=]on|off]`: check a program,
//! compile it in memory (or read an existing output folder with `--against`), and prove
//! that the policies allow exactly the declared connections (see `crate::verify`).
//! Prints every mismatch and a summary on stdout. Exit 0 everything matches, 1 a
//! mismatch (or input errors: the program, invalid policies), 2 usage or I/O failure.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use super::build::EnforcementFlag;
use super::program::compiled;
use super::{DiagnosticArgs, EXIT_INPUT, fatal, folder};
use crate::output;
use crate::verify;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// one block per finding and a summary line
    Text,
    /// one JSON object (see docs/verify.md)
    Json,
}

#[derive(clap::Args, Debug)]
pub struct VerifyArgs {
    /// `.netp` files, or folders searched recursively for them (default `.`)
    pub paths: Vec<PathBuf>,
    /// Verify this output folder (for example the committed one) instead of compiling
    #[arg(long, value_name = "DIR")]
    pub against: Option<PathBuf>,
    /// How to print the report
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    /// Override the enforcement of every namespace, as given to `netpc build`
    #[arg(long, value_name = "[DIRECTION=]on|off", value_parser = EnforcementFlag::parse)]
    pub enforcement: Vec<EnforcementFlag>,
    #[command(flatten)]
    pub program: super::ProgramArgs,
    #[command(flatten)]
    pub diagnostics: DiagnosticArgs,
}

pub fn run(args: &VerifyArgs) -> ExitCode {
    let enforcement = EnforcementFlag::merge(&args.enforcement);
    let options = crate::compile::Options {
        lower: crate::lower::Options { enforcement },
    };
    let compiled = match compiled(&args.paths, &args.program, options, args.diagnostics) {
        Ok(compiled) => compiled,
        Err(status) => return status,
    };
    let (sources, Some(plan)) = (&compiled.sources, &compiled.plan) else {
        return ExitCode::from(EXIT_INPUT);
    };
    let folder = match &args.against {
        Some(dir) => match folder::read(dir) {
            Ok(files) => match output::read(files.iter().map(|(p, t)| (p.as_str(), t.as_str()))) {
                Ok(folder) => folder,
                Err(err @ output::ReadError::NoContract) => {
                    return fatal(format!("`{}`: {err}", dir.display()));
                }
                Err(err) => {
                    eprintln!("error: `{}`: {err}", dir.display());
                    return ExitCode::from(EXIT_INPUT);
                }
            },
            Err(err) => return fatal(err),
        },
        None => match verify::compiled(plan) {
            Ok(folder) => folder,
            Err(err) => return fatal(err),
        },
    };
    let program = &plan.program;
    let result = verify::verify(program, &folder, verify::Options { enforcement });
    let mut stdout = std::io::stdout().lock();
    match result {
        Ok(found) => {
            let text = match args.format {
                ReportFormat::Text => verify::render(&found, program, sources),
                ReportFormat::Json => verify::json(&found, program, sources),
            };
            let _ = stdout.write_all(text.as_bytes());
            if found.matches() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(EXIT_INPUT)
            }
        }
        Err(errors) => {
            let mut stderr = std::io::stderr().lock();
            for error in &errors {
                let _ = writeln!(stderr, "error: {error}");
            }
            let _ = writeln!(
                stderr,
                "error: the policies are invalid ({} error{}): nothing was verified",
                errors.len(),
                if errors.len() == 1 { "" } else { "s" }
            );
            ExitCode::from(EXIT_INPUT)
        }
    }
}
