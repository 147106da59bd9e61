//! Recovery from syntax errors, and hostile input: never a panic, never a hang.

use super::*;
use netpc::ast::LabelPair;
use netpc::diagnostic::Code;

// ---------------------------------------------------------------------------------
// Recovery
// ---------------------------------------------------------------------------------

#[test]
fn three_independent_errors_give_exactly_three_diagnostics() {
    let (file, diagnostics) = parse(include_str!("../../ui/syntax/E100-three-errors.netp"));
    assert_eq!(codes(&diagnostics), vec!["E100", "E100", "E100"]);
    // What could be read is still returned: the namespace, both services (the broken
    // port line is skipped, the service kept) and the last need.
    let file = unspan(file);
    let kinds: Vec<_> = file.items.iter().map(|i| &i.kind).collect();
    assert_eq!(kinds.len(), 4, "{kinds:#?}");
    assert_eq!(*kinds[1], service("web", vec![]));
    assert!(matches!(kinds[3], ItemKind::Needs { .. }));
}

#[test]
fn one_mistake_does_not_cascade() {
    let text = "service a { port 80 }\nservice b;\nservice c { port 1; }\nd needs c;\n";
    let (file, diagnostics) = parse(text);
    assert_eq!(codes(&diagnostics), vec!["E100"]);
    assert_eq!(file.items.len(), 4);
}

#[test]
fn missing_semicolon_points_after_the_last_token() {
    let text = "service api\nservice db;\n";
    let (file, diagnostics) = parse(text);
    let d = diagnostics.iter().next().unwrap();
    assert_eq!(d.code, Code::SyntaxError);
    assert_eq!(d.message, "expected `;` or `{`, found `service`");
    assert_eq!(d.primary.span.start as usize, "service api".len());
    assert_eq!(&text[d.secondary[0].span.range()], "service");
    // The region up to the next `;` is skipped: `service db;` went with it.
    assert!(file.items.is_empty());
}

#[test]
fn errors_name_what_was_expected() {
    let message = |text: &str| {
        let (_, diagnostics) = parse(text);
        assert_eq!(diagnostics.len(), 1, "{text:?}");
        diagnostics.iter().next().unwrap().message.clone()
    };
    assert_eq!(
        message("a needs grid/;"),
        "expected `*` or a service name, found `;`"
    );
    assert_eq!(message("a needs db:;"), "expected a port or `{`, found `;`");
    assert_eq!(message("service ;"), "expected a service name, found `;`");
    assert_eq!(
        message("export a to;"),
        "expected `*` or a namespace name, found `;`"
    );
    assert_eq!(
        message("enforcement maybe;"),
        "expected `on`, `off`, `selected`, `ingress` or `egress`, found `maybe`"
    );
    assert_eq!(
        message("enforcement egress maybe;"),
        "expected `on`, `off` or `selected`, found `maybe`"
    );
    assert_eq!(
        message("guard labels maybe;"),
        "expected `warn` or `;`, found `maybe`"
    );
    assert_eq!(message("use std;"), "expected `/`, found `;`");
    assert_eq!(message(";"), "expected an item, found `;`");
    assert_eq!(
        message("service a { prot 80; }"),
        "expected `select`, `port` or `}`, found `prot`"
    );
}

#[test]
fn misspelt_keywords_get_a_did_you_mean() {
    let help = |text: &str| {
        let (_, diagnostics) = parse(text);
        diagnostics.iter().next().unwrap().help.clone().unwrap()
    };
    assert_eq!(help("servce api;"), "did you mean `service`?");
    assert_eq!(help("a needz b;"), "did you mean `needs`?");
    assert_eq!(help("service a { prot 80; }"), "did you mean `port`?");
    // Only the second word is a sign of a misspelt first word.
    assert!(!help("ports needs x:;").contains("did you mean"));
}

#[test]
fn stray_closing_brace() {
    let (file, diagnostics) = parse("service a;\n}\nservice b;");
    assert_eq!(codes(&diagnostics), vec!["E100"]);
    assert_eq!(file.items.len(), 2);
}

#[test]
fn unclosed_block_keeps_its_items() {
    let text = include_str!("../../ui/syntax/E101-unclosed-block.netp");
    let (file, diagnostics) = parse(text);
    assert_eq!(codes(&diagnostics), vec!["E101"]);
    let d = diagnostics.iter().next().unwrap();
    assert_eq!(&text[d.secondary[0].span.range()], "{");
    assert_eq!(d.secondary[0].span.start, 15);
    let ItemKind::NamespaceBlock { items, .. } = &file.items[0].kind else {
        panic!("not a block")
    };
    assert_eq!(items.len(), 2);
    // Spans never point past the text the user wrote.
    assert!(file.items[0].span.end as usize <= text.len());
}

#[test]
fn unterminated_string() {
    let (file, diagnostics) = parse("exempt label k = \"abc;\nservice a;");
    assert_eq!(codes(&diagnostics), vec!["E102"]);
    assert_eq!(
        file.items[0].kind,
        ItemKind::ExemptLabel {
            key: s("k"),
            value: Some(s("abc"))
        }
    );
    assert_eq!(file.items.len(), 2);
    // Without a `;` on its line the item is skipped, still with one diagnostic.
    let (_, diagnostics) = parse("exempt label k = \"abc\nservice a;");
    assert_eq!(codes(&diagnostics), vec!["E102"]);
}

#[test]
fn misplaced_items() {
    let (file, diagnostics) = parse("port 443;\nservice a { select k = v; a needs b; }");
    assert_eq!(codes(&diagnostics), vec!["E105", "E105"]);
    assert_eq!(
        unspan(file).items,
        vec![Item {
            kind: service(
                "a",
                vec![ServiceItem::Select(
                    vec![LabelPair {
                        key: s("k"),
                        value: s("v")
                    }],
                    NO_SPAN
                )]
            ),
            span: NO_SPAN
        }]
    );
    let (_, diagnostics) = parse("service a { namespace b { service c; } }");
    assert_eq!(codes(&diagnostics), vec!["E105"]);
    let (_, diagnostics) = parse("namespace n { select app = x; }");
    assert_eq!(codes(&diagnostics), vec!["E105"]);
}

// ---------------------------------------------------------------------------------
// Hostile input: never a panic, never a hang
// ---------------------------------------------------------------------------------

#[test]
fn deeply_nested_namespaces() {
    let text = "namespace a { ".repeat(5_000) + &"}".repeat(5_000) + "\nservice after;";
    let (file, diagnostics) = parse(&text);
    assert_eq!(codes(&diagnostics), vec!["E103"]);
    assert_eq!(
        unspan(file).items,
        vec![Item {
            kind: service("after", vec![]),
            span: NO_SPAN
        }]
    );
    // Unclosed as well: still one diagnostic.
    let (_, diagnostics) = parse(&"namespace a { ".repeat(5_000));
    assert_eq!(codes(&diagnostics), vec!["E103"]);
}

#[test]
fn deeply_nested_braces_in_a_service() {
    let text = "service s ".to_owned() + &"{ ".repeat(5_000) + &"}".repeat(5_000);
    let (file, diagnostics) = parse(&text);
    assert_eq!(codes(&diagnostics), vec!["E103"]);
    assert!(file.items.is_empty());
}

#[test]
fn nesting_at_the_limit_parses() {
    let depth = netpc::syntax::MAX_DEPTH;
    let text = "namespace a { ".repeat(depth) + "service x;" + &"}".repeat(depth);
    let (file, diagnostics) = parse(&text);
    assert!(diagnostics.is_empty());
    assert_eq!(file.items.len(), 1);
    let text = "namespace a { ".repeat(depth + 1) + "service x;" + &"}".repeat(depth + 1);
    assert_eq!(codes(&parse(&text).1), vec!["E103"]);
}

#[test]
fn nul_bytes_mean_not_text() {
    let (file, diagnostics) = parse("service a;\0\0\0");
    assert_eq!(codes(&diagnostics), vec!["E104"]);
    assert!(file.items.is_empty());
}

/// Deterministic pseudo-random bytes (no dependency, same on every run).
fn garbage(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as u8
        })
        .collect()
}

#[test]
fn binary_garbage_is_reported_not_fatal() {
    for seed in 0..20 {
        let text = String::from_utf8_lossy(&garbage(4_000, seed)).into_owned();
        let (_, diagnostics) = parse(&text);
        assert!(!diagnostics.is_empty(), "seed {seed}");
        assert!(
            diagnostics
                .iter()
                .all(|d| matches!(d.code.as_str(), "E100" | "E101" | "E102" | "E103" | "E104")),
            "seed {seed}: {:?}",
            codes(&diagnostics)
        );
        assert!(
            diagnostics.len() <= 53,
            "seed {seed}: {}",
            diagnostics.len()
        );
    }
}

#[test]
fn garbage_made_of_netp_punctuation() {
    // Without NUL bytes, the catch-all rules must still consume everything.
    let alphabet = b"{};:,/*=-\"#\n ab19.";
    for seed in 0..50 {
        let text: String = garbage(2_000, seed)
            .into_iter()
            .map(|b| char::from(alphabet[usize::from(b) % alphabet.len()]))
            .collect();
        let (_, diagnostics) = parse(&text);
        assert!(
            diagnostics.iter().all(|d| d.code.as_str() != "E104"),
            "seed {seed}"
        );
    }
}

#[test]
fn control_characters() {
    let text: String = (1u8..32).map(char::from).collect::<String>() + "\u{7f}service a;";
    let (_, diagnostics) = parse(&text);
    assert_eq!(codes(&diagnostics), vec!["E100"]);
}

#[test]
fn a_flood_of_errors_is_cut_short() {
    let text = "broken item here;\n".repeat(200);
    let (_, diagnostics) = parse(&text);
    assert_eq!(diagnostics.len(), 51);
    let last = diagnostics.iter().last().unwrap();
    assert!(last.message.starts_with("too many syntax errors"));
}

#[test]
fn a_long_list_without_its_keyword_is_one_error() {
    let text = "a, ".repeat(100_000) + "b;\nservice c;";
    let (file, diagnostics) = parse(&text);
    assert_eq!(codes(&diagnostics), vec!["E100"]);
    assert_eq!(file.items.len(), 1);
    let stray = "}".repeat(100_000);
    assert_eq!(parse(&stray).1.len(), 51);
}

#[test]
fn a_hundred_thousand_items() {
    let text: String = (0..100_000)
        .map(|i| format!("s{i} needs t{i}:80;\n"))
        .collect();
    let (file, diagnostics) = parse(&text);
    assert!(diagnostics.is_empty());
    assert_eq!(file.items.len(), 100_000);
}

#[test]
fn an_unclosed_service_is_one_error_pointing_where_the_brace_belongs() {
    let text = "namespace a;\nservice b { port 1;\nservice c;\nd needs c;\n";
    let (file, diagnostics) = parse(text);
    assert_eq!(codes(&diagnostics), vec!["E101"]);
    let d = diagnostics.iter().next().unwrap();
    assert_eq!(&text[d.secondary[1].span.range()], "service c;");
    // The service itself is kept, with the lines it had.
    assert_eq!(file.items.len(), 2);
}

#[test]
fn large_files_are_read_whole_across_slices() {
    // Big enough to be parsed in several slices; blocks and broken items must come out
    // the same as in a small file.
    let block = "namespace big {\n".to_owned() + &"service s { port 1; }\n".repeat(2_000) + "}\n";
    let filler = "a needs b:{80, 443};\n".repeat(3_000);
    let text = filler.clone() + &block + "broken item;\n" + &filler + "service last;";
    let (file, diagnostics) = parse(&text);
    assert_eq!(codes(&diagnostics), vec!["E100"]);
    assert_eq!(file.items.len(), 6_002);
    let ItemKind::NamespaceBlock { items, .. } = &file.items[3_000].kind else {
        panic!("not the block")
    };
    assert_eq!(items.len(), 2_000);
    let d = diagnostics.iter().next().unwrap();
    assert_eq!(&text[d.primary.span.range()], "item");
}

#[test]
fn broken_items_nested_at_the_limit_are_skipped_without_overflow() {
    let depth = netpc::syntax::MAX_DEPTH;
    // A broken header, then a block at the deepest allowed nesting: skipped and
    // re-parsed to explain it, all within a test thread's stack.
    let text =
        "namespace { ".to_owned() + &"{ ".repeat(depth - 1) + &"}".repeat(depth) + "\nservice ok;";
    let (file, diagnostics) = parse(&text);
    assert_eq!(codes(&diagnostics), vec!["E100"]);
    assert_eq!(file.items.len(), 1);
    let text = "service s { ".to_owned() + &"{ ".repeat(depth - 1) + &"}".repeat(depth);
    let (file, diagnostics) = parse(&text);
    assert_eq!(codes(&diagnostics), vec!["E100"]);
    assert_eq!(file.items.len(), 1);
}
