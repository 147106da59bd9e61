//! `netpc explain SRC DST --format json`: one JSON object for a connection (schema in
//! docs/schemas/explain-connection.schema.json): per port, the verdict, what each end's
//! policies do, and the `.netp` lines responsible with their positions.

use serde_json::{Value, json};

use crate::analyze::{Analysis, Endpoint, Protocol, Side};
use crate::insight::connection::Verdict;
use crate::source::{Sources, Span};

/// One explained (protocol, port): the verdict and the two sides, as JSON.
pub fn port(
    sources: &Sources,
    analysis: &Analysis<'_>,
    (src, dst): (Endpoint, Endpoint),
    (protocol, number): (Protocol, u16),
    verdict: &Verdict,
) -> Value {
    let explanation = analysis.explain(src, dst, protocol, number);
    let lines: Vec<Value> = verdict
        .snippets
        .iter()
        .map(|snippet| {
            let labels: Vec<Value> = snippet
                .labels
                .iter()
                .map(|(span, message, primary)| {
                    let mut label = region(sources, *span);
                    label["message"] = json!(message);
                    label["primary"] = json!(primary);
                    label
                })
                .collect();
            json!({ "message": snippet.message, "labels": labels, "notes": snippet.notes })
        })
        .collect();
    json!({
        "protocol": protocol.to_string(),
        "port": number,
        "allowed": verdict.allowed,
        "loopback": explanation.loopback,
        "from_own_node": explanation.from_own_node,
        "egress": side(&explanation.egress),
        "ingress": side(&explanation.ingress),
        "text": verdict.text,
        "lines": lines,
    })
}

/// The whole answer: both ends and every port explained.
pub fn connection(src: &str, dst: &str, ports: Vec<Value>) -> String {
    let allowed = ports.iter().all(|p| p["allowed"] == json!(true));
    let value = json!({ "src": src, "dst": dst, "allowed": allowed, "ports": ports });
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}

fn side(side: &Side) -> Value {
    let isolating: Vec<String> = side.isolating.iter().map(ToString::to_string).collect();
    let allowing: Vec<Value> = side
        .allowing
        .iter()
        .map(|rule| json!({ "policy": rule.policy.to_string(), "rule": rule.index + 1 }))
        .collect();
    json!({
        "is_pod": side.is_pod,
        "isolated_by": isolating,
        "allowed_by": allowing,
        "allowed": side.allowed,
    })
}

/// `{file, start: {line, column}, end: {line, column}}` of a span (1-based, columns in
/// characters), as in the diagnostics' JSON.
fn region(sources: &Sources, span: Span) -> Value {
    let Some(file) = sources.try_get(span.file) else {
        return json!({ "file": "", "start": {"line": 0, "column": 0}, "end": {"line": 0, "column": 0} });
    };
    let (start_line, start_column) = file.line_col(span.start as usize);
    let (end_line, end_column) = file.line_col(span.end as usize);
    json!({
        "file": file.name,
        "start": { "line": start_line, "column": start_column },
        "end": { "line": end_line, "column": end_column },
    })
}
