//! The findings of `netpc check --workloads`: every workload against the label
//! contract of the compiled program (E400 a missing `needs-*` label, E401 an
//! undeclared one), every needed port against the target's containers (E402 a named
//! port no container exposes, E403 a number the pods do not listen on, with the
//! Service translation that usually explains it), and the warnings about selection
//! (W400–W404). Each diagnostic's primary label is in the manifest and its secondary
//! labels in the `.netp` source. Pure: manifests in, diagnostics out.

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::FxHashMap;

use super::matching::Matches;
use super::parse::{KubeService, Manifests, Target, Workload};
use crate::analyze::Protocol as AProtocol;
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::ir::{Endpoint, IdentityStyle, NamespaceId, PortKind, Ports, Program, ServiceId};
use crate::lower::{Plan, client_label, target_name};
use crate::verify::expected::protocol_of;

/// One `needs-*` label a client must carry: the key, the target it reaches, the need.
#[derive(Clone, Debug)]
pub struct Required {
    pub key: String,
    pub target: Endpoint,
    pub need: usize,
}

/// The result of the check.
#[derive(Debug, Default)]
pub struct Checked {
    pub diagnostics: Diagnostics,
    /// For each workload (by index) that lacks labels, the keys it lacks, sorted.
    pub missing: Vec<(usize, Vec<String>)>,
    /// Workloads read in namespaces the program does not mention, by namespace.
    pub unmentioned: BTreeMap<String, usize>,
    pub workloads: usize,
    pub services: usize,
}

impl Checked {
    /// `workloads: 12 workloads and 12 Services checked; 2 workloads in namespaces
    /// the program does not mention (kube-system 2)`.
    pub fn summary(&self) -> String {
        let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
        let mut text = format!(
            "workloads: {} and {} checked",
            plural(self.workloads, "workload"),
            plural(self.services, "Service")
        );
        let others: usize = self.unmentioned.values().sum();
        if others > 0 {
            let list: Vec<String> = self
                .unmentioned
                .iter()
                .map(|(ns, n)| format!("{ns} {n}"))
                .collect();
            text.push_str(&format!(
                "; {} in namespaces the program does not mention ({}), not checked",
                plural(others, "workload"),
                list.join(", ")
            ));
        }
        text
    }
}

/// For each managed namespace and client label used there, the first need behind it.
pub type Used = FxHashMap<(NamespaceId, String), usize>;

/// The client labels each service's pods must carry (labels identity style), and
/// for each managed namespace the targets its client labels reach.
pub fn required(program: &Program) -> (Vec<Vec<Required>>, Used) {
    let mut per_service: Vec<Vec<Required>> = vec![Vec::new(); program.services.len()];
    let mut used: FxHashMap<(NamespaceId, String), usize> = FxHashMap::default();
    if program.identity != IdentityStyle::Labels {
        return (per_service, used);
    }
    for (index, need) in program.needs.iter().enumerate() {
        let Endpoint::Service(id) = need.subject else {
            continue;
        };
        let ns = program.service(id).namespace;
        if !program.namespace(ns).managed || matches!(need.target, Endpoint::Namespace(_)) {
            continue;
        }
        let key = client_label(&target_name(program, ns, need.target));
        used.entry((ns, key.clone())).or_insert(index);
        let list = &mut per_service[id.0 as usize];
        if !list.iter().any(|r| r.key == key) {
            list.push(Required {
                key,
                target: need.target,
                need: index,
            });
        }
    }
    (per_service, used)
}

/// Check `manifests` against the compiled `plan`.
pub fn check(plan: &Plan, manifests: &Manifests) -> Checked {
    let program = &plan.program;
    let matches = Matches::new(program, &manifests.workloads);
    let (required, used) = required(program);
    let mut out = Checked {
        workloads: manifests.workloads.len(),
        services: manifests.services.len(),
        ..Checked::default()
    };
    for (i, w) in manifests.workloads.iter().enumerate() {
        if matches.namespace[i].is_none() {
            *out.unmentioned.entry(w.namespace.clone()).or_default() += 1;
        }
    }
    labels(program, manifests, &matches, &required, &used, &mut out);
    ports(program, manifests, &matches, &mut out.diagnostics);
    selection(program, manifests, &matches, &mut out.diagnostics);
    out
}

/// What each workload must carry: the union of its services' required labels.
fn wanted<'r>(matched: &[ServiceId], required: &'r [Vec<Required>]) -> Vec<&'r Required> {
    let mut out: Vec<&Required> = Vec::new();
    for id in matched {
        for r in &required[id.0 as usize] {
            if !out.iter().any(|o| o.key == r.key) {
                out.push(r);
            }
        }
    }
    out
}

/// E400 and E401, and the list of missing labels for `--fix-labels`.
fn labels(
    program: &Program,
    manifests: &Manifests,
    matches: &Matches,
    required: &[Vec<Required>],
    used: &Used,
    out: &mut Checked,
) {
    let mut clients = 0;
    let mut lacking = Vec::new();
    for (i, w) in manifests.workloads.iter().enumerate() {
        let want = wanted(&matches.services[i], required);
        if want.is_empty() {
            continue;
        }
        clients += 1;
        let missing: Vec<&Required> = want
            .into_iter()
            .filter(|r| w.labels.get(&r.key).map(String::as_str) != Some("true"))
            .collect();
        if !missing.is_empty() {
            lacking.push((i, missing));
        }
    }
    let most = lacking.len() * 2 > clients && lacking.len() > 1;
    for (i, missing) in &lacking {
        let w = &manifests.workloads[*i];
        for r in missing {
            out.diagnostics.push(missing_label(program, w, r, most));
        }
        let mut keys: Vec<String> = missing.iter().map(|r| r.key.clone()).collect();
        keys.sort();
        out.missing.push((*i, keys));
    }
    for (i, w) in manifests.workloads.iter().enumerate() {
        let Some(ns) = matches.namespace[i] else {
            continue;
        };
        let want = wanted(&matches.services[i], required);
        for (key, value) in &w.labels {
            let Some(&need) = used.get(&(ns, key.clone())) else {
                continue;
            };
            if value != "true" || want.iter().any(|r| &r.key == key) {
                continue;
            }
            out.diagnostics
                .push(undeclared_label(program, w, key, need));
        }
    }
}

fn missing_label(program: &Program, w: &Workload, r: &Required, most: bool) -> Diagnostic {
    let need = &program.needs[r.need];
    let target = program.endpoint_name(r.target);
    let mut help = format!(
        "add `{}: \"true\"` to the pod template's labels (not to `spec.selector`); \
         `--fix-labels DIR` writes a kustomize Component that adds every missing label",
        r.key
    );
    if most {
        help.push_str(
            "; most clients lack their labels: if their pods already carry distinct \
             labels, `identity selectors` selects clients by those instead",
        );
    }
    Diagnostic::new(
        Code::MissingClientLabel,
        format!("`{}` lacks the label `{}: \"true\"`", w.display(), r.key),
        w.labels_span,
        format!("its egress to `{target}` will be denied"),
    )
    .with_secondary(
        need.origin.target,
        format!("`{}` needs this", program.endpoint_name(need.subject)),
    )
    .with_help(help)
}

fn undeclared_label(program: &Program, w: &Workload, key: &str, need: usize) -> Diagnostic {
    let origin = &program.needs[need].origin;
    let target = program.endpoint_name(program.needs[need].target);
    let span = w.label_spans.get(key).copied().unwrap_or(w.labels_span);
    Diagnostic::new(
        Code::UndeclaredClientLabel,
        format!("`{}` carries `{key}`, an undeclared grant", w.display()),
        span,
        format!("grants egress to `{target}`, which no `needs` declares for these pods"),
    )
    .with_secondary(
        origin.statement,
        "the label is for the clients of this `needs`",
    )
    .with_help(format!(
        "remove `{key}` from the pod template, or declare the connection in the program"
    ))
}

/// E402 and E403: the ports needs ask for, against the target's containers.
fn ports(program: &Program, manifests: &Manifests, matches: &Matches, out: &mut Diagnostics) {
    let mut by_service: Vec<Vec<usize>> = vec![Vec::new(); program.services.len()];
    for (i, services) in matches.services.iter().enumerate() {
        for id in services {
            by_service[id.0 as usize].push(i);
        }
    }
    // Kubernetes Services by namespace, so a port is compared with its namespace's only.
    let mut kube: FxHashMap<&str, Vec<&KubeService>> = FxHashMap::default();
    for service in &manifests.services {
        kube.entry(service.namespace.as_str())
            .or_default()
            .push(service);
    }
    let mut seen: BTreeSet<(usize, String)> = BTreeSet::new();
    for need in &program.needs {
        let (Endpoint::Service(t), Ports::List(list)) = (need.target, &need.ports) else {
            continue;
        };
        for &i in &by_service[t.0 as usize] {
            let w = &manifests.workloads[i];
            for port in list {
                let protocol = protocol_of(port.protocol);
                let problem = match &port.kind {
                    PortKind::Named { name, .. } => named_port(w, name, protocol, need),
                    PortKind::Range { first, last } => {
                        let services = kube.get(w.namespace.as_str()).map_or(&[][..], |v| v);
                        numeric_port(program, services, w, (*first, *last), protocol, need)
                    }
                };
                if let Some(d) = problem
                    && seen.insert((i, d.message.clone()))
                {
                    out.push(d);
                }
            }
        }
    }
}

fn named_port(
    w: &Workload,
    name: &str,
    protocol: AProtocol,
    need: &crate::ir::Need,
) -> Option<Diagnostic> {
    if w.ports
        .iter()
        .any(|p| p.name.as_deref() == Some(name) && p.protocol == protocol)
    {
        return None;
    }
    Some(
        Diagnostic::new(
            Code::NamedPortNotExposed,
            format!(
                "no container of `{}` exposes the port `{name}`",
                w.display()
            ),
            w.containers_span,
            format!("no `ports` entry named `{name}` ({protocol})"),
        )
        .with_secondary(need.origin.target, "the named port is asked for here")
        .with_help(format!(
            "name the container port: `- name: {name}` with its `containerPort` in \
             the pod template; a named port that resolves to nothing allows nothing"
        )),
    )
}

fn numeric_port(
    program: &Program,
    services: &[&KubeService],
    w: &Workload,
    (first, last): (u16, u16),
    protocol: AProtocol,
    need: &crate::ir::Need,
) -> Option<Diagnostic> {
    let inside = |n: u16| first <= n && n <= last;
    if w.ports
        .iter()
        .any(|p| p.protocol == protocol && inside(p.number))
    {
        return None;
    }
    let wanted = if first == last {
        first.to_string()
    } else {
        format!("{first}-{last}")
    };
    if let Some(d) = service_mapping(program, services, w, (first, last), protocol, need) {
        return Some(d);
    }
    if w.ports.is_empty() {
        return None; // the pods declare no ports: nothing to compare with
    }
    let declared: Vec<String> = w
        .ports
        .iter()
        .map(|p| format!("{} {}", p.protocol, p.number))
        .collect();
    Some(
        Diagnostic::new(
            Code::PortNotOnPod,
            format!(
                "no container of `{}` declares port {wanted} ({protocol})",
                w.display()
            ),
            w.containers_span,
            format!("the containers declare {}", declared.join(", ")),
        )
        .with_secondary(need.origin.target, format!("asks for port {wanted}"))
        .with_help(
            "ask for the port the container listens on (NetworkPolicy sees the pod's port), \
             or declare it in the container's `ports`",
        ),
    )
}

/// E403 for a port that is a Kubernetes Service's `port` mapped to another
/// `targetPort` on the pods of `w`.
fn service_mapping(
    program: &Program,
    services: &[&KubeService],
    w: &Workload,
    (first, last): (u16, u16),
    protocol: AProtocol,
    need: &crate::ir::Need,
) -> Option<Diagnostic> {
    let inside = |n: u16| first <= n && n <= last;
    let wanted = if first == last {
        first.to_string()
    } else {
        format!("{first}-{last}")
    };
    for service in services {
        if service.selector.is_empty()
            || !service
                .selector
                .iter()
                .all(|(k, v)| w.labels.get(k) == Some(v))
        {
            continue;
        }
        for sp in &service.ports {
            let target = match &sp.target {
                Target::Number(n) => Some(*n),
                Target::Name(name) => w
                    .ports
                    .iter()
                    .find(|p| p.name.as_deref() == Some(name.as_str()))
                    .map(|p| p.number),
            };
            let Some(target) = target.filter(|t| *t != sp.port) else {
                continue;
            };
            if sp.protocol != protocol || !inside(sp.port) {
                continue;
            }
            let written = written_target(program, need);
            return Some(
                Diagnostic::new(
                    Code::PortNotOnPod,
                    format!(
                        "port {wanted} is the Service's port, not the pods' port of `{}`",
                        w.display()
                    ),
                    sp.span,
                    format!("Service `{}` maps {} → {target}", service.name, sp.port),
                )
                .with_secondary(need.origin.target, format!("asks for port {wanted}"))
                .with_help(format!(
                    "NetworkPolicy sees the pod's port: write `{written}:{target}` \
                     (Service `{}` maps {} → {target})",
                    service.name, sp.port
                )),
            );
        }
    }
    None
}

/// The target as the `needs` line names it (`frontend`, `shop/frontend`).
fn written_target(program: &Program, need: &crate::ir::Need) -> String {
    let name = program.endpoint_name(need.target);
    match (program.endpoint_namespace(need.subject), need.target) {
        (Some(ns), Endpoint::Service(t)) if program.service(t).namespace == ns => {
            program.service(t).name.clone()
        }
        _ => name,
    }
}

/// W400–W404: how the program's services select the workloads.
fn selection(program: &Program, manifests: &Manifests, matches: &Matches, out: &mut Diagnostics) {
    let exempt = &program.exempt;
    let mut selected = vec![false; program.services.len()];
    let mut populated: BTreeSet<NamespaceId> = BTreeSet::new();
    for (i, w) in manifests.workloads.iter().enumerate() {
        let Some(ns) = matches.namespace[i] else {
            continue;
        };
        populated.insert(ns);
        let services = &matches.services[i];
        for id in services {
            selected[id.0 as usize] = true;
        }
        let managed = program.namespace(ns).managed;
        let is_exempt = w.labels.get(&exempt.key) == Some(&exempt.value);
        if is_exempt {
            out.push(exempt_template(program, w));
        }
        if managed && services.is_empty() && !is_exempt {
            out.push(unselected(program, w, ns));
        }
        if managed && services.len() > 1 {
            let mut d = Diagnostic::new(
                Code::DoublySelectedWorkload,
                format!(
                    "`{}` is selected by {} services",
                    w.display(),
                    services.len()
                ),
                w.labels_span,
                "these labels match more than one service's selector",
            )
            .with_help("make the selectors disjoint (`select` lines), or split the workload");
            for id in services {
                let s = program.service(*id);
                d = d.with_secondary(s.span, format!("`{}` selects it", s.name));
            }
            out.push(d);
        }
        if w.host_network && !services.is_empty() {
            let span = w.host_network_span.unwrap_or(w.name_span);
            let s = program.service(services[0]);
            out.push(
                Diagnostic::new(
                    Code::HostNetworkSelected,
                    format!("`{}` uses the host network", w.display()),
                    span,
                    "NetworkPolicy never applies to hostNetwork pods",
                )
                .with_secondary(s.span, format!("`{}` selects it", s.name))
                .with_help("run it without `hostNetwork`, or leave it out of the program"),
            );
        }
    }
    for id in program.service_ids() {
        let s = program.service(id);
        if selected[id.0 as usize] || !populated.contains(&s.namespace) {
            continue;
        }
        let selector = [s.selector_text()];
        out.push(
            Diagnostic::new(
                Code::ServiceWithoutWorkload,
                format!(
                    "`{}` selects no workload of the manifests",
                    program.endpoint_name(Endpoint::Service(id))
                ),
                s.span,
                format!("no pod template has {}", selector.join(", ")),
            )
            .with_help(
                "fix the service's `select` line (or the workloads' labels); \
                 a stale selector protects nothing",
            ),
        );
    }
}

fn exempt_template(program: &Program, w: &Workload) -> Diagnostic {
    let exempt = &program.exempt;
    let span = w
        .label_spans
        .get(&exempt.key)
        .copied()
        .unwrap_or(w.labels_span);
    let mut d = Diagnostic::new(
        Code::ExemptTemplate,
        format!(
            "the pod template of `{}` carries the exempt label",
            w.display()
        ),
        span,
        "every generated policy leaves these pods alone",
    )
    .with_help(format!(
        "remove `{}: {}` once the break-glass is over",
        exempt.key, exempt.value
    ));
    if let Some(s) = exempt.span {
        d = d.with_secondary(s, "the exempt label is declared here");
    }
    d
}

fn unselected(program: &Program, w: &Workload, ns: NamespaceId) -> Diagnostic {
    Diagnostic::new(
        Code::UnselectedWorkload,
        format!("no service of the program selects `{}`", w.display()),
        w.labels_span,
        "default deny isolates these pods completely",
    )
    .with_secondary(program.namespace(ns).span, "this namespace is managed")
    .with_help(
        "declare a service for it (`select` its labels), or give it the labels of the \
         service it belongs to",
    )
}
