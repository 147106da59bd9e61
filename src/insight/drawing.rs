//! `netpc graph`: the allowed connections of one side as a Graphviz DOT or Mermaid
//! flowchart. One cluster per namespace (dashed for namespaces netpc does not manage),
//! one node per service probe (the unmatched and exempt probes only on request),
//! address ranges as ellipses outside every cluster, one edge per ordered pair
//! labelled with its connections (`TCP 443`). Deterministic: nodes and edges sorted.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use super::conns::{Connections, Line};

/// What to draw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GraphOptions {
    /// Also draw each managed namespace's unmatched (`ns/(no service)`) and exempt
    /// (`ns/(exempt)`) probe pods.
    pub all_pods: bool,
}

/// The nodes and edges to draw.
#[derive(Clone, Debug, Default)]
pub struct Graph {
    /// Namespace → (managed, probe names).
    pub namespaces: BTreeMap<String, (bool, Vec<String>)>,
    /// Address ranges, by their text.
    pub externals: BTreeSet<String>,
    pub edges: Vec<Line>,
    /// Names for address ranges (`s3` for `3.5.0.0/19, 52.216.0.0/15`), when the side
    /// is a program that declares an `external` with exactly those IPv4 addresses.
    pub names: BTreeMap<String, String>,
}

/// Names of the program's externals by the text of their IPv4 ranges (externals with
/// the same ranges share one entry, `a, b`).
pub fn external_names(program: &crate::ir::Program) -> BTreeMap<String, String> {
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    for external in &program.externals {
        let ranges = super::ranges::ipv4_ranges(&external.cidrs, &external.except);
        if ranges.is_empty() {
            continue;
        }
        let text = super::ranges::range_set_text(&ranges);
        names
            .entry(text)
            .and_modify(|n| {
                n.push_str(", ");
                n.push_str(&external.name);
            })
            .or_insert_with(|| external.name.clone());
    }
    names
}

/// The graph of a side's connections.
pub fn graph(connections: &Connections, options: GraphOptions) -> Graph {
    let shown = |name: &str| {
        connections
            .probes
            .get(name)
            .is_none_or(|info| info.service || options.all_pods)
    };
    let mut out = Graph::default();
    for (name, info) in &connections.probes {
        if shown(name) {
            out.namespaces
                .entry(info.namespace.clone())
                .or_insert_with(|| (info.managed, Vec::new()))
                .1
                .push(name.clone());
        }
    }
    for line in connections.lines() {
        if !shown(&line.src) || !shown(&line.dst) {
            continue;
        }
        for end in [&line.src, &line.dst] {
            if !connections.probes.contains_key(end) {
                out.externals.insert(end.clone());
            }
        }
        out.edges.push(line);
    }
    out
}

fn quote(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The node's label inside its namespace's cluster: `api`, `(no service)`.
fn short(name: &str) -> &str {
    name.split_once('/').map_or(name, |(_, rest)| rest)
}

impl Graph {
    /// `s3` + `break` + `3.5.0.0/19, 52.216.0.0/15`, or the ranges alone.
    fn external_label(&self, ranges: &str, line_break: &str) -> String {
        match self.names.get(ranges) {
            Some(name) => format!("{name}{line_break}{ranges}"),
            None => ranges.to_owned(),
        }
    }

    /// Graphviz DOT (`dot -Tsvg`).
    pub fn dot(&self) -> String {
        let mut out = String::from(
            "digraph netpc {\n\trankdir=LR\n\tfontname=\"Helvetica\"\n\tnode [shape=box style=rounded fontname=\"Helvetica\"]\n\tedge [fontname=\"Helvetica\" fontsize=10]\n",
        );
        for (namespace, (managed, nodes)) in &self.namespaces {
            let _ = writeln!(
                out,
                "\tsubgraph {} {{",
                quote(&format!("cluster_{namespace}"))
            );
            if *managed {
                let _ = writeln!(out, "\t\tlabel={}", quote(namespace));
            } else {
                let _ = writeln!(
                    out,
                    "\t\tlabel={}",
                    quote(&format!("{namespace} (not managed)"))
                );
                out.push_str("\t\tstyle=dashed\n");
            }
            for node in nodes {
                let _ = writeln!(out, "\t\t{} [label={}]", quote(node), quote(short(node)));
            }
            out.push_str("\t}\n");
        }
        for external in &self.externals {
            let _ = writeln!(
                out,
                "\t{} [label={} shape=ellipse style=solid]",
                quote(external),
                quote(&self.external_label(external, "\n")).replace('\n', "\\n")
            );
        }
        for edge in &self.edges {
            let _ = writeln!(
                out,
                "\t{} -> {} [label={}]",
                quote(&edge.src),
                quote(&edge.dst),
                quote(&edge.conns.to_string())
            );
        }
        out.push_str("}\n");
        out
    }

    /// A Mermaid flowchart (renders in GitHub Markdown inside a `mermaid` block).
    pub fn mermaid(&self) -> String {
        let mut ids: BTreeMap<&str, String> = BTreeMap::new();
        let mut out = String::from("flowchart LR\n");
        let text = |s: &str| format!("\"{}\"", s.replace('"', "#quot;"));
        for (i, (namespace, (managed, nodes))) in self.namespaces.iter().enumerate() {
            let title = if *managed {
                namespace.clone()
            } else {
                format!("{namespace} (not managed)")
            };
            let _ = writeln!(out, "  subgraph ns{i}[{}]", text(&title));
            for node in nodes {
                let id = format!("n{}", ids.len());
                let _ = writeln!(out, "    {id}[{}]", text(short(node)));
                ids.insert(node, id);
            }
            out.push_str("  end\n");
        }
        for external in &self.externals {
            let id = format!("n{}", ids.len());
            let _ = writeln!(
                out,
                "  {id}([{}])",
                text(&self.external_label(external, "<br>"))
            );
            ids.insert(external, id);
        }
        for edge in &self.edges {
            if let (Some(src), Some(dst)) = (ids.get(edge.src.as_str()), ids.get(edge.dst.as_str()))
            {
                let _ = writeln!(out, "  {src} -->|{}| {dst}", text(&edge.conns.to_string()));
            }
        }
        out
    }
}
