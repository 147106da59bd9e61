//! The parser: one test per grammar rule comparing the AST (spans are ignored by
//! equality), the spec's complete example, recovery, hostile input and properties (the
//! syntax diagnostics of `tests/ui/syntax/*.netp` are snapshotted by `tests/it/ui.rs`).
//! Helpers live here; the tests live in `tests/it/syntax/*.rs`.

mod properties;
mod recovery;
mod rules;

use netpc::ast::{
    ExportTo, File, Item, ItemKind, PortNumbers, PortSpec, Reference, ReferenceKind, ServiceItem,
    Spanned, Target,
};
use netpc::diagnostic::Diagnostics;
use netpc::source::{FileId, Span};

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
                    ServiceItem::Select(_, span) | ServiceItem::Requirements(_, span) => {
                        *span = NO_SPAN;
                    }
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
        name: port_name.map(|n| Box::new(s(n))),
        numbers: first.map(|first| PortNumbers {
            first: Spanned::new(first, NO_SPAN),
            last: last.map(|l| Box::new(Spanned::new(l, NO_SPAN))),
        }),
        protocol: protocol.map(|p| Box::new(s(p))),
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
