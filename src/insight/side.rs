//! One side of `diff` (or the input of `graph`): the files of a compiled output folder,
//! whether read from disk or built in memory from a program, turned into the probe
//! cluster (`crate::probe`) and the policy objects by (namespace, name). Pure: the CLI
//! reads the files, compiles programs and materializes `git:REV:PATH`.

use std::collections::BTreeMap;

use crate::analyze::ManifestLoader;
use crate::probe::{self, LabelContract, ProbeCluster};

/// The label contract's file name in an output folder.
pub const CONTRACT_FILE: &str = "labels.yaml";

/// Whether a file of an output folder (relative, `/`-separated) holds policies that
/// the side applies: every `*.yaml`/`*.yml` except the label contract, kustomizations
/// and the `failsafe/` folder (never applied).
pub fn is_policy_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    (name.ends_with(".yaml") || name.ends_with(".yml"))
        && path != CONTRACT_FILE
        && name != "kustomization.yaml"
        && name != "kustomization.yml"
        && !path.starts_with("failsafe/")
        && !path.split('/').any(|part| part.starts_with('.'))
}

/// A side, ready to evaluate.
#[derive(Debug)]
pub struct Side {
    pub contract: LabelContract,
    pub probes: ProbeCluster,
    /// Every policy object as JSON, by (namespace, name), to tell changed objects.
    pub objects: BTreeMap<(String, String), serde_json::Value>,
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

/// Builds a side from the files of an output folder: `(relative path, text)`. Files
/// that are not policy files ([`is_policy_file`]) are ignored, except `labels.yaml`.
pub fn from_files<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Side, String> {
    let mut contract = None;
    let mut loader = ManifestLoader::new();
    for (path, text) in files {
        if path == CONTRACT_FILE {
            contract = Some(probe::parse_contract(text).map_err(|e| format!("{path}: {e}"))?);
        } else if is_policy_file(path) {
            loader.add_text(path, text).map_err(|e| e.to_string())?;
        }
    }
    let contract = contract.ok_or_else(|| format!("no `{CONTRACT_FILE}` (the label contract)"))?;
    let cluster = loader.finish();
    let mut objects = BTreeMap::new();
    let mut policies = Vec::new();
    for source in cluster.policies() {
        let key = (source.namespace().to_owned(), source.name().to_owned());
        let value = serde_json::to_value(&source.policy).unwrap_or(serde_json::Value::Null);
        objects.insert(key, value);
        policies.push((source.policy.clone(), source.origin.clone()));
    }
    let probes = probe::build(&contract, policies);
    Ok(Side {
        contract,
        probes,
        objects,
    })
}
