//! `netpc explain CODE`: the long description of a diagnostic code, with an example.

use std::process::ExitCode;

use super::EXIT_USAGE;
use crate::diagnostic::Code;

#[derive(clap::Args, Debug)]
pub struct ExplainArgs {
    /// A diagnostic code such as `E204` or `W001`
    pub code: String,
}

pub fn run(args: &ExplainArgs) -> ExitCode {
    match Code::parse(&args.code) {
        Some(code) => {
            print!("{}", code.explanation());
            ExitCode::SUCCESS
        }
        None => {
            let known: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
            eprintln!("error: `{}` is not a netpc diagnostic code", args.code);
            match crate::diagnostic::did_you_mean(
                &args.code.to_ascii_uppercase(),
                known.iter().copied(),
            ) {
                Some(near) => eprintln!("help: did you mean `{near}`?"),
                None => eprintln!(
                    "help: codes look like E100, E204 or W001; run `netpc check` to see them"
                ),
            }
            ExitCode::from(EXIT_USAGE)
        }
    }
}
