//! `netpc build [PATH...] [-o DIR | --stdout] [--check] [--enforcement on|off]`: load,
//! check and lower a program, then write the output folder (through `write`), stream
//! the applied objects to stdout, or compare the folder with what would be written.
//! Exit 0 success, 1 input errors or `--check` drift, 2 usage or file-system failure.

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;

use super::{DiagnosticArgs, EXIT_INPUT, check::report, fatal, load_program, write};
use crate::diagnostic::Diagnostics;
use crate::source::FsLoader;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum EnforcementFlag {
    /// enforce everywhere, whatever the program says
    On,
    /// add allow-all policies to every managed namespace
    Off,
}

#[derive(clap::Args, Debug)]
pub struct BuildArgs {
    /// `.netp` files, or folders searched recursively for them (default `.`)
    pub paths: Vec<PathBuf>,
    /// The output folder
    #[arg(
        short = 'o',
        long = "output",
        value_name = "DIR",
        default_value = "out"
    )]
    pub output: PathBuf,
    /// Write the applied objects to stdout as one YAML stream instead of a folder
    #[arg(long, conflicts_with_all = ["output", "check"])]
    pub stdout: bool,
    /// Compare the output folder with what would be written; exit 1 if it differs
    #[arg(long)]
    pub check: bool,
    /// Override the enforcement of every namespace
    #[arg(long, value_enum)]
    pub enforcement: Option<EnforcementFlag>,
    #[command(flatten)]
    pub diagnostics: DiagnosticArgs,
}

/// `NETPC_TIMINGS=1` prints the wall time of each phase to stderr (for benchmarks).
struct Timings(Option<std::time::Instant>);

impl Timings {
    fn new() -> Timings {
        Timings(std::env::var_os("NETPC_TIMINGS").map(|_| std::time::Instant::now()))
    }

    fn phase(&mut self, name: &str) {
        if let Some(start) = self.0 {
            // Peak memory so far (Linux), to see which phase needs it.
            let peak = std::fs::read_to_string("/proc/self/status")
                .ok()
                .map(|s| {
                    s.lines()
                        .filter(|l| l.starts_with("VmHWM:") || l.starts_with("VmRSS:"))
                        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            eprintln!(
                "netpc: {name}: {:.3} s {peak}",
                start.elapsed().as_secs_f64()
            );
            self.0 = Some(std::time::Instant::now());
        }
    }
}

pub fn run(args: &BuildArgs) -> ExitCode {
    let mut timings = Timings::new();
    let (mut sources, roots, mut diagnostics) = match load_program(&args.paths) {
        Ok(loaded) => loaded,
        Err(err) => return fatal(err),
    };
    timings.phase("load");
    let (program, more) = crate::check(&mut sources, &roots, &FsLoader);
    diagnostics.extend(more);
    timings.phase("parse and check");
    let Some(program) = program.filter(|_| !diagnostics.has_errors()) else {
        return report(&sources, &mut diagnostics, args.diagnostics);
    };
    let options = crate::lower::Options {
        enforcement: args.enforcement.map(|e| e == EnforcementFlag::On),
    };
    let mut lowered = Diagnostics::new();
    let plan = crate::lower::plan(&program, options, &mut lowered);
    diagnostics.extend(lowered);
    timings.phase("plan");
    let status = report(&sources, &mut diagnostics, args.diagnostics);
    if diagnostics.has_errors() {
        return status;
    }

    if args.stdout {
        let mut out = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
        return match crate::emit::stream(&plan, &mut out).and_then(|()| Ok(out.flush()?)) {
            Ok(()) => {
                timings.phase("emit to stdout");
                ExitCode::SUCCESS
            }
            Err(err) => fatal(err),
        };
    }
    let files = match crate::emit::files(&plan) {
        Ok(files) => files,
        Err(err) => return fatal(err),
    };
    timings.phase("emit files");
    if args.check {
        return match write::check(&args.output, &files) {
            Ok(differences) if differences.is_empty() => ExitCode::SUCCESS,
            Ok(differences) => {
                let mut stderr = std::io::stderr().lock();
                let _ = writeln!(
                    stderr,
                    "error: `{}` is not up to date ({} files differ); run `netpc build` and commit the result",
                    args.output.display(),
                    differences.len()
                );
                for difference in &differences {
                    let _ = writeln!(stderr, "  {difference}");
                }
                ExitCode::from(EXIT_INPUT)
            }
            Err(err) => fatal(err),
        };
    }
    match write::write(&args.output, &files, &args.paths) {
        Ok(()) => {
            timings.phase("write");
            ExitCode::SUCCESS
        }
        Err(err) => fatal(err),
    }
}
