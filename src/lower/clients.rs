//! Recognising clients: for every need of a checked program, how the lowered policies
//! recognise its client (a `needs-*` label shared by a label group, its own selector,
//! all pods of a namespace, an address range), the label groups themselves with the
//! union of their ports, the labels each service's pods carry, and which ingress and
//! egress policy each need belongs to. One pass over the needs; E321 when two targets
//! of one namespace would get one client label.

use rustc_hash::FxHashMap;

use super::grants::union;
use super::names;
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::ir::{Endpoint, IdentityStyle, NamespaceId, Need, Ports, Program};

/// How the client of one need is recognised.
#[derive(Clone, Copy, Debug)]
pub(super) enum Client {
    /// By the label of a label group.
    Label(u32),
    /// By its own selector (a service in the `selectors` style, a service of an
    /// external namespace, or any service whose target is `N/*`).
    Selector(crate::ir::ServiceId),
    /// Every pod of a namespace (`*` or `N/*` as subject).
    AllPods(NamespaceId),
    /// An address range.
    External(crate::ir::ExternalId),
    /// `anywhere`: every source, at the target only.
    Anywhere,
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

/// How every need's client is recognised, the label groups, and which policy each
/// need belongs to, built in one pass over the needs.
pub(super) struct Clients {
    /// By need index.
    pub(super) clients: Vec<Client>,
    pub(super) groups: Vec<Group>,
    pub(super) group_of: FxHashMap<(NamespaceId, Endpoint), u32>,
    pub(super) label_ids: FxHashMap<String, u32>,
    pub(super) labels: Vec<String>,
    /// The group that first took a label in a namespace (E321 for a second one).
    pub(super) label_owner: FxHashMap<(NamespaceId, u32), u32>,
    /// The labels each service's pods carry, by `ServiceId`.
    pub(super) client_labels: Vec<Vec<u32>>,
    // (key, need index) pairs, grouped into buckets once every need is seen.
    pub(super) service_ingress: Vec<(u32, u32)>,
    pub(super) namespace_ingress: Vec<(u32, u32)>,
    pub(super) service_egress: Vec<(u32, u32)>,
    pub(super) namespace_egress: Vec<(u32, u32)>,
}

impl Clients {
    pub(super) fn new(program: &Program) -> Clients {
        Clients {
            clients: Vec::with_capacity(program.needs.len()),
            groups: Vec::new(),
            group_of: FxHashMap::default(),
            label_ids: FxHashMap::default(),
            labels: Vec::new(),
            label_owner: FxHashMap::default(),
            client_labels: vec![Vec::new(); program.services.len()],
            service_ingress: Vec::new(),
            namespace_ingress: Vec::new(),
            service_egress: Vec::new(),
            namespace_egress: Vec::new(),
        }
    }

    pub(super) fn add(
        &mut self,
        program: &Program,
        index: u32,
        need: &Need,
        diagnostics: &mut Diagnostics,
    ) {
        let managed = |ns: NamespaceId| program.namespace(ns).managed;
        let client = match need.subject {
            Endpoint::Namespace(ns) => Client::AllPods(ns),
            Endpoint::External(id) => Client::External(id),
            Endpoint::Anywhere => Client::Anywhere,
            Endpoint::Service(id) => {
                let ns = program.service(id).namespace;
                // Labels only where netpc labels the pods (a managed namespace); a
                // client of `N/*` is recognised by its own selector (see `Client`).
                let by_label = program.identity == IdentityStyle::Labels
                    && managed(ns)
                    && !matches!(need.target, Endpoint::Namespace(_));
                if by_label {
                    Client::Label(self.join_group(program, index, need, ns, id, diagnostics))
                } else {
                    Client::Selector(id)
                }
            }
        };
        self.clients.push(client);
        match need.target {
            Endpoint::Service(id) if managed(program.service(id).namespace) => {
                self.service_ingress.push((id.0, index));
            }
            Endpoint::Namespace(ns) if managed(ns) => self.namespace_ingress.push((ns.0, index)),
            _ => {}
        }
        match client {
            Client::Selector(id) if managed(program.service(id).namespace) => {
                self.service_egress.push((id.0, index));
            }
            Client::AllPods(ns) if managed(ns) => self.namespace_egress.push((ns.0, index)),
            _ => {}
        }
    }

    /// The label group of clients in `ns` reaching `need.target`, created on first
    /// use; the service `id` carries its label, and the group's ports grow to cover
    /// the need's.
    fn join_group(
        &mut self,
        program: &Program,
        index: u32,
        need: &Need,
        ns: NamespaceId,
        id: crate::ir::ServiceId,
        diagnostics: &mut Diagnostics,
    ) -> u32 {
        let key = (ns, need.target);
        let group = match self.group_of.get(&key) {
            Some(&g) => g,
            None => self.new_group(program, need, ns, diagnostics),
        };
        let entry = &mut self.groups[group as usize];
        if entry.ports != need.ports {
            entry.ports = union(&entry.ports, &need.ports);
        }
        entry.needs.push(index);
        let carried = &mut self.client_labels[id.0 as usize];
        if !carried.contains(&entry.label) {
            carried.push(entry.label);
        }
        group
    }

    fn new_group(
        &mut self,
        program: &Program,
        need: &Need,
        ns: NamespaceId,
        diagnostics: &mut Diagnostics,
    ) -> u32 {
        let g = self.groups.len() as u32;
        let target_name = names::target_name(program, ns, need.target);
        let key_text = names::client_label(&target_name);
        // Labels are shared across namespaces (one label per target name), so two
        // targets whose names shorten alike collide only within one namespace.
        let label = match self.label_ids.get(&key_text) {
            Some(&l) => l,
            None => {
                let l = self.labels.len() as u32;
                self.label_ids.insert(key_text.clone(), l);
                self.labels.push(key_text);
                l
            }
        };
        if let Some(&other) = self.label_owner.get(&(ns, label)) {
            diagnostics.push(label_collision(
                program,
                &self.labels[label as usize],
                need,
                &self.groups[other as usize],
            ));
        } else {
            self.label_owner.insert((ns, label), g);
        }
        self.groups.push(Group {
            namespace: ns,
            target: need.target,
            target_name,
            label,
            ports: need.ports.clone(),
            needs: Vec::new(),
        });
        self.group_of.insert((ns, need.target), g);
        g
    }
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
