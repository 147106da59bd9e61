//! Reading a program from disk and compiling it through [`crate::compile`], for every
//! command that takes `.netp` PATHs; printing diagnostics; `NETPC_TIMINGS=1`, which
//! prints the wall time and memory of each phase to stderr (for benchmarks).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use super::{
    DiagnosticArgs, EXIT_INPUT, LoadError, MessageFormat, ProgramArgs, fatal, load_program,
};
use crate::compile::{Compilation, Input, Options, Phase, compile_observed};
use crate::diagnostic::{Diagnostics, Severity};
use crate::source::Sources;

/// Load the program at `paths` and compile it. A path that cannot be read is reported
/// here and becomes `Err` with exit status 2.
pub fn compile(
    paths: &[PathBuf],
    flags: &ProgramArgs,
    options: Options,
) -> Result<Compilation, ExitCode> {
    load_and_compile(paths, flags, options).map_err(fatal)
}

/// [`compile`], returning why the files could not be read instead of printing it.
pub fn load_and_compile(
    paths: &[PathBuf],
    flags: &ProgramArgs,
    options: Options,
) -> Result<Compilation, LoadError> {
    let options = Options {
        cni: options.cni.or(flags.cni),
        ..options
    };
    let mut timings = Timings::new();
    let (sources, roots, diagnostics) = load_program(paths)?;
    let loader = flags.loader(&sources, &roots)?;
    timings.phase("load");
    let input = Input {
        sources,
        roots,
        diagnostics,
        loader: &loader,
    };
    Ok(compile_observed(input, options, &mut |phase: Phase| {
        timings.phase(phase.as_str());
    }))
}

/// [`compile`] for commands that need the compiled program and print diagnostics only
/// when it has errors: then they are printed and the exit status is the `Err`. With
/// `--message-format sarif` an empty log is written when there are none.
pub fn compiled(
    paths: &[PathBuf],
    program: &ProgramArgs,
    options: Options,
    flags: DiagnosticArgs,
) -> Result<Compilation, ExitCode> {
    let mut compilation = compile(paths, program, options)?;
    if compilation.plan.is_none() {
        return Err(report(
            &compilation.sources,
            &mut compilation.diagnostics,
            flags,
        ));
    }
    if flags.message_format == MessageFormat::Sarif {
        // The log is always written: here without results, as no diagnostic is printed.
        let status = report(&compilation.sources, &mut Diagnostics::new(), flags);
        if status != ExitCode::SUCCESS {
            return Err(status);
        }
    }
    Ok(compilation)
}

/// Print diagnostics in the chosen format and turn them into the exit status. Human
/// text, JSON Lines and workflow commands go to stderr; the SARIF log, one document, to
/// stdout (written even when there is nothing to report, so code scanning closes fixed
/// alerts). `--quiet` leaves out warnings.
pub fn report(sources: &Sources, diagnostics: &mut Diagnostics, flags: DiagnosticArgs) -> ExitCode {
    diagnostics.sort();
    let status = if diagnostics.has_errors() {
        ExitCode::from(EXIT_INPUT)
    } else {
        ExitCode::SUCCESS
    };
    let errors_only;
    let shown = if flags.quiet {
        let mut errors = Diagnostics::new();
        for diagnostic in diagnostics.iter() {
            if diagnostic.severity() == Severity::Error {
                errors.push(diagnostic.clone());
            }
        }
        errors_only = errors;
        &errors_only
    } else {
        &*diagnostics
    };
    let written = match flags.message_format {
        MessageFormat::Human => {
            let mut text = crate::render::human(sources, shown, flags.color.enabled());
            if flags.quiet
                && let Some(summary) = crate::render::summary(shown)
            {
                let line = format!("{summary}\n");
                if text.ends_with(line.as_bytes()) {
                    text.truncate(text.len() - line.len());
                }
            }
            std::io::stderr().lock().write_all(&text)
        }
        MessageFormat::Json => std::io::stderr()
            .lock()
            .write_all(crate::render::json(sources, shown).as_bytes()),
        MessageFormat::Github => std::io::stderr()
            .lock()
            .write_all(crate::render::github::github(sources, shown).as_bytes()),
        MessageFormat::Sarif => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(crate::render::sarif::sarif(sources, shown).as_bytes())
                .and_then(|()| stdout.flush())
        }
    };
    match written {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => {
            fatal(format!("cannot write the diagnostics: {err}"))
        }
        _ => status,
    }
}

/// With no network plugin named (neither `cni` nor `--cni`), one note after the
/// summary line saying so (human format, not `--quiet`). A clean program prints no
/// summary, so it stays silent.
pub fn note_unnamed_cni(compilation: &Compilation, flags: DiagnosticArgs) {
    if compilation.cni == crate::compile::CniChoice::Unnamed
        && !compilation.diagnostics.is_empty()
        && flags.message_format == MessageFormat::Human
        && !flags.quiet
    {
        eprintln!(
            "note: network plugin unknown: checked against the NetworkPolicy API only; name the one that will enforce the policies with `cni \"NAME@VERSION\";` or `--cni` (`netpc cni list`)"
        );
    }
}

/// `NETPC_TIMINGS=1` prints the wall time of each phase to stderr (for benchmarks).
pub struct Timings(Option<std::time::Instant>);

impl Timings {
    pub fn new() -> Timings {
        Timings(std::env::var_os("NETPC_TIMINGS").map(|_| std::time::Instant::now()))
    }

    pub fn phase(&mut self, name: &str) {
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
