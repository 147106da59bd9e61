//! `netpc build [PATH...] [-o DIR | --stdout] [--check] [--enforcement [DIRECTION=]on|off]`: load,
//! check and lower a program, then write the output folder (through `write`), stream
//! the applied objects to stdout, or compare the folder with what would be written.
//! Exit 0 success, 1 input errors or `--check` drift, 2 usage or file-system failure.

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use super::program::{Timings, compile, report};
use super::{DiagnosticArgs, EXIT_INPUT, MessageFormat, fatal, write};

/// `--enforcement on|off|ingress=on|ingress=off|egress=on|egress=off`: per direction,
/// what every namespace gets whatever the program says (repeat the flag, or separate
/// with commas, to set both directions differently).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EnforcementFlag(pub crate::ir::EnforcementOverride);

impl EnforcementFlag {
    /// Parse one value of the flag.
    pub fn parse(text: &str) -> Result<EnforcementFlag, String> {
        let mut result = crate::ir::EnforcementOverride::default();
        for part in text.split(',') {
            let (direction, value) = match part.split_once('=') {
                Some((d, v)) => (Some(d.trim()), v.trim()),
                None => (None, part.trim()),
            };
            let on = match value {
                "on" => true,
                "off" => false,
                _ => return Err(format!("`{value}` is neither `on` nor `off`")),
            };
            match direction {
                None => result = crate::ir::EnforcementOverride::both(on),
                Some("ingress") => result.ingress = Some(on),
                Some("egress") => result.egress = Some(on),
                Some(other) => {
                    return Err(format!(
                        "`{other}` is not a direction: write `ingress=off`, `egress=off`, `on` or `off`"
                    ));
                }
            }
        }
        Ok(EnforcementFlag(result))
    }

    /// Several occurrences of the flag, later ones winning per direction.
    pub fn merge(flags: &[EnforcementFlag]) -> crate::ir::EnforcementOverride {
        let mut result = crate::ir::EnforcementOverride::default();
        for flag in flags {
            result.ingress = flag.0.ingress.or(result.ingress);
            result.egress = flag.0.egress.or(result.egress);
        }
        result
    }
}

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  netpc build netp -o out                    compile netp/ into out/
  netpc build netp -o out --check            in CI: exit 1 when out/ is not up to date
  netpc build netp -o out --cni kube-router@2.8   for the plugin that will enforce")]
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
    /// Override the enforcement of every namespace: `on`, `off`, or per direction
    /// `ingress=off`, `egress=off` (repeatable, or comma-separated)
    #[arg(long, value_name = "[DIRECTION=]on|off", value_parser = EnforcementFlag::parse)]
    pub enforcement: Vec<EnforcementFlag>,
    #[command(flatten)]
    pub program: super::ProgramArgs,
    #[command(flatten)]
    pub diagnostics: DiagnosticArgs,
}

pub fn run(args: &BuildArgs) -> ExitCode {
    if args.stdout && args.diagnostics.message_format == MessageFormat::Sarif {
        return fatal("`--stdout` and `--message-format sarif` both write to stdout: choose one");
    }
    let options = crate::compile::Options {
        lower: crate::lower::Options {
            enforcement: EnforcementFlag::merge(&args.enforcement),
        },
        cni: None,
    };
    let mut compiled = match compile(&args.paths, &args.program, options) {
        Ok(compiled) => compiled,
        Err(status) => return status,
    };
    let status = report(
        &compiled.sources,
        &mut compiled.diagnostics,
        args.diagnostics,
    );
    super::program::note_unnamed_cni(&compiled, args.diagnostics);
    let Some(plan) = compiled.plan else {
        return status;
    };
    let mut timings = Timings::new();

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
    // The files' paths; each text is rendered when the writer compares or writes it.
    let files = match crate::emit::Layout::new(&plan) {
        Ok(files) => files,
        Err(err) => return fatal(err),
    };
    timings.phase("lay out files");
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
