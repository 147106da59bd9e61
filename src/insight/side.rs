//! One side of `diff` (or the input of `graph`): a compiled output folder, whether
//! read from disk or built in memory from a program, turned into the probe cluster
//! (`crate::probe`) and the policy objects by (namespace, name). Pure: the CLI reads
//! the files and compiles programs; which files count is `crate::output`'s to say.

use std::collections::BTreeMap;

use crate::output::Folder;
use crate::probe::{self, LabelContract, ProbeCluster};

/// A side, ready to evaluate.
#[derive(Debug)]
pub struct Side {
    pub contract: LabelContract,
    pub probes: ProbeCluster,
    /// Every policy object as JSON, by (namespace, name), to tell changed objects.
    pub objects: BTreeMap<(String, String), serde_json::Value>,
    /// Read from a folder of NetworkPolicy manifests: the contract is derived from
    /// its selectors (`super::manifest_side`).
    pub from_manifests: bool,
    /// Labels of namespaces that the manifests declare (`Namespace` objects).
    pub namespace_labels: BTreeMap<String, crate::analyze::Labels>,
}

impl Side {
    /// Whether a namespace is managed by netpc on this side.
    pub fn is_managed(&self, namespace: &str) -> bool {
        self.contract
            .namespaces
            .iter()
            .any(|n| n.name == namespace && n.managed)
    }
}

/// Builds a side from a compiled folder (see [`crate::output::read`]).
pub fn from_folder(folder: Folder) -> Side {
    let mut objects = BTreeMap::new();
    for (policy, _) in &folder.policies {
        // As the evaluator reads it: a policy without a namespace is in `default`.
        let namespace = policy
            .metadata
            .namespace
            .as_deref()
            .filter(|ns| !ns.is_empty());
        let key = (
            namespace.unwrap_or("default").to_owned(),
            policy.metadata.name.clone().unwrap_or_default(),
        );
        let value = serde_json::to_value(policy).unwrap_or(serde_json::Value::Null);
        objects.insert(key, value);
    }
    let policies = folder
        .policies
        .into_iter()
        .map(|(policy, file)| (policy, Some(file)));
    let probes = probe::build(&folder.contract, policies);
    Side {
        contract: folder.contract,
        probes,
        objects,
        from_manifests: false,
        namespace_labels: BTreeMap::new(),
    }
}
