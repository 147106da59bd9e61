//! Every shipped example and every standard-library module checks with no diagnostic
//! at all: no error and no warning.

use crate::common;

use std::path::PathBuf;

use netpc::source::{Origin, Sources};

#[test]
fn examples_check_without_diagnostics() {
    let mut examples: Vec<PathBuf> = std::fs::read_dir("examples")
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    examples.sort();
    assert!(examples.len() >= 5);
    for example in examples {
        let (mut sources, roots, mut diagnostics) =
            common::load_program(std::slice::from_ref(&example));
        let (program, more) = netpc::check(&mut sources, &roots, &common::DiskLoader);
        diagnostics.extend(more);
        let rendered =
            String::from_utf8(netpc::render::human(&sources, &diagnostics, false)).unwrap();
        assert!(diagnostics.is_empty(), "{}:\n{rendered}", example.display());
        assert!(program.is_some());
    }
}

/// Each module, used from a namespace, compiles without error. `std/kube-apiserver`
/// needs the API server's address range from the user, as its comments say.
#[test]
fn stdlib_modules_check_without_diagnostics() {
    for name in netpc::stdlib::names() {
        let mut sources = Sources::new();
        let text = format!(
            "external kube-apiserver = 10.0.0.1/32;\nnamespace probe {{\n  use std/dns;\n  use std/{name};\n}}\n"
        );
        let root = sources.add(Origin::File(PathBuf::from("probe.netp")), text);
        let (_, diagnostics) = netpc::check(&mut sources, &[root], &common::DiskLoader);
        let rendered =
            String::from_utf8(netpc::render::human(&sources, &diagnostics, false)).unwrap();
        assert!(!diagnostics.has_errors(), "std/{name}:\n{rendered}");
    }
}
