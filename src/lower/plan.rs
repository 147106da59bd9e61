//! Grouping the needs of a checked program into policies ([`Plan`]), in time linear in
//! the number of needs (ids index vectors; the only hash maps key label groups). Steps:
//! recognise every need's client (`clients`), index the needs by the policy they land
//! in, then build each managed namespace's policies. Decides every name and reports
//! W004 (a label grants more ports than a client asked for) and E320/E321 (a name too
//! long, two things would get one name). Never builds a Kubernetes object.

use rustc_hash::{FxHashMap, FxHashSet};

use super::clients::{Client, Clients, Group};
use super::grants::broader_grants;
use super::names;
use super::{Direction, NamespacePlan, Options, Peer, Plan, Policy, Rule, Rules, Selects};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::ir::{Endpoint, NamespaceId, Ports, Program};
use crate::source::Span;

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
    let mut clients = Clients::new(program);
    for (index, need) in program.needs.iter().enumerate() {
        clients.add(program, index as u32, need, diagnostics);
    }
    // W004 needs each group's final ports, the union over all its needs.
    for group in &clients.groups {
        broader_grants(
            program,
            group,
            &clients.labels[group.label as usize],
            diagnostics,
        );
    }
    let labels = &clients.labels;
    for carried in &mut clients.client_labels {
        carried.sort_by(|a, b| labels[*a as usize].cmp(&labels[*b as usize]));
    }
    let index = Index::new(program, &clients);
    let mut namespaces = Vec::new();
    for ns_id in program.namespace_ids() {
        if program.namespace(ns_id).managed {
            namespaces.push(namespace_plan(
                program,
                options,
                &clients,
                &index,
                ns_id,
                diagnostics,
            ));
        }
    }
    namespaces.sort_by(|a, b| a.name.cmp(&b.name));
    (namespaces, clients.labels, clients.client_labels)
}

/// The needs of each policy, by the service or namespace it selects, and the services
/// and label groups of each namespace.
struct Index {
    service_ingress: Buckets,
    namespace_ingress: Buckets,
    service_egress: Buckets,
    namespace_egress: Buckets,
    services_of: Buckets,
    groups_of: Buckets,
}

impl Index {
    fn new(program: &Program, clients: &Clients) -> Index {
        let n_services = program.services.len();
        let n_namespaces = program.namespaces.len();
        let services: Vec<(u32, u32)> = program
            .services
            .iter()
            .enumerate()
            .map(|(i, s)| (s.namespace.0, i as u32))
            .collect();
        let groups: Vec<(u32, u32)> = clients
            .groups
            .iter()
            .enumerate()
            .map(|(g, group)| (group.namespace.0, g as u32))
            .collect();
        Index {
            service_ingress: Buckets::new(n_services, &clients.service_ingress),
            namespace_ingress: Buckets::new(n_namespaces, &clients.namespace_ingress),
            service_egress: Buckets::new(n_services, &clients.service_egress),
            namespace_egress: Buckets::new(n_namespaces, &clients.namespace_egress),
            services_of: Buckets::new(n_namespaces, &services),
            groups_of: Buckets::new(n_namespaces, &groups),
        }
    }
}

/// The policies of managed namespace `ns_id`, with E320/E321 for their names.
fn namespace_plan(
    program: &Program,
    options: Options,
    clients: &Clients,
    index: &Index,
    ns_id: NamespaceId,
    diagnostics: &mut Diagnostics,
) -> NamespacePlan {
    let namespace = program.namespace(ns_id);
    let ingress_on = options
        .enforcement
        .on(&namespace.enforcement, Direction::Ingress);
    let egress_on = options
        .enforcement
        .on(&namespace.enforcement, Direction::Egress);
    let selected = |direction| {
        options
            .enforcement
            .selected(&namespace.enforcement, direction)
    };
    let (ingress_selected, egress_selected) =
        (selected(Direction::Ingress), selected(Direction::Egress));
    let (mut namespace_wide, failsafe) = fixed_policies(namespace.span);
    // A selected direction: no default deny; the pods its policies select are the
    // isolated ones, with the `isolate` items' policies for pods no need selects.
    namespace_wide.retain(|p| {
        p.rules != Rules::None
            || match p.direction {
                Direction::Ingress => !ingress_selected,
                Direction::Egress => !egress_selected,
            }
    });
    for isolation in program.isolations.iter().filter(|i| i.namespace == ns_id) {
        if selected(isolation.direction) {
            namespace_wide.push(isolate_policy(program, isolation));
        }
    }
    // A direction that is off: its allow-all policy sits beside its default deny, so
    // every connection that way is allowed while the generated rules are in place.
    if !ingress_on {
        namespace_wide.push(failsafe[0].clone());
    }
    if !egress_on {
        namespace_wide.push(failsafe[1].clone());
    }
    let mut ingress = ingress_policies(program, clients, index, ns_id);
    let mut egress = egress_policies(program, clients, index, ns_id);
    ingress.sort_by(|a, b| a.name.cmp(&b.name));
    egress.sort_by(|a, b| a.name.cmp(&b.name));
    check_names(
        &namespace.name,
        &namespace_wide,
        &ingress,
        &egress,
        diagnostics,
    );
    NamespacePlan {
        namespace: ns_id,
        name: namespace.name.clone(),
        ingress_on,
        egress_on,
        ingress_selected,
        egress_selected,
        ingress: safe_order(ingress, &namespace_wide, Direction::Ingress),
        egress: safe_order(egress, &namespace_wide, Direction::Egress),
        failsafe,
    }
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

/// The namespace-wide policies (default deny, exempt pods allowed) and the failsafe
/// pair (allow all), every one traced to the namespace declaration at `here`.
fn fixed_policies(here: Span) -> (Vec<Policy>, [Policy; 2]) {
    use Direction::{Egress, Ingress};
    let wide = vec![
        fixed(
            "default-deny-ingress",
            Ingress,
            Selects::NotExempt,
            Rules::None,
            here,
        ),
        fixed(
            "default-deny-egress",
            Egress,
            Selects::NotExempt,
            Rules::None,
            here,
        ),
        fixed(
            "exempt-allow-ingress",
            Ingress,
            Selects::Exempt,
            Rules::AllowAll,
            here,
        ),
        fixed(
            "exempt-allow-egress",
            Egress,
            Selects::Exempt,
            Rules::AllowAll,
            here,
        ),
    ];
    let failsafe = [
        fixed(
            "allow-all-ingress",
            Ingress,
            Selects::AllPods,
            Rules::AllowAll,
            here,
        ),
        fixed(
            "allow-all-egress",
            Egress,
            Selects::AllPods,
            Rules::AllowAll,
            here,
        ),
    ];
    (wide, failsafe)
}

/// The policy of one `isolate` item in a selected direction: it selects the pods and
/// allows nothing.
fn isolate_policy(program: &Program, isolation: &crate::ir::Isolation) -> Policy {
    let (pods, selects) = match isolation.pods {
        Endpoint::Service(id) => (program.service(id).name.as_str(), Selects::Service(id)),
        _ => ("all-pods", Selects::AllPods),
    };
    fixed(
        &names::isolate_name(isolation.direction, pods),
        isolation.direction,
        selects,
        Rules::None,
        isolation.span,
    )
}

/// One ingress policy per service of the namespace that something needs, and one for
/// `*` as a target.
fn ingress_policies(
    program: &Program,
    clients: &Clients,
    index: &Index,
    ns_id: NamespaceId,
) -> Vec<Policy> {
    let ns_index = ns_id.0 as usize;
    let rules = |needs: &[u32]| ingress_rules(program, &clients.clients, &clients.groups, needs);
    let mut ingress = Vec::new();
    for &id in index.services_of.get(ns_index) {
        let id = crate::ir::ServiceId(id);
        let needs = index.service_ingress.get(id.0 as usize);
        if needs.is_empty() {
            continue;
        }
        let service = program.service(id);
        ingress.push(Policy {
            name: names::ingress_name(&service.name),
            direction: Direction::Ingress,
            selects: Selects::Service(id),
            rules: rules(needs),
            origin: service.span,
        });
    }
    let needs = index.namespace_ingress.get(ns_index);
    if !needs.is_empty() {
        ingress.push(Policy {
            name: names::INGRESS_ALL_PODS.to_owned(),
            direction: Direction::Ingress,
            selects: Selects::AllPods,
            rules: rules(needs),
            origin: program.needs[needs[0] as usize].origin.target,
        });
    }
    ingress
}

/// The egress policies of a namespace: one per label group (named after its target),
/// one per service recognised by its selector, and one per target of `*`.
fn egress_policies(
    program: &Program,
    clients: &Clients,
    index: &Index,
    ns_id: NamespaceId,
) -> Vec<Policy> {
    let ns_index = ns_id.0 as usize;
    // Room for a policy per group and per service (the `*` targets are few): grown by
    // doubling, the vectors of all namespaces held 9 MB of spare room at 50,000
    // services.
    let mut egress = Vec::with_capacity(
        index.groups_of.get(ns_index).len() + index.services_of.get(ns_index).len(),
    );
    for &g in index.groups_of.get(ns_index) {
        let group = &clients.groups[g as usize];
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
    for &id in index.services_of.get(ns_index) {
        let id = crate::ir::ServiceId(id);
        let needs = index.service_egress.get(id.0 as usize);
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
    for (target, needs) in by_target(program, index.namespace_egress.get(ns_index)) {
        egress.push(Policy {
            name: names::egress_all_pods_to_name(&names::target_name(program, ns_id, target)),
            direction: Direction::Egress,
            selects: Selects::AllPods,
            rules: egress_rules(program, &needs),
            origin: program.needs[needs[0] as usize].origin.target,
        });
    }
    egress
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
        Endpoint::Anywhere => Peer::Anywhere,
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
                // Most rules have one peer: a vector grown by one push holds room
                // for four (7 MB of spare room at 50,000 services).
                self.rules.push(Rule {
                    peers: Vec::with_capacity(1),
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
        // Most policies have one rule: the vector grown by one push holds room for
        // four (7 MB of spare room at 50,000 services, held through the heap peak).
        let mut rules = self.rules;
        rules.shrink_to_fit();
        Rules::List(rules)
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
            Client::Anywhere => rules.add(Peer::Anywhere, &need.ports),
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
