//! `netpc import`: a cluster's NetworkPolicies (and, optionally, its workloads) in, a
//! readable `.netp` program out, with the notes on what it could not say exactly, and
//! the proof: the written text compiled through `crate::compile` and both sides
//! evaluated by the independent evaluator (`crate::analyze`) on the same probe pods
//! (`fidelity`). Reading the policies (`policies`), the connections they allow as
//! `needs` (`needs`), and the text (`program_text`, the one module that lays the program out)
//! are separate stages. Pure: the CLI reads the manifests and writes the files.

pub mod fidelity;
mod identity;
mod namespace_text;
mod naming;
mod needs;
#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail by panicking")]
mod open_ends_tests;
mod pod_terms;
pub mod policies;
mod probes;
mod program_text;
mod service_text;
mod set_reading;
mod term_probes;

use crate::analyze::Cluster;

/// A port of a rule, with its protocol (`TCP`, `UDP`, `SCTP`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Port {
    pub protocol: String,
    pub value: PortValue,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PortValue {
    /// `lo..=hi` (a single port is `n..=n`).
    Range(u16, u16),
    /// A named port, resolved on the destination pod.
    Named(String),
}

/// The ports of a rule: every port of every protocol, or a list.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Ports {
    All,
    Some(Vec<Port>),
}

/// Which way a note moves the import away from the original.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Drift {
    /// The program allows less than the original (never more).
    Narrower,
}

/// Something the program could not say exactly: the original policy and why.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Note {
    /// `namespace/name` of the original policy.
    pub policy: String,
    pub drift: Drift,
    pub text: String,
}

impl Note {
    pub fn narrower(policy: &str, text: String) -> Note {
        Note {
            policy: policy.to_owned(),
            drift: Drift::Narrower,
            text,
        }
    }
}

/// One file of the program: a path relative to the output folder, and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgramFile {
    pub path: String,
    pub text: String,
}

/// What import produced.
#[derive(Clone, Debug)]
pub struct Imported {
    pub files: Vec<ProgramFile>,
    /// Sorted, without duplicates.
    pub notes: Vec<Note>,
}

/// The program for the policies of `original`; `workloads` (the real Deployments,
/// Pods, ...) name services and their ports when given.
pub fn import(original: &Cluster, workloads: &Cluster) -> Imported {
    let reading = policies::read(original);
    let mut plan = needs::plan(&reading);
    plan.notes.extend(reading.notes.iter().cloned());
    plan.notes.sort();
    plan.notes.dedup();
    let mut all = workloads.clone();
    for w in original.workloads() {
        if all
            .find_workload(&w.namespace, &w.name, Some(&w.kind))
            .is_none()
        {
            all.add_workload(w.clone());
        }
    }
    let mut files = program_text::write(&reading, &plan, &all);
    // In `netpc fmt`'s layout, as a person who runs fmt would commit it (long `needs`
    // lists one target per line). Text fmt cannot read is a bug of the writer; it is
    // kept as written, and the fidelity check still compiles it.
    for file in &mut files {
        if let Ok(text) = crate::fmt::format(crate::source::FileId(0), &file.text) {
            file.text = text;
        }
    }
    Imported {
        files,
        notes: plan.notes,
    }
}
