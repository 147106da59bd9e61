//! The `netpc` binary: installs the panic hook and hands over to [`cli`], which owns
//! every read and write of the file system and the terminal. The library's modules are
//! imported at the crate root so `cli` names them as `crate::...`.
//! Uses mimalloc: netpc allocates many small strings and vectors, and the system
//! allocator spent about a third of `check`'s time on them.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod cli;

#[allow(
    unused_imports,
    reason = "the command modules name the library's modules through these imports"
)]
use netpc::{
    analyze, ast, check, cni, compile, diagnostic, emit, fmt, ide, import, insight, ir, kit, lower,
    output, probe, render, resolve, source, stdlib, syntax, verify, workloads,
};

fn main() -> std::process::ExitCode {
    cli::main()
}
