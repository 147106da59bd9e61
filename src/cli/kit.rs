//! `netpc probe [PATH...] -o DIR` writes a probe kit (see `crate::kit` and
//! docs/probe.md); `netpc probe report [PATH...] RESULTS...` compares the client Jobs'
//! logs with the program; `netpc probe run [PATH...]` drives a cluster with `kubectl`
//! (in `kubectl`). Exit 0 everything matched (or the kit was written), 1 a mismatch or
//! input errors, 2 usage, file-system or `kubectl` failure.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::program::compiled;
use super::{DiagnosticArgs, EXIT_INPUT, ProgramArgs, fatal, write};
use crate::compile::Compilation;
use crate::kit::{self, Kit, tally};
use crate::verify::Expectation;

#[derive(clap::Args, Debug)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ProbeArgs {
    #[command(subcommand)]
    pub action: Option<Action>,
    #[command(flatten)]
    pub kit: KitArgs,
}

#[derive(clap::Subcommand, Debug)]
pub enum Action {
    /// Compare the client Jobs' output (files, or `-` for stdin) with the program
    Report(ReportArgs),
    /// Apply the kit with kubectl, wait, collect the results, report, clean up
    Run(super::kubectl::RunArgs),
}

#[derive(clap::Args, Debug, Clone)]
pub struct KitArgs {
    /// `.netp` files, or folders searched recursively for them (default `.`)
    pub paths: Vec<PathBuf>,
    /// The folder to write the kit to
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub shape: ShapeArgs,
    /// What to write: the kit folder, or a netassert v2 test file for the real
    /// workloads (`--workloads`; to `-o FILE`, or stdout)
    #[arg(long = "format", value_enum, default_value_t = KitFormat::Kit)]
    pub kit_format: KitFormat,
    #[command(flatten)]
    pub workloads: super::workloads::WorkloadArgs,
    #[command(flatten)]
    pub program: ProgramArgs,
    #[command(flatten)]
    pub diagnostics: DiagnosticArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum KitFormat {
    /// the probe kit folder (`-o DIR`)
    Kit,
    /// a netassert v2 test file for the workloads given with `--workloads`
    Netassert,
}

/// Flags that change the kit's manifests.
#[derive(clap::Args, Debug, Clone)]
pub struct ShapeArgs {
    /// Mirror namespaces are PREFIX<namespace>; the outside namespace is PREFIX without its `-`
    #[arg(long, value_name = "PREFIX", default_value = kit::DEFAULT_PREFIX)]
    pub prefix: String,
    /// The image of servers and clients (needs `/agnhost` and `/bin/sh`)
    #[arg(long, value_name = "IMAGE", default_value = kit::DEFAULT_IMAGE)]
    pub image: String,
}

impl ShapeArgs {
    pub fn options(&self) -> kit::Options {
        kit::Options {
            prefix: self.prefix.clone(),
            image: self.image.clone(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// one line per mismatch and a summary line
    Text,
    /// one JSON object (see docs/probe.md)
    Json,
}

#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    /// The program (`.netp` files and folders), then the result files (any other file,
    /// or `-` for standard input)
    #[arg(required = true, value_name = "PATH|RESULTS")]
    pub inputs: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    #[command(flatten)]
    pub program: ProgramArgs,
    #[command(flatten)]
    pub diagnostics: DiagnosticArgs,
}

pub fn run(args: &ProbeArgs) -> ExitCode {
    match &args.action {
        Some(Action::Report(report)) => run_report(report),
        Some(Action::Run(run)) => super::kubectl::run(run),
        None => write_kit(&args.kit),
    }
}

/// Compile the program and build its kit.
pub fn compile_kit(
    paths: &[PathBuf],
    program: &ProgramArgs,
    diagnostics: DiagnosticArgs,
    shape: &ShapeArgs,
) -> Result<(Compilation, Kit), ExitCode> {
    let compilation = compiled(paths, program, Default::default(), diagnostics)?;
    let Some(plan) = &compilation.plan else {
        return Err(ExitCode::from(EXIT_INPUT));
    };
    let kit = kit::build(plan, &shape.options()).map_err(fatal)?;
    Ok((compilation, kit))
}

fn write_kit(args: &KitArgs) -> ExitCode {
    if args.kit_format == KitFormat::Netassert {
        return write_netassert(args);
    }
    let Some(output) = &args.output else {
        return fatal("`netpc probe` needs `-o DIR`, the folder to write the kit to");
    };
    let (_, kit) = match compile_kit(&args.paths, &args.program, args.diagnostics, &args.shape) {
        Ok(found) => found,
        Err(status) => return status,
    };
    match save(&kit, output, &args.paths) {
        Ok(()) => {
            eprintln!("{}", describe(&kit, output));
            ExitCode::SUCCESS
        }
        Err(status) => status,
    }
}

/// `--format netassert`: the kit's probes between services whose workloads the
/// manifests hold, as a netassert v2 test file.
fn write_netassert(args: &KitArgs) -> ExitCode {
    if args.workloads.workloads.is_empty() {
        return fatal(
            "`netpc probe --format netassert` needs `--workloads SRC`: netassert tests name real workloads",
        );
    }
    let (mut compilation, kit) =
        match compile_kit(&args.paths, &args.program, args.diagnostics, &args.shape) {
            Ok(found) => found,
            Err(status) => return status,
        };
    let mut diagnostics = crate::diagnostic::Diagnostics::new();
    let manifests =
        match super::workloads::load(&args.workloads, &mut compilation.sources, &mut diagnostics) {
            Ok(manifests) => manifests,
            Err(message) => return fatal(message),
        };
    let Some(plan) = &compilation.plan else {
        return ExitCode::from(EXIT_INPUT);
    };
    let workloads: Vec<kit::netassert::Workload> = manifests
        .workloads
        .iter()
        .map(|w| kit::netassert::Workload {
            kind: w.kind.to_ascii_lowercase(),
            name: w.name.clone(),
            namespace: w.namespace.clone(),
            labels: w.labels.clone(),
        })
        .collect();
    let (text, left_out) = kit::netassert::tests(&plan.program, &kit.selection.probes, &workloads);
    eprintln!(
        "probe: {} probes, {left_out} left out (no workload stands for one of their ends)",
        kit.selection.probes.len()
    );
    let written = match &args.output {
        Some(path) => std::fs::write(path, text.as_bytes()),
        None => std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes()),
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => fatal(format!("cannot write the netassert tests: {err}")),
    }
}

/// Write the kit's files (atomically, as `netpc build` writes its folder).
pub fn save(kit: &Kit, output: &Path, inputs: &[PathBuf]) -> Result<(), ExitCode> {
    let files: Vec<crate::emit::File> = kit
        .files
        .iter()
        .map(|(path, text)| crate::emit::File {
            path: path.clone(),
            text: text.clone(),
        })
        .collect();
    write::write(output, &files, inputs).map_err(fatal)
}

/// `probe: wrote DIR: 40 probes (...)`, and what could not be probed.
pub fn describe(kit: &Kit, output: &Path) -> String {
    let probes = &kit.selection.probes;
    let allows = probes
        .iter()
        .filter(|p| p.expect == kit::Expect::Allow)
        .count();
    let mut text = format!(
        "probe: wrote `{}`: {} probes ({allows} allow, {} deny) from {} client Jobs in {} namespaces",
        output.display(),
        probes.len(),
        probes.len() - allows,
        kit.jobs.len(),
        kit.namespaces.len()
    );
    for skipped in &kit.selection.skipped {
        text.push_str(&format!("\nprobe: not probed: {skipped}"));
    }
    text
}

fn run_report(args: &ReportArgs) -> ExitCode {
    let (paths, results): (Vec<PathBuf>, Vec<PathBuf>) = args
        .inputs
        .iter()
        .cloned()
        .partition(|p| is_program_path(p));
    if results.is_empty() {
        return fatal(
            "`netpc probe report` needs result files (the client Jobs' logs), or `-` for standard input",
        );
    }
    let mut text = String::new();
    for path in &results {
        match read_results(path) {
            Ok(found) => text.push_str(&found),
            Err(err) => return fatal(err),
        }
    }
    let shape = ShapeArgs {
        prefix: kit::DEFAULT_PREFIX.to_owned(),
        image: kit::DEFAULT_IMAGE.to_owned(),
    };
    let (compilation, kit) = match compile_kit(&paths, &args.program, args.diagnostics, &shape) {
        Ok(found) => found,
        Err(status) => return status,
    };
    report(&compilation, &kit, &text, args.format)
}

/// Print the report of `results` against the kit; the exit status.
pub fn report(
    compilation: &Compilation,
    kit: &Kit,
    results: &str,
    format: ReportFormat,
) -> ExitCode {
    let Some(plan) = &compilation.plan else {
        return ExitCode::from(EXIT_INPUT);
    };
    let folder = match crate::verify::compiled(plan) {
        Ok(folder) => folder,
        Err(err) => return fatal(err),
    };
    let model = Expectation::new(&plan.program, crate::ir::EnforcementOverride::default());
    let probes = &kit.selection.probes;
    let found = tally::tally(&model, probes, &tally::parse(results));
    let context = tally::Context {
        model: &model,
        sources: &compilation.sources,
        folder: &folder,
    };
    let text = match format {
        ReportFormat::Text => tally::render(&found, probes, &context),
        ReportFormat::Json => tally::json(&found, probes, &context),
    };
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    if found.matches() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_INPUT)
    }
}

/// A program path: a folder or a `.netp` file (anything else is a result file).
fn is_program_path(path: &Path) -> bool {
    path != Path::new("-") && (path.is_dir() || path.extension().is_some_and(|e| e == "netp"))
}

/// A result file or standard input, bounded like manifests (64 MiB).
fn read_results(path: &Path) -> Result<String, String> {
    if path == Path::new("-") {
        return super::read::read_stdin(super::read::MANIFEST_LIMIT)
            .map_err(|e| format!("standard input: {e}"));
    }
    super::read::read_text(path, super::read::MANIFEST_LIMIT)
        .map_err(|e| format!("`{}`: {e}", path.display()))
}
