//! A borrowed view of one planned policy that serializes as a `networking.k8s.io/v1`
//! NetworkPolicy without building the object: no selector maps are cloned and no
//! strings allocated. Keys come in the order people write them and `kubectl` shows
//! them (see docs/output.md): `apiVersion`, `kind`, `metadata` (`name`, `namespace`,
//! `labels`), `spec` (`podSelector`, `policyTypes`, then the rules); in a rule the peers
//! (`from`/`to`) before `ports`; in a peer `namespaceSelector`, `podSelector`,
//! `ipBlock`; in a port `protocol`, `port`, `endPort`. Label maps stay sorted by key.
//! The tests check the view against a k8s-openapi object built independently
//! (`tests/lower_support/objects.rs`). Never decides what a policy allows.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, SerializeStruct, Serializer};

use crate::ir::{NamespaceId, Port, PortKind, Ports, Requirement};
use crate::lower::{
    Direction, MANAGED_BY, NAMESPACE_NAME_LABEL, NamespacePlan, Peer, Plan, Policy, Rule, Rules,
    Selects,
};

/// One policy, ready to serialize.
#[derive(Clone, Copy)]
pub struct PolicyView<'a> {
    pub plan: &'a Plan,
    pub ns: &'a NamespacePlan,
    pub policy: &'a Policy,
}

impl<'a> PolicyView<'a> {
    /// The serializable view of `policy` of namespace `ns`.
    pub fn new(plan: &'a Plan, ns: &'a NamespacePlan, policy: &'a Policy) -> Self {
        PolicyView { plan, ns, policy }
    }
}

impl Serialize for PolicyView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut state = serializer.serialize_struct("NetworkPolicy", 4)?;
        state.serialize_field("apiVersion", "networking.k8s.io/v1")?;
        state.serialize_field("kind", "NetworkPolicy")?;
        state.serialize_field("metadata", &Meta(self))?;
        state.serialize_field("spec", &Spec(self))?;
        state.end()
    }
}

struct Meta<'a>(&'a PolicyView<'a>);

impl Serialize for Meta<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut state = serializer.serialize_struct("ObjectMeta", 3)?;
        state.serialize_field("name", &self.0.policy.name)?;
        state.serialize_field("namespace", &self.0.ns.name)?;
        state.serialize_field("labels", &OneLabel(MANAGED_BY.0, MANAGED_BY.1))?;
        state.end()
    }
}

/// A map with one entry.
struct OneLabel<'a>(&'a str, &'a str);

impl Serialize for OneLabel<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry(self.0, self.1)?;
        map.end()
    }
}

struct Spec<'a>(&'a PolicyView<'a>);

impl Serialize for Spec<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let view = self.0;
        let policy = view.policy;
        let mut state = serializer.serialize_struct("NetworkPolicySpec", 3)?;
        state.serialize_field(
            "podSelector",
            &PodSelector {
                plan: view.plan,
                selects: policy.selects,
            },
        )?;
        state.serialize_field("policyTypes", &[policy.direction.as_k8s()])?;
        if !matches!(policy.rules, Rules::None) {
            let field = match policy.direction {
                Direction::Ingress => "ingress",
                Direction::Egress => "egress",
            };
            state.serialize_field(field, &RulesView(view))?;
        }
        state.end()
    }
}

struct RulesView<'a>(&'a PolicyView<'a>);

impl Serialize for RulesView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let view = self.0;
        match &view.policy.rules {
            Rules::None => serializer.serialize_seq(Some(0))?.end(),
            Rules::AllowAll => {
                let mut seq = serializer.serialize_seq(Some(1))?;
                seq.serialize_element(&Empty)?;
                seq.end()
            }
            Rules::List(rules) => {
                let mut seq = serializer.serialize_seq(Some(rules.len()))?;
                for rule in rules {
                    seq.serialize_element(&RuleView { view, rule })?;
                }
                seq.end()
            }
        }
    }
}

/// `{}`: an empty rule or an empty selector.
struct Empty;

impl Serialize for Empty {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_struct("Empty", 0)?.end()
    }
}

struct RuleView<'a> {
    view: &'a PolicyView<'a>,
    rule: &'a Rule,
}

impl Serialize for RuleView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let peers = Peers {
            plan: self.view.plan,
            here: self.view.ns.namespace,
            peers: &self.rule.peers,
        };
        let mut state = serializer.serialize_struct("Rule", 2)?;
        let field = match self.view.policy.direction {
            Direction::Ingress => "from",
            Direction::Egress => "to",
        };
        // `anywhere` is every peer: the rule has no `from`/`to` at all.
        if !self.rule.peers.contains(&Peer::Anywhere) {
            state.serialize_field(field, &peers)?;
        }
        if let Ports::List(ports) = &self.rule.ports {
            state.serialize_field("ports", &PortsView(ports))?;
        }
        state.end()
    }
}

struct PortsView<'a>(&'a [Port]);

impl Serialize for PortsView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for port in self.0 {
            seq.serialize_element(&PortView(port))?;
        }
        seq.end()
    }
}

struct PortView<'a>(&'a Port);

impl Serialize for PortView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let port = self.0;
        let mut state = serializer.serialize_struct("NetworkPolicyPort", 3)?;
        state.serialize_field("protocol", port.protocol.as_k8s())?;
        match &port.kind {
            PortKind::Range { first, last } => {
                state.serialize_field("port", &i32::from(*first))?;
                if last > first {
                    state.serialize_field("endPort", &i32::from(*last))?;
                }
            }
            PortKind::Named { name, .. } => state.serialize_field("port", name)?,
        }
        state.end()
    }
}

struct Peers<'a> {
    plan: &'a Plan,
    here: NamespaceId,
    peers: &'a [Peer],
}

impl Serialize for Peers<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let program = &self.plan.program;
        let mut seq = serializer.serialize_seq(None)?;
        for peer in self.peers {
            let selector_peer = |namespace: NamespaceId, pods| SelectorPeer {
                namespace: (namespace != self.here).then(|| {
                    let ns = program.namespace(namespace);
                    match &ns.set {
                        Some(labels) => Namespaces::Labels(labels, &ns.set_requirements),
                        None => Namespaces::Named(ns.name.as_str()),
                    }
                }),
                pods,
            };
            match *peer {
                Peer::Label { label, namespace } => seq.serialize_element(&selector_peer(
                    namespace,
                    Some(PodSelector {
                        plan: self.plan,
                        selects: Selects::Label(label),
                    }),
                ))?,
                Peer::Service(id) => seq.serialize_element(&selector_peer(
                    program.service(id).namespace,
                    Some(PodSelector {
                        plan: self.plan,
                        selects: Selects::Service(id),
                    }),
                ))?,
                Peer::Namespace(ns) if ns == self.here => seq.serialize_element(&selector_peer(
                    ns,
                    Some(PodSelector {
                        plan: self.plan,
                        selects: Selects::AllPods,
                    }),
                ))?,
                Peer::Namespace(ns) => seq.serialize_element(&selector_peer(ns, None))?,
                Peer::Anywhere => {}
                Peer::External(id) => {
                    let external = program.external(id);
                    for cidr in &external.cidrs {
                        seq.serialize_element(&IpBlockPeer {
                            cidr,
                            except: &external.except,
                        })?;
                    }
                }
            }
        }
        seq.end()
    }
}

struct SelectorPeer<'a> {
    /// The namespaces to select, when they are not the policy's own.
    namespace: Option<Namespaces<'a>>,
    pods: Option<PodSelector<'a>>,
}

/// A peer's `namespaceSelector`: one namespace by its name label, or a namespace set
/// by its labels (`{}` for every namespace).
enum Namespaces<'a> {
    Named(&'a str),
    Labels(&'a crate::ir::Labels, &'a [Requirement]),
}

impl Serialize for SelectorPeer<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut state = serializer.serialize_struct("NetworkPolicyPeer", 2)?;
        match self.namespace {
            Some(Namespaces::Named(name)) => {
                state
                    .serialize_field("namespaceSelector", &MatchOne(NAMESPACE_NAME_LABEL, name))?;
            }
            Some(Namespaces::Labels(labels, requirements)) => {
                state.serialize_field("namespaceSelector", &Terms(labels, requirements))?;
            }
            None => {}
        }
        if let Some(pods) = &self.pods {
            state.serialize_field("podSelector", pods)?;
        }
        state.end()
    }
}

struct IpBlockPeer<'a> {
    cidr: &'a ipnet::IpNet,
    except: &'a [ipnet::IpNet],
}

impl Serialize for IpBlockPeer<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut state = serializer.serialize_struct("NetworkPolicyPeer", 1)?;
        state.serialize_field("ipBlock", &IpBlockView(self))?;
        state.end()
    }
}

struct IpBlockView<'a>(&'a IpBlockPeer<'a>);

impl Serialize for IpBlockView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let cidr = self.0.cidr;
        let inside: Vec<String> = self
            .0
            .except
            .iter()
            .filter(|e| cidr.contains(*e))
            .map(ToString::to_string)
            .collect();
        let mut state = serializer.serialize_struct("IPBlock", 2)?;
        state.serialize_field("cidr", &cidr.to_string())?;
        if !inside.is_empty() {
            state.serialize_field("except", &inside)?;
        }
        state.end()
    }
}

/// `{matchLabels: {key: value}}`.
struct MatchOne<'a>(&'a str, &'a str);

impl Serialize for MatchOne<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut state = serializer.serialize_struct("LabelSelector", 1)?;
        state.serialize_field("matchLabels", &OneLabel(self.0, self.1))?;
        state.end()
    }
}

struct PodSelector<'a> {
    plan: &'a Plan,
    selects: Selects,
}

impl Serialize for PodSelector<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let exempt = &self.plan.program.exempt;
        match self.selects {
            Selects::AllPods => Empty.serialize(serializer),
            Selects::NotExempt => {
                let mut state = serializer.serialize_struct("LabelSelector", 1)?;
                state.serialize_field("matchExpressions", &[NotIn(&exempt.key, &exempt.value)])?;
                state.end()
            }
            Selects::Exempt => MatchOne(&exempt.key, &exempt.value).serialize(serializer),
            Selects::Service(id) => {
                let service = self.plan.program.service(id);
                Terms(&service.selector, &service.requirements).serialize(serializer)
            }
            Selects::Label(label) => {
                MatchOne(&self.plan.labels[label as usize], "true").serialize(serializer)
            }
        }
    }
}

/// A selector of equalities and set-based terms: `matchLabels` (when there are
/// equalities), then `matchExpressions` (sorted by key), or `{}` with neither.
struct Terms<'a>(&'a crate::ir::Labels, &'a [Requirement]);

impl Serialize for Terms<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.0.is_empty() && self.1.is_empty() {
            return Empty.serialize(serializer);
        }
        let mut state = serializer.serialize_struct("LabelSelector", 2)?;
        if !self.0.is_empty() {
            state.serialize_field("matchLabels", self.0)?;
        }
        if !self.1.is_empty() {
            let list: Vec<Expression> = self.1.iter().map(Expression).collect();
            state.serialize_field("matchExpressions", &list)?;
        }
        state.end()
    }
}

/// `{key, operator, values}` (no `values` for `Exists` and `DoesNotExist`).
struct Expression<'a>(&'a Requirement);

impl Serialize for Expression<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let r = self.0;
        let mut state = serializer.serialize_struct("LabelSelectorRequirement", 3)?;
        state.serialize_field("key", &r.key)?;
        state.serialize_field("operator", r.op.as_k8s())?;
        if !r.values.is_empty() {
            state.serialize_field("values", &r.values)?;
        }
        state.end()
    }
}

/// `{key, operator: NotIn, values: [value]}`.
struct NotIn<'a>(&'a str, &'a str);

impl Serialize for NotIn<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut state = serializer.serialize_struct("LabelSelectorRequirement", 3)?;
        state.serialize_field("key", self.0)?;
        state.serialize_field("operator", "NotIn")?;
        state.serialize_field("values", &[self.1])?;
        state.end()
    }
}
