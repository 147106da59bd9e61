//! `netpc man [-o DIR]`: the man page (clap_mangen), generated from the same command
//! definitions as `--help`: `netpc(1)` on stdout, or with `-o DIR` one page per
//! subcommand (`netpc.1`, `netpc-check.1`, ...) written into DIR.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::CommandFactory;

#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  netpc man | man -l -                        read the page now
  netpc man -o /usr/local/share/man/man1      install netpc.1 and one page per subcommand
  netpc man -o target/man")]
pub struct ManArgs {
    /// Write `netpc.1` and one `netpc-SUBCOMMAND.1` per subcommand into DIR
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub style: super::style::StyleArgs,
}

pub fn run(args: &ManArgs) -> ExitCode {
    let command = super::Cli::command();
    match &args.output {
        Some(dir) => {
            if let Err(err) = std::fs::create_dir_all(dir) {
                return super::fatal(format!("cannot create `{}`: {err}", dir.display()));
            }
            match clap_mangen::generate_to(command, dir) {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => super::fatal(format!(
                    "cannot write the man pages into `{}`: {err}",
                    dir.display()
                )),
            }
        }
        None => {
            let mut page = Vec::new();
            match clap_mangen::Man::new(command).render(&mut page) {
                Ok(()) => print(&page),
                Err(err) => super::fatal(format!("cannot render the man page: {err}")),
            }
        }
    }
}

/// Writes `bytes` to stdout; a closed pipe is not an error.
pub fn print(bytes: &[u8]) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => {
            super::fatal(format!("cannot write the output: {err}"))
        }
        _ => ExitCode::SUCCESS,
    }
}
