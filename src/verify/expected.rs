//! The connectivity a checked program declares, computed from the IR alone (never from
//! `lower`'s plan or objects), for the probe world: one pod per service, and in every
//! managed namespace a pod that matches no service and an exempt pod, plus sample
//! addresses outside the cluster. This is the "expected" side of `netpc verify`; `diff`
//! and connection `explain` may reuse it. It must never look at Kubernetes objects.
//!
//! Semantics (docs/verify.md): a connection is allowed when both its egress side (the
//! source) and its ingress side (the destination) allow it. A side is unrestricted when
//! its end is not a pod, is exempt, lives in an external namespace, or its namespace's
//! enforcement is off, or its namespace's enforcement of that direction is `selected`
//! and nothing names it there (no need has it as target for ingress or as subject
//! for egress, no `isolate` names it); otherwise it allows exactly the union of the ports of the needs
//! whose subject covers the source and whose target covers the destination. In the
//! `labels` identity style a client also gets every port granted to its `needs-*`
//! label by other needs of its namespace: those are [`Expected::granted`], over-grants
//! the compiler warned about (W004), never part of [`Expected::declared`].
//!
//! A namespace set (`namespaces N { select ...; }`) stands for every namespace whose
//! labels carry its pairs (`select *;`: every namespace): in the probe world a managed
//! or external namespace carries only its name label, and a set's own probe namespace
//! its pairs. A set's service covers the pods of those namespaces whose labels carry
//! its selector. A need is granted only at the ends the program manages: its egress
//! side counts only when its subject is in a managed namespace, its ingress side only
//! when its target is, so a managed pod that a set also holds takes part only through
//! needs of its own end (W650).

use std::collections::BTreeMap;
use std::net::IpAddr;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::analyze::{ConnSet, PortSet, Protocol as AProtocol};
use crate::ir::{
    Direction, Endpoint, EnforcementOverride, IdentityStyle, NamespaceId, PortKind, Ports, Program,
    Protocol, ServiceId,
};

/// What a probe pod stands for, in the program's terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PodRole {
    /// The pods of this service.
    Service(ServiceId),
    /// A pod of a managed namespace that matches no service.
    Unmatched,
    /// A pod of a managed namespace carrying the exempt label.
    Exempt,
}

/// One end of a probe connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Point {
    Pod {
        namespace: NamespaceId,
        role: PodRole,
    },
    /// An address outside the cluster.
    Address(IpAddr),
}

/// The expected connections between two points.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expected {
    /// Exactly what the needs declare.
    pub declared: ConnSet,
    /// `declared` plus what `needs-*` labels grant beyond it (labels style; W004).
    pub granted: ConnSet,
}

/// A client label group: the needs of one namespace's services on one target.
#[derive(Clone, Debug)]
struct LabelGroup {
    target: Endpoint,
    needs: Vec<usize>,
}

/// The program's connectivity model, ready to answer for any pair of points.
#[derive(Debug)]
pub struct Expectation<'p> {
    program: &'p Program,
    /// `--enforcement`: overrides every namespace's enforcement, per direction.
    enforcement: EnforcementOverride,
    by_subject: FxHashMap<Endpoint, Vec<usize>>,
    /// For each service, the label groups it carries (labels style).
    carried: Vec<Vec<LabelGroup>>,
    /// The ends that a `selected` direction isolates: every need's target (ingress)
    /// and subject (egress), and every `isolate` item's pods.
    named: FxHashSet<(Direction, Endpoint)>,
    /// Every namespace set and service of one, as endpoints.
    set_endpoints: Vec<Endpoint>,
}

impl<'p> Expectation<'p> {
    pub fn new(program: &'p Program, enforcement: EnforcementOverride) -> Expectation<'p> {
        let mut by_subject: FxHashMap<Endpoint, Vec<usize>> = FxHashMap::default();
        let mut groups: FxHashMap<(NamespaceId, Endpoint), Vec<usize>> = FxHashMap::default();
        for (index, need) in program.needs.iter().enumerate() {
            by_subject.entry(need.subject).or_default().push(index);
            if let Endpoint::Service(id) = need.subject {
                let ns = program.service(id).namespace;
                if program.identity == IdentityStyle::Labels
                    && program.namespace(ns).managed
                    && !matches!(need.target, Endpoint::Namespace(_))
                {
                    groups.entry((ns, need.target)).or_default().push(index);
                }
            }
        }
        let mut carried: Vec<Vec<LabelGroup>> = vec![Vec::new(); program.services.len()];
        let mut keys: Vec<_> = groups.into_iter().collect();
        keys.sort_by_key(|(key, _)| *key);
        for ((_, target), needs) in keys {
            let mut members: Vec<ServiceId> = needs
                .iter()
                .filter_map(|&n| match program.needs[n].subject {
                    Endpoint::Service(id) => Some(id),
                    _ => None,
                })
                .collect();
            members.dedup();
            for id in members {
                carried[id.0 as usize].push(LabelGroup {
                    target,
                    needs: needs.clone(),
                });
            }
        }
        let mut named: FxHashSet<(Direction, Endpoint)> = program
            .needs
            .iter()
            .flat_map(|n| {
                [
                    (Direction::Ingress, n.target),
                    (Direction::Egress, n.subject),
                ]
            })
            // Only a managed end gets a policy: `anywhere`, externals and the services
            // of a namespace set isolate nothing (a set's pods in a managed namespace
            // stay open there in a `selected` direction).
            .filter(|(_, end)| {
                program
                    .endpoint_namespace(*end)
                    .is_some_and(|ns| program.namespace(ns).managed)
            })
            .collect();
        named.extend(program.isolations.iter().map(|i| (i.direction, i.pods)));
        let mut set_endpoints: Vec<Endpoint> = program
            .namespace_ids()
            .filter(|&ns| program.namespace(ns).set.is_some())
            .map(Endpoint::Namespace)
            .collect();
        set_endpoints.extend(
            program
                .service_ids()
                .filter(|&id| {
                    program
                        .namespace(program.service(id).namespace)
                        .set
                        .is_some()
                })
                .map(Endpoint::Service),
        );
        Expectation {
            program,
            enforcement,
            by_subject,
            carried,
            named,
            set_endpoints,
        }
    }

    pub fn program(&self) -> &'p Program {
        self.program
    }

    /// Every probe pod of the program: per namespace (sorted by name) its services,
    /// then, when managed, the unmatched and the exempt pod.
    pub fn pods(&self) -> Vec<Point> {
        let program = self.program;
        let mut namespaces: Vec<NamespaceId> = program.namespace_ids().collect();
        namespaces.sort_by(|a, b| program.namespace(*a).name.cmp(&program.namespace(*b).name));
        let mut by_namespace: Vec<Vec<ServiceId>> = vec![Vec::new(); program.namespaces.len()];
        for id in program.service_ids() {
            by_namespace[program.service(id).namespace.0 as usize].push(id);
        }
        let mut pods = Vec::new();
        for ns in namespaces {
            let mut services = std::mem::take(&mut by_namespace[ns.0 as usize]);
            services.sort_by(|a, b| program.service(*a).name.cmp(&program.service(*b).name));
            pods.extend(services.into_iter().map(|id| Point::Pod {
                namespace: ns,
                role: PodRole::Service(id),
            }));
            if program.namespace(ns).managed {
                for role in [PodRole::Unmatched, PodRole::Exempt] {
                    pods.push(Point::Pod {
                        namespace: ns,
                        role,
                    });
                }
            }
        }
        pods
    }

    /// The sample addresses outside the cluster (see `samples`), as points.
    pub fn addresses(&self) -> Vec<Point> {
        super::samples::addresses(self.program)
            .into_iter()
            .map(Point::Address)
            .collect()
    }

    /// Whether `endpoint` is a namespace set or one of its services.
    pub fn in_set(&self, endpoint: Endpoint) -> bool {
        self.program
            .endpoint_namespace(endpoint)
            .is_some_and(|ns| self.program.namespace(ns).set.is_some())
    }

    /// Whether the end of `endpoint` is in a managed namespace (policies are written there).
    fn managed_end(&self, endpoint: Endpoint) -> bool {
        self.program
            .endpoint_namespace(endpoint)
            .is_some_and(|ns| self.program.namespace(ns).managed)
    }

    /// Whether namespace set `set` holds namespace `ns` of the probe world: a set's
    /// probe namespace carries the labels that satisfy its selector, every other one
    /// only its name label.
    fn set_holds(&self, set: NamespaceId, ns: NamespaceId) -> bool {
        let chosen = self.program.namespace(set);
        let Some(wanted) = &chosen.set else {
            return set == ns;
        };
        let namespace = self.program.namespace(ns);
        let mut labels = match &namespace.set {
            Some(own) => crate::ir::satisfying(own, &namespace.set_requirements),
            None => BTreeMap::new(),
        };
        labels.insert(
            crate::analyze::NAMESPACE_NAME_LABEL.to_owned(),
            namespace.name.clone(),
        );
        crate::ir::selector_matches(wanted, &chosen.set_requirements, &labels)
    }

    /// The labels of the probe pod of `role` (as `probe` gives them; the `needs-*`
    /// labels of the labels style left out).
    fn pod_labels(&self, role: PodRole) -> BTreeMap<String, String> {
        let (mut labels, kind) = match role {
            PodRole::Service(id) => (self.program.service(id).probe_labels(), "service"),
            PodRole::Unmatched => (BTreeMap::new(), "unmatched"),
            PodRole::Exempt => {
                let exempt = &self.program.exempt;
                let labels = BTreeMap::from([(exempt.key.clone(), exempt.value.clone())]);
                (labels, "exempt")
            }
        };
        labels.insert(crate::probe::PROBE_LABEL.to_owned(), kind.to_owned());
        labels
    }

    /// Whether `endpoint` (a subject or target of a need) stands for `point`.
    pub fn covers(&self, endpoint: Endpoint, point: Point) -> bool {
        match (endpoint, point) {
            (Endpoint::Service(id), Point::Pod { namespace, role }) => {
                let service = self.program.service(id);
                if self.program.namespace(service.namespace).set.is_some() {
                    self.set_holds(service.namespace, namespace)
                        && service.matches(&self.pod_labels(role))
                } else {
                    role == PodRole::Service(id)
                }
            }
            (Endpoint::Namespace(ns), Point::Pod { namespace, .. }) => {
                self.set_holds(ns, namespace)
            }
            (Endpoint::External(id), Point::Address(ip)) => {
                let external = self.program.external(id);
                external.cidrs.iter().any(|c| c.contains(&ip))
                    && !external.except.iter().any(|c| c.contains(&ip))
            }
            (Endpoint::Anywhere, _) => true,
            _ => false,
        }
    }

    /// The needs whose subject covers `src` and whose target covers `dst`, by index
    /// into `program.needs`, ascending.
    pub fn needs_between(&self, src: Point, dst: Point) -> Vec<usize> {
        let mut found: Vec<usize> = self
            .subjects_of(src)
            .into_iter()
            .filter_map(|s| self.by_subject.get(&s))
            .flatten()
            .copied()
            .filter(|&n| self.covers(self.program.needs[n].target, dst))
            .collect();
        found.sort_unstable();
        found.dedup();
        found
    }

    /// The needs whose `needs-*` label gives `src` connections to `dst` (labels
    /// style): every need of the label groups `src` carries whose target covers `dst`.
    pub fn label_needs_between(&self, src: Point, dst: Point) -> Vec<usize> {
        let Point::Pod {
            role: PodRole::Service(id),
            ..
        } = src
        else {
            return Vec::new();
        };
        let mut found: Vec<usize> = self.carried[id.0 as usize]
            .iter()
            .filter(|g| self.covers(g.target, dst))
            .flat_map(|g| g.needs.iter().copied())
            .collect();
        found.sort_unstable();
        found.dedup();
        found
    }

    /// The targets of every need whose subject covers `src`, and of every label group
    /// `src` carries (labels style): the only ends `between(src, _)` can see a need
    /// for. Unsorted, possibly repeated.
    pub fn targets_of(&self, src: Point) -> Vec<Endpoint> {
        let mut targets: Vec<Endpoint> = self
            .subjects_of(src)
            .into_iter()
            .filter_map(|s| self.by_subject.get(&s))
            .flatten()
            .map(|&n| self.program.needs[n].target)
            .collect();
        if let Point::Pod {
            role: PodRole::Service(id),
            ..
        } = src
        {
            targets.extend(self.carried[id.0 as usize].iter().map(|g| g.target));
        }
        targets
    }

    /// The endpoints that may name `point` as a subject.
    fn subjects_of(&self, point: Point) -> Vec<Endpoint> {
        match point {
            Point::Pod { namespace, role } => {
                let mut subjects = vec![Endpoint::Namespace(namespace), Endpoint::Anywhere];
                if let PodRole::Service(id) = role {
                    subjects.push(Endpoint::Service(id));
                }
                for &e in &self.set_endpoints {
                    if self.covers(e, point) && !subjects.contains(&e) {
                        subjects.push(e);
                    }
                }
                subjects
            }
            Point::Address(_) => (0..self.program.externals.len())
                .map(|i| Endpoint::External(crate::ir::ExternalId(i as u32)))
                .filter(|e| self.covers(*e, point))
                .chain([Endpoint::Anywhere])
                .collect(),
        }
    }

    /// Whether policies restrict this point's traffic in either direction.
    pub fn restricted(&self, point: Point) -> bool {
        Direction::BOTH
            .into_iter()
            .any(|d| self.restricted_in(point, d))
    }

    /// Whether policies restrict what this point sends (`Egress`) or receives
    /// (`Ingress`).
    pub fn restricted_in(&self, point: Point, direction: Direction) -> bool {
        let Point::Pod { namespace, role } = point else {
            return false;
        };
        let ns = self.program.namespace(namespace);
        if !ns.managed || !self.enforcement.on(&ns.enforcement, direction) {
            return false;
        }
        if self.enforcement.selected(&ns.enforcement, direction)
            && !self
                .subjects_of(point)
                .into_iter()
                .any(|end| self.named.contains(&(direction, end)))
        {
            return false;
        }
        match role {
            PodRole::Exempt => false,
            PodRole::Unmatched => true,
            PodRole::Service(id) => {
                let exempt = &self.program.exempt;
                self.program.service(id).probe_labels().get(&exempt.key) != Some(&exempt.value)
            }
        }
    }

    /// The connections the program allows from `src` to `dst`.
    pub fn between(&self, src: Point, dst: Point) -> Expected {
        // Per side (egress, ingress): what the needs grant there.
        let mut declared = [ConnSet::empty(), ConnSet::empty()];
        let add = |sides: &mut [ConnSet; 2], n: usize| {
            let need = &self.program.needs[n];
            let ports = self.ports_on(&need.ports, dst);
            if self.managed_end(need.subject) {
                sides[0].union_with(&ports);
            }
            if self.managed_end(need.target) {
                sides[1].union_with(&ports);
            }
        };
        for n in self.needs_between(src, dst) {
            add(&mut declared, n);
        }
        let mut label = declared.clone();
        for n in self.label_needs_between(src, dst) {
            add(&mut label, n);
        }
        let side = |restricted: bool, set: &ConnSet| {
            if restricted {
                set.clone()
            } else {
                ConnSet::all()
            }
        };
        let (egress, ingress) = (
            self.restricted_in(src, Direction::Egress),
            self.restricted_in(dst, Direction::Ingress),
        );
        Expected {
            declared: side(egress, &declared[0]).intersect(&side(ingress, &declared[1])),
            granted: side(egress, &label[0]).intersect(&side(ingress, &label[1])),
        }
    }

    /// What `ports` means on the destination `dst`: named ports resolve on the
    /// destination pod (the named ports its service declares); addresses have none.
    pub fn ports_on(&self, ports: &Ports, dst: Point) -> ConnSet {
        let Ports::List(list) = ports else {
            return ConnSet::all();
        };
        let mut set = ConnSet::empty();
        for port in list {
            let protocol = protocol_of(port.protocol);
            match &port.kind {
                PortKind::Range { first, last } => {
                    set.add(protocol, &PortSet::range(*first, *last));
                }
                PortKind::Named { name, .. } => {
                    if let Point::Pod {
                        role: PodRole::Service(id),
                        ..
                    } = dst
                    {
                        for declared in &self.program.service(id).ports {
                            if declared.name.as_deref() == Some(name.as_str())
                                && declared.protocol == port.protocol
                            {
                                set.add(protocol, &PortSet::range(declared.first, declared.first));
                            }
                        }
                    }
                }
            }
        }
        set
    }

    /// `grid/api`, `grid/(no service)`, `grid/(exempt)`, `52.216.0.0`: as
    /// `probe::Probe::display` prints pods.
    pub fn display(&self, point: Point) -> String {
        match point {
            Point::Pod { namespace, role } => {
                let ns = &self.program.namespace(namespace).name;
                match role {
                    PodRole::Service(id) => format!("{ns}/{}", self.program.service(id).name),
                    PodRole::Unmatched => format!("{ns}/(no service)"),
                    PodRole::Exempt => format!("{ns}/(exempt)"),
                }
            }
            Point::Address(ip) => ip.to_string(),
        }
    }
}

/// The evaluator's protocol for an IR protocol.
pub fn protocol_of(protocol: Protocol) -> AProtocol {
    match protocol {
        Protocol::Tcp => AProtocol::Tcp,
        Protocol::Udp => AProtocol::Udp,
        Protocol::Sctp => AProtocol::Sctp,
    }
}

/// `a` without `b`.
pub fn difference(a: &ConnSet, b: &ConnSet) -> ConnSet {
    let mut out = ConnSet::empty();
    for protocol in AProtocol::ALL {
        let mut rest = PortSet::empty();
        let mut next: u32 = 1;
        for &(lo, hi) in b.ports(protocol).ranges() {
            if u32::from(lo) > next {
                rest.union_with(&PortSet::range(next as u16, lo - 1));
            }
            next = u32::from(hi) + 1;
        }
        if next <= 65535 {
            rest.union_with(&PortSet::range(next as u16, 65535));
        }
        out.add(protocol, &a.ports(protocol).intersect(&rest));
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail by panicking")]
mod tests {
    use super::*;

    #[test]
    fn difference_removes_ports_per_protocol() {
        let mut a = ConnSet::of(AProtocol::Tcp, PortSet::range(1, 100));
        a.add(AProtocol::Udp, &PortSet::range(53, 53));
        let b = ConnSet::of(AProtocol::Tcp, PortSet::range(10, 20));
        let d = difference(&a, &b);
        assert_eq!(d.to_string(), "TCP 1-9,21-100,UDP 53");
        assert!(difference(&a, &ConnSet::all()).is_empty());
        assert_eq!(
            difference(&ConnSet::all(), &ConnSet::empty()),
            ConnSet::all()
        );
        let top = ConnSet::of(AProtocol::Sctp, PortSet::range(65535, 65535));
        assert_eq!(
            difference(&ConnSet::all(), &top)
                .ports(AProtocol::Sctp)
                .ranges(),
            &[(1, 65534)]
        );
    }
}
