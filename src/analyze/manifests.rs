//! Reading Kubernetes manifests (YAML or JSON text, multi-document, `List` kinds,
//! CRLF) into a [`Cluster`]: Namespaces, NetworkPolicies, Pods and the pod templates
//! of Deployments, ReplicaSets, StatefulSets, DaemonSets, ReplicationControllers, Jobs
//! and CronJobs, deserialized with k8s-openapi types; other kinds are skipped. Pods of
//! one controller collapse into one workload (conformance FORMAT.md §1.3). Owns the
//! mapping from objects to the model; it must never touch the file system (the CLI
//! hands it texts) and never evaluate or validate policies.

use std::collections::BTreeMap;
use std::net::IpAddr;

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{Namespace, Pod, PodSpec, PodTemplateSpec, ReplicationController};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use rustc_hash::FxHashMap;
use serde::de::DeserializeOwned;
use serde_yaml::Value;

use super::connset::Protocol;
use super::model::{Cluster, ContainerPort, Workload};
use super::selector::Labels;

/// A manifest that could not be read: the file and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Builds a [`Cluster`] from manifest texts, one file at a time.
#[derive(Debug, Default)]
pub struct ManifestLoader {
    cluster: Cluster,
    /// (namespace, kind, name) of each workload already added.
    seen: FxHashMap<(String, String, String), usize>,
}

impl ManifestLoader {
    pub fn new() -> ManifestLoader {
        ManifestLoader::default()
    }

    /// Reads every document of one file. `path` is only used in messages.
    pub fn add_text(&mut self, path: &str, text: &str) -> Result<(), LoadError> {
        let error = |message: String| LoadError {
            path: path.to_string(),
            message,
        };
        super::check_flow_depth(text).map_err(error)?;
        for document in serde_yaml::Deserializer::from_str(text) {
            let value = <Value as serde::Deserialize>::deserialize(document)
                .map_err(|e| error(format!("not valid YAML or JSON: {e}")))?;
            self.add_value(value, None, path).map_err(error)?;
        }
        Ok(())
    }

    /// The model built so far.
    pub fn finish(self) -> Cluster {
        self.cluster
    }

    fn add_value(
        &mut self,
        value: Value,
        default_kind: Option<&str>,
        path: &str,
    ) -> Result<(), String> {
        let Value::Mapping(mut map) = value else {
            return Ok(()); // empty documents, scalars: nothing to read
        };
        let kind = match map.get("kind").and_then(Value::as_str) {
            Some(kind) => kind.to_string(),
            None => match default_kind {
                Some(kind) => kind.to_string(),
                None => return Ok(()),
            },
        };
        if kind.ends_with("List") {
            let item_kind = kind.strip_suffix("List").filter(|k| !k.is_empty());
            if let Some(Value::Sequence(items)) = map.remove("items") {
                for item in items {
                    self.add_value(item, item_kind, path)?;
                }
            }
            return Ok(());
        }
        // apiVersion may be an old one (extensions/v1beta1): the shape is what counts.
        map.remove("apiVersion");
        map.remove("kind");
        let object = Value::Mapping(map);
        match kind.as_str() {
            "Namespace" => {
                let ns: Namespace = parse(object, &kind)?;
                let name = ns.metadata.name.unwrap_or_default();
                let labels = ns.metadata.labels.unwrap_or_default();
                self.cluster.add_namespace(&name, labels);
            }
            "NetworkPolicy" => {
                let policy: NetworkPolicy = parse(object, &kind)?;
                self.cluster.add_policy(policy, Some(path.to_string()));
            }
            "Pod" => self.add_pod(parse(object, &kind)?),
            "Deployment" => {
                let o: Deployment = parse(object, &kind)?;
                let template = Some(o.spec.template);
                self.add_template(&o.metadata, &kind, template.as_ref());
            }
            "ReplicaSet" => {
                let o: ReplicaSet = parse(object, &kind)?;
                let template = o.spec.template;
                self.add_template(&o.metadata, &kind, template.as_ref());
            }
            "StatefulSet" => {
                let o: StatefulSet = parse(object, &kind)?;
                let template = Some(o.spec.template);
                self.add_template(&o.metadata, &kind, template.as_ref());
            }
            "DaemonSet" => {
                let o: DaemonSet = parse(object, &kind)?;
                let template = Some(o.spec.template);
                self.add_template(&o.metadata, &kind, template.as_ref());
            }
            "ReplicationController" => {
                let o: ReplicationController = parse(object, &kind)?;
                let template = o.spec.and_then(|s| s.template);
                self.add_template(&o.metadata, &kind, template.as_ref());
            }
            "Job" => {
                let o: Job = parse(object, &kind)?;
                let template = o.spec.map(|s| s.template);
                self.add_template(&o.metadata, &kind, template.as_ref());
            }
            "CronJob" => {
                let o: CronJob = parse(object, &kind)?;
                let template = o.spec.job_template.spec.map(|s| s.template);
                self.add_template(&o.metadata, &kind, template.as_ref());
            }
            _ => {}
        }
        Ok(())
    }

    fn add_template(
        &mut self,
        meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
        kind: &str,
        template: Option<&PodTemplateSpec>,
    ) {
        let labels = template
            .and_then(|t| t.metadata.as_ref())
            .and_then(|m| m.labels.clone())
            .unwrap_or_default();
        let ports = template
            .and_then(|t| t.spec.as_ref())
            .map(container_ports)
            .unwrap_or_default();
        let namespace = namespace_of(meta);
        let name = meta.name.clone().unwrap_or_default();
        self.add_workload(&namespace, &name, kind, labels, ports, None);
    }

    fn add_pod(&mut self, pod: Pod) {
        let name = pod.metadata.name.clone().unwrap_or_default();
        if name.starts_with("virt-launcher-") {
            return;
        }
        let namespace = namespace_of(&pod.metadata);
        let owner = pod
            .metadata
            .owner_references
            .iter()
            .flatten()
            .find(|o| o.controller == Some(true) && o.kind != "Node");
        let (kind, workload_name) = match owner {
            Some(o) if o.kind.is_empty() => ("Pod".to_string(), o.name.clone()),
            Some(o) => (o.kind.clone(), o.name.clone()),
            None => ("Pod".to_string(), name),
        };
        let labels = pod.metadata.labels.clone().unwrap_or_default();
        let ports = pod.spec.as_ref().map(container_ports).unwrap_or_default();
        let ip = pod
            .status
            .as_ref()
            .and_then(|s| s.pod_ip.as_deref())
            .and_then(|ip| ip.parse::<IpAddr>().ok());
        self.add_workload(&namespace, &workload_name, &kind, labels, ports, ip);
    }

    fn add_workload(
        &mut self,
        namespace: &str,
        name: &str,
        kind: &str,
        labels: Labels,
        ports: Vec<ContainerPort>,
        ip: Option<IpAddr>,
    ) {
        let key = (namespace.to_string(), kind.to_string(), name.to_string());
        if self.seen.contains_key(&key) {
            return; // another pod of the same controller: same labels and ports
        }
        let mut workload = Workload::new(namespace, name, kind, labels);
        workload.ports = ports;
        workload.ip = ip;
        let id = self.cluster.add_workload(workload);
        self.seen.insert(key, id);
    }
}

/// Reads manifests from `(path, text)` pairs into a cluster model.
pub fn load_texts<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<Cluster, LoadError> {
    let mut loader = ManifestLoader::new();
    for (path, text) in files {
        loader.add_text(path, text)?;
    }
    Ok(loader.finish())
}

fn parse<T: DeserializeOwned>(value: Value, kind: &str) -> Result<T, String> {
    serde_yaml::from_value(value).map_err(|e| format!("cannot read this {kind}: {e}"))
}

fn namespace_of(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> String {
    meta.namespace
        .clone()
        .filter(|ns| !ns.is_empty())
        .unwrap_or_else(|| "default".to_string())
}

fn container_ports(spec: &PodSpec) -> Vec<ContainerPort> {
    let mut ports = Vec::new();
    for container in &spec.containers {
        for port in container.ports.iter().flatten() {
            let protocol = port
                .protocol
                .as_deref()
                .map_or(Some(Protocol::Tcp), Protocol::parse);
            if let (Some(protocol), Ok(number)) = (protocol, u16::try_from(port.container_port)) {
                ports.push(ContainerPort {
                    name: port.name.clone(),
                    protocol,
                    port: number,
                });
            }
        }
    }
    ports
}

/// Labels as a sorted map (helper for callers building labels from pairs).
pub fn labels<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Labels {
    pairs
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect::<BTreeMap<_, _>>()
}
