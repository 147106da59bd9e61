//! The syntax tree of one `.netp` file, exactly as written: nothing is resolved, no
//! value is checked (a port of `0` or a CIDR with host bits is kept as written so the
//! checks can point at it). Every node a user wrote carries a span; equality ignores
//! spans so tests can compare trees. Built by `syntax`, consumed only by `resolve`.

use crate::source::Span;

/// A value with the span it was written at. `PartialEq` compares only the value.
#[derive(Clone, Debug)]
pub struct Spanned<T> {
    pub node: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(node: T, span: Span) -> Self {
        Spanned { node, span }
    }
}

impl<T: PartialEq> PartialEq for Spanned<T> {
    fn eq(&self, other: &Self) -> bool {
        self.node == other.node
    }
}
impl<T: Eq> Eq for Spanned<T> {}

/// `PartialEq` and `Eq` for nodes that carry a plain `span` field: every field but
/// the span is compared, so trees built from different texts compare equal when only
/// positions differ.
macro_rules! eq_ignoring_span {
    ($ty:ident { $($field:ident),* }) => {
        impl PartialEq for $ty {
            fn eq(&self, other: &Self) -> bool {
                true $(&& self.$field == other.$field)*
            }
        }
        impl Eq for $ty {}
    };
}

eq_ignoring_span!(Item { kind });
eq_ignoring_span!(PortSpec {
    name,
    numbers,
    protocol
});
eq_ignoring_span!(Reference { kind });
eq_ignoring_span!(Target { reference, ports });

impl PartialEq for ServiceItem {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (ServiceItem::Select(a, _), ServiceItem::Select(b, _)) => a == b,
            (ServiceItem::Port(a, _), ServiceItem::Port(b, _)) => a == b,
            (ServiceItem::Requirements(a, _), ServiceItem::Requirements(b, _)) => a == b,
            _ => false,
        }
    }
}
impl Eq for ServiceItem {}

impl PartialEq for ExportTo {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (ExportTo::Everyone(_), ExportTo::Everyone(_)) => true,
            (ExportTo::Namespaces(a), ExportTo::Namespaces(b)) => a == b,
            _ => false,
        }
    }
}
impl Eq for ExportTo {}

/// A name as written (a namespace, service, group, external or port name). Not yet
/// checked against DNS-1123: `Grid` parses and is diagnosed later.
pub type Ident = Spanned<String>;

/// One parsed file.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct File {
    pub items: Vec<Item>,
}

#[derive(Clone, Debug)]
pub struct Item {
    pub kind: ItemKind,
    /// The whole item, from its first token to its `;` or `}`.
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ItemKind {
    /// `namespace N;`: the rest of the file is in namespace N.
    NamespaceDecl { name: Ident },
    /// `namespace N { ... }` or `external namespace N { ... }`.
    NamespaceBlock {
        name: Ident,
        external: bool,
        items: Vec<Item>,
    },
    /// `namespaces N { select ...; service ...; }`: the namespaces chosen by labels.
    NamespaceSet {
        name: Ident,
        /// Every `select` line written (the checks want exactly one).
        selects: Vec<SetSelect>,
        items: Vec<Item>,
    },
    /// `service S;` or `service S { select ...; port ...; }`.
    Service { name: Ident, body: Vec<ServiceItem> },
    /// `group G = R1, R2;`
    Group {
        name: Ident,
        members: Vec<Reference>,
    },
    /// `external E = CIDR, ... [except CIDR, ...];`
    External {
        name: Ident,
        cidrs: Vec<Spanned<String>>,
        except: Vec<Spanned<String>>,
    },
    /// `A, B needs T, U:PORTS;`
    Needs {
        subjects: Vec<Reference>,
        targets: Vec<Target>,
    },
    /// `export S, ... to N1, N2;` or `export S to *;`
    Export { services: Vec<Ident>, to: ExportTo },
    /// `use std/NAME;` or `use "path.netp";`
    Use(UseTarget),
    /// `exempt label KEY [= VALUE];`
    ExemptLabel {
        key: Spanned<String>,
        value: Option<Spanned<String>>,
    },
    /// `enforcement [ingress | egress] on|off|selected;`
    Enforcement {
        /// `None`: both directions.
        direction: Option<Spanned<Direction>>,
        mode: Spanned<EnforcementMode>,
    },
    /// `isolate [ingress | egress] R, ...;`
    Isolate {
        /// `None`: both directions.
        direction: Option<Spanned<Direction>>,
        members: Vec<Reference>,
    },
    /// `identity labels;` / `identity selectors;`
    Identity(Spanned<IdentityStyle>),
    /// `guard labels;` (`Deny`) / `guard labels warn;` (`Warn`): the admission guard.
    Guard(Spanned<GuardAction>),
    /// `cni "NAME@VERSION";` (the string's text and span).
    Cni(Spanned<String>),
    /// `cluster { pods CIDR, ...; nodes CIDR, ...; }`, line by line.
    Cluster(Vec<ClusterLine>),
}

/// One line of a `cluster` block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterLine {
    pub kind: Spanned<ClusterNetwork>,
    pub cidrs: Vec<Spanned<String>>,
}

/// Which network a `cluster` line declares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ClusterNetwork {
    Pods,
    Nodes,
}

/// What an `enforcement` item sets a direction to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EnforcementMode {
    /// `on`: every pod of the namespace is isolated (default deny).
    On,
    /// `off`: every connection that way is allowed.
    Off,
    /// `selected`: only the pods a generated policy selects are isolated.
    Selected,
}

/// A direction of traffic, as written in `enforcement ingress off;`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Direction {
    Ingress,
    Egress,
}

/// What the admission guard of the label contract does with a violation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GuardAction {
    /// `guard labels;`: reject the request.
    Deny,
    /// `guard labels warn;`: admit it with a warning.
    Warn,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum IdentityStyle {
    #[default]
    Labels,
    Selectors,
}

#[derive(Clone, Debug)]
pub enum ServiceItem {
    /// `select k = v, ...;` (all pairs must match).
    Select(Vec<LabelPair>, Span),
    /// `port P, ...;`
    Port(Vec<PortSpec>, Span),
    /// The set-based terms of a `select` line (`k in (a, b)`, `k notin (...)`, `k`,
    /// `!k`), beside its `Select` of the `k = v` terms, with the line's span.
    Requirements(Vec<Requirement>, Span),
}

/// A set-based term of a `select`, as `kubectl -l` spells it.
#[derive(Clone, Debug)]
pub struct Requirement {
    pub key: Spanned<String>,
    pub op: RequirementOp,
    /// The values of `in` / `notin` (empty for `k` and `!k`).
    pub values: Vec<Spanned<String>>,
    pub span: Span,
}

impl PartialEq for Requirement {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key && self.op == other.op && self.values == other.values
    }
}
impl Eq for Requirement {}

/// The operator of a [`Requirement`] (Kubernetes' `matchExpressions` operators).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RequirementOp {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

impl RequirementOp {
    /// The Kubernetes spelling: `In`, `NotIn`, `Exists`, `DoesNotExist`.
    pub fn as_k8s(self) -> &'static str {
        match self {
            RequirementOp::In => "In",
            RequirementOp::NotIn => "NotIn",
            RequirementOp::Exists => "Exists",
            RequirementOp::DoesNotExist => "DoesNotExist",
        }
    }
}

/// The `select` line of a namespace set: `select *;` (`every`) or label pairs.
#[derive(Clone, Debug)]
pub struct SetSelect {
    pub every: bool,
    pub pairs: Vec<LabelPair>,
    pub requirements: Vec<Requirement>,
    pub span: Span,
}

impl PartialEq for SetSelect {
    fn eq(&self, other: &Self) -> bool {
        self.every == other.every
            && self.pairs == other.pairs
            && self.requirements == other.requirements
    }
}
impl Eq for SetSelect {}

/// `key = value` in a `select` (the value may have been quoted; quotes are removed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelPair {
    pub key: Spanned<String>,
    pub value: Spanned<String>,
}

/// A port as written, in a service's `port` line or after `:` in a target.
///
/// In a service: `443`, `8000-8080`, `metrics 9100`, each with an optional `/udp`.
/// In a target: `443`, `8000-8080`, `metrics` (a name the target declares).
/// A named range (`web 80-90`) parses and is rejected by the checks.
#[derive(Clone, Debug)]
pub struct PortSpec {
    /// Boxed, as is the protocol: most ports have neither, and a target's port list
    /// is the largest part of a large program's tree (docs/performance.md).
    pub name: Option<Box<Ident>>,
    /// The first port and, for a range, the last. Numbers too large for `u64`
    /// saturate to `u64::MAX`; checks reject anything outside 1..=65535.
    pub numbers: Option<PortNumbers>,
    /// The protocol as written after `/` (checked later: `tcp`, `udp`, `sctp`).
    pub protocol: Option<Box<Spanned<String>>>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortNumbers {
    pub first: Spanned<u64>,
    /// Boxed: most ports are single numbers.
    pub last: Option<Box<Spanned<u64>>>,
}

/// A reference to pods or addresses.
#[derive(Clone, Debug)]
pub struct Reference {
    pub kind: ReferenceKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReferenceKind {
    /// `S`, `G` or `E`: a service, group or external visible from here.
    Name(Ident),
    /// `N/S`: a service of another namespace.
    Qualified { namespace: Ident, name: Ident },
    /// `N/*`: every pod of namespace N.
    NamespaceAll(Ident),
    /// `*`: every pod of the current namespace.
    All,
}

/// A target of `needs`: a reference and, optionally, the ports asked for.
#[derive(Clone, Debug)]
pub struct Target {
    pub reference: Reference,
    /// `None` for a bare reference (all ports the target declares).
    pub ports: Option<Vec<PortSpec>>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum ExportTo {
    /// `to *`
    Everyone(Span),
    /// `to N1, N2`
    Namespaces(Vec<Ident>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UseTarget {
    /// `use std/NAME;`
    Std(Ident),
    /// `use "path.netp";` (the path as written, without quotes).
    Path(Spanned<String>),
}

impl File {
    /// Release the spare capacity of every vector in the tree. Vectors collected from
    /// parser iterators start with room for four elements; for a typical `needs` line
    /// that spare room is most of the memory a large program's tree takes.
    pub fn shrink_to_fit(&mut self) {
        shrink_items(&mut self.items);
    }
}

fn shrink_items(items: &mut Vec<Item>) {
    items.shrink_to_fit();
    for item in items {
        match &mut item.kind {
            ItemKind::NamespaceBlock { items, .. } => shrink_items(items),
            ItemKind::NamespaceSet { selects, items, .. } => {
                selects.shrink_to_fit();
                shrink_items(items);
            }
            ItemKind::Service { body, .. } => {
                body.shrink_to_fit();
                for entry in body {
                    match entry {
                        ServiceItem::Select(pairs, _) => pairs.shrink_to_fit(),
                        ServiceItem::Port(ports, _) => ports.shrink_to_fit(),
                        ServiceItem::Requirements(terms, _) => terms.shrink_to_fit(),
                    }
                }
            }
            ItemKind::Group { members, .. } => members.shrink_to_fit(),
            ItemKind::External { cidrs, except, .. } => {
                cidrs.shrink_to_fit();
                except.shrink_to_fit();
            }
            ItemKind::Needs { subjects, targets } => {
                subjects.shrink_to_fit();
                targets.shrink_to_fit();
                for target in targets {
                    if let Some(ports) = &mut target.ports {
                        ports.shrink_to_fit();
                    }
                }
            }
            ItemKind::Export { services, to } => {
                services.shrink_to_fit();
                if let ExportTo::Namespaces(names) = to {
                    names.shrink_to_fit();
                }
            }
            ItemKind::Isolate { members, .. } => members.shrink_to_fit(),
            ItemKind::NamespaceDecl { .. }
            | ItemKind::Use(_)
            | ItemKind::ExemptLabel { .. }
            | ItemKind::Enforcement { .. }
            | ItemKind::Identity(_)
            | ItemKind::Guard(_)
            | ItemKind::Cni(_)
            | ItemKind::Cluster(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::diagnostic::Diagnostics;
    use crate::source::FileId;

    /// Trees of the same program written with different layout compare equal; a
    /// different port does not.
    #[test]
    fn equality_ignores_spans_only() {
        let parse = |text: &str| crate::syntax::parse(FileId(0), text, &mut Diagnostics::new());
        let compact = parse("namespace a{service s{port 80;}t needs s:80;export s to *;}");
        let spaced = parse(
            "namespace a {\n  service s { port 80; }\n  t needs s:80;\n  export s to *;\n}\n",
        );
        let other = parse("namespace a{service s{port 81;}t needs s:80;export s to *;}");
        assert_eq!(compact, spaced);
        assert_ne!(compact, other);
    }
}
