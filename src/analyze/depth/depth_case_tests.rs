//! [`check_flow_depth`] on one document per rule of the scan, each 101 levels deep
//! where it nests or holding 101 brackets that YAML reads as text, and each checked
//! against serde_yaml: the documents it reads must be the YAML they claim to be.
//! Written for the mutants that the random documents did not tell apart
//! (docs/testing.md, "src/analyze: depth.rs"): a block scalar's indentation, where a
//! tag or an anchor ends, and `:`, `?` and `-` inside and outside flow collections.

use super::{MAX_FLOW_DEPTH, check_flow_depth};

/// `(document, refused)`: `OPEN` and `CLOSE` stand for one more `[` and `]` than the
/// limit allows, and `\n` for a line break.
const READ_BY_YAML: &[(&str, bool)] = &[
    // A tag or an anchor ends at `,` in a flow collection: an empty entry, then the
    // nested collection.
    ("[!t,OPENCLOSE]", true),
    ("[&a,OPENCLOSE]", true),
    ("[!!str,OPENCLOSE]", true),
    ("[!t%2C,OPENCLOSE]", true),
    // A verbatim tag holds `]` and `,` and ends at its `>`.
    ("[!<a]b>,OPENCLOSE]", true),
    ("[!<a,b> OPENCLOSE]", true),
    ("{\"a\":!t OPENCLOSE}", true),
    // The `>` that ends a verbatim tag is not a folded scalar's indicator.
    ("a: !<tag:x> OPENCLOSE", true),
    // `:` and `-` followed by text are inside a plain scalar, so the quote after them
    // is text, and the scalar ends at `]`.
    ("[[a:'x], OPENCLOSE]", true),
    ("[[-'x], OPENCLOSE]", true),
    // `? ` is an indicator: the quoted key after it holds the brackets.
    ("{? 'OPEN': x}", false),
    // A block scalar's content is indented more than the node that holds it: the
    // entry after `- `, the key at the start of the line (not a `-`, `:` or ` - `
    // inside it), or by its indentation digit.
    ("- |\\n  OPEN", false),
    ("-x: |\\n OPEN", false),
    ("a-b: |\\n OPEN", false),
    ("a:b: |\\n OPEN", false),
    ("a - b: |\\n  OPEN", false),
    ("a: |\\n  OPEN", false),
    ("a: |2\\n  OPEN", false),
    ("a:\\n  - |1\\n   x\\n  - OPENCLOSE", true),
    ("- a: |\\n    x\\n  b: OPENCLOSE", true),
    // `|` inside a key is text; the value on the next line is a collection.
    ("x |: \\n  OPENCLOSE", true),
    // A quoted scalar in block context spans lines; a quote inside a plain one is text.
    ("a: \"x\\n  OPEN\"", false),
    ("a: 'x\\n  OPEN'", false),
    ("a: it's\\nb: OPENCLOSE", true),
];

/// Texts YAML refuses, where the scan may answer either way and gives the answer
/// that counts more; serde_yaml refuses them before it nests (docs/testing.md).
const REFUSED_BY_YAML: &[(&str, bool)] = &[
    // A node right after a closed one, on the next line: the quote is not a token.
    ("[\"a\"\\n'OPEN", true),
    // After a plain scalar, the next line goes on with it, and `'` is text.
    ("[a\\n'OPEN'", true),
];

fn text(template: &str) -> String {
    template
        .replace("\\n", "\n")
        .replace("OPEN", &"[".repeat(MAX_FLOW_DEPTH + 1))
        .replace("CLOSE", &"]".repeat(MAX_FLOW_DEPTH + 1))
}

/// Each case: serde_yaml reads it (or refuses it) as `reads` says, and the scan
/// refuses it exactly when the case says so.
fn check(cases: &[(&str, bool)], reads: bool) {
    for &(template, refused) in cases {
        let text = text(template);
        assert_eq!(
            serde_yaml::from_str::<serde_yaml::Value>(&text).is_ok(),
            reads,
            "serde_yaml must {} {template}",
            if reads { "read" } else { "refuse" }
        );
        assert_eq!(check_flow_depth(&text).is_err(), refused, "{template}");
    }
}

#[test]
fn each_rule_of_the_scan_on_yaml_that_reads() {
    check(READ_BY_YAML, true);
}

#[test]
fn text_yaml_refuses_is_refused_where_the_scan_cannot_tell() {
    check(REFUSED_BY_YAML, false);
}
