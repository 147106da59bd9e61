//! The output folder: the one place that knows the layout of what `netpc build` writes.
//! Every file name, which files are generated, which are special (`labels.yaml`,
//! `failsafe/`, `.netpc-generated`, the kustomizations), how a path of a compiled folder
//! is classified, and the one reader of a compiled folder that `verify --against`,
//! `diff`, `graph`, connection `explain` and `analyze` share, so they cannot disagree.
//! `emit` writes through the path functions here; the CLI's `write` puts the files on
//! disk. Pure: works on (relative path, text) pairs, never on the file system.
//!
//! Layout (docs/output.md); every kustomization lists its resources in apply order
//! and says `sortOptions: {order: fifo}` so kustomize keeps it:
//!
//! ```text
//! kustomization.yaml                            resources: namespaces/<ns> for each managed namespace
//!                                               (and admission, with `guard labels;`)
//! ingress/kustomization.yaml                    resources: ../namespaces/<ns>/ingress for each
//! egress/kustomization.yaml                     resources: ../namespaces/<ns>/egress for each
//! namespaces/<ns>/kustomization.yaml            resources: ingress, egress
//! namespaces/<ns>/<dir>/kustomization.yaml      one direction of one namespace, allows first,
//!                                               default deny last (the safe order)
//! namespaces/<ns>/<dir>/<policy>.yaml           one file per policy of that direction, the
//!                                               namespace-wide ones included
//! failsafe/<ns>.yaml                            allow-all objects, in no kustomization
//! admission/kustomization.yaml                  the label guard (labels identity style)
//! admission/<object>.yaml                       its ValidatingAdmissionPolicy and binding
//! labels.yaml                                   the label contract
//! .netpc-generated                              the files netpc wrote
//! ```
//!
//! Namespaces live under `namespaces/` so that no namespace name (a DNS label such as
//! `failsafe` or `ingress`) can ever share a folder with the special folders at the
//! root. Every kustomization references folders (never files) outside its own folder,
//! so all of them build under kustomize's default load restrictions.

use k8s_openapi::api::networking::v1::NetworkPolicy;
use serde_yaml::Value;

use crate::lower::Direction;
use crate::probe::{LabelContract, parse_contract};

/// The label contract.
pub const CONTRACT: &str = "labels.yaml";
/// The list of files netpc generated (so stale ones can be removed and no other file
/// is ever touched).
pub const MANIFEST: &str = ".netpc-generated";
/// The name of every kustomization netpc writes.
pub const KUSTOMIZATION: &str = "kustomization.yaml";
/// The folder holding one folder per managed namespace.
pub const NAMESPACES: &str = "namespaces";
/// The folder of emergency allow-all objects, referenced by no kustomization.
pub const FAILSAFE: &str = "failsafe";
/// The folder of the admission guard of the label contract.
pub const ADMISSION: &str = "admission";

/// The folder of a managed namespace, relative to the output folder.
pub fn namespace_dir(namespace: &str) -> String {
    format!("{NAMESPACES}/{namespace}")
}

/// The kustomization of a managed namespace.
pub fn namespace_kustomization(namespace: &str) -> String {
    format!("{NAMESPACES}/{namespace}/{KUSTOMIZATION}")
}

/// The folder of one direction of a managed namespace.
pub fn direction_dir(namespace: &str, direction: Direction) -> String {
    format!("{NAMESPACES}/{namespace}/{}", direction.as_lower())
}

/// The kustomization of one direction of a managed namespace.
pub fn direction_kustomization(namespace: &str, direction: Direction) -> String {
    format!(
        "{NAMESPACES}/{namespace}/{}/{KUSTOMIZATION}",
        direction.as_lower()
    )
}

/// The kustomization of one direction of every managed namespace (`ingress/`, `egress/`).
pub fn root_direction_kustomization(direction: Direction) -> String {
    format!("{}/{KUSTOMIZATION}", direction.as_lower())
}

/// The file of a policy: in its direction's folder, whatever it selects.
pub fn policy(namespace: &str, direction: Direction, name: &str) -> String {
    format!(
        "{NAMESPACES}/{namespace}/{}/{name}.yaml",
        direction.as_lower()
    )
}

/// The failsafe file of a managed namespace.
pub fn failsafe(namespace: &str) -> String {
    format!("{FAILSAFE}/{namespace}.yaml")
}

/// A file of the admission guard (`admission/<name>.yaml`).
pub fn admission(name: &str) -> String {
    format!("{ADMISSION}/{name}.yaml")
}

/// What a path of a compiled output folder (relative, `/`-separated) is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind<'a> {
    /// `kustomization.yaml` at the root.
    RootKustomization,
    /// `ingress/kustomization.yaml` or `egress/kustomization.yaml`.
    RootDirectionKustomization(Direction),
    /// `labels.yaml`.
    Contract,
    /// `.netpc-generated`.
    Manifest,
    /// `namespaces/<ns>/kustomization.yaml`.
    NamespaceKustomization(&'a str),
    /// `namespaces/<ns>/<dir>/kustomization.yaml`.
    DirectionKustomization(&'a str, Direction),
    /// A policy file of a namespace: applied by its direction's kustomization.
    Policy(&'a str),
    /// `failsafe/<ns>.yaml`: never applied by a kustomization.
    Failsafe(&'a str),
    /// `admission/*.yaml`: the label guard and its kustomization.
    Admission,
    /// Anything else: not netpc's (a README, a hand-written overlay, ...).
    Foreign,
}

impl Kind<'_> {
    /// Whether [`read`] needs this file's text (the others it needs only by name, or
    /// not at all).
    pub fn is_read(self) -> bool {
        matches!(self, Kind::Contract | Kind::Policy(_))
    }

    /// Whether [`read`] needs to know that this file exists.
    pub fn is_listed(self) -> bool {
        self.is_read() || matches!(self, Kind::DirectionKustomization(..))
    }
}

fn direction_named(name: &str) -> Option<Direction> {
    Direction::BOTH.into_iter().find(|d| d.as_lower() == name)
}

/// Classify a relative path by the layout alone.
pub fn classify(path: &str) -> Kind<'_> {
    let parts: Vec<&str> = path.split('/').collect();
    fn yaml(name: &str) -> Option<&str> {
        name.strip_suffix(".yaml").filter(|s| !s.is_empty())
    }
    match parts.as_slice() {
        [KUSTOMIZATION] => Kind::RootKustomization,
        [CONTRACT] => Kind::Contract,
        [MANIFEST] => Kind::Manifest,
        [dir, KUSTOMIZATION] => {
            direction_named(dir).map_or(Kind::Foreign, Kind::RootDirectionKustomization)
        }
        [FAILSAFE, file] => yaml(file).map_or(Kind::Foreign, Kind::Failsafe),
        [ADMISSION, file] if yaml(file).is_some() => Kind::Admission,
        [NAMESPACES, ns, KUSTOMIZATION] => Kind::NamespaceKustomization(ns),
        [NAMESPACES, ns, dir, file] => match (direction_named(dir), yaml(file)) {
            (Some(direction), _) if *file == KUSTOMIZATION => {
                Kind::DirectionKustomization(ns, direction)
            }
            (Some(_), Some(_)) => Kind::Policy(ns),
            _ => Kind::Foreign,
        },
        _ => Kind::Foreign,
    }
}

/// The paths a manifest lists (comments and blank lines skipped; paths that try to
/// leave the folder are dropped, so a tampered manifest cannot make netpc delete
/// anything outside it).
pub fn parse_manifest(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter(|l| {
            !l.starts_with('/') && !l.split('/').any(|part| part == ".." || part.is_empty())
        })
        .map(str::to_owned)
        .collect()
}

/// A compiled output folder as its readers need it: the policies its kustomization
/// applies (each with its file) and the label contract.
#[derive(Clone, Debug)]
pub struct Folder {
    pub contract: LabelContract,
    pub policies: Vec<(NetworkPolicy, String)>,
}

/// Why an output folder could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadError {
    /// No `labels.yaml`: not a netpc output folder (a usage error).
    NoContract,
    /// A file that is not YAML, not a NetworkPolicy, or not a label contract, or a
    /// managed namespace without its folder: the file and what is wrong.
    Invalid(String),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::NoContract => write!(f, "no `{CONTRACT}` (the label contract) found"),
            ReadError::Invalid(message) => f.write_str(message),
        }
    }
}

/// Read a compiled folder from its files (relative path, text). Only the files the
/// layout calls policies are read for policies; the failsafe and admission folders,
/// kustomizations and foreign files are left out. Every managed namespace of the
/// contract must have both direction kustomizations, so a folder written by an older
/// layout is refused instead of read as "no policies at all" or "no default deny".
pub fn read<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Folder, ReadError> {
    let invalid = ReadError::Invalid;
    let files: Vec<(&str, &str)> = files.into_iter().collect();
    let mut parsed = parse_policy_files(&files);
    let mut contract = None;
    let mut policy_file = 0;
    let mut seen = std::collections::BTreeSet::new();
    for (path, text) in files {
        match classify(path) {
            Kind::Contract => {
                contract = Some(parse_contract(text).map_err(|e| invalid(format!("{path}: {e}")))?);
            }
            Kind::DirectionKustomization(ns, direction) => {
                seen.insert(direction_kustomization(ns, direction));
            }
            Kind::Policy(_) => {
                if let Some((_, error)) = parsed.error.take_if(|(at, _)| *at == policy_file) {
                    return Err(error);
                }
                policy_file += 1;
            }
            _ => {}
        }
    }
    let contract = contract.ok_or(ReadError::NoContract)?;
    let missing = contract
        .namespaces
        .iter()
        .filter(|n| n.managed)
        .find_map(|n| {
            Direction::BOTH
                .into_iter()
                .map(|d| direction_kustomization(&n.name, d))
                .find(|k| !seen.contains(k))
                .map(|k| (n, k))
        });
    if let Some((namespace, kustomization)) = missing {
        return Err(invalid(format!(
            "`{kustomization}` is missing although `{CONTRACT}` lists `{}` as managed: the folder is incomplete, or was written by a netpc before the per-direction layout; run `netpc build`",
            namespace.name
        )));
    }
    Ok(Folder {
        contract,
        policies: parsed.policies,
    })
}

/// What [`read`] says if a reading thread stopped (a bug in netpc, never expected).
const READER_STOPPED: &str = "a thread reading the policy files stopped (a bug in netpc)";

/// Below this many policy files, [`parse_policy_files`] reads them on one thread.
const PARALLEL_READ_THRESHOLD: usize = 256;

/// The policies of a folder's policy files, in file order, up to the first file that
/// cannot be read.
#[derive(Default)]
struct Parsed {
    policies: Vec<(NetworkPolicy, String)>,
    /// The first policy file (counted among the policy files only) that cannot be
    /// read, and why. The policies of the files after it may be missing.
    error: Option<(usize, ReadError)>,
}

/// Reads the policy files of `files` ([`read_policies`]). Serde_yaml is most of what
/// reading a large folder costs (`netpc verify`, `diff`, `graph`, `explain`), so with
/// many files they are split into one contiguous run per thread. A run stops at its
/// first error, and the first error in file order wins: the one a single thread would
/// have met first, so the answer and the message are the same with any number of
/// threads. Each run fills one vector and the runs are joined once at the end: a
/// vector per file, joined as they come, held 350 MB more at 50,000 services.
fn parse_policy_files(files: &[(&str, &str)]) -> Parsed {
    let policy_files: Vec<(&str, &str)> = files
        .iter()
        .copied()
        .filter(|(path, _)| matches!(classify(path), Kind::Policy(_)))
        .collect();
    let run = |part: &[(&str, &str)], first: usize| {
        let mut parsed = Parsed::default();
        for (i, &(path, text)) in part.iter().enumerate() {
            if let Err(error) = read_policies(path, text, &mut parsed.policies) {
                parsed.error = Some((first + i, error));
                break;
            }
        }
        parsed
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(4);
    if threads < 2 || policy_files.len() < PARALLEL_READ_THRESHOLD {
        return run(&policy_files, 0);
    }
    let chunk = policy_files.len().div_ceil(threads);
    let parts: Vec<Parsed> = std::thread::scope(|scope| {
        let workers: Vec<_> = policy_files
            .chunks(chunk)
            .enumerate()
            .map(|(i, part)| scope.spawn(move || run(part, i * chunk)))
            .collect();
        workers
            .into_iter()
            .enumerate()
            .map(|(i, w)| {
                w.join().unwrap_or_else(|_| Parsed {
                    policies: Vec::new(),
                    error: Some((i * chunk, ReadError::Invalid(READER_STOPPED.to_owned()))),
                })
            })
            .collect()
    });
    let total = parts.iter().map(|p| p.policies.len()).sum();
    let mut parsed = Parsed {
        policies: Vec::with_capacity(total),
        error: None,
    };
    for part in parts {
        parsed.policies.extend(part.policies);
        if part.error.is_some() {
            parsed.error = part.error;
            break;
        }
    }
    parsed
}

/// The NetworkPolicy documents of one policy file (other kinds are skipped).
fn read_policies(
    path: &str,
    text: &str,
    policies: &mut Vec<(NetworkPolicy, String)>,
) -> Result<(), ReadError> {
    crate::analyze::check_flow_depth(text)
        .map_err(|e| ReadError::Invalid(format!("{path}: {e}")))?;
    for document in serde_yaml::Deserializer::from_str(text) {
        let value = <Value as serde::Deserialize>::deserialize(document)
            .map_err(|e| ReadError::Invalid(format!("{path}: not valid YAML: {e}")))?;
        if value.get("kind").and_then(Value::as_str) != Some("NetworkPolicy") {
            continue;
        }
        let policy: NetworkPolicy = serde_yaml::from_value(value).map_err(|e| {
            ReadError::Invalid(format!("{path}: cannot read this NetworkPolicy: {e}"))
        })?;
        policies.push((policy, path.to_owned()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_namespace_named_like_a_special_folder_stays_a_namespace() {
        assert_eq!(
            classify("namespaces/failsafe/ingress/default-deny-ingress.yaml"),
            Kind::Policy("failsafe")
        );
        assert_eq!(
            classify("namespaces/ingress/egress/kustomization.yaml"),
            Kind::DirectionKustomization("ingress", Direction::Egress)
        );
        assert_eq!(
            classify("namespaces/admission/kustomization.yaml"),
            Kind::NamespaceKustomization("admission")
        );
        assert_eq!(
            classify("egress/kustomization.yaml"),
            Kind::RootDirectionKustomization(Direction::Egress)
        );
        assert_eq!(classify("admission/label-guard.yaml"), Kind::Admission);
        assert_eq!(classify("failsafe/grid.yaml"), Kind::Failsafe("grid"));
        assert_eq!(
            classify(&policy("labels", Direction::Egress, "allow-egress-to-db")),
            Kind::Policy("labels")
        );
        assert_eq!(
            classify(&namespace_kustomization("failsafe")),
            Kind::NamespaceKustomization("failsafe")
        );
    }

    #[test]
    fn the_root_files_are_classified_by_name() {
        assert_eq!(classify(KUSTOMIZATION), Kind::RootKustomization);
        assert_eq!(classify(CONTRACT), Kind::Contract);
        assert_eq!(classify(MANIFEST), Kind::Manifest);
        assert_eq!(
            classify("ingress/kustomization.yaml"),
            Kind::RootDirectionKustomization(Direction::Ingress)
        );
    }

    /// A tampered manifest cannot name anything outside the folder: absolute paths and
    /// paths with `..` or empty steps are dropped, as are comments and blank lines.
    #[test]
    fn a_manifest_names_only_paths_inside_the_folder() {
        let text = "# generated\n\n../outside.yaml\n/etc/passwd\na/../../b.yaml\na//b.yaml\n  \nnamespaces/grid/ingress/x.yaml\nkustomization.yaml\n";
        assert_eq!(
            parse_manifest(text),
            ["namespaces/grid/ingress/x.yaml", "kustomization.yaml"]
        );
    }

    #[test]
    fn foreign_files_are_foreign() {
        for path in [
            "README.md",
            "grid/default-deny-ingress.yaml",
            "namespaces/grid/notes.txt",
            "namespaces/grid/default-deny-ingress.yaml",
            "ingress/grid.yaml",
            "admission/nested/x.yaml",
            "admission/notes.txt",
            "namespaces/grid/other/x.yaml",
            "failsafe/nested/x.yaml",
            "failsafe/.yaml",
            "namespaces/grid/ingress/x.yml",
        ] {
            assert_eq!(classify(path), Kind::Foreign, "{path}");
        }
    }
}
