//! Helpers shared by the integration tests.

#![allow(
    dead_code,
    reason = "helpers shared by test modules that each use a part"
)]

use std::collections::BTreeMap;
use std::path::Path;

use netpc::diagnostic::{Code, Diagnostics};
use netpc::ir::Program;

/// Codes no valid program can trigger, with the reason. E320: every generated name is
/// built from DNS labels of at most 63 characters and shortened when too long, so no
/// name can exceed the limit; the check stays as a guard in lowering.
pub const UNREACHABLE_CODES: &[Code] = &[Code::GeneratedNameTooLong];

/// The diagnostics lowering adds for a checked program.
pub fn lower_diagnostics(program: &Program) -> Diagnostics {
    let mut diagnostics = Diagnostics::new();
    let _ = netpc::lower::plan(
        program.clone(),
        netpc::lower::Options::default(),
        &mut diagnostics,
    );
    diagnostics
}

/// Every file under `dir` with its content, by `/`-separated relative path.
pub fn read_tree(dir: &Path) -> BTreeMap<String, String> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e
                .path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (rel, std::fs::read_to_string(e.path()).unwrap())
        })
        .collect()
}

/// Reads `use "file"` targets from disk for tests: relative to the using file, with
/// no boundary (the binary's loader, with its boundary and limits, is tested through
/// the binary in `tests/it/limits.rs`). Keys are canonical paths.
#[derive(Clone, Copy, Debug, Default)]
pub struct DiskLoader;

impl netpc::source::Loader for DiskLoader {
    fn locate(
        &self,
        from: &netpc::source::FileKey,
        path: &str,
    ) -> Result<netpc::source::FileKey, netpc::source::LoadFailure> {
        let joined = from.path().parent().unwrap_or(Path::new("")).join(path);
        std::fs::canonicalize(&joined)
            .map(netpc::source::FileKey::new)
            .map_err(|_| netpc::source::LoadFailure::NotFound)
    }

    fn read(&self, key: &netpc::source::FileKey) -> Result<String, netpc::source::LoadFailure> {
        std::fs::read_to_string(key.path())
            .map_err(|e| netpc::source::LoadFailure::Unreadable(e.to_string()))
    }
}

/// The `.netp` files under `paths` (files as given, folders recursively, hidden
/// folders skipped, sorted) read into fresh sources, keyed by canonical path as the
/// binary keys them, so a root that is also `use`d is one module.
pub fn load_program(
    paths: &[std::path::PathBuf],
) -> (
    netpc::source::Sources,
    Vec<netpc::source::FileId>,
    Diagnostics,
) {
    let mut files = Vec::new();
    for path in paths {
        if path.is_file() {
            files.push(path.clone());
            continue;
        }
        let mut found: Vec<_> = walkdir::WalkDir::new(path)
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'))
            .map(Result::unwrap)
            .filter(|e| {
                e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "netp")
            })
            .map(|e| e.into_path())
            .collect();
        found.sort();
        files.extend(found);
    }
    let mut sources = netpc::source::Sources::new();
    let mut diagnostics = Diagnostics::new();
    let roots = files
        .into_iter()
        .filter_map(|path| {
            let bytes = std::fs::read(&path).unwrap();
            let key = netpc::source::FileKey::new(std::fs::canonicalize(&path).unwrap());
            let origin = netpc::source::Origin::File(path);
            netpc::compile::add_root(&mut sources, origin, key, bytes, &mut diagnostics)
        })
        .collect();
    (sources, roots, diagnostics)
}

/// Send `signal` (as `kill` spells it: `-INT`, `-TERM`) to process `pid`.
pub fn send_signal(pid: u32, signal: &str) {
    let status = std::process::Command::new("kill")
        .args([signal, &pid.to_string()])
        .status();
    assert!(status.unwrap().success(), "kill {signal} {pid}");
}
