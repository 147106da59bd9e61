//! Reading manifest texts into [`Manifests`]: the workloads (pod templates of
//! Deployments, StatefulSets, DaemonSets, ReplicaSets, ReplicationControllers, Jobs,
//! CronJobs, and bare Pods), the Services and the Namespaces, with the spans of what
//! findings point at. Values come from serde_yaml (`Value`, so a partial or unusual
//! object is read as far as it goes instead of being refused); positions come from
//! [`super::scan`], joined by key path. A stream is split into documents on `---`
//! lines here, so each document's text and offset are known. Other kinds are skipped
//! and counted. Pure: the CLI hands in texts already added to [`Sources`].

use std::collections::BTreeMap;

use serde_yaml::Value;

use super::scan::{self, Positions, SEP};
use crate::analyze::Protocol;
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::source::{FileId, Sources, Span};

/// A container port of a workload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Port {
    pub name: Option<String>,
    pub number: u16,
    pub protocol: Protocol,
}

/// One workload: a controller's pod template, or a Pod.
#[derive(Clone, Debug)]
pub struct Workload {
    pub kind: String,
    pub api_version: String,
    pub name: String,
    pub namespace: String,
    /// Whether the manifest gave the namespace (else it came from `--namespace`).
    pub explicit_namespace: bool,
    /// The pod template's labels.
    pub labels: BTreeMap<String, String>,
    pub ports: Vec<Port>,
    pub host_network: bool,
    /// `metadata.name` of the workload.
    pub name_span: Span,
    /// The template's `labels` key (the name when the template has none).
    pub labels_span: Span,
    /// Each template label's key.
    pub label_spans: BTreeMap<String, Span>,
    /// The template's `containers` key (the name when absent).
    pub containers_span: Span,
    pub host_network_span: Option<Span>,
}

impl Workload {
    /// `Deployment/web` (namespace left out).
    pub fn display(&self) -> String {
        format!("{}/{}", self.kind, self.name)
    }
}

/// What a Service's `targetPort` names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Number(u16),
    Name(String),
}

#[derive(Clone, Debug)]
pub struct ServicePort {
    pub port: u16,
    pub target: Target,
    pub protocol: Protocol,
    /// The `port` entry (its `targetPort` when given).
    pub span: Span,
}

/// A Kubernetes Service (not a `.netp` service).
#[derive(Clone, Debug)]
pub struct KubeService {
    pub name: String,
    pub namespace: String,
    pub selector: BTreeMap<String, String>,
    pub ports: Vec<ServicePort>,
    pub name_span: Span,
}

/// Everything read from the manifests.
#[derive(Debug, Default)]
pub struct Manifests {
    pub workloads: Vec<Workload>,
    pub services: Vec<KubeService>,
    pub namespaces: Vec<String>,
    /// Objects of other kinds.
    pub skipped: usize,
}

/// The pod template's path inside an object of `kind`, or `None` for kinds not read.
fn template_path(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Job" => &["spec", "template"],
        "CronJob" => &["spec", "jobTemplate", "spec", "template"],
        "Pod" => &[],
        _ => return None,
    })
}

/// The documents of a stream: `(offset, text)` of each, split on `---` lines.
pub fn documents(text: &str) -> Vec<(usize, &str)> {
    let mut docs = Vec::new();
    let mut start = 0;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let marker = body == "---" || body.starts_with("--- ") || body.starts_with("---\t");
        let end_marker = body == "...";
        if marker || end_marker {
            docs.push((start, &text[start..offset]));
            start = if marker {
                offset + 3
            } else {
                offset + line.len()
            };
        }
        offset += line.len();
    }
    docs.push((start, &text[start..]));
    docs.retain(|(_, d)| {
        d.lines()
            .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
    });
    docs
}

/// Read every object of `file` (already in `sources`) into `manifests`; problems
/// (text that is not YAML) become diagnostics.
pub fn read_file(
    sources: &Sources,
    file: FileId,
    default_namespace: &str,
    manifests: &mut Manifests,
    diagnostics: &mut Diagnostics,
) {
    let text = &sources.get(file).text;
    if let Err(message) = crate::analyze::check_flow_depth(text) {
        diagnostics.push(unreadable(file, 0, false, message));
        return;
    }
    let docs = documents(text);
    let several = docs.len() > 1;
    for (offset, doc) in docs {
        let value: Value = match serde_yaml::from_str(doc) {
            Ok(value) => value,
            Err(err) => {
                let at = err.location().map_or(0, |l| l.index());
                let message = without_locations(&err.to_string());
                diagnostics.push(unreadable(file, offset + at, several, message));
                continue;
            }
        };
        let positions = scan::scan(doc);
        let mut reader = Reader {
            file,
            offset,
            positions: &positions,
            default_namespace,
            manifests,
        };
        reader.object(&value, "", None);
    }
}

fn unreadable(file: FileId, at: usize, several: bool, message: String) -> Diagnostic {
    let span = Span::new(file, at, at);
    let mut d = Diagnostic::new(
        Code::UnreadableManifest,
        "this manifest cannot be read",
        span,
        message,
    )
    .with_help("fix the YAML or JSON of this document; netpc reads nothing else from it");
    if several {
        d = d.with_note("the other documents of the file are still checked");
    }
    d
}

/// serde_yaml's message without its ` at line L column C` parts, which count from
/// the document, not the file (the diagnostic's span says where).
fn without_locations(message: &str) -> String {
    let mut out = String::new();
    let mut rest = message;
    while let Some(i) = rest.find(" at line ") {
        out.push_str(&rest[..i]);
        let tail = &rest[i + " at line ".len()..];
        let skip = tail
            .find(" column ")
            .map(|c| {
                let after = &tail[c + " column ".len()..];
                c + " column ".len() + after.len()
                    - after
                        .trim_start_matches(|ch: char| ch.is_ascii_digit())
                        .len()
            })
            .unwrap_or(0);
        rest = &tail[skip..];
    }
    out.push_str(rest);
    out
}

struct Reader<'a> {
    file: FileId,
    offset: usize,
    positions: &'a Positions,
    default_namespace: &'a str,
    manifests: &'a mut Manifests,
}

impl Reader<'_> {
    /// The span of the value at `path`, else of `fallback`'s value, else the document
    /// start.
    fn span(&self, path: &str, fallback: Option<&str>) -> Span {
        let found = self
            .positions
            .get(path)
            .or_else(|| fallback.and_then(|f| self.positions.get(f)));
        match found {
            Some(l) => Span::new(
                self.file,
                self.offset + l.value.start,
                self.offset + l.value.end,
            ),
            None => Span::new(self.file, self.offset, self.offset),
        }
    }

    fn key_span(&self, path: &str) -> Option<Span> {
        self.positions.get(path).map(|l| {
            Span::new(
                self.file,
                self.offset + l.key.start,
                self.offset + l.key.end,
            )
        })
    }

    fn object(&mut self, value: &Value, path: &str, default_kind: Option<&str>) {
        let Some(map) = value.as_mapping() else {
            return;
        };
        let kind = map
            .get("kind")
            .and_then(Value::as_str)
            .or(default_kind)
            .unwrap_or("");
        if let Some(item_kind) = kind.strip_suffix("List") {
            let item_kind = Some(item_kind).filter(|k| !k.is_empty());
            if let Some(items) = map.get("items").and_then(Value::as_sequence) {
                for (i, item) in items.iter().enumerate() {
                    self.object(item, &join(path, &format!("items{SEP}{i}")), item_kind);
                }
            }
            return;
        }
        match kind {
            "Namespace" => {
                if let Some(name) = str_at(value, &["metadata", "name"]) {
                    self.manifests.namespaces.push(name.to_owned());
                }
            }
            "Service" => self.service(value, path),
            _ => match template_path(kind) {
                Some(template) => self.workload(value, path, kind, template),
                None => self.manifests.skipped += 1,
            },
        }
    }

    fn namespace(&self, value: &Value) -> (String, bool) {
        match str_at(value, &["metadata", "namespace"]).filter(|n| !n.is_empty()) {
            Some(ns) => (ns.to_owned(), true),
            None => (self.default_namespace.to_owned(), false),
        }
    }

    fn workload(&mut self, value: &Value, path: &str, kind: &str, template: &[&str]) {
        let name = str_at(value, &["metadata", "name"])
            .unwrap_or("")
            .to_owned();
        let (namespace, explicit_namespace) = self.namespace(value);
        let name_path = join(path, &scan::path(&["metadata", "name"]));
        let name_span = self.span(&name_path, None);
        let template_value = at(value, template);
        let tpath = join(path, &scan::path(template));
        let labels_path = join(&tpath, &scan::path(&["metadata", "labels"]));
        let labels = string_map(template_value.and_then(|t| at(t, &["metadata", "labels"])));
        let label_spans = labels
            .keys()
            .filter_map(|k| Some((k.clone(), self.key_span(&join(&labels_path, k))?)))
            .collect();
        let spec = template_value.and_then(|t| at(t, &["spec"]));
        let spec_path = join(&tpath, "spec");
        let host_network = spec
            .and_then(|s| at(s, &["hostNetwork"]))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let workload = Workload {
            kind: kind.to_owned(),
            api_version: str_at(value, &["apiVersion"]).unwrap_or("v1").to_owned(),
            name,
            namespace,
            explicit_namespace,
            ports: spec.map(container_ports).unwrap_or_default(),
            host_network,
            labels_span: self.key_span(&labels_path).unwrap_or(name_span),
            label_spans,
            containers_span: self
                .key_span(&join(&spec_path, "containers"))
                .unwrap_or(name_span),
            host_network_span: self.key_span(&join(&spec_path, "hostNetwork")),
            name_span,
            labels,
        };
        self.manifests.workloads.push(workload);
    }

    fn service(&mut self, value: &Value, path: &str) {
        let name = str_at(value, &["metadata", "name"])
            .unwrap_or("")
            .to_owned();
        let (namespace, _) = self.namespace(value);
        let name_span = self.span(&join(path, &scan::path(&["metadata", "name"])), None);
        let selector = string_map(at(value, &["spec", "selector"]));
        let mut ports = Vec::new();
        let list = at(value, &["spec", "ports"]).and_then(Value::as_sequence);
        for (i, entry) in list.into_iter().flatten().enumerate() {
            let Some(port) = entry.get("port").and_then(number) else {
                continue;
            };
            let target = match entry.get("targetPort") {
                Some(Value::String(s)) => match s.parse::<u16>() {
                    Ok(n) => Target::Number(n),
                    Err(_) => Target::Name(s.clone()),
                },
                Some(v) => number(v).map_or(Target::Number(port), Target::Number),
                None => Target::Number(port),
            };
            let entry_path = join(path, &scan::path(&["spec", "ports", &i.to_string()]));
            let span = self.span(
                &join(&entry_path, "targetPort"),
                Some(&join(&entry_path, "port")),
            );
            ports.push(ServicePort {
                port,
                target,
                protocol: protocol(entry.get("protocol")),
                span,
            });
        }
        self.manifests.services.push(KubeService {
            name,
            namespace,
            selector,
            ports,
            name_span,
        });
    }
}

fn join(prefix: &str, rest: &str) -> String {
    match (prefix.is_empty(), rest.is_empty()) {
        (true, _) => rest.to_owned(),
        (_, true) => prefix.to_owned(),
        _ => format!("{prefix}{SEP}{rest}"),
    }
}

fn at<'v>(value: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(value, |v, key| v.get(*key))
}

fn str_at<'v>(value: &'v Value, path: &[&str]) -> Option<&'v str> {
    at(value, path).and_then(Value::as_str)
}

fn number(value: &Value) -> Option<u16> {
    value.as_u64().and_then(|n| u16::try_from(n).ok())
}

fn protocol(value: Option<&Value>) -> Protocol {
    value
        .and_then(Value::as_str)
        .and_then(Protocol::parse)
        .unwrap_or(Protocol::Tcp)
}

/// A mapping of scalars as strings (`true` and `8080` as written by YAML).
fn string_map(value: Option<&Value>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (k, v) in value.and_then(Value::as_mapping).into_iter().flatten() {
        let (Some(k), Some(v)) = (scalar(k), scalar(v)) else {
            continue;
        };
        out.insert(k, v);
    }
    out
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The container ports of a pod spec (init containers are not servers).
fn container_ports(spec: &Value) -> Vec<Port> {
    let mut ports = Vec::new();
    let containers = spec.get("containers").and_then(Value::as_sequence);
    for container in containers.into_iter().flatten() {
        let list = container.get("ports").and_then(Value::as_sequence);
        for port in list.into_iter().flatten() {
            if let Some(number) = port.get("containerPort").and_then(number) {
                ports.push(Port {
                    name: port.get("name").and_then(Value::as_str).map(str::to_owned),
                    number,
                    protocol: protocol(port.get("protocol")),
                });
            }
        }
    }
    ports
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail by panicking")]
mod tests {
    use super::*;
    use crate::source::Origin;

    const SAMPLE: &str = "kind: List\nitems:\n- kind: Deployment\n  metadata: {name: \"wé\", namespace: ns}\n  spec:\n    template:\n      metadata:\n        labels:\n          app: wé # ü\n      spec:\n        hostNetwork: true\n        containers:\n        - ports: [{name: http, containerPort: 80}]\n---\n{\"kind\": \"Service\", \"metadata\": {\"name\": \"s\"}, \"spec\": {\"selector\": {\"app\": \"wé\"}, \"ports\": [{\"port\": 80, \"targetPort\": \"http\"}]}}\n";

    fn read(text: &str) -> (Manifests, Diagnostics) {
        let mut sources = Sources::new();
        let file = sources.add(Origin::File("m.yaml".into()), text.to_owned());
        let mut manifests = Manifests::default();
        let mut diagnostics = Diagnostics::new();
        read_file(&sources, file, "default", &mut manifests, &mut diagnostics);
        for d in diagnostics.iter() {
            assert!(text.is_char_boundary(d.primary.span.start as usize));
        }
        (manifests, diagnostics)
    }

    #[test]
    fn reads_lists_flow_and_json_with_spans() {
        let (m, d) = read(SAMPLE);
        assert!(d.is_empty());
        let w = &m.workloads[0];
        assert_eq!((w.name.as_str(), w.namespace.as_str()), ("wé", "ns"));
        assert!(w.host_network && w.host_network_span.is_some());
        assert_eq!(w.ports[0].name.as_deref(), Some("http"));
        assert_eq!(&SAMPLE[w.name_span.range()], "\"wé\"");
        assert_eq!(&SAMPLE[w.labels_span.range()], "labels");
        let s = &m.services[0];
        assert_eq!(s.ports[0].target, Target::Name("http".into()));
        assert_eq!(&SAMPLE[s.ports[0].span.range()], "\"http\"");
    }

    /// Every prefix of a document (a truncated file) is read without a panic, and
    /// every span lies on character boundaries inside the text.
    #[test]
    fn truncated_documents_never_panic() {
        for (i, _) in SAMPLE.char_indices() {
            let (m, _) = read(&SAMPLE[..i]);
            for w in &m.workloads {
                for span in [w.name_span, w.labels_span, w.containers_span] {
                    assert!(SAMPLE[..i].get(span.range()).is_some());
                }
            }
        }
    }
}
