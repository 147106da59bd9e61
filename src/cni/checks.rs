//! The checks of a checked program against a network-plugin profile: the program's
//! `cni` setting (E500, E501), what the plugin would drop or ignore (E502–E505), how
//! its `ipBlock` reads the cluster's own addresses (W500, W501), features with gaps
//! (W502–W504), and the one rewrite: a small port range on a plugin without `endPort`
//! becomes single ports (W505). Runs between resolution and lowering, over the IR.

use ipnet::IpNet;
use rustc_hash::FxHashSet;

use super::{Failure, Feature, IpBlockRule, ParseError, Profile, parse};
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::ir::{CniSetting, Endpoint, External, Need, Port, PortKind, Ports, Program, Protocol};
use crate::source::Span;

/// A port range of at most this many ports is expanded into single ports on a plugin
/// that ignores `endPort` (docs/cni.md, docs/limits.md); a wider one is E505.
pub const MAX_EXPANDED_PORTS: u32 = 16;

/// Where the pod network is assumed to be when the program declares none: the private
/// address ranges pods are given (RFC 1918, RFC 4193). Shared space (100.64.0.0/10),
/// used for pods by some clusters, is not assumed: declare the pod network there.
const ASSUMED_PODS: [&str; 4] = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"];

/// Choose the profile (`flag`, `--cni`, wins over the program's `cni`), report what the
/// plugin would drop or ignore, and rewrite the port ranges it cannot express. Returns
/// the profile used, if any.
pub fn apply(
    program: &mut Program,
    flag: Option<Profile>,
    diagnostics: &mut Diagnostics,
) -> Option<Profile> {
    let written = program
        .cni
        .as_ref()
        .and_then(|setting| match parse(&setting.text) {
            Ok(profile) => Some(profile),
            Err(err) => {
                diagnostics.push(setting_error(setting, &err));
                None
            }
        });
    let profile = flag.or(written)?;
    let checker = Checker {
        program,
        profile,
        via: if flag.is_some() { " (--cni)" } else { "" },
    };
    checker.nothing_enforced(diagnostics);
    checker.needs(diagnostics);
    checker.externals(diagnostics);
    expand_ranges(program, profile, diagnostics);
    Some(profile)
}

/// W404 (a service selects hostNetwork pods, from `--workloads`) with the profile's
/// source for it: the plugin does not isolate those pods.
pub fn annotate_host_network(diagnostics: Diagnostics, profile: Profile) -> Diagnostics {
    let mut out = Diagnostics::new();
    for d in diagnostics.into_vec() {
        out.push(if d.code == Code::HostNetworkSelected {
            d.with_note(format!(
                "{} does not isolate hostNetwork pods: {}",
                profile.display(),
                profile.plugin.host_network_source
            ))
        } else {
            d
        });
    }
    out
}

/// E500 / E501 for a `cni` setting that names no profile.
fn setting_error(setting: &CniSetting, err: &ParseError) -> Diagnostic {
    let (code, label) = if err.unknown_name {
        (Code::UnknownCni, "unknown network plugin")
    } else {
        (Code::UnsupportedCniVersion, "no profile for this version")
    };
    Diagnostic::new(code, err.message.clone(), setting.span, label).with_help(err.help.clone())
}

struct Checker<'p> {
    program: &'p Program,
    profile: Profile,
    /// ` (--cni)` when the flag chose the profile, for messages.
    via: &'static str,
}

impl Checker<'_> {
    /// `calico@3.29.0` (or `calico@3.29.0 (--cni)`), as messages name the profile.
    fn name(&self) -> String {
        format!("{}{}", self.profile.display(), self.via)
    }

    /// Where a diagnostic about the whole program points: the `cni` setting, else the
    /// first managed namespace.
    fn program_span(&self) -> Option<Span> {
        self.program.cni.as_ref().map(|c| c.span).or_else(|| {
            self.program
                .namespaces
                .iter()
                .filter(|n| n.managed)
                .map(|n| n.span)
                .min()
        })
    }

    /// E502: a plugin that enforces no policy, and a program that writes some.
    fn nothing_enforced(&self, diagnostics: &mut Diagnostics) {
        let Some(entry) = self.profile.gap(Feature::Policies) else {
            return;
        };
        let managed = self.program.namespaces.iter().any(|n| n.managed);
        let (true, Some(span)) = (managed, self.program_span()) else {
            return;
        };
        diagnostics.push(
            Diagnostic::new(
                Code::PluginEnforcesNothing,
                format!("{} enforces no NetworkPolicy: every policy of this program would be accepted and ignored", self.name()),
                span,
                "no policy would be enforced",
            )
            .with_note(entry.note)
            .with_help(format!(
                "{}; source: {}",
                entry.since.map_or_else(
                    || "use a plugin that enforces NetworkPolicy (Canal is flannel with Calico's policy engine)".to_owned(),
                    |v| format!("upgrade to {v} or newer, or use a plugin that enforces NetworkPolicy")
                ),
                entry.source
            )),
        );
    }

    /// The features each need puts into a policy, checked against the profile.
    fn needs(&self, diagnostics: &mut Diagnostics) {
        let mut reported: FxHashSet<(Span, Feature)> = FxHashSet::default();
        for need in self
            .program
            .needs
            .iter()
            .filter(|n| writes_policy(self.program, n))
        {
            for feature in port_features(&need.ports) {
                let Some(entry) = self.profile.gap(feature) else {
                    continue;
                };
                // A range the plugin ignores is expanded (W505) or refused (E505) later.
                if feature == Feature::EndPort && entry.failure == Failure::FieldIgnored {
                    continue;
                }
                if reported.insert((need.origin.target, feature)) {
                    let d = self.gap_diagnostic(feature, need.origin.target, "used here");
                    diagnostics.push(with_use(d, need));
                }
            }
            for end in [need.subject, need.target] {
                let Endpoint::External(id) = end else {
                    continue;
                };
                let external = self.program.external(id);
                for feature in external_features(external) {
                    if self.profile.gap(feature).is_some()
                        && reported.insert((external.span, feature))
                    {
                        let d = self
                            .gap_diagnostic(feature, external.span, "declared here")
                            .with_secondary(need.origin.statement, "puts it in a policy here");
                        diagnostics.push(d);
                    }
                }
            }
        }
    }

    /// The diagnostic for `feature`, which this profile does not fully support.
    fn gap_diagnostic(&self, feature: Feature, span: Span, label: &str) -> Diagnostic {
        let Some(entry) = self.profile.gap(feature) else {
            unreachable!("called only for a feature with a gap");
        };
        let since = entry
            .since
            .map(|v| format!(" (supported from {v})"))
            .unwrap_or_default();
        let (code, message) = match entry.failure {
            Failure::PolicyDropped => (
                Code::PolicyDroppedByPlugin,
                format!(
                    "{} drops every policy that uses {}{since}: the pods it selects would not be isolated by it",
                    self.name(),
                    feature.name()
                ),
            ),
            Failure::FieldIgnored | Failure::NotEnforced => (
                Code::FieldIgnoredByPlugin,
                format!(
                    "{} ignores {}{since}: the policy would allow more than written",
                    self.name(),
                    feature.name()
                ),
            ),
            Failure::NeedsFlag(flag) => (
                Code::FeatureNeedsFlag,
                format!(
                    "{} enforces {} only with its flag `{flag}`",
                    self.name(),
                    feature.name()
                ),
            ),
            Failure::Partial => (
                Code::FeaturePartial,
                format!(
                    "{} has known gaps with {}{since}",
                    self.name(),
                    feature.name()
                ),
            ),
            Failure::Unverified => (
                Code::FeatureUnverified,
                format!(
                    "no source says whether {} enforces {}",
                    self.name(),
                    feature.name()
                ),
            ),
        };
        Diagnostic::new(code, message, span, format!("{} {label}", feature.name()))
            .with_note(entry.note)
            .with_help(format!("{}; source: {}", fix(feature), entry.source))
    }

    /// W500 / W501: externals against the cluster's own networks, per `ipBlock` rule.
    fn externals(&self, diagnostics: &mut Diagnostics) {
        let used: FxHashSet<crate::ir::ExternalId> = self
            .program
            .needs
            .iter()
            .filter(|n| writes_policy(self.program, n))
            .flat_map(|n| [n.subject, n.target])
            .filter_map(|e| match e {
                Endpoint::External(id) => Some(id),
                _ => None,
            })
            .collect();
        let mut used: Vec<_> = used.into_iter().collect();
        used.sort();
        for id in used {
            let external = self.program.external(id);
            let found = match self.profile.ipblock() {
                IpBlockRule::MatchesPods => self.matches_pods(external, false),
                IpBlockRule::Unknown if !self.program.cluster.pods.is_empty() => {
                    self.matches_pods(external, true)
                }
                IpBlockRule::Unknown => None,
                IpBlockRule::NeverPods => self.misses_cluster(external),
            };
            diagnostics.extend_one(found);
        }
    }

    /// W500: an external that covers pod IPs where an ipBlock matches them.
    fn matches_pods(&self, external: &External, unknown: bool) -> Option<Diagnostic> {
        let declared = !self.program.cluster.pods.is_empty();
        let pods: Vec<IpNet> = if declared {
            self.program.cluster.pods.clone()
        } else {
            ASSUMED_PODS.iter().filter_map(|c| c.parse().ok()).collect()
        };
        let hits: Vec<IpNet> = pods
            .into_iter()
            .filter(|p| covers_part(external, p))
            .collect();
        if hits.is_empty() {
            return None;
        }
        let list = join(&hits);
        let name = &external.name;
        let (message, help) = if declared {
            let help = if external
                .cidrs
                .iter()
                .all(|c| hits.iter().any(|h| h.contains(c)))
            {
                format!(
                    "`{name}` lies in the pod network itself: reach those pods through their services instead"
                )
            } else {
                format!(
                    "add `except {list}` (the pod network) to `{name}`, or declare the need on the pods' services"
                )
            };
            (
                format!(
                    "`{name}` covers the pod network {list}, and on {} an ipBlock matches pod IPs: every pod there is reached or admitted as if it were `{name}`",
                    self.name()
                ),
                help,
            )
        } else {
            (
                format!(
                    "`{name}` covers private ranges ({list}) where pods usually live, and on {} an ipBlock matches pod IPs: pods there would be reached or admitted as if they were `{name}`",
                    self.name()
                ),
                format!(
                    "declare the pod network (`cluster {{ pods 10.244.0.0/16; }}`) and except it from `{name}`"
                ),
            )
        };
        let message = if unknown {
            message.replace(
                " an ipBlock matches pod IPs:",
                " an ipBlock may match pod IPs (no source says):",
            )
        } else {
            message
        };
        Some(
            Diagnostic::new(
                Code::IpBlockMatchesPods,
                message,
                external.span,
                "covers pod IPs",
            )
            .with_help(format!(
                "{help}; source: {}",
                self.profile.plugin.ipblock_source
            )),
        )
    }

    /// W501: an external inside the declared pod or node network where an ipBlock
    /// never matches those addresses (the Cilium family).
    fn misses_cluster(&self, external: &External) -> Option<Diagnostic> {
        let cluster = &self.program.cluster;
        let kinds = [
            ("pod network", &cluster.pods[..]),
            ("node network", &cluster.nodes[..]),
        ];
        let (kind, net) = kinds.iter().find_map(|(kind, nets)| {
            nets.iter()
                .find(|n| external.cidrs.iter().all(|c| n.contains(c)))
                .map(|n| (*kind, *n))
        })?;
        Some(
            Diagnostic::new(
                Code::IpBlockMissesCluster,
                format!("`{}` lies in the {kind} {net}, and on {} an ipBlock never matches pod or node addresses: this need would allow nothing", external.name, self.name()),
                external.span,
                "never matched",
            )
            .with_note("the API server on node addresses needs Cilium's `policy-cidr-match-mode: nodes` (1.15+) or a CiliumNetworkPolicy with `toEntities: [kube-apiserver]`, which NetworkPolicy v1 cannot express; see docs/cni.md")
            .with_help(format!("reach pods through their services; for nodes, enable the node CIDR mode; source: {}", self.profile.plugin.ipblock_source)),
        )
    }
}

/// The port features of one need's ports.
fn port_features(ports: &Ports) -> Vec<Feature> {
    let Ports::List(list) = ports else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for port in list {
        match port.kind {
            PortKind::Named { .. } => out.push(Feature::NamedPorts),
            PortKind::Range { first, last } if first < last => out.push(Feature::EndPort),
            PortKind::Range { .. } => {}
        }
        if port.protocol == Protocol::Sctp {
            out.push(Feature::Sctp);
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The ipBlock features of an external.
fn external_features(external: &External) -> Vec<Feature> {
    let mut out = Vec::new();
    if !external.except.is_empty() {
        out.push(Feature::Except);
    }
    if external.cidrs.iter().any(|c| matches!(c, IpNet::V6(_))) {
        out.push(Feature::Ipv6IpBlock);
    }
    out
}

/// How to avoid the feature, for the help line.
fn fix(feature: Feature) -> &'static str {
    match feature {
        Feature::Policies => "use a plugin that enforces NetworkPolicy",
        Feature::NamedPorts => {
            "write the port number instead of its name (`db:9100`, and `port 9100` in the service)"
        }
        Feature::Except => "split the external into ranges without `except`",
        Feature::EndPort => "list the ports one by one",
        Feature::Sctp => "leave SCTP out of the program, or enable it in the plugin",
        Feature::Ipv6IpBlock => "leave the IPv6 ranges out of this external",
    }
}

/// Whether a policy is written for `need`: one of its ends is in a managed namespace.
fn writes_policy(program: &Program, need: &Need) -> bool {
    [need.subject, need.target].into_iter().any(|e| {
        program
            .endpoint_namespace(e)
            .is_some_and(|ns| program.namespace(ns).managed)
    })
}

/// A diagnostic about a module's need also points at the `use` that brought it.
fn with_use(d: Diagnostic, need: &Need) -> Diagnostic {
    with_use_at(d, need.origin.via_use)
}

fn with_use_at(d: Diagnostic, via_use: Option<Span>) -> Diagnostic {
    match via_use {
        Some(span) => d.with_secondary(span, "the module's need applies here"),
        None => d,
    }
}

/// Whether some address of `net` is in `external` (a range, not excepted).
fn covers_part(external: &External, net: &IpNet) -> bool {
    external.cidrs.iter().any(|c| {
        let overlap = if c.contains(net) {
            *net
        } else if net.contains(c) {
            *c
        } else {
            return false;
        };
        !external.except.iter().any(|e| e.contains(&overlap))
    })
}

fn join(nets: &[IpNet]) -> String {
    nets.iter()
        .map(IpNet::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// W505 / E505: on a plugin that ignores `endPort`, a range of at most
/// [`MAX_EXPANDED_PORTS`] ports becomes single ports; a wider one is an error.
fn expand_ranges(program: &mut Program, profile: Profile, diagnostics: &mut Diagnostics) {
    let Some(entry) = profile.gap(Feature::EndPort) else {
        return;
    };
    if entry.failure != Failure::FieldIgnored {
        return;
    }
    let mut reported: FxHashSet<Span> = FxHashSet::default();
    let writes: Vec<bool> = program
        .needs
        .iter()
        .map(|n| writes_policy(program, n))
        .collect();
    for (need, writes) in program.needs.iter_mut().zip(writes) {
        let (target, via_use) = (need.origin.target, need.origin.via_use);
        let Ports::List(list) = &mut need.ports else {
            continue;
        };
        if !writes {
            continue;
        }
        let mut out: Vec<Port> = Vec::with_capacity(list.len());
        let mut expanded = Vec::new();
        for port in list.drain(..) {
            match port.kind {
                PortKind::Range { first, last } if first < last => {
                    let count = u32::from(last) - u32::from(first) + 1;
                    if count > MAX_EXPANDED_PORTS {
                        if reported.insert(target) {
                            let d = Diagnostic::new(Code::PortRangeTooWide, format!("{} ignores endPort ({}), and the range {first}-{last} has {count} ports, more than the {MAX_EXPANDED_PORTS} netpc writes one by one", profile.display(), since(entry)), target, "range too wide")
                                .with_note(entry.note)
                                .with_help(format!("narrow the range to at most {MAX_EXPANDED_PORTS} ports, or upgrade the plugin; source: {}", entry.source));
                            diagnostics.push(with_use_at(d, via_use));
                        }
                        out.push(port);
                        continue;
                    }
                    expanded.push(format!("{first}-{last}"));
                    out.extend((first..=last).map(|p| Port {
                        protocol: port.protocol,
                        kind: PortKind::Range { first: p, last: p },
                    }));
                }
                _ => out.push(port),
            }
        }
        out.sort();
        out.dedup();
        *list = out;
        if !expanded.is_empty() && reported.insert(target) {
            let d = Diagnostic::new(Code::PortRangeExpanded, format!("{} ignores endPort ({}): the range {} is written as single ports", profile.display(), since(entry), expanded.join(", ")), target, "expanded into single ports")
                .with_note(format!("{}; ranges of at most {MAX_EXPANDED_PORTS} ports are expanded, a wider one is an error (E505)", entry.note))
                .with_help(format!("upgrade the plugin to keep the range; source: {}", entry.source));
            diagnostics.push(with_use_at(d, via_use));
        }
    }
}

/// `supported from 1.16.0` or `no version supports it`.
fn since(entry: &super::Entry) -> String {
    entry.since.map_or_else(
        || "no version supports it".to_owned(),
        |v| format!("supported from {v}"),
    )
}

trait ExtendOne {
    fn extend_one(&mut self, d: Option<Diagnostic>);
}

impl ExtendOne for Diagnostics {
    fn extend_one(&mut self, d: Option<Diagnostic>) {
        if let Some(d) = d {
            self.push(d);
        }
    }
}
