//! Properties of the parser over generated text, and a tidy check of its modules.

use super::*;

// ---------------------------------------------------------------------------------
// Properties: any text parses without panicking, and every span is inside the text
// ---------------------------------------------------------------------------------

fn assert_spans_inside(text: &str, file: &File, diagnostics: &Diagnostics) {
    let inside = |span: Span| {
        span.start <= span.end
            && (span.end as usize) <= text.len()
            && text.is_char_boundary(span.start as usize)
            && text.is_char_boundary(span.end as usize)
    };
    for d in diagnostics {
        assert!(inside(d.primary.span), "{d:?}");
        assert!(d.secondary.iter().all(|l| inside(l.span)), "{d:?}");
    }
    fn walk(items: &[Item], check: &dyn Fn(Span) -> bool) {
        for item in items {
            assert!(check(item.span), "{item:?}");
            if let ItemKind::NamespaceBlock { items, .. } = &item.kind {
                walk(items, check);
            }
        }
    }
    walk(&file.items, &inside);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

    #[test]
    fn netp_like_text_never_panics(text in "(namespace|service|needs|external|port|select|export|to|use|std|[a-z]{1,4}|[0-9]{1,6}|[{};:,/*=\"# \n.-]|\u{e9}|\u{1}){0,60}") {
        let (file, diagnostics) = parse(&text);
        assert_spans_inside(&text, &file, &diagnostics);
    }

    #[test]
    fn any_text_never_panics(text in "\\PC{0,200}") {
        let (file, diagnostics) = parse(&text);
        assert_spans_inside(&text, &file, &diagnostics);
    }
}

// ---------------------------------------------------------------------------------
// Properties: every well-formed program parses without a diagnostic
// ---------------------------------------------------------------------------------

mod valid {
    use proptest::prelude::*;

    const KEYWORDS: &[&str] = &[
        "namespace",
        "external",
        "service",
        "select",
        "port",
        "group",
        "except",
        "needs",
        "export",
        "to",
        "use",
        "std",
        "exempt",
        "label",
        "enforcement",
        "on",
        "off",
        "identity",
        "labels",
        "selectors",
    ];

    fn name() -> impl Strategy<Value = String> {
        "[a-z][a-z0-9_-]{0,6}".prop_filter("a keyword", |n| !KEYWORDS.contains(&n.as_str()))
    }

    fn list(item: impl Strategy<Value = String>) -> impl Strategy<Value = String> {
        proptest::collection::vec(item, 1..4).prop_map(|v| v.join(", "))
    }

    fn reference() -> impl Strategy<Value = String> {
        prop_oneof![
            name(),
            (name(), name()).prop_map(|(n, s)| format!("{n}/{s}")),
            name().prop_map(|n| format!("{n}/*")),
            Just("*".to_owned()),
        ]
    }

    fn port_spec(named_alone: bool) -> impl Strategy<Value = String> {
        let number = prop_oneof![
            (0u32..70_000).prop_map(|n| n.to_string()),
            (0u32..70_000, 0u32..70_000).prop_map(|(a, b)| format!("{a}-{b}")),
        ];
        let port_name = "[a-z][a-z0-9-]{0,6}";
        let protocol = proptest::option::of("tcp|udp|sctp|icmp");
        let spec = if named_alone {
            prop_oneof![number.boxed(), port_name.prop_map(|n| n.to_owned()).boxed(),].boxed()
        } else {
            prop_oneof![
                number.clone().boxed(),
                (port_name, number)
                    .prop_map(|(n, p)| format!("{n} {p}"))
                    .boxed(),
            ]
            .boxed()
        };
        (spec, protocol).prop_map(|(s, p)| match p {
            Some(p) => format!("{s}/{p}"),
            None => s,
        })
    }

    fn target() -> impl Strategy<Value = String> {
        (
            reference(),
            proptest::option::of(prop_oneof![
                port_spec(true),
                list(port_spec(true)).prop_map(|l| format!("{{ {l} }}")),
            ]),
        )
            .prop_map(|(r, p)| match p {
                Some(p) => format!("{r}:{p}"),
                None => r,
            })
    }

    fn label_value() -> impl Strategy<Value = String> {
        prop_oneof!["[a-z0-9][a-z0-9._-]{0,6}", "\"[a-z ]{0,6}\""]
    }

    fn cidr() -> impl Strategy<Value = String> {
        prop_oneof![
            (0u8..=255, 0u8..=32).prop_map(|(a, p)| format!("{a}.0.0.0/{p}")),
            Just("::/0".to_owned()),
            Just("fd00::/8".to_owned()),
        ]
    }

    fn leaf_item() -> impl Strategy<Value = String> {
        let select = list(
            ("[a-z][a-z0-9.]{0,5}(/[a-z]{1,4})?", label_value())
                .prop_map(|(k, v)| format!("{k} = {v}")),
        )
        .prop_map(|l| format!("select {l};"));
        let port = list(port_spec(false)).prop_map(|l| format!("port {l};"));
        let body = proptest::collection::vec(prop_oneof![select, port], 0..3);
        prop_oneof![
            name().prop_map(|n| format!("namespace {n};")),
            name().prop_map(|n| format!("service {n};")),
            (name(), body).prop_map(|(n, b)| format!("service {n} {{\n{}\n}}", b.join("\n"))),
            (name(), list(reference())).prop_map(|(n, r)| format!("group {n} = {r};")),
            (name(), list(cidr()), proptest::option::of(list(cidr()))).prop_map(|(n, c, e)| {
                match e {
                    Some(e) => format!("external {n} = {c} except {e};"),
                    None => format!("external {n} = {c};"),
                }
            }),
            (list(reference()), list(target())).prop_map(|(s, t)| format!("{s} needs {t};")),
            (
                list(name()),
                prop_oneof![list(name()), Just("*".to_owned())]
            )
                .prop_map(|(s, t)| format!("export {s} to {t};")),
            name().prop_map(|n| format!("use std/{n};")),
            "[a-z/.]{1,10}".prop_map(|p| format!("use \"{p}.netp\";")),
            (
                "[a-z]{1,5}(/[a-z]{1,5})?",
                proptest::option::of(label_value())
            )
                .prop_map(|(k, v)| match v {
                    Some(v) => format!("exempt label {k} = {v};"),
                    None => format!("exempt label {k};"),
                }),
            prop_oneof![Just("enforcement on;"), Just("enforcement off;")].prop_map(str::to_owned),
            prop_oneof![Just("identity labels;"), Just("identity selectors;")]
                .prop_map(str::to_owned),
        ]
    }

    fn item() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => leaf_item(),
            1 => (
                any::<bool>(),
                name(),
                proptest::collection::vec(leaf_item(), 0..4)
            )
                .prop_map(|(external, n, items)| format!(
                    "{}namespace {n} {{\n{}\n}}",
                    if external { "external " } else { "" },
                    items.join("\n")
                )),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn well_formed_programs_parse_cleanly(
            items in proptest::collection::vec(item(), 0..12),
            comments in any::<bool>(),
        ) {
            let separator = if comments { " // note\n# more\n" } else { "\n" };
            let text = items.join(separator);
            let (file, diagnostics) = super::parse(&text);
            let messages: Vec<_> = diagnostics.iter().map(|d| d.message.clone()).collect();
            prop_assert!(diagnostics.is_empty(), "{text}\n{messages:?}");
            prop_assert_eq!(file.items.len(), items.len(), "{}", text);
        }
    }
}

// ---------------------------------------------------------------------------------
// Tidy: every module of the parser says what it owns, and stays readable
// ---------------------------------------------------------------------------------

#[test]
fn syntax_modules_start_with_a_doc_paragraph_and_stay_small() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/syntax");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with("//! "),
            "{} lacks a `//!` paragraph",
            path.display()
        );
        assert!(text.lines().count() < 600, "{} is too long", path.display());
        seen += 1;
    }
    assert!(seen >= 5);
    let grammar =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/grammar/netp.pest")).unwrap();
    assert!(grammar.starts_with("//! "));
}
