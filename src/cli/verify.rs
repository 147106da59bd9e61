//! `netpc verify`: placeholder wiring until the command lands.

use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct VerifyArgs {
    /// Arguments of the command
    pub args: Vec<String>,
}

pub fn run(_args: &VerifyArgs) -> ExitCode {
    super::fatal("`netpc verify` is not built yet")
}
