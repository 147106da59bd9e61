//! `netpc graph`: placeholder wiring until the command lands.

use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct GraphArgs {
    /// Arguments of the command
    pub args: Vec<String>,
}

pub fn run(_args: &GraphArgs) -> ExitCode {
    super::fatal("`netpc graph` is not built yet")
}
