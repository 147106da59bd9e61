//! `netpc analyze`: placeholder wiring, replaced by the analyzer's command.

use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct AnalyzeArgs {
    /// Folders or files of Kubernetes manifests
    pub paths: Vec<std::path::PathBuf>,
}

pub fn run(_args: &AnalyzeArgs) -> ExitCode {
    super::fatal("`netpc analyze` is not built yet")
}
