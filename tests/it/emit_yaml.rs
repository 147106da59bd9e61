//! The emitted YAML reads back as written in YAML 1.1 and YAML 1.2. Every file of every
//! example and of a program whose names look like dates, numbers, booleans and null
//! (`2001-01-01`, `0x1f`, `1e3`, `010`, `on`, `y`, `null`) is loaded by PyYAML (YAML 1.1,
//! as kubectl's and kustomize's go-yaml read it) and by serde_yaml (YAML 1.2): both must
//! give the same tree, in which every scalar is a string except ports and `managed`.
//! Strings generated to look like YAML 1.1 non-strings (`12:30`, `~`, `<<`, `1_000.5`,
//! `.inf`) are written by the YAML writer and read back as the same strings by both.
//!
//! Keys come in the order kubectl shows (`apiVersion`, `kind`, `metadata`, `spec`;
//! `name`, `namespace`, `labels`; `podSelector`, `policyTypes`, rules; peers before
//! ports), label maps sorted by key.
//!
//! PyYAML is needed: `.ci/run` installs it. Without it these tests fail when `CI` is set,
//! and are skipped with a message otherwise.

use crate::common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use serde_json::Value;

/// Load each text with PyYAML (`safe_load_all`) and return its documents as JSON, with
/// every non-string key and every scalar that is not a string, int or bool replaced by a
/// `<type: value>` marker, so a date or a float cannot pass for a string. `None` when
/// PyYAML is missing outside CI.
fn pyyaml(texts: &[String]) -> Option<Vec<Value>> {
    const SCRIPT: &str = r#"
import json, sys, yaml
def norm(v):
    if isinstance(v, dict):
        return {k if isinstance(k, str) else "<key %s: %r>" % (type(k).__name__, k): norm(x) for k, x in v.items()}
    if isinstance(v, list):
        return [norm(x) for x in v]
    if isinstance(v, (str, bool, int)):
        return v
    return "<%s: %r>" % (type(v).__name__, v)
texts = json.load(sys.stdin)
json.dump([[norm(d) for d in yaml.safe_load_all(t)] for t in texts], sys.stdout)
"#;
    let probe = Command::new("python3")
        .args(["-c", "import yaml"])
        .stderr(Stdio::null())
        .status();
    if !probe.is_ok_and(|s| s.success()) {
        assert!(
            std::env::var_os("CI").is_none(),
            "PyYAML is missing (python3 -c 'import yaml' fails): .ci/run installs pyyaml"
        );
        eprintln!(
            "\n*** SKIPPED: PyYAML is not installed, so the YAML 1.1 round trip was NOT checked. \
             Install it with `python3 -m pip install pyyaml==6.0.2` (CI fails without it). ***\n"
        );
        return None;
    }
    let mut child = Command::new("python3")
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let input = serde_json::to_vec(texts).unwrap();
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "PyYAML failed to load the output");
    let Value::Array(loaded) = serde_json::from_slice(&output.stdout).unwrap() else {
        panic!("not a list");
    };
    Some(loaded)
}

/// The documents of `text` as serde_yaml (YAML 1.2) reads them, as JSON.
fn serde_yaml_docs(text: &str) -> Value {
    use serde::Deserialize;
    Value::Array(
        serde_yaml::Deserializer::from_str(text)
            .map(|d| Value::deserialize(d).unwrap())
            .collect(),
    )
}

/// Keys whose values are not strings in netpc's output.
fn typed_leaf_ok(key: &str, value: &Value) -> bool {
    match (key, value) {
        (_, Value::String(_)) => true,
        ("port" | "endPort" | "containerPort", Value::Number(n)) => n.is_u64(),
        ("managed", Value::Bool(_)) => true,
        _ => false,
    }
}

/// Every leaf of `value` is a string, except the typed ones; `path` names the place.
fn assert_strings(value: &Value, key: &str, path: &str) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                assert!(!k.starts_with("<key "), "{path}: key {k}");
                assert_strings(v, k, &format!("{path}.{k}"));
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                assert_strings(v, key, &format!("{path}[{i}]"));
            }
        }
        leaf => assert!(typed_leaf_ok(key, leaf), "{path} reads as {leaf}"),
    }
}

/// A port is written as a plain decimal number, a quoted string, or a plain name
/// starting with a letter, so no port name could be read as a number (`0x1f` is 31 to
/// both readers, which would agree on the wrong value).
fn assert_plain_numbers_are_decimal(path: &str, text: &str) {
    for line in text.lines() {
        let item = line.trim_start().trim_start_matches("- ");
        for key in ["port: ", "endPort: ", "containerPort: "] {
            if let Some(value) = item.strip_prefix(key) {
                let quoted = value.starts_with('\'') || value.starts_with('"');
                let decimal = !value.starts_with('0') && value.bytes().all(|b| b.is_ascii_digit());
                let name = value
                    .bytes()
                    .next()
                    .is_some_and(|b| b.is_ascii_alphabetic());
                assert!(quoted || decimal || name, "{path}: `{line}`");
            }
        }
    }
}

fn build(program: &Path, out: &Path) -> BTreeMap<String, String> {
    let output = Command::new(env!("CARGO_BIN_EXE_netpc"))
        .arg("build")
        .arg(program)
        .arg("-o")
        .arg(out)
        .args(["--color", "never"])
        .env_remove("NETPC_TIMINGS")
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    common::read_tree(out)
        .into_iter()
        .filter(|(path, _)| path.ends_with(".yaml"))
        .collect()
}

/// Names that YAML 1.1 or 1.2 would read as something else, in every place a name goes:
/// namespaces, services, externals, label keys and values, the exempt label, port names.
const ADVERSARIAL: &str = "\
exempt label 2001-01-01 = on;

namespace 2001-01-01 {
  use std/dns;
  service 0x1f { select app = 1e3, 0b101 = null; port null 80, y 81, on 82; }
  service on   { select 12-30 = 1_0, tier = off; port 443; }
  service null { port 8080-8090/udp; }
  service 1e3  { port 53/udp; }
  on   needs 0x1f:{null, y, on}, null:8080-8090/udp;
  null needs 1e3:53/udp, 0x1f:null;
  *    needs on:443;
  export on to y;
}

namespace y {
  service n { select yes = no, 1.5 = 2001-01-01, 0o17 = 0x1F, NULL = 1_000; port 9000; }
  n needs 2001-01-01/on:443;
  export n to 0o17;
}

namespace 0o17 {
  service 010 { port 1; }
  * needs y/n:9000;
  external 0b11 = 192.0.2.0/24;
  010 needs 0b11:443;
}
";

fn programs(tmp: &Path) -> Vec<(String, PathBuf)> {
    let mut programs: Vec<(String, PathBuf)> = std::fs::read_dir("examples")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), p))
        .collect();
    programs.sort();
    assert!(programs.len() >= 5);
    let adversarial = tmp.join("adversarial.netp");
    std::fs::write(&adversarial, ADVERSARIAL).unwrap();
    programs.push(("adversarial".to_owned(), adversarial));
    programs
}

/// Every `.yaml` file of every program, as (`program/path`, text).
fn all_files(tmp: &Path) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = Vec::new();
    for (name, program) in programs(tmp) {
        let out = tmp.join(format!("out-{name}"));
        for (path, text) in build(&program, &out) {
            files.push((format!("{name}/{path}"), text));
        }
    }
    files
}

fn keys(value: &serde_yaml::Value) -> Vec<&str> {
    value
        .as_mapping()
        .unwrap()
        .keys()
        .map(|k| k.as_str().unwrap())
        .collect()
}

/// `got` is `order` with some keys left out, in that order.
fn assert_in_order(got: &[&str], order: &[&str], path: &str) {
    let mut rest = order.iter();
    for key in got {
        assert!(
            rest.any(|k| k == key),
            "{path}: keys {got:?} not in the order {order:?}"
        );
    }
}

fn assert_policy_key_order(policy: &serde_yaml::Value, path: &str) {
    assert_eq!(
        keys(policy),
        ["apiVersion", "kind", "metadata", "spec"],
        "{path}"
    );
    assert_eq!(
        keys(&policy["metadata"]),
        ["name", "namespace", "labels"],
        "{path}"
    );
    let spec = &policy["spec"];
    assert_in_order(
        &keys(spec),
        &["podSelector", "policyTypes", "ingress", "egress"],
        path,
    );
    assert_eq!(keys(spec)[..2], ["podSelector", "policyTypes"], "{path}");
    for direction in ["ingress", "egress"] {
        for rule in spec[direction].as_sequence().into_iter().flatten() {
            assert_in_order(&keys(rule), &["from", "to", "ports"], path);
            for field in ["from", "to"] {
                for peer in rule[field].as_sequence().into_iter().flatten() {
                    let order = ["namespaceSelector", "podSelector", "ipBlock"];
                    assert_in_order(&keys(peer), &order, path);
                }
            }
            for port in rule["ports"].as_sequence().into_iter().flatten() {
                assert_in_order(&keys(port), &["protocol", "port", "endPort"], path);
            }
        }
    }
}

/// Label maps stay sorted by key, wherever they are.
fn assert_label_maps_sorted(value: &serde_yaml::Value, path: &str) {
    if let Some(map) = value.as_mapping() {
        for (key, inner) in map {
            let key = key.as_str().unwrap();
            if matches!(key, "labels" | "matchLabels") {
                let got = keys(inner);
                let mut sorted = got.clone();
                sorted.sort_unstable();
                assert_eq!(got, sorted, "{path}: {key}");
            }
            assert_label_maps_sorted(inner, path);
        }
    } else if let Some(items) = value.as_sequence() {
        for item in items {
            assert_label_maps_sorted(item, path);
        }
    }
}

#[test]
fn keys_are_in_the_order_kubectl_shows() {
    let tmp = tempfile::tempdir().unwrap();
    for (path, text) in all_files(tmp.path()) {
        use serde::Deserialize;
        // The label guard's objects are k8s-openapi's, in its (alphabetical) key order.
        if path.contains("/admission/label-guard-") {
            continue;
        }
        for doc in serde_yaml::Deserializer::from_str(&text) {
            let doc = serde_yaml::Value::deserialize(doc).unwrap();
            assert_label_maps_sorted(&doc, &path);
            if path.ends_with("kustomization.yaml") {
                assert_eq!(
                    keys(&doc),
                    ["apiVersion", "kind", "sortOptions", "resources"],
                    "{path}"
                );
            } else if path.ends_with("/labels.yaml") {
                assert_eq!(
                    keys(&doc),
                    ["exemptLabel", "namespaces", "services"],
                    "{path}"
                );
                for service in doc["services"].as_sequence().unwrap() {
                    let order = ["namespace", "service", "managed", "labels", "namedPorts"];
                    assert_in_order(&keys(service), &order, &path);
                }
            } else {
                assert_policy_key_order(&doc, &path);
            }
        }
    }
}

#[test]
fn every_emitted_document_reads_back_the_same_in_yaml_1_1_and_1_2() {
    let tmp = tempfile::tempdir().unwrap();
    let files = all_files(tmp.path());
    // The adversarial names really are in the output, as strings.
    let adversarial: Vec<&(String, String)> = files
        .iter()
        .filter(|(p, _)| p.starts_with("adversarial/"))
        .collect();
    let contract = &adversarial
        .iter()
        .find(|(p, _)| p == "adversarial/labels.yaml")
        .unwrap()
        .1;
    let contract = serde_yaml_docs(contract);
    assert_eq!(contract[0]["exemptLabel"]["key"], "2001-01-01");
    assert_eq!(contract[0]["exemptLabel"]["value"], "on");
    let services: Vec<&str> = contract[0]["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["service"].as_str().unwrap())
        .collect();
    for expected in ["010", "0x1f", "1e3", "null", "on", "n"] {
        assert!(services.contains(&expected), "{expected} in {services:?}");
    }
    for (path, text) in &files {
        assert_strings(&serde_yaml_docs(text), "", path);
        assert_plain_numbers_are_decimal(path, text);
    }
    let texts: Vec<String> = files.iter().map(|(_, t)| t.clone()).collect();
    let Some(loaded) = pyyaml(&texts) else {
        return;
    };
    assert_eq!(loaded.len(), files.len());
    for ((path, text), yaml_1_1) in files.iter().zip(&loaded) {
        assert_strings(yaml_1_1, "", path);
        assert_eq!(
            yaml_1_1,
            &serde_yaml_docs(text),
            "{path}: YAML 1.1 and 1.2 differ"
        );
    }
}

/// Strings that look like YAML scalars of other types: words, signs, digits, dots,
/// underscores, colons, exponents, prefixes and a few indicators.
fn yamlish() -> impl Strategy<Value = String> {
    prop_oneof![
        "[-+]?(0[xob])?[0-9a-fA-F_.:eE+-]{0,8}",
        "[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([tT ][0-9]{1,2}:[0-9]{2}:[0-9]{2}(\\.[0-9]*)?(Z|[-+][0-9]{2})?)?",
        "(?i)(y|n|yes|no|on|off|true|false|null|~|<<|=|\\.inf|-\\.inf|\\.nan)",
        "[a-z0-9]([-a-z0-9._]{0,10}[a-z0-9])?",
        "[ -~]{0,6}",
    ]
}

/// One document holding every string as a key and as a value: `- S: S`.
fn document(strings: &[String]) -> String {
    let items: Vec<BTreeMap<&str, &str>> = strings
        .iter()
        .map(|s| BTreeMap::from([(s.as_str(), s.as_str())]))
        .collect();
    netpc::emit::yaml::to_string(&items).unwrap()
}

fn expected(strings: &[String]) -> Value {
    Value::Array(vec![Value::Array(
        strings
            .iter()
            .map(|s| serde_json::json!({ s.as_str(): s.as_str() }))
            .collect(),
    )])
}

proptest! {
    #[test]
    fn generated_strings_read_back_in_yaml_1_2(strings in prop::collection::vec(yamlish(), 1..20)) {
        let text = document(&strings);
        prop_assert_eq!(serde_yaml_docs(&text), expected(&strings), "{}", text);
    }
}

#[test]
fn generated_strings_read_back_in_yaml_1_1() {
    let mut runner = TestRunner::deterministic();
    let strategy = prop::collection::vec(yamlish(), 4000);
    let mut strings = strategy.new_tree(&mut runner).unwrap().current();
    strings.extend(
        [
            "12:30",
            "1:20",
            "190:20:30.15",
            "~",
            "<<",
            "=",
            "1_000.5",
            ".inf",
            "-.Inf",
            ".NaN",
            "0x1f",
            "0o17",
            "0b101",
            "+1",
            "-1",
            "010",
            "1e3",
            "1_0",
            "2001-01-01",
            "y",
            "N",
            "Off",
            "NULL",
            "",
            " x",
            "x ",
            "a: b",
            "# c",
            "- d",
            "'q'",
            "\"q\"",
            "tab\tx",
        ]
        .map(str::to_owned),
    );
    // One key per entry: duplicates would be one key in a reader.
    let text = document(&strings);
    assert_eq!(serde_yaml_docs(&text), expected(&strings));
    let Some(loaded) = pyyaml(&[text]) else {
        return;
    };
    let read = &loaded[0];
    let want = expected(&strings);
    for (i, s) in strings.iter().enumerate() {
        assert_eq!(
            read[0][i], want[0][i],
            "`{s}` does not read back in YAML 1.1"
        );
    }
}
