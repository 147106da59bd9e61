//! The manifests of a probe kit. Every program namespace gets a mirror namespace
//! (`<prefix><ns>`, shortened with its index when too long) holding the program's
//! policies compiled for the mirror names (`metadata.namespace` and every
//! `namespaceSelector` on `kubernetes.io/metadata.name` rewritten), one server pod per
//! probed server (the labels the label contract asks for, one agnhost `serve-hostname`
//! container per probed port serving TCP and UDP, named ports as the contract says)
//! with a headless Service for its name, and one client Job per client identity. The
//! outside namespace (the prefix without its `-`) holds the lookalikes, the outsider and
//! the control client. Two policies are the kit's own in each managed mirror: egress to
//! the real cluster DNS (clients find servers by name) and ingress from the control
//! client; no other probe goes to kube-system or comes from the control client, so
//! neither changes any other probe's outcome.
//!
//! Documents are written as JSON (a subset of YAML), so no YAML 1.1 reader can take a
//! name such as `on` for a boolean. Every pod passes the restricted Pod Security
//! profile.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Value, json};

use super::rename::rewrite;
use super::{CLIENT_SCRIPT, CLIENTS, Kit, KitPod, Options, Probe, SETUP, Selection, display};
use crate::ir::{NamespaceId, Program};
use crate::output::Folder;
use crate::probe::LabelContract;
use crate::verify::{Expectation, PodRole, Point};

/// The label on every object of the kit; `run` deletes by the namespaces' names.
pub const KIT_LABEL: &str = "netpc.io/kit";
/// The label that names a server pod for its headless Service.
pub const SERVER_LABEL: &str = "netpc.io/kit-server";
/// The label of the control client, admitted by the kit's control policy.
pub const CONTROL_LABEL: &str = "netpc.io/kit-control";
/// `agnhost connect` attempts and timing given to the client (see client.sh).
const TIMEOUT: u32 = 3;
const ATTEMPTS: u32 = 5;
const PAUSE: u32 = 2;

/// Names of namespaces and objects.
struct Names {
    /// Mirror name per program namespace.
    mirror: Vec<String>,
    outside: String,
}

fn names(program: &Program, prefix: &str) -> Result<Names, String> {
    let outside = prefix.trim_end_matches('-').to_owned();
    if !is_label(&outside) || !is_label(&format!("{prefix}a")) {
        return Err(format!(
            "--prefix `{prefix}`: mirror namespaces must be DNS labels (lower-case letters, digits and `-`)"
        ));
    }
    let mirror: Vec<String> = program
        .namespace_ids()
        .map(|id| {
            short(
                prefix.trim_end_matches('-'),
                &program.namespace(id).name,
                id.0,
            )
        })
        .collect();
    let mut seen = BTreeSet::new();
    for name in mirror.iter().chain([&outside]) {
        if !seen.insert(name) {
            return Err(format!("two mirror namespaces would be called `{name}`"));
        }
    }
    Ok(Names { mirror, outside })
}

fn is_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// `<head>-<name>`, or shortened to 63 characters with the index as its end.
fn short(head: &str, name: &str, index: u32) -> String {
    let full = format!("{head}-{name}");
    if full.len() <= 63 {
        return full;
    }
    let tail = format!("-{index}");
    let keep = full.get(..63 - tail.len()).unwrap_or(&full);
    format!("{}{tail}", keep.trim_end_matches('-'))
}

/// The kit's manifests (kustomizations, namespaces, policies, servers, clients).
pub fn manifests(
    model: &Expectation<'_>,
    folder: &Folder,
    selection: &Selection,
    options: &Options,
) -> Result<Kit, String> {
    let program = model.program();
    let names = names(program, &options.prefix)?;
    let world = World {
        model,
        folder,
        names: &names,
        image: &options.image,
    };
    let mut namespaces = vec![namespace(&names.outside, None)];
    namespaces.extend(names.mirror.iter().enumerate().map(|(i, n)| {
        // A namespace set's mirror carries labels that satisfy its selector.
        let ns = &program.namespaces[i];
        let set = ns
            .set
            .as_ref()
            .map(|labels| crate::ir::satisfying(labels, &ns.set_requirements));
        namespace(n, set.as_ref())
    }));
    let policies = world.policies()?;
    let (servers, clients, jobs) = world.pods(&selection.probes);
    let mut created: Vec<String> = names.mirror.clone();
    created.push(names.outside.clone());
    created.sort();
    let files = vec![
        (
            "kustomization.yaml".to_owned(),
            kustomization(&[SETUP, CLIENTS]),
        ),
        (
            format!("{SETUP}/kustomization.yaml"),
            kustomization(&["namespaces.yaml", "policies.yaml", "servers.yaml"]),
        ),
        (format!("{SETUP}/namespaces.yaml"), documents(&namespaces)),
        (format!("{SETUP}/policies.yaml"), documents(&policies)),
        (format!("{SETUP}/servers.yaml"), documents(&servers)),
        (
            format!("{CLIENTS}/kustomization.yaml"),
            kustomization(&["jobs.yaml"]),
        ),
        (format!("{CLIENTS}/jobs.yaml"), documents(&clients)),
        ("client.sh".to_owned(), CLIENT_SCRIPT.to_owned()),
    ];
    Ok(Kit {
        selection: selection.clone(),
        files,
        namespaces: created,
        jobs,
    })
}

fn kustomization(resources: &[&str]) -> String {
    let mut out = String::from(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n",
    );
    for resource in resources {
        out.push_str(&format!("- {resource}\n"));
    }
    out
}

/// A multi-document YAML stream of JSON documents.
fn documents(objects: &[Value]) -> String {
    let mut out = String::new();
    for object in objects {
        out.push_str("---\n");
        out.push_str(&serde_json::to_string_pretty(object).unwrap_or_default());
        out.push('\n');
    }
    out
}

fn namespace(name: &str, set: Option<&BTreeMap<String, String>>) -> Value {
    let mut object = json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": name,
            "labels": {
                "app.kubernetes.io/managed-by": "netpc",
                KIT_LABEL: "namespace",
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/enforce-version": "latest",
            }
        }
    });
    if let Some(labels) = object
        .pointer_mut("/metadata/labels")
        .and_then(Value::as_object_mut)
    {
        for (key, value) in set.into_iter().flatten() {
            labels.insert(key.clone(), Value::String(value.clone()));
        }
    }
    object
}

struct World<'a, 'p> {
    model: &'a Expectation<'p>,
    folder: &'a Folder,
    names: &'a Names,
    image: &'a str,
}

impl World<'_, '_> {
    fn program(&self) -> &Program {
        self.model.program()
    }

    fn mirror_of(&self, id: NamespaceId) -> &str {
        &self.names.mirror[id.0 as usize]
    }

    /// The program's policies for the mirror names, and the kit's two per managed
    /// namespace.
    fn policies(&self) -> Result<Vec<Value>, String> {
        let program = self.program();
        let rename: HashMap<&str, &str> = program
            .namespace_ids()
            .map(|id| (program.namespace(id).name.as_str(), self.mirror_of(id)))
            .collect();
        let mut out = Vec::new();
        let mut taken = BTreeSet::new();
        for (policy, _) in &self.folder.policies {
            let mut value = serde_json::to_value(policy).map_err(|e| e.to_string())?;
            rewrite(&mut value, &rename);
            taken.insert((
                value["metadata"]["namespace"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned(),
                value["metadata"]["name"].as_str().unwrap_or("").to_owned(),
            ));
            out.push(value);
        }
        for id in program
            .namespace_ids()
            .filter(|id| program.namespace(*id).managed)
        {
            let ns = self.mirror_of(id);
            for policy in [self.control_policy(ns), dns_policy(ns)] {
                let name = policy["metadata"]["name"].as_str().unwrap_or("").to_owned();
                if taken.contains(&(ns.to_owned(), name.clone())) {
                    return Err(format!(
                        "the program has a policy `{name}`, which the kit needs"
                    ));
                }
                out.push(policy);
            }
        }
        Ok(out)
    }

    fn control_policy(&self, ns: &str) -> Value {
        json!({
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "netpc-kit-control", "namespace": ns, "labels": kit_labels("policy")},
            "spec": {
                "podSelector": {},
                "policyTypes": ["Ingress"],
                "ingress": [{"from": [{
                    "namespaceSelector": {"matchLabels": {crate::lower::NAMESPACE_NAME_LABEL: self.names.outside}},
                    "podSelector": {"matchLabels": {CONTROL_LABEL: "true"}},
                }]}]
            }
        })
    }

    /// Server pods with their headless Services, client Jobs, and the Jobs' names.
    fn pods(&self, probes: &[Probe]) -> (Vec<Value>, Vec<Value>, Vec<(String, String)>) {
        let mut ports: BTreeMap<KitPod, BTreeSet<u16>> = BTreeMap::new();
        let mut clients: BTreeMap<KitPod, Vec<&Probe>> = BTreeMap::new();
        for probe in probes {
            ports.entry(probe.to).or_default().insert(probe.port);
            clients.entry(probe.from).or_default().push(probe);
        }
        let mut servers = Vec::new();
        for (pod, ports) in &ports {
            servers.push(self.server(*pod, ports));
            servers.push(self.headless(*pod));
        }
        let mut jobs = Vec::new();
        let mut names = Vec::new();
        for (pod, probes) in &clients {
            names.push((self.namespace_of(*pod).to_owned(), self.object_name(*pod)));
            jobs.push(self.client(*pod, probes));
        }
        (servers, jobs, names)
    }

    fn namespace_of(&self, pod: KitPod) -> &str {
        match pod {
            KitPod::Program(Point::Pod { namespace, .. }) => self.mirror_of(namespace),
            _ => &self.names.outside,
        }
    }

    fn object_name(&self, pod: KitPod) -> String {
        let program = self.program();
        match pod {
            KitPod::Program(Point::Pod { role, .. }) => match role {
                PodRole::Service(id) => short("s", &program.service(id).name, id.0),
                PodRole::Unmatched => "no-service".to_owned(),
                PodRole::Exempt => "exempt".to_owned(),
            },
            KitPod::Program(Point::Address(_)) => "address".to_owned(),
            KitPod::Lookalike(id) => {
                let service = program.service(id);
                let ns = &program.namespace(service.namespace).name;
                short("like", &format!("{}-{ns}-{}", id.0, service.name), id.0)
            }
            KitPod::Outsider => "outsider".to_owned(),
            KitPod::Control => "control".to_owned(),
        }
    }

    fn identity(&self, pod: KitPod) -> BTreeMap<String, String> {
        identity(self.program(), &self.folder.contract, pod)
    }

    /// The contract's named ports of a service, as (port, protocol) → name.
    fn named_ports(&self, pod: KitPod) -> HashMap<(u16, String), String> {
        let program = self.program();
        let KitPod::Program(Point::Pod {
            role: PodRole::Service(id),
            ..
        }) = pod
        else {
            return HashMap::new();
        };
        let service = program.service(id);
        let ns = &program.namespace(service.namespace).name;
        self.folder
            .contract
            .services
            .iter()
            .filter(|s| &s.namespace == ns && s.service == service.name)
            .flat_map(|s| &s.named_ports)
            .map(|p| ((p.container_port, p.protocol.clone()), p.name.clone()))
            .collect()
    }

    fn server(&self, pod: KitPod, ports: &BTreeSet<u16>) -> Value {
        let name = self.object_name(pod);
        let mut labels = self.identity(pod);
        labels.insert(KIT_LABEL.to_owned(), "server".to_owned());
        labels.insert(SERVER_LABEL.to_owned(), name.clone());
        let named = self.named_ports(pod);
        let containers: Vec<Value> = ports
            .iter()
            .map(|port| {
                let declared: Vec<Value> = ["TCP", "UDP"]
                    .iter()
                    .map(|protocol| {
                        let mut entry = json!({"containerPort": port, "protocol": protocol});
                        if let Some(name) = named.get(&(*port, (*protocol).to_owned())) {
                            entry["name"] = json!(name);
                        }
                        entry
                    })
                    .collect();
                json!({
                    "name": format!("p{port}"),
                    "image": self.image,
                    "args": ["serve-hostname", "--tcp", "--udp", "--http=false", format!("--port={port}")],
                    "ports": declared,
                    "securityContext": container_security(),
                    "resources": {"requests": {"cpu": "5m", "memory": "16Mi"}, "limits": {"memory": "64Mi"}},
                })
            })
            .collect();
        let mut security = pod_security();
        if ports.iter().any(|p| *p < 1024) {
            // Non-root may bind low ports (a namespaced sysctl Baseline allows).
            security["sysctls"] =
                json!([{"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"}]);
        }
        json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": name, "namespace": self.namespace_of(pod), "labels": labels},
            "spec": {
                "automountServiceAccountToken": false,
                "enableServiceLinks": false,
                "terminationGracePeriodSeconds": 1,
                "securityContext": security,
                "containers": containers,
            }
        })
    }

    fn headless(&self, pod: KitPod) -> Value {
        let name = self.object_name(pod);
        json!({
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": name, "namespace": self.namespace_of(pod), "labels": kit_labels("server")},
            "spec": {
                "clusterIP": "None",
                "publishNotReadyAddresses": true,
                "selector": {SERVER_LABEL: name},
            }
        })
    }

    fn client(&self, pod: KitPod, probes: &[&Probe]) -> Value {
        let mut lines = String::new();
        let (mut allows, mut denies) = (0u32, 0u32);
        for probe in probes {
            let host = format!(
                "{}.{}.svc",
                self.object_name(probe.to),
                self.namespace_of(probe.to)
            );
            let protocol = probe.protocol.as_k8s().to_ascii_lowercase();
            lines.push_str(&format!(
                "{host}|{}|{protocol}|{}|{}|{}\n",
                probe.port,
                probe.expect.as_str(),
                display(self.model, probe.from),
                display(self.model, probe.to)
            ));
            match probe.expect {
                super::Expect::Allow => allows += 1,
                super::Expect::Deny => denies += 1,
            }
        }
        let deadline = 120 + allows * ATTEMPTS * (TIMEOUT + PAUSE) + denies * (TIMEOUT + 1);
        let mut labels = self.identity(pod);
        labels.insert(KIT_LABEL.to_owned(), "client".to_owned());
        let env = json!([
            {"name": "PROBES", "value": lines},
            {"name": "AGNHOST", "value": "/agnhost"},
            {"name": "TIMEOUT", "value": TIMEOUT.to_string()},
            {"name": "ATTEMPTS", "value": ATTEMPTS.to_string()},
            {"name": "PAUSE", "value": PAUSE.to_string()},
        ]);
        json!({
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": self.object_name(pod), "namespace": self.namespace_of(pod), "labels": kit_labels("client")},
            "spec": {
                "backoffLimit": 0,
                "activeDeadlineSeconds": deadline,
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "restartPolicy": "Never",
                        "automountServiceAccountToken": false,
                        "enableServiceLinks": false,
                        "securityContext": pod_security(),
                        "containers": [{
                            "name": "probe",
                            "image": self.image,
                            "command": ["/bin/sh", "-c", CLIENT_SCRIPT, "netpc-probe-client"],
                            "env": env,
                            "securityContext": container_security(),
                            "resources": {"requests": {"cpu": "5m", "memory": "16Mi"}, "limits": {"memory": "64Mi"}},
                        }]
                    }
                }
            }
        })
    }
}

/// The labels that make a pod this kit pod: what the label contract asks of a
/// service's pods, the exempt label, the control label, or none.
pub fn identity(
    program: &Program,
    contract: &LabelContract,
    pod: KitPod,
) -> BTreeMap<String, String> {
    let labels_of = |id: crate::ir::ServiceId| {
        let service = program.service(id);
        let ns = &program.namespace(service.namespace).name;
        contract
            .services
            .iter()
            .find(|s| &s.namespace == ns && s.service == service.name)
            .map(|s| crate::probe::probe_labels(&s.labels, &s.expressions))
            .unwrap_or_else(|| service.probe_labels())
    };
    match pod {
        KitPod::Program(Point::Pod {
            role: PodRole::Service(id),
            ..
        })
        | KitPod::Lookalike(id) => labels_of(id),
        KitPod::Program(Point::Pod {
            role: PodRole::Exempt,
            ..
        }) => {
            let exempt = &contract.exempt_label;
            [(exempt.key.clone(), exempt.value.clone())]
                .into_iter()
                .collect()
        }
        KitPod::Control => [(CONTROL_LABEL.to_owned(), "true".to_owned())]
            .into_iter()
            .collect(),
        _ => BTreeMap::new(),
    }
}

fn kit_labels(role: &str) -> Value {
    json!({"app.kubernetes.io/managed-by": "netpc", KIT_LABEL: role})
}

fn dns_policy(ns: &str) -> Value {
    json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "netpc-kit-dns", "namespace": ns, "labels": kit_labels("policy")},
        "spec": {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [{
                "to": [{"namespaceSelector": {"matchLabels": {crate::lower::NAMESPACE_NAME_LABEL: "kube-system"}}}],
                "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
            }]
        }
    })
}

/// The restricted profile at pod level.
fn pod_security() -> Value {
    json!({
        "runAsNonRoot": true,
        "runAsUser": 65534,
        "runAsGroup": 65534,
        "seccompProfile": {"type": "RuntimeDefault"},
    })
}

/// The restricted profile at container level.
fn container_security() -> Value {
    json!({
        "allowPrivilegeEscalation": false,
        "readOnlyRootFilesystem": true,
        "capabilities": {"drop": ["ALL"]},
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail by panicking")]
mod tests {
    use super::*;

    #[test]
    fn long_names_are_shortened_with_their_index() {
        assert_eq!(short("netpc-probe", "grid", 3), "netpc-probe-grid");
        let long = "a".repeat(60);
        let name = short("netpc-probe", &long, 7);
        assert_eq!(name.len(), 63);
        assert!(name.ends_with("a-7"), "{name}");
    }
}
