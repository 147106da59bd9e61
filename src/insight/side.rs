//! One side of `diff` (or the input of `graph`): a compiled output folder, whether
//! read from disk or built in memory from a program, turned into the probe cluster
//! (`crate::probe`) and the policy objects by (namespace, name). Pure: the CLI reads
//! the files and compiles programs; which files count is `crate::output`'s to say.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::networking::v1::NetworkPolicy;

use crate::output::Folder;
use crate::probe::{self, LabelContract, ProbeCluster};

/// Policy objects by (namespace, name), see [`Side::objects`].
pub type Objects<'s> = BTreeMap<(&'s str, &'s str), &'s NetworkPolicy>;

/// A side, ready to evaluate.
#[derive(Debug)]
pub struct Side {
    pub contract: LabelContract,
    pub probes: ProbeCluster,
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

    /// Every policy object by (namespace, name) as the evaluator names them (no
    /// namespace is `default`); of two with one key, the later counts. Two sides'
    /// objects are compared with `==`: every field, metadata included. Derived from the
    /// probe cluster's policies rather than kept beside them (a JSON text per policy
    /// was 67 MB per side at 50,000 services).
    pub fn objects(&self) -> Objects<'_> {
        self.probes
            .cluster
            .policies()
            .iter()
            .map(|p| ((p.namespace(), p.name()), &p.policy))
            .collect()
    }
}

/// Builds a side from a compiled folder (see [`crate::output::read`]).
pub fn from_folder(folder: Folder) -> Side {
    let policies = folder
        .policies
        .into_iter()
        .map(|(policy, file)| (policy, Some(file)));
    let probes = probe::build(&folder.contract, policies);
    Side {
        contract: folder.contract,
        probes,
        from_manifests: false,
        namespace_labels: BTreeMap::new(),
    }
}
