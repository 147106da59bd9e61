//! Lowering cases as fixtures: every `tests/lower/*.netp` is one small program (ports,
//! externals of both families, `*` and `N/*` endpoints, the exempt label, enforcement,
//! shortened labels, the naming diagnostics W004 and E321, YAML 1.1 names). Its leading
//! comments say which output files to show (`// show: PATH`) and, optionally, the
//! `--enforcement` override (`// enforcement: on`). The harness compiles it through
//! `netpc::compile`, checks each policy's YAML against the independent k8s-openapi
//! object (`lower_support::assert_view_matches_object`), checks what must hold for
//! every output (below), and snapshots the program, the shown files and the
//! diagnostics beside the fixture: `tests/lower/<name>.snap`.

use std::path::Path;

use netpc::emit::File;
use netpc::ir::EnforcementOverride;
use serde::Deserialize as _;

use crate::{common, lower_support};

struct Case {
    show: Vec<String>,
    enforcement: EnforcementOverride,
}

/// The directives in a fixture's comments.
fn directives(text: &str) -> Case {
    let mut case = Case {
        show: Vec::new(),
        enforcement: EnforcementOverride::default(),
    };
    for line in text.lines().map_while(|l| l.strip_prefix("// ")) {
        if let Some(path) = line.strip_prefix("show: ") {
            case.show.push(path.to_owned());
        } else if let Some(value) = line.strip_prefix("enforcement: ") {
            case.enforcement = EnforcementOverride::both(value == "on");
        }
    }
    case
}

/// Compile a fixture; the files (none when it has errors) and the rendered diagnostics.
fn lower(path: &Path, case: &Case) -> (Vec<File>, String) {
    let (sources, roots, diagnostics) = common::load_program(&[path.to_path_buf()]);
    let loader = common::DiskLoader;
    let input = netpc::compile::Input {
        sources,
        roots,
        diagnostics,
        loader: &loader,
    };
    let options = netpc::compile::Options {
        lower: netpc::lower::Options {
            enforcement: case.enforcement,
        },
        cni: None,
    };
    let compiled = netpc::compile(input, options);
    let rendered = netpc::render::human(&compiled.sources, &compiled.diagnostics, false);
    let files = match &compiled.plan {
        Some(plan) => {
            lower_support::assert_view_matches_object(plan);
            netpc::emit::files(plan).unwrap()
        }
        None => Vec::new(),
    };
    (files, String::from_utf8(rendered).unwrap())
}

fn file<'a>(files: &'a [File], path: &str) -> &'a str {
    let found = files.iter().find(|f| f.path == path);
    let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    &found
        .unwrap_or_else(|| panic!("no {path} in {paths:#?}"))
        .text
}

/// No plain scalar that YAML 1.1 would read as a boolean or number (real booleans and
/// numbers are written plain on purpose), and YAML 1.2 reads every file back.
fn assert_yaml_1_1_safe(files: &[File]) {
    for file in files {
        for line in file.text.lines().filter(|l| !l.starts_with('#')) {
            let scalar = line.trim_start_matches([' ', '-']);
            let (key, value) = scalar.split_once(": ").unwrap_or((scalar, ""));
            let key = key.trim_end_matches(':');
            let typed = matches!(key, "managed" | "containerPort" | "port" | "endPort")
                && (matches!(value, "true" | "false") || value.bytes().all(|b| b.is_ascii_digit()));
            if typed {
                continue;
            }
            for token in [key, value].into_iter().filter(|t| !t.is_empty()) {
                assert!(
                    !netpc::emit::yaml11::ambiguous(token),
                    "{}: `{line}`",
                    file.path
                );
            }
        }
        for document in serde_yaml::Deserializer::from_str(&file.text) {
            serde_yaml::Value::deserialize(document).unwrap();
        }
    }
}

/// Labels are valid (at most 63 characters, alphanumeric at both ends), object names
/// are DNS subdomains, and no peer appears twice in one rule.
fn assert_names_and_peers(files: &[File]) {
    for file in files.iter().filter(|f| f.path.ends_with(".yaml")) {
        let name = file.path.rsplit('/').next().unwrap();
        assert!(name.trim_end_matches(".yaml").len() <= 253, "{}", file.path);
        for line in file.text.lines() {
            if let Some(label) = line.trim().strip_suffix(": 'true'") {
                let label = label.trim_start_matches("- ");
                if label.starts_with("needs-") {
                    assert!(label.len() <= 63, "{}: {label}", file.path);
                    assert!(label.ends_with(|c: char| c.is_ascii_alphanumeric()));
                }
            }
        }
        for document in serde_yaml::Deserializer::from_str(&file.text) {
            let value = serde_yaml::Value::deserialize(document).unwrap();
            for direction in ["ingress", "egress"] {
                let rules = value["spec"][direction].as_sequence().cloned();
                for rule in rules.unwrap_or_default() {
                    let peers = rule["from"].as_sequence().or(rule["to"].as_sequence());
                    let peers = peers.cloned().unwrap_or_default();
                    for (i, peer) in peers.iter().enumerate() {
                        assert!(!peers[..i].contains(peer), "{}: {peer:?}", file.path);
                    }
                }
            }
        }
    }
}

#[test]
fn lowering_cases() {
    let mut seen = 0;
    insta::glob!("../lower", "*.netp", |path| {
        let path = path
            .strip_prefix(env!("CARGO_MANIFEST_DIR"))
            .unwrap_or(path);
        seen += 1;
        let program = std::fs::read_to_string(path).unwrap();
        let case = directives(&program);
        let (files, diagnostics) = lower(path, &case);
        assert_yaml_1_1_safe(&files);
        assert_names_and_peers(&files);
        let mut text = format!("----- SOURCE CODE {}\n{program}", path.display());
        for shown in &case.show {
            text.push_str(&format!("----- FILE {shown}\n{}", file(&files, shown)));
        }
        text.push_str(&format!("----- DIAGNOSTICS\n{diagnostics}"));
        let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lower");
        let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
        insta::with_settings!({
            snapshot_path => beside,
            snapshot_suffix => "",
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_snapshot!(name, text);
        });
    });
    assert!(seen >= 12, "fixtures not found ({seen})");
}

/// Many clients of one target share one rule, each peer once, even when every need is
/// written twice (a program too repetitive for a fixture file).
#[test]
fn many_clients_of_one_target_share_one_rule_without_duplicates() {
    let mut program = String::from("identity selectors;\nnamespace a {\n  service db;\n");
    for i in 0..40 {
        program.push_str(&format!("  service c{i:02};\n"));
    }
    for i in 0..40 {
        program.push_str(&format!(
            "  c{i:02} needs db:5432;\n  c{i:02} needs db:5432;\n"
        ));
    }
    program.push_str("}\n");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.netp");
    std::fs::write(&path, program).unwrap();
    let (files, _) = lower(&path, &directives(""));
    assert_names_and_peers(&files);
    let ingress = file(&files, "namespaces/a/ingress/allow-ingress-db.yaml");
    for i in 0..40 {
        let peer = format!("app: c{i:02}\n");
        assert_eq!(ingress.matches(&peer).count(), 1, "c{i:02}");
    }
    assert_eq!(ingress.matches("- from:").count(), 1);
}
