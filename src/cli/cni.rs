//! `netpc cni list`: the network-plugin profiles shipped in the binary, with the
//! source of every entry (`crate::cni::table`); docs/cni.md is the same table.

use std::io::Write;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  netpc cni list                 every profile, its gaps and their sources
  netpc check netp --cni weave@2.8.1")]
pub struct CniArgs {
    #[command(subcommand)]
    pub action: CniAction,
    #[command(flatten)]
    pub style: super::style::StyleArgs,
}

#[derive(clap::Subcommand, Debug)]
pub enum CniAction {
    /// Print every profile: how its ipBlock reads pod IPs, each feature it lacks, sources
    List,
}

pub fn run(args: &CniArgs) -> ExitCode {
    match args.action {
        CniAction::List => {
            let _ = std::io::stdout()
                .lock()
                .write_all(crate::cni::table().as_bytes());
            ExitCode::SUCCESS
        }
    }
}
