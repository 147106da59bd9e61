//! `--message-format sarif`: one SARIF 2.1.0 log for GitHub code scanning and other
//! SARIF viewers. Each code used is a rule (its title, the first paragraph of
//! `docs/codes/CODE.md` and the whole page, the page's address on the repository); each
//! diagnostic a result with its region (columns in Unicode code points) and the other
//! labels as related locations. Artifact URIs are the file names as given, relative to
//! the directory netpc ran in (`%SRCROOT%`).

use serde_json::{Value, json};

use super::{JsonSpan, json_diagnostic};
use crate::diagnostic::{Code, Diagnostics};
use crate::source::Sources;

/// The schema the log says it follows.
pub const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The base every relative artifact URI is resolved against.
pub const SRCROOT: &str = "%SRCROOT%";

/// The SARIF log of `diagnostics`, pretty-printed, with a final newline.
pub fn sarif(sources: &Sources, diagnostics: &Diagnostics) -> String {
    let mut codes: Vec<Code> = diagnostics.iter().map(|d| d.code).collect();
    codes.sort();
    codes.dedup();
    let results: Vec<Value> = diagnostics
        .iter()
        .map(|diagnostic| {
            let json = json_diagnostic(sources, diagnostic);
            let index = codes.binary_search(&diagnostic.code).unwrap_or(0);
            let related: Vec<Value> = json
                .labels
                .iter()
                .filter(|l| !l.primary)
                .enumerate()
                .map(|(id, label)| {
                    let mut location = location(&label.span);
                    location["id"] = json!(id);
                    location["message"] = json!({ "text": label.message });
                    location
                })
                .collect();
            let mut text = json.message.clone();
            if let Some(help) = &json.help {
                text.push_str("\nhelp: ");
                text.push_str(help);
            }
            let mut result = json!({
                "ruleId": json.code,
                "ruleIndex": index,
                "level": json.severity,
                "message": { "text": text },
                "locations": [location(&json.span)],
            });
            if !related.is_empty() {
                result["relatedLocations"] = json!(related);
            }
            result
        })
        .collect();
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": driver(&codes) },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
    text.push('\n');
    text
}

/// The tool: netpc, its version, and one rule per code.
fn driver(codes: &[Code]) -> Value {
    let repository = env!("CARGO_PKG_REPOSITORY");
    let rules: Vec<Value> = codes
        .iter()
        .map(|&code| {
            let page = code.explanation();
            json!({
                "id": code.as_str(),
                "shortDescription": { "text": heading(page).unwrap_or(code.title()) },
                "fullDescription": { "text": first_paragraph(page) },
                "help": { "text": page, "markdown": page },
                "helpUri": format!("{repository}/blob/main/docs/codes/{}.md", code.as_str()),
                "defaultConfiguration": { "level": code.severity().as_str() },
            })
        })
        .collect();
    json!({
        "name": "netpc",
        "version": env!("CARGO_PKG_VERSION"),
        "semanticVersion": env!("CARGO_PKG_VERSION"),
        "informationUri": repository,
        "rules": rules,
    })
}

/// The title in the `# CODE: title` heading of a code's page.
pub fn heading(page: &str) -> Option<&str> {
    let line = page.lines().next()?.strip_prefix("# ")?;
    let (_, title) = line.split_once(": ")?;
    Some(title.trim())
}

/// The first paragraph after the `# CODE: title` heading of a code's page.
pub fn first_paragraph(page: &str) -> String {
    let body = page
        .lines()
        .skip_while(|line| line.starts_with('#') || line.trim().is_empty())
        .take_while(|line| !line.trim().is_empty())
        .collect::<Vec<_>>();
    body.join(" ")
}

/// A physical location: the file as a relative URI and the region.
fn location(span: &JsonSpan) -> Value {
    json!({
        "physicalLocation": {
            "artifactLocation": artifact(&span.file),
            "region": {
                "startLine": span.start.line.max(1),
                "startColumn": span.start.column.max(1),
                "endLine": span.end.line.max(1),
                "endColumn": span.end.column.max(1),
                "charOffset": span.byte_start,
                "charLength": span.byte_end.saturating_sub(span.byte_start),
            },
        },
    })
}

/// A relative file name against `%SRCROOT%`; an absolute one as a `file://` URI.
fn artifact(name: &str) -> Value {
    let path = name.replace('\\', "/");
    if let Some(absolute) = path.strip_prefix('/') {
        json!({ "uri": format!("file:///{}", encode(absolute)) })
    } else {
        let relative = path.strip_prefix("./").unwrap_or(&path);
        json!({ "uri": encode(relative), "uriBaseId": SRCROOT })
    }
}

/// Percent-encodes what a URI path may not hold as is (RFC 3986), keeping `/`.
fn encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(byte as char);
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_become_relative_uris() {
        assert_eq!(
            artifact("./netp/a b.netp"),
            json!({ "uri": "netp/a%20b.netp", "uriBaseId": SRCROOT })
        );
        assert_eq!(
            artifact("/x/é.netp"),
            json!({ "uri": "file:///x/%C3%A9.netp" })
        );
    }

    #[test]
    fn the_full_description_is_the_pages_first_paragraph() {
        let page = "# E1: a title\n\nOne\ntwo.\n\n## Example\n";
        assert_eq!(first_paragraph(page), "One two.");
        assert_eq!(heading(page), Some("a title"));
        assert_eq!(heading("no heading"), None);
    }
}
