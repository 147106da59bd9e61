//! The `netpc` binary: installs the panic hook and hands over to [`netpc::cli`].
//! Uses mimalloc: netpc allocates many small strings and vectors, and the system
//! allocator spent about a third of `check`'s time on them.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    netpc::cli::main()
}
