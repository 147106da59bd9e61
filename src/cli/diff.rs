//! `netpc diff`: placeholder wiring until the command lands.

use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct DiffArgs {
    /// Arguments of the command
    pub args: Vec<String>,
}

pub fn run(_args: &DiffArgs) -> ExitCode {
    super::fatal("`netpc diff` is not built yet")
}
