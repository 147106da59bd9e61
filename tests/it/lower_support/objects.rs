//! The reference object for lowering tests: one k8s-openapi `NetworkPolicy` built from
//! a planned `Policy`, written independently of `emit`'s serializing view, so the tests
//! can check that the emitted YAML reads back as this object. It spells the plan in
//! Kubernetes terms (namespaceSelector and podSelector in ONE peer, ipBlock per CIDR
//! with the `except` entries inside it, explicit protocols, `endPort` for ranges, named
//! ports by name).

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::{
    IPBlock, NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer,
    NetworkPolicyPort, NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
    LabelSelector, LabelSelectorRequirement, ObjectMeta,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use netpc::ir::{NamespaceId, PortKind, Ports};
use netpc::lower::{
    Direction, MANAGED_BY, NAMESPACE_NAME_LABEL, NamespacePlan, Peer, Plan, Policy, Rule, Rules,
    Selects,
};

fn match_labels(key: &str, value: &str) -> LabelSelector {
    LabelSelector {
        match_labels: Some(BTreeMap::from([(key.to_owned(), value.to_owned())])),
        match_expressions: None,
    }
}

fn match_map(map: &BTreeMap<String, String>) -> LabelSelector {
    match_terms(map, &[])
}

fn match_terms(
    map: &BTreeMap<String, String>,
    requirements: &[netpc::ir::Requirement],
) -> LabelSelector {
    let expressions: Vec<LabelSelectorRequirement> = requirements
        .iter()
        .map(|r| LabelSelectorRequirement {
            key: r.key.clone(),
            operator: r.op.as_k8s().to_owned(),
            values: (!r.values.is_empty()).then(|| r.values.clone()),
        })
        .collect();
    LabelSelector {
        match_labels: (!map.is_empty()).then(|| map.clone()),
        match_expressions: (!expressions.is_empty()).then_some(expressions),
    }
}

/// The Kubernetes object of a planned policy.
pub trait ReferenceObject {
    /// The Kubernetes object for `policy` of namespace `ns`.
    fn object(&self, ns: &NamespacePlan, policy: &Policy) -> NetworkPolicy;
}

impl ReferenceObject for Plan {
    fn object(&self, ns: &NamespacePlan, policy: &Policy) -> NetworkPolicy {
        Parts(self).object(ns, policy)
    }
}

struct Parts<'a>(&'a Plan);

impl Parts<'_> {
    fn object(&self, ns: &NamespacePlan, policy: &Policy) -> NetworkPolicy {
        let mut spec = NetworkPolicySpec {
            pod_selector: Some(self.pod_selector(policy.selects)),
            policy_types: Some(vec![policy.direction.as_k8s().to_owned()]),
            ingress: None,
            egress: None,
        };
        match policy.direction {
            Direction::Ingress => {
                spec.ingress = match &policy.rules {
                    Rules::None => None,
                    Rules::AllowAll => Some(vec![NetworkPolicyIngressRule::default()]),
                    Rules::List(rules) => Some(
                        rules
                            .iter()
                            .map(|rule| {
                                let (peers, ports) = self.rule_parts(ns.namespace, rule);
                                NetworkPolicyIngressRule { from: peers, ports }
                            })
                            .collect(),
                    ),
                };
            }
            Direction::Egress => {
                spec.egress = match &policy.rules {
                    Rules::None => None,
                    Rules::AllowAll => Some(vec![NetworkPolicyEgressRule::default()]),
                    Rules::List(rules) => Some(
                        rules
                            .iter()
                            .map(|rule| {
                                let (peers, ports) = self.rule_parts(ns.namespace, rule);
                                NetworkPolicyEgressRule { to: peers, ports }
                            })
                            .collect(),
                    ),
                };
            }
        }
        NetworkPolicy {
            metadata: ObjectMeta {
                name: Some(policy.name.clone()),
                namespace: Some(ns.name.clone()),
                labels: Some(BTreeMap::from([(
                    MANAGED_BY.0.to_owned(),
                    MANAGED_BY.1.to_owned(),
                )])),
                ..ObjectMeta::default()
            },
            spec: Some(spec),
        }
    }

    fn pod_selector(&self, selects: Selects) -> LabelSelector {
        let exempt = &self.0.program.exempt;
        match selects {
            Selects::AllPods => LabelSelector::default(),
            Selects::NotExempt => LabelSelector {
                match_labels: None,
                match_expressions: Some(vec![LabelSelectorRequirement {
                    key: exempt.key.clone(),
                    operator: "NotIn".to_owned(),
                    values: Some(vec![exempt.value.clone()]),
                }]),
            },
            Selects::Exempt => match_labels(&exempt.key, &exempt.value),
            Selects::Service(id) => {
                let service = self.0.program.service(id);
                match_terms(&service.selector.to_map(), &service.requirements)
            }
            Selects::Label(label) => match_labels(&self.0.labels[label as usize], "true"),
        }
    }

    fn rule_parts(
        &self,
        here: NamespaceId,
        rule: &Rule,
    ) -> (
        Option<Vec<NetworkPolicyPeer>>,
        Option<Vec<NetworkPolicyPort>>,
    ) {
        // `anywhere` covers every peer: the rule is written without `from`/`to`.
        if rule.peers.contains(&Peer::Anywhere) {
            return (None, ports(&rule.ports));
        }
        let mut peers = Vec::with_capacity(rule.peers.len());
        for peer in &rule.peers {
            self.push_peer(here, *peer, &mut peers);
        }
        (Some(peers), ports(&rule.ports))
    }

    fn namespace_selector(&self, here: NamespaceId, of: NamespaceId) -> Option<LabelSelector> {
        let ns = self.0.program.namespace(of);
        (here != of).then(|| match &ns.set {
            Some(labels) => match_terms(&labels.to_map(), &ns.set_requirements),
            None => match_labels(NAMESPACE_NAME_LABEL, &ns.name),
        })
    }

    fn push_peer(&self, here: NamespaceId, peer: Peer, out: &mut Vec<NetworkPolicyPeer>) {
        match peer {
            Peer::Label { label, namespace } => out.push(NetworkPolicyPeer {
                pod_selector: Some(match_labels(&self.0.labels[label as usize], "true")),
                namespace_selector: self.namespace_selector(here, namespace),
                ip_block: None,
            }),
            Peer::Service(id) => {
                let service = self.0.program.service(id);
                out.push(NetworkPolicyPeer {
                    pod_selector: Some(match_terms(
                        &service.selector.to_map(),
                        &service.requirements,
                    )),
                    namespace_selector: self.namespace_selector(here, service.namespace),
                    ip_block: None,
                });
            }
            Peer::Namespace(ns) if ns == here => out.push(NetworkPolicyPeer {
                pod_selector: Some(LabelSelector::default()),
                namespace_selector: None,
                ip_block: None,
            }),
            Peer::Namespace(ns) => out.push(NetworkPolicyPeer {
                pod_selector: None,
                namespace_selector: self.namespace_selector(here, ns),
                ip_block: None,
            }),
            Peer::Anywhere => {}
            Peer::External(id) => {
                let external = self.0.program.external(id);
                for cidr in &external.cidrs {
                    let except: Vec<String> = external
                        .except
                        .iter()
                        .filter(|e| cidr.contains(*e))
                        .map(ToString::to_string)
                        .collect();
                    out.push(NetworkPolicyPeer {
                        pod_selector: None,
                        namespace_selector: None,
                        ip_block: Some(IPBlock {
                            cidr: cidr.to_string(),
                            except: (!except.is_empty()).then_some(except),
                        }),
                    });
                }
            }
        }
    }
}

/// `None` (every port and protocol) for `Ports::Any`; else one entry per port.
fn ports(ports: &Ports) -> Option<Vec<NetworkPolicyPort>> {
    match ports {
        Ports::Any => None,
        Ports::List(list) => Some(
            list.iter()
                .map(|p| {
                    let (port, end_port) = match &p.kind {
                        PortKind::Range { first, last } => (
                            IntOrString::Int(i32::from(*first)),
                            (last > first).then_some(i32::from(*last)),
                        ),
                        PortKind::Named { name, .. } => (IntOrString::String(name.clone()), None),
                    };
                    NetworkPolicyPort {
                        protocol: Some(p.protocol.as_k8s().to_owned()),
                        port: Some(port),
                        end_port,
                    }
                })
                .collect(),
        ),
    }
}
