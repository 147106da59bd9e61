//! `netpc fmt [--check] [PATH...]` and `netpc fmt -`: the files found as `check`
//! finds them (`load::find_files`), each read through the bounded reader, formatted
//! by the library (`crate::fmt::format`) and written back atomically (a temporary
//! file in the same folder, the permissions of the original, then a rename) only when
//! the text changes. A file with syntax errors is left untouched and its diagnostics
//! are printed. Exit 0, 1 (syntax errors, or `--check` found files to format), 2
//! (usage, a file that cannot be read or written).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::load::{display_path, find_files};
use super::program::report;
use super::read::{NETP_LIMIT, read_bounded, read_stdin};
use super::{DiagnosticArgs, EXIT_INPUT, EXIT_USAGE, fatal};
use crate::diagnostic::Diagnostics;
use crate::source::{FileKey, Origin, Sources};

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  netpc fmt netp            format every .netp file under netp/ in place
  netpc fmt --check netp    list the files that are not formatted; exit 1 if any
  netpc fmt - < a.netp      format standard input to standard output")]
pub struct FmtArgs {
    /// `.netp` files, or folders searched recursively for them (default `.`); `-`
    /// alone reads standard input and writes the result on standard output
    pub paths: Vec<PathBuf>,
    /// Write nothing: list the files that would change and exit 1 if there are any
    #[arg(long)]
    pub check: bool,
    #[command(flatten)]
    pub diagnostics: DiagnosticArgs,
}

/// What happened to one file.
enum Outcome {
    Unchanged,
    Changed,
    SyntaxErrors,
}

pub fn run(args: &FmtArgs) -> ExitCode {
    let stdin = args.paths.iter().any(|p| p.as_os_str() == "-");
    if stdin {
        if args.paths.len() > 1 {
            eprintln!("error: `-` (standard input) cannot be combined with other paths");
            return ExitCode::from(EXIT_USAGE);
        }
        return run_stdin(args);
    }
    let files = match find_files(&args.paths) {
        Ok(files) => files,
        Err(err) => return fatal(err),
    };
    let mut sources = Sources::new();
    let mut diagnostics = Diagnostics::new();
    let (mut changed, mut broken) = (0, 0);
    for path in &files {
        match format_file(path, args.check, &mut sources, &mut diagnostics) {
            Ok(Outcome::Unchanged) => {}
            Ok(Outcome::Changed) => {
                changed += 1;
                println!("{}", display_path(path).display());
            }
            Ok(Outcome::SyntaxErrors) => broken += 1,
            Err(status) => return status,
        }
    }
    if broken > 0 {
        return report(&sources, &mut diagnostics, args.diagnostics);
    }
    if args.check && changed > 0 {
        return ExitCode::from(EXIT_INPUT);
    }
    ExitCode::SUCCESS
}

/// Format one file: its diagnostics go into `diagnostics` (the file into `sources`,
/// so they can be shown with their source).
fn format_file(
    path: &Path,
    check: bool,
    sources: &mut Sources,
    diagnostics: &mut Diagnostics,
) -> Result<Outcome, ExitCode> {
    let bytes = read_bounded(path, NETP_LIMIT)
        .map_err(|err| fatal(format!("cannot read {}: {err}", path.display())))?;
    let key = FileKey::new(std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()));
    let origin = Origin::File(display_path(path));
    let mut read = Diagnostics::new();
    let Some(id) = crate::compile::add_root(sources, origin, key, bytes, &mut read) else {
        return Ok(Outcome::Unchanged);
    };
    if read.has_errors() {
        diagnostics.extend(read);
        return Ok(Outcome::SyntaxErrors);
    }
    let text = &sources.get(id).text;
    let formatted = match crate::fmt::format(id, text) {
        Ok(formatted) => formatted,
        Err(errors) => {
            diagnostics.extend(errors);
            return Ok(Outcome::SyntaxErrors);
        }
    };
    if formatted == *text {
        return Ok(Outcome::Unchanged);
    }
    if !check {
        replace(path, &formatted)
            .map_err(|err| fatal(format!("cannot write {}: {err}", path.display())))?;
    }
    Ok(Outcome::Changed)
}

/// Replace the file at `path` (the file a symbolic link points to, not the link) by
/// `text`: written to a temporary file in the same folder with the same permissions,
/// then renamed over it, so a reader sees the old text or the new, never a part.
fn replace(path: &Path, text: &str) -> std::io::Result<()> {
    let target = std::fs::canonicalize(path)?;
    let folder = target.parent().unwrap_or_else(|| Path::new("."));
    let permissions = std::fs::metadata(&target)?.permissions();
    let mut temporary = tempfile::Builder::new()
        .prefix(".netpc-fmt-")
        .tempfile_in(folder)?;
    temporary.write_all(text.as_bytes())?;
    temporary.as_file().sync_all()?;
    std::fs::set_permissions(temporary.path(), permissions)?;
    temporary.persist(&target).map_err(|err| err.error)?;
    Ok(())
}

/// `netpc fmt -`: standard input to standard output (with `--check`, nothing is
/// written but `<stdin>` when it would change).
fn run_stdin(args: &FmtArgs) -> ExitCode {
    let text = match read_stdin(NETP_LIMIT) {
        Ok(text) => text,
        Err(err) => return fatal(format!("cannot read standard input: {err}")),
    };
    let mut sources = Sources::new();
    let id = sources.add(Origin::File(PathBuf::from("<stdin>")), text);
    let text = &sources.get(id).text;
    match crate::fmt::format(id, text) {
        Ok(formatted) if args.check => {
            if formatted == *text {
                ExitCode::SUCCESS
            } else {
                println!("<stdin>");
                ExitCode::from(EXIT_INPUT)
            }
        }
        Ok(formatted) => {
            print!("{formatted}");
            ExitCode::SUCCESS
        }
        Err(mut errors) => report(&sources, &mut errors, args.diagnostics),
    }
}
