//! Every pod a `netpc probe` kit creates (server pods, client Job templates), for every
//! example, passes the rules of the restricted Pod Security Standard (checked here
//! field by field, as the admission controller would; the kit's namespaces also carry
//! `pod-security.kubernetes.io/enforce: restricted`, so a cluster re-checks them), and
//! every name is one Kubernetes accepts. The schemas are checked by tests/validate.sh.
use std::process::{Command, Stdio};

use serde_json::Value;

/// Sysctls the Baseline profile (and so Restricted) allows.
const SAFE_SYSCTLS: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
];

fn documents(text: &str) -> Vec<Value> {
    text.split("---\n")
        .filter(|d| !d.trim().is_empty())
        .map(|d| serde_json::from_str(d).unwrap())
        .collect()
}

fn kit(example: &str) -> (tempfile::TempDir, Vec<Value>) {
    let temp = tempfile::tempdir().unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_netpc"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["probe", &format!("examples/{example}"), "-o"])
        .arg(temp.path().join("kit"))
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "{example}");
    let mut objects = Vec::new();
    for file in [
        "setup/namespaces.yaml",
        "setup/policies.yaml",
        "setup/servers.yaml",
        "clients/jobs.yaml",
    ] {
        let text = std::fs::read_to_string(temp.path().join("kit").join(file)).unwrap();
        objects.extend(documents(&text));
    }
    (temp, objects)
}

/// The restricted profile's violations in one pod spec.
fn violations(spec: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for host in ["hostNetwork", "hostPID", "hostIPC"] {
        if spec[host] == true {
            out.push(host.to_owned());
        }
    }
    let pod = &spec["securityContext"];
    if !spec["volumes"].is_null() {
        out.push("volumes".to_owned());
    }
    for sysctl in pod["sysctls"].as_array().into_iter().flatten() {
        if !SAFE_SYSCTLS.contains(&sysctl["name"].as_str().unwrap()) {
            out.push(format!("sysctl {sysctl}"));
        }
    }
    for container in spec["containers"].as_array().unwrap() {
        let own = &container["securityContext"];
        let either = |key: &str| {
            if own[key].is_null() {
                &pod[key]
            } else {
                &own[key]
            }
        };
        if *either("runAsNonRoot") != true {
            out.push("runAsNonRoot".to_owned());
        }
        if either("runAsUser").as_u64() == Some(0) {
            out.push("runAsUser 0".to_owned());
        }
        let seccomp = either("seccompProfile")["type"].as_str().unwrap_or("");
        if !["RuntimeDefault", "Localhost"].contains(&seccomp) {
            out.push("seccompProfile".to_owned());
        }
        if own["allowPrivilegeEscalation"] != false {
            out.push("allowPrivilegeEscalation".to_owned());
        }
        if own["privileged"] == true {
            out.push("privileged".to_owned());
        }
        let drop = own["capabilities"]["drop"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if !drop.contains(&Value::from("ALL")) {
            out.push("capabilities.drop ALL".to_owned());
        }
        for add in own["capabilities"]["add"].as_array().into_iter().flatten() {
            if add != "NET_BIND_SERVICE" {
                out.push(format!("capabilities.add {add}"));
            }
        }
        for port in container["ports"].as_array().into_iter().flatten() {
            if !port["hostPort"].is_null() {
                out.push("hostPort".to_owned());
            }
        }
    }
    out
}

fn is_label(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

#[test]
fn every_pod_of_every_kit_passes_the_restricted_profile() {
    for example in ["failsafe", "platform", "quickstart", "selectors", "spec"] {
        let (_temp, objects) = kit(example);
        let mut pods = 0;
        for object in &objects {
            let spec = match object["kind"].as_str().unwrap() {
                "Pod" => &object["spec"],
                "Job" => &object["spec"]["template"]["spec"],
                "Namespace" => {
                    let labels = &object["metadata"]["labels"];
                    assert_eq!(labels["pod-security.kubernetes.io/enforce"], "restricted");
                    continue;
                }
                _ => continue,
            };
            pods += 1;
            let found = violations(spec);
            assert!(
                found.is_empty(),
                "{example}: {}: {found:?}",
                object["metadata"]["name"]
            );
        }
        assert!(pods > 0, "{example}");
    }
}

#[test]
fn every_name_is_one_kubernetes_accepts() {
    for example in ["failsafe", "platform", "quickstart", "selectors", "spec"] {
        let (_temp, objects) = kit(example);
        for object in &objects {
            let name = object["metadata"]["name"].as_str().unwrap();
            if object["kind"] == "NetworkPolicy" {
                // A DNS subdomain: labels joined by dots.
                assert!(
                    name.len() <= 253 && name.split('.').all(is_label),
                    "{example}: {name}"
                );
            } else {
                assert!(is_label(name), "{example}: {name}");
            }
            if object["kind"] == "Service" {
                // DNS-1035: a Service name starts with a letter.
                assert!(name.as_bytes()[0].is_ascii_lowercase(), "{example}: {name}");
            }
            if let Some(ns) = object["metadata"]["namespace"].as_str() {
                assert!(is_label(ns), "{example}: {ns}");
            }
        }
    }
}

#[test]
fn the_checker_finds_what_restricted_forbids() {
    let bad = serde_json::json!({
        "hostNetwork": true,
        "securityContext": {"sysctls": [{"name": "net.core.somaxconn", "value": "1"}]},
        "containers": [{"securityContext": {"capabilities": {"add": ["NET_RAW"]}}, "ports": [{"hostPort": 80}]}]
    });
    assert_eq!(
        violations(&bad),
        [
            "hostNetwork",
            "sysctl {\"name\":\"net.core.somaxconn\",\"value\":\"1\"}",
            "runAsNonRoot",
            "seccompProfile",
            "allowPrivilegeEscalation",
            "capabilities.drop ALL",
            "capabilities.add \"NET_RAW\"",
            "hostPort",
        ]
    );
}
