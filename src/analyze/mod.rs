//! The independent NetworkPolicy evaluator behind `netpc analyze` (and next
//! `verify`, `explain`, `diff`). It reads Kubernetes objects (k8s-openapi types),
//! never netpc's IR, and shares no code with `lower`, `ir`, `emit` or `resolve`: it
//! is the check on the compiler, so an error in lowering cannot hide here. Pure: the
//! CLI does all file and terminal I/O.
//!
//! # Library API
//!
//! 1. Build a [`Cluster`]: by hand ([`Cluster::add_namespace`],
//!    [`Cluster::add_workload`] with [`Workload::new`]`(ns, name, kind, labels)`
//!    `.with_port(Some("http"), Protocol::Tcp, 80)`, [`Cluster::add_policy`] with a
//!    `k8s_openapi::api::networking::v1::NetworkPolicy`), or from manifest texts with
//!    [`load_texts`]`([(path, text), ...])` / [`ManifestLoader`].
//! 2. [`Analysis::new`]`(&cluster, Options { ipblock_pods, self_traffic })` validates
//!    every policy as the API server would ([`check`]) and groups pods into
//!    equivalence classes; it returns every [`AnalyzeError`] (file, object, field).
//! 3. Ask:
//!    - [`Analysis::connlist`]`() -> ConnList`: every ordered pair of peers
//!      (workloads and external IPv4 ranges) with its allowed [`ConnSet`]
//!      (per protocol, port intervals), sorted;
//!    - [`Analysis::allowed`]`(src: Endpoint, dst: Endpoint) -> ConnSet` for one pair
//!      ([`Endpoint::Workload`], [`Endpoint::Ip`], [`Endpoint::Range`]);
//!    - [`Analysis::explain`]`(src, dst, Protocol, port) -> Explanation`: the verdict,
//!      and for each end ([`Side`]) the policies isolating it for that direction and
//!      the rules ([`RuleRef`]: policy namespace/name, direction, rule index) that
//!      allow the connection.
//!    - [`Analysis::reach`]`() -> Reach`: for all-pairs callers (`verify`), which
//!      workloads each workload's rules name, and the baseline answer for every
//!      other pair, so they need not evaluate every pair.
//! 4. Print with [`render`]`(&list, &cluster, Format::{Text, Json, Md, Dot}) -> String`
//!    or stream with [`write`]`(&list, &cluster, format, &mut impl io::Write)`.
//!
//! Semantics follow `shared/reference/networkpolicy-semantics.md` §9; modes:
//! [`IpBlockPods`] (do ipBlocks match pod IPs), [`SelfTraffic`] (is a pod's traffic
//! to itself always allowed) and [`HostNetwork`] (are hostNetwork pods node traffic).
//! Nodes ([`Cluster::add_node`], [`Workload::on_node`]) give the node exception
//! (ingress from a pod's own node is allowed) in `allowed` and `explain`; the
//! connlist has no node peers. The manifest loader reads no nodes and no
//! hostNetwork (as netpol-analyzer): those are for library callers.

mod compiled_policy;
mod connset;
mod depth;
mod eval;
mod formats;
mod iprange;
mod manifests;
mod matrix;
mod model;
mod reach;
mod selector;
mod validate;

pub use compiled_policy::Direction;
pub use connset::{ConnSet, PortSet, Protocol};
pub use depth::{MAX_FLOW_DEPTH, check_flow_depth};
pub use eval::{
    Analysis, AnalyzeError, Endpoint, Explanation, HostNetwork, IpBlockPods, Options, PolicyRef,
    RuleRef, SelfTraffic, Severity, Side, check,
};
pub use formats::{Format, render, write};
pub use iprange::{Ipv4Range, subtract as subtract_ranges};
pub use manifests::{LoadError, ManifestLoader, labels, load_texts};
pub use matrix::{ConnList, Connection, PeerId};
pub use model::{Cluster, ContainerPort, NAMESPACE_NAME_LABEL, PolicySource, Workload, WorkloadId};
pub use reach::{Baseline, Reach};
pub use selector::{Labels, selector_matches, selector_text};
