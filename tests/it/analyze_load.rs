//! Reading manifests into the cluster model (conformance FORMAT.md §1.3): which
//! objects become which workloads, with which labels, ports and namespaces.
use netpc::analyze::{ContainerPort, Protocol, load_texts};

const PODS: &str = "
apiVersion: v1
kind: PodList
items:
- metadata:
    name: web-7d8-a
    namespace: shop
    labels: {app: web}
    ownerReferences:
    - {apiVersion: apps/v1, kind: ReplicaSet, name: web-7d8, uid: u1, controller: true}
  spec:
    containers:
    - name: c
      image: i
      ports: [{name: http, containerPort: 8080}, {containerPort: 53, protocol: UDP}]
- metadata:
    name: web-7d8-b
    namespace: shop
    labels: {app: web}
    ownerReferences:
    - {apiVersion: apps/v1, kind: ReplicaSet, name: web-7d8, uid: u1, controller: true}
  spec: {containers: [{name: c, image: i}]}
- metadata:
    name: static-node1
    labels: {app: static}
    ownerReferences: [{apiVersion: v1, kind: Node, name: node1, uid: n1, controller: true}]
  spec: {containers: [{name: c, image: i}]}
- metadata:
    name: adopted
    ownerReferences: [{apiVersion: v1, kind: '', name: parent, uid: p1, controller: true}]
  spec: {containers: [{name: c, image: i}]}
- metadata:
    name: not-controlled
    ownerReferences: [{apiVersion: v1, kind: ReplicaSet, name: rs, uid: r1}]
  spec: {containers: [{name: c, image: i}]}
- metadata: {name: virt-launcher-vm1}
  spec: {containers: [{name: c, image: i}]}
";

const CONTROLLERS: &str = "
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: jobs}
spec:
  schedule: '@daily'
  jobTemplate:
    spec:
      template:
        metadata: {labels: {app: nightly}}
        spec: {containers: [{name: c, image: i, ports: [{name: m, containerPort: 9090, protocol: SCTP}]}], restartPolicy: Never}
---
apiVersion: extensions/v1beta1
kind: DaemonSet
metadata: {name: agent}
spec:
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: c, image: i}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: pg, namespace: data}
spec:
  serviceName: pg
  selector: {matchLabels: {app: pg}}
  template:
    metadata: {labels: {app: pg}}
    spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Service
metadata: {name: ignored}
";

#[test]
fn objects_become_workloads() {
    let crlf = CONTROLLERS.replace('\n', "\r\n");
    let cluster = load_texts([("pods.yaml", PODS), ("controllers.yaml", crlf.as_str())]).unwrap();
    let names: Vec<String> = cluster
        .workloads()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        names,
        [
            "shop/web-7d8[ReplicaSet]",
            "default/static-node1[Pod]",
            "default/parent[Pod]",
            "default/not-controlled[Pod]",
            "jobs/nightly[CronJob]",
            "default/agent[DaemonSet]",
            "data/pg[StatefulSet]",
        ]
    );
    let web = &cluster.workloads()[0];
    assert_eq!(web.labels.get("app").map(String::as_str), Some("web"));
    assert_eq!(
        web.ports,
        [
            ContainerPort {
                name: Some("http".into()),
                protocol: Protocol::Tcp,
                port: 8080
            },
            ContainerPort {
                name: None,
                protocol: Protocol::Udp,
                port: 53
            },
        ]
    );
    let nightly = &cluster.workloads()[4];
    assert_eq!(
        nightly.labels.get("app").map(String::as_str),
        Some("nightly")
    );
    assert_eq!(nightly.ports[0].protocol, Protocol::Sctp);
}

#[test]
fn namespaces_get_their_name_label() {
    let text = "
apiVersion: v1
kind: NamespaceList
items:
- metadata: {name: shop, labels: {tier: front}}
- metadata: {name: pinned, labels: {kubernetes.io/metadata.name: other}}
";
    let cluster = load_texts([("ns.yaml", text)]).unwrap();
    let shop = cluster.namespace_labels("shop");
    assert_eq!(shop.get("tier").map(String::as_str), Some("front"));
    assert_eq!(
        shop.get("kubernetes.io/metadata.name").map(String::as_str),
        Some("shop")
    );
    // Declared labels are kept as given.
    let pinned = cluster.namespace_labels("pinned");
    assert_eq!(
        pinned
            .get("kubernetes.io/metadata.name")
            .map(String::as_str),
        Some("other")
    );
    // Not declared: only the name label.
    let undeclared = cluster.namespace_labels("jobs");
    assert_eq!(undeclared.len(), 1);
    assert_eq!(
        undeclared
            .get("kubernetes.io/metadata.name")
            .map(String::as_str),
        Some("jobs")
    );
}

#[test]
fn policies_remember_their_file_and_errors_name_it() {
    let text = "
kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata: {name: p}
spec: {podSelector: {}}
";
    let cluster = load_texts([("dir/p.yaml", text)]).unwrap();
    let policy = &cluster.policies()[0];
    assert_eq!(policy.origin.as_deref(), Some("dir/p.yaml"));
    assert_eq!(policy.namespace(), "default");

    let err = load_texts([("dir/bad.yaml", "kind: Pod\nmetadata: {name: [x\n")]).unwrap_err();
    assert_eq!(err.path, "dir/bad.yaml");
    assert!(
        err.message.starts_with("not valid YAML or JSON"),
        "{}",
        err.message
    );
    let err = load_texts([(
        "dir/pod.json",
        r#"{"kind": "Pod", "metadata": {"name": 5}}"#,
    )])
    .unwrap_err();
    assert_eq!(err.path, "dir/pod.json");
    assert!(
        err.message.contains("cannot read this Pod"),
        "{}",
        err.message
    );
}

/// A ReplicaSet, a ReplicationController and a Job written as objects (not as the
/// pods they own) are each one workload with their template's labels; a
/// ReplicationController without a template is still one, with no labels.
#[test]
fn replica_sets_replication_controllers_and_jobs_become_workloads() {
    const OWNERS: &str = "
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: cache, namespace: shop}
spec:
  selector: {matchLabels: {app: cache}}
  template:
    metadata: {labels: {app: cache}}
    spec: {containers: [{name: c, image: i, ports: [{containerPort: 6379}]}]}
---
apiVersion: v1
kind: ReplicationController
metadata: {name: legacy, namespace: shop}
spec:
  template:
    metadata: {labels: {app: legacy}}
    spec: {containers: [{name: c, image: i}]}
---
apiVersion: batch/v1
kind: Job
metadata: {name: migrate, namespace: shop}
spec:
  template:
    metadata: {labels: {app: migrate}}
    spec: {containers: [{name: c, image: i}], restartPolicy: Never}
---
apiVersion: v1
kind: ReplicationController
metadata: {name: empty, namespace: shop}
";
    let cluster = load_texts([("owners.yaml", OWNERS)]).unwrap();
    let found: Vec<(String, Option<String>)> = cluster
        .workloads()
        .iter()
        .map(|w| (w.to_string(), w.labels.get("app").cloned()))
        .collect();
    let expected = [
        ("shop/cache[ReplicaSet]", Some("cache")),
        ("shop/legacy[ReplicationController]", Some("legacy")),
        ("shop/migrate[Job]", Some("migrate")),
        ("shop/empty[ReplicationController]", None),
    ];
    let expected: Vec<(String, Option<String>)> = expected
        .iter()
        .map(|(w, app)| ((*w).to_owned(), app.map(str::to_owned)))
        .collect();
    assert_eq!(found, expected);
    assert_eq!(cluster.workloads()[0].ports[0].port, 6379);
}

/// `render` gives, in every format, exactly the text `write` streams, and the text
/// names the connection that is there.
#[test]
fn render_is_what_write_streams() {
    use netpc::analyze::{Analysis, Format, Options, render, write};
    const APP: &str = "
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {containers: [{name: c, image: i, ports: [{containerPort: 8080}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
spec: {containers: [{name: c, image: i}]}
";
    let cluster = load_texts([("app.yaml", APP)]).unwrap();
    let analysis = Analysis::new(&cluster, Options::default()).unwrap();
    let list = analysis.connlist();
    for format in [Format::Text, Format::Json, Format::Md, Format::Dot] {
        let mut streamed = Vec::new();
        write(&list, &cluster, format, &mut streamed).unwrap();
        let rendered = render(&list, &cluster, format);
        assert_eq!(rendered.as_bytes(), streamed.as_slice(), "{format:?}");
        assert!(rendered.contains("shop/db[Pod]"), "{format:?}: {rendered}");
    }
}
