//! The text of the imported program, laid out as a person would write it (the style of
//! `examples/`): one file per namespace (`<ns>.netp`, a `namespace N { ... }` block:
//! `use`, `enforcement`, services, needs grouped by subject, exports), one per external
//! namespace, and `_cluster.netp` with the program-wide settings and the address
//! ranges. Notes stand as `// import:` comments at the top of the namespace they are
//! about. This is the only module that decides how the program looks, so it can be
//! routed through `netpc fmt` later (the unmanaged namespaces' files are `namespace_text`'s). Pure.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::naming::{Names, choose_names};
use super::needs::{End, Need, Plan};
use super::pod_terms::Select;
use super::policies::{Dir, Reading};
use super::service_text::{quoted, service_line};
use super::{Note, Port, PortValue, Ports, ProgramFile};
use crate::analyze::Cluster;

/// The file of program-wide settings and externals.
pub const CLUSTER_FILE: &str = "_cluster.netp";

/// The selector of the DNS pods that `std/dns` declares.
pub(super) const DNS_NAMESPACE: &str = "kube-system";

pub(super) fn dns_labels() -> Select {
    Select::equal(crate::analyze::labels([("k8s-app", "kube-dns")]))
}

fn dns_ports() -> Ports {
    Ports::Some(vec![
        Port {
            protocol: "TCP".to_owned(),
            value: PortValue::Range(53, 53),
        },
        Port {
            protocol: "UDP".to_owned(),
            value: PortValue::Range(53, 53),
        },
    ])
}

/// Whether a need is what `use std/dns;` says in its subject's namespace.
fn is_std_dns(need: &Need, reading: &Reading) -> bool {
    let sorted = |p: &Ports| match p {
        Ports::Some(list) => {
            let mut list = list.clone();
            list.sort();
            Ports::Some(list)
        }
        Ports::All => Ports::All,
    };
    matches!(&need.subject, End::Pods { labels, .. } if labels.is_empty())
        && matches!(&need.target, End::Pods { namespace, labels }
            if namespace == DNS_NAMESPACE && *labels == dns_labels())
        && !reading.managed.contains(DNS_NAMESPACE)
        && sorted(&need.ports) == sorted(&dns_ports())
}

fn port_text(port: &Port) -> String {
    let value = match &port.value {
        PortValue::Range(lo, hi) if lo == hi => lo.to_string(),
        PortValue::Range(lo, hi) => format!("{lo}-{hi}"),
        PortValue::Named(name) => name.clone(),
    };
    match port.protocol.as_str() {
        "UDP" => format!("{value}/udp"),
        "SCTP" => format!("{value}/sctp"),
        _ => value,
    }
}

/// `ports` as written after `REF:` (nothing for every port of a bare reference).
fn ports_text(ports: &Ports, bare_is_all: bool) -> String {
    let list: Vec<String> = match ports {
        Ports::All if bare_is_all => return String::new(),
        Ports::All => vec![
            "1-65535".into(),
            "1-65535/udp".into(),
            "1-65535/sctp".into(),
        ],
        Ports::Some(list) => {
            let mut list = list.clone();
            list.sort_by(|a, b| {
                (&a.protocol != "TCP", &a.protocol, &a.value).cmp(&(
                    &b.protocol != "TCP",
                    &b.protocol,
                    &b.value,
                ))
            });
            list.iter().map(port_text).collect()
        }
    };
    match list.as_slice() {
        [one] => format!(":{one}"),
        _ => format!(":{{{}}}", list.join(", ")),
    }
}

/// How `end` is referred to from namespace `here`.
fn reference(end: &End, here: &str, names: &Names) -> String {
    match end {
        End::Net(net) => names.externals.get(net).cloned().unwrap_or_default(),
        End::Anywhere => "anywhere".to_owned(),
        End::Pods { namespace, labels } if labels.is_empty() => {
            if namespace == here {
                "*".to_owned()
            } else {
                format!("{namespace}/*")
            }
        }
        End::Pods { namespace, labels } => {
            let key = (namespace.clone(), labels.clone());
            let name = names.services.get(&key).cloned().unwrap_or_default();
            if namespace == here {
                name
            } else {
                format!("{namespace}/{name}")
            }
        }
    }
}

/// The namespace a need is written in, or `None` when no netpc policy governs it.
fn home(need: &Need, reading: &Reading) -> Option<String> {
    let managed = |end: &End| match end {
        End::Pods { namespace, .. } if reading.managed.contains(namespace) => {
            Some(namespace.clone())
        }
        _ => None,
    };
    let (subject, target) = (managed(&need.subject), managed(&need.target));
    let target_is_all = matches!(&need.target, End::Pods { labels, .. } if labels.is_empty());
    match (subject, target) {
        (Some(s), Some(t)) if s != t && target_is_all => Some(t),
        (Some(s), _) => Some(s),
        (None, Some(t)) => Some(t),
        (None, None) => None,
    }
}

#[derive(Default)]
struct NamespaceText {
    uses_dns: bool,
    /// `isolate` lines of the selected directions.
    isolates: Vec<String>,
    lines: Vec<(String, String)>,
    exports: BTreeMap<String, BTreeSet<String>>,
    services: BTreeSet<(String, Select)>,
    /// The ends the needs of `Plan::open` keep open, by direction.
    opens: BTreeMap<&'static str, BTreeSet<String>>,
}

/// Every file of the program.
pub fn write(reading: &Reading, plan: &Plan, workloads: &Cluster) -> Vec<ProgramFile> {
    let mut spaces: BTreeMap<String, NamespaceText> = BTreeMap::new();
    for ns in &reading.managed {
        spaces.entry(ns.clone()).or_default();
    }
    let mut needs: Vec<&Need> = Vec::new();
    for need in &plan.needs {
        if let (End::Pods { namespace, .. }, true) = (&need.subject, is_std_dns(need, reading))
            && reading.managed.contains(namespace)
        {
            spaces.entry(namespace.clone()).or_default().uses_dns = true;
        } else {
            needs.push(need);
        }
    }
    let dns_used = spaces.values().any(|s| s.uses_dns);
    let mut owned: Vec<Need> = needs.iter().map(|n| (*n).clone()).collect();
    let identity = super::identity::recognise(&owned, reading, workloads);
    let labels_style = identity.is_some();
    let forced = identity.unwrap_or_default();
    if labels_style {
        owned.clone_from(&forced.needs);
    }
    let isolated = isolated_sets(plan, &owned, labels_style);
    let mut names = choose_names(&owned, &isolated, workloads, dns_used, &forced);
    for ((ns, _), sets) in &isolated {
        let space = spaces.entry(ns.clone()).or_default();
        for labels in sets {
            space.services.insert((ns.clone(), labels.clone()));
        }
    }
    let written = owned.iter().filter(|need| home(need, reading).is_some());
    names.ports = super::service_text::port_lines(written, workloads);
    isolate_lines(&isolated, &names, &mut spaces);
    let mut external_spaces: BTreeMap<String, BTreeSet<(String, Select)>> = BTreeMap::new();
    for need in &owned {
        place(
            need,
            reading,
            &names,
            dns_used,
            &mut spaces,
            &mut external_spaces,
        );
    }
    note_open_ends(&owned, plan, reading, &names, &mut spaces);
    for ns in reading.namespaces.keys() {
        let managed = reading.managed.contains(ns);
        let std_dns = dns_used && ns == DNS_NAMESPACE;
        if !managed && !std_dns {
            external_spaces.entry(ns.clone()).or_default();
        }
    }
    let mut files = vec![cluster_file(reading, &names, labels_style)];
    for (ns, text) in &spaces {
        let notes: Vec<&Note> = plan
            .notes
            .iter()
            .filter(|n| note_namespace(n) == ns)
            .collect();
        let policies = policy_names(reading, ns);
        files.push(ProgramFile {
            path: format!("{ns}.netp"),
            text: namespace_file(ns, text, plan, &names, &notes, &policies),
        });
    }
    for (ns, services) in &external_spaces {
        files.push(ProgramFile {
            path: format!("{ns}.netp"),
            text: match reading.sets.get(ns) {
                Some(chosen) => super::namespace_text::set_file(ns, chosen, services, &names),
                None => super::namespace_text::external_file(ns, services, &names),
            },
        });
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

/// The selectors each selected direction must `isolate`: the ones its policies
/// select, less those a need already selects exactly (as target for ingress, as
/// subject for egress; not in the labels style, where the subjects are renamed).
fn isolated_sets(
    plan: &Plan,
    needs: &[Need],
    labels_style: bool,
) -> BTreeMap<(String, Dir), BTreeSet<Select>> {
    let mut out = plan.selected.clone();
    for ((ns, dir), sets) in &mut out {
        sets.retain(|labels| {
            let end = End::Pods {
                namespace: ns.clone(),
                labels: labels.clone(),
            };
            labels_style
                || !needs.iter().any(|n| match dir {
                    Dir::Ingress => n.target == end,
                    Dir::Egress => n.subject == end,
                })
        });
    }
    out
}

/// `isolate S;` (both directions), `isolate ingress S;`, `isolate egress S;`.
fn isolate_lines(
    isolated: &BTreeMap<(String, Dir), BTreeSet<Select>>,
    names: &Names,
    spaces: &mut BTreeMap<String, NamespaceText>,
) {
    let mut by_ns: BTreeMap<&str, BTreeMap<&Select, (bool, bool)>> = BTreeMap::new();
    for ((ns, dir), sets) in isolated {
        for labels in sets {
            let entry = by_ns.entry(ns).or_default().entry(labels).or_default();
            match dir {
                Dir::Ingress => entry.0 = true,
                Dir::Egress => entry.1 = true,
            }
        }
    }
    for (ns, sets) in by_ns {
        let mut lines: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for (labels, (ingress, egress)) in sets {
            let name = names
                .services
                .get(&(ns.to_owned(), labels.clone()))
                .cloned()
                .unwrap_or_default();
            let word = match (ingress, egress) {
                (true, true) => "",
                (true, false) => "ingress ",
                _ => "egress ",
            };
            lines.entry(word).or_default().push(name);
        }
        let space = spaces.entry(ns.to_owned()).or_default();
        for (word, mut members) in lines {
            members.sort();
            space
                .isolates
                .push(format!("isolate {word}{};", members.join(", ")));
        }
    }
}

/// The end `anywhere needs T;` (or `S needs anywhere;`) keeps open, and its direction.
fn open_end(need: &Need, here: &str, names: &Names) -> (&'static str, String) {
    match &need.subject {
        End::Anywhere => ("ingress", reference(&need.target, here, names)),
        subject => ("egress", reference(subject, here, names)),
    }
}

/// Records, in the namespace each is written in, the ends `Plan::open`'s needs keep
/// open.
fn note_open_ends(
    needs: &[Need],
    plan: &Plan,
    reading: &Reading,
    names: &Names,
    spaces: &mut BTreeMap<String, NamespaceText>,
) {
    for need in needs {
        let key = (need.subject.clone(), need.target.clone());
        if let (true, Some(here)) = (plan.open.contains(&key), home(need, reading)) {
            let (dir, end) = open_end(need, &here, names);
            let space = spaces.entry(here).or_default();
            space.opens.entry(dir).or_default().insert(end);
        }
    }
}

/// Why the `anywhere` needs of `Plan::open` are there: no original policy isolates
/// those ends, and the other needs there would.
fn open_comments(opens: &BTreeMap<&'static str, BTreeSet<String>>) -> Vec<String> {
    opens
        .iter()
        .map(|(dir, ends)| {
            let ends: Vec<String> = ends.iter().map(|e| format!("`{e}`")).collect();
            let line = if *dir == "ingress" {
                "`anywhere needs`"
            } else {
                "`needs anywhere`"
            };
            let them = if ends.len() == 1 { "it" } else { "them" };
            format!(
                "// No original policy isolates the {dir} of {}: {line} keeps {them} open \
                 (a need isolates both its ends).",
                ends.join(", ")
            )
        })
        .collect()
}

/// Writes one need into the namespace it belongs to, with the services and the export
/// it asks for.
fn place(
    need: &Need,
    reading: &Reading,
    names: &Names,
    dns_used: bool,
    spaces: &mut BTreeMap<String, NamespaceText>,
    external_spaces: &mut BTreeMap<String, BTreeSet<(String, Select)>>,
) {
    let Some(here) = home(need, reading) else {
        return;
    };
    for end in [&need.subject, &need.target] {
        if let End::Pods { namespace, labels } = end {
            let key = (namespace.clone(), labels.clone());
            if labels.is_empty()
                || (dns_used && namespace == DNS_NAMESPACE && *labels == dns_labels())
            {
                if !reading.managed.contains(namespace) {
                    external_spaces.entry(namespace.clone()).or_default();
                }
                continue;
            }
            if reading.managed.contains(namespace) {
                spaces
                    .entry(namespace.clone())
                    .or_default()
                    .services
                    .insert(key);
            } else {
                external_spaces
                    .entry(namespace.clone())
                    .or_default()
                    .insert(key);
            }
        }
    }
    let subject = reference(&need.subject, &here, names);
    let bare = !matches!(&need.target, End::Pods { labels, .. } if !labels.is_empty());
    let target = format!(
        "{}{}",
        reference(&need.target, &here, names),
        ports_text(&need.ports, bare)
    );
    if let End::Pods { namespace, labels } = &need.target
        && namespace != &here
        && reading.managed.contains(namespace)
        && !labels.is_empty()
    {
        let service = reference(&need.target, namespace, names);
        spaces
            .entry(namespace.clone())
            .or_default()
            .exports
            .entry(service)
            .or_default()
            .insert(here.clone());
    }
    spaces
        .entry(here)
        .or_default()
        .lines
        .push((subject, target));
}

fn note_namespace(note: &Note) -> &str {
    note.policy.split('/').next().unwrap_or("")
}

fn policy_names(reading: &Reading, ns: &str) -> Vec<String> {
    let prefix = format!("{ns}/");
    reading
        .policies
        .iter()
        .filter(|p| p.starts_with(&prefix))
        .cloned()
        .collect()
}

fn cluster_file(reading: &Reading, names: &Names, labels_style: bool) -> ProgramFile {
    let mut text = String::from(
        "// Imported by `netpc import`: the settings of the whole program and the address\n\
         // ranges the original policies name.\n\n",
    );
    if labels_style {
        text.push_str("// Clients carry a `needs-T` label, as in the original policies.\n");
        text.push_str("identity labels;\n");
    } else {
        text.push_str("// Rules name each client's own selector, as the original policies do.\n");
        text.push_str("identity selectors;\n");
    }
    if let Some((key, value)) = reading
        .exempt
        .as_ref()
        .filter(|(k, v)| (k.as_str(), v.as_str()) != ("netp.io/exempt", "true"))
    {
        let _ = writeln!(text, "exempt label {key} = {};", quoted(value));
    }
    if !names.externals.is_empty() {
        text.push('\n');
    }
    let mut by_name: BTreeMap<&str, (Vec<&str>, Vec<&str>)> = BTreeMap::new();
    for (net, name) in &names.externals {
        let entry = by_name.entry(name).or_default();
        entry.0.push(&net.cidr);
        entry.1.extend(net.except.iter().map(String::as_str));
    }
    for (name, (cidrs, except)) in by_name {
        let except = if except.is_empty() {
            String::new()
        } else {
            format!(" except {}", except.join(", "))
        };
        let _ = writeln!(text, "external {name} = {}{except};", cidrs.join(", "));
    }
    ProgramFile {
        path: CLUSTER_FILE.to_owned(),
        text,
    }
}

fn namespace_file(
    ns: &str,
    body: &NamespaceText,
    plan: &Plan,
    names: &Names,
    notes: &[&Note],
    policies: &[String],
) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "// Imported by `netpc import`.");
    for note in notes {
        let _ = writeln!(
            text,
            "// import: `{}` {} (narrower)",
            note.policy, note.text
        );
    }
    for comment in open_comments(&body.opens) {
        let _ = writeln!(text, "{comment}");
    }
    let _ = writeln!(text, "namespace {ns} {{");
    let mut head = Vec::new();
    if body.uses_dns {
        head.push("use std/dns;".to_owned());
    }
    head.extend(enforcement_lines(ns, plan));
    let services: Vec<String> = body
        .services
        .iter()
        .map(|(ns, labels)| {
            let name = names
                .services
                .get(&(ns.clone(), labels.clone()))
                .cloned()
                .unwrap_or_default();
            service_line(
                &name,
                labels,
                names.ports.get(&(ns.clone(), labels.clone())),
            )
        })
        .collect();
    let needs = needs_lines(&body.lines);
    let exports: Vec<String> = body
        .exports
        .iter()
        .map(|(service, to)| {
            format!(
                "export {service} to {};",
                to.iter().cloned().collect::<Vec<_>>().join(", ")
            )
        })
        .collect();
    let sections = [head, services, needs, body.isolates.clone(), exports];
    let mut first = true;
    for section in sections.iter().filter(|s| !s.is_empty()) {
        if !first {
            text.push('\n');
        }
        first = false;
        for line in section {
            let _ = writeln!(text, "  {line}");
        }
    }
    let _ = writeln!(text, "}}");
    if !policies.is_empty() {
        let _ = writeln!(text, "\n// From the policies: {}.", policies.join(", "));
    }
    text
}

/// `enforcement ...;` for the directions that are not `on`: both in one line when
/// they agree.
fn enforcement_lines(ns: &str, plan: &Plan) -> Vec<String> {
    let mut head = Vec::new();
    let mode = |dir: Dir| {
        let key = (ns.to_owned(), dir);
        if plan.off.contains(&key) {
            "off"
        } else if plan.selected.contains_key(&key) {
            "selected"
        } else {
            "on"
        }
    };
    match (mode(Dir::Ingress), mode(Dir::Egress)) {
        (i, e) if i == e && i != "on" => head.push(format!("enforcement {i};")),
        (i, e) => {
            if i != "on" {
                head.push(format!("enforcement ingress {i};"));
            }
            if e != "on" {
                head.push(format!("enforcement egress {e};"));
            }
        }
    }
    head
}

/// `needs` lines: targets grouped by subject, subjects with the same targets joined.
fn needs_lines(lines: &[(String, String)]) -> Vec<String> {
    let mut by_subject: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (subject, target) in lines {
        by_subject.entry(subject).or_default().insert(target);
    }
    let mut by_targets: BTreeMap<Vec<&str>, Vec<&str>> = BTreeMap::new();
    for (subject, targets) in by_subject {
        by_targets
            .entry(targets.into_iter().collect())
            .or_default()
            .push(subject);
    }
    let mut out: Vec<String> = by_targets
        .into_iter()
        .map(|(targets, subjects)| format!("{} needs {};", subjects.join(", "), targets.join(", ")))
        .collect();
    out.sort();
    out
}
