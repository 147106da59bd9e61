//! Printing a verify [`Report`] for people: one block per finding (what, between whom,
//! which connections, the `needs` lines with `file:line:col`, the policy objects
//! involved) and a summary line. Pure text; never decides what is a mismatch.

use std::fmt::Write;

use crate::analyze::Direction;
use crate::ir::Program;
use crate::source::{Sources, Span};

use super::compare::{Finding, FindingKind, Involvement, Report};

/// The whole report as text (no colour), ending with the summary line.
pub fn render(report: &Report, program: &Program, sources: &Sources) -> String {
    let mut out = String::new();
    for problem in &report.contract {
        let _ = writeln!(out, "error: label contract: {problem}");
    }
    for finding in &report.findings {
        finding_text(&mut out, finding, program, sources);
    }
    out.push_str(&summary(report));
    out.push('\n');
    out
}

fn finding_text(out: &mut String, finding: &Finding, program: &Program, sources: &Sources) {
    let head = match finding.kind {
        FindingKind::NotAllowed => "error: declared but not allowed",
        FindingKind::NotDeclared => "error: allowed but not declared",
        FindingKind::OverGrant => "warning[W004]: allowed through a shared client label",
    };
    let _ = writeln!(
        out,
        "{head}: {} -> {}: {}",
        finding.src_name, finding.dst_name, finding.conns
    );
    match finding.kind {
        FindingKind::NotDeclared => {
            let _ = writeln!(out, "  = no `needs` declares it");
        }
        FindingKind::NotAllowed => {
            for &n in &finding.needs {
                let _ = writeln!(out, "  = declared at {}", need_text(program, sources, n));
            }
        }
        FindingKind::OverGrant => {
            for &n in &finding.needs {
                let _ = writeln!(
                    out,
                    "  = granted to the label by {}",
                    need_text(program, sources, n)
                );
            }
        }
    }
    let (protocol, port) = finding.sample;
    if let Some(help) = &finding.help {
        let _ = writeln!(out, "  = help: {help}");
    }
    for involved in &finding.policies {
        let file = involved
            .file
            .as_ref()
            .map(|f| format!(" ({f})"))
            .unwrap_or_default();
        match &involved.how {
            Involvement::Isolates(direction) => {
                let end = match direction {
                    Direction::Egress => &finding.src_name,
                    Direction::Ingress => &finding.dst_name,
                };
                let _ = writeln!(
                    out,
                    "  = {} isolates {end} for {}{file}, and no rule allows {protocol} {port}",
                    involved.policy,
                    direction.to_string().to_lowercase()
                );
            }
            Involvement::Allows(rule) => {
                let _ = writeln!(
                    out,
                    "  = {} allows {protocol} {port} by spec.{}[{}]{file}",
                    involved.policy,
                    rule.direction.to_string().to_lowercase(),
                    rule.index
                );
            }
        }
    }
}

/// The report as one JSON object (schema in docs/verify.md), for CI bots.
pub fn json(report: &Report, program: &Program, sources: &Sources) -> String {
    let findings: Vec<serde_json::Value> = report
        .findings
        .iter()
        .map(|f| {
            let needs: Vec<serde_json::Value> = f
                .needs
                .iter()
                .map(|&n| {
                    let origin = &program.needs[n].origin;
                    serde_json::json!({
                        "location": location(sources, origin.statement),
                        "statement": snippet(sources, origin.statement),
                        "via_use": origin.via_use.map(|span| location(sources, span)),
                    })
                })
                .collect();
            let policies: Vec<serde_json::Value> = f
                .policies
                .iter()
                .map(|p| {
                    let (role, direction, rule) = match &p.how {
                        Involvement::Isolates(d) => ("isolates", *d, None),
                        Involvement::Allows(r) => ("allows", r.direction, Some(r.index)),
                    };
                    serde_json::json!({
                        "policy": p.policy.to_string(),
                        "file": p.file,
                        "role": role,
                        "direction": direction.to_string().to_lowercase(),
                        "rule": rule,
                    })
                })
                .collect();
            serde_json::json!({
                "kind": match f.kind {
                    FindingKind::NotAllowed => "not-allowed",
                    FindingKind::NotDeclared => "not-declared",
                    FindingKind::OverGrant => "over-grant",
                },
                "src": f.src_name,
                "dst": f.dst_name,
                "connections": f.conns.to_string(),
                "needs": needs,
                "policies": policies,
                "help": f.help,
            })
        })
        .collect();
    let value = serde_json::json!({
        "matches": report.matches(),
        "probe_pods": report.pods,
        "sample_addresses": report.addresses,
        "pairs": report.pairs,
        "contract": report.contract,
        "findings": findings,
        "summary": summary(report),
    });
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}

/// `grid.netp:13:1: writers needs btrdb:4410;` (and the `use` it came through).
pub fn need_text(program: &Program, sources: &Sources, need: usize) -> String {
    let origin = &program.needs[need].origin;
    let mut text = format!(
        "{}: `{}`",
        location(sources, origin.statement),
        snippet(sources, origin.statement)
    );
    if let Some(via) = origin.via_use {
        let _ = write!(
            text,
            " (through `{}` at {})",
            snippet(sources, via),
            location(sources, via)
        );
    }
    text
}

/// `file:line:col` of a span's start.
pub fn location(sources: &Sources, span: Span) -> String {
    match sources.try_get(span.file) {
        Some(file) => {
            let (line, column) = file.line_col(span.start as usize);
            format!("{}:{line}:{column}", file.name)
        }
        None => "<unknown>".to_owned(),
    }
}

/// The text of a span on one line, whitespace collapsed, comments dropped.
fn snippet(sources: &Sources, span: Span) -> String {
    let text = sources
        .try_get(span.file)
        .and_then(|f| f.text.get(span.range()))
        .unwrap_or("");
    text.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .flat_map(str::split_whitespace)
        .collect::<Vec<_>>()
        .join(" ")
}

/// `verify: 9 pods, 4 addresses, 104 pairs compared on every TCP, UDP and SCTP port:
/// ...`.
pub fn summary(report: &Report) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let evaluated = report
        .ipblock
        .as_ref()
        .map(|rule| format!(" ({rule})"))
        .unwrap_or_default();
    let head = format!(
        "verify{evaluated}: {}, {}, {} compared on every TCP, UDP and SCTP port ({} connections)",
        plural(report.pods, "probe pod"),
        if report.addresses == 1 {
            "1 sample address".to_owned()
        } else {
            format!("{} sample addresses", report.addresses)
        },
        plural(report.pairs, "pair"),
        thousands(report.pairs as u64 * 3 * 65535),
    );
    let over = report.count(FindingKind::OverGrant);
    let over_text = if over > 0 {
        format!(
            ", {} through shared client labels (warned, W004)",
            plural(over, "over-grant")
        )
    } else {
        String::new()
    };
    if report.matches() && over == 0 {
        format!("{head}: the policies allow exactly what the program declares")
    } else if report.matches() {
        format!("{head}: the policies allow what the program declares{over_text}")
    } else {
        format!(
            "{head}: {}, {}{}{}",
            plural(report.count(FindingKind::NotAllowed), "declared connection") + " not allowed",
            plural(report.count(FindingKind::NotDeclared), "connection") + " not declared",
            if report.contract.is_empty() {
                String::new()
            } else {
                format!(
                    ", {}",
                    plural(report.contract.len(), "label contract problem")
                )
            },
            over_text
        )
    }
}

/// `101448180` as `101,448,180`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::thousands;

    /// A comma before every group of three digits from the right, never before the
    /// first digit, whatever the number of digits.
    #[test]
    fn thousands_groups_digits_by_three() {
        let cases = [
            (0, "0"),
            (999, "999"),
            (1_000, "1,000"),
            (65_535, "65,535"),
            (123_456, "123,456"),
            (101_448_180, "101,448,180"),
            (u64::MAX, "18,446,744,073,709,551,615"),
        ];
        for (n, text) in cases {
            assert_eq!(thousands(n), text, "{n}");
        }
    }
}
