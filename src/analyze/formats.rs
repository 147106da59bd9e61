//! Printing a [`ConnList`]: the netpol-analyzer connlist text (`src => dst : conn`),
//! JSON, a Markdown table and a Graphviz graph grouped by namespace. Every format
//! follows the list's order, so output is deterministic. Owns formatting only; it
//! must never compute connectivity, and writes only to the writer it is given.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::matrix::{ConnList, PeerId};
use super::model::Cluster;

/// An output format of `netpc analyze`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    /// `src => dst : conn`, one line per pair.
    #[default]
    Text,
    /// `[{"src": ..., "dst": ..., "conn": ...}]`.
    Json,
    /// A Markdown table `| src | dst | conn |`.
    Md,
    /// A Graphviz digraph, one cluster per namespace.
    Dot,
}

/// The text of `list` in `format`.
pub fn render(list: &ConnList, cluster: &Cluster, format: Format) -> String {
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = write(list, cluster, format, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// Writes the text of `list` in `format` to `out` (streamed: the connlist of a large
/// cluster is never held twice in memory).
pub fn write(
    list: &ConnList,
    cluster: &Cluster,
    format: Format,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    match format {
        Format::Text => text(list, out),
        Format::Json => out.write_all(json(list).as_bytes()),
        Format::Md => out.write_all(markdown(list).as_bytes()),
        Format::Dot => out.write_all(dot(list, cluster).as_bytes()),
    }
}

fn text(list: &ConnList, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    // Each distinct set is printed once; lines are then plain concatenation.
    let conns: Vec<String> = list.conn_sets().iter().map(ToString::to_string).collect();
    let mut line = Vec::with_capacity(256);
    for c in list.iter() {
        line.clear();
        line.extend_from_slice(c.src_name.as_bytes());
        line.extend_from_slice(b" => ");
        line.extend_from_slice(c.dst_name.as_bytes());
        line.extend_from_slice(b" : ");
        line.extend_from_slice(conns[c.conn_id].as_bytes());
        line.push(b'\n');
        out.write_all(&line)?;
    }
    Ok(())
}

/// One JSON row, fields in netpol-analyzer's order.
#[derive(serde::Serialize)]
struct JsonRow<'a> {
    src: &'a str,
    dst: &'a str,
    conn: String,
}

fn json(list: &ConnList) -> String {
    let rows: Vec<JsonRow<'_>> = list
        .iter()
        .map(|c| JsonRow {
            src: c.src_name,
            dst: c.dst_name,
            conn: c.conns.to_string(),
        })
        .collect();
    let mut out = serde_json::to_string_pretty(&rows).unwrap_or_else(|_| "[]".to_string());
    out.push('\n');
    out
}

fn markdown(list: &ConnList) -> String {
    let mut out = String::from("| src | dst | conn |\n|-----|-----|------|\n");
    for c in list.iter() {
        let _ = writeln!(out, "| {} | {} | {} |", c.src_name, c.dst_name, c.conns);
    }
    out
}

fn quote(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

fn dot(list: &ConnList, cluster: &Cluster) -> String {
    // Every peer that appears in an edge, grouped by namespace (externals apart).
    let mut by_namespace: BTreeMap<&str, Vec<(&str, String)>> = BTreeMap::new();
    let mut externals: Vec<&str> = Vec::new();
    let mut seen = rustc_hash::FxHashSet::default();
    let workloads = cluster.workloads();
    for c in list.iter() {
        for (peer, name) in [(c.src, c.src_name), (c.dst, c.dst_name)] {
            if !seen.insert(name) {
                continue;
            }
            match peer {
                PeerId::Workload(id) => {
                    let w = &workloads[id];
                    by_namespace
                        .entry(w.namespace.as_str())
                        .or_default()
                        .push((name, format!("{}[{}]", w.name, w.kind)));
                }
                PeerId::External(_) => externals.push(name),
            }
        }
    }
    let mut out = String::from("digraph {\n");
    for (namespace, nodes) in &mut by_namespace {
        nodes.sort();
        let _ = writeln!(
            out,
            "\tsubgraph {} {{",
            quote(&format!("cluster_{namespace}"))
        );
        let _ = writeln!(out, "\t\tlabel={}", quote(namespace));
        for (id, label) in nodes.iter() {
            let _ = writeln!(out, "\t\t{} [label={} shape=box]", quote(id), quote(label));
        }
        out.push_str("\t}\n");
    }
    externals.sort_unstable();
    for name in externals {
        let _ = writeln!(
            out,
            "\t{} [label={} shape=ellipse]",
            quote(name),
            quote(name)
        );
    }
    for c in list.iter() {
        let _ = writeln!(
            out,
            "\t{} -> {} [label={}]",
            quote(c.src_name),
            quote(c.dst_name),
            quote(&c.conns.to_string())
        );
    }
    out.push_str("}\n");
    out
}
