//! `netpc completions bash|zsh|fish|powershell|elvish`: the shell completion script for
//! every subcommand and flag (clap_complete), on stdout. Install it where the shell
//! looks (README.md).

use std::process::ExitCode;

use clap::CommandFactory;
use clap_complete::Shell;

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  netpc completions bash > ~/.local/share/bash-completion/completions/netpc
  netpc completions zsh > ~/.zfunc/_netpc        (with fpath+=~/.zfunc in ~/.zshrc)
  netpc completions fish > ~/.config/fish/completions/netpc.fish")]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: Shell,
    #[command(flatten)]
    pub style: super::style::StyleArgs,
}

pub fn run(args: &CompletionsArgs) -> ExitCode {
    let mut command = super::Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "netpc", &mut script);
    super::man::print(&script)
}
