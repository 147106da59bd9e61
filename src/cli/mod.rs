//! The command line: argument parsing (clap), loading `.netp` files from disk, and the
//! dispatch to one module per subcommand. Owns every read and write of the file
//! system and terminal; the rest of the crate is pure.
//!
//! Exit status: 0 success, 1 the input has errors (or a `--check` found drift), 2 the
//! command was used wrongly or the file system failed.

mod analyze;
mod build;
mod check;
mod cni;
mod completions;
mod diff;
mod explain;
mod folder;
mod format;
mod graph;
mod import;
mod kit;
mod kubectl;
mod load;
mod lsp;
mod man;
mod manifest_files;
mod program;
pub mod read;
mod style;
mod verify;
pub mod version;
mod workloads;
pub mod write;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

pub use load::{FsLoader, LoadError, load_program};

/// Exit status 1: the input has errors, or a check found a difference.
pub const EXIT_INPUT: u8 = 1;
/// Exit status 2: wrong usage or a file-system failure.
pub const EXIT_USAGE: u8 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "netpc",
    version = version::text(),
    about = "Compile network policy as code (.netp) into Kubernetes NetworkPolicies",
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Parse and check a program; print diagnostics only
    Check(check::CheckArgs),
    /// Compile a program into NetworkPolicy manifests
    Build(build::BuildArgs),
    /// Format .netp files in the one canonical layout (docs/fmt.md)
    Fmt(format::FmtArgs),
    /// Explain a diagnostic code (`netpc explain E204`) or a connection (`netpc explain grid/plotter grid/api:443`)
    Explain(explain::ExplainArgs),
    /// Compute who can reach whom from any folder of Kubernetes manifests
    Analyze(analyze::AnalyzeArgs),
    /// Prove that compiled manifests allow exactly what the program declares
    Verify(verify::VerifyArgs),
    /// Connections added and removed between two versions
    Diff(diff::DiffArgs),
    /// Allowed connections as a Graphviz or Mermaid graph
    Graph(graph::GraphArgs),
    /// Turn existing NetworkPolicy manifests into a .netp program, proven equivalent
    Import(import::ImportArgs),
    /// Prove on a live cluster that the network plugin enforces the program
    Probe(Box<kit::ProbeArgs>),
    /// The network-plugin profiles (`netpc cni list`)
    Cni(cni::CniArgs),
    /// Run the language server over stdio (for editors; see docs/editors.md)
    Lsp(lsp::LspArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish)
    Completions(completions::CompletionsArgs),
    /// Print the man page, or write one page per subcommand into a folder
    Man(man::ManArgs),
}

/// How diagnostics are printed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum MessageFormat {
    /// rustc-style text on stderr
    #[default]
    Human,
    /// one JSON object per line per diagnostic on stderr (see docs/diagnostics.md)
    Json,
    /// GitHub Actions workflow commands (annotations) on stderr
    Github,
    /// one SARIF 2.1.0 log on stdout (GitHub code scanning)
    Sarif,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// colour when stderr is a terminal and NO_COLOR is not set
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether to colour stderr.
    pub fn enabled(self) -> bool {
        self.decide(
            std::io::stderr().is_terminal(),
            std::env::var_os("NO_COLOR").as_deref(),
        )
    }

    /// `auto` colours a terminal unless `NO_COLOR` is set to a non-empty value
    /// (no-color.org); `always` and `never` say so whatever the environment.
    pub fn decide(self, terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => terminal && no_color.is_none_or(|value| value.is_empty()),
        }
    }
}

/// Flags shared by every command that prints diagnostics.
#[derive(clap::Args, Debug, Clone, Copy)]
pub struct DiagnosticArgs {
    /// Colour diagnostics
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// How to print diagnostics (docs/diagnostics.md)
    #[arg(long, value_enum, default_value_t = MessageFormat::Human)]
    pub message_format: MessageFormat,
    /// Print errors only: no warnings, notes or summary line
    #[arg(short, long)]
    pub quiet: bool,
}

/// Flags shared by every command that loads a `.netp` program.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ProgramArgs {
    /// Let `use "..."` also read files under DIR, outside the program's repository
    /// (repeatable; see docs/limits.md)
    #[arg(long = "allow-use-outside", value_name = "DIR")]
    pub allow_use_outside: Vec<std::path::PathBuf>,
    /// The network plugin that will enforce the policies, over the program's `cni`
    /// setting: checks what it would ignore and evaluates `verify` with its ipBlock
    /// rule (`netpc cni list`; docs/cni.md)
    #[arg(long, value_name = "NAME@VERSION", value_parser = parse_cni)]
    pub cni: Option<crate::cni::Profile>,
}

/// `--cni NAME@VERSION`: a profile, or the message with did-you-mean and the list.
pub(crate) fn parse_cni(text: &str) -> Result<crate::cni::Profile, String> {
    crate::cni::parse(text).map_err(|e| e.to_string())
}

impl ProgramArgs {
    /// The loader for `use "file"` in the program whose root files are `roots`.
    pub fn loader(
        &self,
        sources: &crate::source::Sources,
        roots: &[crate::source::FileId],
    ) -> Result<FsLoader, LoadError> {
        FsLoader::for_program(sources, roots, &self.allow_use_outside)
    }
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    install_panic_hook();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return match err.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    ExitCode::SUCCESS
                }
                _ => ExitCode::from(EXIT_USAGE),
            };
        }
    };
    match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Lsp(args) => lsp::run(&args),
        Command::Build(args) => build::run(&args),
        Command::Fmt(args) => format::run(&args),
        Command::Explain(args) => explain::run(&args),
        Command::Analyze(args) => analyze::run(&args),
        Command::Verify(args) => verify::run(&args),
        Command::Diff(args) => diff::run(&args),
        Command::Graph(args) => graph::run(&args),
        Command::Import(args) => import::run(&args),
        Command::Probe(args) => kit::run(&args),
        Command::Cni(args) => cni::run(&args),
        Command::Completions(args) => completions::run(&args),
        Command::Man(args) => man::run(&args),
    }
}

/// A panic is a bug in netpc: say so, and where to report it, instead of a bare trace.
fn install_panic_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        eprintln!(
            "error: netpc hit an internal error (a bug in netpc, not in your input).\n\
             Please report it with the input that caused it and this message:"
        );
        default(info);
    }));
}

/// Print an error that stops a command (not a diagnostic about the input).
pub fn fatal(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(EXIT_USAGE)
}
