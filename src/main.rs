//! The `netpc` binary: installs the panic hook and hands over to [`netpc::cli`].

fn main() -> std::process::ExitCode {
    netpc::cli::main()
}
