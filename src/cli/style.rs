//! `--color` and `-q/--quiet` for the commands that print no diagnostics of a program
//! (`analyze`, `diff`, `graph`, `cni`, `completions`, `man`), so every command takes both, and
//! the help examples every subcommand ends with.

use super::ColorChoice;

/// `--color` and `-q/--quiet`.
#[derive(clap::Args, Debug, Clone, Copy)]
pub struct StyleArgs {
    /// Colour what is printed on stderr
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Print errors only: no warnings, notes or summary line
    #[arg(short, long)]
    pub quiet: bool,
}

#[cfg(test)]
mod tests {
    use super::ColorChoice;
    use std::ffi::OsStr;

    #[test]
    fn no_color_turns_auto_off_when_set_and_not_empty() {
        assert!(ColorChoice::Auto.decide(true, None));
        assert!(!ColorChoice::Auto.decide(true, Some(OsStr::new("1"))));
        assert!(ColorChoice::Auto.decide(true, Some(OsStr::new(""))));
        assert!(!ColorChoice::Auto.decide(false, None));
        assert!(ColorChoice::Always.decide(false, Some(OsStr::new("1"))));
        assert!(!ColorChoice::Never.decide(true, None));
    }
}
