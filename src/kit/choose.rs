//! Which probes a kit runs: every declared connection on every declared port and
//! protocol (from `verify`'s IR expectation, never from `lower`), and denies chosen to
//! catch the failure modes of real network plugins, each paired with an allow to the
//! same server, port and protocol so that a dead server never passes as a deny. Pure:
//! works on the IR and [`Expectation`] only.
//!
//! A deny is only emitted where it is certain: when the program lets an external
//! address range reach the server on that port (or lets the client reach one), a
//! plugin that applies `ipBlock` to pod addresses may legitimately connect, so that
//! deny is left out.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr};

use crate::analyze::PortSet;
use crate::ir::{Endpoint, NamespaceId, Program, Protocol, ServiceId};
use crate::verify::expected::protocol_of;
use crate::verify::{Expectation, PodRole, Point};

/// A port used when a need asks for every port of a target that declares none.
pub const ANY_PORT: u16 = 8080;
/// The port the outsider server listens on (egress canaries).
pub const OUTSIDER_PORT: u16 = 8080;
/// At most this many sample ports per protocol for one client and server.
const MAX_SAMPLES: usize = 32;

/// Who sends or receives a probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KitPod {
    /// A pod of the program: a service's pod, or the unmatched or exempt pod of a
    /// managed namespace (never an address).
    Program(Point),
    /// A pod of the outside namespace carrying this service's labels: a client from
    /// another namespace without consent.
    Lookalike(ServiceId),
    /// A pod without labels in the outside namespace.
    Outsider,
    /// The control client of the outside namespace, which the kit's control policy
    /// admits everywhere.
    Control,
}

/// What a probe should observe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Expect {
    Allow,
    Deny,
}

impl Expect {
    pub fn as_str(self) -> &'static str {
        match self {
            Expect::Allow => "allow",
            Expect::Deny => "deny",
        }
    }
}

/// Why a probe is in the kit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reason {
    /// Declared by these needs (indexes into `program.needs`).
    Declared(Vec<usize>),
    /// From the control client: proves the server listens on that port.
    Control,
    /// A port of a needed service that the client was not given.
    UndeclaredPort,
    /// Another service of the server's namespace that does not need it.
    NonClient,
    /// The client's labels, worn by a pod of another namespace.
    OtherNamespace,
    /// One port past the end of a declared range.
    PastRange,
    /// The declared port with the other protocol.
    OtherProtocol,
    /// A pod of the server's namespace that matches no service.
    NoService,
    /// A connection every enforcing plugin must deny (default deny of a namespace).
    Canary,
}

impl Reason {
    /// The stable word for `expected.jsonl` and reports.
    pub fn as_str(&self) -> &'static str {
        match self {
            Reason::Declared(_) => "declared",
            Reason::Control => "control",
            Reason::UndeclaredPort => "undeclared-port",
            Reason::NonClient => "non-client",
            Reason::OtherNamespace => "other-namespace",
            Reason::PastRange => "past-range",
            Reason::OtherProtocol => "other-protocol",
            Reason::NoService => "no-service",
            Reason::Canary => "canary",
        }
    }
}

/// One probe: a connection attempt from a client to a server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Probe {
    pub from: KitPod,
    pub to: KitPod,
    pub port: u16,
    pub protocol: Protocol,
    pub expect: Expect,
    pub reason: Reason,
    /// For a deny: the index of the allow to the same server, port and protocol.
    pub pair: Option<usize>,
}

/// The probes of a program, and what could not be probed, in words.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    pub probes: Vec<Probe>,
    pub skipped: Vec<String>,
}

type Key = (KitPod, KitPod, u16, Protocol);

struct Chooser<'m, 'p> {
    model: &'m Expectation<'p>,
    allows: Vec<Probe>,
    controls: Vec<Probe>,
    denies: Vec<Probe>,
    seen: HashSet<Key>,
    /// The (client, server) pairs whose denies were chosen.
    pairs: HashSet<(KitPod, KitPod)>,
    /// (server, port, protocol) → index into `allows` of the first program allow.
    slots: HashMap<(KitPod, u16, Protocol), usize>,
    skipped: BTreeSet<String>,
}

/// Choose the probes for a program.
pub fn choose(model: &Expectation<'_>) -> Selection {
    let mut chooser = Chooser {
        model,
        allows: Vec::new(),
        controls: Vec::new(),
        denies: Vec::new(),
        seen: HashSet::new(),
        pairs: HashSet::new(),
        slots: HashMap::new(),
        skipped: BTreeSet::new(),
    };
    let pods = model.pods();
    for &src in &pods {
        for &dst in &pods {
            chooser.allows_between(src, dst);
        }
    }
    chooser.skip_addresses();
    let count = chooser.allows.len();
    for index in 0..count {
        chooser.denies_for(index);
    }
    chooser.canaries();
    chooser.finish()
}

impl Chooser<'_, '_> {
    fn program(&self) -> &Program {
        self.model.program()
    }

    /// The allow probes between two program pods.
    fn allows_between(&mut self, src: Point, dst: Point) {
        let needs = self.model.needs_between(src, dst);
        if needs.is_empty() {
            return;
        }
        let declared = self.model.between(src, dst).declared;
        for protocol in [Protocol::Tcp, Protocol::Udp, Protocol::Sctp] {
            let mut asked = PortSet::empty();
            for &n in &needs {
                let set = self.model.ports_on(&self.program().needs[n].ports, dst);
                asked.union_with(set.ports(protocol_of(protocol)));
            }
            let asked = asked.intersect(declared.ports(protocol_of(protocol)));
            let ports = self.samples(&asked, dst, protocol);
            if protocol == Protocol::Sctp {
                if !ports.is_empty() {
                    self.skipped.insert(format!(
                        "{} → {}: SCTP (agnhost serves TCP and UDP only)",
                        self.model.display(src),
                        self.model.display(dst)
                    ));
                }
                continue;
            }
            for port in ports {
                let why: Vec<usize> = needs
                    .iter()
                    .copied()
                    .filter(|&n| {
                        self.model
                            .ports_on(&self.program().needs[n].ports, dst)
                            .contains(protocol_of(protocol), port)
                    })
                    .collect();
                let probe = Probe {
                    from: KitPod::Program(src),
                    to: KitPod::Program(dst),
                    port,
                    protocol,
                    expect: Expect::Allow,
                    reason: Reason::Declared(why),
                    pair: None,
                };
                if self.insert(&probe) {
                    let index = self.allows.len();
                    self.slots
                        .entry((probe.to, port, protocol))
                        .or_insert(index);
                    self.allows.push(probe);
                }
            }
        }
    }

    /// The ports to try in `asked`: both ends of every range; for "every port" the
    /// ports the destination's service declares (or [`ANY_PORT`] over TCP).
    fn samples(&mut self, asked: &PortSet, dst: Point, protocol: Protocol) -> Vec<u16> {
        if asked.is_empty() {
            return Vec::new();
        }
        let mut ports = BTreeSet::new();
        if asked.is_all() {
            if let Point::Pod {
                role: PodRole::Service(id),
                ..
            } = dst
            {
                for port in &self.program().service(id).ports {
                    if port.protocol == protocol {
                        ports.insert(port.first);
                        ports.insert(port.last);
                    }
                }
            }
            if ports.is_empty() && protocol == Protocol::Tcp {
                ports.insert(ANY_PORT);
            }
        } else {
            for &(lo, hi) in asked.ranges() {
                ports.insert(lo);
                ports.insert(hi);
            }
        }
        if ports.len() > MAX_SAMPLES {
            self.skipped.insert(format!(
                "{}: only {MAX_SAMPLES} of {} {} ports are probed",
                self.model.display(dst),
                ports.len(),
                protocol.as_k8s()
            ));
        }
        ports.into_iter().take(MAX_SAMPLES).collect()
    }

    /// Needs that involve addresses outside the cluster cannot be probed from pods.
    fn skip_addresses(&mut self) {
        let program = self.model.program();
        for need in &program.needs {
            if matches!(need.subject, Endpoint::External(_))
                || matches!(need.target, Endpoint::External(_))
            {
                self.skipped.insert(format!(
                    "{} → {}: an address outside the cluster",
                    program.endpoint_name(need.subject),
                    program.endpoint_name(need.target)
                ));
            }
        }
    }

    /// Remember a probe's key; `false` when the connection is already probed.
    fn insert(&mut self, probe: &Probe) -> bool {
        let key = (probe.from, probe.to, probe.port, probe.protocol);
        self.seen.insert(key)
    }

    /// The denies derived from one allow probe.
    fn denies_for(&mut self, index: usize) {
        let allow = self.allows[index].clone();
        let (from, to, port, protocol) = (allow.from, allow.to, allow.port, allow.protocol);
        let first_of_pair = self.pairs.insert((from, to));
        let first_of_slot = self.slots.get(&(to, port, protocol)) == Some(&index);
        if port < u16::MAX {
            self.deny(from, to, port + 1, protocol, Reason::PastRange);
        }
        let other = match protocol {
            Protocol::Tcp => Protocol::Udp,
            _ => Protocol::Tcp,
        };
        self.deny(from, to, port, other, Reason::OtherProtocol);
        if first_of_pair && let Some(q) = self.undeclared_port(from, to, protocol) {
            self.deny(from, to, q, protocol, Reason::UndeclaredPort);
        }
        if !first_of_slot {
            return;
        }
        let KitPod::Program(Point::Pod { namespace, .. }) = to else {
            return;
        };
        if let Some(client) = self.non_client(namespace, to, protocol, port) {
            self.deny(client, to, port, protocol, Reason::NonClient);
        }
        if self.program().namespace(namespace).managed {
            let unmatched = KitPod::Program(Point::Pod {
                namespace,
                role: PodRole::Unmatched,
            });
            self.deny(unmatched, to, port, protocol, Reason::NoService);
        }
        if let KitPod::Program(Point::Pod {
            role: PodRole::Service(id),
            ..
        }) = from
        {
            self.deny(
                KitPod::Lookalike(id),
                to,
                port,
                protocol,
                Reason::OtherNamespace,
            );
        }
    }

    /// A port of `to` that `from` was not given: a port another client was given if
    /// there is one (its allow is the pair), else one past every port probed there.
    fn undeclared_port(&self, from: KitPod, to: KitPod, protocol: Protocol) -> Option<u16> {
        let mut probed: Vec<u16> = self
            .slots
            .keys()
            .filter(|(server, _, p)| *server == to && *p == protocol)
            .map(|(_, port, _)| *port)
            .collect();
        probed.sort_unstable();
        if let Some(&q) = probed
            .iter()
            .find(|&&q| self.expect(from, to, protocol, q) == Some(Expect::Deny))
        {
            return Some(q);
        }
        let top = probed.last().copied().unwrap_or(ANY_PORT);
        (top.saturating_add(1)..=u16::MAX)
            .chain((1..top).rev())
            .take(1000)
            .find(|&q| self.expect(from, to, protocol, q) == Some(Expect::Deny))
    }

    /// The first other service of the namespace (by name) that may not connect.
    fn non_client(
        &self,
        namespace: NamespaceId,
        to: KitPod,
        protocol: Protocol,
        port: u16,
    ) -> Option<KitPod> {
        self.model
            .pods()
            .into_iter()
            .filter(|p| {
                matches!(p, Point::Pod { namespace: ns, role: PodRole::Service(_) } if *ns == namespace)
            })
            .map(KitPod::Program)
            .filter(|p| *p != to)
            .find(|&p| self.expect(p, to, protocol, port) == Some(Expect::Deny))
    }

    /// Add a deny (when it is certain and new), paired with an allow to the same
    /// server, port and protocol.
    fn deny(&mut self, from: KitPod, to: KitPod, port: u16, protocol: Protocol, reason: Reason) {
        if self.expect(from, to, protocol, port) != Some(Expect::Deny) {
            return;
        }
        let probe = Probe {
            from,
            to,
            port,
            protocol,
            expect: Expect::Deny,
            reason,
            pair: None,
        };
        if !self.insert(&probe) {
            return;
        }
        if !self.slots.contains_key(&(to, port, protocol)) {
            let control = Probe {
                from: KitPod::Control,
                to,
                port,
                protocol,
                expect: Expect::Allow,
                reason: Reason::Control,
                pair: None,
            };
            if self.insert(&control) {
                self.controls.push(control);
            }
        }
        self.denies.push(probe);
    }

    /// Per managed, enforced namespace: an outsider into its first probed server
    /// (ingress) and its unmatched pod out to the outsider server (egress).
    fn canaries(&mut self) {
        let program = self.model.program();
        let mut namespaces: Vec<NamespaceId> = program.namespace_ids().collect();
        namespaces.sort_by(|a, b| program.namespace(*a).name.cmp(&program.namespace(*b).name));
        for namespace in namespaces {
            let unmatched = Point::Pod {
                namespace,
                role: PodRole::Unmatched,
            };
            if !program.namespace(namespace).managed || !self.model.restricted(unmatched) {
                continue;
            }
            let first = self.allows.iter().find(|a| {
                matches!(a.to, KitPod::Program(Point::Pod { namespace: ns, .. }) if ns == namespace)
            });
            if let Some(allow) = first.cloned() {
                self.deny(
                    KitPod::Outsider,
                    allow.to,
                    allow.port,
                    allow.protocol,
                    Reason::Canary,
                );
            }
            self.deny(
                KitPod::Program(unmatched),
                KitPod::Outsider,
                OUTSIDER_PORT,
                Protocol::Tcp,
                Reason::Canary,
            );
        }
    }

    /// What the program says of a connection between kit pods; `None` when it is not
    /// certain (an external range may cover pod addresses) or is an over-grant.
    pub fn expect(
        &self,
        from: KitPod,
        to: KitPod,
        protocol: Protocol,
        port: u16,
    ) -> Option<Expect> {
        expect(self.model, from, to, protocol, port)
    }

    /// Allows, then controls, then denies, with every deny's pair resolved.
    fn finish(self) -> Selection {
        let mut probes = self.allows;
        probes.extend(self.controls);
        let index: HashMap<(KitPod, u16, Protocol), usize> = probes
            .iter()
            .enumerate()
            .rev()
            .map(|(i, p)| ((p.to, p.port, p.protocol), i))
            .collect();
        for mut deny in self.denies {
            deny.pair = index.get(&(deny.to, deny.port, deny.protocol)).copied();
            probes.push(deny);
        }
        Selection {
            probes,
            skipped: self.skipped.into_iter().collect(),
        }
    }
}

/// What the program says of a connection between kit pods (see [`Chooser::expect`]).
pub fn expect(
    model: &Expectation<'_>,
    from: KitPod,
    to: KitPod,
    protocol: Protocol,
    port: u16,
) -> Option<Expect> {
    let wire = protocol_of(protocol);
    let ingress_blocks = |dst: Point| model.restricted(dst) && !exposed(model, dst, protocol, port);
    let egress_blocks =
        |src: Point| model.restricted(src) && !reaches_out(model, src, protocol, port);
    match (from, to) {
        (KitPod::Program(src), KitPod::Program(dst)) => {
            let between = model.between(src, dst);
            if between.declared.contains(wire, port) {
                Some(Expect::Allow)
            } else if between.granted.contains(wire, port) {
                None
            } else if ingress_blocks(dst) || egress_blocks(src) {
                Some(Expect::Deny)
            } else {
                None
            }
        }
        (KitPod::Control, KitPod::Program(_)) => Some(Expect::Allow),
        (_, KitPod::Program(dst)) => match (model.restricted(dst), ingress_blocks(dst)) {
            (false, _) => Some(Expect::Allow),
            (true, true) => Some(Expect::Deny),
            (true, false) => None,
        },
        (KitPod::Program(src), _) => match (model.restricted(src), egress_blocks(src)) {
            (false, _) => Some(Expect::Allow),
            (true, true) => Some(Expect::Deny),
            (true, false) => None,
        },
        _ => Some(Expect::Allow),
    }
}

/// Whether a need from an external range may reach `dst` on that port.
fn exposed(model: &Expectation<'_>, dst: Point, protocol: Protocol, port: u16) -> bool {
    model.program().needs.iter().any(|need| {
        matches!(need.subject, Endpoint::External(_))
            && model.covers(need.target, dst)
            && model
                .ports_on(&need.ports, dst)
                .contains(protocol_of(protocol), port)
    })
}

/// Whether `src` may reach an external range on that port.
fn reaches_out(model: &Expectation<'_>, src: Point, protocol: Protocol, port: u16) -> bool {
    let program = model.program();
    program.needs.iter().any(|need| {
        if !matches!(need.target, Endpoint::External(_) | Endpoint::Anywhere) {
            return false;
        }
        let covers = match need.subject {
            Endpoint::Service(_) | Endpoint::Namespace(_) => model.covers(need.subject, src),
            Endpoint::External(_) | Endpoint::Anywhere => false,
        };
        // Named ports resolve on the destination; an address has none.
        let anywhere = Point::Address(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        covers
            && model
                .ports_on(&need.ports, anywhere)
                .contains(protocol_of(protocol), port)
    })
}
