//! Lowering: the checked program (`ir`) to `networking.k8s.io/v1` NetworkPolicy objects
//! and the label contract. It reads only the IR, never the AST, and does no I/O.
//!
//! Lowering happens in two steps so that a program of 50,000 services never holds all
//! its Kubernetes objects in memory at once: [`plan`] groups the needs into a compact
//! [`Plan`] (names, selectors, rules as ids into the program) in time linear in the
//! number of needs; `emit` then serializes one policy of the plan at a time, straight
//! from the plan. Lowering knows nothing of YAML. Names follow `docs/output.md`.
//!
//! Invariant: every object has explicit `policyTypes` with exactly one type, the label
//! `app.kubernetes.io/managed-by: netpc`, a valid name, and never a wider rule than the
//! program declares (except the documented union of ports behind one `needs-*` label,
//! which is reported as W004).

mod clients;
mod contract;
mod grants;
mod names;
mod plan;

pub use contract::{ContractEntry, Expression, NamedPort, expressions};
/// The `needs-*` key of a target, for checking workloads against the contract.
pub use names::{client_label, target_name};
pub use plan::plan;

use crate::ir::{ExternalId, NamespaceId, Ports, ServiceId};

/// The label every generated object carries.
pub const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "netpc");
/// The namespace label the API server sets to the namespace's name.
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// Choices made on the command line that change the output.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// `--enforcement`: overrides every namespace's enforcement, per direction.
    pub enforcement: crate::ir::EnforcementOverride,
}

pub use crate::ir::Direction;

/// The pods a policy applies to (its `spec.podSelector`), in the policy's namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Selects {
    /// `{}`: every pod.
    AllPods,
    /// Every pod without the exempt label (`NotIn`, which also matches pods lacking it).
    NotExempt,
    /// Pods with the exempt label.
    Exempt,
    /// The pods of a service (its selector).
    Service(ServiceId),
    /// Pods carrying the client label `Plan::labels[i]: "true"`.
    Label(u32),
}

/// One peer of a rule. Whether it needs a `namespaceSelector` is decided against the
/// namespace of the policy it ends up in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Peer {
    /// Pods of namespace `namespace` carrying the client label `Plan::labels[label]`.
    Label { label: u32, namespace: NamespaceId },
    /// The pods of a service, by its own selector.
    Service(ServiceId),
    /// Every pod of a namespace.
    Namespace(NamespaceId),
    /// The address ranges of an external, one `ipBlock` per CIDR.
    External(ExternalId),
    /// `anywhere`: a rule with this peer is written without `from`/`to`.
    Anywhere,
}

/// One rule: its peers (never empty) and the ports (`Ports::Any`: no `ports` field).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub peers: Vec<Peer>,
    pub ports: Ports,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rules {
    /// No rule: the policy only isolates (default deny).
    None,
    /// One empty rule (`[{}]`): everything in that direction.
    AllowAll,
    List(Vec<Rule>),
}

/// One NetworkPolicy, before it is built as a Kubernetes object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    pub name: String,
    pub direction: Direction,
    pub selects: Selects,
    pub rules: Rules,
    /// What the policy is named after (a service, a need, a namespace), for E321.
    pub origin: crate::source::Span,
}

/// The policies of one managed namespace, in kustomization (and `--stdout`) order:
/// `ingress`, then `egress`. Each direction lists its allow policies sorted by name,
/// then the exempt allow, the allow-all when that direction is not enforced, and its
/// default deny last (the safe order: nothing is isolated before its allows exist). A
/// `selected` direction has no default deny; its `isolate` policies stand last.
#[derive(Clone, Debug)]
pub struct NamespacePlan {
    pub namespace: NamespaceId,
    pub name: String,
    /// Whether ingress is enforced (after `--enforcement`).
    pub ingress_on: bool,
    /// Whether egress is enforced (after `--enforcement`).
    pub egress_on: bool,
    /// Whether ingress isolates only the pods a policy selects (`enforcement ingress
    /// selected;`, not overridden by `--enforcement`): no default deny is written.
    pub ingress_selected: bool,
    /// The same for egress.
    pub egress_selected: bool,
    pub ingress: Vec<Policy>,
    pub egress: Vec<Policy>,
    /// The two allow-all objects written to `failsafe/` (never applied by kustomize).
    pub failsafe: [Policy; 2],
}

/// Everything `netpc build` emits, in compact form.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The checked program the plan was made from (the plan owns it, so a compilation
    /// can hand both out together).
    pub program: crate::ir::Program,
    /// The managed namespaces, sorted by name.
    pub namespaces: Vec<NamespacePlan>,
    /// Client label keys (`needs-*`, shortened when needed); `Selects::Label` and
    /// `Peer::Label` index into it.
    pub labels: Vec<String>,
    /// For every service, the client labels its pods must carry (indexes into `labels`).
    pub client_labels: Vec<Vec<u32>>,
}

impl Plan {
    /// Every policy the kustomization applies, in order.
    pub fn applied(&self) -> impl Iterator<Item = (&NamespacePlan, &Policy)> {
        self.namespaces
            .iter()
            .flat_map(|ns| ns.ingress.iter().chain(&ns.egress).map(move |p| (ns, p)))
    }

    /// Number of policies the kustomization applies.
    pub fn applied_count(&self) -> usize {
        self.namespaces
            .iter()
            .map(|ns| ns.ingress.len() + ns.egress.len())
            .sum()
    }
}

impl NamespacePlan {
    /// The applied policies of one direction, in order.
    pub fn direction(&self, direction: Direction) -> &[Policy] {
        match direction {
            Direction::Ingress => &self.ingress,
            Direction::Egress => &self.egress,
        }
    }
}
