//! `netpc verify [PATH...] [--against DIR] [--enforcement [DIRECTION=]on|off] [--workloads SRC]`:
//! check a program,
//! compile it in memory (or read an existing output folder with `--against`), and prove
//! that the policies allow exactly the declared connections (see `crate::verify`).
//! With `--workloads` the policies are evaluated over the real pods instead of probe
//! pods (`crate::workloads::real`). Prints every mismatch and a summary on stdout (on
//! stderr under `--message-format sarif`, whose log stdout holds). Exit 0 everything matches, 1 a
//! mismatch (or input errors: the program, invalid policies), 2 usage or I/O failure.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use super::build::EnforcementFlag;
use super::program::compiled;
use super::{DiagnosticArgs, EXIT_INPUT, MessageFormat, fatal, folder};
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
#[command(after_help = "Examples:
  netpc verify netp                          compile in memory and prove the policies
  netpc verify netp --against out            prove the committed folder instead
  netpc verify netp --cni calico@3.29       evaluate as Calico does (ipBlock matches pod IPs)")]
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
    pub workloads: super::workloads::WorkloadArgs,
    #[command(flatten)]
    pub program: super::ProgramArgs,
    #[command(flatten)]
    pub diagnostics: DiagnosticArgs,
}

pub fn run(args: &VerifyArgs) -> ExitCode {
    let enforcement = EnforcementFlag::merge(&args.enforcement);
    let options = crate::compile::Options {
        lower: crate::lower::Options { enforcement },
        cni: None,
    };
    let compiled = match compiled(&args.paths, &args.program, options, args.diagnostics) {
        Ok(compiled) => compiled,
        Err(status) => return status,
    };
    let mut compiled = compiled;
    let real = if args.workloads.workloads.is_empty() {
        None
    } else {
        let mut problems = crate::diagnostic::Diagnostics::new();
        match super::workloads::load(&args.workloads, &mut compiled.sources, &mut problems) {
            Ok(manifests) if !problems.has_errors() => Some(manifests),
            Ok(_) => {
                return super::program::report(&compiled.sources, &mut problems, args.diagnostics);
            }
            Err(err) => return fatal(err),
        }
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
    if let Some(manifests) = &real {
        return real_workloads(args, program, &folder, manifests, sources);
    }
    let result = verify::verify(program, folder, verify_options(&compiled, enforcement));
    match result {
        Ok(found) => {
            let text = match args.format {
                ReportFormat::Text => verify::render(&found, program, sources),
                ReportFormat::Json => verify::json(&found, program, sources),
            };
            // With `--message-format sarif` stdout holds the SARIF log alone.
            let _ = if args.diagnostics.message_format == MessageFormat::Sarif {
                std::io::stderr().lock().write_all(text.as_bytes())
            } else {
                std::io::stdout().lock().write_all(text.as_bytes())
            };
            if found.matches() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(EXIT_INPUT)
            }
        }
        Err(errors) => invalid(&errors),
    }
}

/// What verify expects and how it evaluates: `--enforcement`, and the network
/// plugin's ipBlock rule (`--cni`, `cni`; an unknown rule evaluates as Cilium does).
fn verify_options(
    compiled: &crate::compile::Compilation,
    enforcement: crate::ir::EnforcementOverride,
) -> verify::Options {
    let profile = match compiled.cni {
        crate::compile::CniChoice::Profile(profile) => Some(profile),
        _ => None,
    };
    let ipblock_pods = match profile.map(|p| p.ipblock()) {
        Some(crate::cni::IpBlockRule::MatchesPods) => crate::analyze::IpBlockPods::Match,
        _ => crate::analyze::IpBlockPods::Ignore,
    };
    verify::Options {
        enforcement,
        ipblock_pods,
        plugin: profile.map(|p| p.plugin.name),
    }
}

/// `--workloads`: the policies over the real pods.
fn real_workloads(
    args: &VerifyArgs,
    program: &crate::ir::Program,
    folder: &output::Folder,
    manifests: &crate::workloads::Manifests,
    sources: &crate::source::Sources,
) -> ExitCode {
    let enforcement = EnforcementFlag::merge(&args.enforcement);
    match crate::workloads::verify(program, folder, manifests, enforcement) {
        Ok(found) => {
            let text = match args.format {
                ReportFormat::Text => crate::workloads::render(&found, program, sources),
                ReportFormat::Json => crate::workloads::real::json(&found, program, sources),
            };
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
            if found.matches() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(EXIT_INPUT)
            }
        }
        Err(errors) => invalid(&errors),
    }
}

/// The policies are invalid: print every error.
fn invalid(errors: &[crate::analyze::AnalyzeError]) -> ExitCode {
    let mut stderr = std::io::stderr().lock();
    for error in errors {
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
