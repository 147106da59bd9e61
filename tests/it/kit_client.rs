//! The probe client (src/kit/client.sh, the script every client Job runs) run locally
//! with /bin/sh against listeners on 127.0.0.1 (tests/kit/listeners.py: TCP and UDP
//! open, closed and silent ports), with a stand-in for `agnhost connect`
//! (tests/kit/agnhost.py, same interface and outcomes). Its JSON lines must say exactly
//! which probes connected, why the others did not, and how many attempts each took.
//! Also: the Jobs of a kit embed this very script and feed it probe lines it can read.
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use serde_json::Value;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/kit");

/// Start the listeners; their ports and the process (killed when its stdin closes).
fn listeners() -> (Value, std::process::Child) {
    let mut child = Command::new("python3")
        .arg(format!("{DIR}/listeners.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs the listeners");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (serde_json::from_str(&line).unwrap(), child)
}

/// Run the client script with these probe lines; its stdout lines as JSON.
fn client(probes: &str, attempts: u32) -> Vec<Value> {
    let temp = tempfile::tempdir().unwrap();
    let agnhost = temp.path().join("agnhost");
    std::fs::write(
        &agnhost,
        format!("#!/bin/sh\nexec python3 {DIR}/agnhost.py \"$@\"\n"),
    )
    .unwrap();
    let mut mode = std::fs::metadata(&agnhost).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut mode, 0o755);
    std::fs::set_permissions(&agnhost, mode).unwrap();
    let output = Command::new("/bin/sh")
        .arg("-c")
        .arg(netpc::kit::CLIENT_SCRIPT)
        .arg("netpc-probe-client")
        .env("PROBES", probes)
        .env("AGNHOST", &agnhost)
        .env("TIMEOUT", "1")
        .env("ATTEMPTS", attempts.to_string())
        .env("PAUSE", "0")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}")))
        .collect()
}

#[test]
fn open_closed_and_silent_ports_give_the_right_json_lines() {
    let (ports, mut child) = listeners();
    let port = |name: &str| ports[name].as_u64().unwrap();
    let mut probes = String::new();
    for (name, protocol, expect) in [
        ("tcp_open", "tcp", "allow"),
        ("tcp_closed", "tcp", "deny"),
        ("tcp_silent", "tcp", "deny"),
        ("udp_open", "udp", "allow"),
        ("udp_closed", "udp", "deny"),
        ("udp_silent", "udp", "deny"),
        ("tcp_closed", "tcp", "allow"),
        ("udp_silent", "udp", "allow"),
    ] {
        probes.push_str(&format!(
            "127.0.0.1|{}|{protocol}|{expect}|t/client|t/{name} ({expect})\n",
            port(name)
        ));
    }
    let lines = client(&probes, 2);
    child.stdin.take().unwrap().write_all(b"").unwrap();
    let _ = child.wait();
    let summary: Vec<String> = lines
        .iter()
        .map(|l| {
            assert_eq!(l["from"], "t/client");
            let name = l["to"].as_str().unwrap();
            let listener = name.split(' ').next().unwrap().trim_start_matches("t/");
            assert_eq!(l["port"].as_u64().unwrap(), port(listener), "{l}");
            format!(
                "{name} {} connected={} attempts={} error={}",
                l["protocol"].as_str().unwrap(),
                l["connected"],
                l["attempts"],
                l.get("error").and_then(Value::as_str).unwrap_or("-")
            )
        })
        .collect();
    // Allows first (tried ATTEMPTS times until they connect), then denies (once).
    assert_eq!(
        summary,
        [
            "t/tcp_open (allow) TCP connected=true attempts=1 error=-",
            "t/udp_open (allow) UDP connected=true attempts=1 error=-",
            "t/tcp_closed (allow) TCP connected=false attempts=2 error=REFUSED",
            "t/udp_silent (allow) UDP connected=false attempts=2 error=TIMEOUT",
            "t/tcp_closed (deny) TCP connected=false attempts=1 error=REFUSED",
            "t/tcp_silent (deny) TCP connected=false attempts=1 error=TIMEOUT",
            "t/udp_closed (deny) UDP connected=false attempts=1 error=REFUSED",
            "t/udp_silent (deny) UDP connected=false attempts=1 error=TIMEOUT",
        ]
    );
}

#[test]
fn a_name_that_does_not_resolve_is_reported_as_dns() {
    let lines = client("no-such-host.invalid|80|tcp|deny|a/b|c/d\n", 1);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["connected"], false);
    assert_eq!(lines[0]["error"], "DNS");
    assert_eq!(lines[0]["protocol"], "TCP");
}

#[test]
fn every_job_of_a_kit_runs_this_script_on_lines_it_can_read() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("kit");
    let status = Command::new(env!("CARGO_BIN_EXE_netpc"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["probe", "examples/platform", "-o"])
        .arg(&dir)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let jobs = std::fs::read_to_string(dir.join("clients/jobs.yaml")).unwrap();
    let expected = std::fs::read_to_string(dir.join("expected.jsonl")).unwrap();
    let mut fed = 0;
    for document in jobs.split("---\n").filter(|d| !d.trim().is_empty()) {
        let job: Value = serde_json::from_str(document).unwrap();
        let container = &job["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(container["command"][2], netpc::kit::CLIENT_SCRIPT);
        let env = container["env"].as_array().unwrap();
        let probes = env.iter().find(|e| e["name"] == "PROBES").unwrap()["value"]
            .as_str()
            .unwrap();
        for line in probes.lines() {
            let fields: Vec<&str> = line.split('|').collect();
            assert_eq!(fields.len(), 6, "{line}");
            assert!(["tcp", "udp"].contains(&fields[2]), "{line}");
            let wanted = format!(
                "{{\"from\":\"{}\",\"to\":\"{}\",\"port\":{},\"protocol\":\"{}\",\"expect\":\"{}\"",
                fields[4],
                fields[5],
                fields[1],
                fields[2].to_ascii_uppercase(),
                fields[3]
            );
            assert!(
                expected.contains(&wanted),
                "{line} is not in expected.jsonl"
            );
            fed += 1;
        }
    }
    assert_eq!(fed, expected.lines().count());
}

/// `netpc probe --format netassert`: the kit's probes between services that real
/// workloads stand for, as a netassert v2 test list: allows with three attempts and
/// exit code 0, denies with one attempt and exit code 1, each end a named workload.
#[test]
fn netassert_tests_name_the_real_workloads() {
    let output = Command::new(env!("CARGO_BIN_EXE_netpc"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "probe",
            "examples/shop-workloads",
            "--format",
            "netassert",
            "--workloads",
            "examples/shop-workloads/k8s/base",
            "--namespace",
            "shop",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let tests: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert!(tests.len() > 10, "{}", tests.len());
    let mut names = std::collections::BTreeSet::new();
    for test in &tests {
        assert_eq!(test["type"], "k8s");
        assert!(
            names.insert(test["name"].as_str().unwrap().to_owned()),
            "{test}"
        );
        let (exit, attempts) = (test["exitCode"].as_u64(), test["attempts"].as_u64());
        assert!(
            matches!((exit, attempts), (Some(0), Some(3)) | (Some(1), Some(1))),
            "{test}"
        );
        for end in ["src", "dst"] {
            assert_eq!(test[end]["k8sResource"]["namespace"], "shop", "{test}");
            assert_eq!(test[end]["k8sResource"]["kind"], "deployment", "{test}");
        }
    }
    assert!(
        tests
            .iter()
            .any(|t| t["src"]["k8sResource"]["name"] == "cartservice"
                && t["dst"]["k8sResource"]["name"] == "redis-cart"
                && t["targetPort"] == 6379
                && t["exitCode"] == 0)
    );
    // Without workloads there is nothing to name: a usage error.
    let bare = Command::new(env!("CARGO_BIN_EXE_netpc"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["probe", "examples/shop-workloads", "--format", "netassert"])
        .output()
        .unwrap();
    assert_eq!(bare.status.code(), Some(2));
}
