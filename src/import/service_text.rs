//! The `service` line of an imported program (`service db { select ...; port pg 5432; }`),
//! and its `port` line: the ports its needs ask for, declared with
//! the names the workloads it selects give them (`port pg 5432;`), so the program
//! reads as the application is written. The needs keep what the original rules say (a
//! number stays a number: a name would be resolved on each pod, which the original did
//! not ask for), so the declaration changes no connection. Written only when every
//! port asked of the service can be declared and at least one of them gets a name from
//! the workloads; otherwise the service keeps no `port` line, as before. Pure.

use std::collections::{BTreeMap, BTreeSet};

use super::needs::{End, Need};
use super::pod_terms::Select;
use super::{Port, PortValue, Ports};
use crate::analyze::{Cluster, Protocol, Workload};
use crate::resolve::value_checks::is_port_name;

/// One declared port: protocol (`TCP`, `UDP`, `SCTP`), first and last number, name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Declared {
    protocol: String,
    first: u16,
    last: u16,
    name: Option<String>,
}

fn protocol_text(protocol: Protocol) -> &'static str {
    match protocol {
        Protocol::Tcp => "TCP",
        Protocol::Udp => "UDP",
        Protocol::Sctp => "SCTP",
    }
}

/// The workloads of `namespace` that `labels` selects.
fn selected<'a>(workloads: &'a Cluster, namespace: &str, labels: &Select) -> Vec<&'a Workload> {
    workloads
        .workloads()
        .iter()
        .filter(|w| w.namespace == namespace && labels.matches(&w.labels))
        .collect()
}

/// What every selected workload calls `(protocol, number)`, when they all agree.
fn common_name(pods: &[&Workload], protocol: &str, number: u16) -> Option<String> {
    let mut names = pods.iter().map(|w| {
        w.ports
            .iter()
            .find(|p| protocol_text(p.protocol) == protocol && p.port == number)
            .and_then(|p| p.name.clone())
    });
    let first = names.next()??;
    (names.all(|n| n.as_deref() == Some(first.as_str())) && is_port_name(&first)).then_some(first)
}

/// The number every selected workload gives the port named `name`, when they agree.
fn common_number(pods: &[&Workload], protocol: &str, name: &str) -> Option<u16> {
    let mut numbers = pods.iter().map(|w| {
        w.ports
            .iter()
            .find(|p| protocol_text(p.protocol) == protocol && p.name.as_deref() == Some(name))
            .map(|p| p.port)
    });
    let first = numbers.next()??;
    numbers.all(|n| n == Some(first)).then_some(first)
}

fn declare(pods: &[&Workload], port: &Port) -> Option<Declared> {
    let protocol = port.protocol.clone();
    let (first, last, name) = match &port.value {
        PortValue::Range(lo, hi) if lo == hi => (*lo, *hi, common_name(pods, &protocol, *lo)),
        PortValue::Range(lo, hi) => (*lo, *hi, None),
        PortValue::Named(name) => {
            let number = common_number(pods, &protocol, name)?;
            (number, number, Some(name.clone()))
        }
    };
    Some(Declared {
        protocol,
        first,
        last,
        name,
    })
}

/// Whether the entries can stand on one service: no two of one protocol overlap
/// (E311), no name twice (E311), the same number never under two spellings.
fn consistent(entries: &BTreeSet<Declared>) -> bool {
    let mut names = BTreeSet::new();
    let mut by_protocol: BTreeMap<&str, Vec<&Declared>> = BTreeMap::new();
    for entry in entries {
        if let Some(name) = &entry.name
            && !names.insert(name.as_str())
        {
            return false;
        }
        by_protocol.entry(&entry.protocol).or_default().push(entry);
    }
    by_protocol.values().all(|list| {
        let mut list = list.clone();
        list.sort_by_key(|d| (d.first, d.last));
        list.windows(2).all(|w| w[0].last < w[1].first)
    })
}

fn entry_text(entry: &Declared) -> String {
    let number = if entry.first == entry.last {
        entry.first.to_string()
    } else {
        format!("{}-{}", entry.first, entry.last)
    };
    let spec = match &entry.name {
        Some(name) => format!("{name} {number}"),
        None => number,
    };
    match entry.protocol.as_str() {
        "UDP" => format!("{spec}/udp"),
        "SCTP" => format!("{spec}/sctp"),
        _ => spec,
    }
}

/// The `port ...;` line of the service of `labels` in `namespace`, given the ports its
/// needs ask for; `None` to write the service without one.
pub fn port_line(
    workloads: &Cluster,
    namespace: &str,
    labels: &Select,
    asked: &[&Ports],
) -> Option<String> {
    if labels.is_empty() || asked.is_empty() {
        return None;
    }
    let pods = selected(workloads, namespace, labels);
    if pods.is_empty() {
        return None;
    }
    let mut entries = BTreeSet::new();
    for ports in asked {
        let Ports::Some(list) = ports else {
            return None;
        };
        for port in list {
            entries.insert(declare(&pods, port)?);
        }
    }
    if !entries.iter().any(|e| e.name.is_some()) || !consistent(&entries) {
        return None;
    }
    let mut entries: Vec<Declared> = entries.into_iter().collect();
    entries.sort_by(|a, b| {
        (a.protocol != "TCP", &a.protocol, a.first).cmp(&(
            b.protocol != "TCP",
            &b.protocol,
            b.first,
        ))
    });
    let specs: Vec<String> = entries.iter().map(entry_text).collect();
    Some(format!("port {};", specs.join(", ")))
}

/// The `port` line of every service the needs target, by (namespace, labels).
pub fn port_lines<'a>(
    needs: impl Iterator<Item = &'a Need>,
    workloads: &Cluster,
) -> BTreeMap<(String, Select), String> {
    let mut asked: BTreeMap<(String, Select), Vec<&Ports>> = BTreeMap::new();
    for need in needs {
        if let End::Pods { namespace, labels } = &need.target {
            asked
                .entry((namespace.clone(), labels.clone()))
                .or_default()
                .push(&need.ports);
        }
    }
    asked
        .into_iter()
        .filter_map(|((ns, labels), ports)| {
            let line = port_line(workloads, &ns, &labels, &ports)?;
            Some(((ns, labels), line))
        })
        .collect()
}

/// A label value as written in `select`: plain when it reads as a name, else quoted.
pub(super) fn quoted(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && value
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic());
    if plain {
        value.to_owned()
    } else {
        format!("\"{value}\"")
    }
}

/// `service NAME { select ...; port ...; }`: `select` left out when the default
/// `app = NAME` is the selector; set-based terms after the equalities.
pub(super) fn service_line(name: &str, select: &Select, port: Option<&String>) -> String {
    let labels = &select.labels;
    let mut body = Vec::new();
    let default =
        select.is_equalities() && labels.len() == 1 && labels.get("app").is_some_and(|v| v == name);
    if !default {
        let mut pairs: Vec<String> = labels
            .iter()
            .map(|(k, v)| format!("{k} = {}", quoted(v)))
            .collect();
        pairs.extend(select.terms.iter().map(super::namespace_text::term_text));
        body.push(format!("select {};", pairs.join(", ")));
    }
    body.extend(port.cloned());
    if body.is_empty() {
        format!("service {name};")
    } else {
        format!("service {name} {{ {} }}", body.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analyze::{ContainerPort, labels};

    fn tcp(port: u16) -> Port {
        Port {
            protocol: "TCP".to_owned(),
            value: PortValue::Range(port, port),
        }
    }

    fn cluster(ports: &[&[(Option<&str>, u16)]]) -> Cluster {
        let mut cluster = Cluster::default();
        for (i, list) in ports.iter().enumerate() {
            let mut w = Workload::new(
                "shop",
                &format!("db-{i}"),
                "Deployment",
                labels([("app", "db")]),
            );
            w.ports = list
                .iter()
                .map(|(name, port)| ContainerPort {
                    name: name.map(str::to_owned),
                    protocol: Protocol::Tcp,
                    port: *port,
                })
                .collect();
            cluster.add_workload(w);
        }
        cluster
    }

    #[test]
    fn service_lines_write_set_based_terms_after_the_equalities() {
        use crate::ir::{Requirement, RequirementOp};
        let select = Select {
            labels: labels([("app", "api")]),
            terms: vec![
                Requirement {
                    key: "env".to_owned(),
                    op: RequirementOp::NotIn,
                    values: vec!["dev".to_owned(), "qa 1".to_owned()],
                },
                Requirement {
                    key: "legacy".to_owned(),
                    op: RequirementOp::DoesNotExist,
                    values: Vec::new(),
                },
            ],
        };
        assert_eq!(
            service_line("api", &select, None),
            "service api { select app = api, env notin (dev, \"qa 1\"), !legacy; }"
        );
        // The default `app = NAME` holds only without terms.
        assert_eq!(
            service_line("api", &Select::equal(labels([("app", "api")])), None),
            "service api;"
        );
    }

    #[test]
    fn names_the_ports_the_workloads_name() {
        let c = cluster(&[&[(Some("pg"), 5432), (None, 9187)]]);
        let asked = Ports::Some(vec![tcp(5432), tcp(9187)]);
        assert_eq!(
            port_line(
                &c,
                "shop",
                &Select::equal(labels([("app", "db")])),
                &[&asked]
            )
            .as_deref(),
            Some("port pg 5432, 9187;")
        );
    }

    #[test]
    fn writes_nothing_when_no_port_gets_a_name_or_one_cannot_be_declared() {
        let c = cluster(&[&[(None, 5432)]]);
        let db = Select::equal(labels([("app", "db")]));
        let asked = Ports::Some(vec![tcp(5432)]);
        assert_eq!(port_line(&c, "shop", &db, &[&asked]), None);
        let c = cluster(&[&[(Some("pg"), 5432)]]);
        assert_eq!(port_line(&c, "shop", &db, &[&Ports::All]), None);
        let unknown = Ports::Some(vec![Port {
            protocol: "TCP".to_owned(),
            value: PortValue::Named("metrics".to_owned()),
        }]);
        assert_eq!(port_line(&c, "shop", &db, &[&asked, &unknown]), None);
        // Another namespace's workloads do not name this one's ports.
        assert_eq!(port_line(&c, "other", &db, &[&asked]), None);
    }

    #[test]
    fn workloads_that_disagree_name_nothing() {
        let c = cluster(&[&[(Some("pg"), 5432)], &[(Some("postgres"), 5432)]]);
        let asked = Ports::Some(vec![tcp(5432)]);
        assert_eq!(
            port_line(
                &c,
                "shop",
                &Select::equal(labels([("app", "db")])),
                &[&asked]
            ),
            None
        );
        let c = cluster(&[&[(Some("pg"), 5432)], &[(Some("pg"), 5432)]]);
        assert_eq!(
            port_line(
                &c,
                "shop",
                &Select::equal(labels([("app", "db")])),
                &[&asked]
            )
            .as_deref(),
            Some("port pg 5432;")
        );
    }

    #[test]
    fn a_named_rule_port_takes_its_number_and_overlaps_are_refused() {
        let c = cluster(&[&[(Some("pg"), 5432)]]);
        let db = Select::equal(labels([("app", "db")]));
        let named = Ports::Some(vec![Port {
            protocol: "TCP".to_owned(),
            value: PortValue::Named("pg".to_owned()),
        }]);
        let number = Ports::Some(vec![tcp(5432)]);
        assert_eq!(
            port_line(&c, "shop", &db, &[&named, &number]).as_deref(),
            Some("port pg 5432;")
        );
        let range = Ports::Some(vec![Port {
            protocol: "TCP".to_owned(),
            value: PortValue::Range(5000, 6000),
        }]);
        assert_eq!(port_line(&c, "shop", &db, &[&number, &range]), None);
    }
}
