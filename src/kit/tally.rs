//! `netpc probe report`: the client Jobs' JSON lines compared with the kit's probes.
//! An allow that did not connect names the `needs` lines that declared it; a deny that
//! connected names the policies that should have stopped it (those selecting the server
//! for ingress, or the client for egress, in the blocking direction); a deny whose
//! paired allow failed too proves nothing and is "inconclusive". When every expected
//! deny connected, the report says the plugin is not enforcing NetworkPolicy. Pure.

use std::collections::{BTreeMap, HashMap};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde_json::{Value, json};

use super::{Expect, KitPod, Probe, Reason, display, mirror};
use crate::ir::Protocol;
use crate::output::Folder;
use crate::source::Sources;
use crate::verify::{Expectation, Point};

/// One observed probe.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observed {
    pub connected: bool,
    pub error: Option<String>,
}

/// Why a probe did not match.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Expected to connect, did not.
    FailedAllow,
    /// Expected to be denied, connected.
    LeakedDeny,
    /// Denied, but its paired allow failed too: proves nothing.
    Inconclusive,
    /// No result line for it.
    Missing,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::FailedAllow => "failed-allow",
            Kind::LeakedDeny => "leaked-deny",
            Kind::Inconclusive => "inconclusive",
            Kind::Missing => "missing",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Mismatch {
    pub kind: Kind,
    pub probe: usize,
    pub error: Option<String>,
}

/// The comparison of results with a kit's probes.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    pub probes: usize,
    pub results: usize,
    pub mismatches: Vec<Mismatch>,
    /// Result lines for no probe of the kit (the kit was built from another program).
    pub unknown: Vec<String>,
    /// Every deny with a result connected (and there was at least one).
    pub not_enforcing: bool,
}

impl Tally {
    pub fn matches(&self) -> bool {
        self.mismatches.is_empty() && self.unknown.is_empty() && self.probes > 0
    }
}

/// Read result lines: a JSON object anywhere on a line (after a `kubectl logs
/// --prefix`, say); other lines are ignored. The last line for a probe wins.
pub fn parse(text: &str) -> Vec<(String, String, u16, String, Observed)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let Some(start) = line.find('{') else {
            continue;
        };
        let Ok(value) = serde_json::from_str::<Value>(&line[start..]) else {
            continue;
        };
        let field = |k: &str| value.get(k).and_then(Value::as_str).map(str::to_owned);
        let (Some(from), Some(to), Some(protocol)) =
            (field("from"), field("to"), field("protocol"))
        else {
            continue;
        };
        let Some(port) = value
            .get("port")
            .and_then(Value::as_u64)
            .and_then(|p| u16::try_from(p).ok())
        else {
            continue;
        };
        let Some(connected) = value.get("connected").and_then(Value::as_bool) else {
            continue;
        };
        out.push((
            from,
            to,
            port,
            protocol,
            Observed {
                connected,
                error: field("error"),
            },
        ));
    }
    out
}

/// Compare results (already parsed) with the probes.
pub fn tally(
    model: &Expectation<'_>,
    probes: &[Probe],
    results: &[(String, String, u16, String, Observed)],
) -> Tally {
    let mut index: HashMap<(String, String, u16, &str), usize> = HashMap::new();
    for (i, probe) in probes.iter().enumerate() {
        let key = (
            display(model, probe.from),
            display(model, probe.to),
            probe.port,
            probe.protocol.as_k8s(),
        );
        index.insert(key, i);
    }
    let mut seen: BTreeMap<usize, &Observed> = BTreeMap::new();
    let mut unknown = Vec::new();
    for (from, to, port, protocol, observed) in results {
        match index.get(&(from.clone(), to.clone(), *port, protocol.as_str())) {
            Some(&i) => {
                seen.insert(i, observed);
            }
            None => unknown.push(format!("{from} → {to} {port}/{protocol}")),
        }
    }
    let mut mismatches = Vec::new();
    let (mut denies, mut leaked) = (0, 0);
    for (i, probe) in probes.iter().enumerate() {
        let Some(observed) = seen.get(&i) else {
            mismatches.push(Mismatch {
                kind: Kind::Missing,
                probe: i,
                error: None,
            });
            continue;
        };
        let kind = match (probe.expect, observed.connected) {
            (Expect::Allow, true) => None,
            (Expect::Allow, false) => Some(Kind::FailedAllow),
            (Expect::Deny, connected) => {
                denies += 1;
                let pair_ok = probe
                    .pair
                    .and_then(|p| seen.get(&p))
                    .is_some_and(|o| o.connected);
                match connected {
                    true => {
                        leaked += 1;
                        Some(Kind::LeakedDeny)
                    }
                    false if !pair_ok => Some(Kind::Inconclusive),
                    false => None,
                }
            }
        };
        if let Some(kind) = kind {
            mismatches.push(Mismatch {
                kind,
                probe: i,
                error: observed.error.clone(),
            });
        }
    }
    Tally {
        probes: probes.len(),
        results: results.len(),
        mismatches,
        unknown,
        not_enforcing: denies > 0 && leaked == denies,
    }
}

/// The sentence said when no deny held.
pub const NOT_ENFORCING: &str = "every probe expected to be denied connected: the network plugin is not enforcing NetworkPolicy (flannel never does, kindnet only from kind 0.24; use a plugin that does, such as Calico, Cilium or kube-router)";

/// What a mismatch is about, in words: the `needs` lines behind a failed allow, the
/// policies that should have denied a leak.
pub struct Context<'a> {
    pub model: &'a Expectation<'a>,
    pub sources: &'a Sources,
    pub folder: &'a Folder,
}

impl Context<'_> {
    fn needs(&self, probe: &Probe) -> Vec<(String, String)> {
        let Reason::Declared(needs) = &probe.reason else {
            return Vec::new();
        };
        needs
            .iter()
            .map(|&n| {
                let span = self.model.program().needs[n].origin.statement;
                (
                    crate::verify::report::location(self.sources, span),
                    snippet(self.sources, span),
                )
            })
            .collect()
    }

    /// Where the connection should have been stopped: for each restricted end, the
    /// direction and the policies (as `namespace/name`) that isolate it there.
    fn deniers(&self, probe: &Probe) -> Vec<(String, &'static str, Vec<String>)> {
        let program = self.model.program();
        let mut out = Vec::new();
        for (pod, direction) in [(probe.to, "Ingress"), (probe.from, "Egress")] {
            let KitPod::Program(point @ Point::Pod { namespace, .. }) = pod else {
                continue;
            };
            if !self.model.restricted(point) {
                continue;
            }
            let ns = &program.namespace(namespace).name;
            let labels = mirror::identity(program, &self.folder.contract, pod);
            let mut names = Vec::new();
            for (policy, _) in &self.folder.policies {
                let spec = policy.spec.as_ref();
                let types = spec.and_then(|s| s.policy_types.as_ref());
                if policy.metadata.namespace.as_deref() == Some(ns.as_str())
                    && types.is_some_and(|t| t.iter().any(|t| t == direction))
                    && spec
                        .and_then(|s| s.pod_selector.as_ref())
                        .is_none_or(|s| selects(s, &labels))
                {
                    names.push(format!(
                        "{ns}/{}",
                        policy.metadata.name.as_deref().unwrap_or("")
                    ));
                }
            }
            out.push((display(self.model, pod), direction, names));
        }
        out
    }

    /// `shop/db is isolated for ingress by shop/default-deny-ingress, ...`.
    fn deniers_text(&self, probe: &Probe) -> String {
        let sides: Vec<String> = self
            .deniers(probe)
            .into_iter()
            .map(|(pod, direction, names)| {
                let by = if names.is_empty() {
                    "no policy (its namespace's default deny is missing)".to_owned()
                } else {
                    names.join(", ")
                };
                format!(
                    "{pod} is isolated for {} by {by}",
                    direction.to_ascii_lowercase()
                )
            })
            .collect();
        format!("{}, and none of them admits it", sides.join("; "))
    }

    fn line(&self, probe: &Probe) -> String {
        format!(
            "{} → {} {}/{}",
            display(self.model, probe.from),
            display(self.model, probe.to),
            probe.port,
            probe.protocol.as_k8s()
        )
    }
}

/// Whether a label selector selects a pod with these labels.
fn selects(selector: &LabelSelector, labels: &BTreeMap<String, String>) -> bool {
    let plain = selector
        .match_labels
        .iter()
        .flatten()
        .all(|(k, v)| labels.get(k) == Some(v));
    plain
        && selector.match_expressions.iter().flatten().all(|e| {
            let values = e.values.as_deref().unwrap_or(&[]);
            let value = labels.get(&e.key);
            match e.operator.as_str() {
                "In" => value.is_some_and(|v| values.contains(v)),
                "NotIn" => value.is_none_or(|v| !values.contains(v)),
                "Exists" => value.is_some(),
                "DoesNotExist" => value.is_none(),
                _ => false,
            }
        })
}

/// The text of a span on one line, whitespace collapsed.
fn snippet(sources: &Sources, span: crate::source::Span) -> String {
    let text = sources
        .try_get(span.file)
        .and_then(|f| f.text.get(span.range()))
        .unwrap_or("");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The report as text: one line per mismatch (with its context), then a summary.
pub fn render(tally: &Tally, probes: &[Probe], context: &Context<'_>) -> String {
    let mut out = String::new();
    for mismatch in &tally.mismatches {
        let probe = &probes[mismatch.probe];
        let error = mismatch
            .error
            .as_deref()
            .map(|e| format!(" ({e})"))
            .unwrap_or_default();
        let line = context.line(probe);
        let text = match mismatch.kind {
            Kind::FailedAllow if probe.reason == Reason::Control => format!(
                "failed control: {line}{error}: the probe server does not answer there; denies paired with it are inconclusive"
            ),
            Kind::FailedAllow => {
                let needs: Vec<String> = context
                    .needs(probe)
                    .into_iter()
                    .map(|(at, text)| format!("{at}: `{text}`"))
                    .collect();
                format!(
                    "failed allow: {line}{error}: declared by {}",
                    needs.join(", ")
                )
            }
            Kind::LeakedDeny => format!(
                "leaked deny: {line} connected ({}): should have been denied: {}",
                probe.reason.as_str(),
                context.deniers_text(probe)
            ),
            Kind::Inconclusive => format!(
                "inconclusive: {line} ({}) was denied, but its paired allow failed too",
                probe.reason.as_str()
            ),
            Kind::Missing => format!("missing: {line}: no result"),
        };
        out.push_str(&text);
        out.push('\n');
    }
    for unknown in &tally.unknown {
        out.push_str(&format!(
            "unknown: {unknown}: a result for no probe of this program\n"
        ));
    }
    if tally.not_enforcing {
        out.push_str(NOT_ENFORCING);
        out.push('\n');
    }
    out.push_str(&summary(tally, probes));
    out
}

fn summary(tally: &Tally, probes: &[Probe]) -> String {
    let allows = probes.iter().filter(|p| p.expect == Expect::Allow).count();
    let count = |k: Kind| tally.mismatches.iter().filter(|m| m.kind == k).count();
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    format!(
        "probe report: {}, {allows} allow and {} deny; {}: {}, {}, {} inconclusive, {} missing, {} unknown: {}\n",
        plural(tally.probes, "probe", "probes"),
        tally.probes - allows,
        plural(tally.results, "result", "results"),
        plural(count(Kind::FailedAllow), "failed allow", "failed allows"),
        plural(count(Kind::LeakedDeny), "leaked deny", "leaked denies"),
        count(Kind::Inconclusive),
        count(Kind::Missing),
        tally.unknown.len(),
        if tally.matches() {
            "the cluster enforces the program"
        } else {
            "MISMATCH"
        }
    )
}

/// The report as one JSON object.
pub fn json(tally: &Tally, probes: &[Probe], context: &Context<'_>) -> String {
    let mismatches: Vec<Value> = tally
        .mismatches
        .iter()
        .map(|m| {
            let probe = &probes[m.probe];
            let needs: Vec<Value> = context
                .needs(probe)
                .into_iter()
                .map(|(location, statement)| json!({"location": location, "statement": statement}))
                .collect();
            let policies: Vec<Value> = match m.kind {
                Kind::LeakedDeny => context
                    .deniers(probe)
                    .into_iter()
                    .map(|(pod, direction, names)| {
                        json!({"pod": pod, "direction": direction, "policies": names})
                    })
                    .collect(),
                _ => Vec::new(),
            };
            json!({
                "kind": m.kind.as_str(),
                "from": display(context.model, probe.from),
                "to": display(context.model, probe.to),
                "port": probe.port,
                "protocol": protocol_name(probe.protocol),
                "expect": probe.expect.as_str(),
                "reason": probe.reason.as_str(),
                "error": m.error,
                "needs": needs,
                "isolated": policies,
            })
        })
        .collect();
    let value = json!({
        "matched": tally.matches(),
        "enforcing": !tally.not_enforcing,
        "probes": tally.probes,
        "results": tally.results,
        "mismatches": mismatches,
        "unknown": tally.unknown,
    });
    format!("{}\n", value)
}

fn protocol_name(protocol: Protocol) -> &'static str {
    protocol.as_k8s()
}
