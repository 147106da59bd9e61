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
use crate::diagnostic::Diagnostics;
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
/// when it has errors: then they are printed and the exit status is the `Err`.
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
    Ok(compilation)
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
