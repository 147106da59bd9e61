//! `netpc diff OLD NEW [--format text|json|md] [--exit-code]`: the connections added and
//! removed between two sides (compiled output folders, `.netp` programs, or
//! `git:REV:PATH`), and the policy objects that changed without a change in
//! connectivity. Exit 0 (with `--exit-code`: 0 same, 1 different), 2 when a side cannot
//! be read, compiled or evaluated, or on usage errors.

pub(super) mod read_side;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;

use super::{EXIT_INPUT, EXIT_USAGE};
use crate::insight::{conn_diff, conns};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// `+ src -> dst conns` / `- ...` lines
    #[default]
    Text,
    /// one JSON object: added, removed, objects
    Json,
    /// Markdown for a pull-request comment
    Md,
}

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  netpc diff git:origin/main:netp netp          connections the branch adds and removes
  netpc diff git:origin/main:out out --format md > comment.md
  netpc diff old/ new/ --exit-code              exit 1 when connectivity or objects differ")]
pub struct DiffArgs {
    /// The old side: a compiled output folder, a `.netp` program folder or file, a folder of NetworkPolicy manifests, or `git:REV:PATH`
    pub old: PathBuf,
    /// The new side, in the same forms
    pub new: PathBuf,
    /// Output format
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    pub format: DiffFormat,
    /// Exit 1 when the sides differ (connections or objects), 0 when they do not
    #[arg(long)]
    pub exit_code: bool,
    #[command(flatten)]
    pub style: super::style::StyleArgs,
    #[command(flatten)]
    pub program: super::ProgramArgs,
}

/// Reads and evaluates one side; prints why it failed.
pub(super) fn evaluate(
    paths: &[PathBuf],
    color: bool,
    flags: &super::ProgramArgs,
) -> Result<(read_side::Loaded, conns::Connections), ExitCode> {
    let loaded = read_side::load(paths, color, flags).map_err(|error| {
        eprintln!("error: {}", error.message);
        ExitCode::from(error.status)
    })?;
    match conns::connections(&loaded.side) {
        Ok(connections) => Ok((loaded, connections)),
        Err(errors) => {
            for error in errors {
                eprintln!("error: {error}");
            }
            let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
            eprintln!(
                "error: the policies of `{}` cannot be evaluated",
                names.join(" ")
            );
            Err(ExitCode::from(EXIT_USAGE))
        }
    }
}

/// Both sides, evaluated on the same probe pods when either is a folder of manifests.
fn load_pair(
    args: &DiffArgs,
    color: bool,
) -> Result<(read_side::Loaded, read_side::Loaded), ExitCode> {
    let load = |path: &PathBuf| {
        read_side::load(std::slice::from_ref(path), color, &args.program).map_err(|error| {
            eprintln!("error: {}", error.message);
            ExitCode::from(error.status)
        })
    };
    let mut old = load(&args.old)?;
    let mut new = load(&args.new)?;
    crate::insight::manifest_side::share_probes(&mut old.side, &mut new.side);
    Ok((old, new))
}

/// Evaluates one side once, for its connections and the reports on its objects and
/// labels; prints why it failed.
fn evaluated<'s>(
    loaded: &'s read_side::Loaded,
    path: &std::path::Path,
) -> Result<conns::Evaluated<'s>, ExitCode> {
    conns::Evaluated::new(&loaded.side).map_err(|errors| {
        for error in errors {
            eprintln!("error: {error}");
        }
        eprintln!(
            "error: the policies of `{}` cannot be evaluated",
            path.display()
        );
        ExitCode::from(EXIT_USAGE)
    })
}

pub fn run(args: &DiffArgs) -> ExitCode {
    let color = args.style.color.enabled();
    let (old_side, new_side) = match load_pair(args, color) {
        Ok(pair) => pair,
        Err(code) => return code,
    };
    let (old_eval, new_eval) = match (
        evaluated(&old_side, &args.old),
        evaluated(&new_side, &args.new),
    ) {
        (Ok(old), Ok(new)) => (old, new),
        (Err(code), _) | (_, Err(code)) => return code,
    };
    let connections = conn_diff::diff(&old_eval.connections(), &new_eval.connections());
    let involved = conn_diff::involved(&old_eval, &new_eval, &connections);
    let objects = conn_diff::objects(&old_eval, &new_eval, &connections, &involved);
    let labels = conn_diff::through_labels(&old_eval, &new_eval, &connections, &objects, &involved);
    let report = conn_diff::Report {
        old: args.old.display().to_string(),
        new: args.new.display().to_string(),
        connections,
        objects,
        labels,
    };
    let text = match args.format {
        DiffFormat::Text => report.text(),
        DiffFormat::Json => report.json(),
        DiffFormat::Md => report.markdown(),
    };
    let mut stdout = std::io::stdout().lock();
    if let Err(err) = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        && err.kind() != std::io::ErrorKind::BrokenPipe
    {
        return super::fatal(format!("cannot write the output: {err}"));
    }
    if args.exit_code && report.differs() {
        ExitCode::from(EXIT_INPUT)
    } else {
        ExitCode::SUCCESS
    }
}
