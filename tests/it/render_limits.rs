//! Diagnostic output stays bounded (docs/diagnostics.md, "Limits"): at most 100
//! diagnostics of one code per file in both formats, then one summary; and a source
//! line longer than 200 bytes is cut around its labels. Before these limits, 8,000
//! `api:0` on one 56 KB line printed 674 MB.

use std::path::PathBuf;

use netpc::diagnostic::Diagnostics;
use netpc::source::{Origin, Sources};

use crate::common;

fn check(text: String) -> (Sources, Diagnostics) {
    let mut sources = Sources::new();
    let root = sources.add(Origin::File(PathBuf::from("flood.netp")), text);
    let (_, mut diagnostics) = netpc::check(&mut sources, &[root], &common::DiskLoader);
    diagnostics.sort();
    (sources, diagnostics)
}

/// `n` unknown targets on one line: `n` E200 errors, each on a 56 KB line for 8,000.
fn flood(n: usize) -> String {
    let targets = vec!["api:0"; n].join(", ");
    format!("namespace a {{\n  service x;\n  x needs {targets};\n}}\n")
}

#[test]
fn repeated_diagnostics_are_capped_per_code_and_file() {
    let (sources, diagnostics) = check(flood(8000));
    assert_eq!(diagnostics.error_count(), 8000);
    let human = String::from_utf8(netpc::render::human(&sources, &diagnostics, false)).unwrap();
    assert_eq!(human.matches("error[E200]").count(), 100);
    assert!(
        human.contains(
            "note: 7900 more E200 errors in flood.netp not shown (at most 100 of each code per file)"
        ),
        "{}",
        &human[human.len() - 600..]
    );
    assert!(human.ends_with("8000 errors\n"));
    assert!(human.len() < 100_000, "{} bytes", human.len());
    let widest = human.lines().map(|l| l.chars().count()).max().unwrap();
    assert!(widest < 200, "a line of {widest} characters");
}

#[test]
fn json_is_capped_the_same_way_and_ends_with_a_summary() {
    let (sources, diagnostics) = check(flood(150));
    let json = netpc::render::json(&sources, &diagnostics);
    let lines: Vec<serde_json::Value> = json
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 101);
    assert!(lines[..100].iter().all(|d| d["code"] == "E200"));
    assert_eq!(
        lines[100],
        serde_json::json!({
            "errors": 150,
            "warnings": 0,
            "omitted": [{"file": "flood.netp", "code": "E200", "severity": "error", "count": 50}]
        })
    );
    // Under the cap, nothing changes: no summary object.
    let (sources, diagnostics) = check(flood(3));
    assert_eq!(
        netpc::render::json(&sources, &diagnostics).lines().count(),
        3
    );
}

#[test]
fn other_codes_are_not_hidden_by_a_flood() {
    let mut text = flood(300);
    text.push_str("namespace b {\n  service y { port 0; }\n}\n");
    let (sources, diagnostics) = check(text);
    let human = String::from_utf8(netpc::render::human(&sources, &diagnostics, false)).unwrap();
    assert!(human.contains("error[E300]"), "{human}");
    assert!(human.contains("200 more E200 errors"));
}

/// Two labels far apart on one long line are both shown, each with some context,
/// the text between them cut; the locus keeps the real column.
#[test]
fn a_long_line_is_cut_around_its_labels() {
    let filler = "x".repeat(300);
    let text = format!("namespace a {{ service api; group {filler} = api; service api; }}\n");
    let (sources, diagnostics) = check(text);
    let human = String::from_utf8(netpc::render::human(&sources, &diagnostics, false)).unwrap();
    insta::assert_snapshot!(human);
}
