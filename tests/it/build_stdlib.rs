//! Every standard-library module, used from a namespace, compiles without any
//! diagnostic (std/kube-apiserver with the `external kube-apiserver` it asks the user
//! to declare), and the policies it adds are snapshotted: what each module allows is
//! reviewed here.

use crate::common;

use std::path::PathBuf;

use netpc::diagnostic::Diagnostics;
use netpc::lower::{Options, plan};
use netpc::source::{Origin, Sources};

fn compile(text: &str) -> (String, Diagnostics, Sources) {
    let mut sources = Sources::new();
    let root = sources.add(Origin::File(PathBuf::from("probe.netp")), text.to_owned());
    let (program, mut diagnostics) = netpc::check(&mut sources, &[root], &common::DiskLoader);
    let Some(program) = program else {
        return (String::new(), diagnostics, sources);
    };
    let mut lowered = Diagnostics::new();
    let plan = plan(program.clone(), Options::default(), &mut lowered);
    diagnostics.extend(lowered);
    let mut out = Vec::new();
    netpc::emit::stream(&plan, &mut out).unwrap();
    (String::from_utf8(out).unwrap(), diagnostics, sources)
}

#[test]
fn every_module_compiles_cleanly_and_its_policies_are_reviewed() {
    let mut names: Vec<&str> = netpc::stdlib::names().collect();
    names.sort();
    assert_eq!(
        names,
        [
            "dns",
            "dns-nodelocal",
            "dns-openshift",
            "ingress-nginx",
            "kube-apiserver",
            "prometheus",
            "same-namespace"
        ]
    );
    for name in names {
        let mut text = String::new();
        if name == "kube-apiserver" {
            text.push_str("external kube-apiserver = 10.96.0.1/32;\n");
        }
        text.push_str(&format!(
            "namespace probe {{\n  use std/dns;\n  use std/{name};\n  service app {{ port 8080; }}\n}}\n"
        ));
        let (stream, diagnostics, sources) = compile(&text);
        let rendered =
            String::from_utf8(netpc::render::human(&sources, &diagnostics, false)).unwrap();
        assert!(diagnostics.is_empty(), "std/{name}:\n{rendered}");
        // Only the module's own policies: drop the namespace-wide ones.
        let own: Vec<&str> = stream
            .split("---\n")
            .filter(|d| !d.contains("name: default-deny-") && !d.contains("name: exempt-allow-"))
            .collect();
        insta::assert_snapshot!(format!("stdlib_{name}"), own.join("---\n"));
    }
}

#[test]
fn kube_apiserver_without_the_external_says_what_to_declare() {
    let (_, diagnostics, _) = compile("namespace probe {\n  use std/kube-apiserver;\n}\n");
    assert!(diagnostics.has_errors());
    let message = &diagnostics.iter().next().unwrap().message;
    assert!(message.contains("kube-apiserver"), "{message}");
}
