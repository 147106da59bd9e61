//! Build script: tells `netpc --version` the commit it was built from (when built from a
//! git checkout and `git` runs; nothing otherwise) and the Kubernetes API version of the
//! k8s-openapi schemas it targets. Reruns only when HEAD or the ref it names moves, not
//! on every source change.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!(
        "cargo::rustc-env=NETPC_COMMIT={}",
        commit().unwrap_or_default()
    );
    println!("cargo::rustc-env=NETPC_KUBERNETES={}", kubernetes());
}

/// `git` with `args` in the package folder, its trimmed stdout when it succeeded.
fn git(args: &[&str]) -> Option<String> {
    let dir = std::env::var_os("CARGO_MANIFEST_DIR")?;
    let output = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// The short commit of HEAD; registers HEAD, the branch's ref file and packed-refs
/// (wherever the git folder is: a worktree's `.git` is a file) for reruns.
fn commit() -> Option<String> {
    let short = git(&["rev-parse", "--short", "HEAD"])?;
    // Only a checkout of this package itself: not a parent repository that vendors it.
    let top = git(&["rev-parse", "--show-toplevel"])?;
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")?;
    if std::fs::canonicalize(top).ok()? != std::fs::canonicalize(manifest).ok()? {
        return None;
    }
    for name in ["HEAD", "packed-refs"] {
        if let Some(path) = git(&["rev-parse", "--git-path", name]) {
            rerun_if_changed(path);
        }
    }
    if let Some(reference) = git(&["symbolic-ref", "-q", "HEAD"])
        && let Some(path) = git(&["rev-parse", "--git-path", &reference])
    {
        rerun_if_changed(path);
    }
    Some(short)
}

/// Registers an existing file (cargo reruns on every build for a missing one).
fn rerun_if_changed(path: String) {
    let path = PathBuf::from(path);
    let path = match (path.is_relative(), std::env::var_os("CARGO_MANIFEST_DIR")) {
        (true, Some(dir)) => PathBuf::from(dir).join(path),
        _ => path,
    };
    if path.is_file() {
        println!("cargo::rerun-if-changed={}", path.display());
    }
}

/// `1.37` from the version k8s-openapi publishes to its dependents (`links` metadata,
/// `0x00_01_MM_00`), whatever the k8s-openapi release; `unknown` if it is missing.
fn kubernetes() -> String {
    std::env::vars()
        .find(|(name, _)| name.starts_with("DEP_K8S_OPENAPI") && name.ends_with("_VERSION"))
        .and_then(|(_, value)| value.parse::<u32>().ok())
        .map(|v| format!("{}.{}", (v >> 16) & 0xff, (v >> 8) & 0xff))
        .unwrap_or_else(|| "unknown".to_owned())
}
