//! The real output shown in `docs/diff.md`, `docs/graph.md` and `docs/explain.md` is
//! what the commands print today: each example is run and must appear verbatim in its
//! page, so the docs cannot drift from the binary.
use std::process::Command;

const EXAMPLES: &[(&str, &[&str])] = &[
    (
        "docs/diff.md",
        &["diff", "tests/insight/diff/old", "tests/insight/diff/new"],
    ),
    (
        "docs/diff.md",
        &[
            "diff",
            "tests/insight/diff/old",
            "tests/insight/diff/selectors",
        ],
    ),
    (
        "docs/graph.md",
        &["graph", "--format", "mermaid", "examples/platform"],
    ),
    (
        "docs/explain.md",
        &[
            "explain",
            "grid/plotter",
            "grid/api:443",
            "examples/platform",
        ],
    ),
    (
        "docs/explain.md",
        &[
            "explain",
            "monitoring/prometheus",
            "grid/api:443",
            "examples/spec",
        ],
    ),
    (
        "docs/explain.md",
        &["explain", "grid/btrdb", "grid/api:443", "examples/spec"],
    ),
    (
        "docs/explain.md",
        &[
            "explain",
            "grid/api",
            "kube-system/kube-dns:53/udp",
            "examples/spec",
        ],
    ),
    (
        "docs/explain.md",
        &[
            "explain",
            "shop/reports",
            "shop/db:6000",
            "tests/insight/explain",
        ],
    ),
];

#[test]
fn documented_output_is_current() {
    for (page, args) in EXAMPLES {
        let output = Command::new(env!("CARGO_BIN_EXE_netpc"))
            .args(*args)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let text = String::from_utf8(output.stdout).unwrap();
        let text = text.trim_end_matches('\n');
        assert!(!text.is_empty(), "netpc {args:?} printed nothing");
        let doc = std::fs::read_to_string(page).unwrap();
        assert!(
            doc.contains(text),
            "{page} does not show the current output of `netpc {}`:\n{text}",
            args.join(" ")
        );
    }
}
