//! One side of `diff` (or the input of `graph`): a compiled output folder, whether
//! read from disk or built in memory from a program, turned into the probe cluster
//! (`crate::probe`) and the policy objects by (namespace, name). Pure: the CLI reads
//! the files and compiles programs; which files count is `crate::output`'s to say.

use std::collections::{BTreeMap, BTreeSet};

use crate::output::Folder;
use crate::probe::{self, LabelContract, ProbeCluster};

/// A side, ready to evaluate.
#[derive(Debug)]
pub struct Side {
    pub contract: LabelContract,
    pub probes: ProbeCluster,
    /// Every policy object as JSON text, by (namespace, name), to tell changed objects
    /// ([`object_text`]).
    pub objects: BTreeMap<(String, String), String>,
    /// Read from a folder of NetworkPolicy manifests: the contract is derived from
    /// its selectors (`super::manifest_side`).
    pub from_manifests: bool,
    /// Labels of namespaces that the manifests declare (`Namespace` objects).
    pub namespace_labels: BTreeMap<String, crate::analyze::Labels>,
}

impl Side {
    /// The namespaces managed by netpc on this side, to ask once per probe (a walk
    /// over the contract's namespaces per probe grew with services x namespaces).
    pub fn managed_namespaces(&self) -> BTreeSet<&str> {
        self.contract
            .namespaces
            .iter()
            .filter(|n| n.managed)
            .map(|n| n.name.as_str())
            .collect()
    }
}

/// A policy object as JSON text, to compare two sides' objects: serde_json writes the
/// fields in the order of the type and every map (labels, selectors) sorted, so two
/// objects are equal exactly when their texts are. A few hundred bytes where a
/// `serde_json::Value` took about 7 KB of small allocations per policy (87 MB of
/// `graph`'s 166 MB heap at 5,000 services, docs/performance.md).
pub fn object_text(policy: &k8s_openapi::api::networking::v1::NetworkPolicy) -> String {
    serde_json::to_string(policy).unwrap_or_default()
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
        objects.insert(key, object_text(policy));
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
