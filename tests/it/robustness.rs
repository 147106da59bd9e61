//! No input crashes the front end: random programs assembled from the language's own
//! words (so they get past the parser and reach resolution and lowering) never panic,
//! and every diagnostic's spans lie inside its file.

use crate::common;

use std::path::PathBuf;

use netpc::source::{Origin, Sources};
use proptest::prelude::*;

const WORDS: &[&str] = &[
    "namespace",
    "external",
    "service",
    "group",
    "needs",
    "export",
    "to",
    "use",
    "std/dns",
    "std/nope",
    "\"x.netp\"",
    "exempt",
    "label",
    "enforcement",
    "on",
    "off",
    "identity",
    "labels",
    "selectors",
    "select",
    "port",
    "except",
    "a",
    "b",
    "grid",
    "api",
    "db",
    "Grid",
    "*",
    "a/b",
    "a/*",
    "grid/api",
    "b/*",
    "{",
    "}",
    ";",
    ",",
    ":",
    "=",
    "80",
    "0",
    "65536",
    "80-90",
    "90-80",
    "metrics",
    "/tcp",
    "/udp",
    "/icmp",
    "10.0.0.0/8",
    "10.0.0.1/8",
    "::/0",
    "0.0.0.0/0",
    "2001:db8::/32",
    "app",
    "k8s-app",
    "\"v\"",
    "//c\n",
    "\n",
];

fn program() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(WORDS), 0..120).prop_map(|words| words.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, .. ProptestConfig::default() })]

    #[test]
    fn random_programs_never_panic(text in program()) {
        let mut sources = Sources::new();
        let root = sources.add(Origin::File(PathBuf::from("fuzz.netp")), text);
        let (program, diagnostics) = netpc::check(&mut sources, &[root], &common::DiskLoader);
        for d in &diagnostics {
            for label in std::iter::once(&d.primary).chain(&d.secondary) {
                let file = sources.get(label.span.file);
                prop_assert!(label.span.start <= label.span.end);
                prop_assert!(label.span.end as usize <= file.text.len(), "{d:?}");
            }
        }
        let _ = netpc::render::human(&sources, &diagnostics, false);
        if let Some(program) = program {
            let mut lowered = netpc::diagnostic::Diagnostics::new();
            let _ = netpc::lower::plan(program.clone(), netpc::lower::Options::default(), &mut lowered);
        }
    }
}
