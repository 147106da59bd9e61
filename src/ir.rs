//! The checked program: every name resolved, every value validated, groups expanded,
//! module `needs` instantiated per using namespace. It knows nothing of Kubernetes
//! objects; `lower` turns it into NetworkPolicies without ever looking at the AST.
//!
//! Invariant: a `Program` is only built when resolution and checking reported no error,
//! so every id is valid, every port is in 1..=65535 with `first <= last`, every CIDR is
//! canonical (no host bits), every `except` lies strictly inside a CIDR of the same
//! family, and every name is a DNS-1123 label.
//! Invariant: every vector is sorted (namespaces by name, services by namespace then
//! name, externals by name, needs by subject, target, then source order), so output
//! derived in vector order is deterministic.

use std::collections::BTreeMap;

mod labels;

pub use crate::ast::{Direction, GuardAction, IdentityStyle, RequirementOp};
use crate::source::Span;
use ipnet::IpNet;
pub use labels::Labels;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NamespaceId(pub u32);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServiceId(pub u32);
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExternalId(pub u32);

#[derive(Clone, Debug)]
pub struct Program {
    pub namespaces: Vec<Namespace>,
    pub services: Vec<Service>,
    pub externals: Vec<External>,
    pub needs: Vec<Need>,
    /// `isolate` items, one per pod set and direction, sorted, without duplicates.
    pub isolations: Vec<Isolation>,
    pub identity: IdentityStyle,
    /// The label that exempts a pod from every generated policy.
    pub exempt: ExemptLabel,
    /// `guard labels [warn];`: apply the admission guard of the label contract with
    /// the other manifests (`None`: it is only written to `admission/`).
    pub guard: Option<GuardAction>,
    /// `cni "NAME@VERSION";` as written (checked against the profiles by `cni`).
    pub cni: Option<CniSetting>,
    /// `cluster { pods ...; nodes ...; }`: the cluster's own networks.
    pub cluster: ClusterNetworks,
}

/// `cni "NAME@VERSION";`: the network plugin the program is compiled for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CniSetting {
    pub text: String,
    /// The string as written.
    pub span: Span,
}

/// The pod and node networks of the cluster (empty: not declared), canonical and
/// sorted; `span` is the `cluster` block.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClusterNetworks {
    pub pods: Vec<IpNet>,
    pub nodes: Vec<IpNet>,
    pub span: Option<Span>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExemptLabel {
    pub key: String,
    pub value: String,
    /// Where `exempt label` was written; `None` for the default `netp.io/exempt=true`.
    pub span: Option<Span>,
}

impl Default for ExemptLabel {
    fn default() -> Self {
        ExemptLabel {
            key: "netp.io/exempt".to_owned(),
            value: "true".to_owned(),
            span: None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Namespace {
    pub name: String,
    /// `false` for an `external namespace` or a namespace set: no policy is emitted in it.
    pub managed: bool,
    /// `Some` for a namespace set (`namespaces N { select ...; }`): the namespaces whose
    /// labels carry every pair, now and later (empty: every namespace, `select *;`).
    /// `name` is then the program's name for the set, not a namespace's.
    pub set: Option<Labels>,
    /// A namespace set's set-based terms (`select team in (a, b);`), sorted by key.
    pub set_requirements: Vec<Requirement>,
    /// The enforcement written in the program for this namespace, per direction
    /// (`enforcement` inside it, else the program-wide one, else on). `--enforcement`
    /// overrides it at lowering.
    pub enforcement: Enforcement,
    /// The first declaration of the namespace.
    pub span: Span,
}

/// The enforcement of one namespace, per direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Enforcement {
    pub ingress: Switch,
    pub egress: Switch,
}

impl Enforcement {
    /// Both directions on, as when the program says nothing.
    pub const ON: Enforcement = Enforcement {
        ingress: Switch::ON,
        egress: Switch::ON,
    };

    /// The switch of one direction.
    pub fn of(&self, direction: Direction) -> Switch {
        match direction {
            Direction::Ingress => self.ingress,
            Direction::Egress => self.egress,
        }
    }
}

impl Direction {
    /// Both directions, ingress first (the order of every layout and stream).
    pub const BOTH: [Direction; 2] = [Direction::Ingress, Direction::Egress];

    pub fn as_k8s(self) -> &'static str {
        match self {
            Direction::Ingress => "Ingress",
            Direction::Egress => "Egress",
        }
    }

    /// `ingress` / `egress`, as in file and folder names.
    pub fn as_lower(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }
}

/// Whether one direction is enforced, and the `enforcement` item that decided it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Switch {
    pub on: bool,
    /// `enforcement ... selected;`: enforced (`on` is true), but only the pods a
    /// generated policy selects are isolated (no default deny).
    pub selected: bool,
    /// The `enforcement` item that decided it, if any.
    pub span: Option<Span>,
}

impl Switch {
    pub const ON: Switch = Switch {
        on: true,
        selected: false,
        span: None,
    };
}

/// `isolate [ingress | egress] R;`: pods of a managed namespace that a `selected`
/// direction isolates even when no need selects them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Isolation {
    /// A service of `namespace`, or `Endpoint::Namespace(namespace)` for `*`.
    pub pods: Endpoint,
    pub namespace: NamespaceId,
    pub direction: Direction,
    /// The member as written.
    pub span: Span,
}

/// `--enforcement on|off|ingress=on|...`: per direction, `Some` overrides what the
/// program says for every namespace.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EnforcementOverride {
    pub ingress: Option<bool>,
    pub egress: Option<bool>,
}

impl EnforcementOverride {
    /// Both directions forced to `on`.
    pub fn both(on: bool) -> EnforcementOverride {
        EnforcementOverride {
            ingress: Some(on),
            egress: Some(on),
        }
    }

    /// Whether `direction` is enforced in a namespace whose program says `enforcement`.
    pub fn on(self, enforcement: &Enforcement, direction: Direction) -> bool {
        self.forced(direction)
            .unwrap_or(enforcement.of(direction).on)
    }

    /// Whether `direction` isolates only the pods a generated policy selects: the
    /// program says `selected` and the flag does not force it (`--enforcement on`
    /// isolates every pod, `off` none).
    pub fn selected(self, enforcement: &Enforcement, direction: Direction) -> bool {
        let switch = enforcement.of(direction);
        self.forced(direction).is_none() && switch.on && switch.selected
    }

    fn forced(self, direction: Direction) -> Option<bool> {
        match direction {
            Direction::Ingress => self.ingress,
            Direction::Egress => self.egress,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Service {
    pub name: String,
    pub namespace: NamespaceId,
    /// The labels its pods carry: the `select` pairs, or `app=<name>` by default.
    pub selector: Labels,
    /// The set-based terms of its `select` (`k in (a, b)`, `k notin (...)`, `k`,
    /// `!k`), sorted by key (each key once, in `selector` or here).
    pub requirements: Vec<Requirement>,
    /// Whether `selector` came from a `select` line (false: the default `app=<name>`).
    pub explicit_selector: bool,
    /// The ports it serves. Empty: it declared none and accepts any port asked for.
    pub ports: Vec<ServicePort>,
    pub span: Span,
}

/// A set-based selector term: `key in (values)`, `key notin (values)`, `key` (exists),
/// `!key` (does not exist). Values are sorted and unique; empty for the last two.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Requirement {
    pub key: String,
    pub op: RequirementOp,
    pub values: Vec<String>,
}

impl Requirement {
    /// Whether a pod (or namespace) with `labels` satisfies it.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let value = labels.get(&self.key);
        match self.op {
            RequirementOp::In => value.is_some_and(|v| self.values.contains(v)),
            RequirementOp::NotIn => value.is_none_or(|v| !self.values.contains(v)),
            RequirementOp::Exists => value.is_some(),
            RequirementOp::DoesNotExist => value.is_none(),
        }
    }

    /// As written in a program: `tier in (a, b)`, `tier notin (a)`, `tier`, `!tier`.
    pub fn text(&self) -> String {
        let list = || self.values.join(", ");
        match self.op {
            RequirementOp::In => format!("{} in ({})", self.key, list()),
            RequirementOp::NotIn => format!("{} notin ({})", self.key, list()),
            RequirementOp::Exists => self.key.clone(),
            RequirementOp::DoesNotExist => format!("!{}", self.key),
        }
    }
}

/// Whether `labels` carry every pair of `equal` and satisfy every requirement.
pub fn selector_matches<'a>(
    equal: impl IntoIterator<Item = (&'a String, &'a String)>,
    requirements: &[Requirement],
    labels: &BTreeMap<String, String>,
) -> bool {
    equal.into_iter().all(|(k, v)| labels.get(k) == Some(v))
        && requirements.iter().all(|r| r.matches(labels))
}

/// The labels of a probe pod (or namespace) that a selector matches: its pairs, the
/// first value of each `in`, and `exists` for a key that must exist (a probe never
/// carries a key that `notin` or `!` constrains). `verify`'s probes follow this rule.
pub fn satisfying<'a>(
    equal: impl IntoIterator<Item = (&'a String, &'a String)>,
    requirements: &[Requirement],
) -> BTreeMap<String, String> {
    let mut labels: BTreeMap<String, String> = equal
        .into_iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for r in requirements {
        match r.op {
            RequirementOp::In => {
                if let Some(first) = r.values.first() {
                    labels.insert(r.key.clone(), first.clone());
                }
            }
            RequirementOp::Exists => {
                labels.insert(r.key.clone(), "exists".to_owned());
            }
            RequirementOp::NotIn | RequirementOp::DoesNotExist => {}
        }
    }
    labels
}

/// `app=api, tier in (a, b), !debug`: a selector as the messages show it.
pub fn selector_text<'a>(
    equal: impl IntoIterator<Item = (&'a String, &'a String)>,
    requirements: &[Requirement],
) -> String {
    let mut terms: Vec<String> = equal.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
    terms.extend(requirements.iter().map(Requirement::text));
    terms.join(", ")
}

impl Service {
    /// Whether a pod with `labels` is one of its pods.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        selector_matches(&self.selector, &self.requirements, labels)
    }

    /// The labels of its probe pod ([`satisfying`]).
    pub fn probe_labels(&self) -> BTreeMap<String, String> {
        satisfying(&self.selector, &self.requirements)
    }

    /// Its selector as messages show it.
    pub fn selector_text(&self) -> String {
        selector_text(&self.selector, &self.requirements)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    Tcp,
    Udp,
    Sctp,
}

impl Protocol {
    /// The Kubernetes spelling: `TCP`, `UDP`, `SCTP`.
    pub fn as_k8s(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Sctp => "SCTP",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServicePort {
    /// `metrics` in `port metrics 9100;` (never set on a range).
    pub name: Option<String>,
    pub first: u16,
    pub last: u16,
    pub protocol: Protocol,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct External {
    pub name: String,
    /// The namespace it was declared in; `None` for one declared outside every
    /// namespace (at the top of a file or of a module), visible everywhere.
    pub namespace: Option<NamespaceId>,
    /// Canonical (masked) networks, IPv4 and/or IPv6, sorted.
    pub cidrs: Vec<IpNet>,
    /// Each strictly inside one of `cidrs`, same family, sorted.
    pub except: Vec<IpNet>,
    pub span: Span,
}

/// One end of a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Endpoint {
    /// The pods of a service.
    Service(ServiceId),
    /// Every pod of a namespace (`*` or `N/*`), including pods matching no service.
    Namespace(NamespaceId),
    /// An address range outside the cluster.
    External(ExternalId),
    /// `anywhere`: every pod of every namespace (also namespaces created later) and
    /// every address. As a subject it allows ingress at the target only; as a target,
    /// egress from the subject only (the other end's own policies still apply).
    Anywhere,
}

/// One subject needing one target, after groups are expanded and module `needs` are
/// instantiated. A `needs` line with two subjects and three targets gives six.
#[derive(Clone, Debug)]
pub struct Need {
    pub subject: Endpoint,
    pub target: Endpoint,
    pub ports: Ports,
    pub origin: NeedOrigin,
}

/// The ports one need asks for.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ports {
    /// Every port and protocol: a bare target that is an external or a namespace, or a
    /// service that declares no ports reached without a port list.
    Any,
    /// Sorted and de-duplicated.
    List(Vec<Port>),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Port {
    pub protocol: Protocol,
    pub kind: PortKind,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PortKind {
    /// `first..=last` (`first == last` for one port).
    Range { first: u16, last: u16 },
    /// A port by name, resolved on the destination pod. `number` is the number the
    /// target service declares for it; `None` when the target declares no ports (a
    /// service without `port` lines, or `N/*`).
    Named { name: String, number: Option<u16> },
}

/// The source that a need came from, for diagnostics, `verify` and `explain`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NeedOrigin {
    /// The whole `needs` statement.
    pub statement: Span,
    /// The subject as written (a group name when it came from a group).
    pub subject: Span,
    /// The target as written, with its ports.
    pub target: Span,
    /// The `export` that consents to a cross-namespace need.
    pub export: Option<Span>,
    /// The `use` that brought a module's `needs` into the subject's namespace.
    pub via_use: Option<Span>,
}

impl Program {
    pub fn namespace(&self, id: NamespaceId) -> &Namespace {
        &self.namespaces[id.0 as usize]
    }

    pub fn service(&self, id: ServiceId) -> &Service {
        &self.services[id.0 as usize]
    }

    pub fn external(&self, id: ExternalId) -> &External {
        &self.externals[id.0 as usize]
    }

    pub fn namespace_ids(&self) -> impl Iterator<Item = NamespaceId> + '_ {
        (0..self.namespaces.len()).map(|i| NamespaceId(i as u32))
    }

    pub fn service_ids(&self) -> impl Iterator<Item = ServiceId> + '_ {
        (0..self.services.len()).map(|i| ServiceId(i as u32))
    }

    /// `grid/api`, `grid/*` or `s3`: how users write the endpoint.
    pub fn endpoint_name(&self, endpoint: Endpoint) -> String {
        match endpoint {
            Endpoint::Service(id) => {
                let service = self.service(id);
                format!(
                    "{}/{}",
                    self.namespace(service.namespace).name,
                    service.name
                )
            }
            Endpoint::Namespace(id) => format!("{}/*", self.namespace(id).name),
            Endpoint::External(id) => self.external(id).name.clone(),
            Endpoint::Anywhere => "anywhere".to_owned(),
        }
    }

    /// The namespace whose pods an endpoint stands for (`None` for externals).
    pub fn endpoint_namespace(&self, endpoint: Endpoint) -> Option<NamespaceId> {
        match endpoint {
            Endpoint::Service(id) => Some(self.service(id).namespace),
            Endpoint::Namespace(id) => Some(id),
            Endpoint::External(_) | Endpoint::Anywhere => None,
        }
    }
}
