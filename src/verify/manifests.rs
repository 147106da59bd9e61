//! The compiled side of `verify`: an output folder's files as (relative path, text)
//! pairs, either emitted in memory or read from disk by the CLI (`--against DIR`).
//! Picks the policy files (every `*.yaml` except `labels.yaml`, `kustomization.yaml`
//! and anything under `failsafe/`), reads their NetworkPolicy documents, and the label
//! contract. Pure: never touches the file system, never looks at the program.

use k8s_openapi::api::networking::v1::NetworkPolicy;
use serde_yaml::Value;

use crate::probe::{LabelContract, parse_contract};

/// The contract file of an output folder.
pub const CONTRACT_FILE: &str = "labels.yaml";

/// What verify evaluates: the policies (each with its file) and the label contract.
#[derive(Clone, Debug)]
pub struct Manifests {
    pub contract: LabelContract,
    pub policies: Vec<(NetworkPolicy, String)>,
}

/// Whether a file of an output folder holds policies the kustomization applies.
pub fn is_policy_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    path.ends_with(".yaml")
        && name != CONTRACT_FILE
        && name != "kustomization.yaml"
        && !path.starts_with("failsafe/")
        && !path.contains("/failsafe/")
}

/// Why an output folder could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadError {
    /// No `labels.yaml`: not a netpc output folder (a usage error).
    NoContract,
    /// A file that is not YAML, not a NetworkPolicy, or not a label contract: the file
    /// and what is wrong.
    Invalid(String),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::NoContract => {
                write!(f, "no `{CONTRACT_FILE}` (the label contract) found")
            }
            ReadError::Invalid(message) => f.write_str(message),
        }
    }
}

/// Read an output folder's files.
pub fn read<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<Manifests, ReadError> {
    let invalid = ReadError::Invalid;
    let mut contract = None;
    let mut policies = Vec::new();
    for (path, text) in files {
        if path == CONTRACT_FILE {
            contract = Some(parse_contract(text).map_err(|e| invalid(format!("{path}: {e}")))?);
            continue;
        }
        if !is_policy_file(path) {
            continue;
        }
        crate::analyze::check_flow_depth(text).map_err(|e| invalid(format!("{path}: {e}")))?;
        for document in serde_yaml::Deserializer::from_str(text) {
            let value = <Value as serde::Deserialize>::deserialize(document)
                .map_err(|e| invalid(format!("{path}: not valid YAML: {e}")))?;
            if value.get("kind").and_then(Value::as_str) != Some("NetworkPolicy") {
                continue;
            }
            let policy: NetworkPolicy = serde_yaml::from_value(value)
                .map_err(|e| invalid(format!("{path}: cannot read this NetworkPolicy: {e}")))?;
            policies.push((policy, path.to_owned()));
        }
    }
    let contract = contract.ok_or(ReadError::NoContract)?;
    Ok(Manifests { contract, policies })
}
