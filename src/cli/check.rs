//! `netpc check [PATH...]`: compile a program (parse, resolve, check and plan, as
//! `netpc build` would, without writing anything), print its diagnostics, and exit 0
//! (no error), 1 (errors) or 2 (the files could not be read). With `--workloads SRC`
//! the real manifests are checked against the compiled program too (see
//! `crate::workloads`), and `--fix-labels DIR` writes the labels they lack as a
//! kustomize Component.

use std::path::PathBuf;
use std::process::ExitCode;

use super::program::{compile, report};
use super::workloads::{WorkloadArgs, load, write_component};
use super::{DiagnosticArgs, MessageFormat, fatal};

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  netpc check netp                          check the program in netp/
  netpc check netp --message-format sarif > netpc.sarif
  netpc check netp --cni calico@3.29         what Calico 3.29 would ignore or drop")]
pub struct CheckArgs {
    /// `.netp` files, or folders searched recursively for them (default `.`)
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub workloads: WorkloadArgs,
    /// Write a kustomize Component into DIR that adds the `needs-*` labels the
    /// workloads lack (pod templates only)
    #[arg(long = "fix-labels", value_name = "DIR", requires = "workloads")]
    pub fix_labels: Option<PathBuf>,
    #[command(flatten)]
    pub program: super::ProgramArgs,
    #[command(flatten)]
    pub diagnostics: DiagnosticArgs,
}

pub fn run(args: &CheckArgs) -> ExitCode {
    let mut compiled = match compile(
        &args.paths,
        &args.program,
        crate::compile::Options::default(),
    ) {
        Ok(compiled) => compiled,
        Err(status) => return status,
    };
    let (Some(plan), false) = (&compiled.plan, args.workloads.workloads.is_empty()) else {
        let status = report(
            &compiled.sources,
            &mut compiled.diagnostics,
            args.diagnostics,
        );
        super::program::note_unnamed_cni(&compiled, args.diagnostics);
        return status;
    };
    let manifests = match load(
        &args.workloads,
        &mut compiled.sources,
        &mut compiled.diagnostics,
    ) {
        Ok(manifests) => manifests,
        Err(err) => return fatal(err),
    };
    let checked = crate::workloads::check(plan, &manifests);
    let summary = checked.summary();
    if let Some(dir) = &args.fix_labels {
        let text = crate::workloads::component(&manifests, &checked.missing);
        let mut inputs = args.paths.clone();
        inputs.extend(
            args.workloads
                .workloads
                .iter()
                .filter(|p| p.as_os_str() != "-")
                .cloned(),
        );
        if let Err(err) = write_component(dir, text, &inputs) {
            return fatal(err);
        }
        eprintln!(
            "wrote {}: {} patch{} adding the missing labels",
            dir.join("kustomization.yaml").display(),
            checked.missing.len(),
            if checked.missing.len() == 1 { "" } else { "es" }
        );
    }
    let found = match compiled.cni {
        crate::compile::CniChoice::Profile(profile) => {
            crate::cni::annotate_host_network(checked.diagnostics, profile)
        }
        _ => checked.diagnostics,
    };
    compiled.diagnostics.extend(found);
    let status = report(
        &compiled.sources,
        &mut compiled.diagnostics,
        args.diagnostics,
    );
    super::program::note_unnamed_cni(&compiled, args.diagnostics);
    if args.diagnostics.message_format == MessageFormat::Human {
        eprintln!("{summary}");
    }
    status
}
