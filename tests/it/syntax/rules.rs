//! One test per grammar rule, whole files, and odd but valid text.

use super::*;
use netpc::ast::{Direction, EnforcementMode, GuardAction, IdentityStyle, LabelPair, UseTarget};

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
        ItemKind::Enforcement {
            direction: None,
            mode: Spanned::new(EnforcementMode::On, NO_SPAN)
        }
    );
    assert_eq!(
        one("enforcement off;"),
        ItemKind::Enforcement {
            direction: None,
            mode: Spanned::new(EnforcementMode::Off, NO_SPAN)
        }
    );
    assert_eq!(
        one("enforcement egress off;"),
        ItemKind::Enforcement {
            direction: Some(Spanned::new(Direction::Egress, NO_SPAN)),
            mode: Spanned::new(EnforcementMode::Off, NO_SPAN)
        }
    );
    assert_eq!(
        one("enforcement ingress on;"),
        ItemKind::Enforcement {
            direction: Some(Spanned::new(Direction::Ingress, NO_SPAN)),
            mode: Spanned::new(EnforcementMode::On, NO_SPAN)
        }
    );
    assert_eq!(
        one("enforcement egress selected;"),
        ItemKind::Enforcement {
            direction: Some(Spanned::new(Direction::Egress, NO_SPAN)),
            mode: Spanned::new(EnforcementMode::Selected, NO_SPAN)
        }
    );
}

#[test]
fn isolate_item() {
    let reference = |text: &str| match one(&format!("group g = {text};")) {
        ItemKind::Group { members, .. } => members[0].clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        one("isolate api, *;"),
        ItemKind::Isolate {
            direction: None,
            members: vec![reference("api"), reference("*")]
        }
    );
    assert_eq!(
        one("isolate egress batch;"),
        ItemKind::Isolate {
            direction: Some(Spanned::new(Direction::Egress, NO_SPAN)),
            members: vec![reference("batch")]
        }
    );
    // `ingress` alone is a service named `ingress`, not the direction.
    assert_eq!(
        one("isolate ingress;"),
        ItemKind::Isolate {
            direction: None,
            members: vec![reference("ingress")]
        }
    );
    assert_eq!(
        one("isolate ingress, egress;"),
        ItemKind::Isolate {
            direction: None,
            members: vec![reference("ingress"), reference("egress")]
        }
    );
}

#[test]
fn guard_item() {
    assert_eq!(
        one("guard labels;"),
        ItemKind::Guard(Spanned::new(GuardAction::Deny, NO_SPAN))
    );
    assert_eq!(
        one("guard labels warn;"),
        ItemKind::Guard(Spanned::new(GuardAction::Warn, NO_SPAN))
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
    let grid = items(include_str!("grid.netp"));
    assert_eq!(grid.len(), 12);
    assert_eq!(grid[0], ItemKind::NamespaceDecl { name: s("grid") });
    assert_eq!(
        grid[11],
        ItemKind::Export {
            services: vec![s("btrdb"), s("api")],
            to: ExportTo::Namespaces(vec![s("monitoring")]),
        }
    );
    let monitoring = items(include_str!("monitoring.netp"));
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
    assert_eq!(items(include_str!("../../../stdlib/dns.netp")).len(), 2);
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
