//! `netpc graph [PATH...] [--format dot|mermaid] [--all-pods]`: the allowed connections
//! of a program, a compiled output folder or `git:REV:PATH` as a Graphviz or Mermaid
//! graph clustered by namespace. Exit 0, or 2 when the input cannot be read, compiled
//! or evaluated.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;

use crate::insight::drawing::{GraphOptions, graph};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// Graphviz DOT (`dot -Tsvg`)
    #[default]
    Dot,
    /// a Mermaid flowchart
    Mermaid,
}

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  netpc graph netp | dot -Tsvg > connections.svg
  netpc graph out --format mermaid          a compiled folder, for a Markdown page
  netpc graph git:origin/main:netp --all-pods")]
pub struct GraphArgs {
    /// `.netp` files or folders (default `.`), one compiled output folder, or `git:REV:PATH`
    pub paths: Vec<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    pub format: GraphFormat,
    /// Also draw each managed namespace's pod that matches no service and its exempt pod
    #[arg(long)]
    pub all_pods: bool,
    #[command(flatten)]
    pub style: super::style::StyleArgs,
    #[command(flatten)]
    pub program: super::ProgramArgs,
}

pub fn run(args: &GraphArgs) -> ExitCode {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let (loaded, connections) =
        match super::diff::evaluate(&paths, args.style.color.enabled(), &args.program) {
            Ok(evaluated) => evaluated,
            Err(code) => return code,
        };
    let mut graph = graph(
        &connections,
        GraphOptions {
            all_pods: args.all_pods,
        },
    );
    graph.names = loaded.external_names;
    let text = match args.format {
        GraphFormat::Dot => graph.dot(),
        GraphFormat::Mermaid => graph.mermaid(),
    };
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(err) => super::fatal(format!("cannot write the output: {err}")),
    }
}
