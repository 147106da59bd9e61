//! Lowering at the benchmark's scale, on the benchmark workload built as IR: the
//! object count is what the workload implies, and the parallel stream is byte-identical
//! to one serializer. Speed is measured by `bench/build/run.py`, not here.

use crate::lower_support;

use lower_support::*;
use netpc::diagnostic::Diagnostics;
use netpc::ir::{Endpoint, IdentityStyle, Program, ServiceId};
use netpc::lower::{Options, plan};

/// The workload of `../shared/bench/gen_netp.py N`.
fn workload(n: usize) -> Program {
    let m = (n / 100).max(1);
    let ns_of = |i: usize| i * m / n;
    let mut b = Builder::new(IdentityStyle::Labels);
    let mut ns_names: Vec<(String, usize)> = (0..m).map(|k| (format!("ns-{k}"), k)).collect();
    ns_names.sort();
    let mut ns_id = vec![netpc::ir::NamespaceId(0); m];
    for (name, k) in &ns_names {
        ns_id[*k] = b.namespace(name, true);
    }
    // Services sorted by namespace name, then service name.
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| (ns_id[ns_of(i)], format!("svc-{i}")));
    let mut id = vec![ServiceId(0); n];
    for &i in &order {
        let port = 10000 + (i % 50000) as u16;
        let p = b.service_port(None, port, port, netpc::ir::Protocol::Tcp);
        id[i] = b.service(ns_id[ns_of(i)], &format!("svc-{i}"), &[p]);
    }
    for i in 0..n {
        for o in [1, 7, 31] {
            let j = (i + o) % n;
            let port = 10000 + (j % 50000) as u16;
            b.need(
                Endpoint::Service(id[i]),
                Endpoint::Service(id[j]),
                list(&[tcp(port)]),
            );
        }
    }
    b.finish().0
}

fn documents(program: &Program) -> usize {
    let mut diagnostics = Diagnostics::new();
    let plan = plan(program.clone(), Options::default(), &mut diagnostics);
    assert!(diagnostics.is_empty());
    assert_view_matches_object(&plan);
    let mut out = Vec::new();
    netpc::emit::stream(&plan, &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    text.lines().filter(|l| *l == "kind: NetworkPolicy").count()
}

#[test]
fn workload_object_count() {
    // 2 deny + 2 exempt per namespace, one ingress per service, one egress per
    // (service, client namespace): 1.3 per service on this workload.
    let n = 1000;
    assert_eq!(documents(&workload(n)), 4 * 10 + n + 1300);
}

#[test]
fn parallel_stream_is_byte_identical_to_one_serializer() {
    // 23,400 objects: several chunks and rounds of the parallel stream.
    let program = workload(10_000);
    let mut diagnostics = Diagnostics::new();
    let plan = plan(program.clone(), Options::default(), &mut diagnostics);
    let mut parallel = Vec::new();
    netpc::emit::stream(&plan, &mut parallel).unwrap();
    let mut expected = String::new();
    for (i, (ns, policy)) in plan.applied().enumerate() {
        if i > 0 {
            expected.push_str("---\n");
        }
        expected.push_str(&netpc::emit::policy_yaml(&plan, ns, policy).unwrap());
    }
    assert_eq!(plan.applied_count(), 23_400);
    assert!(String::from_utf8(parallel).unwrap() == expected);
}

#[test]
fn parallel_files_hold_every_policy_once() {
    let program = workload(10_000);
    let mut diagnostics = Diagnostics::new();
    let plan = plan(program.clone(), Options::default(), &mut diagnostics);
    let files = netpc::emit::files(&plan).unwrap();
    let by_path: std::collections::HashMap<&str, &str> = files
        .iter()
        .map(|f| (f.path.as_str(), f.text.as_str()))
        .collect();
    assert_eq!(by_path.len(), files.len(), "no path twice");
    let mut policy_files = 0;
    for ns in &plan.namespaces {
        for policies in [&ns.ingress, &ns.egress] {
            for policy in policies {
                let path = netpc::emit::policy_path(ns, policy);
                let expected = format!(
                    "{}{}",
                    netpc::emit::HEADER,
                    netpc::emit::policy_yaml(&plan, ns, policy).unwrap()
                );
                assert_eq!(by_path[path.as_str()], expected, "{path}");
                policy_files += 1;
            }
        }
        assert!(
            by_path.contains_key(format!("namespaces/{}/kustomization.yaml", ns.name).as_str())
        );
        assert!(by_path.contains_key(format!("failsafe/{}.yaml", ns.name).as_str()));
    }
    assert_eq!(policy_files, 23_400);
    // namespace and direction kustomizations, failsafe files, labels.yaml, the root
    // kustomization and its two direction ones, the manifest, the admission folder
    assert_eq!(files.len(), 23_400 + 100 + 200 + 100 + 1 + 3 + 1 + 3);
    // The writer renders each file on its own, in any order: the same paths and bytes
    // as the files rendered together (on several threads), the manifest last.
    use netpc::emit::FileSet;
    let layout = netpc::emit::Layout::new(&plan).unwrap();
    assert_eq!(layout.len(), files.len());
    let mut text = String::new();
    for index in (0..files.len()).rev() {
        text.clear();
        layout.render(index, &mut text).unwrap();
        assert_eq!(layout.path(index), files[index].path);
        assert!(text == files[index].text, "{}", files[index].path);
    }
    let manifest = &files[files.len() - 1];
    assert_eq!(manifest.path, netpc::output::MANIFEST);
    let listed: Vec<&str> = manifest.text.lines().skip(1).collect();
    let others: Vec<&str> = files[..files.len() - 1]
        .iter()
        .map(|f| f.path.as_str())
        .collect();
    assert_eq!(listed, others);
    text.clear();
    layout.render(files.len(), &mut text).unwrap();
    assert_eq!(
        (layout.path(files.len()), text.as_str()),
        ("", ""),
        "past the end"
    );
}
