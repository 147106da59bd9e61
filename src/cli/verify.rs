//! `netpc verify [PATH...] [--against DIR] [--enforcement on|off]`: check a program,
//! compile it in memory (or read an existing output folder with `--against`), and prove
//! that the policies allow exactly the declared connections (see `crate::verify`).
//! Prints every mismatch and a summary on stdout. Exit 0 everything matches, 1 a
//! mismatch (or input errors: the program, invalid policies), 2 usage or I/O failure.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::build::EnforcementFlag;
use super::{DiagnosticArgs, EXIT_INPUT, check::checked_program, check::report, fatal};
use crate::verify::{self, CompileError, manifests};

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
    #[arg(long, value_enum)]
    pub enforcement: Option<EnforcementFlag>,
    #[command(flatten)]
    pub program: super::ProgramArgs,
    #[command(flatten)]
    pub diagnostics: DiagnosticArgs,
}

pub fn run(args: &VerifyArgs) -> ExitCode {
    let (sources, _warnings, program) =
        match checked_program(&args.paths, &args.program, args.diagnostics) {
            Ok(checked) => checked,
            Err(status) => return status,
        };
    let enforcement = args.enforcement.map(|e| e == EnforcementFlag::On);
    let manifests = match &args.against {
        Some(dir) => match read_folder(dir) {
            Ok(files) => {
                match manifests::read(files.iter().map(|(p, t)| (p.as_str(), t.as_str()))) {
                    Ok(manifests) => manifests,
                    Err(err @ manifests::ReadError::NoContract) => {
                        return fatal(format!("`{}`: {err}", dir.display()));
                    }
                    Err(err) => {
                        eprintln!("error: `{}`: {err}", dir.display());
                        return ExitCode::from(EXIT_INPUT);
                    }
                }
            }
            Err(err) => return fatal(err),
        },
        None => match verify::compiled(&program, crate::lower::Options { enforcement }) {
            Ok(manifests) => manifests,
            Err(CompileError::Diagnostics(mut lowered)) => {
                return report(&sources, &mut lowered, args.diagnostics);
            }
            Err(CompileError::Internal(err)) => return fatal(err),
        },
    };
    let result = verify::verify(&program, &manifests, verify::Options { enforcement });
    let mut stdout = std::io::stdout().lock();
    match result {
        Ok(found) => {
            let text = match args.format {
                ReportFormat::Text => verify::render(&found, &program, &sources),
                ReportFormat::Json => verify::json(&found, &program, &sources),
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

/// Every `*.yaml` file under `dir` (hidden folders skipped) as (`/`-separated path
/// relative to `dir`, text), sorted by path.
fn read_folder(dir: &Path) -> Result<Vec<(String, String)>, String> {
    if !dir.is_dir() {
        return Err(format!("`{}` is not a folder", dir.display()));
    }
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            e.depth() == 0 || !e.file_name().to_str().is_some_and(|n| n.starts_with('.'))
        })
    {
        let entry = entry.map_err(|e| format!("cannot read `{}`: {e}", dir.display()))?;
        let path = entry.path();
        if !entry.file_type().is_file() || path.extension().is_none_or(|x| x != "yaml") {
            continue;
        }
        let relative = path
            .strip_prefix(dir)
            .unwrap_or(path)
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        let text = super::read::read_text(path, super::read::MANIFEST_LIMIT)
            .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        files.push((relative, text));
    }
    Ok(files)
}
