//! Network-plugin profiles: every entry of the table produces the diagnostic its
//! failure mode documents (and none from the version it names on), features without
//! an entry produce none, the ipBlock rule of each plugin gives W500 or W501, small
//! ranges are expanded in the emitted policies, and `verify` reads the same program
//! differently, and correctly, on Calico and on Cilium.

use std::path::PathBuf;

use netpc::cni::{self, Failure, Feature, IpBlockRule, PLUGINS, Plugin, Profile, Version};
use netpc::compile::{CniChoice, Compilation, Input, Options};
use netpc::diagnostic::{Code, Diagnostics};
use netpc::source::{Origin, Sources};

use crate::common;

fn compile(text: &str, profile: Option<Profile>) -> Compilation {
    let mut sources = Sources::new();
    let root = sources.add(Origin::File(PathBuf::from("cni.netp")), text.to_owned());
    let input = Input {
        sources,
        roots: vec![root],
        diagnostics: Diagnostics::new(),
        loader: &common::DiskLoader,
    };
    netpc::compile(
        input,
        Options {
            cni: profile,
            ..Options::default()
        },
    )
}

/// The codes of the profile checks among a compilation's diagnostics.
fn cni_codes(compilation: &Compilation) -> Vec<Code> {
    compilation
        .diagnostics
        .iter()
        .map(|d| d.code)
        .filter(|c| c.as_str().starts_with("E50") || c.as_str().starts_with("W50"))
        .collect()
}

/// A program that puts `feature` into a policy (a range of `width` ports for endPort).
fn program_using(feature: Feature, width: u16) -> String {
    let (decl, need) = match feature {
        Feature::Policies => (
            "service api { port 8080; }".to_owned(),
            "web needs api:8080;".to_owned(),
        ),
        Feature::NamedPorts => (
            "service api { port http 8080; }".to_owned(),
            "web needs api:http;".to_owned(),
        ),
        Feature::Except => (String::new(), "web needs corp:443;".to_owned()),
        Feature::EndPort => (
            format!("service api {{ port 8000-{}; }}", 8000 + width - 1),
            "web needs api;".to_owned(),
        ),
        Feature::Sctp => (
            "service api { port 38412/sctp; }".to_owned(),
            "web needs api;".to_owned(),
        ),
        Feature::Ipv6IpBlock => (String::new(), "web needs v6:443;".to_owned()),
    };
    format!(
        "external corp = 203.0.113.0/24 except 203.0.113.128/25;\nexternal v6 = 2001:db8::/32;\nnamespace shop {{\n  use std/dns;\n  service web;\n  {decl}\n  {need}\n}}\n"
    )
}

/// The code a failure mode documents (docs/cni.md).
fn documented(feature: Feature, failure: Failure) -> Code {
    match (feature, failure) {
        (_, Failure::NotEnforced) => Code::PluginEnforcesNothing,
        (_, Failure::PolicyDropped) => Code::PolicyDroppedByPlugin,
        (Feature::EndPort, Failure::FieldIgnored) => Code::PortRangeExpanded,
        (_, Failure::FieldIgnored) => Code::FieldIgnoredByPlugin,
        (_, Failure::NeedsFlag(_)) => Code::FeatureNeedsFlag,
        (_, Failure::Partial) => Code::FeaturePartial,
        (_, Failure::Unverified) => Code::FeatureUnverified,
    }
}

/// The profile at `version` (`None` for a plugin without versions).
fn at(plugin: &'static Plugin, version: Option<Version>) -> Profile {
    Profile {
        plugin,
        version: plugin.versioned_by.and(version),
    }
}

/// A version just below `v`, or `None` when it would be below the profile's first.
fn below(plugin: &Plugin, v: Version) -> Option<Version> {
    let lower = if v.patch > 0 {
        Version {
            patch: v.patch - 1,
            ..v
        }
    } else if v.minor > 0 {
        Version {
            minor: v.minor - 1,
            patch: 99,
            ..v
        }
    } else {
        Version {
            major: v.major.checked_sub(1)?,
            minor: 99,
            patch: 99,
        }
    };
    (lower >= plugin.first).then_some(lower)
}

const LATEST: Version = Version {
    major: 99,
    minor: 0,
    patch: 0,
};

#[test]
fn every_entry_gives_the_diagnostic_of_its_failure_mode_with_its_source() {
    let mut checked = 0;
    for plugin in PLUGINS {
        for entry in plugin.entries {
            let affected = match entry.since {
                Some(since) => below(plugin, since),
                None => Some(LATEST),
            };
            assert!(
                affected.is_some(),
                "{}: {:?} from {:?} is not below the first version covered ({})",
                plugin.name,
                entry.feature,
                entry.since,
                plugin.first
            );
            let profile = at(plugin, affected);
            let compiled = compile(&program_using(entry.feature, 4), Some(profile));
            let expected = documented(entry.feature, entry.failure);
            let found: Vec<_> = compiled
                .diagnostics
                .iter()
                .filter(|d| d.code == expected)
                .collect();
            assert_eq!(
                found.len(),
                1,
                "{} {:?}: expected {} once, got {:?}",
                profile.display(),
                entry.feature,
                expected.as_str(),
                cni_codes(&compiled)
            );
            let help = found[0].help.as_deref().unwrap_or("");
            assert!(
                help.contains(entry.source),
                "{}: help without the source: {help}",
                profile.display()
            );
            // An error leaves no plan; a warning compiles.
            assert_eq!(
                compiled.plan.is_none(),
                expected.severity() == netpc::diagnostic::Severity::Error
            );
            if let Some(since) = entry.since {
                let fixed = compile(
                    &program_using(entry.feature, 4),
                    Some(at(plugin, Some(since))),
                );
                assert!(
                    !cni_codes(&fixed).contains(&expected),
                    "{}@{since}: {} should be gone",
                    plugin.name,
                    expected.as_str()
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 25, "only {checked} entries");
}

#[test]
fn a_feature_without_an_entry_gives_no_profile_diagnostic() {
    for plugin in PLUGINS {
        for feature in Feature::ALL {
            if plugin
                .entries
                .iter()
                .any(|e| e.feature == feature || e.feature == Feature::Policies)
            {
                continue;
            }
            for version in [Some(plugin.first), Some(LATEST)] {
                let profile = at(plugin, version);
                let compiled = compile(&program_using(feature, 4), Some(profile));
                let codes: Vec<Code> = cni_codes(&compiled)
                    .into_iter()
                    .filter(|c| !matches!(c, Code::IpBlockMatchesPods | Code::IpBlockMissesCluster))
                    .collect();
                assert!(
                    codes.is_empty(),
                    "{} {feature:?}: {codes:?}",
                    profile.display()
                );
                assert!(compiled.plan.is_some(), "{} {feature:?}", profile.display());
            }
        }
    }
}

#[test]
fn a_wide_range_is_an_error_where_end_port_is_ignored() {
    let profile = cni::parse("cilium@1.15").unwrap();
    let compiled = compile(&program_using(Feature::EndPort, 17), Some(profile));
    assert_eq!(cni_codes(&compiled), [Code::PortRangeTooWide]);
    let compiled = compile(&program_using(Feature::EndPort, 16), Some(profile));
    assert_eq!(cni_codes(&compiled), [Code::PortRangeExpanded]);
}

/// The ranges and ports of every egress rule the program's `web` gets.
fn emitted(compilation: &Compilation) -> String {
    let mut out = Vec::new();
    netpc::emit::stream(compilation.plan.as_ref().unwrap(), &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    text.split("---\n")
        .find(|d| d.contains("name: allow-ingress-api"))
        .unwrap()
        .to_owned()
}

#[test]
fn a_small_range_is_written_port_by_port_and_kept_where_end_port_works() {
    let old = compile(
        &program_using(Feature::EndPort, 4),
        Some(cni::parse("kube-router@1.2").unwrap()),
    );
    let policy = emitted(&old);
    assert!(!policy.contains("endPort"), "{policy}");
    for port in 8000..=8003 {
        assert!(policy.contains(&format!("port: {port}\n")), "{policy}");
    }
    let new = compile(
        &program_using(Feature::EndPort, 4),
        Some(cni::parse("kube-router@1.3").unwrap()),
    );
    let policy = emitted(&new);
    assert!(
        policy.contains("port: 8000\n") && policy.contains("endPort: 8003"),
        "{policy}"
    );
    assert!(!policy.contains("port: 8001"), "{policy}");
}

const NETWORKS: &str = "cluster {\n  pods 10.244.0.0/16;\n  nodes 10.0.0.0/24;\n}\nexternal internet = 0.0.0.0/0 except 10.0.0.0/24;\nexternal apiserver = 10.0.0.10/32;\nnamespace shop {\n  use std/dns;\n  service web;\n  web needs internet:443, apiserver:443;\n}\n";

#[test]
fn the_ipblock_rule_of_each_plugin_decides_w500_or_w501() {
    for plugin in PLUGINS
        .iter()
        .filter(|p| p.entries.iter().all(|e| e.feature != Feature::Policies))
    {
        let compiled = compile(NETWORKS, Some(at(plugin, Some(LATEST))));
        let found: Vec<(Code, &str)> = compiled
            .diagnostics
            .iter()
            .filter(|d| {
                matches!(
                    d.code,
                    Code::IpBlockMatchesPods | Code::IpBlockMissesCluster
                )
            })
            .map(|d| (d.code, d.message.as_str()))
            .collect();
        let codes: Vec<Code> = found.iter().map(|(c, _)| *c).collect();
        match plugin.ipblock {
            IpBlockRule::MatchesPods => {
                assert_eq!(codes, [Code::IpBlockMatchesPods], "{}", plugin.name);
                assert!(
                    found[0]
                        .1
                        .contains("`internet` covers the pod network 10.244.0.0/16"),
                    "{found:?}"
                );
            }
            IpBlockRule::NeverPods => {
                assert_eq!(codes, [Code::IpBlockMissesCluster], "{}", plugin.name);
                assert!(
                    found[0]
                        .1
                        .contains("`apiserver` lies in the node network 10.0.0.0/24"),
                    "{found:?}"
                );
            }
            IpBlockRule::Unknown => {
                assert_eq!(codes, [Code::IpBlockMatchesPods], "{}", plugin.name);
                assert!(
                    found[0].1.contains("may match pod IPs (no source says)"),
                    "{found:?}"
                );
            }
        }
    }
}

#[test]
fn excepting_the_pod_network_silences_w500_and_no_profile_checks_nothing() {
    let fixed = NETWORKS.replace("except 10.0.0.0/24", "except 10.0.0.0/24, 10.244.0.0/16");
    let compiled = compile(&fixed, Some(cni::parse("calico@3.29").unwrap()));
    assert!(
        cni_codes(&compiled).is_empty(),
        "{:?}",
        cni_codes(&compiled)
    );
    let unnamed = compile(NETWORKS, None);
    assert!(cni_codes(&unnamed).is_empty());
    assert_eq!(unnamed.cni, CniChoice::Unnamed);
}

#[test]
fn the_flag_wins_over_the_program_and_a_bad_setting_is_still_an_error() {
    let text = format!(
        "cni \"weave@2.8.1\";\n{}",
        program_using(Feature::NamedPorts, 1)
    );
    let written = compile(&text, None);
    assert_eq!(cni_codes(&written), [Code::PolicyDroppedByPlugin]);
    let overridden = compile(&text, Some(cni::parse("calico@3.29").unwrap()));
    assert!(cni_codes(&overridden).is_empty());
    assert!(matches!(overridden.cni, CniChoice::Profile(p) if p.plugin.name == "calico"));
    let bad = format!(
        "cni \"weeve@2.8\";\n{}",
        program_using(Feature::Policies, 1)
    );
    let compiled = compile(&bad, Some(cni::parse("calico@3.29").unwrap()));
    let d = compiled
        .diagnostics
        .iter()
        .find(|d| d.code == Code::UnknownCni)
        .unwrap();
    assert!(
        d.help.as_deref().unwrap().contains("did you mean `weave`?"),
        "{d:?}"
    );
}

#[test]
fn cluster_and_cni_are_program_wide_settings() {
    let cases = [
        (
            "namespace a { cni \"calico@3.29\"; }\n",
            Code::SettingNotHere,
        ),
        (
            "cni \"calico@3.29\";\ncni \"cilium@1.16\";\n",
            Code::ConflictingSetting,
        ),
        (
            "cluster { pods 10.244.0.0/16; }\ncluster { nodes 10.0.0.0/24; }\n",
            Code::ConflictingSetting,
        ),
        (
            "cluster { pods 10.244.0.0/16; pods 10.245.0.0/16; }\n",
            Code::ConflictingSetting,
        ),
        ("cluster { pods 10.244.0.1/16; }\n", Code::CidrHostBits),
        ("cluster { nodes 300.0.0.0/8; }\n", Code::InvalidCidr),
        (
            "namespace a { cluster { pods 10.244.0.0/16; } }\n",
            Code::SettingNotHere,
        ),
    ];
    for (text, code) in cases {
        let compiled = compile(text, None);
        let codes: Vec<Code> = compiled.diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, [code], "{text}");
    }
    let ok = compile(
        "cluster {\n  pods 10.244.0.0/16, fd00:10::/56;\n  nodes 10.0.0.0/24;\n}\ncni \"kube-router@2.10\";\n",
        None,
    );
    assert!(ok.diagnostics.is_empty(), "{:?}", ok.diagnostics);
    let program = ok.program().unwrap();
    assert_eq!(program.cluster.pods.len(), 2);
    assert_eq!(program.cni.as_ref().unwrap().text, "kube-router@2.10");
}

/// `verify` of one program under one profile.
fn verify(text: &str, spec: &str) -> netpc::verify::Report {
    let profile = cni::parse(spec).unwrap();
    let compiled = compile(text, Some(profile));
    let plan = compiled.plan.as_ref().unwrap();
    let folder = netpc::verify::compiled(plan).unwrap();
    let ipblock_pods = match profile.ipblock() {
        IpBlockRule::MatchesPods => netpc::analyze::IpBlockPods::Match,
        _ => netpc::analyze::IpBlockPods::Ignore,
    };
    let options = netpc::verify::Options {
        ipblock_pods,
        plugin: Some(profile.plugin.name),
        ..Default::default()
    };
    netpc::verify::verify(&plan.program, folder, options).unwrap()
}

const INTERNET_TO_API: &str = "external internet = 0.0.0.0/0;\nnamespace shop {\n  use std/dns;\n  service api { port 443; }\n  internet needs api:443;\n}\n";

#[test]
fn verify_on_calico_finds_the_pods_that_internet_admits_and_on_cilium_none() {
    let cilium = verify(INTERNET_TO_API, "cilium@1.16");
    assert!(
        cilium.matches() && cilium.findings.is_empty(),
        "{:?}",
        cilium.findings
    );
    assert_eq!(cilium.ipblock, None);

    let calico = verify(INTERNET_TO_API, "calico@3.29");
    assert!(!calico.matches());
    let mut found: Vec<(String, String, String)> = calico
        .findings
        .iter()
        .map(|f| (f.src_name.clone(), f.dst_name.clone(), f.conns.to_string()))
        .collect();
    found.sort();
    // Every pod whose egress is open (the exempt pod, kube-dns in an unmanaged
    // namespace) reaches api on 443, as if it were `internet`.
    assert_eq!(
        found,
        [
            (
                "kube-system/kube-dns".to_owned(),
                "shop/api".to_owned(),
                "TCP 443".to_owned()
            ),
            (
                "shop/(exempt)".to_owned(),
                "shop/api".to_owned(),
                "TCP 443".to_owned()
            ),
        ]
    );
    for finding in &calico.findings {
        assert_eq!(finding.kind, netpc::verify::FindingKind::NotDeclared);
        let help = finding.help.as_deref().unwrap();
        assert!(
            help.contains("add `except 10.244.0.0/16` (the pod network) to `internet`"),
            "{help}"
        );
    }
    assert!(
        calico
            .ipblock
            .as_deref()
            .unwrap()
            .contains("10.244.0.0/16, assumed")
    );
}

#[test]
fn verify_on_calico_uses_the_declared_pod_network_and_passes_once_it_is_excepted() {
    let declared = format!("cluster {{ pods 10.42.0.0/16; }}\n{INTERNET_TO_API}");
    let report = verify(&declared, "k3s@1.31");
    assert_eq!(report.count(netpc::verify::FindingKind::NotDeclared), 2);
    assert!(
        report.findings[0]
            .help
            .as_deref()
            .unwrap()
            .contains("except 10.42.0.0/16")
    );
    let fixed = declared.replace("0.0.0.0/0;", "0.0.0.0/0 except 10.42.0.0/16;");
    let report = verify(&fixed, "calico@3.29");
    assert!(
        report.matches() && report.findings.is_empty(),
        "{:?}",
        report.findings
    );
    // Cilium never matched the pods, with or without the except.
    assert!(verify(&fixed, "cilium@1.16").matches());
}

/// The help names the external whose addresses hold the pod's IP, not the first
/// external of the program (`archive` sorts before `internet` and holds no pod).
#[test]
fn verify_on_calico_names_the_external_that_covers_the_pod() {
    let program = format!("external archive = 192.0.2.0/24;\n{INTERNET_TO_API}");
    let report = verify(&program, "calico@3.29");
    let helps: Vec<&str> = report
        .findings
        .iter()
        .filter_map(|f| f.help.as_deref())
        .collect();
    assert!(
        helps.len() == 2
            && helps
                .iter()
                .all(|h| h.contains("lies in `internet`") && !h.contains("archive")),
        "{helps:?}"
    );
}

fn netpc(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_netpc"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn cli_flag_errors_list_and_note() {
    let bad = netpc(&["check", "--cni", "kube-ruoter@2.8", "examples/platform"]);
    assert_eq!(bad.status.code(), Some(2));
    let stderr = String::from_utf8(bad.stderr).unwrap();
    assert!(
        stderr.contains("did you mean `kube-router`?")
            && stderr.contains("known plugins: aks-cilium, antrea"),
        "{stderr}"
    );

    let list = netpc(&["cni", "list"]);
    assert_eq!(list.status.code(), Some(0));
    insta::assert_snapshot!("cni_list", String::from_utf8(list.stdout).unwrap());

    // A clean program stays silent; after a summary line, one note.
    let clean = netpc(&["check", "--color", "never", "examples/platform"]);
    assert_eq!(String::from_utf8(clean.stderr).unwrap(), "");
    let warned = "tests/ui/check/W003-unbounded-external.netp";
    let stderr = String::from_utf8(netpc(&["check", "--color", "never", warned]).stderr).unwrap();
    assert!(
        stderr.ends_with("2 warnings\nnote: network plugin unknown: checked against the NetworkPolicy API only; name the one that will enforce the policies with `cni \"NAME@VERSION\";` or `--cni` (`netpc cni list`)\n"),
        "{stderr}"
    );
    let named = netpc(&["check", "--cni", "kube-router@2.10", warned]);
    assert!(
        !String::from_utf8(named.stderr)
            .unwrap()
            .contains("note: network plugin")
    );
    let quiet = netpc(&["check", "-q", warned]);
    assert_eq!(String::from_utf8(quiet.stderr).unwrap(), "");
}

#[test]
fn cli_verify_and_analyze_read_ipblocks_as_the_plugin_does() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shop.netp");
    std::fs::write(&file, INTERNET_TO_API).unwrap();
    let file = file.to_str().unwrap();
    let calico = netpc(&["verify", file, "--cni", "calico@3.29"]);
    assert_eq!(calico.status.code(), Some(1));
    let text = String::from_utf8(calico.stdout).unwrap();
    insta::assert_snapshot!("verify_calico", text.replace(file, "shop.netp"));
    let cilium = netpc(&["verify", file, "--cni", "cilium@1.16"]);
    assert_eq!(cilium.status.code(), Some(0));

    let out = dir.path().join("out");
    let built = netpc(&["build", file, "-o", out.to_str().unwrap()]);
    assert_eq!(built.status.code(), Some(0), "{built:?}");
    let both = netpc(&[
        "analyze",
        out.to_str().unwrap(),
        "--cni",
        "calico@3.29",
        "--ipblock-pods",
        "match",
    ]);
    assert_eq!(
        both.status.code(),
        Some(2),
        "--cni and --ipblock-pods conflict"
    );
    let analyzed = netpc(&["analyze", out.to_str().unwrap(), "--cni", "calico@3.29"]);
    assert_eq!(analyzed.status.code(), Some(0), "{analyzed:?}");
}

#[test]
fn docs_name_every_profile_and_every_source() {
    let docs = std::fs::read_to_string("docs/cni.md").unwrap();
    for plugin in PLUGINS {
        assert!(
            docs.contains(&format!("| `{}`", plugin.name)),
            "docs/cni.md lacks {}",
            plugin.name
        );
        for entry in plugin.entries {
            assert!(
                docs.contains(entry.source),
                "docs/cni.md lacks the source {:?}",
                entry.source
            );
        }
    }
    let stdlib = std::fs::read_to_string("docs/stdlib.md").unwrap();
    for name in ["dns-nodelocal", "dns-openshift"] {
        assert!(
            stdlib.contains(&format!("`std/{name}`")),
            "docs/stdlib.md lacks std/{name}"
        );
    }
}

#[test]
fn a_host_network_target_names_the_plugin_and_its_source() {
    let dir = tempfile::tempdir().unwrap();
    let program = dir.path().join("grid.netp");
    std::fs::write(
        &program,
        "namespace grid {\n  use std/dns;\n  service agent { port 9100; }\n  service web;\n  web needs agent:9100;\n}\n",
    )
    .unwrap();
    let manifest = dir.path().join("agent.yaml");
    std::fs::write(
        &manifest,
        "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent, namespace: grid}\nspec:\n  selector: {matchLabels: {app: agent}}\n  template:\n    metadata: {labels: {app: agent}}\n    spec:\n      hostNetwork: true\n      containers: [{name: agent, image: agent, ports: [{containerPort: 9100}]}]\n",
    )
    .unwrap();
    let (program, manifest) = (program.to_str().unwrap(), manifest.to_str().unwrap());
    let run = |cni: &[&str]| {
        let mut args = vec![
            "check",
            "--color",
            "never",
            program,
            "--workloads",
            manifest,
        ];
        args.extend_from_slice(cni);
        String::from_utf8(netpc(&args).stderr).unwrap()
    };
    let named = run(&["--cni", "calico@3.29"]);
    assert!(named.contains("warning[W404]"), "{named}");
    assert!(
        named.contains("calico@3.29.0 does not isolate hostNetwork pods: felix#1361"),
        "{named}"
    );
    let unnamed = run(&[]);
    assert!(
        unnamed.contains("warning[W404]") && !unnamed.contains("does not isolate"),
        "{unnamed}"
    );
}

#[test]
fn probe_and_build_compile_for_the_flagged_plugin() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("grid.netp");
    std::fs::write(&file, program_using(Feature::EndPort, 4)).unwrap();
    let file = file.to_str().unwrap();
    let kit = dir.path().join("kit");
    let flannel = netpc(&[
        "probe",
        file,
        "-o",
        kit.to_str().unwrap(),
        "--cni",
        "flannel",
    ]);
    assert_eq!(flannel.status.code(), Some(1));
    assert!(
        String::from_utf8(flannel.stderr)
            .unwrap()
            .contains("error[E502]")
    );
    assert!(!kit.exists());
    let ok = netpc(&[
        "probe",
        file,
        "-o",
        kit.to_str().unwrap(),
        "--cni",
        "kube-router@1.2",
    ]);
    assert_eq!(ok.status.code(), Some(0), "{ok:?}");
    let policies = std::fs::read_to_string(kit.join("setup/policies.yaml")).unwrap();
    assert!(
        policies.contains("\"port\": 8003") && !policies.contains("endPort"),
        "{policies}"
    );
    let built = netpc(&[
        "build",
        file,
        "--stdout",
        "--color",
        "never",
        "--cni",
        "kube-router@1.2",
    ]);
    assert_eq!(built.status.code(), Some(0));
    let stderr = String::from_utf8(built.stderr).unwrap();
    assert!(
        stderr.contains("warning[W505]") && !stderr.contains("note: network plugin unknown"),
        "{stderr}"
    );
}
