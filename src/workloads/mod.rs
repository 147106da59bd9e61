//! Workloads: the real manifests (Deployments, StatefulSets, DaemonSets, ReplicaSets,
//! ReplicationControllers, Jobs, CronJobs, Pods, Services, Namespaces) checked against
//! a compiled program, before a rollout breaks them. Pure: the CLI adds each manifest
//! file to the program's [`Sources`] (so findings render with codespan like every other
//! diagnostic, the primary label in the manifest and secondary labels in the `.netp`)
//! and writes what comes out.
//!
//! # Parts
//!
//! - [`parse`]: texts → [`Manifests`] (values with serde_yaml, spans from [`scan`]);
//! - [`matching`]: which `.netp` services each workload stands for (selector ⊆ labels);
//! - [`check`] (`findings`): the findings E400–E404 and W400–W404 of `netpc check --workloads`;
//! - [`fix`]: the kustomize Component of `--fix-labels`;
//! - [`real`]: `netpc verify --workloads`, the policies evaluated over the real pods.
//!
//! # Why a scan for positions
//!
//! serde_yaml gives no positions. The YAML crates that do (`yaml-rust2`, `saphyr`) are
//! maintained, but would be a second YAML parser with its own idea of what a document
//! is, beside the serde_yaml that `analyze` and `output` already use, and a new
//! dependency for a few spans. What findings point at is a handful of keys
//! (`metadata.name`, the template's `labels`, a label key, `containers`,
//! `hostNetwork`, a Service port) whose paths are known, so [`scan`] walks the text
//! once, tracking indentation, `- ` items and flow collections (which covers JSON), and
//! records where each key path is; serde_yaml decides the values. A path the scan
//! cannot find only makes a span wider (the document start), never a wrong value.
//!
//! # Library API
//!
//! ```text
//! let files: Vec<FileId> = texts.map(|(name, text)| sources.add(Origin::File(name), text));
//! let mut diagnostics = Diagnostics::new();
//! let manifests = workloads::read(&sources, &files, "default", &mut diagnostics);
//! let checked = workloads::check(&plan, &manifests);   // diagnostics, missing labels, summary
//! let component = workloads::component(&manifests, &checked.missing);
//! let report = workloads::verify(&plan.program, &verify::compiled(&plan)?, &manifests)?;
//! ```

pub mod findings;
pub mod fix;
pub mod matching;
pub mod parse;
pub mod real;
pub mod scan;

pub use findings::{Checked, check};
pub use fix::component;
pub use parse::{KubeService, Manifests, Workload};
pub use real::{RealReport, render, verify};

use crate::diagnostic::Diagnostics;
use crate::source::{FileId, Sources};

/// Read the manifest files `files` (already in `sources`); objects without a
/// namespace get `default_namespace`. Unreadable documents become E404.
pub fn read(
    sources: &Sources,
    files: &[FileId],
    default_namespace: &str,
    diagnostics: &mut Diagnostics,
) -> Manifests {
    let mut manifests = Manifests::default();
    for &file in files {
        parse::read_file(
            sources,
            file,
            default_namespace,
            &mut manifests,
            diagnostics,
        );
    }
    manifests
}
