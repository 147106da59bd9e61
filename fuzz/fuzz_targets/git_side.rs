//! The git side of `diff` and `graph` (`git:REV:PATH`) without git: the input is what
//! git would print, `git ls-tree -r -l -z` output, the separator `\n--batch--\n`, then
//! `git cat-file --batch` output (the seeds are real listings of this repository).
//! The listing is parsed and every entry checked (`netpc::insight::git_objects`), the
//! bodies are split off the batch, and then, as `cli::diff::read_side` does, a tree
//! with a `labels.yaml` is read as an output folder and any other tree's `.netp` files
//! are compiled, `use` resolved inside the tree only. Never panics; an entry that the
//! checks refuse is never read.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use netpc::insight::git_objects::{locate, parse_batch, parse_tree};
use netpc::source::{Origin, Sources};
use netpc_fuzz::{Budget, Counting, MemLoader, bounded};

#[global_allocator]
static ALLOC: Counting = Counting;

/// 1 s and 128 MiB for any input, plus 100 ms and 16 MiB per KiB.
const BUDGET: Budget = Budget {
    base_ms: 1000,
    per_kib_ms: 100,
    base_mib: 128,
    per_kib_mib: 16,
};

/// The oracle, written apart from `check_entry`: a relative path of plain components.
fn safe(path: &str) -> bool {
    !path.starts_with('/')
        && path
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != ".." && !c.eq_ignore_ascii_case(".git"))
}

const SEPARATOR: &[u8] = b"\n--batch--\n";

fn split(data: &[u8]) -> (&[u8], &[u8]) {
    match data.windows(SEPARATOR.len()).position(|w| w == SEPARATOR) {
        Some(at) => (&data[..at], &data[at + SEPARATOR.len()..]),
        None => (data, &[]),
    }
}

fn read_tree(files: &BTreeMap<String, String>) {
    let listed = files
        .iter()
        .filter(|(path, _)| netpc::output::classify(path).is_listed())
        .map(|(path, text)| (path.as_str(), text.as_str()));
    let _ = netpc::output::read(listed);
}

fn compile_tree(files: BTreeMap<String, String>) {
    let mut sources = Sources::new();
    let roots: Vec<_> = files
        .iter()
        .filter(|(path, _)| path.ends_with(".netp") && !path.split('/').any(|c| c.starts_with('.')))
        .map(|(path, text)| sources.add(Origin::File(path.into()), text.clone()))
        .collect();
    let loader = MemLoader { files };
    let input = netpc::compile::Input {
        sources,
        roots,
        diagnostics: netpc::diagnostic::Diagnostics::new(),
        loader: &loader,
    };
    let compiled = netpc::compile(input, netpc::compile::Options::default());
    if let Some(plan) = &compiled.plan {
        let _ = netpc::verify::compiled(plan);
    }
}

fuzz_target!(|data: &[u8]| {
    bounded(data.len(), BUDGET, || {
        let (listing, batch) = split(data);
        let Ok(blobs) = parse_tree(listing, "fuzz") else {
            return;
        };
        for blob in &blobs {
            assert!(safe(&blob.path), "an unsafe entry was accepted: {blob:?}");
            for used in ["../x.netp", "a/../../x.netp", "./.git/config", "b.netp"] {
                if let Some(path) = locate(&blob.path, used) {
                    assert!(
                        safe(&path),
                        "`use {used:?}` from {:?} gives {path:?}",
                        blob.path
                    );
                }
            }
        }
        let Ok(bodies) = parse_batch(batch, blobs.len()) else {
            return;
        };
        let mut files = BTreeMap::new();
        for (blob, body) in blobs.iter().zip(bodies) {
            let Ok(text) = String::from_utf8(body) else {
                return;
            };
            files.insert(blob.path.clone(), text);
        }
        if files
            .keys()
            .any(|p| p == netpc::output::CONTRACT || p.ends_with("/labels.yaml"))
        {
            read_tree(&files);
        } else {
            compile_tree(files);
        }
    });
});
