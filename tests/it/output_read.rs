//! Reading a compiled folder (`verify --against`, `diff`, `graph`, `explain`): from 256
//! policy files on, `output::read` parses them on several threads. Whatever the number
//! of threads, the policies come back in file order, and of two unreadable files the
//! first one in file order is the one named, as a single thread would name it.
use std::path::PathBuf;

use netpc::compile::{Input, Options};
use netpc::diagnostic::Diagnostics;
use netpc::source::{Origin, Sources};

use super::common;

/// The compiled files of a namespace of `services` services in a chain, each needing
/// the next: well over 256 policy files from 130 services on.
fn compiled_files(services: usize) -> Vec<(String, String)> {
    let mut text = String::from("namespace grid {\n  use std/dns;\n");
    for i in 0..services {
        text.push_str(&format!("  service s{i};\n"));
    }
    for i in 1..services {
        text.push_str(&format!("  s{} needs s{i}:80;\n", i - 1));
    }
    text.push_str("}\n");
    let mut sources = Sources::new();
    let root = sources.add(Origin::File(PathBuf::from("grid.netp")), text);
    let input = Input {
        sources,
        roots: vec![root],
        diagnostics: Diagnostics::new(),
        loader: &common::DiskLoader,
    };
    let compiled = netpc::compile(input, Options::default());
    assert!(
        compiled.diagnostics.is_empty(),
        "{:?}",
        compiled.diagnostics
    );
    let plan = compiled.plan.unwrap();
    netpc::emit::files(&plan)
        .unwrap()
        .into_iter()
        .map(|f| (f.path, f.text))
        .collect()
}

/// A policy file, by the layout (docs/output.md), without asking netpc.
fn is_policy_file(path: &str) -> bool {
    let steps: Vec<&str> = path.split('/').collect();
    matches!(steps[..], ["namespaces", _, "ingress" | "egress", file]
        if file.ends_with(".yaml") && file != "kustomization.yaml")
}

fn read(files: &[(String, String)]) -> Result<netpc::output::Folder, String> {
    netpc::output::read(files.iter().map(|(p, t)| (p.as_str(), t.as_str())))
        .map_err(|e| e.to_string())
}

/// The positions (in `files`) of the policy files.
fn policy_files(files: &[(String, String)]) -> Vec<usize> {
    let found: Vec<usize> = (0..files.len())
        .filter(|&i| is_policy_file(&files[i].0))
        .collect();
    assert!(found.len() > 512, "{} policy files", found.len());
    found
}

#[test]
fn the_policies_of_a_large_folder_come_back_in_file_order() {
    let files = compiled_files(300);
    let mut expected = Vec::new();
    for i in policy_files(&files) {
        let (path, text) = &files[i];
        for document in serde_yaml::Deserializer::from_str(text) {
            let value = <serde_yaml::Value as serde::Deserialize>::deserialize(document).unwrap();
            if value["kind"].as_str() == Some("NetworkPolicy") {
                let name = value["metadata"]["name"].as_str().unwrap().to_owned();
                expected.push((name, path.clone()));
            }
        }
    }
    let folder = read(&files).unwrap();
    let found: Vec<(String, String)> = folder
        .policies
        .iter()
        .map(|(policy, file)| (policy.metadata.name.clone().unwrap(), file.clone()))
        .collect();
    assert_eq!(found, expected);
}

#[test]
fn of_two_unreadable_policy_files_the_first_is_named() {
    let files = compiled_files(300);
    let policies = policy_files(&files);
    let (early, late) = (policies[1], policies[policies.len() - 1]);
    let broken = |at: &[usize]| {
        let mut files = files.clone();
        for &i in at {
            files[i].1 = "kind: NetworkPolicy\nmetadata: [unclosed\n".to_owned();
        }
        read(&files).unwrap_err()
    };
    let (early_path, late_path) = (&files[early].0, &files[late].0);

    let both = broken(&[early, late]);
    assert!(
        both.starts_with(&format!("{early_path}: not valid YAML")),
        "{both}"
    );
    assert!(!both.contains(late_path.as_str()), "{both}");
    // The late file alone is found too (it is read by the last thread, if any).
    let alone = broken(&[late]);
    assert!(
        alone.starts_with(&format!("{late_path}: not valid YAML")),
        "{alone}"
    );
    // A policy that is YAML but not a NetworkPolicy, early, against bad YAML late.
    let mut files = files.clone();
    files[early].1 = "kind: NetworkPolicy\nspec: 3\n".to_owned();
    files[late].1 = "[".to_owned();
    let mixed = read(&files).unwrap_err();
    assert!(
        mixed.starts_with(&format!("{early_path}: cannot read this NetworkPolicy")),
        "{mixed}"
    );
}
