//! The parser: one test per grammar rule comparing the AST (spans are ignored by
//! equality), the spec's complete example, recovery, hostile input, and snapshots of
//! every syntax diagnostic (`tests/ui/syntax/*.netp`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use netpc::ast::{
    ExportTo, File, IdentityStyle, Item, ItemKind, LabelPair, PortNumbers, PortSpec, Reference,
    ReferenceKind, ServiceItem, Spanned, Target, UseTarget,
};
use netpc::diagnostic::{Code, Diagnostics};
use netpc::source::{FileId, Origin, Sources, Span};

// ---------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------

const NO_SPAN: Span = Span {
    file: FileId(0),
    start: 0,
    end: 0,
};

fn parse(text: &str) -> (File, Diagnostics) {
    let mut diagnostics = Diagnostics::new();
    let file = netpc::syntax::parse(FileId(0), text, &mut diagnostics);
    (file, diagnostics)
}

/// `Spanned` ignores spans in equality, but the plain `span: Span` fields of `Item`,
/// `Reference`, `Target`, `PortSpec`, `ServiceItem` and `ExportTo::Everyone` do not:
/// reset them so trees compare by content.
fn unspan(mut file: File) -> File {
    file.items.iter_mut().for_each(unspan_item);
    file
}

fn unspan_item(item: &mut Item) {
    item.span = NO_SPAN;
    match &mut item.kind {
        ItemKind::NamespaceBlock { items, .. } => items.iter_mut().for_each(unspan_item),
        ItemKind::Service { body, .. } => {
            for line in body {
                match line {
                    ServiceItem::Select(_, span) => *span = NO_SPAN,
                    ServiceItem::Port(ports, span) => {
                        *span = NO_SPAN;
                        ports.iter_mut().for_each(|p| p.span = NO_SPAN);
                    }
                }
            }
        }
        ItemKind::Group { members, .. } => members.iter_mut().for_each(|r| r.span = NO_SPAN),
        ItemKind::Needs { subjects, targets } => {
            subjects.iter_mut().for_each(|r| r.span = NO_SPAN);
            for target in targets {
                target.span = NO_SPAN;
                target.reference.span = NO_SPAN;
                for port in target.ports.iter_mut().flatten() {
                    port.span = NO_SPAN;
                }
            }
        }
        ItemKind::Export {
            to: ExportTo::Everyone(span),
            ..
        } => *span = NO_SPAN,
        _ => {}
    }
}

/// Parses `text`, which must have no diagnostic, and returns its item kinds.
fn items(text: &str) -> Vec<ItemKind> {
    let (file, diagnostics) = parse(text);
    let codes: Vec<_> = diagnostics.iter().map(|d| &d.message).collect();
    assert!(diagnostics.is_empty(), "unexpected diagnostics: {codes:?}");
    unspan(file).items.into_iter().map(|i| i.kind).collect()
}

fn one(text: &str) -> ItemKind {
    let mut all = items(text);
    assert_eq!(all.len(), 1, "expected one item in {text:?}");
    all.remove(0)
}

fn codes(diagnostics: &Diagnostics) -> Vec<&'static str> {
    diagnostics.iter().map(|d| d.code.as_str()).collect()
}

fn s(text: &str) -> Spanned<String> {
    Spanned::new(text.to_owned(), NO_SPAN)
}

fn reference(kind: ReferenceKind) -> Reference {
    Reference {
        kind,
        span: NO_SPAN,
    }
}

fn name(n: &str) -> Reference {
    reference(ReferenceKind::Name(s(n)))
}

fn qualified(namespace: &str, n: &str) -> Reference {
    reference(ReferenceKind::Qualified {
        namespace: s(namespace),
        name: s(n),
    })
}

fn port(
    port_name: Option<&str>,
    first: Option<u64>,
    last: Option<u64>,
    protocol: Option<&str>,
) -> PortSpec {
    PortSpec {
        name: port_name.map(s),
        numbers: first.map(|first| PortNumbers {
            first: Spanned::new(first, NO_SPAN),
            last: last.map(|l| Spanned::new(l, NO_SPAN)),
        }),
        protocol: protocol.map(s),
        span: NO_SPAN,
    }
}

fn num(n: u64) -> PortSpec {
    port(None, Some(n), None, None)
}

fn target(reference: Reference, ports: Option<Vec<PortSpec>>) -> Target {
    Target {
        reference,
        ports,
        span: NO_SPAN,
    }
}

fn service(n: &str, body: Vec<ServiceItem>) -> ItemKind {
    ItemKind::Service { name: s(n), body }
}

/// The ports of the single `port` line of `service s { port ...; }`.
fn service_ports(spec: &str) -> Vec<PortSpec> {
    match one(&format!("service s {{ port {spec}; }}")) {
        ItemKind::Service { body, .. } => match body.as_slice() {
            [ServiceItem::Port(ports, _)] => ports.clone(),
            other => panic!("unexpected body {other:?}"),
        },
        other => panic!("unexpected item {other:?}"),
    }
}

/// The ports of the single target of `a needs t:PORTS;`.
fn target_ports(spec: &str) -> Vec<PortSpec> {
    match one(&format!("a needs t:{spec};")) {
        ItemKind::Needs { targets, .. } => targets[0].ports.clone().unwrap(),
        other => panic!("unexpected item {other:?}"),
    }
}

// ---------------------------------------------------------------------------------
// One test per grammar rule
// ---------------------------------------------------------------------------------

#[test]
fn empty_file_has_no_items_and_no_diagnostics() {
    assert_eq!(items(""), vec![]);
    assert_eq!(items("  \n\t\r\n"), vec![]);
}

#[test]
fn comments_and_whitespace() {
    let text = "// a comment\n# another\nservice   a ;// trailing\nservice\nb\n;# end";
    assert_eq!(
        items(text),
        vec![service("a", vec![]), service("b", vec![])]
    );
}

#[test]
fn namespace_decl() {
    assert_eq!(
        one("namespace grid;"),
        ItemKind::NamespaceDecl { name: s("grid") }
    );
}

#[test]
fn namespace_block() {
    assert_eq!(
        one("namespace grid {\nservice a;\nnamespace inner;\n}"),
        ItemKind::NamespaceBlock {
            name: s("grid"),
            external: false,
            items: vec![
                Item {
                    kind: service("a", vec![]),
                    span: NO_SPAN
                },
                Item {
                    kind: ItemKind::NamespaceDecl { name: s("inner") },
                    span: NO_SPAN
                },
            ],
        }
    );
}

#[test]
fn empty_and_nested_namespace_blocks_parse() {
    let nested = one("namespace a {\nnamespace b {\nservice c;\n}\n}");
    let ItemKind::NamespaceBlock { items, .. } = nested else {
        panic!("not a block")
    };
    assert!(matches!(
        &items[0].kind,
        ItemKind::NamespaceBlock { name, items, .. } if name.node == "b" && items.len() == 1
    ));
    assert_eq!(
        one("namespace a {}"),
        ItemKind::NamespaceBlock {
            name: s("a"),
            external: false,
            items: vec![]
        }
    );
}

#[test]
fn external_namespace_block() {
    assert_eq!(
        one("external namespace ingress-nginx {\nservice controller;\n}"),
        ItemKind::NamespaceBlock {
            name: s("ingress-nginx"),
            external: true,
            items: vec![Item {
                kind: service("controller", vec![]),
                span: NO_SPAN
            }],
        }
    );
}

#[test]
fn service_without_body() {
    assert_eq!(one("service api;"), service("api", vec![]));
    assert_eq!(one("service api {}"), service("api", vec![]));
}

#[test]
fn select_line() {
    assert_eq!(
        one(
            "service api { select app.kubernetes.io/name = ingester, tier = \"web front\", x=\"\"; }"
        ),
        service(
            "api",
            vec![ServiceItem::Select(
                vec![
                    LabelPair {
                        key: s("app.kubernetes.io/name"),
                        value: s("ingester")
                    },
                    LabelPair {
                        key: s("tier"),
                        value: s("web front")
                    },
                    LabelPair {
                        key: s("x"),
                        value: s("")
                    },
                ],
                NO_SPAN
            )]
        )
    );
}

#[test]
fn port_line_and_port_specs() {
    assert_eq!(
        service_ports("443, 8000-8080, metrics 9100, 53/udp, dns 53/udp, web 80-90, 1-2/sctp"),
        vec![
            num(443),
            port(None, Some(8000), Some(8080), None),
            port(Some("metrics"), Some(9100), None, None),
            port(None, Some(53), None, Some("udp")),
            port(Some("dns"), Some(53), None, Some("udp")),
            port(Some("web"), Some(80), Some(90), None),
            port(None, Some(1), Some(2), Some("sctp")),
        ]
    );
}

#[test]
fn service_body_holds_several_lines() {
    assert_eq!(
        one("service a { select k = v; port 1; port 2; }"),
        service(
            "a",
            vec![
                ServiceItem::Select(
                    vec![LabelPair {
                        key: s("k"),
                        value: s("v")
                    }],
                    NO_SPAN
                ),
                ServiceItem::Port(vec![num(1)], NO_SPAN),
                ServiceItem::Port(vec![num(2)], NO_SPAN),
            ]
        )
    );
}

#[test]
fn protocol_is_kept_as_written() {
    assert_eq!(
        service_ports("0/icmp, 80/TCP"),
        vec![
            port(None, Some(0), None, Some("icmp")),
            port(None, Some(80), None, Some("TCP")),
        ]
    );
}

#[test]
fn numbers_saturate() {
    assert_eq!(
        service_ports("99999999999999999999999999, 65536"),
        vec![num(u64::MAX), num(65536)]
    );
}

#[test]
fn group_item() {
    assert_eq!(
        one("group writers = api, grid/ingest, monitoring/*, *;"),
        ItemKind::Group {
            name: s("writers"),
            members: vec![
                name("api"),
                qualified("grid", "ingest"),
                reference(ReferenceKind::NamespaceAll(s("monitoring"))),
                reference(ReferenceKind::All),
            ],
        }
    );
}

#[test]
fn external_item() {
    assert_eq!(
        one("external s3 = 52.216.0.0/15, 3.5.0.0/19;"),
        ItemKind::External {
            name: s("s3"),
            cidrs: vec![s("52.216.0.0/15"), s("3.5.0.0/19")],
            except: vec![],
        }
    );
    assert_eq!(
        one("external internet = 0.0.0.0/0, ::/0 except 10.0.0.0/8, fd00::/8;"),
        ItemKind::External {
            name: s("internet"),
            cidrs: vec![s("0.0.0.0/0"), s("::/0")],
            except: vec![s("10.0.0.0/8"), s("fd00::/8")],
        }
    );
}

#[test]
fn external_named_like_a_keyword() {
    assert_eq!(
        one("external namespace = 10.0.0.0/8;"),
        ItemKind::External {
            name: s("namespace"),
            cidrs: vec![s("10.0.0.0/8")],
            except: vec![],
        }
    );
}

#[test]
fn needs_item() {
    assert_eq!(
        one("internet, ingress-nginx/controller needs api:443, db, monitoring/*, *:{80, metrics};"),
        ItemKind::Needs {
            subjects: vec![name("internet"), qualified("ingress-nginx", "controller")],
            targets: vec![
                target(name("api"), Some(vec![num(443)])),
                target(name("db"), None),
                target(
                    reference(ReferenceKind::NamespaceAll(s("monitoring"))),
                    None
                ),
                target(
                    reference(ReferenceKind::All),
                    Some(vec![num(80), port(Some("metrics"), None, None, None)])
                ),
            ],
        }
    );
}

#[test]
fn target_port_sets() {
    assert_eq!(
        target_ports("metrics"),
        vec![port(Some("metrics"), None, None, None)]
    );
    assert_eq!(
        target_ports("{80, 8000-8080/udp, web,}"),
        vec![
            num(80),
            port(None, Some(8000), Some(8080), Some("udp")),
            port(Some("web"), None, None, None),
        ]
    );
}

#[test]
fn star_subject() {
    assert_eq!(
        one("* needs kube-system/kube-dns;"),
        ItemKind::Needs {
            subjects: vec![reference(ReferenceKind::All)],
            targets: vec![target(qualified("kube-system", "kube-dns"), None)],
        }
    );
}

#[test]
fn export_item() {
    assert_eq!(
        one("export btrdb, api to monitoring, grid;"),
        ItemKind::Export {
            services: vec![s("btrdb"), s("api")],
            to: ExportTo::Namespaces(vec![s("monitoring"), s("grid")]),
        }
    );
    assert_eq!(
        one("export api to *;"),
        ItemKind::Export {
            services: vec![s("api")],
            to: ExportTo::Everyone(NO_SPAN),
        }
    );
}

#[test]
fn use_item() {
    assert_eq!(one("use std/dns;"), ItemKind::Use(UseTarget::Std(s("dns"))));
    assert_eq!(
        one("use \"../common/base.netp\";"),
        ItemKind::Use(UseTarget::Path(s("../common/base.netp")))
    );
}

#[test]
fn exempt_item() {
    assert_eq!(
        one("exempt label netp.io/exempt;"),
        ItemKind::ExemptLabel {
            key: s("netp.io/exempt"),
            value: None
        }
    );
    assert_eq!(
        one("exempt label break-glass = \"true\";"),
        ItemKind::ExemptLabel {
            key: s("break-glass"),
            value: Some(s("true"))
        }
    );
    assert_eq!(
        one("exempt label k = yes;"),
        ItemKind::ExemptLabel {
            key: s("k"),
            value: Some(s("yes"))
        }
    );
}

#[test]
fn enforcement_item() {
    assert_eq!(
        one("enforcement on;"),
        ItemKind::Enforcement(Spanned::new(true, NO_SPAN))
    );
    assert_eq!(
        one("enforcement off;"),
        ItemKind::Enforcement(Spanned::new(false, NO_SPAN))
    );
}

#[test]
fn identity_item() {
    assert_eq!(
        one("identity labels;"),
        ItemKind::Identity(Spanned::new(IdentityStyle::Labels, NO_SPAN))
    );
    assert_eq!(
        one("identity selectors;"),
        ItemKind::Identity(Spanned::new(IdentityStyle::Selectors, NO_SPAN))
    );
}

#[test]
fn names_are_not_checked_here() {
    // Upper case and underscores parse; the resolver says Kubernetes names are lower-case.
    assert_eq!(
        items("namespace Grid;\nservice my_svc;\nservices needs servicex;"),
        vec![
            ItemKind::NamespaceDecl { name: s("Grid") },
            service("my_svc", vec![]),
            ItemKind::Needs {
                subjects: vec![name("services")],
                targets: vec![target(name("servicex"), None)],
            },
        ]
    );
}

#[test]
fn spans_point_at_what_was_written() {
    let text = "namespace grid;\napi needs db:5432;\n";
    let (file, _) = parse(text);
    let at = |span: Span| &text[span.range()];
    assert_eq!(at(file.items[0].span), "namespace grid;");
    let ItemKind::NamespaceDecl { name } = &file.items[0].kind else {
        panic!()
    };
    assert_eq!(at(name.span), "grid");
    assert_eq!(at(file.items[1].span), "api needs db:5432;");
    let ItemKind::Needs { targets, subjects } = &file.items[1].kind else {
        panic!()
    };
    assert_eq!(at(subjects[0].span), "api");
    assert_eq!(at(targets[0].span), "db:5432");
    let port = &targets[0].ports.as_ref().unwrap()[0];
    assert_eq!(at(port.span), "5432");
    assert_eq!(at(port.numbers.as_ref().unwrap().first.span), "5432");
    assert!(file.items.iter().all(|i| i.span.file == FileId(0)));
}

// ---------------------------------------------------------------------------------
// Whole files
// ---------------------------------------------------------------------------------

#[test]
fn spec_example_parses_without_diagnostics() {
    let grid = items(include_str!("syntax/grid.netp"));
    assert_eq!(grid.len(), 12);
    assert_eq!(grid[0], ItemKind::NamespaceDecl { name: s("grid") });
    assert_eq!(
        grid[11],
        ItemKind::Export {
            services: vec![s("btrdb"), s("api")],
            to: ExportTo::Namespaces(vec![s("monitoring")]),
        }
    );
    let monitoring = items(include_str!("syntax/monitoring.netp"));
    assert_eq!(monitoring.len(), 2);
    let ItemKind::NamespaceBlock {
        items: inside,
        external: false,
        ..
    } = &monitoring[0]
    else {
        panic!("not a managed namespace block")
    };
    assert_eq!(inside.len(), 5);
    assert_eq!(
        inside[3].kind,
        ItemKind::Needs {
            subjects: vec![name("prometheus")],
            targets: vec![
                target(qualified("grid", "btrdb"), Some(vec![num(4410)])),
                target(
                    qualified("grid", "api"),
                    Some(vec![port(Some("metrics"), None, None, None)])
                ),
            ],
        }
    );
    assert!(matches!(
        &monitoring[1],
        ItemKind::NamespaceBlock { external: true, .. }
    ));
}

#[test]
fn stdlib_parses_without_diagnostics() {
    assert_eq!(items(include_str!("../stdlib/dns.netp")).len(), 2);
}

// ---------------------------------------------------------------------------------
// Recovery
// ---------------------------------------------------------------------------------

#[test]
fn three_independent_errors_give_exactly_three_diagnostics() {
    let (file, diagnostics) = parse(include_str!("ui/syntax/E100-three-errors.netp"));
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
        "expected `on` or `off`, found `maybe`"
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
    let text = include_str!("ui/syntax/E101-unclosed-block.netp");
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

// ---------------------------------------------------------------------------------
// What users read: tests/ui/syntax/*.netp
// ---------------------------------------------------------------------------------

#[test]
fn ui_snapshots() {
    insta::glob!("ui/syntax/*.netp", |path| {
        let bytes = std::fs::read(path).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let mut sources = Sources::new();
        let id = sources.add(Origin::File(name.clone().into()), text.clone());
        let mut diagnostics = Diagnostics::new();
        netpc::syntax::parse(id, &text, &mut diagnostics);
        let code = name.split('-').next().unwrap();
        assert!(
            diagnostics.iter().any(|d| d.code.as_str() == code),
            "{name} does not report {code}"
        );
        let rendered =
            String::from_utf8(netpc::render::human(&sources, &diagnostics, false)).unwrap();
        // NUL and other control characters would make the snapshot a binary file.
        let visible = |s: &str| {
            s.chars()
                .map(|c| match c {
                    '\n' => '\n',
                    c if c.is_control() => char::from_u32(0x2400 + u32::from(c)).unwrap_or('?'),
                    c => c,
                })
                .collect::<String>()
        };
        insta::assert_snapshot!(format!(
            "----- SOURCE CODE\n{}\n----- DIAGNOSTICS\n{}",
            visible(&text),
            visible(&rendered)
        ));
    });
}

// ---------------------------------------------------------------------------------
// Odd but valid text
// ---------------------------------------------------------------------------------

#[test]
fn byte_order_mark_and_crlf() {
    assert_eq!(
        items("\u{feff}namespace a;\r\nservice b { port 1; }\r\n// done\r\n"),
        vec![
            ItemKind::NamespaceDecl { name: s("a") },
            service("b", vec![ServiceItem::Port(vec![num(1)], NO_SPAN)]),
        ]
    );
}

#[test]
fn spaces_inside_port_sets_but_not_inside_references() {
    assert_eq!(target_ports("{ 80 ,\n443 , }"), vec![num(80), num(443)]);
    let (_, diagnostics) = parse("a needs grid / api;");
    assert_eq!(codes(&diagnostics), vec!["E100"]);
    let (_, diagnostics) = parse("a needs api : 443;");
    assert_eq!(codes(&diagnostics), vec!["E100"]);
}

#[test]
fn comment_characters_inside_strings_are_text() {
    assert_eq!(
        one("use \"a#b//c.netp\";"),
        ItemKind::Use(UseTarget::Path(s("a#b//c.netp")))
    );
}

#[test]
fn braces_in_comments_and_strings_do_not_count() {
    let text = "namespace a { // }\nservice b { select k = \"}\"; } # {\n}";
    let (file, diagnostics) = parse(text);
    assert!(diagnostics.is_empty(), "{:?}", codes(&diagnostics));
    assert_eq!(file.items.len(), 1);
}

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
