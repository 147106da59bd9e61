//! Grouping the needs of a checked program into policies ([`Plan`]), in time linear in
//! the number of needs (ids index vectors; the only hash maps key label groups). Decides
//! every name and reports W004 (a label grants more ports than a client asked for) and
//! E321 (two things would get one name). Never builds a Kubernetes object.

use rustc_hash::{FxHashMap, FxHashSet};

use super::grants::{broader_grants, union};
use super::names;
use super::{Direction, NamespacePlan, Options, Peer, Plan, Policy, Rule, Rules, Selects};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::ir::{Endpoint, IdentityStyle, NamespaceId, Need, Ports, Program};
use crate::source::Span;

/// How the client of one need is recognised.
#[derive(Clone, Copy, Debug)]
enum Client {
    /// By the label of a label group.
    Label(u32),
    /// By its own selector (a service in the `selectors` style, a service of an
    /// external namespace, or any service whose target is `N/*`).
    Selector(crate::ir::ServiceId),
    /// Every pod of a namespace (`*` or `N/*` as subject).
    AllPods(NamespaceId),
    /// An address range.
    External(crate::ir::ExternalId),
}

/// The clients in one namespace that reach one target through one `needs-*` label.
pub(super) struct Group {
    pub(super) namespace: NamespaceId,
    pub(super) target: Endpoint,
    pub(super) target_name: String,
    pub(super) label: u32,
    pub(super) ports: Ports,
    pub(super) needs: Vec<u32>,
}

/// Lower `program` to a plan. Errors (E320, E321) go to `diagnostics`; the plan is
/// still returned, but must not be written when there are errors.
pub fn plan(program: Program, options: Options, diagnostics: &mut Diagnostics) -> Plan {
    let (namespaces, labels, client_labels) = plan_parts(&program, options, diagnostics);
    Plan {
        program,
        namespaces,
        labels,
        client_labels,
    }
}

/// The namespaces, client labels and per-service client labels of [`plan`].
fn plan_parts(
    program: &Program,
    options: Options,
    diagnostics: &mut Diagnostics,
) -> (Vec<NamespacePlan>, Vec<String>, Vec<Vec<u32>>) {
    let managed = |ns: NamespaceId| program.namespace(ns).managed;
    let n_services = program.services.len();
    let n_namespaces = program.namespaces.len();

    let mut clients = Vec::with_capacity(program.needs.len());
    let mut groups: Vec<Group> = Vec::new();
    let mut group_of: FxHashMap<(NamespaceId, Endpoint), u32> = FxHashMap::default();
    let mut label_ids: FxHashMap<String, u32> = FxHashMap::default();
    let mut labels: Vec<String> = Vec::new();
    let mut label_owner: FxHashMap<(NamespaceId, u32), u32> = FxHashMap::default();
    let mut client_labels: Vec<Vec<u32>> = vec![Vec::new(); n_services];

    // (key, need index) pairs, grouped into buckets after the loop.
    let mut service_ingress: Vec<(u32, u32)> = Vec::new();
    let mut namespace_ingress: Vec<(u32, u32)> = Vec::new();
    let mut service_egress: Vec<(u32, u32)> = Vec::new();
    let mut namespace_egress: Vec<(u32, u32)> = Vec::new();

    for (index, need) in program.needs.iter().enumerate() {
        let index = index as u32;
        let client = match need.subject {
            Endpoint::Namespace(ns) => Client::AllPods(ns),
            Endpoint::External(id) => Client::External(id),
            Endpoint::Service(id) => {
                let ns = program.service(id).namespace;
                let by_label = program.identity == IdentityStyle::Labels
                    && managed(ns)
                    && !matches!(need.target, Endpoint::Namespace(_));
                if by_label {
                    let key = (ns, need.target);
                    let group = match group_of.get(&key) {
                        Some(&g) => g,
                        None => {
                            let g = groups.len() as u32;
                            let target_name = names::target_name(program, ns, need.target);
                            let key_text = names::client_label(&target_name);
                            let label = match label_ids.get(&key_text) {
                                Some(&l) => l,
                                None => {
                                    let l = labels.len() as u32;
                                    label_ids.insert(key_text.clone(), l);
                                    labels.push(key_text);
                                    l
                                }
                            };
                            if let Some(&other) = label_owner.get(&(ns, label)) {
                                diagnostics.push(label_collision(
                                    program,
                                    &labels[label as usize],
                                    need,
                                    &groups[other as usize],
                                ));
                            } else {
                                label_owner.insert((ns, label), g);
                            }
                            groups.push(Group {
                                namespace: ns,
                                target: need.target,
                                target_name,
                                label,
                                ports: need.ports.clone(),
                                needs: Vec::new(),
                            });
                            group_of.insert(key, g);
                            g
                        }
                    };
                    let entry = &mut groups[group as usize];
                    if entry.ports != need.ports {
                        entry.ports = union(&entry.ports, &need.ports);
                    }
                    entry.needs.push(index);
                    let carried = &mut client_labels[id.0 as usize];
                    if !carried.contains(&entry.label) {
                        carried.push(entry.label);
                    }
                    Client::Label(group)
                } else {
                    Client::Selector(id)
                }
            }
        };
        clients.push(client);
        match need.target {
            Endpoint::Service(id) if managed(program.service(id).namespace) => {
                service_ingress.push((id.0, index));
            }
            Endpoint::Namespace(ns) if managed(ns) => namespace_ingress.push((ns.0, index)),
            _ => {}
        }
        match client {
            Client::Selector(id) if managed(program.service(id).namespace) => {
                service_egress.push((id.0, index));
            }
            Client::AllPods(ns) if managed(ns) => namespace_egress.push((ns.0, index)),
            _ => {}
        }
    }

    for group in &groups {
        broader_grants(program, group, &labels[group.label as usize], diagnostics);
    }
    for carried in &mut client_labels {
        carried.sort_by(|a, b| labels[*a as usize].cmp(&labels[*b as usize]));
    }

    let service_ingress = Buckets::new(n_services, &service_ingress);
    let namespace_ingress = Buckets::new(n_namespaces, &namespace_ingress);
    let service_egress = Buckets::new(n_services, &service_egress);
    let namespace_egress = Buckets::new(n_namespaces, &namespace_egress);
    let services_of = Buckets::new(
        n_namespaces,
        &program
            .services
            .iter()
            .enumerate()
            .map(|(i, s)| (s.namespace.0, i as u32))
            .collect::<Vec<_>>(),
    );
    let groups_of = Buckets::new(
        n_namespaces,
        &groups
            .iter()
            .enumerate()
            .map(|(g, group)| (group.namespace.0, g as u32))
            .collect::<Vec<_>>(),
    );

    let mut namespaces = Vec::new();
    for ns_id in program.namespace_ids() {
        let namespace = program.namespace(ns_id);
        if !namespace.managed {
            continue;
        }
        let ns_index = ns_id.0 as usize;
        let ingress_on = options
            .enforcement
            .on(&namespace.enforcement, Direction::Ingress);
        let egress_on = options
            .enforcement
            .on(&namespace.enforcement, Direction::Egress);
        let here = namespace.span;
        let mut namespace_wide = vec![
            fixed(
                "default-deny-ingress",
                Direction::Ingress,
                Selects::NotExempt,
                Rules::None,
                here,
            ),
            fixed(
                "default-deny-egress",
                Direction::Egress,
                Selects::NotExempt,
                Rules::None,
                here,
            ),
            fixed(
                "exempt-allow-ingress",
                Direction::Ingress,
                Selects::Exempt,
                Rules::AllowAll,
                here,
            ),
            fixed(
                "exempt-allow-egress",
                Direction::Egress,
                Selects::Exempt,
                Rules::AllowAll,
                here,
            ),
        ];
        let failsafe = [
            fixed(
                "allow-all-ingress",
                Direction::Ingress,
                Selects::AllPods,
                Rules::AllowAll,
                here,
            ),
            fixed(
                "allow-all-egress",
                Direction::Egress,
                Selects::AllPods,
                Rules::AllowAll,
                here,
            ),
        ];
        if !ingress_on {
            namespace_wide.push(failsafe[0].clone());
        }
        if !egress_on {
            namespace_wide.push(failsafe[1].clone());
        }

        let mut ingress = Vec::new();
        for &id in services_of.get(ns_index) {
            let id = crate::ir::ServiceId(id);
            let needs = service_ingress.get(id.0 as usize);
            if needs.is_empty() {
                continue;
            }
            let service = program.service(id);
            ingress.push(Policy {
                name: names::ingress_name(&service.name),
                direction: Direction::Ingress,
                selects: Selects::Service(id),
                rules: ingress_rules(program, &clients, &groups, needs),
                origin: service.span,
            });
        }
        if !namespace_ingress.get(ns_index).is_empty() {
            let needs = namespace_ingress.get(ns_index);
            ingress.push(Policy {
                name: names::INGRESS_ALL_PODS.to_owned(),
                direction: Direction::Ingress,
                selects: Selects::AllPods,
                rules: ingress_rules(program, &clients, &groups, needs),
                origin: program.needs[needs[0] as usize].origin.target,
            });
        }

        let mut egress = Vec::new();
        for &g in groups_of.get(ns_index) {
            let group = &groups[g as usize];
            egress.push(Policy {
                name: names::egress_to_name(&group.target_name),
                direction: Direction::Egress,
                selects: Selects::Label(group.label),
                rules: Rules::List(vec![Rule {
                    peers: vec![peer_of(group.target)],
                    ports: group.ports.clone(),
                }]),
                origin: program.needs[group.needs[0] as usize].origin.target,
            });
        }
        for &id in services_of.get(ns_index) {
            let id = crate::ir::ServiceId(id);
            let needs = service_egress.get(id.0 as usize);
            if needs.is_empty() {
                continue;
            }
            let service = program.service(id);
            egress.push(Policy {
                name: names::egress_from_name(&service.name),
                direction: Direction::Egress,
                selects: Selects::Service(id),
                rules: egress_rules(program, needs),
                origin: service.span,
            });
        }
        // The egress of `*`: one policy per target, named after it, so a reader sees
        // what it allows (`allow-egress-all-pods-to-kube-system.kube-dns`) and a new
        // target adds a file instead of changing one.
        for (target, needs) in by_target(program, namespace_egress.get(ns_index)) {
            egress.push(Policy {
                name: names::egress_all_pods_to_name(&names::target_name(program, ns_id, target)),
                direction: Direction::Egress,
                selects: Selects::AllPods,
                rules: egress_rules(program, &needs),
                origin: program.needs[needs[0] as usize].origin.target,
            });
        }

        ingress.sort_by(|a, b| a.name.cmp(&b.name));
        egress.sort_by(|a, b| a.name.cmp(&b.name));
        check_names(
            &namespace.name,
            &namespace_wide,
            &ingress,
            &egress,
            diagnostics,
        );
        namespaces.push(NamespacePlan {
            namespace: ns_id,
            name: namespace.name.clone(),
            ingress_on,
            egress_on,
            ingress: safe_order(ingress, &namespace_wide, Direction::Ingress),
            egress: safe_order(egress, &namespace_wide, Direction::Egress),
            failsafe,
        });
    }
    namespaces.sort_by(|a, b| a.name.cmp(&b.name));

    (namespaces, labels, client_labels)
}

/// One direction's policies in the order they are applied: the allow policies
/// (`allowing`, sorted by name), then the namespace-wide allow objects (allow-all when
/// off, exempt allow), and the default deny last, so that no apply in this order
/// isolates the namespace before what it allows exists.
fn safe_order(mut allowing: Vec<Policy>, wide: &[Policy], direction: Direction) -> Vec<Policy> {
    let (deny, allow): (Vec<&Policy>, Vec<&Policy>) = wide
        .iter()
        .filter(|p| p.direction == direction)
        .partition(|p| p.rules == Rules::None);
    allowing.extend(allow.into_iter().cloned());
    allowing.extend(deny.into_iter().cloned());
    allowing
}

/// Values grouped by a dense key and stored flat (a counting sort): two allocations
/// for all keys instead of one vector per key. Values keep their order within a key.
struct Buckets {
    starts: Vec<u32>,
    values: Vec<u32>,
}

impl Buckets {
    fn new(keys: usize, pairs: &[(u32, u32)]) -> Buckets {
        let mut starts = vec![0u32; keys + 1];
        for &(key, _) in pairs {
            starts[key as usize + 1] += 1;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        let mut next = starts.clone();
        let mut values = vec![0u32; pairs.len()];
        for &(key, value) in pairs {
            let slot = &mut next[key as usize];
            values[*slot as usize] = value;
            *slot += 1;
        }
        Buckets { starts, values }
    }

    fn get(&self, key: usize) -> &[u32] {
        &self.values[self.starts[key] as usize..self.starts[key + 1] as usize]
    }
}

fn fixed(name: &str, direction: Direction, selects: Selects, rules: Rules, origin: Span) -> Policy {
    Policy {
        name: name.to_owned(),
        direction,
        selects,
        rules,
        origin,
    }
}

fn peer_of(target: Endpoint) -> Peer {
    match target {
        Endpoint::Service(id) => Peer::Service(id),
        Endpoint::Namespace(id) => Peer::Namespace(id),
        Endpoint::External(id) => Peer::External(id),
    }
}

/// Rules keyed by their ports: a peer joins the rule with the same ports, so clients
/// asking for the same ports share one rule. Peers keep first-seen order.
#[derive(Default)]
struct RuleSet {
    rules: Vec<Rule>,
    /// Only filled once a rule has many peers; small rules are searched directly.
    seen: FxHashSet<(usize, Peer)>,
    /// Whether rule i's peers are in `seen`.
    indexed: Vec<bool>,
}

/// Up to this many peers in a rule, duplicates are found by a linear search.
const SMALL_RULE: usize = 16;

impl RuleSet {
    fn add(&mut self, peer: Peer, ports: &Ports) {
        let index = match self.rules.iter().position(|r| &r.ports == ports) {
            Some(i) => i,
            None => {
                self.rules.push(Rule {
                    peers: Vec::new(),
                    ports: ports.clone(),
                });
                self.indexed.push(false);
                self.rules.len() - 1
            }
        };
        let peers = &mut self.rules[index].peers;
        if peers.len() < SMALL_RULE {
            if !peers.contains(&peer) {
                peers.push(peer);
            }
            return;
        }
        if !self.indexed[index] {
            self.indexed[index] = true;
            self.seen.extend(peers.iter().map(|p| (index, *p)));
        }
        if self.seen.insert((index, peer)) {
            peers.push(peer);
        }
    }

    fn finish(self) -> Rules {
        Rules::List(self.rules)
    }
}

fn ingress_rules(program: &Program, clients: &[Client], groups: &[Group], needs: &[u32]) -> Rules {
    let mut rules = RuleSet::default();
    for &index in needs {
        let need = &program.needs[index as usize];
        match clients[index as usize] {
            Client::Label(g) => {
                let group = &groups[g as usize];
                let peer = Peer::Label {
                    label: group.label,
                    namespace: group.namespace,
                };
                rules.add(peer, &group.ports);
            }
            Client::Selector(id) => rules.add(Peer::Service(id), &need.ports),
            Client::AllPods(ns) => rules.add(Peer::Namespace(ns), &need.ports),
            Client::External(id) => rules.add(Peer::External(id), &need.ports),
        }
    }
    rules.finish()
}

/// `needs` grouped by target, targets in first-seen order, needs in their order.
fn by_target(program: &Program, needs: &[u32]) -> Vec<(Endpoint, Vec<u32>)> {
    let mut groups: Vec<(Endpoint, Vec<u32>)> = Vec::new();
    let mut index: FxHashMap<Endpoint, usize> = FxHashMap::default();
    for &need in needs {
        let target = program.needs[need as usize].target;
        let slot = *index.entry(target).or_insert_with(|| {
            groups.push((target, Vec::new()));
            groups.len() - 1
        });
        groups[slot].1.push(need);
    }
    groups
}

fn egress_rules(program: &Program, needs: &[u32]) -> Rules {
    let mut rules = RuleSet::default();
    for &index in needs {
        let need = &program.needs[index as usize];
        rules.add(peer_of(need.target), &need.ports);
    }
    rules.finish()
}

fn label_collision(program: &Program, label: &str, need: &Need, other: &Group) -> Diagnostic {
    let first = &program.needs[other.needs[0] as usize];
    Diagnostic::new(
        Code::GeneratedNameCollision,
        format!(
            "`{}` and `{}` would get the same client label `{label}`",
            program.endpoint_name(need.target),
            program.endpoint_name(other.target)
        ),
        need.origin.target,
        "this target's label",
    )
    .with_secondary(
        first.origin.target,
        "collides with the label for this target",
    )
    .with_help("rename one of the two targets so their `needs-*` labels differ")
}

/// E321 for two policies of one namespace with one name; E320 for a name too long.
fn check_names(
    namespace: &str,
    wide: &[Policy],
    ingress: &[Policy],
    egress: &[Policy],
    diagnostics: &mut Diagnostics,
) {
    let mut seen: FxHashMap<&str, Span> = FxHashMap::default();
    for policy in wide.iter().chain(ingress).chain(egress) {
        if policy.name.len() > names::MAX_OBJECT_NAME {
            diagnostics.push(
                Diagnostic::new(
                    Code::GeneratedNameTooLong,
                    format!(
                        "the policy name `{}` is longer than 253 characters",
                        policy.name
                    ),
                    policy.origin,
                    "the name comes from here",
                )
                .with_help("use shorter namespace, service or external names"),
            );
        }
        if let Some(first) = seen.insert(&policy.name, policy.origin) {
            diagnostics.push(
                Diagnostic::new(
                    Code::GeneratedNameCollision,
                    format!(
                        "two policies in namespace `{namespace}` would be named `{}`",
                        policy.name
                    ),
                    policy.origin,
                    "this policy's name",
                )
                .with_secondary(first, "collides with the policy named after this")
                .with_help("rename the service or external so the generated names differ"),
            );
        }
    }
}
