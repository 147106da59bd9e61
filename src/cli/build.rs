//! `netpc build`: placeholder wiring, replaced by the build command.

use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct BuildArgs {
    /// `.netp` files, or folders searched recursively for them (default `.`)
    pub paths: Vec<std::path::PathBuf>,
}

pub fn run(_args: &BuildArgs) -> ExitCode {
    super::fatal("`netpc build` is not built yet")
}
